/* SPDX-License-Identifier: MIT */
/*
 * `trec list PATH`, `trec list u:NAME`, `trec list usdt:NAME` and
 * `trec list -p PID`: the function symbols and USDT probes of a binary or
 * library, or of every file a process has mapped executable, each as the
 * event name -e records it under (uprobe:PATH:FUNC, usdt:PATH:PROVIDER:NAME).
 */
#ifndef TREC_RECORD_PROBE_LIST_H
#define TREC_RECORD_PROBE_LIST_H

#include <stddef.h>
#include <sys/types.h>

#include "errors.h"

struct probe_list_opts {
	size_t sz;
	const char *target; /* PATH, u:NAME[:GLOB] or usdt:NAME[:GLOB]; NULL with pid */
	pid_t pid;          /* > 0: every executable mapping of this process */
	const char *glob;   /* over function and USDT names; NULL: all */
	int json;
};

/* Whether a `trec list` argument names a binary (a path, u:..., usdt:...)
 * rather than a tracepoint pattern. */
int probe_list_is_binary(const char *arg);

/* Prints the listing on stdout. 0, or a negative errno with err set (a
 * file that cannot be read, no process, a write error). A file of -p that
 * cannot be read is skipped with a warning through `warn`. */
int probe_list_run(const struct probe_list_opts *o, void (*warn)(void *ctx, const char *msg), void *warn_ctx,
		   struct trec_err *err);

#endif
