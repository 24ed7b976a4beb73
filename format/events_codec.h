/* SPDX-License-Identifier: MIT */
/*
 * What the event encoder (events_encode.c) and decoder (events_decode.c)
 * share: the column encodings, the common columns, and the little-endian,
 * zigzag and varint integer helpers. Internal to format/: events.h is the
 * public API.
 */
#ifndef TREC_EVENTS_CODEC_H
#define TREC_EVENTS_CODEC_H

#include <stdint.h>
#include <string.h>

#include "events.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Column encodings: the first byte of every column frame. */
enum col_enc {
	ENC_CONST = 1, /* one value for all events */
	ENC_DELTA = 2, /* zigzag varint of the difference to the previous value */
	ENC_RAW = 3,   /* width bytes per event, verbatim (little-endian for INT) */
	ENC_FOR = 4,   /* first value, base delta, then unsigned varint (delta - base) */
	ENC_SPARSE = 5, /* common value, then (gap, zigzag difference) per exception */
};

/* ts, cpu, pid, tid, type index, stack_id: columns over all events. */
#define NCOMMON 6
static const char *const common_names[NCOMMON] = { "ts", "cpu", "pid", "tid", "type", "stack_id" };

/* ---- integers ----------------------------------------------------------- */

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LE16(x) __builtin_bswap16(x)
#define LE32(x) __builtin_bswap32(x)
#define LE64(x) __builtin_bswap64(x)
#else
#define LE16(x) (x)
#define LE32(x) (x)
#define LE64(x) (x)
#endif

/* INT columns are read as little-endian integers whatever the host, so a
 * payload decodes to the same bytes on any machine. */
static inline uint64_t ld_w(const uint8_t *p, unsigned w)
{
	uint16_t a;
	uint32_t b;
	uint64_t c;

	switch (w) {
	case 1:
		return p[0];
	case 2:
		memcpy(&a, p, 2);
		return LE16(a);
	case 4:
		memcpy(&b, p, 4);
		return LE32(b);
	default:
		memcpy(&c, p, 8);
		return LE64(c);
	}
}

static inline void st_w(uint8_t *p, uint64_t v, unsigned w)
{
	uint16_t a;
	uint32_t b;

	switch (w) {
	case 1:
		p[0] = (uint8_t)v;
		break;
	case 2:
		a = LE16((uint16_t)v);
		memcpy(p, &a, 2);
		break;
	case 4:
		b = LE32((uint32_t)v);
		memcpy(p, &b, 4);
		break;
	default:
		v = LE64(v);
		memcpy(p, &v, 8);
		break;
	}
}

static inline uint64_t wmask(unsigned w) { return w >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1; }

/* Sign-extends the low 8w bits of x; all unsigned arithmetic, so no UB. */
static inline uint64_t sext(uint64_t x, uint64_t mask)
{
	uint64_t sb = (mask >> 1) + 1;
	return ((x & mask) ^ sb) - sb;
}

static inline uint64_t zz(uint64_t d) { return (d << 1) ^ (0 - (d >> 63)); }
static inline uint64_t unzz(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

static inline unsigned uv_len(uint64_t v) { return (unsigned)(70 - __builtin_clzll(v | 1)) / 7; }

static inline uint8_t *uv_put(uint8_t *p, uint64_t v)
{
	if (likely(v < 0x80)) {
		*p = (uint8_t)v;
		return p + 1;
	}
	if (v < 0x4000) {
		p[0] = (uint8_t)(v | 0x80);
		p[1] = (uint8_t)(v >> 7);
		return p + 2;
	}
	return p + varint_put(p, v);
}

/* A varint from [p, end): the new position, or NULL when truncated or
 * longer than 64 bits. */
static inline const uint8_t *uv_get_slow(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned s = 0; s < 64; s += 7) {
		if (p >= end)
			return NULL;
		uint64_t b = *p++;
		if (s == 63 && b > 1)
			return NULL;
		v |= (b & 0x7f) << s;
		if (b < 0x80) {
			*out = v;
			return p;
		}
	}
	return NULL;
}

static inline const uint8_t *uv_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	if (likely(p < end && *p < 0x80)) {
		*out = *p;
		return p + 1;
	}
	return uv_get_slow(p, end, out);
}

#endif
