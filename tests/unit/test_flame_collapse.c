/* SPDX-License-Identifier: MIT */
/* perf script -> folded stacks (flamegraph/collapse_perf.c, perf_text.c):
 * the line rules one at a time, each expected output the one today's
 * stackcollapse-perf.pl prints for the same text. Whole perf script
 * captures with their expected output per option are the corpus in
 * tests/corpus/flamegraph (tests/e2e/collapse_perf.t). */
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
#include "perf_text.h"

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
	if (st) {
		/* The strings live as long as the collapser: copies for the test. */
		static char event[64], other[64];
		perf_collapse_get_stats(c, st);
		snprintf(event, sizeof(event), "%s", st->event);
		snprintf(other, sizeof(other), "%s", st->other_event);
		st->event = event;
		st->other_event = other;
	}
	perf_collapse_free(c);
	return o.buf;
}

static void test_headers(void **state)
{
	struct perf_collapse_stats st;
	/* '#' lines; a frame before any header; a one-letter comm (not a
	 * header for the script: \S.+? wants two bytes) whose frames are lost;
	 * periods weigh the samples ("0" and none count 1); a header with no
	 * blank line before it runs the two samples' frames together; a sample
	 * with no blank line after it is not counted. */
	const char *in = "# ========\n"
			 "# cmdline : perf record -g\n"
			 "\t1234 orphan+0x1 (/bin/x)\n"
			 "a 5 [000] 1.000000: cpu-clock: \n"
			 "\t1000 lost (/bin/a)\n"
			 "\n"
			 "ab 5 [000] 1.000000: 250000 cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "ab 5 [000] 1.000100: 250000 cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "\t2000 main+0x1 (/bin/a)\n"
			 "\n"
			 "ab 5 [000] 1.000200: 7 cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "\n"
			 "ab 5 [000] 1.000300: 0 cpu-clock: \n"
			 "\n"
			 "ab 5 1.0004: cpu-clock: \n"
			 "\t1000 tail (/bin/a)\n";
	assert_string_equal(collapse(in, NULL, &st), "ab 1\nab;f 7\nab;main;f;f 250000\n");
	assert_true(st.samples == 5 && st.kept == 3 && st.unrecognized == 1);
	assert_true(st.first_unrecognized == 4);
	assert_string_equal(st.event, "cpu-clock");

	/* The comm ends before the first " NUMBER " that has a blank after it
	 * (so "Web Content 2" is cut at " 2"); no tid, or a tid of 0, makes
	 * the pid "?"; "12/ " is a pid with no tid. */
	in = "Web Content 2 77/78 [001] 2.0: 1 cycles: \n"
	     "\n"
	     "x1 9/9 2.0: cycles: \n"
	     "\tab g (/lib/g.so)\n"
	     "\n"
	     "swapper     0/0     [000] 3.0: cycles: \n"
	     "\n"
	     "kw 12/ 3.0: cycles: \n"
	     "\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .with_tid = 1 };
	assert_string_equal(collapse(in, &o, &st),
			    "Web_Content-?/2 1\nkw-?/12 1\nswapper-?/0 1\nx1-9/9;g 1\n");
	o = (struct perf_collapse_opts){ .sz = sizeof(o), .with_pid = 1 };
	assert_string_equal(collapse(in, &o, &st), "Web_Content-? 1\nkw-? 1\nswapper-? 1\nx1-9;g 1\n");
}

static void test_unrecognized(void **state)
{
	struct perf_collapse_stats st;
	const char *in = "app 1 1.0: cpu-clock: \n"
			 "\t1000 f+0x10 (/bin/a)\n"
			 "\tnot a frame line\n"
			 "   \n"
			 "\r\n"
			 "\t1001 g (/bin/a)\n"
			 "\n";
	/* Lines of blanks (a '\r' too) are not the end of the sample. */
	assert_string_equal(collapse(in, NULL, &st), "app;g;f 1\n");
	assert_true(st.unrecognized == 3 && st.first_unrecognized == 3);
	assert_true(st.lines == 7);
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
			 "\t9 (anonymous namespace)::w (/bin/a)\n" /* dropped: starts with '(' */
			 "\t10 ns::(anonymous namespace)::v(int) (/bin/a)\n"
			 "\t11 outer->mid->inner+0x4 (/bin/a)\n" /* perf's inline chain */
			 "\t12 +0x10 (/bin/a)\n"                 /* nothing left: no frame */
			 "\t13 x->_[i]y-> (/bin/a)\n"
			 "\t14 del+0x4 (/memfd:j (deleted))\n"   /* the dso is "deleted)" */
			 "\t15 [unknown] (/memfd:k (deleted))\n"
			 "\n";
	assert_string_equal(collapse(in, NULL, NULL),
			    "app;[unknown] ;del+0x4 ;x;_[i]y;outer;mid_[i];inner_[i];"
			    "ns::(anonymous namespace)::v;[unknown];[libz.so.1];quo:te;main.(*T).Run;"
			    "ns::h;g;f+0x1A 1\n");
	struct perf_collapse_opts o = { .sz = sizeof(o), .addrs = 1, .kernel = 1 };
	assert_string_equal(collapse(in, &o, NULL),
			    "app;[unknown] ;del+0x4 ;x;_[i]y;outer;mid_[i];inner_[i];"
			    "ns::(anonymous namespace)::v;[unknown <8>];[libz.so.1 <7>];quo:te;"
			    "main.(*T).Run;ns::h;g;f+0x1A 1\n");
}

static void test_java_tidy(void **state)
{
	/* Every process whose name starts with "java", --pid too. */
	const char *in = "java 1 1.0: cycles: \n"
			 "\t1 Lcom/x/Y;::run (/tmp/perf-1.map)\n"
			 "\t2 Lnoslash (/tmp/perf-1.map)\n"
			 "\n"
			 "javac 2 1.0: cycles: \n"
			 "\t1 Lcom/x/Y;::run (/tmp/perf-1.map)\n"
			 "\n"
			 "node 3 1.0: cycles: \n"
			 "\t1 Lcom/x/Y;::run (/tmp/perf-1.map)\n"
			 "\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .jit = 1, .with_pid = 1 };
	assert_string_equal(collapse(in, &o, NULL),
			    "java-?;Lnoslash_[j];com/x/Y:::run_[j] 1\n"
			    "javac-?;com/x/Y:::run_[j] 1\n"
			    "node-?;Lcom/x/Y:::run_[j] 1\n");
}

static void test_annotations(void **state)
{
	const char *in = "app 1 1.0: cycles: \n"
			 "\t1 k1 ([kernel.kallsyms])\n"
			 "\t2 k2 (/boot/vmlinux)\n"
			 "\t3 m1 ([nf_conntrack])\n"
			 "\t4 j1 (/tmp/perf-12.map)\n"
			 "\t5 j2 (/home/u/.debug/jit/jitted-12-3.so)\n" /* not the script's JIT */
			 "\t6 n1 (/tmp/perf-.map)\n"                /* no pid: not JIT */
			 "\t7 u1 ([unknown])\n"
			 "\t8 j3_[j] (/tmp/perf-12.map)\n"          /* marked once */
			 "\t9 v1 ([vdso])\n"
			 "\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .kernel = 1, .jit = 1 };
	assert_string_equal(collapse(in, &o, NULL),
			    "app;v1_[k];j3_[j];u1;n1;j2;j1_[j];m1_[k];k2_[k];k1_[k] 1\n");
	o.jit = 0;
	assert_string_equal(collapse(in, &o, NULL),
			    "app;v1_[k];j3_[j];u1;n1;j2;j1;m1_[k];k2_[k];k1_[k] 1\n");
}

static void test_events(void **state)
{
	struct perf_collapse_stats st;
	const char *in = "ab 1 1.0: 10 instructions:u: \n"
			 "\t1 f (/bin/a)\n"
			 "\n"
			 "ab 1 1.1: 20 cycles:u: \n"
			 "\t1 g (/bin/a)\n"
			 "\n"
			 "ab 1 1.2: 30 instructions:u: \n"
			 "\t1 f (/bin/a)\n"
			 "\n"
			 "ab 1 1.3: sched:sched_switch: prev_comm=a\n" /* no event for the filter */
			 "\t1 s (/bin/a)\n"
			 "\n";
	assert_string_equal(collapse(in, NULL, &st), "ab;f 40\nab;s 1\n");
	assert_true(st.kept == 3 && st.filtered == 1);
	assert_string_equal(st.event, "instructions:u");
	assert_string_equal(st.other_event, "cycles:u");

	/* Names as perf prints them: "cycles" is not "cycles:u". */
	struct perf_collapse_opts o = { .sz = sizeof(o), .event = "cycles:u" };
	assert_string_equal(collapse(in, &o, &st), "ab;g 20\nab;s 1\n");
	o.event = "cycles";
	assert_string_equal(collapse(in, &o, &st), "ab;s 1\n");
	assert_true(st.filtered == 3);
	o.event = ""; /* the script's default */
	assert_string_equal(collapse(in, &o, &st), "ab;f 40\nab;s 1\n");
}

static void test_srcline(void **state)
{
	/* perf script -F+srcline: a line after each frame but an unknown one,
	 * read whatever it holds; [...] parts and outer blanks removed. */
	const char *in = "a.out 1 1.0: 5 cycles: \n"
			 "\t408ebb inner+0x8b (/x/a.out)\n"
			 "  uniform_int_dist.h:300\n"
			 "\t7ffc [unknown] ([unknown])\n"
			 "\t4069f5 outer->main+0x935 (/x/a.out)\n"
			 "  file.cpp:137\n"
			 "  \n"
			 "\t7f6d __libc_start_main+0xd5 (/lib64/libc-2.33.so)\n"
			 "  libc-2.33.so[27b25]\n"
			 "\tffff up_write+0x32 ([kernel.kallsyms])\n"
			 "  [kernel.kallsyms][ffffffff814f9302]\n"
			 "\n";
	struct perf_collapse_opts o = { .sz = sizeof(o), .srcline = 1 };
	assert_string_equal(collapse(in, &o, NULL),
			    "a.out;up_write;__libc_start_main:libc-2.33.so;outer:file.cpp:137;main_[i];"
			    "[unknown];inner:uniform_int_dist.h:300 5\n");
}

/* A stand-in for addr2line: "0x10" is two inlined frames, "0x20" unknown. */
static int fake_inline(void *ctx, const char *pc, size_t pc_len, const char *sym, size_t sym_len,
		       const char *dso, size_t dso_len, struct tbuf *out)
{
	(void)sym;
	(void)sym_len;
	(void)dso;
	(void)dso_len;
	(*(int *)ctx)++;
	if (pc_len == 2 && !memcmp(pc, "10", 2))
		tbuf_put(out, "outer;inlined", 13);
	else if (pc_len == 2 && !memcmp(pc, "20", 2))
		tbuf_put(out, "??", 2);
	return 0;
}

static void test_inline(void **state)
{
	const char *in = "app 1 1.0: cycles: \n"
			 "\t10 f+0x1 (/bin/a)\n"
			 "\t20 g+0x2 (/bin/a)\n"
			 "\t30 k+0x3 ([kernel.kallsyms])\n" /* not asked for */
			 "\t40 j (/tmp/perf-9.map)\n"       /* nor this */
			 "\n";
	int calls = 0;
	struct perf_collapse_opts o = { .sz = sizeof(o), .inline_fn = fake_inline,
					.inline_ctx = &calls };
	assert_string_equal(collapse(in, &o, NULL), "app;j;k;g;outer;inlined 1\n");
	assert_int_equal(calls, 2);
}

static void test_emit_and_opts(void **state)
{
	struct perf_collapse *c;
	struct trec_err err = { 0 };
	struct perf_collapse_opts nosz = { 0 };
	assert_int_equal(perf_collapse_new(&c, &nosz, &err), -EINVAL);

	assert_int_equal(perf_collapse_new(&c, NULL, &err), 0);
	const char *lines[] = { "ab 1 1.0: c: ", "\t1 x (/b)", "", "bc 1 1.0: c: ", "\t1 y (/b)", "" };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(perf_collapse_line(c, lines[i], strlen(lines[i])), 0);
	struct out o = { .stop_after = 1 };
	assert_int_equal(perf_collapse_emit(c, collect, &o), 1);
	assert_string_equal(o.buf, "ab;x 1\n");
	perf_collapse_free(c);

	/* Periods that add up past 2^64-1: an error, not a wrong count. */
	assert_int_equal(perf_collapse_new(&c, NULL, &err), 0);
	const char *big[] = { "ab 1 1.0: 18446744073709551615 c: ", "", "ab 1 1.0: 1 c: ", "" };
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(perf_collapse_line(c, big[i], strlen(big[i])), 0);
	assert_int_equal(perf_collapse_line(c, big[3], 0), -EOVERFLOW);
	perf_collapse_free(c);
}

static void test_line_shapes(void **state)
{
	struct perf_header h;
	struct perf_event_field e;
	struct perf_frame f;
#define S(x) x, strlen(x)
	assert_true(perf_header_match(S("a b  12/34 x"), &h));
	assert_true(h.comm.n == 3 && h.pid.n == 2 && h.tid.n == 2); /* "a b" */
	assert_true(perf_header_match(S("a  5 x"), &h));
	assert_true(h.comm.n == 2 && !memcmp(h.comm.p, "a ", 2)); /* a blank in the comm */
	assert_false(perf_header_match(S("a 5 x"), &h));
	assert_false(perf_header_match(S(" ab 5 x"), &h));
	assert_false(perf_header_match(S("ab 5/6x 7"), &h));
	assert_true(perf_header_match(S("ab 5//6 x"), &h) && h.tid.n == 1);

	assert_true(perf_event_match(S("x 1 2.0:  250 cpu-clock:ppp: \t"), &e));
	assert_true(e.period.n == 3 && e.event.n == 13);
	assert_true(perf_event_match(S("x 1 2.0:250 ev:"), &e) && e.period.n == 3);
	assert_true(perf_event_match(S("x 1 2.0: ev::"), &e) && e.event.n == 3 && !e.period.n);
	assert_false(perf_event_match(S("x 1 2.0: 1 2 ev:"), &e));
	assert_false(perf_event_match(S("x 1 2.0: sched:s: a=b"), &e));
	assert_false(perf_event_match(S("ev:"), &e));

	assert_true(perf_frame_match(S("\t  1f2 sym+0x3 (/lib/x (deleted))"), &f));
	assert_true(f.pc.n == 3 && f.func.n == 15 && f.mod.n == 8); /* "deleted)" */
	assert_true(perf_frame_match(S("  abc (x)"), &f));
	assert_true(f.pc.n == 2 && f.func.n == 1 && f.func.p[0] == 'c'); /* pc gives a byte back */
	assert_true(perf_frame_match(S("  abc   (x)"), &f) && f.pc.n == 3 && f.func.n == 1);
	assert_false(perf_frame_match(S("  a (x)"), &f));
	assert_false(perf_frame_match(S("  ab f (x"), &f));
	assert_false(perf_frame_match(S("  -ab f (x)"), &f));
#undef S
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
		cmocka_unit_test(test_srcline),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_emit_and_opts),
		cmocka_unit_test(test_line_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
