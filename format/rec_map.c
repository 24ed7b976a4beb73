/* SPDX-License-Identifier: MIT */
/*
 * MAPS block: memory mappings. Per record:
 *   svarint ts - previous record's ts (wrapping)
 *   svarint pid - previous record's pid
 *   uvarint prot, uvarint flags
 *   svarint start - previous record's start (wrapping)
 *   uvarint len, uvarint pgoff
 *   u8      same: 0x01 path equals the previous record's,
 *                 0x02 build-id equals the previous record's
 *   unless 0x02: u8 build_id_len (<= TREC_MAX_BUILD_ID), that many bytes
 *   unless 0x01: str path (<= TREC_MAX_NAME bytes)
 * A DSO is mapped as 3-5 consecutive segments of one process with one path
 * and build-id, so after the first segment each costs ~8-12 bytes. The
 * "previous record" of record 0 is all zeros, path "", no build-id.
 */
#include <errno.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "maps"
#define MIN_BYTES 8 /* seven varints and `same` */

enum { SAME_PATH = 0x01, SAME_BUILD_ID = 0x02, SAME_ALL = 0x03 };

static const char *nz(const char *s) { return s ? s : ""; }

static int same_build_id(const struct trec_map *a, const struct trec_map *b)
{
	return a->build_id_len == b->build_id_len && !memcmp(a->build_id, b->build_id, a->build_id_len);
}

int trec_map_encode(struct tbuf *out, const struct trec_map *m, size_t n)
{
	if (n && !m)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (m[i].build_id_len > TREC_MAX_BUILD_ID ||
		    (m[i].path && strnlen(m[i].path, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME))
			return -EINVAL;
	static const struct trec_map zero;
	const struct trec_map *prev = &zero;
	for (size_t i = 0; i < n; i++) {
		const struct trec_map *e = &m[i];
		uint8_t same = (!strcmp(nz(e->path), nz(prev->path)) ? SAME_PATH : 0) |
			       (same_build_id(e, prev) ? SAME_BUILD_ID : 0);
		tbuf_put_svarint(out, (int64_t)(e->ts - prev->ts));
		tbuf_put_svarint(out, (int64_t)e->pid - (int64_t)prev->pid);
		tbuf_put_uvarint(out, e->prot);
		tbuf_put_uvarint(out, e->flags);
		tbuf_put_svarint(out, (int64_t)(e->start - prev->start));
		tbuf_put_uvarint(out, e->len);
		tbuf_put_uvarint(out, e->pgoff);
		tbuf_put_u8(out, same);
		if (!(same & SAME_BUILD_ID)) {
			tbuf_put_u8(out, e->build_id_len);
			tbuf_put(out, e->build_id, e->build_id_len);
		}
		if (!(same & SAME_PATH))
			tbuf_put_str(out, e->path);
		prev = e;
	}
	return out->oom ? -ENOMEM : 0;
}

int trec_map_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_map **out,
		    struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_map), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_map *m = recs;

	const struct trec_map zero = { .path = "" };
	const struct trec_map *prev = &zero;
	for (uint32_t i = 0; i < count; i++) {
		struct trec_map *e = &m[i];
		e->ts = prev->ts + (uint64_t)tcur_svarint(&c);
		int64_t dpid = tcur_svarint(&c);
		e->prot = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->flags = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->start = prev->start + (uint64_t)tcur_svarint(&c);
		e->len = tcur_uvarint(&c);
		e->pgoff = tcur_uvarint(&c);
		uint8_t same = tcur_u8(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		if (dpid < -(int64_t)prev->pid || dpid > (int64_t)UINT32_MAX - (int64_t)prev->pid)
			return trec_errf(err, -EBADMSG, KIND " record %u: pid out of range", i);
		e->pid = (uint32_t)((int64_t)prev->pid + dpid);
		if (same & ~SAME_ALL)
			return trec_errf(err, -EBADMSG, KIND " record %u: unknown flag bits 0x%02x", i,
					 same & ~SAME_ALL);
		if (same & SAME_BUILD_ID) {
			e->build_id_len = prev->build_id_len;
			memcpy(e->build_id, prev->build_id, prev->build_id_len);
		} else {
			uint8_t n = tcur_u8(&c);
			if (c.err)
				return trec_errf(err, -EBADMSG, KIND " record %u: truncated before build-id", i);
			if (n > TREC_MAX_BUILD_ID)
				return trec_errf(err, -EBADMSG, KIND " record %u: build-id of %u bytes exceeds %u", i, n,
						 TREC_MAX_BUILD_ID);
			const uint8_t *b = tcur_take(&c, n);
			if (!b)
				return trec_errf(err, -EBADMSG, KIND " record %u: build-id runs past the end", i);
			e->build_id_len = n;
			memcpy(e->build_id, b, n);
		}
		if (same & SAME_PATH) {
			e->path = prev->path; /* shared arena string */
		} else {
			int r = rec_get_str(KIND, &c, a, TREC_MAX_NAME, &e->path, NULL, i, "path", err);
			if (r)
				return r;
		}
		prev = e;
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = m;
	return 0;
}
