/* SPDX-License-Identifier: MIT */
/*
 * The inputs of `trec flamegraph`: a folded file (or stdin), or a trec
 * trace, told apart by the trace's magic at offset 0 and folded through
 * report_fold_trace (report/fold.h) with the same names and counts as
 * `trec report --folded`.
 */
#ifndef TREC_FLAME_INPUT_H
#define TREC_FLAME_INPUT_H

#include <stdint.h>

#include "errors.h"
#include "folded.h"

struct flame;

struct flame_input_opts {
	/* traces: which events and how stacks are named (fold.h) */
	const char *event;
	int offcpu, no_kernel, with_pid, with_tid;
	const char *symfs, *debug_dir;
	int no_demangle; /* raw (mangled) names */
	void (*warn)(void *ctx, const char *msg); /* what --symfs/--debug-dir found */
	void *warn_ctx;
	/* both kinds */
	int strip_hex; /* "0x<hex>" in stacks becomes "0x..." */
};

struct flame_input_stats {
	int is_trace;
	struct folded_stats folded; /* folded inputs */
	uint64_t trace_stacks;      /* traces: distinct stacks read */
};

/*
 * Adds the stacks of path ("-": stdin, folded only) to f: as they are,
 * or as the before/after side of a differential graph. 0 or -errno with
 * err naming the input.
 */
int flame_input_add(struct flame *f, const char *path, enum folded_mode mode,
		    const struct flame_input_opts *o, struct flame_input_stats *st,
		    struct trec_err *err);

#endif
