/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_lines.h"

int fg_lines_init(struct fg_lines *r, int fd, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max_line = max_line ? max_line : FG_LINES_MAX_DEFAULT;
	r->cap = FG_LINES_BLOCK;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

void fg_lines_free(struct fg_lines *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Reads more after what is buffered, moving the unread part to the front
 * (and growing the buffer when one line fills it). 0, or -errno. */
static int fill(struct fg_lines *r)
{
	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		if (r->cap > r->max_line)
			return -E2BIG;
		size_t cap = r->cap * 2;
		char *b = realloc(r->buf, cap);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
		r->bytes += (uint64_t)n;
		return 0;
	}
}

int fg_lines_next(struct fg_lines *r, const char **line, size_t *len)
{
	size_t scanned = 0; /* bytes after start already known to hold no '\n' */
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(s + scanned, '\n', avail - scanned);
		if (nl) {
			size_t n = (size_t)(nl - s);
			if (n > r->max_line)
				return -E2BIG;
			*line = s;
			*len = n;
			r->start += n + 1;
			r->lineno++;
			return 1;
		}
		if (avail > r->max_line)
			return -E2BIG;
		if (r->eof) {
			if (!avail)
				return 0;
			*line = s;
			*len = avail;
			r->start = r->end;
			r->lineno++;
			return 1;
		}
		scanned = avail;
		int rc = fill(r);
		if (rc)
			return rc;
	}
}

int fg_lines_peek(struct fg_lines *r, const char **p, size_t *n)
{
	if (r->end == r->start && !r->eof) {
		int rc = fill(r);
		if (rc)
			return rc;
	}
	*p = r->buf + r->start;
	*n = r->end - r->start;
	return 0;
}

int fg_lines_errf(const struct fg_lines *r, int rc, const char *name, struct trec_err *err)
{
	if (rc == -E2BIG)
		return trec_errf(err, rc, "%s:%llu: line longer than %zu MiB", name,
				 (unsigned long long)r->lineno + 1, r->max_line >> 20);
	return trec_errf(err, rc, "%s: %s", name, strerror(-rc));
}
