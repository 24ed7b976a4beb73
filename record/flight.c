/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder's memory (flight.h). Both rings are lists of
 * chunks; an entry is { u32 cpu or kind, u32 size, u64 ts, bytes } padded
 * to 8. Chunks are freed, not reused: a 1 MiB allocation is mmap()ed by
 * malloc, so a freed chunk goes back to the kernel and RSS follows what
 * is held.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "flight.h"
#include "probe_spec.h"
#include "trec_bpf.h"

struct chunk {
	struct chunk *next;
	size_t used, cap;
	uint64_t max_ts;
	uint64_t n;
	unsigned char data[];
};

struct entry {
	uint32_t tag;  /* records: the CPU; side-band: SB_TASK or SB_MAP */
	uint32_t size; /* bytes after this header */
	uint64_t ts;
};

struct chunk_ring {
	struct chunk *head, *tail;
	size_t chunk_bytes;
	uint64_t bytes, max_bytes;
	uint64_t entries, dropped;
	uint64_t cut_ns; /* newest timestamp dropped */
};

struct flight {
	struct flight_opts o;
	struct chunk_ring rec, sb;
	struct chunk_ring held; /* records added while a snapshot replays rec */
	int holding;
};

enum { SB_TASK = 1, SB_MAP = 2, SB_LOSS = 3 };

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static void ring_init(struct chunk_ring *r, uint64_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->max_bytes = max_bytes;
	/* Eight chunks or more in the cap: dropping one whole gives up at most
	 * an eighth of the window. */
	size_t cb = (size_t)(max_bytes / 8);
	if (cb > (1u << 20))
		cb = 1u << 20;
	if (cb < (64u << 10))
		cb = 64u << 10;
	r->chunk_bytes = cb;
}

static void ring_drop_head(struct chunk_ring *r)
{
	struct chunk *c = r->head;
	r->head = c->next;
	if (!r->head)
		r->tail = NULL;
	r->bytes -= c->cap;
	r->entries -= c->n;
	r->dropped += c->n;
	if (c->max_ts > r->cut_ns)
		r->cut_ns = c->max_ts;
	free(c);
}

static void ring_free(struct chunk_ring *r)
{
	while (r->head) {
		struct chunk *c = r->head;
		r->head = c->next;
		free(c);
	}
	r->tail = NULL;
}

/* Room for an entry of `need` bytes: a new chunk when the tail is full,
 * after dropping the oldest chunks the cap has no room for. */
static void *ring_reserve(struct chunk_ring *r, size_t need, uint64_t ts)
{
	struct chunk *t = r->tail;
	if (!t || t->cap - t->used < need) {
		size_t cap = need > r->chunk_bytes ? need : r->chunk_bytes;
		while (r->head && r->bytes + cap > r->max_bytes)
			ring_drop_head(r);
		t = malloc(sizeof(*t) + cap);
		if (!t)
			return NULL;
		t->next = NULL;
		t->used = 0;
		t->cap = cap;
		t->max_ts = 0;
		t->n = 0;
		if (r->tail)
			r->tail->next = t;
		else
			r->head = t;
		r->tail = t;
		r->bytes += cap;
	}
	void *p = t->data + t->used;
	t->used += need;
	t->n++;
	r->entries++;
	if (ts > t->max_ts)
		t->max_ts = ts;
	return p;
}

int flight_new(struct flight **out, const struct flight_opts *o)
{
	*out = NULL;
	struct flight *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (o)
		memcpy(&f->o, o, o->sz < sizeof(f->o) ? o->sz : sizeof(f->o));
	if (!f->o.window_ns)
		f->o.window_ns = FLIGHT_DEFAULT_WINDOW_NS;
	if (!f->o.max_bytes)
		f->o.max_bytes = FLIGHT_DEFAULT_BYTES;
	if (!f->o.sideband_bytes)
		f->o.sideband_bytes = FLIGHT_SIDEBAND_BYTES;
	ring_init(&f->rec, f->o.max_bytes);
	ring_init(&f->sb, f->o.sideband_bytes);
	*out = f;
	return 0;
}

void flight_free(struct flight *f)
{
	if (!f)
		return;
	ring_free(&f->rec);
	ring_free(&f->sb);
	ring_free(&f->held);
	free(f);
}

int flight_add_record(struct flight *f, uint32_t cpu, const void *rec, size_t size)
{
	if (size < sizeof(struct trec_rec) || size > UINT32_MAX)
		return -EINVAL;
	const struct trec_rec *r = rec;
	struct entry *e = ring_reserve(f->holding ? &f->held : &f->rec, sizeof(*e) + ALIGN8(size), r->ts);
	if (!e)
		return -ENOMEM;
	*e = (struct entry){ .tag = cpu, .size = (uint32_t)size, .ts = r->ts };
	memcpy(e + 1, rec, size);
	return 0;
}

/* Side-band entries: the struct, then its strings; pointers are set again
 * on replay. */
static int add_sb(struct flight *f, uint32_t kind, uint64_t ts, const void *s, size_t ssize, const char *s1,
		  const char *s2)
{
	size_t l1 = strlen(s1 ? s1 : "") + 1, l2 = strlen(s2 ? s2 : "") + 1;
	size_t size = ssize + l1 + l2;
	struct entry *e = ring_reserve(&f->sb, sizeof(*e) + ALIGN8(size), ts);
	if (!e)
		return -ENOMEM;
	*e = (struct entry){ .tag = kind, .size = (uint32_t)size, .ts = ts };
	unsigned char *p = (unsigned char *)(e + 1);
	memcpy(p, s, ssize);
	memcpy(p + ssize, s1 ? s1 : "", l1);
	memcpy(p + ssize + l1, s2 ? s2 : "", l2);
	return 0;
}

int flight_add_task(struct flight *f, const struct trec_task *t)
{
	return add_sb(f, SB_TASK, t->ts, t, sizeof(*t), t->comm, t->filename);
}

int flight_add_map(struct flight *f, const struct trec_map *m)
{
	return add_sb(f, SB_MAP, m->ts, m, sizeof(*m), m->path, NULL);
}

int flight_add_loss(struct flight *f, const struct trec_loss *l)
{
	struct entry *e = ring_reserve(&f->sb, sizeof(*e) + ALIGN8(sizeof(*l)), l->ts);
	if (!e)
		return -ENOMEM;
	*e = (struct entry){ .tag = SB_LOSS, .size = sizeof(*l), .ts = l->ts };
	memcpy(e + 1, l, sizeof(*l));
	return 0;
}

int flight_replay_losses(struct flight *f, uint64_t from_ns, int (*fn)(void *ctx, const struct trec_loss *l),
			 void *ctx)
{
	for (struct chunk *c = f->sb.head; c; c = c->next) {
		for (size_t at = 0; at < c->used;) {
			const struct entry *e = (const void *)(c->data + at);
			at += sizeof(*e) + ALIGN8((size_t)e->size);
			if (e->tag != SB_LOSS || e->ts < from_ns)
				continue;
			struct trec_loss l;
			memcpy(&l, e + 1, sizeof(l));
			int r = fn(ctx, &l);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

void flight_hold(struct flight *f)
{
	if (f->holding)
		return;
	ring_init(&f->held, f->o.max_bytes);
	f->holding = 1;
}

void flight_release(struct flight *f)
{
	if (!f->holding)
		return;
	f->holding = 0;
	struct chunk_ring *r = &f->rec, *h = &f->held;
	if (h->head) {
		if (r->tail)
			r->tail->next = h->head;
		else
			r->head = h->head;
		r->tail = h->tail;
	}
	r->bytes += h->bytes;
	r->entries += h->entries;
	r->dropped += h->dropped;
	if (h->cut_ns > r->cut_ns)
		r->cut_ns = h->cut_ns;
	memset(h, 0, sizeof(*h));
	while (r->head && r->head != r->tail && r->bytes > r->max_bytes)
		ring_drop_head(r);
}

void flight_expire(struct flight *f, uint64_t now_ns)
{
	if (now_ns <= f->o.window_ns)
		return;
	uint64_t oldest = now_ns - f->o.window_ns;
	/* The tail is being filled: it stays (its records are the newest). */
	while (f->rec.head && f->rec.head != f->rec.tail && f->rec.head->max_ts < oldest)
		ring_drop_head(&f->rec);
}

uint64_t flight_window_start(const struct flight *f, uint64_t end_ns)
{
	uint64_t from = end_ns > f->o.window_ns ? end_ns - f->o.window_ns : 0;
	if (f->rec.dropped && f->rec.cut_ns >= from)
		from = f->rec.cut_ns + 1;
	return from;
}

int flight_replay(struct flight *f, uint64_t from_ns, uint64_t to_ns, flight_record_fn fn, void *ctx)
{
	for (struct chunk *c = f->rec.head; c; c = c->next) {
		for (size_t at = 0; at < c->used;) {
			const struct entry *e = (const void *)(c->data + at);
			at += sizeof(*e) + ALIGN8((size_t)e->size);
			if (e->ts < from_ns || e->ts > to_ns)
				continue;
			int r = fn(ctx, e->tag, e + 1, e->size);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int flight_replay_sideband(struct flight *f, uint64_t to_ns, const struct sideband_cb *cb)
{
	for (struct chunk *c = f->sb.head; c; c = c->next) {
		for (size_t at = 0; at < c->used;) {
			const struct entry *e = (const void *)(c->data + at);
			at += sizeof(*e) + ALIGN8((size_t)e->size);
			if (e->ts > to_ns)
				continue;
			const unsigned char *p = (const void *)(e + 1);
			int r = 0;
			if (e->tag == SB_TASK && cb->task) {
				struct trec_task t;
				memcpy(&t, p, sizeof(t));
				t.comm = (const char *)p + sizeof(t);
				t.filename = t.comm + strlen(t.comm) + 1;
				r = cb->task(cb->ctx, &t);
			} else if (e->tag == SB_MAP && cb->map) {
				struct trec_map m;
				memcpy(&m, p, sizeof(m));
				m.path = (const char *)p + sizeof(m);
				r = cb->map(cb->ctx, &m);
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

void flight_stats(const struct flight *f, struct flight_stats *st)
{
	*st = (struct flight_stats){ .bytes = f->rec.bytes + f->held.bytes, .records = f->rec.entries + f->held.entries,
				     .dropped = f->rec.dropped + f->held.dropped,
				     .sideband_bytes = f->sb.bytes, .cut_ns = f->rec.cut_ns };
}

/* ---- --snapshot-on ------------------------------------------------------ */

/* The longest event name spec starts with, followed by ':' or its end. */
static int match_name(const char *spec, const char *name, size_t *best)
{
	size_t n = strlen(name);
	if (n > *best && !strncmp(spec, name, n) && (spec[n] == 0 || spec[n] == ':')) {
		*best = n;
		return 1;
	}
	return 0;
}

/* A probe as typed with -e (u:libc:malloc, ur:./app:f): the probe event
 * of that kind and function, in the file the path names, or the only
 * one of that kind and function. */
static const struct probe_event *match_probe(const struct probe_set *ps, const char *text)
{
	struct probe_spec sp;
	struct trec_err pe = { 0 };
	if (!probe_spec_kind(text) || probe_spec_parse(text, &sp, &pe))
		return NULL;
	char real[4096];
	int have_real = sp.path[0] && realpath(sp.path, real);
	const struct probe_event *only = NULL;
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_event *e = &ps->ev[i];
		if (e->kind != sp.kind || strcmp(e->func ? e->func : "", sp.func) ||
		    (sp.provider[0] && strcmp(e->provider ? e->provider : "", sp.provider)))
			continue;
		if (have_real && e->path && !strcmp(e->path, real))
			return e;
		only = e;
		n++;
	}
	return n == 1 ? only : NULL;
}

/* ---- latency: a return probe's time since its entry, per thread ---------------------- */

/*
 * The rings are drained in turn, one CPU's after another, so ring order is
 * not time order: a thread that moved between CPUs can have its return read
 * before its entry, or the return of its second slow call before the
 * return of its first. Pairing in the order records are read picks the
 * wrong pair (or the wrong first match). So the entries and returns are
 * queued as read, and flight_trigger_settle pairs, in time order, those
 * old enough that nothing earlier can still be unread.
 */

#define LAT_SLOTS 4096  /* threads followed at once (open addressing) */
#define LAT_DEPTH 8     /* nested calls per thread (recursion) */
#define LAT_QUEUE_MAX (64u << 20) /* queued bytes before everything is settled at once */

struct lat_slot {
	uint32_t tid; /* 0: free */
	uint32_t n;   /* entries */
	uint64_t entry[LAT_DEPTH];
};

/* A queued record: a return's payload (up to lat_off bytes) follows. */
struct lat_item {
	uint64_t ts;
	uint32_t tid;
	uint32_t size; /* LAT_ENTRY: an entry; else the return's payload bytes */
};
#define LAT_ENTRY UINT32_MAX

struct lat_ref {
	uint64_t ts;
	size_t off; /* in the queue: arrival order breaks ties */
};

struct lat_pairs {
	struct lat_slot slot[LAT_SLOTS];
	unsigned char buf[TREC_FILTER_REC_MAX];
	unsigned char *q, *q2; /* the queue, and the one it is compacted into */
	size_t qlen, qcap, q2cap, nq;
	struct lat_ref *ref;
	size_t refcap;
};

static struct lat_slot *lat_slot(struct lat_pairs *p, uint32_t tid)
{
	uint32_t h = (tid * 2654435761u) & (LAT_SLOTS - 1);
	for (uint32_t k = 0; k < 16; k++) {
		struct lat_slot *s = &p->slot[(h + k) & (LAT_SLOTS - 1)];
		if (s->tid == tid)
			return s;
		if (!s->tid) {
			memset(s, 0, sizeof(*s));
			s->tid = tid;
			return s;
		}
	}
	/* A crowded run: the thread there first gives way (an exited one, most
	 * likely); its pending calls are forgotten, never misattributed. */
	struct lat_slot *s = &p->slot[h];
	memset(s, 0, sizeof(*s));
	s->tid = tid;
	return s;
}

/* Whether the return's payload with `lat` after it passes FILTER. */
static int lat_eval(struct flight_trigger *t, const unsigned char *payload, uint32_t size, uint64_t lat)
{
	if (size > t->lat_off)
		size = t->lat_off;
	unsigned char *b = t->pairs->buf;
	memset(b, 0, t->lat_off);
	memcpy(b, payload, size);
	memcpy(b + t->lat_off, &lat, sizeof(lat));
	return trec_filter_eval(&t->prog, b, t->lat_off + sizeof(lat));
}

static size_t lat_item_bytes(const struct lat_item *it)
{
	return sizeof(*it) + (it->size == LAT_ENTRY ? 0 : ((size_t)it->size + 7) / 8 * 8);
}

static int grow(unsigned char **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	unsigned char *n = realloc(*b, c);
	if (!n)
		return -ENOMEM;
	*b = n;
	*cap = c;
	return 0;
}

/* Queues an entry or a return (its payload cut to what FILTER reads). */
static int lat_queue(struct flight_trigger *t, const struct trec_rec *r)
{
	struct lat_pairs *p = t->pairs;
	uint32_t size = r->type == t->entry_type ? LAT_ENTRY : r->size < t->lat_off ? r->size : t->lat_off;
	struct lat_item it = { .ts = r->ts, .tid = r->tid, .size = size };
	size_t bytes = lat_item_bytes(&it);
	if (grow(&p->q, &p->qcap, p->qlen + bytes))
		return -ENOMEM;
	memcpy(p->q + p->qlen, &it, sizeof(it));
	if (size != LAT_ENTRY) {
		memset(p->q + p->qlen + sizeof(it), 0, bytes - sizeof(it));
		memcpy(p->q + p->qlen + sizeof(it), r + 1, size);
	}
	p->qlen += bytes;
	p->nq++;
	return 0;
}

/* A queued record, in time order: 1 if it is a return that fires. */
static int lat_pair(struct flight_trigger *t, const struct lat_item *it)
{
	struct lat_slot *s = lat_slot(t->pairs, it->tid);
	if (it->size == LAT_ENTRY) {
		if (s->n == LAT_DEPTH) { /* deeper than we follow: keep the innermost */
			memmove(s->entry, s->entry + 1, (LAT_DEPTH - 1) * sizeof(s->entry[0]));
			s->n--;
		}
		s->entry[s->n++] = it->ts;
		return 0;
	}
	if (!s->n)
		return 0; /* its entry came before the recording did */
	uint64_t lat = it->ts - s->entry[--s->n];
	return lat_eval(t, (const unsigned char *)(it + 1), it->size, lat);
}

static int ref_cmp(const void *a, const void *b)
{
	const struct lat_ref *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

int flight_trigger_settle(struct flight_trigger *t, uint64_t before_ns, flight_fire_fn fire, void *ctx)
{
	struct lat_pairs *p = t->pairs;
	if (!p || !p->nq)
		return 0;
	if (p->qlen > LAT_QUEUE_MAX)
		before_ns = UINT64_MAX; /* a flood: bounded memory over exact order */
	if (p->nq > p->refcap) {
		size_t c = p->nq * 2;
		struct lat_ref *n = realloc(p->ref, c * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->ref = n;
		p->refcap = c;
	}
	size_t n = 0, keep_bytes = 0;
	int sorted = 1;
	for (size_t off = 0; off < p->qlen;) {
		const struct lat_item *it = (const void *)(p->q + off);
		size_t bytes = lat_item_bytes(it);
		if (it->ts < before_ns) {
			sorted &= !n || p->ref[n - 1].ts <= it->ts;
			p->ref[n++] = (struct lat_ref){ .ts = it->ts, .off = off };
		} else {
			keep_bytes += bytes;
		}
		off += bytes;
	}
	if (!sorted)
		qsort(p->ref, n, sizeof(*p->ref), ref_cmp);
	int fired = 0;
	for (size_t i = 0; i < n; i++)
		if (lat_pair(t, (const void *)(p->q + p->ref[i].off))) {
			fire(ctx, ((const struct lat_item *)(const void *)(p->q + p->ref[i].off))->ts);
			fired++;
		}
	/* What is not settled yet stays, in arrival order. */
	if (grow(&p->q2, &p->q2cap, keep_bytes))
		return -ENOMEM;
	size_t at = 0;
	for (size_t off = 0; off < p->qlen;) {
		const struct lat_item *it = (const void *)(p->q + off);
		size_t bytes = lat_item_bytes(it);
		if (it->ts >= before_ns) {
			memcpy(p->q2 + at, it, bytes);
			at += bytes;
		}
		off += bytes;
	}
	unsigned char *q = p->q;
	size_t qcap = p->qcap;
	p->q = p->q2;
	p->qcap = p->q2cap;
	p->q2 = q;
	p->q2cap = qcap;
	p->qlen = at;
	p->nq -= n;
	return fired;
}

/* The entry probe of return probe `ret`: the same function in the same
 * file, recorded as a uprobe (kprobe for a kretprobe). */
static const struct probe_event *entry_of(const struct probe_set *ps, const struct probe_event *ret)
{
	int want = ret->kind == PROBE_URETPROBE ? PROBE_UPROBE : ret->kind == PROBE_KRETPROBE ? PROBE_KPROBE : 0;
	for (size_t i = 0; want && ps && i < ps->n; i++) {
		const struct probe_event *e = &ps->ev[i];
		if (e->kind == want && !strcmp(e->func ? e->func : "", ret->func ? ret->func : "") &&
		    !strcmp(e->path ? e->path : "", ret->path ? ret->path : ""))
			return e;
	}
	return NULL;
}

/* Whether expr names the field `latency` (outside quotes). */
static int names_latency(const char *expr)
{
	for (const char *p = expr; (p = strstr(p, "latency")); p += 7) {
		int before = p == expr || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		int after = !(isalnum((unsigned char)p[7]) || p[7] == '_');
		if (before && after)
			return 1;
	}
	return 0;
}

/* FILTER with `latency` on return probe e: compiled against e's fields
 * plus an 8-byte `latency` after its fixed part. */
static int compile_latency(struct flight_trigger *t, const char *spec, const char *expr,
			   const struct probe_set *probes, const struct probe_event *e, struct trec_err *err)
{
	const struct probe_event *entry = entry_of(probes, e);
	if (!entry)
		return trec_errf(err, -EINVAL,
				 "--snapshot-on '%s': latency needs the function's entry probe recorded too: "
				 "add -e %s:%s%s%s", spec, e->kind == PROBE_URETPROBE ? "u" : "k",
				 e->path ? e->path : "", e->path ? ":" : "", e->func ? e->func : "");
	const struct trec_schema *s = &e->schema;
	uint32_t off = (s->fixed_size + 7u) & ~7u;
	for (uint32_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, "latency") || s->fields[i].offset + s->fields[i].elem_size *
								    s->fields[i].count > off)
			return trec_errf(err, -EINVAL, "--snapshot-on '%s': this probe's fields leave no room "
						       "for latency", spec);
	if (off + 8 > TREC_FILTER_REC_MAX)
		return trec_errf(err, -EINVAL, "--snapshot-on '%s': the record is too large for latency", spec);
	struct trec_field *f = calloc(s->nfields + 1, sizeof(*f));
	t->pairs = calloc(1, sizeof(*t->pairs));
	if (!f || !t->pairs) {
		free(f);
		return trec_errf(err, -ENOMEM, "out of memory");
	}
	memcpy(f, s->fields, s->nfields * sizeof(*f));
	f[s->nfields] = (struct trec_field){ .name = "latency", .ctype = "u64", .kind = TREC_F_UINT,
					     .offset = off, .elem_size = 8, .count = 1 };
	struct trec_schema xs = *s;
	xs.fields = f;
	xs.nfields = s->nfields + 1;
	xs.fixed_size = off + 8;
	struct trec_err fe = { 0 };
	int r = trec_filter_compile(expr, &xs, &t->prog, &fe);
	free(f);
	if (r)
		return trec_errf(err, r, "--snapshot-on '%s': %s", spec, fe.msg);
	t->entry_type = entry->schema.id;
	t->lat_off = off;
	return 0;
}

void flight_trigger_free(struct flight_trigger *t)
{
	if (t->pairs) {
		free(t->pairs->q);
		free(t->pairs->q2);
		free(t->pairs->ref);
	}
	free(t->pairs);
	t->pairs = NULL;
}

int flight_trigger_compile(struct flight_trigger *t, const char *spec, const struct plan *plan,
			   const struct probe_set *probes, struct trec_err *err)
{
	memset(t, 0, sizeof(*t));
	size_t best = 0;
	const struct trec_schema *s = NULL;
	const struct probe_event *pev = NULL;
	for (size_t i = 0; plan && i < plan->n; i++)
		if (match_name(spec, plan->ev[i].full, &best))
			s = &plan->ev[i].schema;
	for (size_t i = 0; probes && i < probes->n; i++)
		if (match_name(spec, probes->ev[i].schema.name, &best)) {
			s = &probes->ev[i].schema;
			pev = &probes->ev[i];
		}
	/* Not a full name: a probe as typed, the longest prefix (up to a ':')
	 * that names one. */
	for (size_t len = strlen(spec); !s && probes && len > 0; len--) {
		if (spec[len] != 0 && spec[len] != ':')
			continue;
		char text[1024];
		if (len >= sizeof(text))
			continue;
		memcpy(text, spec, len);
		text[len] = 0;
		const struct probe_event *e = match_probe(probes, text);
		if (e) {
			s = &e->schema;
			pev = e;
			best = len;
		}
	}
	if (!s)
		return trec_errf(err, -EINVAL, "--snapshot-on '%s': the event is not one this recording records "
					       "(give it with -e too)", spec);
	t->type = s->id;
	snprintf(t->event, sizeof(t->event), "%.*s", (int)best, spec);
	const char *expr = spec[best] == ':' ? spec + best + 1 : "";
	if (!*expr)
		return 0;
	if (pev && (pev->kind == PROBE_URETPROBE || pev->kind == PROBE_KRETPROBE) && names_latency(expr))
		return compile_latency(t, spec, expr, probes, pev, err);
	struct trec_err fe = { 0 };
	int e = trec_filter_compile(expr, s, &t->prog, &fe);
	if (e)
		return trec_errf(err, e, "--snapshot-on '%s': %s", spec, fe.msg);
	return 0;
}

int flight_trigger_match(struct flight_trigger *t, const void *rec, size_t size, uint64_t *when)
{
	const struct trec_rec *r = rec;
	if (!t->type || size < sizeof(*r) || r->size > size - sizeof(*r))
		return 0;
	if (t->entry_type && (r->type == t->type || r->type == t->entry_type))
		return lat_queue(t, r) < 0 ? -ENOMEM : 0;
	if (r->type != t->type || !trec_filter_eval(&t->prog, (const unsigned char *)(r + 1), r->size))
		return 0;
	*when = r->ts;
	return 1;
}
