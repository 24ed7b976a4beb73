/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "comm_table.h"

struct comm_ent {
	uint32_t tid;
	uint32_t kind; /* enum trec_task_kind */
	uint64_t ts;
	uint32_t seq;  /* position in the file: ties in ts keep file order */
	const char *comm;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct comm_ent *x = a, *y = b;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static const char *lookup_tid(const struct comm_table *t, uint32_t tid, uint64_t ts);

static int fork_cmp(const void *a, const void *b)
{
	const struct trec_task *x = *(const struct trec_task *const *)a, *y = *(const struct trec_task *const *)b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/*
 * A child starts with its parent's name, but fork records (perf's FORK)
 * carry none: give each unnamed child the name its parent had at the fork,
 * in time order so that grandchildren inherit what children inherited.
 */
static int inherit_fork_names(struct comm_table *t, const struct trec_task *tasks, size_t n,
			      size_t nforks)
{
	const struct trec_task **forks = calloc(nforks, sizeof(*forks));
	if (!forks)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (tasks[i].kind == TREC_TASK_FORK && (!tasks[i].comm || !tasks[i].comm[0]))
			forks[k++] = &tasks[i];
	qsort(forks, k, sizeof(*forks), fork_cmp);
	struct comm_ent *added = calloc(k, sizeof(*added));
	size_t nadded = 0;
	if (!added) {
		free(forks);
		return -ENOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		const struct trec_task *f = forks[i];
		uint32_t parent = f->ptid ? f->ptid : f->ppid;
		const char *c = lookup_tid(t, parent, f->ts);
		for (size_t j = nadded; !c && j-- > 0;) /* inherited earlier in this pass */
			if (added[j].tid == parent)
				c = added[j].comm;
		if (c)
			added[nadded++] = (struct comm_ent){ .tid = f->tid, .kind = TREC_TASK_FORK, .ts = f->ts,
							     .seq = (uint32_t)(f - tasks), .comm = c };
	}
	free(forks);
	if (nadded) {
		struct comm_ent *e = realloc(t->e, (t->n + nadded) * sizeof(*e));
		if (!e) {
			free(added);
			return -ENOMEM;
		}
		memcpy(e + t->n, added, nadded * sizeof(*e));
		t->e = e;
		t->n += nadded;
		qsort(t->e, t->n, sizeof(*t->e), ent_cmp);
	}
	free(added);
	return 0;
}

int comm_table_build(struct comm_table *t, const struct trec_task *tasks, size_t n)
{
	size_t k = 0, nforks = 0;

	t->e = NULL;
	t->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (tasks[i].comm && tasks[i].comm[0])
			k++;
		else if (tasks[i].kind == TREC_TASK_FORK)
			nforks++;
	}
	if (!k)
		return 0;
	t->e = calloc(k, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trec_task *tk = &tasks[i];
		if (!tk->comm || !tk->comm[0])
			continue; /* exits and records that do not know the name */
		t->e[k].tid = tk->tid;
		t->e[k].kind = tk->kind;
		t->e[k].ts = tk->ts;
		t->e[k].seq = (uint32_t)i;
		t->e[k].comm = tk->comm;
		k++;
	}
	t->n = k;
	qsort(t->e, t->n, sizeof(*t->e), ent_cmp);
	return nforks ? inherit_fork_names(t, tasks, n, nforks) : 0;
}

void comm_table_free(struct comm_table *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

static const char *lookup_tid_range(const struct comm_table *t, uint32_t tid, uint64_t ts, uint64_t *from,
				    uint64_t *until)
{
	/* First entry with (tid, ts') > (tid, ts): the answer is just before. */
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct comm_ent *m = &t->e[mid];
		if (m->tid < tid || (m->tid == tid && m->ts <= ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && t->e[lo - 1].tid == tid) {
		if (from) {
			/* The same answer until the thread's next record. */
			*from = t->e[lo - 1].ts;
			*until = lo < t->n && t->e[lo].tid == tid ? t->e[lo].ts : UINT64_MAX;
		}
		return t->e[lo - 1].comm;
	}
	/* All records of tid (if any) are later than ts: e[lo] is its first. */
	if (lo < t->n && t->e[lo].tid == tid && t->e[lo].kind == TREC_TASK_SNAPSHOT)
		return t->e[lo].comm;
	return NULL;
}

static const char *lookup_tid(const struct comm_table *t, uint32_t tid, uint64_t ts)
{
	return lookup_tid_range(t, tid, ts, NULL, NULL);
}

const char *comm_table_lookup_miss(const struct comm_table *t, struct comm_cache *c, uint32_t pid, uint32_t tid,
				   uint64_t ts)
{
	c->valid = 0;
	if (!pid && !tid)
		return "swapper";
	uint64_t from = 0, until = 0;
	const char *r = t->n ? lookup_tid_range(t, tid, ts, &from, &until) : NULL;
	if (r && until > from) {
		*c = (struct comm_cache){ .valid = 1, .pid = pid, .tid = tid, .from = from, .until = until, .comm = r };
		return r;
	}
	return comm_table_lookup(t, pid, tid, ts);
}

const char *comm_table_lookup(const struct comm_table *t, uint32_t pid, uint32_t tid, uint64_t ts)
{
	/* The idle task has no /proc entry and never forks: name it as perf does. */
	if (!pid && !tid)
		return "swapper";
	if (!t->n)
		return NULL;
	const char *c = lookup_tid(t, tid, ts);
	if (!c && pid != tid)
		c = lookup_tid(t, pid, ts);
	return c;
}
