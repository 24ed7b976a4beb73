/* SPDX-License-Identifier: MIT */
/* The interactive report's model (report/browse.h) without a terminal: a
 * hand-made trace with CPU samples, off-CPU time and a tracepoint with
 * stacks, recursion, a second DSO and kernel frames; the exact self and
 * total of every function, the callers and callees trees, the lines as
 * they open and close, each filter, the views and the time window. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "browse.h"
#include "scratch.h"
#include "source.h"
#include "tracegen.h"
#include "writer.h"

enum { T_CLOCK = 1, T_OFFCPU = 2, T_READ = 3, T_NOSTACK = 4 };

static const struct trec_field f_clock[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_field f_offcpu[] = { { "delta_ns", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema schemas[] = {
	{ T_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1, f_clock },
	{ T_OFFCPU, "offcpu", "trec:offcpu", 0, 8, 1, f_offcpu },
	{ T_READ, "syscalls:sys_enter_read", "tracepoint", 0, 8, 1, f_clock },
	{ T_NOSTACK, "sched:sched_wakeup", "tracepoint", 0, 8, 1, f_clock },
};

#define APP_START 0x555555555000ull /* maps file offset 0x1000 */
#define APP(x) (APP_START - 0x1000 + (x))
#define LIBC_START 0x7f0000000000ull /* maps file offset 0 */
#define LIBC(x) (LIBC_START + (x))
#define K_ENTRY 0xffffffff81000000ull
#define K_SYSCALL 0xffffffff81000100ull
#define K_SCHED 0xffffffff81000200ull
#define SEC 1000000000ull

static uint64_t now = 1000;

static void events(struct trec_writer *w, uint32_t type, uint32_t pid, uint32_t tid, uint32_t stack,
		   uint64_t value, int n)
{
	for (int i = 0; i < n; i++)
		tg_event(w, now++, 0, pid, tid, type, stack, &value, 8);
}

/*
 * CPU samples (18 with stacks):
 *   app    6  main;work;leaf           db   4  main;work;leaf (2 s later)
 *   app    2  main;work;[k]entry;do_syscall_64;schedule
 *   worker 3  main;work
 *   app    2  main;work;rec;rec        (recursion)
 *   app    1  main;work;leaf;memcpy    (memcpy in libc.so.6)
 *   app    5  without a stack
 * off-CPU: 2 events on the kernel stack, 1500000 + 999 ns
 * sys_enter_read: 3 events of worker on main;work
 */
static int setup(void **state)
{
	(void)state;
	scratch_make("browse");
	struct trec_writer *w = tg_open(scratch_path("t.data"), schemas, 4);
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 101, "worker");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 200, 200, "db");
	tg_map(w, 100, 1, APP_START, 0x3000, 0x1000, 0xaa, "/usr/bin/app");
	tg_map(w, 100, 1, LIBC_START, 0x1000, 0, 0xbb, "/usr/lib/libc.so.6");
	tg_map(w, 200, 1, APP_START, 0x3000, 0x1000, 0xaa, "/usr/bin/app");
	static const struct trec_sym syms[] = {
		{ .addr = 0x1100, .size = 0x100, .name = "main" },
		{ .addr = 0x1200, .size = 0x100, .name = "work" },
		{ .addr = 0x1300, .size = 0x100, .name = "leaf" },
		{ .addr = 0x1500, .size = 0x100, .name = "rec" },
	};
	tg_syms(w, 0xaa, "/usr/bin/app", 0, syms, 4);
	static const struct trec_sym lsyms[] = { { .addr = 0x100, .size = 0x100, .name = "memcpy" } };
	tg_syms(w, 0xbb, "/usr/lib/libc.so.6", 0, lsyms, 1);
	static const struct trec_ksym ks[] = {
		{ K_ENTRY, 'T', "entry_SYSCALL_64", "" },
		{ K_SYSCALL, 'T', "do_syscall_64", "" },
		{ K_SCHED, 'T', "schedule", "" },
		{ K_SCHED + 0x100, 'T', "_etext", "" },
	};
	tg_ksyms(w, ks, 4);
	const uint64_t s1[] = { APP(0x1308), APP(0x1208), APP(0x1108) };
	const uint64_t s2[] = { K_SCHED + 8, K_SYSCALL + 8, K_ENTRY + 8, APP(0x1208), APP(0x1108) };
	const uint64_t s3[] = { APP(0x1204), APP(0x1104) };
	const uint64_t s5[] = { APP(0x1510), APP(0x1520), APP(0x1210), APP(0x1110) };
	const uint64_t s6[] = { LIBC(0x110), APP(0x1310), APP(0x1210), APP(0x1110) };
	uint32_t id1 = tg_stack(w, s1, 0, 3), id2 = tg_stack(w, s2, 3, 2), id3 = tg_stack(w, s3, 0, 2);
	uint32_t id5 = tg_stack(w, s5, 0, 4), id6 = tg_stack(w, s6, 0, 4);
	events(w, T_CLOCK, 100, 100, id1, 1, 6);
	events(w, T_CLOCK, 100, 100, id2, 1, 2);
	events(w, T_CLOCK, 100, 101, id3, 1, 3);
	events(w, T_CLOCK, 100, 100, id5, 1, 2);
	events(w, T_CLOCK, 100, 100, id6, 1, 1);
	events(w, T_CLOCK, 100, 100, 0, 1, 5);
	events(w, T_OFFCPU, 100, 100, id2, 1500000, 1);
	events(w, T_OFFCPU, 100, 100, id2, 999, 1);
	events(w, T_READ, 100, 101, id3, 0, 3);
	events(w, T_NOSTACK, 100, 100, 0, 0, 4);
	now = 1000 + 2 * SEC;
	events(w, T_CLOCK, 200, 200, id1, 1, 4);
	tg_close(w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

struct warnings {
	char text[1024];
	size_t len;
};

static void warn(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	w->len += (size_t)snprintf(w->text + w->len, sizeof(w->text) - w->len, "%s\n", msg);
}

struct fixture {
	struct source src;
	struct browse *b;
	struct warnings wn;
	struct trec_err err;
};

static void open_with(struct fixture *fx, struct browse_opts *o, const struct evfilter_opts *fo)
{
	const char *path = scratch_path("t.data");
	memset(fx, 0, sizeof(*fx));
	struct source_opts so = { .sz = sizeof(so), .filter = fo };
	assert_int_equal(source_open(&fx->src, &path, 1, &so, &fx->err), 0);
	o->sz = sizeof(*o);
	o->warn = warn;
	o->warn_ctx = &fx->wn;
	int read_error = 1;
	assert_int_equal(browse_open(&fx->b, &fx->src, o, NULL, &read_error, &fx->err), 0);
	assert_int_equal(read_error, 0);
}

static void close_fx(struct fixture *fx)
{
	browse_free(fx->b);
	source_close(&fx->src);
}

/* The list as "name self total" lines (weights), for exact comparisons. */
static char *list_text(const struct browse *b)
{
	static char buf[4096];
	size_t len = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < browse_nlines(b); i++) {
		struct browse_line l;
		browse_line(b, i, &l);
		const char *kind = l.kind == BROWSE_FUNC ? "" : l.kind == BROWSE_CALLERS ? "callers "
							  : l.kind == BROWSE_CALLEES ? "callees " : "";
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%*s%s%s%s %llu %llu%s%s\n", (int)l.depth * 2, "",
					l.open ? "-" : l.expandable ? "+" : " ", kind,
					l.kind == BROWSE_CALLERS || l.kind == BROWSE_CALLEES ? "" : l.name,
					(unsigned long long)l.self, (unsigned long long)l.total,
					l.kind == BROWSE_FUNC && l.dso && strcmp(l.dso, "app") ? " " : "",
					l.kind == BROWSE_FUNC && l.dso && strcmp(l.dso, "app") ? l.dso : "");
	}
	return buf;
}

static uint32_t line_of(const struct browse *b, const char *name)
{
	for (uint32_t i = 0; i < browse_nlines(b); i++) {
		struct browse_line l;
		browse_line(b, i, &l);
		if (l.kind == BROWSE_FUNC && !strcmp(l.name, name))
			return i;
	}
	fail_msg("no line for %s", name);
	return 0;
}

static void test_views_and_list(void **state)
{
	(void)state;
	struct fixture fx;
	struct browse_opts o = { 0 };
	open_with(&fx, &o, NULL);
	struct browse *b = fx.b;
	/* CPU samples first, off-CPU next, the rest by name; the type without
	 * stacks is no view. */
	assert_int_equal(browse_nviews(b), 3);
	assert_string_equal(browse_view(b, 0)->name, "cpu-clock");
	assert_int_equal(browse_view(b, 0)->unit, BROWSE_SAMPLES);
	assert_int_equal(browse_view(b, 0)->events, 18);
	assert_int_equal(browse_view(b, 0)->no_stack, 5);
	assert_string_equal(browse_view(b, 1)->name, "offcpu");
	assert_int_equal(browse_view(b, 1)->unit, BROWSE_NS);
	assert_int_equal(browse_view(b, 1)->weight, 1500999);
	assert_string_equal(browse_view(b, 2)->name, "syscalls:sys_enter_read");
	assert_int_equal(browse_view(b, 2)->unit, BROWSE_EVENTS);
	assert_int_equal(browse_current_view(b), 0);
	assert_int_equal(browse_totals(b)->events, 18);
	/* By total, then self, then name; rec counts once per stack. */
	assert_string_equal(list_text(b), "+work 3 18\n"
					  "+main 0 18\n"
					  "+leaf 10 11\n"
					  "+rec 2 2\n"
					  "+schedule 2 2 [kernel.kallsyms]\n"
					  "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					  "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n"
					  "+memcpy 1 1 libc.so.6\n");
	assert_int_equal(browse_totals(b)->functions, 8);
	assert_int_equal(browse_set_sort(b, BROWSE_BY_SELF, &fx.err), 0);
	assert_string_equal(list_text(b), "+leaf 10 11\n"
					  "+work 3 18\n"
					  "+rec 2 2\n"
					  "+schedule 2 2 [kernel.kallsyms]\n"
					  "+memcpy 1 1 libc.so.6\n"
					  "+main 0 18\n"
					  "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					  "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n");
	assert_int_equal(browse_set_sort(b, BROWSE_BY_TOTAL, &fx.err), 0);

	/* Off-CPU time in ns; a tracepoint's events one each. */
	assert_int_equal(browse_set_view(b, 1, &fx.err), 0);
	assert_int_equal(browse_totals(b)->weight, 1500999);
	assert_int_equal(browse_totals(b)->events, 2);
	assert_string_equal(list_text(b), "+schedule 1500999 1500999 [kernel.kallsyms]\n"
					  "+do_syscall_64 0 1500999 [kernel.kallsyms]\n"
					  "+entry_SYSCALL_64 0 1500999 [kernel.kallsyms]\n"
					  "+main 0 1500999\n"
					  "+work 0 1500999\n");
	assert_int_equal(browse_set_view(b, 2, &fx.err), 0);
	assert_string_equal(list_text(b), "+work 3 3\n+main 0 3\n");
	assert_int_equal(browse_set_view(b, 3, &fx.err), -EINVAL);
	assert_int_equal(fx.wn.len, 0);
	close_fx(&fx);
}

static void test_trees(void **state)
{
	(void)state;
	struct fixture fx;
	struct browse_opts o = { 0 };
	open_with(&fx, &o, NULL);
	struct browse *b = fx.b;
	/* leaf: called by work (11, from main); calls memcpy once; a frame
	 * with one child starts open. */
	uint32_t leaf = line_of(b, "leaf");
	assert_int_equal(browse_toggle(b, leaf, &fx.err), 0);
	assert_string_equal(list_text(b), "+work 3 18\n"
					  "+main 0 18\n"
					  "-leaf 10 11\n"
					  "  -callers  0 11\n"
					  "    -work 0 11\n"
					  "       main 0 11\n"
					  "  -callees  0 11\n"
					  "     memcpy 1 1\n"
					  "+rec 2 2\n"
					  "+schedule 2 2 [kernel.kallsyms]\n"
					  "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					  "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n"
					  "+memcpy 1 1 libc.so.6\n");
	assert_int_equal(browse_parent(b, 5), 4);
	assert_int_equal(browse_parent(b, 4), 3);
	assert_int_equal(browse_parent(b, 3), 2);
	assert_int_equal(browse_parent(b, 2), 2);
	/* Close the work frame of the callers: main goes. */
	assert_int_equal(browse_toggle(b, 4, &fx.err), 0);
	assert_int_equal(browse_nlines(b), 12);
	/* Headers close and open. */
	assert_int_equal(browse_collapse(b, 3, 0, &fx.err), 0);
	assert_int_equal(browse_nlines(b), 11);
	assert_int_equal(browse_collapse(b, leaf, 0, &fx.err), 0);
	assert_int_equal(browse_nlines(b), 8);

	/* work's whole subtree: callers main; callees leaf (memcpy), the
	 * kernel path, rec (recursing once: its outermost frame counts). */
	assert_int_equal(browse_expand(b, 0, 1, &fx.err), 0);
	assert_string_equal(list_text(b), "-work 3 18\n"
					  "  -callers  0 18\n"
					  "     main 0 18\n"
					  "  -callees  0 18\n"
					  "    -leaf 10 11\n"
					  "       memcpy 1 1\n"
					  "    -entry_SYSCALL_64 0 2\n"
					  "      -do_syscall_64 0 2\n"
					  "         schedule 2 2\n"
					  "    -rec 0 2\n"
					  "       rec 2 2\n"
					  "+main 0 18\n"
					  "+leaf 10 11\n"
					  "+rec 2 2\n"
					  "+schedule 2 2 [kernel.kallsyms]\n"
					  "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					  "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n"
					  "+memcpy 1 1 libc.so.6\n");
	/* main is a root: nothing calls it. */
	assert_int_equal(browse_toggle(b, 11, &fx.err), 0);
	struct browse_line l;
	browse_line(b, 12, &l);
	assert_int_equal(l.kind, BROWSE_CALLERS);
	assert_int_equal(l.expandable, 0);
	assert_int_equal(browse_find_func(b, l.func), 11);
	/* A filter keeps what is open; collapse all closes it. */
	assert_int_equal(browse_set_comm(b, "worker", &fx.err), 0);
	assert_string_equal(list_text(b), "-work 3 3\n"
					  "  -callers  0 3\n"
					  "     main 0 3\n"
					  "   callees  0 3\n"
					  "-main 0 3\n"
					  "   callers  0 3\n"
					  "  -callees  0 3\n"
					  "     work 3 3\n");
	assert_int_equal(browse_collapse_all(b, &fx.err), 0);
	assert_string_equal(list_text(b), "+work 3 3\n+main 0 3\n");
	assert_int_equal(browse_expand_all(b, 1, &fx.err), 0);
	assert_int_equal(browse_nlines(b), 5);
	close_fx(&fx);
}

static void test_filters(void **state)
{
	(void)state;
	struct fixture fx;
	struct browse_opts o = { 0 };
	open_with(&fx, &o, NULL);
	struct browse *b = fx.b;
	const uint32_t db = 200;
	assert_int_equal(browse_set_pids(b, &db, 1, &fx.err), 0);
	assert_string_equal(list_text(b), "+leaf 4 4\n+main 0 4\n+work 0 4\n");
	assert_int_equal(browse_totals(b)->events, 4);
	assert_int_equal(browse_set_pids(b, NULL, 0, &fx.err), 0);
	assert_int_equal(browse_totals(b)->events, 18);
	/* Comm globs, a list as --comm takes. */
	assert_int_equal(browse_set_comm(b, "w*,d?", &fx.err), 0);
	assert_int_equal(browse_totals(b)->events, 7);
	assert_int_equal(browse_set_comm(b, "a,,b", &fx.err), -EINVAL);
	assert_string_equal(fx.err.msg, "comm 'a,,b': an empty name in the list");
	assert_int_equal(browse_set_comm(b, "", &fx.err), 0);
	assert_int_equal(browse_totals(b)->events, 18);
	/* The DSO and the search narrow the list, not the samples. */
	assert_int_equal(browse_set_dso(b, "libc.so.6", &fx.err), 0);
	assert_string_equal(list_text(b), "+memcpy 1 1 libc.so.6\n");
	assert_int_equal(browse_totals(b)->events, 18);
	assert_int_equal(browse_set_dso(b, "[kernel.kallsyms]", &fx.err), 0);
	assert_int_equal(browse_totals(b)->functions, 3);
	assert_int_equal(browse_set_dso(b, NULL, &fx.err), 0);
	assert_int_equal(browse_set_search(b, "syscall", &fx.err), 0);
	assert_string_equal(list_text(b), "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					  "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n");
	struct browse_filters f;
	browse_filters(b, &f);
	assert_string_equal(f.search, "syscall");
	assert_null(f.dso);
	assert_int_equal(browse_set_search(b, "", &fx.err), 0);

	/* A window from 1.5 s: db's 4 samples alone; the file is read again. */
	int read_error = 1;
	assert_int_equal(browse_set_time(b, 1, 3 * SEC / 2, 0, 0, NULL, &read_error, &fx.err), 0);
	assert_int_equal(read_error, 0);
	assert_string_equal(list_text(b), "+leaf 4 4\n+main 0 4\n+work 0 4\n");
	assert_int_equal(browse_view(b, 0)->events, 4);
	assert_int_equal(browse_view(b, 1)->events, 0);
	assert_int_equal(browse_set_time(b, 1, 2, 1, 1, NULL, &read_error, &fx.err), -EINVAL);
	assert_int_equal(browse_set_time(b, 0, 0, 1, SEC, NULL, &read_error, &fx.err), 0);
	assert_int_equal(browse_totals(b)->events, 14);
	assert_int_equal(browse_set_time(b, 0, 0, 0, 0, NULL, &read_error, &fx.err), 0);
	assert_int_equal(browse_totals(b)->events, 18);
	assert_int_equal(browse_span_ns(b), 2 * SEC + 3); /* the first event to the last */
	close_fx(&fx);
}

static void test_options(void **state)
{
	(void)state;
	struct fixture fx;
	/* Without kernel frames the syscall stack ends in work. */
	struct browse_opts o = { .no_kernel = 1 };
	open_with(&fx, &o, NULL);
	assert_string_equal(list_text(fx.b), "+work 5 18\n"
					     "+main 0 18\n"
					     "+leaf 10 11\n"
					     "+rec 2 2\n"
					     "+memcpy 1 1 libc.so.6\n");
	close_fx(&fx);
	/* Without user frames, user-only stacks have no function left: they
	 * still count in the view's samples. */
	o = (struct browse_opts){ .no_user = 1 };
	open_with(&fx, &o, NULL);
	assert_string_equal(list_text(fx.b), "+schedule 2 2 [kernel.kallsyms]\n"
					     "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					     "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n");
	assert_int_equal(browse_totals(fx.b)->events, 18);
	assert_int_equal(browse_toggle(fx.b, 0, &fx.err), 0);
	assert_string_equal(list_text(fx.b), "-schedule 2 2 [kernel.kallsyms]\n"
					     "  -callers  0 2\n"
					     "    -do_syscall_64 0 2\n"
					     "       entry_SYSCALL_64 0 2\n"
					     "   callees  0 2\n"
					     "+do_syscall_64 0 2 [kernel.kallsyms]\n"
					     "+entry_SYSCALL_64 0 2 [kernel.kallsyms]\n");
	close_fx(&fx);
	/* --offcpu starts there; --event narrows the views. */
	o = (struct browse_opts){ .offcpu = 1 };
	open_with(&fx, &o, NULL);
	assert_int_equal(browse_current_view(fx.b), 1);
	close_fx(&fx);
	char *globs[] = { (char *)"syscalls:*" };
	struct evfilter_opts fo = { .events = globs, .nevents = 1, .any = 1 };
	o = (struct browse_opts){ 0 };
	open_with(&fx, &o, &fo);
	assert_int_equal(browse_nviews(fx.b), 1);
	close_fx(&fx);

	/* Nothing with a stack: -ENODATA, saying why. */
	globs[0] = (char *)"sched:*";
	const char *path = scratch_path("t.data");
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = &fo };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
	struct browse *b;
	int read_error;
	o = (struct browse_opts){ .sz = sizeof(o) };
	assert_int_equal(browse_open(&b, &src, &o, NULL, &read_error, &err), -ENODATA);
	char want[512];
	snprintf(want, sizeof(want), "%s has no selected events with stacks to browse (record with -F, -g or "
				     "-e offcpu)", path);
	assert_string_equal(err.msg, want);
	browse_free(b);
	source_close(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_views_and_list),
		cmocka_unit_test(test_trees),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
