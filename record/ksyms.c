/* SPDX-License-Identifier: MIT */
/*
 * The kernel's and the JITs' text symbol lists: /proc/kallsyms and
 * /tmp/perf-PID.map parsed from an open file, and the subset of kallsyms a
 * trace's kernel stacks need. libc only (no libelf): the files are opened
 * and vetted by symtab.c, and the fuzzer (fuzz/fuzz_ksyms.c) feeds these
 * parsers directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksyms.h"

/* Bytes of a perf map read at most: node --perf-basic-prof maps grow
 * for as long as the process runs. */
#define MAX_PERFMAP_BYTES (256u << 20)

/* ---- kallsyms ------------------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex number at *p (optional 0x, 1 to 16 digits); advances *p. */
static int parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int nd = 0, h;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hexval((unsigned char)s[2]) >= 0)
		s += 2;
	while ((h = hexval((unsigned char)*s)) >= 0) {
		if (++nd > 16)
			return -1;
		x = x << 4 | (uint64_t)h;
		s++;
	}
	if (!nd)
		return -1;
	*p = s;
	*v = x;
	return 0;
}

static int is_text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

struct kline {
	uint64_t addr;
	char type;
	const char *name;
	size_t namelen;
	const char *mod; /* "" for vmlinux */
	size_t modlen;
};

/* "ADDR TYPE NAME" or "ADDR TYPE NAME\t[MODULE]", newline stripped.
 * Returns 0 for a line in that format (any type), -1 otherwise. */
static int parse_kline(const char *s, struct kline *k)
{
	if (parse_hex(&s, &k->addr) || *s++ != ' ' || !*s || s[1] != ' ')
		return -1;
	k->type = *s;
	s += 2;
	k->name = s;
	k->namelen = strcspn(s, " \t");
	if (!k->namelen)
		return -1;
	s += k->namelen;
	k->mod = "";
	k->modlen = 0;
	if (!*s)
		return 0;
	if (s[0] != '\t' || s[1] != '[')
		return -1;
	k->mod = s + 2;
	const char *close = strchr(k->mod, ']');
	if (!close || close[1] || close == k->mod)
		return -1;
	k->modlen = (size_t)(close - k->mod);
	return 0;
}

struct kvec {
	struct trec_ksym *v;
	size_t n, cap;
};

static int kvec_push(struct kvec *kv, const struct trec_ksym *k)
{
	if (kv->n == kv->cap) {
		if (kv->cap >= SYMTAB_MAX_SYMS)
			return -E2BIG;
		size_t ncap = kv->cap ? kv->cap * 2 : 4096;
		if (ncap > SYMTAB_MAX_SYMS)
			ncap = SYMTAB_MAX_SYMS;
		struct trec_ksym *nv = realloc(kv->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		kv->v = nv;
		kv->cap = ncap;
	}
	kv->v[kv->n++] = *k;
	return 0;
}

/* Global (upper-case type) before local, then the shorter name, then
 * byte order: the first at an address is the name to show. */
static int cmp_ksym(const void *pa, const void *pb)
{
	const struct trec_ksym *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	int ga = isupper((unsigned char)a->type) != 0, gb = isupper((unsigned char)b->type) != 0;
	if (ga != gb)
		return ga ? -1 : 1;
	size_t la = strlen(a->name), lb = strlen(b->name);
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->module, b->module);
}

/* Reads a line of at most cap-1 bytes into buf, newline stripped.
 * Returns 1 for a line, 0 at EOF, -1 for a line that was too long (its
 * rest is consumed). */
static int read_line(FILE *f, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, f))
		return 0;
	size_t len = strlen(buf);
	if (len && buf[len - 1] == '\n') {
		buf[--len] = 0;
		if (len && buf[len - 1] == '\r')
			buf[--len] = 0;
		return 1;
	}
	if (len + 1 < cap)
		return 1; /* last line without a newline */
	int c;
	while ((c = getc(f)) != EOF && c != '\n')
		;
	return -1;
}

/* Lines longer than this are not kallsyms lines: skipped. */
#define KALLSYMS_MAX_LINE (SYMTAB_MAX_NAME * 2 + 64)
/* The file is read in arena chunks of this size: names stay where they
 * were read (NUL-terminated in place), so 120k symbols cost no copies. */
#define KALLSYMS_CHUNK (1u << 20)

/* Adds the text symbol on line `k` (NUL-terminated in place). Module names
 * come in runs, so comparing with the previous one shares each name across
 * its symbols. */
static int add_ksym(struct kvec *kv, struct kline *k, const char **last_mod)
{
	struct trec_ksym s = { .addr = k->addr, .type = k->type, .name = k->name, .module = "" };
	((char *)k->name)[k->namelen < SYMTAB_MAX_NAME ? k->namelen : SYMTAB_MAX_NAME] = 0;
	if (k->modlen) {
		size_t ml = k->modlen < SYMTAB_MAX_NAME ? k->modlen : SYMTAB_MAX_NAME;
		((char *)k->mod)[ml] = 0;
		if (!*last_mod || strcmp(*last_mod, k->mod) != 0)
			*last_mod = k->mod;
		s.module = *last_mod;
	}
	return kvec_push(kv, &s);
}

/* One line, newline already cut. Counts text lines in *text. */
static int kallsyms_line(char *line, size_t len, struct kvec *kv, const char **last_mod, size_t *text)
{
	if (len && line[len - 1] == '\r')
		line[--len] = 0;
	struct kline k;
	if (parse_kline(line, &k) || !is_text_type(k.type))
		return 0;
	++*text;
	if (!k.addr)
		return 0; /* hidden (kptr_restrict): judged by the caller */
	return add_ksym(kv, &k, last_mod);
}

/*
 * Reads fd to the end in chunks from the arena and parses each whole line
 * where it lies; a line cut by the end of a chunk moves to the start of the
 * next. One big read per chunk: the kernel formats /proc/kallsyms as fast
 * as it is asked, so small reads only add system calls.
 */
static int read_kallsyms_fd(int fd, const char *path, struct tarena *a, struct kvec *kv,
			    struct trec_err *err)
{
	const char *last_mod = NULL;
	size_t text = 0, carry = 0;
	char *prev = NULL;
	int skipping = 0; /* inside a line too long to be a symbol */

	for (;;) {
		char *buf = tarena_alloc(a, KALLSYMS_CHUNK + 1);
		if (!buf)
			return trec_errf(err, -ENOMEM, "%s: out of memory", path);
		if (carry)
			memcpy(buf, prev, carry);
		size_t len = carry;
		ssize_t got = 0;
		while (len < KALLSYMS_CHUNK) {
			got = read(fd, buf + len, KALLSYMS_CHUNK - len);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			len += (size_t)got;
		}
		if (got < 0)
			return trec_errf(err, -EIO, "%s: read error: %s", path, strerror(errno));
		int eof = len < KALLSYMS_CHUNK;
		buf[len] = 0;
		char *line = buf, *end = buf + len;
		for (;;) {
			char *nl = memchr(line, '\n', (size_t)(end - line));
			if (!nl)
				break;
			*nl = 0;
			size_t ll = (size_t)(nl - line);
			if (!skipping && ll < KALLSYMS_MAX_LINE) {
				int rc = kallsyms_line(line, ll, kv, &last_mod, &text);
				if (rc == -E2BIG)
					return trec_errf(err, rc, "%s: more than %u text symbols", path,
							 SYMTAB_MAX_SYMS);
				if (rc)
					return trec_errf(err, rc, "%s: out of memory", path);
			}
			skipping = 0;
			line = nl + 1;
		}
		carry = (size_t)(end - line);
		if (carry >= KALLSYMS_MAX_LINE) { /* the rest of an overlong line follows */
			skipping = 1;
			carry = 0;
		}
		if (eof) {
			if (carry && !skipping) { /* a last line without a newline */
				int rc = kallsyms_line(line, carry, kv, &last_mod, &text);
				if (rc)
					return trec_errf(err, rc, "%s: %s", path,
							 rc == -E2BIG ? "too many text symbols" : "out of memory");
			}
			break;
		}
		prev = line;
	}
	if (!text)
		return trec_errf(err, -ENODATA, "%s: no text symbols", path);
	if (!kv->n)
		return trec_errf(err, -EPERM,
				 "%s: kernel addresses are hidden (all shown as 0): run as root, "
				 "or set kernel.kptr_restrict=0 (sysctl)", path);
	return 0;
}

/*
 * Puts v in cmp_ksym order. The kernel lists vmlinux in address order but
 * for names that share an address, so an insertion sort finishes in one
 * pass with a few moves; modules come as blocks out of order, and when the
 * moves pass a budget the rest is left to qsort.
 */
static void sort_ksyms(struct trec_ksym *v, size_t n)
{
	size_t budget = 4 * n + 1024;
	for (size_t i = 1; i < n; i++) {
		if (v[i - 1].addr < v[i].addr)
			continue;
		struct trec_ksym x = v[i];
		size_t j = i;
		while (j > 0 && cmp_ksym(&v[j - 1], &x) > 0) {
			if (!budget--) {
				v[j] = x;
				qsort(v, n, sizeof(*v), cmp_ksym);
				return;
			}
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}


int ksyms_parse_kallsyms(int fd, const char *path, struct tarena *a, struct trec_ksym **out, size_t *n,
			 struct trec_err *err)
{
	struct kvec kv = { 0 };

	if (!a || !out || !n || !path)
		return trec_errf(err, -EINVAL, "kallsyms: bad arguments");
	*out = NULL;
	*n = 0;
	int rc = read_kallsyms_fd(fd, path, a, &kv, err);
	if (!rc) {
		sort_ksyms(kv.v, kv.n);
		*out = tarena_alloc(a, kv.n * sizeof(**out));
		if (!*out)
			rc = trec_errf(err, -ENOMEM, "%s: out of memory for %zu symbols", path, kv.n);
		else {
			memcpy(*out, kv.v, kv.n * sizeof(**out));
			*n = kv.n;
		}
	}
	free(kv.v);
	return rc;
}

/* ---- kernel subset ------------------------------------------------------------- */

/* Index of the last symbol with addr <= ip, or n when there is none. */
static size_t ksym_floor(const struct trec_ksym *all, size_t n, uint64_t ip)
{
	size_t lo = 0, hi = n; /* answer is lo - 1 after the loop */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (all[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : n;
}

static int copy_marked(const struct trec_ksym *all, size_t n, const uint8_t *mark, struct tarena *a,
		       struct trec_ksym **out, size_t *nout)
{
	size_t cnt = 0, k = 0;
	const char *src_mod = NULL, *dst_mod = NULL;

	for (size_t i = 0; i < n; i++)
		cnt += (mark[i / 8] >> (i % 8)) & 1;
	struct trec_ksym *v = cnt ? tarena_alloc(a, cnt * sizeof(*v)) : NULL;
	if (cnt && !v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!((mark[i / 8] >> (i % 8)) & 1))
			continue;
		const char *mod = all[i].module ? all[i].module : "";
		v[k] = all[i];
		v[k].name = tarena_strdup(a, all[i].name ? all[i].name : "");
		if (mod != src_mod) { /* a run of one module shares one copy */
			src_mod = mod;
			dst_mod = *mod ? tarena_strdup(a, mod) : "";
		}
		v[k].module = dst_mod;
		if (!v[k].name || !v[k].module)
			return -ENOMEM;
		k++;
	}
	*out = v;
	*nout = cnt;
	return 0;
}

int ksyms_kernel_subset(const struct trec_ksym *all, size_t n, const uint64_t *ips, size_t nips,
			struct tarena *a, struct trec_ksym **out, size_t *nout)
{
	if (!a || !out || !nout || (n && !all) || (nips && !ips))
		return -EINVAL;
	*out = NULL;
	*nout = 0;
	if (!n || !nips)
		return 0;
	/* A bitmap over `all` deduplicates and keeps address order for free. */
	uint8_t *mark = calloc((n + 7) / 8, 1);
	if (!mark)
		return -ENOMEM;
	for (size_t j = 0; j < nips; j++) {
		size_t i = ksym_floor(all, n, ips[j]);
		if (i == n)
			continue;
		size_t first = i;
		while (first > 0 && all[first - 1].addr == all[i].addr)
			first--;
		for (size_t k = first; k <= i + 1 && k < n; k++)
			mark[k / 8] |= (uint8_t)(1u << (k % 8));
	}
	int rc = copy_marked(all, n, mark, a, out, nout);
	free(mark);
	return rc;
}

/* ---- perf maps ------------------------------------------------------------------ */

struct pmsym {
	uint64_t addr, size;
	size_t off;  /* of the name in the names buffer */
	uint32_t len;
	uint32_t line; /* later lines win at one address */
};

struct pmvec {
	struct pmsym *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
};

/* "START SIZE name": hex numbers, then the name to the end of the line. */
static int parse_pmline(const char *s, uint64_t *start, uint64_t *size, const char **name)
{
	if (parse_hex(&s, start) || (*s != ' ' && *s != '\t'))
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (parse_hex(&s, size) || (*s != ' ' && *s != '\t'))
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || !*size || *size > UINT64_MAX - *start)
		return -1;
	*name = s;
	return 0;
}

static int pm_push(struct pmvec *pv, uint64_t start, uint64_t size, const char *name, uint32_t line)
{
	size_t len = strnlen(name, SYMTAB_MAX_NAME);
	if (pv->n == pv->cap) {
		size_t ncap = pv->cap ? pv->cap * 2 : 256;
		struct pmsym *nv = realloc(pv->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		pv->v = nv;
		pv->cap = ncap;
	}
	if (pv->ncap - pv->nlen < len) {
		size_t ncap = pv->ncap ? pv->ncap : 4096;
		while (ncap - pv->nlen < len)
			ncap *= 2;
		char *nn = realloc(pv->names, ncap);
		if (!nn)
			return -ENOMEM;
		pv->names = nn;
		pv->ncap = ncap;
	}
	memcpy(pv->names + pv->nlen, name, len);
	pv->v[pv->n++] = (struct pmsym){ start, size, pv->nlen, (uint32_t)len, line };
	pv->nlen += len;
	return 0;
}

static int cmp_pm(const void *pa, const void *pb)
{
	const struct pmsym *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (a->line < b->line) - (a->line > b->line); /* latest first */
}

/* Reads the lines of an open perf map, within the count and byte caps;
 * JIT maps grow without end, so hitting a cap keeps what was read. */
static int read_pm_lines(FILE *f, struct pmvec *pv)
{
	char *line = malloc(SYMTAB_MAX_PERFMAP_LINE + 2);
	uint64_t bytes = 0;
	uint32_t nline = 0;
	int r, rc = 0;

	if (!line)
		return -ENOMEM;
	while (nline < SYMTAB_MAX_SYMS && bytes < MAX_PERFMAP_BYTES &&
	       (r = read_line(f, line, SYMTAB_MAX_PERFMAP_LINE + 2)) != 0) {
		uint64_t start, size;
		const char *name;
		nline++;
		if (r < 0) {
			bytes += SYMTAB_MAX_PERFMAP_LINE;
			continue;
		}
		bytes += strlen(line) + 1;
		if (parse_pmline(line, &start, &size, &name))
			continue;
		if ((rc = pm_push(pv, start, size, name, nline)))
			break;
	}
	free(line);
	return rc;
}

/* Latest line per address, into the arena. */
static int pm_finish(struct pmvec *pv, struct tarena *a, struct trec_dso_syms *out)
{
	size_t k = 0;

	if (pv->n)
		qsort(pv->v, pv->n, sizeof(*pv->v), cmp_pm);
	struct trec_sym *syms = pv->n ? tarena_alloc(a, pv->n * sizeof(*syms)) : NULL;
	if (pv->n && !syms)
		return -ENOMEM;
	for (size_t i = 0; i < pv->n; i++) {
		if (i && pv->v[i].addr == pv->v[i - 1].addr)
			continue;
		syms[k].addr = pv->v[i].addr;
		syms[k].size = pv->v[i].size;
		if (!(syms[k].name = tarena_strndup(a, pv->names + pv->v[i].off, pv->v[i].len)))
			return -ENOMEM;
		k++;
	}
	out->syms = syms;
	out->nsyms = (uint32_t)k;
	return 0;
}

int ksyms_parse_perfmap(FILE *f, struct tarena *a, struct trec_dso_syms *out)
{
	struct pmvec pv = { 0 };

	if (!f || !a || !out)
		return -EINVAL;
	int rc = read_pm_lines(f, &pv);
	if (!rc && ferror(f))
		rc = -EIO;
	if (!rc)
		rc = pm_finish(&pv, a, out);
	free(pv.v);
	free(pv.names);
	return rc;
}
