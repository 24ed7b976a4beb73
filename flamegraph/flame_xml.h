/* SPDX-License-Identifier: MIT */
/*
 * Writing SVG text into a struct tbuf (lib/buf.h): numbers without
 * printf (fast, and the same bytes whatever the locale), and names made
 * safe for XML. Frame names come from the input unchecked, so every byte
 * that would break the document is replaced: & < > " become entities,
 * control characters and bytes that are not valid UTF-8 (or code points
 * XML forbids) become '?'.
 */
#ifndef TREC_FLAME_XML_H
#define TREC_FLAME_XML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

static inline void fgx_put(struct tbuf *b, const char *s, size_t n)
{
	tbuf_put(b, s, n);
}
static inline void fgx_str(struct tbuf *b, const char *s)
{
	tbuf_put(b, s, strlen(s));
}
static inline void fgx_chr(struct tbuf *b, char c)
{
	tbuf_put_u8(b, (uint8_t)c);
}

void fgx_u64(struct tbuf *b, uint64_t v);
/* 1234567 as "1,234,567" (flamegraph.pl's titles). */
void fgx_u64_grouped(struct tbuf *b, uint64_t v);
/* v / 10^decimals exactly, without trailing zeros after the point (nor
 * the point): "1.5", "3"; grouped puts commas in the whole part. With
 * decimals 0, fgx_u64 or fgx_u64_grouped. */
void fgx_dec_frac(struct tbuf *b, uint64_t v, unsigned decimals, int grouped);
static inline void fgx_dec(struct tbuf *b, uint64_t v, unsigned decimals, int grouped)
{
	if (decimals) /* (whole counts, the usual, need no division by 10^0) */
		fgx_dec_frac(b, v, decimals, grouped);
	else if (grouped)
		fgx_u64_grouped(b, v);
	else
		fgx_u64(b, v);
}
/* v rounded to 2 decimals, trailing zeros dropped: "10", "10.5", "10.25". */
void fgx_num(struct tbuf *b, double v);
/* v with exactly 2 decimals: "12.30" (percentages). */
void fgx_fixed2(struct tbuf *b, double v);

/* Length of the valid UTF-8 sequence XML accepts at s[0..n), or 0. */
size_t fgx_utf8_len(const unsigned char *s, size_t n);
/* Characters of s as fgx_xml writes them (each replaced byte is one). */
size_t fgx_chars(const char *s, size_t n);
/* s escaped for XML text and attribute values. */
void fgx_xml(struct tbuf *b, const char *s, size_t n);
/* The first `chars` characters of s, escaped. */
void fgx_xml_prefix(struct tbuf *b, const char *s, size_t n, size_t chars);

/* Hands the buffer to f once it holds at least `threshold` bytes (0:
 * always). 0, -ENOMEM if an earlier put failed, or -errno of the write. */
int fgx_drain(struct tbuf *b, FILE *f, size_t threshold);

#endif
