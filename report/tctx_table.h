/* SPDX-License-Identifier: MIT */
/*
 * Which cgroup a thread was in, and its pids inside its own pid namespace,
 * at a given time: from the file's TASKCTX records (format 1.2; a file
 * without them answers "unknown"). Built once per file like the comm
 * table: task records sorted by (tid, ts), cgroup paths sorted by id;
 * a lookup is two binary searches.
 *
 * A record holds from its time until the thread's next one; events before
 * a thread's first record take that first record (it was read from /proc
 * shortly after the thread appeared). A thread without records falls
 * back to its thread group leader's (a thread that lived too briefly to
 * be looked up shares its process's cgroup and namespace), and then the
 * namespace tid is unknown (0).
 */
#ifndef TREC_TCTX_TABLE_H
#define TREC_TCTX_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

struct tctx_ent;
struct tctx_cg;

struct tctx_table {
	struct tctx_ent *e;
	size_t n;
	struct tctx_cg *cg;
	size_t ncg;
};

/* What is known of one thread at one time. */
struct tctx_info {
	const char *cgroup;    /* v2 path ("/" first); NULL when unknown */
	uint32_t nspid, nstid; /* 0 when unknown */
};

/* Keeps pointers to the records' path strings: they must outlive the
 * table. Records that contradict each other (one cgroup id with two
 * paths) keep the first path. 0 or -ENOMEM. */
int tctx_table_build(struct tctx_table *t, const struct trec_task_ctx *r, size_t n);
void tctx_table_free(struct tctx_table *t);
/* Whether the file had any task records at all. */
static inline int tctx_table_empty(const struct tctx_table *t) { return !t->n; }
/* Fills *out (zeroed when nothing is known); returns 1 when something is. */
int tctx_table_lookup(const struct tctx_table *t, uint32_t pid, uint32_t tid, uint64_t ts, struct tctx_info *out);

/* The same through a cache of the last answer and the times it holds
 * for (events come in runs of one thread): one per caller, zeroed for
 * each table. */
struct tctx_cache {
	int valid, known;
	uint32_t pid, tid;
	uint64_t from, last; /* inclusive */
	struct tctx_info info;
};
/* A miss of the cache: a search, then the cache holds its answer. */
int tctx_table_lookup_miss(const struct tctx_table *t, struct tctx_cache *c, uint32_t pid, uint32_t tid,
			   uint64_t ts, struct tctx_info *out);
/* (Inline: a hit is a few compares, a call would cost as much again.) */
static inline int tctx_table_lookup_cached(const struct tctx_table *t, struct tctx_cache *c, uint32_t pid,
					   uint32_t tid, uint64_t ts, struct tctx_info *out)
{
	if (c->valid && c->tid == tid && c->pid == pid && ts >= c->from && ts <= c->last) {
		*out = c->info;
		return c->known;
	}
	return tctx_table_lookup_miss(t, c, pid, tid, ts, out);
}

#endif
