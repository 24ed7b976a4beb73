/* SPDX-License-Identifier: MIT */
/*
 * The interactive report's call trees and lines (browse.h).
 *
 * A listed function's callers and callees are tries built when it is
 * first opened, from the kept rows whose stacks hold it (an index from
 * function to rows, built on the first open after the selection
 * changed). Each stack counts from the function's outermost frame, so a
 * recursive function's trees sum to its total. A frame with one child
 * starts open: a single call path reads at once, as perf shows it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "browse_impl.h"

/* ---- the function -> rows index --------------------------------------------------------------- */

static int build_index(struct browse *b)
{
	uint32_t nf = b->arr_n;
	free(b->idx_start);
	free(b->idx_rows);
	b->idx_rows = NULL;
	b->idx_start = calloc((size_t)nf + 1, sizeof(*b->idx_start));
	if (!b->idx_start)
		return -ENOMEM;
	memset(b->stamp, 0, (size_t)nf * sizeof(*b->stamp));
	uint64_t total = 0;
	for (uint32_t k = 0; k < b->nkept; k++) {
		const struct brow *r = &b->rows[b->kept[k]];
		const struct bseq *s = &b->seqs[r->seq];
		for (uint32_t j = 0; j < s->len; j++) {
			uint32_t f = b->seq_ids[s->off + j];
			if (b->stamp[f] == k + 1)
				continue;
			b->stamp[f] = k + 1;
			b->idx_start[f + 1]++;
			total++;
		}
	}
	if (total > UINT32_MAX)
		return -ENOMEM;
	for (uint32_t f = 0; f < nf; f++)
		b->idx_start[f + 1] += b->idx_start[f];
	b->idx_rows = malloc((total ? total : 1) * sizeof(*b->idx_rows));
	uint32_t *fill = malloc(((size_t)nf + 1) * sizeof(*fill));
	if (!b->idx_rows || !fill) {
		free(fill);
		return -ENOMEM;
	}
	memcpy(fill, b->idx_start, (size_t)nf * sizeof(*fill));
	memset(b->stamp, 0, (size_t)nf * sizeof(*b->stamp));
	for (uint32_t k = 0; k < b->nkept; k++) {
		const struct brow *r = &b->rows[b->kept[k]];
		const struct bseq *s = &b->seqs[r->seq];
		for (uint32_t j = 0; j < s->len; j++) {
			uint32_t f = b->seq_ids[s->off + j];
			if (b->stamp[f] == k + 1)
				continue;
			b->stamp[f] = k + 1;
			b->idx_rows[fill[f]++] = b->kept[k];
		}
	}
	free(fill);
	b->idx_built = 1;
	return 0;
}

/* ---- tries ------------------------------------------------------------------------------------- */

static void ctree_free(struct ctree *t)
{
	free(t->n);
	memset(t, 0, sizeof(*t));
}

static int ctree_node(struct ctree *t, uint32_t func)
{
	if (t->nn == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct ctnode *n = realloc(t->n, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->n = n;
		t->cap = cap;
	}
	memset(&t->n[t->nn], 0, sizeof(t->n[0]));
	t->n[t->nn].func = func;
	return (int)t->nn++;
}

struct edge {
	uint32_t parent, func;
};

/* The child of `parent` for `func`, made when new; -ENOMEM. */
static int64_t ctree_child(struct ctree *t, struct ktab *edges, uint32_t parent, uint32_t func)
{
	struct edge e = { parent, func };
	uint32_t id;
	int rc = ktab_get(edges, &e, sizeof(e), &id);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return (int64_t)edges->e[id].v[0];
	int n = ctree_node(t, func);
	if (n < 0)
		return n;
	t->n[n].next = t->n[parent].child;
	t->n[parent].child = (uint32_t)n;
	t->n[parent].nchild++;
	edges->e[id].v[0] = (uint64_t)n;
	return n;
}

struct child_sort {
	const struct ctnode *n;
	const struct browse *b;
};

static int cmp_child(const void *x, const void *y, void *ctx)
{
	const struct child_sort *cs = ctx;
	const struct ctnode *a = &cs->n[*(const uint32_t *)x], *c = &cs->n[*(const uint32_t *)y];
	if (a->weight != c->weight)
		return a->weight > c->weight ? -1 : 1;
	return strcmp(cs->b->funcs[a->func].name, cs->b->funcs[c->func].name);
}

/* Children heaviest first; a frame with one child open. */
static int ctree_finish(const struct browse *b, struct ctree *t)
{
	uint32_t *tmp = malloc((t->nn ? t->nn : 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	struct child_sort cs = { t->n, b };
	for (uint32_t i = 0; i < t->nn; i++) {
		struct ctnode *p = &t->n[i];
		uint32_t k = 0;
		for (uint32_t c = p->child; c; c = t->n[c].next)
			tmp[k++] = c;
		qsort_r(tmp, k, sizeof(*tmp), cmp_child, &cs);
		p->child = 0;
		for (uint32_t j = k; j-- > 0;) {
			t->n[tmp[j]].next = p->child;
			p->child = tmp[j];
		}
		p->open = i && p->nchild == 1;
	}
	free(tmp);
	return 0;
}

/* The callers (side 0) and callees (side 1) of f over the kept rows. */
static int build_trees(struct browse *b, uint32_t f, struct ftree **out)
{
	if (!b->idx_built && build_index(b) < 0)
		return -ENOMEM;
	struct ftree *ft = calloc(1, sizeof(*ft));
	if (!ft)
		return -ENOMEM;
	struct ktab edges[2];
	ktab_init(&edges[0]);
	ktab_init(&edges[1]);
	int rc = 0;
	for (int side = 0; side < 2 && !rc; side++)
		rc = ctree_node(&ft->side[side], f) < 0 ? -ENOMEM : 0;
	for (uint32_t k = b->idx_start[f]; k < b->idx_start[f + 1] && !rc; k++) {
		const struct brow *r = &b->rows[b->idx_rows[k]];
		const struct bseq *s = &b->seqs[r->seq];
		const uint32_t *ids = b->seq_ids + s->off;
		uint32_t j = s->len;
		while (j > 0 && ids[j - 1] != f)
			j--; /* leaf first: the outermost frame of f is the last */
		if (!j)
			continue;
		j--;
		for (int side = 0; side < 2 && !rc; side++) {
			struct ctree *t = &ft->side[side];
			uint32_t cur = 0;
			t->n[0].weight += r->weight;
			t->n[0].events += r->events;
			/* callers: toward the root (up the ids); callees: toward the leaf */
			for (uint32_t step = 1;; step++) {
				uint32_t at;
				if (side == 0 ? j + step >= s->len : step > j)
					break;
				at = side == 0 ? j + step : j - step;
				int64_t c = ctree_child(t, &edges[side], cur, ids[at]);
				if (c < 0) {
					rc = (int)c;
					break;
				}
				cur = (uint32_t)c;
				t->n[cur].weight += r->weight;
				t->n[cur].events += r->events;
			}
			t->n[cur].ended += r->weight;
			t->n[cur].ended_events += r->events;
		}
	}
	for (int side = 0; side < 2 && !rc; side++)
		rc = ctree_finish(b, &ft->side[side]);
	ktab_free(&edges[0]);
	ktab_free(&edges[1]);
	if (rc) {
		ctree_free(&ft->side[0]);
		ctree_free(&ft->side[1]);
		free(ft);
		return rc;
	}
	*out = ft;
	return 0;
}

static int trees_of(struct browse *b, uint32_t f, struct ftree **out)
{
	if (!b->trees[f]) {
		int rc = build_trees(b, f, &b->trees[f]);
		if (rc)
			return rc;
	}
	*out = b->trees[f];
	return 0;
}

static void drop_trees(struct browse *b, uint32_t f)
{
	if (!b->trees || !b->trees[f])
		return;
	ctree_free(&b->trees[f]->side[0]);
	ctree_free(&b->trees[f]->side[1]);
	free(b->trees[f]);
	b->trees[f] = NULL;
}

void browse_trees_reset(struct browse *b)
{
	for (uint32_t f = 0; b->trees && f < b->trees_n; f++)
		drop_trees(b, f);
	b->idx_built = 0;
}

int browse_funcs_resized(struct browse *b, uint32_t old_n)
{
	(void)old_n;
	uint32_t n = b->arr_n;
	if (n <= b->trees_n)
		return 0;
	struct ftree **t = realloc(b->trees, (size_t)n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	b->trees = t;
	uint8_t *s = realloc(b->fstate, n);
	if (!s)
		return -ENOMEM;
	b->fstate = s;
	memset(t + b->trees_n, 0, (size_t)(n - b->trees_n) * sizeof(*t));
	memset(s + b->trees_n, 0, n - b->trees_n);
	b->trees_n = n;
	return 0;
}

/* ---- lines ----------------------------------------------------------------------------------- */

static int push(struct browse *b, enum browse_line_kind kind, int side, unsigned depth, uint32_t func,
		uint32_t node)
{
	if (b->nlines == b->lines_cap) {
		uint32_t cap = b->lines_cap ? b->lines_cap * 2 : 1024;
		struct bline *l = realloc(b->lines, (size_t)cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		b->lines = l;
		b->lines_cap = cap;
	}
	b->lines[b->nlines++] = (struct bline){ .kind = (uint8_t)kind, .side = (uint8_t)side,
						.depth = (uint16_t)(depth > UINT16_MAX ? UINT16_MAX : depth),
						.func = func, .node = node };
	return 0;
}

static int push_nodes(struct browse *b, const struct ctree *t, int side, uint32_t f, uint32_t parent,
		      unsigned depth)
{
	for (uint32_t c = t->n[parent].child; c; c = t->n[c].next) {
		if (push(b, BROWSE_NODE, side, depth, f, c) < 0)
			return -ENOMEM;
		if (t->n[c].open && t->n[c].child && push_nodes(b, t, side, f, c, depth + 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

int browse_lines_rebuild(struct browse *b)
{
	b->nlines = 0;
	for (uint32_t i = 0; i < b->tot.functions; i++) {
		uint32_t f = b->list[i];
		if (push(b, BROWSE_FUNC, 0, 0, f, 0) < 0)
			return -ENOMEM;
		if (!(b->fstate[f] & FS_OPEN))
			continue;
		if (!(b->fstate[f] & FS_INIT))
			b->fstate[f] |= FS_INIT | FS_HDR_CALLERS | FS_HDR_CALLEES;
		struct ftree *ft = NULL;
		if (trees_of(b, f, &ft) < 0)
			return -ENOMEM;
		for (int side = 0; side < 2; side++) {
			if (push(b, side ? BROWSE_CALLEES : BROWSE_CALLERS, side, 1, f, 0) < 0)
				return -ENOMEM;
			if ((b->fstate[f] & (side ? FS_HDR_CALLEES : FS_HDR_CALLERS)) &&
			    push_nodes(b, &ft->side[side], side, f, 0, 2) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

uint32_t browse_nlines(const struct browse *b) { return b->nlines; }

void browse_line(const struct browse *b, uint32_t i, struct browse_line *l)
{
	memset(l, 0, sizeof(*l));
	if (i >= b->nlines)
		return;
	const struct bline *bl = &b->lines[i];
	uint32_t f = bl->func;
	l->kind = (enum browse_line_kind)bl->kind;
	l->depth = bl->depth;
	l->func = f;
	const struct bfunc *fn = &b->funcs[f];
	switch (l->kind) {
	case BROWSE_FUNC:
		l->open = !!(b->fstate[f] & FS_OPEN);
		l->expandable = 1;
		l->self = b->self_w[f];
		l->self_events = b->self_n[f];
		l->total = b->total_w[f];
		l->total_events = b->total_n[f];
		break;
	case BROWSE_CALLERS:
	case BROWSE_CALLEES: {
		const struct ctree *t = &b->trees[f]->side[bl->side];
		l->expandable = t->n[0].child != 0;
		l->open = l->expandable && (b->fstate[f] & (bl->side ? FS_HDR_CALLEES : FS_HDR_CALLERS));
		l->total = t->n[0].weight;
		l->total_events = t->n[0].events;
		break;
	}
	case BROWSE_NODE: {
		const struct ctnode *n = &b->trees[f]->side[bl->side].n[bl->node];
		fn = &b->funcs[n->func];
		l->func = n->func;
		l->open = n->open && n->child;
		l->expandable = n->child != 0;
		l->total = n->weight;
		l->total_events = n->events;
		if (bl->side == 1) {
			l->self = n->ended;
			l->self_events = n->ended_events;
		}
		break;
	}
	}
	l->name = fn->name;
	l->dso = fn->dso;
	l->kernel = fn->kernel;
}

/* Every node under `parent` (not itself) opened or closed. */
static void set_subtree(struct ctree *t, uint32_t parent, int open)
{
	for (uint32_t c = t->n[parent].child; c; c = t->n[c].next) {
		t->n[c].open = open;
		set_subtree(t, c, open);
	}
}

static int finish(struct browse *b, int rc)
{
	if (!rc && browse_lines_rebuild(b) < 0)
		rc = -ENOMEM;
	return rc < 0 ? trec_errf(b->err, rc, "out of memory building the call trees") : 0;
}

static int change(struct browse *b, uint32_t i, int how, int subtree, struct trec_err *err)
{
	/* how: 1 open, 0 close, -1 the other way round */
	b->err = err;
	if (i >= b->nlines)
		return 0;
	const struct bline bl = b->lines[i];
	uint32_t f = bl.func;
	struct ftree *ft = NULL;
	int rc = 0;
	switch ((enum browse_line_kind)bl.kind) {
	case BROWSE_FUNC: {
		int open = how < 0 ? !(b->fstate[f] & FS_OPEN) : how;
		if (!open) {
			b->fstate[f] &= (uint8_t)~FS_OPEN;
			if (subtree) {
				b->fstate[f] &= (uint8_t)~FS_INIT;
				drop_trees(b, f);
			}
			break;
		}
		b->fstate[f] |= FS_OPEN;
		if (!(b->fstate[f] & FS_INIT))
			b->fstate[f] |= FS_INIT | FS_HDR_CALLERS | FS_HDR_CALLEES;
		if (subtree && !(rc = trees_of(b, f, &ft))) {
			b->fstate[f] |= FS_HDR_CALLERS | FS_HDR_CALLEES;
			set_subtree(&ft->side[0], 0, 1);
			set_subtree(&ft->side[1], 0, 1);
		}
		break;
	}
	case BROWSE_CALLERS:
	case BROWSE_CALLEES: {
		uint8_t flag = bl.kind == BROWSE_CALLEES ? FS_HDR_CALLEES : FS_HDR_CALLERS;
		int open = how < 0 ? !(b->fstate[f] & flag) : how;
		b->fstate[f] = (uint8_t)(open ? b->fstate[f] | flag : b->fstate[f] & ~flag);
		if (subtree && !(rc = trees_of(b, f, &ft)))
			set_subtree(&ft->side[bl.side], 0, open);
		break;
	}
	case BROWSE_NODE: {
		if ((rc = trees_of(b, f, &ft)))
			break;
		struct ctree *t = &ft->side[bl.side];
		struct ctnode *n = &t->n[bl.node];
		int open = how < 0 ? !n->open : how;
		n->open = open;
		if (subtree)
			set_subtree(t, bl.node, open);
		break;
	}
	}
	return finish(b, rc);
}

int browse_toggle(struct browse *b, uint32_t i, struct trec_err *err) { return change(b, i, -1, 0, err); }

int browse_expand(struct browse *b, uint32_t i, int subtree, struct trec_err *err)
{
	return change(b, i, 1, subtree, err);
}

int browse_collapse(struct browse *b, uint32_t i, int subtree, struct trec_err *err)
{
	return change(b, i, 0, subtree, err);
}

int browse_expand_all(struct browse *b, uint32_t limit, struct trec_err *err)
{
	b->err = err;
	for (uint32_t i = 0; i < b->tot.functions && i < limit; i++)
		b->fstate[b->list[i]] |= FS_OPEN;
	return finish(b, 0);
}

int browse_collapse_all(struct browse *b, struct trec_err *err)
{
	b->err = err;
	for (uint32_t f = 0; f < b->trees_n; f++)
		b->fstate[f] &= (uint8_t)~FS_OPEN;
	return finish(b, 0);
}

uint32_t browse_parent(const struct browse *b, uint32_t i)
{
	if (i >= b->nlines || !b->lines[i].depth)
		return i;
	unsigned d = b->lines[i].depth;
	while (i > 0 && b->lines[i].depth >= d)
		i--;
	return i;
}

int64_t browse_find_func(const struct browse *b, uint32_t func)
{
	for (uint32_t i = 0; i < b->nlines; i++)
		if (b->lines[i].kind == BROWSE_FUNC && b->lines[i].func == func)
			return i;
	return -1;
}
