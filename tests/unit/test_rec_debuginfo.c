/* SPDX-License-Identifier: MIT */
/*
 * Separate debug files at record time (record/debuginfo.c).
 *
 * The test builds its own binaries (cc, objcopy, strip, as a distribution
 * does: --only-keep-debug, strip, --add-gnu-debuglink) and lays their
 * debug files out in build-id trees and next to the binaries in a temp
 * directory. The truth is the unstripped binary: every function nm lists
 * in it must be in the debug table at the same address, and the table's
 * load bias must be the stripped binary's (objcopy changes the debug
 * file's own). On this machine libc6-dbg's file for libc.so.6 is checked
 * too (it names __libc_start_call_main).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "debuginfo.h"
#include "elftools.h"
#include "scratch.h"
#include "symtab.h"

static const char prog_src[] =
	"static volatile int sink;\n"
	"__attribute__((noinline)) static int static_helper(int x) { sink += x; return x * 3 + VARIANT; }\n"
	"__attribute__((noinline)) int exported_fn(int x) { return static_helper(x) + 2; }\n"
	"int main(int argc, char **argv) { (void)argv; return exported_fn(argc) > 100; }\n";

static int have_tools;

/* ---- helpers ----------------------------------------------------------------- */


static int fds_at_start;

/* Paths in the scratch directory that stay valid for the whole test
 * (scratch_path's buffers are reused after four calls). */
static char path_pool[64][512];
static int path_next;

static const char *P(const char *name)
{
	assert_true(path_next < 64);
	char *p = path_pool[path_next++];
	snprintf(p, sizeof(path_pool[0]), "%s/%s", scratch_root(), name);
	return p;
}

static int setup(void **state)
{
	(void)state;
	path_next = 0;
	scratch_remove();
	scratch_make("debuginfo");
	fds_at_start = scratch_count_fds();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	int now = scratch_count_fds();
	if (now != fds_at_start) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n", fds_at_start, now);
		return -1;
	}
	return 0;
}

static void need_tools(void)
{
	if (!have_tools) {
		print_message("# cc, objcopy, strip or nm missing: skipped\n");
		skip();
	}
}

/* A shell command that must succeed (tu_run checks the format). */
#define SH(...) assert_int_equal(tu_run(__VA_ARGS__), 0)

/*
 * Builds DIR/NAME.full (unstripped), DIR/NAME.debug (its debug file) and
 * DIR/NAME (stripped, with a .gnu_debuglink to NAME.debug). cflags picks
 * PIE or not, a build-id or none; variant changes the code (another build).
 */
static void build(const char *name, const char *cflags, int variant)
{
	char src[64], def[64];
	snprintf(src, sizeof(src), "%s.c", name);
	FILE *f = fopen(P(src), "w");
	assert_non_null(f);
	fputs(prog_src, f);
	fclose(f);
	snprintf(def, sizeof(def), "-DVARIANT=%d %s", variant, cflags);
	assert_int_equal(tu_run("cd '%s' && cc -O1 -g %s -o %s.full %s", scratch_root(), def, name, src), 0);
	SH("cd '%s' && objcopy --only-keep-debug %s.full %s.debug", scratch_root(), name, name);
	SH("cd '%s' && strip --strip-all -o %s %s.full", scratch_root(), name, name);
	SH("cd '%s' && objcopy --add-gnu-debuglink=%s.debug %s", scratch_root(), name, name);
}

static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* The binary's own table (what dsos.c hands debuginfo). */
struct bin {
	int fd;
	struct tarena a;
	struct trec_dso_syms syms;
	struct debuginfo_target t;
};

static void bin_open(struct bin *b, const char *file, const char *path_seen, int rootfd)
{
	struct trec_err err = { 0 };
	b->fd = open_ro(file);
	tarena_init(&b->a);
	assert_int_equal(symtab_read_elf(path_seen, b->fd, &b->a, &b->syms, &err), 0);
	b->t = (struct debuginfo_target){ .fd = b->fd, .path = path_seen, .rootfd = rootfd, .syms = &b->syms };
}

static void bin_close(struct bin *b)
{
	close(b->fd);
	tarena_free(&b->a);
}

static const struct trec_sym *find_sym(const struct trec_dso_syms *d, const char *name)
{
	for (uint32_t i = 0; i < d->nsyms; i++)
		if (!strcmp(d->syms[i].name, name))
			return &d->syms[i];
	return NULL;
}

/* Every function of the unstripped binary, at nm's address. */
static void expect_full_table(const struct trec_dso_syms *d, const char *full)
{
	struct tu_nmsym *v = calloc(4096, sizeof(*v));
	assert_non_null(v);
	size_t n = tu_nm_functions(full, v, 4096);
	assert_true(n >= 3);
	size_t found = 0, text = 0;
	for (size_t i = 0; i < n; i++) {
		/* t and T: code. (nm's W is any weak symbol, data_start too.) */
		if (v[i].type != 't' && v[i].type != 'T')
			continue;
		text++;
		for (uint32_t k = 0; k < d->nsyms; k++) {
			if (d->syms[k].addr == v[i].addr) {
				found++;
				break;
			}
		}
	}
	assert_true(text >= 3);
	assert_int_equal(found, text); /* every function nm knows, at its address */
	const struct trec_sym *s = find_sym(d, "static_helper");
	assert_non_null(s);
	int seen = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, "static_helper")) {
			assert_int_equal(s->addr, v[i].addr);
			seen = 1;
		}
	assert_true(seen);
	free(v);
}

/* DIR/.build-id/NN/REST.debug for `file`'s build-id, made a copy of dbg. */
static void place_by_build_id(const char *dir, const char *file, const char *dbg)
{
	uint8_t id[BUILDID_MAX];
	char hex[2 * BUILDID_MAX + 1], sub[600], dst[800];
	int n = buildid_read_path(NULL, file, id);
	assert_true(n >= 2);
	buildid_hex(id, (size_t)n, hex);
	snprintf(sub, sizeof(sub), "%s/.build-id/%.2s", dir, hex);
	assert_int_equal(tu_run("mkdir -p '%s'", sub), 0);
	snprintf(dst, sizeof(dst), "%s/%s.debug", sub, hex + 2);
	SH("cp '%s' '%s'", dbg, dst);
}

/* ---- CRC and debuglink ------------------------------------------------------- */

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(debuginfo_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(debuginfo_crc32(debuginfo_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(debuginfo_crc32(0, "", 0), 0);
	const char *p = P("crc");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 0; i < 200000; i++)
		fputc(i * 7 & 0xff, f);
	fclose(f);
	uint8_t *buf = malloc(200000);
	assert_non_null(buf);
	for (int i = 0; i < 200000; i++)
		buf[i] = (uint8_t)(i * 7 & 0xff);
	uint32_t crc = 0;
	int fd = open_ro(p);
	assert_int_equal(debuginfo_file_crc32(fd, &crc), 0);
	close(fd);
	assert_int_equal(crc, debuginfo_crc32(0, buf, 200000));
	free(buf);
	/* Too big to hash: a sparse file just over the limit (no disk used). */
	fd = open(P("huge"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)DEBUGINFO_MAX_CRC_BYTES + 1), 0);
	assert_int_equal(debuginfo_file_crc32(fd, &crc), -EFBIG);
	close(fd);
}

static void test_read_link(void **state)
{
	(void)state;
	need_tools();
	build("prog", "", 1);
	char name[DEBUGINFO_MAX_LINK_NAME + 1];
	uint32_t crc = 0, want = 0;
	int fd = open_ro(P("prog"));
	assert_int_equal(debuginfo_read_link(fd, name, &crc), 1);
	close(fd);
	assert_string_equal(name, "prog.debug");
	fd = open_ro(P("prog.debug"));
	assert_int_equal(debuginfo_file_crc32(fd, &want), 0);
	close(fd);
	assert_int_equal(crc, want); /* what objcopy computed, gdb's CRC */
	fd = open_ro(P("prog.full"));
	assert_int_equal(debuginfo_read_link(fd, name, &crc), 0); /* no link */
	close(fd);

	/* Hostile links: a path instead of a name, no NUL, no room for the CRC. */
	static const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
		{ "../../../etc/shadow\0\0\0\0\0\0\0\0", 28 },
		{ "a/b\0\1\2\3\4", 8 },
		{ "..\0\0\1\2\3\4", 8 },
		{ "noterminator", 12 },
		{ "name.debug\0\0\1\2", 14 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *sec = P("link.bin");
		FILE *f = fopen(sec, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(bad[i].bytes, 1, bad[i].len, f), bad[i].len);
		fclose(f);
		SH("cd '%s' && objcopy --add-section .gnu_debuglink=link.bin prog.full bad", scratch_root());
		fd = open_ro(P("bad"));
		assert_int_equal(debuginfo_read_link(fd, name, &crc), 0);
		close(fd);
	}
	/* not ELF at all */
	fd = open_ro(P("link.bin"));
	assert_int_equal(debuginfo_read_link(fd, name, &crc), 0);
	close(fd);
}

/* ---- lookups ------------------------------------------------------------------- */

static void test_build_id_tree(void **state)
{
	(void)state;
	need_tools();
	build("prog", "", 1);
	const char *dbg = P("dbg");
	place_by_build_id(dbg, P("prog"), P("prog.debug"));
	struct bin b;
	bin_open(&b, P("prog"), "/usr/bin/prog", -1);
	assert_null(find_sym(&b.syms, "static_helper")); /* stripped */

	const char *dirs[] = { P("nothing-here"), dbg };
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 2 };
	struct debuginfo_result res;
	int fd = debuginfo_find(&o, &b.t, &res);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(strstr(res.path, "/.build-id/"));
	assert_int_equal(res.candidates, 2);
	assert_int_equal(res.mismatched, 0);

	struct tarena a;
	struct trec_dso_syms out;
	struct trec_err err = { 0 };
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&o, &b.t, &a, &out, &res, &err), 1);
	expect_full_table(&out, P("prog.full"));
	assert_true(out.nsyms > b.syms.nsyms);
	assert_int_equal(out.load_bias, b.syms.load_bias);
	assert_int_equal(out.build_id_len, b.syms.build_id_len);
	assert_memory_equal(out.build_id, b.syms.build_id, out.build_id_len);
	assert_string_equal(out.path, "/usr/bin/prog");
	tarena_free(&a);

	/* No debug directory at all: nothing found, the binary's table stays. */
	struct debuginfo_opts none = { .sz = sizeof(none), .debug_dirs = dirs, .ndebug_dirs = 0 };
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&none, &b.t, &a, &out, &res, &err), 0);
	assert_int_equal(out.nsyms, 0);
	tarena_free(&a);
	bin_close(&b);
}

static void test_mismatch_ignored(void **state)
{
	(void)state;
	need_tools();
	build("prog", "", 1);
	build("other", "", 2); /* another build: another build-id */
	const char *dbg = P("dbg");
	/* other's debug file where prog's belongs: another build, skipped */
	place_by_build_id(dbg, P("prog"), P("other.debug"));
	struct bin b;
	bin_open(&b, P("prog"), "/usr/bin/prog", -1);
	const char *dirs[] = { dbg };
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 1 };
	struct debuginfo_result res;
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	assert_int_equal(res.mismatched, 1);
	assert_string_equal(res.path, "");
	struct tarena a;
	struct trec_dso_syms out;
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&o, &b.t, &a, &out, &res, NULL), 0);
	assert_int_equal(out.nsyms, 0);
	tarena_free(&a);

	/* The right one after the wrong one in a second directory: found. */
	const char *dbg2 = P("dbg2");
	place_by_build_id(dbg2, P("prog"), P("prog.debug"));
	const char *dirs2[] = { dbg, dbg2 };
	struct debuginfo_opts o2 = { .sz = sizeof(o2), .debug_dirs = dirs2, .ndebug_dirs = 2 };
	int fd = debuginfo_find(&o2, &b.t, &res);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(res.mismatched, 1);
	assert_non_null(strstr(res.path, "/dbg2/"));
	bin_close(&b);
}

/* Without build-ids, the debuglink's CRC decides; next to the binary is
 * looked up inside the process's root. */
static void test_debuglink_crc(void **state)
{
	(void)state;
	need_tools();
	build("nobid", "-Wl,--build-id=none", 1);
	uint8_t id[BUILDID_MAX];
	assert_int_equal(buildid_read_path(NULL, P("nobid"), id), 0);
	/* A root R with the binary at /opt/app/nobid and its debug file in
	 * /opt/app/.debug/. */
	const char *root = P("root");
	SH("mkdir -p '%s/opt/app/.debug' && cp '%s' '%s/opt/app/'", root, P("nobid"), root);
	SH("cp '%s' '%s/opt/app/.debug/'", P("nobid.debug"), root);
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	struct bin b;
	bin_open(&b, P("nobid"), "/opt/app/nobid", rootfd);
	const char *dirs[] = { P("empty") };
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 1 };
	struct debuginfo_result res;
	struct tarena a;
	struct trec_dso_syms out;
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&o, &b.t, &a, &out, &res, NULL), 1);
	assert_non_null(strstr(res.path, "/opt/app/.debug/nobid.debug"));
	expect_full_table(&out, P("nobid.full"));
	assert_int_equal(out.load_bias, b.syms.load_bias);
	tarena_free(&a);

	/* One byte changed: the CRC no longer matches, the file is ignored. */
	char p[700];
	snprintf(p, sizeof(p), "%s/opt/app/.debug/nobid.debug", root);
	int fd = open(p, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t byte;
	assert_int_equal(pread(fd, &byte, 1, st.st_size / 2), 1);
	byte ^= 0x40;
	assert_int_equal(pwrite(fd, &byte, 1, st.st_size / 2), 1);
	close(fd);
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	assert_int_equal(res.mismatched, 1);

	/* A debug file with a build-id for a binary without one: ignored. */
	build("withbid", "", 1);
	SH("cp '%s' '%s/opt/app/nobid.debug'", P("withbid.debug"), root);
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	assert_int_equal(res.mismatched, 2);

	/* DIR/<binary's directory>/NAME on the host, the right file. */
	SH("mkdir -p '%s/opt/app' && cp '%s' '%s/opt/app/'", P("empty"), P("nobid.debug"),
	   P("empty"));
	fd = debuginfo_find(&o, &b.t, &res);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(strstr(res.path, "/empty/opt/app/nobid.debug"));
	assert_int_equal(res.candidates, 3);
	bin_close(&b);

	/* With no root, nothing next to the binary is looked at (the host's
	 * /opt/app is not the process's). */
	bin_open(&b, P("nobid"), "/opt/app/nobid", -1);
	fd = debuginfo_find(&o, &b.t, &res);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(res.candidates, 1);
	bin_close(&b);
	/* A directory with ".." is never joined to a host directory. */
	bin_open(&b, P("nobid"), "/opt/../opt/app/nobid", -1);
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	assert_int_equal(res.candidates, 0);
	bin_close(&b);
	close(rootfd);
}

/* A non-PIE: objcopy moves the debug file's executable segment to offset
 * 0, so its own bias would be off by 0x1000; the binary's is used. */
static void test_nonpie_bias(void **state)
{
	(void)state;
	need_tools();
	build("nopie", "-no-pie -fno-pie", 1);
	const char *dbg = P("dbg");
	place_by_build_id(dbg, P("nopie"), P("nopie.debug"));
	struct bin b;
	bin_open(&b, P("nopie"), "/usr/bin/nopie", -1);
	assert_int_equal(b.syms.load_bias, 0x400000);
	struct tarena a;
	struct trec_dso_syms own, out;
	struct trec_err err = { 0 };
	tarena_init(&a);
	int dfd = open_ro(P("nopie.debug"));
	assert_int_equal(symtab_read_elf("nopie.debug", dfd, &a, &own, &err), 0);
	close(dfd);
	print_message("# non-PIE: binary bias 0x%llx, the debug file's own 0x%llx\n",
		      (unsigned long long)b.syms.load_bias, (unsigned long long)own.load_bias);
	const char *dirs[] = { dbg };
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 1 };
	assert_int_equal(debuginfo_read(&o, &b.t, &a, &out, NULL, &err), 1);
	assert_int_equal(out.load_bias, 0x400000);
	expect_full_table(&out, P("nopie.full"));
	tarena_free(&a);
	bin_close(&b);
}

static void test_symfs(void **state)
{
	(void)state;
	need_tools();
	build("prog", "", 1);
	const char *symfs = P("symfs");
	char p[700];
	snprintf(p, sizeof(p), "%s/usr/lib/debug", symfs);
	place_by_build_id(p, P("prog"), P("prog.debug"));
	struct bin b;
	bin_open(&b, P("prog"), "/usr/bin/prog", -1);
	const char *dirs[] = { "/usr/lib/debug" };
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 1 };
	struct debuginfo_result res;
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	o.symfs = symfs;
	int fd = debuginfo_find(&o, &b.t, &res);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(strstr(res.path, "/symfs/usr/lib/debug/.build-id/"));

	/* An unstripped copy at SYMFS/PATH is used too (by build-id). */
	SH("rm -rf '%s/usr/lib/debug' && mkdir -p '%s/usr/bin'", symfs, symfs);
	SH("cp '%s' '%s/usr/bin/prog'", P("prog.full"), symfs);
	struct tarena a;
	struct trec_dso_syms out;
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&o, &b.t, &a, &out, &res, NULL), 1);
	assert_non_null(strstr(res.path, "/symfs/usr/bin/prog"));
	expect_full_table(&out, P("prog.full"));
	tarena_free(&a);
	/* A stripped copy there (the same build, no fuller) does not stop
	 * the search: the host's debug file comes next. */
	SH("cp '%s' '%s/usr/bin/prog'", P("prog"), symfs);
	const char *dbg = P("dbg");
	place_by_build_id(dbg, P("prog"), P("prog.debug"));
	const char *dirs2[] = { dbg };
	struct debuginfo_opts o2 = { .sz = sizeof(o2), .debug_dirs = dirs2, .ndebug_dirs = 1, .symfs = symfs };
	fd = debuginfo_find(&o2, &b.t, &res);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(strstr(res.path, "/symfs/usr/bin/prog")); /* found first */
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&o2, &b.t, &a, &out, &res, NULL), 1);
	assert_non_null(strstr(res.path, "/dbg/.build-id/")); /* used */
	expect_full_table(&out, P("prog.full"));
	tarena_free(&a);
	/* ... but not another build there. */
	build("other", "", 2);
	SH("cp '%s' '%s/usr/bin/prog'", P("other.full"), symfs);
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	assert_true(res.mismatched >= 1);
	bin_close(&b);
}

/* More directories than the bound: the ones past it are not searched. */
static void test_bounds(void **state)
{
	(void)state;
	need_tools();
	build("prog", "", 1);
	const char *dirs[DEBUGINFO_MAX_DIRS + 4];
	char names[DEBUGINFO_MAX_DIRS + 4][64];
	for (int i = 0; i < DEBUGINFO_MAX_DIRS + 4; i++) {
		snprintf(names[i], sizeof(names[i]), "%s/d%d", scratch_root(), i);
		dirs[i] = names[i];
	}
	place_by_build_id(names[DEBUGINFO_MAX_DIRS + 1], P("prog"), P("prog.debug"));
	struct bin b;
	bin_open(&b, P("prog"), "/usr/bin/prog", -1);
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = DEBUGINFO_MAX_DIRS + 4 };
	struct debuginfo_result res;
	assert_int_equal(debuginfo_find(&o, &b.t, &res), -ENOENT);
	assert_true(res.candidates <= DEBUGINFO_MAX_CANDIDATES);
	/* bad arguments */
	struct debuginfo_opts bad = { 0 };
	assert_int_equal(debuginfo_find(&bad, &b.t, &res), -EINVAL);
	struct debuginfo_target nofd = { .fd = -1 };
	assert_int_equal(debuginfo_find(&o, &nofd, &res), -EINVAL);
	bin_close(&b);
}

/* This machine's libc and libc6-dbg: the static __libc_start_call_main. */
static void test_libc(void **state)
{
	(void)state;
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	if (access(libc, R_OK) != 0) {
		print_message("# no %s here: skipped\n", libc);
		skip();
	}
	struct bin b;
	bin_open(&b, libc, libc, -1);
	assert_null(find_sym(&b.syms, "__libc_start_call_main"));
	struct debuginfo_result res;
	int fd = debuginfo_find(NULL, &b.t, &res);
	if (fd < 0) {
		bin_close(&b);
		print_message("# no debug file for %s (libc6-dbg not installed): skipped\n", libc);
		skip();
	}
	close(fd);
	print_message("# %s: debug file %s\n", libc, res.path);
	struct tarena a;
	struct trec_dso_syms out;
	struct trec_err err = { 0 };
	tarena_init(&a);
	assert_int_equal(debuginfo_read(NULL, &b.t, &a, &out, &res, &err), 1);
	const struct trec_sym *s = find_sym(&out, "__libc_start_call_main");
	assert_non_null(s);
	assert_int_equal(out.load_bias, b.syms.load_bias);
	uint32_t named = 0;
	for (uint32_t i = 0; i < b.syms.nsyms; i++)
		named += b.syms.syms[i].name[0] != 0;
	print_message("# %u named functions instead of %u; __libc_start_call_main at 0x%llx\n", out.nsyms,
		      named, (unsigned long long)s->addr);
	assert_true(out.nsyms > named);
	/* nm's address for it in the debug file */
	struct tu_nmsym *v = calloc(16384, sizeof(*v));
	assert_non_null(v);
	size_t n = tu_nm_functions(res.path, v, 16384);
	int seen = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, "__libc_start_call_main")) {
			assert_int_equal(v[i].addr, s->addr);
			seen = 1;
		}
	assert_true(seen);
	free(v);
	/* Exported functions keep their addresses. */
	const struct trec_sym *m1 = find_sym(&b.syms, "malloc"), *m2 = find_sym(&out, "malloc");
	assert_non_null(m1);
	assert_non_null(m2);
	assert_int_equal(m1->addr, m2->addr);
	tarena_free(&a);
	/* An empty debug directory instead of the default: as before. */
	const char *dirs[] = { P("empty") };
	struct debuginfo_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 1 };
	tarena_init(&a);
	assert_int_equal(debuginfo_read(&o, &b.t, &a, &out, &res, &err), 0);
	tarena_free(&a);
	bin_close(&b);
}

int main(void)
{
	have_tools = tu_have_tool("cc") && tu_have_tool("objcopy") && tu_have_tool("strip") && tu_have_tool("nm");
	scratch_make("debuginfo");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crc32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_id_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mismatch_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debuglink_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonpie_bias, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libc, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("record debug files", tests, NULL, NULL);
	scratch_remove();
	return rc;
}
