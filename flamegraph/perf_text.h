/* SPDX-License-Identifier: MIT */
/*
 * The three line shapes of `perf script` text that stackcollapse-perf.pl
 * recognises, matched exactly as its regular expressions match them
 * (Perl's \s, \w, \d on bytes; greedy and lazy parts resolved the way
 * Perl's backtracking resolves them), without a regex engine:
 *
 *   header  /^(\S.+?)\s+(\d+)[/]*(\d+)*\s+/        comm, pid, [tid]
 *   event   /:\s*(\d+)*\s+(\S+):\s*$/             [period], event
 *   frame   /^\s*(\w+)\s*(.+) \((.*)\)/           addr, symbol, dso
 *
 * Each is one pass over the line (a few for odd lines), in place.
 * docs/FLAMEGRAPH.md says what each part means.
 */
#ifndef TREC_PERF_TEXT_H
#define TREC_PERF_TEXT_H

#include <stddef.h>

/* Perl's \s on a byte string: space, \t, \n, \v, \f, \r. */
static inline int perf_is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline int perf_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Perl's \w on a byte string: ASCII letters, digits, '_'. */
static inline int perf_is_word(char c)
{
	return perf_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* A span of the line. */
struct perf_span {
	const char *p;
	size_t n;
};

struct perf_header {
	struct perf_span comm; /* at least two bytes; may hold blanks */
	struct perf_span pid;  /* digits */
	struct perf_span tid;  /* digits after '/'; n == 0 when perf printed none */
};

/* 1 and *h filled when the line is a sample header, else 0. */
int perf_header_match(const char *s, size_t n, struct perf_header *h);

struct perf_event_field {
	struct perf_span period; /* digits, n == 0 when absent */
	struct perf_span event;  /* the last field, without its ':' */
};

/* 1 when the line ends in "[PERIOD] EVENT:" after a ':' (the timestamp's),
 * else 0 (a tracepoint's fields after the event, no event at all). */
int perf_event_match(const char *s, size_t n, struct perf_event_field *e);

struct perf_frame {
	struct perf_span pc;   /* the address (a \w run) */
	struct perf_span func; /* the symbol, with its +0xoff */
	struct perf_span mod;  /* the dso, between the last " (" that has a ')' after
				* it and the line's last ')' */
};

/* 1 and *f filled when the line is a stack frame, else 0. */
int perf_frame_match(const char *s, size_t n, struct perf_frame *f);

#endif
