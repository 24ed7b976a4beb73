/* SPDX-License-Identifier: MIT */
/*
 * The interactive report's model (browse.h): the pass that aggregates a
 * trace's stacks, naming them into rows, the views, the filters and the
 * function list. The call trees and the lines are in browse_tree.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "browse_impl.h"
#include "buf.h"
#include "evfilter.h"
#include "reader.h"

#define CPU_EVENT "cpu-clock"
#define OFFCPU_EVENT "offcpu"
#define OFFCPU_FIELD "delta_ns"

__attribute__((format(printf, 2, 3))) static void warn(struct browse *b, const char *fmt, ...)
{
	if (!b->o.warn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->o.warn(b->o.warn_ctx, msg);
}

static int oom(struct browse *b, const char *what)
{
	return trec_errf(b->err, -ENOMEM, "out of memory %s", what);
}

/* ---- the pass: events into aggregates ------------------------------------------------------- */

static void agg_free(struct browse *b)
{
	stack_agg_free(&b->agg);
}

static int bw_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct browse *b = ctx;
	(void)ordered; /* sums need no order */
	(void)err;
	if (f != b->file)
		return 0;
	for (uint32_t t = 0; t < b->ntypes && t < f->ntypes; t++)
		need[t] |= b->wfield[t] != NULL;
	return 1;
}

static inline __attribute__((always_inline)) int bw_one(struct browse *b, struct rfile *f,
							 const struct trec_event *ev, struct trec_err *err)
{
	if (ev->type >= b->ntypes)
		return 0;
	if (!ev->stack_id) {
		b->no_stack[ev->type]++;
		return 0;
	}
	uint64_t w = 1;
	if (b->wfield[ev->type] &&
	    trec_field_get_u64(b->wfield[ev->type], ev->data, ev->size, 0, b->swap, &w) < 0) {
		b->unreadable++;
		return 0;
	}
	struct stack_agg_key k;
	memset(&k, 0, sizeof(k));
	k.comm = comm_table_lookup_cached(&f->ct, &b->cc, ev->pid, ev->tid, ev->ts);
	k.type = ev->type;
	k.pid = ev->pid;
	k.tid = k.comm ? 0 : ev->tid;
	k.stack_id = ev->stack_id;
	k.gen = symbolizer_generation(b->sym, ev->pid, ev->ts);
	struct stack_agg *a = stack_agg_get(&b->agg, &k, ev->ts);
	if (!a)
		return trec_errf(err, -ENOMEM, "out of memory after %u distinct stacks", b->agg.n);
	a->weight += w;
	a->events++;
	return 0;
}

static int bw_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	return bw_one(ctx, f, ev, err);
}

static int bw_block(void *ctx, struct rfile *f, const struct trec_evblock *blk, struct trec_err *err)
{
	struct browse *b = ctx;
	struct trec_event ev;
	for (uint32_t i = 0; i < blk->n; i++) {
		trec_evblock_get(blk, i, &ev);
		if (!pass_keep(f, &ev))
			continue;
		int rc = bw_one(b, f, &ev, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int bw_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	(void)ctx;
	(void)f;
	(void)err;
	return 0;
}

/* ---- naming: aggregates into rows of function ids ---------------------------------------------- */

/* A frame's text with bytes that would break a line shown as '?'. */
static void put_clean(struct tbuf *t, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		tbuf_put_u8(t, ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
}

static int func_id(struct browse *b, const char *text, const char *dso, int kernel, struct tbuf *key,
		   uint32_t *id)
{
	tbuf_reset(key);
	tbuf_put_u8(key, kernel ? 'K' : 'U');
	put_clean(key, text);
	if (dso) {
		tbuf_put_u8(key, 0);
		put_clean(key, dso);
	}
	if (key->oom)
		return -ENOMEM;
	int rc = ktab_get(&b->funcs_tab, key->data, (uint32_t)key->len, id);
	if (rc <= 0)
		return rc;
	if (*id >= b->funcs_cap) {
		uint32_t cap = b->funcs_cap ? b->funcs_cap * 2 : 1024;
		struct bfunc *f = realloc(b->funcs, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		b->funcs = f;
		b->funcs_cap = cap;
	}
	const struct kent *e = &b->funcs_tab.e[*id];
	struct bfunc *f = &b->funcs[*id];
	f->name = e->key + 1;
	size_t tl = strlen(f->name);
	f->dso = 1 + tl < e->len ? e->key + 2 + tl : NULL; /* [KU] text NUL dso */
	f->kernel = kernel;
	return 0;
}

/* The sequence of function ids, leaf first, of an aggregate's stack as its
 * process saw it (cached per pid, generation and stack). */
static int name_stack(struct browse *b, const struct stack_agg *a, struct tbuf *key, uint32_t *seq)
{
	struct {
		uint32_t pid, gen, stack_id;
	} ck = { a->k.pid, a->k.gen, a->k.stack_id };
	uint32_t cid;
	int rc = ktab_get(&b->stack_cache, &ck, sizeof(ck), &cid);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		*seq = (uint32_t)b->stack_cache.e[cid].v[0];
		return 0;
	}
	const struct trec_stack *st = trec_reader_stack(b->r, a->k.stack_id);
	if (!st)
		b->missing_stacks += a->events; /* shown as [unknown]; warned about */
	size_t nk = st ? st->nkernel : 0, nu = st ? st->nuser : 1;
	if (nk + nu > b->ids_cap || !b->ids) {
		size_t cap = nk + nu ? nk + nu : 1;
		uint32_t *p = realloc(b->ids, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->ids = p;
		b->ids_cap = cap;
	}
	uint32_t *ids = b->ids, n = 0;
	char name[TREC_MAX_NAME + 32];
	for (size_t i = 0; i < nk + nu; i++) {
		int kernel = i < nk;
		if ((kernel && b->o.no_kernel) || (!kernel && b->o.no_user))
			continue;
		if (st && !st->ips[i])
			continue; /* a frame-pointer walk's end: not a frame */
		struct sym_result res = { 0 };
		if (st)
			symbolize_frame(b->sym, a->k.pid, a->ts, st->ips[i], kernel, sym_frame_is_return(i, nk), &res);
		if ((rc = func_id(b, sym_format(&res, name, sizeof(name)), res.dso, kernel, key, &ids[n])) < 0)
			return rc;
		n++;
	}
	uint32_t sid;
	rc = ktab_get(&b->seq_tab, ids, n * (uint32_t)sizeof(ids[0]), &sid);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (b->seq_len + n > b->seq_cap) {
			size_t cap = b->seq_cap ? b->seq_cap * 2 : 4096;
			while (cap < b->seq_len + n)
				cap *= 2;
			uint32_t *s = realloc(b->seq_ids, cap * sizeof(*s));
			if (!s)
				return -ENOMEM;
			b->seq_ids = s;
			b->seq_cap = cap;
		}
		/* seq ids are dense: sid is the previous count */
		if (sid >= b->seqs_cap) {
			uint32_t cap = b->seqs_cap ? b->seqs_cap * 2 : 1024;
			struct bseq *sq = realloc(b->seqs, (size_t)cap * sizeof(*sq));
			if (!sq)
				return -ENOMEM;
			b->seqs = sq;
			b->seqs_cap = cap;
		}
		struct bseq *sq = b->seqs;
		sq[sid].off = (uint32_t)b->seq_len;
		sq[sid].len = n;
		if (n) /* an empty stack: every frame left out */
			memcpy(b->seq_ids + b->seq_len, ids, n * sizeof(ids[0]));
		b->seq_len += n;
	}
	b->stack_cache.e[cid].v[0] = sid;
	*seq = sid;
	return 0;
}

struct row_key {
	uint32_t type, comm, pid, seq;
};

/* The pass's aggregates into rows (merged when they name the same). On
 * success the old rows are replaced. */
static int name_rows(struct browse *b)
{
	struct ktab rt;
	struct tbuf key, ctext;
	ktab_init(&rt);
	tbuf_init(&key);
	tbuf_init(&ctext);
	int rc = 0;
	for (uint32_t i = 0; i < stack_agg_slots(&b->agg) && !rc; i++) {
		const struct stack_agg *a = &b->agg.slot[i];
		if (!a->events)
			continue;
		struct row_key k = { .type = a->k.type, .pid = a->k.pid };
		if ((rc = name_stack(b, a, &key, &k.seq)) < 0)
			break;
		tbuf_reset(&ctext);
		if (a->k.comm) {
			put_clean(&ctext, a->k.comm);
		} else {
			char num[16];
			snprintf(num, sizeof(num), ":%u", a->k.tid);
			tbuf_put(&ctext, num, strlen(num));
		}
		if (ctext.oom || (rc = ktab_get(&b->comms, ctext.data, (uint32_t)ctext.len, &k.comm)) < 0) {
			rc = -ENOMEM;
			break;
		}
		uint32_t id;
		if ((rc = ktab_get(&rt, &k, sizeof(k), &id)) < 0)
			break;
		rc = 0;
		rt.e[id].v[0] += a->weight;
		rt.e[id].v[1] += a->events;
	}
	struct brow *rows = NULL;
	if (!rc && !(rows = malloc((rt.n ? rt.n : 1) * sizeof(*rows))))
		rc = -ENOMEM;
	if (!rc) {
		for (uint32_t i = 0; i < rt.n; i++) {
			struct row_key k;
			memcpy(&k, rt.e[i].key, sizeof(k));
			rows[i] = (struct brow){ .type = k.type, .comm = k.comm, .pid = k.pid, .seq = k.seq,
						 .weight = rt.e[i].v[0], .events = rt.e[i].v[1] };
		}
		free(b->rows);
		b->rows = rows;
		b->nrows = rt.n;
	}
	ktab_free(&rt);
	tbuf_free(&key);
	tbuf_free(&ctext);
	agg_free(b);
	return rc < 0 ? oom(b, "naming the stacks") : 0;
}

/* Reads the file (in the filter's window) into rows. */
static int read_rows(struct browse *b, const struct pass_opts *po)
{
	memset(b->no_stack, 0, b->ntypes * sizeof(*b->no_stack));
	memset(&b->cc, 0, sizeof(b->cc));
	b->unreadable = 0;
	struct pass_sink sink = { .ctx = b, .begin = bw_begin, .event = bw_event, .block = bw_block, .end = bw_end };
	int rc = pass_run(b->src, &sink, 1, po, b->err);
	if (rc < 0) {
		agg_free(b);
		b->read_error = rc != -ENOMEM;
		return rc;
	}
	return name_rows(b);
}

/* ---- views -------------------------------------------------------------------------------- */

static int view_rank(const struct bview *v)
{
	return !strcmp(v->v.name, CPU_EVENT) ? 0 : v->v.unit == BROWSE_NS ? 1 : 2;
}

static int cmp_view(const void *x, const void *y)
{
	const struct bview *a = x, *b = y;
	int c = view_rank(a) - view_rank(b);
	return c ? c : strcmp(a->v.name, b->v.name);
}

static void count_views(struct browse *b)
{
	for (uint32_t i = 0; i < b->nviews; i++) {
		struct bview *v = &b->views[i];
		v->v.events = v->v.weight = 0;
		v->v.no_stack = v->type < b->ntypes ? b->no_stack[v->type] : 0;
	}
	for (uint32_t r = 0; r < b->nrows; r++)
		for (uint32_t i = 0; i < b->nviews; i++)
			if (b->views[i].type == b->rows[r].type) {
				b->views[i].v.events += b->rows[r].events;
				b->views[i].v.weight += b->rows[r].weight;
				break;
			}
}

/* One view per type that has events with stacks: CPU samples first, then
 * off-CPU time, then the others by name. */
static int make_views(struct browse *b)
{
	uint8_t *has = calloc(b->ntypes ? b->ntypes : 1, 1);
	if (!has)
		return oom(b, "");
	uint32_t n = 0;
	for (uint32_t r = 0; r < b->nrows; r++)
		if (b->rows[r].type < b->ntypes && !has[b->rows[r].type]++)
			n++;
	b->views = calloc(n ? n : 1, sizeof(*b->views));
	if (!b->views) {
		free(has);
		return oom(b, "");
	}
	for (uint32_t t = 0; t < b->ntypes; t++) {
		const struct trec_schema *s = has[t] ? rfile_schema(b->file, t) : NULL;
		if (!s)
			continue;
		struct bview *v = &b->views[b->nviews++];
		v->type = t;
		v->v.name = s->name;
		v->v.unit = b->wfield[t] ? BROWSE_NS : !strcmp(s->name, CPU_EVENT) ? BROWSE_SAMPLES : BROWSE_EVENTS;
	}
	free(has);
	qsort(b->views, b->nviews, sizeof(*b->views), cmp_view);
	count_views(b);
	return 0;
}

/* ---- the selection ------------------------------------------------------------------------ */

static int grow_func_arrays(struct browse *b, uint32_t n)
{
	if (n <= b->arr_n && b->self_w)
		return 0;
	uint32_t old = b->arr_n;
	size_t m = n ? n : 1;
	uint64_t *a = realloc(b->self_w, m * 8), *c = a ? realloc(b->self_n, m * 8) : NULL;
	if (a)
		b->self_w = a;
	if (c)
		b->self_n = c;
	uint64_t *d = c ? realloc(b->total_w, m * 8) : NULL;
	if (d)
		b->total_w = d;
	uint64_t *e = d ? realloc(b->total_n, m * 8) : NULL;
	if (e)
		b->total_n = e;
	uint32_t *s = e ? realloc(b->stamp, m * 4) : NULL;
	if (s)
		b->stamp = s;
	uint32_t *l = s ? realloc(b->list, m * 4) : NULL;
	if (l)
		b->list = l;
	if (!l)
		return -ENOMEM;
	b->arr_n = n;
	return browse_funcs_resized(b, old);
}

static int has_pid(const struct browse *b, uint32_t pid)
{
	for (size_t i = 0; i < b->npids; i++)
		if (b->pids[i] == pid)
			return 1;
	return 0;
}

static int comm_matches(const struct browse *b, const char *comm)
{
	for (size_t i = 0; i < b->ncomm_globs; i++)
		if (!fnmatch(b->comm_globs[i], comm, 0) || !strcmp(b->comm_globs[i], comm))
			return 1;
	return 0;
}

static int update_comm_ok(struct browse *b)
{
	if (!b->ncomm_globs || b->comm_ok_n == b->comms.n)
		return 0;
	uint8_t *ok = realloc(b->comm_ok, b->comms.n ? b->comms.n : 1);
	if (!ok)
		return -ENOMEM;
	b->comm_ok = ok;
	for (uint32_t i = 0; i < b->comms.n; i++)
		ok[i] = (uint8_t)comm_matches(b, b->comms.e[i].key);
	b->comm_ok_n = b->comms.n;
	return 0;
}

static int func_listed(const struct browse *b, uint32_t f)
{
	const struct bfunc *fn = &b->funcs[f];
	if (b->dso) {
		const char *d = fn->dso ? fn->dso : "[unknown]";
		if (strcmp(b->dso, d) && fnmatch(b->dso, d, 0))
			return 0;
	}
	return !b->search || strcasestr(fn->name, b->search);
}

static int cmp_u64_desc(uint64_t a, uint64_t b) { return a > b ? -1 : a < b; }

static int cmp_func(const void *x, const void *y, void *ctx)
{
	const struct browse *b = ctx;
	uint32_t f = *(const uint32_t *)x, g = *(const uint32_t *)y;
	int c = b->sort == BROWSE_BY_SELF ? cmp_u64_desc(b->self_w[f], b->self_w[g])
					  : cmp_u64_desc(b->total_w[f], b->total_w[g]);
	if (!c)
		c = b->sort == BROWSE_BY_SELF ? cmp_u64_desc(b->total_w[f], b->total_w[g])
					      : cmp_u64_desc(b->self_w[f], b->self_w[g]);
	if (!c)
		c = strcmp(b->funcs[f].name, b->funcs[g].name);
	if (!c)
		c = b->funcs[f].kernel - b->funcs[g].kernel;
	if (!c) {
		const char *da = b->funcs[f].dso, *db = b->funcs[g].dso;
		c = strcmp(da ? da : "", db ? db : "");
	}
	return c;
}

/* The function list alone (display filters and sort changed). */
static int relist(struct browse *b)
{
	uint32_t n = 0;
	for (uint32_t f = 0; f < b->arr_n; f++)
		if (b->total_n[f] && func_listed(b, f))
			b->list[n++] = f;
	qsort_r(b->list, n, sizeof(*b->list), cmp_func, b);
	b->tot.functions = n;
	return browse_lines_rebuild(b) < 0 ? oom(b, "listing the functions") : 0;
}

/* Everything from the rows: the view, the sample filters, the sums. */
static int recompute(struct browse *b)
{
	uint32_t nf = b->funcs_tab.n;
	if (grow_func_arrays(b, nf) < 0 || update_comm_ok(b) < 0)
		return oom(b, "for the function list");
	uint32_t *kept = realloc(b->kept, (b->nrows ? b->nrows : 1) * sizeof(*kept));
	if (!kept)
		return oom(b, "for the function list");
	b->kept = kept;
	memset(b->self_w, 0, nf * 8);
	memset(b->self_n, 0, nf * 8);
	memset(b->total_w, 0, nf * 8);
	memset(b->total_n, 0, nf * 8);
	memset(b->stamp, 0, nf * 4);
	b->nkept = 0;
	memset(&b->tot, 0, sizeof(b->tot));
	uint32_t type = b->nviews ? b->views[b->view].type : UINT32_MAX;
	for (uint32_t i = 0; i < b->nrows; i++) {
		const struct brow *r = &b->rows[i];
		if (r->type != type || (b->npids && !has_pid(b, r->pid)) ||
		    (b->ncomm_globs && !b->comm_ok[r->comm]))
			continue;
		b->kept[b->nkept++] = i;
		b->tot.weight += r->weight;
		b->tot.events += r->events;
		const struct bseq *s = &b->seqs[r->seq];
		const uint32_t *ids = b->seq_ids + s->off;
		if (s->len) {
			b->self_w[ids[0]] += r->weight;
			b->self_n[ids[0]] += r->events;
		}
		for (uint32_t j = 0; j < s->len; j++) {
			uint32_t f = ids[j];
			if (b->stamp[f] == i + 1)
				continue; /* recursion: once per stack */
			b->stamp[f] = i + 1;
			b->total_w[f] += r->weight;
			b->total_n[f] += r->events;
		}
	}
	browse_trees_reset(b);
	return relist(b);
}

/* ---- opening ------------------------------------------------------------------------------ */

static int select_types(struct browse *b)
{
	const struct trec_schema **s;
	size_t n;
	int rc = trec_reader_schemas(b->r, &s, &n, b->err);
	if (rc < 0)
		return b->read_error = 1, rc;
	uint32_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i]->id > max)
			max = s[i]->id;
	b->ntypes = max + 1;
	b->wfield = calloc(b->ntypes, sizeof(*b->wfield));
	b->no_stack = calloc(b->ntypes, sizeof(*b->no_stack));
	if (!b->wfield || !b->no_stack)
		return oom(b, "");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s[i]->name, OFFCPU_EVENT))
			continue;
		const struct trec_field *wf = trec_schema_field(s[i], OFFCPU_FIELD);
		if (wf && (wf->kind == TREC_F_INT || wf->kind == TREC_F_UINT || wf->kind == TREC_F_HEX))
			b->wfield[s[i]->id] = wf;
	}
	return 0;
}

static void trace_span(struct browse *b)
{
	evfilter_first_ts(b->r, &b->first_ts);
	const struct trec_file_info *fi = trec_reader_info(b->r);
	b->last_ts = b->first_ts;
	for (uint32_t i = 0; i < fi->nblocks; i++) {
		const struct trec_block_info *bi = trec_reader_block(b->r, i);
		if (bi && bi->h.kind == TREC_BLK_EVENTS && bi->h.count && bi->h.last_ts > b->last_ts)
			b->last_ts = bi->h.last_ts;
	}
}

static void ext_notes(struct browse *b)
{
	struct symbolizer_ext_stats st;
	symbolizer_ext_stats(b->sym, &st);
	const char *where = b->o.symfs && b->o.debug_dir ? "--symfs/--debug-dir" : b->o.symfs ? "--symfs" : "--debug-dir";
	if (st.mismatched)
		warn(b, "%u file%s under %s ignored: not the build the trace recorded (%s)", st.mismatched,
		     st.mismatched == 1 ? "" : "s", where, st.mismatch_msg ? st.mismatch_msg : "build-id differs");
	if (st.unreadable)
		warn(b, "%u file%s under %s ignored: not readable as ELF (%s)", st.unreadable,
		     st.unreadable == 1 ? "" : "s", where, st.unreadable_msg ? st.unreadable_msg : "?");
	if (st.dsos && !st.found)
		warn(b, "%s: no symbol file found for any of the %u mapped files", where, st.dsos);
}

static int setup(struct browse *b, const struct pass_opts *po)
{
	b->swap = trec_reader_swap(b->r);
	int rc = select_types(b);
	if (rc)
		return rc;
	size_t nstacks;
	if ((rc = trec_reader_stacks(b->r, &nstacks, b->err)) < 0)
		return b->read_error = 1, rc;
	struct symbolizer_opts so = { .sz = sizeof(so), .symfs = b->o.symfs, .debug_dir = b->o.debug_dir,
				      .no_demangle = b->o.no_demangle };
	if ((rc = symbolizer_new(b->r, &so, &b->sym, b->err)) < 0)
		return b->read_error = 1, rc;
	if (b->o.symfs || b->o.debug_dir)
		ext_notes(b);
	trace_span(b);
	b->cl_start = b->file->f.start_ts;
	b->cl_end = b->file->f.end_ts;
	if ((rc = read_rows(b, po)) < 0)
		return rc;
	if ((rc = make_views(b)) < 0)
		return rc;
	if (!b->nviews)
		return trec_errf(b->err, -ENODATA, "%s has no %sevents with stacks to browse (record with -F, -g "
						   "or -e offcpu)", b->file->path, b->file->f.o && b->file->f.o->any ? "selected " : "");
	if (b->o.offcpu) {
		uint32_t i = 0;
		while (i < b->nviews && b->views[i].v.unit != BROWSE_NS)
			i++;
		if (i == b->nviews)
			return trec_errf(b->err, -EINVAL, "%s has no " OFFCPU_EVENT " events with stacks (record with "
							  "-e offcpu)", b->file->path);
		b->view = i;
	}
	if (b->missing_stacks)
		warn(b, "%llu events refer to stacks missing from %s; shown as [unknown]",
		     (unsigned long long)b->missing_stacks, b->file->path);
	if (b->unreadable)
		warn(b, "%llu events are too short for their " OFFCPU_FIELD " field; left out",
		     (unsigned long long)b->unreadable);
	return recompute(b);
}

int browse_open(struct browse **out, struct source *src, const struct browse_opts *o, const struct pass_opts *po,
		int *read_error, struct trec_err *err)
{
	struct browse *b = calloc(1, sizeof(*b));
	*out = b;
	*read_error = 0;
	if (!b)
		return trec_errf(err, -ENOMEM, "out of memory");
	if (!src->n)
		return trec_errf(err, -EINVAL, "no trace to browse");
	b->o = *o;
	b->src = src;
	b->file = &src->files[0];
	b->r = b->file->r;
	b->err = err;
	ktab_init(&b->funcs_tab);
	ktab_init(&b->seq_tab);
	ktab_init(&b->stack_cache);
	ktab_init(&b->comms);
	/* never NULL: an empty stack's ids are an offset into it */
	b->seq_cap = 4096;
	if (!(b->seq_ids = malloc(b->seq_cap * sizeof(*b->seq_ids))))
		return trec_errf(err, -ENOMEM, "out of memory");
	int rc = setup(b, po);
	*read_error = b->read_error;
	return rc;
}

static void free_globs(struct browse *b)
{
	for (size_t i = 0; i < b->ncomm_globs; i++)
		free(b->comm_globs[i]);
	free(b->comm_globs);
	b->comm_globs = NULL;
	b->ncomm_globs = 0;
	b->comm_ok_n = 0;
}

void browse_free(struct browse *b)
{
	if (!b)
		return;
	browse_trees_reset(b);
	free(b->trees);
	free(b->fstate);
	free(b->lines);
	free(b->idx_start);
	free(b->idx_rows);
	free(b->kept);
	free(b->self_w);
	free(b->self_n);
	free(b->total_w);
	free(b->total_n);
	free(b->stamp);
	free(b->list);
	free_globs(b);
	free(b->comm_ok);
	free(b->pids);
	free(b->comm);
	free(b->dso);
	free(b->search);
	free(b->views);
	free(b->rows);
	free(b->seqs);
	free(b->seq_ids);
	free(b->ids);
	free(b->funcs);
	ktab_free(&b->funcs_tab);
	ktab_free(&b->seq_tab);
	ktab_free(&b->stack_cache);
	ktab_free(&b->comms);
	agg_free(b);
	symbolizer_free(b->sym);
	free(b->wfield);
	free(b->no_stack);
	free(b);
}

/* ---- the API ------------------------------------------------------------------------------ */

uint32_t browse_nviews(const struct browse *b) { return b->nviews; }

const struct browse_view *browse_view(const struct browse *b, uint32_t i)
{
	return i < b->nviews ? &b->views[i].v : NULL;
}

uint32_t browse_current_view(const struct browse *b) { return b->view; }

const struct browse_totals *browse_totals(const struct browse *b) { return &b->tot; }

uint64_t browse_span_ns(const struct browse *b) { return b->last_ts - b->first_ts; }

int browse_set_view(struct browse *b, uint32_t i, struct trec_err *err)
{
	b->err = err;
	if (i >= b->nviews)
		return trec_errf(err, -EINVAL, "no view %u (there are %u)", i + 1, b->nviews);
	b->view = i;
	return recompute(b);
}

/* A copy of s, NULL for NULL or "". 0 or -ENOMEM. */
static int set_str(char **dst, const char *s)
{
	char *c = NULL;
	if (s && *s && !(c = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

int browse_set_pids(struct browse *b, const uint32_t *pids, size_t n, struct trec_err *err)
{
	b->err = err;
	uint32_t *p = NULL;
	if (n && !(p = malloc(n * sizeof(*p))))
		return oom(b, "");
	if (n)
		memcpy(p, pids, n * sizeof(*p));
	free(b->pids);
	b->pids = p;
	b->npids = n;
	return recompute(b);
}

int browse_set_comm(struct browse *b, const char *globs, struct trec_err *err)
{
	b->err = err;
	char **l = NULL;
	size_t n = 0;
	if (globs && *globs) {
		int rc = evfilter_add_list(&l, &n, globs);
		if (rc < 0) {
			for (size_t i = 0; i < n; i++)
				free(l[i]);
			free(l);
			return rc == -ENOMEM ? oom(b, "")
					     : trec_errf(err, rc, "comm '%s': %s", globs,
							 rc == -EINVAL ? "an empty name in the list" : "a name is too long");
		}
	}
	if (set_str(&b->comm, globs) < 0) {
		for (size_t i = 0; i < n; i++)
			free(l[i]);
		free(l);
		return oom(b, "");
	}
	free_globs(b);
	b->comm_globs = l;
	b->ncomm_globs = n;
	return recompute(b);
}

int browse_set_dso(struct browse *b, const char *glob, struct trec_err *err)
{
	b->err = err;
	if (set_str(&b->dso, glob) < 0)
		return oom(b, "");
	return relist(b);
}

int browse_set_search(struct browse *b, const char *text, struct trec_err *err)
{
	b->err = err;
	if (set_str(&b->search, text) < 0)
		return oom(b, "");
	return relist(b);
}

int browse_set_sort(struct browse *b, enum browse_sort s, struct trec_err *err)
{
	b->err = err;
	b->sort = s;
	return relist(b);
}

int browse_set_time(struct browse *b, int has_start, uint64_t start_ns, int has_end, uint64_t end_ns,
		    const struct pass_opts *po, int *read_error, struct trec_err *err)
{
	b->err = err;
	*read_error = 0;
	if (has_start && has_end && end_ns < start_ns)
		return trec_errf(err, -EINVAL, "the window ends before it starts");
	uint64_t s = b->cl_start, e = b->cl_end;
	if (has_start) {
		uint64_t abs = start_ns > UINT64_MAX - b->first_ts ? UINT64_MAX : b->first_ts + start_ns;
		if (abs > s)
			s = abs;
	}
	if (has_end) {
		uint64_t abs = end_ns > UINT64_MAX - b->first_ts ? UINT64_MAX : b->first_ts + end_ns;
		if (abs < e)
			e = abs;
	}
	if (s > e)
		return trec_errf(err, -EINVAL, "the window lies outside the command line's --time");
	struct evfilter *f = &b->file->f;
	uint64_t old_s = f->start_ts, old_e = f->end_ts;
	f->start_ts = s;
	f->end_ts = e;
	b->read_error = 0;
	int rc = read_rows(b, po);
	if (rc < 0) {
		f->start_ts = old_s;
		f->end_ts = old_e;
		*read_error = b->read_error;
		return rc;
	}
	b->has_start = has_start;
	b->has_end = has_end;
	b->start_ns = has_start ? start_ns : 0;
	b->end_ns = has_end ? end_ns : 0;
	count_views(b);
	return recompute(b);
}

void browse_filters(const struct browse *b, struct browse_filters *f)
{
	*f = (struct browse_filters){
		.pids = b->pids, .npids = b->npids, .comm = b->comm, .dso = b->dso, .search = b->search,
		.has_start = b->has_start, .has_end = b->has_end, .start_ns = b->start_ns, .end_ns = b->end_ns,
		.sort = b->sort,
	};
}
