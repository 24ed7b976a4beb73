/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>

#include "flame_xml.h"

static char *digits_back(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* (Inline where numbers are written per frame: coordinates, counts.) */
static inline __attribute__((always_inline)) void put_u64(struct tbuf *b, uint64_t v)
{
	char tmp[20];
	char *s = digits_back(tmp + sizeof(tmp), v);
	fgx_put(b, s, (size_t)(tmp + sizeof(tmp) - s));
}

void fgx_u64(struct tbuf *b, uint64_t v)
{
	put_u64(b, v);
}

void fgx_u64_grouped(struct tbuf *b, uint64_t v)
{
	char tmp[27];
	char *end = tmp + sizeof(tmp), *p = end;
	int n = 0;
	do {
		if (n && n % 3 == 0)
			*--p = ',';
		*--p = (char)('0' + v % 10);
		v /= 10;
		n++;
	} while (v);
	fgx_put(b, p, (size_t)(end - p));
}

void fgx_dec_frac(struct tbuf *b, uint64_t v, unsigned decimals, int grouped)
{
	uint64_t unit = 1;
	for (unsigned i = 0; i < decimals; i++)
		unit *= 10;
	if (grouped)
		fgx_u64_grouped(b, v / unit);
	else
		fgx_u64(b, v / unit);
	uint64_t frac = v % unit;
	if (!frac)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		decimals--;
	}
	char tmp[20];
	char *end = tmp + sizeof(tmp), *p = end;
	for (unsigned i = 0; i < decimals; i++, frac /= 10)
		*--p = (char)('0' + frac % 10);
	fgx_chr(b, '.');
	fgx_put(b, p, (size_t)(end - p));
}

/* |v| * 100 rounded, and whether v < 0; values past 2^63/100 are clamped
 * (no coordinate or percentage gets near). */
static uint64_t hundredths(double v, int *neg)
{
	*neg = v < 0;
	double a = fabs(v) * 100.0 + 0.5;
	if (!(a < 9.2e18)) /* also NaN */
		a = isnan(a) ? 0 : 9.2e18;
	uint64_t h = (uint64_t)a;
	if (!h)
		*neg = 0; /* no "-0" */
	return h;
}

/* v to 2 decimals; trim drops trailing zeros (and the point). */
static void put_hundredths(struct tbuf *b, double v, int trim)
{
	int neg;
	uint64_t h = hundredths(v, &neg);
	if (neg)
		fgx_chr(b, '-');
	put_u64(b, h / 100);
	unsigned frac = (unsigned)(h % 100);
	char d[3] = { '.', (char)('0' + frac / 10), (char)('0' + frac % 10) };
	size_t n = 3;
	if (trim)
		n = !frac ? 0 : frac % 10 ? 3 : 2;
	fgx_put(b, d, n);
}

void fgx_num(struct tbuf *b, double v)
{
	put_hundredths(b, v, 1);
}

void fgx_fixed2(struct tbuf *b, double v)
{
	put_hundredths(b, v, 0);
}

size_t fgx_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80) /* tab is the only control character XML 1.0 keeps on a line */
		return c >= 0x20 || c == '\t' ? 1 : 0;
	size_t len;
	uint32_t cp, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, and what XML's Char production leaves out. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return len;
}

size_t fgx_chars(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, i = 0;
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
		} else {
			size_t l = fgx_utf8_len(p + i, n - i);
			i += l ? l : 1;
		}
		chars++;
	}
	return chars;
}

/* Escapes s[0..n) up to `chars` characters; returns how many it wrote. */
static size_t xml_chars(struct tbuf *b, const char *s, size_t n, size_t chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, done = 0, run = 0; /* run: plain bytes waiting to be copied at once */
	while (i + run < n && done < chars) {
		unsigned c = p[i + run];
		if (c >= 0x20 && c < 0x80 && c != '&' && c != '<' && c != '>' && c != '"') {
			run++;
			done++;
			continue;
		}
		fgx_put(b, s + i, run);
		i += run;
		run = 0;
		size_t l;
		switch (c) {
		case '&': fgx_put(b, "&amp;", 5); l = 1; break;
		case '<': fgx_put(b, "&lt;", 4); l = 1; break;
		case '>': fgx_put(b, "&gt;", 4); l = 1; break;
		case '"': fgx_put(b, "&quot;", 6); l = 1; break;
		default:
			l = fgx_utf8_len(p + i, n - i);
			if (l) {
				fgx_put(b, s + i, l);
			} else {
				fgx_chr(b, '?');
				l = 1;
			}
		}
		i += l;
		done++;
	}
	fgx_put(b, s + i, run);
	return done;
}

void fgx_xml(struct tbuf *b, const char *s, size_t n)
{
	xml_chars(b, s, n, SIZE_MAX);
}

void fgx_xml_prefix(struct tbuf *b, const char *s, size_t n, size_t chars)
{
	xml_chars(b, s, n, chars);
}

int fgx_drain(struct tbuf *b, FILE *f, size_t threshold)
{
	if (b->oom)
		return -ENOMEM;
	if (b->len < threshold || !b->len)
		return 0;
	if (fwrite(b->data, 1, b->len, f) != b->len)
		return errno ? -errno : -EIO;
	b->len = 0;
	return 0;
}
