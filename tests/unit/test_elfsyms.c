/* SPDX-License-Identifier: MIT */
/*
 * The analysis half's own ELF reader (report/elfsyms.c) and what `trec
 * report --symfs / --debug-dir` does with it (report/symbolize.c):
 *
 *  - tables checked against nm, the build-id against readelf, the load
 *    bias against real runtime addresses (PIE and -no-pie);
 *  - a stripped copy (.dynsym), a separate debug file (objcopy
 *    --only-keep-debug: full .symtab, bias not known from the file);
 *  - hostile input: cuts at many offsets, random bytes, targeted header
 *    corruptions: an error naming the file, never a crash (run this under
 *    ASan too: make SAN=1 build/asan/tests/test_elfsyms);
 *  - the symbolizer: a trace whose table lacks a static function names it
 *    with --debug-dir (by build-id or by path) and --symfs; files with
 *    another build-id are ignored and counted; nothing outside the
 *    directories is opened.
 *
 * Test programs are compiled at test time with `cc -O1 -g -fno-inline`;
 * without cc, nm, objcopy or strip those tests are skipped with the reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "elftools.h"
#include "scratch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "commands.h"
#include "elfsyms.h"
#include "reader.h"
#include "records.h"
#include "symbolize.h"
#include "writer.h"

/* ---- helpers ------------------------------------------------------------------------- */

static char tmpdir[64];
static int have_tools;

static const char *tpath(const char *name)
{
	static char bufs[16][512];
	static int k;
	char *b = bufs[k++ % 16];
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

#define NEED_TOOLS()                                                                                \
	do {                                                                                        \
		if (!have_tools) {                                                                  \
			print_message("skipped: cc, nm, objcopy, strip or readelf missing\n");      \
			skip();                                                                     \
		}                                                                                   \
	} while (0)

static const struct trec_sym *by_name(const struct trec_dso_syms *d, const char *name)
{
	for (uint32_t i = 0; i < d->nsyms; i++)
		if (!strcmp(d->syms[i].name, name))
			return &d->syms[i];
	return NULL;
}

/* What a reader does: the greatest addr <= a, if a is inside it. */
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
	return a - s->addr < s->size ? s : NULL;
}

static void assert_sane(const struct trec_dso_syms *d)
{
	assert_true(d->nsyms <= ELFSYMS_MAX_SYMS);
	for (uint32_t i = 1; i < d->nsyms; i++)
		assert_true(d->syms[i - 1].addr < d->syms[i].addr);
	for (uint32_t i = 0; i < d->nsyms; i++) {
		assert_non_null(d->syms[i].name);
		assert_true(d->syms[i].name[0] != 0);
		assert_true(strlen(d->syms[i].name) <= ELFSYMS_MAX_NAME);
	}
	assert_true(d->build_id_len <= TREC_MAX_BUILD_ID);
}

static int read_ok(const char *path, struct tarena *a, struct trec_dso_syms *d, struct elfsyms_info *in)
{
	struct trec_err err = { 0 };
	int rc = elfsyms_read_file(path, NULL, 0, a, d, in, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_sane(d);
	return rc;
}

/* p_vaddr - p_offset of the first executable PT_LOAD, as readelf shows it. */
static uint64_t readelf_bias(const char *path)
{
	int found;
	uint64_t bias = tu_readelf_load_bias(path, &found);
	assert_true(found);
	return bias;
}

/* ---- test programs ----------------------------------------------------------------------- */

/* The test programs: tu_prog_src, tu_lib_src, tu_lib2_src (tests/lib/elftools.h). */

static int group_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/trec-elfsyms-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	have_tools = tu_have_tool("cc") && tu_have_tool("nm") && tu_have_tool("objcopy") && tu_have_tool("strip") &&
		     tu_have_tool("readelf");
	if (!have_tools)
		return 0;
	write_file(tpath("prog.c"), tu_prog_src, strlen(tu_prog_src));
	write_file(tpath("lib.c"), tu_lib_src, strlen(tu_lib_src));
	write_file(tpath("lib2.c"), tu_lib2_src, strlen(tu_lib2_src));
	const char *cc = "cc -O1 -g -fno-inline";
	if (tu_run("cd '%s' && %s -fPIE -pie -o pie prog.c && %s -fno-PIE -no-pie -o nopie prog.c && "
		"%s -fPIC -shared -o libes.so lib.c && %s -fPIC -shared -o libes2.so lib2.c && "
		"%s -fPIC -shared -Wl,--build-id=none -o libnobid.so lib.c && "
		"(cat lib2.c; echo 'int es_nb_marker = 1;') > nb.c && %s -fPIC -shared -o libnb.so nb.c && "
		"strip -o libnb.stripped.so libnb.so && "
		"strip -o libes.stripped.so libes.so && strip -o libes2.stripped.so libes2.so && "
		"objcopy --only-keep-debug libes.so libes.debug && objcopy --only-keep-debug libes2.so libes2.debug && "
		"objcopy --only-keep-debug pie pie.debug && objcopy --only-keep-debug nopie nopie.debug",
		tmpdir, cc, cc, cc, cc, cc, cc))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	if (tmpdir[0])
		tu_run("rm -rf '%s'", tmpdir);
	return 0;
}

/* ---- against nm ----------------------------------------------------------------------------- */

/* every_nm: every sized function nm lists must be in d too (not for a
 * stripped copy compared with the full file) */
static void check_against_nm(const char *path, const struct trec_dso_syms *d, int every_nm)
{
	static struct tu_nmsym nm[8192];
	size_t n = tu_nm_functions(path, nm, 8192);
	assert_true(n >= 3);
	/* every symbol returned is one nm lists, at that address, with its size */
	for (uint32_t i = 0; i < d->nsyms; i++) {
		const struct tu_nmsym *s = NULL;
		for (size_t k = 0; k < n && !s; k++)
			if (!strcmp(nm[k].name, d->syms[i].name))
				s = &nm[k];
		if (!s)
			fail_msg("%s: %s not listed by nm", path, d->syms[i].name);
		assert_int_equal(s->addr, d->syms[i].addr);
		if (s->size)
			assert_int_equal(s->size, d->syms[i].size);
	}
	/* every sized text symbol nm lists starts a symbol of ours */
	for (size_t k = 0; k < n && every_nm; k++) {
		if (!nm[k].size || !nm[k].addr)
			continue;
		const struct trec_sym *s = lookup(d, nm[k].addr);
		if (!s || s->addr != nm[k].addr)
			fail_msg("%s: %s at %" PRIx64 " (nm) missing", path, nm[k].name, nm[k].addr);
	}
}

static void check_build_id(const char *path, const struct trec_dso_syms *d)
{
	uint8_t id[TREC_MAX_BUILD_ID];
	int n = tu_readelf_build_id(path, id, TREC_MAX_BUILD_ID);
	assert_true(n > 0);
	assert_int_equal(d->build_id_len, n);
	assert_memory_equal(d->build_id, id, (size_t)n);
}

/* Code labels (tu_labels_asm): an untyped symbol in code names what no
 * function covers, up to the next symbol; one inside a function does not
 * cut it; ".L" labels never show. The recorder's reader does the same
 * (test_rec_symtab.c). */
static void test_code_labels(void **state)
{
	(void)state;
	if (!have_tools)
		skip();
	write_file(tpath("labels.S"), tu_labels_asm, strlen(tu_labels_asm));
	assert_int_equal(tu_run("cd '%s' && cc -shared -nostdlib -o labels.so labels.S", tmpdir), 0);
	struct tarena a;
	struct trec_dso_syms d;
	tarena_init(&a);
	read_ok(tpath("labels.so"), &a, &d, NULL);
	const char *why = tu_labels_check(&d);
	if (why)
		fail_msg("%s", why);
	tarena_free(&a);
}

static void test_vs_nm(void **state)
{
	NEED_TOOLS();
	const char *bins[] = { tpath("pie"), tpath("nopie") };
	for (size_t b = 0; b < 2; b++) {
		struct tarena a;
		struct trec_dso_syms d;
		struct elfsyms_info in;
		tarena_init(&a);
		read_ok(bins[b], &a, &d, &in);
		assert_string_equal(d.path, bins[b]);
		assert_true(in.from_symtab);
		assert_true(in.bias_known);
		assert_true(in.nexec >= 1);
		check_against_nm(bins[b], &d, 1);
		check_build_id(bins[b], &d);
		assert_non_null(by_name(&d, "trec_local_fn"));
		assert_non_null(by_name(&d, "trec_global_fn"));
		assert_non_null(by_name(&d, "main"));
		/* aliases: the shorter global; a global over a local */
		assert_non_null(by_name(&d, "trec_al"));
		assert_null(by_name(&d, "trec_alias_long_target_name"));
		assert_non_null(by_name(&d, "trec_global_alias_of_local"));
		assert_null(by_name(&d, "trec_lc"));
		/* no .size: up to the next symbol */
		const struct trec_sym *ns = by_name(&d, "trec_nosize"), *af = by_name(&d, "trec_after");
		assert_non_null(ns);
		assert_non_null(af);
		assert_int_equal(ns->size, af->addr - ns->addr);
		assert_int_equal(af->size, 1);
		tarena_free(&a);
	}
	struct tarena a;
	struct trec_dso_syms d;
	tarena_init(&a);
	read_ok(tpath("libes.so"), &a, &d, NULL);
	check_against_nm(tpath("libes.so"), &d, 1);
	check_build_id(tpath("libes.so"), &d);
	assert_non_null(by_name(&d, "es_lib_static"));
	assert_non_null(by_name(&d, "es_lib_work"));
	tarena_free(&a);
}

/* ---- load bias -------------------------------------------------------------------------------- */

/* Runs `bin x`; each line "NAME ADDR START PGOFF" must map, the way a
 * reader maps it, into NAME. Returns the lines checked. */
static int check_runtime(const char *bin, const struct trec_dso_syms *d)
{
	char cmd[600], line[512], name[128];
	uint64_t addr, start, pgoff;
	int n = 0;
	snprintf(cmd, sizeof(cmd), "'%s' x", bin);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		assert_int_equal(sscanf(line, "%127s %" SCNx64 " %" SCNx64 " %" SCNx64, name, &addr, &start, &pgoff), 4);
		uint64_t sym_addr = addr - start + pgoff + d->load_bias;
		const struct trec_sym *s = lookup(d, sym_addr);
		if (!s || strcmp(s->name, name))
			fail_msg("%s: %s at %#" PRIx64 " -> %#" PRIx64 " maps to %s", bin, name, addr, sym_addr,
				 s ? s->name : "nothing");
		n++;
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

static void test_load_bias(void **state)
{
	NEED_TOOLS();
	struct tarena a;
	struct trec_dso_syms pie, nopie, lib;
	tarena_init(&a);
	read_ok(tpath("pie"), &a, &pie, NULL);
	read_ok(tpath("nopie"), &a, &nopie, NULL);
	read_ok(tpath("libes.so"), &a, &lib, NULL);
	print_message("load_bias: pie %#" PRIx64 ", non-pie %#" PRIx64 ", libes.so %#" PRIx64 "\n", pie.load_bias,
		      nopie.load_bias, lib.load_bias);
	assert_int_equal(pie.load_bias, readelf_bias(tpath("pie")));
	assert_int_equal(nopie.load_bias, readelf_bias(tpath("nopie")));
	assert_int_equal(lib.load_bias, readelf_bias(tpath("libes.so")));
	assert_int_equal(nopie.load_bias, 0x400000); /* GNU ld, x86-64 */
	assert_int_equal(check_runtime(tpath("pie"), &pie), 3);
	assert_int_equal(check_runtime(tpath("nopie"), &nopie), 3);
	tarena_free(&a);
}

/* ---- stripped copies, debug files, build-ids ------------------------------------------------ */

static void test_stripped(void **state)
{
	NEED_TOOLS();
	struct tarena a;
	struct trec_dso_syms full, d;
	struct elfsyms_info in;
	tarena_init(&a);
	read_ok(tpath("libes.so"), &a, &full, NULL);
	read_ok(tpath("libes.stripped.so"), &a, &d, &in);
	assert_false(in.from_symtab);
	assert_true(in.bias_known);
	check_against_nm(tpath("libes.so"), &d, 0); /* .dynsym symbols are the full file's */
	assert_true(d.nsyms < full.nsyms);
	const struct trec_sym *w = by_name(&d, "es_lib_work"), *fw = by_name(&full, "es_lib_work");
	assert_non_null(w);
	assert_int_equal(w->addr, fw->addr);
	assert_int_equal(w->size, fw->size);
	assert_null(by_name(&d, "es_lib_static"));
	assert_int_equal(d.load_bias, full.load_bias);
	assert_int_equal(d.build_id_len, full.build_id_len);
	assert_memory_equal(d.build_id, full.build_id, full.build_id_len);
	tarena_free(&a);
}

/* objcopy --only-keep-debug: the full .symtab, code sections NOBITS; the
 * executable segment's p_offset is not the original's. */
static void test_debug_file(void **state)
{
	NEED_TOOLS();
	const char *pairs[][2] = { { "libes.so", "libes.debug" }, { "pie", "pie.debug" }, { "nopie", "nopie.debug" } };
	for (size_t k = 0; k < 3; k++) {
		struct tarena a;
		struct trec_dso_syms full, d;
		struct elfsyms_info fi, in;
		struct trec_err err = { 0 };
		tarena_init(&a);
		read_ok(tpath(pairs[k][0]), &a, &full, &fi);
		int rc = elfsyms_read_file(tpath(pairs[k][1]), full.build_id, full.build_id_len, &a, &d, &in, &err);
		if (rc)
			fail_msg("%s", err.msg);
		assert_sane(&d);
		assert_true(in.from_symtab);
		assert_false(in.bias_known);
		assert_int_equal(in.nexec, fi.nexec);
		assert_int_equal(in.exec_vaddr, fi.exec_vaddr);
		assert_int_equal(in.exec_memsz, fi.exec_memsz);
		assert_int_equal(d.nsyms, full.nsyms);
		for (uint32_t i = 0; i < d.nsyms; i++) {
			assert_int_equal(d.syms[i].addr, full.syms[i].addr);
			assert_int_equal(d.syms[i].size, full.syms[i].size);
			assert_string_equal(d.syms[i].name, full.syms[i].name);
		}
		check_build_id(tpath(pairs[k][1]), &d);
		print_message("%s: bias %#" PRIx64 " in the file, %#" PRIx64 " in its debug file\n", pairs[k][0],
			      full.load_bias, d.load_bias);
		tarena_free(&a);
	}
}

static void test_want_build_id(void **state)
{
	NEED_TOOLS();
	struct tarena a;
	struct trec_dso_syms lib, lib2, d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	read_ok(tpath("libes.so"), &a, &lib, NULL);
	read_ok(tpath("libes2.so"), &a, &lib2, NULL);
	assert_int_equal(elfsyms_read_file(tpath("libes.so"), lib.build_id, lib.build_id_len, &a, &d, NULL, &err), 0);
	/* another build */
	int rc = elfsyms_read_file(tpath("libes2.debug"), lib.build_id, lib.build_id_len, &a, &d, NULL, &err);
	assert_int_equal(rc, -ESTALE);
	assert_non_null(strstr(err.msg, tpath("libes2.debug")));
	assert_non_null(strstr(err.msg, "build-id"));
	assert_int_equal(d.nsyms, 0);
	/* a shorter id that is a prefix is still another id */
	assert_int_equal(elfsyms_read_file(tpath("libes.so"), lib.build_id, 4, &a, &d, NULL, &err), -ESTALE);
	/* no build-id at all */
	rc = elfsyms_read_file(tpath("libnobid.so"), lib.build_id, lib.build_id_len, &a, &d, NULL, &err);
	assert_int_equal(rc, -ESTALE);
	assert_non_null(strstr(err.msg, "no build-id"));
	read_ok(tpath("libnobid.so"), &a, &d, NULL);
	assert_int_equal(d.build_id_len, 0);
	assert_non_null(by_name(&d, "es_lib_static"));
	tarena_free(&a);
}

/* ---- hostile input ------------------------------------------------------------------------------ */

static void expect_fail_mem(const void *img, size_t len, const char *name)
{
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	int rc = elfsyms_read_mem(img, len, name, NULL, 0, &a, &d, NULL, &err);
	if (!rc)
		fail_msg("%s: read as valid", name);
	assert_int_equal(err.code, rc);
	assert_non_null(strstr(err.msg, name));
	assert_int_equal(d.nsyms, 0);
	assert_null(d.syms);
	tarena_free(&a);
}

static void expect_fail_file(const char *path, int code)
{
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	int rc = elfsyms_read_file(path, NULL, 0, &a, &d, NULL, &err);
	if (!rc)
		fail_msg("%s: read as valid", path);
	if (code)
		assert_int_equal(rc, code);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(d.nsyms, 0);
	tarena_free(&a);
}

static void test_not_elf(void **state)
{
	uint8_t rnd[65536];
	expect_fail_file("/dev/null", -EINVAL);
	expect_fail_file("/", -EINVAL);
	expect_fail_file("/nonexistent/trec-no-such-file", -ENOENT);
	/* a FIFO is refused before it is opened (an open would block) */
	assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
	expect_fail_file(tpath("fifo"), -EINVAL);
	write_file(tpath("text"), "hello, not an ELF\n", 18);
	expect_fail_file(tpath("text"), -ENOEXEC);
	write_file(tpath("empty"), "", 0);
	expect_fail_file(tpath("empty"), -ENOEXEC);
	srandom(7);
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)random();
	expect_fail_mem(rnd, sizeof(rnd), "random");
	/* random bytes behind a valid ELF64 LE ident, and as a header */
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)random() % sizeof(rnd);
		for (size_t i = 0; i < len; i++)
			rnd[i] = (uint8_t)random();
		memcpy(rnd, "\x7f" "ELF\x02\x01\x01", len < 7 ? len : 7);
		struct tarena a;
		struct trec_dso_syms d;
		struct trec_err err = { 0 };
		tarena_init(&a);
		if (elfsyms_read_mem(rnd, len, "random-elf", NULL, 0, &a, &d, NULL, &err) == 0)
			assert_sane(&d);
		else
			assert_non_null(strstr(err.msg, "random-elf"));
		tarena_free(&a);
	}
	/* 32-bit, big-endian: said so */
	uint8_t h[64] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	assert_int_equal(elfsyms_read_mem(h, sizeof(h), "elf32", NULL, 0, &a, &d, NULL, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "32-bit"));
	h[4] = 2;
	h[5] = 2;
	assert_int_equal(elfsyms_read_mem(h, sizeof(h), "elf64be", NULL, 0, &a, &d, NULL, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "big-endian"));
	/* an object file is not an executable or library */
	if (have_tools) {
		assert_int_equal(tu_run("cc -c -o '%s' '%s'", tpath("obj.o"), tpath("lib.c")), 0);
		expect_fail_file(tpath("obj.o"), -ENOEXEC);
	}
	tarena_free(&a);
}

/* Cut at many offsets (from a file and from memory): always an error
 * naming the file; mutated at random: an error or a sane table. */
static void test_truncated_and_mutated(void **state)
{
	NEED_TOOLS();
	const char *srcs[] = { "libes.so", "libes.debug", "pie" };
	for (size_t k = 0; k < 3; k++) {
		size_t len;
		uint8_t *img = slurp(tpath(srcs[k]), &len);
		int bad = 0;
		for (size_t off = 0; off < len; off += off < 4096 ? 7 : 331) {
			expect_fail_mem(img, off, srcs[k]);
			bad++;
		}
		for (size_t off = 0; off < len; off += len / 13 + 1) {
			write_file(tpath("cut"), img, off);
			expect_fail_file(tpath("cut"), 0);
		}
		assert_true(bad > 100);

		/* the regions the reader interprets: the ELF and program headers,
		 * the section headers, the symbol table */
		Elf64_Ehdr eh;
		memcpy(&eh, img, sizeof(eh));
		size_t regions[3][2] = { { 0, 1024 }, { eh.e_shoff, (size_t)eh.e_shnum * sizeof(Elf64_Shdr) }, { 0, len } };
		for (int i = 0; i < eh.e_shnum; i++) {
			Elf64_Shdr sh;
			memcpy(&sh, img + eh.e_shoff + (size_t)i * sizeof(sh), sizeof(sh));
			if (sh.sh_type == SHT_SYMTAB) {
				regions[2][0] = sh.sh_offset;
				regions[2][1] = sh.sh_size;
			}
		}
		uint8_t *mut = malloc(len);
		assert_non_null(mut);
		srandom(1234 + (unsigned)k);
		int ok = 0, fail = 0;
		for (int round = 0; round < 3000; round++) {
			memcpy(mut, img, len);
			int flips = 1 + (int)(random() % 8);
			for (int f = 0; f < flips; f++) {
				size_t at = (size_t)random() % len;
				/* most flips where the reader trusts the file's numbers */
				int r = (int)(random() % 4);
				if (r < 3 && regions[r][1])
					at = regions[r][0] + (size_t)random() % regions[r][1];
				mut[at < len ? at : len - 1] = (uint8_t)random();
			}
			struct tarena a;
			struct trec_dso_syms d;
			struct trec_err err = { 0 };
			tarena_init(&a);
			if (elfsyms_read_mem(mut, len, "mutant", NULL, 0, &a, &d, NULL, &err) == 0) {
				assert_sane(&d);
				ok++;
			} else {
				assert_non_null(strstr(err.msg, "mutant"));
				fail++;
			}
			tarena_free(&a);
		}
		print_message("%s: %d cuts failed cleanly; mutants: %d read, %d refused\n", srcs[k], bad, ok, fail);
		free(mut);
		free(img);
	}
}

/* Targeted lies in the headers: counts and offsets past the end, absurd
 * sizes, a string table without a NUL, extended numbering. */
static void test_header_lies(void **state)
{
	NEED_TOOLS();
	size_t len;
	uint8_t *img = slurp(tpath("libes.so"), &len);
	uint8_t *m = malloc(len);
	assert_non_null(m);
	Elf64_Ehdr eh;
	memcpy(&eh, img, sizeof(eh));
	int symtab = -1;
	for (int i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, img + eh.e_shoff + (size_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_SYMTAB)
			symtab = i;
	}
	assert_true(symtab > 0);
	Elf64_Shdr *shs = (Elf64_Shdr *)(void *)(m + eh.e_shoff); /* in the copy */
	Elf64_Ehdr *meh = (Elf64_Ehdr *)(void *)m;

#define MUTATE(what, stmt)                                                                          \
	do {                                                                                        \
		memcpy(m, img, len);                                                                \
		stmt;                                                                               \
		expect_fail_mem(m, len, what);                                                      \
	} while (0)

	MUTATE("shoff-past-end", meh->e_shoff = len - 10);
	MUTATE("shoff-huge", meh->e_shoff = UINT64_MAX - 8);
	MUTATE("phoff-huge", meh->e_phoff = UINT64_MAX - 100);
	MUTATE("phnum-many", meh->e_phnum = 60000);
	MUTATE("shentsize", meh->e_shentsize = 40);
	MUTATE("phentsize", meh->e_phentsize = 32);
	MUTATE("type-rel", meh->e_type = ET_REL);
	MUTATE("ext-shnum-huge", (meh->e_shnum = 0, shs[0].sh_size = 1u << 30));
	MUTATE("ext-phnum-huge", (meh->e_phnum = PN_XNUM, shs[0].sh_info = 1u << 20));
	MUTATE("symtab-past-end", shs[symtab].sh_offset = len - 8);
	MUTATE("symtab-size-huge", shs[symtab].sh_size = UINT64_MAX - 1);
	MUTATE("symtab-entsize", shs[symtab].sh_entsize = 16);
	MUTATE("symtab-link", shs[symtab].sh_link = 60000);
	MUTATE("symtab-link-self", shs[symtab].sh_link = (uint32_t)symtab);
	MUTATE("strtab-huge", shs[shs[symtab].sh_link].sh_size = UINT64_MAX / 2);
	MUTATE("strtab-past-end", shs[shs[symtab].sh_link].sh_offset = len);
	MUTATE("no-exec-load", ({
		       Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(m + eh.e_phoff);
		       for (int i = 0; i < eh.e_phnum; i++)
			       ph[i].p_flags &= ~(uint32_t)PF_X;
	       }));

	/* Not errors, but no overreads either: names that run off the end
	 * of their table, notes with absurd sizes, section indexes out of
	 * range. */
	struct tarena a;
	struct trec_dso_syms d;
	struct trec_err err = { 0 };
	tarena_init(&a);
	memcpy(m, img, len);
	{
		Elf64_Shdr *st = &shs[shs[symtab].sh_link];
		struct elfsyms_info in;
		memset(m + st->sh_offset, 'A', st->sh_size); /* no NUL anywhere: no .symtab names */
		assert_int_equal(elfsyms_read_mem(m, len, "strtab-no-nul", NULL, 0, &a, &d, &in, &err), 0);
		assert_false(in.from_symtab); /* so .dynsym's */
		assert_non_null(by_name(&d, "es_lib_work"));
		assert_null(by_name(&d, "es_lib_static"));
		m[st->sh_offset + st->sh_size - 1] = 0; /* one NUL at the very end: names of up to 4096 bytes */
		assert_int_equal(elfsyms_read_mem(m, len, "strtab-one-nul", NULL, 0, &a, &d, NULL, &err), 0);
		assert_sane(&d);
		assert_true(d.nsyms > 0);
	}
	memcpy(m, img, len);
	{
		Elf64_Sym *sy = (Elf64_Sym *)(void *)(m + shs[symtab].sh_offset);
		size_t n = shs[symtab].sh_size / sizeof(*sy);
		for (size_t i = 1; i < n; i++) {
			sy[i].st_shndx = (uint16_t)(0xfff0 + i % 16);
			sy[i].st_name = (uint32_t)(i % 2 ? UINT32_MAX - i : sy[i].st_name);
			if (i % 3 == 0)
				sy[i].st_size = 0;
		}
		assert_int_equal(elfsyms_read_mem(m, len, "bad-syms", NULL, 0, &a, &d, NULL, &err), 0);
		assert_sane(&d);
	}
	memcpy(m, img, len);
	{
		Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(m + eh.e_phoff);
		for (int i = 0; i < eh.e_phnum; i++)
			if (ph[i].p_type == PT_NOTE) {
				uint32_t *note = (uint32_t *)(void *)(m + ph[i].p_offset);
				note[0] = 0xfffffff0u; /* namesz */
				note[1] = 0xfffffff0u; /* descsz */
			}
		for (int i = 0; i < eh.e_shnum; i++)
			if (shs[i].sh_type == SHT_NOTE)
				shs[i].sh_size = UINT64_MAX;
		assert_int_equal(elfsyms_read_mem(m, len, "bad-notes", NULL, 0, &a, &d, NULL, &err), 0);
		assert_sane(&d);
		assert_int_equal(d.build_id_len, 0);
	}
	tarena_free(&a);
	free(m);
	free(img);
}

/* ---- the symbolizer with --debug-dir / --symfs ----------------------------------------------------- */

enum { T_CLOCK = 1 };
static const struct trec_field f_clock[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema schema_clock = { T_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1,
						 f_clock };

#define LIB_START 0x7f0000000000ull
#define LIB2_START 0x7f1000000000ull
#define EXE_START 0x7f2000000000ull /* where the non-PIE text is mapped in this made-up trace */
#define ESC_START 0x7f3000000000ull
#define NB_START 0x7f4000000000ull
#define MAP_LEN 0x100000ull

/* One DSO of the made-up trace: its real file, where it is "mapped". */
struct dso {
	const char *file;   /* built in tmpdir */
	const char *path;   /* as the trace names it */
	uint64_t start;     /* mapping of its executable segment */
	uint64_t pgoff;
	struct trec_dso_syms t; /* the real file's full table */
	struct elfsyms_info in;
	struct tarena a;
};

static void dso_load(struct dso *d, const char *file, const char *path, uint64_t start)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
	d->path = path;
	d->start = start;
	tarena_init(&d->a);
	read_ok(tpath(file), &d->a, &d->t, &d->in);
	uint64_t p_offset = d->in.exec_vaddr - d->t.load_bias;
	d->pgoff = p_offset & ~0xfffull;
}

/* The runtime address of symbol `name` (+2), mapped as this trace says. */
static uint64_t dso_ip(const struct dso *d, const char *name)
{
	const struct trec_sym *s = by_name(&d->t, name);
	assert_non_null(s);
	return d->start + (s->addr + 2 - d->t.load_bias) - d->pgoff;
}

static void add_map(struct trec_writer *w, const struct dso *d, const char *path, int with_bid, uint32_t prot)
{
	struct trec_map m = { .ts = 10, .pid = 100, .prot = prot, .flags = MAP_PRIVATE, .start = d->start,
			      .len = MAP_LEN, .pgoff = d->pgoff, .path = path };
	if (with_bid) {
		m.build_id_len = d->t.build_id_len;
		memcpy(m.build_id, d->t.build_id, d->t.build_id_len);
	}
	assert_int_equal(trec_writer_add_map(w, &m), 0);
}

static struct dso lib, lib2, exe, esc, nb;

enum {
	V_LIB2_NOEXEC = 1, /* libes2's mapping is not executable: its bias cannot be derived */
};

/*
 * pid 100 "app":
 *   /usr/lib/libes.so   build-id, table from its stripped copy (.dynsym:
 *                       es_lib_work, not es_lib_static)
 *   /usr/lib/libes2.so  build-id, no table in the trace
 *   /opt/app/exe        the non-PIE program: build-id, no table
 *   /../escape/libes.so no build-id, no table: a path that would leave
 *                       the directories
 *   /usr/lib/libnb.so   no build-id; a table by path, from
 *                       its stripped copy, that has the build-id
 * One sample per static function, 3 in es_lib_work.
 */
static void write_trace(const char *path, int variant)
{
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	assert_int_equal(trec_writer_open(&w, path, 1, &wo, &e), 0);
	assert_int_equal(trec_writer_add_schema(w, &schema_clock), 0);
	struct trec_task t = { .ts = 1, .kind = TREC_TASK_SNAPSHOT, .pid = 100, .tid = 100, .ppid = 1, .comm = "app",
			       .filename = "" };
	assert_int_equal(trec_writer_add_task(w, &t), 0);
	add_map(w, &lib, lib.path, 1, PROT_READ | PROT_EXEC);
	add_map(w, &lib2, lib2.path, 1, variant & V_LIB2_NOEXEC ? PROT_READ : PROT_READ | PROT_EXEC);
	add_map(w, &exe, exe.path, 1, PROT_READ | PROT_EXEC);
	add_map(w, &esc, esc.path, 0, PROT_READ | PROT_EXEC);
	add_map(w, &nb, nb.path, 0, PROT_READ | PROT_EXEC);

	struct tarena a;
	struct trec_dso_syms thin;
	tarena_init(&a);
	read_ok(tpath("libes.stripped.so"), &a, &thin, NULL);
	assert_null(by_name(&thin, "es_lib_static"));
	thin.path = lib.path;
	assert_int_equal(trec_writer_add_dso_syms(w, &thin), 0);
	read_ok(tpath("libnb.stripped.so"), &a, &thin, NULL);
	assert_true(thin.build_id_len > 0);
	thin.path = nb.path;
	assert_int_equal(trec_writer_add_dso_syms(w, &thin), 0);

	const uint64_t ips[][1] = {
		{ dso_ip(&lib, "es_lib_static") }, { dso_ip(&lib, "es_lib_work") }, { dso_ip(&lib2, "es2_static") },
		{ dso_ip(&exe, "trec_local_fn") },  { dso_ip(&esc, "es_lib_static") }, { dso_ip(&nb, "es2_static") },
	};
	const int counts[] = { 5, 3, 4, 2, 1, 6 };
	uint64_t ts = 100, payload = 1;
	for (size_t i = 0; i < 6; i++) {
		uint32_t id;
		assert_int_equal(trec_writer_add_stack(w, ips[i], 0, 1, &id), 0);
		for (int k = 0; k < counts[i]; k++) {
			struct trec_event ev = { .ts = ts++, .pid = 100, .tid = 100, .type = T_CLOCK, .stack_id = id,
						 .size = 8, .data = &payload };
			assert_int_equal(trec_writer_add_event(w, &ev), 0);
		}
	}
	assert_int_equal(trec_writer_close(w, &e), 0);
	tarena_free(&a);
}

static char trace[512], trace_noexec[512];

static int sym_setup(void **state)
{
	if (!have_tools)
		return 0;
	dso_load(&lib, "libes.so", "/usr/lib/libes.so", LIB_START);
	dso_load(&lib2, "libes2.so", "/usr/lib/libes2.so", LIB2_START);
	dso_load(&exe, "nopie", "/opt/app/exe", EXE_START);
	dso_load(&esc, "libes.so", "/../escape/libes.so", ESC_START);
	dso_load(&nb, "libnb.so", "/usr/lib/libnb.so", NB_START);
	snprintf(trace, sizeof(trace), "%s", tpath("t.data"));
	snprintf(trace_noexec, sizeof(trace_noexec), "%s", tpath("t-noexec.data"));
	write_trace(trace, 0);
	write_trace(trace_noexec, V_LIB2_NOEXEC);

	/* debug dir by build-id: DBG/.build-id/xx/rest.debug */
	char hex[2 * TREC_MAX_BUILD_ID + 1];
	const struct dso *by_bid[] = { &lib, &lib2 };
	const char *dbgfile[] = { "libes.debug", "libes2.debug" };
	for (size_t i = 0; i < 2; i++) {
		for (unsigned k = 0; k < by_bid[i]->t.build_id_len; k++)
			snprintf(hex + 2 * k, 3, "%02x", by_bid[i]->t.build_id[k]);
		if (tu_run("mkdir -p '%s/dbg/.build-id/%.2s' && cp '%s' '%s/dbg/.build-id/%.2s/%s.debug'", tmpdir, hex,
			tpath(dbgfile[i]), tmpdir, hex, hex + 2))
			return -1;
		/* the wrong file under the right name */
		if (tu_run("mkdir -p '%s/wrong/.build-id/%.2s' && cp '%s' '%s/wrong/.build-id/%.2s/%s.debug'", tmpdir, hex,
			tpath(dbgfile[1 - i]), tmpdir, hex, hex + 2))
			return -1;
	}
	/* debug dir by path: DBG2/usr/lib/libes.so.debug; symfs: ROOT/opt/app/exe
	 * (the real binary) and a copy of libes.so just outside ROOT, where
	 * /../escape/libes.so would lead */
	if (tu_run("cd '%s' && mkdir -p dbg2/usr/lib root/opt/app root/usr/lib escape && "
		"cp libes.debug dbg2/usr/lib/libes.so.debug && cp nopie root/opt/app/exe && "
		"cp libes.so escape/libes.so && mkdir -p root2/usr/lib root3/usr/lib && "
		"cp libes2.so root2/usr/lib/libnb.so && cp libnb.so root3/usr/lib/libnb.so",
		tmpdir))
		return -1;
	return 0;
}

static int sym_teardown(void **state)
{
	tarena_free(&lib.a);
	tarena_free(&lib2.a);
	tarena_free(&exe.a);
	tarena_free(&esc.a);
	tarena_free(&nb.a);
	return 0;
}

/* "name" or "dso+0x.." for the sample of one function. */
static const char *frame(struct symbolizer *s, const struct dso *d, const char *fn)
{
	static char buf[256];
	struct sym_result r;
	symbolize(s, 100, 1000, dso_ip(d, fn), 0, &r);
	return sym_format(&r, buf, sizeof(buf));
}

static struct symbolizer *open_sym(const char *path, struct trec_reader **r, const char *symfs,
				   const char *debug_dir, struct symbolizer_ext_stats *st)
{
	struct trec_err e = { 0 };
	struct symbolizer *s;
	assert_int_equal(trec_reader_open(r, path, NULL, &e), 0);
	struct symbolizer_opts o = { .sz = sizeof(o), .symfs = symfs, .debug_dir = debug_dir };
	int rc = symbolizer_new(*r, &o, &s, &e);
	if (rc)
		fail_msg("symbolizer_new: %s", trec_errmsg(&e, rc));
	symbolizer_ext_stats(s, st);
	return s;
}

static void close_sym(struct symbolizer *s, struct trec_reader *r)
{
	symbolizer_free(s);
	trec_reader_close(r);
}

static void test_sym_without_dirs(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	struct symbolizer *s = open_sym(trace, &r, NULL, NULL, &st);
	assert_int_equal(st.dsos, 0);
	assert_string_equal(frame(s, &lib, "es_lib_work"), "es_lib_work");
	/* the trace's .dynsym table does not name the static function */
	assert_string_not_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	assert_non_null(strstr(frame(s, &lib2, "es2_static"), "libes2.so+0x"));
	assert_non_null(strstr(frame(s, &exe, "trec_local_fn"), "exe+0x"));
	close_sym(s, r);
}

static void test_sym_debug_dir_by_build_id(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	struct symbolizer *s = open_sym(trace, &r, NULL, tpath("dbg"), &st);
	/* libes: the debug file's bias is not the file's; the trace's table gives it */
	assert_string_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	assert_string_equal(frame(s, &lib, "es_lib_work"), "es_lib_work");
	/* libes2: no table in the trace; its executable mapping places the code */
	assert_string_equal(frame(s, &lib2, "es2_static"), "es2_static");
	assert_string_equal(frame(s, &lib2, "es2_static_b"), "es2_static_b");
	assert_string_equal(frame(s, &lib2, "es2_work"), "es2_work");
	/* nothing for the program there */
	assert_non_null(strstr(frame(s, &exe, "trec_local_fn"), "exe+0x"));
	assert_int_equal(st.used, 2);
	assert_int_equal(st.found, 2);
	assert_int_equal(st.mismatched, 0);
	assert_int_equal(st.unreadable, 0);
	assert_int_equal(st.no_bias, 0);
	assert_true(symbolizer_mem_bytes(s) > 0);
	close_sym(s, r);

	/* a trailing slash is the same directory */
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/", tpath("dbg"));
	s = open_sym(trace, &r, NULL, dir, &st);
	assert_string_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	close_sym(s, r);
}

static void test_sym_wrong_build_id(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	/* each .build-id name holds the other library's debug file */
	struct symbolizer *s = open_sym(trace, &r, NULL, tpath("wrong"), &st);
	assert_string_not_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	assert_string_equal(frame(s, &lib, "es_lib_work"), "es_lib_work"); /* the trace's own table */
	assert_non_null(strstr(frame(s, &lib2, "es2_static"), "libes2.so+0x"));
	assert_int_equal(st.mismatched, 2);
	assert_int_equal(st.used, 0);
	assert_non_null(st.mismatch_msg);
	assert_non_null(strstr(st.mismatch_msg, "build-id"));
	close_sym(s, r);
}

static void test_sym_debug_dir_by_path(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	struct symbolizer *s = open_sym(trace, &r, NULL, tpath("dbg2"), &st);
	assert_string_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	assert_int_equal(st.used, 1);
	close_sym(s, r);
}

static void test_sym_symfs(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	/* the real non-PIE binary: its own bias (0x400000) */
	struct symbolizer *s = open_sym(trace, &r, tpath("root"), NULL, &st);
	assert_string_equal(frame(s, &exe, "trec_local_fn"), "trec_local_fn");
	assert_string_equal(frame(s, &exe, "trec_global_fn"), "trec_global_fn");
	assert_string_equal(frame(s, &exe, "main"), "main");
	assert_int_equal(st.used, 1);
	/* /../escape/libes.so is never joined: ROOT/../escape/libes.so exists */
	assert_non_null(strstr(frame(s, &esc, "es_lib_static"), "libes.so+0x"));
	close_sym(s, r);

	/* both at once */
	s = open_sym(trace, &r, tpath("root"), tpath("dbg"), &st);
	assert_string_equal(frame(s, &exe, "trec_local_fn"), "trec_local_fn");
	assert_string_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	assert_string_equal(frame(s, &lib2, "es2_static"), "es2_static");
	assert_int_equal(st.used, 3);
	close_sym(s, r);
}

/* A mapping without a build-id, paired by path with a table that has
 * one: a file found by path must be that build. */
static void test_sym_no_build_id_mapping(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	struct symbolizer *s = open_sym(trace, &r, NULL, NULL, &st);
	assert_string_equal(frame(s, &nb, "es2_work"), "es2_work");
	assert_non_null(strstr(frame(s, &nb, "es2_static"), "libnb.so+0x"));
	close_sym(s, r);
	s = open_sym(trace, &r, tpath("root2"), NULL, &st); /* libes2.so there: another build */
	assert_non_null(strstr(frame(s, &nb, "es2_static"), "libnb.so+0x"));
	assert_int_equal(st.mismatched, 1);
	assert_int_equal(st.used, 0);
	close_sym(s, r);
	s = open_sym(trace, &r, tpath("root3"), NULL, &st); /* the real one */
	assert_string_equal(frame(s, &nb, "es2_static"), "es2_static");
	assert_string_equal(frame(s, &nb, "es2_static_b"), "es2_static_b");
	assert_int_equal(st.mismatched, 0);
	assert_int_equal(st.used, 1);
	close_sym(s, r);
}

static void test_sym_bias_unknown(void **state)
{
	NEED_TOOLS();
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	/* libes2 mapped without PROT_EXEC: no table in the trace, nothing to
	 * place the debug file's code: not used rather than misnamed */
	struct symbolizer *s = open_sym(trace_noexec, &r, NULL, tpath("dbg"), &st);
	assert_non_null(strstr(frame(s, &lib2, "es2_static"), "libes2.so+0x"));
	assert_string_equal(frame(s, &lib, "es_lib_static"), "es_lib_static");
	assert_int_equal(st.no_bias, 1);
	assert_int_equal(st.used, 1);
	assert_non_null(st.no_bias_path);
	assert_non_null(strstr(st.no_bias_path, ".debug"));
	close_sym(s, r);
}

static void test_sym_unreadable(void **state)
{
	NEED_TOOLS();
	/* a file where the symbol file should be that is not ELF */
	assert_int_equal(tu_run("mkdir -p '%s/junk/usr/lib' && echo junk > '%s/junk/usr/lib/libes2.so'", tmpdir, tmpdir), 0);
	struct trec_reader *r;
	struct symbolizer_ext_stats st;
	struct symbolizer *s = open_sym(trace, &r, tpath("junk"), NULL, &st);
	assert_int_equal(st.unreadable, 1);
	assert_non_null(strstr(st.unreadable_msg, "not an ELF file"));
	assert_non_null(strstr(frame(s, &lib2, "es2_static"), "libes2.so+0x"));
	close_sym(s, r);
}

/* ---- trec report through its entry point ------------------------------------------------------------ */

static char *report_err;

static char *run_report(int *rc, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"trec report";
	va_list ap;
	va_start(ap, rc);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 30;)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	char *out;
	free(report_err);
	*rc = run_captured(tmpdir, cmd_report, argc, argv, &out, &report_err);
	return out;
}

static void test_report_options(void **state)
{
	NEED_TOOLS();
	int rc;
	char *out = run_report(&rc, "--folded", "-i", trace, NULL);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "es_lib_static"));
	assert_non_null(strstr(out, "app;es_lib_work 3\n"));
	free(out);

	out = run_report(&rc, "--folded", "--debug-dir", tpath("dbg"), "--symfs", tpath("root"), "-i", trace, NULL);
	if (rc)
		fail_msg("exit %d: %s", rc, report_err);
	assert_non_null(strstr(out, "app;es_lib_static 5\n"));
	assert_non_null(strstr(out, "app;es_lib_work 3\n"));
	assert_non_null(strstr(out, "app;es2_static 4\n"));
	assert_non_null(strstr(out, "app;trec_local_fn 2\n"));
	assert_string_equal(report_err, "");
	free(out);

	/* the top-functions view takes them too */
	out = run_report(&rc, "--top", "--debug-dir", tpath("dbg"), trace, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "es_lib_static"));
	free(out);

	/* files of another build: ignored, said once */
	out = run_report(&rc, "--folded", "--debug-dir", tpath("wrong"), "-i", trace, NULL);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "es_lib_static"));
	assert_non_null(strstr(report_err, "2 files under --debug-dir ignored: not the build the trace recorded"));
	free(out);

	/* a directory with nothing for this trace: said so */
	assert_int_equal(tu_run("mkdir -p '%s/emptydir'", tmpdir), 0);
	out = run_report(&rc, "--folded", "--symfs", tpath("emptydir"), "-i", trace, NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(report_err, "no symbol file found"));
	free(out);

	/* not a directory: a usage error */
	out = run_report(&rc, "--folded", "--debug-dir", tpath("nonexistent"), "-i", trace, NULL);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(report_err, "--debug-dir"));
	free(out);
	out = run_report(&rc, "--symfs", tpath("libes.so"), "-i", trace, NULL);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(report_err, "not a directory"));
	free(out);
	free(report_err);
	report_err = NULL;
}

/* One cmocka group: prove reads one TAP plan per test program. */
static int all_setup(void **state)
{
	if (group_setup(state))
		return -1;
	return sym_setup(state);
}

static int all_teardown(void **state)
{
	int r = sym_teardown(state);
	group_teardown(state);
	return r;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vs_nm),
		cmocka_unit_test(test_code_labels),
		cmocka_unit_test(test_load_bias),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_debug_file),
		cmocka_unit_test(test_want_build_id),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_truncated_and_mutated),
		cmocka_unit_test(test_header_lies),
		cmocka_unit_test(test_sym_without_dirs),
		cmocka_unit_test(test_sym_debug_dir_by_build_id),
		cmocka_unit_test(test_sym_wrong_build_id),
		cmocka_unit_test(test_sym_debug_dir_by_path),
		cmocka_unit_test(test_sym_symfs),
		cmocka_unit_test(test_sym_no_build_id_mapping),
		cmocka_unit_test(test_sym_bias_unknown),
		cmocka_unit_test(test_sym_unreadable),
		cmocka_unit_test(test_report_options),
	};
	return cmocka_run_group_tests_name("elfsyms and --symfs/--debug-dir", tests, all_setup, all_teardown);
}
