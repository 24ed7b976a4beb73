/* SPDX-License-Identifier: MIT */
/* Selection of collected function symbols (see symtab_build.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symtab_build.h"

void symbuild_init(struct symbuild *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int symbuild_push(struct symbuild *b, const struct symbuild_sym *s)
{
	if (b->n == b->cap) {
		if (b->cap >= b->max)
			return -E2BIG;
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		if (ncap > b->max)
			ncap = b->max;
		struct symbuild_sym *nv = realloc(b->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = ncap;
	}
	b->v[b->n++] = *s;
	return 0;
}

void symbuild_free(struct symbuild *b)
{
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

/* Address order; at one address the preferred name first: exported over
 * local (what the user wrote and links against), then the shorter one
 * (malloc over __libc_malloc), then byte order so the result does not
 * depend on the input order. */
static int cmp_raw(const void *pa, const void *pb)
{
	const struct symbuild_sym *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->global != b->global)
		return a->global ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->name, b->name, a->len);
}

/* End of the executable segment holding addr, or 0 when none does. */
static uint64_t seg_end(const struct symbuild_seg *segs, size_t nsegs, uint64_t addr)
{
	for (size_t i = 0; i < nsegs; i++)
		if (addr >= segs[i].start && addr < segs[i].end)
			return segs[i].end;
	return 0;
}

/* Size of the symbol at v[i] whose alias group ends before v[next]: its
 * own st_size, else the largest among its aliases, else the distance to
 * the next symbol, cut at the end of its section (_init would otherwise
 * cover the PLT after it), or of its segment when the section is unknown
 * (the last function of a segment would stretch to the next one's first). */
static uint64_t pick_size(const struct symbuild_sym *v, size_t i, size_t next, size_t n,
			  const struct symbuild_seg *segs, size_t nsegs)
{
	uint64_t size = v[i].size;
	for (size_t k = i + 1; !size && k < next; k++)
		if (v[k].size > size)
			size = v[k].size;
	if (size)
		return size;
	uint64_t end = v[i].end ? v[i].end : seg_end(segs, nsegs, v[i].addr);
	if (next < n && (!end || v[next].addr < end))
		end = v[next].addr;
	return end > v[i].addr ? end - v[i].addr : 0;
}

int symbuild_finish(struct symbuild *b, const struct symbuild_seg *segs, size_t nsegs, struct tarena *a,
		    struct trec_dso_syms *out, const char *path, struct trec_err *err)
{
	struct symbuild_sym *v = b->v;
	size_t n = b->n, nout = 0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_raw);
	for (size_t i = 0; i < n; i++)
		nout += i == 0 || v[i].addr != v[i - 1].addr;
	struct trec_sym *syms = nout ? tarena_alloc(a, nout * sizeof(*syms)) : NULL;
	if (nout && !syms)
		return trec_errf(err, -ENOMEM, "%s: out of memory for %zu symbols", path, nout);
	size_t k = 0;
	for (size_t i = 0, next; i < n; i = next, k++) {
		for (next = i + 1; next < n && v[next].addr == v[i].addr;)
			next++;
		syms[k].addr = v[i].addr;
		syms[k].size = pick_size(v, i, next, n, segs, nsegs);
		syms[k].name = tarena_strndup(a, v[i].name, v[i].len);
		if (!syms[k].name)
			return trec_errf(err, -ENOMEM, "%s: out of memory for symbol names", path);
	}
	out->nsyms = (uint32_t)nout;
	out->syms = syms;
	return 0;
}
