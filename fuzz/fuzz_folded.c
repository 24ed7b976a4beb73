/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: folded stacks through the whole renderer, as
 * `trec flamegraph` runs it: folded_read_fd (line splitting, count
 * parsing), the tree (shared-prefix path, reverse, flame charts,
 * differential counts) and the SVG writer (layout, pruning, escaping,
 * labels), output to /dev/null. Input: one byte of options, then the
 * folded text; with the differential bit the text is split in two at the
 * first NUL, BEFORE and AFTER.
 *
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flamegraph.h"
#include "folded.h"

static FILE *devnull;

/* data[0..n) as a readable fd (memfd), or -1. */
static int as_fd(const uint8_t *data, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (n && write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	unsigned bits = data[0];
	static const char *const minw[] = { NULL, "0", "5", "1%" };
	struct flame_opts o = {
		.sz = sizeof(o),
		.reverse = bits & 1,
		.inverted = bits >> 1 & 1,
		.flamechart = bits >> 2 & 1,
		.hash = bits >> 3 & 1,
		.negate = bits >> 4 & 1,
		.normalize = bits >> 4 & 1,
		.min_width = minw[bits >> 5 & 3],
		.colors = bits & 0x80 ? "java" : NULL,
		.width = bits & 0x80 ? 64 : 0,
	};
	struct flame *f;
	struct trec_err err;
	if (flame_new(&f, &o, &err))
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	struct folded_stats st;
	if (bits & 0x40) {
		const uint8_t *nul = memchr(p, 0, n);
		size_t n1 = nul ? (size_t)(nul - p) : n;
		int fd = as_fd(p, n1);
		if (fd >= 0) {
			folded_read_fd(f, fd, "before", FOLDED_AS_BEFORE, bits & 1, &st, &err);
			close(fd);
		}
		if (nul && (fd = as_fd(nul + 1, n - n1 - 1)) >= 0) {
			folded_read_fd(f, fd, "after", FOLDED_AS_AFTER, bits & 1, &st, &err);
			close(fd);
		}
	} else {
		int fd = as_fd(p, n);
		if (fd >= 0) {
			folded_read_fd(f, fd, "input", FOLDED_AS_IS, 0, &st, &err);
			close(fd);
		}
	}
	if (devnull)
		flame_write_svg(f, devnull, &err);
	flame_free(f);
	return 0;
}
