/* SPDX-License-Identifier: MIT */
/*
 * SYMS block: function symbols of DSOs. One record per DSO:
 *   u8      build_id_len (<= TREC_MAX_BUILD_ID), that many bytes
 *   str     path (<= TREC_MAX_NAME)
 *   uvarint load_bias
 *   uvarint nsyms
 *   nsyms symbols in address order, each:
 *     uvarint addr - previous symbol's addr (first: addr itself)
 *     uvarint size
 *     str     name (<= TREC_MAX_NAME)
 * Names are stored whole: front coding would shrink the raw payload, but
 * zstd already removes most of that redundancy, and a shared prefix lets
 * a 5-byte record decode to a 4 KiB name, so a hostile block could expand
 * a thousandfold. Whole names keep decoded memory linear in the payload.
 * The encoder writes the named symbols only (TREC_SYM_FDE entries and
 * demangled names go to SYMEXT, rec_symext.c), in address order (ties keep
 * input order), so the decoder's output is always sorted by addr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "syms"
#define MIN_BYTES 4     /* build_id_len, path, load_bias, nsyms */
#define SYM_MIN_BYTES 3 /* addr, size, name length */

static int cmp_addr(const void *a, const void *b, void *ctx)
{
	const struct trec_sym *s = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (s[x].addr != s[y].addr)
		return s[x].addr < s[y].addr ? -1 : 1;
	return (x > y) - (x < y);
}

int trec_dso_syms_named_order(const struct trec_dso_syms *d, uint32_t **order, uint32_t *n)
{
	uint32_t k = 0;
	int sorted = 1;
	*order = NULL;
	*n = 0;
	for (uint32_t i = 0; i < d->nsyms; i++)
		k += !(d->syms[i].flags & TREC_SYM_FDE);
	if (!k)
		return 0;
	uint32_t *o = malloc((size_t)k * sizeof(*o));
	if (!o)
		return -ENOMEM;
	k = 0;
	for (uint32_t i = 0; i < d->nsyms; i++) {
		if (d->syms[i].flags & TREC_SYM_FDE)
			continue;
		if (k && d->syms[i].addr < d->syms[o[k - 1]].addr)
			sorted = 0;
		o[k++] = i;
	}
	if (!sorted)
		qsort_r(o, k, sizeof(*o), cmp_addr, (void *)d->syms);
	*order = o;
	*n = k;
	return 0;
}

uint32_t trec_dso_syms_digest(const struct trec_dso_syms *d, const uint32_t *order, uint32_t n)
{
	uint32_t crc = 0;
	for (uint32_t k = 0; k < n; k++) {
		const struct trec_sym *s = &d->syms[order ? order[k] : k];
		uint8_t fixed[17];
		for (int b = 0; b < 8; b++) {
			fixed[b] = (uint8_t)(s->addr >> (8 * b));
			fixed[8 + b] = (uint8_t)(s->size >> (8 * b));
		}
		crc = crc32c(crc, fixed, 16);
		const char *name = s->name ? s->name : "";
		crc = crc32c(crc, name, strlen(name));
		fixed[16] = 0;
		crc = crc32c(crc, fixed + 16, 1);
	}
	return crc;
}

static void put_syms(struct tbuf *out, const struct trec_sym *syms, const uint32_t *order, uint32_t n)
{
	uint64_t prev_addr = 0;
	for (uint32_t k = 0; k < n; k++) {
		const struct trec_sym *s = &syms[order[k]];
		tbuf_put_uvarint(out, s->addr - prev_addr);
		tbuf_put_uvarint(out, s->size);
		tbuf_put_str(out, s->name);
		prev_addr = s->addr;
	}
}

static int check_dso(const struct trec_dso_syms *d)
{
	if (d->build_id_len > TREC_MAX_BUILD_ID || (d->nsyms && !d->syms) ||
	    (d->path && strnlen(d->path, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME))
		return -EINVAL;
	for (uint32_t k = 0; k < d->nsyms; k++)
		if (d->syms[k].name && strnlen(d->syms[k].name, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME)
			return -EINVAL;
	return 0;
}

int trec_dso_syms_encode(struct tbuf *out, const struct trec_dso_syms *d, size_t n)
{
	if (n && !d)
		return -EINVAL;
	/* Check everything first: a refused table leaves nothing half-written. */
	for (size_t i = 0; i < n; i++)
		if (check_dso(&d[i]))
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct trec_dso_syms *e = &d[i];
		uint32_t *order, nnamed;
		if (trec_dso_syms_named_order(e, &order, &nnamed))
			return -ENOMEM;
		tbuf_put_u8(out, e->build_id_len);
		tbuf_put(out, e->build_id, e->build_id_len);
		tbuf_put_str(out, e->path);
		tbuf_put_uvarint(out, e->load_bias);
		tbuf_put_uvarint(out, nnamed);
		put_syms(out, e->syms, order, nnamed);
		free(order);
	}
	return out->oom ? -ENOMEM : 0;
}

static int get_syms(struct tcur *c, struct tarena *a, struct trec_sym *syms, uint32_t n, uint32_t i,
		    struct trec_err *err)
{
	uint64_t prev_addr = 0;
	for (uint32_t k = 0; k < n; k++) {
		struct trec_sym *s = &syms[k];
		uint64_t d = tcur_uvarint(c);
		s->size = tcur_uvarint(c);
		if (c->err)
			return trec_errf(err, -EBADMSG, KIND " record %u symbol %u: truncated or malformed", i, k);
		if (d > UINT64_MAX - prev_addr)
			return trec_errf(err, -EBADMSG, KIND " record %u symbol %u: address overflows", i, k);
		s->addr = prev_addr = prev_addr + d;
		int r = rec_get_str(KIND, c, a, TREC_MAX_NAME, &s->name, NULL, i, "symbol name", err);
		if (r)
			return r;
	}
	return 0;
}

int trec_dso_syms_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
			 struct trec_dso_syms **out, struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_dso_syms), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_dso_syms *d = recs;

	for (uint32_t i = 0; i < count; i++) {
		struct trec_dso_syms *e = &d[i];
		uint8_t bl = tcur_u8(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated", i);
		if (bl > TREC_MAX_BUILD_ID)
			return trec_errf(err, -EBADMSG, KIND " record %u: build-id of %u bytes exceeds %u", i, bl,
					 TREC_MAX_BUILD_ID);
		const uint8_t *b = tcur_take(&c, bl);
		if (!b)
			return trec_errf(err, -EBADMSG, KIND " record %u: build-id runs past the end", i);
		e->build_id_len = bl;
		memcpy(e->build_id, b, bl);
		int r = rec_get_str(KIND, &c, a, TREC_MAX_NAME, &e->path, NULL, i, "path", err);
		if (r)
			return r;
		e->load_bias = tcur_uvarint(&c);
		uint64_t ns = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u (%.200s): truncated or malformed", i, e->path);
		if (ns > UINT32_MAX || ns > tcur_left(&c) / SYM_MIN_BYTES)
			return trec_errf(err, -EBADMSG, KIND " record %u (%.200s): %" PRIu64
					 " symbols cannot fit in %zu bytes", i, e->path, ns, tcur_left(&c));
		e->nsyms = (uint32_t)ns;
		if (ns) {
			struct trec_sym *s = tarena_alloc(a, (size_t)ns * sizeof(*s));
			if (!s)
				return rec_oom(KIND, err);
			if ((r = get_syms(&c, a, s, e->nsyms, i, err)))
				return r;
			e->syms = s;
		}
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = d;
	return 0;
}
