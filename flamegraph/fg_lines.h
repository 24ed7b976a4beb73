/* SPDX-License-Identifier: MIT */
/*
 * Lines from a file descriptor, read in large blocks and split with
 * memchr: the folded-stack and perf-script readers see each line in
 * place, without a copy or a stdio call per line. A line longer than the
 * limit is an error rather than unbounded memory.
 */
#ifndef TREC_FG_LINES_H
#define TREC_FG_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define FG_LINES_BLOCK (1u << 20)
#define FG_LINES_MAX_DEFAULT (64u << 20)

struct fg_lines {
	int fd;
	char *buf;
	size_t cap, start, end;
	size_t max_line;
	int eof;
	uint64_t lineno; /* of the line last returned, from 1 */
	uint64_t bytes;  /* read so far */
};

/* max_line 0: FG_LINES_MAX_DEFAULT. 0 or -ENOMEM. The fd stays the caller's. */
int fg_lines_init(struct fg_lines *r, int fd, size_t max_line);
void fg_lines_free(struct fg_lines *r);
/*
 * The next line, without its '\n' (not NUL-terminated; valid until the
 * next call). 1: a line; 0: end of input; -E2BIG: a line longer than
 * max_line; -errno from read(). A last line without '\n' is returned too.
 */
int fg_lines_next(struct fg_lines *r, const char **line, size_t *len);
/* The first bytes of the input without consuming them (up to what one
 * read gives), e.g. to recognise a file by its magic. 0 or -errno. */
int fg_lines_peek(struct fg_lines *r, const char **p, size_t *n);

/* The message for an error of fg_lines_next on input `name`: "NAME:LINE:
 * line longer than N MiB", "NAME: <strerror>". Returns rc. */
int fg_lines_errf(const struct fg_lines *r, int rc, const char *name, struct trec_err *err);

#endif
