/* SPDX-License-Identifier: MIT */
/*
 * The symbolizer's indexes, built once (see symbolize.h for the rules):
 *
 *   procs    sorted by pid; each owns a run of epochs and of change points
 *   epochs   one address space of a process: from its start (0, an exec,
 *            or the fork that created it) to the next such boundary; owns
 *            a run of maps sorted by start
 *   maps     every mapping record, grouped by epoch, with the DSO table it
 *            resolves to (looked up once here, not per frame)
 *   change   per process, the sorted timestamps at which its view changes
 *            (a mapping or a boundary): symbolizer_generation's answer
 *   ksyms    kernel symbols sorted by address, aliases collapsed
 *
 * Mappings of one epoch may overlap (a region mapped again later), so a
 * lookup cannot stop at the last start <= ip: each map also keeps the
 * largest end among itself and the maps before it (by start), and the
 * search walks back only while that bound still reaches ip.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "opts.h"
#include "reader.h"
#include "symbolize.h"
#include "symbolize_int.h"

/* Forks nest: a child looks into its parent's space, which may look into
 * its own parent's. Bounded so a cycle in a damaged file cannot loop. */
#define MAX_FORK_DEPTH 32

static const char KERNEL_DSO[] = "[kernel.kallsyms]";
static const char ANON_DSO[] = "[anon]";

/* ---- small helpers ------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

/* Anonymous memory as the recorder or perf spell it. */
static int is_anon_path(const char *path)
{
	return !path[0] || !strncmp(path, "//anon", 6) || !strncmp(path, "[anon", 5);
}

/* "/tmp/perf-PID.map": the table perf's JIT convention has runtimes write. */
static int jit_table_pid(const char *path, uint32_t *pid)
{
	static const char pre[] = "/tmp/perf-";
	if (strncmp(path, pre, sizeof(pre) - 1))
		return 0;
	const char *p = path + sizeof(pre) - 1;
	uint64_t v = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (!digits || v > UINT32_MAX || strcmp(p, ".map"))
		return 0;
	*pid = (uint32_t)v;
	return 1;
}

/* Grows an array of `elem`-sized items to hold n more; 0 or -ENOMEM. */
static int grow(void **p, size_t *cap, size_t n, size_t need, size_t elem)
{
	if (n + need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	while (c < n + need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* ---- DSO tables: by build-id, by path -------------------------------------------- */

struct dso_index {
	const struct trec_dso_syms *all;
	uint32_t *by_bid;  /* tables with a build-id, by (len, bytes, file order) */
	uint32_t nbid;
	uint32_t *by_path; /* every table, by (path, file order) */
	uint32_t npath;
};

static int cmp_bid(const struct trec_dso_syms *a, const uint8_t *bid, uint8_t len)
{
	if (a->build_id_len != len)
		return a->build_id_len < len ? -1 : 1;
	return memcmp(a->build_id, bid, len);
}

static int cmp_by_bid(const void *x, const void *y, void *ctx)
{
	const struct trec_dso_syms *d = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int c = cmp_bid(&d[a], d[b].build_id, d[b].build_id_len);
	return c ? c : (a > b) - (a < b);
}

static int cmp_by_path(const void *x, const void *y, void *ctx)
{
	const struct trec_dso_syms *d = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int c = strcmp(d[a].path, d[b].path);
	return c ? c : (a > b) - (a < b);
}

static int dso_index_build(struct dso_index *ix, const struct trec_dso_syms *d, size_t n)
{
	memset(ix, 0, sizeof(*ix));
	ix->all = d;
	if (!n)
		return 0;
	ix->by_bid = malloc(n * sizeof(*ix->by_bid));
	ix->by_path = malloc(n * sizeof(*ix->by_path));
	if (!ix->by_bid || !ix->by_path)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (d[i].build_id_len)
			ix->by_bid[ix->nbid++] = i;
		ix->by_path[ix->npath++] = i;
	}
	qsort_r(ix->by_bid, ix->nbid, sizeof(uint32_t), cmp_by_bid, (void *)d);
	qsort_r(ix->by_path, ix->npath, sizeof(uint32_t), cmp_by_path, (void *)d);
	return 0;
}

static void dso_index_free(struct dso_index *ix)
{
	free(ix->by_bid);
	free(ix->by_path);
}

static const struct trec_dso_syms *find_by_bid(const struct dso_index *ix, const uint8_t *bid, uint8_t len)
{
	uint32_t lo = 0, hi = ix->nbid;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (cmp_bid(&ix->all[ix->by_bid[mid]], bid, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->nbid && !cmp_bid(&ix->all[ix->by_bid[lo]], bid, len))
		return &ix->all[ix->by_bid[lo]];
	return NULL;
}

/* The first table (file order) with this path; with `no_bid`, the first
 * one that has no build-id either. */
static const struct trec_dso_syms *find_by_path(const struct dso_index *ix, const char *path, int no_bid)
{
	uint32_t lo = 0, hi = ix->npath;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->all[ix->by_path[mid]].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->npath && !strcmp(ix->all[ix->by_path[lo]].path, path); lo++)
		if (!no_bid || !ix->all[ix->by_path[lo]].build_id_len)
			return &ix->all[ix->by_path[lo]];
	return NULL;
}

/*
 * A mapping's table: the one with its build-id. A mapping without a
 * build-id takes a table with its path; one with a build-id takes a
 * same-path table only when that table has no build-id to contradict it
 * (a table with another build-id is another file, whatever its path).
 */
static const struct trec_dso_syms *table_for_map(const struct dso_index *ix, const struct trec_map *m)
{
	if (m->build_id_len) {
		const struct trec_dso_syms *t = find_by_bid(ix, m->build_id, m->build_id_len);
		return t ? t : find_by_path(ix, m->path, 1);
	}
	return find_by_path(ix, m->path, 0);
}

/* ---- address-space boundaries from the task records -------------------------------- */

struct boundary {
	uint32_t pid;
	uint32_t seq;
	uint64_t ts;
	uint32_t parent; /* fork: the parent pid */
	int is_fork;
};

static int cmp_boundary(const void *x, const void *y)
{
	const struct boundary *a = x, *b = y;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * An exec replaces the address space; a fork that makes a new process
 * starts one as a copy of the parent's, and also marks pid reuse. A new
 * process is its own first thread (tid == pid) in a new group (pid !=
 * ppid); any other fork record is a thread joining an existing space. Exits are not boundaries: a thread
 * group leader may exit while its other threads run on, and a reused pid
 * always begins with a fork.
 */
static int collect_boundaries(const struct trec_task *t, size_t n, struct boundary **out, size_t *nout)
{
	struct boundary *b = NULL;
	size_t k = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		int is_exec = t[i].kind == TREC_TASK_EXEC;
		int is_fork = t[i].kind == TREC_TASK_FORK && t[i].tid == t[i].pid && t[i].pid != t[i].ppid;
		if (!is_exec && !is_fork)
			continue;
		if (grow((void **)&b, &cap, k, 1, sizeof(*b))) {
			free(b);
			return -ENOMEM;
		}
		b[k++] = (struct boundary){ .pid = t[i].pid, .seq = (uint32_t)i, .ts = t[i].ts,
					    .parent = t[i].ppid, .is_fork = is_fork };
	}
	if (k)
		qsort(b, k, sizeof(*b), cmp_boundary);
	*out = b;
	*nout = k;
	return 0;
}

/* ---- building the process index --------------------------------------------------- */

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

static int cmp_umap(const void *x, const void *y)
{
	const struct umap *a = x, *b = y;
	if (a->epoch != b->epoch)
		return a->epoch < b->epoch ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static struct proc *find_proc(struct symbolizer *s, uint32_t pid)
{
	if (s->last_proc < s->nprocs && s->procs[s->last_proc].pid == pid)
		return &s->procs[s->last_proc];
	uint32_t lo = 0, hi = s->nprocs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nprocs && s->procs[lo].pid == pid) {
		s->last_proc = lo;
		return &s->procs[lo];
	}
	return NULL;
}

/* The epoch of p that ts falls in: the last one beginning at or before ts. */
static uint32_t epoch_at(const struct symbolizer *s, const struct proc *p, uint64_t ts)
{
	uint32_t lo = 0, hi = p->nepochs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->epochs[p->first_epoch + mid].begin <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return p->first_epoch + (lo ? lo - 1 : 0);
}

/* Every pid that has mappings, boundaries or a JIT table, sorted, unique. */
static int make_procs(struct symbolizer *s, const struct trec_map *m, size_t nm, const struct boundary *b,
		      size_t nb, const struct dso_index *ix)
{
	size_t cap = nm + nb + ix->npath;
	uint32_t *pids = malloc((cap ? cap : 1) * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < nm; i++)
		pids[k++] = m[i].pid;
	for (size_t i = 0; i < nb; i++)
		pids[k++] = b[i].pid;
	for (uint32_t i = 0; i < ix->npath; i++) {
		uint32_t pid;
		if (jit_table_pid(ix->all[ix->by_path[i]].path, &pid))
			pids[k++] = pid;
	}
	qsort(pids, k, sizeof(*pids), cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || pids[u - 1] != pids[i])
			pids[u++] = pids[i];
	s->procs = calloc(u ? u : 1, sizeof(*s->procs));
	if (!s->procs) {
		free(pids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < u; i++)
		s->procs[i].pid = pids[i];
	s->nprocs = (uint32_t)u;
	free(pids);
	return 0;
}

/* One epoch per process, plus one per boundary, in (pid, ts) order. */
static int make_epochs(struct symbolizer *s, const struct boundary *b, size_t nb)
{
	s->nepochs = s->nprocs + (uint32_t)nb;
	s->epochs = calloc(s->nepochs ? s->nepochs : 1, sizeof(*s->epochs));
	if (!s->epochs)
		return -ENOMEM;
	uint32_t e = 0;
	size_t bi = 0;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct proc *p = &s->procs[i];
		p->first_epoch = e;
		s->epochs[e++] = (struct epoch){ .begin = 0, .first_of_proc = 1 };
		for (; bi < nb && b[bi].pid == p->pid; bi++) {
			struct epoch *ep = &s->epochs[e++];
			ep->begin = b[bi].ts;
			if (b[bi].is_fork) {
				ep->has_parent = 1;
				ep->parent = b[bi].parent;
				ep->fork_ts = b[bi].ts;
			}
		}
		p->nepochs = e - p->first_epoch;
	}
	return 0;
}

static int make_maps(struct symbolizer *s, const struct trec_map *m, size_t nm, const struct dso_index *ix,
		     const struct symbolizer_opts *o, struct trec_err *err)
{
	s->maps = calloc(nm ? nm : 1, sizeof(*s->maps));
	if (!s->maps)
		return trec_errf(err, -ENOMEM, "out of memory for %zu mappings", nm);
	s->nmaps = (uint32_t)nm;
	for (size_t i = 0; i < nm; i++) {
		struct umap *u = &s->maps[i];
		const struct proc *p = find_proc(s, m[i].pid); /* always found: make_procs saw it */
		u->start = m[i].start;
		u->end = m[i].len > UINT64_MAX - m[i].start ? UINT64_MAX : m[i].start + m[i].len;
		u->pgoff = m[i].pgoff;
		u->ts = m[i].ts;
		u->seq = (uint32_t)i;
		u->epoch = epoch_at(s, p, m[i].ts);
		u->anon = is_anon_path(m[i].path);
		u->rec = &m[i];
		u->name = u->anon ? ANON_DSO : base_name(m[i].path);
		if (!u->anon)
			u->syms = table_for_map(ix, &m[i]);
	}
	if (o->symfs || o->debug_dir) {
		int rc = sym_resolve_external(s, m, nm, o, err);
		if (rc)
			return rc;
	}
	if (nm)
		qsort(s->maps, nm, sizeof(*s->maps), cmp_umap);
	/* Each epoch's run, its running max end, and its earliest ts. */
	for (uint32_t i = 0; i < s->nmaps;) {
		struct epoch *ep = &s->epochs[s->maps[i].epoch];
		uint32_t j = i;
		uint64_t max_end = 0, min_ts = UINT64_MAX;
		for (; j < s->nmaps && s->maps[j].epoch == s->maps[i].epoch; j++) {
			if (s->maps[j].end > max_end)
				max_end = s->maps[j].end;
			s->maps[j].max_end = max_end;
			if (s->maps[j].ts < min_ts)
				min_ts = s->maps[j].ts;
		}
		ep->first = i;
		ep->n = j - i;
		ep->snap_ts = min_ts;
		i = j;
	}
	return 0;
}

/* Per process, the distinct timestamps at which what it sees changes. */
static int make_changes(struct symbolizer *s, const struct boundary *b, size_t nb)
{
	size_t total = s->nmaps + nb;
	s->change = malloc((total ? total : 1) * sizeof(*s->change));
	if (!s->change)
		return -ENOMEM;
	uint32_t k = 0;
	size_t mi = 0, bi = 0;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct proc *p = &s->procs[i];
		uint32_t first = k;
		uint32_t elast = p->first_epoch + p->nepochs;
		/* maps are grouped by epoch, and epochs by process */
		for (; mi < s->nmaps && s->maps[mi].epoch < elast; mi++)
			s->change[k++] = s->maps[mi].ts;
		for (; bi < nb && b[bi].pid == p->pid; bi++)
			s->change[k++] = b[bi].ts;
		qsort(s->change + first, k - first, sizeof(*s->change), cmp_u64);
		uint32_t u = first;
		for (uint32_t j = first; j < k; j++)
			if (u == first || s->change[u - 1] != s->change[j])
				s->change[u++] = s->change[j];
		k = u;
		p->first_change = first;
		p->nchange = k - first;
	}
	s->nchange = k;
	return 0;
}

static void attach_jit(struct symbolizer *s, const struct dso_index *ix)
{
	/* by_path order: of two tables for one pid, the first in the file wins */
	for (uint32_t i = 0; i < ix->npath; i++) {
		const struct trec_dso_syms *t = &ix->all[ix->by_path[i]];
		uint32_t pid;
		if (!jit_table_pid(t->path, &pid))
			continue;
		struct proc *p = find_proc(s, pid);
		if (p && !p->jit) {
			p->jit = t;
			p->jit_name = base_name(t->path);
		}
	}
}

/* ---- kernel symbols ---------------------------------------------------------------- */

struct kseq {
	struct kent k;
	uint32_t seq;
};

static int cmp_kseq(const void *x, const void *y)
{
	const struct kseq *a = x, *b = y;
	if (a->k.addr != b->k.addr)
		return a->k.addr < b->k.addr ? -1 : 1;
	/* An empty name only marks where the symbol below ends (the recorder
	 * writes one where no symbol starts there): any name wins over it. */
	int ea = !a->k.name[0], eb = !b->k.name[0];
	if (ea != eb)
		return ea - eb;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * Sorted by address (a file may hold several KSYMS blocks, each sorted on
 * its own), aliases collapsed to the first in file order. Module names get
 * their brackets here, once per run of one module (modules' symbols come
 * together in kallsyms).
 */
static int make_ksyms(struct symbolizer *s, const struct trec_ksym *k, size_t n)
{
	if (!n)
		return 0;
	struct kseq *t = malloc(n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	const char *prev_mod = NULL, *prev_dso = KERNEL_DSO;
	for (size_t i = 0; i < n; i++) {
		const char *mod = k[i].module ? k[i].module : "";
		const char *dso = KERNEL_DSO;
		if (mod[0]) {
			if (prev_mod && !strcmp(prev_mod, mod)) {
				dso = prev_dso;
			} else {
				size_t len = strlen(mod);
				char *d = tarena_alloc(&s->strings, len + 3);
				if (!d) {
					free(t);
					return -ENOMEM;
				}
				d[0] = '[';
				memcpy(d + 1, mod, len);
				d[len + 1] = ']';
				dso = d;
			}
		}
		prev_mod = mod;
		prev_dso = dso;
		t[i] = (struct kseq){ .k = { .addr = k[i].addr, .name = k[i].name, .dso = dso }, .seq = (uint32_t)i };
	}
	qsort(t, n, sizeof(*t), cmp_kseq);
	s->ksyms = malloc(n * sizeof(*s->ksyms));
	if (!s->ksyms) {
		free(t);
		return -ENOMEM;
	}
	uint32_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || s->ksyms[u - 1].addr != t[i].k.addr)
			s->ksyms[u++] = t[i].k;
	s->nksyms = u;
	free(t);
	return 0;
}

/* ---- construction ------------------------------------------------------------------ */

int symbolizer_new(struct trec_reader *r, const struct symbolizer_opts *o, struct symbolizer **out,
		   struct trec_err *err)
{
	struct symbolizer_opts opts;
	*out = NULL;
	if (opts_copy(&opts, sizeof(opts), o, o ? o->sz : 0))
		return trec_errf(err, -EINVAL, "symbolizer: options this build does not know are set");

	const struct trec_map *maps;
	const struct trec_task *tasks;
	const struct trec_dso_syms *dsos;
	const struct trec_ksym *ksyms;
	size_t nmaps, ntasks, ndsos, nksyms;
	int rc;
	if ((rc = trec_reader_maps(r, &maps, &nmaps, err)) < 0 ||
	    (rc = trec_reader_tasks(r, &tasks, &ntasks, err)) < 0 ||
	    (rc = trec_reader_dso_syms(r, &dsos, &ndsos, err)) < 0 ||
	    (rc = trec_reader_ksyms(r, &ksyms, &nksyms, err)) < 0)
		return rc;
	/* Indexes are 32-bit: 4 billion mappings is no trace this reader can load. */
	if (nmaps >= UINT32_MAX / 2 || ntasks >= UINT32_MAX / 2 || ndsos >= UINT32_MAX / 2 ||
	    nksyms >= UINT32_MAX)
		return trec_errf(err, -E2BIG, "too many mappings, tasks or symbols to index");

	struct symbolizer *s = calloc(1, sizeof(*s));
	if (!s)
		return trec_errf(err, -ENOMEM, "out of memory");
	tarena_init(&s->strings);
	struct dso_index ix;
	struct boundary *b = NULL;
	size_t nb = 0;

	rc = dso_index_build(&ix, dsos, ndsos);
	if (!rc)
		rc = collect_boundaries(tasks, ntasks, &b, &nb);
	if (!rc)
		rc = make_procs(s, maps, nmaps, b, nb, &ix);
	if (!rc)
		rc = make_epochs(s, b, nb);
	s->demangle = !opts.no_demangle;
	if (rc < 0) {
		trec_errf(err, rc, "out of memory indexing %zu mappings and %zu tasks", nmaps, ntasks);
		goto fail;
	}
	rc = make_maps(s, maps, nmaps, &ix, &opts, err);
	if (rc < 0)
		goto fail;
	rc = make_changes(s, b, nb);
	if (!rc)
		rc = make_ksyms(s, ksyms, nksyms);
	if (rc < 0) {
		trec_errf(err, rc, "out of memory indexing %zu mappings and %zu kernel symbols", nmaps, nksyms);
		goto fail;
	}
	attach_jit(s, &ix);
	s->mem = sizeof(*s) + (size_t)s->nprocs * sizeof(*s->procs) + (size_t)s->nepochs * sizeof(*s->epochs) +
		 (size_t)s->nmaps * sizeof(*s->maps) + (size_t)s->nchange * sizeof(*s->change) +
		 (size_t)s->nksyms * sizeof(*s->ksyms) + s->strings.used;
	for (uint32_t i = 0; i < s->next_arenas; i++)
		s->mem += s->ext_arenas[i].used;
	dso_index_free(&ix);
	free(b);
	*out = s;
	return 0;
fail:
	dso_index_free(&ix);
	free(b);
	symbolizer_free(s);
	return rc;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	free(s->procs);
	free(s->epochs);
	free(s->maps);
	free(s->change);
	free(s->ksyms);
	tarena_free(&s->strings);
	for (uint32_t i = 0; i < s->next_arenas; i++)
		tarena_free(&s->ext_arenas[i]);
	free(s->ext_arenas);
	free(s);
}

size_t symbolizer_mem_bytes(const struct symbolizer *s)
{
	return s ? s->mem : 0;
}

void symbolizer_ext_stats(const struct symbolizer *s, struct symbolizer_ext_stats *st)
{
	if (s)
		*st = s->ext;
	else
		memset(st, 0, sizeof(*st));
}

/* ---- lookups ------------------------------------------------------------------------- */

/*
 * The symbol naming `addr` in a table sorted by address. Among aliases
 * (one address, several names) the first sized one that covers addr wins;
 * when any alias has a size, sizes say where the code ends (an unsized
 * alias is a label at the start, not a longer function). Only when none
 * has a size does the first reach up to the next symbol; the last symbol
 * then reaches on only when `open_end` (a mapping bounds it).
 */
static const struct trec_sym *find_sym(const struct trec_dso_syms *t, uint64_t addr, int open_end)
{
	const struct trec_sym *sy = t->syms;
	uint32_t lo = 0, hi = t->nsyms;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (sy[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	uint32_t last = lo - 1, first = last;
	while (first > 0 && sy[first - 1].addr == sy[last].addr)
		first--;
	int sized = 0;
	for (uint32_t i = first; i <= last; i++) {
		if (sy[i].size) {
			if (addr - sy[i].addr < sy[i].size)
				return &sy[i];
			sized = 1;
		}
	}
	if (sized)
		return NULL;
	/* lo < nsyms: the next symbol starts above addr, so it bounds this one */
	if (lo < t->nsyms || open_end || addr == sy[first].addr)
		return &sy[first];
	return NULL;
}

/* The name to show: demangled when the trace has that form and the user
 * did not ask for raw names. */
static const char *display_name(const struct symbolizer *s, const struct trec_sym *sym)
{
	return s->demangle && sym->demangled && sym->demangled[0] ? sym->demangled : sym->name;
}

/*
 * The mapping of epoch `e` covering ip at ts: the latest
 * one mapped at or before ts. Before the first of them, the earliest
 * batch of the process's first epoch counts (the /proc snapshot is taken
 * just after the probes attach, so early events precede it). Failing
 * both, a forked process sees what its parent had at the fork.
 */
static const struct umap *find_map(struct symbolizer *s, uint32_t e, uint64_t ip, uint64_t ts, int depth)
{
	const struct epoch *ep = &s->epochs[e];
	const struct umap *m = s->maps + ep->first;
	uint32_t lo = 0, hi = ep->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct umap *best = NULL, *snap = NULL;
	for (uint32_t i = lo; i-- > 0 && m[i].max_end > ip;) {
		const struct umap *c = &m[i];
		if (ip >= c->end)
			continue;
		if (c->ts <= ts) {
			if (!best || c->ts > best->ts || (c->ts == best->ts && c->seq > best->seq))
				best = c;
		} else if (ep->first_of_proc && c->ts == ep->snap_ts && (!snap || c->seq > snap->seq)) {
			snap = c;
		}
	}
	if (best)
		return best;
	if (snap)
		return snap;
	if (ep->has_parent && depth < MAX_FORK_DEPTH) {
		struct proc *pp = find_proc(s, ep->parent);
		if (pp)
			return find_map(s, epoch_at(s, pp, ep->fork_ts), ip, ep->fork_ts, depth + 1);
	}
	return NULL;
}

static int symbolize_kernel(const struct symbolizer *s, uint64_t ip, struct sym_result *res)
{
	uint32_t lo = 0, hi = s->nksyms;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->ksyms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Symbol lo-1 reaches up to symbol lo; nothing bounds the last one, so
	 * beyond its own address nothing is known. */
	if (!lo || (lo == s->nksyms && ip != s->ksyms[lo - 1].addr))
		return -ENOENT;
	const struct kent *k = &s->ksyms[lo - 1];
	if (!k->name[0])
		return -ENOENT; /* past the end of the symbol below */
	res->name = k->name;
	res->raw_name = k->name;
	res->dso = k->dso;
	res->offset = ip - k->addr;
	res->found = 1;
	return 0;
}

int symbolize_frame(struct symbolizer *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel, int is_return,
		    struct sym_result *res)
{
	if (!is_return || !ip)
		return symbolize(s, pid, ts, ip, kernel, res);
	int rc = symbolize(s, pid, ts, ip - 1, kernel, res);
	/* The offsets of ip itself (from the symbol, in the file, or ip); an
	 * FDE function's offset is its start, whatever the address in it. */
	if (!res->fde)
		res->offset++;
	return rc;
}

int symbolize(struct symbolizer *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel,
	      struct sym_result *res)
{
	*res = (struct sym_result){ .offset = ip, .kernel = kernel ? 1 : 0 };
	if (!s)
		return -EINVAL;
	if (kernel)
		return symbolize_kernel(s, ip, res);

	struct proc *p = find_proc(s, pid);
	if (!p)
		return -ENOENT;
	const struct umap *m = find_map(s, epoch_at(s, p, ts), ip, ts, 0);
	res->map = m ? m->rec : NULL;
	if (m && !m->anon) {
		uint64_t off = ip - m->start + m->pgoff;
		res->dso = m->name;
		res->offset = off;
		if (m->syms) {
			uint64_t addr = off + m->syms->load_bias;
			const struct trec_sym *sym = find_sym(m->syms, addr, 1);
			if (sym && (sym->flags & TREC_SYM_FDE)) {
				res->offset = sym->addr - m->syms->load_bias; /* the function's start */
				res->fde = 1;
			} else if (sym) {
				res->name = display_name(s, sym);
				res->raw_name = sym->name;
				res->offset = addr - sym->addr;
				res->found = 1;
			}
		}
		return 0;
	}
	/* JIT code lives in anonymous memory (which recorders often do not
	 * even report): the runtime's table has absolute addresses. */
	if (p->jit) {
		const struct trec_sym *sym = find_sym(p->jit, ip, 0);
		if (sym && !(sym->flags & TREC_SYM_FDE)) {
			res->name = display_name(s, sym);
			res->raw_name = sym->name;
			res->dso = p->jit_name;
			res->offset = ip - sym->addr;
			res->found = 1;
			return 0;
		}
	}
	if (m) {
		res->dso = m->name;
		res->offset = ip - m->start;
		return 0;
	}
	return -ENOENT;
}

uint32_t symbolizer_generation(struct symbolizer *s, uint32_t pid, uint64_t ts)
{
	const struct proc *p = s ? find_proc(s, pid) : NULL;
	if (!p)
		return 0;
	const uint64_t *c = s->change + p->first_change;
	uint32_t lo = 0, hi = p->nchange;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c[mid] <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *sym_format(const struct sym_result *r, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (r->name)
		snprintf(buf, len, "%s", r->name);
	else if (r->dso)
		snprintf(buf, len, "%s+0x%" PRIx64, r->dso, r->offset);
	else
		snprintf(buf, len, "[unknown]");
	return buf;
}
