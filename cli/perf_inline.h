/* SPDX-License-Identifier: MIT */
/*
 * `trec flamegraph --collapse-perf --inline [--context]`: the frames that
 * the compiler inlined at an address, from binutils' addr2line, as
 * stackcollapse-perf.pl asks for them (`addr2line -a PC -e DSO -i -f -s
 * -C`, and `nm DSO` to place a "sym+0xoff" when addr2line knows nothing
 * of PC). One addr2line run per distinct (address, dso), cached; the
 * programs run with this process's stderr, and without a shell.
 */
#ifndef TREC_PERF_INLINE_H
#define TREC_PERF_INLINE_H

#include <stddef.h>

#include "collapse_perf.h"

struct perf_inline;

/* context: ":file:line" after each name (--context). 0 or -ENOMEM. */
int perf_inline_new(struct perf_inline **out, int context);
void perf_inline_free(struct perf_inline *pi);

/* A perf_inline_fn (collapse_perf.h); ctx is the struct perf_inline. */
int perf_inline_resolve(void *ctx, const char *pc, size_t pc_len, const char *sym, size_t sym_len,
			const char *dso, size_t dso_len, struct tbuf *out);

#endif
