/* SPDX-License-Identifier: MIT */
/*
 * Event types as the file describes them. A schema names an event type
 * ("sched:sched_switch"), says how it was captured ("tracepoint:sched:
 * sched_switch") and lays out its payload field by field, so a reader
 * decodes events of probes it has never heard of.
 *
 * A payload is the raw record the probe produced, in the byte order the
 * file header names. Bytes [0, fixed_size) are described by fields; bytes
 * past fixed_size form a variable tail that dynamic fields (tracefs
 * __data_loc / __rel_loc) point into.
 */
#ifndef TREC_SCHEMA_H
#define TREC_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

enum trec_field_kind {
	TREC_F_INT = 1,      /* signed integer; elem_size 1, 2, 4 or 8 */
	TREC_F_UINT = 2,     /* unsigned integer; elem_size 1, 2, 4 or 8 */
	TREC_F_HEX = 3,      /* unsigned integer shown in hex (addresses, flags) */
	TREC_F_CHARS = 4,    /* char[count]: NUL-padded string */
	TREC_F_BYTES = 5,    /* opaque bytes, shown as hex */
	TREC_F_DATA_LOC = 6, /* u32 = len << 16 | offset from payload start; string */
	TREC_F_REL_LOC = 7,  /* u32 = len << 16 | offset from the end of this field */
	TREC_F_KIND_MAX = 7,
};

/* Field flags. */
#define TREC_FIELDF_TRUNCATED_MARK 0x1u /* a string that ends in a truncation mark when cut */

struct trec_field {
	const char *name;
	const char *ctype;  /* C type as the source spelled it, e.g. "const char *"; may be "" */
	uint32_t kind;      /* enum trec_field_kind */
	uint32_t flags;
	uint32_t offset;    /* in the payload */
	uint32_t elem_size; /* bytes per element */
	uint32_t count;     /* elements; 1 for a scalar. Size = elem_size * count */
};

struct trec_schema {
	uint32_t id;        /* event type id carried by events; 1..TREC_MAX_TYPE_ID */
	const char *name;   /* "group:name", e.g. "raw_syscalls:sys_enter" */
	const char *probe;  /* how it was attached, e.g. "tracepoint:raw_syscalls:sys_enter" */
	uint32_t flags;
	uint32_t fixed_size;
	uint32_t nfields;
	const struct trec_field *fields;
};

#define TREC_MAX_TYPE_ID 65535u

/* Checks ids, names, kinds, sizes, bounds and overlaps. 0 or -EINVAL. */
int trec_schema_validate(const struct trec_schema *s, struct trec_err *err);

/* Field lookup by name; NULL if absent. */
const struct trec_field *trec_schema_field(const struct trec_schema *s, const char *name);

/*
 * Field access on one event payload. `swap` is nonzero when the file's
 * payload byte order differs from this host's. All accessors check bounds
 * against `size` and fail with -ERANGE instead of reading outside.
 */
int trec_field_get_u64(const struct trec_field *f, const void *data, uint32_t size,
		       uint32_t idx, int swap, uint64_t *out);
/* Integer value sign-extended per the field's kind (INT sign-extends). */
int trec_field_get_i64(const struct trec_field *f, const void *data, uint32_t size,
		       uint32_t idx, int swap, int64_t *out);
/* String fields (CHARS, DATA_LOC, REL_LOC): pointer into data and the length
 * up to the first NUL (or the field's end). */
int trec_field_get_str(const struct trec_field *f, const void *data, uint32_t size,
		       int swap, const char **str, uint32_t *len);

/*
 * Column layout of a type's payload, derived from its schema for the
 * columnar event codec: every integer element of width 1/2/4/8 becomes an
 * INT column; every other byte range of [0, fixed_size) (strings, byte
 * arrays, padding) becomes a RAW column. Columns cover the fixed part
 * exactly once, in offset order.
 */
enum trec_col_type { TREC_COL_INT = 1, TREC_COL_RAW = 2 };

struct trec_col {
	uint32_t offset;
	uint32_t width; /* 1/2/4/8 for INT; any for RAW */
	uint32_t type;  /* enum trec_col_type */
};

struct trec_layout {
	uint32_t type_id;
	uint32_t fixed_size;
	uint32_t ncols;
	struct trec_col *cols; /* malloc'ed; trec_layout_free */
};

int trec_layout_build(const struct trec_schema *s, struct trec_layout *out);
void trec_layout_free(struct trec_layout *l);

/* Encode/decode a block of schemas (payload of TREC_BLK_SCHEMA). */
struct tbuf;
struct tarena;
int trec_schema_encode(struct tbuf *out, const struct trec_schema *s, size_t n);
/* Decoded strings and arrays live in `arena`. `count` is the block header's
 * record count; the payload must hold exactly that many schemas. */
int trec_schema_decode(const void *p, size_t len, uint32_t count, struct tarena *arena,
		       struct trec_schema **out, struct trec_err *err);

#endif
