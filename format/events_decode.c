/* SPDX-License-Identifier: MIT */
/*
 * The columnar event decoder (events.h). docs/format-events.md gives the
 * byte layout; events_encode.c writes it.
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
#include "events_codec.h"
#include "trec_format.h"

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

/* Zeroes the payload region but for the part of it inside [zlo, zhi),
 * which is zero already (the previous decode's untouched payload). */
static void clear_payload(struct trec_evblock *b, size_t zlo, size_t zhi)
{
	size_t lo = (size_t)(b->payload - (uint8_t *)b->mem), hi = lo + b->payload_len;
	if (zhi <= lo || zlo >= hi || zlo >= zhi) { /* no overlap */
		memset(b->payload, 0, b->payload_len);
		return;
	}
	uint8_t *m = b->mem;
	if (zlo > lo)
		memset(m + lo, 0, zlo - lo);
	if (zhi < hi)
		memset(m + zhi, 0, hi - zhi);
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
	/* (A new allocation knows nothing zero.) What follows writes into
	 * mem, and may fail anywhere: nothing is known zero until a decode
	 * that reads no payload ends. */
	size_t zlo = out->zero_lo, zhi = out->zero_hi;
	out->zero_lo = out->zero_hi = 0;
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
		uint32_t nskipped = 0;
		for (uint32_t t = 0; skip && t < nt; t++)
			nskipped += dm.types[t].id < nskip && skip[dm.types[t].id];
		if (nskipped)
			clear_payload(out, zlo, zhi);
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
		if (nskipped == nt) {
			out->zero_lo = (size_t)(out->payload - (uint8_t *)out->mem);
			out->zero_hi = out->zero_lo + out->payload_len;
		}
	}
	if (tcur_left(&c))
		return hdrerr(err, "%zu bytes after the last column", tcur_left(&c));
	out->n = count;
	return 0;
}
