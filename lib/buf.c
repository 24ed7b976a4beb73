/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "buf.h"

void tbuf_init(struct tbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void tbuf_free(struct tbuf *b)
{
	free(b->data);
	tbuf_init(b);
}

int tbuf_grow(struct tbuf *b, size_t n)
{
	if (b->oom)
		return -ENOMEM;
	size_t need = b->len + n;
	if (need < b->len)
		goto fail;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	uint8_t *d = realloc(b->data, cap);
	if (!d)
		goto fail;
	b->data = d;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return -ENOMEM;
}

void tbuf_put_u16(struct tbuf *b, uint16_t v)
{
	uint8_t x[2];
	st16(x, v);
	tbuf_put(b, x, 2);
}

void tbuf_put_u32(struct tbuf *b, uint32_t v)
{
	uint8_t x[4];
	st32(x, v);
	tbuf_put(b, x, 4);
}

void tbuf_put_u64(struct tbuf *b, uint64_t v)
{
	uint8_t x[8];
	st64(x, v);
	tbuf_put(b, x, 8);
}

void tbuf_put_bytes(struct tbuf *b, const void *p, size_t n)
{
	tbuf_put_uvarint(b, n);
	tbuf_put(b, p, n);
}

void tbuf_put_str(struct tbuf *b, const char *s)
{
	tbuf_put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

uint8_t tcur_u8(struct tcur *c)
{
	const uint8_t *p = tcur_take(c, 1);
	return p ? p[0] : 0;
}

uint16_t tcur_u16(struct tcur *c)
{
	const uint8_t *p = tcur_take(c, 2);
	return p ? le16(p) : 0;
}

uint32_t tcur_u32(struct tcur *c)
{
	const uint8_t *p = tcur_take(c, 4);
	return p ? le32(p) : 0;
}

uint64_t tcur_u64(struct tcur *c)
{
	const uint8_t *p = tcur_take(c, 8);
	return p ? le64(p) : 0;
}

uint64_t tcur_uvarint_slow(struct tcur *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (c->err || c->p >= c->end)
			break;
		uint8_t byte = *c->p++;
		if (shift == 63 && byte > 1)
			break; /* would overflow 64 bits */
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->err = 1;
	return 0;
}

uint64_t tcur_uvarint_max(struct tcur *c, uint64_t max)
{
	uint64_t v = tcur_uvarint(c);
	if (v > max) {
		c->err = 1;
		return 0;
	}
	return v;
}

const char *tcur_str(struct tcur *c, size_t max, uint32_t *len)
{
	uint64_t n = tcur_uvarint_max(c, max);
	const uint8_t *p = tcur_take(c, (size_t)n);
	*len = p ? (uint32_t)n : 0;
	return p ? (const char *)p : "";
}

/* ---- arena ---- */

struct tarena_chunk {
	struct tarena_chunk *next;
	size_t used, cap;
	_Alignas(16) uint8_t mem[];
};

void tarena_free(struct tarena *a)
{
	struct tarena_chunk *c = a->head;
	while (c) {
		struct tarena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->used = 0;
}

void *tarena_alloc(struct tarena *a, size_t n)
{
	if (n > SIZE_MAX - 64)
		return NULL;
	n = (n + 7) & ~(size_t)7;
	struct tarena_chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 60000 ? n : 65536 - sizeof(*c);
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* Keep filling the current chunk if the big allocation got its own. */
		if (a->head && n > 60000) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->mem + c->used;
	c->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *tarena_strndup(struct tarena *a, const char *s, size_t n)
{
	char *d = tarena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

/* ---- crc32c ---- */

static uint32_t crc_table[8][256];

static void crc_init_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t n)
{
	static int ready;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		crc_init_table(); /* idempotent: racing threads compute the same table */
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	while (n >= 8) {
		uint64_t w = le64(p) ^ crc;
		crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
		      crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
		      crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
		      crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return c32;
}
#endif

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
	crc = ~crc;
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc32c_hw(crc, p, n);
#endif
	return ~crc32c_sw(crc, p, n);
}
