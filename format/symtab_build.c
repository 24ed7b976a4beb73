/* SPDX-License-Identifier: MIT */
/* Selection of collected function symbols (see symtab_build.h). */
#include <errno.h>
#include <stdint.h>
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
	if (a->label != b->label)
		return a->label ? 1 : -1; /* a function's name over a label's */
	if (a->global != b->global)
		return a->global ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->name, b->name, a->len);
}

/*
 * Sorts v[0..n) by cmp_raw. An LSD radix sort of (address, index) keys by
 * bytes, skipping the bytes every address shares (a DSO spans a few MiB:
 * three or four passes), then the rare runs of one address by cmp_raw.
 * qsort called its comparator about 16 times per symbol: 2 ms of every
 * recording's end for python3 and libc's debug file, and the same again in
 * the report that reads a binary. Falls back to qsort without memory.
 */
struct sym_key {
	uint64_t addr;
	uint32_t idx;
};

static void sort_syms(struct symbuild_sym *v, size_t n)
{
	if (n < 64 || n > UINT32_MAX) {
		qsort(v, n, sizeof(*v), cmp_raw);
		return;
	}
	struct sym_key *k = malloc(2 * n * sizeof(*k));
	struct symbuild_sym *out = malloc(n * sizeof(*out));
	size_t (*count)[256] = calloc(8, sizeof(*count));
	if (!k || !out || !count) {
		free(k);
		free(out);
		free(count);
		qsort(v, n, sizeof(*v), cmp_raw);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		k[i] = (struct sym_key){ v[i].addr, (uint32_t)i };
		for (int d = 0; d < 8; d++)
			count[d][(v[i].addr >> (8 * d)) & 0xff]++;
	}
	struct sym_key *src = k, *dst = k + n;
	for (int d = 0; d < 8; d++) {
		size_t *c = count[d];
		if (c[(src[0].addr >> (8 * d)) & 0xff] == n)
			continue; /* every address has this byte: the order stands */
		size_t at = 0;
		for (int b = 0; b < 256; b++) {
			size_t t = c[b];
			c[b] = at;
			at += t;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i].addr >> (8 * d)) & 0xff]++] = src[i];
		struct sym_key *t = src;
		src = dst;
		dst = t;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = v[src[i].idx];
	/* Names at one address: cmp_raw's order, by insertion (runs are short). */
	for (size_t i = 1; i < n; i++) {
		if (out[i].addr != out[i - 1].addr)
			continue;
		struct symbuild_sym x = out[i];
		size_t j = i;
		while (j > 0 && out[j - 1].addr == x.addr && cmp_raw(&out[j - 1], &x) > 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = x;
	}
	memcpy(v, out, n * sizeof(*v));
	free(k);
	free(out);
	free(count);
}

/* End of the executable segment holding addr, or 0 when none does. */
static uint64_t seg_end(const struct symbuild_seg *segs, size_t nsegs, uint64_t addr)
{
	for (size_t i = 0; i < nsegs; i++)
		if (addr >= segs[i].start && addr < segs[i].end)
			return segs[i].end;
	return 0;
}

/* Index of the first function whose start is above addr (nfuncs if none). */
static size_t func_after(const struct symbuild_func *f, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Where the FDEs say the code at addr ends: the end of the function that
 * holds it, else the start of the next function; 0 when they say nothing. */
static uint64_t fde_end(const struct symbuild_func *f, size_t n, uint64_t addr)
{
	size_t k = func_after(f, n, addr);
	if (k > 0 && addr < f[k - 1].end)
		return f[k - 1].end;
	return k < n ? f[k].start : 0;
}

/* Size of the symbol at v[i] whose alias group ends before v[next]: its
 * own st_size, else the largest among its aliases, else the distance to
 * the next symbol, cut at the end of its section (_init would otherwise
 * cover the PLT after it), or of its segment when the section is unknown
 * (the last function of a segment would stretch to the next one's first),
 * and where the FDEs say its function ends (a stripped file's static
 * functions after it have FDEs but no symbol). */
static uint64_t pick_size(const struct symbuild *b, size_t i, size_t next, const struct symbuild_seg *segs,
			  size_t nsegs)
{
	const struct symbuild_sym *v = b->v;
	uint64_t size = v[i].size;
	for (size_t k = i + 1; !size && k < next; k++)
		if (v[k].size > size)
			size = v[k].size;
	if (size)
		return size;
	uint64_t end = v[i].end ? v[i].end : seg_end(segs, nsegs, v[i].addr);
	if (next < b->n && (!end || v[next].addr < end))
		end = v[next].addr;
	uint64_t fend = fde_end(b->funcs, b->nfuncs, v[i].addr);
	if (fend > v[i].addr && (!end || fend < end))
		end = fend;
	return end > v[i].addr ? end - v[i].addr : 0;
}

/*
 * The FDE functions whose start no named symbol covers (none starts there
 * and none reaches over it), each up to its end or the next named symbol,
 * whichever comes first. Counts them when out is NULL, else writes them.
 * Both lists are sorted by address.
 */
static size_t unnamed_funcs(const struct symbuild *b, const struct trec_sym *named, size_t nnamed,
			    struct trec_sym *out, size_t max)
{
	size_t k = 0, j = 0;
	uint64_t reach = 0; /* end of the named symbols up to j (max addr + size) */
	int have_reach = 0;
	for (size_t f = 0; f < b->nfuncs && k < max; f++) {
		uint64_t s = b->funcs[f].start, e = b->funcs[f].end;
		for (; j < nnamed && named[j].addr <= s; j++) {
			uint64_t end = named[j].addr + named[j].size;
			if (named[j].size > UINT64_MAX - named[j].addr)
				end = UINT64_MAX;
			if (!have_reach || end > reach)
				reach = end;
			have_reach = 1;
		}
		int starts_here = j > 0 && named[j - 1].addr == s;
		if (e <= s || starts_here || (have_reach && s < reach))
			continue;
		if (j < nnamed && named[j].addr < e)
			e = named[j].addr;
		if (out)
			out[k] = (struct trec_sym){ .addr = s, .size = e - s, .name = "", .flags = TREC_SYM_FDE };
		k++;
	}
	return k;
}

/* The named symbols and the unnamed FDE entries, merged by address. */
static int add_unnamed(const struct symbuild *b, struct tarena *a, struct trec_sym *named, size_t nnamed,
		       struct trec_dso_syms *out)
{
	size_t room = b->max > nnamed ? b->max - nnamed : 0;
	size_t nun = unnamed_funcs(b, named, nnamed, NULL, room);
	if (!nun)
		return 0;
	struct trec_sym *un = tarena_alloc(a, nun * sizeof(*un));
	struct trec_sym *all = tarena_alloc(a, (nnamed + nun) * sizeof(*all));
	if (!un || !all)
		return -ENOMEM;
	unnamed_funcs(b, named, nnamed, un, room);
	size_t i = 0, u = 0, k = 0;
	while (i < nnamed || u < nun)
		all[k++] = u == nun || (i < nnamed && named[i].addr <= un[u].addr) ? named[i++] : un[u++];
	out->syms = all;
	out->nsyms = (uint32_t)k;
	return 0;
}

int symbuild_finish(struct symbuild *b, const struct symbuild_seg *segs, size_t nsegs, struct tarena *a,
		    struct trec_dso_syms *out, const char *path, struct trec_err *err)
{
	struct symbuild_sym *v = b->v;
	size_t n = b->n, nout = 0;

	if (n)
		sort_syms(v, n);
	/* A label inside a function (a jump target in hand-written code) does
	 * not cut it: only labels outside every sized function are kept. */
	uint64_t reach = 0;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].label && v[i].addr < reach)
			continue;
		if (!v[i].label && v[i].size) {
			uint64_t end = v[i].size > UINT64_MAX - v[i].addr ? UINT64_MAX : v[i].addr + v[i].size;
			if (end > reach)
				reach = end;
		}
		v[kept++] = v[i];
	}
	n = b->n = kept;
	for (size_t i = 0; i < n; i++)
		nout += i == 0 || v[i].addr != v[i - 1].addr;
	struct trec_sym *syms = nout ? tarena_alloc(a, nout * sizeof(*syms)) : NULL;
	if (nout && !syms)
		return trec_errf(err, -ENOMEM, "%s: out of memory for %zu symbols", path, nout);
	size_t k = 0;
	for (size_t i = 0, next; i < n; i = next, k++) {
		for (next = i + 1; next < n && v[next].addr == v[i].addr;)
			next++;
		syms[k] = (struct trec_sym){ .addr = v[i].addr, .size = pick_size(b, i, next, segs, nsegs) };
		syms[k].name = tarena_strndup(a, v[i].name, v[i].len);
		if (!syms[k].name)
			return trec_errf(err, -ENOMEM, "%s: out of memory for symbol names", path);
	}
	out->nsyms = (uint32_t)nout;
	out->syms = syms;
	if (b->nfuncs && add_unnamed(b, a, syms, nout, out))
		return trec_errf(err, -ENOMEM, "%s: out of memory for %zu functions", path, b->nfuncs);
	return 0;
}
