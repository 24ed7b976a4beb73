/* SPDX-License-Identifier: MIT */
/*
 * Which name (comm) a thread had at a given time, from the file's task
 * records. Built once per command: the records that carry a comm, sorted
 * by (tid, ts). Memory grows with the number of task records (threads and
 * renames), never with the number of events; a lookup is a binary search.
 */
#ifndef TREC_COMM_TABLE_H
#define TREC_COMM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

struct comm_ent;

struct comm_table {
	struct comm_ent *e;
	size_t n;
};

/* Keeps pointers to the tasks' comm strings: they must outlive the table.
 * 0 or -ENOMEM. */
int comm_table_build(struct comm_table *t, const struct trec_task *tasks, size_t n);
void comm_table_free(struct comm_table *t);

/*
 * The comm of `tid` at `ts`: the latest record for tid with ts' <= ts.
 * When every record for tid is later and the first is the /proc snapshot
 * taken as recording started, that name is used (the probes attach just
 * before the snapshot, so the thread already had it). Failing that, the
 * thread group leader `pid` by the same rules. NULL when nothing is known.
 */
const char *comm_table_lookup(const struct comm_table *t, uint32_t pid, uint32_t tid, uint64_t ts);

/* The same answer, remembered with the time range over which it holds for
 * that thread: a run of events of one thread (the common case) costs a
 * compare instead of a search. One cache per caller thread; zeroed to start. */
struct comm_cache {
	int valid;
	uint32_t pid, tid;
	uint64_t from, until; /* [from, until) */
	const char *comm;
};
/* A miss of the cache: a search, then the cache holds its answer. */
const char *comm_table_lookup_miss(const struct comm_table *t, struct comm_cache *c, uint32_t pid, uint32_t tid,
				   uint64_t ts);
/* (Inline: a hit is a few compares, a call would cost as much again.) */
static inline const char *comm_table_lookup_cached(const struct comm_table *t, struct comm_cache *c, uint32_t pid,
						   uint32_t tid, uint64_t ts)
{
	if (c->valid && c->tid == tid && c->pid == pid && ts >= c->from && ts < c->until)
		return c->comm;
	return comm_table_lookup_miss(t, c, pid, tid, ts);
}

#endif
