/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fg_strtab.h"
#include "perf_inline.h"

extern char **environ;

/* What one program may print before it is cut off: addr2line prints a few
 * lines per address, nm one per symbol. */
#define CAPTURE_MAX (256u << 20)

struct perf_inline {
	int context;
	struct fg_strtab cache; /* "PC\0DSO" -> index + 1 into results */
	struct fg_strtab nm;    /* "DSO" -> index + 1 into results */
	char **results;
	size_t *result_len;
	size_t nresults, cap;
	struct tbuf key, out, line;
};

int perf_inline_new(struct perf_inline **out, int context)
{
	struct perf_inline *pi = calloc(1, sizeof(*pi));
	if (!pi)
		return -ENOMEM;
	pi->context = context;
	tbuf_init(&pi->key);
	tbuf_init(&pi->out);
	tbuf_init(&pi->line);
	if (fg_strtab_init(&pi->cache) || fg_strtab_init(&pi->nm)) {
		perf_inline_free(pi);
		return -ENOMEM;
	}
	*out = pi;
	return 0;
}

void perf_inline_free(struct perf_inline *pi)
{
	if (!pi)
		return;
	fg_strtab_free(&pi->cache);
	fg_strtab_free(&pi->nm);
	for (size_t i = 0; i < pi->nresults; i++)
		free(pi->results[i]);
	free(pi->results);
	free(pi->result_len);
	tbuf_free(&pi->key);
	tbuf_free(&pi->out);
	tbuf_free(&pi->line);
	free(pi);
}

/* Keeps a copy of s; its index + 1, or 0 when out of memory. */
static uint64_t keep(struct perf_inline *pi, const char *s, size_t n)
{
	if (pi->nresults == pi->cap) {
		size_t cap = pi->cap ? pi->cap * 2 : 64;
		char **r = realloc(pi->results, cap * sizeof(*r));
		if (!r)
			return 0;
		pi->results = r;
		size_t *l = realloc(pi->result_len, cap * sizeof(*l));
		if (!l)
			return 0;
		pi->result_len = l;
		pi->cap = cap;
	}
	char *copy = malloc(n + 1);
	if (!copy)
		return 0;
	memcpy(copy, s, n);
	copy[n] = 0;
	pi->results[pi->nresults] = copy;
	pi->result_len[pi->nresults] = n;
	return ++pi->nresults;
}

/* Runs argv (found on PATH) with stdin from /dev/null; its stdout into
 * out. 0, or -errno (-ENOENT: no such program). */
static int capture(char *const argv[], struct tbuf *out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc) {
		close(p[0]);
		return -rc;
	}
	tbuf_reset(out);
	for (;;) {
		if (tbuf_reserve(out, 65536)) {
			rc = -ENOMEM;
			break;
		}
		ssize_t n = read(p[0], out->data + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		if (out->len > CAPTURE_MAX) {
			rc = -EFBIG;
			break;
		}
	}
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* exec failed in the child (posix_spawnp may report it this way) */
	if (!rc && WIFEXITED(status) && WEXITSTATUS(status) == 127 && !out->len)
		rc = -ENOENT;
	return rc;
}

/* s/ \(discriminator \S+\)//: the first such note in line[0..*n). */
static void drop_discriminator(char *s, size_t *n)
{
	static const char note[] = " (discriminator ";
	const size_t nl = sizeof(note) - 1;
	for (char *p = s; (p = memmem(p, (size_t)(s + *n - p), note, nl)); p++) {
		char *r = p + nl, *e = r;
		while (e < s + *n && !(*e == ' ' || (*e >= '\t' && *e <= '\r')))
			e++;
		char *close = NULL;
		for (char *q = r + 1; q < e; q++)
			if (*q == ')')
				close = q;
		if (!close)
			continue;
		memmove(p, close + 1, (size_t)(s + *n - (close + 1)));
		*n -= (size_t)(close + 1 - p);
		return;
	}
}

/* addr2line's answer (its first line, the address, dropped) as one
 * folded group: function lines paired with location lines, callers
 * first. */
static int fold_answer(struct perf_inline *pi, struct tbuf *a, struct tbuf *res)
{
	char *s = (char *)a->data;
	size_t n = a->len;
	char *nl = memchr(s, '\n', n);
	if (nl) {
		n -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	/* Pairs come innermost first; each is put in front. */
	struct tbuf *l = &pi->line;
	tbuf_reset(res);
	size_t item_off = 0, item_len = 0;
	int have_item = 0;
	while (n) {
		nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) : n;
		size_t adv = nl ? len + 1 : len;
		drop_discriminator(s, &len);
		if (!have_item) {
			/* Perl's `$one_item eq ""`: an empty function line leaves
			 * the pairing where it was. */
			item_off = (size_t)(s - (char *)a->data);
			item_len = len;
			have_item = len > 0;
		} else {
			tbuf_reset(l);
			tbuf_put(l, a->data + item_off, item_len);
			if (pi->context) {
				tbuf_put_u8(l, ':');
				tbuf_put(l, s, len);
			}
			if (res->len)
				tbuf_put_u8(l, ';');
			tbuf_put(l, res->data, res->len);
			tbuf_reset(res);
			tbuf_put(res, l->data, l->len);
			have_item = 0;
		}
		/* (The discriminator's removal moved bytes within this line only.) */
		s += adv;
		n -= adv;
	}
	return res->oom || l->oom ? -ENOMEM : 0;
}

static int addr2line(struct perf_inline *pi, const char *pc, const char *dso, struct tbuf *res)
{
	char *argv[] = { "addr2line", "-a", (char *)pc, "-e", (char *)dso, "-i", "-f", "-s", "-C",
			 NULL };
	int rc = capture(argv, &pi->out);
	if (rc)
		return rc;
	return fold_answer(pi, &pi->out, res);
}

/* `nm DSO`, once per dso. NULL when it could not run. */
static const char *nm_of(struct perf_inline *pi, const char *dso, size_t *len)
{
	int added;
	uint64_t *v = fg_strtab_upsert(&pi->nm, dso, strlen(dso), &added);
	if (!v)
		return NULL;
	if (added) {
		char *argv[] = { "nm", (char *)dso, NULL };
		struct tbuf out;
		tbuf_init(&out);
		int rc = capture(argv, &out);
		*v = rc || out.oom ? keep(pi, "", 0) : keep(pi, (const char *)out.data, out.len);
		tbuf_free(&out);
		if (!*v)
			return NULL;
	}
	*len = pi->result_len[*v - 1];
	return pi->results[*v - 1];
}

/* "sym+0x1a": the first nm line "ADDR T sym" gives sym's address; the
 * frame's address is that plus 0x1a. 1 and *pc when found. */
static int place_by_nm(struct perf_inline *pi, const char *sym, size_t sym_len, const char *dso,
		       unsigned long long *pc)
{
	size_t h = sym_len;
	while (h && ((sym[h - 1] >= '0' && sym[h - 1] <= '9') || (sym[h - 1] >= 'a' && sym[h - 1] <= 'f')))
		h--;
	if (h == sym_len || h < 4 || memcmp(sym + h - 3, "+0x", 3))
		return 0;
	size_t name_len = h - 3;
	size_t n;
	const char *t = nm_of(pi, dso, &n);
	if (!t)
		return 0;
	for (const char *ln = t; ln < t + n;) {
		const char *e = memchr(ln, '\n', (size_t)(t + n - ln));
		size_t len = e ? (size_t)(e - ln) : (size_t)(t + n - ln);
		size_t a = 0;
		while (a < len && ((ln[a] >= '0' && ln[a] <= '9') || (ln[a] >= 'a' && ln[a] <= 'f')))
			a++;
		if (a && len == a + 3 + name_len && ln[a] == ' ' && ln[a + 2] == ' ' &&
		    !memcmp(ln + a + 3, sym, name_len)) {
			*pc = strtoull(ln, NULL, 16) + strtoull(sym + h - 3 + 1, NULL, 16);
			return 1;
		}
		ln += len + 1;
	}
	return 0;
}

static int resolve(struct perf_inline *pi, const char *pc, const char *sym, size_t sym_len,
		   const char *dso, const char **res, size_t *res_len)
{
	struct tbuf *k = &pi->key;
	tbuf_reset(k);
	tbuf_put(k, pc, strlen(pc) + 1);
	tbuf_put(k, dso, strlen(dso));
	if (k->oom)
		return -ENOMEM;
	uint64_t *v = fg_strtab_find(&pi->cache, (const char *)k->data, k->len);
	if (v) {
		*res = pi->results[*v - 1];
		*res_len = pi->result_len[*v - 1];
		return 0;
	}
	struct tbuf r;
	tbuf_init(&r);
	int rc = addr2line(pi, pc, dso, &r);
	const char *ans = (const char *)pi->out.data;
	unsigned long long at;
	if (!rc && pi->out.len && memmem(ans, pi->out.len, "??\n??:0", 7) &&
	    place_by_nm(pi, sym, sym_len, dso, &at)) {
		char newpc[32];
		snprintf(newpc, sizeof(newpc), "0x%llx", at);
		const char *sub;
		size_t sub_len;
		rc = resolve(pi, newpc, "", 0, dso, &sub, &sub_len);
		tbuf_reset(&r);
		tbuf_put(&r, sub, sub_len);
	}
	if (rc || r.oom) {
		tbuf_free(&r);
		return rc ? rc : -ENOMEM;
	}
	/* The key again: the recursion above reused the buffer. */
	tbuf_reset(k);
	tbuf_put(k, pc, strlen(pc) + 1);
	tbuf_put(k, dso, strlen(dso));
	int added;
	uint64_t id = keep(pi, r.len ? (const char *)r.data : "", r.len);
	tbuf_free(&r);
	if (!id || k->oom || !(v = fg_strtab_upsert(&pi->cache, (const char *)k->data, k->len, &added)))
		return -ENOMEM;
	*v = id;
	*res = pi->results[id - 1];
	*res_len = pi->result_len[id - 1];
	return 0;
}

int perf_inline_resolve(void *ctx, const char *pc, size_t pc_len, const char *sym, size_t sym_len,
			const char *dso, size_t dso_len, struct tbuf *out)
{
	struct perf_inline *pi = ctx;
	/* NUL-terminated copies for argv; a NUL inside cannot be passed on. */
	if (memchr(pc, 0, pc_len) || memchr(dso, 0, dso_len))
		return 0;
	char *p = strndup(pc, pc_len), *d = strndup(dso, dso_len);
	int rc = -ENOMEM;
	if (p && d) {
		const char *res;
		size_t len;
		rc = resolve(pi, p, sym, sym_len, d, &res, &len);
		if (!rc)
			tbuf_put(out, res, len);
	}
	free(p);
	free(d);
	return rc;
}
