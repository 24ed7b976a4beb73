/* SPDX-License-Identifier: MIT */
/*
 * The columnar event codec (events.h). docs/format-events.md gives the
 * byte layout and the measurements behind it.
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
 *
 * Decoder. The header is parsed twice: once to validate it and size every
 * array (nothing is allocated before the sizes are known to be within the
 * limits), once to fill the type table. Columns are then decoded strictly
 * in file order. Payloads are laid out grouped by type, so a type's
 * constant columns (and the common value of SPARSE ones) are written once
 * into its first event, which is copied to the others as a template; only
 * varying values are then written per event.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "trec_format.h"

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

/* Bytes of one buffered row besides its payload (see struct rows). */
#define ROW_BYTES (sizeof(uint64_t) + 7 * sizeof(uint32_t))

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
static const uint8_t *uv_get_slow(const uint8_t *p, const uint8_t *end, uint64_t *out)
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

/* ---- decoder ------------------------------------------------------------ */

/* Per-type state of one decode. */
struct dtype {
	uint64_t tail_bytes;
	const uint8_t *cols;  /* the type's column descriptors in the header */
	const uint8_t *tail;  /* its tail bytes in the input */
	uint32_t id, count, fs, ncols;
	uint32_t start;       /* first slot in offs_all / tl_all */
	uint32_t seen;        /* events placed so far */
};

/* What the header declares, from the validating pass. */
struct hsum {
	uint32_t ntypes;
	uint64_t fixed; /* sum of count * fixed_size */
	uint64_t tails; /* sum of tail bytes */
};

/* Names a column in error messages. */
struct colref {
	enum { CR_COMMON, CR_PAYLOAD, CR_TAIL_LENS, CR_TAIL_BYTES } kind;
	uint32_t idx;
	uint32_t type_id;
};

struct frame {
	unsigned enc;
	const uint8_t *body;
	size_t len;
};

static void colref_name(const struct colref *cr, char *buf, size_t n)
{
	switch (cr->kind) {
	case CR_COMMON:
		snprintf(buf, n, "%s column", common_names[cr->idx]);
		break;
	case CR_PAYLOAD:
		snprintf(buf, n, "column %u of type %u", cr->idx, cr->type_id);
		break;
	case CR_TAIL_LENS:
		snprintf(buf, n, "tail lengths of type %u", cr->type_id);
		break;
	default:
		snprintf(buf, n, "tail bytes of type %u", cr->type_id);
		break;
	}
}

__attribute__((format(printf, 3, 4)))
static int colerr(struct trec_err *err, const struct colref *cr, const char *fmt, ...)
{
	char name[64], what[256];
	va_list ap;

	colref_name(cr, name, sizeof(name));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return trec_errf(err, -EBADMSG, "events payload: %s: %s", name, what);
}

static int read_frame(struct tcur *c, struct frame *f, const struct colref *cr, struct trec_err *err)
{
	if (tcur_left(c) < 1)
		return colerr(err, cr, "missing: payload ends before it");
	f->enc = *c->p++;
	uint64_t len = tcur_uvarint(c);
	if (c->err)
		return colerr(err, cr, "truncated length");
	if (len > tcur_left(c))
		return colerr(err, cr, "length %llu exceeds payload (%zu bytes left)", (unsigned long long)len,
			      tcur_left(c));
	f->body = c->p;
	f->len = (size_t)len;
	c->p += len;
	return 0;
}

/*
 * Varints i.. of a DELTA (zig) or FOR (!zig) column into v[i, m). While a
 * whole varint surely fits, the 1- and 2-byte cases skip bounds checks.
 * Returns the position after the last varint, or NULL with *at = the
 * event whose varint is bad.
 */
static inline __attribute__((always_inline)) const uint8_t *
dec_deltas(const uint8_t *p, const uint8_t *end, uint64_t *v, uint32_t i, uint32_t m, uint64_t prev,
	   uint64_t base, uint64_t mask, int zig, uint32_t *at)
{
	uint64_t z;

	while (i < m && end - p >= TREC_VARINT_MAX) {
		uint64_t b0 = p[0];
		if (likely(b0 < 0x80)) {
			z = b0;
			p++;
		} else if (p[1] < 0x80) {
			z = (b0 & 0x7f) | (uint64_t)p[1] << 7;
			p += 2;
		} else if (!(p = uv_get_slow(p, end, &z))) {
			*at = i;
			return NULL;
		}
		prev = (prev + (zig ? unzz(z) : base + z)) & mask;
		v[i++] = prev;
	}
	for (; i < m; i++) {
		if (!(p = uv_get(p, end, &z))) {
			*at = i;
			return NULL;
		}
		prev = (prev + (zig ? unzz(z) : base + z)) & mask;
		v[i] = prev;
	}
	return p;
}

/*
 * Repeats the first `unit` bytes of p until it holds `total` bytes, copying
 * what is already there in doubling steps: a handful of large memcpys run
 * at memory speed, where a store per element (gcc -O2 does not vectorize
 * these loops) or a memcpy call per element does not.
 */
static void repeat_fill(uint8_t *p, size_t unit, size_t total)
{
	for (size_t have = unit; have < total; have *= 2)
		memcpy(p + have, p, total - have < have ? total - have : have);
}

static void fill_u64(uint64_t *v, uint32_t m, uint64_t x)
{
	if (m) {
		v[0] = x;
		repeat_fill((uint8_t *)v, 8, (size_t)m * 8);
	}
}

static void fill_u32(uint32_t *v, uint32_t m, uint32_t x)
{
	if (m) {
		v[0] = x;
		repeat_fill((uint8_t *)v, 4, (size_t)m * 4);
	}
}

static int dec_const(const struct frame *f, uint64_t mask, uint64_t *x, const struct colref *cr,
		     struct trec_err *err)
{
	const uint8_t *end = f->body + f->len, *p = uv_get(f->body, end, x);

	if (!p || p != end)
		return colerr(err, cr, "constant is not one varint in %zu bytes", f->len);
	if (*x > mask)
		return colerr(err, cr, "constant %llu does not fit the column", (unsigned long long)*x);
	return 0;
}

/* Walks the exceptions of a SPARSE body: the common value, then (gap,
 * zigzag difference) pairs up to the end of the body. */
struct sparse {
	const uint8_t *p, *end;
	uint64_t base, mask;
	uint32_t next, m;
};

static int sparse_open(struct sparse *s, const struct frame *f, uint32_t m, uint64_t mask,
		       const struct colref *cr, struct trec_err *err)
{
	s->end = f->body + f->len;
	s->mask = mask;
	s->next = 0;
	s->m = m;
	if (!(s->p = uv_get(f->body, s->end, &s->base)))
		return colerr(err, cr, "truncated common value");
	if (s->base > mask)
		return colerr(err, cr, "common value %llu does not fit the column", (unsigned long long)s->base);
	return 0;
}

/* 1 with the next exception's event index and value, 0 after the last,
 * or -EBADMSG. */
static int sparse_next(struct sparse *s, uint32_t *i, uint64_t *v, const struct colref *cr,
		       struct trec_err *err)
{
	uint64_t gap, z;

	if (s->p == s->end)
		return 0;
	if (!(s->p = uv_get(s->p, s->end, &gap)) || !(s->p = uv_get(s->p, s->end, &z)))
		return colerr(err, cr, "event %u or later: truncated exception", s->next);
	if (gap >= s->m - s->next)
		return colerr(err, cr, "exception at event %llu of %u", (unsigned long long)s->next + gap, s->m);
	*i = s->next + (uint32_t)gap;
	*v = (s->base + unzz(z)) & s->mask;
	s->next = *i + 1;
	return 1;
}

/* An INT column of m values of width w into v. */
static int dec_int(const struct frame *f, uint32_t m, unsigned w, uint64_t *v, const struct colref *cr,
		   struct trec_err *err)
{
	const uint64_t mask = wmask(w);
	const uint8_t *p = f->body, *end = p + f->len;
	uint64_t x, zbase;
	uint32_t at = 0;
	int ret;

	switch (f->enc) {
	case ENC_CONST:
		if ((ret = dec_const(f, mask, &x, cr, err)))
			return ret;
		fill_u64(v, m, x);
		return 0;
	case ENC_DELTA:
		p = dec_deltas(p, end, v, 0, m, 0, 0, mask, 1, &at);
		break;
	case ENC_FOR:
		if (!(p = uv_get(p, end, &x)) || !(p = uv_get(p, end, &zbase)))
			return colerr(err, cr, "truncated first value or base");
		if (x > mask)
			return colerr(err, cr, "first value %llu does not fit the column", (unsigned long long)x);
		v[0] = x;
		p = dec_deltas(p, end, v, 1, m, x, unzz(zbase), mask, 0, &at);
		break;
	case ENC_RAW:
		if (f->len != (uint64_t)m * w)
			return colerr(err, cr, "raw length %zu is not %u events of %u bytes", f->len, m, w);
		for (uint32_t i = 0; i < m; i++)
			v[i] = ld_w(p + (size_t)i * w, w);
		return 0;
	case ENC_SPARSE: {
		struct sparse sp;
		uint32_t i;
		if ((ret = sparse_open(&sp, f, m, mask, cr, err)))
			return ret;
		fill_u64(v, m, sp.base);
		while ((ret = sparse_next(&sp, &i, &x, cr, err)) > 0)
			v[i] = x;
		return ret;
	}
	default:
		return colerr(err, cr, "unknown encoding %u", f->enc);
	}
	if (!p)
		return colerr(err, cr, "event %u: bad or truncated varint", at);
	if (p != end)
		return colerr(err, cr, "%zu bytes left after %u values", (size_t)(end - p), m);
	return 0;
}

/* A common u32 column: constants fill directly, the rest go through vals. */
static int dec_u32(struct tcur *c, uint32_t idx, uint32_t n, uint32_t *dst, uint64_t *vals, struct trec_err *err)
{
	const struct colref cr = { CR_COMMON, idx, 0 };
	struct frame f;
	uint64_t x;
	int ret;

	if ((ret = read_frame(c, &f, &cr, err)))
		return ret;
	if (f.enc == ENC_CONST) {
		if ((ret = dec_const(&f, UINT32_MAX, &x, &cr, err)))
			return ret;
		fill_u32(dst, n, (uint32_t)x);
		return 0;
	}
	if ((ret = dec_int(&f, n, 4, vals, &cr, err)))
		return ret;
	for (uint32_t i = 0; i < n; i++)
		dst[i] = (uint32_t)vals[i];
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int hdrerr(struct trec_err *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return trec_errf(err, -EBADMSG, "events payload: %s", what);
}

/*
 * The type table after the event count. With types == NULL it only
 * validates and sums (nothing is allocated yet); the second call fills
 * types from the same, now trusted, bytes.
 */
static int parse_header(struct tcur *c, uint32_t n, struct dtype *types, struct hsum *s, struct trec_err *err)
{
	uint64_t nt = tcur_uvarint(c), seen = 0;

	if (c->err)
		return hdrerr(err, "truncated type count");
	memset(s, 0, sizeof(*s));
	if (n == 0 ? nt != 0 : nt == 0 || nt > n)
		return hdrerr(err, "%llu types for %u events", (unsigned long long)nt, n);
	s->ntypes = (uint32_t)nt;
	for (uint32_t t = 0; t < nt; t++) {
		uint64_t id = tcur_uvarint(c), count = tcur_uvarint(c), fs = tcur_uvarint(c);
		uint64_t tb = tcur_uvarint(c), ncols = tcur_uvarint(c);
		if (c->err)
			return hdrerr(err, "type table entry %u: truncated", t);
		if (id > UINT32_MAX)
			return hdrerr(err, "type table entry %u: type id %llu too large", t, (unsigned long long)id);
		if (count == 0 || count > n - seen)
			return hdrerr(err, "type %llu: %llu events, but %llu of %u are left", (unsigned long long)id,
				      (unsigned long long)count, (unsigned long long)(n - seen), n);
		if (fs > TREC_MAX_EVENT_SIZE)
			return hdrerr(err, "type %llu: fixed size %llu exceeds %u", (unsigned long long)id,
				      (unsigned long long)fs, TREC_MAX_EVENT_SIZE);
		/* Tail bytes are stored verbatim: they cannot outnumber the input. */
		if (tb > tcur_left(c))
			return hdrerr(err, "type %llu: %llu tail bytes exceed payload", (unsigned long long)id,
				      (unsigned long long)tb);
		/* count <= 2^20 and fs <= 2^20: no overflow, and the sums are
		 * checked against the limit at every step. */
		s->fixed += count * fs;
		s->tails += tb;
		if (s->fixed + s->tails > TREC_MAX_DECODED_PAYLOAD)
			return hdrerr(err, "type %llu: decoded payloads exceed %u bytes", (unsigned long long)id,
				      TREC_MAX_DECODED_PAYLOAD);
		if (ncols > fs)
			return hdrerr(err, "type %llu: %llu columns in %llu bytes", (unsigned long long)id,
				      (unsigned long long)ncols, (unsigned long long)fs);
		const uint8_t *cols = c->p;
		uint64_t off = 0;
		for (uint32_t j = 0; j < ncols; j++) {
			uint64_t w = tcur_uvarint(c);
			uint8_t ty = tcur_u8(c);
			if (c->err)
				return hdrerr(err, "type %llu: column %u: truncated", (unsigned long long)id, j);
			if (w == 0 || w > fs - off)
				return hdrerr(err, "type %llu: column %u: width %llu at offset %llu exceeds fixed size %llu",
					      (unsigned long long)id, j, (unsigned long long)w,
					      (unsigned long long)off, (unsigned long long)fs);
			if (ty == TREC_COL_INT ? (w & (w - 1)) || w > 8 : ty != TREC_COL_RAW)
				return hdrerr(err, "type %llu: column %u: bad type %u or width %llu",
					      (unsigned long long)id, j, ty, (unsigned long long)w);
			off += w;
		}
		if (off != fs)
			return hdrerr(err, "type %llu: columns cover %llu of %llu bytes", (unsigned long long)id,
				      (unsigned long long)off, (unsigned long long)fs);
		if (types)
			types[t] = (struct dtype){ .tail_bytes = tb, .cols = cols, .id = (uint32_t)id,
						   .count = (uint32_t)count, .fs = (uint32_t)fs,
						   .ncols = (uint32_t)ncols, .start = (uint32_t)seen };
		seen += count;
	}
	if (seen != n)
		return hdrerr(err, "types hold %llu events, not %u", (unsigned long long)seen, n);
	return 0;
}

void trec_evblock_init(struct trec_evblock *b) { memset(b, 0, sizeof(*b)); }

void trec_evblock_free(struct trec_evblock *b)
{
	free(b->mem);
	trec_evblock_init(b);
}

/* Where the arrays of one decode live in trec_evblock.mem. */
struct dmem {
	struct dtype *types;
	uint64_t *vals;     /* n: one column's values */
	uint32_t *offs_all; /* n: payload offsets, per type in event order */
	uint32_t *tl_all;   /* n: tail lengths, same slots */
};

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

static int evblock_alloc(struct trec_evblock *b, uint32_t n, const struct hsum *s, struct dmem *dm,
			 struct trec_err *err)
{
	size_t sz[] = {
		(size_t)n * 8,                            /* ts */
		(size_t)n * 8,                            /* vals */
		(size_t)s->ntypes * sizeof(struct dtype), /* types */
		(size_t)n * 4, (size_t)n * 4, (size_t)n * 4, (size_t)n * 4, /* cpu pid tid type */
		(size_t)n * 4, (size_t)n * 4, (size_t)n * 4,                /* stack_id size data_off */
		(size_t)n * 4, (size_t)n * 4,             /* offs_all tl_all */
		(size_t)(s->fixed + s->tails),            /* payload */
	};
	enum { NREG = sizeof(sz) / sizeof(sz[0]) };
	size_t at[NREG], total = 0;

	for (int i = 0; i < NREG; i++) {
		at[i] = total;
		total += align8(sz[i]);
	}
	total += 64; /* never zero: no pointer arithmetic on NULL */
	if (total > b->mem_cap) {
		trec_evblock_free(b); /* no array may point into freed memory */
		b->mem = malloc(total + total / 4); /* slack: block sizes vary a little */
		if (!b->mem)
			return trec_errf(err, -ENOMEM, "events payload: out of memory for %u events", n);
		b->mem_cap = total + total / 4;
	}
	uint8_t *m = b->mem;
	b->ts = (uint64_t *)(m + at[0]);
	dm->vals = (uint64_t *)(m + at[1]);
	dm->types = (struct dtype *)(m + at[2]);
	b->cpu = (uint32_t *)(m + at[3]);
	b->pid = (uint32_t *)(m + at[4]);
	b->tid = (uint32_t *)(m + at[5]);
	b->type = (uint32_t *)(m + at[6]);
	b->stack_id = (uint32_t *)(m + at[7]);
	b->size = (uint32_t *)(m + at[8]);
	b->data_off = (uint32_t *)(m + at[9]);
	dm->offs_all = (uint32_t *)(m + at[10]);
	dm->tl_all = (uint32_t *)(m + at[11]);
	b->payload = m + at[12];
	b->payload_len = (size_t)(s->fixed + s->tails);
	return 0;
}

static int dec_common(struct tcur *c, struct trec_evblock *b, uint32_t n, uint64_t *vals, struct trec_err *err)
{
	const struct colref cr = { CR_COMMON, 0, 0 };
	uint32_t *u32s[] = { b->cpu, b->pid, b->tid, b->type, b->stack_id };
	struct frame f;
	int ret;

	if ((ret = read_frame(c, &f, &cr, err)) || (ret = dec_int(&f, n, 8, b->ts, &cr, err)))
		return ret;
	/* The reader merges streams assuming each block is in time order. */
	uint32_t bad = 0;
	for (uint32_t i = 1; i < n; i++)
		bad |= b->ts[i] < b->ts[i - 1];
	if (bad) {
		for (uint32_t i = 1; i < n; i++)
			if (b->ts[i] < b->ts[i - 1])
				return colerr(err, &cr, "event %u: ts %llu is before the previous %llu", i,
					      (unsigned long long)b->ts[i], (unsigned long long)b->ts[i - 1]);
	}
	for (uint32_t k = 0; k < 5; k++)
		if ((ret = dec_u32(c, k + 1, n, u32s[k], vals, err)))
			return ret;
	return 0;
}

/* Tail lengths and bytes of every type that has them. */
static int dec_tails(struct tcur *c, struct dtype *types, uint32_t nt, struct dmem *dm, struct trec_err *err)
{
	for (uint32_t t = 0; t < nt; t++) {
		struct dtype *T = &types[t];
		struct colref cr = { CR_TAIL_LENS, 0, T->id };
		struct frame f;
		int ret;

		if (!T->tail_bytes)
			continue;
		if ((ret = read_frame(c, &f, &cr, err)) || (ret = dec_int(&f, T->count, 4, dm->vals, &cr, err)))
			return ret;
		uint32_t *tl = dm->tl_all + T->start;
		uint64_t sum = 0;
		for (uint32_t k = 0; k < T->count; k++) {
			if (dm->vals[k] > TREC_MAX_EVENT_SIZE - T->fs)
				return colerr(err, &cr, "event %u of the type: tail of %llu bytes makes it exceed %u", k,
					      (unsigned long long)dm->vals[k], TREC_MAX_EVENT_SIZE);
			tl[k] = (uint32_t)dm->vals[k];
			sum += tl[k];
		}
		if (sum != T->tail_bytes)
			return colerr(err, &cr, "tails sum to %llu bytes, header says %llu", (unsigned long long)sum,
				      (unsigned long long)T->tail_bytes);
		cr.kind = CR_TAIL_BYTES;
		if ((ret = read_frame(c, &f, &cr, err)))
			return ret;
		if (f.enc != ENC_RAW || f.len != T->tail_bytes)
			return colerr(err, &cr, "encoding %u with %zu bytes, expected raw with %llu", f.enc, f.len,
				      (unsigned long long)T->tail_bytes);
		T->tail = f.body;
	}
	return 0;
}

/* The payload offsets of type t's events, in its event order. */
static uint32_t *type_offs(struct trec_evblock *b, const struct dmem *dm, uint32_t nt, const struct dtype *T)
{
	return nt == 1 ? b->data_off : dm->offs_all + T->start;
}

/*
 * Lays payloads out grouped by type and fills size, data_off and type of
 * every event. `type` holds type indexes on entry (the common column).
 */
static int place_events(struct trec_evblock *b, uint32_t n, uint32_t nt, struct dmem *dm, struct trec_err *err)
{
	const struct colref cr = { CR_COMMON, 4, 0 };
	uint64_t base = 0;

	for (uint32_t t = 0; t < nt; t++) {
		struct dtype *T = &dm->types[t];
		uint32_t *offs = type_offs(b, dm, nt, T), cur = (uint32_t)base;
		if (!T->tail_bytes) {
			for (uint32_t k = 0; k < T->count; k++, cur += T->fs)
				offs[k] = cur;
		} else {
			const uint32_t *tl = dm->tl_all + T->start;
			for (uint32_t k = 0; k < T->count; k++) {
				offs[k] = cur;
				cur += T->fs + tl[k];
			}
		}
		base += (uint64_t)T->count * T->fs + T->tail_bytes;
	}

	if (nt == 1) {
		const struct dtype *T = &dm->types[0];
		uint32_t bad = 0;
		for (uint32_t i = 0; i < n; i++)
			bad |= b->type[i];
		if (bad) {
			for (uint32_t i = 0; i < n; i++)
				if (b->type[i])
					return colerr(err, &cr, "event %u: type index %u, but the block has 1 type", i, b->type[i]);
		}
		fill_u32(b->type, n, T->id);
		if (!T->tail_bytes) {
			fill_u32(b->size, n, T->fs);
		} else {
			for (uint32_t i = 0; i < n; i++)
				b->size[i] = T->fs + dm->tl_all[i];
		}
		return 0;
	}

	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = b->type[i];
		if (unlikely(t >= nt))
			return colerr(err, &cr, "event %u: type index %u, but the block has %u types", i, t, nt);
		struct dtype *T = &dm->types[t];
		if (unlikely(T->seen >= T->count))
			return colerr(err, &cr, "event %u: more events of type %u than the %u declared", i, T->id,
				      T->count);
		uint32_t s = T->start + T->seen++;
		b->data_off[i] = dm->offs_all[s];
		b->size[i] = T->fs + (T->tail_bytes ? dm->tl_all[s] : 0);
		b->type[i] = T->id;
	}
	return 0;
}

static void scatter(uint8_t *pay, const uint32_t *offs, uint32_t m, uint32_t off, unsigned w, const uint64_t *v)
{
	uint8_t *base = pay + off;

	switch (w) {
	case 1:
		for (uint32_t k = 0; k < m; k++)
			st_w(base + offs[k], v[k], 1);
		break;
	case 2:
		for (uint32_t k = 0; k < m; k++)
			st_w(base + offs[k], v[k], 2);
		break;
	case 4:
		for (uint32_t k = 0; k < m; k++)
			st_w(base + offs[k], v[k], 4);
		break;
	default:
		for (uint32_t k = 0; k < m; k++)
			st_w(base + offs[k], v[k], 8);
		break;
	}
}

/* One column of a type: descriptor from hc, frame from c. */
static int next_col(struct tcur *hc, struct tcur *c, const struct dtype *T, uint32_t j, uint32_t *w,
		    uint8_t *ty, struct frame *f, struct trec_err *err)
{
	const struct colref cr = { CR_PAYLOAD, j, T->id };

	*w = (uint32_t)tcur_uvarint(hc); /* validated by parse_header */
	*ty = tcur_u8(hc);
	return read_frame(c, f, &cr, err);
}

/*
 * The fixed parts of type T's events: constant columns go into the first
 * event, which is then copied to the others as a template; varying
 * columns are decoded over it. Then the tails.
 */
static int dec_type(struct tcur *c, struct trec_evblock *b, const struct dtype *T, const uint32_t *offs,
		    const uint32_t *tl, uint64_t *vals, struct trec_err *err)
{
	uint8_t *pay = b->payload, *tmpl = pay + offs[0];
	const uint32_t m = T->count;
	struct tcur hc, c0 = *c;
	struct frame f;
	uint32_t w, off = 0;
	uint8_t ty;
	uint64_t x;
	int ret;

	tcur_init(&hc, T->cols, (size_t)(c->end - T->cols));
	memset(tmpl, 0, T->fs);
	for (uint32_t j = 0; j < T->ncols; j++, off += w) {
		const struct colref cr = { CR_PAYLOAD, j, T->id };
		if ((ret = next_col(&hc, c, T, j, &w, &ty, &f, err)))
			return ret;
		if (f.enc == ENC_CONST) {
			if (ty == TREC_COL_INT) {
				if ((ret = dec_const(&f, wmask(w), &x, &cr, err)))
					return ret;
				st_w(tmpl + off, x, w);
			} else {
				if (f.len != w)
					return colerr(err, &cr, "constant of %zu bytes in a %u-byte column", f.len, w);
				memcpy(tmpl + off, f.body, w);
			}
		} else if (ty == TREC_COL_RAW && f.enc != ENC_RAW) {
			return colerr(err, &cr, "encoding %u on a raw column", f.enc);
		} else if (f.enc == ENC_SPARSE) {
			struct sparse sp;
			if ((ret = sparse_open(&sp, &f, m, wmask(w), &cr, err)))
				return ret;
			st_w(tmpl + off, sp.base, w); /* the exceptions are patched below */
		}
	}
	if (!T->tail_bytes && T->fs)
		repeat_fill(tmpl, T->fs, (size_t)m * T->fs); /* the type's payloads are back to back */
	else
		for (uint32_t k = 1; k < m; k++)
			memcpy(pay + offs[k], tmpl, T->fs);

	/* Second walk: the varying columns, already bounds-checked above. */
	tcur_init(&hc, T->cols, (size_t)(c->end - T->cols));
	*c = c0;
	off = 0;
	for (uint32_t j = 0; j < T->ncols; j++, off += w) {
		const struct colref cr = { CR_PAYLOAD, j, T->id };
		if ((ret = next_col(&hc, c, T, j, &w, &ty, &f, err)))
			return ret;
		if (f.enc == ENC_CONST)
			continue;
		if (f.enc == ENC_SPARSE) {
			struct sparse sp;
			uint32_t i;
			if ((ret = sparse_open(&sp, &f, m, wmask(w), &cr, err)))
				return ret;
			while ((ret = sparse_next(&sp, &i, &x, &cr, err)) > 0)
				st_w(pay + offs[i] + off, x, w);
			if (ret)
				return ret;
			continue;
		}
		if (f.enc == ENC_RAW) {
			if (f.len != (uint64_t)m * w)
				return colerr(err, &cr, "raw length %zu is not %u events of %u bytes", f.len, m, w);
			for (uint32_t k = 0; k < m; k++)
				memcpy(pay + offs[k] + off, f.body + (size_t)k * w, w);
			continue;
		}
		if ((ret = dec_int(&f, m, w, vals, &cr, err)))
			return ret;
		scatter(pay, offs, m, off, w, vals);
	}

	if (T->tail_bytes) {
		const uint8_t *src = T->tail;
		for (uint32_t k = 0; k < m; k++) {
			memcpy(pay + offs[k] + T->fs, src, tl[k]);
			src += tl[k];
		}
	}
	return 0;
}

/* Steps over type T's payload columns without decoding them. */
static int skip_type(struct tcur *c, const struct dtype *T, struct trec_err *err)
{
	struct tcur hc;
	struct frame f;
	uint32_t w;
	uint8_t ty;
	int ret;

	tcur_init(&hc, T->cols, (size_t)(c->end - T->cols));
	for (uint32_t j = 0; j < T->ncols; j++)
		if ((ret = next_col(&hc, c, T, j, &w, &ty, &f, err)))
			return ret;
	return 0;
}

int trec_events_decode(const void *p, size_t len, uint32_t count, struct trec_evblock *out,
		       struct trec_err *err)
{
	return trec_events_decode_skip(p, len, count, out, NULL, 0, err);
}

int trec_events_decode_skip(const void *p, size_t len, uint32_t count, struct trec_evblock *out,
			    const uint8_t *skip, uint32_t nskip, struct trec_err *err)
{
	struct tcur c;
	struct hsum s;
	struct dmem dm = { 0 };
	int ret;

	out->n = 0;
	if (count > TREC_MAX_BLOCK_EVENTS)
		return trec_errf(err, -EBADMSG, "events payload: %u events exceed the limit of %u", count,
				 TREC_MAX_BLOCK_EVENTS);
	tcur_init(&c, p, len);
	uint64_t n = tcur_uvarint(&c);
	if (c.err)
		return hdrerr(err, "truncated event count");
	if (n != count)
		return hdrerr(err, "holds %llu events, block header says %u", (unsigned long long)n, count);
	if ((ret = parse_header(&c, count, NULL, &s, err)))
		return ret;
	if ((ret = evblock_alloc(out, count, &s, &dm, err)))
		return ret;
	tcur_init(&c, p, len);
	(void)tcur_uvarint(&c);
	if ((ret = parse_header(&c, count, dm.types, &s, err)))
		return ret;

	if (count) {
		const uint32_t nt = s.ntypes;
		if ((ret = dec_common(&c, out, count, dm.vals, err)) ||
		    (ret = dec_tails(&c, dm.types, nt, &dm, err)) ||
		    (ret = place_events(out, count, nt, &dm, err)))
			return ret;
		/* Payloads nobody reads are zero, not garbage: cleared before the
		 * others are decoded into the same buffer. */
		for (uint32_t t = 0; skip && t < nt; t++)
			if (dm.types[t].id < nskip && skip[dm.types[t].id]) {
				memset(out->payload, 0, out->payload_len);
				break;
			}
		for (uint32_t t = 0; t < nt; t++) {
			const struct dtype *T = &dm.types[t];
			if (skip && T->id < nskip && skip[T->id]) {
				if ((ret = skip_type(&c, T, err)))
					return ret;
				continue;
			}
			if ((ret = dec_type(&c, out, T, type_offs(out, &dm, nt, T), dm.tl_all + T->start, dm.vals,
					    err)))
				return ret;
		}
	}
	if (tcur_left(&c))
		return hdrerr(err, "%zu bytes after the last column", tcur_left(&c));
	out->n = count;
	return 0;
}
