/* SPDX-License-Identifier: MIT */
/*
 * Task context for the side-band (taskctx.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "hashmap.h"
#include "taskctx.h"
#include "trec_bpf.h"

/* A walk of the hierarchy stops here: a host with more cgroups than this
 * has ids left unnamed rather than a recorder stalled. */
#define SCAN_MAX_DIRS 100000
#define SCAN_MAX_DEPTH 64
#define MAX_KNOWN_CGROUPS (1u << 18)

/* What was last written for one thread in this file. */
struct tctx_last {
	uint64_t cgroup_id;
	uint32_t nspid, nstid;
};

struct taskctx {
	char *proc_root;
	char v2root[PATH_MAX];
	int have_v2;
	int map_fd;
	struct hashmap last;    /* tid -> struct tctx_last * */
	struct hashmap written; /* cgroup id -> 1: its path is in this file */
	struct hashmap paths;   /* cgroup id -> path (owned string; NULL: no walk found it) */
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

struct taskctx *taskctx_new(const char *proc_root)
{
	struct taskctx *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return NULL;
	if (proc_root && !(tc->proc_root = strdup(proc_root))) {
		free(tc);
		return NULL;
	}
	tc->map_fd = -1;
	struct trec_err e = { 0 };
	tc->have_v2 = cgroup_v2_root(tc->v2root, sizeof(tc->v2root), &e) == 0;
	hashmap_init(&tc->last, hash_int, eq_int, NULL);
	hashmap_init(&tc->written, hash_int, eq_int, NULL);
	hashmap_init(&tc->paths, hash_int, eq_int, NULL);
	/* Bounds: a runaway fork storm must not grow these without limit. */
	hashmap_set_max(&tc->last, 1u << 22);
	hashmap_set_max(&tc->paths, MAX_KNOWN_CGROUPS);
	return tc;
}

void taskctx_set_map(struct taskctx *tc, int fd)
{
	if (tc)
		tc->map_fd = fd;
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
	while (hashmap_next(&tc->paths, &pos, &k, &v))
		free((void *)v);
	hashmap_clear(&tc->paths);
	free(tc->proc_root);
	free(tc);
}

/* Remembers id -> path (a cgroup keeps its id for life; ids are never
 * reused). A known id keeps its first path. */
static void remember(struct taskctx *tc, uint64_t id, const char *path)
{
	long old;
	if (!id || (hashmap_find(&tc->paths, (long)id, &old) && old))
		return;
	char *p = path ? strdup(path) : NULL;
	if (path && !p)
		return;
	if (hashmap_set(&tc->paths, (long)id, (long)p, NULL, NULL) < 0)
		free(p);
}

/* Every cgroup below dir (full path; rel its path from the v2 root). */
static void walk(struct taskctx *tc, char *full, size_t flen, size_t rlen, int depth, size_t *ndirs)
{
	DIR *d = opendir(full);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && *ndirs < SCAN_MAX_DIRS) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t nl = strlen(de->d_name);
		if (flen + 1 + nl >= PATH_MAX)
			continue;
		full[flen] = '/';
		memcpy(full + flen + 1, de->d_name, nl + 1);
		(*ndirs)++;
		uint64_t id = cgroup_id_of(full);
		if (id)
			remember(tc, id, full + flen - rlen);
		if (depth < SCAN_MAX_DEPTH)
			walk(tc, full, flen + 1 + nl, rlen + 1 + nl, depth + 1, ndirs);
		full[flen] = 0;
	}
	closedir(d);
}

/* The path of cgroup `id`, walking the hierarchy when it is new. NULL when
 * no walk found it (it was removed first), which is remembered too. */
static const char *path_of(struct taskctx *tc, uint64_t id)
{
	long v;
	if (!id || !tc->have_v2)
		return NULL;
	if (hashmap_find(&tc->paths, (long)id, &v))
		return (const char *)v;
	char full[PATH_MAX];
	size_t ndirs = 0, rl = strlen(tc->v2root);
	memcpy(full, tc->v2root, rl + 1);
	tc->st.scans++;
	remember(tc, cgroup_id_of(full), "/");
	walk(tc, full, rl, 0, 0, &ndirs);
	if (hashmap_find(&tc->paths, (long)id, &v))
		return (const char *)v;
	tc->st.unnamed++;
	remember(tc, id, NULL);
	return NULL;
}

/* The thread's context: from the kernel at a fork or exec when it kept one,
 * else from /proc. 0 when nothing is known. */
static int context_of(struct taskctx *tc, const struct trec_task *t, uint64_t *id, const char **path,
		      uint32_t *nspid, uint32_t *nstid, struct task_ns *ns)
{
	if (tc->map_fd >= 0 && t->kind != TREC_TASK_SNAPSHOT) {
		uint64_t key = TREC_TASK_CTX_KEY(t->tid, t->kind == TREC_TASK_EXEC);
		struct trec_task_ctx_val v;
		if (!bpf_map_lookup_elem(tc->map_fd, &key, &v)) {
			bpf_map_delete_elem(tc->map_fd, &key);
			tc->st.kernel++;
			*id = v.cgroup_id;
			*path = path_of(tc, v.cgroup_id);
			*nspid = v.nspid;
			*nstid = v.nstid;
			return 1;
		}
	}
	tc->st.reads++;
	if (task_ns_read(tc->proc_root, (pid_t)t->pid, (pid_t)t->tid, ns)) {
		tc->st.gone++;
		return 0;
	}
	*path = ns->cgroup[0] ? ns->cgroup : NULL;
	*id = 0;
	if (tc->have_v2 && *path) {
		char full[PATH_MAX + sizeof(ns->cgroup)];
		snprintf(full, sizeof(full), "%s%s", tc->v2root, *path);
		if ((*id = cgroup_id_of(full)))
			remember(tc, *id, *path);
	}
	*nspid = ns->nspid;
	*nstid = ns->nstid;
	return *id || *nspid || *nstid;
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
	uint64_t id = 0;
	const char *path = NULL;
	uint32_t nspid = 0, nstid = 0;
	if (!context_of(tc, t, &id, &path, &nspid, &nstid, &ns))
		return 0;
	long v;
	struct tctx_last *l = hashmap_find(&tc->last, (long)t->tid, &v) ? (struct tctx_last *)v : NULL;
	if (l && l->cgroup_id == id && l->nspid == nspid && l->nstid == nstid)
		return 0;
	int r;
	if (id && path && !hashmap_find(&tc->written, (long)id, NULL)) {
		struct trec_task_ctx c = { .ts = t->ts, .kind = TREC_TCTX_CGROUP, .cgroup_id = id, .path = path };
		if ((r = trec_writer_add_task_ctx(w, &c)))
			return r;
		tc->st.cgroups++;
		if (hashmap_add(&tc->written, (long)id, 1) == -ENOMEM)
			return -ENOMEM;
	}
	struct trec_task_ctx c = { .ts = t->ts, .kind = TREC_TCTX_TASK, .pid = t->pid, .tid = t->tid,
				   .cgroup_id = id, .nspid = nspid, .nstid = nstid, .path = "" };
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
	*l = (struct tctx_last){ id, nspid, nstid };
	return 0;
}

void taskctx_stats(const struct taskctx *tc, struct taskctx_stats *st)
{
	if (tc)
		*st = tc->st;
	else
		memset(st, 0, sizeof(*st));
}
