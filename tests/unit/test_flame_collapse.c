/* SPDX-License-Identifier: MIT */
/* perf script -> folded stacks (flamegraph/collapse_perf.c): the line
 * rules one at a time. Whole perf script files of several shapes, with
 * the expected folded output per option, are in tests/e2e/flamegraph.t. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collapse_perf.h"

/* The folded output, "stack count\n" per line, as one string. */
struct out {
	char buf[8192];
	size_t len;
	int stop_after; /* emit returns 1 after this many lines (0: never) */
	int lines;
};

static int collect(void *ctx, const char *stack, size_t len, uint64_t count)
{
	struct out *o = ctx;
	o->len += (size_t)snprintf(o->buf + o->len, sizeof(o->buf) - o->len, "%.*s %llu\n", (int)len,
				   stack, (unsigned long long)count);
	o->lines++;
	return o->stop_after && o->lines >= o->stop_after;
}

/* Collapses `text` (lines split at '\n') with opts; returns the output. */
static const char *collapse(const char *text, const struct perf_collapse_opts *opts,
			    struct perf_collapse_stats *st)
{
	static struct out o;
	struct perf_collapse *c;
	struct trec_err err = { 0 };
	assert_int_equal(perf_collapse_new(&c, opts, &err), 0);
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		assert_int_equal(perf_collapse_line(c, p, n), 0);
		p += n + (nl ? 1 : 0);
	}
	assert_int_equal(perf_collapse_end(c), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(perf_collapse_emit(c, collect, &o), 0);
	if (st)
		perf_collapse_get_stats(c, st);
	perf_collapse_free(c);
	return o.buf;
}

static void test_headers(void **state)
{
	struct perf_collapse_stats st;
	/* One-letter comm; a sample closed by the next header rather than a
	 * blank line; '#' lines; a frame before any header. */
	const char *in = "# ========\n"
			 "# cmdline : perf record -g\n"
			 "\t1234 orphan+0x1 (/bin/x)\n"
			 "a 5 [000] 1.000000: cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "a 5 [000] 1.000100: cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "\t2000 main+0x1 (/bin/a)\n";
	assert_string_equal(collapse(in, NULL, &st), "a;f 1\na;main;f 1\n");
	assert_true(st.samples == 2 && st.kept == 2 && st.unrecognized == 0);
	assert_string_equal(st.event, "cpu-clock");

	/* Comms with spaces; PID/TID; a sample with no frames. The comm ends
	 * at the first " NUMBER " field, as in stackcollapse-perf.pl: a comm
	 * that itself ends in " 2" is cut there. */
	in = "Web Content 2 77/78 [001] 2.0: 1 cycles: \n"
	     "\n"
	     "x1 9/9 2.0: cycles: \n"
	     "\tab g (/lib/g.so)\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .with_tid = 1 };
	assert_string_equal(collapse(in, &o, &st), "Web_Content-?/2 1\nx1-9/9;g 1\n");
}

static void test_unrecognized(void **state)
{
	struct perf_collapse_stats st;
	const char *in = "app 1 1.0: cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "\tnot a frame line\n"
			 "   \n"
			 "\t1001 g (/bin/a)\n"
			 "\n";
	/* A blank-looking line of spaces is not the end of the sample. */
	assert_string_equal(collapse(in, NULL, &st), "app;g;f 1\n");
	assert_true(st.unrecognized == 2 && st.first_unrecognized == 3);
	assert_true(st.lines == 6);
}

static void test_symbol_rules(void **state)
{
	const char *in = "app 1 1.0: cpu-clock: \n"
			 "\t1 f+0x1A (/bin/a)\n"                /* uppercase: not perf's offset */
			 "\t2 g+0x1a (/bin/a)\n"
			 "\t3 (app) (/bin/a)\n"                 /* a process name: dropped */
			 "\t4 ns::h(int, char const*) const+0x8 (/bin/a)\n"
			 "\t5 main.(*T).Run+0x2 (/bin/a)\n"     /* Go: parentheses kept */
			 "\t6 q\"u'o;te (/bin/a)\n"
			 "\t7 [unknown] (/usr/lib/deep/libz.so.1)\n"
			 "\t8 [unknown] ([unknown])\n"
			 "\n";
	assert_string_equal(collapse(in, NULL, NULL),
			    "app;[unknown];[libz.so.1];quo:te;main.(*T).Run;ns::h;g;f+0x1A 1\n");
}

static void test_java_tidy(void **state)
{
	const char *in = "java 1 1.0: cycles: \n"
			 "\t1 Lcom/x/Y;::run (/tmp/perf-1.map)\n"
			 "\t2 Lnoslash (/tmp/perf-1.map)\n"
			 "\n"
			 "javac 2 1.0: cycles: \n"
			 "\t1 Lcom/x/Y;::run (/tmp/perf-1.map)\n"
			 "\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .jit = 1 };
	assert_string_equal(collapse(in, &o, NULL),
			    "java;Lnoslash_[j];com/x/Y:::run_[j] 1\n"
			    "javac;Lcom/x/Y:::run_[j] 1\n");
}

static void test_annotations(void **state)
{
	const char *in = "app 1 1.0: cycles: \n"
			 "\t1 k1 ([kernel.kallsyms])\n"
			 "\t2 k2 (/boot/vmlinux)\n"
			 "\t3 m1 ([nf_conntrack])\n"
			 "\t4 j1 (/tmp/perf-12.map)\n"
			 "\t5 j2 (/home/u/.debug/jit/jitted-12-3.so)\n"
			 "\t6 n1 (/tmp/perf-.map)\n"                /* no pid: not JIT */
			 "\t7 u1 ([unknown])\n"
			 "\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .kernel = 1, .jit = 1 };
	assert_string_equal(collapse(in, &o, NULL),
			    "app;u1;n1;j2_[j];j1_[j];m1_[k];k2_[k];k1_[k] 1\n");
	o.jit = 0;
	assert_string_equal(collapse(in, &o, NULL), "app;u1;n1;j2;j1;m1_[k];k2_[k];k1_[k] 1\n");
}

static void test_events(void **state)
{
	struct perf_collapse_stats st;
	const char *in = "a 1 1.0: 10 instructions:u: \n"
			 "\t1 f (/bin/a)\n"
			 "\n"
			 "a 1 1.1: 10 cycles:u: \n"
			 "\t1 g (/bin/a)\n"
			 "\n"
			 "a 1 1.2: 10 instructions:u: \n"
			 "\t1 f (/bin/a)\n"
			 "\n";
	assert_string_equal(collapse(in, NULL, &st), "a;f 2\n");
	assert_true(st.kept == 2 && st.filtered == 1);
	assert_string_equal(st.event, "instructions:u");
	assert_string_equal(st.other_event, "cycles:u");

	struct perf_collapse_opts o = { .sz = sizeof(o), .event = "cycles" };
	assert_string_equal(collapse(in, &o, &st), "a;g 1\n");
	/* A name with a ':' that is not a modifier list must match whole. */
	in = "a 1 1.0: sched:sched_switch: prev_comm=a\n"
	     "\t1 f (/bin/a)\n"
	     "\n";
	o.event = "sched";
	assert_string_equal(collapse(in, &o, &st), "");
	assert_true(st.filtered == 1);
}

static void test_emit_and_opts(void **state)
{
	struct perf_collapse *c;
	struct trec_err err = { 0 };
	struct perf_collapse_opts bad = { .sz = sizeof(bad), .event = "" };
	assert_int_equal(perf_collapse_new(&c, &bad, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "event"));
	struct perf_collapse_opts nosz = { 0 };
	assert_int_equal(perf_collapse_new(&c, &nosz, &err), -EINVAL);

	assert_int_equal(perf_collapse_new(&c, NULL, &err), 0);
	const char *lines[] = { "a 1 1.0: c: ", "\t1 x (/b)", "", "b 1 1.0: c: ", "\t1 y (/b)", "" };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(perf_collapse_line(c, lines[i], strlen(lines[i])), 0);
	struct out o = { .stop_after = 1 };
	assert_int_equal(perf_collapse_emit(c, collect, &o), 1);
	assert_string_equal(o.buf, "a;x 1\n");
	perf_collapse_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_unrecognized),
		cmocka_unit_test(test_symbol_rules),
		cmocka_unit_test(test_java_tidy),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_emit_and_opts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
