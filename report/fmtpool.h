/* SPDX-License-Identifier: MIT */
/*
 * Formatting events on several threads, output in order. `trec script`
 * spends most of its time turning numbers into text; the reader hands out
 * events in time order on one thread. The pool copies events into batches
 * (their payload too: the reader reuses its memory), formatter threads
 * turn whole batches into text, and the caller's thread writes the texts
 * in the order the events came. Same bytes as formatting them one by one.
 */
#ifndef TREC_REPORT_FMTPOOL_H
#define TREC_REPORT_FMTPOOL_H

#include "events.h"
#include "outbuf.h"
#include "schema.h"

/* Who an event's thread was: its name and, when the trace knows them
 * (tctx_table.h), its cgroup and its pids in its own pid namespace. */
struct evwho {
	const char *comm;      /* NULL: unknown */
	const char *cgroup;    /* NULL: unknown */
	uint32_t nspid, nstid; /* 0: unknown */
};

/* Formats one event (thread-safe: it may only write to `o`). */
typedef void (*fmtpool_fn)(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s,
			   const struct evwho *who, const void *ctx);

struct fmtpool;

/* nthreads formatter threads (>= 1) writing, through the caller, into dst.
 * 0 or -errno. */
int fmtpool_new(struct fmtpool **out, unsigned nthreads, fmtpool_fn fn, const void *ctx, struct outbuf *dst);
/* Adds one event (who is copied); schema and who's strings must stay
 * valid until fmtpool_finish.
 * 0, or -errno when the output failed (dst->err) or memory ran out. */
int fmtpool_add(struct fmtpool *p, const struct trec_event *ev, const struct trec_schema *s,
		const struct evwho *who);
/* Formats and writes what is left, in order, and stops the threads.
 * 0 or -errno. */
int fmtpool_finish(struct fmtpool *p);
void fmtpool_free(struct fmtpool *p);

/* Formatter threads worth starting here: the online CPUs, at most 8, or
 * TREC_THREADS when set (1: format on the calling thread, no pool). */
unsigned fmtpool_threads(void);

#endif
