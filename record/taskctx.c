/* SPDX-License-Identifier: MIT */
/*
 * Task context for the side-band (taskctx.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups.h"
#include "hashmap.h"
#include "taskctx.h"

/* What was last written for one thread in this file. */
struct tctx_last {
	uint64_t cgroup_id;
	uint32_t nspid, nstid;
};

struct taskctx {
	char *proc_root;
	char v2root[PATH_MAX];
	int have_v2;
	struct hashmap last;    /* tid -> struct tctx_last * */
	struct hashmap written; /* cgroup id -> 1: its path is in this file */
	struct hashmap ids;     /* cgroup path (owned string) -> id, across files */
	struct taskctx_stats st;
};

static size_t hash_int(long k, void *ctx)
{
	(void)ctx;
	uint64_t x = (uint64_t)k * 0x9e3779b97f4a7c15ull;
	return (size_t)(x ^ (x >> 29));
}
static bool eq_int(long a, long b, void *ctx)
{
	(void)ctx;
	return a == b;
}
static size_t hash_str(long k, void *ctx)
{
	(void)ctx;
	size_t h = 1469598103934665603ull;
	for (const char *p = (const char *)k; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}
static bool eq_str(long a, long b, void *ctx)
{
	(void)ctx;
	return !strcmp((const char *)a, (const char *)b);
}

struct taskctx *taskctx_new(const char *proc_root)
{
	struct taskctx *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return NULL;
	if (proc_root && !(tc->proc_root = strdup(proc_root))) {
		free(tc);
		return NULL;
	}
	struct trec_err e = { 0 };
	tc->have_v2 = cgroup_v2_root(tc->v2root, sizeof(tc->v2root), &e) == 0;
	hashmap_init(&tc->last, hash_int, eq_int, NULL);
	hashmap_init(&tc->written, hash_int, eq_int, NULL);
	hashmap_init(&tc->ids, hash_str, eq_str, NULL);
	/* Bounds: a runaway fork storm must not grow these without limit. */
	hashmap_set_max(&tc->last, 1u << 22);
	hashmap_set_max(&tc->ids, 1u << 16);
	return tc;
}

static void clear_last(struct taskctx *tc)
{
	size_t pos = 0;
	long k, v;
	while (hashmap_next(&tc->last, &pos, &k, &v))
		free((void *)v);
	hashmap_reset(&tc->last);
}

void taskctx_new_file(struct taskctx *tc)
{
	if (!tc)
		return;
	clear_last(tc);
	hashmap_reset(&tc->written);
}

void taskctx_free(struct taskctx *tc)
{
	if (!tc)
		return;
	clear_last(tc);
	hashmap_clear(&tc->last);
	hashmap_clear(&tc->written);
	size_t pos = 0;
	long k, v;
	while (hashmap_next(&tc->ids, &pos, &k, &v))
		free((void *)k);
	hashmap_clear(&tc->ids);
	free(tc->proc_root);
	free(tc);
}

/* The id of cgroup `path` (relative to the v2 root): remembered, since a
 * cgroup keeps its id for life and a path names one cgroup at a time
 * (a cgroup removed and made again under the same name gets a new id;
 * that window is accepted). 0 when unknown. */
static uint64_t id_of(struct taskctx *tc, const char *path)
{
	long v;
	if (hashmap_find(&tc->ids, (long)path, &v))
		return (uint64_t)v;
	char full[PATH_MAX + 4096 + 1];
	snprintf(full, sizeof(full), "%s%s", tc->v2root, path);
	uint64_t id = cgroup_id_of(full);
	if (!id)
		return 0;
	char *key = strdup(path);
	if (key && hashmap_add(&tc->ids, (long)key, (long)id))
		free(key);
	return id;
}

int taskctx_on_task(struct taskctx *tc, struct trec_writer *w, const struct trec_task *t)
{
	if (!tc)
		return 0;
	if (t->kind == TREC_TASK_EXIT) {
		long v;
		if (hashmap_delete(&tc->last, (long)t->tid, NULL, &v))
			free((void *)v);
		return 0;
	}
	if (t->kind != TREC_TASK_SNAPSHOT && t->kind != TREC_TASK_FORK && t->kind != TREC_TASK_EXEC)
		return 0;
	struct task_ns ns;
	tc->st.reads++;
	if (task_ns_read(tc->proc_root, (pid_t)t->pid, (pid_t)t->tid, &ns)) {
		tc->st.gone++;
		return 0;
	}
	uint64_t id = tc->have_v2 && ns.cgroup[0] ? id_of(tc, ns.cgroup) : 0;
	if (!id && !ns.nspid && !ns.nstid)
		return 0;
	long v;
	struct tctx_last *l = hashmap_find(&tc->last, (long)t->tid, &v) ? (struct tctx_last *)v : NULL;
	if (l && l->cgroup_id == id && l->nspid == ns.nspid && l->nstid == ns.nstid)
		return 0;
	int r;
	if (id && !hashmap_find(&tc->written, (long)id, NULL)) {
		struct trec_task_ctx c = { .ts = t->ts, .kind = TREC_TCTX_CGROUP, .cgroup_id = id, .path = ns.cgroup };
		if ((r = trec_writer_add_task_ctx(w, &c)))
			return r;
		tc->st.cgroups++;
		if (hashmap_add(&tc->written, (long)id, 1) == -ENOMEM)
			return -ENOMEM;
	}
	struct trec_task_ctx c = { .ts = t->ts, .kind = TREC_TCTX_TASK, .pid = t->pid, .tid = t->tid,
				   .cgroup_id = id, .nspid = ns.nspid, .nstid = ns.nstid, .path = "" };
	if ((r = trec_writer_add_task_ctx(w, &c)))
		return r;
	tc->st.records++;
	if (!l) {
		l = malloc(sizeof(*l));
		if (!l)
			return -ENOMEM;
		if (hashmap_add(&tc->last, (long)t->tid, (long)l)) {
			free(l); /* at the bound: the next change writes again, harmless */
			return 0;
		}
	}
	*l = (struct tctx_last){ id, ns.nspid, ns.nstid };
	return 0;
}

void taskctx_stats(const struct taskctx *tc, struct taskctx_stats *st)
{
	if (tc)
		*st = tc->st;
	else
		memset(st, 0, sizeof(*st));
}
