/* SPDX-License-Identifier: MIT */
/*
 * A buffered byte sink over a FILE*. `trec script` prints millions of
 * lines, so the formatters store bytes straight into one big buffer and
 * hand it to stdio only when it is full: no stdio locking or format
 * parsing per field. Write errors are sticky (outbuf.err holds the errno)
 * so formatters need not check each call; the command checks once.
 */
#ifndef TREC_OUTBUF_H
#define TREC_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct outbuf {
	FILE *f;
	char *buf;
	size_t len, cap;
	int err; /* errno of the first failed write, 0 if none */
};

/* cap = 0 picks the default (256 KiB). 0 or -ENOMEM. */
int outbuf_init(struct outbuf *o, FILE *f, size_t cap);
/* A buffer that grows instead of writing (f NULL): for formatting into
 * memory. Running out of memory sets err to ENOMEM and drops bytes. */
int outbuf_init_mem(struct outbuf *o, size_t cap);
/* Flushes, then frees the buffer (does not close the FILE). */
void outbuf_free(struct outbuf *o);
/* Hands buffered bytes to the FILE and fflush()es it. 0 or -errno. */
int outbuf_flush(struct outbuf *o);
/* Out of line: makes room for n bytes by flushing; the fast path is inline. */
void outbuf_drain(struct outbuf *o, size_t n);
void outbuf_put_slow(struct outbuf *o, const void *p, size_t n);

/* Room for n bytes at o->buf + o->len (n must be <= cap). */
static inline char *outbuf_room(struct outbuf *o, size_t n)
{
	if (o->cap - o->len < n)
		outbuf_drain(o, n);
	return o->buf + o->len;
}

static inline void outbuf_put(struct outbuf *o, const void *p, size_t n)
{
	if (o->cap - o->len >= n) {
		/* Most pieces are a few bytes (names, separators, digits): a
		 * loop beats a call to memcpy for those. */
		if (n <= 16) {
			const char *c = p;
			char *d = o->buf + o->len;
			for (size_t i = 0; i < n; i++)
				d[i] = c[i];
		} else {
			memcpy(o->buf + o->len, p, n);
		}
		o->len += n;
	} else {
		outbuf_put_slow(o, p, n);
	}
}

static inline void outbuf_putc(struct outbuf *o, char c)
{
	if (o->len == o->cap)
		outbuf_drain(o, 1);
	o->buf[o->len++] = c;
}

static inline void outbuf_puts(struct outbuf *o, const char *s)
{
	outbuf_put(o, s, strlen(s));
}

/* One folded-stack line, "STACK COUNT\n", into the outbuf `ctx`: the
 * shape of report_fold_trace's and the collapser's callbacks. 0 or -errno
 * of a failed write. */
int outbuf_folded_line(void *ctx, const char *stack, size_t len, uint64_t count);

void outbuf_u64(struct outbuf *o, uint64_t v);
void outbuf_i64(struct outbuf *o, int64_t v);
/* "0x" then lowercase hex digits, no padding. */
void outbuf_hex(struct outbuf *o, uint64_t v);
/* v right-aligned in `width` columns, zero-padded ("%0*llu"). */
void outbuf_u64_zpad(struct outbuf *o, uint64_t v, unsigned width);
/* v right-aligned in `width` columns, space-padded ("%*llu"). */
void outbuf_u64_pad(struct outbuf *o, uint64_t v, unsigned width);
/* For the rare, cold outputs (summaries, headers). */
void outbuf_printf(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
