/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ktab.h"
#include "latency.h"
#include "syscall_names.h"

enum lkind { LK_SYSCALLS, LK_RUNQ, LK_BLOCK, LK_UPROBE, LK_PAIR, LK_FIELD };
enum role { R_NONE, R_START, R_END, R_VALUE };

/* Deepest nesting kept per key; deeper starts are counted and dropped. */
#define MAX_DEPTH 256

struct pnode {
	uint64_t ts;
	uint32_t name;  /* name id */
	uint32_t pid, tid;
	uint32_t comm;  /* name id + 1, 0 = unknown */
	uint32_t next;  /* node index + 1 below this one, 0 = none */
};

/* Open starts: key -> the latest node (a stack through next). */
struct pslot {
	uint64_t k1, k2;
	uint32_t top;   /* node index + 1; 0 = free slot */
	uint32_t depth;
};

struct rowkey {
	uint32_t host, a, b, name;
};

struct rowinfo {
	uint32_t comm; /* name id + 1 */
	uint32_t pid;
};

struct tinfo {
	uint8_t role;
	uint32_t name;                   /* fixed name id (not for raw syscalls) */
	const struct trec_field *id;     /* raw syscalls: the number */
	const struct trec_field *k1, *k2; /* key fields; NULL: the thread */
	const struct trec_field *comm;   /* runq: next_comm */
};

struct latency {
	struct latency_opts o;
	enum lkind kind;
	char a[256], b[256], field[128];
	int found;
	struct ktab names;
	struct ktab rows;
	struct hist *h;
	struct rowinfo *ri;
	uint32_t rcap;
	struct pslot *slot;
	uint32_t mask, nslots_used;
	struct pnode *node;
	uint32_t nnodes, ncap, free_head; /* free list through next */
	uint64_t unmatched_start, unmatched_end, deep;
	/* The file being read: its types' roles, names, host id + 1. */
	struct tinfo *ti;
	struct namer *nm;
	uint32_t host;
	int nest; /* each end closes the latest start of its key */
};

static int lat_usage(struct trec_err *err, const char *spec)
{
	return trec_errf(err, -EINVAL, "--latency %s: expected syscalls, runq, block, u:PATH:FUNC, or "
				       "'START,END[,key=FIELD]' (two event names)", spec);
}

int latency_new(struct latency **out, const struct latency_opts *o, struct trec_err *err)
{
	struct latency *l = calloc(1, sizeof(*l));
	*out = l;
	if (!l)
		return trec_errf(err, -ENOMEM, "out of memory");
	l->o = *o;
	ktab_init(&l->names);
	ktab_init(&l->rows);
	const char *s = o->spec;
	if (o->field_spec) {
		const char *colon = strrchr(o->field_spec, ':');
		size_t la = colon ? (size_t)(colon - o->field_spec) : 0;
		if (!colon || !la || !colon[1] || la >= sizeof(l->a) || strlen(colon + 1) >= sizeof(l->field))
			return trec_errf(err, -EINVAL, "--hist %s: expected EVENT:FIELD (e.g. syscalls:sys_exit_read:ret)",
					 o->field_spec);
		l->kind = LK_FIELD;
		memcpy(l->a, o->field_spec, la);
		snprintf(l->field, sizeof(l->field), "%s", colon + 1);
		return 0;
	}
	if (!strcmp(s, "syscalls")) {
		l->kind = LK_SYSCALLS;
	} else if (!strcmp(s, "runq")) {
		l->kind = LK_RUNQ;
	} else if (!strcmp(s, "block")) {
		l->kind = LK_BLOCK;
	} else if (!strncmp(s, "u:", 2) || !strncmp(s, "uprobe:", 7)) {
		/* u:PATH:FUNC: the path may hold colons only in theory; FUNC is
		 * after the last one. */
		const char *rest = strchr(s, ':') + 1, *colon = strrchr(rest, ':');
		if (!colon || colon == rest || !colon[1] || (size_t)(colon - rest) >= sizeof(l->a) ||
		    strlen(colon + 1) >= sizeof(l->b))
			return trec_errf(err, -EINVAL, "--latency %s: expected u:PATH:FUNC (e.g. u:libc:malloc)", s);
		l->kind = LK_UPROBE;
		memcpy(l->a, rest, (size_t)(colon - rest));
		snprintf(l->b, sizeof(l->b), "%s", colon + 1);
	} else if (strchr(s, ',')) {
		l->kind = LK_PAIR;
		const char *c1 = strchr(s, ','), *c2 = strchr(c1 + 1, ',');
		size_t la = (size_t)(c1 - s), lb = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
		if (!la || !lb || la >= sizeof(l->a) || lb >= sizeof(l->b))
			return lat_usage(err, s);
		memcpy(l->a, s, la);
		memcpy(l->b, c1 + 1, lb);
		if (c2) {
			if (strncmp(c2 + 1, "key=", 4) || !c2[5] || strlen(c2 + 5) >= sizeof(l->field))
				return trec_errf(err, -EINVAL, "--latency %s: the third part should be key=FIELD", s);
			if (strcmp(c2 + 5, "tid"))
				snprintf(l->field, sizeof(l->field), "%s", c2 + 5);
		}
	} else {
		return lat_usage(err, s);
	}
	return 0;
}

void latency_free(struct latency *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->rows.n; i++)
		hist_free(&l->h[i]);
	free(l->h);
	free(l->ri);
	free(l->slot);
	free(l->node);
	ktab_free(&l->names);
	ktab_free(&l->rows);
	free(l->ti);
	free(l->nm);
	free(l);
}

static int name_id(struct latency *l, const char *s, size_t n, uint32_t *id)
{
	return ktab_get(&l->names, s, (uint32_t)n, id) < 0 ? -ENOMEM : 0;
}

/* The histogram of a row, created when new. */
static struct hist *row_hist(struct latency *l, const struct rowkey *k, uint32_t comm, uint32_t pid)
{
	uint32_t id;
	int rc = ktab_get(&l->rows, k, sizeof(*k), &id);
	if (rc < 0)
		return NULL;
	if (id >= l->rcap) {
		uint32_t c = l->rcap ? l->rcap * 2 : 64;
		struct hist *h = realloc(l->h, (size_t)c * sizeof(*h));
		if (!h)
			return NULL;
		l->h = h;
		struct rowinfo *ri = realloc(l->ri, (size_t)c * sizeof(*ri));
		if (!ri)
			return NULL;
		l->ri = ri;
		l->rcap = c;
	}
	if (rc == 1) {
		hist_init(&l->h[id], l->o.linear_step);
		l->ri[id] = (struct rowinfo){ .comm = comm, .pid = pid };
	} else if (comm) {
		l->ri[id].comm = comm; /* the latest name: what the thread exec'd into */
	}
	return &l->h[id];
}

/* ---- open starts ------------------------------------------------------------------------- */

static uint32_t slot_of(const struct latency *l, uint64_t k1, uint64_t k2)
{
	uint64_t kk[2] = { k1, k2 };
	return (uint32_t)ktab_hash(kk, sizeof(kk)) & l->mask;
}

static int pending_grow(struct latency *l)
{
	uint32_t n = l->slot ? (l->mask + 1) * 2 : 1024;
	struct pslot *s = calloc(n, sizeof(*s)), *old = l->slot;
	if (!s)
		return -ENOMEM;
	uint32_t oldn = old ? l->mask + 1 : 0;
	l->slot = s;
	l->mask = n - 1;
	for (uint32_t i = 0; i < oldn; i++) {
		if (!old[i].top)
			continue;
		uint32_t k = slot_of(l, old[i].k1, old[i].k2);
		while (s[k].top)
			k = (k + 1) & l->mask;
		s[k] = old[i];
	}
	free(old);
	return 0;
}

/* The slot of a key; with `create`, claimed when missing. NULL: none / no memory. */
static struct pslot *pending(struct latency *l, uint64_t k1, uint64_t k2, int create)
{
	if (create && (!l->slot || (uint64_t)(l->nslots_used + 1) * 2 > (uint64_t)l->mask + 1) &&
	    pending_grow(l))
		return NULL;
	if (!l->slot)
		return NULL;
	uint32_t i = slot_of(l, k1, k2);
	for (; l->slot[i].top; i = (i + 1) & l->mask)
		if (l->slot[i].k1 == k1 && l->slot[i].k2 == k2)
			return &l->slot[i];
	if (!create)
		return NULL;
	l->slot[i].k1 = k1;
	l->slot[i].k2 = k2;
	l->nslots_used++;
	return &l->slot[i];
}

/* Removes an emptied slot, re-placing the run after it (linear probing). */
static void slot_remove(struct latency *l, struct pslot *s)
{
	uint32_t i = (uint32_t)(s - l->slot);
	l->slot[i].top = 0;
	l->nslots_used--;
	for (uint32_t j = (i + 1) & l->mask; l->slot[j].top; j = (j + 1) & l->mask) {
		struct pslot moved = l->slot[j];
		l->slot[j].top = 0;
		uint32_t k = slot_of(l, moved.k1, moved.k2);
		while (l->slot[k].top)
			k = (k + 1) & l->mask;
		l->slot[k] = moved;
	}
}

static uint32_t node_new(struct latency *l)
{
	if (l->free_head) {
		uint32_t n = l->free_head;
		l->free_head = l->node[n - 1].next;
		return n;
	}
	if (l->nnodes == l->ncap) {
		uint32_t c = l->ncap ? l->ncap * 2 : 1024;
		struct pnode *p = realloc(l->node, (size_t)c * sizeof(*p));
		if (!p)
			return 0;
		l->node = p;
		l->ncap = c;
	}
	return ++l->nnodes;
}

static int push(struct latency *l, uint64_t k1, uint64_t k2, const struct pnode *n, int nest)
{
	struct pslot *s = pending(l, k1, k2, 1);
	if (!s)
		return -ENOMEM;
	if (s->top && !nest) {
		/* Does not nest (a syscall): the open start lost its end. */
		l->unmatched_start++;
		l->node[s->top - 1] = (struct pnode){ .ts = n->ts, .name = n->name, .pid = n->pid,
						      .tid = n->tid, .comm = n->comm };
		return 0;
	}
	if (s->depth >= MAX_DEPTH) {
		l->deep++;
		return 0;
	}
	uint32_t id = node_new(l);
	if (!id)
		return -ENOMEM;
	l->node[id - 1] = *n;
	l->node[id - 1].next = s->top;
	s->top = id;
	s->depth++;
	return 0;
}

/* Pops the latest start of a key into *n; 0 when there is none. */
static int pop(struct latency *l, uint64_t k1, uint64_t k2, struct pnode *n)
{
	struct pslot *s = pending(l, k1, k2, 0);
	if (!s)
		return 0;
	uint32_t id = s->top;
	*n = l->node[id - 1];
	s->top = n->next;
	s->depth--;
	l->node[id - 1].next = l->free_head;
	l->free_head = id;
	if (!s->top)
		slot_remove(l, s);
	return 1;
}

/* Starts left open at the end of a file: counted, then forgotten. */
static void pending_reset(struct latency *l)
{
	for (uint32_t i = 0; l->slot && i <= l->mask; i++)
		l->unmatched_start += l->slot[i].top ? l->slot[i].depth : 0;
	free(l->slot);
	l->slot = NULL;
	l->mask = 0;
	l->nslots_used = 0;
	l->nnodes = 0;
	l->free_head = 0;
}

/* ---- roles per file ------------------------------------------------------------------------ */

/* Whether `path` (as the trace spells it) is what the user named: the same
 * path, its file name, or a library name ("libc" for libc.so.6). */
static int path_matches(const char *want, const char *have)
{
	if (!strcmp(want, have))
		return 1;
	const char *base = strrchr(have, '/');
	base = base ? base + 1 : have;
	if (!strcmp(want, base))
		return 1;
	size_t n = strlen(want);
	return !strchr(want, '/') && !strncmp(base, want, n) && (base[n] == '.' || base[n] == '-');
}

static int field_key(const struct trec_schema *sc, const char *name, const struct trec_field **out)
{
	const struct trec_field *f = trec_schema_field(sc, name);
	if (!f || (f->kind != TREC_F_INT && f->kind != TREC_F_UINT && f->kind != TREC_F_HEX))
		return -1;
	*out = f;
	return 0;
}

static int classify(struct latency *l, const struct trec_schema *sc, struct tinfo *t)
{
	const char *n = sc->name;
	switch (l->kind) {
	case LK_SYSCALLS:
		if (!strcmp(n, "raw_syscalls:sys_enter") || !strcmp(n, "raw_syscalls:sys_exit")) {
			if (field_key(sc, "id", &t->id))
				return 0;
			t->role = n[17] == 'e' && n[18] == 'n' ? R_START : R_END;
		} else if (!strncmp(n, "syscalls:sys_enter_", 19)) {
			t->role = R_START;
			return name_id(l, n + 19, strlen(n + 19), &t->name);
		} else if (!strncmp(n, "syscalls:sys_exit_", 18)) {
			t->role = R_END;
			return name_id(l, n + 18, strlen(n + 18), &t->name);
		}
		return 0;
	case LK_RUNQ:
		if (!strcmp(n, "sched:sched_wakeup") || !strcmp(n, "sched:sched_wakeup_new")) {
			if (field_key(sc, "pid", &t->k1))
				return 0;
			t->role = R_START;
		} else if (!strcmp(n, "sched:sched_switch")) {
			if (field_key(sc, "next_pid", &t->k1))
				return 0;
			t->comm = trec_schema_field(sc, "next_comm");
			t->role = R_END;
		} else {
			return 0;
		}
		return name_id(l, "runq", 4, &t->name);
	case LK_BLOCK:
		if (strcmp(n, "block:block_rq_issue") && strcmp(n, "block:block_rq_complete"))
			return 0;
		if (field_key(sc, "dev", &t->k1) || field_key(sc, "sector", &t->k2))
			return 0;
		t->role = n[14] == 'i' ? R_START : R_END;
		return name_id(l, "block", 5, &t->name);
	case LK_UPROBE: {
		int ret = !strncmp(n, "uretprobe:", 10);
		if (!ret && strncmp(n, "uprobe:", 7))
			return 0;
		const char *rest = n + (ret ? 10 : 7), *colon = strrchr(rest, ':');
		char path[4096];
		if (!colon || (size_t)(colon - rest) >= sizeof(path))
			return 0;
		memcpy(path, rest, (size_t)(colon - rest));
		path[colon - rest] = 0;
		if (!path_matches(l->a, path) || fnmatch(l->b, colon + 1, 0))
			return 0;
		t->role = ret ? R_END : R_START;
		return name_id(l, colon + 1, strlen(colon + 1), &t->name);
	}
	case LK_FIELD:
		if (fnmatch(l->a, n, 0))
			return 0;
		t->k1 = trec_schema_field(sc, l->field);
		if (!t->k1 || (t->k1->kind != TREC_F_INT && t->k1->kind != TREC_F_UINT && t->k1->kind != TREC_F_HEX))
			return 0;
		t->role = R_VALUE;
		return name_id(l, l->o.field_spec, strlen(l->o.field_spec), &t->name);
	case LK_PAIR: {
		int a = !fnmatch(l->a, n, 0), b = !fnmatch(l->b, n, 0);
		if (!a && !b)
			return 0;
		if (l->field[0] && field_key(sc, l->field, &t->k1))
			return 0;
		t->role = a ? R_START : R_END; /* both: it starts (A,A makes no pairs) */
		char label[520];
		snprintf(label, sizeof(label), "%s -> %s", l->a, l->b);
		return name_id(l, label, strlen(label), &t->name);
	}
	}
	return 0;
}

static int get_key(const struct tinfo *t, const struct trec_event *ev, int swap, uint64_t *k1, uint64_t *k2)
{
	*k1 = ev->tid;
	*k2 = 0;
	if (t->k1 && trec_field_get_u64(t->k1, ev->data, ev->size, 0, swap, k1) < 0)
		return -1;
	if (t->k2 && trec_field_get_u64(t->k2, ev->data, ev->size, 0, swap, k2) < 0)
		return -1;
	return 0;
}

/* Per file: what the hot loop would otherwise hash again for every event. */
#define NR_CACHE 1024
struct namer {
	const char *machine;
	struct comm_cache cc;     /* (pid, tid, ts) -> comm */
	const char *comm;         /* the last comm named, and its id + 1 */
	uint32_t comm_id;
	uint32_t nr_id[NR_CACHE]; /* syscall number -> name id + 1 */
};

/* Name id of a raw syscall event's number. */
static int syscall_name_id(struct latency *l, struct namer *nm, int64_t nr, uint32_t *id)
{
	if (nr >= 0 && nr < NR_CACHE && nm->nr_id[nr]) {
		*id = nm->nr_id[nr] - 1;
		return 0;
	}
	const char *name = syscall_name(nm->machine, nr);
	char buf[32];
	if (!name) {
		snprintf(buf, sizeof(buf), "syscall_%lld", (long long)nr);
		name = buf;
	}
	if (name_id(l, name, strlen(name), id))
		return -ENOMEM;
	if (nr >= 0 && nr < NR_CACHE)
		nm->nr_id[nr] = *id + 1;
	return 0;
}

/* A start (or a value) of this event: its time, name and group. */
static int event_node(struct latency *l, struct namer *nm, struct rfile *f, const struct trec_event *ev,
		      uint32_t name, struct pnode *n)
{
	*n = (struct pnode){ .ts = ev->ts, .name = name, .pid = ev->pid, .tid = ev->tid };
	const char *comm = comm_table_lookup_cached(&f->ct, &nm->cc, ev->pid, ev->tid, ev->ts);
	if (!comm)
		return 0;
	if (comm != nm->comm) { /* the table's strings: equal pointers, same name */
		uint32_t cid;
		if (name_id(l, comm, strlen(comm), &cid))
			return -ENOMEM;
		nm->comm = comm;
		nm->comm_id = cid + 1;
	}
	n->comm = nm->comm_id;
	return 0;
}

/* Adds a value to the row of the group `s` belongs to. */
static int add_value(struct latency *l, const struct pnode *s, uint32_t host, uint32_t cpu, int64_t v)
{
	struct rowkey rk = { .host = host, .name = s->name };
	switch (l->o.by) {
	case BY_PID:
		rk.a = s->pid;
		break;
	case BY_TID:
		rk.a = s->tid;
		rk.b = s->pid;
		break;
	case BY_COMM:
		rk.a = s->comm;
		rk.host = 0;
		break;
	case BY_CPU:
		rk.a = cpu;
		break;
	default:
		rk.host = 0;
		break;
	}
	struct hist *h = row_hist(l, &rk, s->comm, s->pid);
	if (!h)
		return -ENOMEM;
	hist_add(h, v);
	return 0;
}

/* ---- the pass: one file's events paired ------------------------------------------------------ */

static void file_state_free(struct latency *l)
{
	free(l->ti);
	free(l->nm);
	l->ti = NULL;
	l->nm = NULL;
}

static int lat_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct latency *l = ctx;
	file_state_free(l);
	l->nm = calloc(1, sizeof(*l->nm));
	l->ti = calloc(f->ntypes ? f->ntypes : 1, sizeof(*l->ti));
	l->host = 0;
	if (!l->ti || !l->nm)
		goto oom;
	l->nm->machine = rfile_meta_str(f, "machine");
	if (l->o.multi_host) {
		uint32_t hid;
		if (name_id(l, f->host, strlen(f->host), &hid))
			goto oom;
		l->host = hid + 1;
	}
	int have_start = 0, have_end = 0;
	for (uint32_t t = 0; t < f->ntypes; t++) {
		if (!f->by_id[t] || !evfilter_type_ok(&f->f, t))
			continue;
		if (classify(l, f->by_id[t], &l->ti[t]))
			goto oom;
		have_start |= l->ti[t].role == R_START;
		have_end |= l->ti[t].role == R_END;
	}
	int have_value = 0;
	for (uint32_t t = 0; t < f->ntypes; t++)
		have_value |= l->ti[t].role == R_VALUE;
	if (have_value)
		have_start = have_end = 1;
	if (!have_start || !have_end) {
		file_state_free(l);
		return 0; /* nothing to pair here; the caller says so when no file had any */
	}
	l->found = 1;
	l->nest = l->kind == LK_UPROBE || (l->kind == LK_PAIR && !l->field[0]);
	/* Payloads of events that play no part are not decoded. */
	for (uint32_t t = 0; t < f->ntypes; t++) {
		const struct tinfo *ti = &l->ti[t];
		need[t] |= ti->role && (ti->role == R_VALUE || ti->id || ti->k1 || ti->k2 || ti->comm);
	}
	/* Values need no order; pairs do. */
	*ordered = l->kind != LK_FIELD;
	return 1;
oom:
	file_state_free(l);
	return trec_errf(err, -ENOMEM, "out of memory pairing events of %s", f->path);
}

static int lat_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	struct latency *l = ctx;
	if (ev->type >= f->ntypes || !l->ti[ev->type].role)
		return 0;
	const struct tinfo *t = &l->ti[ev->type];
	struct namer *nm = l->nm;
	uint64_t k1, k2;
	if (t->role == R_VALUE) {
		int64_t v;
		if (trec_field_get_i64(t->k1, ev->data, ev->size, 0, f->swap, &v) < 0)
			return 0;
		struct pnode n;
		if (event_node(l, nm, f, ev, t->name, &n) || add_value(l, &n, l->host, ev->cpu, v))
			goto oom;
		return 0;
	}
	if (get_key(t, ev, f->swap, &k1, &k2))
		return 0;
	uint32_t name = t->name;
	if (t->id) {
		int64_t nr;
		if (trec_field_get_i64(t->id, ev->data, ev->size, 0, f->swap, &nr) < 0 ||
		    syscall_name_id(l, nm, nr, &name))
			return 0;
	}
	if (t->role == R_START) {
		struct pnode n;
		if (event_node(l, nm, f, ev, name, &n) || push(l, k1, k2, &n, l->nest))
			goto oom;
		return 0;
	}
	struct pnode s;
	if (!pop(l, k1, k2, &s)) {
		l->unmatched_end++;
		return 0;
	}
	if (s.name != name && l->kind == LK_SYSCALLS) {
		/* An exit of another call: the enter we hold lost its exit. */
		l->unmatched_start++;
		l->unmatched_end++;
		return 0;
	}
	if (l->kind == LK_RUNQ) {
		/* Grouped by the thread that waited. */
		s.pid = s.tid = (uint32_t)k1;
		s.comm = 0;
		const char *c;
		uint32_t clen, cid;
		if (t->comm && trec_field_get_str(t->comm, ev->data, ev->size, f->swap, &c, &clen) == 0 && clen) {
			if (name_id(l, c, clen, &cid))
				goto oom;
			s.comm = cid + 1;
		}
	}
	if (add_value(l, &s, l->host, ev->cpu, (int64_t)((ev->ts - s.ts) / l->o.unit_ns)))
		goto oom;
	return 0;
oom:
	return trec_errf(err, -ENOMEM, "out of memory pairing events of %s", f->path);
}

PASS_DEFINE_RUN(lat_run, lat_event)

static int lat_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	struct latency *l = ctx;
	(void)f;
	(void)err;
	file_state_free(l);
	pending_reset(l);
	return 0;
}

struct pass_sink latency_sink(struct latency *l)
{
	return (struct pass_sink){ .ctx = l, .begin = lat_begin, .event = lat_event, .run = lat_run, .end = lat_end };
}

int latency_found(const struct latency *l)
{
	return l->found;
}

void latency_unmatched(const struct latency *l, uint64_t *starts, uint64_t *ends, uint64_t *deep)
{
	*starts = l->unmatched_start;
	*ends = l->unmatched_end;
	*deep = l->deep;
}

/* Hidden column: the row's id, so rows map back to histograms after sorting. */
#define ROW_COL "row"

int latency_table(struct latency *l, struct table *t)
{
	int by = l->o.by;
	int c_host = l->o.multi_host && by >= 0 && by != BY_COMM && by != BY_EVENT ? table_col(t, "host", TABLE_STR, 0) : -1;
	int c_key = -1, c_pid = -1, c_comm = -1;
	if (by == BY_PID) {
		c_key = table_col(t, "pid", TABLE_U64, 0);
		c_comm = table_col(t, "comm", TABLE_STR, 0);
	} else if (by == BY_TID) {
		c_key = table_col(t, "tid", TABLE_U64, 0);
		c_pid = table_col(t, "pid", TABLE_U64, 0);
		c_comm = table_col(t, "comm", TABLE_STR, 0);
	} else if (by == BY_COMM) {
		c_comm = table_col(t, "comm", TABLE_STR, 0);
	} else if (by == BY_CPU) {
		c_key = table_col(t, "cpu", TABLE_U64, 0);
	}
	int c_name = table_col(t, "name", TABLE_STR, 0);
	/* Short names, so the text fits 80 columns: the unit is said once
	 * (above the table, and as "unit" in JSON). */
	int c_count = table_col(t, "count", TABLE_U64, 0);
	int c_mean = table_col(t, "mean", TABLE_F64, 1);
	int c_p50 = table_col(t, "p50", TABLE_U64, 0);
	int c_p90 = table_col(t, "p90", TABLE_U64, 0);
	int c_p99 = table_col(t, "p99", TABLE_U64, 0);
	int c_max = table_col(t, "max", TABLE_U64, 0);
	int c_total = table_col(t, "total", TABLE_U64, 0);
	int c_row = table_col(t, ROW_COL, TABLE_U64, 0);
	table_hide(t, c_row);
	for (uint32_t i = 0; i < l->rows.n; i++) {
		const struct rowkey *k = (const void *)l->rows.e[i].key;
		const struct hist *h = &l->h[i];
		size_t r = table_row(t);
		if (c_host >= 0)
			table_set_str(t, r, (size_t)c_host, k->host ? l->names.e[k->host - 1].key : "");
		if (c_key >= 0)
			table_set_u64(t, r, (size_t)c_key, k->a);
		if (c_pid >= 0)
			table_set_u64(t, r, (size_t)c_pid, l->ri[i].pid);
		if (c_comm >= 0) {
			uint32_t cid = by == BY_COMM ? k->a : l->ri[i].comm;
			table_set_str(t, r, (size_t)c_comm, cid ? l->names.e[cid - 1].key : "[unknown]");
		}
		table_set_str(t, r, (size_t)c_name, l->names.e[k->name].key);
		table_set_u64(t, r, (size_t)c_count, h->count);
		table_set_f64(t, r, (size_t)c_mean, hist_mean(h));
		table_set_u64(t, r, (size_t)c_p50, (uint64_t)hist_percentile(h, 50));
		table_set_u64(t, r, (size_t)c_p90, (uint64_t)hist_percentile(h, 90));
		table_set_u64(t, r, (size_t)c_p99, (uint64_t)hist_percentile(h, 99));
		table_set_u64(t, r, (size_t)c_max, (uint64_t)(h->max > 0 ? h->max : 0));
		table_set_u64(t, r, (size_t)c_total, (uint64_t)(h->sum > 0 ? h->sum : 0));
		table_set_u64(t, r, (size_t)c_row, i);
	}
	int cols[3] = { c_total, c_name, c_key >= 0 ? c_key : c_name }, asc[3] = { 0, 0, 1 };
	table_sort(t, cols, asc, 3);
	return t->oom ? -ENOMEM : 0;
}

static size_t row_col(const struct table *t)
{
	return t->ncols - 1; /* ROW_COL is added last */
}

const struct hist *latency_row_hist(struct latency *l, const struct table *t, size_t row)
{
	if (row >= t->nrows)
		return NULL;
	uint64_t id = t->cells[row * t->ncols + row_col(t)].u;
	return id < l->rows.n ? &l->h[id] : NULL;
}

void latency_row_label(const struct latency *l, const struct table *t, size_t row, char *buf, size_t len)
{
	uint64_t id = t->cells[row * t->ncols + row_col(t)].u;
	if (id >= l->rows.n) {
		snprintf(buf, len, "?");
		return;
	}
	const struct rowkey *k = (const void *)l->rows.e[id].key;
	const char *name = l->names.e[k->name].key;
	const char *comm = l->ri[id].comm ? l->names.e[l->ri[id].comm - 1].key : "[unknown]";
	const char *host = k->host ? l->names.e[k->host - 1].key : NULL;
	char hb[300] = "";
	if (host)
		snprintf(hb, sizeof(hb), "%s ", host);
	switch (l->o.by) {
	case BY_PID:
		snprintf(buf, len, "%s%s pid %u: %s", hb, comm, k->a, name);
		break;
	case BY_TID:
		snprintf(buf, len, "%s%s pid %u tid %u: %s", hb, comm, k->b, k->a, name);
		break;
	case BY_COMM:
		snprintf(buf, len, "%s: %s", k->a ? l->names.e[k->a - 1].key : "[unknown]", name);
		break;
	case BY_CPU:
		snprintf(buf, len, "%scpu %u: %s", hb, k->a, name);
		break;
	default:
		snprintf(buf, len, "%s", name);
	}
}
