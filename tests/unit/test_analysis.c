/* SPDX-License-Identifier: MIT */
/* The report's analysis pieces on their own: histogram buckets and
 * percentiles (against exact values), linear buckets and merging, the
 * result table's sorting, text width and CSV quoting, and the filter
 * options' parsing (lists, CPU ranges, time windows, bad input). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_args.h"
#include "hist.h"
#include "table.h"

static char *render(void (*fn)(struct outbuf *, const void *), const void *arg)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	assert_non_null(f);
	struct outbuf o;
	assert_int_equal(outbuf_init(&o, f, 64), 0);
	fn(&o, arg);
	outbuf_flush(&o);
	outbuf_free(&o);
	fclose(f);
	return mem;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void test_log2_buckets(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h, 0);
	int64_t v[] = { 0, 1, 2, 3, 4, 7, 8, 1000, 1023, 1024, -5 };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		hist_add(&h, v[i]);
	assert_int_equal(h.count, 11);
	assert_int_equal(h.negative, 1);
	assert_int_equal(h.min, -5);
	assert_int_equal(h.max, 1024);
	/* [0] = 0, [k] = 2^(k-1) .. 2^k - 1 */
	assert_int_equal(h.log2[0], 1);
	assert_int_equal(h.log2[1], 1);
	assert_int_equal(h.log2[2], 2);
	assert_int_equal(h.log2[3], 2);
	assert_int_equal(h.log2[4], 1);
	assert_int_equal(h.log2[10], 2);
	assert_int_equal(h.log2[11], 1);
	struct hist_bucket b[65];
	size_t n = hist_buckets(&h, b, 65);
	assert_int_equal(n, 12); /* from bucket 0 to bucket 11, empty ones inside */
	assert_int_equal(b[11].lo, 1024);
	assert_int_equal(b[11].hi, 2047);
	assert_int_equal(b[11].count, 1);
	hist_free(&h);
}

/* Percentiles against the exact order statistic: within 1/32 above it,
 * never below, never above the maximum. */
static void test_percentiles(void **state)
{
	(void)state;
	enum { N = 20000 };
	int64_t *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	struct hist h;
	hist_init(&h, 0);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* spread over many powers of two */
		v[i] = (int64_t)((x >> 40) >> (x % 20));
		hist_add(&h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_i64);
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 100 };
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t rank = (uint64_t)(ps[k] / 100.0 * N + 0.5);
		if (rank < 1)
			rank = 1;
		int64_t exact = v[rank - 1], got = hist_percentile(&h, ps[k]);
		if (got < exact || (double)got > (double)exact * (1 + 1.0 / 32) + 1 || got > h.max)
			fail_msg("p%g: got %lld, exact %lld", ps[k], (long long)got, (long long)exact);
	}
	assert_int_equal(hist_percentile(&h, 100), v[N - 1]);
	free(v);
	hist_free(&h);
}

static void test_linear_and_merge(void **state)
{
	(void)state;
	struct hist a, b;
	hist_init(&a, 10);
	hist_init(&b, 10);
	hist_add(&a, 5);
	hist_add(&a, 15);
	hist_add(&a, -1);
	hist_add(&b, 15);
	hist_add(&b, 95);
	assert_int_equal(hist_merge(&a, &b), 0);
	struct hist_bucket bk[32];
	size_t n = hist_buckets(&a, bk, 32);
	assert_int_equal(bk[0].lo, -10);
	assert_int_equal(bk[0].count, 1);
	assert_int_equal(n, 11); /* -10 .. 99 */
	assert_int_equal(bk[1].lo, 0);
	assert_int_equal(bk[1].count, 1);
	assert_int_equal(bk[2].lo, 10);
	assert_int_equal(bk[2].hi, 19);
	assert_int_equal(bk[2].count, 2);
	assert_int_equal(bk[10].lo, 90);
	assert_int_equal(bk[10].count, 1);
	assert_int_equal(a.count, 5);
	assert_int_equal(a.max, 95);
	/* a value too far from the others is counted, not bucketed */
	hist_add(&a, (int64_t)HIST_MAX_LINEAR * 20);
	assert_int_equal(a.lin_out, 1);
	hist_free(&a);
	hist_free(&b);
}

static void table_text(struct outbuf *o, const void *t)
{
	table_print_text(t, o, 40);
}

static void table_csv(struct outbuf *o, const void *t)
{
	table_print_csv(t, o);
}

static void test_table(void **state)
{
	(void)state;
	struct table t;
	table_init(&t);
	int name = table_col(&t, "name", TABLE_STR, 0);
	int n = table_col(&t, "n", TABLE_U64, 0);
	int z = table_col(&t, "zero", TABLE_U64, 0);
	int opt = table_col(&t, "a_rather_long_optional_column", TABLE_U64, 0);
	table_text_flags(&t, z, TABLE_TEXT_NONZERO);
	table_text_flags(&t, opt, TABLE_TEXT_OPTIONAL);
	const char *names[] = { "b", "a,\"quoted\"", "c" };
	uint64_t vals[] = { 5, 5, 9 };
	for (int i = 0; i < 3; i++) {
		size_t r = table_row(&t);
		table_set_str(&t, r, (size_t)name, names[i]);
		table_set_u64(&t, r, (size_t)n, vals[i]);
		table_set_u64(&t, r, (size_t)opt, 1);
	}
	int cols[2] = { n, name }, asc[2] = { 0, 0 };
	table_sort(&t, cols, asc, 2);
	char *csv = render(table_csv, &t);
	assert_string_equal(csv, "name,n,zero,a_rather_long_optional_column\n"
				 "c,9,0,1\n"
				 "\"a,\"\"quoted\"\"\",5,0,1\n"
				 "b,5,0,1\n");
	free(csv);
	char *text = render(table_text, &t);
	/* 40 columns: the all-zero column and the optional one are left out */
	assert_string_equal(text, "name        n\n"
				  "c           9\n"
				  "a,\"quoted\"  5\n"
				  "b           5\n"
				  "(1 more column in --json and --csv)\n");
	free(text);
	table_free(&t);
}

static const struct cli_cmd test_cmd = { .name = "test", .synopsis = "", .summary = "", .options = "" };

static void test_filter_parse(void **state)
{
	(void)state;
	struct evfilter_opts o = { 0 };
	assert_int_equal(evfilter_parse(&o, &test_cmd, EVF_OPT_PID, "1,2"), 0);
	assert_int_equal(evfilter_parse(&o, &test_cmd, EVF_OPT_PID, "3"), 0);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[2], 3);
	assert_int_equal(evfilter_parse(&o, &test_cmd, EVF_OPT_CPU, "0-2,7"), 0);
	assert_true(o.cpus[0] && o.cpus[1] && o.cpus[2] && !o.cpus[3] && o.cpus[7]);
	assert_int_equal(evfilter_parse(&o, &test_cmd, EVF_OPT_TIME, "1.5,3"), 0);
	assert_true(o.start.set && !o.start.wall && o.start.ns == 1500000000ull);
	assert_true(o.end.set && o.end.ns == 3000000000ull);
	assert_int_equal(evfilter_parse(&o, &test_cmd, EVF_OPT_TIME, ",0.25"), 0);
	assert_true(!o.start.set && o.end.ns == 250000000ull);
	assert_int_equal(evfilter_parse(&o, &test_cmd, EVF_OPT_TIME, "10:00:01.5,"), 0);
	assert_true(o.start.wall == 2 && o.start.ns == 36001500000000ull && !o.end.set);
	/* bad input: usage errors, never a crash */
	static const struct {
		int opt;
		const char *arg;
	} bad[] = {
		{ EVF_OPT_PID, "" },	      { EVF_OPT_PID, "1,,2" },     { EVF_OPT_PID, "x" },
		{ EVF_OPT_PID, "99999999999" }, { EVF_OPT_CPU, "3-1" },      { EVF_OPT_CPU, "9999999" },
		{ EVF_OPT_TIME, "3,1" },      { EVF_OPT_TIME, "," },       { EVF_OPT_TIME, "25:00:00," },
		{ EVF_OPT_TIME, "1e9," },     { EVF_OPT_TIME, "2026-13-01T00:00:00," },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (evfilter_parse(&o, &test_cmd, bad[i].opt, bad[i].arg) != CLI_EXIT_USAGE)
			fail_msg("'%s' was accepted", bad[i].arg);
	evfilter_opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_buckets),    cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_linear_and_merge), cmocka_unit_test(test_table),
		cmocka_unit_test(test_filter_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
