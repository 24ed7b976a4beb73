/* SPDX-License-Identifier: MIT */
/*
 * SYMEXT block (kind 11, format 1.1): what a DSO symbol table has beyond
 * the raw names a SYMS record (kind 7) carries. One record per table:
 *   u8      build_id_len (<= TREC_MAX_BUILD_ID), that many bytes
 *   str     path (<= TREC_MAX_NAME)
 *   uvarint nsyms   symbols of the SYMS record it extends
 *   u32le   digest  trec_dso_syms_digest() of that record
 *   uvarint nnames, then per name (indexes increasing, < nsyms):
 *     uvarint index - (previous index + 1) (first: index itself)
 *     str     demangled name (1..TREC_MAX_NAME bytes)
 *   uvarint nfuncs, then per unnamed function (addresses increasing):
 *     uvarint addr - previous addr (first: addr itself; later ones > 0)
 *     uvarint size (>= 1, addr + size <= 2^64)
 *
 * Why a separate kind rather than new fields in SYMS: a SYMS payload must
 * end after its last record (readers reject trailing bytes) and its
 * symbol has no room for a flag, so new fields there would make every
 * older reader refuse the file. A new kind is skipped by older readers,
 * which then show raw names, exactly what they showed before.
 *
 * Why the key and digest: blocks are independent (a damaged SYMS block
 * may be skipped), and two tables may share a path (a file replaced while
 * it was traced, a pid reused by a JIT): an extension applied to the wrong
 * table would name frames wrongly, which is worse than not naming them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "symext"
#define MIN_BYTES 9       /* build_id_len, path, nsyms, digest (4), nnames, nfuncs */
#define NAME_MIN_BYTES 3  /* index, length, one byte */
#define FUNC_MIN_BYTES 2  /* addr, size */

/* ---- encoder ---------------------------------------------------------------------- */

static int check_table(const struct trec_dso_syms *d)
{
	if (d->build_id_len > TREC_MAX_BUILD_ID || (d->nsyms && !d->syms) ||
	    (d->path && strnlen(d->path, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME))
		return -EINVAL;
	for (uint32_t k = 0; k < d->nsyms; k++) {
		const struct trec_sym *s = &d->syms[k];
		if (s->name && strnlen(s->name, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME)
			return -EINVAL;
		if (s->demangled && strnlen(s->demangled, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME)
			return -EINVAL;
		/* a reader rejects an empty function and one past 2^64 */
		if ((s->flags & TREC_SYM_FDE) && (!s->size || s->size - 1 > UINT64_MAX - s->addr))
			return -EINVAL;
	}
	return 0;
}

static int has_demangled(const struct trec_sym *s)
{
	return s->demangled && s->demangled[0];
}

static void put_names(struct tbuf *out, const struct trec_sym *syms, const uint32_t *order, uint32_t n)
{
	uint32_t cnt = 0;
	for (uint32_t k = 0; k < n; k++)
		cnt += has_demangled(&syms[order[k]]);
	tbuf_put_uvarint(out, cnt);
	uint64_t next = 0; /* the index a delta of 0 means */
	for (uint32_t k = 0; k < n; k++) {
		const struct trec_sym *s = &syms[order[k]];
		if (!has_demangled(s))
			continue;
		tbuf_put_uvarint(out, k - next);
		tbuf_put_str(out, s->demangled);
		next = (uint64_t)k + 1;
	}
}

static int cmp_func(const void *a, const void *b, void *ctx)
{
	const struct trec_sym *s = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (s[x].addr != s[y].addr)
		return s[x].addr < s[y].addr ? -1 : 1;
	return (x > y) - (x < y);
}

/* The FDE entries by address, one per address (the first in input order). */
static int put_funcs(struct tbuf *out, const struct trec_dso_syms *d)
{
	uint32_t n = 0;
	for (uint32_t k = 0; k < d->nsyms; k++)
		n += (d->syms[k].flags & TREC_SYM_FDE) != 0;
	uint32_t *o = n ? malloc((size_t)n * sizeof(*o)) : NULL;
	if (n && !o)
		return -ENOMEM;
	n = 0;
	for (uint32_t k = 0; k < d->nsyms; k++)
		if (d->syms[k].flags & TREC_SYM_FDE)
			o[n++] = k;
	if (n)
		qsort_r(o, n, sizeof(*o), cmp_func, (void *)d->syms);
	uint32_t u = 0;
	for (uint32_t k = 0; k < n; k++)
		if (!u || d->syms[o[k]].addr != d->syms[o[u - 1]].addr)
			o[u++] = o[k];
	tbuf_put_uvarint(out, u);
	uint64_t prev = 0;
	for (uint32_t k = 0; k < u; k++) {
		const struct trec_sym *s = &d->syms[o[k]];
		tbuf_put_uvarint(out, s->addr - prev);
		tbuf_put_uvarint(out, s->size);
		prev = s->addr;
	}
	free(o);
	return 0;
}

int trec_dso_symext_encode(struct tbuf *out, const struct trec_dso_syms *d, size_t n)
{
	if (n && !d)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (check_table(&d[i]))
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct trec_dso_syms *e = &d[i];
		uint32_t *order, nnamed;
		if (trec_dso_syms_named_order(e, &order, &nnamed))
			return -ENOMEM;
		tbuf_put_u8(out, e->build_id_len);
		tbuf_put(out, e->build_id, e->build_id_len);
		tbuf_put_str(out, e->path);
		tbuf_put_uvarint(out, nnamed);
		tbuf_put_u32(out, trec_dso_syms_digest(e, order, nnamed));
		put_names(out, e->syms, order, nnamed);
		free(order);
		if (put_funcs(out, e))
			return -ENOMEM;
	}
	return out->oom ? -ENOMEM : 0;
}

/* ---- decoder ---------------------------------------------------------------------- */

static int get_names(struct tcur *c, struct tarena *a, struct trec_dso_symext *x, uint32_t i,
		     struct trec_err *err)
{
	uint64_t n = tcur_uvarint(c);
	if (c->err)
		return trec_errf(err, -EBADMSG, KIND " record %u: truncated before its names", i);
	if (n > x->nsyms || n > tcur_left(c) / NAME_MIN_BYTES)
		return trec_errf(err, -EBADMSG, KIND " record %u: %" PRIu64 " names for %u symbols in %zu bytes",
				 i, n, x->nsyms, tcur_left(c));
	x->nnames = (uint32_t)n;
	if (!n)
		return 0;
	struct trec_symext_name *v = tarena_alloc(a, (size_t)n * sizeof(*v));
	if (!v)
		return rec_oom(KIND, err);
	uint64_t next = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t d = tcur_uvarint(c);
		if (c->err)
			return trec_errf(err, -EBADMSG, KIND " record %u name %u: truncated or malformed", i, k);
		if (d >= x->nsyms - next) /* next <= nsyms: each index is < nsyms */
			return trec_errf(err, -EBADMSG, KIND " record %u name %u: symbol index past the %u symbols",
					 i, k, x->nsyms);
		v[k].index = (uint32_t)(next + d);
		next = (uint64_t)v[k].index + 1;
		uint32_t len;
		int r = rec_get_str(KIND, c, a, TREC_MAX_NAME, &v[k].demangled, &len, i, "demangled name", err);
		if (r)
			return r;
		if (!len)
			return trec_errf(err, -EBADMSG, KIND " record %u name %u: empty demangled name", i, k);
	}
	x->names = v;
	return 0;
}

static int get_funcs(struct tcur *c, struct tarena *a, struct trec_dso_symext *x, uint32_t i,
		     struct trec_err *err)
{
	uint64_t n = tcur_uvarint(c);
	if (c->err)
		return trec_errf(err, -EBADMSG, KIND " record %u: truncated before its functions", i);
	if (n > UINT32_MAX || n > tcur_left(c) / FUNC_MIN_BYTES)
		return trec_errf(err, -EBADMSG, KIND " record %u: %" PRIu64 " functions cannot fit in %zu bytes",
				 i, n, tcur_left(c));
	x->nfuncs = (uint32_t)n;
	if (!n)
		return 0;
	struct trec_symext_func *v = tarena_alloc(a, (size_t)n * sizeof(*v));
	if (!v)
		return rec_oom(KIND, err);
	uint64_t prev = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t d = tcur_uvarint(c);
		uint64_t size = tcur_uvarint(c);
		if (c->err)
			return trec_errf(err, -EBADMSG, KIND " record %u function %u: truncated or malformed", i, k);
		if (k && !d)
			return trec_errf(err, -EBADMSG, KIND " record %u function %u: address not above the previous",
					 i, k);
		if (d > UINT64_MAX - prev)
			return trec_errf(err, -EBADMSG, KIND " record %u function %u: address overflows", i, k);
		v[k].addr = prev = prev + d;
		if (!size || size - 1 > UINT64_MAX - v[k].addr)
			return trec_errf(err, -EBADMSG, KIND " record %u function %u: size %" PRIu64
					 " is 0 or runs past 2^64", i, k, size);
		v[k].size = size;
	}
	x->funcs = v;
	return 0;
}

static int get_key(struct tcur *c, struct tarena *a, struct trec_dso_symext *x, uint32_t i,
		   struct trec_err *err)
{
	uint8_t bl = tcur_u8(c);
	if (c->err)
		return trec_errf(err, -EBADMSG, KIND " record %u: truncated", i);
	if (bl > TREC_MAX_BUILD_ID)
		return trec_errf(err, -EBADMSG, KIND " record %u: build-id of %u bytes exceeds %u", i, bl,
				 TREC_MAX_BUILD_ID);
	const uint8_t *b = tcur_take(c, bl);
	if (!b)
		return trec_errf(err, -EBADMSG, KIND " record %u: build-id runs past the end", i);
	x->build_id_len = bl;
	memcpy(x->build_id, b, bl);
	int r = rec_get_str(KIND, c, a, TREC_MAX_NAME, &x->path, NULL, i, "path", err);
	if (r)
		return r;
	uint64_t ns = tcur_uvarint(c);
	x->digest = tcur_u32(c);
	if (c->err)
		return trec_errf(err, -EBADMSG, KIND " record %u (%.200s): truncated or malformed", i, x->path);
	if (ns > UINT32_MAX)
		return trec_errf(err, -EBADMSG, KIND " record %u (%.200s): %" PRIu64 " symbols exceeds 2^32 - 1", i,
				 x->path, ns);
	x->nsyms = (uint32_t)ns;
	return 0;
}

int trec_dso_symext_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
			   struct trec_dso_symext **out, struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_dso_symext), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_dso_symext *x = recs;
	for (uint32_t i = 0; i < count; i++) {
		if ((rc = get_key(&c, a, &x[i], i, err)) || (rc = get_names(&c, a, &x[i], i, err)) ||
		    (rc = get_funcs(&c, a, &x[i], i, err)))
			return rc;
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = x;
	return 0;
}

/* ---- pairing extensions with tables -------------------------------------------------- */

struct pairing {
	struct trec_dso_syms *d;
	uint32_t *by_key;  /* table indexes by (build-id, path, nsyms, file order) */
	uint32_t *digest;  /* per table, valid where have_digest */
	uint8_t *have_digest, *extended;
	size_t n;
};

static int cmp_key(const struct trec_dso_syms *t, const uint8_t *bid, uint8_t blen, const char *path,
		   uint32_t nsyms)
{
	if (t->build_id_len != blen)
		return t->build_id_len < blen ? -1 : 1;
	int c = memcmp(t->build_id, bid, blen);
	if (!c)
		c = strcmp(t->path ? t->path : "", path ? path : "");
	if (!c && t->nsyms != nsyms)
		c = t->nsyms < nsyms ? -1 : 1;
	return c;
}

static int cmp_tables(const void *a, const void *b, void *ctx)
{
	const struct trec_dso_syms *d = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = cmp_key(&d[x], d[y].build_id, d[y].build_id_len, d[y].path, d[y].nsyms);
	return c ? c : (x > y) - (x < y);
}

/* The first table in file order, not yet extended, that x pairs with;
 * -1 when none does. */
static long find_table(struct pairing *p, const struct trec_dso_symext *x)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_key(&p->d[p->by_key[mid]], x->build_id, x->build_id_len, x->path, x->nsyms) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->n; lo++) {
		uint32_t t = p->by_key[lo];
		if (cmp_key(&p->d[t], x->build_id, x->build_id_len, x->path, x->nsyms))
			break;
		if (p->extended[t])
			continue;
		if (!p->have_digest[t]) {
			p->digest[t] = trec_dso_syms_digest(&p->d[t], NULL, p->d[t].nsyms);
			p->have_digest[t] = 1;
		}
		if (p->digest[t] == x->digest)
			return (long)t;
	}
	return -1;
}

/* t's symbols with x's names set and x's functions merged in by address. */
static int apply(struct trec_dso_syms *t, const struct trec_dso_symext *x, struct tarena *a, struct trec_err *err)
{
	uint64_t total = (uint64_t)t->nsyms + x->nfuncs;
	if (total > UINT32_MAX)
		return trec_errf(err, -E2BIG, KIND ": %.200s: %" PRIu64 " symbols exceed 2^32 - 1", t->path, total);
	if (!total)
		return 0;
	struct trec_sym *v = tarena_alloc(a, (size_t)total * sizeof(*v));
	if (!v)
		return rec_oom(KIND, err);
	uint32_t si = 0, fi = 0, ni = 0, k = 0;
	while (si < t->nsyms || fi < x->nfuncs) {
		/* at one address the named symbol comes first */
		if (si < t->nsyms && (fi == x->nfuncs || t->syms[si].addr <= x->funcs[fi].addr)) {
			v[k] = t->syms[si];
			if (ni < x->nnames && x->names[ni].index == si)
				v[k].demangled = x->names[ni++].demangled;
			si++;
		} else {
			v[k] = (struct trec_sym){ .addr = x->funcs[fi].addr, .size = x->funcs[fi].size, .name = "",
						  .flags = TREC_SYM_FDE };
			fi++;
		}
		k++;
	}
	t->syms = v;
	t->nsyms = (uint32_t)total;
	return 0;
}

int trec_dso_syms_extend(struct trec_dso_syms *d, size_t n, const struct trec_dso_symext *x, size_t nx,
			 struct tarena *a, size_t *unmatched, struct trec_err *err)
{
	struct pairing p = { .d = d, .n = n };
	*unmatched = 0;
	if (!nx)
		return 0;
	if (n) {
		p.by_key = malloc(n * sizeof(*p.by_key));
		p.digest = malloc(n * sizeof(*p.digest));
		p.have_digest = calloc(n, 1);
		p.extended = calloc(n, 1);
	}
	int rc = 0;
	if (n && (!p.by_key || !p.digest || !p.have_digest || !p.extended)) {
		rc = trec_errf(err, -ENOMEM, KIND ": out of memory pairing %zu tables", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		p.by_key[i] = (uint32_t)i;
	if (n)
		qsort_r(p.by_key, n, sizeof(*p.by_key), cmp_tables, d);
	/* Pair every record before changing a table: apply() changes nsyms,
	 * which the search key holds. */
	long *pair = malloc(nx * sizeof(*pair));
	if (!pair) {
		rc = trec_errf(err, -ENOMEM, KIND ": out of memory pairing %zu records", nx);
		goto out;
	}
	for (size_t i = 0; i < nx; i++) {
		pair[i] = n ? find_table(&p, &x[i]) : -1;
		if (pair[i] >= 0)
			p.extended[pair[i]] = 1;
		else
			(*unmatched)++;
	}
	for (size_t i = 0; i < nx && !rc; i++)
		if (pair[i] >= 0)
			rc = apply(&d[pair[i]], &x[i], a, err);
	free(pair);
out:
	free(p.by_key);
	free(p.digest);
	free(p.have_digest);
	free(p.extended);
	return rc;
}
