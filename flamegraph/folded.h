/* SPDX-License-Identifier: MIT */
/*
 * FlameGraph's folded format: one line per stack, "root;...;leaf COUNT",
 * or "root;...;leaf BEFORE AFTER" for differential input (difffolded.pl's
 * output). The counts are the last whitespace-separated fields; the stack
 * is everything before them (it may hold spaces). A count is digits with
 * an optional fraction, as flamegraph.pl reads it ("12", "0.5", "3.");
 * a line without one is not a stack.
 */
#ifndef TREC_FOLDED_H
#define TREC_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct flame;

struct folded_line {
	const char *stack; /* into the line */
	size_t len;
	uint64_t count;    /* the count, or the after count */
	uint64_t before;   /* the before count when diff */
	unsigned decimals; /* both counts are in units of 10^-decimals */
	int diff;
};

/*
 * One line (no '\n'; a trailing '\r' and blanks are ignored). 0, or
 * -EINVAL when it does not end in a count, -ERANGE for a count past
 * 2^64-1 units. A blank line is -ENODATA. Fractions keep their digits up
 * to FLAME_MAX_DECIMALS (trailing zeros dropped: "2.50" is 25 tenths,
 * "3.0" is 3); further digits are rounded, half up.
 */
int folded_parse(const char *line, size_t len, struct folded_line *out);

/* s[0..*len) with every "0x" + hex digits made "0x..." (difffolded.pl -s),
 * into b; *len becomes the new length. NULL when out of memory. */
struct tbuf;
const char *folded_strip_hex(struct tbuf *b, const char *s, size_t *len);

/* How the stacks of one input are added to the graph. */
enum folded_mode {
	FOLDED_AS_IS,      /* one count: flame_add; two: flame_add_diff */
	FOLDED_AS_BEFORE,  /* --diff's first input: flame_add_diff(count, 0) */
	FOLDED_AS_AFTER,   /* --diff's second input: flame_add_diff(0, count) */
};

/* One stack with one count, added as mode says. */
int folded_add(struct flame *f, enum folded_mode mode, const char *stack, size_t len,
	       uint64_t count, unsigned decimals, struct trec_err *err);

struct folded_stats {
	uint64_t lines, stacks;
	uint64_t ignored;       /* lines that are not "stack count" */
	uint64_t first_ignored; /* line number of the first, from 1 */
	uint64_t diff_lines;    /* lines with two counts */
};

/*
 * Reads folded text from fd to its end into f. strip_hex replaces
 * "0x" + hex digits in stacks with "0x..." (difffolded.pl -s), so
 * addresses that moved between two runs compare equal. name is for
 * messages ("-" for stdin). 0, or -errno with err naming the input and
 * line; the stats say what was read (and ignored) either way.
 */
int folded_read_fd(struct flame *f, int fd, const char *name, enum folded_mode mode, int strip_hex,
		   struct folded_stats *st, struct trec_err *err);

#endif
