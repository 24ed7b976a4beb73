/* SPDX-License-Identifier: MIT */
/*
 * The columnar event encoder (events.h). docs/format-events.md gives the
 * byte layout and the measurements behind it; events_decode.c reads it.
 *
 * Encoder. A trec_evbuf keeps its rows as struct-of-arrays carved out of
 * one allocation, and the payloads back to back in a second one, so the
 * common columns are dense arrays already and adding an event is a few
 * stores and one memcpy. Per event type, one pass XORs every payload with
 * the first and ORs the results: the bytes that never differ form the
 * constant columns, which cost one value and no per-event work. The other
 * integer columns are gathered into dense u64 arrays in one row-major pass
 * and each is written as SPARSE (one common value plus exceptions), DELTA,
 * FOR or RAW, chosen from cheap statistics (a sample decides SPARSE); zstd
 * does the rest. Frame lengths are patched in after the body is written,
 * so no pass computes sizes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "events_codec.h"
#include "trec_format.h"

/* Bytes of one buffered row besides its payload (see struct rows). */
#define ROW_BYTES (sizeof(uint64_t) + 7 * sizeof(uint32_t))

/* ---- growable scratch --------------------------------------------------- */

struct scratch {
	void *p;
	size_t cap;
};

/* Contents are not kept: callers use scratch for one pass at a time. */
static void *scratch_get(struct scratch *s, size_t n)
{
	if (n <= s->cap && s->p)
		return s->p;
	size_t cap = s->cap > 4096 ? s->cap : 4096;
	while (cap < n)
		cap *= 2;
	free(s->p);
	s->p = malloc(cap);
	s->cap = s->p ? cap : 0;
	return s->p;
}

static void scratch_free(struct scratch *s)
{
	free(s->p);
	s->p = NULL;
	s->cap = 0;
}

/* ---- the event buffer --------------------------------------------------- */

/* The row arrays, all carved out of one allocation of ROW_BYTES * cap. */
struct rows {
	uint64_t *ts;
	uint32_t *cpu, *pid, *tid;
	uint32_t *tix;   /* index into trec_evbuf.types */
	uint32_t *stack_id;
	uint32_t *size;
	uint32_t *off;   /* of the payload in trec_evbuf.pay */
};

struct evtype {
	uint32_t id;
	uint32_t count; /* events of the type in the buffer */
	uint32_t slot;  /* its slot in the hash, so reset clears only used slots */
};

struct trec_evbuf {
	uint32_t n, cap;
	struct rows r;
	void *rows_mem;
	void *alt_mem; /* same shape as rows_mem: target of the sort */
	uint32_t alt_cap;

	uint8_t *pay;
	size_t pay_len, pay_cap;

	int sorted; /* every ts >= the one added before it */
	uint64_t prev_ts, min_ts, max_ts;

	struct evtype *types;
	uint32_t ntypes, types_cap;
	uint32_t *hash; /* open addressing: type index + 1, 0 = empty */
	uint32_t hash_cap;
	uint32_t last_type, last_tix; /* consecutive events mostly share a type */

	struct scratch s_keys, s_keys2, s_types, s_offs, s_sizes, s_vals, s_mask, s_gather;
};

static void rows_carve(struct rows *r, void *mem, uint32_t cap)
{
	uint8_t *p = mem;

	r->ts = (uint64_t *)p;
	p += (size_t)cap * 8;
	uint32_t **u[] = { &r->cpu, &r->pid, &r->tid, &r->tix, &r->stack_id, &r->size, &r->off };
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		*u[i] = (uint32_t *)p;
		p += (size_t)cap * 4;
	}
}

static void rows_copy(const struct rows *dst, const struct rows *src, uint32_t n)
{
	memcpy(dst->ts, src->ts, (size_t)n * 8);
	memcpy(dst->cpu, src->cpu, (size_t)n * 4);
	memcpy(dst->pid, src->pid, (size_t)n * 4);
	memcpy(dst->tid, src->tid, (size_t)n * 4);
	memcpy(dst->tix, src->tix, (size_t)n * 4);
	memcpy(dst->stack_id, src->stack_id, (size_t)n * 4);
	memcpy(dst->size, src->size, (size_t)n * 4);
	memcpy(dst->off, src->off, (size_t)n * 4);
}

struct trec_evbuf *trec_evbuf_new(void)
{
	struct trec_evbuf *b = calloc(1, sizeof(*b));

	if (b)
		trec_evbuf_reset(b);
	return b;
}

void trec_evbuf_free(struct trec_evbuf *b)
{
	if (!b)
		return;
	free(b->rows_mem);
	free(b->alt_mem);
	free(b->pay);
	free(b->types);
	free(b->hash);
	scratch_free(&b->s_keys);
	scratch_free(&b->s_keys2);
	scratch_free(&b->s_types);
	scratch_free(&b->s_offs);
	scratch_free(&b->s_sizes);
	scratch_free(&b->s_vals);
	scratch_free(&b->s_mask);
	scratch_free(&b->s_gather);
	free(b);
}

void trec_evbuf_reset(struct trec_evbuf *b)
{
	for (uint32_t t = 0; t < b->ntypes; t++)
		b->hash[b->types[t].slot] = 0;
	b->ntypes = 0;
	b->n = 0;
	b->pay_len = 0;
	b->sorted = 1;
	b->prev_ts = 0;
	b->min_ts = UINT64_MAX;
	b->max_ts = 0;
}

uint32_t trec_evbuf_count(const struct trec_evbuf *b) { return b->n; }

size_t trec_evbuf_bytes(const struct trec_evbuf *b) { return (size_t)b->n * ROW_BYTES + b->pay_len; }

uint64_t trec_evbuf_first_ts(const struct trec_evbuf *b) { return b->n ? b->min_ts : 0; }

uint64_t trec_evbuf_last_ts(const struct trec_evbuf *b) { return b->n ? b->max_ts : 0; }

static int rows_grow(struct trec_evbuf *b)
{
	uint32_t cap = b->cap ? b->cap * 2 : 1024;

	if (cap > TREC_MAX_BLOCK_EVENTS)
		cap = TREC_MAX_BLOCK_EVENTS;
	void *mem = malloc((size_t)cap * ROW_BYTES);
	if (!mem)
		return -ENOMEM;
	struct rows r;
	rows_carve(&r, mem, cap);
	if (b->n)
		rows_copy(&r, &b->r, b->n);
	free(b->rows_mem);
	b->rows_mem = mem;
	b->r = r;
	b->cap = cap;
	return 0;
}

static int pay_grow(struct trec_evbuf *b, size_t need)
{
	size_t cap = b->pay_cap ? b->pay_cap : 64 * 1024;

	while (cap - b->pay_len < need)
		cap *= 2;
	uint8_t *p = realloc(b->pay, cap);
	if (!p)
		return -ENOMEM;
	b->pay = p;
	b->pay_cap = cap;
	return 0;
}

static inline uint32_t hash32(uint32_t x) { return x * 0x9e3779b1u; }

static int hash_grow(struct trec_evbuf *b)
{
	uint32_t cap = b->hash_cap ? b->hash_cap * 2 : 64;
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (uint32_t t = 0; t < b->ntypes; t++) {
		uint32_t s = hash32(b->types[t].id) & (cap - 1);
		while (h[s])
			s = (s + 1) & (cap - 1);
		h[s] = t + 1;
		b->types[t].slot = s;
	}
	free(b->hash);
	b->hash = h;
	b->hash_cap = cap;
	return 0;
}

/* Finds or adds the buffer's index of type `id`. */
static int type_index(struct trec_evbuf *b, uint32_t id, uint32_t *out)
{
	if ((b->ntypes + 1) * 2 > b->hash_cap && hash_grow(b))
		return -ENOMEM;
	uint32_t mask = b->hash_cap - 1, s = hash32(id) & mask;
	while (b->hash[s]) {
		uint32_t t = b->hash[s] - 1;
		if (b->types[t].id == id) {
			*out = t;
			return 0;
		}
		s = (s + 1) & mask;
	}
	if (b->ntypes == b->types_cap) {
		uint32_t cap = b->types_cap ? b->types_cap * 2 : 16;
		struct evtype *t = realloc(b->types, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		b->types = t;
		b->types_cap = cap;
	}
	b->types[b->ntypes] = (struct evtype){ .id = id, .count = 0, .slot = s };
	b->hash[s] = b->ntypes + 1;
	*out = b->ntypes++;
	return 0;
}

int trec_evbuf_add(struct trec_evbuf *b, const struct trec_event *ev)
{
	uint32_t size = ev->size, t;
	int ret;

	if (unlikely(b->n >= TREC_MAX_BLOCK_EVENTS || size > TREC_MAX_EVENT_SIZE ||
		     size > TREC_MAX_DECODED_PAYLOAD - b->pay_len))
		return -E2BIG;
	if (unlikely(size && !ev->data))
		return -EINVAL;
	if (unlikely(b->n == b->cap) && (ret = rows_grow(b)))
		return ret;
	if (unlikely(b->pay_cap - b->pay_len < size) && (ret = pay_grow(b, size)))
		return ret;
	if (likely(b->ntypes && ev->type == b->last_type)) {
		t = b->last_tix;
	} else {
		if ((ret = type_index(b, ev->type, &t)))
			return ret;
		b->last_type = ev->type;
		b->last_tix = t;
	}

	/* Nothing can fail from here on. */
	uint32_t i = b->n++;
	uint64_t ts = ev->ts;
	b->r.ts[i] = ts;
	b->r.cpu[i] = ev->cpu;
	b->r.pid[i] = ev->pid;
	b->r.tid[i] = ev->tid;
	b->r.tix[i] = t;
	b->r.stack_id[i] = ev->stack_id;
	b->r.size[i] = size;
	b->r.off[i] = (uint32_t)b->pay_len;
	if (size)
		memcpy(b->pay + b->pay_len, ev->data, size);
	b->pay_len += size;
	b->types[t].count++;

	if (ts < b->prev_ts)
		b->sorted = 0;
	b->prev_ts = ts;
	if (ts < b->min_ts)
		b->min_ts = ts;
	if (ts > b->max_ts)
		b->max_ts = ts;
	return 0;
}

/* ---- sorting ------------------------------------------------------------ */

struct tskey {
	uint64_t ts;
	uint64_t idx;
};

static void insertion_sort(struct tskey *k, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct tskey x = k[i];
		uint32_t j = i;
		while (j && k[j - 1].ts > x.ts) {
			k[j] = k[j - 1];
			j--;
		}
		k[j] = x;
	}
}

/* Merges src[lo, mid) and src[mid, hi) into dst; ties take the left run,
 * which keeps the sort stable. */
static void merge(struct tskey *dst, const struct tskey *src, uint32_t lo, uint32_t mid, uint32_t hi)
{
	uint32_t i = lo, j = mid, o = lo;

	if (mid >= hi || src[mid - 1].ts <= src[mid].ts) {
		memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(*dst)); /* already in order */
		return;
	}
	while (i < mid && j < hi)
		dst[o++] = src[j].ts < src[i].ts ? src[j++] : src[i++];
	while (i < mid)
		dst[o++] = src[i++];
	while (j < hi)
		dst[o++] = src[j++];
}

/*
 * Stable sort of the rows by ts. Rare (per-CPU buffers arrive in order), so
 * it favours simplicity: sort (ts, index) keys with runs of insertion sort
 * merged bottom-up, then gather every row array into the spare allocation
 * and swap it in. Payload bytes do not move; their offsets do.
 */
static int sort_rows(struct trec_evbuf *b)
{
	uint32_t n = b->n;
	struct tskey *k = scratch_get(&b->s_keys, (size_t)n * sizeof(*k));
	struct tskey *k2 = scratch_get(&b->s_keys2, (size_t)n * sizeof(*k2));

	if (!k || !k2)
		return -ENOMEM;
	if (b->alt_cap != b->cap) {
		free(b->alt_mem);
		b->alt_cap = 0;
		b->alt_mem = malloc((size_t)b->cap * ROW_BYTES);
		if (!b->alt_mem)
			return -ENOMEM;
		b->alt_cap = b->cap;
	}
	for (uint32_t i = 0; i < n; i++)
		k[i] = (struct tskey){ b->r.ts[i], i };
	const uint32_t run = 32;
	for (uint32_t lo = 0; lo < n; lo += run)
		insertion_sort(k + lo, n - lo < run ? n - lo : run);
	for (uint32_t w = run; w < n; w *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * w) {
			uint32_t mid = n - lo > w ? lo + w : n;
			uint32_t hi = n - mid > w ? mid + w : n;
			merge(k2, k, lo, mid, hi);
		}
		struct tskey *t = k;
		k = k2;
		k2 = t;
	}

	struct rows a;
	rows_carve(&a, b->alt_mem, b->cap);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = (uint32_t)k[i].idx;
		a.ts[i] = b->r.ts[j];
		a.cpu[i] = b->r.cpu[j];
		a.pid[i] = b->r.pid[j];
		a.tid[i] = b->r.tid[j];
		a.tix[i] = b->r.tix[j];
		a.stack_id[i] = b->r.stack_id[j];
		a.size[i] = b->r.size[j];
		a.off[i] = b->r.off[j];
	}
	void *m = b->rows_mem;
	b->rows_mem = b->alt_mem;
	b->alt_mem = m;
	b->r = a;
	b->sorted = 1;
	b->prev_ts = b->r.ts[n - 1];
	return 0;
}

/* ---- encoder ------------------------------------------------------------ */

/* Per-type state of one encode. */
struct etype {
	const struct trec_layout *l;
	uint32_t fs;
	uint32_t start; /* first slot of the type's events in the gathered lists */
	uint32_t fill;
	uint64_t tail_bytes;
};

/* Writes a frame header and reserves its body: the caller writes exactly
 * `len` bytes at the returned pointer, then adds len to out->len. */
static uint8_t *frame_begin(struct tbuf *out, unsigned enc, size_t len)
{
	if (tbuf_reserve(out, 1 + TREC_VARINT_MAX + len))
		return NULL;
	uint8_t *p = out->data + out->len;
	*p++ = (uint8_t)enc;
	p = uv_put(p, len);
	out->len = (size_t)(p - out->data);
	return p;
}

static void put_const_int(struct tbuf *out, uint64_t v)
{
	uint8_t *p = frame_begin(out, ENC_CONST, uv_len(v));
	if (p)
		out->len += (size_t)(uv_put(p, v) - p);
}

/*
 * Frames whose body length is known only once written: the body goes at
 * the farthest place the header could end, and frame_close moves it back
 * behind the real header. A memmove per column beats a sizing pass.
 */
#define FRAME_HDR_MAX (1 + TREC_VARINT_MAX)

static uint8_t *frame_open(struct tbuf *out, unsigned enc, size_t max_len)
{
	if (tbuf_reserve(out, FRAME_HDR_MAX + max_len))
		return NULL;
	out->data[out->len] = (uint8_t)enc;
	return out->data + out->len + FRAME_HDR_MAX;
}

static void frame_close(struct tbuf *out, const uint8_t *end)
{
	uint8_t *hdr = out->data + out->len, *body = hdr + FRAME_HDR_MAX;
	size_t len = (size_t)(end - body);
	uint8_t *p = uv_put(hdr + 1, len);

	memmove(p, body, len);
	out->len = (size_t)(p + len - out->data);
}

/* Room for `need` more bytes at p, the write position inside the frame
 * frame_open began; p moves with the buffer if it grows. NULL on OOM. */
static uint8_t *frame_room(struct tbuf *out, uint8_t *p, size_t need)
{
	size_t used = (size_t)(p - out->data) - out->len;

	if (out->cap - out->len - used >= need)
		return p;
	if (tbuf_reserve(out, used + need))
		return NULL;
	return out->data + out->len + used;
}

/* Writes the exceptions to `base`; returns how many there were. */
static uint32_t enc_sparse(struct tbuf *out, const uint64_t *v, uint32_t m, uint64_t mask, uint64_t base)
{
	/* Room for an eighth of the events as exceptions; more grows the buffer. */
	const size_t exc_max = 2 * TREC_VARINT_MAX;
	uint8_t *p = frame_open(out, ENC_SPARSE, TREC_VARINT_MAX + exc_max * (m / 8 + 1));
	uint32_t next = 0, nexc = 0; /* next: the event the next gap counts from */

	if (!p)
		return 0;
	p = uv_put(p, base);
	for (uint32_t i = 0; i < m; i++) {
		/* mostly equal: test four at a time with one branch */
		if (i + 4 <= m && !((v[i] ^ base) | (v[i + 1] ^ base) | (v[i + 2] ^ base) | (v[i + 3] ^ base))) {
			i += 3;
			continue;
		}
		if (v[i] == base)
			continue;
		if (unlikely(!(p = frame_room(out, p, exc_max))))
			return 0;
		p = uv_put(p, i - next);
		p = uv_put(p, zz(sext(v[i] - base, mask)));
		next = i + 1;
		nexc++;
	}
	frame_close(out, p);
	return nexc;
}

static void enc_dense(struct tbuf *out, unsigned enc, const uint64_t *v, uint32_t m, unsigned w, uint64_t mask,
		      uint64_t base)
{
	uint8_t *p = frame_open(out, enc, (size_t)m * TREC_VARINT_MAX + 2 * TREC_VARINT_MAX);
	uint64_t prev = 0;

	if (!p)
		return;
	switch (enc) {
	case ENC_RAW:
		for (uint32_t i = 0; i < m; i++)
			st_w(p + (size_t)i * w, v[i], w);
		p += (size_t)m * w;
		break;
	case ENC_FOR:
		p = uv_put(p, v[0]);
		p = uv_put(p, zz(base));
		for (uint32_t i = 1; i < m; i++)
			p = uv_put(p, sext(v[i] - v[i - 1], mask) - base);
		break;
	default:
		for (uint32_t i = 0; i < m; i++) {
			p = uv_put(p, zz(sext(v[i] - prev, mask)));
			prev = v[i];
		}
		break;
	}
	frame_close(out, p);
}

/* Values in the sample that decides between SPARSE and the dense encodings. */
#define SAMPLE 256

/*
 * An INT column of m >= 1 values (already masked to width w). The choice of
 * encoding is a heuristic either way, so it is made from cheap statistics,
 * not exact sizes (a varint length per value and encoding costs more than
 * the encoding itself):
 *  - one value holds most events and the others are scattered (estimated
 *    from SAMPLE evenly spaced values): SPARSE, with `maybe_sparse` (not
 *    for timestamps, which never repeat); no exceptions at all: CONST;
 *  - else the smallest estimate of DELTA, FOR (deltas in a narrow band
 *    away from zero, as timestamps: one byte each, not two) and RAW.
 */
static void enc_int_col(struct tbuf *out, const uint64_t *v, uint32_t m, unsigned w, int maybe_sparse)
{
	const uint64_t mask = wmask(w), bias = UINT64_C(1) << 63;

	if (m == 1) {
		put_const_int(out, v[0]);
		return;
	}
	if (maybe_sparse) {
		uint32_t ns = m < SAMPLE ? m : SAMPLE, cnt = 0, exc = 0, chg = 0;
		uint64_t base = v[0];
		/* most common value of the sample (Boyer-Moore vote) */
		for (uint32_t k = 0; k < ns; k++) {
			uint64_t x = v[(uint64_t)k * m / ns];
			if (x == base)
				cnt++;
			else if (cnt)
				cnt--;
			else
				base = x, cnt = 1;
		}
		for (uint32_t k = 0; k < ns; k++) {
			uint32_t i = (uint32_t)((uint64_t)k * m / ns);
			exc += v[i] != base;
			chg += i && v[i] != v[i - 1];
		}
		/* Scattered exceptions cost DELTA two values each (there and
		 * back), SPARSE one; runs of another value favour DELTA. */
		if (exc * 4 <= ns && exc <= chg + 1) {
			size_t at = out->len;
			if (!enc_sparse(out, v, m, mask, base) && !out->oom) {
				out->len = at;
				put_const_int(out, base);
			}
			return;
		}
	}

	uint64_t lo = UINT64_MAX, hi = 0, or_zz = 0;
	uint32_t small_zz = 0;
	for (uint32_t i = 1; i < m; i++) {
		uint64_t d = sext(v[i] - v[i - 1], mask), z = zz(d), key = d ^ bias;
		lo = key < lo ? key : lo;
		hi = key > hi ? key : hi;
		or_zz |= z;
		small_zz += z < 0x80;
	}
	if (lo == bias && hi == bias) {
		put_const_int(out, v[0]);
		return;
	}
	uint64_t est_delta = small_zz + (uint64_t)(m - 1 - small_zz) * uv_len(or_zz);
	uint64_t est_for = UINT64_MAX, est_raw = (uint64_t)m * w;
	if (small_zz < m / 2) {
		uint32_t small_for = 0;
		for (uint32_t i = 1; i < m; i++)
			small_for += (sext(v[i] - v[i - 1], mask) ^ bias) - lo < 0x80;
		est_for = small_for + (uint64_t)(m - 1 - small_for) * uv_len(hi - lo);
	}
	unsigned enc = ENC_DELTA;
	if (est_for < est_delta)
		enc = ENC_FOR;
	if (est_raw < (est_for < est_delta ? est_for : est_delta))
		enc = ENC_RAW;
	enc_dense(out, enc, v, m, w, mask, lo ^ bias);
}

static void enc_u32_col(struct tbuf *out, const uint32_t *a, uint32_t n, uint64_t *vals)
{
	uint32_t diff = 0;

	for (uint32_t i = 1; i < n; i++)
		diff |= a[i] ^ a[0];
	if (!diff) {
		put_const_int(out, a[0]);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		vals[i] = a[i];
	enc_int_col(out, vals, n, 4, 1);
}

/* ORs together (payload XOR first payload) over the fixed part of every
 * event of a type: zero bytes in acc are bytes no event changes. */
static void diff_mask(uint64_t *acc, const uint8_t *pay, const uint32_t *offs, uint32_t m, uint32_t fs)
{
	const uint8_t *p0 = pay + offs[0];
	size_t nw = fs / 8, rem = fs % 8;

	memset(acc, 0, (nw + 1) * 8);
	for (uint32_t k = 1; k < m; k++) {
		const uint8_t *p = pay + offs[k];
		for (size_t j = 0; j < nw; j++) {
			uint64_t a, c;
			memcpy(&a, p + 8 * j, 8);
			memcpy(&c, p0 + 8 * j, 8);
			acc[j] |= a ^ c;
		}
		if (rem) {
			uint64_t a = 0, c = 0;
			memcpy(&a, p + 8 * nw, rem);
			memcpy(&c, p0 + 8 * nw, rem);
			acc[nw] |= a ^ c;
		}
	}
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x |= p[i];
	return !x;
}

/*
 * Varying INT columns are gathered into dense arrays in one row-major pass
 * over the payloads, a group of columns at a time: a pass per column would
 * pull every payload cache line through the cache once per column. A group
 * takes at most GATHER_BYTES of scratch, whatever the block.
 */
#define GATHER_BYTES (1u << 20)
#define GATHER_MAX 64

struct gcol {
	uint32_t off, width;
	uint64_t *v;
};

static void gather_rows(const uint8_t *pay, const uint32_t *offs, uint32_t m, const struct gcol *g, unsigned ng)
{
	int all8 = 1;

	for (unsigned j = 0; j < ng; j++)
		all8 &= g[j].width == 8;
	if (all8) { /* the common case: args, pointers */
		for (uint32_t k = 0; k < m; k++) {
			const uint8_t *p = pay + offs[k];
			for (unsigned j = 0; j < ng; j++)
				g[j].v[k] = ld_w(p + g[j].off, 8);
		}
		return;
	}
	for (uint32_t k = 0; k < m; k++) {
		const uint8_t *p = pay + offs[k];
		for (unsigned j = 0; j < ng; j++)
			g[j].v[k] = ld_w(p + g[j].off, g[j].width);
	}
}

static void enc_col(struct tbuf *out, const uint8_t *pay, const uint32_t *offs, uint32_t m,
		    const struct trec_col *c, int is_const, const uint64_t *v)
{
	const uint8_t *p0 = pay + offs[0];
	uint8_t *p;

	if (is_const && c->type == TREC_COL_INT) {
		put_const_int(out, ld_w(p0 + c->offset, c->width));
	} else if (is_const) {
		if ((p = frame_begin(out, ENC_CONST, c->width))) {
			memcpy(p, p0 + c->offset, c->width);
			out->len += c->width;
		}
	} else if (c->type == TREC_COL_INT) {
		enc_int_col(out, v, m, c->width, 1);
	} else if ((p = frame_begin(out, ENC_RAW, (size_t)m * c->width))) {
		for (uint32_t k = 0; k < m; k++)
			memcpy(p + (size_t)k * c->width, pay + offs[k] + c->offset, c->width);
		out->len += (size_t)m * c->width;
	}
}

/* The fixed-part columns of one type's m events, in column order. */
static void enc_type_cols(struct tbuf *out, const uint8_t *pay, const uint32_t *offs, uint32_t m,
			  const struct trec_layout *l, uint64_t *acc, struct scratch *sv)
{
	if (!l->ncols)
		return;
	diff_mask(acc, pay, offs, m, l->fixed_size);
	const uint8_t *accb = (const uint8_t *)acc;
	size_t per_group = GATHER_BYTES / ((size_t)m * 8);
	unsigned gmax = per_group < 1 ? 1 : per_group > GATHER_MAX ? GATHER_MAX : (unsigned)per_group;
	struct gcol g[GATHER_MAX];

	for (uint32_t j = 0; j < l->ncols;) {
		/* the next group: columns j..e-1, holding up to gmax varying INTs */
		unsigned ng = 0;
		uint32_t e = j;
		for (; e < l->ncols; e++) {
			const struct trec_col *c = &l->cols[e];
			if (c->type != TREC_COL_INT || all_zero(accb + c->offset, c->width))
				continue;
			if (ng == gmax)
				break;
			g[ng++] = (struct gcol){ c->offset, c->width, NULL };
		}
		uint64_t *v = ng ? scratch_get(sv, (size_t)ng * m * 8) : NULL;
		if (ng && !v) {
			out->oom = 1;
			return;
		}
		for (unsigned k = 0; k < ng; k++)
			g[k].v = v + (size_t)k * m;
		gather_rows(pay, offs, m, g, ng);

		for (unsigned k = 0; j < e; j++) {
			const struct trec_col *c = &l->cols[j];
			int is_const = all_zero(accb + c->offset, c->width);
			const uint64_t *cv = NULL;
			if (!is_const && c->type == TREC_COL_INT)
				cv = g[k++].v;
			enc_col(out, pay, offs, m, c, is_const, cv);
		}
	}
}

/* Tail lengths, then tail bytes, of one type's m events. */
static void enc_tails(struct tbuf *out, const uint8_t *pay, const uint32_t *offs, const uint32_t *sizes,
		      uint32_t m, const struct etype *et, uint64_t *vals)
{
	for (uint32_t k = 0; k < m; k++)
		vals[k] = sizes[k] - et->fs;
	enc_int_col(out, vals, m, 4, 1);
	uint8_t *p = frame_begin(out, ENC_RAW, et->tail_bytes);
	if (!p)
		return;
	for (uint32_t k = 0; k < m; k++) {
		uint32_t tl = sizes[k] - et->fs;
		memcpy(p, pay + offs[k] + et->fs, tl);
		p += tl;
	}
	out->len += et->tail_bytes;
}

static uint64_t first_ts_of_type(const struct trec_evbuf *b, uint32_t t)
{
	for (uint32_t i = 0; i < b->n; i++)
		if (b->r.tix[i] == t)
			return b->r.ts[i];
	return 0;
}

static int check_layout(const struct trec_layout *l, uint32_t id, uint64_t ts, struct trec_err *err)
{
	uint32_t off = 0;

	if (l->type_id != id)
		return trec_errf(err, -EINVAL, "events: layout for type %u says type %u (event at ts %llu)",
				 id, l->type_id, (unsigned long long)ts);
	if (l->fixed_size > TREC_MAX_EVENT_SIZE)
		return trec_errf(err, -EINVAL, "events: layout of type %u: fixed size %u exceeds %u",
				 id, l->fixed_size, TREC_MAX_EVENT_SIZE);
	if (l->ncols && !l->cols)
		return trec_errf(err, -EINVAL, "events: layout of type %u: no column array", id);
	for (uint32_t j = 0; j < l->ncols; j++) {
		const struct trec_col *c = &l->cols[j];
		if (c->offset != off || !c->width || c->width > l->fixed_size - off)
			return trec_errf(err, -EINVAL,
					 "events: layout of type %u: column %u (offset %u, width %u) does not continue at %u within %u bytes",
					 id, j, c->offset, c->width, off, l->fixed_size);
		if (c->type == TREC_COL_INT ? (c->width & (c->width - 1)) || c->width > 8
					    : c->type != TREC_COL_RAW)
			return trec_errf(err, -EINVAL, "events: layout of type %u: column %u: bad type %u or width %u",
					 id, j, c->type, c->width);
		off += c->width;
	}
	if (off != l->fixed_size)
		return trec_errf(err, -EINVAL, "events: layout of type %u: columns cover %u of %u bytes",
				 id, off, l->fixed_size);
	return 0;
}

/* Looks up and checks every type's layout, checks every event's size
 * against it, and sums the tail bytes per type. */
static int resolve_types(struct trec_evbuf *b, const struct trec_layout_table *lt, struct etype *et,
			 struct trec_err *err)
{
	for (uint32_t t = 0; t < b->ntypes; t++) {
		uint32_t id = b->types[t].id;
		const struct trec_layout *l = lt && lt->by_id && id < lt->n ? lt->by_id[id] : NULL;
		if (!l)
			return trec_errf(err, -EINVAL, "events: no layout for type %u (event at ts %llu)", id,
					 (unsigned long long)first_ts_of_type(b, t));
		int ret = check_layout(l, id, first_ts_of_type(b, t), err);
		if (ret)
			return ret;
		et[t] = (struct etype){ .l = l, .fs = l->fixed_size };
	}
	for (uint32_t i = 0; i < b->n; i++) {
		struct etype *e = &et[b->r.tix[i]];
		uint32_t sz = b->r.size[i];
		if (unlikely(sz < e->fs))
			return trec_errf(err, -EINVAL,
					 "events: event at ts %llu of type %u: size %u is less than the type's fixed size %u",
					 (unsigned long long)b->r.ts[i], e->l->type_id, sz, e->fs);
		e->tail_bytes += sz - e->fs;
	}
	return 0;
}

/* With several types, lists every type's payload offsets and sizes in
 * event order, contiguous per type. */
static void gather_lists(const struct trec_evbuf *b, struct etype *et, uint32_t *offs, uint32_t *sizes)
{
	uint32_t start = 0;

	for (uint32_t t = 0; t < b->ntypes; t++) {
		et[t].start = start;
		et[t].fill = start;
		start += b->types[t].count;
	}
	for (uint32_t i = 0; i < b->n; i++) {
		uint32_t s = et[b->r.tix[i]].fill++;
		offs[s] = b->r.off[i];
		sizes[s] = b->r.size[i];
	}
}

static void put_header(struct tbuf *out, const struct trec_evbuf *b, const struct etype *et)
{
	tbuf_put_uvarint(out, b->n);
	tbuf_put_uvarint(out, b->ntypes);
	for (uint32_t t = 0; t < b->ntypes; t++) {
		const struct trec_layout *l = et[t].l;
		tbuf_put_uvarint(out, b->types[t].id);
		tbuf_put_uvarint(out, b->types[t].count);
		tbuf_put_uvarint(out, l->fixed_size);
		tbuf_put_uvarint(out, et[t].tail_bytes);
		tbuf_put_uvarint(out, l->ncols);
		for (uint32_t j = 0; j < l->ncols; j++) {
			tbuf_put_uvarint(out, l->cols[j].width);
			tbuf_put_u8(out, (uint8_t)l->cols[j].type);
		}
	}
}

int trec_events_encode(struct trec_evbuf *b, const struct trec_layout_table *lt, struct tbuf *out,
		       struct trec_err *err)
{
	const size_t start_len = out->len;
	const uint32_t n = b->n;
	int ret;

	if (n == 0) {
		tbuf_put_u8(out, 0); /* events */
		tbuf_put_u8(out, 0); /* types */
		return out->oom ? trec_errf(err, -ENOMEM, "events: out of memory") : 0;
	}
	if (!b->sorted && (ret = sort_rows(b)))
		return trec_errf(err, ret, "events: out of memory sorting %u events", n);

	struct etype *et = scratch_get(&b->s_types, (size_t)b->ntypes * sizeof(*et));
	uint64_t *vals = scratch_get(&b->s_vals, (size_t)n * 8);
	if (!et || !vals)
		return trec_errf(err, -ENOMEM, "events: out of memory");
	if ((ret = resolve_types(b, lt, et, err)))
		return ret;

	const uint32_t *offs = b->r.off, *sizes = b->r.size;
	if (b->ntypes > 1) {
		uint32_t *o = scratch_get(&b->s_offs, (size_t)n * 4);
		uint32_t *s = scratch_get(&b->s_sizes, (size_t)n * 4);
		if (!o || !s)
			return trec_errf(err, -ENOMEM, "events: out of memory");
		gather_lists(b, et, o, s);
		offs = o;
		sizes = s;
	} else {
		et[0].start = 0;
	}
	uint32_t max_fs = 0;
	for (uint32_t t = 0; t < b->ntypes; t++)
		max_fs = et[t].fs > max_fs ? et[t].fs : max_fs;
	uint64_t *acc = scratch_get(&b->s_mask, (size_t)max_fs + 8);
	if (!acc)
		return trec_errf(err, -ENOMEM, "events: out of memory");

	put_header(out, b, et);

	enc_int_col(out, b->r.ts, n, 8, 0);
	enc_u32_col(out, b->r.cpu, n, vals);
	enc_u32_col(out, b->r.pid, n, vals);
	enc_u32_col(out, b->r.tid, n, vals);
	enc_u32_col(out, b->r.tix, n, vals);
	enc_u32_col(out, b->r.stack_id, n, vals);

	for (uint32_t t = 0; t < b->ntypes; t++)
		if (et[t].tail_bytes)
			enc_tails(out, b->pay, offs + et[t].start, sizes + et[t].start, b->types[t].count,
				  &et[t], vals);
	for (uint32_t t = 0; t < b->ntypes; t++)
		enc_type_cols(out, b->pay, offs + et[t].start, b->types[t].count, et[t].l, acc, &b->s_gather);

	if (out->oom) {
		out->len = start_len;
		return trec_errf(err, -ENOMEM, "events: out of memory encoding %u events", n);
	}
	if (out->len - start_len > TREC_MAX_BLOCK_RAW) {
		out->len = start_len;
		return trec_errf(err, -E2BIG, "events: %u events encode to more than %u bytes", n,
				 TREC_MAX_BLOCK_RAW);
	}
	return 0;
}
