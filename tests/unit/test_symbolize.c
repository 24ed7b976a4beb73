/* SPDX-License-Identifier: MIT */
/*
 * Naming frames from the file alone (report/symbolize.c) and the profile
 * views built on it (trec report). One hand-made trace whose every address
 * is chosen to land in a known place:
 *
 *   pid 100 "app" (thread 101 "worker"): /usr/bin/app (pgoff 0x1000, bias 0),
 *     libfoo.so (pgoff 0x1000, bias 0x10000), libnosyms.so (no table),
 *     /opt/plain.so (no build-id: its table is found by path), and
 *     libbar.so mapped only after pid 400 forked off
 *   pid 200 "other": libfoo.so
 *   pid 300 "old": /usr/bin/old, then exec of /usr/bin/new at the same address
 *   pid 400 "child": forked from 100, no mappings of its own
 *   pid 500 "node": an anonymous region and a /tmp/perf-500.map JIT table
 *
 *   cpu-clock samples: main->a->b 60, main->c 30 (thread 101),
 *     main->d + 3 kernel frames 10, and a few in the other processes;
 *   offcpu events weighted by delta_ns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "elfsyms.h"
#include "elftools.h"
#include "reader.h"
#include "symbolize.h"
#include "scratch.h"
#include "synth.h"
#include "writer.h"

/* A named symbol: the fields a table of raw names fills. */
#define SYM(a, s, n) { .addr = (a), .size = (s), .name = (n) }

static char tmpdir[256];
static char trace[320];

/* ---- addresses ------------------------------------------------------------------------ */

#define APP_START 0x555555555000ull /* maps file offset 0x1000 */
#define APP(x) (APP_START - 0x1000 + (x)) /* ip of st_value x (bias 0) */
#define FOO_START 0x7f0000001000ull       /* pgoff 0x1000, bias 0x10000 */
#define FOO(x) (FOO_START - 0x1000 + (x) - 0x10000)
#define NOSYMS_START 0x7f1000000000ull
#define PLAIN_START 0x7f2000000000ull
#define BAR_START 0x7f3000000000ull
#define EXE_START 0x400000ull             /* non-PIE: bias 0x400000, pgoff 0 */
#define ANON_START 0x7e0000000000ull
#define K_ENTRY 0xffffffff81000000ull
#define K_SYSCALL 0xffffffff81000100ull
#define K_SCHED 0xffffffff81000200ull
#define K_EXT4 0xffffffffc0001000ull
#define K_EXT4_END 0xffffffffc0001080ull
#define K_EXT4_LAST 0xffffffffc0001100ull

enum { T_CLOCK = 1, T_OFFCPU = 2 };
enum { TS_MAP = 1000, TS_FORK = 3000, TS_BAR = 4000, TS_EXEC = 5000, TS_NEWMAP = 5100 };

static const struct trec_field f_clock[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_field f_offcpu[] = {
	{ "delta_ns", "u64", TREC_F_UINT, 0, 0, 8, 1 },
	{ "state", "u64", TREC_F_UINT, 0, 8, 8, 1 },
};
static const struct trec_schema schemas[] = {
	{ T_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1, f_clock },
	{ T_OFFCPU, "offcpu", "trec:offcpu", 0, 16, 2, f_offcpu },
};

static void bid(uint8_t *out, uint8_t *len, uint8_t v)
{
	memset(out, v, 20);
	*len = 20;
}

static void add_map(struct trec_writer *w, uint32_t pid, uint64_t ts, uint64_t start, uint64_t len,
		    uint64_t pgoff, uint8_t bidv, const char *path)
{
	struct trec_map m = { .ts = ts, .pid = pid, .prot = 5, .flags = 2, .start = start, .len = len,
			      .pgoff = pgoff, .path = path };
	if (bidv)
		bid(m.build_id, &m.build_id_len, bidv);
	assert_int_equal(trec_writer_add_map(w, &m), 0);
}

static void add_table(struct trec_writer *w, uint8_t bidv, const char *path, uint64_t bias,
		      const struct trec_sym *syms, uint32_t n)
{
	struct trec_dso_syms d = { .path = path, .load_bias = bias, .nsyms = n, .syms = syms };
	if (bidv)
		bid(d.build_id, &d.build_id_len, bidv);
	assert_int_equal(trec_writer_add_dso_syms(w, &d), 0);
}

static void add_task(struct trec_writer *w, uint32_t kind, uint64_t ts, uint32_t pid, uint32_t tid,
		     uint32_t ppid, const char *comm)
{
	struct trec_task t = { .ts = ts, .kind = kind, .pid = pid, .tid = tid, .ppid = ppid, .ptid = ppid,
			       .comm = comm, .filename = "" };
	assert_int_equal(trec_writer_add_task(w, &t), 0);
}

static uint32_t add_stack(struct trec_writer *w, const uint64_t *ips, uint16_t nk, uint16_t nu)
{
	uint32_t id;
	assert_int_equal(trec_writer_add_stack(w, ips, nk, nu, &id), 0);
	return id;
}

static uint64_t next_ts = 2000;

/* n events, timestamps from `ts` on (0: the running clock). */
static void add_events(struct trec_writer *w, uint32_t type, uint32_t pid, uint32_t tid, uint32_t stack,
		       uint64_t ts, uint64_t value, int n)
{
	uint64_t payload[2] = { value, 1 };
	for (int i = 0; i < n; i++) {
		struct trec_event ev = { .ts = ts ? ts + (uint64_t)i : next_ts++, .cpu = (uint32_t)i % 2,
					 .pid = pid, .tid = tid, .type = type, .stack_id = stack,
					 .size = type == T_OFFCPU ? 16 : 8, .data = payload };
		assert_int_equal(trec_writer_add_event(w, &ev), 0);
	}
}

static void write_trace(const char *path)
{
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	assert_int_equal(trec_writer_open(&w, path, 1, &wo, &e), 0);
	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		assert_int_equal(trec_writer_add_schema(w, &schemas[i]), 0);

	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 100, 100, 1, "app");
	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 100, 101, 1, "worker");
	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 200, 200, 1, "other");
	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 300, 300, 1, "old");
	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 500, 500, 1, "node");
	/* a thread of 100 as perf reports it: not a new address space */
	add_task(w, TREC_TASK_FORK, 1500, 100, 102, 100, "app");
	add_task(w, TREC_TASK_FORK, TS_FORK, 400, 400, 100, "child");
	add_task(w, TREC_TASK_EXEC, TS_EXEC, 300, 300, 0, "new");

	add_map(w, 100, TS_MAP, APP_START, 0x3000, 0x1000, 0xaa, "/usr/bin/app");
	add_map(w, 100, TS_MAP, FOO_START, 0x2000, 0x1000, 0xbb, "/usr/lib/libfoo.so");
	add_map(w, 100, TS_MAP, NOSYMS_START, 0x1000, 0, 0xcc, "/usr/lib/libnosyms.so");
	add_map(w, 100, TS_MAP, PLAIN_START, 0x1000, 0, 0, "/opt/plain.so");
	add_map(w, 100, TS_BAR, BAR_START, 0x1000, 0, 0xee, "/usr/lib/libbar.so");
	add_map(w, 200, TS_MAP, FOO_START, 0x2000, 0x1000, 0xbb, "/usr/lib/libfoo.so");
	add_map(w, 300, TS_MAP, EXE_START, 0x1000, 0, 0xd1, "/usr/bin/old");
	add_map(w, 300, TS_NEWMAP, EXE_START, 0x1000, 0, 0xd2, "/usr/bin/new");
	add_map(w, 500, TS_MAP, ANON_START, 0x10000, 0, 0, "");

	/* d_alias comes first and has no size: the sized d still names 0x1510 */
	static const struct trec_sym app_syms[] = {
		SYM(0x1100, 0x100, "main"), SYM(0x1200, 0x80, "a"),   SYM(0x1300, 0x100, "b"),
		SYM(0x1400, 0x100, "c"),    SYM(0x1500, 0, "d_alias"), SYM(0x1500, 0x50, "d"),
		SYM(0x1800, 0, "e"),        SYM(0x1900, 0x10, "f"),
	};
	static const struct trec_sym foo_syms[] = { SYM(0x11000, 0x200, "foo_work"),
						    SYM(0x11400, 0x100, "foo_idle") };
	static const struct trec_sym plain_syms[] = { SYM(0x0, 0x100, "plain_fn") };
	static const struct trec_sym bar_syms[] = { SYM(0x0, 0x100, "bar_fn") };
	static const struct trec_sym old_syms[] = { SYM(0x400100, 0x100, "old_main") };
	static const struct trec_sym new_syms[] = { SYM(0x400100, 0x100, "new_main") };
	static const struct trec_sym jit_syms[] = { SYM(ANON_START + 0x100, 0x100, "js_hot"),
						    SYM(0x7f5000000000ull, 0x40, "js_cold") };
	add_table(w, 0xaa, "/usr/bin/app", 0, app_syms, 8);
	add_table(w, 0xbb, "/usr/lib/libfoo.so", 0x10000, foo_syms, 2);
	add_table(w, 0, "/opt/plain.so", 0, plain_syms, 1);
	add_table(w, 0xee, "/usr/lib/libbar.so", 0, bar_syms, 1);
	add_table(w, 0xd1, "/usr/bin/old", 0x400000, old_syms, 1);
	add_table(w, 0xd2, "/usr/bin/new", 0x400000, new_syms, 1);
	add_table(w, 0, "/tmp/perf-500.map", 0, jit_syms, 2);

	/* schedule and its alias share an address: the first in the file wins;
	 * an empty name only marks an end (a named symbol beats it, even one
	 * after it in the file) */
	static const struct trec_ksym ks[] = {
		{ K_ENTRY, 'T', "entry_SYSCALL_64", "" },  { K_SYSCALL, 't', "", "" },
		{ K_SYSCALL, 'T', "do_syscall_64", "" },   { K_SCHED, 'T', "schedule", "" },
		{ K_SCHED, 't', "schedule_alias", "" },    { K_EXT4, 't', "ext4_file_read_iter", "ext4" },
		{ K_EXT4_END, 't', "", "ext4" },           { K_EXT4_LAST, 't', "ext4_last", "ext4" },
	};
	assert_int_equal(trec_writer_add_ksyms(w, ks, 8), 0);

	const uint64_t s1[] = { APP(0x1310), APP(0x1210), APP(0x1110) };
	/* ends in the zero a frame-pointer walk stops at: not a frame */
	const uint64_t s2[] = { APP(0x1404), APP(0x1120), 0 };
	const uint64_t s3[] = { K_SCHED + 8, K_SYSCALL + 8, K_ENTRY + 8, APP(0x1508), APP(0x1130) };
	const uint64_t s4[] = { FOO(0x11404), FOO(0x11300), 0x1234 };
	const uint64_t s5[] = { 0x400110 };
	const uint64_t s6[] = { BAR_START + 0x10, APP(0x1110) };
	uint32_t id1 = add_stack(w, s1, 0, 3), id2 = add_stack(w, s2, 0, 3), id3 = add_stack(w, s3, 3, 2);
	uint32_t id4 = add_stack(w, s4, 0, 3), id5 = add_stack(w, s5, 0, 1), id6 = add_stack(w, s6, 0, 2);

	add_events(w, T_CLOCK, 100, 100, id1, 0, 10000, 60);
	add_events(w, T_CLOCK, 100, 101, id2, 0, 10000, 30);
	add_events(w, T_CLOCK, 100, 100, id3, 0, 10000, 10);
	add_events(w, T_CLOCK, 100, 100, 0, 0, 10000, 7); /* no stack: not in any view */
	add_events(w, T_CLOCK, 200, 200, id4, 0, 10000, 5);
	add_events(w, T_CLOCK, 300, 300, id5, 4000, 10000, 2); /* before the exec */
	add_events(w, T_CLOCK, 300, 300, id5, 6000, 10000, 3); /* after it */
	add_events(w, T_CLOCK, 400, 400, id6, 4500, 10000, 4);
	add_events(w, T_OFFCPU, 100, 100, id1, 0, 1500000, 2);
	add_events(w, T_OFFCPU, 100, 100, id3, 0, 2500, 1);
	add_events(w, T_OFFCPU, 100, 101, id2, 0, 999, 1); /* under 1 us: no line */
	assert_int_equal(trec_writer_close(w, &e), 0);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/trec-test-sym.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(trace, sizeof(trace), "%s/t.data", tmpdir);
	write_trace(trace);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct trec_reader *open_trace(const char *path)
{
	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	return r;
}

/* ---- symbolize() ------------------------------------------------------------------------- */

/* "name|dso|offset|found" or "-ENOENT" for one lookup, for compact asserts. */
static const char *sym(struct symbolizer *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel)
{
	static char buf[256];
	struct sym_result r;
	int rc = symbolize(s, pid, ts, ip, kernel, &r);
	if (rc == -ENOENT) {
		assert_null(r.name);
		assert_null(r.dso);
		assert_int_equal(r.found, 0);
		return "-ENOENT";
	}
	assert_int_equal(rc, 0);
	snprintf(buf, sizeof(buf), "%s|%s|0x%llx|%d", r.name ? r.name : "-", r.dso ? r.dso : "-",
		 (unsigned long long)r.offset, r.found);
	return buf;
}

static const char *fmt(struct symbolizer *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel)
{
	static char buf[256];
	struct sym_result r;
	symbolize(s, pid, ts, ip, kernel, &r);
	return sym_format(&r, buf, sizeof(buf));
}

static struct symbolizer *new_sym(struct trec_reader *r)
{
	struct symbolizer *s;
	struct trec_err e = { 0 };
	struct symbolizer_opts o = { .sz = sizeof(o) };
	int rc = symbolizer_new(r, &o, &s, &e);
	if (rc)
		fail_msg("symbolizer_new: %s", trec_errmsg(&e, rc));
	return s;
}

static void test_user_symbols(void **state)
{
	struct trec_reader *r = open_trace(trace);
	struct symbolizer *s = new_sym(r);

	/* executable, pgoff 0x1000 and bias 0: ip -> st_value */
	assert_string_equal(sym(s, 100, 2000, APP(0x1310), 0), "b|app|0x10|1");
	assert_string_equal(sym(s, 100, 2000, APP(0x1100), 0), "main|app|0x0|1");
	assert_string_equal(sym(s, 100, 2000, APP(0x11ff), 0), "main|app|0xff|1");
	/* between d's end (0x1550) and e: the mapping is known, no symbol */
	assert_string_equal(sym(s, 100, 2000, APP(0x1560), 0), "-|app|0x1560|0");
	assert_string_equal(fmt(s, 100, 2000, APP(0x1560), 0), "app+0x1560");
	/* a sized alias beats an unsized one at the same address */
	assert_string_equal(sym(s, 100, 2000, APP(0x1510), 0), "d|app|0x10|1");
	/* size 0 reaches up to the next symbol */
	assert_string_equal(sym(s, 100, 2000, APP(0x18ff), 0), "e|app|0xff|1");
	assert_string_equal(sym(s, 100, 2000, APP(0x1905), 0), "f|app|0x5|1");
	assert_string_equal(fmt(s, 100, 2000, APP(0x1910), 0), "app+0x1910");
	/* a return address right past d (its noreturn call was d's last
	 * instruction) is d's, at d's size; the leaf at that address is not */
	struct sym_result rr;
	assert_int_equal(symbolize_frame(s, 100, 2000, APP(0x1550), 0, 1, &rr), 0);
	assert_string_equal(rr.name, "d");
	assert_int_equal(rr.offset, 0x50);
	assert_int_equal(symbolize_frame(s, 100, 2000, APP(0x1550), 0, 0, &rr), 0);
	assert_null(rr.name);
	assert_int_equal(rr.offset, 0x1550);
	assert_int_equal(symbolize_frame(s, 100, 2000, APP(0x1310), 0, 1, &rr), 0);
	assert_string_equal(rr.name, "b");
	assert_int_equal(rr.offset, 0x10);
	/* kernel frames too: a return address at schedule's end is schedule's */
	assert_int_equal(symbolize_frame(s, 0, 0, K_EXT4, 1, 1, &rr), 0);
	assert_string_equal(rr.name, "schedule");
	assert_int_equal(sym_frame_is_return(0, 3) + sym_frame_is_return(3, 3), 0);
	assert_int_equal(sym_frame_is_return(1, 3) + sym_frame_is_return(4, 3), 2);
	/* below the first symbol, and the mapping's last byte */
	assert_string_equal(fmt(s, 100, 2000, APP(0x1000), 0), "app+0x1000");
	assert_string_equal(fmt(s, 100, 2000, APP_START + 0x2fff, 0), "app+0x3fff");
	assert_string_equal(sym(s, 100, 2000, APP_START + 0x3000, 0), "-ENOENT");

	/* library with a load bias: symbol address = file offset + bias */
	assert_string_equal(sym(s, 100, 2000, FOO(0x11010), 0), "foo_work|libfoo.so|0x10|1");
	assert_string_equal(sym(s, 100, 2000, FOO(0x11404), 0), "foo_idle|libfoo.so|0x4|1");
	assert_string_equal(sym(s, 100, 2000, FOO(0x11300), 0), "-|libfoo.so|0x1300|0");
	assert_string_equal(fmt(s, 100, 2000, FOO(0x11300), 0), "libfoo.so+0x1300");
	/* a DSO without a table: never a bare [unknown] */
	assert_string_equal(fmt(s, 100, 2000, NOSYMS_START + 0xabc, 0), "libnosyms.so+0xabc");
	/* a mapping without build-id finds its table by path */
	assert_string_equal(sym(s, 100, 2000, PLAIN_START + 0x10, 0), "plain_fn|plain.so|0x10|1");
	/* outside every mapping, and an unknown pid */
	assert_string_equal(sym(s, 100, 2000, 0x1234, 0), "-ENOENT");
	assert_string_equal(fmt(s, 100, 2000, 0x1234, 0), "[unknown]");
	assert_string_equal(sym(s, 999, 2000, APP(0x1310), 0), "-ENOENT");
	/* the same library in another process */
	assert_string_equal(fmt(s, 200, 2000, FOO(0x11010), 0), "foo_work");
	/* a mapping applies from its ts: libbar is mapped at TS_BAR */
	assert_string_equal(sym(s, 100, TS_BAR - 1, BAR_START + 0x10, 0), "-ENOENT");
	assert_string_equal(fmt(s, 100, TS_BAR, BAR_START + 0x10, 0), "bar_fn");
	/* ... except before the first mappings of a process (the /proc
	 * snapshot comes just after the probes attach) */
	assert_string_equal(fmt(s, 100, 10, APP(0x1310), 0), "b");

	symbolizer_free(s);
	trec_reader_close(r);
}

static void test_kernel_symbols(void **state)
{
	struct trec_reader *r = open_trace(trace);
	struct symbolizer *s = new_sym(r);

	assert_string_equal(sym(s, 0, 0, K_ENTRY, 1), "entry_SYSCALL_64|[kernel.kallsyms]|0x0|1");
	assert_string_equal(sym(s, 0, 0, K_SCHED + 8, 1), "schedule|[kernel.kallsyms]|0x8|1");
	/* up to the next symbol, even across modules */
	assert_string_equal(fmt(s, 0, 0, K_EXT4 - 1, 1), "schedule");
	assert_string_equal(sym(s, 0, 0, K_EXT4 + 0x10, 1), "ext4_file_read_iter|[ext4]|0x10|1");
	assert_string_equal(sym(s, 0, 0, K_EXT4_LAST, 1), "ext4_last|[ext4]|0x0|1");
	/* from an end mark to the next symbol nothing is named */
	assert_string_equal(sym(s, 0, 0, K_EXT4_END - 1, 1), "ext4_file_read_iter|[ext4]|0x7f|1");
	assert_string_equal(sym(s, 0, 0, K_EXT4_END, 1), "-ENOENT");
	assert_string_equal(sym(s, 0, 0, K_EXT4_LAST - 1, 1), "-ENOENT");
	assert_string_equal(fmt(s, 0, 0, K_EXT4_END + 4, 1), "[unknown]");
	/* nothing bounds the last symbol; nothing precedes the first */
	assert_string_equal(sym(s, 0, 0, K_EXT4_LAST + 1, 1), "-ENOENT");
	assert_string_equal(sym(s, 0, 0, K_ENTRY - 1, 1), "-ENOENT");
	assert_string_equal(fmt(s, 0, 0, K_ENTRY - 1, 1), "[unknown]");
	/* pid and ts play no part */
	assert_string_equal(fmt(s, 12345, 1, K_SYSCALL, 1), "do_syscall_64");

	symbolizer_free(s);
	trec_reader_close(r);
}

static void test_exec_fork_generations(void **state)
{
	struct trec_reader *r = open_trace(trace);
	struct symbolizer *s = new_sym(r);

	/* exec replaces the mappings: old before, nothing in between, new after */
	assert_string_equal(sym(s, 300, 4000, 0x400110, 0), "old_main|old|0x10|1");
	assert_string_equal(sym(s, 300, TS_EXEC, 0x400110, 0), "-ENOENT");
	assert_string_equal(sym(s, 300, TS_NEWMAP - 1, 0x400110, 0), "-ENOENT");
	assert_string_equal(sym(s, 300, TS_NEWMAP, 0x400110, 0), "new_main|new|0x10|1");
	assert_string_equal(sym(s, 300, 6000, 0x400110, 0), "new_main|new|0x10|1");

	/* a forked child sees its parent's mappings as of the fork, not later ones */
	assert_string_equal(sym(s, 400, 4500, APP(0x1310), 0), "b|app|0x10|1");
	assert_string_equal(sym(s, 400, 4500, BAR_START + 0x10, 0), "-ENOENT");
	assert_string_equal(fmt(s, 100, 4500, BAR_START + 0x10, 0), "bar_fn");
	/* a thread's fork record (tid 102) changed nothing for pid 100 */
	assert_string_equal(fmt(s, 100, 1600, APP(0x1310), 0), "b");

	/* generations: equal exactly when the view is */
	assert_int_equal(symbolizer_generation(s, 300, 4000), symbolizer_generation(s, 300, 4999));
	assert_int_not_equal(symbolizer_generation(s, 300, 4999), symbolizer_generation(s, 300, TS_EXEC));
	assert_int_not_equal(symbolizer_generation(s, 300, TS_EXEC), symbolizer_generation(s, 300, TS_NEWMAP));
	assert_int_equal(symbolizer_generation(s, 300, 6000), symbolizer_generation(s, 300, 999999));
	assert_int_not_equal(symbolizer_generation(s, 100, TS_BAR - 1), symbolizer_generation(s, 100, TS_BAR));
	assert_int_equal(symbolizer_generation(s, 999, 5), 0);

	symbolizer_free(s);
	trec_reader_close(r);
}

static void test_jit_table(void **state)
{
	struct trec_reader *r = open_trace(trace);
	struct symbolizer *s = new_sym(r);

	/* absolute addresses, in the pid's anonymous memory */
	assert_string_equal(sym(s, 500, 2000, ANON_START + 0x150, 0), "js_hot|perf-500.map|0x50|1");
	/* anonymous memory no JIT symbol covers */
	assert_string_equal(sym(s, 500, 2000, ANON_START + 0x5000, 0), "-|[anon]|0x5000|0");
	assert_string_equal(fmt(s, 500, 2000, ANON_START + 0x5000, 0), "[anon]+0x5000");
	/* JIT code where the recorder reported no mapping at all */
	assert_string_equal(sym(s, 500, 2000, 0x7f5000000010ull, 0), "js_cold|perf-500.map|0x10|1");
	assert_string_equal(sym(s, 500, 2000, 0x7f5000000040ull, 0), "-ENOENT");
	/* another process's table does not apply */
	assert_string_equal(sym(s, 100, 2000, ANON_START + 0x150, 0), "-ENOENT");

	symbolizer_free(s);
	trec_reader_close(r);
}

static void test_format_and_errors(void **state)
{
	char buf[8];
	struct sym_result res = { .name = NULL, .dso = NULL };
	assert_string_equal(sym_format(&res, buf, 4), "[un");
	res.dso = "libfoo.so";
	res.offset = 0x1a2b;
	char big[64];
	assert_string_equal(sym_format(&res, big, sizeof(big)), "libfoo.so+0x1a2b");
	res.name = "f";
	assert_string_equal(sym_format(&res, big, sizeof(big)), "f");
	assert_int_equal(symbolize(NULL, 1, 1, 1, 0, &res), -EINVAL);

	/* Directories to look in that hold nothing for this trace: the
	 * trace's own tables, no error (the search itself: test_elfsyms). */
	struct trec_reader *r = open_trace(trace);
	struct symbolizer *s = NULL;
	struct trec_err e = { 0 };
	struct symbolizer_ext_stats st;
	struct symbolizer_opts o = { .sz = sizeof(o), .debug_dir = "/nonexistent-trec-dbg",
				     .symfs = "/nonexistent-trec-symfs" };
	assert_int_equal(symbolizer_new(r, &o, &s, &e), 0);
	assert_string_equal(fmt(s, 100, 2000, NOSYMS_START + 0x10, 0), "libnosyms.so+0x10");
	assert_string_equal(fmt(s, 100, 2000, APP(0x1310), 0), "b");
	symbolizer_ext_stats(s, &st);
	assert_true(st.dsos > 0);
	assert_int_equal(st.found, 0);
	assert_int_equal(st.used, 0);
	symbolizer_free(s);
	/* an older caller's smaller opts: neither field seen */
	struct symbolizer_opts o3 = { .sz = sizeof(size_t), .symfs = "/symfs" };
	assert_int_equal(symbolizer_new(r, &o3, &s, &e), 0);
	symbolizer_ext_stats(s, &st);
	assert_int_equal(st.dsos, 0);
	assert_true(symbolizer_mem_bytes(s) > 0);
	symbolizer_free(s);
	trec_reader_close(r);
}

/* ---- trec report through its entry point --------------------------------------------------- */


static char *report_err; /* stderr of the last run */

/* Runs `trec report ARGS... -i TRACE`; returns its stdout (caller frees). */
static char *run_report(int *rc, const char *input, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"trec report";
	va_list ap;
	va_start(ap, input);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 28;)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc++] = (char *)"-i";
	argv[argc++] = (char *)input;
	argv[argc] = NULL;

	char *out;
	free(report_err);
	*rc = run_captured(tmpdir, cmd_report, argc, argv, &out, &report_err);
	return out;
}

#define CHECK_REPORT(want, ...)                                                                     \
	do {                                                                                        \
		int rc_;                                                                            \
		char *got_ = run_report(&rc_, trace, __VA_ARGS__, NULL);                            \
		if (rc_ != 0 || strcmp(got_, want))                                                 \
			fail_msg("exit %d\n--- got:\n%s--- want:\n%s--- stderr:\n%s", rc_, got_, want, \
				 report_err);                                                       \
		free(got_);                                                                         \
	} while (0)

static void test_folded(void **state)
{
	CHECK_REPORT("app;main;a;b 60\n"
		     "app;main;d;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 10\n"
		     "child;main;[unknown] 4\n"
		     "new;new_main 3\n"
		     "old;old_main 2\n"
		     "other;[unknown];libfoo.so+0x1300;foo_idle 5\n"
		     "worker;main;c 30\n",
		     "--folded");
	CHECK_REPORT("app-100;main;a;b 60\n"
		     "app-100;main;d;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 10\n"
		     "child-400;main;[unknown] 4\n"
		     "new-300;new_main 3\n"
		     "old-300;old_main 2\n"
		     "other-200;[unknown];libfoo.so+0x1300;foo_idle 5\n"
		     "worker-100;main;c 30\n",
		     "--folded", "--show-pid");
	CHECK_REPORT("app-100/100;main;a;b 60\n"
		     "app-100/100;main;d;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 10\n"
		     "child-400/400;main;[unknown] 4\n"
		     "new-300/300;new_main 3\n"
		     "old-300/300;old_main 2\n"
		     "other-200/200;[unknown];libfoo.so+0x1300;foo_idle 5\n"
		     "worker-100/101;main;c 30\n",
		     "--folded", "--show-tid");
	CHECK_REPORT("app;main;a;b 60\n"
		     "app;main;d 10\n"
		     "child;main;[unknown] 4\n"
		     "new;new_main 3\n"
		     "old;old_main 2\n"
		     "other;[unknown];libfoo.so+0x1300;foo_idle 5\n"
		     "worker;main;c 30\n",
		     "--folded", "--no-kernel");
	/* user-only stacks keep their comm: the time was still spent there */
	CHECK_REPORT("app 60\n"
		     "app;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 10\n"
		     "child 4\n"
		     "new 3\n"
		     "old 2\n"
		     "other 5\n"
		     "worker 30\n",
		     "--folded", "--no-user");
}

static void test_offcpu_and_event(void **state)
{
	/* delta_ns summed per stack, in microseconds; worker's 999 ns rounds to nothing */
	CHECK_REPORT("app;main;a;b 3000\n"
		     "app;main;d;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n",
		     "--folded", "--offcpu");
	/* --event offcpu alone: off-CPU stacks only, weighed by their time
	 * without --offcpu too (docs/CLI.md, "Weights") */
	CHECK_REPORT("app;main;a;b 3000\n"
		     "app;main;d;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n",
		     "--folded", "--event", "offcpu");
	CHECK_REPORT("app;main;a;b 3000\n"
		     "app;main;d;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n",
		     "--folded", "--event", "offcpu", "--offcpu");

	int rc;
	char *out = run_report(&rc, trace, "--folded", "--event", "nope", NULL);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "");
	assert_non_null(strstr(report_err, "--event nope: no event type of"));
	assert_non_null(strstr(report_err, "cpu-clock, offcpu"));
	free(out);
	/* cpu-clock has no delta_ns to weigh by */
	out = run_report(&rc, trace, "--folded", "--offcpu", "--event", "cpu-clock", NULL);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(report_err, "no integer field delta_ns"));
	free(out);
}

static void test_usage_errors(void **state)
{
	static const char *const bad[][3] = {
		{ "--folded", "--json", NULL }, { "--folded", "--limit", "3" }, { "--show-pid", NULL, NULL },
		{ "--no-kernel", "--no-user", NULL }, { "--limit", "0", NULL }, { "--bogus", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;
		char *out = run_report(&rc, trace, bad[i][0], bad[i][1], bad[i][2], NULL);
		if (rc != 2)
			fail_msg("case %zu (%s): exit %d, stderr %s", i, bad[i][0], rc, report_err);
		assert_non_null(strstr(report_err, "trec report"));
		free(out);
	}
	int rc;
	char *out = run_report(&rc, "/nonexistent/trace.data", "--folded", NULL);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(report_err, "/nonexistent/trace.data"));
	free(out);
}

/* The rows of one list of one group in the text view, as "self total symbol"
 * lines (percentages checked separately). */
static char *section(const char *text, const char *group, const char *list)
{
	const char *g = strstr(text, group);
	assert_non_null(g);
	const char *l = strstr(g, list);
	assert_non_null(l);
	l = strchr(l, '\n') + 1; /* the list's title */
	l = strchr(l, '\n') + 1; /* its column header */
	char *out = calloc(1, 4096);
	size_t k = 0;
	while (*l && *l != '#') {
		double p1, p2;
		unsigned long long a, b;
		char dso[64], kind[8], name[128];
		assert_int_equal(sscanf(l, " %lf%% %llu %lf%% %llu %63s %7s %127s", &p1, &a, &p2, &b, dso, kind, name), 7);
		k += (size_t)snprintf(out + k, 4096 - k, "%llu %llu %s %s %s\n", a, b, kind, name, dso);
		l = strchr(l, '\n') + 1;
	}
	return out;
}

static void test_top_functions(void **state)
{
	int rc;
	char *out = run_report(&rc, trace, "--top", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "# Events: cpu-clock   Samples: 114   comm/pid groups: 6\n"));
	/* groups by weight */
	const char *order[] = { "# app  pid 100: 70 samples, 61.40% of all", "# worker  pid 100: 30 samples",
				"# other  pid 200: 5 samples", "# child  pid 400: 4 samples",
				"# new  pid 300: 3 samples", "# old  pid 300: 2 samples" };
	const char *at = out;
	for (size_t i = 0; i < 6; i++) {
		const char *p = strstr(at, order[i]);
		if (!p)
			fail_msg("'%s' missing or out of order in:\n%s", order[i], out);
		at = p;
	}

	/* self list: self first; total list: total first */
	char *s = section(out, "# app  pid 100", "# by self");
	assert_string_equal(s, "60 60 [.] b app\n"
			       "10 10 [k] schedule [kernel.kallsyms]\n");
	free(s);
	s = section(out, "# app  pid 100", "# by total");
	assert_string_equal(s, "70 0 [.] main app\n"
			       "60 60 [.] b app\n"
			       "60 0 [.] a app\n"
			       "10 10 [k] schedule [kernel.kallsyms]\n"
			       "10 0 [.] d app\n"
			       "10 0 [k] do_syscall_64 [kernel.kallsyms]\n"
			       "10 0 [k] entry_SYSCALL_64 [kernel.kallsyms]\n");
	free(s);
	assert_non_null(strstr(out, "   85.71%        60   85.71%        60  app                [.] b\n"));
	assert_non_null(strstr(out, "  100.00%        70    0.00%         0  app                [.] main\n"));
	s = section(out, "# other  pid 200", "# by total");
	/* equal totals: the larger self first, then by name */
	assert_string_equal(s, "5 5 [.] foo_idle libfoo.so\n"
			       "5 0 [.] [unknown] [unknown]\n"
			       "5 0 [.] libfoo.so+0x1300 libfoo.so\n");
	free(s);
	free(out);

	/* --limit cuts each list */
	out = run_report(&rc, trace, "--top", "--limit", "2", NULL);
	assert_int_equal(rc, 0);
	s = section(out, "# app  pid 100", "# by total");
	assert_string_equal(s, "70 0 [.] main app\n60 60 [.] b app\n");
	free(s);
	free(out);

	/* off-CPU: microseconds */
	out = run_report(&rc, trace, "--top", "--offcpu", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "# app  pid 100: 3002 us off-CPU, "));
	s = section(out, "# app  pid 100", "# by self");
	assert_string_equal(s, "3000 3000 [.] b app\n2 2 [k] schedule [kernel.kallsyms]\n");
	free(s);
	free(out);
}

static void test_top_json(void **state)
{
	int rc;
	char *out = run_report(&rc, trace, "--top", "--json", "--limit", "1", NULL);
	assert_int_equal(rc, 0);
	/* pretty-printed, one member per line */
	assert_non_null(strstr(out, "\"events\": [\n    \"cpu-clock\"\n  ],\n  \"unit\": \"samples\",\n  \"total\": 114,"));
	assert_non_null(strstr(out, "\"comm\": \"app\",\n      \"pid\": 100,\n      \"total\": 70,"));
	assert_non_null(strstr(out, "\"by_self\": [\n        {\n          \"symbol\": \"b\",\n"
				    "          \"dso\": \"app\",\n          \"kernel\": false,\n"
				    "          \"self\": 60,\n          \"total\": 60,"));
	assert_non_null(strstr(out, "\"by_total\": [\n        {\n          \"symbol\": \"main\",\n"
				    "          \"dso\": \"app\",\n          \"kernel\": false,\n"
				    "          \"self\": 0,\n          \"total\": 70,"));
	/* an address nothing covers: dso null */
	assert_non_null(strstr(out, "\"symbol\": \"[unknown]\",\n          \"dso\": null,"));
	assert_non_null(strstr(out, "\"comm\": \"old\""));
	free(out);
}

/* The synthetic generator's mixed profile: every cpu-clock sample lands
 * on exactly one folded line, and the lines are sorted and distinct. */
static void test_synth_totals(void **state)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/synth.data", tmpdir);
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	assert_int_equal(trec_writer_open(&w, path, 1, &wo, &e), 0);
	struct synth sy;
	struct synth_opts so = { .events = 20000 };
	assert_int_equal(synth_init(&sy, &so), 0);
	assert_int_equal(synth_write(&sy, w), 0);
	assert_int_equal(trec_writer_close(w, &e), 0);

	/* what the file holds: cpu-clock events (all have stacks) */
	synth_free(&sy);
	assert_int_equal(synth_init(&sy, &so), 0);
	uint64_t want = 0;
	struct trec_event ev;
	for (uint64_t i = 0; i < so.events; i++) {
		synth_next(&sy, &ev);
		want += ev.type == 4 && ev.stack_id;
	}
	synth_free(&sy);

	int rc;
	char *out = run_report(&rc, path, "--folded", NULL);
	assert_int_equal(rc, 0);
	uint64_t sum = 0, lines = 0;
	char *prev = NULL;
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		char *sp = strrchr(l, ' ');
		assert_non_null(sp);
		sum += strtoull(sp + 1, NULL, 10);
		*sp = 0;
		if (prev)
			assert_true(strcmp(prev, l) < 0);
		assert_null(strstr(l, "[unknown];[unknown]")); /* user frames are named */
		prev = l;
		lines++;
	}
	assert_int_equal(sum, want);
	assert_true(lines > 0 && lines <= 6 * 64);
	free(out);
}

/* Events whose stack the file lacks, of a thread nobody named: counted,
 * as [unknown] under perf's ":TID", with a warning. */
static void test_missing_stack(void **state)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/missing.data", tmpdir);
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	assert_int_equal(trec_writer_open(&w, path, 1, &wo, &e), 0);
	assert_int_equal(trec_writer_add_schema(w, &schemas[0]), 0);
	add_events(w, T_CLOCK, 7, 8, 77, 100, 1, 3);
	assert_int_equal(trec_writer_close(w, &e), 0);

	int rc;
	char *out = run_report(&rc, path, "--folded", "--show-pid", NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, ":8-7;[unknown] 3\n");
	assert_non_null(strstr(report_err, "3 events refer to stacks missing"));
	free(out);
}

/*
 * A C++ program's table as the recorder writes it (format 1.1): raw names
 * in SYMS, demangled names and two unnamed FDE functions in SYMEXT. Frames
 * show demangled names, raw ones with --no-demangle; every address of an
 * unnamed function is one frame, named by the DSO and the function's
 * start (file offset: the mapping starts at file offset 0x1000, bias 0).
 */
#define CXX_START 0x560000001000ull
#define CXX(x) (CXX_START - 0x1000 + (x))

static void write_cxx_trace(const char *path)
{
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	assert_int_equal(trec_writer_open(&w, path, 1, &wo, &e), 0);
	assert_int_equal(trec_writer_add_schema(w, &schemas[0]), 0);
	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 700, 700, 1, "cxx");
	add_map(w, 700, TS_MAP, CXX_START, 0x3000, 0x1000, 0xcc, "/opt/cxx");
	static const struct trec_sym cxx_syms[] = {
		{ .addr = 0x1100, .size = 0x100, .name = "main" },
		{ .addr = 0x1200, .size = 0x100, .name = "_ZN3app6WorkerIiE3runERKSt6vectorIiSaIiEE.isra.0",
		  .demangled = "app::Worker<int>::run" },
		{ .addr = 0x1300, .size = 0x80, .name = "_ZN3app6detail3mixEdi", .demangled = "app::detail::mix" },
		{ .addr = 0x1400, .size = 0x40, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x1480, .size = 0x40, .name = "", .flags = TREC_SYM_FDE },
	};
	add_table(w, 0xcc, "/opt/cxx", 0, cxx_syms, 5);
	const uint64_t run[] = { CXX(0x1234), CXX(0x1150) };
	const uint64_t mix[] = { CXX(0x1310), CXX(0x1250), CXX(0x1150) };
	/* three addresses in the first unnamed function, one in the second,
	 * one past both (no symbol, no FDE) */
	const uint64_t st1[] = { CXX(0x1401), CXX(0x1340), CXX(0x1150) };
	const uint64_t st2[] = { CXX(0x1420), CXX(0x1340), CXX(0x1150) };
	const uint64_t st3[] = { CXX(0x143f), CXX(0x1150) };
	const uint64_t st4[] = { CXX(0x1490), CXX(0x1150) };
	const uint64_t st5[] = { CXX(0x14d0), CXX(0x1150) };
	add_events(w, T_CLOCK, 700, 700, add_stack(w, run, 0, 2), 0, 1, 50);
	add_events(w, T_CLOCK, 700, 700, add_stack(w, mix, 0, 3), 0, 1, 20);
	add_events(w, T_CLOCK, 700, 700, add_stack(w, st1, 0, 3), 0, 1, 4);
	add_events(w, T_CLOCK, 700, 700, add_stack(w, st2, 0, 3), 0, 1, 3);
	add_events(w, T_CLOCK, 700, 700, add_stack(w, st3, 0, 2), 0, 1, 2);
	add_events(w, T_CLOCK, 700, 700, add_stack(w, st4, 0, 2), 0, 1, 1);
	add_events(w, T_CLOCK, 700, 700, add_stack(w, st5, 0, 2), 0, 1, 1);
	assert_int_equal(trec_writer_close(w, &e), 0);
}

static void test_demangled_and_fde_names(void **state)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/cxx.data", tmpdir);
	write_cxx_trace(path);

	struct trec_reader *r;
	struct trec_err e = { 0 };
	struct trec_reader_opts ro = { .sz = sizeof(ro) };
	assert_int_equal(trec_reader_open(&r, path, &ro, &e), 0);
	struct symbolizer *s, *raw;
	struct symbolizer_opts so = { .sz = sizeof(so) }, rawo = { .sz = sizeof(rawo), .no_demangle = 1 };
	assert_int_equal(symbolizer_new(r, &so, &s, &e), 0);
	assert_int_equal(symbolizer_new(r, &rawo, &raw, &e), 0);
	struct sym_result res;
	char buf[256];
	assert_int_equal(symbolize(s, 700, 5000, CXX(0x1234), 0, &res), 0);
	assert_true(res.found);
	assert_string_equal(res.name, "app::Worker<int>::run");
	assert_int_equal(res.offset, 0x34);
	assert_int_equal(symbolize(raw, 700, 5000, CXX(0x1234), 0, &res), 0);
	assert_string_equal(res.name, "_ZN3app6WorkerIiE3runERKSt6vectorIiSaIiEE.isra.0");
	assert_int_equal(symbolize(raw, 700, 5000, CXX(0x1100), 0, &res), 0);
	assert_string_equal(res.name, "main");
	/* an unnamed function: not "found", but one name for all its bytes */
	for (uint64_t off = 0x1400; off < 0x1440; off += 0x1f) {
		assert_int_equal(symbolize(s, 700, 5000, CXX(off), 0, &res), 0);
		assert_false(res.found);
		assert_true(res.fde);
		assert_null(res.name);
		assert_int_equal(res.offset, 0x1400);
		assert_string_equal(sym_format(&res, buf, sizeof(buf)), "cxx+0x1400");
	}
	assert_int_equal(symbolize(s, 700, 5000, CXX(0x14d0), 0, &res), 0);
	assert_false(res.fde);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "cxx+0x14d0");
	symbolizer_free(s);
	symbolizer_free(raw);
	trec_reader_close(r);

	int rc;
	char *out = run_report(&rc, path, "--folded", NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "cxx;main;app::Worker<int>::run 50\n"
				 "cxx;main;app::Worker<int>::run;app::detail::mix 20\n"
				 "cxx;main;app::detail::mix;cxx+0x1400 7\n"
				 "cxx;main;cxx+0x1400 2\n"
				 "cxx;main;cxx+0x1480 1\n"
				 "cxx;main;cxx+0x14d0 1\n");
	free(out);
	out = run_report(&rc, path, "--folded", "--no-demangle", NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "cxx;main;_ZN3app6WorkerIiE3runERKSt6vectorIiSaIiEE.isra.0 50\n"
				 "cxx;main;_ZN3app6WorkerIiE3runERKSt6vectorIiSaIiEE.isra.0;_ZN3app6detail3mixEdi 20\n"
				 "cxx;main;_ZN3app6detail3mixEdi;cxx+0x1400 7\n"
				 "cxx;main;cxx+0x1400 2\n"
				 "cxx;main;cxx+0x1480 1\n"
				 "cxx;main;cxx+0x14d0 1\n");
	free(out);
	/* the last of --demangle / --no-demangle wins */
	out = run_report(&rc, path, "--folded", "--no-demangle", "--demangle", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "cxx;main;app::Worker<int>::run 50\n"));
	free(out);
	/* --top: self counts per function, the unnamed one included once */
	out = run_report(&rc, path, "--top", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "[.] app::Worker<int>::run\n"));
	assert_non_null(strstr(out, "[.] app::detail::mix\n"));
	/* its first line is in the self list: 9 of 81 samples, self and total */
	const char *fde = strstr(out, "[.] cxx+0x1400\n");
	assert_non_null(fde);
	while (fde > out && fde[-1] != '\n')
		fde--;
	if (strncmp(fde, "   11.11%         9   11.11%         9  cxx ", 43))
		fail_msg("line '%.80s' in\n%s", fde, out);
	free(out);
}

/*
 * --symfs: a file read at report time has raw names only. The symbols the
 * trace's table has too (same address and raw name) keep the demangled
 * name recorded; those only the file has (a static function) are raw.
 */
static void test_symfs_keeps_demangled(void **state)
{
	if (!tu_have_tool("cc") || !tu_have_tool("strip")) {
		print_message("skipped: cc or strip missing\n");
		skip();
	}
	char dir[400], src[460], full[460], thin[460], cmd_out[460];
	snprintf(dir, sizeof(dir), "%s/dm", tmpdir);
	snprintf(src, sizeof(src), "%s/dm.c", dir);
	snprintf(full, sizeof(full), "%s/root/usr/lib/libdm.so", dir);
	snprintf(thin, sizeof(thin), "%s/libdm.so", dir);
	assert_int_equal(tu_run("mkdir -p '%s/root/usr/lib'", dir), 0);
	FILE *f = fopen(src, "w");
	assert_non_null(f);
	/* an exported and a local mangled function, with sizes */
	fputs("__asm__(\".text\\n.globl _ZN3app6publicEv\\n.type _ZN3app6publicEv,@function\\n"
	      "_ZN3app6publicEv:\\n nop\\n nop\\n nop\\n nop\\n ret\\n.size _ZN3app6publicEv, 5\\n"
	      ".type _ZN3app6hiddenEv,@function\\n_ZN3app6hiddenEv:\\n nop\\n nop\\n nop\\n nop\\n ret\\n"
	      ".size _ZN3app6hiddenEv, 5\\n\");\n", f);
	fclose(f);
	assert_int_equal(tu_run("cc -shared -fPIC -Wl,--build-id -o '%s' '%s' && strip -o '%s' '%s'", full, src, thin,
				full), 0);

	struct tarena a;
	struct trec_dso_syms t;
	struct elfsyms_info in;
	struct trec_err e = { 0 };
	tarena_init(&a);
	assert_int_equal(elfsyms_read_file(thin, NULL, 0, &a, &t, &in, &e), 0);
	assert_int_equal(t.nsyms, 1); /* the stripped copy: the exported one */
	struct trec_sym named = t.syms[0];
	assert_string_equal(named.name, "_ZN3app6publicEv");
	named.demangled = "app::public"; /* as the recorder stores it */
	t.syms = &named;
	t.path = "/usr/lib/libdm.so";
	uint64_t pgoff = (in.exec_vaddr - t.load_bias) & ~0xfffull;
	const uint64_t start = 0x7f6000000000ull;

	snprintf(cmd_out, sizeof(cmd_out), "%s/dm.data", dir);
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	assert_int_equal(trec_writer_open(&w, cmd_out, 1, &wo, &e), 0);
	assert_int_equal(trec_writer_add_schema(w, &schemas[0]), 0);
	add_task(w, TREC_TASK_SNAPSHOT, TS_MAP, 800, 800, 1, "dm");
	struct trec_map m = { .ts = TS_MAP, .pid = 800, .prot = 5, .flags = 2, .start = start, .len = 0x10000,
			      .pgoff = pgoff, .path = t.path, .build_id_len = t.build_id_len };
	memcpy(m.build_id, t.build_id, t.build_id_len);
	assert_int_equal(trec_writer_add_map(w, &m), 0);
	assert_int_equal(trec_writer_add_dso_syms(w, &t), 0);
	struct trec_dso_syms fullt;
	assert_int_equal(elfsyms_read_file(full, NULL, 0, &a, &fullt, NULL, &e), 0);
	for (uint32_t i = 0; i < fullt.nsyms; i++) {
		if (strncmp(fullt.syms[i].name, "_ZN3app", 7))
			continue;
		uint64_t ip = start + fullt.syms[i].addr + 1 - t.load_bias - pgoff;
		add_events(w, T_CLOCK, 800, 800, add_stack(w, &ip, 0, 1), 0, 1,
			   strcmp(fullt.syms[i].name, "_ZN3app6hiddenEv") ? 3 : 2);
	}
	assert_int_equal(trec_writer_close(w, &e), 0);
	tarena_free(&a);

	int rc;
	char root[460];
	snprintf(root, sizeof(root), "%s/root", dir);
	char *out = run_report(&rc, cmd_out, "--folded", NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "dm;app::public 3\n"));
	assert_null(strstr(out, "hidden"));
	free(out);
	out = run_report(&rc, cmd_out, "--folded", "--symfs", root, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "dm;_ZN3app6hiddenEv 2\n"
				 "dm;app::public 3\n");
	free(out);
	out = run_report(&rc, cmd_out, "--folded", "--symfs", root, "--no-demangle", NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "dm;_ZN3app6hiddenEv 2\n"
				 "dm;_ZN3app6publicEv 3\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_symbols),
		cmocka_unit_test(test_kernel_symbols),
		cmocka_unit_test(test_exec_fork_generations),
		cmocka_unit_test(test_jit_table),
		cmocka_unit_test(test_format_and_errors),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_offcpu_and_event),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_top_functions),
		cmocka_unit_test(test_top_json),
		cmocka_unit_test(test_synth_totals),
		cmocka_unit_test(test_missing_stack),
		cmocka_unit_test(test_demangled_and_fde_names),
		cmocka_unit_test(test_symfs_keeps_demangled),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	free(report_err);
	return rc;
}
