/* SPDX-License-Identifier: MIT */
/*
 * Symbol tables read at record time (record/symtab.c): ELF function
 * symbols checked against nm, the load bias checked against real runtime
 * addresses, .gnu_debugdata, kallsyms and its subset, perf maps, the
 * cache, and hostile input (which must fail cleanly, never crash: run
 * this under ASan too).
 *
 * Test programs are compiled at test time with `cc -O1 -g -fno-inline`;
 * without a compiler those tests are skipped with the reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"
#include "elftools.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libiberty/demangle.h>

#include "buf.h"
#include "buildid.h"
#include "records.h"
#include "ksyms.h"
#include "symtab.h"
#include "symtab_build.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* ---- helpers ------------------------------------------------------------------ */

static char tmpdir[64];
static int have_cc;


static int fds_at_start;
static int setup_fds(void **state)
{
	fds_at_start = scratch_count_fds();
	return 0;
}
static int check_fds(void **state)
{
	int now = scratch_count_fds();
	if (now != fds_at_start) {
		print_error("fd leak: %d open before the test, %d after\n", fds_at_start, now);
		return -1;
	}
	return 0;
}

static const char *tpath(const char *name)
{
	static char bufs[8][256];
	static int k;
	char *b = bufs[k++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
	assert_int_equal(tu_write_file(path, data, len), 0);
}

static void *slurp(const char *path, size_t *len)
{
	void *p = tu_slurp(path, len);
	assert_non_null(p);
	return p;
}

static const struct trec_sym *by_name(const struct trec_dso_syms *d, const char *name)
{
	for (uint32_t i = 0; i < d->nsyms; i++)
		if (strcmp(d->syms[i].name, name) == 0)
			return &d->syms[i];
	return NULL;
}

/* What a reader does: the symbol with the greatest addr <= a, if a is
 * inside it. */
static const struct trec_sym *lookup(const struct trec_dso_syms *d, uint64_t a)
{
	uint32_t lo = 0, hi = d->nsyms;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (d->syms[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct trec_sym *s = &d->syms[lo - 1];
	return a < s->addr + s->size ? s : NULL;
}

/*
 * One symbol per address, by address; named ones have a name, unnamed
 * (FDE) ones none, a size, and no overlap with the symbol after them;
 * a demangled name only where it differs from the name.
 */
static void assert_sorted_unique(const struct trec_dso_syms *d)
{
	for (uint32_t i = 1; i < d->nsyms; i++)
		assert_true(d->syms[i - 1].addr < d->syms[i].addr);
	for (uint32_t i = 0; i < d->nsyms; i++) {
		const struct trec_sym *s = &d->syms[i];
		assert_non_null(s->name);
		if (s->flags & TREC_SYM_FDE) {
			assert_int_equal(s->flags, TREC_SYM_FDE);
			assert_string_equal(s->name, "");
			assert_null(s->demangled);
			assert_true(s->size > 0);
			if (i + 1 < d->nsyms)
				assert_true(s->addr + s->size <= d->syms[i + 1].addr);
			/* a named symbol before it does not reach over its start */
			for (uint32_t k = i; k-- > 0;)
				if (!(d->syms[k].flags & TREC_SYM_FDE)) {
					assert_true(d->syms[k].addr + d->syms[k].size <= s->addr);
					break;
				}
		} else {
			assert_int_equal(s->flags, 0);
			assert_true(s->name[0] != 0);
			if (s->demangled)
				assert_string_not_equal(s->demangled, s->name);
		}
	}
}

static uint32_t count_fde(const struct trec_dso_syms *d)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < d->nsyms; i++)
		n += (d->syms[i].flags & TREC_SYM_FDE) != 0;
	return n;
}

/* sh_size of a section, from readelf (which must find it). */
static uint64_t section_size(const char *path, const char *name)
{
	uint64_t size = tu_readelf_section_size(path, name);
	assert_true(size > 0);
	return size;
}

/* ---- the test program ------------------------------------------------------------ */

/* The test program is tu_prog_src (tests/lib/elftools.h). */
static int build_prog(const char *out, const char *extra)
{
	if (!have_cc)
		return -1;
	return tu_build_prog(tmpdir, out, extra);
}

#define NEED_CC()                                                                 \
	do {                                                                      \
		if (!have_cc) {                                                   \
			print_message("skipped: no C compiler (cc) to build test programs\n"); \
			skip();                                                   \
		}                                                                 \
	} while (0)

static int group_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/trec-symtab-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	have_cc = tu_have_tool("cc");
	/* The main test program, PIE with -rdynamic (so its globals are also
	 * in .dynsym for the stripped copy), and a non-PIE one. */
	if (have_cc && (build_prog(tpath("pie"), "-fPIE -pie -rdynamic") ||
			build_prog(tpath("nopie"), "-fno-PIE -no-pie")))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	if (tmpdir[0])
		tu_run("rm -rf '%s'", tmpdir);
	return 0;
}

/* ---- ELF: against nm --------------------------------------------------------------- */

static const struct tu_nmsym *nm_find(const struct tu_nmsym *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Whether objdump names a PLT stub `name` (e.g. "puts@plt") at addr, as
 * perf does: nm does not list PLT stubs. */
static int objdump_has_plt(const char *path, const char *name, uint64_t addr)
{
	char cmd[1024], want[600], line[1024];
	snprintf(cmd, sizeof(cmd), "objdump -d -j .plt -j .plt.sec '%s' 2>/dev/null", path);
	snprintf(want, sizeof(want), "%016" PRIx64 " <%s>:", addr, name);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int found = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = 1;
	pclose(f);
	return found;
}

static void check_against_nm(const char *path, const struct trec_dso_syms *d)
{
	static struct tu_nmsym nm[8192];
	size_t n = tu_nm_functions(path, nm, 8192);
	assert_true(n > 5);
	/* every named symbol we return is one nm knows, at the same address */
	for (uint32_t i = 0; i < d->nsyms; i++) {
		if (d->syms[i].flags & TREC_SYM_FDE)
			continue;
		size_t nl = strlen(d->syms[i].name);
		if (nl > 4 && !strcmp(d->syms[i].name + nl - 4, "@plt")) {
			if (!objdump_has_plt(path, d->syms[i].name, d->syms[i].addr))
				fail_msg("%s: %s at %" PRIx64 " is not objdump's PLT stub", path, d->syms[i].name,
					 d->syms[i].addr);
			continue;
		}
		const struct tu_nmsym *s = nm_find(nm, n, d->syms[i].name);
		if (!s)
			fail_msg("%s: %s not listed by nm", path, d->syms[i].name);
		assert_int_equal(s->addr, d->syms[i].addr);
		if (s->size)
			assert_int_equal(s->size, d->syms[i].size);
	}
	/* every sized text function nm lists has its address covered */
	for (size_t i = 0; i < n; i++) {
		if (!nm[i].size || !nm[i].addr)
			continue;
		const struct trec_sym *s = lookup(d, nm[i].addr);
		if (!s || s->addr != nm[i].addr)
			fail_msg("%s: %s at %" PRIx64 " (nm) missing", path, nm[i].name, nm[i].addr);
	}
}

static void test_elf_vs_nm(void **state)
{
	NEED_CC();
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	const char *bins[] = { tpath("pie"), tpath("nopie") };

	for (size_t b = 0; b < 2; b++) {
		tarena_init(&a);
		int rc = symtab_read_elf(bins[b], -1, &a, &d, &err);
		if (rc)
			fail_msg("%s", err.msg);
		assert_string_equal(d.path, bins[b]);
		assert_sorted_unique(&d);
		check_against_nm(bins[b], &d);

		assert_non_null(by_name(&d, "trec_global_fn"));
		assert_non_null(by_name(&d, "trec_local_fn"));
		assert_non_null(by_name(&d, "main"));
		/* aliases: the shorter global; the global over the local */
		assert_non_null(by_name(&d, "trec_al"));
		assert_null(by_name(&d, "trec_alias_long_target_name"));
		assert_non_null(by_name(&d, "trec_global_alias_of_local"));
		assert_null(by_name(&d, "trec_lc"));
		/* no .size: up to the next symbol */
		const struct trec_sym *ns = by_name(&d, "trec_nosize"), *af = by_name(&d, "trec_after");
		assert_non_null(ns);
		assert_non_null(af);
		assert_true(af->addr > ns->addr);
		assert_int_equal(ns->size, af->addr - ns->addr);
		assert_int_equal(af->size, 1);
		/* _init has no size: it ends with .init, not at the PLT after it */
		const struct trec_sym *in = by_name(&d, "_init");
		assert_non_null(in);
		assert_int_equal(in->size, section_size(bins[b], ".init"));

		uint8_t id[BUILDID_MAX];
		int n = tu_readelf_build_id(bins[b], id, BUILDID_MAX);
		assert_true(n > 0);
		assert_int_equal(d.build_id_len, n);
		assert_memory_equal(d.build_id, id, (size_t)n);
		tarena_free(&a);
	}
}

/* A stripped copy has no .symtab: the exported functions come from
 * .dynsym; the static ones have no name, but each is still a function
 * (an unnamed entry from its FDE) at its own address with its own size. */
static void test_elf_stripped(void **state)
{
	NEED_CC();
	struct tarena a;
	struct trec_dso_syms full, d;
	struct trec_err err = { 0 };
	const char *stripped = tpath("pie.stripped");

	assert_int_equal(tu_run("strip -o '%s' '%s'", stripped, tpath("pie")), 0);
	tarena_init(&a);
	assert_int_equal(symtab_read_elf(tpath("pie"), -1, &a, &full, &err), 0);
	int rc = symtab_read_elf(stripped, -1, &a, &d, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_sorted_unique(&d);
	assert_true(d.nsyms < full.nsyms);
	const struct trec_sym *g = by_name(&d, "trec_global_fn"), *fg = by_name(&full, "trec_global_fn");
	assert_non_null(g);
	assert_int_equal(g->addr, fg->addr);
	assert_int_equal(g->size, fg->size);
	assert_non_null(by_name(&d, "main"));
	assert_null(by_name(&d, "trec_local_fn"));
	const struct trec_sym *fl = by_name(&full, "trec_local_fn"), *ul = lookup(&d, fl->addr + 1);
	assert_non_null(ul);
	assert_int_equal(ul->flags, TREC_SYM_FDE);
	assert_int_equal(ul->addr, fl->addr);
	assert_int_equal(ul->size, fl->size);
	/* every function of the full table that has an FDE (readelf says)
	 * is named or starts an unnamed entry: nothing falls into a
	 * neighbour; and every FDE no symbol covers is an unnamed entry */
	static uint64_t fde[1024][2];
	size_t nfde = tu_readelf_fdes(stripped, fde, 1024), checked = 0;
	assert_true(nfde > 3);
	for (size_t k = 0; k < nfde; k++) {
		const struct trec_sym *s = lookup(&d, fde[k][0]);
		if (!s)
			fail_msg("FDE %#" PRIx64 "..%#" PRIx64 ": nothing covers it", fde[k][0], fde[k][1]);
		if (s->flags & TREC_SYM_FDE) {
			assert_int_equal(s->addr, fde[k][0]);
			assert_true(s->addr + s->size <= fde[k][1]);
		}
		const struct trec_sym *f = lookup(&full, fde[k][0]);
		if (f && f->addr == fde[k][0]) {
			if (s->addr != f->addr)
				fail_msg("%s at %#" PRIx64 ": the stripped copy has %s at %#" PRIx64, f->name,
					 f->addr, s->name[0] ? s->name : "an unnamed function", s->addr);
			checked++;
		}
	}
	assert_true(checked >= 4); /* main, the globals, the static function */
	assert_true(count_fde(&d) > 0);
	assert_int_equal(d.load_bias, full.load_bias);
	assert_int_equal(d.build_id_len, full.build_id_len);
	assert_memory_equal(d.build_id, full.build_id, full.build_id_len);
	tarena_free(&a);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_elf_libc(void **state)
{
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	struct timespec t0;

	if (access(LIBC, R_OK) != 0) {
		print_message("skipped: no %s\n", LIBC);
		skip();
	}
	tarena_init(&a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = symtab_read_elf(LIBC, -1, &a, &d, &err);
	double ms = ms_since(&t0);
	if (rc)
		fail_msg("%s", err.msg);
	print_message("libc: %u symbols in %.2f ms (arena %zu bytes)\n", d.nsyms, ms, a.used);
	assert_sorted_unique(&d);
	assert_true(d.nsyms > 1000);
	const struct trec_sym *m = by_name(&d, "malloc"), *p = by_name(&d, "printf");
	assert_non_null(m);
	assert_non_null(p);
	assert_true(m->size > 0);
	assert_true(p->size > 0);
	assert_ptr_equal(lookup(&d, m->addr + 1), m);

	uint8_t id[BUILDID_MAX];
	int n = tu_readelf_build_id(LIBC, id, BUILDID_MAX);
	assert_true(n > 0);
	assert_int_equal(d.build_id_len, n);
	assert_memory_equal(d.build_id, id, (size_t)n);
	tarena_free(&a);
}

/* ---- load bias against real runtime addresses ------------------------------------- */

/* Runs `bin arg`; for each line "NAME ADDR START PGOFF" it prints, maps
 * ADDR the way a reader would and expects NAME (in dso, or in libc_d for
 * "printf"). Returns the number of lines checked. */
static int check_runtime(const char *bin, const char *arg, const struct trec_dso_syms *dso,
			 const struct trec_dso_syms *libc_d)
{
	char cmd[512], line[512], name[128];
	uint64_t addr, start, pgoff;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "'%s' %s", bin, arg);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		assert_int_equal(sscanf(line, "%127s %" SCNx64 " %" SCNx64 " %" SCNx64, name, &addr, &start, &pgoff), 4);
		const struct trec_dso_syms *d = strcmp(name, "printf") == 0 ? libc_d : dso;
		uint64_t file_offset = addr - start + pgoff;
		uint64_t sym_addr = file_offset + d->load_bias;
		const struct trec_sym *s = lookup(d, sym_addr);
		if (!s || strcmp(s->name, name) != 0)
			fail_msg("%s: %s at runtime %#" PRIx64 " -> %#" PRIx64 " maps to %s", bin, name, addr,
				 sym_addr, s ? s->name : "nothing");
		n++;
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

static void test_load_bias(void **state)
{
	NEED_CC();
	struct tarena a;
	struct trec_dso_syms pie, nopie, libc_d;
	struct trec_err err = { 0 };

	tarena_init(&a);
	assert_int_equal(symtab_read_elf(tpath("pie"), -1, &a, &pie, &err), 0);
	assert_int_equal(symtab_read_elf(tpath("nopie"), -1, &a, &nopie, &err), 0);
	assert_int_equal(symtab_read_elf(LIBC, -1, &a, &libc_d, &err), 0);
	print_message("load_bias: pie %#" PRIx64 ", non-pie %#" PRIx64 ", libc %#" PRIx64 "\n", pie.load_bias,
		      nopie.load_bias, libc_d.load_bias);
	/* GNU ld: a PIE's text sits at its file offset; a non-PIE's is linked at 0x400000 + offset */
	assert_int_equal(nopie.load_bias, 0x400000);
	assert_int_equal(check_runtime(tpath("pie"), "libc", &pie, &libc_d), 4);
	assert_int_equal(check_runtime(tpath("nopie"), "x", &nopie, &libc_d), 3);
	tarena_free(&a);
}

static int __attribute__((noinline)) self_marker_fn(int x)
{
	return x * 7 + 3;
}

/* This test binary itself, from /proc/self/maps: a large, real table. */
static void test_load_bias_self(void **state)
{
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	char line[4096];
	uint64_t addr = (uint64_t)(uintptr_t)&self_marker_fn + 1, start, end, pgoff;
	int found = 0;

	assert_int_equal(self_marker_fn(1), 10);
	tarena_init(&a);
	int rc = symtab_read_elf("/proc/self/exe", -1, &a, &d, &err);
	if (rc)
		fail_msg("%s", err.msg);
	FILE *f = fopen("/proc/self/maps", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64, &start, &end, &pgoff) == 3 &&
		    addr >= start && addr < end) {
			found = 1;
			break;
		}
	fclose(f);
	assert_true(found);
	const struct trec_sym *s = lookup(&d, addr - start + pgoff + d.load_bias);
	assert_non_null(s);
	assert_string_equal(s->name, "self_marker_fn");
	print_message("this test binary: %u symbols\n", d.nsyms);
	tarena_free(&a);
}

/* ---- .gnu_debugdata ---------------------------------------------------------------- */

/* The mini-debuginfo the way Fedora's find-debuginfo makes it: the
 * function symbols that .dynsym lacks, in a debug-only ELF, xz'd into
 * .gnu_debugdata of the stripped binary. */
static int make_minidebug(const char *bin, const char *out)
{
	return tu_run("cd '%s' && "
		   "nm -D '%s' --format=posix --defined-only | awk '{print $1}' | sort > dynsyms && "
		   "nm '%s' --format=posix --defined-only | awk '$2==\"T\"||$2==\"t\"{print $1}' | sort > funcsyms && "
		   "comm -13 dynsyms funcsyms > keep && "
		   "objcopy --only-keep-debug '%s' full.debug && "
		   "objcopy -S --remove-section .gdb_index --remove-section .comment --keep-symbols=keep full.debug mini && "
		   "rm -f mini.xz && xz -k mini && "
		   "strip --strip-all -R .comment -o '%s' '%s' && "
		   "objcopy --add-section .gnu_debugdata=mini.xz '%s'",
		   tmpdir, bin, bin, bin, out, bin, out);
}

static void test_debugdata(void **state)
{
	NEED_CC();
	if (!tu_have_tool("xz") || !tu_have_tool("objcopy")) {
		print_message("skipped: xz or objcopy missing (xz-utils, binutils)\n");
		skip();
	}
	struct tarena a;
	struct trec_dso_syms full, d;
	struct trec_err err = { 0 };
	const char *mini = tpath("pie.minidebug");

	assert_int_equal(make_minidebug(tpath("pie"), mini), 0);
	assert_int_equal(tu_run("readelf -S '%s' | grep -q gnu_debugdata", mini), 0);
	tarena_init(&a);
	assert_int_equal(symtab_read_elf(tpath("pie"), -1, &a, &full, &err), 0);
	int rc = symtab_read_elf(mini, -1, &a, &d, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_sorted_unique(&d);
	/* the static function came from .gnu_debugdata, the global from .dynsym */
	const struct trec_sym *l = by_name(&d, "trec_local_fn"), *fl = by_name(&full, "trec_local_fn");
	assert_non_null(l);
	assert_int_equal(l->addr, fl->addr);
	assert_int_equal(l->size, fl->size);
	assert_non_null(by_name(&d, "trec_global_fn"));
	/* every function the full binary has (by address) is there again */
	for (uint32_t i = 0; i < full.nsyms; i++) {
		const struct trec_sym *s = lookup(&d, full.syms[i].addr);
		if (!s || s->addr != full.syms[i].addr)
			fail_msg("%s missing from the minidebuginfo table", full.syms[i].name);
	}
	print_message("minidebuginfo: %u symbols (full binary %u)\n", d.nsyms, full.nsyms);

	/* a corrupt xz stream in .gnu_debugdata is an error naming the file */
	const char *bad = tpath("pie.baddebug");
	write_file(tpath("junk.xz"), "\xfd" "7zXZ\0 not really xz at all", 27);
	assert_int_equal(tu_run("strip -o '%s' '%s' && objcopy --add-section .gnu_debugdata='%s' '%s'", bad,
			     tpath("pie"), tpath("junk.xz"), bad), 0);
	memset(&err, 0, sizeof(err));
	rc = symtab_read_elf(bad, -1, &a, &d, &err);
	assert_int_equal(rc, -ENOEXEC);
	assert_non_null(strstr(err.msg, bad));
	assert_non_null(strstr(err.msg, ".gnu_debugdata"));
	tarena_free(&a);
}

/* A decompression bomb: more than SYMTAB_MAX_DEBUGDATA of zeros. */
static void test_debugdata_bomb(void **state)
{
	NEED_CC();
	if (!tu_have_tool("xz") || !tu_have_tool("objcopy")) {
		print_message("skipped: xz or objcopy missing (xz-utils, binutils)\n");
		skip();
	}
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	const char *bomb = tpath("pie.bomb");

	assert_int_equal(tu_run("head -c %u /dev/zero | xz -0 -T1 > '%s' && strip -o '%s' '%s' && "
			     "objcopy --add-section .gnu_debugdata='%s' '%s'",
			     SYMTAB_MAX_DEBUGDATA + 4096, tpath("bomb.xz"), bomb, tpath("pie"),
			     tpath("bomb.xz"), bomb), 0);
	tarena_init(&a);
	int rc = symtab_read_elf(bomb, -1, &a, &d, &err);
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err.msg, "decompresses to more than"));
	tarena_free(&a);
}

/* ---- hostile input ------------------------------------------------------------------ */

static void expect_fail(const char *path, struct tarena *a)
{
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	int rc = symtab_read_elf(path, -1, a, &d, &err);
	assert_true(rc < 0);
	assert_int_equal(err.code, rc);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(d.nsyms, 0);
	assert_null(d.syms);
}

/* ---- demangling -------------------------------------------------------------------- */

/* The demangled names perf 6.1 prints (cplus_demangle(name, DMGL_NO_OPTS),
 * checked against `perf report` on programs built here): C++ without
 * parameters or clone suffixes, Rust legacy without the hash, Rust v0. */
static const struct {
	const char *mangled, *shown;
} demangle_cases[] = {
	{ "_ZN3app6detail3mixEdi", "app::detail::mix" },
	{ "_ZN3app6WorkerIiE3runERKSt6vectorIiSaIiEE.isra.0", "app::Worker<int>::run" },
	{ "_ZNSt6vectorIiSaIiEED2Ev", "std::vector<int, std::allocator<int> >::~vector" },
	{ "_ZN5crate6module4func17h0123456789abcdefE", "crate::module::func" },
	{ "_RNvNtCs1234_5crate6module4func", "crate::module::func" },
	{ "_RNvMNtCs1234_5crate6engineINtB2_4GridmE8checksum", "<crate::engine::Grid<u32>>::checksum" },
	{ "plain_c_function", NULL },
	{ "_Znot_really_mangled", NULL },
};

/* Mangled names whose demangled form doubles every few bytes: each level
 * is a template argument P<X, X> of the one before (see record/symtab.c). */
static char *bomb_name(int levels)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t cap = 64 + (size_t)levels * 16;
	char *m = malloc(cap);
	assert_non_null(m);
	size_t len = (size_t)snprintf(m, cap, "_Z1fI1PIiiE");
	for (int k = 1; k <= levels; k++) {
		char sub[16], d[8];
		int n = 0, v = k - 1;
		do {
			d[n++] = digits[v % 36];
			v /= 36;
		} while (v);
		int sl = 0;
		sub[sl++] = 'S';
		while (n)
			sub[sl++] = d[--n];
		sub[sl++] = '_';
		sub[sl] = 0;
		len += (size_t)snprintf(m + len, cap - len, "S_I%s%sE", sub, sub);
	}
	snprintf(m + len, cap - len, "Evv");
	return m;
}

/* A Rust v0 name whose demangled form doubles with each level: a::f with
 * generic arguments, each a tuple of two back-references to the previous
 * one. */
static char *rust_bomb_name(int levels)
{
	static const char b62[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t cap = 64 + (size_t)levels * 24, len;
	char *m = malloc(cap);
	assert_non_null(m);
	/* positions count from after "_R" */
	len = (size_t)snprintf(m, cap, "_RINvC1a1f");
	size_t prev = len - 2;
	len += (size_t)snprintf(m + len, cap - len, "TuuE");
	for (int k = 0; k < levels; k++) {
		char ref[16];
		int n = 0;
		uint64_t v = prev; /* B<v - 1 in base 62>_, or B_ for 0 */
		if (v) {
			char d[16];
			int nd = 0;
			v--;
			do {
				d[nd++] = b62[v % 62];
				v /= 62;
			} while (v);
			while (nd)
				ref[n++] = d[--nd];
		}
		ref[n++] = '_';
		ref[n] = 0;
		prev = len - 2;
		len += (size_t)snprintf(m + len, cap - len, "TB%sB%sE", ref, ref);
	}
	snprintf(m + len, cap - len, "E");
	return m;
}

/* A Rust v0 name with one Punycode identifier: "cores::" and then n
 * times U+00E4 (2 bytes of UTF-8 each). */
static char *rust_punycode_name(int n)
{
	char *m = malloc((size_t)n + 64);
	assert_non_null(m);
	int len = sprintf(m, "_RNvC5coresu%d_4c", n + 2);
	memset(m + len, 'a', (size_t)n);
	m[len + n] = 0;
	return m;
}

/* Present in sanitizer builds: what the Rust demangler leaks when a
 * Punycode name is cut (bounded, see record/symtab.c) is not this test's
 * leak to report. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

/* An assembler function with the given symbol name. */
static void put_asm_function(FILE *f, const char *name)
{
	fprintf(f, "__asm__(\".text\\n.globl %s\\n.type %s,@function\\n%s:\\n ret\\n.size %s, 1\\n\");\n", name,
		name, name, name);
}

static void test_demangle(void **state)
{
	NEED_CC();
	char *bomb24 = bomb_name(24), *bomb60 = bomb_name(60);
	char *rbomb16 = rust_bomb_name(16), *rbomb40 = rust_bomb_name(40);
	char *puny = rust_punycode_name(2100);
	FILE *f = fopen(tpath("names.c"), "w");
	assert_non_null(f);
	for (size_t i = 0; i < sizeof(demangle_cases) / sizeof(demangle_cases[0]); i++)
		put_asm_function(f, demangle_cases[i].mangled);
	put_asm_function(f, bomb24);
	put_asm_function(f, bomb60);
	put_asm_function(f, rbomb16);
	put_asm_function(f, rbomb40);
	put_asm_function(f, puny);
	fprintf(f, "int main(void) { return 0; }\n");
	fclose(f);
	assert_int_equal(tu_run("cc -o '%s' '%s'", tpath("names"), tpath("names.c")), 0);

	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	struct timespec t0;
	tarena_init(&a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (__lsan_disable)
		__lsan_disable();
	int rc = symtab_read_elf(tpath("names"), -1, &a, &d, &err);
	if (__lsan_enable)
		__lsan_enable();
	double ms = ms_since(&t0);
	if (rc)
		fail_msg("%s", err.msg);
	assert_sorted_unique(&d);
	for (size_t i = 0; i < sizeof(demangle_cases) / sizeof(demangle_cases[0]); i++) {
		const struct trec_sym *s = by_name(&d, demangle_cases[i].mangled);
		assert_non_null(s);
		if (demangle_cases[i].shown)
			assert_string_equal(s->demangled, demangle_cases[i].shown);
		else
			assert_null(s->demangled);
	}
	assert_null(by_name(&d, "main")->demangled);

	/* 192 KB demangled: the first 4096 bytes of what cplus_demangle gives */
	const struct trec_sym *b = by_name(&d, bomb24);
	assert_non_null(b);
	assert_non_null(b->demangled);
	char *ref = cplus_demangle(bomb24, DMGL_NO_OPTS);
	assert_non_null(ref);
	assert_true(strlen(ref) > 100000);
	assert_int_equal(strlen(b->demangled), SYMTAB_MAX_NAME);
	assert_memory_equal(b->demangled, ref, SYMTAB_MAX_NAME);
	free(ref);
	/* 2^18 times that (cplus_demangle still runs after 5 s): cut just the
	 * same, in bounded time */
	b = by_name(&d, bomb60);
	assert_non_null(b);
	assert_non_null(b->demangled);
	assert_int_equal(strlen(b->demangled), SYMTAB_MAX_NAME);
	assert_true(!strncmp(b->demangled, "f<P<int, int>, f<P, P>, ", 24));

	/* Rust v0: 1.5 MB demangled, cut to the first 4096 bytes */
	b = by_name(&d, rbomb16);
	assert_non_null(b);
	assert_non_null(b->demangled);
	ref = cplus_demangle(rbomb16, DMGL_NO_OPTS);
	assert_non_null(ref);
	assert_true(strlen(ref) > 1000000);
	assert_int_equal(strlen(b->demangled), SYMTAB_MAX_NAME);
	assert_memory_equal(b->demangled, ref, SYMTAB_MAX_NAME);
	free(ref);
	/* 2^24 times that: the same, in bounded time */
	b = by_name(&d, rbomb40);
	assert_non_null(b);
	assert_non_null(b->demangled);
	assert_int_equal(strlen(b->demangled), SYMTAB_MAX_NAME);
	assert_true(!strncmp(b->demangled, "a::f::<((), ()), (((), ()), ((), ())), ", 39));
	/* Punycode: 7 + 2 x 2100 bytes, cut before the character that would
	 * be split, so at 4095 bytes */
	b = by_name(&d, puny);
	assert_non_null(b);
	assert_non_null(b->demangled);
	ref = cplus_demangle(puny, DMGL_NO_OPTS);
	assert_non_null(ref);
	assert_int_equal(strlen(ref), 7 + 2 * 2100);
	assert_int_equal(strlen(b->demangled), SYMTAB_MAX_NAME - 1);
	assert_memory_equal(b->demangled, ref, SYMTAB_MAX_NAME - 1);
	free(ref);
	print_message("demangling: %u symbols in %.2f ms\n", d.nsyms, ms);
	assert_true(ms < 2000);
	tarena_free(&a);
	free(bomb24);
	free(bomb60);
	free(rbomb16);
	free(rbomb40);
	free(puny);
}

/* A C++ program with namespaces and templates, -O2: its functions get the
 * names perf shows, and C functions keep theirs. */
static void test_demangle_cxx(void **state)
{
	if (!tu_have_tool("c++")) {
		print_message("skipped: no C++ compiler (c++, g++)\n");
		skip();
	}
	static const char src[] = "#include <vector>\n"
				  "namespace app { namespace detail {\n"
				  "__attribute__((noinline)) double mix(double a, int n)\n"
				  "{ for (int i = 0; i < n; i++) a = a * 1.5 + 0.5; return a; } }\n"
				  "template <typename T> struct Worker { T acc{};\n"
				  "  __attribute__((noinline)) T run(const std::vector<T> &v)\n"
				  "  { for (auto x : v) acc = acc * 31 + x; return acc; } }; }\n"
				  "extern \"C\" __attribute__((noinline)) int c_entry(int x) { return x + 1; }\n"
				  "int main(int argc, char **) { std::vector<long> v(argc, 3); app::Worker<long> w;\n"
				  "  return (int)w.run(v) + (int)app::detail::mix(argc, argc) + c_entry(argc); }\n";
	write_file(tpath("cxx.cpp"), src, sizeof(src) - 1);
	assert_int_equal(tu_run("c++ -O2 -o '%s' '%s'", tpath("cxx"), tpath("cxx.cpp")), 0);
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	assert_int_equal(symtab_read_elf(tpath("cxx"), -1, &a, &d, &err), 0);
	assert_sorted_unique(&d);
	int run = 0, mix = 0;
	for (uint32_t i = 0; i < d.nsyms; i++) {
		const struct trec_sym *s = &d.syms[i];
		if (!strncmp(s->name, "_ZN3app6WorkerIlE3runE", 22)) {
			assert_string_equal(s->demangled, "app::Worker<long>::run");
			run++;
		} else if (!strcmp(s->name, "_ZN3app6detail3mixEdi")) {
			assert_string_equal(s->demangled, "app::detail::mix");
			mix++;
		}
	}
	assert_int_equal(run, 1);
	assert_int_equal(mix, 1);
	assert_null(by_name(&d, "c_entry")->demangled);
	tarena_free(&a);
}

/* ---- code labels ------------------------------------------------------------------- */

/* An untyped symbol in code names what no function covers, up to the next
 * symbol; one inside a function does not cut it; ".L" labels never show. */
static void test_code_labels(void **state)
{
	(void)state;
	if (!have_cc) {
		print_message("no C compiler: skipped\n");
		skip();
	}
	const char *src = tpath("labels.S"), *lib = tpath("labels.so");
	write_file(src, tu_labels_asm, strlen(tu_labels_asm));
	assert_int_equal(tu_run("cc -shared -nostdlib -o '%s' '%s'", lib, src), 0);
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	if (symtab_read_elf(lib, -1, &a, &d, &err))
		fail_msg("%s", err.msg);
	const char *why = tu_labels_check(&d);
	if (why)
		fail_msg("%s", why);
	tarena_free(&a);
}

/* ---- symbol sizes and unnamed functions from FDE ranges (format/symtab_build.c) ---- */

/* Many symbols in a scrambled order, with several names at one address:
 * each address comes out once, in order, under the name the rule prefers
 * (exported, then shorter, then byte order), whatever the input order. */
static int cmp_ref(const void *pa, const void *pb)
{
	const struct symbuild_sym *x = pa, *y = pb;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->global != y->global)
		return x->global ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

static void test_symbuild_order(void **state)
{
	(void)state;
	enum { N = 5000 };
	static const char *const names[] = { "zeta", "alpha", "beta", "al", "malloc", "__libc_malloc", "b" };
	struct symbuild_sym *in = calloc(N, sizeof(*in)), *ref = calloc(N, sizeof(*ref));
	assert_non_null(in);
	assert_non_null(ref);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		const char *nm = names[x % 7];
		/* 16 MiB of addresses on a high base, 1 in 8 at an address in use */
		uint64_t addr = i % 8 == 7 ? in[(x >> 8) % i].addr : 0x7f0000000000ull + ((x >> 16) & 0xffffff);
		in[i] = (struct symbuild_sym){ .addr = addr, .size = 16, .name = nm, .len = (uint32_t)strlen(nm),
					      .global = (uint8_t)((x >> 40) & 1) };
	}
	memcpy(ref, in, N * sizeof(*ref));
	qsort(ref, N, sizeof(*ref), cmp_ref);
	struct symbuild b;
	struct tarena a;
	struct trec_dso_syms d = { 0 };
	struct trec_err err = { 0 };
	tarena_init(&a);
	symbuild_init(&b, N);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(symbuild_push(&b, &in[i]), 0);
	assert_int_equal(symbuild_finish(&b, NULL, 0, &a, &d, "t", &err), 0);
	symbuild_free(&b);
	size_t k = 0;
	for (size_t i = 0; i < N; i++) {
		if (i && ref[i].addr == ref[i - 1].addr)
			continue;
		assert_true(k < d.nsyms);
		assert_true(d.syms[k].addr == ref[i].addr);
		assert_string_equal(d.syms[k].name, ref[i].name);
		k++;
	}
	assert_int_equal(k, d.nsyms);
	tarena_free(&a);
	free(in);
	free(ref);
}

static void test_symbuild_funcs(void **state)
{
	struct symbuild b;
	struct tarena a;
	struct trec_dso_syms d = { 0 };
	struct trec_err err = { 0 };
	static const struct symbuild_seg seg = { 0x1000, 0x9000 };
	/* named: a sized one, an unsized one inside an FDE, an unsized one
	 * with no FDE of its own, and a last unsized one */
	const struct symbuild_sym in[] = {
		{ .addr = 0x1000, .size = 0x100, .name = "sized", .len = 5, .global = 1 },
		{ .addr = 0x2000, .name = "asm_in_fde", .len = 10, .global = 1 },
		{ .addr = 0x4000, .name = "asm_no_fde", .len = 10, .global = 1 },
		{ .addr = 0x7000, .name = "last", .len = 4, .global = 1 },
	};
	/* FDEs: inside "sized" (covered), at "asm_in_fde", two static
	 * functions in the gap, one after asm_no_fde, one reaching past
	 * "last"'s start (cut there), one after everything */
	const struct symbuild_func fdes[] = {
		{ 0x1010, 0x1020 }, { 0x2000, 0x2080 }, { 0x2100, 0x2180 }, { 0x3000, 0x3040 },
		{ 0x4800, 0x4900 }, { 0x6f00, 0x7100 }, { 0x8000, 0x8010 },
	};
	const struct trec_sym want[] = {
		{ .addr = 0x1000, .size = 0x100, .name = "sized" },
		{ .addr = 0x2000, .size = 0x80, .name = "asm_in_fde" },  /* the FDE's end */
		{ .addr = 0x2100, .size = 0x80, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x3000, .size = 0x40, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x4000, .size = 0x800, .name = "asm_no_fde" }, /* up to the next FDE */
		{ .addr = 0x4800, .size = 0x100, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x6f00, .size = 0x100, .name = "", .flags = TREC_SYM_FDE }, /* cut at "last" */
		{ .addr = 0x7000, .size = 0x100, .name = "last" },       /* inside that FDE: to its end */
		{ .addr = 0x8000, .size = 0x10, .name = "", .flags = TREC_SYM_FDE },
	};
	tarena_init(&a);
	symbuild_init(&b, 100);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(symbuild_push(&b, &in[i]), 0);
	b.funcs = fdes;
	b.nfuncs = sizeof(fdes) / sizeof(fdes[0]);
	assert_int_equal(symbuild_finish(&b, &seg, 1, &a, &d, "t", &err), 0);
	symbuild_free(&b);
	assert_int_equal(d.nsyms, sizeof(want) / sizeof(want[0]));
	for (uint32_t i = 0; i < d.nsyms; i++) {
		if (d.syms[i].addr != want[i].addr || d.syms[i].size != want[i].size ||
		    strcmp(d.syms[i].name, want[i].name) || d.syms[i].flags != want[i].flags)
			fail_msg("entry %u: %#" PRIx64 "+%#" PRIx64 " '%s' flags %u, want %#" PRIx64 "+%#" PRIx64
				 " '%s' flags %u", i, d.syms[i].addr, d.syms[i].size, d.syms[i].name, d.syms[i].flags,
				 want[i].addr, want[i].size, want[i].name, want[i].flags);
	}

	/* without FDEs: the sizes of before (next symbol, segment end) */
	symbuild_init(&b, 100);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(symbuild_push(&b, &in[i]), 0);
	assert_int_equal(symbuild_finish(&b, &seg, 1, &a, &d, "t", &err), 0);
	symbuild_free(&b);
	assert_int_equal(d.nsyms, 4);
	assert_int_equal(d.syms[1].size, 0x2000);
	assert_int_equal(d.syms[3].size, 0x2000);

	/* the symbol limit caps the unnamed entries, never the named ones */
	symbuild_init(&b, 6);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(symbuild_push(&b, &in[i]), 0);
	b.funcs = fdes;
	b.nfuncs = sizeof(fdes) / sizeof(fdes[0]);
	assert_int_equal(symbuild_finish(&b, &seg, 1, &a, &d, "t", &err), 0);
	symbuild_free(&b);
	assert_int_equal(d.nsyms, 6);
	assert_int_equal(count_fde(&d), 2);
	tarena_free(&a);
}

static void test_hostile_misc(void **state)
{
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	uint8_t rnd[65536];

	tarena_init(&a);
	expect_fail("/dev/null", &a);
	expect_fail("/", &a);
	expect_fail("/nonexistent/trec-no-such-file", &a);
	write_file(tpath("text"), "hello, this is text\nnot an ELF\n", 31);
	expect_fail(tpath("text"), &a);
	write_file(tpath("empty"), "", 0);
	expect_fail(tpath("empty"), &a);
	srandom(42);
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)random();
	write_file(tpath("random"), rnd, sizeof(rnd));
	expect_fail(tpath("random"), &a);
	/* random bytes behind a valid-looking ELF64 magic */
	memcpy(rnd, "\x7f" "ELF\x02\x01\x01", 7);
	write_file(tpath("random-elf"), rnd, sizeof(rnd));
	expect_fail(tpath("random-elf"), &a);
	/* an fd that is not a regular file */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(symtab_read_elf("/dev/null", fd, &a, &d, &err), -EINVAL);
	close(fd);
	/* a relocatable object is not an executable or library */
	if (have_cc) {
		assert_int_equal(tu_run("cc -c -o '%s' '%s'", tpath("obj.o"), tpath("prog.c")), 0);
		expect_fail(tpath("obj.o"), &a);
	}
	tarena_free(&a);
}

/* The test program cut at many offsets (always an error naming the
 * file), and mutated at random: an error or a valid table, never a
 * crash. */
static void test_hostile_truncated(void **state)
{
	NEED_CC();
	struct tarena a;
	size_t len;
	uint8_t *img = slurp(tpath("pie"), &len);
	const char *cut = tpath("cut");
	int ok = 0, bad = 0;

	tarena_init(&a);
	for (size_t off = 0; off < len; off += off < 4096 ? 61 : 997) {
		struct trec_dso_syms d;
		struct trec_err err = { 0 };
		write_file(cut, img, off);
		int rc = symtab_read_elf(cut, -1, &a, &d, &err);
		if (rc) {
			assert_non_null(strstr(err.msg, cut));
			bad++;
		} else {
			assert_sorted_unique(&d);
			ok++;
		}
	}
	/* the section headers come last: every cut loses some of them */
	assert_int_equal(ok, 0);
	assert_true(bad > 50);
	tarena_free(&a);

	/* random byte flips; the section and program headers and the symbol
	 * tables are where libelf's checks matter, so flip everywhere */
	uint8_t *mut = malloc(len);
	assert_non_null(mut);
	srandom(7);
	for (int iter = 0; iter < 600; iter++) {
		struct trec_dso_syms d;
		struct trec_err err = { 0 };
		memcpy(mut, img, len);
		int flips = 1 + (int)(random() % 16);
		for (int k = 0; k < flips; k++) {
			size_t pos = (iter & 1) ? (size_t)random() % (len < 256 ? len : 256)
						: (size_t)random() % len;
			mut[pos] = (uint8_t)random();
		}
		write_file(cut, mut, len);
		tarena_init(&a);
		int rc = symtab_read_elf(cut, -1, &a, &d, &err);
		if (rc)
			assert_non_null(strstr(err.msg, cut));
		else
			for (uint32_t i = 1; i < d.nsyms; i++)
				assert_true(d.syms[i - 1].addr < d.syms[i].addr);
		tarena_free(&a);
	}
	free(mut);
	free(img);
}

/* ---- kallsyms ------------------------------------------------------------------------ */

static const struct trec_ksym *ks_find(const struct trec_ksym *k, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

static void test_kallsyms_proc(void **state)
{
	struct tarena a;
	struct trec_ksym *k = NULL, *sub = NULL;
	struct trec_err err = { 0 };
	struct timespec t0;
	size_t n = 0, nsub = 0;

	tarena_init(&a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = symtab_read_kallsyms("/proc/kallsyms", &a, &k, &n, &err);
	double ms = ms_since(&t0);
	if (rc == -EPERM) { /* not root, or kptr_restrict=2 */
		assert_non_null(strstr(err.msg, "kptr_restrict"));
		tarena_free(&a);
		print_message("skipped: kernel addresses hidden here (the error was checked)\n");
		skip();
	}
	if (rc)
		fail_msg("%s", err.msg);
	print_message("kallsyms: %zu text symbols in %.1f ms\n", n, ms);
	for (size_t i = 1; i < n; i++)
		assert_true(k[i - 1].addr <= k[i].addr);
	const struct trec_ksym *sch = ks_find(k, n, "schedule"), *op = ks_find(k, n, "do_sys_openat2");
	assert_non_null(sch);
	assert_non_null(op);
	assert_string_equal(sch->module, "");
	assert_true(strchr("tTwW", sch->type) != NULL);

	uint64_t ips[] = { op->addr + 8, sch->addr + 4, sch->addr + 1, sch->addr, 1 /* below all */ };
	assert_int_equal(ksyms_kernel_subset(k, n, ips, 5, &a, &sub, &nsub), 0);
	print_message("subset for 4 ips: %zu symbols\n", nsub);
	assert_true(nsub >= 4 && nsub <= 8);
	for (size_t i = 1; i < nsub; i++)
		assert_true(sub[i - 1].addr <= sub[i].addr);
	assert_non_null(ks_find(sub, nsub, "schedule"));
	assert_non_null(ks_find(sub, nsub, "do_sys_openat2"));
	/* the symbol after each covering one bounds it */
	for (size_t j = 0; j < 4; j++) {
		size_t i = 0;
		while (i + 1 < nsub && sub[i + 1].addr <= ips[j])
			i++;
		assert_true(sub[i].addr <= ips[j]);
		assert_true(i + 1 < nsub && sub[i + 1].addr > ips[j]);
	}
	tarena_free(&a);
}

static const char fake_kallsyms[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81001000 T startup_64\n"
	"ffffffff81002000 t local_fn\n"
	"ffffffff81002000 T glob_alias_longer\n"
	"ffffffff81002000 T glob_alias\n"
	"ffffffff81003000 W weak_fn\n"
	"ffffffff81004000 D some_data\n"
	"ffffffff81005000 b some_bss\n"
	"ffffffff81006000 r some_rodata\n"
	"garbage line\n"
	"ffffffff81007000 T\n"
	"zzzzzzzzzzzzzzzz T not_hex\n"
	"ffffffff81008000 T last_vmlinux\n"
	"ffffffffc0001000 t mod_fn\t[mymod]\n"
	"ffffffffc0000000 T mod_init\t[mymod]\n"
	"ffffffffc0002000 t other_fn\t[othermod]\n"
	"ffffffffc0003000 t broken_mod\t[unterminated\n"
	"ffffffffc0004000 t\tbad_sep\n";

static void test_kallsyms_file(void **state)
{
	struct tarena a;
	struct trec_ksym *k = NULL, *sub = NULL;
	struct trec_err err = { 0 };
	size_t n = 0, nsub = 0;
	const char *path = tpath("kallsyms");

	write_file(path, fake_kallsyms, sizeof(fake_kallsyms) - 1);
	tarena_init(&a);
	int rc = symtab_read_kallsyms(path, &a, &k, &n, &err);
	if (rc)
		fail_msg("%s", err.msg);
	const char *want[] = { "_text", "startup_64", "glob_alias", "glob_alias_longer", "local_fn", "weak_fn",
			       "last_vmlinux", "mod_init", "mod_fn", "other_fn" };
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(k[i].name, want[i]);
	assert_string_equal(k[7].module, "mymod");
	assert_ptr_equal(k[7].module, k[8].module); /* one copy per run */
	assert_string_equal(k[9].module, "othermod");
	assert_string_equal(k[0].module, "");
	assert_int_equal(k[5].type, 'W');

	/* an ip inside the alias group: all three names and the next symbol */
	uint64_t ips[] = { 0xffffffff81002010ull, 0xffffffffc0002004ull, 0xffffffff81002020ull };
	assert_int_equal(ksyms_kernel_subset(k, n, ips, 3, &a, &sub, &nsub), 0);
	const char *wsub[] = { "glob_alias", "glob_alias_longer", "local_fn", "weak_fn", "other_fn" };
	assert_int_equal(nsub, 5);
	for (size_t i = 0; i < nsub; i++)
		assert_string_equal(sub[i].name, wsub[i]);
	assert_string_equal(sub[4].module, "othermod");
	assert_ptr_not_equal(sub[0].name, k[2].name); /* copied into the arena */
	/* nothing to cover */
	assert_int_equal(ksyms_kernel_subset(k, n, NULL, 0, &a, &sub, &nsub), 0);
	assert_int_equal(nsub, 0);
	uint64_t low = 5;
	assert_int_equal(ksyms_kernel_subset(k, n, &low, 1, &a, &sub, &nsub), 0);
	assert_int_equal(nsub, 0);

	/* hidden addresses (kptr_restrict): a clear error */
	const char hidden[] = "0000000000000000 T _text\n0000000000000000 t foo\n0000000000000000 D bar\n";
	write_file(path, hidden, sizeof(hidden) - 1);
	rc = symtab_read_kallsyms(path, &a, &k, &n, &err);
	assert_int_equal(rc, -EPERM);
	assert_non_null(strstr(err.msg, "kptr_restrict"));
	assert_non_null(strstr(err.msg, "root"));
	/* no text symbols at all, a missing file */
	write_file(path, "hello\n", 6);
	assert_true(symtab_read_kallsyms(path, &a, &k, &n, &err) < 0);
	assert_int_equal(symtab_read_kallsyms(tpath("none"), &a, &k, &n, &err), -ENOENT);
	/* an overlong line is skipped, the next one read */
	size_t biglen = 20000;
	char *big = malloc(biglen + 64);
	assert_non_null(big);
	memset(big, 'x', biglen);
	memcpy(big, "ffffffff81000000 T ", 19);
	strcpy(big + biglen, "\nffffffff81000010 T after_long\n");
	write_file(path, big, strlen(big));
	free(big);
	assert_int_equal(symtab_read_kallsyms(path, &a, &k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(k[0].name, "after_long");

	/* 40,000 symbols in falling address order (about 1.4 MB: lines cross
	 * the reader's 1 MiB chunks), modules interleaved: every symbol comes
	 * back once, in address order, named whole. */
	const size_t many = 40000;
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < many; i++) {
		size_t at = many - 1 - i;
		if (i % 3 == 2)
			fprintf(f, "%016llx t mod_sym_%zu\t[mod%zu]\n", 0xffffffffc0000000ull + at * 16, at, at % 7);
		else
			fprintf(f, "%016llx T vmlinux_sym_%zu\n", 0xffffffff81000000ull + at * 16, at);
		if (i % 1000 == 0)
			fprintf(f, "%016llx D data_%zu\n", 0xffffffff82000000ull + i, i);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(symtab_read_kallsyms(path, &a, &k, &n, &err), 0);
	assert_int_equal(n, many);
	for (size_t i = 1; i < n; i++)
		assert_true(k[i - 1].addr < k[i].addr);
	char want_name[64];
	for (size_t i = 0; i < n; i++) {
		int mod = *k[i].module != 0;
		size_t at = (size_t)((k[i].addr - (mod ? 0xffffffffc0000000ull : 0xffffffff81000000ull)) / 16);
		snprintf(want_name, sizeof(want_name), mod ? "mod_sym_%zu" : "vmlinux_sym_%zu", at);
		assert_string_equal(k[i].name, want_name);
		if (mod) {
			snprintf(want_name, sizeof(want_name), "mod%zu", at % 7);
			assert_string_equal(k[i].module, want_name);
		}
	}
	tarena_free(&a);
}

/* ---- perf maps -------------------------------------------------------------------------- */

static void test_perfmap(void **state)
{
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	char path[64];
	int pid = (int)getpid();

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
	unlink(path);
	tarena_init(&a);
	/* missing: -ENOENT, quietly */
	assert_int_equal(symtab_read_perfmap(pid, &a, &d, &err), -ENOENT);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");

	const char map[] =
		"7f0000001000 40 LazyCompile:~foo /app/x.js:1\n"
		"0x7f0000000000 0x20 stub<bar>\n"
		"7f0000002000 10 Builtin:Old\n"
		"7f0000002000 18 Builtin:New\n"    /* same address later: wins */
		"garbage\n"
		"7f0000003000 zz bad_size\n"
		"7f0000003000 10\n"                /* no name */
		"7f0000004000 0 zero_size\n"
		"ffffffffffffff00 1000 overflows\n"
		"12345678901234567 10 too_many_digits\n"
		"\n"
		"7f0000005000\t8\tname with spaces\r\n"
		"7f0000006000 8 last_no_newline";
	write_file(path, map, sizeof(map) - 1);
	int rc = symtab_read_perfmap(pid, &a, &d, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_string_equal(d.path, path);
	assert_int_equal(d.build_id_len, 0);
	assert_int_equal(d.load_bias, 0);
	assert_int_equal(d.nsyms, 5);
	assert_sorted_unique(&d);
	assert_int_equal(d.syms[0].addr, 0x7f0000000000ull);
	assert_int_equal(d.syms[0].size, 0x20);
	assert_string_equal(d.syms[0].name, "stub<bar>");
	assert_string_equal(d.syms[1].name, "LazyCompile:~foo /app/x.js:1");
	assert_int_equal(d.syms[1].size, 0x40);
	assert_string_equal(d.syms[2].name, "Builtin:New");
	assert_int_equal(d.syms[2].size, 0x18);
	assert_string_equal(d.syms[3].name, "name with spaces");
	assert_string_equal(d.syms[4].name, "last_no_newline");
	assert_ptr_equal(lookup(&d, 0x7f000000103full), &d.syms[1]);
	assert_null(lookup(&d, 0x7f0000001040ull));

	/* /tmp is everybody's: a map owned by another user is refused */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 54321, 54321), 0);
		memset(&err, 0, sizeof(err));
		assert_int_equal(symtab_read_perfmap(pid, &a, &d, &err), -EPERM);
		assert_non_null(strstr(err.msg, path));
	}
	unlink(path);
	/* a symlink (to anything) is refused */
	assert_int_equal(symlink("/dev/zero", path), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(symtab_read_perfmap(pid, &a, &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(path);
	/* an overlong line is skipped */
	size_t biglen = SYMTAB_MAX_PERFMAP_LINE + 100;
	char *big = malloc(biglen + 64);
	assert_non_null(big);
	memset(big, 'x', biglen);
	memcpy(big, "1000 10 ", 8);
	strcpy(big + biglen, "\n2000 10 ok\n");
	write_file(path, big, strlen(big));
	free(big);
	assert_int_equal(symtab_read_perfmap(pid, &a, &d, &err), 0);
	assert_int_equal(d.nsyms, 1);
	assert_string_equal(d.syms[0].name, "ok");
	/* a long but acceptable name is cut at SYMTAB_MAX_NAME */
	big = malloc(6000);
	assert_non_null(big);
	memset(big, 'n', 5999);
	big[5999] = 0;
	memcpy(big, "3000 10 ", 8);
	write_file(path, big, 5999);
	free(big);
	assert_int_equal(symtab_read_perfmap(pid, &a, &d, &err), 0);
	assert_int_equal(d.nsyms, 1);
	assert_int_equal(strlen(d.syms[0].name), SYMTAB_MAX_NAME);
	unlink(path);
	tarena_free(&a);
}

/* ---- cache -------------------------------------------------------------------------------- */

static void test_cache(void **state)
{
	NEED_CC();
	struct symtab_cache *c;
	struct symtab_cache_stats st;
	const struct trec_dso_syms *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL;

	assert_int_equal(symtab_cache_new(&c), 0);
	assert_int_equal(symtab_cache_get(c, tpath("pie"), -1, &d1), 1);
	assert_non_null(by_name(d1, "trec_global_fn"));
	assert_int_equal(symtab_cache_get(c, tpath("pie"), -1, &d2), 0);
	assert_ptr_equal(d1, d2);
	/* a copy elsewhere: same build-id, same table, not read again */
	assert_int_equal(tu_run("cp '%s' '%s'", tpath("pie"), tpath("pie.copy")), 0);
	assert_int_equal(symtab_cache_get(c, tpath("pie.copy"), -1, &d3), 0);
	assert_ptr_equal(d1, d3);
	/* by fd */
	int fd = open(tpath("pie.copy"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(symtab_cache_get(c, "whatever", fd, &d3), 0);
	assert_ptr_equal(d1, d3);
	close(fd);

	/* no build-id: keyed by the file */
	assert_int_equal(build_prog(tpath("noid"), "-Wl,--build-id=none"), 0);
	assert_int_equal(symtab_cache_get(c, tpath("noid"), -1, &d4), 1);
	assert_int_equal(d4->build_id_len, 0);
	assert_non_null(by_name(d4, "trec_global_fn"));
	assert_int_equal(symtab_cache_get(c, tpath("noid"), -1, &d3), 0);
	assert_ptr_equal(d3, d4);
	assert_int_equal(tu_run("cp '%s' '%s'", tpath("noid"), tpath("noid.copy")), 0);
	assert_int_equal(symtab_cache_get(c, tpath("noid.copy"), -1, &d3), 1); /* another inode */
	assert_ptr_not_equal(d3, d4);

	/* failures: cached, with the message */
	write_file(tpath("notelf"), "nope\n", 5);
	assert_int_equal(symtab_cache_get(c, tpath("notelf"), -1, &d3), -ENOEXEC);
	assert_non_null(strstr(symtab_cache_errmsg(c), tpath("notelf")));
	assert_int_equal(symtab_cache_get(c, tpath("notelf"), -1, &d3), -ENOEXEC);
	assert_non_null(strstr(symtab_cache_errmsg(c), "not an ELF"));
	assert_int_equal(symtab_cache_get(c, "/nonexistent/x", -1, &d3), -ENOENT);
	assert_non_null(strstr(symtab_cache_errmsg(c), "/nonexistent/x"));
	assert_int_equal(symtab_cache_get(c, "/dev/null", -1, &d3), -EINVAL);

	symtab_cache_stats(c, &st);
	print_message("cache: %" PRIu64 " lookups, %" PRIu64 " hits, %" PRIu64 " parses, %zu tables, %zu bytes\n",
		      st.lookups, st.hits, st.parses, st.tables, st.arena_bytes);
	assert_int_equal(st.lookups, 11);
	assert_int_equal(st.parses, 4);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.tables, 3);
	assert_int_equal(st.hits, 5);
	symtab_cache_free(c);
	symtab_cache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elf_vs_nm, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_elf_stripped, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_elf_libc, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_load_bias, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_load_bias_self, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_debugdata, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_debugdata_bomb, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_demangle, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_demangle_cxx, setup_fds, check_fds),
		cmocka_unit_test(test_symbuild_order),
		cmocka_unit_test(test_code_labels),
		cmocka_unit_test_setup_teardown(test_symbuild_funcs, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_hostile_misc, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_hostile_truncated, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_kallsyms_proc, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_kallsyms_file, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_perfmap, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_cache, setup_fds, check_fds),
	};
	return cmocka_run_group_tests_name("record symbol tables", tests, group_setup, group_teardown);
}
