/* SPDX-License-Identifier: MIT */
/*
 * A protocol-buffers wire-format writer, for the exports that speak
 * protobuf (pprof's profile.proto, Perfetto's TracePacket stream) without
 * a generated library: the caller names field numbers from the published
 * .proto files, and the writer emits tags, varints, fixed-width values,
 * length-delimited bytes and nested messages into a struct tbuf.
 *
 * Nested messages are written in place: pbw_begin() leaves one byte for
 * the length and pbw_end() moves the body when the length needs more, so
 * every length is the canonical (shortest) varint that any parser takes.
 * Errors (out of memory, nesting too deep, an end without a begin) are
 * sticky: write straight-line code and check pbw_error() once.
 */
#ifndef TREC_PBWRITE_H
#define TREC_PBWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PBW_MAX_DEPTH 32

enum pb_wire {
	PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_LEN = 2,
	PB_FIXED32 = 5,
};

struct pbw {
	struct tbuf *out;
	size_t open[PBW_MAX_DEPTH]; /* where each open message's body starts */
	int depth;
	int err; /* 0, or a negative errno once anything failed */
};

void pbw_init(struct pbw *w, struct tbuf *out);
/* 0, or the first error: -ENOMEM, -E2BIG (nesting), -EINVAL (unbalanced). */
static inline int pbw_error(const struct pbw *w) { return w->err ? w->err : w->out->oom ? -12 : 0; }

void pbw_tag(struct pbw *w, uint32_t field, enum pb_wire wire);
/* uint32/uint64/int64/int32 (negative int32/int64 take 10 bytes, as the spec says), bool, enum. */
void pbw_uint(struct pbw *w, uint32_t field, uint64_t v);
void pbw_int(struct pbw *w, uint32_t field, int64_t v);
/* sint32/sint64: zigzag. */
void pbw_sint(struct pbw *w, uint32_t field, int64_t v);
void pbw_fixed64(struct pbw *w, uint32_t field, uint64_t v);
void pbw_fixed32(struct pbw *w, uint32_t field, uint32_t v);
void pbw_double(struct pbw *w, uint32_t field, double v);
void pbw_bytes(struct pbw *w, uint32_t field, const void *p, size_t n);
/* NULL is written as the empty string. */
void pbw_string(struct pbw *w, uint32_t field, const char *s);
/* A packed repeated uint64/int64 field (proto3's default for scalars). */
void pbw_packed_uint(struct pbw *w, uint32_t field, const uint64_t *v, size_t n);
void pbw_packed_int(struct pbw *w, uint32_t field, const int64_t *v, size_t n);

/* A nested message: field's tag, then everything written until pbw_end. */
void pbw_begin(struct pbw *w, uint32_t field);
void pbw_end(struct pbw *w);

#endif
