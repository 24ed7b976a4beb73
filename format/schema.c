/* SPDX-License-Identifier: MIT */
/*
 * Event type schemas: validation, field access on raw payloads, the column
 * layout the events codec derives from a schema, and the SCHEMA block codec.
 * docs/format-records.md gives the byte layout of the block.
 *
 * Everything here may see untrusted data: a decoded schema is validated
 * before anyone uses it, and the accessors check every offset against the
 * event's size, so a schema that lies about a payload (or a payload shorter
 * than its type's fixed_size) costs an -ERANGE, never a stray read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rec_common.h"
#include "schema.h"
#include "trec_format.h"

#define KIND "schema"

static const char *nz(const char *s) { return s ? s : ""; }

static int is_int_kind(uint32_t k) { return k == TREC_F_INT || k == TREC_F_UINT || k == TREC_F_HEX; }
static int is_loc_kind(uint32_t k) { return k == TREC_F_DATA_LOC || k == TREC_F_REL_LOC; }
static int is_int_width(uint32_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

/* Bytes the field covers; validated fields keep this within fixed_size. */
static uint64_t field_size(const struct trec_field *f) { return (uint64_t)f->elem_size * f->count; }

/* Orders field indices by offset; ties (only possible in invalid schemas)
 * by index so the order is total. */
static int cmp_offset(const void *a, const void *b, void *ctx)
{
	const struct trec_field *f = ctx;
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	if (f[x].offset != f[y].offset)
		return f[x].offset < f[y].offset ? -1 : 1;
	return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b, void *ctx)
{
	const struct trec_field *f = ctx;
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return strcmp(f[x].name, f[y].name);
}

static void sort_fields(const struct trec_schema *s, uint16_t *idx,
			int (*cmp)(const void *, const void *, void *))
{
	for (uint32_t i = 0; i < s->nfields; i++)
		idx[i] = (uint16_t)i;
	qsort_r(idx, s->nfields, sizeof(*idx), cmp, (void *)s->fields);
}

static int check_field(const struct trec_schema *s, uint32_t i, struct trec_err *err)
{
	const struct trec_field *f = &s->fields[i];
	const char *sn = s->name;

	if (!f->name || !f->name[0])
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": field %u has no name", s->id, sn, i);
	if (strnlen(f->name, TREC_MAX_NAME + 1) > TREC_MAX_NAME)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": field %u name exceeds %u bytes", s->id,
				 sn, i, TREC_MAX_NAME);
	if (f->ctype && strnlen(f->ctype, TREC_MAX_NAME + 1) > TREC_MAX_NAME)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": field \"%.200s\" ctype exceeds %u bytes",
				 s->id, sn, f->name, TREC_MAX_NAME);
	if (f->kind < TREC_F_INT || f->kind > TREC_F_KIND_MAX)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": field \"%.200s\" has unknown kind %u",
				 s->id, sn, f->name, f->kind);
	if (f->count < 1 || f->elem_size < 1)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": field \"%.200s\" is empty (%u x %u bytes)",
				 s->id, sn, f->name, f->count, f->elem_size);
	if (is_int_kind(f->kind) && !is_int_width(f->elem_size))
		return trec_errf(err, -EINVAL,
				 "schema %u \"%.200s\": integer field \"%.200s\" has element size %u (not 1, 2, 4 or 8)",
				 s->id, sn, f->name, f->elem_size);
	if (is_loc_kind(f->kind) && (f->elem_size != 4 || f->count != 1))
		return trec_errf(err, -EINVAL,
				 "schema %u \"%.200s\": dynamic field \"%.200s\" must be one u32 (is %u x %u bytes)",
				 s->id, sn, f->name, f->count, f->elem_size);
	if (f->kind == TREC_F_CHARS && f->elem_size != 1)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": char field \"%.200s\" has element size %u",
				 s->id, sn, f->name, f->elem_size);
	/* u32 + u32 * u32 cannot overflow u64. */
	uint64_t end = (uint64_t)f->offset + field_size(f);
	if (end > s->fixed_size)
		return trec_errf(err, -EINVAL,
				 "schema %u \"%.200s\": field \"%.200s\" [%u, %" PRIu64 ") exceeds fixed size %u",
				 s->id, sn, f->name, f->offset, end, s->fixed_size);
	return 0;
}

int trec_schema_validate(const struct trec_schema *s, struct trec_err *err)
{
	if (!s)
		return trec_errf(err, -EINVAL, "schema: NULL");
	if (s->id < 1 || s->id > TREC_MAX_TYPE_ID)
		return trec_errf(err, -EINVAL, "schema \"%.200s\": id %u outside 1..%u", nz(s->name), s->id,
				 TREC_MAX_TYPE_ID);
	if (!s->name || !s->name[0])
		return trec_errf(err, -EINVAL, "schema %u: empty name", s->id);
	if (strnlen(s->name, TREC_MAX_NAME + 1) > TREC_MAX_NAME)
		return trec_errf(err, -EINVAL, "schema %u: name exceeds %u bytes", s->id, TREC_MAX_NAME);
	if (s->probe && strnlen(s->probe, TREC_MAX_NAME + 1) > TREC_MAX_NAME)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": probe exceeds %u bytes", s->id, s->name,
				 TREC_MAX_NAME);
	if (s->fixed_size > TREC_MAX_EVENT_SIZE)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": fixed size %u exceeds %u", s->id, s->name,
				 s->fixed_size, TREC_MAX_EVENT_SIZE);
	if (s->nfields > TREC_MAX_FIELDS)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": %u fields exceed %u", s->id, s->name,
				 s->nfields, TREC_MAX_FIELDS);
	if (s->nfields && !s->fields)
		return trec_errf(err, -EINVAL, "schema %u \"%.200s\": %u fields but no field array", s->id,
				 s->name, s->nfields);
	for (uint32_t i = 0; i < s->nfields; i++) {
		int r = check_field(s, i, err);
		if (r)
			return r;
	}

	/* Overlaps and duplicate names, each by one sort: O(n log n) even for
	 * hostile schemas with TREC_MAX_FIELDS fields. */
	uint16_t idx[TREC_MAX_FIELDS];
	const struct trec_field *f = s->fields;
	sort_fields(s, idx, cmp_offset);
	for (uint32_t k = 1; k < s->nfields; k++) {
		const struct trec_field *a = &f[idx[k - 1]], *b = &f[idx[k]];
		if ((uint64_t)a->offset + field_size(a) > b->offset)
			return trec_errf(err, -EINVAL,
					 "schema %u \"%.200s\": field \"%.200s\" at %u overlaps \"%.200s\" at %u",
					 s->id, s->name, b->name, b->offset, a->name, a->offset);
	}
	sort_fields(s, idx, cmp_name);
	for (uint32_t k = 1; k < s->nfields; k++)
		if (!strcmp(f[idx[k - 1]].name, f[idx[k]].name))
			return trec_errf(err, -EINVAL, "schema %u \"%.200s\": duplicate field \"%.200s\"", s->id,
					 s->name, f[idx[k]].name);
	return 0;
}

const struct trec_field *trec_schema_field(const struct trec_schema *s, const char *name)
{
	if (!s || !name || !s->fields)
		return NULL;
	for (uint32_t i = 0; i < s->nfields; i++)
		if (s->fields[i].name && !strcmp(s->fields[i].name, name))
			return &s->fields[i];
	return NULL;
}

/* ---- field access ------------------------------------------------------ */

/* Element idx of an integer field (or the u32 of a dynamic field), in host
 * order, zero-extended. */
static int read_uint(const struct trec_field *f, const void *data, uint32_t size, uint32_t idx, int swap,
		     uint64_t *out)
{
	uint32_t w;
	if (!f || !out)
		return -EINVAL;
	if (is_int_kind(f->kind))
		w = f->elem_size;
	else if (is_loc_kind(f->kind))
		w = 4;
	else
		return -EINVAL;
	if (!is_int_width(w))
		return -EINVAL;
	if (idx >= f->count)
		return -ERANGE;
	uint64_t off = (uint64_t)f->offset + (uint64_t)idx * w;
	if (!data || off + w > size)
		return -ERANGE;

	/* memcpy: payloads carry no alignment promise. */
	const uint8_t *p = (const uint8_t *)data + off;
	switch (w) {
	case 1:
		*out = p[0];
		break;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		*out = swap ? __builtin_bswap16(v) : v;
		break;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		*out = swap ? __builtin_bswap32(v) : v;
		break;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		*out = swap ? __builtin_bswap64(v) : v;
		break;
	}
	}
	return 0;
}

int trec_field_get_u64(const struct trec_field *f, const void *data, uint32_t size, uint32_t idx, int swap,
		       uint64_t *out)
{
	return read_uint(f, data, size, idx, swap, out);
}

int trec_field_get_i64(const struct trec_field *f, const void *data, uint32_t size, uint32_t idx, int swap,
		       int64_t *out)
{
	/* The usual case without read_uint's general checks: a host-order
	 * scalar of 8 or 4 bytes inside the payload (a syscall's id or
	 * return, once or twice per event in a latency view). */
	if (f && out && data && !idx && !swap && f->count && (uint64_t)f->offset + f->elem_size <= size) {
		const uint8_t *p = (const uint8_t *)data + f->offset;
		if (f->elem_size == 8 && is_int_kind(f->kind)) {
			uint64_t v8;
			memcpy(&v8, p, 8);
			*out = (int64_t)v8;
			return 0;
		}
		if (f->elem_size == 4 && is_int_kind(f->kind)) {
			uint32_t v4;
			memcpy(&v4, p, 4);
			*out = f->kind == TREC_F_INT ? (int64_t)(int32_t)v4 : (int64_t)v4;
			return 0;
		}
	}
	uint64_t v;
	int r = read_uint(f, data, size, idx, swap, &v);
	if (r)
		return r;
	if (f->kind != TREC_F_INT) {
		*out = (int64_t)v; /* UINT/HEX: zero-extended; a u64 above INT64_MAX wraps */
		return 0;
	}
	switch (f->elem_size) {
	case 1: *out = (int8_t)(uint8_t)v; break;
	case 2: *out = (int16_t)(uint16_t)v; break;
	case 4: *out = (int32_t)(uint32_t)v; break;
	default: *out = (int64_t)v; break;
	}
	return 0;
}

int trec_field_get_str(const struct trec_field *f, const void *data, uint32_t size, int swap, const char **str,
		       uint32_t *len)
{
	uint64_t off, n;
	if (!f || !str || !len)
		return -EINVAL;
	if (!data)
		size = 0;
	switch (f->kind) {
	case TREC_F_CHARS:
		off = f->offset;
		n = field_size(f);
		break;
	case TREC_F_DATA_LOC:
	case TREC_F_REL_LOC: {
		uint64_t v;
		int r = read_uint(f, data, size, 0, swap, &v);
		if (r)
			return r;
		off = v & 0xffff;
		n = v >> 16;
		if (f->kind == TREC_F_REL_LOC)
			off += (uint64_t)f->offset + 4; /* relative to the end of this u32 */
		break;
	}
	default:
		return -EINVAL;
	}
	if (off > size || n > size - off)
		return -ERANGE;
	if (!n) {
		*str = "";
		*len = 0;
		return 0;
	}
	const char *s = (const char *)data + off;
	const char *nul = memchr(s, 0, (size_t)n);
	*str = s;
	*len = (uint32_t)(nul ? (uint64_t)(nul - s) : n);
	return 0;
}

/* ---- column layout ----------------------------------------------------- */

/* Emits columns, or only counts them when cols is NULL (the first pass
 * sizes the array, so a 1 MiB fixed part of one char[] field costs one
 * column, not a worst-case allocation). */
struct lay {
	struct trec_col *cols;
	uint32_t n;
	int last_raw; /* the previous column is RAW and ends where the next starts */
};

static void lay_raw(struct lay *l, uint32_t off, uint32_t w)
{
	if (l->last_raw) {
		if (l->cols)
			l->cols[l->n - 1].width += w;
		return;
	}
	if (l->cols)
		l->cols[l->n] = (struct trec_col){ .offset = off, .width = w, .type = TREC_COL_RAW };
	l->n++;
	l->last_raw = 1;
}

static void lay_int(struct lay *l, uint32_t off, uint32_t w)
{
	if (l->cols)
		l->cols[l->n] = (struct trec_col){ .offset = off, .width = w, .type = TREC_COL_INT };
	l->n++;
	l->last_raw = 0;
}

/* Walks the fields in offset order; validation guarantees they do not
 * overlap and end within fixed_size, so `pos` only moves forward. */
static void lay_walk(const struct trec_schema *s, const uint16_t *idx, struct lay *l)
{
	uint32_t pos = 0;
	for (uint32_t k = 0; k < s->nfields; k++) {
		const struct trec_field *f = &s->fields[idx[k]];
		if (f->offset > pos)
			lay_raw(l, pos, f->offset - pos);
		if (is_int_kind(f->kind)) {
			for (uint32_t e = 0; e < f->count; e++)
				lay_int(l, f->offset + e * f->elem_size, f->elem_size);
		} else if (is_loc_kind(f->kind)) {
			lay_int(l, f->offset, 4);
		} else {
			lay_raw(l, f->offset, (uint32_t)field_size(f));
		}
		pos = f->offset + (uint32_t)field_size(f);
	}
	if (pos < s->fixed_size)
		lay_raw(l, pos, s->fixed_size - pos);
}

int trec_layout_build(const struct trec_schema *s, struct trec_layout *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (trec_schema_validate(s, NULL))
		return -EINVAL;

	uint16_t idx[TREC_MAX_FIELDS];
	sort_fields(s, idx, cmp_offset);
	struct lay l = { 0 };
	lay_walk(s, idx, &l);
	out->type_id = s->id;
	out->fixed_size = s->fixed_size;
	if (!l.n)
		return 0;

	struct trec_col *cols = calloc(l.n, sizeof(*cols));
	if (!cols)
		return -ENOMEM;
	l = (struct lay){ .cols = cols };
	lay_walk(s, idx, &l);
	out->cols = cols;
	out->ncols = l.n;
	return 0;
}

void trec_layout_free(struct trec_layout *l)
{
	if (!l)
		return;
	free(l->cols);
	memset(l, 0, sizeof(*l));
}

/* ---- SCHEMA block codec ------------------------------------------------ */

/*
 * Per schema: uvarint id, str name, str probe, uvarint flags, uvarint
 * fixed_size, uvarint nfields, then per field: str name, str ctype, uvarint
 * kind, uvarint flags, svarint offset - end of the previous field (0 for
 * the tightly packed fields tracefs describes), uvarint elem_size, uvarint
 * count.
 */
int trec_schema_encode(struct tbuf *out, const struct trec_schema *s, size_t n)
{
	if (n && !s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (trec_schema_validate(&s[i], NULL))
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct trec_schema *sc = &s[i];
		tbuf_put_uvarint(out, sc->id);
		tbuf_put_str(out, sc->name);
		tbuf_put_str(out, sc->probe);
		tbuf_put_uvarint(out, sc->flags);
		tbuf_put_uvarint(out, sc->fixed_size);
		tbuf_put_uvarint(out, sc->nfields);
		int64_t prev_end = 0;
		for (uint32_t k = 0; k < sc->nfields; k++) {
			const struct trec_field *f = &sc->fields[k];
			tbuf_put_str(out, f->name);
			tbuf_put_str(out, f->ctype);
			tbuf_put_uvarint(out, f->kind);
			tbuf_put_uvarint(out, f->flags);
			tbuf_put_svarint(out, (int64_t)f->offset - prev_end);
			tbuf_put_uvarint(out, f->elem_size);
			tbuf_put_uvarint(out, f->count);
			prev_end = (int64_t)f->offset + (int64_t)field_size(f);
		}
	}
	return out->oom ? -ENOMEM : 0;
}

/* Smallest encodings: a schema is id, name (>= 1 byte, so 2), probe,
 * flags, fixed_size, nfields; a field is name (2), ctype and five varints. */
#define SCHEMA_MIN_BYTES 7
#define FIELD_MIN_BYTES 8

static int decode_field(struct tcur *c, struct tarena *a, struct trec_field *f, int64_t *prev_end, uint32_t i,
			struct trec_err *err)
{
	int r;
	if ((r = rec_get_str(KIND, c, a, TREC_MAX_NAME, &f->name, NULL, i, "field name", err)) ||
	    (r = rec_get_str(KIND, c, a, TREC_MAX_NAME, &f->ctype, NULL, i, "field ctype", err)))
		return r;
	f->kind = (uint32_t)tcur_uvarint_max(c, UINT32_MAX);
	f->flags = (uint32_t)tcur_uvarint_max(c, UINT32_MAX);
	int64_t d = tcur_svarint(c);
	/* Bounding sizes here keeps prev_end far from int64 overflow;
	 * validation applies the real limits afterwards. */
	f->elem_size = (uint32_t)tcur_uvarint_max(c, TREC_MAX_EVENT_SIZE);
	f->count = (uint32_t)tcur_uvarint_max(c, TREC_MAX_EVENT_SIZE);
	if (c->err)
		return trec_errf(err, -EBADMSG, KIND " record %u: field \"%.200s\" truncated or out of range", i,
				 f->name);
	if (d < -*prev_end || d > (int64_t)UINT32_MAX - *prev_end)
		return trec_errf(err, -EBADMSG, KIND " record %u: field \"%.200s\" offset out of range", i,
				 f->name);
	f->offset = (uint32_t)(*prev_end + d);
	*prev_end = (int64_t)f->offset + (int64_t)field_size(f);
	return 0;
}

int trec_schema_decode(const void *p, size_t len, uint32_t count, struct tarena *arena,
		       struct trec_schema **out, struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, SCHEMA_MIN_BYTES, sizeof(struct trec_schema), arena, &recs, &c,
			   err);
	if (rc)
		return rc;
	struct trec_schema *s = recs;

	for (uint32_t i = 0; i < count; i++) {
		struct trec_schema *sc = &s[i];
		int r;
		sc->id = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		if ((r = rec_get_str(KIND, &c, arena, TREC_MAX_NAME, &sc->name, NULL, i, "name", err)) ||
		    (r = rec_get_str(KIND, &c, arena, TREC_MAX_NAME, &sc->probe, NULL, i, "probe", err)))
			return r;
		sc->flags = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		sc->fixed_size = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		uint64_t nf = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or out of range", i);
		if (nf > TREC_MAX_FIELDS)
			return trec_errf(err, -EBADMSG, KIND " record %u: %" PRIu64 " fields exceed %u", i, nf,
					 TREC_MAX_FIELDS);
		if (nf > tcur_left(&c) / FIELD_MIN_BYTES)
			return trec_errf(err, -EBADMSG, KIND " record %u: %" PRIu64 " fields cannot fit in %zu bytes",
					 i, nf, tcur_left(&c));
		sc->nfields = (uint32_t)nf;
		if (nf) {
			struct trec_field *f = tarena_alloc(arena, (size_t)nf * sizeof(*f));
			if (!f)
				return rec_oom(KIND, err);
			int64_t prev_end = 0;
			for (uint32_t k = 0; k < nf; k++)
				if ((r = decode_field(&c, arena, &f[k], &prev_end, i, err)))
					return r;
			sc->fields = f;
		}
		struct trec_err verr = { 0 };
		if (trec_schema_validate(sc, &verr))
			return trec_errf(err, -EBADMSG, KIND " record %u: %s", i, verr.msg);
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = s;
	return 0;
}
