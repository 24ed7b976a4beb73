/* SPDX-License-Identifier: MIT */
/*
 * The CFI compiler (record/cfi.c, record/cfi_elf.c):
 *  - real libraries against `readelf --debug-dump=frames-interp`: every
 *    row readelf prints must have the same CFA, rbp and return address
 *    rule in the table, every row of the table must start where readelf
 *    starts one (or at an FDE end), and every FDE must be in funcs;
 *  - hand-built .eh_frame / .debug_frame bytes for each instruction
 *    family, encoding, augmentation and CIE version;
 *  - hostile input: truncation at every offset of a real section, bytes
 *    overwritten everywhere, bad lengths and CIE pointers, huge LEB128s,
 *    advance overflow, remember-state and instruction bombs, limits;
 *  - the ELF side: wrong class or machine, truncated files, debug files,
 *    compressed .debug_frame.
 * Run it under ASan+UBSan too (make SAN=1).
 *
 * `test_rec_cfi --dump FILE...` prints a file's compiled rows and
 * functions instead of testing (a debugging aid; no Makefile rule needed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfi.h"
#include "elftools.h"
#include "scratch.h"
#include "unwind_abi.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

static int have_cc, have_readelf, have_objcopy;

/* ---- small helpers ------------------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The row covering pc, or NULL (below the first row). */
static const struct cfi_row *row_at(const struct cfi_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}

/* The rule at pc; 0xffffffff when no row covers it. */
static uint32_t rule_at(const struct cfi_table *t, uint64_t pc)
{
	const struct cfi_row *r = row_at(t, pc);
	return r ? r->rule : 0xffffffffu;
}

static const struct cfi_func *func_at(const struct cfi_table *t, uint64_t pc)
{
	size_t lo = 0, hi = t->nfuncs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->funcs[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && pc < t->funcs[lo - 1].end)
		return &t->funcs[lo - 1];
	return NULL;
}

static const char *kind_name(uint32_t k)
{
	static const char *const names[] = { "none", "rsp", "rbp", "plt", "signal", "end", "unsupported" };
	return k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void format_rule(uint32_t rule, char *buf, size_t n)
{
	uint32_t k = TREC_UW_KIND(rule);
	int w = snprintf(buf, n, "%s", kind_name(k));
	if (k == TREC_UW_CFA_RSP || k == TREC_UW_CFA_RBP)
		w += snprintf(buf + w, n - (size_t)w, "+%lu", TREC_UW_CFA_OFF(rule));
	else if (k == TREC_UW_PLT)
		w += snprintf(buf + w, n - (size_t)w, "(%u)", (unsigned)TREC_UW_PLT_THRESHOLD(rule));
	if (k == TREC_UW_CFA_RSP || k == TREC_UW_CFA_RBP || k == TREC_UW_PLT) {
		switch (TREC_UW_RBP_HOW(rule)) {
		case TREC_UW_RBP_SAME: snprintf(buf + w, n - (size_t)w, " rbp=same"); break;
		case TREC_UW_RBP_OFFSET: snprintf(buf + w, n - (size_t)w, " rbp=c%+ld", TREC_UW_RBP_OFF(rule)); break;
		default: snprintf(buf + w, n - (size_t)w, " rbp=undef"); break;
		}
	}
}

/* Rows strictly increasing, kinds known, funcs sorted and disjoint, stats
 * consistent: what every successful compilation must give. */
static void check_invariants(const struct cfi_table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		assert_true(TREC_UW_KIND(t->rows[i].rule) <= TREC_UW_UNSUPPORTED);
		assert_int_equal(t->rows[i].rule & 0xc0, 0); /* bits 6..7 unused */
		if (i) {
			assert_true(t->rows[i - 1].pc < t->rows[i].pc);
			assert_true(t->rows[i - 1].rule != t->rows[i].rule);
		}
	}
	if (t->nrows)
		assert_int_equal(TREC_UW_KIND(t->rows[t->nrows - 1].rule), TREC_UW_NONE);
	for (size_t i = 0; i < t->nfuncs; i++) {
		assert_true(t->funcs[i].start < t->funcs[i].end);
		if (i)
			assert_true(t->funcs[i - 1].end <= t->funcs[i].start);
	}
	assert_int_equal(t->st.rows, t->nrows);
	assert_true(t->st.fdes_bad <= t->st.fdes);
	assert_true(t->st.fdes_empty + t->st.fdes_overlap + t->st.fdes_bad_insns <= t->st.fdes_bad);
}

static int compile_file(const char *path, const struct cfi_opts *o, struct cfi_table *t, struct trec_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = cfi_compile_elf(fd, path, o, t, err);
	close(fd);
	return rc;
}

/* ---- readelf's view ---------------------------------------------------------------------- */

struct re_row {
	uint64_t loc;
	char cfa[24], rbp[24], ra[24];
};

struct re_entry {
	int debug;                 /* from .debug_frame */
	int is_cie;
	uint64_t off, cie_off, start, end;
	char aug[16];              /* CIEs */
	size_t row0, nrows;        /* into re_dump.rows */
	int plt_k;                 /* FDEs: the PLT expression's K, or -1 */
	int other_cfa_exp;         /* FDEs: another DW_CFA_def_cfa_expression */
	int rbp_undefined;         /* FDEs: DW_CFA_undefined for rbp */
};

struct re_dump {
	struct re_row *rows;
	size_t nrows, rows_cap;
	struct re_entry *ents;
	size_t nents, ents_cap;
};

static void re_free(struct re_dump *d)
{
	free(d->rows);
	free(d->ents);
	memset(d, 0, sizeof(*d));
}

static struct re_entry *re_find(struct re_dump *d, int debug, uint64_t off)
{
	for (size_t i = d->nents; i-- > 0;) /* FDEs follow their CIEs: search back */
		if (d->ents[i].debug == debug && d->ents[i].off == off)
			return &d->ents[i];
	return NULL;
}

static struct re_entry *re_find_fast(struct re_dump *d, size_t *hint, int debug, uint64_t off)
{
	/* entries come in the same order in both dumps: walk forward from the hint */
	for (size_t i = *hint; i < d->nents; i++)
		if (d->ents[i].debug == debug && d->ents[i].off == off) {
			*hint = i + 1;
			return &d->ents[i];
		}
	return re_find(d, debug, off);
}

/* Splits a readelf table line; "r10 (r10)" (a register rule) is one field. */
static void split_ws(char *line, char **tok, int *ntok, int max)
{
	*ntok = 0;
	for (char *s = strtok(line, " \t\n"); s && *ntok < max; s = strtok(NULL, " \t\n"))
		if (s[0] != '(' || !*ntok)
			tok[(*ntok)++] = s;
}

static void copy_field(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* Parses `readelf --debug-dump=frames-interp` (rows) and
 * `--debug-dump=frames` (which expressions each FDE uses). */
static int re_load(const char *path, struct re_dump *d)
{
	char cmd[4200], line[4096];
	memset(d, 0, sizeof(*d));
	snprintf(cmd, sizeof(cmd), "readelf -W --debug-dump=frames-interp '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	int debug = 0, col_cfa = -1, col_rbp = -1, col_ra = -1;
	struct re_entry *cur = NULL;
	while (fgets(line, sizeof(line), p)) {
		char *tok[64];
		int nt;
		char aug[64];
		uint64_t off, len, id, cie, a, b;
		if (strstr(line, "Contents of the ")) {
			debug = strstr(line, ".debug_frame") != NULL;
			cur = NULL;
			continue;
		}
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64 " CIE \"%63[^\"]\"", &off, &len, &id, aug) == 4 ||
		    (aug[0] = 0, sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64 " CIE \"\"", &off, &len, &id) == 3 &&
				     strstr(line, " CIE "))) {
			if (d->nents == d->ents_cap) {
				d->ents_cap = d->ents_cap ? 2 * d->ents_cap : 1024;
				d->ents = realloc(d->ents, d->ents_cap * sizeof(*d->ents));
			}
			cur = &d->ents[d->nents++];
			*cur = (struct re_entry){ .debug = debug, .is_cie = 1, .off = off, .row0 = d->nrows, .plt_k = -1 };
			copy_field(cur->aug, sizeof(cur->aug), aug);
			col_cfa = col_rbp = col_ra = -1;
			continue;
		}
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64 " FDE cie=%" SCNx64 " pc=%" SCNx64 "..%" SCNx64,
			   &off, &len, &id, &cie, &a, &b) == 6) {
			if (d->nents == d->ents_cap) {
				d->ents_cap = d->ents_cap ? 2 * d->ents_cap : 1024;
				d->ents = realloc(d->ents, d->ents_cap * sizeof(*d->ents));
			}
			cur = &d->ents[d->nents++];
			*cur = (struct re_entry){ .debug = debug, .off = off, .cie_off = cie, .start = a, .end = b,
						  .row0 = d->nrows, .plt_k = -1 };
			col_cfa = col_rbp = col_ra = -1;
			continue;
		}
		if (!cur)
			continue;
		split_ws(line, tok, &nt, 64);
		if (nt >= 2 && !strcmp(tok[0], "LOC")) {
			for (int i = 0; i < nt; i++) {
				if (!strcmp(tok[i], "CFA"))
					col_cfa = i;
				else if (!strcmp(tok[i], "rbp"))
					col_rbp = i;
				else if (!strcmp(tok[i], "ra"))
					col_ra = i;
			}
			continue;
		}
		if (nt >= 2 && strlen(tok[0]) == 16 && col_cfa > 0 && sscanf(tok[0], "%" SCNx64, &a) == 1) {
			if (d->nrows == d->rows_cap) {
				d->rows_cap = d->rows_cap ? 2 * d->rows_cap : 4096;
				d->rows = realloc(d->rows, d->rows_cap * sizeof(*d->rows));
			}
			struct re_row *r = &d->rows[d->nrows++];
			r->loc = a;
			copy_field(r->cfa, sizeof(r->cfa), col_cfa < nt ? tok[col_cfa] : NULL);
			copy_field(r->rbp, sizeof(r->rbp), col_rbp > 0 && col_rbp < nt ? tok[col_rbp] : NULL);
			copy_field(r->ra, sizeof(r->ra), col_ra > 0 && col_ra < nt ? tok[col_ra] : NULL);
			cur->nrows++;
		}
	}
	/* readelf exits 1 on some good files (libc.so.6): judge by what it printed */
	pclose(p);
	if (!d->nents)
		return -1;

	/* the instructions: PLT expressions, other CFA expressions, rbp undefined */
	snprintf(cmd, sizeof(cmd), "readelf -W --debug-dump=frames '%s' 2>/dev/null", path);
	if (!(p = popen(cmd, "r")))
		return -1;
	cur = NULL;
	debug = 0;
	size_t hint = 0;
	while (fgets(line, sizeof(line), p)) {
		uint64_t off, len, id, cie;
		int k;
		if (strstr(line, "Contents of the ")) {
			debug = strstr(line, ".debug_frame") != NULL;
			cur = NULL;
			continue;
		}
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64 " FDE cie=%" SCNx64, &off, &len, &id, &cie) == 4) {
			cur = re_find_fast(d, &hint, debug, off);
			continue;
		}
		if (strstr(line, " CIE") && sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &off, &len, &id) == 3) {
			cur = NULL;
			continue;
		}
		if (!cur)
			continue;
		if (sscanf(line,
			   " DW_CFA_def_cfa_expression (DW_OP_breg7 (rsp): 8; DW_OP_breg16 (rip): 0; DW_OP_lit15; "
			   "DW_OP_and; DW_OP_lit%d; DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus)",
			   &k) == 1 &&
		    strstr(line, "DW_OP_plus)"))
			cur->plt_k = k;
		else if (strstr(line, "DW_CFA_def_cfa_expression"))
			cur->other_cfa_exp = 1;
		if (strstr(line, "DW_CFA_undefined: r6 "))
			cur->rbp_undefined = 1;
	}
	pclose(p);
	return 0;
}

/* What a readelf "reg+N" CFA compiles to: kind and offset, or UNSUPPORTED. */
static void expect_cfa_reg(const char *cfa, uint32_t *kind, uint64_t *off)
{
	char reg[16];
	long long n;
	*kind = TREC_UW_UNSUPPORTED;
	*off = 0;
	if (sscanf(cfa, "%15[a-z0-9]%lld", reg, &n) != 2)
		return;
	if (strcmp(reg, "rsp") && strcmp(reg, "rbp"))
		return;
	if (n < 0 || n % 8 || (unsigned long long)n > TREC_UW_OFF_MAX)
		return;
	*kind = !strcmp(reg, "rsp") ? TREC_UW_CFA_RSP : TREC_UW_CFA_RBP;
	*off = (uint64_t)n;
}

/* Whether rule is what readelf's row says, given its FDE and CIE. */
static bool rule_matches(uint32_t rule, const struct re_row *r, const struct re_entry *f, const struct re_entry *c,
			 char *why, size_t nwhy)
{
	uint32_t kind = TREC_UW_KIND(rule);
	uint32_t want = TREC_UW_UNSUPPORTED, alt = 0xff;
	uint64_t off = 0;
	if (strchr(c->aug, 'S'))
		want = TREC_UW_SIGNAL;
	else if (!strcmp(r->ra, "u"))
		want = TREC_UW_END;
	else if (strcmp(r->ra, "c-8"))
		want = TREC_UW_UNSUPPORTED;
	else if (!strcmp(r->cfa, "exp")) {
		if (f->plt_k >= 0) {
			want = TREC_UW_PLT;
			off = (uint64_t)f->plt_k;
			if (f->other_cfa_exp)
				alt = TREC_UW_UNSUPPORTED;
		}
	} else {
		expect_cfa_reg(r->cfa, &want, &off);
	}
	if (kind != want && kind != alt) {
		snprintf(why, nwhy, "kind %s, readelf says CFA %s ra %s (want %s)", kind_name(kind), r->cfa, r->ra,
			 kind_name(want));
		return false;
	}
	if (kind != TREC_UW_CFA_RSP && kind != TREC_UW_CFA_RBP && kind != TREC_UW_PLT)
		return true;
	uint64_t got_off = kind == TREC_UW_PLT ? TREC_UW_PLT_THRESHOLD(rule) : TREC_UW_CFA_OFF(rule);
	if (got_off != off) {
		snprintf(why, nwhy, "offset %" PRIu64 ", readelf says CFA %s (plt K %d)", got_off, r->cfa, f->plt_k);
		return false;
	}
	/* rbp */
	uint32_t how = TREC_UW_RBP_HOW(rule);
	long n;
	if (!r->rbp[0] || !strcmp(r->rbp, "s") || (!strcmp(r->rbp, "u") && !f->rbp_undefined)) {
		if (how == TREC_UW_RBP_SAME)
			return true;
	} else if (!strcmp(r->rbp, "u")) {
		if (how == TREC_UW_RBP_UNDEF)
			return true;
	} else if (r->rbp[0] == 'c' && sscanf(r->rbp + 1, "%ld", &n) == 1 && n % 8 == 0 && n / 8 >= -128 &&
		   n / 8 <= 127) {
		if (how == TREC_UW_RBP_OFFSET && TREC_UW_RBP_OFF(rule) == n)
			return true;
	} else if (how == TREC_UW_RBP_UNDEF) {
		return true;
	}
	snprintf(why, nwhy, "rbp rule %u off %ld, readelf says %s", how, TREC_UW_RBP_OFF(rule), r->rbp[0] ? r->rbp : "-");
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool in_sorted(const uint64_t *v, size_t n, uint64_t x)
{
	return bsearch(&x, v, n, sizeof(*v), cmp_u64) != NULL;
}

struct cmp_result {
	size_t fdes, rows, own_rows;
};

/* Compares a compiled table with readelf's view of the same file. */
static void compare_with_readelf(const char *path, const struct cfi_table *t, struct cmp_result *res)
{
	struct re_dump d;
	assert_int_equal(re_load(path, &d), 0);
	memset(res, 0, sizeof(*res));
	uint64_t *allowed = malloc((3 * d.nents + d.nrows + 1) * sizeof(*allowed));
	size_t nallowed = 0, bad = 0;
	assert_non_null(allowed);

	for (size_t i = 0; i < d.nents; i++) {
		const struct re_entry *f = &d.ents[i];
		if (f->is_cie || f->start == f->end)
			continue;
		const struct re_entry *c = re_find(&d, f->debug, f->cie_off);
		assert_non_null(c);
		res->fdes++;
		const struct cfi_func *fn = func_at(t, f->start);
		if (!fn || fn->start != f->start || fn->end != f->end) {
			print_error("%s: FDE at 0x%" PRIx64 " [0x%" PRIx64 ", 0x%" PRIx64 ") not in funcs\n", path,
				    f->off, f->start, f->end);
			bad++;
		}
		allowed[nallowed++] = f->start;
		allowed[nallowed++] = f->end;
		/* readelf prints no rows for an FDE of nops only: it has its CIE's rule */
		const struct re_row *rows = f->nrows ? &d.rows[f->row0] : &d.rows[c->row0 + c->nrows - 1];
		size_t nrows = f->nrows ? f->nrows : (c->nrows ? 1 : 0);
		for (size_t j = 0; j < nrows; j++) {
			struct re_row r = rows[j];
			if (!f->nrows)
				r.loc = f->start;
			if (r.loc < f->start || r.loc >= f->end)
				continue; /* an advance past the end */
			if (j + 1 < nrows && rows[j + 1].loc == r.loc)
				continue; /* a zero advance: the later row holds */
			allowed[nallowed++] = r.loc;
			char why[256];
			uint32_t rule = rule_at(t, r.loc);
			res->rows++;
			if (!rule_matches(rule, &r, f, c, why, sizeof(why))) {
				if (bad++ < 20)
					print_error("%s: FDE 0x%" PRIx64 " row 0x%" PRIx64 ": %s\n", path, f->off, r.loc,
						    why);
			}
		}
	}
	/* the other way: every row of ours starts where readelf starts one */
	qsort(allowed, nallowed, sizeof(*allowed), cmp_u64);
	for (size_t i = 0; i < t->nrows; i++) {
		res->own_rows++;
		if (!in_sorted(allowed, nallowed, t->rows[i].pc)) {
			if (bad++ < 40)
				print_error("%s: our row at 0x%" PRIx64 " starts where readelf has none\n", path,
					    t->rows[i].pc);
		}
		if (TREC_UW_KIND(t->rows[i].rule) == TREC_UW_NONE && func_at(t, t->rows[i].pc)) {
			bad++;
			print_error("%s: NONE row at 0x%" PRIx64 " inside a function\n", path, t->rows[i].pc);
		}
	}
	assert_int_equal(t->nfuncs, res->fdes);
	free(allowed);
	re_free(&d);
	assert_int_equal(bad, 0);
}

static void check_against_readelf(const char *path)
{
	if (!have_readelf) {
		print_message("skipped %s: readelf is not installed\n", path);
		return;
	}
	if (access(path, R_OK) != 0) {
		print_message("skipped %s: not on this machine\n", path);
		return;
	}
	struct cfi_table t;
	struct trec_err err = { 0 };
	double t0 = now_ms();
	int rc = compile_file(path, NULL, &t, &err);
	double ms = now_ms() - t0;
	if (rc)
		fail_msg("%s: %s", path, trec_errmsg(&err, rc));
	check_invariants(&t);
	assert_int_equal(t.st.fdes_overlap, 0);
	assert_int_equal(t.st.fdes_bad, t.st.fdes_empty);
	struct cmp_result res;
	compare_with_readelf(path, &t, &res);
	print_message("%s: %zu FDEs, %zu readelf rows compared, %zu own rows (%" PRIu64 " unsupported, %" PRIu64
		      " plt, %" PRIu64 " signal, %" PRIu64 " end); %.2f ms\n",
		      path, res.fdes, res.rows, res.own_rows, t.st.rows_unsupported, t.st.rows_plt, t.st.rows_signal,
		      t.st.rows_end, ms);
	assert_true(res.rows > 0);
	cfi_table_free(&t);
}

static void test_readelf_libc(void **state)
{
	check_against_readelf(LIBDIR "libc.so.6");
}

static void test_readelf_liblzma(void **state)
{
	check_against_readelf(LIBDIR "liblzma.so.5");
}

static void test_readelf_libstdcxx(void **state)
{
	check_against_readelf(LIBDIR "libstdc++.so.6");
}

static void test_readelf_ld_so(void **state)
{
	check_against_readelf(LIBDIR "ld-linux-x86-64.so.2");
}

static void test_readelf_python(void **state)
{
	check_against_readelf("/usr/bin/python3.11");
}

/* ---- hand-built sections ---------------------------------------------------------------- */

/* A section under construction. */
struct sb {
	uint8_t b[1 << 16];
	size_t n;
	int debug;           /* .debug_frame rules: CIE id all ones, absolute addresses, CIE pointer = offset */
	uint64_t vaddr;
	uint64_t datarel;    /* the data base given to cfi_compile */
};

static void sb_init(struct sb *s, int debug, uint64_t vaddr)
{
	memset(s, 0, sizeof(*s));
	s->debug = debug;
	s->vaddr = vaddr;
}

static void put(struct sb *s, const void *p, size_t n)
{
	assert_true(s->n + n <= sizeof(s->b));
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put_u(struct sb *s, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));
		put(s, &c, 1);
	}
}

static void put_uleb(struct sb *s, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		put(s, &c, 1);
	} while (v);
}

static void put_sleb(struct sb *s, int64_t v)
{
	for (;;) {
		uint8_t c = v & 0x7f;
		v >>= 7; /* arithmetic shift (gcc, clang) */
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			put(s, &c, 1);
			return;
		}
		c |= 0x80;
		put(s, &c, 1);
	}
}

/* Starts an entry; returns its offset. */
static size_t ent_begin(struct sb *s, int off64)
{
	size_t at = s->n;
	if (off64) {
		put_u(s, 0xffffffffu, 4);
		put_u(s, 0, 8);
	} else {
		put_u(s, 0, 4);
	}
	return at;
}

static void ent_end(struct sb *s, size_t at, int off64)
{
	uint64_t len = s->n - at - (off64 ? 12 : 4);
	if (off64)
		for (int i = 0; i < 8; i++)
			s->b[at + 4 + i] = (uint8_t)(len >> (8 * i));
	else
		for (int i = 0; i < 4; i++)
			s->b[at + i] = (uint8_t)(len >> (8 * i));
}

struct cie_desc {
	int version;               /* 0: 1 */
	const char *aug;           /* NULL: "zR" in .eh_frame, "" in .debug_frame */
	uint64_t code_align;       /* 0: 1 */
	int64_t data_align;        /* 0: -8 */
	uint64_t ra;               /* 0: 16 */
	uint8_t fde_enc;           /* 'R' data; 0 with aug NULL: pcrel|sdata4 */
	uint8_t addr_size, seg_size; /* version 4 */
	const uint8_t *ins;        /* NULL: CFA = rsp + 8, ra at CFA - 8 */
	size_t nins;
	int off64;
	uint8_t per_enc;           /* 'P' data */
};

static const uint8_t std_init[] = { 0x0c, 0x07, 0x08, 0x90, 0x01 };

static const char *cie_aug(const struct sb *s, const struct cie_desc *c)
{
	return c->aug ? c->aug : s->debug ? "" : "zR";
}

static uint8_t cie_enc(const struct sb *s, const struct cie_desc *c)
{
	if (!c->aug && !s->debug && !c->fde_enc)
		return 0x1b;
	return strchr(cie_aug(s, c), 'R') ? c->fde_enc : 0x00;
}

static uint8_t cie_addr_size(const struct cie_desc *c)
{
	return c->version == 4 ? c->addr_size : 8;
}

static size_t put_cie(struct sb *s, const struct cie_desc *c)
{
	size_t at = ent_begin(s, c->off64);
	int v = c->version ? c->version : 1;
	const char *aug = cie_aug(s, c);
	if (s->debug)
		put_u(s, c->off64 ? UINT64_MAX : 0xffffffffu, c->off64 ? 8 : 4);
	else
		put_u(s, 0, c->off64 ? 8 : 4);
	put_u(s, (uint64_t)v, 1);
	put(s, aug, strlen(aug) + 1);
	if (aug[0] == 'e' && aug[1] == 'h')
		put_u(s, 0x1122334455667788ull, 8);
	if (v == 4) {
		put_u(s, c->addr_size, 1);
		put_u(s, c->seg_size, 1);
	}
	put_uleb(s, c->code_align ? c->code_align : 1);
	put_sleb(s, c->data_align ? c->data_align : -8);
	if (v == 1)
		put_u(s, c->ra ? c->ra : 16, 1);
	else
		put_uleb(s, c->ra ? c->ra : 16);
	if (aug[0] == 'z') {
		struct sb *d = calloc(1, sizeof(*d));
		for (const char *a = aug + 1; *a; a++) {
			if (*a == 'R')
				put_u(d, cie_enc(s, c), 1);
			else if (*a == 'L')
				put_u(d, 0x1b, 1);
			else if (*a == 'P') {
				put_u(d, c->per_enc, 1);
				put_u(d, 0x77, (c->per_enc & 0x0f) == 0 ? 8 : 4); /* absptr or (s)data4 */
			}
		}
		put_uleb(s, d->n);
		put(s, d->b, d->n);
		free(d);
	}
	if (c->ins)
		put(s, c->ins, c->nins);
	else
		put(s, std_init, sizeof(std_init));
	ent_end(s, at, c->off64);
	return at;
}

/* A value in a DW_EH_PE_* encoding, applied the way cfi.c undoes it. */
static void put_enc(struct sb *s, uint8_t enc, uint8_t addr_size, uint64_t v, int apply)
{
	if (apply && (enc & 0x70) == 0x10)
		v -= s->vaddr + s->n;
	else if (apply && (enc & 0x70) == 0x30)
		v -= s->datarel;
	switch (enc & 0x0f) {
	case 0x00: case 0x08: put_u(s, v, addr_size); break;
	case 0x01: put_uleb(s, v); break;
	case 0x09: put_sleb(s, (int64_t)v); break;
	case 0x02: case 0x0a: put_u(s, v, 2); break;
	case 0x03: case 0x0b: put_u(s, v, 4); break;
	default: put_u(s, v, 8); break;
	}
}

struct fde_desc {
	size_t cie_at;
	const struct cie_desc *cie;
	uint64_t start, range;
	const uint8_t *ins;
	size_t nins;
	int off64;
};

static size_t put_fde(struct sb *s, const struct fde_desc *f)
{
	size_t at = ent_begin(s, f->off64);
	const struct cie_desc *c = f->cie;
	if (s->debug)
		put_u(s, f->cie_at, f->off64 ? 8 : 4);
	else
		put_u(s, s->n - f->cie_at, f->off64 ? 8 : 4);
	if (c->version == 4)
		put_u(s, 0xabcd, c->seg_size);
	uint8_t enc = cie_enc(s, c);
	put_enc(s, enc, cie_addr_size(c), f->start, 1);
	put_enc(s, enc, cie_addr_size(c), f->range, 0);
	const char *aug = cie_aug(s, c);
	if (aug[0] == 'z') {
		if (strchr(aug, 'L')) {
			put_uleb(s, 4);
			put_u(s, 0, 4); /* the LSDA pointer */
		} else {
			put_uleb(s, 0);
		}
	}
	put(s, f->ins, f->nins);
	ent_end(s, at, f->off64);
	return at;
}

#define INS(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* One FDE with instructions given as bytes. */
static size_t add_fde(struct sb *s, size_t cie_at, const struct cie_desc *c, uint64_t start, uint64_t range,
		      const uint8_t *ins, size_t nins)
{
	struct fde_desc f = { .cie_at = cie_at, .cie = c, .start = start, .range = range, .ins = ins, .nins = nins };
	return put_fde(s, &f);
}

static struct cfi_section as_section(const struct sb *s)
{
	return (struct cfi_section){ .data = s->b, .size = s->n, .vaddr = s->vaddr, .debug_frame = s->debug,
				     .datarel_base = s->datarel };
}

static int compile_sb(const struct sb *s, const struct cfi_opts *o, struct cfi_table *t, struct trec_err *err)
{
	struct cfi_section sec = as_section(s);
	int rc = cfi_compile(&sec, 1, "hand", o, t, err);
	if (rc == 0)
		check_invariants(t);
	return rc;
}

/* Compiles s, which must succeed. */
static void compile_ok(const struct sb *s, struct cfi_table *t)
{
	struct trec_err err = { 0 };
	int rc = compile_sb(s, NULL, t, &err);
	if (rc)
		fail_msg("compile: %s", trec_errmsg(&err, rc));
}

#define R_NONE TREC_UW_RULE(TREC_UW_NONE, 0, 0, 0)
#define R_UNSUP TREC_UW_RULE(TREC_UW_UNSUPPORTED, 0, 0, 0)
#define R_END TREC_UW_RULE(TREC_UW_END, 0, 0, 0)
#define R_SIGNAL TREC_UW_RULE(TREC_UW_SIGNAL, 0, 0, 0)
#define R_RSP(off) TREC_UW_RULE(TREC_UW_CFA_RSP, TREC_UW_RBP_SAME, 0, (off) / 8)
#define R_RSP_AT(off, rbp) TREC_UW_RULE(TREC_UW_CFA_RSP, TREC_UW_RBP_OFFSET, (rbp) / 8, (off) / 8)
#define R_RSP_UNDEF(off) TREC_UW_RULE(TREC_UW_CFA_RSP, TREC_UW_RBP_UNDEF, 0, (off) / 8)
#define R_RBP_AT(off, rbp) TREC_UW_RULE(TREC_UW_CFA_RBP, TREC_UW_RBP_OFFSET, (rbp) / 8, (off) / 8)
#define R_RBP(off) TREC_UW_RULE(TREC_UW_CFA_RBP, TREC_UW_RBP_SAME, 0, (off) / 8)
#define R_PLT(k) TREC_UW_RULE(TREC_UW_PLT, TREC_UW_RBP_SAME, 0, (k))

#define ROWS(...) (const struct cfi_row[]){ __VA_ARGS__ }, sizeof((const struct cfi_row[]){ __VA_ARGS__ }) / sizeof(struct cfi_row)

/* The table's rows are exactly these. */
static void expect_rows(const struct cfi_table *t, const struct cfi_row *want, size_t n)
{
	bool same = t->nrows == n;
	for (size_t i = 0; same && i < n; i++)
		same = t->rows[i].pc == want[i].pc && t->rows[i].rule == want[i].rule;
	if (same)
		return;
	for (size_t i = 0; i < t->nrows || i < n; i++) {
		char a[64] = "-", b[64] = "-";
		if (i < t->nrows)
			format_rule(t->rows[i].rule, a, sizeof(a));
		if (i < n)
			format_rule(want[i].rule, b, sizeof(b));
		print_error("row %zu: got 0x%" PRIx64 " %-24s want 0x%" PRIx64 " %s\n", i,
			    i < t->nrows ? t->rows[i].pc : 0, a, i < n ? want[i].pc : 0, b);
	}
	fail_msg("rows differ");
}

static void expect_funcs(const struct cfi_table *t, const struct cfi_func *want, size_t n)
{
	assert_int_equal(t->nfuncs, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t->funcs[i].start, want[i].start);
		assert_int_equal(t->funcs[i].end, want[i].end);
	}
}
#define FUNCS(...) (const struct cfi_func[]){ __VA_ARGS__ }, sizeof((const struct cfi_func[]){ __VA_ARGS__ }) / sizeof(struct cfi_func)

static void test_basic(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0x10000);
	size_t ci = put_cie(s, &c);
	/* push rbp; mov rsp,rbp; ...; leave */
	add_fde(s, ci, &c, 0x1000, 0x40,
		INS(0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6, 0x02, 0x30, 0x0c, 7, 8));
	put_u(s, 0, 4); /* terminator */
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x1000, R_RSP(8) }, { 0x1001, R_RSP_AT(16, -16) }, { 0x1004, R_RBP_AT(16, -16) },
			     { 0x1034, R_RSP_AT(8, -16) }, { 0x1040, R_NONE }));
	expect_funcs(&t, FUNCS({ 0x1000, 0x1040 }));
	assert_int_equal(t.st.cies, 1);
	assert_int_equal(t.st.fdes, 1);
	assert_int_equal(t.st.fdes_bad, 0);
	assert_int_equal(t.st.insns, 2 + 7);
	assert_null(t.st.first_bad);
	cfi_table_free(&t);
	cfi_table_free(&t); /* twice is fine */
	cfi_table_free(NULL);
	free(s);
}

static void test_advances(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c = { .code_align = 4 };
	sb_init(s, 0, 0x400000);
	size_t ci = put_cie(s, &c);
	/* set_loc's operand is in the FDE encoding (pcrel sdata4): from the field */
	struct sb ins;
	sb_init(&ins, 0, 0);
	put(&ins, INS(0x41, 0x0e, 16));                           /* +4 */
	put(&ins, INS(0x02, 2, 0x0e, 24));                        /* +8 */
	put(&ins, INS(0x03, 0x00, 0x01, 0x0e, 32));               /* +0x400 */
	put(&ins, INS(0x04, 0x00, 0x10, 0x00, 0x00, 0x0e, 40));   /* +0x4000 */
	size_t fde_at = s->n;
	/* the FDE header: length 4, CIE pointer 4, start 4, range 4, aug length 1 */
	size_t set_loc_field = fde_at + 17 + ins.n + 1;
	put(&ins, INS(0x01));
	put_u(&ins, 0x8000 - (s->vaddr + set_loc_field), 4);
	put(&ins, INS(0x0e, 48, 0x40, 0x0e, 56));                  /* a zero advance: the later rule holds */
	put(&ins, INS(0x04, 0x00, 0x00, 0x10, 0x00, 0x0e, 64, 0xff)); /* past the end: the rest is never read */
	add_fde(s, ci, &c, 0x2000, 0x100000, ins.b, ins.n);
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x2000, R_RSP(8) }, { 0x2004, R_RSP(16) }, { 0x200c, R_RSP(24) },
			     { 0x240c, R_RSP(32) }, { 0x640c, R_RSP(40) }, { 0x8000, R_RSP(56) },
			     { 0x102000, R_NONE }));
	assert_int_equal(t.st.fdes_bad, 0);
	cfi_table_free(&t);
	free(s);
}

static void test_rbp_rules(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0);
	size_t ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x3000, 0x100,
		INS(0x41, 0x05, 6, 2,             /* offset_extended r6, -16 */
		    0x41, 0x08, 6,                /* same_value */
		    0x41, 0x11, 6, 0x7e,          /* offset_extended_sf r6, -2 * -8 = +16 */
		    0x41, 0x2f, 6, 3,             /* GNU_negative_offset_extended: +24 */
		    0x41, 0xc6,                   /* restore: the CIE has no rule */
		    0x41, 0x07, 6,                /* undefined */
		    0x41, 0x06, 6,                /* restore_extended */
		    0x41, 0x09, 6, 3,             /* register: in rbx */
		    0x41, 0x86, 2,                /* offset r6, -16 */
		    0x41, 0x10, 6, 2, 0x76, 0x00, /* expression (breg6 0) */
		    0x41, 0x86, 2, 0x41, 0x14, 6, 2, /* val_offset */
		    0x41, 0x86, 2, 0x41, 0x15, 6, 0x7e, /* val_offset_sf */
		    0x41, 0x86, 2, 0x41, 0x16, 6, 1, 0x9c, /* val_expression (call_frame_cfa) */
		    0x41, 0x05, 6, 0x81, 0x01,    /* -1032: -129 * 8 does not fit int8 */
		    0x41, 0x05, 6, 0x80, 0x01,    /* -1024: -128 * 8 does */
		    0x41, 0x11, 6, 0x71,          /* +120 */
		    0x41, 0x11, 6, 0x80, 0x7f,    /* +1024: 128 * 8 does not */
		    0x41, 0x83, 5, 0x2e, 0x10,    /* rbx saved, GNU_args_size: no new rule */
		    0x41, 0x86, 2));
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x3000, R_RSP(8) }, { 0x3001, R_RSP_AT(8, -16) }, { 0x3002, R_RSP(8) },
			     { 0x3003, R_RSP_AT(8, 16) }, { 0x3004, R_RSP_AT(8, 24) }, { 0x3005, R_RSP(8) },
			     { 0x3006, R_RSP_UNDEF(8) }, { 0x3007, R_RSP(8) }, { 0x3008, R_RSP_UNDEF(8) },
			     { 0x3009, R_RSP_AT(8, -16) }, { 0x300a, R_RSP_UNDEF(8) }, { 0x300b, R_RSP_AT(8, -16) },
			     { 0x300c, R_RSP_UNDEF(8) }, { 0x300d, R_RSP_AT(8, -16) }, { 0x300e, R_RSP_UNDEF(8) },
			     { 0x300f, R_RSP_AT(8, -16) }, { 0x3010, R_RSP_UNDEF(8) },
			     { 0x3012, R_RSP_AT(8, -1024) }, { 0x3013, R_RSP_AT(8, 120) }, { 0x3014, R_RSP_UNDEF(8) },
			     { 0x3016, R_RSP_AT(8, -16) }, { 0x3100, R_NONE }));
	cfi_table_free(&t);

	/* data alignment -4: a save slot not on 8 bytes is UNDEF, as is such a CFA */
	struct cie_desc c4 = { .data_align = -4, .ins = INS(0x0c, 7, 8, 0x90, 2) };
	sb_init(s, 0, 0);
	ci = put_cie(s, &c4);
	add_fde(s, ci, &c4, 0x100, 0x10, INS(0x41, 0x86, 3, 0x41, 0x86, 4, 0x41, 0x12, 7, 0x7d));
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x100, R_RSP(8) }, { 0x101, R_RSP_UNDEF(8) }, { 0x102, R_RSP_AT(8, -16) },
			     { 0x103, R_UNSUP }, { 0x110, R_NONE }));
	cfi_table_free(&t);
	free(s);
}

static const uint8_t plt_expr[] = { 0x0f, 11, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22 };

static void test_cfa_rules(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct sb ins;
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0);
	sb_init(&ins, 0, 0);
	size_t ci = put_cie(s, &c);
	put(&ins, INS(0x41, 0x0e, 12));                       /* rsp+12: not a multiple of 8 */
	put(&ins, INS(0x41, 0x0c, 10, 8));                    /* r10+8 */
	put(&ins, INS(0x41, 0x12, 7, 0x7e));                  /* def_cfa_sf: rsp+16 */
	put(&ins, INS(0x41, 0x13, 0x7d));                     /* def_cfa_offset_sf: rsp+24 */
	put(&ins, INS(0x41, 0x13, 0x01));                     /* rsp-8 */
	put(&ins, INS(0x41, 0x0c, 7, 0xf8, 0xff, 0x1f));      /* rsp+0x7fff8: the largest */
	put(&ins, INS(0x41, 0x0e, 0x80, 0x80, 0x20));         /* rsp+0x80000: too large */
	put(&ins, INS(0x41, 0x0c, 6, 16));                    /* rbp+16 */
	put(&ins, INS(0x41, 0x0f, 3, 0x77, 0x00, 0x06));      /* expression: *(rsp) */
	put(&ins, INS(0x41, 0x0e, 8));                        /* keeps the expression (as readelf) */
	put(&ins, INS(0x41, 0x0d, 7));                        /* back to rsp, offset 8 */
	put(&ins, INS(0x41));
	put(&ins, plt_expr, sizeof(plt_expr));
	put(&ins, INS(0x41, 0x0c, 7, 8));
	put(&ins, INS(0x41, 0x0c, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)); /* 2^63 */
	put(&ins, INS(0x41, 0x0c, 7, 8));
	add_fde(s, ci, &c, 0x4000, 0x100, ins.b, ins.n);
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x4000, R_RSP(8) }, { 0x4001, R_UNSUP }, { 0x4003, R_RSP(16) }, { 0x4004, R_RSP(24) },
			     { 0x4005, R_UNSUP }, { 0x4006, R_RSP(0x7fff8) }, { 0x4007, R_UNSUP }, { 0x4008, R_RBP(16) },
			     { 0x4009, R_UNSUP }, { 0x400b, R_RSP(8) }, { 0x400c, R_PLT(11) }, { 0x400d, R_RSP(8) },
			     { 0x400e, R_UNSUP }, { 0x400f, R_RSP(8) }, { 0x4100, R_NONE }));
	assert_int_equal(t.st.rows_unsupported, 5);
	assert_int_equal(t.st.rows_plt, 1);
	cfi_table_free(&t);
	free(s);
}

static void test_plt(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct sb ins;
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0x1a8f40);
	size_t ci = put_cie(s, &c);
	/* as libc's .plt: push; jmp; then the 16-byte entries */
	sb_init(&ins, 0, 0);
	put(&ins, INS(0x0e, 16, 0x46, 0x0e, 24, 0x4a));
	put(&ins, plt_expr, sizeof(plt_expr));
	add_fde(s, ci, &c, 0x26000, 0x360, ins.b, ins.n);
	/* near misses: not the PLT rule */
	static const uint8_t near[][13] = {
		{ 0x0f, 11, 0x77, 16, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22 }, /* breg7 16 */
		{ 0x0f, 11, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x1c }, /* minus */
		{ 0x0f, 10, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22 }, /* cut short */
		{ 0x0f, 11, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x50, 0x2a, 0x33, 0x24, 0x22 }, /* reg0, not a literal */
	};
	for (size_t i = 0; i < 4; i++) {
		sb_init(&ins, 0, 0);
		put(&ins, near[i], i == 2 ? 12 : sizeof(near[i]));
		add_fde(s, ci, &c, 0x27000 + 0x100 * i, 0x10, ins.b, ins.n);
	}
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x26000, R_RSP(16) }, { 0x26006, R_RSP(24) }, { 0x26010, R_PLT(11) },
			     { 0x26360, R_NONE }, { 0x27000, R_UNSUP }, { 0x27010, R_NONE }, { 0x27100, R_UNSUP },
			     { 0x27110, R_NONE }, { 0x27200, R_UNSUP }, { 0x27210, R_NONE }, { 0x27300, R_UNSUP },
			     { 0x27310, R_NONE }));
	assert_int_equal(TREC_UW_PLT_THRESHOLD(rule_at(&t, 0x26010)), 11);
	cfi_table_free(&t);
	free(s);
}

static void test_return_address(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0);
	size_t ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x100, 0x10,
		INS(0x41, 0x07, 16,       /* undefined: the outermost frame */
		    0x41, 0x90, 2,        /* at CFA - 16 */
		    0x41, 0x09, 16, 1,    /* in rdx */
		    0x41, 0x90, 1,        /* back at CFA - 8 */
		    0x41, 0xd0,           /* restore: the same */
		    0x41, 0x14, 16, 1,    /* val_offset */
		    0x41, 0xd0));
	/* version 3: the column is a ULEB128 (here padded: 0x9e 0x00 = 30) */
	struct cie_desc c3 = { .version = 3, .ra = 30, .ins = INS(0x0c, 7, 8, 0x9e, 1) };
	size_t ci3 = put_cie(s, &c3);
	add_fde(s, ci3, &c3, 0x200, 0x10, INS(0x41, 0x07, 16, 0x41, 0x07, 30));
	/* no return address rule at all */
	struct cie_desc cn = { .ins = INS(0x0c, 7, 8) };
	size_t cin = put_cie(s, &cn);
	add_fde(s, cin, &cn, 0x300, 0x10, INS(0x00));
	/* version 1 reads the column as one byte: 0x90 is column 144, not a LEB128 */
	struct cie_desc c1 = { .ra = 0x90 };
	size_t ci1 = put_cie(s, &c1);
	add_fde(s, ci1, &c1, 0x400, 0x10, INS(0x00));
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x100, R_RSP(8) }, { 0x101, R_END }, { 0x102, R_UNSUP }, { 0x104, R_RSP(8) },
			     { 0x106, R_UNSUP }, { 0x107, R_RSP(8) }, { 0x110, R_NONE }, { 0x200, R_RSP(8) },
			     { 0x202, R_END }, { 0x210, R_NONE }, { 0x300, R_UNSUP }, { 0x310, R_NONE },
			     { 0x400, R_UNSUP }, { 0x410, R_NONE }));
	assert_int_equal(t.st.rows_end, 2);
	cfi_table_free(&t);
	free(s);
}

static void test_remember_restore(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0);
	size_t ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x5000, 0x10,
		INS(0x41, 0x0e, 16, 0x86, 2, /* push rbp */
		    0x41, 0x0a, 0x0e, 8, 0xc6, /* remember; a tail path pops it */
		    0x41, 0x0a, 0x0e, 32,     /* remember again (nested) */
		    0x41, 0x0b,               /* restore: CFA back to 8 too */
		    0x41, 0x0b));             /* restore: rsp+16, rbp saved */
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x5000, R_RSP(8) }, { 0x5001, R_RSP_AT(16, -16) }, { 0x5002, R_RSP(8) },
			     { 0x5003, R_RSP(32) }, { 0x5004, R_RSP(8) }, { 0x5005, R_RSP_AT(16, -16) },
			     { 0x5010, R_NONE }));
	cfi_table_free(&t);
	free(s);
}

static void test_signal_frame(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc cs = { .aug = "zRS", .fde_enc = 0x1b, .ins = INS(0x00, 0x00) };
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0x1000);
	size_t cis = put_cie(s, &cs);
	size_t ci = put_cie(s, &c);
	/* glibc's __restore_rt: the CFA is an expression on the sigcontext */
	add_fde(s, cis, &cs, 0x3c04f, 0xa,
		INS(0x0f, 0x03, 0x77, 0xa0, 0x01, 0x06, 0x10, 0x08, 0x02, 0x77, 0x28, 0x41, 0x10, 0x10, 0x02, 0x77,
		    0x28));
	add_fde(s, ci, &c, 0x3c059, 0x7, INS(0x00));
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x3c04f, R_SIGNAL }, { 0x3c059, R_RSP(8) }, { 0x3c060, R_NONE }));
	assert_int_equal(t.st.rows_signal, 1);
	cfi_table_free(&t);
	free(s);
}

static void test_64bit_lengths(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	for (int debug = 0; debug <= 1; debug++) {
		struct cie_desc c64 = { .off64 = 1 };
		struct cie_desc c32 = { 0 };
		sb_init(s, debug, 0x7000);
		size_t ci64 = put_cie(s, &c64);
		struct fde_desc f = { .cie_at = ci64, .cie = &c64, .start = 0x100, .range = 0x20,
				      .ins = INS(0x44, 0x0e, 16), .off64 = 1 };
		put_fde(s, &f);
		f.start = 0x200; /* a 32-bit FDE of the 64-bit CIE */
		f.off64 = 0;
		put_fde(s, &f);
		size_t ci32 = put_cie(s, &c32);
		f = (struct fde_desc){ .cie_at = ci32, .cie = &c32, .start = 0x300, .range = 0x20,
				       .ins = INS(0x44, 0x0e, 24), .off64 = 1 }; /* 64-bit FDE, 32-bit CIE */
		put_fde(s, &f);
		compile_ok(s, &t);
		expect_rows(&t, ROWS({ 0x100, R_RSP(8) }, { 0x104, R_RSP(16) }, { 0x120, R_NONE }, { 0x200, R_RSP(8) },
				     { 0x204, R_RSP(16) }, { 0x220, R_NONE }, { 0x300, R_RSP(8) },
				     { 0x304, R_RSP(24) }, { 0x320, R_NONE }));
		assert_int_equal(t.st.cies, 2);
		assert_int_equal(t.st.fdes, 3);
		assert_int_equal(t.st.fdes_bad, 0);
		cfi_table_free(&t);
	}
	free(s);
}

static void test_encodings(void **state)
{
	static const uint8_t good[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
					0x10, 0x19, 0x1a, 0x1b, 0x1c, 0x30, 0x3b, 0x13 };
	static const uint8_t bad[] = { 0x2b, 0x4b, 0x5b, 0x9b, 0x0f, 0x0d, 0xff };
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c[sizeof(good) + sizeof(bad)];
	struct cfi_func want[sizeof(good)];
	sb_init(s, 0, 0x400000);
	s->datarel = 0x600000;
	for (size_t i = 0; i < sizeof(good) + sizeof(bad); i++) {
		uint8_t enc = i < sizeof(good) ? good[i] : bad[i - sizeof(good)];
		c[i] = (struct cie_desc){ .aug = "zR", .fde_enc = enc };
		size_t ci = put_cie(s, &c[i]);
		/* 2-byte forms hold small addresses; pcrel ones are just after the field */
		uint64_t start = 0x8000 + 0x100 * i;
		if ((enc & 0x70) == 0x10)
			start = s->vaddr + s->n + 0x2000 + 0x100 * i;
		else if ((enc & 0x0f) == 0x0a || (enc & 0x0f) == 0x02)
			start = 0x100 * (i + 1);
		if (i < sizeof(good))
			want[i] = (struct cfi_func){ start, start + 0x40 };
		if (i >= sizeof(good) && enc == 0x0d) /* an unknown format cannot even be written: skip a CIE */
			continue;
		add_fde(s, ci, &c[i], start, 0x40, INS(0x00));
	}
	compile_ok(s, &t);
	struct cfi_func sorted[sizeof(good)];
	memcpy(sorted, want, sizeof(want));
	for (size_t i = 1; i < sizeof(good); i++) /* insertion sort by start */
		for (size_t j = i; j > 0 && sorted[j - 1].start > sorted[j].start; j--) {
			struct cfi_func tmp = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = tmp;
		}
	expect_funcs(&t, sorted, sizeof(good));
	assert_int_equal(t.st.cies_bad, sizeof(bad));
	assert_int_equal(t.st.fdes_bad, sizeof(bad) - 1);
	assert_string_equal(t.st.first_bad, "FDE pointer encoding relative to text, function or alignment");
	cfi_table_free(&t);

	/* datarel without a data base cannot be evaluated */
	s->datarel = 0;
	compile_ok(s, &t);
	assert_int_equal(t.nfuncs, sizeof(good) - 2);
	assert_int_equal(t.st.cies_bad, sizeof(bad) + 2);
	cfi_table_free(&t);
	free(s);
}

static void test_cie_versions(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	sb_init(s, 1, 0);
	struct cie_desc v4a = { .version = 4, .addr_size = 4 };
	struct cie_desc v4b = { .version = 4, .addr_size = 8, .seg_size = 2 };
	struct cie_desc v3 = { .version = 3 };
	size_t a = put_cie(s, &v4a), b = put_cie(s, &v4b), c = put_cie(s, &v3);
	add_fde(s, a, &v4a, 0x1000, 0x10, INS(0x41, 0x0e, 16));
	add_fde(s, b, &v4b, 0x2000, 0x10, INS(0x41, 0x0e, 24));
	add_fde(s, c, &v3, 0x3000, 0x10, INS(0x41, 0x0e, 32));
	struct cie_desc bad[] = {
		{ .version = 2 }, { .version = 5 }, { .version = 4, .addr_size = 2 },
		{ .version = 4, .addr_size = 8, .seg_size = 9 },
	};
	for (size_t i = 0; i < 4; i++) {
		size_t at = put_cie(s, &bad[i]);
		struct cie_desc as8 = { .version = 4, .addr_size = 8 }; /* write the FDE as if well formed */
		add_fde(s, at, &as8, 0x4000 + 0x100 * i, 0x10, INS(0x00));
	}
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x1000, R_RSP(8) }, { 0x1001, R_RSP(16) }, { 0x1010, R_NONE }, { 0x2000, R_RSP(8) },
			     { 0x2001, R_RSP(24) }, { 0x2010, R_NONE }, { 0x3000, R_RSP(8) }, { 0x3001, R_RSP(32) },
			     { 0x3010, R_NONE }));
	assert_int_equal(t.st.cies_bad, 4);
	assert_int_equal(t.st.fdes_bad, 4);
	assert_string_equal(t.st.first_bad, "CIE version is not 1, 3 or 4");
	assert_string_equal(t.st.first_bad_section, ".debug_frame");
	cfi_table_free(&t);
	free(s);
}

static void test_augmentations(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	sb_init(s, 0, 0x10000);
	struct cie_desc c[] = {
		{ .aug = "zPLR", .per_enc = 0x9b, .fde_enc = 0x1b }, /* GCC's C++ CIE */
		{ .aug = "zPLR", .per_enc = 0x00, .fde_enc = 0x1b }, /* an 8-byte personality */
		{ .aug = "eh" },                                     /* GCC 2: absolute 8-byte addresses */
		{ .aug = "zRB", .fde_enc = 0x1b },
		{ .aug = "zRG", .fde_enc = 0x1b },
		{ .aug = "" },
		{ .aug = "zRX", .fde_enc = 0x1b },                  /* unknown letter */
		{ .aug = "xyz" },                                    /* unknown, no 'z' */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t at = put_cie(s, &c[i]);
		struct cie_desc as = c[i];
		if (i >= 6)
			as = (struct cie_desc){ .aug = "zR", .fde_enc = 0x1b };
		add_fde(s, at, &as, 0x1000 * (i + 1), 0x10, INS(0x41, 0x0e, 16));
	}
	compile_ok(s, &t);
	assert_int_equal(t.nfuncs, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(rule_at(&t, 0x1000 * (i + 1)), R_RSP(8));
		assert_int_equal(rule_at(&t, 0x1000 * (i + 1) + 1), R_RSP(16));
	}
	assert_int_equal(t.st.cies_bad, 2);
	assert_string_equal(t.st.first_bad, "CIE augmentation letter not understood");
	cfi_table_free(&t);
	free(s);
}

static void test_debug_frame_forward_cie(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 1, 0);
	/* the FDE names a CIE that comes after it: fine in .debug_frame */
	size_t fde_at = s->n;
	add_fde(s, 0, &c, 0x401000, 0x30, INS(0x44, 0x0e, 16, 0x48, 0x0e, 8));
	size_t ci = put_cie(s, &c);
	uint32_t ptr = (uint32_t)ci;
	memcpy(s->b + fde_at + 4, &ptr, 4);
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x401000, R_RSP(8) }, { 0x401004, R_RSP(16) }, { 0x40100c, R_RSP(8) },
			     { 0x401030, R_NONE }));
	cfi_table_free(&t);
	free(s);
}

static void test_layout(void **state)
{
	struct sb *s = malloc(sizeof(*s)), *d = malloc(sizeof(*d));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0x20000);
	size_t ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x1030, 0x10, INS(0x00));          /* C, out of order */
	add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));          /* A */
	add_fde(s, ci, &c, 0x1010, 0x10, INS(0x41, 0x0e, 16)); /* B: A's last rule goes on */
	add_fde(s, ci, &c, 0x1050, 0, INS(0x00));             /* empty */
	add_fde(s, ci, &c, 0x1038, 0x10, INS(0x00));          /* overlaps C */
	add_fde(s, ci, &c, 0x1000, 0x8, INS(0x00));           /* same start as A, after it */
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x1000, R_RSP(8) }, { 0x1011, R_RSP(16) }, { 0x1020, R_NONE }, { 0x1030, R_RSP(8) },
			     { 0x1040, R_NONE }));
	expect_funcs(&t, FUNCS({ 0x1000, 0x1010 }, { 0x1010, 0x1020 }, { 0x1030, 0x1040 }));
	assert_int_equal(t.st.fdes, 6);
	assert_int_equal(t.st.fdes_bad, 3);
	assert_int_equal(t.st.fdes_empty, 1);
	assert_int_equal(t.st.fdes_overlap, 2);
	assert_null(t.st.first_bad); /* empty and overlapping are not malformed */
	cfi_table_free(&t);

	/* two sections: the first wins where they overlap; the second fills gaps */
	sb_init(s, 0, 0x20000);
	ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));
	sb_init(d, 1, 0);
	size_t cd = put_cie(d, &c);
	add_fde(d, cd, &c, 0x1008, 0x10, INS(0x0e, 16));
	add_fde(d, cd, &c, 0x1010, 0x10, INS(0x0e, 16));
	add_fde(d, cd, &c, 0x0f00, 0x100, INS(0x0e, 16));
	struct cfi_section two[2] = { as_section(s), as_section(d) };
	struct trec_err err;
	assert_int_equal(cfi_compile(two, 2, "two", NULL, &t, &err), 0);
	check_invariants(&t);
	expect_rows(&t, ROWS({ 0xf00, R_RSP(16) }, { 0x1000, R_RSP(8) }, { 0x1010, R_RSP(16) }, { 0x1020, R_NONE }));
	expect_funcs(&t, FUNCS({ 0xf00, 0x1000 }, { 0x1000, 0x1010 }, { 0x1010, 0x1020 }));
	assert_int_equal(t.st.fdes_overlap, 1);
	cfi_table_free(&t);
	/* the other order: .debug_frame's [0x1008, 0x1018) now beats [0x1000, 0x1010) */
	two[0] = as_section(d);
	two[1] = as_section(s);
	assert_int_equal(cfi_compile(two, 2, "two", NULL, &t, &err), 0);
	check_invariants(&t);
	expect_funcs(&t, FUNCS({ 0xf00, 0x1000 }, { 0x1008, 0x1018 }));
	cfi_table_free(&t);
	free(s);
	free(d);
}

/* ---- hostile input --------------------------------------------------------------------------- */

/* Compiles s expecting a whole-file error: code, and msg naming the offset. */
static void expect_error(const struct sb *s, const struct cfi_opts *o, int code, const char *msg)
{
	struct cfi_table t;
	struct trec_err err = { 0 };
	int rc = compile_sb(s, o, &t, &err);
	if (rc != code)
		fail_msg("got %d (%s), want %d", rc, trec_errmsg(&err, rc), code);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
	cfi_table_free(&t);
}

/* Compiles s expecting success with `bad` FDEs skipped, the first for why. */
static void expect_skipped(const struct sb *s, uint64_t bad, const char *why, uint64_t off)
{
	struct cfi_table t;
	compile_ok(s, &t);
	assert_int_equal(t.st.fdes_bad, bad);
	assert_non_null(t.st.first_bad);
	if (strcmp(t.st.first_bad, why))
		fail_msg("first bad: '%s', want '%s'", t.st.first_bad, why);
	assert_int_equal(t.st.first_bad_off, off);
	cfi_table_free(&t);
}

static void test_hostile_lengths(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cie_desc c = { 0 };
	size_t ci, fde;

	/* an FDE claiming more bytes than the section has */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c);
	fde = add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));
	s->b[fde] = 0xff;
	s->b[fde + 1] = 0x01;
	char msg[128];
	snprintf(msg, sizeof(msg), "hand: .eh_frame at offset 0x%zx: entry length 0x1ff runs past the section end", fde);
	expect_error(s, NULL, -EBADMSG, msg);
	/* reserved lengths */
	memcpy(s->b + fde, "\xf5\xff\xff\xff", 4);
	expect_error(s, NULL, -EBADMSG, "reserved entry length 0xfffffff5");
	/* a 64-bit length cut off, and one past 2^63 */
	sb_init(s, 0, 0);
	put_cie(s, &c);
	put(s, "\xff\xff\xff\xff\x01\x02\x03", 7);
	expect_error(s, NULL, -EBADMSG, "64-bit entry length truncated");
	s->n -= 3;
	put(s, "\x00\x00\x00\x00\x00\x00\x00\x80", 8);
	expect_error(s, NULL, -EBADMSG, "entry length 0x8000000000000000 runs past");
	/* a length field cut off: error unless it is zero padding */
	sb_init(s, 0, 0);
	put_cie(s, &c);
	put(s, "\x01\x00", 2);
	expect_error(s, NULL, -EBADMSG, "entry length field truncated");
	s->b[s->n - 2] = 0;
	struct cfi_table t;
	compile_ok(s, &t);
	assert_int_equal(t.st.cies, 1);
	cfi_table_free(&t);

	/* zero terminators in the middle: readelf reads on, so do we */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));
	put_u(s, 0, 4);
	put_u(s, 0, 4);
	add_fde(s, ci, &c, 0x2000, 0x10, INS(0x00));
	compile_ok(s, &t);
	assert_int_equal(t.nfuncs, 2);
	cfi_table_free(&t);

	/* an entry too short to hold its id, a CIE cut after its version */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c);
	size_t tiny = s->n;
	put(s, "\x02\x00\x00\x00\x00\x00", 6);
	put(s, "\x05\x00\x00\x00\x00\x00\x00\x00\x01", 9);
	add_fde(s, tiny + 6, &c, 0x1000, 0x10, INS(0x00)); /* uses the cut CIE */
	add_fde(s, ci, &c, 0x2000, 0x10, INS(0x00));
	expect_skipped(s, 2, "entry too short for its CIE id", tiny);
	compile_ok(s, &t);
	assert_int_equal(t.st.cies_bad, 1);
	assert_int_equal(t.nfuncs, 1);
	cfi_table_free(&t);
	free(s);
}

static void test_hostile_cie_pointers(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cie_desc c = { 0 };
	size_t ci, a, b;
	uint32_t v;

	/* .eh_frame: to itself, to another FDE, before the section, into a CIE */
	for (int k = 0; k < 4; k++) {
		sb_init(s, 0, 0);
		ci = put_cie(s, &c);
		a = add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));
		b = add_fde(s, ci, &c, 0x2000, 0x10, INS(0x00));
		static const char *const why[] = { "CIE pointer does not point to a CIE",
						   "CIE pointer does not point to a CIE",
						   "CIE pointer before the section start",
						   "CIE pointer does not point to a CIE" };
		v = k == 0 ? 4 : k == 1 ? (uint32_t)(b + 4 - a) : k == 2 ? 0x7fffffff : (uint32_t)(b + 4 - ci - 8);
		memcpy(s->b + b + 4, &v, 4);
		expect_skipped(s, 1, why[k], b);
	}
	/* .debug_frame: offsets out of range, to an FDE, to itself */
	for (int k = 0; k < 3; k++) {
		sb_init(s, 1, 0);
		ci = put_cie(s, &c);
		a = add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));
		b = add_fde(s, ci, &c, 0x2000, 0x10, INS(0x00));
		v = k == 0 ? 0xfffffffe : k == 1 ? (uint32_t)a : (uint32_t)b;
		memcpy(s->b + b + 4, &v, 4);
		expect_skipped(s, 1, "CIE pointer does not point to a CIE", b);
	}
	free(s);
}

static void test_hostile_leb128(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	/* code alignment: 2^64 - 1 is fine, 2^64 is not, padding is fine */
	struct cie_desc c = { .code_align = UINT64_MAX };
	sb_init(s, 0, 0);
	size_t ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x1000, 0x10, INS(0x00));
	compile_ok(s, &t);
	assert_int_equal(t.nfuncs, 1);
	cfi_table_free(&t);
	s->b[ci + 4 + 4 + 1 + 3 + 9] = 0x02; /* the tenth byte: bit 64 */
	expect_skipped(s, 1, "CIE alignment factor truncated or past 64 bits", ci);

	/* a padded LEB128 in an instruction: 20 continuation bytes */
	struct cie_desc c2 = { 0 };
	sb_init(s, 0, 0);
	ci = put_cie(s, &c2);
	add_fde(s, ci, &c2, 0x1000, 0x10,
		INS(0x41, 0x0e, 0x90, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00));
	compile_ok(s, &t);
	assert_int_equal(rule_at(&t, 0x1001), R_RSP(16));
	cfi_table_free(&t);

	/* an SLEB128 past 64 bits, and one ending at the entry end */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c2);
	add_fde(s, ci, &c2, 0x1000, 0x10, INS(0x41, 0x13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40));
	size_t f2 = add_fde(s, ci, &c2, 0x2000, 0x10, INS(0x41, 0x0e, 0x80));
	struct cfi_table t2;
	compile_ok(s, &t2);
	assert_int_equal(t2.st.fdes_bad, 2);
	assert_int_equal(t2.st.fdes_bad_insns, 2);
	assert_string_equal(t2.st.first_bad, "CFA instruction truncated, or a LEB128 operand past 64 bits");
	/* their ranges stay in funcs; their rows are NONE */
	assert_int_equal(t2.nfuncs, 2);
	assert_int_equal(t2.nrows, 0);
	assert_int_equal(rule_at(&t2, 0x1000), 0xffffffffu);
	cfi_table_free(&t2);
	(void)f2;

	/* INT64_MIN as the data alignment is representable; doubling it is not */
	struct cie_desc c3 = { .data_align = INT64_MIN, .ins = INS(0x0c, 7, 8, 0x90, 0x01) };
	sb_init(s, 0, 0);
	ci = put_cie(s, &c3);
	add_fde(s, ci, &c3, 0x1000, 0x10, INS(0x41, 0x86, 1, 0x41, 0x86, 2));
	add_fde(s, ci, &c3, 0x2000, 0x10, INS(0x41, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f));
	compile_ok(s, &t);
	expect_rows(&t, ROWS({ 0x1000, R_UNSUP }, { 0x1010, R_NONE })); /* ra at -2^63 */
	assert_int_equal(t.st.fdes_bad_insns, 1); /* the expression block runs past the end */
	cfi_table_free(&t);
	free(s);
}

static void test_hostile_advance(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t;
	/* code alignment 2^40 times 2^32 - 1 overflows */
	struct cie_desc c = { .code_align = (uint64_t)1 << 40, .aug = "zR", .fde_enc = 0x04 };
	sb_init(s, 0, 0);
	size_t ci = put_cie(s, &c);
	size_t f = add_fde(s, ci, &c, 0xffffffffff000000ull, 0xfff000, INS(0x04, 0xff, 0xff, 0xff, 0xff));
	expect_skipped(s, 1, "location advance past 2^64", f);
	/* the sum overflows */
	struct cie_desc c1 = { .aug = "zR", .fde_enc = 0x04 };
	sb_init(s, 0, 0);
	ci = put_cie(s, &c1);
	f = add_fde(s, ci, &c1, 0xfffffffffffff000ull, 0xfff, INS(0x03, 0xff, 0x0f, 0x04, 0xff, 0xff, 0xff, 0xff));
	compile_ok(s, &t); /* the first advance already passes the end: the rest is never read */
	assert_int_equal(t.st.fdes_bad, 0);
	cfi_table_free(&t);
	sb_init(s, 0, 0);
	ci = put_cie(s, &c1);
	f = add_fde(s, ci, &c1, 0xfffffffffffff000ull, 0xfff, INS(0x01, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
								  0x04, 0xff, 0xff, 0xff, 0xff));
	expect_skipped(s, 1, "location advance past 2^64", f);
	/* set_loc backwards */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c1);
	f = add_fde(s, ci, &c1, 0x2000, 0x100, INS(0x41, 0x01, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x1f, 0, 0, 0, 0, 0, 0));
	expect_skipped(s, 1, "DW_CFA_set_loc moves backwards", f);
	/* a range wrapping past 2^64 */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c1);
	f = add_fde(s, ci, &c1, 0xfffffffffffff000ull, 0x1001, INS(0x00));
	expect_skipped(s, 1, "FDE address range wraps past 2^64", f);
	/* the largest range that does not */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c1);
	add_fde(s, ci, &c1, 0xfffffffffffff000ull, 0xfff, INS(0x00));
	compile_ok(s, &t);
	expect_funcs(&t, FUNCS({ 0xfffffffffffff000ull, UINT64_MAX }));
	cfi_table_free(&t);
	free(s);
}

static void test_hostile_bombs(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct sb *ins = malloc(sizeof(*ins));
	struct cfi_table t;
	struct cie_desc c = { 0 };
	size_t ci, f;

	/* remember_state 64 deep is fine, 65 is not; restore without remember */
	for (int depth = 64; depth <= 65; depth++) {
		sb_init(s, 0, 0);
		sb_init(ins, 0, 0);
		ci = put_cie(s, &c);
		for (int i = 0; i < depth; i++)
			put(ins, INS(0x0a));
		for (int i = 0; i < depth; i++)
			put(ins, INS(0x0b));
		f = add_fde(s, ci, &c, 0x1000, 0x10, ins->b, ins->n);
		if (depth == 64) {
			compile_ok(s, &t);
			assert_int_equal(t.st.fdes_bad, 0);
			cfi_table_free(&t);
		} else {
			expect_skipped(s, 1, "DW_CFA_remember_state nested too deep", f);
		}
	}
	sb_init(s, 0, 0);
	ci = put_cie(s, &c);
	f = add_fde(s, ci, &c, 0x1000, 0x10, INS(0x0a, 0x0b, 0x0b));
	expect_skipped(s, 1, "DW_CFA_restore_state without a remembered state", f);
	/* not in a CIE, and neither are advances and restores */
	struct cie_desc cr[] = { { .ins = INS(0x0a) }, { .ins = INS(0x41) }, { .ins = INS(0xc6) },
				 { .ins = INS(0x2d) }, { .ins = INS(0x3f) } };
	static const char *const why[] = { "DW_CFA_remember_state in a CIE's initial instructions",
					   "location advance in a CIE's initial instructions",
					   "DW_CFA_restore in a CIE's initial instructions",
					   "DW_CFA_GNU_window_save (SPARC, AArch64) in x86-64 CFI",
					   "unknown DW_CFA instruction" };
	for (size_t i = 0; i < 5; i++) {
		sb_init(s, 0, 0);
		ci = put_cie(s, &cr[i]);
		add_fde(s, ci, &cr[i], 0x1000, 0x10, INS(0x00));
		add_fde(s, ci, &cr[i], 0x2000, 0x10, INS(0x00));
		expect_skipped(s, 2, why[i], ci);
		compile_ok(s, &t);
		assert_int_equal(t.st.cies_bad, 1);
		assert_int_equal(t.nrows, 0);
		assert_int_equal(t.nfuncs, 2);
		cfi_table_free(&t);
	}

	/* an instruction bomb: 50 FDEs of 1000 nops under a limit of 20000 */
	sb_init(s, 0, 0);
	sb_init(ins, 0, 0);
	ci = put_cie(s, &c);
	for (int i = 0; i < 1000; i++)
		put(ins, INS(0x00));
	for (int i = 0; i < 50; i++)
		add_fde(s, ci, &c, 0x1000 + 0x10 * (uint64_t)i, 0x10, ins->b, ins->n);
	struct cfi_opts o = { .sz = sizeof(o), .max_insns = 20000, .want_rows = 1 };
	expect_error(s, &o, -E2BIG, "more than 20000 CFA instructions (cfi_opts.max_insns)");
	o.max_insns = 0;
	compile_ok(s, &t);
	assert_int_equal(t.st.insns, 2 + 50 * 1000);
	cfi_table_free(&t);
	/* without rows, no program runs */
	o = (struct cfi_opts){ .sz = sizeof(o), .max_insns = 10, .want_funcs = 1 };
	assert_int_equal(compile_sb(s, &o, &t, NULL), 0);
	assert_int_equal(t.st.insns, 0);
	assert_int_equal(t.nfuncs, 50);
	assert_int_equal(t.nrows, 0);
	cfi_table_free(&t);

	/* rows, entries and section size limits */
	sb_init(s, 0, 0);
	ci = put_cie(s, &c);
	for (int i = 0; i < 5; i++)
		add_fde(s, ci, &c, 0x1000 + 0x100 * (uint64_t)i, 0x10, INS(0x41, 0x0e, 16));
	o = (struct cfi_opts){ .sz = sizeof(o), .max_rows = 7, .want_rows = 1 };
	expect_error(s, &o, -E2BIG, "more than 7 rows (cfi_opts.max_rows)");
	o = (struct cfi_opts){ .sz = sizeof(o), .max_fdes = 4, .want_rows = 1 };
	expect_error(s, &o, -E2BIG, "more than 4 CIEs and FDEs (cfi_opts.max_fdes)");
	o = (struct cfi_opts){ .sz = sizeof(o), .max_section = 100, .want_rows = 1 };
	expect_error(s, &o, -E2BIG, "(cfi_opts.max_section)");
	o = (struct cfi_opts){ .sz = sizeof(o), .max_rows = 15, .want_rows = 1 };
	assert_int_equal(compile_sb(s, &o, &t, NULL), 0);
	assert_int_equal(t.nrows, 15);
	cfi_table_free(&t);

	/* a big program: 4 MiB of nops in one FDE, at the default limits, in bounded time */
	size_t big = (size_t)4 << 20;
	uint8_t *buf = calloc(1, big + 64);
	struct sb *hdr = malloc(sizeof(*hdr));
	sb_init(hdr, 0, 0);
	ci = put_cie(hdr, &c);
	size_t at = hdr->n;
	memcpy(buf, hdr->b, hdr->n);
	uint32_t len = (uint32_t)(big - at - 4);
	memcpy(buf + at, &len, 4);
	uint32_t ptr = (uint32_t)(at + 4 - ci);
	memcpy(buf + at + 4, &ptr, 4);
	int32_t rel = (int32_t)(0x1000 - (at + 8));
	memcpy(buf + at + 8, &rel, 4);
	uint32_t range = 0x10;
	memcpy(buf + at + 12, &range, 4); /* then augmentation length 0 and nops */
	struct cfi_section sec = { .data = buf, .size = big };
	double t0 = now_ms();
	assert_int_equal(cfi_compile(&sec, 1, "big", NULL, &t, NULL), 0);
	print_message("4 MiB of nops: %.1f ms\n", now_ms() - t0);
	assert_int_equal(t.st.insns, 2 + big - at - 17);
	cfi_table_free(&t);
	free(buf);
	free(hdr);
	free(ins);
	free(s);
}

/* The bytes, address and entry boundaries of a real section. */
struct real_sec {
	uint8_t *data;
	size_t size;
	uint64_t vaddr;
};

static int load_real_section(const char *path, const char *name, struct real_sec *r)
{
	memset(r, 0, sizeof(*r));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int rc = -1;
	if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *sn;
			if (!gelf_getshdr(scn, &sh) || !(sn = elf_strptr(e, shstrndx, sh.sh_name)) || strcmp(sn, name))
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (d && d->d_size) {
				r->data = malloc(d->d_size);
				memcpy(r->data, d->d_buf, d->d_size);
				r->size = d->d_size;
				r->vaddr = sh.sh_addr;
				rc = 0;
			}
			break;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

/* Cut at every offset: at an entry boundary (or inside a zero terminator)
 * the entries before the cut compile; anywhere else is an error naming
 * the offset of the entry cut. */
static void test_hostile_truncation(void **state)
{
	const char *path = LIBDIR "ld-linux-x86-64.so.2";
	struct real_sec r;
	if (load_real_section(path, ".eh_frame", &r)) {
		print_message("skipped: %s has no readable .eh_frame\n", path);
		return;
	}
	/* walked here independently: for every offset, whether a cut there
	 * leaves whole entries (plus < 4 zero bytes), the entry it cuts
	 * otherwise, and the FDEs before it */
	unsigned char *ok = calloc(r.size + 1, 1);
	size_t *entry = calloc(r.size + 1, sizeof(*entry)), *fdes = calloc(r.size + 1, sizeof(*fdes));
	size_t off = 0, nfde = 0, want_ok = 0;
	while (off + 4 <= r.size) {
		uint32_t len, id;
		memcpy(&len, r.data + off, 4);
		ok[off] = 1;
		fdes[off] = nfde;
		if (len == 0) {
			for (size_t i = 1; i < 4; i++) {
				ok[off + i] = 1;
				fdes[off + i] = nfde;
			}
			off += 4;
			continue;
		}
		assert_true(len < 0xfffffff0u && off + 4 + len <= r.size);
		memcpy(&id, r.data + off + 4, 4);
		for (size_t i = off + 1; i < off + 4 + len; i++)
			entry[i] = off;
		nfde += id != 0;
		off += 4 + (size_t)len;
	}
	assert_int_equal(off, r.size);
	ok[off] = 1;
	fdes[off] = nfde;
	for (size_t i = 0; i <= r.size; i++)
		want_ok += ok[i];

	size_t cut_ok = 0, cut_bad = 0;
	for (size_t cut = 0; cut <= r.size; cut++) {
		struct cfi_section sec = { .data = r.data, .size = cut, .vaddr = r.vaddr };
		struct cfi_table t;
		struct trec_err err = { 0 };
		int rc = cfi_compile(&sec, 1, "ld.so", NULL, &t, &err);
		if (ok[cut]) {
			if (rc)
				fail_msg("cut at 0x%zx: %s", cut, trec_errmsg(&err, rc));
			check_invariants(&t);
			assert_int_equal(t.st.fdes, fdes[cut]);
			cut_ok++;
		} else {
			char want[64];
			snprintf(want, sizeof(want), "ld.so: .eh_frame at offset 0x%zx: ", entry[cut]);
			if (rc != -EBADMSG || !strstr(err.msg, want))
				fail_msg("cut at 0x%zx: %d '%s', want -EBADMSG '%s'", cut, rc, err.msg, want);
			cut_bad++;
		}
		cfi_table_free(&t);
	}
	print_message("%zu cuts compiled, %zu errors\n", cut_ok, cut_bad);
	assert_int_equal(cut_ok, want_ok);
	assert_true(cut_ok > 200 && cut_bad > 10000);
	free(ok);
	free(entry);
	free(fdes);
	free(r.data);
}

/* Every byte of a real section overwritten with a few values: never a
 * crash, and the invariants hold whenever it compiles. */
static void test_hostile_overwrite(void **state)
{
	const char *path = LIBDIR "liblzma.so.5";
	struct real_sec r;
	if (load_real_section(path, ".eh_frame", &r)) {
		print_message("skipped: %s has no readable .eh_frame\n", path);
		return;
	}
	static const uint8_t vals[] = { 0x00, 0xff, 0x80, 0x0b, 0x0a };
	size_t n = r.size < 6000 ? r.size : 6000, ok = 0, errs = 0;
	uint8_t *copy = malloc(r.size);
	for (size_t i = 0; i < n; i++) {
		for (size_t v = 0; v < sizeof(vals); v++) {
			memcpy(copy, r.data, r.size);
			copy[i] = vals[v];
			struct cfi_section sec = { .data = copy, .size = r.size, .vaddr = r.vaddr };
			struct cfi_table t;
			struct trec_err err = { 0 };
			int rc = cfi_compile(&sec, 1, "lzma", NULL, &t, &err);
			if (rc == 0) {
				check_invariants(&t);
				ok++;
			} else {
				assert_true(rc == -EBADMSG || rc == -E2BIG);
				assert_non_null(strstr(err.msg, "lzma: .eh_frame at offset 0x"));
				errs++;
			}
			cfi_table_free(&t);
		}
	}
	print_message("%zu overwritten sections compiled, %zu errors\n", ok, errs);
	assert_true(ok > 0 && errs > 0);
	free(copy);
	free(r.data);
}

/* ---- the ELF side ------------------------------------------------------------------------------ */

static const char prog_src[] =
	"#include <stdio.h>\n"
	"__attribute__((noinline)) static long leaf(long x) { return x * 3 + 1; }\n"
	"__attribute__((noinline)) long mid(long n) {\n"
	"	long a[64], s = 0;\n"
	"	for (long i = 0; i < 64; i++) a[i] = leaf(i + n);\n"
	"	for (long i = 0; i < 64; i++) s += a[i];\n"
	"	return s;\n"
	"}\n"
	"__attribute__((noinline)) long with_fp(long n) {\n"
	"	char *volatile p = __builtin_alloca(n + 16);\n"
	"	p[0] = 1;\n"
	"	return mid(n) + p[0];\n"
	"}\n"
	"int main(int argc, char **argv) { printf(\"%ld\\n\", with_fp(argc)); return 0; }\n";

static const char *spath(const char *name)
{
	return scratch_path(name);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void patch_file(const char *path, uint64_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* Where a section's header and its contents are in the file. */
static int find_section(const char *path, const char *name, uint64_t *shdr_at, uint64_t *data_at)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	size_t shstrndx;
	if (e && gelf_getehdr(e, &eh) && elf_getshdrstrndx(e, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *sn;
			if (gelf_getshdr(scn, &sh) && (sn = elf_strptr(e, shstrndx, sh.sh_name)) && !strcmp(sn, name)) {
				*shdr_at = eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize;
				*data_at = sh.sh_offset;
				rc = 0;
				break;
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

static bool same_table(const struct cfi_table *a, const struct cfi_table *b)
{
	return a->nrows == b->nrows && a->nfuncs == b->nfuncs &&
	       !memcmp(a->rows, b->rows, a->nrows * sizeof(*a->rows)) &&
	       !memcmp(a->funcs, b->funcs, a->nfuncs * sizeof(*a->funcs));
}

static void compile_path_ok(const char *path, struct cfi_table *t)
{
	struct trec_err err = { 0 };
	int rc = compile_file(path, NULL, t, &err);
	if (rc)
		fail_msg("%s: %s", path, trec_errmsg(&err, rc));
	check_invariants(t);
}

/* A program built with .debug_frame (its own code) and .eh_frame (the
 * C runtime's): both read and compared with readelf; compressed and
 * separate-debug-file variants give the same answers. */
static void test_elf_debug_frame(void **state)
{
	if (!have_cc || !have_objcopy || !have_readelf) {
		print_message("skipped: needs cc, objcopy and readelf\n");
		return;
	}
	write_file(spath("prog.c"), prog_src, strlen(prog_src));
	assert_int_equal(tu_run("cc -O1 -g -fno-asynchronous-unwind-tables -o '%s' '%s'", spath("prog"),
				spath("prog.c")),
			 0);
	uint64_t a, b;
	assert_int_equal(find_section(spath("prog"), ".debug_frame", &a, &b), 0);
	assert_int_equal(find_section(spath("prog"), ".eh_frame", &a, &b), 0);

	struct cfi_table t, tz, td;
	struct cmp_result res;
	compile_path_ok(spath("prog"), &t);
	compare_with_readelf(spath("prog"), &t, &res);
	print_message("prog: %zu FDEs, %zu readelf rows compared\n", res.fdes, res.rows);
	struct tu_nmsym syms[64];
	size_t nsyms = tu_nm_functions(spath("prog"), syms, 64), found = 0;
	for (size_t i = 0; i < nsyms; i++) {
		if (!strcmp(syms[i].name, "mid") || !strcmp(syms[i].name, "with_fp") || !strcmp(syms[i].name, "_start")) {
			const struct cfi_func *f = func_at(&t, syms[i].addr);
			assert_non_null(f);
			assert_int_equal(f->start, syms[i].addr);
			found++;
		}
	}
	assert_int_equal(found, 3);
	size_t rbp_rows = 0, end_rows = 0;
	for (size_t i = 0; i < t.nrows; i++) {
		rbp_rows += TREC_UW_KIND(t.rows[i].rule) == TREC_UW_CFA_RBP;
		end_rows += TREC_UW_KIND(t.rows[i].rule) == TREC_UW_END;
	}
	assert_true(rbp_rows > 0); /* with_fp's alloca frame */
	assert_true(end_rows > 0); /* _start */

	assert_int_equal(tu_run("objcopy --compress-debug-sections=zlib-gabi '%s' '%s'", spath("prog"), spath("prog.z")),
			 0);
	compile_path_ok(spath("prog.z"), &tz);
	assert_true(same_table(&t, &tz));
	assert_int_equal(tz.st.sections_skipped, 0);

	/* the debug file: NOBITS .eh_frame, so .debug_frame's functions only */
	assert_int_equal(tu_run("objcopy --only-keep-debug '%s' '%s'", spath("prog"), spath("prog.debug")), 0);
	compile_path_ok(spath("prog.debug"), &td);
	compare_with_readelf(spath("prog.debug"), &td, &res);
	assert_true(td.nfuncs >= 3 && td.nfuncs < t.nfuncs);
	for (size_t i = 0; i < td.nfuncs; i++)
		assert_non_null(func_at(&t, td.funcs[i].start));
	cfi_table_free(&td);

	/* a compressed .debug_frame libelf cannot inflate is skipped and counted */
	uint64_t shdr_at, data_at;
	assert_int_equal(find_section(spath("prog.z"), ".debug_frame", &shdr_at, &data_at), 0);
	patch_file(spath("prog.z"), data_at + 24 + 2, "\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
	compile_path_ok(spath("prog.z"), &td);
	assert_int_equal(td.st.sections_skipped, 1);
	assert_true(td.nfuncs > 0 && td.nfuncs < t.nfuncs);
	cfi_table_free(&td);
	/* one claiming to inflate to 1 TiB is refused before inflating */
	uint64_t huge = (uint64_t)1 << 40;
	patch_file(spath("prog.z"), data_at + 8, &huge, 8);
	struct trec_err err = { 0 };
	assert_int_equal(compile_file(spath("prog.z"), NULL, &td, &err), -E2BIG);
	assert_non_null(strstr(err.msg, ".debug_frame inflates to 1099511627776 bytes"));
	cfi_table_free(&td);
	cfi_table_free(&tz);

	/* no CFI at all: an empty table */
	assert_int_equal(tu_run("objcopy --remove-section=.eh_frame --remove-section=.eh_frame_hdr "
				"--remove-section=.debug_frame '%s' '%s'",
				spath("prog"), spath("prog.none")),
			 0);
	compile_path_ok(spath("prog.none"), &td);
	assert_int_equal(td.nrows, 0);
	assert_int_equal(td.nfuncs, 0);
	cfi_table_free(&td);
	cfi_table_free(&t);
}

static void test_elf_errors(void **state)
{
	struct cfi_table t;
	struct trec_err err = { 0 };
	write_file(spath("notelf"), "hello, world\n", 13);
	assert_int_equal(compile_file(spath("notelf"), NULL, &t, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, spath("notelf")));
	assert_int_equal(compile_file("/dev/null", NULL, &t, &err), -ENOEXEC);
	assert_int_equal(cfi_compile_elf(-1, "nofd", NULL, &t, &err), -EBADF);

	const char *ld = LIBDIR "ld-linux-x86-64.so.2";
	if (access(ld, R_OK) || !tu_have_tool("cp")) {
		print_message("skipped the rest: no %s\n", ld);
		return;
	}
	/* another machine, another class */
	assert_int_equal(tu_run("cp '%s' '%s'", ld, spath("arm")), 0);
	uint16_t machine = 183;
	patch_file(spath("arm"), 18, &machine, 2);
	assert_int_equal(compile_file(spath("arm"), NULL, &t, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "not a 64-bit little-endian x86-64 ELF file (class 2, data 1, machine 183)"));
	assert_int_equal(tu_run("cp '%s' '%s'", ld, spath("elf32")), 0);
	patch_file(spath("elf32"), 4, "\x01", 1);
	assert_int_equal(compile_file(spath("elf32"), NULL, &t, &err), -ENOEXEC);

	/* .eh_frame's contents past the end of the file; its size absurd */
	uint64_t shdr_at, data_at;
	assert_int_equal(tu_run("cp '%s' '%s'", ld, spath("past")), 0);
	assert_int_equal(find_section(spath("past"), ".eh_frame", &shdr_at, &data_at), 0);
	uint64_t far = (uint64_t)1 << 40;
	patch_file(spath("past"), shdr_at + 24, &far, 8); /* sh_offset */
	assert_int_equal(compile_file(spath("past"), NULL, &t, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "cannot read .eh_frame"));
	assert_int_equal(tu_run("cp '%s' '%s'", ld, spath("huge")), 0);
	patch_file(spath("huge"), shdr_at + 32, &far, 8); /* sh_size */
	assert_int_equal(compile_file(spath("huge"), NULL, &t, &err), -E2BIG);
	assert_non_null(strstr(err.msg, ".eh_frame of 1099511627776 bytes, over"));
	/* a file cut short: libelf no longer finds the section headers (at the end) */
	struct stat st;
	assert_int_equal(stat(ld, &st), 0);
	assert_int_equal(tu_run("head -c %lld '%s' > '%s'", (long long)data_at + 100, ld, spath("cut")), 0);
	int rc = compile_file(spath("cut"), NULL, &t, &err);
	assert_true(rc == 0 || rc == -EBADMSG || rc == -ENOEXEC);
	cfi_table_free(&t);

	if (have_cc) {
		write_file(spath("obj.c"), prog_src, strlen(prog_src));
		assert_int_equal(tu_run("cc -c -o '%s' '%s'", spath("obj.o"), spath("obj.c")), 0);
		assert_int_equal(compile_file(spath("obj.o"), NULL, &t, &err), -ENOEXEC);
		assert_non_null(strstr(err.msg, "relocatable"));
	}
}

/* A separate debug file (libc6-dbg) whose .eh_frame is NOBITS and which
 * has no .debug_frame: nothing to compile, and no error. */
static void test_elf_debug_file(void **state)
{
	uint8_t id[64];
	char path[256];
	int n = tu_readelf_build_id(LIBDIR "libc.so.6", id, sizeof(id));
	if (n < 2) {
		print_message("skipped: libc.so.6 has no build-id (or no readelf)\n");
		return;
	}
	int w = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", id[0]);
	for (int i = 1; i < n; i++)
		w += snprintf(path + w, sizeof(path) - (size_t)w, "%02x", id[i]);
	snprintf(path + w, sizeof(path) - (size_t)w, ".debug");
	if (access(path, R_OK)) {
		print_message("skipped: %s is absent (libc6-dbg)\n", path);
		return;
	}
	struct cfi_table t;
	compile_path_ok(path, &t);
	assert_int_equal(t.st.cies + t.st.fdes, 0);
	assert_int_equal(t.nrows + t.nfuncs, 0);
	cfi_table_free(&t);
}

static void test_api(void **state)
{
	struct sb *s = malloc(sizeof(*s));
	struct cfi_table t, tf;
	struct trec_err err = { 0 };
	struct cie_desc c = { 0 };
	sb_init(s, 0, 0);
	size_t ci = put_cie(s, &c);
	add_fde(s, ci, &c, 0x2000, 0x10, INS(0x41, 0x0e, 16));
	add_fde(s, ci, &c, 0x1000, 0x10, INS(0x41, 0x0e, 16));
	struct cfi_section sec = as_section(s);

	assert_int_equal(cfi_compile(&sec, 1, "x", NULL, &t, &err), 0); /* NULL: rows and funcs */
	assert_int_equal(t.nrows, 6);
	assert_int_equal(t.nfuncs, 2);
	struct cfi_opts o = { .sz = sizeof(o), .want_funcs = 1 };
	assert_int_equal(cfi_compile(&sec, 1, "x", &o, &tf, &err), 0);
	assert_int_equal(tf.nrows, 0);
	assert_null(tf.rows);
	expect_funcs(&tf, t.funcs, t.nfuncs);
	cfi_table_free(&tf);
	/* an older, shorter struct: the fields it lacks are zero (no wants) */
	o = (struct cfi_opts){ .sz = offsetof(struct cfi_opts, want_funcs), .want_funcs = 1, .want_rows = 1 };
	assert_int_equal(cfi_compile(&sec, 1, "x", &o, &tf, &err), 0);
	assert_int_equal(tf.nrows + tf.nfuncs, 0);
	assert_int_equal(tf.st.fdes, 2);
	cfi_table_free(&tf);

	o.sz = 0;
	assert_int_equal(cfi_compile(&sec, 1, "x", &o, &tf, &err), -EINVAL);
	assert_int_equal(cfi_compile(NULL, 1, "x", NULL, &tf, &err), -EINVAL);
	assert_int_equal(cfi_compile(&sec, 1, "x", NULL, NULL, &err), -EINVAL);
	assert_int_equal(cfi_compile(NULL, 0, NULL, NULL, &tf, NULL), 0); /* nothing: empty */
	assert_int_equal(tf.nrows + tf.nfuncs, 0);
	struct cfi_opts r;
	assert_int_equal(cfi_opts_resolve(NULL, &r), 0);
	assert_int_equal(r.max_rows, CFI_DEFAULT_MAX_ROWS);
	assert_true(r.want_rows && r.want_funcs);
	cfi_table_free(&t);
	free(s);
}

/* ---- dump mode -------------------------------------------------------------------------- */

static int dump_file(const char *path)
{
	struct cfi_table t;
	struct trec_err err = { 0 };
	double t0 = now_ms();
	int rc = compile_file(path, NULL, &t, &err);
	double ms = now_ms() - t0;
	if (rc) {
		fprintf(stderr, "%s\n", trec_errmsg(&err, rc));
		cfi_table_free(&t);
		return 1;
	}
	/* the best of 20 more runs: the compile alone, file cache warm */
	for (int i = 0; i < 20; i++) {
		struct cfi_table t2;
		double t1 = now_ms();
		compile_file(path, NULL, &t2, NULL);
		double m = now_ms() - t1;
		if (m < ms)
			ms = m;
		cfi_table_free(&t2);
	}
	printf("# %s: %zu rows, %zu funcs; %" PRIu64 " CIEs, %" PRIu64 " FDEs (%" PRIu64 " skipped: %" PRIu64
	       " empty, %" PRIu64 " overlapping, %" PRIu64 " bad programs), %" PRIu64 " instructions; best %.3f ms\n",
	       path, t.nrows, t.nfuncs, t.st.cies, t.st.fdes, t.st.fdes_bad, t.st.fdes_empty, t.st.fdes_overlap,
	       t.st.fdes_bad_insns, t.st.insns, ms);
	if (t.st.first_bad)
		printf("# first bad entry: %s at offset 0x%" PRIx64 ": %s\n", t.st.first_bad_section,
		       t.st.first_bad_off, t.st.first_bad);
	for (size_t i = 0, f = 0; i < t.nrows; i++) {
		char buf[64];
		for (; f < t.nfuncs && t.funcs[f].start <= t.rows[i].pc; f++)
			printf("func %016" PRIx64 "..%016" PRIx64 "\n", t.funcs[f].start, t.funcs[f].end);
		format_rule(t.rows[i].rule, buf, sizeof(buf));
		printf("  %016" PRIx64 " %s\n", t.rows[i].pc, buf);
	}
	cfi_table_free(&t);
	return 0;
}

/* ---- main -------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	have_cc = tu_have_tool("cc");
	have_readelf = tu_have_tool("readelf");
	have_objcopy = tu_have_tool("objcopy");
	if (!scratch_make("cfi"))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	return scratch_remove();
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--dump")) {
		int rc = 0;
		for (int i = 2; i < argc; i++)
			rc |= dump_file(argv[i]);
		return rc;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readelf_libc),
		cmocka_unit_test(test_readelf_liblzma),
		cmocka_unit_test(test_readelf_libstdcxx),
		cmocka_unit_test(test_readelf_ld_so),
		cmocka_unit_test(test_readelf_python),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_advances),
		cmocka_unit_test(test_rbp_rules),
		cmocka_unit_test(test_cfa_rules),
		cmocka_unit_test(test_plt),
		cmocka_unit_test(test_return_address),
		cmocka_unit_test(test_remember_restore),
		cmocka_unit_test(test_signal_frame),
		cmocka_unit_test(test_64bit_lengths),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_cie_versions),
		cmocka_unit_test(test_augmentations),
		cmocka_unit_test(test_debug_frame_forward_cie),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_hostile_cie_pointers),
		cmocka_unit_test(test_hostile_leb128),
		cmocka_unit_test(test_hostile_advance),
		cmocka_unit_test(test_hostile_bombs),
		cmocka_unit_test(test_hostile_truncation),
		cmocka_unit_test(test_hostile_overwrite),
		cmocka_unit_test(test_elf_debug_frame),
		cmocka_unit_test(test_elf_errors),
		cmocka_unit_test(test_elf_debug_file),
		cmocka_unit_test(test_api),
	};
	return cmocka_run_group_tests_name("record CFI compiler", tests, group_setup, group_teardown);
}
