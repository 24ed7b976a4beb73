/* SPDX-License-Identifier: MIT */
/* Stack aggregation (report/stackprof.h) driven directly, without argv: a
 * hand-made trace with kernel and user stacks through the source and one
 * pass, and the exact folded stacks (merged across stack ids, per comm,
 * pid or thread, without kernel frames, weighted off-CPU), the events an
 * --event filter picks, and the warnings and errors it returns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pass.h"
#include "scratch.h"
#include "source.h"
#include "stackprof.h"
#include "tracegen.h"
#include "writer.h"

enum { T_CLOCK = 1, T_OFFCPU = 2, T_SWITCH = 3 };

static const struct trec_field f_clock[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_field f_offcpu[] = { { "delta_ns", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema schemas[] = {
	{ T_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1, f_clock },
	{ T_OFFCPU, "offcpu", "trec:offcpu", 0, 8, 1, f_offcpu },
	{ T_SWITCH, "sched:sched_switch", "tracepoint:sched:sched_switch", 0, 8, 1, f_clock },
};

#define APP_START 0x555555555000ull /* maps file offset 0x1000 */
#define APP(x) (APP_START - 0x1000 + (x))
#define K_ENTRY 0xffffffff81000000ull
#define K_SYSCALL 0xffffffff81000100ull
#define K_SCHED 0xffffffff81000200ull

static uint64_t now = 1000;

static void events(struct trec_writer *w, uint32_t type, uint32_t pid, uint32_t tid, uint32_t stack,
		   uint64_t value, int n)
{
	for (int i = 0; i < n; i++)
		tg_event(w, now++, 0, pid, tid, type, stack, &value, 8);
}

static int setup(void **state)
{
	(void)state;
	scratch_make("stackprof");
	struct trec_writer *w = tg_open(scratch_path("t.data"), schemas, 2);
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 101, "worker");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 200, 200, "db");
	tg_map(w, 100, 1, APP_START, 0x3000, 0x1000, 0xaa, "/usr/bin/app");
	tg_map(w, 200, 1, APP_START, 0x3000, 0x1000, 0xaa, "/usr/bin/app");
	static const struct trec_sym syms[] = {
		{ .addr = 0x1100, .size = 0x100, .name = "main" },
		{ .addr = 0x1200, .size = 0x100, .name = "work" },
		{ .addr = 0x1300, .size = 0x100, .name = "leaf" },
	};
	tg_syms(w, 0xaa, "/usr/bin/app", 0, syms, 3);
	static const struct trec_ksym ks[] = {
		{ K_ENTRY, 'T', "entry_SYSCALL_64", "" },
		{ K_SYSCALL, 'T', "do_syscall_64", "" },
		{ K_SCHED, 'T', "schedule", "" },
		{ K_SCHED + 0x100, 'T', "_etext", "" }, /* where schedule ends */
	};
	tg_ksyms(w, ks, 4);
	/* leaf first */
	const uint64_t s1[] = { APP(0x1308), APP(0x1208), APP(0x1108) };
	const uint64_t s2[] = { K_SCHED + 8, K_SYSCALL + 8, K_ENTRY + 8, APP(0x1208), APP(0x1108) };
	const uint64_t s3[] = { APP(0x1204), APP(0x1104) };
	const uint64_t s4[] = { APP(0x1210), APP(0x1110) }; /* other addresses, the same functions */
	uint32_t id1 = tg_stack(w, s1, 0, 3), id2 = tg_stack(w, s2, 3, 2);
	uint32_t id3 = tg_stack(w, s3, 0, 2), id4 = tg_stack(w, s4, 0, 2);
	events(w, T_CLOCK, 100, 100, id1, 1, 6);
	events(w, T_CLOCK, 100, 100, id2, 1, 2);
	events(w, T_CLOCK, 100, 101, id3, 1, 3);
	events(w, T_CLOCK, 100, 101, id4, 1, 1);
	events(w, T_CLOCK, 200, 200, id1, 1, 4);
	events(w, T_CLOCK, 100, 100, 0, 1, 5);      /* no stack: in no view */
	events(w, T_OFFCPU, 100, 100, id2, 1500000, 1);
	events(w, T_OFFCPU, 100, 100, id2, 999, 1); /* summed in ns, shown in us */
	tg_close(w);

	/* Off-CPU time alone (-e offcpu); the same with tracepoints that have
	 * stacks (-g -e sched:sched_switch -e offcpu); tracepoints alone (with
	 * an offcpu type that recorded nothing). */
	static const char *const names[] = { "off.data", "mixed.data", "tp.data" };
	for (int k = 0; k < 3; k++) {
		w = tg_open(scratch_path(names[k]), schemas + 1, 2);
		tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
		tg_map(w, 100, 1, APP_START, 0x3000, 0x1000, 0xaa, "/usr/bin/app");
		tg_syms(w, 0xaa, "/usr/bin/app", 0, syms, 3);
		id1 = tg_stack(w, s1, 0, 3);
		id3 = tg_stack(w, s3, 0, 2);
		if (k < 2) {
			events(w, T_OFFCPU, 100, 100, id1, 250000, 4); /* 1000 us in leaf */
			events(w, T_OFFCPU, 100, 100, id3, 3000000, 1); /* 3000 us in work */
		}
		if (k > 0)
			events(w, T_SWITCH, 100, 100, id1, 0, 2);
		tg_close(w);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

/* Folded lines into one string. */
static int collect(void *ctx, const char *stack, size_t len, uint64_t count)
{
	struct tbuf *b = ctx;
	char num[32];
	int n = snprintf(num, sizeof(num), " %llu\n", (unsigned long long)count);
	tbuf_put(b, stack, len);
	tbuf_put(b, num, (size_t)n);
	return 0;
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

/* The folded stacks of the trace under these options and event globs. */
static char *fold_file(const char *name, struct stackprof_opts *po, const char *event, struct warnings *wn,
		       int *by_time)
{
	const char *path = scratch_path(name);
	char *globs[] = { (char *)event };
	struct evfilter_opts fo = { .events = globs, .nevents = event ? 1 : 0, .any = event != NULL };
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = &fo };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
	po->sz = sizeof(*po);
	po->warn = warn;
	po->warn_ctx = wn;
	struct stackprof *p;
	int read_error = 0;
	assert_int_equal(stackprof_new(&p, &src.files[0], po, &read_error, &err), 0);
	struct pass_sink sink = stackprof_sink(p);
	assert_int_equal(pass_run(&src, &sink, 1, NULL, &err), 0);
	struct tbuf b;
	tbuf_init(&b);
	assert_int_equal(stackprof_fold(p, collect, &b, &err), 0);
	*by_time = stackprof_by_time(p);
	tbuf_put_u8(&b, 0);
	char *text = strdup((const char *)b.data);
	tbuf_free(&b);
	stackprof_warnings(p);
	stackprof_free(p);
	source_close(&src);
	return text;
}

static char *fold(struct stackprof_opts *po, const char *event, struct warnings *wn)
{
	int by_time;
	return fold_file("t.data", po, event, wn, &by_time);
}

#define CHECK_FOLD(want, event, ...)                                                            \
	do {                                                                                      \
		struct stackprof_opts po = { __VA_ARGS__ };                                           \
		struct warnings wn = { 0 };                                                           \
		char *got = fold(&po, event, &wn);                                                    \
		assert_string_equal(got, want);                                                       \
		assert_int_equal(wn.len, 0);                                                          \
		free(got);                                                                            \
	} while (0)

static void test_folded(void **state)
{
	(void)state;
	/* Stacks of one comm and the same functions merge (s3 and s4);
	 * lines come in byte order. */
	CHECK_FOLD("app;main;work;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n"
		   "app;main;work;leaf 6\n"
		   "db;main;work;leaf 4\n"
		   "worker;main;work 4\n",
		   NULL, .offcpu = 0);
	CHECK_FOLD("app-100;main;work;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n"
		   "app-100;main;work;leaf 6\n"
		   "db-200;main;work;leaf 4\n"
		   "worker-100;main;work 4\n",
		   NULL, .with_pid = 1);
	CHECK_FOLD("app-100/100;main;work;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n"
		   "app-100/100;main;work;leaf 6\n"
		   "db-200/200;main;work;leaf 4\n"
		   "worker-100/101;main;work 4\n",
		   NULL, .with_tid = 1);
	CHECK_FOLD("app;main;work 2\n"
		   "app;main;work;leaf 6\n"
		   "db;main;work;leaf 4\n"
		   "worker;main;work 4\n",
		   NULL, .no_kernel = 1);
	/* Without user frames, user-only stacks are their comm alone. */
	CHECK_FOLD("app 6\n"
		   "app;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 2\n"
		   "db 4\n"
		   "worker 4\n",
		   NULL, .no_user = 1);
}

static void test_offcpu_and_events(void **state)
{
	(void)state;
	/* Weighted by delta_ns: 1500999 ns is 1500 us. */
	CHECK_FOLD("app;main;work;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 1500\n", NULL, .offcpu = 1);
	/* --event picks the types; off-CPU events alone weigh their time
	 * without --offcpu too; mixed with CPU samples each event counts one. */
	CHECK_FOLD("app;main;work;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 1500\n", "off*", .offcpu = 0);
	CHECK_FOLD("app;main;work;entry_SYSCALL_64_[k];do_syscall_64_[k];schedule_[k] 4\n"
		   "app;main;work;leaf 6\n"
		   "db;main;work;leaf 4\n"
		   "worker;main;work 4\n",
		   "*", .offcpu = 0);
}

/* The rule without --offcpu: off-CPU stacks alone weigh by time, in us;
 * with other stacked events everything counts one. */
static void test_offcpu_weight_rule(void **state)
{
	(void)state;
	static const struct {
		const char *file, *event;
		int offcpu;
		const char *want;
		int by_time;
	} cases[] = {
		{ "off.data", NULL, 0, "app;main;work 3000\napp;main;work;leaf 1000\n", 1 },
		{ "off.data", NULL, 1, "app;main;work 3000\napp;main;work;leaf 1000\n", 1 },
		{ "mixed.data", NULL, 0, "app;main;work 1\napp;main;work;leaf 6\n", 0 },
		{ "mixed.data", "offcpu", 0, "app;main;work 3000\napp;main;work;leaf 1000\n", 1 },
		{ "mixed.data", NULL, 1, "app;main;work 3000\napp;main;work;leaf 1000\n", 1 },
		{ "mixed.data", "sched:*", 0, "app;main;work;leaf 2\n", 0 },
		{ "tp.data", NULL, 0, "app;main;work;leaf 2\n", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stackprof_opts po = { .offcpu = cases[i].offcpu };
		struct warnings wn = { 0 };
		int by_time = -1;
		char *got = fold_file(cases[i].file, &po, cases[i].event, &wn, &by_time);
		assert_string_equal(got, cases[i].want);
		assert_int_equal(by_time, cases[i].by_time);
		assert_int_equal(wn.len, 0);
		free(got);
	}
}

/* Which traces are profiles (the default view of trec report). */
static void test_is_profile(void **state)
{
	(void)state;
	static const struct {
		const char *file, *event;
		int want;
	} cases[] = {
		{ "t.data", NULL, 1 },          { "off.data", NULL, 1 },         { "mixed.data", NULL, 1 },
		{ "mixed.data", "sched:*", 0 }, { "mixed.data", "offcpu", 1 }, { "tp.data", NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = scratch_path(cases[i].file);
		char *globs[] = { (char *)cases[i].event };
		struct evfilter_opts fo = { .events = globs, .nevents = cases[i].event ? 1 : 0,
					    .any = cases[i].event != NULL };
		struct source src;
		struct source_opts so = { .sz = sizeof(so), .filter = &fo };
		struct trec_err err = { 0 };
		assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
		assert_int_equal(stackprof_is_profile(&src.files[0]), cases[i].want);
		source_close(&src);
	}
}

static void test_errors(void **state)
{
	(void)state;
	const char *path = scratch_path("t.data");
	char *globs[] = { (char *)"sched:*" };
	struct evfilter_opts fo = { .events = globs, .nevents = 1, .any = 1 };
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = &fo };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
	struct stackprof_opts po = { .sz = sizeof(po) };
	struct stackprof *p;
	int read_error = 1;
	assert_int_equal(stackprof_new(&p, &src.files[0], &po, &read_error, &err), -EINVAL);
	assert_int_equal(read_error, 0);
	char want[512];
	snprintf(want, sizeof(want), "%s has no event type matching --event (it has: cpu-clock, offcpu)", path);
	assert_string_equal(err.msg, want);
	stackprof_free(p);
	source_close(&src);

	/* A stack id the file lacks: [unknown], and a warning through the callback. */
	const char *mpath = scratch_path("m.data");
	struct trec_writer *w = tg_open(mpath, schemas, 1);
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
	uint64_t one = 1;
	tg_event(w, 10, 0, 100, 100, T_CLOCK, 7, &one, 8);
	tg_close(w);
	assert_int_equal(source_open(&src, &mpath, 1, &(struct source_opts){ .sz = sizeof(so) }, &err), 0);
	struct warnings wn = { 0 };
	po = (struct stackprof_opts){ .sz = sizeof(po), .warn = warn, .warn_ctx = &wn };
	assert_int_equal(stackprof_new(&p, &src.files[0], &po, &read_error, &err), 0);
	struct pass_sink sink = stackprof_sink(p);
	assert_int_equal(pass_run(&src, &sink, 1, NULL, &err), 0);
	struct tbuf b;
	tbuf_init(&b);
	assert_int_equal(stackprof_fold(p, collect, &b, &err), 0);
	tbuf_put_u8(&b, 0);
	assert_string_equal((const char *)b.data, "app;[unknown] 1\n");
	tbuf_free(&b);
	stackprof_warnings(p);
	snprintf(want, sizeof(want), "1 events refer to stacks missing from %s; shown as [unknown]\n", mpath);
	assert_string_equal(wn.text, want);
	stackprof_free(p);
	source_close(&src);
}

static void test_top(void **state)
{
	(void)state;
	const char *path = scratch_path("t.data");
	struct source src;
	struct source_opts so = { .sz = sizeof(so) };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
	struct stackprof_opts po = { .sz = sizeof(po), .json = 1, .limit = 2 };
	struct stackprof *p;
	int read_error;
	assert_int_equal(stackprof_new(&p, &src.files[0], &po, &read_error, &err), 0);
	struct pass_sink sink = stackprof_sink(p);
	assert_int_equal(pass_run(&src, &sink, 1, NULL, &err), 0);
	assert_int_equal(stackprof_stacks(p), 5); /* (comm, pid, stack) aggregates */
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct outbuf ob;
	assert_int_equal(outbuf_init(&ob, f, 0), 0);
	assert_int_equal(stackprof_print_top(p, &ob, &err), 0);
	outbuf_flush(&ob);
	outbuf_free(&ob);
	fclose(f);
	/* 16 samples; app's 8 (50%): leaf the busiest self (6), main and
	 * work on all 8 of its stacks. */
	assert_non_null(strstr(mem, "\"unit\": \"samples\",\n  \"total\": 16,"));
	assert_non_null(strstr(mem, "\"comm\": \"app\",\n      \"pid\": 100,\n      \"total\": 8,\n"
				    "      \"percent\": 50,\n      \"by_self\": [\n        {\n"
				    "          \"symbol\": \"leaf\",\n          \"dso\": \"app\",\n"
				    "          \"kernel\": false,\n          \"self\": 6,"));
	assert_non_null(strstr(mem, "\"by_total\": [\n        {\n          \"symbol\": \"main\",\n"
				    "          \"dso\": \"app\",\n          \"kernel\": false,\n"
				    "          \"self\": 0,\n          \"total\": 8,"));
	free(mem);
	stackprof_free(p);
	source_close(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_offcpu_and_events),
		cmocka_unit_test(test_offcpu_weight_rule),
		cmocka_unit_test(test_is_profile),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_top),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
