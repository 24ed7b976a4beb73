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

int outbuf_init_mem(struct outbuf *o, size_t cap)
{
	return outbuf_init(o, NULL, cap);
}

/* Memory mode: room for n more bytes, or err = ENOMEM. */
static int mem_grow(struct outbuf *o, size_t n)
{
	if (o->cap - o->len >= n)
		return 0;
	size_t cap = o->cap * 2;
	while (cap - o->len < n)
		cap *= 2;
	char *b = realloc(o->buf, cap);
	if (!b) {
		o->err = ENOMEM;
		o->len = 0; /* keep going; the caller reports err */
		return -1;
	}
	o->buf = b;
	o->cap = cap;
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
	if (!o->f) {
		mem_grow(o, n);
		return;
	}
	outbuf_write(o, o->buf, o->len);
	o->len = 0;
	(void)n; /* callers never ask for more than cap */
}

void outbuf_put_slow(struct outbuf *o, const void *p, size_t n)
{
	if (!o->f) {
		if (!mem_grow(o, n)) {
			memcpy(o->buf + o->len, p, n);
			o->len += n;
		}
		return;
	}
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
	if (!o->f)
		return -o->err; /* memory: nothing to hand on */
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

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Exactly 8 digits of v < 10^8 at p, in 32-bit arithmetic: the four pairs
 * do not wait on each other. */
static inline void put8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;
	memcpy(p, digit_pairs + 2 * (hi / 100), 2);
	memcpy(p + 2, digit_pairs + 2 * (hi % 100), 2);
	memcpy(p + 4, digit_pairs + 2 * (lo / 100), 2);
	memcpy(p + 6, digit_pairs + 2 * (lo % 100), 2);
}

/* Digits of v, written backwards from `end`; returns the start. Eight
 * digits per 64-bit division, then two per 32-bit one: long numbers
 * (addresses printed in decimal) are most of a trace's text. */
static char *u64_digits(char *end, uint64_t v)
{
	char *p = end;
	while (v >= 100000000) {
		uint64_t q = v / 100000000;
		p -= 8;
		put8(p, (uint32_t)(v - q * 100000000));
		v = q;
	}
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		uint32_t r = w % 100;
		w /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * r, 2);
	}
	if (w >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * w, 2);
	} else {
		*--p = (char)('0' + w);
	}
	return p;
}

static unsigned u64_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
		1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	/* log10 from the bit length (1233/4096 ~ log10(2)), then one compare. */
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1);
	unsigned t = (bits * 1233) >> 12;
	return t + ((v | 1) >= pow10[t]); /* v | 1: zero has one digit */
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
	/* In place: padding, then the digits written backwards from the end. */
	unsigned n = u64_len(v), w = width > n ? width : n;
	if (w > 64)
		w = n; /* widths are small constants; never more than a number */
	char *p = outbuf_room(o, w);
	memset(p, pad, w - n);
	u64_digits(p + w, v);
	o->len += w;
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

int outbuf_folded_line(void *ctx, const char *stack, size_t len, uint64_t count)
{
	struct outbuf *o = ctx;
	outbuf_put(o, stack, len);
	outbuf_putc(o, ' ');
	outbuf_u64(o, count);
	outbuf_putc(o, '\n');
	return o->err ? -o->err : 0;
}
