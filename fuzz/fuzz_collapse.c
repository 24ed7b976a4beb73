/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: perf script text through the collapser
 * (stackcollapse-perf.pl's rules), line by line as perf_collapse_fd feeds
 * it, then the folded stacks into a flame graph written to /dev/null, as
 * `trec flamegraph --from-perf` does. Input: two bytes of options (--pid,
 * --tid, --kernel, --jit, --addrs, an event filter; --srcline, --inline
 * with a stand-in for addr2line, --reverse), then the text.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "collapse_perf.h"
#include "flamegraph.h"

static FILE *devnull;

/* --inline without running addr2line: addresses starting with '1' are
 * two inlined frames, with '2' unknown, the rest nothing. */
static int fake_inline(void *ctx, const char *pc, size_t pc_len, const char *sym, size_t sym_len,
		       const char *dso, size_t dso_len, struct tbuf *out)
{
	(void)ctx;
	(void)dso;
	(void)dso_len;
	if (pc_len && pc[0] == '1') {
		tbuf_put(out, "outer;", 6);
		tbuf_put(out, sym, sym_len);
	} else if (pc_len && pc[0] == '2') {
		tbuf_put(out, "??:??:0", 7);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	unsigned bits = data[0], more = data[1];
	static const char *const events[] = { NULL, "cpu-clock", "sched:sched_switch", "cycles" };
	struct perf_collapse_opts o = {
		.sz = sizeof(o),
		.with_pid = bits & 1,
		.with_tid = bits >> 1 & 1,
		.kernel = bits >> 2 & 1,
		.jit = bits >> 3 & 1,
		.addrs = bits >> 4 & 1,
		.event = events[bits >> 5 & 3],
		.srcline = more & 1,
		.inline_fn = more & 2 ? fake_inline : NULL,
	};
	struct perf_collapse *c;
	struct trec_err err;
	if (perf_collapse_new(&c, &o, &err))
		return 0;
	const char *p = (const char *)data + 2, *end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (perf_collapse_line(c, p, n))
			break;
		p += n + 1;
	}
	perf_collapse_end(c);
	struct flame_opts fo = { .sz = sizeof(fo), .reverse = more >> 2 & 1 };
	struct flame *f;
	if (flame_new(&f, &fo, &err) == 0) {
		perf_collapse_emit(c, flame_add_cb, f);
		if (devnull)
			flame_write_svg(f, devnull, &err);
		flame_free(f);
	}
	struct perf_collapse_stats st;
	perf_collapse_get_stats(c, &st);
	perf_collapse_free(c);
	return 0;
}
