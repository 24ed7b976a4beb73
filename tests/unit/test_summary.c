/* SPDX-License-Identifier: MIT */
/* The summary engine (report/summary.h) driven directly, without argv:
 * a hand-made trace through the source and one pass, and the exact group
 * table it builds per --by key, with filters, several traces, and other
 * sinks sharing the pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pass.h"
#include "scratch.h"
#include "source.h"
#include "summary.h"
#include "table.h"
#include "tabcheck.h"
#include "tracegen.h"
#include "writer.h"

enum { T_ENTER = 1, T_CLOCK = 2, T_OFFCPU = 3, T_SWITCH = 4 };

static const struct trec_field f_enter[] = { { "id", "long", TREC_F_INT, 0, 0, 8, 1 } };
static const struct trec_field f_clock[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_field f_offcpu[] = { { "delta_ns", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_field f_switch[] = { { "prev_pid", "pid_t", TREC_F_INT, 0, 0, 8, 1 } };
static const struct trec_schema schemas[] = {
	{ T_ENTER, "raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_enter", 0, 8, 1, f_enter },
	{ T_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1, f_clock },
	{ T_OFFCPU, "offcpu", "trec:offcpu", 0, 8, 1, f_offcpu },
	{ T_SWITCH, "sched:sched_switch", "tracepoint:sched:sched_switch", 0, 8, 1, f_switch },
};

static void ev(struct trec_writer *w, uint64_t ts, uint32_t cpu, uint32_t pid, uint32_t tid, uint32_t type,
	       uint64_t value)
{
	tg_event(w, ts, cpu, pid, tid, type, 0, &value, 8);
}

/*
 *   pid 100 "app":  tid 100: 3 enters, 2 samples, 1 ms off-CPU
 *                   tid 101 "app-worker": 2 enters, 2 samples, 0.5 ms off-CPU
 *   pid 200 "db":   1 enter, 3 samples (CPU 1)
 *   pid 300 "old", renamed "new" at 500: a sample before, one after, a switch
 */
static void write_trace(const char *path, const char *host)
{
	struct trec_writer *w = tg_open(path, schemas, 4);
	if (host)
		tg_meta(w, "host.name", host);
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 101, "app-worker");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 200, 200, "db");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 300, 300, "old");
	tg_task(w, TREC_TASK_COMM, 500, 300, 300, "new");
	for (uint64_t i = 0; i < 3; i++)
		ev(w, 10 + i, 0, 100, 100, T_ENTER, 0);
	ev(w, 13, 0, 100, 100, T_CLOCK, 1);
	ev(w, 14, 0, 100, 100, T_CLOCK, 1);
	ev(w, 15, 0, 100, 100, T_OFFCPU, 1000000);
	ev(w, 20, 0, 100, 101, T_ENTER, 1);
	ev(w, 21, 0, 100, 101, T_ENTER, 1);
	ev(w, 22, 0, 100, 101, T_CLOCK, 1);
	ev(w, 23, 0, 100, 101, T_CLOCK, 1);
	ev(w, 24, 0, 100, 101, T_OFFCPU, 500000);
	ev(w, 30, 1, 200, 200, T_ENTER, 3);
	for (uint64_t i = 0; i < 3; i++)
		ev(w, 31 + i, 1, 200, 200, T_CLOCK, 1);
	ev(w, 100, 0, 300, 300, T_CLOCK, 1);
	ev(w, 600, 0, 300, 300, T_CLOCK, 1);
	ev(w, 700, 0, 300, 300, T_SWITCH, 300);
	tg_close(w);
}

static int setup(void **state)
{
	(void)state;
	scratch_make("summary");
	write_trace(scratch_path("a.data"), "alpha");
	write_trace(scratch_path("b.data"), "beta");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

/* ---- helpers ------------------------------------------------------------------------------ */

static double f64(const struct table *t, size_t r, const char *name)
{
	return t->cells[r * t->ncols + (size_t)tab_col(t, name)].f;
}

/* The summary of `n` traces grouped by `by`, into t. */
static void summarize(const char *const *paths, size_t n, enum group_by by, const struct evfilter_opts *fo,
		      struct table *t)
{
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = fo };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, paths, n, &so, &err), 0);
	struct summary *s;
	assert_int_equal(summary_new(&s, by, n > 1), 0);
	struct pass_sink sink = summary_sink(s);
	assert_int_equal(pass_run(&src, &sink, 1, NULL, &err), 0);
	table_init(t);
	assert_int_equal(summary_table(s, t, NULL, UINT32_MAX, &err), 0);
	summary_free(s);
	source_close(&src);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_by_pid(void **state)
{
	(void)state;
	const char *p = scratch_path("a.data");
	struct table t;
	summarize(&p, 1, BY_PID, NULL, &t);
	assert_int_equal(t.nrows, 3);
	/* Busiest first; named by the comm at their last event. */
	assert_int_equal(tab_u64(&t, 0, "pid"), 100);
	assert_string_equal(tab_str(&t, 0, "comm"), "app");
	assert_int_equal(tab_u64(&t, 0, "events"), 11);
	assert_int_equal(tab_u64(&t, 0, "samples"), 4);
	assert_int_equal(tab_u64(&t, 0, "syscalls"), 5);
	assert_true(f64(&t, 0, "offcpu_ms") == 1.5);
	assert_int_equal(tab_u64(&t, 0, "cpu-clock"), 4);
	assert_int_equal(tab_u64(&t, 0, "raw_syscalls:sys_enter"), 5);
	assert_int_equal(tab_u64(&t, 0, "offcpu"), 2);
	assert_int_equal(tab_u64(&t, 0, "sched:sched_switch"), 0);
	assert_int_equal(tab_u64(&t, 1, "pid"), 200);
	assert_string_equal(tab_str(&t, 1, "comm"), "db");
	assert_int_equal(tab_u64(&t, 1, "events"), 4);
	assert_int_equal(tab_u64(&t, 1, "samples"), 3);
	assert_int_equal(tab_u64(&t, 1, "syscalls"), 1);
	assert_true(f64(&t, 1, "offcpu_ms") == 0);
	assert_int_equal(tab_u64(&t, 2, "pid"), 300);
	assert_string_equal(tab_str(&t, 2, "comm"), "new"); /* after the rename */
	assert_int_equal(tab_u64(&t, 2, "events"), 3);
	assert_int_equal(tab_u64(&t, 2, "sched:sched_switch"), 1);
	/* Type columns: busiest type first. */
	int c = tab_col(&t, "syscalls");
	assert_string_equal(t.col[c + 1].name, "cpu-clock");
	assert_string_equal(t.col[c + 2].name, "raw_syscalls:sys_enter");
	assert_string_equal(t.col[c + 3].name, "offcpu");
	assert_string_equal(t.col[c + 4].name, "sched:sched_switch");
	assert_int_equal(t.ncols, (size_t)c + 5);
	table_free(&t);
}

static void test_by_tid_comm_cpu_event(void **state)
{
	(void)state;
	const char *p = scratch_path("a.data");
	struct table t;
	summarize(&p, 1, BY_TID, NULL, &t);
	assert_int_equal(t.nrows, 4);
	static const uint64_t tids[] = { 100, 101, 200, 300 }, events[] = { 6, 5, 4, 3 };
	static const char *const comms[] = { "app", "app-worker", "db", "new" };
	for (size_t r = 0; r < 4; r++) {
		assert_int_equal(tab_u64(&t, r, "tid"), tids[r]);
		assert_int_equal(tab_u64(&t, r, "events"), events[r]);
		assert_string_equal(tab_str(&t, r, "comm"), comms[r]);
	}
	assert_int_equal(tab_u64(&t, 1, "pid"), 100);
	table_free(&t);

	summarize(&p, 1, BY_COMM, NULL, &t);
	/* By the comm at each event: pid 300's sample before the rename is "old". */
	assert_int_equal(t.nrows, 5);
	assert_string_equal(tab_str(&t, 0, "comm"), "app");
	assert_int_equal(tab_u64(&t, 0, "events"), 6);
	assert_string_equal(tab_str(&t, 1, "comm"), "app-worker");
	assert_string_equal(tab_str(&t, 2, "comm"), "db");
	assert_string_equal(tab_str(&t, 3, "comm"), "new");
	assert_int_equal(tab_u64(&t, 3, "events"), 2);
	assert_string_equal(tab_str(&t, 4, "comm"), "old");
	assert_int_equal(tab_u64(&t, 4, "events"), 1);
	table_free(&t);

	summarize(&p, 1, BY_CPU, NULL, &t);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(tab_u64(&t, 0, "cpu"), 0);
	assert_int_equal(tab_u64(&t, 0, "events"), 14);
	assert_int_equal(tab_u64(&t, 1, "cpu"), 1);
	assert_int_equal(tab_u64(&t, 1, "events"), 4);
	table_free(&t);

	summarize(&p, 1, BY_EVENT, NULL, &t);
	assert_int_equal(t.nrows, 4);
	assert_string_equal(tab_str(&t, 0, "event"), "cpu-clock");
	assert_int_equal(tab_u64(&t, 0, "events"), 9);
	assert_int_equal(tab_u64(&t, 0, "samples"), 9);
	assert_string_equal(tab_str(&t, 1, "event"), "raw_syscalls:sys_enter");
	assert_int_equal(tab_u64(&t, 1, "syscalls"), 6);
	assert_string_equal(tab_str(&t, 2, "event"), "offcpu");
	assert_true(f64(&t, 2, "offcpu_ms") == 1.5);
	assert_string_equal(tab_str(&t, 3, "event"), "sched:sched_switch");
	table_free(&t);
}

static void test_filters(void **state)
{
	(void)state;
	const char *p = scratch_path("a.data");
	struct table t;
	uint32_t pid = 200;
	struct evfilter_opts fo = { .pids = &pid, .npids = 1, .any = 1 };
	summarize(&p, 1, BY_PID, &fo, &t);
	assert_int_equal(t.nrows, 1);
	assert_int_equal(tab_u64(&t, 0, "pid"), 200);
	assert_int_equal(tab_u64(&t, 0, "events"), 4);
	table_free(&t);

	char *globs[] = { (char *)"app*" };
	struct evfilter_opts fc = { .comms = globs, .ncomms = 1, .any = 1 };
	summarize(&p, 1, BY_TID, &fc, &t);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(tab_u64(&t, 0, "events") + tab_u64(&t, 1, "events"), 11);
	table_free(&t);

	/* --time 0.00000002,0.0000001 (relative to the first event at 10 ns): 30..110 */
	struct evfilter_opts ft = { .start = { .set = 1, .ns = 20 }, .end = { .set = 1, .ns = 100 }, .any = 1 };
	summarize(&p, 1, BY_PID, &ft, &t);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(tab_u64(&t, 0, "pid"), 200);
	assert_int_equal(tab_u64(&t, 0, "events"), 4);
	assert_int_equal(tab_u64(&t, 1, "pid"), 300);
	assert_int_equal(tab_u64(&t, 1, "events"), 1);
	table_free(&t);

	char *evs[] = { (char *)"raw_*" };
	struct evfilter_opts fe = { .events = evs, .nevents = 1, .any = 1 };
	summarize(&p, 1, BY_EVENT, &fe, &t);
	assert_int_equal(t.nrows, 1);
	assert_int_equal(tab_u64(&t, 0, "events"), 6);
	table_free(&t);
}

static void test_fleet(void **state)
{
	(void)state;
	const char *p[] = { scratch_path("a.data"), scratch_path("b.data") };
	struct table t;
	summarize(p, 2, BY_PID, NULL, &t);
	/* Same pids on two hosts: two rows each, the host naming them. */
	assert_int_equal(t.nrows, 6);
	assert_int_equal(tab_u64(&t, 0, "pid"), 100);
	assert_string_equal(tab_str(&t, 0, "host"), "alpha");
	assert_int_equal(tab_u64(&t, 1, "pid"), 100);
	assert_string_equal(tab_str(&t, 1, "host"), "beta");
	assert_int_equal(tab_u64(&t, 1, "events"), 11);
	table_free(&t);

	/* A comm means the same program on every host: one row. */
	summarize(p, 2, BY_COMM, NULL, &t);
	assert_int_equal(t.nrows, 5);
	assert_int_equal(tab_u64(&t, 0, "events"), 12);
	table_free(&t);
}

/* Counts what the pass hands it: another view sharing the summary's pass. */
struct counter {
	uint64_t events, files;
};

static int count_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	(void)f, (void)need, (void)ordered, (void)err;
	((struct counter *)ctx)->files++;
	return 1;
}

static int count_event(void *ctx, struct rfile *f, const struct trec_event *e, struct trec_err *err)
{
	(void)f, (void)e, (void)err;
	((struct counter *)ctx)->events++;
	return 0;
}

static int count_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	(void)ctx, (void)f, (void)err;
	return 0;
}

static void test_one_pass_several_sinks(void **state)
{
	(void)state;
	const char *p[] = { scratch_path("a.data"), scratch_path("b.data") };
	struct source src;
	struct source_opts so = { .sz = sizeof(so) };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, p, 2, &so, &err), 0);
	struct summary *s;
	assert_int_equal(summary_new(&s, BY_PID, 1), 0);
	struct counter c = { 0 };
	struct pass_sink sinks[] = {
		summary_sink(s),
		{ .ctx = &c, .begin = count_begin, .event = count_event, .end = count_end },
	};
	assert_int_equal(pass_run(&src, sinks, 2, NULL, &err), 0);
	assert_int_equal(c.files, 2);
	assert_int_equal(c.events, 36);
	struct trec_reader_stats st;
	trec_reader_stats(src.files[0].r, &st);
	assert_int_equal(st.events_decoded, 18); /* each event decoded once for both views */

	struct table t;
	table_init(&t);
	assert_int_equal(summary_table(s, &t, "nope", UINT32_MAX, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--sort nope: no such column (columns: host, pid, comm, events"));
	table_free(&t);
	summary_free(s);
	source_close(&src);
}

static void test_source_errors(void **state)
{
	(void)state;
	const char *p[] = { scratch_path("a.data"), scratch_path("missing.data") };
	struct source src;
	struct source_opts so = { .sz = sizeof(so) };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, p, 2, &so, &err), -ENOENT);
	assert_int_equal(src.n, 2);
	assert_int_equal(src.err_at, SOURCE_AT_OPEN);
	assert_string_equal(src.err_path, p[1]);
	source_close(&src);

	/* A wall-clock --time on a trace without the clock offset. */
	struct evfilter_opts ft = { .start = { .set = 1, .wall = 1, .ns = 1 }, .any = 1 };
	so.filter = &ft;
	memset(&err, 0, sizeof(err));
	assert_int_equal(source_open(&src, p, 1, &so, &err), -ENOENT);
	assert_int_equal(src.err_at, SOURCE_AT_NONE);
	assert_non_null(strstr(err.msg, "does not record its wall-clock offset"));
	source_close(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_pid),
		cmocka_unit_test(test_by_tid_comm_cpu_event),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_fleet),
		cmocka_unit_test(test_one_pass_several_sinks),
		cmocka_unit_test(test_source_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
