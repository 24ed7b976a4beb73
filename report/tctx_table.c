/* SPDX-License-Identifier: MIT */
/*
 * Task context lookups (tctx_table.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tctx_table.h"

struct tctx_ent {
	uint32_t tid;
	uint32_t seq; /* record order: ties in ts keep the later record */
	uint64_t ts;
	uint64_t cgroup_id;
	uint32_t nspid, nstid;
};

struct tctx_cg {
	uint64_t id;
	uint32_t seq;
	const char *path;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct tctx_ent *x = a, *y = b;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cg_cmp(const void *a, const void *b)
{
	const struct tctx_cg *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int tctx_table_build(struct tctx_table *t, const struct trec_task_ctx *r, size_t n)
{
	memset(t, 0, sizeof(*t));
	size_t ne = 0, ncg = 0;
	for (size_t i = 0; i < n; i++) {
		ne += r[i].kind == TREC_TCTX_TASK;
		ncg += r[i].kind == TREC_TCTX_CGROUP;
	}
	if (ne && !(t->e = calloc(ne, sizeof(*t->e))))
		return -ENOMEM;
	if (ncg && !(t->cg = calloc(ncg, sizeof(*t->cg)))) {
		tctx_table_free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind == TREC_TCTX_TASK)
			t->e[t->n++] = (struct tctx_ent){ .tid = r[i].tid, .seq = (uint32_t)i, .ts = r[i].ts,
							  .cgroup_id = r[i].cgroup_id, .nspid = r[i].nspid,
							  .nstid = r[i].nstid };
		else if (r[i].kind == TREC_TCTX_CGROUP)
			t->cg[t->ncg++] = (struct tctx_cg){ .id = r[i].cgroup_id, .seq = (uint32_t)i,
							    .path = r[i].path };
	}
	if (t->n > 1) /* qsort's base may not be NULL, even for 0 items */
		qsort(t->e, t->n, sizeof(*t->e), ent_cmp);
	if (t->ncg > 1)
		qsort(t->cg, t->ncg, sizeof(*t->cg), cg_cmp);
	/* One path per id: the first (a later file of a rotated recording
	 * repeats it; a forged one cannot take it over). */
	size_t k = 0;
	for (size_t i = 0; i < t->ncg; i++)
		if (!k || t->cg[k - 1].id != t->cg[i].id)
			t->cg[k++] = t->cg[i];
	t->ncg = k;
	return 0;
}

void tctx_table_free(struct tctx_table *t)
{
	free(t->e);
	free(t->cg);
	memset(t, 0, sizeof(*t));
}

static const char *cg_path(const struct tctx_table *t, uint64_t id)
{
	size_t lo = 0, hi = t->ncg;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->cg[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return id && lo < t->ncg && t->cg[lo].id == id ? t->cg[lo].path : NULL;
}

/* The record of tid in force at ts, or NULL; narrows [*from, *last] to
 * the times at which the answer is the same. */
static const struct tctx_ent *find(const struct tctx_table *t, uint32_t tid, uint64_t ts, uint64_t *from,
				   uint64_t *last)
{
	/* first entry with (tid, ts') > (tid, ts) */
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tctx_ent *e = &t->e[mid];
		if (e->tid < tid || (e->tid == tid && e->ts <= ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct tctx_ent *next = lo < t->n && t->e[lo].tid == tid ? &t->e[lo] : NULL;
	if (next && next->ts - 1 < *last) /* next->ts > ts >= 0 */
		*last = next->ts - 1;
	if (lo > 0 && t->e[lo - 1].tid == tid) {
		if (t->e[lo - 1].ts > *from)
			*from = t->e[lo - 1].ts;
		return &t->e[lo - 1];
	}
	return next; /* before its first record */
}

static int lookup(const struct tctx_table *t, uint32_t pid, uint32_t tid, uint64_t ts, struct tctx_info *out,
		  uint64_t *from, uint64_t *last)
{
	memset(out, 0, sizeof(*out));
	if (!t->n)
		return 0;
	const struct tctx_ent *e = find(t, tid, ts, from, last);
	int own = e != NULL;
	if (!e && (tid == pid || !(e = find(t, pid, ts, from, last))))
		return 0;
	out->cgroup = cg_path(t, e->cgroup_id);
	out->nspid = e->nspid;
	out->nstid = own ? e->nstid : 0;
	return 1;
}

int tctx_table_lookup(const struct tctx_table *t, uint32_t pid, uint32_t tid, uint64_t ts, struct tctx_info *out)
{
	uint64_t from = 0, last = UINT64_MAX;
	return lookup(t, pid, tid, ts, out, &from, &last);
}

int tctx_table_lookup_miss(const struct tctx_table *t, struct tctx_cache *c, uint32_t pid, uint32_t tid,
			   uint64_t ts, struct tctx_info *out)
{
	uint64_t from = 0, last = UINT64_MAX;
	int known = lookup(t, pid, tid, ts, out, &from, &last);
	*c = (struct tctx_cache){ .valid = 1, .pid = pid, .tid = tid, .from = from, .last = last,
				  .known = known, .info = *out };
	return known;
}
