/* SPDX-License-Identifier: MIT */
/*
 * KSYMS block: a kallsyms snapshot, in address order. Per record:
 *   uvarint addr - previous record's addr (first: addr itself)
 *   u8      type letter
 *   str     name (<= TREC_MAX_NAME; whole, not front-coded: see rec_syms.c)
 *   uvarint module: 0 = same module as the previous record (record 0:
 *           vmlinux, ""), else 1 + length of the module name, which
 *           follows (<= TREC_MAX_NAME)
 * Module names come in runs (modules' symbols are contiguous), so a
 * module costs one byte per symbol after its first.
 * The encoder sorts a copy when the input is not in address order (ties
 * keep input order), so the decoder's output is always sorted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "ksyms"
#define MIN_BYTES 4 /* addr, type, name length, module */

static const char *nz(const char *s) { return s ? s : ""; }

static int cmp_addr(const void *a, const void *b, void *ctx)
{
	const struct trec_ksym *k = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (k[x].addr != k[y].addr)
		return k[x].addr < k[y].addr ? -1 : 1;
	return (x > y) - (x < y);
}

int trec_ksym_encode(struct tbuf *out, const struct trec_ksym *k, size_t n)
{
	int sorted = 1;
	if (n && !k)
		return -EINVAL;
	if (n > UINT32_MAX)
		return -EINVAL; /* a block's record count is a u32 */
	for (size_t i = 0; i < n; i++) {
		if ((k[i].name && strnlen(k[i].name, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME) ||
		    (k[i].module && strnlen(k[i].module, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME))
			return -EINVAL;
		if (i && k[i].addr < k[i - 1].addr)
			sorted = 0;
	}
	uint32_t *order = NULL;
	if (!sorted) {
		if (!(order = malloc(n * sizeof(*order))))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			order[i] = (uint32_t)i;
		qsort_r(order, n, sizeof(*order), cmp_addr, (void *)k);
	}

	uint64_t prev_addr = 0;
	const char *prev_mod = "";
	for (size_t i = 0; i < n; i++) {
		const struct trec_ksym *e = &k[order ? order[i] : i];
		const char *mod = nz(e->module);
		tbuf_put_uvarint(out, e->addr - prev_addr);
		tbuf_put_u8(out, (uint8_t)e->type);
		tbuf_put_str(out, e->name);
		if (!strcmp(mod, prev_mod)) {
			tbuf_put_uvarint(out, 0);
		} else {
			size_t ml = strlen(mod);
			tbuf_put_uvarint(out, ml + 1);
			tbuf_put(out, mod, ml);
		}
		prev_addr = e->addr;
		prev_mod = mod;
	}
	free(order);
	return out->oom ? -ENOMEM : 0;
}

int trec_ksym_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_ksym **out,
		     struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_ksym), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_ksym *k = recs;

	uint64_t prev_addr = 0;
	const char *prev_mod = "";
	for (uint32_t i = 0; i < count; i++) {
		struct trec_ksym *e = &k[i];
		uint64_t d = tcur_uvarint(&c);
		e->type = (char)tcur_u8(&c);
		/* The name by hand, not rec_get_str(): its length is checked with
		 * the record header, and its messages are worded differently. */
		uint64_t nl = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		if (d > UINT64_MAX - prev_addr)
			return trec_errf(err, -EBADMSG, KIND " record %u: address overflows", i);
		if (nl > TREC_MAX_NAME)
			return trec_errf(err, -EBADMSG, KIND " record %u: name of %" PRIu64 " bytes exceeds %u", i, nl,
					 TREC_MAX_NAME);
		const uint8_t *s = tcur_take(&c, (size_t)nl);
		if (!s)
			return trec_errf(err, -EBADMSG, KIND " record %u: name runs past the end", i);
		const char *name = tarena_strndup(a, (const char *)s, (size_t)nl);
		if (!name)
			return rec_oom(KIND, err);
		e->addr = prev_addr = prev_addr + d;
		e->name = name;

		uint64_t m = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u (%.200s): truncated before module", i, name);
		if (m) {
			if (m - 1 > TREC_MAX_NAME)
				return trec_errf(err, -EBADMSG,
						 KIND " record %u (%.200s): module of %" PRIu64 " bytes exceeds %u", i,
						 name, m - 1, TREC_MAX_NAME);
			const uint8_t *ms = tcur_take(&c, (size_t)(m - 1));
			if (!ms)
				return trec_errf(err, -EBADMSG, KIND " record %u (%.200s): module runs past the end", i,
						 name);
			if (!(prev_mod = tarena_strndup(a, (const char *)ms, (size_t)(m - 1))))
				return rec_oom(KIND, err);
		}
		e->module = prev_mod;
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = k;
	return 0;
}
