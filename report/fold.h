/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks straight from a trace file, for callers outside `trec
 * report` (trec flamegraph --diff on traces). Same stacks, names and counts
 * as `trec report --folded`.
 */
#ifndef TREC_REPORT_FOLD_H
#define TREC_REPORT_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct fold_opts {
	size_t sz;            /* sizeof(struct fold_opts) */
	const char *event;    /* NULL: CPU samples, or off-CPU time with offcpu */
	int offcpu;           /* off-CPU time in microseconds */
	int no_kernel;        /* drop kernel frames */
	int with_pid, with_tid;
	const char *symfs, *debug_dir;
	int no_demangle;      /* raw (mangled) names */
	/* Warnings (what --symfs/--debug-dir found): one sentence per call; NULL: not told. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* Called once per distinct stack, "comm;root;...;leaf" (no count, not
 * NUL-terminated) and its count, in byte order of the text. A nonzero
 * return stops the walk and is returned. */
typedef int (*fold_emit_fn)(void *ctx, const char *stack, size_t len, uint64_t count);

/* 0, or a negative errno with err saying what and where. */
int report_fold_trace(const char *path, const struct fold_opts *o, fold_emit_fn emit, void *ctx,
		      struct trec_err *err);

#endif
