/* SPDX-License-Identifier: MIT */
/*
 * The unwind-table loader's state (unwind_int.h): its mirror of every
 * process's mappings, a tsearch tree by pid that the loader thread
 * changes as side-band records arrive and writes to the kernel's process
 * map, and the statistics (the loader's own and the BPF unwinder's
 * per-CPU counters) with their trace metadata keys.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "unwind.h"
#include "unwind_int.h"

uint64_t uw_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- processes (loader thread) --------------------------------------------------- */

static int cmp_proc(const void *a, const void *b)
{
	uint32_t x = ((const struct proc *)a)->pid, y = ((const struct proc *)b)->pid;
	return (x > y) - (x < y);
}

struct proc *uw_proc_get(struct unwind *uw, uint32_t pid, int create)
{
	struct proc k = { .pid = pid };
	void *f = tfind(&k, &uw->procs, cmp_proc);
	if (f)
		return *(struct proc **)f;
	if (!create)
		return NULL;
	struct proc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	if (!tsearch(p, &uw->procs, cmp_proc)) {
		free(p);
		return NULL;
	}
	return p;
}

void uw_proc_drop(struct unwind *uw, struct proc *p)
{
	tdelete(p, &uw->procs, cmp_proc);
	free(p->maps);
	free(p);
}

/* Inserts a mapping, replacing whatever it overlaps (a new mmap over an
 * old range replaces it). */
int uw_proc_add_map(struct unwind *uw, struct proc *p, const struct pmap *m)
{
	uint64_t end = m->start + m->len;
	uint32_t w = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct pmap *o = &p->maps[i];
		if (o->start < end && m->start < o->start + o->len) {
			if (o->ts > m->ts)
				return 0; /* a newer mapping is already there (rings out of order) */
			continue;
		}
		p->maps[w++] = *o;
	}
	p->n = w;
	if (p->n >= TREC_UW_MAX_MAPS) {
		pthread_mutex_lock(&uw->stats_mu);
		uw->st.maps_dropped++;
		pthread_mutex_unlock(&uw->stats_mu);
		return 0;
	}
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		struct pmap *n = realloc(p->maps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->maps = n;
		p->cap = cap;
	}
	uint32_t at = p->n;
	while (at > 0 && p->maps[at - 1].start > m->start) {
		p->maps[at] = p->maps[at - 1];
		at--;
	}
	p->maps[at] = *m;
	p->n++;
	p->dirty = 1;
	return 0;
}

void uw_proc_write(struct unwind *uw, struct proc *p)
{
	p->dirty = 0;
	if (!p->n) {
		bpf_map_delete_elem(uw->procs_fd, &p->pid);
		return;
	}
	struct trec_uw_proc v;
	memset(&v, 0, sizeof(v));
	v.n = p->n;
	v.gen = ++p->gen;
	v.written = uw_now_ns();
	for (uint32_t i = 0; i < p->n; i++) {
		v.maps[i].start = p->maps[i].start;
		v.maps[i].sub = p->maps[i].start - p->maps[i].pgoff;
		v.maps[i].len = p->maps[i].len > UINT32_MAX ? UINT32_MAX : (uint32_t)p->maps[i].len;
		v.maps[i].table = p->maps[i].table;
	}
	/* The value is written whole: a reader sees the old or the new one. */
	int r = bpf_map_update_elem(uw->procs_fd, &p->pid, &v, BPF_ANY);
	if (r) {
		pthread_mutex_lock(&uw->stats_mu);
		uw->st.procs_full++;
		pthread_mutex_unlock(&uw->stats_mu);
	}
}

static void free_proc_node(void *node)
{
	struct proc *p = node;
	free(p->maps);
	free(p);
}

void uw_procs_free(struct unwind *uw)
{
	tdestroy(uw->procs, free_proc_node);
	uw->procs = NULL;
}

/* ---- statistics ------------------------------------------------------------- */

void unwind_stats(struct unwind *uw, struct unwind_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!uw)
		return;
	pthread_mutex_lock(&uw->stats_mu);
	*st = uw->st;
	pthread_mutex_unlock(&uw->stats_mu);
	memset(st->kernel, 0, sizeof(st->kernel));
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || uw->stats_fd < 0)
		return;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (uint32_t k = 0; k < TREC_UW_ST_COUNT && k < 24; k++) {
		if (bpf_map_lookup_elem(uw->stats_fd, &k, v))
			continue;
		for (int c = 0; c < ncpu; c++)
			st->kernel[k] += v[c];
	}
	free(v);
}

static const char *const kernel_keys[TREC_UW_ST_COUNT] = {
	[TREC_UW_ST_STACKS] = "unwind.stacks",
	[TREC_UW_ST_COMPLETE] = "unwind.stacks_complete",
	[TREC_UW_ST_FP_ONLY] = "unwind.stacks_fp_only",
	[TREC_UW_ST_FRAMES] = "unwind.frames",
	[TREC_UW_ST_FRAMES_TABLE] = "unwind.frames_by_table",
	[TREC_UW_FB_NO_PROC] = "unwind.fallback.process_not_loaded",
	[TREC_UW_FB_NO_MAPPING] = "unwind.fallback.no_file_mapping",
	[TREC_UW_FB_PENDING] = "unwind.fallback.table_not_loaded_yet",
	[TREC_UW_FB_BUDGET] = "unwind.fallback.table_over_budget",
	[TREC_UW_FB_NO_TABLE] = "unwind.fallback.no_unwind_info",
	[TREC_UW_FB_NO_RULE] = "unwind.fallback.no_rule",
	[TREC_UW_FB_UNSUPPORTED] = "unwind.fallback.unsupported_rule",
	[TREC_UW_END_DEPTH] = "unwind.end.depth_limit",
	[TREC_UW_END_READ] = "unwind.end.unreadable_stack",
	[TREC_UW_END_FP] = "unwind.end.frame_chain_broken",
	[TREC_UW_ST_FRAMES_VMA] = "unwind.frames_found_by_vma",
};

int unwind_stats_meta(const struct unwind_stats *st, struct tarena *a, struct trec_meta_kv **kv, size_t *n)
{
	const struct {
		const char *key;
		uint64_t v;
	} loader[] = {
		{ "unwind.tables", st->tables },
		{ "unwind.tables_without_info", st->tables_none },
		{ "unwind.tables_over_budget", st->tables_budget },
		{ "unwind.tables_unreadable", st->tables_failed },
		{ "unwind.rows", st->rows },
		{ "unwind.rows_capacity", st->rows_capacity },
		{ "unwind.rows_allocated", st->rows_allocated },
		{ "unwind.process_table_full", st->procs_full },
		{ "unwind.mappings_dropped", st->maps_dropped },
		{ "unwind.loader_queue_dropped", st->queue_dropped },
		{ "unwind.compile_ns", st->compile_ns },
	};
	size_t nl = sizeof(loader) / sizeof(loader[0]);
	struct trec_meta_kv *out = tarena_alloc(a, (TREC_UW_ST_COUNT + nl) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	size_t k = 0;
	for (uint32_t i = 0; i < TREC_UW_ST_COUNT; i++)
		out[k++] = (struct trec_meta_kv){ .key = kernel_keys[i], .type = TREC_META_U64, .v.u64 = st->kernel[i] };
	for (size_t i = 0; i < nl; i++)
		out[k++] = (struct trec_meta_kv){ .key = loader[i].key, .type = TREC_META_U64, .v.u64 = loader[i].v };
	*kv = out;
	*n = k;
	return 0;
}
