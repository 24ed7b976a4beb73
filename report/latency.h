/* SPDX-License-Identifier: MIT */
/*
 * Latency derived offline from pairs of events: a start and its end, matched
 * by a key, the time between them added to a histogram per name (and per
 * group with --by). Kinds:
 *   syscalls   sys_enter -> sys_exit per thread (raw_syscalls or syscalls:*),
 *              named by system call
 *   runq       sched_wakeup/_new -> sched_switch to the woken thread (runqlat)
 *   block      block_rq_issue -> block_rq_complete per (dev, sector) (biolatency)
 *   u:PATH:FUNC  uprobe -> uretprobe of FUNC per thread (funclatency)
 *   A,B[,key=FIELD]  any two event types (globs allowed), paired by the
 *              thread (default) or by a field both carry
 * The same rows and histograms serve --hist EVENT:FIELD: the values of a
 * field, per group, unpaired.
 * Pairs keyed by thread nest (recursion, nested calls): each end closes the
 * latest open start of its key. Starts without an end and ends without a
 * start (the trace began or ended in between) are counted, not guessed.
 */
#ifndef TREC_REPORT_LATENCY_H
#define TREC_REPORT_LATENCY_H

#include <stdint.h>

#include "hist.h"
#include "errors.h"
#include "pass.h"
#include "source.h"
#include "summary.h" /* enum group_by */
#include "table.h"

struct latency_opts {
	const char *spec;       /* the --latency argument */
	const char *field_spec; /* instead: --hist EVENT:FIELD, the field's values */
	int by;                 /* -1: no grouping, else enum group_by */
	uint64_t linear_step;   /* 0: log2 buckets */
	uint64_t unit_ns;       /* 1000: microseconds */
	const char *unit;       /* "usecs" */
	int multi_host;
};

struct latency;

/* Checks the spec's syntax. 0, -ENOMEM, or -EINVAL with what is wrong
 * with the spec (a usage error). *out is set either way (free it). */
int latency_new(struct latency **out, const struct latency_opts *o, struct trec_err *err);
/* The latency as a sink of a pass (pass.h): it pairs the files' events
 * (asking for time order, but for --hist values). */
struct pass_sink latency_sink(struct latency *l);
/* The result rows (group, name, count, mean, p50, p90, p99, max, total). */
int latency_table(struct latency *l, struct table *t);
/* Histogram of row `row` of the table (in the table's order), or NULL. */
const struct hist *latency_row_hist(struct latency *l, const struct table *t, size_t row);
/* Row label for headings: "comm pid 123: read". */
void latency_row_label(const struct latency *l, const struct table *t, size_t row, char *buf, size_t len);
/* Unmatched starts and ends, and pairs dropped because of nesting depth. */
void latency_unmatched(const struct latency *l, uint64_t *starts, uint64_t *ends, uint64_t *deep);
/* Whether some file had the events the spec needs. */
int latency_found(const struct latency *l);
void latency_free(struct latency *l);

#endif
