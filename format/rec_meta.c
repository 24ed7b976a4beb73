/* SPDX-License-Identifier: MIT */
/*
 * META block: typed key/values. Per record:
 *   str key, u8 type, value
 * where the value is a uvarint (U64), a zigzag svarint (I64), 8 bytes of
 * the IEEE-754 bit pattern, little-endian (F64: exact, NaN payloads
 * included), or varint length + bytes (STR, BYTES).
 * Limits: key and STR values <= TREC_MAX_NAME bytes, STR without NUL
 * bytes; BYTES <= TREC_MAX_BLOCK_RAW (a block cannot hold more anyway).
 */
#include <errno.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "meta"
#define MIN_BYTES 3 /* key length, type, one value byte */

/* STR values may come with len 0 and a NUL-terminated ptr (the natural
 * way to write a literal); BYTES always use len. */
static size_t value_len(const struct trec_meta_kv *kv)
{
	if (!kv->v.str.ptr)
		return 0;
	if (kv->type == TREC_META_STR && !kv->v.str.len)
		return strnlen(kv->v.str.ptr, (size_t)TREC_MAX_NAME + 1);
	return kv->v.str.len;
}

int trec_meta_encode(struct tbuf *out, const struct trec_meta_kv *kv, size_t n)
{
	if (n && !kv)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct trec_meta_kv *e = &kv[i];
		if (e->key && strnlen(e->key, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME)
			return -EINVAL;
		switch (e->type) {
		case TREC_META_U64:
		case TREC_META_I64:
		case TREC_META_F64:
			break;
		case TREC_META_STR:
			if (!e->v.str.ptr && e->v.str.len)
				return -EINVAL;
			if (value_len(e) > TREC_MAX_NAME || memchr(e->v.str.ptr ? e->v.str.ptr : "", 0, value_len(e)))
				return -EINVAL;
			break;
		case TREC_META_BYTES:
			if (value_len(e) > TREC_MAX_BLOCK_RAW || (!e->v.str.ptr && e->v.str.len))
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct trec_meta_kv *e = &kv[i];
		tbuf_put_str(out, e->key);
		tbuf_put_u8(out, (uint8_t)e->type);
		switch (e->type) {
		case TREC_META_U64:
			tbuf_put_uvarint(out, e->v.u64);
			break;
		case TREC_META_I64:
			tbuf_put_svarint(out, e->v.i64);
			break;
		case TREC_META_F64: {
			uint64_t bits;
			memcpy(&bits, &e->v.f64, 8);
			tbuf_put_u64(out, bits);
			break;
		}
		default:
			tbuf_put_bytes(out, e->v.str.ptr, value_len(e));
			break;
		}
	}
	return out->oom ? -ENOMEM : 0;
}

int trec_meta_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_meta_kv **out,
		     struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_meta_kv), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_meta_kv *kv = recs;

	for (uint32_t i = 0; i < count; i++) {
		struct trec_meta_kv *e = &kv[i];
		int r = rec_get_str(KIND, &c, a, TREC_MAX_NAME, &e->key, NULL, i, "key", err);
		if (r)
			return r;
		e->type = tcur_u8(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u (\"%.200s\"): truncated before type", i,
					 e->key);
		switch (e->type) {
		case TREC_META_U64:
			e->v.u64 = tcur_uvarint(&c);
			break;
		case TREC_META_I64:
			e->v.i64 = tcur_svarint(&c);
			break;
		case TREC_META_F64: {
			uint64_t bits = tcur_u64(&c);
			memcpy(&e->v.f64, &bits, 8);
			break;
		}
		case TREC_META_STR:
			r = rec_get_str(KIND, &c, a, TREC_MAX_NAME, &e->v.str.ptr, &e->v.str.len, i,
					"string value", err);
			if (r)
				return r;
			if (memchr(e->v.str.ptr, 0, e->v.str.len))
				return trec_errf(err, -EBADMSG, KIND " record %u (\"%.200s\"): NUL inside string value",
						 i, e->key);
			break;
		case TREC_META_BYTES:
			r = rec_get_str(KIND, &c, a, TREC_MAX_BLOCK_RAW, &e->v.str.ptr, &e->v.str.len, i,
					"bytes value", err);
			if (r)
				return r;
			break;
		default:
			return trec_errf(err, -EBADMSG, KIND " record %u (\"%.200s\"): unknown value type %u", i,
					 e->key, e->type);
		}
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u (\"%.200s\"): value truncated or malformed", i,
					 e->key);
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = kv;
	return 0;
}
