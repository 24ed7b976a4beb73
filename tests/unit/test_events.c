/* SPDX-License-Identifier: MIT */
/*
 * The columnar event codec: round trips (every field, stable ts order),
 * the choice of encodings, encoder errors, and a decoder fed truncated,
 * flipped and hostile payloads (run under ASan/UBSan with SAN=1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "events.h"
#include "trec_format.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_s = 1;

static uint64_t rnd(void)
{
	uint64_t z = (rng_s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Layouts the tests build by hand (trec_layout_build lives in schema.c). */
#define MAX_TYPES 8
struct lt_fixture {
	struct trec_layout lay[MAX_TYPES];
	struct trec_col cols[MAX_TYPES][32];
	const struct trec_layout *by_id[1000];
	struct trec_layout_table lt;
};

static void lt_init(struct lt_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->lt.n = 1000;
	f->lt.by_id = f->by_id;
}

/* Adds type `id` with columns given as (width, type) pairs; returns fixed size. */
static uint32_t lt_add(struct lt_fixture *f, unsigned slot, uint32_t id, unsigned ncols, const uint32_t *wt)
{
	struct trec_layout *l = &f->lay[slot];
	uint32_t off = 0;

	for (unsigned j = 0; j < ncols; j++) {
		f->cols[slot][j] = (struct trec_col){ off, wt[2 * j], wt[2 * j + 1] };
		off += wt[2 * j];
	}
	*l = (struct trec_layout){ id, off, ncols, f->cols[slot] };
	f->by_id[id] = l;
	return off;
}

/* A copy of an event and its payload. */
struct rec {
	struct trec_event ev;
	uint8_t *data;
	uint32_t seq; /* order of addition, for checking stability */
};

static void rec_set(struct rec *r, const struct trec_event *ev, uint32_t seq)
{
	r->ev = *ev;
	r->data = malloc(ev->size ? ev->size : 1);
	assert_non_null(r->data);
	memcpy(r->data, ev->data, ev->size);
	r->ev.data = r->data;
	r->seq = seq;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	if (x->ev.ts != y->ev.ts)
		return x->ev.ts < y->ev.ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void recs_free(struct rec *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(r[i].data);
	free(r);
}

/* Checks that blk holds exactly recs (sorted stably by ts). */
static void check_block(const struct trec_evblock *blk, struct rec *recs, uint32_t n)
{
	qsort(recs, n, sizeof(*recs), rec_cmp);
	assert_int_equal(blk->n, n);
	for (uint32_t i = 0; i < n; i++) {
		struct trec_event e;
		trec_evblock_get(blk, i, &e);
		const struct trec_event *x = &recs[i].ev;
		assert_true(e.ts == x->ts);
		assert_int_equal(e.cpu, x->cpu);
		assert_int_equal(e.pid, x->pid);
		assert_int_equal(e.tid, x->tid);
		assert_int_equal(e.type, x->type);
		assert_int_equal(e.stack_id, x->stack_id);
		assert_int_equal(e.size, x->size);
		assert_true((size_t)blk->data_off[i] + e.size <= blk->payload_len);
		assert_memory_equal(e.data, x->data, x->size ? x->size : 0);
	}
}

/* Encodes recs (added in their current order) and returns the payload. */
static void encode_recs(struct rec *recs, uint32_t n, const struct trec_layout_table *lt, struct tbuf *out)
{
	struct trec_evbuf *b = trec_evbuf_new();
	struct trec_err err = { 0 };

	assert_non_null(b);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(trec_evbuf_add(b, &recs[i].ev), 0);
	assert_int_equal(trec_evbuf_count(b), n);
	int ret = trec_events_encode(b, lt, out, &err);
	if (ret)
		fail_msg("encode: %s", trec_errmsg(&err, ret));
	trec_evbuf_free(b);
}

static void roundtrip(struct rec *recs, uint32_t n, const struct trec_layout_table *lt)
{
	struct tbuf out;
	struct trec_evblock blk;
	struct trec_err err = { 0 };

	tbuf_init(&out);
	trec_evblock_init(&blk);
	encode_recs(recs, n, lt, &out);
	/* an exact-size copy, so ASan sees any read past the end */
	uint8_t *p = malloc(out.len);
	memcpy(p, out.data, out.len);
	int ret = trec_events_decode(p, out.len, n, &blk, &err);
	if (ret)
		fail_msg("decode: %s", trec_errmsg(&err, ret));
	check_block(&blk, recs, n);
	free(p);
	trec_evblock_free(&blk);
	tbuf_free(&out);
}

/* ---- a small walker over the payload, to see which encodings were chosen */

static uint64_t uv(const uint8_t **p)
{
	uint64_t v = 0;
	for (unsigned s = 0;; s += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (b < 0x80)
			return v;
	}
}

/* Fills enc[] with the encoding byte of every frame in order: the 6
 * common columns, tail frames, then payload columns. Returns the count. */
static unsigned frame_encs(const uint8_t *p, size_t len, unsigned *enc, unsigned max)
{
	const uint8_t *end = p + len;
	unsigned nf = 0, frames = 6;
	uint64_t n = uv(&p), nt = uv(&p);

	(void)n;
	for (uint64_t t = 0; t < nt; t++) {
		uv(&p), uv(&p), uv(&p);
		uint64_t tb = uv(&p), nc = uv(&p);
		for (uint64_t j = 0; j < nc; j++)
			uv(&p), p++;
		frames += (unsigned)nc + (tb ? 2 : 0);
	}
	for (unsigned k = 0; k < frames && p < end; k++) {
		if (nf < max)
			enc[nf++] = *p;
		p++;
		uint64_t l = uv(&p);
		p += l;
	}
	assert_true(p == end);
	return nf;
}

enum { E_CONST = 1, E_DELTA = 2, E_RAW = 3, E_FOR = 4, E_SPARSE = 5 };

/* ---- round trips ---------------------------------------------------------- */

/* Column modes for the random test: each exercises another encoding. */
enum cmode { M_CONST, M_SPARSE, M_SMALL, M_RANDOM, M_COUNTER, M_RUNS, M_NMODES };

static uint64_t gen_val(enum cmode m, uint64_t prev, uint64_t base, uint32_t i)
{
	switch (m) {
	case M_CONST:
		return base;
	case M_SPARSE:
		return rnd() % 20 == 0 ? rnd() : base;
	case M_SMALL:
		return prev + rnd() % 7 - 3;
	case M_RANDOM:
		return rnd();
	case M_COUNTER:
		return base + i;
	default:
		return rnd() % 50 == 0 ? rnd() % 5 : prev;
	}
}

static void store(uint8_t *p, uint64_t v, unsigned w)
{
	for (unsigned k = 0; k < w; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

static void test_roundtrip_random(void **state)
{
	(void)state;
	static const uint32_t t0[] = { 2, TREC_COL_INT, 1, TREC_COL_INT, 1, TREC_COL_INT, 4, TREC_COL_INT,
				       8, TREC_COL_INT, 8, TREC_COL_INT, 8, TREC_COL_INT, 8, TREC_COL_INT };
	static const uint32_t t1[] = { 4, TREC_COL_INT, 16, TREC_COL_RAW, 2, TREC_COL_INT, 2, TREC_COL_RAW,
				       4, TREC_COL_INT, 4, TREC_COL_INT };
	static const uint32_t t2[] = { 1, TREC_COL_INT, 3, TREC_COL_RAW, 8, TREC_COL_INT };
	struct lt_fixture f;

	for (int trial = 0; trial < 60; trial++) {
		rng_s = 1000 + (uint64_t)trial;
		lt_init(&f);
		uint32_t fs[4];
		uint32_t ids[4] = { 7, 300, 12, 999 };
		fs[0] = lt_add(&f, 0, ids[0], 8, t0);
		fs[1] = lt_add(&f, 1, ids[1], 6, t1);
		fs[2] = lt_add(&f, 2, ids[2], 3, t2);
		fs[3] = lt_add(&f, 3, ids[3], 0, NULL); /* no fixed part: tail only */
		const uint32_t *wt[4] = { t0, t1, t2, NULL };
		unsigned ncols[4] = { 8, 6, 3, 0 };

		unsigned ntypes = 1 + trial % 4;
		uint32_t n = trial % 10 == 0 ? 1 + (uint32_t)(rnd() % 3) : 1 + (uint32_t)(rnd() % 3000);
		int tails = trial % 3 != 0;
		int unsorted = trial % 2;

		enum cmode mode[4][8];
		uint64_t base[4][8], prev[4][8];
		for (unsigned t = 0; t < 4; t++)
			for (unsigned j = 0; j < 8; j++) {
				mode[t][j] = (enum cmode)(rnd() % M_NMODES);
				base[t][j] = rnd();
				prev[t][j] = base[t][j];
			}
		enum cmode cm[5];
		for (int k = 0; k < 5; k++)
			cm[k] = (enum cmode)(rnd() % M_NMODES);
		uint64_t cbase[5] = { rnd(), rnd(), rnd(), rnd(), rnd() }, cprev[5];
		memcpy(cprev, cbase, sizeof(cprev));

		struct rec *recs = calloc(n, sizeof(*recs));
		uint64_t ts = rnd() >> 2;
		uint8_t buf[4096];
		for (uint32_t i = 0; i < n; i++) {
			unsigned t = (unsigned)(rnd() % ntypes);
			if (trial % 5 == 0)
				t = 3 % ntypes; /* sometimes one type only */
			uint32_t tl = tails && rnd() % 3 ? (uint32_t)(rnd() % 40) : 0;
			if (t == 3 && !tails)
				tl = 0;
			uint32_t off = 0;
			for (unsigned j = 0; j < ncols[t]; j++) {
				unsigned w = wt[t][2 * j];
				uint64_t v = gen_val(mode[t][j], prev[t][j], base[t][j], i);
				prev[t][j] = v;
				if (wt[t][2 * j + 1] == TREC_COL_RAW) {
					for (unsigned k = 0; k < w; k++)
						buf[off + k] = mode[t][j] == M_RANDOM ? (uint8_t)rnd() : (uint8_t)(base[t][j] + k);
				} else {
					store(buf + off, v, w);
				}
				off += w;
			}
			assert_int_equal(off, fs[t]);
			for (uint32_t k = 0; k < tl; k++)
				buf[off + k] = (uint8_t)rnd();
			uint64_t cv[5];
			for (int k = 0; k < 5; k++)
				cprev[k] = cv[k] = gen_val(cm[k], cprev[k], cbase[k], i) & 0xffffffffu;
			ts += unsorted ? rnd() % 1000 : 0;
			uint64_t ets = unsorted ? ts - rnd() % 5000 : ts + rnd() % 3; /* jitter and equal ts */
			if (!unsorted)
				ts = ets;
			struct trec_event ev = { .ts = ets, .cpu = (uint32_t)cv[0], .pid = (uint32_t)cv[1],
						 .tid = (uint32_t)cv[2], .type = ids[t], .stack_id = (uint32_t)cv[4],
						 .size = fs[t] + tl, .data = buf };
			rec_set(&recs[i], &ev, i);
		}
		roundtrip(recs, n, &f.lt);
		recs_free(recs, n);
	}
}

static void add_simple(struct rec *r, uint32_t seq, uint64_t ts, uint32_t type, const void *data, uint32_t size)
{
	struct trec_event ev = { .ts = ts, .cpu = 1, .pid = 2, .tid = 3, .type = type, .stack_id = 0,
				 .size = size, .data = data };
	rec_set(r, &ev, seq);
}

static const uint32_t u64col[] = { 8, TREC_COL_INT };

static void test_unsorted_stable(void **state)
{
	(void)state;
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 5, 1, u64col);
	const uint32_t n = 500;
	struct rec *recs = calloc(n, sizeof(*recs));
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = i; /* payload = order of addition */
		add_simple(&recs[i], i, 1000 - (i % 7) * 100 + (i % 3), 5, &v, 8);
	}
	roundtrip(recs, n, &f.lt);

	/* check stability explicitly: equal ts keep the order they came in */
	struct tbuf out;
	struct trec_evblock blk;
	tbuf_init(&out);
	trec_evblock_init(&blk);
	encode_recs(recs, n, &f.lt, &out); /* recs were sorted by roundtrip: re-add reversed order */
	tbuf_reset(&out);
	struct trec_evbuf *b = trec_evbuf_new();
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(trec_evbuf_add(b, &recs[n - 1 - i].ev), 0);
	assert_int_equal(trec_evbuf_first_ts(b), recs[0].ev.ts);
	assert_int_equal(trec_evbuf_last_ts(b), recs[n - 1].ev.ts);
	assert_int_equal(trec_events_encode(b, &f.lt, &out, NULL), 0);
	assert_int_equal(trec_events_decode(out.data, out.len, n, &blk, NULL), 0);
	for (uint32_t i = 1; i < n; i++) {
		struct trec_event a, c;
		trec_evblock_get(&blk, i - 1, &a);
		trec_evblock_get(&blk, i, &c);
		assert_true(a.ts <= c.ts);
		if (a.ts == c.ts) {
			uint64_t x, y;
			memcpy(&x, a.data, 8);
			memcpy(&y, c.data, 8);
			assert_true(x > y); /* added in reverse: larger payload came first */
		}
	}
	trec_evbuf_free(b);
	trec_evblock_free(&blk);
	tbuf_free(&out);
	recs_free(recs, n);
}

static void test_one_and_zero_events(void **state)
{
	(void)state;
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 5, 1, u64col);
	struct rec *recs = calloc(1, sizeof(*recs));
	uint64_t v = 0x1122334455667788ull;
	add_simple(&recs[0], 0, UINT64_MAX, 5, &v, 8);
	roundtrip(recs, 1, &f.lt);
	recs_free(recs, 1);

	struct trec_evbuf *b = trec_evbuf_new();
	struct tbuf out;
	struct trec_evblock blk;
	tbuf_init(&out);
	trec_evblock_init(&blk);
	assert_int_equal(trec_evbuf_first_ts(b), 0);
	assert_int_equal(trec_evbuf_last_ts(b), 0);
	assert_int_equal(trec_evbuf_bytes(b), 0);
	assert_int_equal(trec_events_encode(b, NULL, &out, NULL), 0);
	assert_int_equal(out.len, 2);
	assert_int_equal(trec_events_decode(out.data, out.len, 0, &blk, NULL), 0);
	assert_int_equal(blk.n, 0);
	/* 0 events but the block header says 1 */
	assert_int_equal(trec_events_decode(out.data, out.len, 1, &blk, NULL), -EBADMSG);
	trec_evbuf_free(b);
	trec_evblock_free(&blk);
	tbuf_free(&out);
}

/* Extreme values in every width, wrapping both ways. */
static void test_max_width_and_wrap(void **state)
{
	(void)state;
	static const uint32_t wt[] = { 1, TREC_COL_INT, 2, TREC_COL_INT, 4, TREC_COL_INT, 8, TREC_COL_INT };
	static const uint64_t vals[] = { 0, UINT64_MAX, 0, 1, UINT64_MAX, 0x8000000000000000ull,
					 0x7fffffffffffffffull, 0, 0x80, 0x7f, UINT64_MAX - 1, 2 };
	const uint32_t n = sizeof(vals) / sizeof(vals[0]);
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 9, 4, wt);
	struct rec *recs = calloc(n, sizeof(*recs));
	for (uint32_t i = 0; i < n; i++) {
		uint8_t p[15];
		store(p, vals[i], 1);
		store(p + 1, vals[i], 2);
		store(p + 3, vals[i], 4);
		store(p + 7, vals[i], 8);
		struct trec_event ev = { .ts = vals[i] == UINT64_MAX ? UINT64_MAX : i, .cpu = (uint32_t)vals[i],
					 .pid = UINT32_MAX - i, .tid = (uint32_t)vals[i], .type = 9,
					 .stack_id = (uint32_t)vals[i], .size = 15, .data = p };
		rec_set(&recs[i], &ev, i);
	}
	roundtrip(recs, n, &f.lt);
	recs_free(recs, n);

	/* a u32 that counts down through 0: -1 deltas are one byte each */
	const uint32_t m = 1000;
	static const uint32_t w4[] = { 4, TREC_COL_INT };
	lt_init(&f);
	lt_add(&f, 0, 9, 1, w4);
	recs = calloc(m, sizeof(*recs));
	for (uint32_t i = 0; i < m; i++) {
		uint32_t v = 500 - i; /* wraps to 0xffffffff and below */
		add_simple(&recs[i], i, i * 10, 9, &v, 4);
	}
	struct tbuf out;
	tbuf_init(&out);
	encode_recs(recs, m, &f.lt, &out);
	unsigned enc[16];
	unsigned nf = frame_encs(out.data, out.len, enc, 16);
	assert_int_equal(nf, 7);
	assert_int_equal(enc[6], E_DELTA);
	assert_true(out.len < 2 * m + 100);
	tbuf_free(&out);
	roundtrip(recs, m, &f.lt);
	recs_free(recs, m);
}

/* The encodings the encoder picks for typical columns. */
static void test_encoding_choice(void **state)
{
	(void)state;
	/* flags u8 (rare changes), id u64 (constant), counter u32, random u64, raw[4] const */
	static const uint32_t wt[] = { 1, TREC_COL_INT, 8, TREC_COL_INT, 4, TREC_COL_INT, 8, TREC_COL_INT,
				       4, TREC_COL_RAW };
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 3, 5, wt);
	const uint32_t n = 4000;
	struct rec *recs = calloc(n, sizeof(*recs));
	uint64_t ts = 1700000000000000000ull;
	rng_s = 5;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t p[25];
		store(p, i % 500 == 7, 1);
		store(p + 1, 42, 8);
		store(p + 9, 1000 + i, 4);
		store(p + 13, rnd(), 8);
		memcpy(p + 21, "abcd", 4);
		ts += 290 + rnd() % 40;
		add_simple(&recs[i], i, ts, 3, p, 25);
	}
	struct tbuf out;
	tbuf_init(&out);
	encode_recs(recs, n, &f.lt, &out);
	unsigned enc[16];
	unsigned nf = frame_encs(out.data, out.len, enc, 16);
	assert_int_equal(nf, 11);
	assert_int_equal(enc[0], E_FOR);    /* ts */
	for (int k = 1; k < 6; k++)
		assert_int_equal(enc[k], E_CONST); /* cpu pid tid type stack */
	assert_int_equal(enc[6], E_SPARSE); /* flags */
	assert_int_equal(enc[7], E_CONST);  /* id */
	assert_int_equal(enc[8], E_DELTA);  /* counter */
	assert_int_equal(enc[9], E_RAW);    /* random */
	assert_int_equal(enc[10], E_CONST); /* raw const */
	tbuf_free(&out);
	roundtrip(recs, n, &f.lt);
	recs_free(recs, n);
}

/* Sparse exceptions at the first and last event, and runs of them. */
static void test_sparse_edges(void **state)
{
	(void)state;
	static const uint32_t w2[] = { 2, TREC_COL_INT };
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 4, 1, w2);
	const uint32_t n = 400;
	struct rec *recs = calloc(n, sizeof(*recs));
	for (uint32_t i = 0; i < n; i++) {
		uint16_t v = i == 0 || i == n - 1 || i % 37 == 0 ? (uint16_t)(0xffff - i) : 77;
		add_simple(&recs[i], i, i, 4, &v, 2);
	}
	struct tbuf out;
	tbuf_init(&out);
	encode_recs(recs, n, &f.lt, &out);
	unsigned enc[8];
	frame_encs(out.data, out.len, enc, 8);
	assert_int_equal(enc[6], E_SPARSE);
	tbuf_free(&out);
	roundtrip(recs, n, &f.lt);
	recs_free(recs, n);

	/* The encoder samples every (m/256)th value: make exactly those equal
	 * and every other one different, so SPARSE is chosen with 15/16 of the
	 * events as exceptions and its output has to grow. */
	const uint32_t m = 4096;
	lt_add(&f, 1, 8, 1, u64col);
	recs = calloc(m, sizeof(*recs));
	rng_s = 8;
	for (uint32_t i = 0; i < m; i++) {
		uint64_t v = i % 16 ? rnd() : 5;
		add_simple(&recs[i], i, 0, 8, &v, 8); /* one ts: no big dense column before */
	}
	tbuf_init(&out);
	encode_recs(recs, m, &f.lt, &out);
	frame_encs(out.data, out.len, enc, 8);
	assert_int_equal(enc[6], E_SPARSE);
	tbuf_free(&out);
	roundtrip(recs, m, &f.lt);
	recs_free(recs, m);
}

/* Events of a type whose payloads all end exactly at fixed_size, mixed
 * with a type whose tails are sometimes empty. */
static void test_tails(void **state)
{
	(void)state;
	static const uint32_t wt[] = { 4, TREC_COL_INT, 4, TREC_COL_INT };
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 1, 2, wt);
	lt_add(&f, 1, 2, 2, wt);
	const uint32_t n = 300;
	struct rec *recs = calloc(n, sizeof(*recs));
	rng_s = 77;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t p[8 + 300];
		uint32_t type = 1 + (uint32_t)(rnd() % 2), tl = type == 2 ? (uint32_t)(rnd() % 300) : 0;
		if (i % 10 == 0)
			tl = 0;
		uint32_t off = tl; /* a __data_loc-like field pointing at the tail */
		memcpy(p, &off, 4);
		memcpy(p + 4, &i, 4);
		for (uint32_t k = 0; k < tl; k++)
			p[8 + k] = (uint8_t)('a' + (i + k) % 26);
		add_simple(&recs[i], i, 100 + i, type, p, 8 + tl);
	}
	roundtrip(recs, n, &f.lt);
	recs_free(recs, n);
}

/* ---- encoder errors ------------------------------------------------------- */

static void test_encode_errors(void **state)
{
	(void)state;
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 5, 1, u64col);
	struct trec_evbuf *b = trec_evbuf_new();
	struct tbuf out;
	struct trec_err err = { 0 };
	uint8_t p[16] = { 0 };
	tbuf_init(&out);

	/* no layout for the type */
	struct trec_event ev = { .ts = 12345, .type = 6, .size = 8, .data = p };
	assert_int_equal(trec_evbuf_add(b, &ev), 0);
	assert_int_equal(trec_events_encode(b, &f.lt, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "type 6"));
	assert_non_null(strstr(err.msg, "12345"));
	assert_int_equal(out.len, 0);

	/* payload shorter than fixed_size */
	trec_evbuf_reset(b);
	ev = (struct trec_event){ .ts = 777, .type = 5, .size = 4, .data = p };
	assert_int_equal(trec_evbuf_add(b, &ev), 0);
	assert_int_equal(trec_events_encode(b, &f.lt, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "type 5"));
	assert_non_null(strstr(err.msg, "777"));

	/* type id beyond the table, and a NULL table */
	trec_evbuf_reset(b);
	ev = (struct trec_event){ .ts = 1, .type = 100000, .size = 8, .data = p };
	assert_int_equal(trec_evbuf_add(b, &ev), 0);
	assert_int_equal(trec_events_encode(b, &f.lt, &out, &err), -EINVAL);
	assert_int_equal(trec_events_encode(b, NULL, &out, &err), -EINVAL);

	/* a layout with a hole */
	trec_evbuf_reset(b);
	struct trec_col bad[] = { { 0, 4, TREC_COL_INT }, { 6, 2, TREC_COL_INT } };
	struct trec_layout lb = { 5, 8, 2, bad };
	f.by_id[5] = &lb;
	ev = (struct trec_event){ .ts = 1, .type = 5, .size = 8, .data = p };
	assert_int_equal(trec_evbuf_add(b, &ev), 0);
	assert_int_equal(trec_events_encode(b, &f.lt, &out, &err), -EINVAL);
	/* an INT column of width 3 */
	struct trec_col bad3[] = { { 0, 3, TREC_COL_INT }, { 3, 5, TREC_COL_RAW } };
	lb.cols = bad3;
	assert_int_equal(trec_events_encode(b, &f.lt, &out, &err), -EINVAL);

	/* limits of add */
	ev = (struct trec_event){ .ts = 1, .type = 5, .size = TREC_MAX_EVENT_SIZE + 1, .data = p };
	assert_int_equal(trec_evbuf_add(b, &ev), -E2BIG);
	ev = (struct trec_event){ .ts = 1, .type = 5, .size = 8, .data = NULL };
	assert_int_equal(trec_evbuf_add(b, &ev), -EINVAL);

	trec_evbuf_free(b);
	tbuf_free(&out);
}

static void test_evbuf_reuse(void **state)
{
	(void)state;
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 5, 1, u64col);
	lt_add(&f, 1, 6, 1, u64col);
	struct trec_evbuf *b = trec_evbuf_new();
	struct trec_evblock blk;
	struct tbuf out;
	trec_evblock_init(&blk);
	tbuf_init(&out);
	for (int round = 0; round < 5; round++) {
		uint32_t n = round % 2 ? 50000 : 10;
		trec_evbuf_reset(b);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t v = i * (uint64_t)round;
			struct trec_event ev = { .ts = 1000 + (n - i) % 100, .cpu = round, .type = 5 + i % 2,
						 .size = 8, .data = &v };
			assert_int_equal(trec_evbuf_add(b, &ev), 0);
		}
		assert_int_equal(trec_evbuf_count(b), n);
		assert_true(trec_evbuf_bytes(b) >= (size_t)n * 8);
		tbuf_reset(&out);
		assert_int_equal(trec_events_encode(b, &f.lt, &out, NULL), 0);
		assert_int_equal(trec_events_decode(out.data, out.len, n, &blk, NULL), 0);
		assert_int_equal(blk.n, n);
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(blk.cpu[i], round);
			assert_true(blk.type[i] == 5 || blk.type[i] == 6);
		}
	}
	trec_evbuf_free(b);
	trec_evblock_free(&blk);
	tbuf_free(&out);
}

/* Hundreds of types in one block (the type hash grows and collides), all
 * at one timestamp; then the event-count limit. */
static void test_many_types_and_limit(void **state)
{
	(void)state;
	static struct trec_col col1[] = { { 0, 1, TREC_COL_INT } };
	static struct trec_layout lays[1000];
	static const struct trec_layout *by_id[1000];
	struct trec_layout_table lt = { 1000, by_id };
	for (uint32_t id = 0; id < 1000; id++) {
		lays[id] = (struct trec_layout){ id, 1, 1, col1 };
		by_id[id] = &lays[id];
	}
	const uint32_t n = 5000;
	struct rec *recs = calloc(n, sizeof(*recs));
	rng_s = 3;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t v = (uint8_t)i;
		add_simple(&recs[i], i, 42, (uint32_t)(rnd() % 700) * 64 % 1000, &v, 1);
	}
	struct tbuf out;
	tbuf_init(&out);
	encode_recs(recs, n, &lt, &out);
	unsigned enc[8];
	frame_encs(out.data, out.len, enc, 8);
	assert_int_equal(enc[0], E_CONST); /* one timestamp */
	tbuf_free(&out);
	roundtrip(recs, n, &lt);
	recs_free(recs, n);

	/* exactly TREC_MAX_BLOCK_EVENTS fit; one more is -E2BIG */
	static struct trec_layout empty = { 1, 0, 0, NULL };
	by_id[1] = &empty;
	struct trec_evbuf *b = trec_evbuf_new();
	struct trec_event ev = { .ts = 1, .type = 1, .size = 0, .data = NULL };
	for (uint32_t i = 0; i < TREC_MAX_BLOCK_EVENTS; i++) {
		ev.ts = i / 3;
		assert_int_equal(trec_evbuf_add(b, &ev), 0);
	}
	assert_int_equal(trec_evbuf_add(b, &ev), -E2BIG);
	struct trec_evblock blk;
	trec_evblock_init(&blk);
	tbuf_init(&out);
	assert_int_equal(trec_events_encode(b, &lt, &out, NULL), 0);
	assert_int_equal(trec_events_decode(out.data, out.len, TREC_MAX_BLOCK_EVENTS, &blk, NULL), 0);
	assert_int_equal(blk.n, TREC_MAX_BLOCK_EVENTS);
	assert_true(blk.ts[TREC_MAX_BLOCK_EVENTS - 1] == (TREC_MAX_BLOCK_EVENTS - 1) / 3);
	assert_int_equal(blk.size[77], 0);
	trec_evblock_free(&blk);
	tbuf_free(&out);
	trec_evbuf_free(b);
}

/* ---- hostile input -------------------------------------------------------- */

/* A valid payload of n events of mixed types, tails and encodings. */
static void sample_payload_n(struct tbuf *out, uint32_t *count, uint32_t n);

/* The same 60 events, for corrupting. */
static void sample_payload(struct tbuf *out, uint32_t *count)
{
	sample_payload_n(out, count, 60);
}

static void sample_payload_n(struct tbuf *out, uint32_t *count, uint32_t n)
{
	static const uint32_t t0[] = { 2, TREC_COL_INT, 1, TREC_COL_INT, 4, TREC_COL_INT, 8, TREC_COL_INT,
				       6, TREC_COL_RAW };
	static const uint32_t t1[] = { 4, TREC_COL_INT };
	struct lt_fixture f;
	lt_init(&f);
	lt_add(&f, 0, 21, 5, t0);
	lt_add(&f, 1, 22, 1, t1);
	struct rec *recs = calloc(n, sizeof(*recs));
	rng_s = 99;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t p[21 + 16];
		uint32_t type = i % 5 ? 21 : 22, size = type == 21 ? 21 : 4 + (uint32_t)(rnd() % 16);
		for (uint32_t k = 0; k < size; k++)
			p[k] = (uint8_t)(k < 4 ? k : i % 4 ? 9 : rnd());
		store(p + 7, 100 + i * 3, 8);
		add_simple(&recs[i], i, 5000 + i * 300 + rnd() % 30, type, p, size);
	}
	encode_recs(recs, n, &f.lt, out);
	*count = n;
	recs_free(recs, n);
}

static void check_sane(const struct trec_evblock *blk, uint32_t count)
{
	assert_int_equal(blk->n, count);
	for (uint32_t i = 0; i < blk->n; i++) {
		assert_true((uint64_t)blk->data_off[i] + blk->size[i] <= blk->payload_len);
		assert_true(blk->size[i] <= TREC_MAX_EVENT_SIZE);
		if (i)
			assert_true(blk->ts[i - 1] <= blk->ts[i]);
	}
}

/* Whether every event of the given type reads as zeros (any = 0), or
 * not every event of it does (any = 1). */
static int payloads_zero(const struct trec_evblock *b, uint32_t type)
{
	for (uint32_t i = 0; i < b->n; i++)
		for (uint32_t k = 0; b->type[i] == type && k < b->size[i]; k++)
			if (b->payload[b->data_off[i] + k])
				return 0;
	return 1;
}

/* Skipped payloads read as zeros whatever the block decoded before into
 * the same storage (the decoder clears only what it does not know is
 * zero): blocks of other sizes, full decodes, partial skips in turn. */
static void test_skip_reads_zeros(void **state)
{
	(void)state;
	struct tbuf big, small;
	uint32_t nbig, nsmall;
	tbuf_init(&big);
	tbuf_init(&small);
	sample_payload_n(&big, &nbig, 60);
	sample_payload_n(&small, &nsmall, 57); /* header arrays shift the payload a little */
	uint8_t all[23] = { 0 }, only22[23] = { 0 };
	all[21] = all[22] = only22[22] = 1;
	struct trec_evblock blk, ref;
	trec_evblock_init(&blk);
	trec_evblock_init(&ref);
	assert_int_equal(trec_events_decode(big.data, big.len, nbig, &ref, NULL), 0);
	assert_false(payloads_zero(&ref, 21));
	assert_false(payloads_zero(&ref, 22));
	const struct {
		int big;
		const uint8_t *skip;
	} steps[] = { { 1, NULL }, { 1, all }, { 1, all }, { 0, all }, { 1, all }, { 0, NULL }, { 0, all },
		      { 1, all }, { 1, only22 }, { 1, all }, { 1, NULL }, { 1, all },
		      { 1, NULL }, { 0, all }, { 1, all } };
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		const struct tbuf *in = steps[s].big ? &big : &small;
		uint32_t n = steps[s].big ? nbig : nsmall;
		assert_int_equal(trec_events_decode_skip(in->data, in->len, n, &blk, steps[s].skip, 23, NULL), 0);
		check_sane(&blk, n);
		if (!steps[s].skip) {
			assert_false(payloads_zero(&blk, 21));
			continue;
		}
		assert_true(payloads_zero(&blk, 22));
		assert_int_equal(payloads_zero(&blk, 21), steps[s].skip == all);
		if (steps[s].big && steps[s].skip == only22)
			for (uint32_t i = 0; i < blk.n; i++)
				if (blk.type[i] == 21)
					assert_memory_equal(blk.payload + blk.data_off[i],
							    ref.payload + ref.data_off[i], blk.size[i]);
	}
	trec_evblock_free(&blk);
	trec_evblock_free(&ref);
	tbuf_free(&big);
	tbuf_free(&small);
}

static void test_truncations(void **state)
{
	(void)state;
	struct tbuf out;
	struct trec_evblock blk;
	uint32_t count;
	tbuf_init(&out);
	trec_evblock_init(&blk);
	sample_payload(&out, &count);
	for (size_t cut = 0; cut < out.len; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, out.data, cut);
		struct trec_err err = { 0 };
		int ret = trec_events_decode(p, cut, count, &blk, &err);
		assert_int_equal(ret, -EBADMSG);
		assert_true(strncmp(err.msg, "events payload: ", 16) == 0);
		free(p);
	}
	/* and a byte too many */
	uint8_t *p = malloc(out.len + 1);
	memcpy(p, out.data, out.len);
	p[out.len] = 0;
	assert_int_equal(trec_events_decode(p, out.len + 1, count, &blk, NULL), -EBADMSG);
	assert_int_equal(trec_events_decode(p, out.len, count, &blk, NULL), 0);
	check_sane(&blk, count);
	free(p);
	trec_evblock_free(&blk);
	tbuf_free(&out);
}

static void test_byte_flips(void **state)
{
	(void)state;
	struct tbuf out;
	struct trec_evblock blk;
	uint32_t count;
	tbuf_init(&out);
	trec_evblock_init(&blk);
	sample_payload(&out, &count);
	uint8_t *p = malloc(out.len);
	rng_s = 4242;
	int ok = 0, bad = 0;
	for (int it = 0; it < 20000; it++) {
		memcpy(p, out.data, out.len);
		int flips = 1 + (int)(rnd() % 3);
		for (int k = 0; k < flips; k++) {
			size_t at = rnd() % out.len;
			p[at] = it % 2 ? (uint8_t)rnd() : (uint8_t)(p[at] ^ (1u << (rnd() % 8)));
		}
		int ret = trec_events_decode(p, out.len, count, &blk, NULL);
		if (ret == 0) {
			check_sane(&blk, count);
			ok++;
		} else {
			assert_int_equal(ret, -EBADMSG);
			bad++;
		}
	}
	assert_true(bad > 0);
	(void)ok;
	free(p);
	trec_evblock_free(&blk);
	tbuf_free(&out);
}

static size_t put_uv(uint8_t *p, uint64_t v) { return varint_put(p, v); }

/* Builds a header: n events, one type (id 1, n events, fs, tail tb, one RAW
 * column covering fs, or none when fs == 0). Returns its length. */
static size_t hostile_header(uint8_t *p, uint64_t n, uint64_t fs, uint64_t tb)
{
	size_t l = 0;
	l += put_uv(p + l, n);
	l += put_uv(p + l, 1);
	l += put_uv(p + l, 1);
	l += put_uv(p + l, n);
	l += put_uv(p + l, fs);
	l += put_uv(p + l, tb);
	l += put_uv(p + l, fs ? 1 : 0);
	if (fs) {
		l += put_uv(p + l, fs);
		p[l++] = TREC_COL_RAW;
	}
	return l;
}

static void test_hostile_counts(void **state)
{
	(void)state;
	struct trec_evblock blk;
	struct trec_err err = { 0 };
	uint8_t p[256];
	size_t l;
	trec_evblock_init(&blk);

	/* count above the limit */
	l = hostile_header(p, TREC_MAX_BLOCK_EVENTS + 1, 8, 0);
	assert_int_equal(trec_events_decode(p, l, TREC_MAX_BLOCK_EVENTS + 1, &blk, &err), -EBADMSG);
	/* the payload disagrees with the block header */
	l = hostile_header(p, 5, 8, 0);
	assert_int_equal(trec_events_decode(p, l, 6, &blk, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "block header"));
	/* n * fixed_size beyond the decoded-payload limit: refused before allocating */
	l = hostile_header(p, TREC_MAX_BLOCK_EVENTS, TREC_MAX_EVENT_SIZE, 0);
	assert_int_equal(trec_events_decode(p, l, TREC_MAX_BLOCK_EVENTS, &blk, &err), -EBADMSG);
	assert_int_equal(blk.mem_cap, 0);
	l = hostile_header(p, 65, TREC_MAX_EVENT_SIZE, 0);
	assert_int_equal(trec_events_decode(p, l, 65, &blk, &err), -EBADMSG);
	assert_int_equal(blk.mem_cap, 0);
	/* fixed size above the event limit */
	l = hostile_header(p, 1, TREC_MAX_EVENT_SIZE + 1, 0);
	assert_int_equal(trec_events_decode(p, l, 1, &blk, &err), -EBADMSG);
	/* tail bytes beyond the payload */
	l = hostile_header(p, 1, 8, 1000000);
	assert_int_equal(trec_events_decode(p, l, 1, &blk, &err), -EBADMSG);
	assert_int_equal(blk.mem_cap, 0);
	/* more types than events */
	l = 0;
	l += put_uv(p + l, 2);
	l += put_uv(p + l, 3);
	assert_int_equal(trec_events_decode(p, l, 2, &blk, &err), -EBADMSG);
	/* varint longer than 64 bits */
	memset(p, 0xff, 12);
	assert_int_equal(trec_events_decode(p, 12, 1, &blk, &err), -EBADMSG);
	/* per-type counts that do not sum to n */
	l = 0;
	l += put_uv(p + l, 4);
	l += put_uv(p + l, 1);
	l += put_uv(p + l, 1); /* id */
	l += put_uv(p + l, 3); /* count 3 of 4 */
	l += put_uv(p + l, 0);
	l += put_uv(p + l, 0);
	l += put_uv(p + l, 0);
	assert_int_equal(trec_events_decode(p, l, 4, &blk, &err), -EBADMSG);
	assert_int_equal(blk.mem_cap, 0);

	/* A valid header then a column that claims more bytes than there are. */
	l = hostile_header(p, 3, 8, 0);
	p[l++] = 1; /* ts: CONST */
	l += put_uv(p + l, 1);
	p[l++] = 5;
	for (int k = 0; k < 4; k++) { /* cpu pid tid type */
		p[l++] = 1;
		l += put_uv(p + l, 1);
		p[l++] = 0;
	}
	p[l++] = 1; /* stack_id */
	l += put_uv(p + l, 1);
	p[l++] = 0;
	size_t good = l;
	p[l++] = 3; /* column 0 of type 1: RAW, 900 bytes */
	l += put_uv(p + l, 900);
	assert_int_equal(trec_events_decode(p, l, 3, &blk, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "column 0 of type 1: length 900 exceeds payload"));
	/* the right length: 3 events * 8 bytes */
	l = good;
	p[l++] = 3;
	l += put_uv(p + l, 24);
	memset(p + l, 0xab, 24);
	l += 24;
	assert_int_equal(trec_events_decode(p, l, 3, &blk, &err), 0);
	assert_int_equal(blk.n, 3);
	assert_int_equal(blk.size[2], 8);
	assert_int_equal(blk.payload[23], 0xab);
	/* a type index out of range */
	p[good - 6] = 1;
	p[good - 5] = 1;
	p[good - 4] = 7; /* the type column's constant */
	assert_int_equal(trec_events_decode(p, l, 3, &blk, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "type index 7"));

	trec_evblock_free(&blk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_unsorted_stable),
		cmocka_unit_test(test_one_and_zero_events),
		cmocka_unit_test(test_max_width_and_wrap),
		cmocka_unit_test(test_encoding_choice),
		cmocka_unit_test(test_sparse_edges),
		cmocka_unit_test(test_tails),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_evbuf_reuse),
		cmocka_unit_test(test_many_types_and_limit),
		cmocka_unit_test(test_skip_reads_zeros),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_hostile_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
