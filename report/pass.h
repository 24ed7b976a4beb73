/* SPDX-License-Identifier: MIT */
/*
 * One pass over a source's events, feeding any number of sinks: each
 * block is read and decoded once whatever the views built from it (the
 * summary and its rate plot, latency and its rate plot...). The pass
 * applies the event filter; sinks see only the events it keeps (events
 * of a type without a schema too: ev->type may be >= f->ntypes).
 *
 * A sink is three callbacks and a context:
 *   begin  before each file: 1 to take part in it, 0 to sit it out, or
 *          -errno; sets need[type] for the types whose payloads it reads
 *          (the others are not decoded) and *ordered when it needs the
 *          events in time order (else they come in file order, cheaper)
 *   event  one kept event of the file; 0, PASS_STOP to end the pass there
 *          (every sink's: a limit was reached, the output failed), or
 *          -errno, which ends it with that error
 *   end    after the file (also when the pass stopped early: per-file
 *          state is freed here); 0 or -errno
 * Progress (events read so far in this file) goes to a callback the
 * caller provides, so the caller draws it (cli/ on a terminal).
 */
#ifndef TREC_REPORT_PASS_H
#define TREC_REPORT_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "source.h"

#define PASS_STOP 1

struct pass_sink {
	void *ctx;
	int (*begin)(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err);
	int (*event)(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err);
	/* Optional, for sinks whose work per event is a few adds: a whole
	 * block of events in file order, unfiltered (the sink applies
	 * pass_keep to each), when the pass is unordered and this is its
	 * only sink. Same returns as event. Without it, events one by one
	 * through an indirect call each -- a fifth of the summary's time. */
	int (*block)(void *ctx, struct rfile *f, const struct trec_evblock *b, struct trec_err *err);
	/* Optional, the same for a pass in time order: a run of events in
	 * that order, b's events [first, first + n), unfiltered, when this is
	 * the pass's only sink. A loop in the sink instead of a call per
	 * event (script and latency spent a tenth of their reading there). */
	int (*run)(void *ctx, struct rfile *f, const struct trec_evblock *b, uint32_t first, uint32_t n,
		   struct trec_err *err);
	int (*end)(void *ctx, struct rfile *f, struct trec_err *err);
};

struct pass_opts {
	size_t sz;
	/* events read in file f so far; done: the file's last call */
	void (*progress)(void *ctx, const struct rfile *f, uint64_t events, int done);
	void *progress_ctx;
};

/* The pass's filter, for a block callback. */
static inline int pass_keep(struct rfile *f, const struct trec_event *ev)
{
	return evfilter_keep(&f->f, ev, &f->ct);
}

/* Defines NAME, a sink's `run` callback that hands each event of the run
 * the pass keeps to EVENT, the sink's own per-event function (inline, so
 * no call per event is left: what a run is for). */
#define PASS_DEFINE_RUN(NAME, EVENT)                                                                     \
	static int NAME(void *ctx, struct rfile *f, const struct trec_evblock *b, uint32_t first, uint32_t n, \
			struct trec_err *err)                                                                \
	{                                                                                                \
		struct trec_event ev;                                                                    \
		for (uint32_t i = first; i < first + n; i++) {                                           \
			trec_evblock_get(b, i, &ev);                                                     \
			if (!pass_keep(f, &ev))                                                          \
				continue;                                                                \
			int rc = EVENT(ctx, f, &ev, err);                                                \
			if (rc)                                                                          \
				return rc;                                                               \
		}                                                                                        \
		return 0;                                                                                \
	}

/* Reads every file of s once, in order, into the sinks. 0 or -errno with
 * err (and s->err_path/err_at set when reading a file failed). */
int pass_run(struct source *s, const struct pass_sink *sinks, size_t nsinks, const struct pass_opts *o,
	     struct trec_err *err);

#endif
