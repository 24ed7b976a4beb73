/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "pbwrite.h"

void pbw_init(struct pbw *w, struct tbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

void pbw_tag(struct pbw *w, uint32_t field, enum pb_wire wire)
{
	if (!field || field > 536870911u) { /* 2^29 - 1: the largest field number */
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	tbuf_put_uvarint(w->out, (uint64_t)field << 3 | (uint64_t)wire);
}

void pbw_uint(struct pbw *w, uint32_t field, uint64_t v)
{
	pbw_tag(w, field, PB_VARINT);
	tbuf_put_uvarint(w->out, v);
}

void pbw_int(struct pbw *w, uint32_t field, int64_t v)
{
	pbw_uint(w, field, (uint64_t)v);
}

void pbw_sint(struct pbw *w, uint32_t field, int64_t v)
{
	pbw_uint(w, field, zigzag_enc(v));
}

void pbw_fixed64(struct pbw *w, uint32_t field, uint64_t v)
{
	pbw_tag(w, field, PB_FIXED64);
	tbuf_put_u64(w->out, v); /* little-endian, as the wire format wants */
}

void pbw_fixed32(struct pbw *w, uint32_t field, uint32_t v)
{
	pbw_tag(w, field, PB_FIXED32);
	tbuf_put_u32(w->out, v);
}

void pbw_double(struct pbw *w, uint32_t field, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	pbw_fixed64(w, field, bits);
}

void pbw_bytes(struct pbw *w, uint32_t field, const void *p, size_t n)
{
	pbw_tag(w, field, PB_LEN);
	tbuf_put_uvarint(w->out, n);
	tbuf_put(w->out, p, n);
}

void pbw_string(struct pbw *w, uint32_t field, const char *s)
{
	pbw_bytes(w, field, s ? s : "", s ? strlen(s) : 0);
}

void pbw_packed_uint(struct pbw *w, uint32_t field, const uint64_t *v, size_t n)
{
	if (!n)
		return; /* an empty packed field is the same as none */
	pbw_begin(w, field);
	for (size_t i = 0; i < n; i++)
		tbuf_put_uvarint(w->out, v[i]);
	pbw_end(w);
}

void pbw_packed_int(struct pbw *w, uint32_t field, const int64_t *v, size_t n)
{
	if (!n)
		return;
	pbw_begin(w, field);
	for (size_t i = 0; i < n; i++)
		tbuf_put_uvarint(w->out, (uint64_t)v[i]);
	pbw_end(w);
}

void pbw_begin(struct pbw *w, uint32_t field)
{
	if (w->depth >= PBW_MAX_DEPTH) {
		if (!w->err)
			w->err = -E2BIG;
		w->depth++; /* keep begin/end balanced for the caller */
		return;
	}
	pbw_tag(w, field, PB_LEN);
	tbuf_put_u8(w->out, 0); /* the length, moved out of the way if it needs more */
	w->open[w->depth++] = w->out->len;
}

void pbw_end(struct pbw *w)
{
	if (w->depth <= 0) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	if (--w->depth >= PBW_MAX_DEPTH || w->out->oom)
		return;
	struct tbuf *b = w->out;
	size_t start = w->open[w->depth];
	size_t len = b->len - start;
	uint8_t lv[TREC_VARINT_MAX];
	size_t ln = varint_put(lv, len);
	if (ln > 1) {
		if (tbuf_reserve(b, ln - 1))
			return;
		memmove(b->data + start + ln - 1, b->data + start, len);
		b->len += ln - 1;
	}
	memcpy(b->data + start - 1, lv, ln);
}
