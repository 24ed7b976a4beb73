/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols from the kernel's own "%pS" names: see ksym_named.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ksym_named.h"
#include "symtab.h" /* SYMTAB_MAX_SYMS, SYMTAB_MAX_NAME */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "0x" and 1 to 16 hex digits filling s[0..n) exactly. */
static int hex_field(const char *s, size_t n, uint64_t *v)
{
	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x')
		return -1;
	uint64_t x = 0;
	for (size_t i = 2; i < n; i++) {
		int h = hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		x = x << 4 | (uint64_t)h;
	}
	*v = x;
	return 0;
}

static const char *last_of(const char *s, size_t n, char c)
{
	while (n--)
		if (s[n] == c)
			return s + n;
	return NULL;
}

int ksym_parse_pS(const char *text, size_t len, struct ksym_pS *out)
{
	if (!text || !out || memchr(text, '\0', len))
		return -EINVAL;
	*out = (struct ksym_pS){ 0 };
	/* Without a symbol the kernel prints the address alone: "0xffff...". */
	uint64_t bare;
	if (!hex_field(text, len, &bare))
		return -ENOENT;
	size_t body = len;
	if (len && text[len - 1] == ']') {
		const char *open = last_of(text, len, '[');
		if (!open || open == text || open[-1] != ' ')
			return -EINVAL;
		const char *m = open + 1;
		size_t mlen = (size_t)(text + len - 1 - m);
		const char *sp = memchr(m, ' ', mlen); /* " [module buildid]" */
		if (sp)
			mlen = (size_t)(sp - m);
		if (!mlen || mlen > SYMTAB_MAX_NAME)
			return -EINVAL;
		out->module = m;
		out->module_len = mlen;
		body = (size_t)(open - 1 - text);
	}
	const char *slash = last_of(text, body, '/');
	if (!slash || hex_field(slash + 1, (size_t)(text + body - slash - 1), &out->size))
		return -EINVAL;
	const char *plus = last_of(text, (size_t)(slash - text), '+');
	if (!plus || plus == text || hex_field(plus + 1, (size_t)(slash - plus - 1), &out->off))
		return -EINVAL;
	out->name = text;
	out->name_len = (size_t)(plus - text);
	if (out->name_len > SYMTAB_MAX_NAME || memchr(text, ' ', out->name_len))
		return -EINVAL;
	return 0;
}

/* ---- the subset ------------------------------------------------------------------ */

struct nsym {
	uint64_t addr, size;
	const char *name; /* "" marks the end of the symbol before */
	const char *module;
};

struct nvec {
	struct nsym *v;
	size_t n, cap;
};

static int nvec_push(struct nvec *nv, const struct nsym *s)
{
	if (nv->n == nv->cap) {
		if (nv->cap >= SYMTAB_MAX_SYMS)
			return -E2BIG;
		size_t ncap = nv->cap ? nv->cap * 2 : 256;
		struct nsym *p = realloc(nv->v, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		nv->v = p;
		nv->cap = ncap;
	}
	nv->v[nv->n++] = *s;
	return 0;
}

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return (a > b) - (a < b);
}

/* By address; at one address a named symbol before an end mark. */
static int cmp_nsym(const void *pa, const void *pb)
{
	const struct nsym *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (a->name[0] == '\0') - (b->name[0] == '\0');
}

/* Module names repeat for every symbol of a module: one arena copy each
 * run of the same name. */
static const char *module_copy(struct tarena *a, const struct ksym_pS *p, const char **last)
{
	if (!p->module)
		return "";
	if (*last && strlen(*last) == p->module_len && !memcmp(*last, p->module, p->module_len))
		return *last;
	*last = tarena_strndup(a, p->module, p->module_len);
	return *last;
}

struct naming {
	const struct ksym_namer *nm;
	char *texts;
	size_t *lens;
};

/*
 * Names addrs[0..n) in batches; for each calls take(i, parsed or NULL when
 * no symbol covers it). 0 or the first error.
 */
static int name_all(struct naming *ng, const uint64_t *addrs, size_t n,
		    int (*take)(void *ctx, size_t i, const struct ksym_pS *p), void *ctx)
{
	const struct ksym_namer *nm = ng->nm;
	for (size_t base = 0; base < n; base += nm->batch) {
		size_t k = n - base < nm->batch ? n - base : nm->batch;
		int r = nm->name(nm->ctx, addrs + base, k, ng->texts, nm->text_cap, ng->lens);
		if (r)
			return r < 0 ? r : -EIO;
		for (size_t j = 0; j < k; j++) {
			size_t len = ng->lens[j];
			if (len >= nm->text_cap)
				return -E2BIG;
			const char *t = ng->texts + j * nm->text_cap;
			struct ksym_pS p;
			r = ksym_parse_pS(t, len, &p);
			if (r == -ENOENT)
				r = take(ctx, base + j, NULL);
			else if (!r)
				r = take(ctx, base + j, &p);
			if (r)
				return r;
		}
	}
	return 0;
}

struct take_ctx {
	struct tarena *a;
	const uint64_t *addrs;
	struct nvec *syms;
	const char *last_mod;
	int ends; /* naming the ends of symbols: keep only what starts there */
};

static int take_sym(void *vctx, size_t i, const struct ksym_pS *p)
{
	struct take_ctx *c = vctx;
	uint64_t addr = c->addrs[i];
	struct nsym s = { .addr = addr, .name = "", .module = "" };
	if (c->ends) {
		if (p && !p->off) {
			s.name = tarena_strndup(c->a, p->name, p->name_len);
			s.module = module_copy(c->a, p, &c->last_mod);
		}
	} else {
		if (!p)
			return 0;
		if (p->off > addr)
			return -EINVAL;
		s.addr = addr - p->off;
		s.size = p->size;
		/* Sorted addresses give non-decreasing starts: a repeat is the
		 * previous symbol. */
		if (c->syms->n && c->syms->v[c->syms->n - 1].addr == s.addr)
			return 0;
		s.name = tarena_strndup(c->a, p->name, p->name_len);
		s.module = module_copy(c->a, p, &c->last_mod);
	}
	if (!s.name || !s.module)
		return -ENOMEM;
	return nvec_push(c->syms, &s);
}

static size_t sorted_unique(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	return u;
}

int ksym_named_subset(const struct ksym_namer *nm, const uint64_t *ips, size_t nips, struct tarena *a,
		      struct trec_ksym **out, size_t *nout)
{
	if (!nm || !nm->name || nm->batch < 1 || nm->text_cap < 2 || !a || !out || !nout || (nips && !ips))
		return -EINVAL;
	*out = NULL;
	*nout = 0;
	if (!nips)
		return 0;
	if (nips > SYMTAB_MAX_SYMS)
		return -E2BIG;

	struct naming ng = { .nm = nm };
	struct nvec syms = { 0 };
	uint64_t *u = malloc(nips * sizeof(*u));
	uint64_t *ends = NULL;
	int r = -ENOMEM;
	if (!u || !(ng.texts = malloc(nm->batch * nm->text_cap)) || !(ng.lens = malloc(nm->batch * sizeof(size_t))))
		goto out;
	memcpy(u, ips, nips * sizeof(*u));
	size_t m = sorted_unique(u, nips);

	struct take_ctx tc = { .a = a, .addrs = u, .syms = &syms };
	if ((r = name_all(&ng, u, m, take_sym, &tc)))
		goto out;

	/* Where each symbol ends, unless the next one found starts there. */
	size_t nends = 0;
	if (syms.n && !(ends = malloc(syms.n * sizeof(*ends)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < syms.n; i++) {
		const struct nsym *s = &syms.v[i];
		if (!s->size || s->size > UINT64_MAX - s->addr)
			continue;
		uint64_t end = s->addr + s->size;
		if (i + 1 < syms.n && syms.v[i + 1].addr == end)
			continue;
		ends[nends++] = end;
	}
	nends = sorted_unique(ends, nends);
	tc = (struct take_ctx){ .a = a, .addrs = ends, .syms = &syms, .ends = 1 };
	if ((r = name_all(&ng, ends, nends, take_sym, &tc)))
		goto out;

	if (syms.n)
		qsort(syms.v, syms.n, sizeof(*syms.v), cmp_nsym);
	struct trec_ksym *v = syms.n ? tarena_alloc(a, syms.n * sizeof(*v)) : NULL;
	if (syms.n && !v) {
		r = -ENOMEM;
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < syms.n; i++) {
		if (k && v[k - 1].addr == syms.v[i].addr)
			continue; /* the named one came first */
		v[k++] = (struct trec_ksym){ .addr = syms.v[i].addr, .type = 't', .name = syms.v[i].name,
					     .module = syms.v[i].module };
	}
	*out = v;
	*nout = k;
	r = 0;
out:
	free(u);
	free(ends);
	free(ng.texts);
	free(ng.lens);
	free(syms.v);
	return r;
}
