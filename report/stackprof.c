/* SPDX-License-Identifier: MIT */
/*
 * Profiles of the events that carry stacks: folded stacks (FlameGraph's
 * input) and the top-functions view, for `trec report --folded/--top`,
 * `trec report --flamegraph` and `trec flamegraph` on traces.
 *
 * Two passes, so that the work per event stays a few lookups:
 *  1. events: each selected event adds its weight to an aggregate keyed by
 *     (comm, pid, tid when it matters, stack id, address-space generation).
 *     Events of one pid and generation see the same mappings
 *     (symbolizer_generation), so the aggregate can be named once.
 *  2. aggregates: each is symbolized once, frame by frame, and merged into
 *     folded lines or per-group function counts.
 * Memory grows with distinct stacks per thread, never with events.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "comm_table.h"
#include "evfilter.h"
#include "source.h"
#include "fold.h"
#include "json.h"
#include "ktab.h"
#include "outbuf.h"
#include "stack_agg.h"
#include "stackprof.h"
#include "reader.h"
#include "symbolize.h"

#define DEFAULT_EVENT "cpu-clock"
#define CYCLES_EVENT "cycles"
#define OFFCPU_EVENT "offcpu"
#define OFFCPU_FIELD "delta_ns"

/* ---- the run's state ------------------------------------------------------------------ */


struct frame {
	uint32_t off, len; /* text in frames.text */
	const char *dso;   /* NULL when nothing covers the address */
	int kernel;
};

struct frames {
	struct frame *f;
	size_t n, cap;
	struct tbuf text;
};

struct stackprof {
	struct stackprof_opts o;
	struct rfile *file; /* its reader, comm table, filter and path */
	struct trec_reader *r;
	struct symbolizer *sym;
	int swap;
	/* selection, by type id */
	uint32_t ntypes;
	uint8_t *sel;
	const struct trec_field **wfield; /* off-CPU types: delta_ns */
	int by_time;                      /* weigh by delta_ns (--offcpu, or only off-CPU stacks) */
	uint64_t *type_events;            /* selected events with stacks, per type */
	uint64_t unreadable;              /* off-CPU events whose delta_ns is past their payload */
	uint64_t missing_stacks;          /* events whose stack is not in the file */
	struct stack_agg_tab agg;
	struct comm_cache cc; /* the last thread's name */
	struct frames fr;
	struct outbuf *out; /* the printing views' output */
	struct trec_err *err; /* the current call's */
	int read_error;       /* the error came from reading the trace */
};

/* An aggregate's weight in the unit of the view: ns off CPU, or events. */
static uint64_t agg_weight(const struct stackprof *rp, const struct stack_agg *a)
{
	return rp->by_time ? a->weight : a->events;
}

/* A warning through the caller's callback (none: dropped). */
__attribute__((format(printf, 2, 3))) static void warn(struct stackprof *rp, const char *fmt, ...)
{
	if (!rp->o.warn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rp->o.warn(rp->o.warn_ctx, msg);
}

/* A frame's text, with bytes that would break a line shown as '?'. */
static void put_clean(struct tbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		tbuf_put_u8(b, ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
}

/*
 * The frames of one aggregate, leaf first, after --no-kernel/--no-user,
 * each named through the symbolizer at the aggregate's own time.
 */
static int render_frames(struct stackprof *rp, const struct stack_agg *a, struct frames *fr)
{
	const struct stack_agg_key *k = &a->k;
	uint64_t ts = a->ts;
	fr->n = 0;
	tbuf_reset(&fr->text);
	const struct trec_stack *st = trec_reader_stack(rp->r, k->stack_id);
	if (!st)
		rp->missing_stacks += a->events; /* shown as [unknown]; warned about at the end */
	size_t nk = st ? st->nkernel : 0, nu = st ? st->nuser : 1;
	if (fr->cap < nk + nu) {
		struct frame *f = realloc(fr->f, (nk + nu) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		fr->f = f;
		fr->cap = nk + nu;
	}
	char name[TREC_MAX_NAME + 32];
	for (size_t i = 0; i < nk + nu; i++) {
		int kernel = i < nk;
		if ((kernel && rp->o.no_kernel) || (!kernel && rp->o.no_user))
			continue;
		/* A frame-pointer walk that reaches the outermost frame reads a
		 * zero return address: the end of the stack, not a frame. */
		if (st && !st->ips[i])
			continue;
		struct sym_result res = { 0 };
		if (st)
			symbolize_frame(rp->sym, k->pid, ts, st->ips[i], kernel, sym_frame_is_return(i, nk), &res);
		struct frame *f = &fr->f[fr->n++];
		f->off = (uint32_t)fr->text.len;
		put_clean(&fr->text, sym_format(&res, name, sizeof(name)));
		f->len = (uint32_t)(fr->text.len - f->off);
		f->dso = res.dso;
		f->kernel = kernel;
	}
	return fr->text.oom ? -ENOMEM : 0;
}

/* "comm", ":TID" when the name is unknown (perf's spelling), with --pid
 * "comm-PID", with --tid "comm-PID/TID". */
static void put_comm(struct tbuf *b, const struct stack_agg_key *k, int with_pid, int with_tid)
{
	char num[32];
	if (k->comm) {
		put_clean(b, k->comm);
	} else {
		snprintf(num, sizeof(num), ":%u", k->tid);
		tbuf_put(b, num, strlen(num));
	}
	if (with_tid)
		snprintf(num, sizeof(num), "-%u/%u", k->pid, k->tid);
	else if (with_pid)
		snprintf(num, sizeof(num), "-%u", k->pid);
	else
		return;
	tbuf_put(b, num, strlen(num));
}

/* ---- event selection -------------------------------------------------------------------- */

/* CPU samples: -F, -e cpu-clock (software) and -e cycles (PMU). */
static int is_sample_type(const char *name)
{
	return !strcmp(name, DEFAULT_EVENT) || !strcmp(name, CYCLES_EVENT);
}

static int select_types(struct stackprof *rp)
{
	const struct trec_schema **s;
	size_t n;
	int rc = trec_reader_schemas(rp->r, &s, &n, rp->err);
	if (rc < 0)
		return rp->read_error = 1, rc;
	uint32_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i]->id > max)
			max = s[i]->id;
	rp->ntypes = max + 1;
	rp->sel = calloc(rp->ntypes, 1);
	rp->wfield = calloc(rp->ntypes, sizeof(*rp->wfield));
	rp->type_events = calloc(rp->ntypes, sizeof(*rp->type_events));
	if (!rp->sel || !rp->wfield || !rp->type_events)
		return trec_errf(rp->err, -ENOMEM, "out of memory for %zu event types", n);

	/* --event picks the types; else off-CPU events (--offcpu), else CPU
	 * samples when there are any, else every type (events without stacks
	 * drop out). */
	const struct evfilter *f = &rp->file->f;
	int by_filter = f->type_ok != NULL;
	const char *want = rp->o.offcpu ? OFFCPU_EVENT : DEFAULT_EVENT;
	int all = !by_filter && !rp->o.offcpu;
	for (size_t i = 0; i < n && all; i++)
		if (is_sample_type(s[i]->name))
			all = 0;
	size_t nsel = 0;
	for (size_t i = 0; i < n; i++) {
		int pick = by_filter ? evfilter_type_ok(f, s[i]->id)
			   : all     ? 1
			   : rp->o.offcpu ? !strcmp(s[i]->name, want)
					  : is_sample_type(s[i]->name);
		if (pick) {
			rp->sel[s[i]->id] = 1;
			nsel++;
		}
	}
	if (!nsel && !all) {
		/* Name what there is: the user mistyped, or picked another file. */
		char names[512] = "";
		size_t len = 0;
		for (size_t i = 0; i < n && len < sizeof(names) - 1; i++)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
						s[i]->name);
		return trec_errf(rp->err, -EINVAL, "%s has no event type %s%s%s%s", rp->file->path,
				 by_filter ? "matching --event" : want, n ? " (it has: " : "", names, n ? ")" : "");
	}
	/* The weights: with --offcpu every selected type's delta_ns; else
	 * the off-CPU types' own, used when theirs are the only stacks
	 * (stackprof_by_time). */
	for (size_t i = 0; i < n; i++) {
		if (!rp->sel[s[i]->id] || (!rp->o.offcpu && strcmp(s[i]->name, OFFCPU_EVENT)))
			continue;
		const struct trec_field *wf = trec_schema_field(s[i], OFFCPU_FIELD);
		int usable = wf && (wf->kind == TREC_F_INT || wf->kind == TREC_F_UINT || wf->kind == TREC_F_HEX);
		if (!usable && rp->o.offcpu)
			return trec_errf(rp->err, -EINVAL, "--offcpu: event type '%s' has no integer field "
						       OFFCPU_FIELD " to weigh its stacks by", s[i]->name);
		if (usable)
			rp->wfield[s[i]->id] = wf;
	}
	rp->by_time = rp->o.offcpu;
	return 0;
}

/*
 * Off-CPU events weigh by the time they stand for when they are the only
 * stacks to show, as perf weighs its --off-cpu samples by their period:
 * a trace of `-e offcpu` alone, or `--event offcpu`, folds to microseconds
 * without --offcpu. Mixed with other stacked events (tracepoints with -g),
 * counts stay counts: microseconds and events do not add up.
 */
static void decide_weight(struct stackprof *rp)
{
	if (rp->o.offcpu)
		return;
	uint32_t timed = 0, counted = 0, timed_sel = 0, sel = 0;
	for (uint32_t t = 0; t < rp->ntypes; t++) {
		if (rp->type_events[t])
			*(rp->wfield[t] ? &timed : &counted) += 1;
		sel += rp->sel[t];
		timed_sel += rp->sel[t] && rp->wfield[t];
	}
	/* No stacks at all: what the selection would have been (the title and
	 * unit of an empty graph). */
	rp->by_time = timed || counted ? timed && !counted : sel && timed_sel == sel;
}

/* ---- pass 1: events into aggregates (a sink of the pass) --------------------------------- */

static int sp_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct stackprof *rp = ctx;
	(void)ordered; /* sums need no order */
	(void)err;
	if (f != rp->file)
		return 0; /* a profile is of one trace */
	memset(&rp->cc, 0, sizeof(rp->cc));
	for (uint32_t t = 0; t < rp->ntypes && t < f->ntypes; t++)
		need[t] |= rp->wfield[t] != NULL; /* --offcpu reads delta_ns */
	return 1;
}

static int sp_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	struct stackprof *rp = ctx;
	if (!ev->stack_id || ev->type >= rp->ntypes || !rp->sel[ev->type])
		return 0;
	uint64_t w = 1;
	if (rp->wfield[ev->type] && trec_field_get_u64(rp->wfield[ev->type], ev->data, ev->size, 0, rp->swap, &w) < 0) {
		rp->unreadable++;
		return 0;
	}
	struct stack_agg_key k;
	memset(&k, 0, sizeof(k)); /* padding-free, but keys are hashed as bytes */
	k.comm = comm_table_lookup_cached(&f->ct, &rp->cc, ev->pid, ev->tid, ev->ts);
	k.pid = ev->pid;
	k.tid = rp->o.with_tid || !k.comm ? ev->tid : 0;
	k.stack_id = ev->stack_id;
	k.gen = symbolizer_generation(rp->sym, ev->pid, ev->ts);
	struct stack_agg *a = stack_agg_get(&rp->agg, &k, ev->ts);
	if (!a)
		return trec_errf(err, -ENOMEM, "out of memory after %u distinct stacks", rp->agg.n);
	a->weight += w;
	a->events++;
	rp->type_events[ev->type]++;
	return 0;
}

static int sp_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	(void)ctx;
	(void)f;
	(void)err;
	return 0;
}

struct pass_sink stackprof_sink(struct stackprof *rp)
{
	return (struct pass_sink){ .ctx = rp, .begin = sp_begin, .event = sp_event, .end = sp_end };
}

/* ---- --folded ------------------------------------------------------------------------------ */

static int cmp_line(const void *a, const void *b, void *ctx)
{
	const struct ktab *t = ctx;
	return strcmp(t->e[*(const uint32_t *)a].key, t->e[*(const uint32_t *)b].key);
}

int stackprof_fold(struct stackprof *rp, fold_emit_fn emit, void *ctx, struct trec_err *err)
{
	rp->err = err;
	decide_weight(rp);
	struct ktab lines;
	struct tbuf line;
	uint32_t *order = NULL;
	int ret = -ENOMEM;
	ktab_init(&lines);
	tbuf_init(&line);

	for (uint32_t i = 0; i < stack_agg_slots(&rp->agg); i++) {
		const struct stack_agg *a = &rp->agg.slot[i];
		const struct stack_agg_key *k = &a->k;
		if (!a->events)
			continue;
		if (render_frames(rp, a, &rp->fr) < 0)
			goto oom;
		tbuf_reset(&line);
		put_comm(&line, k, rp->o.with_pid, rp->o.with_tid);
		/* root first: frames are leaf first */
		for (size_t f = rp->fr.n; f-- > 0;) {
			const struct frame *fp = &rp->fr.f[f];
			size_t at = line.len;
			tbuf_put_u8(&line, ';');
			tbuf_put(&line, rp->fr.text.data + fp->off, fp->len);
			/* ';' separates frames in this format: none may hide inside a name */
			for (size_t c = at + 1; c < line.len; c++)
				if (line.data[c] == ';')
					line.data[c] = ':';
			if (fp->kernel)
				tbuf_put(&line, "_[k]", 4);
		}
		if (line.oom)
			goto oom;
		uint32_t id;
		if (ktab_get(&lines, line.data, (uint32_t)line.len, &id) < 0)
			goto oom;
		lines.e[id].v[0] += agg_weight(rp, a);
	}
	order = malloc((lines.n ? lines.n : 1) * sizeof(*order));
	if (!order)
		goto oom;
	for (uint32_t i = 0; i < lines.n; i++)
		order[i] = i;
	qsort_r(order, lines.n, sizeof(*order), cmp_line, &lines);
	ret = 0;
	for (uint32_t i = 0; i < lines.n && !ret; i++) {
		const struct kent *e = &lines.e[order[i]];
		/* off-CPU weights are summed in ns and shown in microseconds */
		uint64_t w = rp->by_time ? e->v[0] / 1000 : e->v[0];
		if (w)
			ret = emit(ctx, e->key, e->len, w);
	}
	goto out;
oom:
	trec_errf(rp->err, -ENOMEM, "out of memory folding %u distinct stacks", rp->agg.n);
out:
	free(order);
	tbuf_free(&line);
	ktab_free(&lines);
	return ret;
}

/* ---- the top-functions view --------------------------------------------------------------- */

/*
 * Tables of the view:
 *   comms   comm text -> id
 *   groups  {comm id, pid} -> total weight
 *   funcs   "K|U" text NUL dso -> id (what a row prints)
 *   cells   {group, func} -> self, total, and the last aggregate counted,
 *           so a function twice in one stack (recursion) counts once
 */
enum { G_TOTAL = 0 };
enum { C_SELF = 0, C_TOTAL = 1, C_SEEN = 2 };

struct group_key {
	uint32_t comm;
	uint32_t pid;
};
struct cell_key {
	uint32_t group;
	uint32_t func;
};

struct topview {
	struct ktab comms, groups, funcs, cells;
	uint64_t total;
};

/* A function's parts from its funcs key: "K" or "U", text, NUL, dso. */
static int func_kernel(const struct kent *f) { return f->key[0] == 'K'; }
static const char *func_text(const struct kent *f) { return f->key + 1; }
static const char *func_dso(const struct kent *f)
{
	const char *d = f->key + 2 + strlen(f->key + 1);
	return d < f->key + f->len ? d : NULL;
}

static int top_collect(struct stackprof *rp, struct topview *tv)
{
	struct tbuf key;
	tbuf_init(&key);
	for (uint32_t i = 0; i < stack_agg_slots(&rp->agg); i++) {
		const struct stack_agg *a = &rp->agg.slot[i];
		const struct stack_agg_key *k = &a->k;
		uint64_t w = agg_weight(rp, a);
		uint32_t cid, gid, fid, xid;
		if (!a->events)
			continue;
		if (render_frames(rp, a, &rp->fr) < 0)
			goto oom;

		tbuf_reset(&key);
		put_comm(&key, k, 0, 0);
		if (key.oom || ktab_get(&tv->comms, key.data, (uint32_t)key.len, &cid) < 0)
			goto oom;
		struct group_key gk = { .comm = cid, .pid = k->pid };
		if (ktab_get(&tv->groups, &gk, sizeof(gk), &gid) < 0)
			goto oom;
		tv->groups.e[gid].v[G_TOTAL] += w;
		tv->total += w;

		for (size_t f = 0; f < rp->fr.n; f++) {
			const struct frame *fp = &rp->fr.f[f];
			tbuf_reset(&key);
			tbuf_put_u8(&key, fp->kernel ? 'K' : 'U');
			tbuf_put(&key, rp->fr.text.data + fp->off, fp->len);
			if (fp->dso) {
				tbuf_put_u8(&key, 0);
				tbuf_put(&key, fp->dso, strlen(fp->dso));
			}
			if (key.oom || ktab_get(&tv->funcs, key.data, (uint32_t)key.len, &fid) < 0)
				goto oom;
			struct cell_key ck = { .group = gid, .func = fid };
			if (ktab_get(&tv->cells, &ck, sizeof(ck), &xid) < 0)
				goto oom;
			struct kent *c = &tv->cells.e[xid];
			if (f == 0)
				c->v[C_SELF] += w;
			if (c->v[C_SEEN] != (uint64_t)i + 1) {
				c->v[C_TOTAL] += w;
				c->v[C_SEEN] = (uint64_t)i + 1;
			}
		}
	}
	tbuf_free(&key);
	return 0;
oom:
	tbuf_free(&key);
	return trec_errf(rp->err, -ENOMEM, "out of memory summarizing %u distinct stacks", rp->agg.n);
}

struct sort_ctx {
	const struct topview *tv;
	int by_total;
};

static int cmp_u64_desc(uint64_t a, uint64_t b) { return a > b ? -1 : a < b; }

static int cmp_group(const void *x, const void *y, void *p)
{
	const struct topview *tv = p;
	const struct kent *a = &tv->groups.e[*(const uint32_t *)x], *b = &tv->groups.e[*(const uint32_t *)y];
	int c = cmp_u64_desc(a->v[G_TOTAL], b->v[G_TOTAL]);
	if (c)
		return c;
	const struct group_key *ka = (const void *)a->key, *kb = (const void *)b->key;
	c = strcmp(tv->comms.e[ka->comm].key, tv->comms.e[kb->comm].key);
	return c ? c : (ka->pid > kb->pid) - (ka->pid < kb->pid);
}

static int cmp_cell(const void *x, const void *y, void *p)
{
	const struct sort_ctx *sc = p;
	const struct kent *a = &sc->tv->cells.e[*(const uint32_t *)x];
	const struct kent *b = &sc->tv->cells.e[*(const uint32_t *)y];
	int first = sc->by_total ? C_TOTAL : C_SELF, second = sc->by_total ? C_SELF : C_TOTAL;
	int c = cmp_u64_desc(a->v[first], b->v[first]);
	if (!c)
		c = cmp_u64_desc(a->v[second], b->v[second]);
	if (!c) {
		const struct kent *fa = &sc->tv->funcs.e[((const struct cell_key *)a->key)->func];
		const struct kent *fb = &sc->tv->funcs.e[((const struct cell_key *)b->key)->func];
		c = strcmp(func_text(fa), func_text(fb));
		if (!c)
			c = func_kernel(fa) - func_kernel(fb);
		if (!c) {
			/* the same text in two DSOs: input order would depend on the
			 * hash table's, so settle it here */
			const char *da = func_dso(fa), *db = func_dso(fb);
			c = strcmp(da ? da : "", db ? db : "");
		}
	}
	return c;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The rows of one list: a group's cells sorted, those with nothing in the
 * sort column left out, at most --limit. */
static uint32_t list_rows(const struct topview *tv, uint32_t *cells, uint32_t n, int by_total, uint64_t limit)
{
	struct sort_ctx sc = { .tv = tv, .by_total = by_total };
	qsort_r(cells, n, sizeof(*cells), cmp_cell, &sc);
	uint32_t k = 0;
	while (k < n && k < limit && tv->cells.e[cells[k]].v[by_total ? C_TOTAL : C_SELF])
		k++;
	return k;
}

static void print_list_text(struct stackprof *rp, const struct topview *tv, const uint32_t *rows, uint32_t n,
			    uint64_t gtotal, int by_total, uint64_t div)
{
	struct outbuf *o = rp->out;
	size_t dw = strlen("Shared Object");
	for (uint32_t i = 0; i < n; i++) {
		const struct kent *f = &tv->funcs.e[((const struct cell_key *)tv->cells.e[rows[i]].key)->func];
		const char *d = func_dso(f);
		size_t l = strlen(d ? d : "[unknown]");
		if (l > dw)
			dw = l < 40 ? l : 40;
	}
	const char *unit = rp->by_time ? "us" : "Samples";
	outbuf_printf(o, "# %s\n", by_total ? "by total (inclusive)" : "by self");
	if (by_total)
		outbuf_printf(o, "#  Total%% %9s    Self%% %9s  %-*s  Symbol\n", unit, unit, (int)dw, "Shared Object");
	else
		outbuf_printf(o, "#   Self%% %9s   Total%% %9s  %-*s  Symbol\n", unit, unit, (int)dw, "Shared Object");
	for (uint32_t i = 0; i < n; i++) {
		const struct kent *c = &tv->cells.e[rows[i]];
		const struct kent *f = &tv->funcs.e[((const struct cell_key *)c->key)->func];
		uint64_t a = c->v[by_total ? C_TOTAL : C_SELF], b = c->v[by_total ? C_SELF : C_TOTAL];
		const char *d = func_dso(f);
		outbuf_printf(o, "  %6.2f%% %9llu  %6.2f%% %9llu  %-*s  [%c] %s\n", pct(a, gtotal),
			      (unsigned long long)(a / div), pct(b, gtotal), (unsigned long long)(b / div),
			      (int)dw, d ? d : "[unknown]", func_kernel(f) ? 'k' : '.', func_text(f));
	}
}

static void print_list_json(struct json *j, const struct topview *tv, const uint32_t *rows, uint32_t n,
			    uint64_t gtotal, uint64_t div)
{
	json_arr_begin(j);
	for (uint32_t i = 0; i < n; i++) {
		const struct kent *c = &tv->cells.e[rows[i]];
		const struct kent *f = &tv->funcs.e[((const struct cell_key *)c->key)->func];
		json_obj_begin(j);
		json_kv_str(j, "symbol", func_text(f));
		json_key(j, "dso");
		json_str(j, func_dso(f)); /* null when nothing covers the address */
		json_key(j, "kernel");
		json_bool(j, func_kernel(f));
		json_kv_u64(j, "self", c->v[C_SELF] / div);
		json_kv_u64(j, "total", c->v[C_TOTAL] / div);
		json_key(j, "self_pct");
		json_double(j, pct(c->v[C_SELF], gtotal));
		json_key(j, "total_pct");
		json_double(j, pct(c->v[C_TOTAL], gtotal));
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* Selected type names that had events, comma-separated, for the header. */
static void event_names(struct stackprof *rp, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = 0;
	for (uint32_t t = 0; t < rp->ntypes && k < len; t++) {
		if (!rp->type_events[t])
			continue;
		const struct trec_schema *s = trec_reader_schema(rp->r, t);
		k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? "," : "", s ? s->name : "?");
	}
}

static int print_top(struct stackprof *rp)
{
	struct topview tv = { 0 };
	uint32_t *gorder = NULL, *cells = NULL, *start = NULL, *rows = NULL;
	int ret = -ENOMEM;
	ktab_init(&tv.comms);
	ktab_init(&tv.groups);
	ktab_init(&tv.funcs);
	ktab_init(&tv.cells);
	if ((ret = top_collect(rp, &tv)) < 0)
		goto out;
	ret = -ENOMEM;

	/* Cells bucketed by group (a counting sort), groups by weight. */
	uint32_t ng = tv.groups.n, nc = tv.cells.n;
	gorder = malloc((ng + 1) * sizeof(*gorder));
	start = calloc(ng + 2, sizeof(*start));
	cells = malloc((nc + 1) * sizeof(*cells));
	rows = malloc((nc + 1) * sizeof(*rows));
	if (!gorder || !start || !cells || !rows) {
		trec_errf(rp->err, -ENOMEM, "out of memory sorting %u functions", nc);
		goto out;
	}
	for (uint32_t i = 0; i < ng; i++)
		gorder[i] = i;
	qsort_r(gorder, ng, sizeof(*gorder), cmp_group, &tv);
	for (uint32_t i = 0; i < nc; i++)
		start[((const struct cell_key *)tv.cells.e[i].key)->group + 1]++;
	for (uint32_t g = 0; g < ng; g++)
		start[g + 1] += start[g];
	/* start[g + 1] counts up as group g fills: afterwards it is g's end
	 * again, and start[g] .. start[g + 1] its slice. */
	for (uint32_t g = ng; g > 0; g--)
		start[g] = start[g - 1];
	start[0] = 0;
	for (uint32_t i = 0; i < nc; i++) {
		uint32_t g = ((const struct cell_key *)tv.cells.e[i].key)->group;
		cells[start[g + 1]++] = i;
	}

	uint64_t div = rp->by_time ? 1000 : 1;
	char names[512];
	event_names(rp, names, sizeof(names));
	struct json j;
	json_init(&j, rp->out, 1);
	if (rp->o.json) {
		json_obj_begin(&j);
		json_kv_str(&j, "file", rp->file->path);
		json_key(&j, "events");
		json_arr_begin(&j);
		for (uint32_t t = 0; t < rp->ntypes; t++) {
			const struct trec_schema *sc = rp->type_events[t] ? trec_reader_schema(rp->r, t) : NULL;
			if (sc)
				json_str(&j, sc->name);
		}
		json_arr_end(&j);
		json_kv_str(&j, "unit", rp->by_time ? "us" : "samples");
		json_kv_u64(&j, "total", tv.total / div);
		json_key(&j, "groups");
		json_arr_begin(&j);
	} else {
		outbuf_printf(rp->out, "# Events: %s   %s: %llu   comm/pid groups: %u\n", names[0] ? names : "none",
			      rp->by_time ? "Off-CPU us" : "Samples", (unsigned long long)(tv.total / div), ng);
	}
	for (uint32_t gi = 0; gi < ng && !rp->out->err; gi++) {
		uint32_t g = gorder[gi];
		const struct kent *ge = &tv.groups.e[g];
		const struct group_key *gk = (const void *)ge->key;
		const char *comm = tv.comms.e[gk->comm].key;
		uint64_t gt = ge->v[G_TOTAL];
		uint32_t n = start[g + 1] - start[g];
		if (rp->o.json) {
			json_obj_begin(&j);
			json_kv_str(&j, "comm", comm);
			json_kv_u64(&j, "pid", gk->pid);
			json_kv_u64(&j, "total", gt / div);
			json_key(&j, "percent");
			json_double(&j, pct(gt, tv.total));
		} else {
			outbuf_printf(rp->out, "#\n# %s  pid %u: %llu %s, %.2f%% of all\n#\n", comm, gk->pid,
				      (unsigned long long)(gt / div), rp->by_time ? "us off-CPU" : "samples",
				      pct(gt, tv.total));
		}
		for (int by_total = 0; by_total < 2; by_total++) {
			memcpy(rows, cells + start[g], n * sizeof(*rows));
			uint32_t k = list_rows(&tv, rows, n, by_total, rp->o.limit);
			if (rp->o.json) {
				json_key(&j, by_total ? "by_total" : "by_self");
				print_list_json(&j, &tv, rows, k, gt, div);
			} else {
				if (by_total)
					outbuf_puts(rp->out, "#\n");
				print_list_text(rp, &tv, rows, k, gt, by_total, div);
			}
		}
		if (rp->o.json)
			json_obj_end(&j);
	}
	if (rp->o.json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_newline(&j);
	}
	ret = 0;
out:
	free(gorder);
	free(start);
	free(cells);
	free(rows);
	ktab_free(&tv.comms);
	ktab_free(&tv.groups);
	ktab_free(&tv.funcs);
	ktab_free(&tv.cells);
	return ret;
}

/* ---- the command -------------------------------------------------------------------------- */


/* What --symfs / --debug-dir found that the user should know: one line
 * per kind of problem, with the first example. */
static void ext_notes(struct stackprof *rp)
{
	struct symbolizer_ext_stats st;
	symbolizer_ext_stats(rp->sym, &st);
	const char *where = rp->o.symfs && rp->o.debug_dir ? "--symfs/--debug-dir"
			    : rp->o.symfs                  ? "--symfs"
							   : "--debug-dir";
	if (st.mismatched)
		warn(rp, "%u file%s under %s ignored: not the build the trace recorded (%s)",
			 st.mismatched, st.mismatched == 1 ? "" : "s", where,
			 st.mismatch_msg ? st.mismatch_msg : "build-id differs");
	if (st.unreadable)
		warn(rp, "%u file%s under %s ignored: not readable as ELF (%s)", st.unreadable,
			 st.unreadable == 1 ? "" : "s", where, st.unreadable_msg ? st.unreadable_msg : "?");
	if (st.no_bias)
		warn(rp, "%u debug file%s under %s not used: where the code was loaded is unknown "
				      "(no table for it in the trace, no executable mapping that holds it, no copy "
				      "of the binary under --symfs) (%s)",
			 st.no_bias, st.no_bias == 1 ? "" : "s", where, st.no_bias_path ? st.no_bias_path : "?");
	if (st.dsos && !st.found)
		warn(rp, "%s: no symbol file found for any of the %u mapped files", where, st.dsos);
}

static int setup(struct stackprof *rp)
{
	rp->swap = trec_reader_swap(rp->r);
	int rc = select_types(rp);
	if (rc)
		return rc;
	/* Loaded up front: an unreadable stacks block is an error naming it,
	 * not every stack shown as [unknown] as if the file lacked it. */
	size_t nstacks;
	rc = trec_reader_stacks(rp->r, &nstacks, rp->err);
	if (rc < 0)
		return rp->read_error = 1, rc;
	struct symbolizer_opts so = { .sz = sizeof(so), .symfs = rp->o.symfs, .debug_dir = rp->o.debug_dir,
				      .no_demangle = rp->o.no_demangle };
	rc = symbolizer_new(rp->r, &so, &rp->sym, rp->err);
	if (rc < 0)
		return rp->read_error = 1, rc;
	if (rp->o.symfs || rp->o.debug_dir)
		ext_notes(rp);
	return 0;
}

void stackprof_free(struct stackprof *rp)
{
	if (!rp)
		return;
	free(rp->fr.f);
	tbuf_free(&rp->fr.text);
	stack_agg_free(&rp->agg);
	symbolizer_free(rp->sym);
	free(rp->sel);
	free(rp->wfield);
	free(rp->type_events);
	free(rp);
}

int stackprof_new(struct stackprof **out, struct rfile *f, const struct stackprof_opts *o, int *read_error,
		 struct trec_err *err)
{
	struct stackprof *rp = calloc(1, sizeof(*rp));
	*out = rp;
	if (!rp)
		return trec_errf(err, -ENOMEM, "out of memory");
	rp->o = *o;
	if (!rp->o.limit)
		rp->o.limit = 20;
	rp->file = f;
	rp->r = f->r;
	rp->err = err;
	tbuf_init(&rp->fr.text);
	int rc = setup(rp);
	*read_error = rp->read_error;
	return rc;
}

uint32_t stackprof_stacks(const struct stackprof *rp)
{
	return rp->agg.n;
}

int stackprof_by_time(struct stackprof *rp)
{
	decide_weight(rp);
	return rp->by_time;
}

int stackprof_print_top(struct stackprof *rp, struct outbuf *out, struct trec_err *err)
{
	rp->out = out;
	rp->err = err;
	decide_weight(rp);
	return print_top(rp);
}

void stackprof_warnings(struct stackprof *rp)
{
	if (rp->missing_stacks)
		warn(rp, "%llu events refer to stacks missing from %s; shown as [unknown]",
			 (unsigned long long)rp->missing_stacks, rp->file->path);
	if (rp->unreadable)
		warn(rp, "%llu events are too short for their " OFFCPU_FIELD " field; left out",
			 (unsigned long long)rp->unreadable);
}

/* ---- what a trace is ---------------------------------------------------------------------- */

int stackprof_is_profile(struct rfile *f)
{
	const struct trec_schema **s;
	size_t n;
	if (trec_reader_schemas(f->r, &s, &n, NULL) < 0)
		return 0;
	/* With an index the counts are free: a type that recorded nothing
	 * (a short command between two samples) does not make a profile. */
	const struct trec_totals *tot = NULL;
	if (trec_reader_info(f->r)->has_index && trec_reader_totals(f->r, &tot, NULL) < 0)
		tot = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!evfilter_type_ok(&f->f, s[i]->id) ||
		    (!is_sample_type(s[i]->name) && strcmp(s[i]->name, OFFCPU_EVENT)))
			continue;
		if (!tot)
			return 1;
		for (uint32_t k = 0; k < tot->ntypes; k++)
			if (tot->types[k].type == s[i]->id && tot->types[k].count)
				return 1;
	}
	return 0;
}

/* ---- report_fold_trace (fold.h) ---------------------------------------------------------- */

int report_fold_trace(const char *path, const struct fold_opts *fo, fold_emit_fn emit, void *ctx,
		      struct trec_err *err)
{
	struct evfilter_opts eo = { 0 };
	if (fo->event) {
		if (evfilter_add_list(&eo.events, &eo.nevents, fo->event) < 0) {
			evfilter_opts_free(&eo);
			return trec_errf(err, -EINVAL, "%s: bad event name '%s'", path, fo->event);
		}
		eo.any = 1;
	}
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = &eo };
	struct stackprof *p = NULL;
	int rc = source_open(&src, &path, 1, &so, err);
	if (!rc) {
		struct stackprof_opts po = {
			.sz = sizeof(po), .offcpu = fo->offcpu, .with_pid = fo->with_pid, .with_tid = fo->with_tid,
			.no_kernel = fo->no_kernel, .symfs = fo->symfs, .debug_dir = fo->debug_dir,
			.no_demangle = fo->no_demangle, .warn = fo->warn, .warn_ctx = fo->warn_ctx,
		};
		int read_error;
		rc = stackprof_new(&p, &src.files[0], &po, &read_error, err);
	}
	if (!rc) {
		struct pass_sink sink = stackprof_sink(p);
		rc = pass_run(&src, &sink, 1, NULL, err);
	}
	if (!rc)
		rc = stackprof_fold(p, emit, ctx, err);
	stackprof_free(p);
	source_close(&src);
	evfilter_opts_free(&eo);
	return rc;
}
