/* SPDX-License-Identifier: MIT */
/* The latency engine (report/latency.h) driven directly, without argv: a
 * hand-made trace through the source and one pass, and the exact rows,
 * histogram buckets and unpaired counts of syscalls, pairs by thread
 * (nested), pairs by a key field and --hist values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "latency.h"
#include "pass.h"
#include "scratch.h"
#include "source.h"
#include "table.h"
#include "tabcheck.h"
#include "tracegen.h"
#include "writer.h"

enum { T_ENTER = 1, T_EXIT = 2, T_START = 3, T_END = 4 };

static const struct trec_field f_enter[] = { { "id", "long", TREC_F_INT, 0, 0, 8, 1 } };
static const struct trec_field f_exit[] = {
	{ "id", "long", TREC_F_INT, 0, 0, 8, 1 },
	{ "ret", "long", TREC_F_INT, 0, 8, 8, 1 },
};
static const struct trec_field f_req[] = { { "req", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema schemas[] = {
	{ T_ENTER, "raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_enter", 0, 8, 1, f_enter },
	{ T_EXIT, "raw_syscalls:sys_exit", "tracepoint:raw_syscalls:sys_exit", 0, 16, 2, f_exit },
	{ T_START, "app:start", "usdt:app:start", 0, 8, 1, f_req },
	{ T_END, "app:end", "usdt:app:end", 0, 8, 1, f_req },
};

static void sys(struct trec_writer *w, uint64_t ts, uint32_t tid, int exit, int64_t id)
{
	uint64_t v[2] = { (uint64_t)id, 0 };
	tg_event_u64(w, ts, 100, tid, exit ? T_EXIT : T_ENTER, 0, v, exit ? 2 : 1);
}

static void app(struct trec_writer *w, uint64_t ts, uint32_t tid, int end, uint64_t req)
{
	tg_event_u64(w, ts, 200, tid, end ? T_END : T_START, 0, &req, 1);
}

static int setup(void **state)
{
	(void)state;
	scratch_make("latency");
	struct trec_writer *w = tg_open(scratch_path("t.data"), schemas, 4);
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 101, "app");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 200, 200, "srv");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 200, 201, "srv");
	/* tid 100: call 0 for 5 us and 3 us, call 1 for 100 us */
	sys(w, 1000, 100, 0, 0);
	sys(w, 6000, 100, 1, 0);
	sys(w, 10000, 100, 0, 0);
	sys(w, 13000, 100, 1, 0);
	sys(w, 20000, 100, 0, 1);
	sys(w, 120000, 100, 1, 1);
	/* tid 101: an exit without its enter, an enter whose exit is another
	 * call's, and an enter still open at the end */
	sys(w, 130000, 101, 1, 0);
	sys(w, 140000, 101, 0, 0);
	sys(w, 141000, 101, 1, 1);
	sys(w, 150000, 101, 0, 1);
	/* tid 200: nested start/end pairs (20 ns inside 100 ns), req 7 */
	app(w, 200000, 200, 0, 7);
	app(w, 200010, 200, 0, 7);
	app(w, 200030, 200, 1, 7);
	app(w, 200100, 200, 1, 7);
	/* requests 1 and 2 across threads, ending out of order: 50 and 15 ns */
	app(w, 300000, 200, 0, 1);
	app(w, 300005, 201, 0, 2);
	app(w, 300020, 200, 1, 2);
	app(w, 300050, 201, 1, 1);
	tg_close(w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

/* Checks a histogram's buckets: n triples lo, hi, count. */
static void buckets(const struct hist *h, size_t n, const int64_t *want)
{
	assert_non_null(h);
	struct hist_bucket b[64];
	assert_int_equal(hist_buckets(h, b, 64), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(b[i].lo, want[3 * i]);
		assert_int_equal(b[i].hi, want[3 * i + 1]);
		assert_int_equal(b[i].count, (uint64_t)want[3 * i + 2]);
	}
}

struct run {
	struct source src;
	struct latency *l;
	struct table t;
};

static void run(struct run *r, const struct latency_opts *o)
{
	const char *path = scratch_path("t.data");
	struct source_opts so = { .sz = sizeof(so) };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&r->src, &path, 1, &so, &err), 0);
	assert_int_equal(latency_new(&r->l, o, &err), 0);
	struct pass_sink sink = latency_sink(r->l);
	assert_int_equal(pass_run(&r->src, &sink, 1, NULL, &err), 0);
	assert_true(latency_found(r->l));
	table_init(&r->t);
	assert_int_equal(latency_table(r->l, &r->t), 0);
}

static void done(struct run *r)
{
	table_free(&r->t);
	latency_free(r->l);
	source_close(&r->src);
}

static void test_syscalls(void **state)
{
	(void)state;
	struct latency_opts o = { .spec = "syscalls", .by = -1, .unit_ns = 1000, .unit = "usecs" };
	struct run r;
	run(&r, &o);
	/* No "machine" in the trace: calls are named by number. Biggest total first. */
	assert_int_equal(r.t.nrows, 2);
	assert_string_equal(tab_str(&r.t, 0, "name"), "syscall_1");
	assert_int_equal(tab_u64(&r.t, 0, "count"), 1);
	assert_int_equal(tab_u64(&r.t, 0, "max"), 100);
	assert_int_equal(tab_u64(&r.t, 0, "total"), 100);
	buckets(latency_row_hist(r.l, &r.t, 0), 1, (const int64_t[]){ 64, 127, 1 });
	assert_string_equal(tab_str(&r.t, 1, "name"), "syscall_0");
	assert_int_equal(tab_u64(&r.t, 1, "count"), 2);
	assert_int_equal(tab_u64(&r.t, 1, "max"), 5);
	assert_int_equal(tab_u64(&r.t, 1, "total"), 8);
	assert_true(r.t.cells[1 * r.t.ncols + (size_t)tab_col(&r.t, "mean")].f == 4.0);
	buckets(latency_row_hist(r.l, &r.t, 1), 2, (const int64_t[]){ 2, 3, 1, 4, 7, 1 });
	uint64_t us, ue, deep;
	latency_unmatched(r.l, &us, &ue, &deep);
	assert_int_equal(us, 2); /* the mismatched enter, the one still open */
	assert_int_equal(ue, 2); /* the lone exit, the mismatched exit */
	assert_int_equal(deep, 0);
	char label[128];
	latency_row_label(r.l, &r.t, 1, label, sizeof(label));
	assert_string_equal(label, "syscall_0");
	done(&r);

	/* --by pid: the same rows, named by their process. */
	o.by = BY_PID;
	run(&r, &o);
	assert_int_equal(r.t.nrows, 2);
	assert_int_equal(tab_u64(&r.t, 0, "pid"), 100);
	assert_string_equal(tab_str(&r.t, 0, "comm"), "app");
	latency_row_label(r.l, &r.t, 1, label, sizeof(label));
	assert_string_equal(label, "app pid 100: syscall_0");
	done(&r);
}

static void test_pairs(void **state)
{
	(void)state;
	/* By thread: each end closes the latest start (nesting); the keyed
	 * requests cross threads, so by thread they pair wrongly: 20 and 45. */
	struct latency_opts o = { .spec = "app:start,app:end", .by = -1, .unit_ns = 1, .unit = "nsecs" };
	struct run r;
	run(&r, &o);
	assert_int_equal(r.t.nrows, 1);
	assert_string_equal(tab_str(&r.t, 0, "name"), "app:start -> app:end");
	assert_int_equal(tab_u64(&r.t, 0, "count"), 4);
	assert_int_equal(tab_u64(&r.t, 0, "total"), 20 + 100 + 20 + 45);
	assert_int_equal(tab_u64(&r.t, 0, "max"), 100);
	buckets(latency_row_hist(r.l, &r.t, 0), 3,
		(const int64_t[]){ 16, 31, 2, 32, 63, 1, 64, 127, 1 });
	done(&r);

	/* By the req field: 1 took 50 ns, 2 took 15 ns. Keyed pairs do not
	 * nest: the second start of req 7 replaces the first (unpaired), its
	 * end pairs with it (20 ns) and the last end finds no start. */
	o.spec = "app:start,app:end,key=req";
	run(&r, &o);
	assert_int_equal(r.t.nrows, 1);
	assert_int_equal(tab_u64(&r.t, 0, "count"), 3);
	assert_int_equal(tab_u64(&r.t, 0, "total"), 20 + 50 + 15);
	uint64_t us, ue, deep;
	latency_unmatched(r.l, &us, &ue, &deep);
	assert_int_equal(us, 1);
	assert_int_equal(ue, 1);
	done(&r);

	/* Linear buckets 50 wide. */
	o.spec = "app:start,app:end";
	o.linear_step = 50;
	run(&r, &o);
	buckets(latency_row_hist(r.l, &r.t, 0), 3, (const int64_t[]){ 0, 49, 3, 50, 99, 0, 100, 149, 1 });
	done(&r);
}

static void test_field_values(void **state)
{
	(void)state;
	struct latency_opts o = { .field_spec = "app:end:req", .by = BY_TID, .unit_ns = 1, .unit = "req" };
	struct run r;
	run(&r, &o);
	/* tid 200: 7, 7, 2; tid 201: 1 */
	assert_int_equal(r.t.nrows, 2);
	assert_int_equal(tab_u64(&r.t, 0, "tid"), 200);
	assert_int_equal(tab_u64(&r.t, 0, "count"), 3);
	assert_int_equal(tab_u64(&r.t, 0, "total"), 16);
	buckets(latency_row_hist(r.l, &r.t, 0), 2, (const int64_t[]){ 2, 3, 1, 4, 7, 2 });
	assert_int_equal(tab_u64(&r.t, 1, "tid"), 201);
	assert_int_equal(tab_u64(&r.t, 1, "total"), 1);
	done(&r);
}

static void test_bad_specs(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *field, *msg;
	} bad[] = {
		{ "nope", NULL, "--latency nope: expected syscalls, runq, block, u:PATH:FUNC, or" },
		{ "u:libc", NULL, "--latency u:libc: expected u:PATH:FUNC" },
		{ "a,b,c", NULL, "--latency a,b,c: the third part should be key=FIELD" },
		{ NULL, "nofield", "--hist nofield: expected EVENT:FIELD" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct latency_opts o = { .spec = bad[i].spec, .field_spec = bad[i].field, .by = -1, .unit_ns = 1 };
		struct latency *l;
		struct trec_err err = { 0 };
		assert_int_equal(latency_new(&l, &o, &err), -EINVAL);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s: got '%s'", bad[i].msg, err.msg);
		latency_free(l);
	}

	/* A spec whose events the trace lacks: nothing found, no error. */
	const char *path = scratch_path("t.data");
	struct source src;
	struct source_opts so = { .sz = sizeof(so) };
	struct trec_err err = { 0 };
	assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
	struct latency_opts o = { .spec = "runq", .by = -1, .unit_ns = 1000 };
	struct latency *l;
	assert_int_equal(latency_new(&l, &o, &err), 0);
	struct pass_sink sink = latency_sink(l);
	assert_int_equal(pass_run(&src, &sink, 1, NULL, &err), 0);
	assert_false(latency_found(l));
	latency_free(l);
	source_close(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscalls),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_bad_specs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
