/* SPDX-License-Identifier: MIT */
/*
 * Stack profiles of one trace (report/stackprof.c): folded stacks and the
 * top-functions view. Events: those the filter's --event selects, else
 * off-CPU events (offcpu), else cpu-clock samples when the trace has them,
 * else every event with a stack.
 */
#ifndef TREC_REPORT_STACKPROF_H
#define TREC_REPORT_STACKPROF_H

#include <stddef.h>
#include <stdint.h>

#include "cli_util.h"
#include "evfilter.h"
#include "fold.h"
#include "outbuf.h"
#include "reader.h"

struct stackprof_opts {
	size_t sz;
	const struct cli_cmd *cmd; /* names messages */
	const char *input;         /* path, for messages */
	const struct evfilter *filter; /* bound to the reader; NULL = everything */
	int offcpu;                /* weigh by delta_ns (ns; folded and top show us) */
	int with_pid, with_tid;    /* folded: comm-PID, comm-PID/TID */
	int no_kernel, no_user;
	int json;                  /* top view as JSON */
	uint64_t limit;            /* top view: rows per list */
	const char *symfs, *debug_dir;
	int no_demangle;           /* raw (mangled) names, as the binary spells them */
};

struct stackprof;

/* Reads the trace's stacked events into aggregates. 0, or a CLI exit code
 * after printing why. *out is set either way (free it). */
int stackprof_open(struct stackprof **out, struct trec_reader *r, const struct stackprof_opts *o);
/* Distinct stacks aggregated (0: nothing to show). */
uint32_t stackprof_stacks(const struct stackprof *p);
/* Folded lines in byte order of their text; emit's nonzero return stops. */
int stackprof_fold(struct stackprof *p, fold_emit_fn emit, void *ctx);
/* The top-functions view (text or JSON per opts). 0 or a CLI exit code. */
int stackprof_print_top(struct stackprof *p, struct outbuf *out);
/* Warnings about what could not be shown (missing stacks, short events). */
void stackprof_warnings(struct stackprof *p);
void stackprof_free(struct stackprof *p);

#endif
