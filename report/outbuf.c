/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "outbuf.h"

#define OUTBUF_DEFAULT_CAP (256u << 10)

int outbuf_init(struct outbuf *o, FILE *f, size_t cap)
{
	o->f = f;
	o->len = 0;
	o->err = 0;
	o->cap = cap ? cap : OUTBUF_DEFAULT_CAP;
	/* Room for the longest single item (a number) even if cap is tiny. */
	if (o->cap < 64)
		o->cap = 64;
	o->buf = malloc(o->cap);
	if (!o->buf) {
		o->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

static void outbuf_write(struct outbuf *o, const void *p, size_t n)
{
	if (o->err || !n)
		return;
	if (fwrite(p, 1, n, o->f) != n)
		o->err = errno ? errno : EIO;
}

void outbuf_drain(struct outbuf *o, size_t n)
{
	outbuf_write(o, o->buf, o->len);
	o->len = 0;
	(void)n; /* callers never ask for more than cap */
}

void outbuf_put_slow(struct outbuf *o, const void *p, size_t n)
{
	outbuf_drain(o, 0);
	if (n >= o->cap) {
		/* Bigger than the buffer: no point copying it through. */
		outbuf_write(o, p, n);
		return;
	}
	memcpy(o->buf, p, n);
	o->len = n;
}

int outbuf_flush(struct outbuf *o)
{
	outbuf_drain(o, 0);
	if (!o->err && fflush(o->f) != 0)
		o->err = errno ? errno : EIO;
	return -o->err;
}

void outbuf_free(struct outbuf *o)
{
	if (o->buf)
		outbuf_flush(o);
	free(o->buf);
	o->buf = NULL;
	o->cap = o->len = 0;
}

/* Digits of v, written backwards from the end of tmp; returns the start. */
/* Two digits per division: half the divisions of a digit loop. */
static char *u64_digits(char *end, uint64_t v)
{
	static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				       "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				       "8081828384858687888990919293949596979899";
	char *p = end;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

static unsigned u64_len(uint64_t v)
{
	unsigned n = 1;
	for (; v >= 10000; v /= 10000)
		n += 4;
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

void outbuf_u64(struct outbuf *o, uint64_t v)
{
	/* Straight into the buffer, last digit first: no copy. */
	unsigned n = u64_len(v);
	char *p = outbuf_room(o, n);
	u64_digits(p + n, v);
	o->len += n;
}

void outbuf_i64(struct outbuf *o, int64_t v)
{
	if (v < 0) {
		outbuf_putc(o, '-');
		/* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
		outbuf_u64(o, 0 - (uint64_t)v);
	} else {
		outbuf_u64(o, (uint64_t)v);
	}
}

void outbuf_hex(struct outbuf *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	outbuf_put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void pad_u64(struct outbuf *o, uint64_t v, unsigned width, char pad)
{
	char tmp[20];
	char *s = u64_digits(tmp + sizeof(tmp), v);
	size_t n = (size_t)(tmp + sizeof(tmp) - s);
	for (; width > n; width--)
		outbuf_putc(o, pad);
	outbuf_put(o, s, n);
}

void outbuf_u64_zpad(struct outbuf *o, uint64_t v, unsigned width)
{
	pad_u64(o, v, width, '0');
}

void outbuf_u64_pad(struct outbuf *o, uint64_t v, unsigned width)
{
	pad_u64(o, v, width, ' ');
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		outbuf_put(o, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		o->err = ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	outbuf_put(o, big, (size_t)n);
	free(big);
}
