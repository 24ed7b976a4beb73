/* SPDX-License-Identifier: MIT */
/*
 * Byte plumbing shared by every encoder and decoder in format/:
 *  - struct tbuf: a growable output buffer. Allocation failure is sticky
 *    (tbuf.oom) so encoders write straight-line code and check once.
 *  - struct tcur: a bounded input cursor. Reading past the end never
 *    touches memory outside [p, end): it sets tcur.err and yields zeros,
 *    so decoders check once per record, not per field.
 *  - varints (LEB128) and zigzag for signed values.
 *  - struct tarena: bump allocator for decoded records and their strings,
 *    freed all at once.
 *  - crc32c for block checksums.
 */
#ifndef TREC_BUF_H
#define TREC_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- output buffer ---------------------------------------------------- */

struct tbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int oom; /* set once an allocation failed; later puts are dropped */
};

void tbuf_init(struct tbuf *b);
void tbuf_free(struct tbuf *b);
static inline void tbuf_reset(struct tbuf *b) { b->len = 0; b->oom = 0; }
/* Make room for n more bytes; 0 or -ENOMEM (and b->oom set). */
int tbuf_grow(struct tbuf *b, size_t n);
static inline int tbuf_reserve(struct tbuf *b, size_t n)
{
	return b->cap - b->len >= n ? 0 : tbuf_grow(b, n);
}
static inline void tbuf_put(struct tbuf *b, const void *src, size_t n)
{
	if (tbuf_reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, src, n);
	b->len += n;
}
static inline void tbuf_put_u8(struct tbuf *b, uint8_t v) { tbuf_put(b, &v, 1); }
void tbuf_put_u16(struct tbuf *b, uint16_t v);
void tbuf_put_u32(struct tbuf *b, uint32_t v);
void tbuf_put_u64(struct tbuf *b, uint64_t v);

/* LEB128: 7 bits per byte, low bits first, at most 10 bytes. */
#define TREC_VARINT_MAX 10
static inline size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}
static inline uint64_t zigzag_enc(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t zigzag_dec(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline void tbuf_put_uvarint(struct tbuf *b, uint64_t v)
{
	if (tbuf_reserve(b, TREC_VARINT_MAX))
		return;
	b->len += varint_put(b->data + b->len, v);
}
static inline void tbuf_put_svarint(struct tbuf *b, int64_t v) { tbuf_put_uvarint(b, zigzag_enc(v)); }
/* A string as varint length + bytes (no NUL). NULL is written as "". */
void tbuf_put_str(struct tbuf *b, const char *s);
void tbuf_put_bytes(struct tbuf *b, const void *p, size_t n); /* varint len + bytes */

/* ---- bounded input cursor --------------------------------------------- */

struct tcur {
	const uint8_t *p;
	const uint8_t *end;
	int err; /* nonzero once any read ran past end or a value was out of range */
};

static inline void tcur_init(struct tcur *c, const void *p, size_t n)
{
	c->p = (const uint8_t *)p;
	c->end = c->p + n;
	c->err = 0;
}
static inline size_t tcur_left(const struct tcur *c) { return (size_t)(c->end - c->p); }
/* Returns a pointer to n bytes and advances, or NULL (err set) if short. */
static inline const uint8_t *tcur_take(struct tcur *c, size_t n)
{
	if (c->err || tcur_left(c) < n) {
		c->err = 1;
		return NULL;
	}
	const uint8_t *r = c->p;
	c->p += n;
	return r;
}
uint8_t tcur_u8(struct tcur *c);
uint16_t tcur_u16(struct tcur *c);
uint32_t tcur_u32(struct tcur *c);
uint64_t tcur_u64(struct tcur *c);
/* Slow path of tcur_uvarint; also rejects encodings longer than 10 bytes. */
uint64_t tcur_uvarint_slow(struct tcur *c);
static inline uint64_t tcur_uvarint(struct tcur *c)
{
	if (c->p < c->end && *c->p < 0x80)
		return *c->p++;
	return tcur_uvarint_slow(c);
}
static inline int64_t tcur_svarint(struct tcur *c) { return zigzag_dec(tcur_uvarint(c)); }
/* A varint that must be <= max; larger sets err and returns 0. */
uint64_t tcur_uvarint_max(struct tcur *c, uint64_t max);
/* A length-prefixed string (as tbuf_put_str wrote it), at most max bytes.
 * Returns a pointer into the input (not NUL-terminated) and its length. */
const char *tcur_str(struct tcur *c, size_t max, uint32_t *len);

/* ---- arena ------------------------------------------------------------ */

struct tarena_chunk;
struct tarena {
	struct tarena_chunk *head;
	size_t used; /* bytes handed out, for memory accounting */
};

static inline void tarena_init(struct tarena *a) { a->head = NULL; a->used = 0; }
void tarena_free(struct tarena *a);
/* 8-byte aligned, zeroed memory; NULL on allocation failure. */
void *tarena_alloc(struct tarena *a, size_t n);
/* Copies n bytes and appends a NUL. */
char *tarena_strndup(struct tarena *a, const char *s, size_t n);
static inline char *tarena_strdup(struct tarena *a, const char *s)
{
	return tarena_strndup(a, s, strlen(s));
}

/* ---- checksum --------------------------------------------------------- */

/* CRC-32C (Castagnoli); crc32c(0, p, n) starts a new sum. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* ---- little-endian loads/stores for fixed headers ---------------------- */

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static inline void st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }

#endif
