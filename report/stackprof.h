/* SPDX-License-Identifier: MIT */
/*
 * Stack profiles of one trace (report/stackprof.c): folded stacks and the
 * top-functions view. Events: those the filter's --event selects, else
 * off-CPU events (offcpu), else CPU samples (cpu-clock, cycles) when the
 * trace has them, else every event with a stack.
 *
 * Weights: off-CPU time (delta_ns, shown in microseconds) with opts.offcpu,
 * and also when the only selected events that had stacks are off-CPU
 * events (a trace of -e offcpu alone); otherwise one per event.
 */
#ifndef TREC_REPORT_STACKPROF_H
#define TREC_REPORT_STACKPROF_H

#include <stddef.h>
#include <stdint.h>

#include "evfilter.h"
#include "fold.h"
#include "outbuf.h"
#include "pass.h"
#include "reader.h"
#include "source.h"

struct stackprof_opts {
	size_t sz;
	int offcpu;                /* off-CPU events only, by delta_ns (ns; folded and top show us) */
	int with_pid, with_tid;    /* folded: comm-PID, comm-PID/TID */
	int no_kernel, no_user;
	int json;                  /* top view as JSON */
	uint64_t limit;            /* top view: rows per list */
	const char *symfs, *debug_dir;
	int no_demangle;           /* raw (mangled) names, as the binary spells them */
	/* What could not be shown, one sentence per call (NULL: not told). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct stackprof;

/* The profile of f (its filter's --event, else the default events):
 * selects its types and loads its stacks and symbols; the events come
 * through stackprof_sink in a pass. 0 or -errno: -EINVAL when the trace
 * lacks the events (a usage error), *read_error set when reading the
 * trace failed. *out is set either way (free it). */
int stackprof_new(struct stackprof **out, struct rfile *f, const struct stackprof_opts *o, int *read_error,
		  struct trec_err *err);
/* The aggregation as a sink of a pass (pass.h): the events of its file. */
struct pass_sink stackprof_sink(struct stackprof *p);
/* After the pass: whether the weights are off-CPU time (microseconds in
 * every view) rather than events. */
int stackprof_by_time(struct stackprof *p);
/* Distinct stacks aggregated (0: nothing to show). */
uint32_t stackprof_stacks(const struct stackprof *p);
/* Folded lines in byte order of their text; emit's nonzero return stops
 * (and is returned). -ENOMEM with err. */
int stackprof_fold(struct stackprof *p, fold_emit_fn emit, void *ctx, struct trec_err *err);
/* The top-functions view (text or JSON per opts). 0 or -ENOMEM. */
int stackprof_print_top(struct stackprof *p, struct outbuf *out, struct trec_err *err);
/* Warnings about what could not be shown (missing stacks, short events),
 * through opts.warn. */
void stackprof_warnings(struct stackprof *p);
void stackprof_free(struct stackprof *p);

/* Whether f is a profile: among the event types its filter keeps, CPU
 * samples (cpu-clock, cycles) or off-CPU time (offcpu) that recorded
 * events (any of those types, when the file has no index to count by).
 * What `trec report` shows by default follows from it. */
int stackprof_is_profile(struct rfile *f);

#endif
