/* SPDX-License-Identifier: MIT */
/*
 * Dynamic probes, the parts that need no BPF: -e probe and --arg parsing
 * (record/probe_spec.c), the ld.so cache reader (ldcache.c) on built
 * images, PATH resolution (probe_path.c), USDT notes and function symbols
 * (elf_probe.c) checked against this test program's own code and nm,
 * event resolution and schemas (probes.c), and the kernel-probe advice
 * (probe_kernel.c) against a fake tracefs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "elf_probe.h"
#include "kprobe.skel.h"
#include "elftools.h"
#include "ldcache.h"
#include "probe_abi.h"
#include "probe_kernel.h"
#include "probe_path.h"
#include "probe_spec.h"
#include "probes.h"

/* Functions this test probes in its own binary: real calls with frames,
 * known names, one group for globs. */
long tprobe_target(long a, long b);
long tprobe_glob_one(long a);
long tprobe_glob_two(long a);
__attribute__((noinline, used)) long tprobe_target(long a, long b)
{
	return a * b + 1;
}
__attribute__((noinline, used)) long tprobe_glob_one(long a)
{
	return a + 1;
}
__attribute__((noinline, used)) long tprobe_glob_two(long a)
{
	return a + 2;
}

static char tmpdir[64];
static char self[PATH_MAX];

static int group_setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/trec-probe-XXXXXX");
	if (!mkdtemp(tmpdir) || !realpath("/proc/self/exe", self))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	return tu_run("rm -rf '%s'", tmpdir);
}

/* ---- probe_spec ------------------------------------------------------------ */

static void test_spec_forms(void **state)
{
	struct probe_spec s;
	struct trec_err err = { 0 };
	assert_int_equal(probe_spec_parse("u:/bin/x:main", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_UPROBE);
	assert_string_equal(s.path, "/bin/x");
	assert_string_equal(s.func, "main");
	assert_false(s.has_off || s.has_addr || s.glob);

	assert_int_equal(probe_spec_parse("uprobe:libc:malloc+0x10", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_UPROBE);
	assert_string_equal(s.path, "libc");
	assert_string_equal(s.func, "malloc");
	assert_true(s.has_off);
	assert_int_equal(s.off, 16);

	assert_int_equal(probe_spec_parse("u:/a:b/c:0x4010", &s, &err), 0);
	assert_string_equal(s.path, "/a:b/c"); /* the FUNC is after the last ':' */
	assert_true(s.has_addr);
	assert_int_equal(s.addr, 0x4010);

	assert_int_equal(probe_spec_parse("ur:/bin/x:str*", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_URETPROBE);
	assert_true(s.glob);
	assert_int_equal(probe_spec_parse("uretprobe:/bin/x:f", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_URETPROBE);

	assert_int_equal(probe_spec_parse("usdt:/bin/x:prov:name", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_USDT);
	assert_string_equal(s.path, "/bin/x");
	assert_string_equal(s.provider, "prov");
	assert_string_equal(s.func, "name");
	assert_int_equal(probe_spec_parse("usdt:/bin/x:na*", &s, &err), 0);
	assert_string_equal(s.provider, "");
	assert_string_equal(s.func, "na*");
	assert_true(s.glob);

	assert_int_equal(probe_spec_parse("k:vfs_read", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_KPROBE);
	assert_string_equal(s.func, "vfs_read");
	assert_int_equal(probe_spec_parse("kprobe:vfs_read+8", &s, &err), 0);
	assert_int_equal(s.off, 8);
	assert_int_equal(probe_spec_parse("kr:do_exit", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_KRETPROBE);
	assert_int_equal(probe_spec_parse("kretprobe:do_exit", &s, &err), 0);
	assert_int_equal(probe_spec_parse("fentry:vfs_write", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_FENTRY);
	assert_int_equal(probe_spec_parse("fexit:vfs_write", &s, &err), 0);
	assert_int_equal(s.kind, PROBE_FEXIT);

	/* what is a probe at all */
	assert_int_equal(probe_spec_kind("u:x:y"), PROBE_UPROBE);
	assert_int_equal(probe_spec_kind("usdt:x:y"), PROBE_USDT);
	assert_int_equal(probe_spec_kind("sched:sched_switch"), 0);
	assert_int_equal(probe_spec_kind("kprobes:myprobe"), 0); /* tracefs group of dynamic kprobes */
	assert_int_equal(probe_spec_kind("uprobes:p_x"), 0);
}

static void test_spec_errors(void **state)
{
	struct probe_spec s;
	struct trec_err err = { 0 };
	static const char *const bad[] = {
		"u:", "u:/bin/x", "u:/bin/x:", "u::main", "u:/bin/x:ma in", "u:/bin/x:f+", "u:/bin/x:f+-1",
		"u:/bin/x:f+zz", "u:/bin/x:f*+4", "u:/bin/x:0x", "u:/bin/x:0xzz", "ur:/bin/x:f+4", "usdt:/bin/x:",
		"usdt::p:n", "usdt:/bin/x:p q:n", "k:", "k:mod:func", "k:vfs_*", "kr:f+4", "fentry:f+4", "fexit:",
		"sched:sched_switch",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		int r = probe_spec_parse(bad[i], &s, &err);
		if (r != -EINVAL)
			fail_msg("'%s' parsed (%d)", bad[i], r);
		assert_non_null(strstr(err.msg, bad[i])); /* the message quotes the argument */
	}
	/* a name longer than the buffer */
	char longname[PROBE_NAME_MAX + 32] = "u:/x:";
	memset(longname + 5, 'a', PROBE_NAME_MAX + 10);
	longname[PROBE_NAME_MAX + 15] = '\0';
	assert_int_equal(probe_spec_parse(longname, &s, &err), -EINVAL);
}

static void test_spec_args(void **state)
{
	struct probe_spec s;
	struct trec_err err = { 0 };
	assert_int_equal(probe_spec_parse("u:/bin/x:f", &s, &err), 0);
	assert_int_equal(probe_spec_arg(&s, "arg0:str", &err), 0);
	assert_int_equal(probe_spec_arg(&s, "arg2:str,arg5:str", &err), 0);
	assert_int_equal(s.strmask, 0x25);
	assert_int_equal(probe_spec_arg(&s, "arg6:str", &err), -EINVAL);
	assert_int_equal(probe_spec_arg(&s, "arg1:int", &err), -EINVAL);
	assert_int_equal(probe_spec_arg(&s, "argx:str", &err), -EINVAL);
	assert_int_equal(probe_spec_arg(&s, "arg1:str,", &err), -EINVAL);
	assert_int_equal(probe_spec_arg(&s, "arg1:strs", &err), -EINVAL);
	assert_int_equal(probe_spec_arg(&s, "", &err), -EINVAL);
	assert_int_equal(s.strmask, 0x25); /* failures change nothing that was valid before */
	assert_int_equal(probe_spec_parse("ur:/bin/x:f", &s, &err), 0);
	assert_int_equal(probe_spec_arg(&s, "arg0:str", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "return value"));
}

/* ---- ld.so cache --------------------------------------------------------------- */

struct img {
	uint8_t b[4096];
	size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A glibc-ld.so.cache1.1 image with (key, value) entries, optionally
 * behind an old-format table of `nold` entries. */
static void build_cache(struct img *im, const char *const *kv, uint32_t n, uint32_t nold)
{
	memset(im, 0, sizeof(*im));
	size_t at = 0;
	if (nold) {
		memcpy(im->b, "ld.so-1.7.0", 11);
		put32(im->b + 12, nold);
		at = (16 + nold * 12 + 7) & ~(size_t)7;
	}
	uint8_t *h = im->b + at;
	memcpy(h, "glibc-ld.so.cache1.1", 20);
	put32(h + 20, n);
	size_t str = 48 + (size_t)n * 24;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = h + 48 + (size_t)i * 24;
		put32(e, 0x0303);
		for (int k = 0; k < 2; k++) {
			put32(e + 4 + 4 * k, (uint32_t)str);
			size_t l = strlen(kv[2 * i + k]) + 1;
			memcpy(h + str, kv[2 * i + k], l);
			str += l;
		}
	}
	im->len = at + str;
}

struct seen {
	char keys[8][64];
	int n, stop_at;
};

static int record_visit(const char *key, const char *path, void *arg)
{
	struct seen *s = arg;
	(void)path;
	snprintf(s->keys[s->n++], sizeof(s->keys[0]), "%s", key);
	return s->n == s->stop_at ? 7 : 0;
}

static void test_ldcache(void **state)
{
	assert_true(ldcache_name_matches("libc.so.6", "libc"));
	assert_true(ldcache_name_matches("libc.so.6", "c"));
	assert_true(ldcache_name_matches("libc.so.6", "libc.so.6"));
	assert_true(ldcache_name_matches("libc-2.31.so", "libc"));
	assert_true(ldcache_name_matches("libssl.so", "ssl"));
	assert_false(ldcache_name_matches("libcap.so.2", "libc"));
	assert_false(ldcache_name_matches("libc.so.6", "libc.so.7"));
	assert_false(ldcache_name_matches("libcrypt.so.1", "c"));
	assert_false(ldcache_name_matches("libc.so6", "libc"));
	assert_false(ldcache_name_matches("libc.so.6", ""));

	static const char *const kv[] = {
		"libcap.so.2", "/lib/libcap.so.2", "libc.so.6", "/lib/libc.so.6", "libc.so.6", "/lib32/libc.so.6",
		"libm.so.6",   "relative/libm",
	};
	struct img im;
	struct trec_err err = { 0 };
	for (uint32_t nold = 0; nold < 3; nold += 2) {
		build_cache(&im, kv, 4, nold);
		struct seen s = { .stop_at = 0 };
		assert_int_equal(ldcache_scan(im.b, im.len, "libc", record_visit, &s, &err), 0);
		assert_int_equal(s.n, 2); /* both libc entries, in order; not libcap */
		assert_string_equal(s.keys[0], "libc.so.6");
		s = (struct seen){ .stop_at = 1 };
		assert_int_equal(ldcache_scan(im.b, im.len, "c", record_visit, &s, &err), 7);
		s = (struct seen){ .stop_at = 0 };
		assert_int_equal(ldcache_scan(im.b, im.len, "m", record_visit, &s, &err), 0);
		assert_int_equal(s.n, 0); /* a value that is no absolute path is never offered */
	}
	/* Corrupt images fail cleanly at every cut and with lying counts. */
	build_cache(&im, kv, 4, 0);
	for (size_t cut = 0; cut < im.len; cut++) {
		struct seen s = { 0 };
		int r = ldcache_scan(im.b, cut, "zzz", record_visit, &s, &err);
		/* a cut inside the strings loses them: the entry pointing there fails */
		assert_true(r == 0 || r == -EINVAL);
		if (cut < 48 + 4 * 24)
			assert_int_equal(r, -EINVAL);
	}
	put32(im.b + 20, 0x7fffffff);
	assert_int_equal(ldcache_scan(im.b, im.len, "libc", record_visit, &(struct seen){ 0 }, &err), -EINVAL);
	build_cache(&im, kv, 4, 0);
	put32(im.b + 48 + 4, 0xfffffff0);
	assert_int_equal(ldcache_scan(im.b, im.len, "libcap", record_visit, &(struct seen){ 0 }, &err), -EINVAL);
	assert_int_equal(ldcache_scan("not a cache at all, not at all", 30, "c", record_visit, &(struct seen){ 0 }, &err),
			 -EINVAL);
	build_cache(&im, kv, 4, 0);
	put32(im.b + 12 - 12, 0); /* clobber the magic */
	assert_int_equal(ldcache_scan(im.b, im.len, "c", record_visit, &(struct seen){ 0 }, &err), -EINVAL);
}

/* A cache file naming this test binary as "libtprobe.so.1": the lookup
 * takes it (native ELF), and skips a non-ELF entry before it. */
static void test_ldcache_lookup_and_paths(void **state)
{
	char notelf[PATH_MAX], cache[PATH_MAX], out[PATH_MAX];
	snprintf(notelf, sizeof(notelf), "%s/libtprobe.so.1", tmpdir);
	FILE *f = fopen(notelf, "w");
	assert_non_null(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	const char *kv[] = { "libtprobe.so.1", notelf, "libtprobe.so.1", self };
	struct img im;
	build_cache(&im, kv, 2, 0);
	snprintf(cache, sizeof(cache), "%s/ld.so.cache", tmpdir);
	f = fopen(cache, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(im.b, 1, im.len, f), im.len);
	fclose(f);
	struct trec_err err = { 0 };
	assert_int_equal(ldcache_lookup(cache, "tprobe", out, sizeof(out), &err), 0);
	assert_string_equal(out, self);
	assert_int_equal(ldcache_lookup(cache, "nosuch", out, sizeof(out), &err), -ENOENT);
	assert_int_equal(ldcache_lookup("/nonexistent/ld.so.cache", "c", out, sizeof(out), &err), -ENOENT);
	assert_int_equal(ldcache_lookup(cache, "tprobe", out, 4, &err), -ENOENT); /* does not fit */

	/* probe_path: a path, the cache, library directories, $PATH */
	struct probe_path_opts po = { .sz = sizeof(po), .ldcache = cache, .lib_dirs = tmpdir, .path_env = "/nonexistent" };
	assert_int_equal(probe_path_resolve("tprobe", &po, out, sizeof(out), &err), 0);
	assert_string_equal(out, self);
	assert_int_equal(probe_path_resolve("/proc/self/exe", &po, out, sizeof(out), &err), 0);
	assert_string_equal(out, self); /* symlinks resolved */
	assert_int_equal(probe_path_resolve("/", &po, out, sizeof(out), &err), -EINVAL);
	assert_int_equal(probe_path_resolve("/nonexistent/x", &po, out, sizeof(out), &err), -ENOENT);
	char dir[PATH_MAX], exe[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/bin", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(exe, sizeof(exe), "%s/tprobe-tool", dir);
	assert_int_equal(symlink(self, exe), 0);
	po.path_env = dir;
	assert_int_equal(probe_path_resolve("tprobe-tool", &po, out, sizeof(out), &err), 0);
	assert_string_equal(out, self);
	memset(&err, 0, sizeof(err));
	assert_int_equal(probe_path_resolve("nosuchlib", &po, out, sizeof(out), &err), -ENOENT);
	assert_non_null(strstr(err.msg, "ld.so cache"));
	/* library directories: a native ELF that matches, not the text file */
	char lib[PATH_MAX];
	snprintf(lib, sizeof(lib), "%s/libdirprobe.so.3", tmpdir);
	assert_int_equal(symlink(self, lib), 0);
	po.ldcache = "/nonexistent";
	assert_int_equal(probe_path_resolve("dirprobe", &po, out, sizeof(out), &err), 0);
	assert_string_equal(out, self);
	/* -p: the process's own mappings come first */
	pid_t me = getpid();
	po.pids = &me;
	po.npids = 1;
	const char *base = strrchr(self, '/') + 1;
	assert_int_equal(probe_path_resolve(base, &po, out, sizeof(out), &err), 0);
	assert_string_equal(out, self);
	char **maps;
	size_t n;
	assert_int_equal(probe_path_mapped_files(NULL, me, &maps, &n, &err), 0);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		found |= !strcmp(maps[i], self);
	probe_path_free_list(maps, n);
	assert_true(found);
	assert_int_equal(probe_path_mapped_files(NULL, 0x7ffffff, &maps, &n, &err), -ESRCH);
}

/* ---- ELF: functions and USDT notes ------------------------------------------------------ */

static void test_elf_functions(void **state)
{
	struct elf_probe_info info;
	struct trec_err err = { 0 };
	assert_int_equal(elf_probe_read(self, ELF_PROBE_FUNCS | ELF_PROBE_USDT, &info, &err), 0);
	size_t first;
	assert_int_equal(elf_probe_find(&info, "tprobe_target", &first), 1);
	const struct elf_func *f = &info.funcs[first];
	/* The file offset holds the very bytes that run: compare the code in
	 * memory with the file at the computed offset. */
	Dl_info dl;
	assert_true(dladdr((void *)tprobe_target, &dl));
	uint64_t vaddr = (uint64_t)(uintptr_t)tprobe_target - (uint64_t)(uintptr_t)dl.dli_fbase;
	assert_int_equal(f->addr, vaddr);
	uint64_t off;
	assert_int_equal(elf_probe_offset(&info, f->addr, &off), 0);
	uint8_t code[16];
	int fd = open(self, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, code, sizeof(code), (off_t)off), (ssize_t)sizeof(code));
	close(fd);
	assert_memory_equal(code, (const void *)tprobe_target, sizeof(code));
	assert_ptr_equal(elf_probe_func_at(&info, f->addr + 1), f);
	assert_int_equal(elf_probe_offset(&info, 0, &off), -ERANGE);
	assert_int_equal(elf_probe_find(&info, "tprobe_nosuch", &first), 0);
	/* every function nm names is there, at nm's address */
	static struct tu_nmsym nm[20000];
	size_t nn = tu_nm_functions(self, nm, 20000);
	assert_true(nn > 10);
	for (size_t i = 0; i < nn; i++) {
		if (nm[i].type == 'w' || nm[i].type == 'W' || !nm[i].addr)
			continue;
		size_t cnt = elf_probe_find(&info, nm[i].name, &first), k;
		for (k = 0; k < cnt && info.funcs[first + k].addr != nm[i].addr; k++)
			;
		if (k == cnt)
			fail_msg("nm's %s at 0x%llx not found", nm[i].name, (unsigned long long)nm[i].addr);
	}
	assert_int_equal(info.nnotes, 0); /* no USDT in the test program */
	elf_probe_free(&info);

	assert_int_equal(elf_probe_read("/nonexistent", ELF_PROBE_FUNCS, &info, &err), -ENOENT);
	assert_int_equal(elf_probe_read("/dev/null", ELF_PROBE_FUNCS, &info, &err), -ENOEXEC);
	assert_int_equal(elf_probe_read("/proc/self/status", ELF_PROBE_FUNCS, &info, &err), -ENOEXEC);
	/* A cut copy fails or reads fewer symbols, never crashes (run under ASan). */
	char cut[PATH_MAX];
	snprintf(cut, sizeof(cut), "%s/cut", tmpdir);
	struct stat st;
	assert_int_equal(stat(self, &st), 0);
	for (int i = 1; i < 8; i++) {
		assert_int_equal(tu_run("head -c %lld '%s' > '%s'", (long long)st.st_size * i / 8, self, cut), 0);
		if (elf_probe_read(cut, ELF_PROBE_FUNCS | ELF_PROBE_USDT, &info, &err) == 0)
			elf_probe_free(&info);
	}
}

static size_t put_note(uint8_t *p, uint64_t pc, uint64_t base, uint64_t sema, const char *prov, const char *name,
		       const char *args)
{
	memcpy(p, &pc, 8);
	memcpy(p + 8, &base, 8);
	memcpy(p + 16, &sema, 8);
	size_t at = 24;
	for (const char *s3[] = { prov, name, args }, **s = s3; s < s3 + 3; s++) {
		size_t l = strlen(*s) + 1;
		memcpy(p + at, *s, l);
		at += l;
	}
	return at;
}

static void test_usdt_notes(void **state)
{
	struct tarena a;
	tarena_init(&a);
	struct usdt_note n;
	uint8_t d[256];
	size_t len = put_note(d, 0x1234, 0x2000, 0x4010, "prov", "tick", "-4@%edi 8@-16(%rbp)  -1@$-3");
	assert_int_equal(usdt_note_parse(d, len, 1, 0, &a, &n), 0);
	assert_int_equal(n.pc, 0x1234);
	assert_int_equal(n.base, 0x2000);
	assert_int_equal(n.semaphore, 0x4010);
	assert_string_equal(n.provider, "prov");
	assert_string_equal(n.name, "tick");
	assert_int_equal(n.nargs, 3);
	/* byte-swapped (a big-endian file read on a little-endian host) */
	uint8_t sw[256];
	memcpy(sw, d, len);
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 4; k++) {
			uint8_t t = sw[8 * i + k];
			sw[8 * i + k] = sw[8 * i + 7 - k];
			sw[8 * i + 7 - k] = t;
		}
	assert_int_equal(usdt_note_parse(sw, len, 1, 1, &a, &n), 0);
	assert_int_equal(n.pc, 0x1234);
	/* no arguments */
	len = put_note(d, 1, 2, 0, "p", "n", "");
	assert_int_equal(usdt_note_parse(d, len, 1, 0, &a, &n), 0);
	assert_int_equal(n.nargs, 0);
	assert_int_equal(n.semaphore, 0);
	/* every cut fails cleanly; so do empty names and missing NULs */
	len = put_note(d, 1, 2, 3, "prov", "name", "8@%rax");
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(usdt_note_parse(d, cut, 1, 0, &a, &n), -EINVAL);
	len = put_note(d, 1, 2, 3, "", "name", "");
	assert_int_equal(usdt_note_parse(d, len, 1, 0, &a, &n), -EINVAL);
	/* ELF32: 4-byte addresses */
	uint32_t w[3] = { 0x10, 0x20, 0x30 };
	memcpy(d, w, 12);
	memcpy(d + 12, "p\0n\0\0", 5);
	assert_int_equal(usdt_note_parse(d, 17, 0, 0, &a, &n), 0);
	assert_int_equal(n.semaphore, 0x30);
	/* sites of one probe: counted once, at the first; the most arguments win */
	struct usdt_note notes[4] = {
		{ .provider = "p", .name = "a", .nargs = 1 }, { .provider = "p", .name = "b", .nargs = 0 },
		{ .provider = "p", .name = "a", .nargs = 3 }, { .provider = "q", .name = "a", .nargs = 2 },
	};
	struct elf_probe_info info = { .notes = notes, .nnotes = 4 };
	uint32_t sites, nargs;
	assert_int_equal(elf_probe_usdt_first(&info, 0, &sites, &nargs), 1);
	assert_int_equal(sites, 2);
	assert_int_equal(nargs, 3);
	assert_int_equal(elf_probe_usdt_first(&info, 2, &sites, &nargs), 0);
	assert_int_equal(elf_probe_usdt_first(&info, 3, &sites, &nargs), 1);
	assert_int_equal(sites, 1); /* another provider is another probe */
	assert_int_equal(nargs, 2);
	assert_int_equal(usdt_arg_count("   "), 0);
	assert_int_equal(usdt_arg_count("8@%rax"), 1);
	assert_int_equal(usdt_arg_count(" 8@%rax  -4@$5 "), 2);
	tarena_free(&a);
}

/* ---- probes.c: events and schemas ----------------------------------------------------------- */

static const struct trec_field *field(const struct probe_event *e, const char *name)
{
	return trec_schema_field(&e->schema, name);
}

static void test_resolve_uprobes(void **state)
{
	struct probe_set ps;
	probe_set_init(&ps);
	struct trec_err err = { 0 };
	char spec[PATH_MAX + 64];
	snprintf(spec, sizeof(spec), "u:/proc/self/exe:tprobe_target");
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	assert_int_equal(probe_set_arg(&ps, "arg1:str", &err), 0);
	snprintf(spec, sizeof(spec), "ur:%s:tprobe_target", self);
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	snprintf(spec, sizeof(spec), "u:%s:tprobe_glob_*", self);
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	snprintf(spec, sizeof(spec), "u:%s:tprobe_target+4", self);
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	/* the same probe again, by another spelling: one event */
	snprintf(spec, sizeof(spec), "uprobe:%s:tprobe_glob_one", self);
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	struct probe_resolve_opts o = { .sz = sizeof(o), .first_type = 7 };
	int r = probe_set_resolve(&ps, &o, &err);
	if (r)
		fail_msg("%s", err.msg);
	assert_int_equal(ps.n, 5);

	char want[PATH_MAX + 64];
	const struct probe_event *e = &ps.ev[0];
	snprintf(want, sizeof(want), "uprobe:%s:tprobe_target", self);
	assert_string_equal(e->schema.name, want);
	assert_int_equal(e->schema.id, 7);
	assert_int_equal(e->nvals, 6);
	assert_int_equal(e->noffsets, 1);
	assert_true(e->ck_flags & PROBE_CK_AT_ENTRY);
	assert_int_equal(field(e, "arg0")->kind, TREC_F_UINT);
	assert_int_equal(field(e, "arg5")->offset, 40);
	const struct trec_field *s1 = field(e, "arg1_str");
	assert_non_null(s1);
	assert_int_equal(s1->kind, TREC_F_DATA_LOC);
	assert_int_equal(s1->offset, 48);
	assert_int_equal(field(e, "__trec_str_truncated")->offset, 52);
	assert_int_equal(e->schema.fixed_size, 56);
	assert_null(field(e, "arg0_str"));
	uint64_t ck = probe_event_cookie(e);
	assert_int_equal(PROBE_CK_TYPE(ck), 7);
	assert_int_equal(PROBE_CK_STRMASK(ck), 2);
	assert_int_equal(PROBE_CK_NVALS(ck), 6);
	/* the probe string has the file offset the kernel gets */
	char *c = strrchr(e->schema.probe, ':');
	assert_non_null(c);
	assert_int_equal(strtoull(c + 1, NULL, 16), e->offsets[0]);

	e = &ps.ev[1];
	snprintf(want, sizeof(want), "uretprobe:%s:tprobe_target", self);
	assert_string_equal(e->schema.name, want);
	assert_int_equal(e->schema.id, 8);
	assert_int_equal(e->nvals, 1);
	assert_int_equal(field(e, "ret")->kind, TREC_F_INT);
	assert_int_equal(e->schema.nfields, 1);
	assert_int_equal(e->ck_flags, 0); /* the return address trick is for entries */
	assert_int_equal(e->offsets[0], ps.ev[0].offsets[0]);

	snprintf(want, sizeof(want), "uprobe:%s:tprobe_glob_one", self);
	assert_string_equal(ps.ev[2].schema.name, want);
	snprintf(want, sizeof(want), "uprobe:%s:tprobe_glob_two", self);
	assert_string_equal(ps.ev[3].schema.name, want);
	e = &ps.ev[4];
	snprintf(want, sizeof(want), "uprobe:%s:tprobe_target+0x4", self);
	assert_string_equal(e->schema.name, want);
	assert_int_equal(e->offsets[0], ps.ev[0].offsets[0] + 4);
	assert_int_equal(e->ck_flags, 0);
	assert_int_equal(probe_set_attachments(&ps), 5);
	probe_set_free(&ps);
}

static void expect_resolve_error(const char *spec, const char *arg, int code, const char *words)
{
	struct probe_set ps;
	probe_set_init(&ps);
	struct trec_err err = { 0 };
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	if (arg)
		assert_int_equal(probe_set_arg(&ps, arg, &err), 0);
	struct probe_resolve_opts o = { .sz = sizeof(o), .first_type = 1 };
	int r = probe_set_resolve(&ps, &o, &err);
	if (r != code || !strstr(err.msg, words))
		fail_msg("%s: %d '%s', expected %d with '%s'", spec, r, err.msg, code, words);
	probe_set_free(&ps);
}

static void test_resolve_errors(void **state)
{
	char spec[PATH_MAX + 64];
	snprintf(spec, sizeof(spec), "u:%s:tprobe_targte", self);
	expect_resolve_error(spec, NULL, -ENOENT, "did you mean tprobe_target");
	snprintf(spec, sizeof(spec), "u:%s:tprobe_zz*", self);
	expect_resolve_error(spec, NULL, -ENOENT, "matches");
	snprintf(spec, sizeof(spec), "u:%s:tprobe_target+100000", self);
	expect_resolve_error(spec, NULL, -ERANGE, "past the end");
	snprintf(spec, sizeof(spec), "u:%s:0x1", self);
	expect_resolve_error(spec, NULL, -ERANGE, "executable segment");
	snprintf(spec, sizeof(spec), "usdt:%s:p:n", self);
	expect_resolve_error(spec, NULL, -ENOENT, "no USDT probes");
	expect_resolve_error("u:/nonexistent/bin:f", NULL, -ENOENT, "/nonexistent/bin");
	expect_resolve_error("u:/dev/null:f", NULL, -EINVAL, "regular file");
}

static void test_resolve_address(void **state)
{
	struct elf_probe_info info;
	struct trec_err err = { 0 };
	assert_int_equal(elf_probe_read(self, ELF_PROBE_FUNCS, &info, &err), 0);
	size_t first;
	assert_int_equal(elf_probe_find(&info, "tprobe_target", &first), 1);
	uint64_t addr = info.funcs[first].addr, off;
	assert_int_equal(elf_probe_offset(&info, addr, &off), 0);
	elf_probe_free(&info);
	struct probe_set ps;
	probe_set_init(&ps);
	char spec[PATH_MAX + 64], want[PATH_MAX + 64];
	snprintf(spec, sizeof(spec), "u:%s:0x%llx", self, (unsigned long long)addr);
	assert_int_equal(probe_set_add(&ps, spec, &err), 0);
	struct probe_resolve_opts o = { .sz = sizeof(o), .first_type = 1 };
	assert_int_equal(probe_set_resolve(&ps, &o, &err), 0);
	assert_int_equal(ps.n, 1);
	snprintf(want, sizeof(want), "uprobe:%s:0x%llx", self, (unsigned long long)addr);
	assert_string_equal(ps.ev[0].schema.name, want);
	assert_int_equal(ps.ev[0].offsets[0], off);
	assert_true(ps.ev[0].ck_flags & PROBE_CK_AT_ENTRY); /* a function's first byte */
	probe_set_free(&ps);
}

/* ---- kernel probes: support checks and advice ---------------------------------------------- */

static void mkdirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mkdirs(const char *fmt, ...)
{
	char p[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	assert_int_equal(tu_run("mkdir -p '%s'", p), 0);
}

static void test_kernel_advice(void **state)
{
	char tfs[PATH_MAX], buf[512];
	snprintf(tfs, sizeof(tfs), "%s/tracing", tmpdir);
	static const char *const tps[] = { "syscalls/sys_enter_read", "syscalls/sys_exit_read",
					   "syscalls/sys_enter_openat2", "sched/sched_switch",
					   "kmem/kmalloc", "tcp/tcp_retransmit_skb", "block/block_rq_issue" };
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++)
		mkdirs("%s/events/%s", tfs, tps[i]);
	probe_kernel_advice(tfs, "vfs_read", buf, sizeof(buf));
	assert_non_null(strstr(buf, "syscalls:sys_enter_read"));
	probe_kernel_advice(tfs, "do_sys_openat2", buf, sizeof(buf));
	assert_non_null(strstr(buf, "syscalls:sys_enter_openat2"));
	probe_kernel_advice(tfs, "schedule", buf, sizeof(buf));
	assert_non_null(strstr(buf, "sched:sched_switch"));
	probe_kernel_advice(tfs, "tcp_retransmit_skb", buf, sizeof(buf));
	assert_non_null(strstr(buf, "tcp:tcp_retransmit_skb"));
	probe_kernel_advice(tfs, "__kmalloc", buf, sizeof(buf));
	assert_non_null(strstr(buf, "kmem:kmalloc"));
	probe_kernel_advice(tfs, "blk_mq_start_request", buf, sizeof(buf));
	assert_non_null(strstr(buf, "block:block_rq_issue"));
	probe_kernel_advice(tfs, "zzqqxx_unrelated_thing", buf, sizeof(buf));
	assert_non_null(strstr(buf, "trec list"));
	probe_kernel_advice("/nonexistent", "vfs_read", buf, sizeof(buf));
	assert_non_null(strstr(buf, "trec list"));

	/* kprobe support: the PMU or tracefs kprobe_events */
	char sys[PATH_MAX];
	snprintf(sys, sizeof(sys), "%s/sys", tmpdir);
	mkdirs("%s/bus/event_source/devices/uprobe", sys);
	assert_int_equal(probe_kernel_has_kprobes(sys, tfs), 0);
	assert_int_equal(tu_run("touch '%s/kprobe_events'", tfs), 0);
	assert_int_equal(probe_kernel_has_kprobes(sys, tfs), 1);
	assert_int_equal(probe_kernel_has_kprobes(sys, NULL), 0);
	mkdirs("%s/bus/event_source/devices/kprobe", sys);
	assert_int_equal(tu_run("echo 6 > '%s/bus/event_source/devices/kprobe/type'", sys), 0);
	assert_int_equal(probe_kernel_has_kprobes(sys, NULL), 1);

	char ks[PATH_MAX];
	snprintf(ks, sizeof(ks), "%s/kallsyms", tmpdir);
	FILE *f = fopen(ks, "w");
	assert_non_null(f);
	fputs("ffffffff816b8230 T vfs_read\nffffffff816b8300 t helper_x\t[mod]\nffffffff81000000 D jiffies\n"
	      "ffffffff816b9000 T vfs_readv\n", f);
	fclose(f);
	assert_int_equal(probe_kernel_has_func(ks, "vfs_read"), 1);
	assert_int_equal(probe_kernel_has_func(ks, "helper_x"), 1);
	assert_int_equal(probe_kernel_has_func(ks, "jiffies"), 0); /* data, not a function */
	assert_int_equal(probe_kernel_has_func(ks, "vfs_rea"), 0);
	assert_true(probe_kernel_has_func("/nonexistent", "x") < 0);
}

/* The kprobe programs cannot attach on kernels without kprobes, but they
 * load anywhere (uprobes share their program type): the verifier checks
 * them here, with stacks and the pid filter on, as a production host would. */
static void test_kprobe_programs_load(void **state)
{
	if (geteuid() != 0) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("loading BPF needs root, and CI runs as root");
		skip();
	}
	for (int stacks = 0; stacks < 2; stacks++) {
		struct kprobe_bpf *s = kprobe_bpf__open();
		assert_non_null(s);
		s->rodata->with_stacks = stacks;
		s->rodata->filter_pids = 1;
		bpf_map__set_autocreate(s->maps.scratch, false);
		int r = kprobe_bpf__load(s);
		kprobe_bpf__destroy(s);
		if (r)
			fail_msg("kprobe programs (stacks %d) do not load: %d", stacks, r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_forms),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_args),
		cmocka_unit_test(test_ldcache),
		cmocka_unit_test(test_ldcache_lookup_and_paths),
		cmocka_unit_test(test_elf_functions),
		cmocka_unit_test(test_usdt_notes),
		cmocka_unit_test(test_resolve_uprobes),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_resolve_address),
		cmocka_unit_test(test_kernel_advice),
		cmocka_unit_test(test_kprobe_programs_load),
	};
	return cmocka_run_group_tests_name("record probes", tests, group_setup, group_teardown);
}
