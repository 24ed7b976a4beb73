/* SPDX-License-Identifier: MIT */
/*
 * Fuller symbol tables than the trace has, from --symfs and --debug-dir
 * (symbolize.h says where they are looked for and which one wins).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "elfsyms.h"
#include "opts.h"
#include "reader.h"
#include "symbolize_int.h"

/*
 * Paths in the trace are data: a file is looked up only as DIR + PATH
 * for an absolute PATH without "." or ".." components (so the result
 * stays under DIR), or under DIR/.build-id by its build-id. Each mapped
 * file (build-id + path) is looked up once; of the files found that carry
 * its build-id, the one with the most symbols replaces the trace's table
 * when it has more.
 */

#define EXT_PATH_MAX 4096
#define EXT_MAX_CANDS 4
/* Perf and /proc spell a replaced file's path this way. */
static const char DELETED[] = " (deleted)";

/* dir + path[0..plen) + suffix into buf; -1 when path is not a plain
 * absolute path or the result is too long. */
static int join_under(char *buf, size_t len, const char *dir, const char *path, size_t plen, const char *suffix)
{
	if (!plen || path[0] != '/')
		return -1;
	for (size_t i = 0; i < plen;) {
		while (i < plen && path[i] == '/')
			i++;
		size_t j = i;
		while (j < plen && path[j] != '/')
			j++;
		if ((j - i == 1 && path[i] == '.') || (j - i == 2 && path[i] == '.' && path[i + 1] == '.'))
			return -1;
		i = j;
	}
	size_t dl = strlen(dir);
	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	if (dl > EXT_PATH_MAX || plen > EXT_PATH_MAX)
		return -1;
	int n = snprintf(buf, len, "%.*s%.*s%s", (int)dl, dir, (int)plen, path, suffix);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

struct cand {
	struct tarena a;
	struct trec_dso_syms t;
	struct elfsyms_info info;
};

/* Remembers the first message of a kind, in the symbolizer's strings. */
static void note_first(struct symbolizer *s, const char **slot, const char *msg)
{
	if (!*slot)
		*slot = tarena_strdup(&s->strings, msg); /* NULL on no memory: just no example */
}

/* Keeps a winning table's arena for the symbolizer's lifetime. */
static int keep_arena(struct symbolizer *s, struct tarena *a)
{
	if (s->next_arenas == s->cap_arenas) {
		uint32_t c = s->cap_arenas ? s->cap_arenas * 2 : 16;
		struct tarena *v = realloc(s->ext_arenas, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->ext_arenas = v;
		s->cap_arenas = c;
	}
	s->ext_arenas[s->next_arenas++] = *a;
	return 0;
}

/*
 * Where a debug file's code was loaded, from the mappings themselves: a
 * debug file keeps its executable segment's p_vaddr and p_memsz but not
 * its p_offset. The kernel maps that segment from the page holding
 * p_offset, and p_offset = p_vaddr modulo the alignment, so an executable
 * mapping that holds the whole segment gives p_offset = pgoff +
 * (p_vaddr - pgoff mod align), and the bias p_vaddr - p_offset. Only for
 * a file with one executable segment, and only when every such mapping
 * of the group agrees (a mapping split by mprotect would not hold the
 * whole segment and is skipped).
 */
static int derive_bias(const struct elfsyms_info *in, const struct trec_map *maps, const uint32_t *grp,
		       uint32_t ng, uint64_t *bias)
{
	if (in->nexec != 1 || !in->exec_memsz)
		return 0;
	uint64_t mod = in->exec_align >= 4096 && !(in->exec_align & (in->exec_align - 1)) ? in->exec_align : 4096;
	int have = 0;
	uint64_t b = 0;
	for (uint32_t i = 0; i < ng; i++) {
		const struct trec_map *m = &maps[grp[i]];
		if (!(m->prot & PROT_EXEC))
			continue;
		uint64_t delta = (in->exec_vaddr - m->pgoff) & (mod - 1);
		if (m->pgoff > UINT64_MAX - delta || m->len < delta || m->len - delta < in->exec_memsz)
			continue;
		uint64_t c = in->exec_vaddr - (m->pgoff + delta);
		if (have && c != b)
			return 0;
		b = c;
		have = 1;
	}
	*bias = b;
	return have;
}

/* Symbols of t that are not unnamed FDE entries; 0 for no table. */
static uint32_t named_count(const struct trec_dso_syms *t)
{
	uint32_t n = 0;
	for (uint32_t i = 0; t && i < t->nsyms; i++)
		n += !(t->syms[i].flags & TREC_SYM_FDE);
	return n;
}

/*
 * A file read here has raw names only (the analysis half has no
 * demangler): a symbol the trace's table also has, at the same address
 * under the same raw name, takes the demangled name recorded there. Both
 * tables are sorted by address; t's symbols are its own (in its arena).
 */
static void keep_demangled(struct trec_dso_syms *t, const struct trec_dso_syms *base)
{
	struct trec_sym *v = (struct trec_sym *)t->syms;
	uint32_t j = 0;
	for (uint32_t i = 0; i < t->nsyms; i++) {
		while (j < base->nsyms && base->syms[j].addr < v[i].addr)
			j++;
		for (uint32_t k = j; k < base->nsyms && base->syms[k].addr == v[i].addr; k++)
			if (base->syms[k].demangled && !strcmp(base->syms[k].name, v[i].name)) {
				v[i].demangled = base->syms[k].demangled;
				break;
			}
	}
}

/*
 * The table for the mapped file of maps[grp[0..ng)] (one build-id and
 * path): `base` (the trace's, maybe NULL), or a fuller one found under
 * the directories. 0, or -ENOMEM.
 */
typedef char ext_path[2 * EXT_PATH_MAX + 64];

static int ext_table(struct symbolizer *s, const struct symbolizer_opts *o, const struct trec_map *maps,
		     const uint32_t *grp, uint32_t ng, ext_path *paths, const struct trec_dso_syms **table)
{
	const struct trec_map *m = &maps[grp[0]];
	const struct trec_dso_syms *base = *table;
	uint32_t np = 0;

	size_t plen = strlen(m->path);
	if (plen > sizeof(DELETED) - 1 && !strcmp(m->path + plen - (sizeof(DELETED) - 1), DELETED))
		plen -= sizeof(DELETED) - 1;
	if (o->debug_dir && m->build_id_len >= 2) {
		char hex[2 * TREC_MAX_BUILD_ID + 1];
		for (unsigned i = 0; i < m->build_id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
		size_t dl = strlen(o->debug_dir);
		while (dl > 0 && o->debug_dir[dl - 1] == '/')
			dl--;
		if (dl <= EXT_PATH_MAX)
			snprintf(paths[np++], sizeof(paths[0]), "%.*s/.build-id/%.2s/%s.debug", (int)dl, o->debug_dir,
				 hex, hex + 2);
	}
	if (o->debug_dir && !join_under(paths[np], sizeof(paths[0]), o->debug_dir, m->path, plen, ""))
		np++;
	if (o->debug_dir && !join_under(paths[np], sizeof(paths[0]), o->debug_dir, m->path, plen, ".debug"))
		np++;
	if (o->symfs && !join_under(paths[np], sizeof(paths[0]), o->symfs, m->path, plen, ""))
		np++;
	if (!np)
		return 0;
	s->ext.dsos++;

	/* The build the trace recorded: the mapping's, else (a mapping
	 * without one, paired with a table by path) its table's. */
	const uint8_t *want = m->build_id;
	size_t want_len = m->build_id_len;
	if (!want_len && base && base->build_id_len) {
		want = base->build_id;
		want_len = base->build_id_len;
	}
	struct cand c[EXT_MAX_CANDS];
	uint32_t nc = 0;
	int rc = 0;
	for (uint32_t i = 0; i < np && !rc; i++) {
		int dup = 0;
		for (uint32_t k = 0; k < i; k++)
			dup |= !strcmp(paths[k], paths[i]);
		if (dup)
			continue;
		struct trec_err err = { 0 };
		struct cand *x = &c[nc];
		tarena_init(&x->a);
		int r = elfsyms_read_file(paths[i], want, want_len, &x->a, &x->t, &x->info, &err);
		if (!r) {
			s->ext.found++;
			nc++;
			continue;
		}
		tarena_free(&x->a);
		if (r == -ENOMEM) {
			rc = r;
		} else if (r == -ESTALE) {
			s->ext.mismatched++;
			note_first(s, &s->ext.mismatch_msg, trec_errmsg(&err, r));
		} else if (r != -ENOENT && r != -ENOTDIR && r != -ENAMETOOLONG) {
			s->ext.unreadable++;
			note_first(s, &s->ext.unreadable_msg, trec_errmsg(&err, r));
		}
	}

	/* the most symbols; the first found on a tie; the trace's own table
	 * unless one has more (its named symbols: FDE entries are guesses a
	 * real symbol table beats) */
	int best = -1, kept = -1;
	for (uint32_t i = 0; i < nc; i++)
		if (c[i].t.nsyms > (best < 0 ? named_count(base) : c[best].t.nsyms))
			best = (int)i;
	if (!rc && best >= 0) {
		struct cand *b = &c[best];
		uint64_t bias = 0;
		int known = 0;
		if (b->info.bias_known) {
			bias = b->t.load_bias;
			known = 1;
		} else if (base) {
			bias = base->load_bias; /* the recorder read it from the mapped file */
			known = 1;
		} else {
			for (uint32_t i = 0; i < nc && !known; i++)
				if (c[i].info.bias_known) {
					bias = c[i].t.load_bias; /* the real binary under --symfs */
					known = 1;
				}
			if (!known)
				known = derive_bias(&b->info, maps, grp, ng, &bias);
		}
		if (!known) {
			s->ext.no_bias++;
			note_first(s, &s->ext.no_bias_path, b->t.path);
		} else {
			struct trec_dso_syms *t = tarena_alloc(&b->a, sizeof(*t));
			if (!t || keep_arena(s, &b->a)) {
				rc = -ENOMEM;
			} else {
				*t = b->t;
				t->load_bias = bias;
				if (base)
					keep_demangled(t, base);
				*table = t;
				s->ext.used++;
				kept = best;
			}
		}
	}
	for (uint32_t i = 0; i < nc; i++)
		if ((int)i != kept)
			tarena_free(&c[i].a);
	return rc;
}

/* The search key of a mapping: build-id, then path. */
static int cmp_map_key(const void *x, const void *y, void *ctx)
{
	const struct trec_map *m = ctx;
	const struct trec_map *a = &m[*(const uint32_t *)x], *b = &m[*(const uint32_t *)y];
	if (a->build_id_len != b->build_id_len)
		return a->build_id_len < b->build_id_len ? -1 : 1;
	int c = memcmp(a->build_id, b->build_id, a->build_id_len);
	if (!c)
		c = strcmp(a->path, b->path);
	return c ? c : (*(const uint32_t *)x > *(const uint32_t *)y) - (*(const uint32_t *)x < *(const uint32_t *)y);
}

/* For every mapped file (s->maps still in file order): its table from
 * the directories, when one there is fuller. */
int sym_resolve_external(struct symbolizer *s, const struct trec_map *m, size_t nm,
			 const struct symbolizer_opts *o, struct trec_err *err)
{
	uint32_t *idx = malloc((nm ? nm : 1) * sizeof(*idx));
	ext_path *paths = malloc(EXT_MAX_CANDS * sizeof(*paths));
	if (!idx || !paths) {
		free(idx);
		free(paths);
		return trec_errf(err, -ENOMEM, "out of memory for %zu mappings", nm);
	}
	uint32_t n = 0;
	for (uint32_t i = 0; i < nm; i++)
		if (!s->maps[i].anon)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_map_key, (void *)m);
	int rc = 0;
	for (uint32_t i = 0, j; i < n && !rc; i = j) {
		const struct trec_map *a = &m[idx[i]];
		for (j = i + 1; j < n; j++) {
			const struct trec_map *b = &m[idx[j]];
			if (a->build_id_len != b->build_id_len || memcmp(a->build_id, b->build_id, a->build_id_len) ||
			    strcmp(a->path, b->path))
				break;
		}
		const struct trec_dso_syms *t = s->maps[idx[i]].syms;
		rc = ext_table(s, o, m, idx + i, j - i, paths, &t);
		for (uint32_t k = i; k < j; k++)
			s->maps[idx[k]].syms = t;
	}
	free(idx);
	free(paths);
	if (rc)
		return trec_errf(err, rc, "out of memory reading symbol files");
	return 0;
}
