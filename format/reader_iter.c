/* SPDX-License-Identifier: MIT */
/*
 * Events out of a trace file, in time order (a merge of the blocks by
 * their first timestamps, at most MAX_OPEN_CURSORS decoded at once) or in
 * file order; one at a time, or as runs of one block (reader.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "opts.h"
#include "reader.h"
#include "reader_int.h"

#define MAX_OPEN_CURSORS 1024 /* blocks decoded at once in a time-ordered merge */

/* ---- event iteration ------------------------------------------------------- */

struct cursor {
	uint32_t block;
	uint32_t pos;
	struct trec_evblock ev;
};

struct trec_event_iter {
	struct trec_reader *r;
	struct trec_iter_opts o;
	uint32_t *order;  /* event blocks to visit, by first_ts (or file order) */
	uint32_t norder, next;
	struct cursor **heap; /* min-heap on the current event's ts (then block order) */
	uint32_t nheap;
	struct cursor **spare;
	uint32_t nspare;
	struct cursor *single; /* unordered mode */
	struct cursor *run;    /* heap[0] while it leads (see trec_event_iter_next_run) */
	uint64_t run_limit;
	uint32_t run_at, run_end; /* of the run trec_event_iter_next hands out */
};

static int cur_less(const struct cursor *a, const struct cursor *b)
{
	uint64_t ta = a->ev.ts[a->pos], tb = b->ev.ts[b->pos];
	return ta != tb ? ta < tb : a->block < b->block;
}

static void heap_down(struct trec_event_iter *it, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < it->nheap && cur_less(it->heap[l], it->heap[m]))
			m = l;
		if (l + 1 < it->nheap && cur_less(it->heap[l + 1], it->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		struct cursor *t = it->heap[i];
		it->heap[i] = it->heap[m];
		it->heap[m] = t;
		i = m;
	}
}

static void heap_up(struct trec_event_iter *it, uint32_t i)
{
	while (i) {
		uint32_t p = (i - 1) / 2;
		if (!cur_less(it->heap[i], it->heap[p]))
			return;
		struct cursor *t = it->heap[i];
		it->heap[i] = it->heap[p];
		it->heap[p] = t;
		i = p;
	}
}

static int cmp_block_first(const void *a, const void *b, void *ctx)
{
	const struct trec_block_info *blocks = ctx;
	const struct trec_block_info *x = &blocks[*(const uint32_t *)a];
	const struct trec_block_info *y = &blocks[*(const uint32_t *)b];
	if (x->h.first_ts != y->h.first_ts)
		return x->h.first_ts < y->h.first_ts ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

int trec_event_iter_new(struct trec_reader *r, const struct trec_iter_opts *opts,
			struct trec_event_iter **out)
{
	*out = NULL;
	struct trec_event_iter *it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->r = r;
	if (opts_copy(&it->o, sizeof(it->o), opts, opts ? opts->sz : 0)) {
		free(it);
		return -EINVAL;
	}
	uint64_t lo = it->o.start_ts, hi = it->o.end_ts ? it->o.end_ts : UINT64_MAX;
	it->order = calloc(r->info.nblocks ? r->info.nblocks : 1, sizeof(*it->order));
	it->heap = calloc(MAX_OPEN_CURSORS, sizeof(*it->heap));
	it->spare = calloc(MAX_OPEN_CURSORS, sizeof(*it->spare));
	if (!it->order || !it->heap || !it->spare) {
		trec_event_iter_free(it);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->info.nblocks; i++) {
		const struct trec_block_header *h = &r->blocks[i].h;
		/* The time window selects blocks by their header range: blocks
		 * outside it are never read, let alone decompressed. */
		if (h->kind == TREC_BLK_EVENTS && h->count && h->last_ts >= lo && h->first_ts <= hi)
			it->order[it->norder++] = i;
	}
	if (!it->o.unordered)
		qsort_r(it->order, it->norder, sizeof(*it->order), cmp_block_first, r->blocks);
	*out = it;
	return 0;
}

static void cursor_free(struct cursor *c)
{
	if (c) {
		trec_evblock_free(&c->ev);
		free(c);
	}
}

void trec_event_iter_free(struct trec_event_iter *it)
{
	if (!it)
		return;
	for (uint32_t i = 0; i < it->nheap; i++)
		cursor_free(it->heap[i]);
	for (uint32_t i = 0; i < it->nspare; i++)
		cursor_free(it->spare[i]);
	cursor_free(it->single);
	free(it->heap);
	free(it->spare);
	free(it->order);
	free(it);
}

/* Decodes block `bi` into a cursor (reusing a spare one's memory).
 * Returns the cursor, NULL with *rc = 0 for a skipped bad/empty block,
 * or NULL with *rc < 0. */
static struct cursor *open_cursor(struct trec_event_iter *it, uint32_t bi, int *rc, struct trec_err *err)
{
	struct trec_reader *r = it->r;
	*rc = 0;
	if (r->blocks[bi].bad)
		return NULL;
	struct cursor *c = it->nspare ? it->spare[--it->nspare] : calloc(1, sizeof(*c));
	if (!c) {
		*rc = trec_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!c->ev.mem && !c->ev.n)
		trec_evblock_init(&c->ev);
	struct trec_err e = { 0 };
	int x = reader_load_block(r, bi, &e);
	if (x == 0) {
		x = trec_events_decode_skip(r->raw.data, r->raw.len, r->blocks[bi].h.count, &c->ev,
					    it->o.skip_payload, it->o.skip_payload ? it->o.nskip : 0, &e);
		if (x < 0) {
			char m[sizeof(e.msg)];
			snprintf(m, sizeof(m), "%s", e.msg);
			trec_errf(&e, x, "%s: block %u (events) at offset %llu: %s", r->path, bi,
				  (unsigned long long)r->blocks[bi].offset, m);
		}
	}
	if (x < 0) {
		it->spare[it->nspare++] = c;
		if (x != -ENOMEM && r->o.ignore_corrupt) {
			reader_mark_bad(r, bi, e.msg);
			return NULL;
		}
		*rc = trec_errf(err, x, "%s%s", e.msg, x == -ENOMEM ? "" : " (use --ignore-corrupt to skip bad blocks)");
		return NULL;
	}
	r->stats.events_decoded += c->ev.n;
	c->block = bi;
	c->pos = 0;
	if (!c->ev.n) {
		it->spare[it->nspare++] = c;
		return NULL;
	}
	return c;
}

static void retire_cursor(struct trec_event_iter *it, struct cursor *c)
{
	if (it->nspare < MAX_OPEN_CURSORS)
		it->spare[it->nspare++] = c;
	else
		cursor_free(c);
}

static int in_window(const struct trec_event_iter *it, uint64_t ts)
{
	return ts >= it->o.start_ts && (!it->o.end_ts || ts <= it->o.end_ts);
}

/* Unordered: the current block's cursor is done with; the next block's
 * (NULL when it has nothing in the window). 1, 0 at the end, or an error. */
static int next_single(struct trec_event_iter *it, struct trec_err *err)
{
	if (it->single) {
		retire_cursor(it, it->single);
		it->single = NULL;
	}
	if (it->next >= it->norder)
		return 0;
	int rc;
	it->single = open_cursor(it, it->order[it->next++], &rc, err);
	return rc < 0 ? rc : 1;
}

static int next_unordered(struct trec_event_iter *it, struct trec_event *ev, struct trec_err *err)
{
	for (;;) {
		struct cursor *c = it->single;
		while (c && c->pos < c->ev.n) {
			uint32_t i = c->pos++;
			if (in_window(it, c->ev.ts[i])) {
				trec_evblock_get(&c->ev, i, ev);
				return 1;
			}
		}
		int rc = next_single(it, err);
		if (rc <= 0)
			return rc;
	}
}

int trec_event_iter_next_block(struct trec_event_iter *it, const struct trec_evblock **out,
			       struct trec_err *err)
{
	if (!it->o.unordered)
		return trec_errf(err, -EINVAL, "whole blocks come from unordered iterators only");
	for (;;) {
		int rc = next_single(it, err);
		if (rc <= 0)
			return rc;
		if (it->single) {
			it->single->pos = it->single->ev.n; /* handed out whole */
			*out = &it->single->ev;
			return 1;
		}
	}
}

/* The run [*first, c->pos): c's next events earlier than limit and in
 * the window, past those before limit out of it when `skip`. 1 if any. */
static int take_run(struct trec_event_iter *it, struct cursor *c, uint64_t limit, int skip, uint32_t *first)
{
	uint32_t k = c->pos, n = c->ev.n;
	const uint64_t *ts = c->ev.ts;
	int all = !it->o.start_ts && !it->o.end_ts;
	while (skip && !all && k < n && ts[k] < limit && !in_window(it, ts[k]))
		k++;
	*first = k;
	while (k < n && ts[k] < limit && (all || in_window(it, ts[k])))
		k++;
	c->pos = k;
	return k > *first;
}

int trec_event_iter_next_run(struct trec_event_iter *it, const struct trec_evblock **b, uint32_t *first,
			     uint32_t *n, struct trec_err *err)
{
	if (it->o.unordered)
		return trec_errf(err, -EINVAL, "runs come from ordered iterators only");
	if (it->run_at < it->run_end) { /* what trec_event_iter_next left of one */
		*b = &it->run->ev;
		*first = it->run_at;
		*n = it->run_end - it->run_at;
		it->run_at = it->run_end;
		return 1;
	}
	for (;;) {
		/* A run: the top cursor keeps the lead while its events are
		 * earlier than every other open cursor's and every unopened
		 * block's start, so they are handed out without heap work. */
		struct cursor *c = it->run;
		if (c) {
			if (take_run(it, c, it->run_limit, 1, first)) {
				*b = &c->ev;
				*n = c->pos - *first;
				return 1;
			}
			it->run = NULL;
			if (c->pos == c->ev.n) {
				/* The run handed out last points into c: it stays
				 * untouched in the spare list until a block is opened. */
				it->heap[0] = it->heap[--it->nheap];
				if (it->nheap)
					heap_down(it, 0);
				retire_cursor(it, c);
			} else {
				heap_down(it, 0);
			}
		}
		/* Open every block that starts no later than the earliest pending
		 * event: only then is that event the global minimum. */
		while (it->next < it->norder && it->nheap < MAX_OPEN_CURSORS) {
			const struct trec_block_info *bi = &it->r->blocks[it->order[it->next]];
			if (it->nheap) {
				const struct cursor *top = it->heap[0];
				if (bi->h.first_ts > top->ev.ts[top->pos])
					break;
			}
			int rc;
			struct cursor *nc = open_cursor(it, it->order[it->next++], &rc, err);
			if (rc < 0)
				return rc;
			if (nc) {
				it->heap[it->nheap++] = nc;
				heap_up(it, it->nheap - 1);
			}
		}
		if (!it->nheap)
			return 0;
		c = it->heap[0];
		uint64_t limit = UINT64_MAX;
		for (uint32_t k = 1; k <= 2 && k < it->nheap; k++) {
			const struct cursor *o = it->heap[k];
			if (o->ev.ts[o->pos] < limit)
				limit = o->ev.ts[o->pos];
		}
		if (it->next < it->norder) {
			uint64_t f = it->r->blocks[it->order[it->next]].h.first_ts;
			if (f < limit)
				limit = f;
		}
		it->run = c;
		it->run_limit = limit;
		/* c is the minimum now: its current event goes out whatever the
		 * limit, and the run goes on from there. */
		uint32_t i = c->pos++;
		if (in_window(it, c->ev.ts[i])) {
			take_run(it, c, limit, 0, first);
			*b = &c->ev;
			*first = i;
			*n = c->pos - i;
			return 1;
		}
	}
}

int trec_event_iter_next(struct trec_event_iter *it, struct trec_event *ev, struct trec_err *err)
{
	if (it->o.unordered)
		return next_unordered(it, ev, err);
	if (it->run_at == it->run_end) {
		const struct trec_evblock *b;
		uint32_t n;
		int rc = trec_event_iter_next_run(it, &b, &it->run_at, &n, err);
		if (rc <= 0)
			return rc;
		it->run_end = it->run_at + n;
	}
	trec_evblock_get(&it->run->ev, it->run_at++, ev);
	return 1;
}
