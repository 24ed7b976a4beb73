/* SPDX-License-Identifier: MIT */
/*
 * gzip writer (gzwrite.h). The input is cut into chunks of at most 65535
 * bytes; each chunk is tokenized (literals and <length, distance> pairs
 * whose distance may reach back into earlier chunks, up to 32 KiB), its
 * size as a fixed-Huffman block is counted, and it is written as that
 * block or as a stored block, whichever is smaller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gzwrite.h"

enum {
	WSIZE = 32768,         /* deflate's window */
	MIN_MATCH = 3,
	MAX_MATCH = 258,
	HASH_BITS = 15,
	MAX_CHAIN = 48,        /* candidates tried per position */
	GOOD_ENOUGH = 128,     /* stop searching at a match this long */
	CHUNK = 65535,         /* a stored block's most */
};

/* ---- CRC-32 ----------------------------------------------------------------------------- */

static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	/* slicing by 8: table k is the CRC of a byte followed by k zero bytes */
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

uint32_t gz_crc32(uint32_t crc, const void *p, size_t n)
{
	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init(); /* idempotent: two threads compute the same tables */
	const uint8_t *b = p;
	crc = ~crc;
	while (n >= 8) {
		uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
		      crc_table[4][lo >> 24] ^ crc_table[3][b[4]] ^ crc_table[2][b[5]] ^ crc_table[1][b[6]] ^
		      crc_table[0][b[7]];
		b += 8;
		n -= 8;
	}
	while (n--)
		crc = crc_table[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- bits, LSB first ---------------------------------------------------------------------- */

struct bits {
	struct tbuf *out;
	uint64_t acc;
	unsigned n;
};

static void put_bits(struct bits *w, uint32_t v, unsigned n)
{
	w->acc |= (uint64_t)v << w->n;
	w->n += n;
	while (w->n >= 8) {
		tbuf_put_u8(w->out, (uint8_t)w->acc);
		w->acc >>= 8;
		w->n -= 8;
	}
}

static void flush_byte(struct bits *w)
{
	if (w->n)
		put_bits(w, 0, 8 - w->n);
}

/* A Huffman code goes out most significant bit first. */
static void put_code(struct bits *w, uint32_t code, unsigned len)
{
	uint32_t r = 0;
	for (unsigned i = 0; i < len; i++)
		r |= ((code >> i) & 1) << (len - 1 - i);
	put_bits(w, r, len);
}

/* ---- fixed Huffman (RFC 1951 3.2.6) ------------------------------------------------------- */

static const uint16_t len_base[29] = { 3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
				       31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
				       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t dist_base[30] = { 1,   2,   3,   4,    5,    7,    9,    13,   17,    25,
					33,  49,  65,  97,   129,  193,  257,  385,  513,   769,
					1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
					6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static unsigned lit_len(unsigned sym) { return sym < 144 ? 8 : sym < 256 ? 9 : sym < 280 ? 7 : 8; }

static void put_lit(struct bits *w, unsigned sym)
{
	if (sym < 144)
		put_code(w, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(w, 0x190 + (sym - 144), 9);
	else if (sym < 280)
		put_code(w, sym - 256, 7);
	else
		put_code(w, 0xc0 + (sym - 280), 8);
}

static unsigned len_sym(unsigned len) /* index into len_base */
{
	unsigned i = 28;
	while (len_base[i] > len)
		i--;
	return i;
}

static unsigned dist_sym(unsigned d)
{
	unsigned lo = 0, hi = 29;
	while (lo < hi) { /* the last base <= d */
		unsigned mid = (lo + hi + 1) / 2;
		if (dist_base[mid] <= d)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* ---- LZ77 --------------------------------------------------------------------------------- */

/* A token: a literal (dist 0, len = the byte) or a match. */
struct token {
	uint16_t len;
	uint16_t dist;
};

struct lz {
	const uint8_t *in;
	size_t n;
	int32_t *head; /* 1 << HASH_BITS: last position + 1 with this hash, 0 = none */
	int32_t *prev; /* WSIZE: previous position + 1 with the same hash */
	size_t inserted; /* positions below this are in the chains */
};

static uint32_t hash3(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Positions count from 1 in the tables, so 0 means "none"; positions
 * past 2^31 do not fit: the chains restart relative to a base. */
static void insert(struct lz *z, size_t pos, size_t base)
{
	if (pos + MIN_MATCH > z->n)
		return;
	uint32_t h = hash3(z->in + pos);
	z->prev[pos & (WSIZE - 1)] = z->head[h];
	z->head[h] = (int32_t)(pos - base + 1);
}

static void insert_upto(struct lz *z, size_t end, size_t base)
{
	for (; z->inserted < end; z->inserted++)
		insert(z, z->inserted, base);
}

/* The longest match at pos (len >= MIN_MATCH), or len 0. */
static struct token longest(struct lz *z, size_t pos, size_t base)
{
	struct token best = { 0, 0 };
	if (pos + MIN_MATCH > z->n)
		return best;
	size_t maxlen = z->n - pos < MAX_MATCH ? z->n - pos : MAX_MATCH;
	int32_t cand = z->head[hash3(z->in + pos)];
	const uint8_t *p = z->in + pos;
	for (int tries = 0; cand && tries < MAX_CHAIN; tries++) {
		size_t c = (size_t)cand - 1 + base;
		if (c >= pos || pos - c > WSIZE)
			break;
		const uint8_t *q = z->in + c;
		if (q[best.len] == p[best.len] && q[0] == p[0]) {
			size_t l = 0;
			while (l < maxlen && q[l] == p[l])
				l++;
			if (l >= MIN_MATCH && l > best.len) {
				best.len = (uint16_t)l;
				best.dist = (uint16_t)(pos - c);
				if (l >= GOOD_ENOUGH || l == maxlen)
					break;
			}
		}
		int32_t nx = z->prev[c & (WSIZE - 1)];
		if (nx >= cand)
			break; /* the slot was reused by a newer position: chain ends */
		cand = nx;
	}
	return best;
}

/* ---- blocks ------------------------------------------------------------------------------- */

static void put_stored(struct bits *w, const uint8_t *p, size_t n, int final)
{
	put_bits(w, final, 1);
	put_bits(w, 0, 2);
	flush_byte(w);
	tbuf_put_u8(w->out, (uint8_t)n);
	tbuf_put_u8(w->out, (uint8_t)(n >> 8));
	tbuf_put_u8(w->out, (uint8_t)~n);
	tbuf_put_u8(w->out, (uint8_t)(~n >> 8));
	tbuf_put(w->out, p, n);
}

static void put_fixed(struct bits *w, const struct token *t, size_t nt, int final)
{
	put_bits(w, final, 1);
	put_bits(w, 1, 2);
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].dist) {
			put_lit(w, t[i].len);
			continue;
		}
		unsigned ls = len_sym(t[i].len), ds = dist_sym(t[i].dist);
		put_lit(w, 257 + ls);
		put_bits(w, t[i].len - len_base[ls], len_extra[ls]);
		put_code(w, ds, 5);
		put_bits(w, t[i].dist - dist_base[ds], dist_extra[ds]);
	}
	put_lit(w, 256);
}

int gz_compress(const void *in, size_t n, struct tbuf *out)
{
	static const uint8_t header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 /* Unix */ };
	struct lz z = { .in = in, .n = n };
	struct token *tok = malloc(CHUNK * sizeof(*tok));
	z.head = calloc((size_t)1 << HASH_BITS, sizeof(*z.head));
	z.prev = calloc(WSIZE, sizeof(*z.prev));
	if (!tok || !z.head || !z.prev) {
		free(tok);
		free(z.head);
		free(z.prev);
		out->oom = 1;
		return -ENOMEM;
	}
	tbuf_put(out, header, sizeof(header));
	struct bits w = { .out = out };
	size_t base = 0; /* positions in the tables are relative to it */
	size_t pos = 0;
	do {
		/* Keep positions relative to base below 2^31: move base and
		 * forget the chains (a rare, tiny loss of matches). */
		if (pos - base > ((size_t)1 << 30)) {
			base = pos;
			memset(z.head, 0, ((size_t)1 << HASH_BITS) * sizeof(*z.head));
			memset(z.prev, 0, WSIZE * sizeof(*z.prev));
			z.inserted = pos;
		}
		size_t end = n - pos < CHUNK ? n : pos + CHUNK, start = pos, nt = 0;
		uint64_t bits = 7; /* end of block */
		while (pos < end) {
			insert_upto(&z, pos, base);
			struct token t = longest(&z, pos, base);
			if (pos + t.len > end) /* a match ends with its chunk */
				t.len = (uint16_t)(end - pos >= MIN_MATCH ? end - pos : 0);
			if (t.len) {
				unsigned ls = len_sym(t.len), ds = dist_sym(t.dist);
				bits += lit_len(257 + ls) + len_extra[ls] + 5 + dist_extra[ds];
				tok[nt++] = t;
				pos += t.len;
			} else {
				tok[nt++] = (struct token){ z.in[pos], 0 };
				bits += lit_len(z.in[pos]);
				pos++;
			}
		}
		insert_upto(&z, pos, base);
		int final = pos == n;
		size_t stored_bits = 3 + 7 + 32 + (end - start) * 8;
		if (bits + 3 < stored_bits)
			put_fixed(&w, tok, nt, final);
		else
			put_stored(&w, z.in + start, end - start, final);
	} while (pos < n);
	flush_byte(&w);
	uint32_t crc = gz_crc32(0, in, n);
	tbuf_put_u32(out, crc);              /* little-endian, as tbuf writes */
	tbuf_put_u32(out, (uint32_t)n);      /* ISIZE: size mod 2^32 */
	free(tok);
	free(z.head);
	free(z.prev);
	return out->oom ? -ENOMEM : 0;
}
