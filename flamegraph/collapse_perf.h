/* SPDX-License-Identifier: MIT */
/*
 * `perf script` text to folded stacks, as FlameGraph's
 * stackcollapse-perf.pl does it (docs/FLAMEGRAPH.md lists the rules and
 * the few places where trec differs on purpose). Input is one sample per
 * paragraph: a header line "comm pid[/tid] [cpu] time: [period] event:
 * [fields]" then one line per frame, leaf first, "addr sym+off (dso)",
 * then a blank line. Output: "comm;root;...;leaf" and the number of
 * samples with that stack, in byte order of the stack text.
 *
 * Memory is the distinct stacks and one sample's frames; each input line
 * is looked at once, in place.
 */
#ifndef TREC_COLLAPSE_PERF_H
#define TREC_COLLAPSE_PERF_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct perf_collapse_opts {
	size_t sz;         /* sizeof(struct perf_collapse_opts) */
	int with_pid;      /* first frame "comm-PID" ("comm-?" when perf printed no PID) */
	int with_tid;      /* first frame "comm-PID/TID" */
	int kernel;        /* "_[k]" after kernel frames */
	int jit;           /* "_[j]" after JIT frames (perf-PID.map, jitted-*.so) */
	int addrs;         /* unknown symbols as "[dso <addr>]" rather than "[dso]" */
	const char *event; /* keep samples of this event only ("cycles", "cpu-clock",
			    * "sched:sched_switch"); NULL: of the first event seen */
};

struct perf_collapse_stats {
	uint64_t lines;
	uint64_t samples;         /* headers read */
	uint64_t kept;            /* samples counted */
	uint64_t filtered;        /* samples of other events */
	uint64_t unrecognized;    /* lines that are neither header, frame nor blank */
	uint64_t first_unrecognized; /* its line number, from 1 */
	uint64_t stacks;          /* distinct stacks */
	char event[128];          /* the event kept ("" when no header named one) */
	char other_event[128];    /* the first event left out, "" if none */
};

/* The emitter's callback: flame_add_cb (flamegraph.h) fits. Nonzero stops. */
typedef int (*perf_collapse_emit_fn)(void *ctx, const char *stack, size_t len, uint64_t count);

struct perf_collapse;

int perf_collapse_new(struct perf_collapse **out, const struct perf_collapse_opts *opts,
		      struct trec_err *err);
void perf_collapse_free(struct perf_collapse *c);

/* One line of perf script output, without its '\n'. 0 or -ENOMEM. */
int perf_collapse_line(struct perf_collapse *c, const char *line, size_t len);
/* End of input: counts the last sample if no blank line closed it. */
int perf_collapse_end(struct perf_collapse *c);
/* All of fd, then perf_collapse_end. name is for messages. */
int perf_collapse_fd(struct perf_collapse *c, int fd, const char *name, struct trec_err *err);

/* Calls emit for every distinct stack, sorted by its text. Returns the
 * first nonzero value emit returned, or 0. */
int perf_collapse_emit(struct perf_collapse *c, perf_collapse_emit_fn emit, void *ctx);

void perf_collapse_get_stats(const struct perf_collapse *c, struct perf_collapse_stats *st);

#endif
