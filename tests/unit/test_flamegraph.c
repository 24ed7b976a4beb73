/* SPDX-License-Identifier: MIT */
/* The flame graph renderer (flamegraph/): folded-line parsing, the tree
 * of frames (merging, shared-prefix fast path, reverse, flame charts),
 * the SVG (widths from counts, pruning, escaping, determinism,
 * differential colors), colors and the byte-level helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fg_lines.h"
#include "fg_strtab.h"
#include "flame_color.h"
#include "flame_tree.h"
#include "flame_xml.h"
#include "flamegraph.h"
#include "folded.h"

/* ---- helpers ------------------------------------------------------------------- */

struct svg {
	char *text;
	size_t len;
	int rc;
};

static struct flame *new_flame(const struct flame_opts *o)
{
	struct flame *f = NULL;
	struct trec_err err = { 0 };
	assert_int_equal(flame_new(&f, o, &err), 0);
	return f;
}

static void add(struct flame *f, const char *stack, uint64_t n)
{
	struct trec_err err = { 0 };
	assert_int_equal(flame_add(f, stack, strlen(stack), n, &err), 0);
}

/* Renders f (and frees it) into memory. */
static struct svg render(struct flame *f)
{
	struct svg s = { 0 };
	FILE *m = open_memstream(&s.text, &s.len);
	assert_non_null(m);
	struct trec_err err = { 0 };
	s.rc = flame_write_svg(f, m, &err);
	fclose(m);
	flame_free(f);
	return s;
}

/* The <g> of the frame titled "NAME (" (the n-th such frame, from 0). */
static const char *frame_g(const char *svg, const char *name, int n)
{
	char key[256];
	snprintf(key, sizeof(key), "<g><title>%s (", name);
	const char *p = svg;
	for (;;) {
		p = strstr(p, key);
		if (!p || n-- == 0)
			return p;
		p++;
	}
}

static double attr(const char *g, const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), " %s=\"", name);
	const char *p = strstr(g, key);
	assert_non_null(p);
	return strtod(p + strlen(key), NULL);
}

static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- folded lines -------------------------------------------------------------- */

static void test_folded_parse(void **state)
{
	struct folded_line fl;
	const char *l = "a;b;c 42";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_int_equal(fl.len, 5);
	assert_memory_equal(fl.stack, "a;b;c", 5);
	assert_true(fl.count == 42 && !fl.diff);

	/* Two counts: before and after (difffolded.pl). Blanks and \r around. */
	l = "a b;c  7\t9 \r";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_int_equal(fl.len, 5);
	assert_memory_equal(fl.stack, "a b;c", 5);
	assert_true(fl.diff && fl.before == 7 && fl.count == 9);

	/* A frame ending in digits is not a count without a blank before it. */
	l = "f1;g2 3";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_true(!fl.diff && fl.count == 3 && fl.len == 5);

	/* The root alone. */
	l = " 5";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_true(fl.len == 0 && fl.count == 5);

	assert_int_equal(folded_parse("", 0, &fl), -ENODATA);
	assert_int_equal(folded_parse("  \r", 3, &fl), -ENODATA);
	assert_int_equal(folded_parse("a;b", 3, &fl), -EINVAL);
	assert_int_equal(folded_parse("a;b12", 5, &fl), -EINVAL);
	assert_int_equal(folded_parse("5", 1, &fl), -EINVAL);

	/* Fractions, as flamegraph.pl reads them: in units of 10^-decimals,
	 * trailing zeros dropped, past 9 decimals rounded half up. */
	assert_int_equal(folded_parse("a;b 1.5", 7, &fl), 0);
	assert_true(fl.count == 15 && fl.decimals == 1 && fl.len == 3);
	assert_int_equal(folded_parse("a 0.50", 6, &fl), 0);
	assert_true(fl.count == 5 && fl.decimals == 1);
	assert_int_equal(folded_parse("a 3.", 4, &fl), 0);
	assert_true(fl.count == 3 && fl.decimals == 0);
	assert_int_equal(folded_parse("a 3.000", 7, &fl), 0);
	assert_true(fl.count == 3 && fl.decimals == 0);
	l = "a 0.1234567895";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_true(fl.count == 123456790 && fl.decimals == 9);
	l = "a 1.5 2";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_true(fl.diff && fl.before == 15 && fl.count == 20 && fl.decimals == 1);
	assert_int_equal(folded_parse("a .5", 4, &fl), -EINVAL);
	assert_int_equal(folded_parse("a 1.2.3", 7, &fl), -EINVAL);
	assert_int_equal(folded_parse("a;b1.5", 6, &fl), -EINVAL);
	l = "a 18446744073.709551616";
	assert_int_equal(folded_parse(l, strlen(l), &fl), -ERANGE);
	l = "a 18446744073709551615";
	assert_int_equal(folded_parse(l, strlen(l), &fl), 0);
	assert_true(fl.count == UINT64_MAX);
	l = "a 18446744073709551616";
	assert_int_equal(folded_parse(l, strlen(l), &fl), -ERANGE);
}

static void test_folded_read(void **state)
{
	char path[] = "/tmp/test_flamegraph.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "a;b 3\nnot a stack\n\na;b 2\na;c 1 4\n# comment\na;d 5"; /* no final \n */
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	lseek(fd, 0, SEEK_SET);
	struct flame *f = new_flame(NULL);
	struct folded_stats st;
	struct trec_err err = { 0 };
	assert_int_equal(folded_read_fd(f, fd, path, FOLDED_AS_IS, 0, &st, &err), 0);
	assert_true(st.lines == 7 && st.stacks == 4 && st.ignored == 2 && st.first_ignored == 2);
	assert_true(st.diff_lines == 1);
	struct flame_stats fs;
	flame_get_stats(f, &fs);
	assert_true(fs.total == 3 + 2 + 4 + 5 && fs.total_before == 3 + 2 + 1 + 5);
	assert_true(fs.differential);
	flame_free(f);

	/* A two-count line is not a stack of a --diff input. */
	lseek(fd, 0, SEEK_SET);
	f = new_flame(NULL);
	assert_int_equal(folded_read_fd(f, fd, path, FOLDED_AS_AFTER, 0, &st, &err), 0);
	assert_true(st.stacks == 3 && st.ignored == 3);
	flame_get_stats(f, &fs);
	assert_true(fs.total == 10 && fs.total_before == 0);
	flame_free(f);
	close(fd);
	unlink(path);
}

/* ---- the tree ------------------------------------------------------------------ */

/* The total of the node reached by following names from the root. */
static uint64_t node_total(struct flame_tree *t, const char *const *path, int n)
{
	uint32_t node = FLAME_ROOT;
	for (int i = 0; i < n; i++) {
		uint32_t c = t->nodes[node].child;
		for (; c != FLAME_NONE; c = t->nodes[c].sibling) {
			uint32_t len;
			const char *name = flame_name(t, c, &len);
			if (len == strlen(path[i]) && !memcmp(name, path[i], len))
				break;
		}
		if (c == FLAME_NONE)
			return UINT64_MAX;
		node = c;
	}
	return t->nodes[node].count;
}

static void tree_add(struct flame_tree *t, const char *s, uint64_t n)
{
	struct trec_err err = { 0 };
	assert_int_equal(flame_tree_add(t, s, strlen(s), n, n, 0, &err), 0);
}

static void test_tree_merge(void **state)
{
	/* The same stacks in two orders build the same tree: the shared-prefix
	 * path (sorted) and the lookup path (shuffled). */
	static const char *const stacks[] = { "a;b;c", "a;b;d", "a;b", "a;e;c", "x", "a;b;c;", ";a",
					      ";b",    "a;bb",  "a",   "" };
	static const uint64_t counts[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
	const int n = sizeof(counts) / sizeof(counts[0]);
	for (int order = 0; order < 2; order++) {
		struct flame_tree t;
		struct trec_err err = { 0 };
		assert_int_equal(flame_tree_init(&t, 0, 0, &err), 0);
		for (int i = 0; i < n; i++) {
			int k = order ? (i * 7) % n : i;
			tree_add(&t, stacks[k], counts[k]);
		}
		flame_tree_totals(&t);
		const char *abc[] = { "a", "b", "c" }, *ab[] = { "a", "b" }, *a[] = { "a" };
		const char *ae[] = { "a", "e" }, *e1[] = { "", "a" }, *abb[] = { "a", "bb" };
		assert_true(node_total(&t, NULL, 0) == 2047);
		assert_true(node_total(&t, abc, 3) == 1 + 32); /* "a;b;c;" is a;b;c */
		assert_true(node_total(&t, ab, 2) == 1 + 2 + 4 + 32);
		assert_true(node_total(&t, ae, 2) == 8);
		assert_true(node_total(&t, a, 1) == 1 + 2 + 4 + 8 + 32 + 256 + 512);
		assert_true(node_total(&t, e1, 2) == 64); /* a leading empty frame is kept */
		assert_true(node_total(&t, abb, 2) == 256);
		/* Nodes: root, a, b, c, d, e, c, x, "", a, b, bb. */
		assert_int_equal(t.n, 12);
		flame_tree_free(&t);
	}
}

static void test_tree_reverse_and_chart(void **state)
{
	struct flame_tree t;
	struct trec_err err = { 0 };
	assert_int_equal(flame_tree_init(&t, 0, 1, &err), 0);
	tree_add(&t, "main;f;leaf", 3);
	tree_add(&t, "main;g;leaf", 2);
	flame_tree_totals(&t);
	const char *lf[] = { "leaf", "f", "main" }, *l[] = { "leaf" };
	assert_true(node_total(&t, l, 1) == 5);
	assert_true(node_total(&t, lf, 3) == 3);
	flame_tree_free(&t);

	/* Flame chart: a stack merges with the previous one only. */
	assert_int_equal(flame_tree_init(&t, 1, 0, &err), 0);
	tree_add(&t, "a;b", 1);
	tree_add(&t, "a;c", 1);
	tree_add(&t, "d", 1);
	tree_add(&t, "a;b", 1);
	/* root, a, b, c, d, a, b */
	assert_int_equal(t.n, 7);
	flame_tree_free(&t);
}

/* Fractional counts: the graph's unit becomes the finest fraction added,
 * counts added before are scaled up, and nothing is lost or rounded. */
static void test_fractions(void **state)
{
	struct flame *f = new_flame(NULL);
	struct trec_err err = { 0 };
	struct flame_stats st;
	assert_int_equal(flame_add(f, "a;b", 3, 3, &err), 0);
	assert_int_equal(flame_add_dec(f, "a;c", 3, 5, 1, &err), 0);      /* 0.5 */
	assert_int_equal(flame_add_dec(f, "a;b", 3, 125, 2, &err), 0);    /* 1.25 */
	assert_int_equal(flame_add_cb(f, "d", 1, 2), 0);                   /* whole */
	flame_get_stats(f, &st);
	assert_true(st.decimals == 2 && st.total == 300 + 50 + 125 + 200);
	assert_int_equal(flame_add_dec(f, "e", 1, 1, FLAME_MAX_DECIMALS + 1, &err), -EINVAL);
	flame_free(f);

	/* Scaling that would pass 2^64-1 units: an error, counts unchanged. */
	f = new_flame(NULL);
	assert_int_equal(flame_add(f, "a", 1, UINT64_MAX / 10, &err), 0);
	assert_int_equal(flame_add_dec(f, "b", 1, 1, 2, &err), -EOVERFLOW);
	assert_non_null(strstr(err.msg, "decimal"));
	flame_get_stats(f, &st);
	assert_true(st.decimals == 0 && st.total == UINT64_MAX / 10);
	flame_free(f);

	/* Differential counts are scaled with the rest. */
	f = new_flame(NULL);
	assert_int_equal(flame_add_diff(f, "a", 1, 2, 4, &err), 0);
	assert_int_equal(flame_add_diff_dec(f, "b", 1, 15, 5, 1, &err), 0);
	flame_get_stats(f, &st);
	assert_true(st.decimals == 1 && st.total == 45 && st.total_before == 35);
	flame_free(f);
}

static void test_tree_limits(void **state)
{
	struct flame_tree t;
	struct trec_err err = { 0 };
	assert_int_equal(flame_tree_init(&t, 0, 0, &err), 0);
	assert_int_equal(flame_tree_add(&t, "a", 1, 0, UINT64_MAX, 0, &err), 0);
	assert_int_equal(flame_tree_add(&t, "b", 1, 0, 1, 0, &err), -EOVERFLOW);
	assert_non_null(strstr(err.msg, "2^64"));
	flame_tree_free(&t);

	/* Deep stacks: no recursion anywhere. */
	size_t depth = 200000;
	char *deep = malloc(depth * 2);
	assert_non_null(deep);
	for (size_t i = 0; i < depth; i++) {
		deep[2 * i] = 'f';
		deep[2 * i + 1] = ';';
	}
	struct flame *f = new_flame(NULL);
	struct trec_err e2 = { 0 };
	assert_int_equal(flame_add(f, deep, depth * 2 - 1, 1, &e2), 0);
	free(deep);
	FILE *null = fopen("/dev/null", "w");
	assert_int_equal(flame_write_svg(f, null, &e2), 0);
	fclose(null);
	struct flame_stats st;
	flame_get_stats(f, &st);
	assert_int_equal(st.depth, depth);
	flame_free(f);
}

/* ---- the SVG ------------------------------------------------------------------- */

static void test_svg_widths(void **state)
{
	struct flame *f = new_flame(NULL);
	add(f, "app;main;a;b", 60);
	add(f, "app;main;d", 10);
	add(f, "worker;main;c", 30);
	struct svg s = render(f);
	assert_int_equal(s.rc, 0);
	/* 1200 px wide, 10 px margins: 1180 px for 100 samples. */
	const char *all = frame_g(s.text, "all", 0);
	assert_non_null(all);
	assert_true(fabs(attr(all, "width") - 1180) < 0.01);
	assert_non_null(strstr(all, "<title>all (100 samples, 100%)</title>"));
	static const struct {
		const char *name;
		int nth;
		double count, x;
	} want[] = {
		{ "app", 0, 70, 0 }, { "main", 0, 70, 0 }, { "a", 0, 60, 0 },   { "b", 0, 60, 0 },
		{ "d", 0, 10, 60 },  { "worker", 0, 30, 70 }, { "main", 1, 30, 70 }, { "c", 0, 30, 70 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *g = frame_g(s.text, want[i].name, want[i].nth);
		assert_non_null(g);
		assert_true(fabs(attr(g, "width") - want[i].count * 11.8) < 0.01);
		assert_true(fabs(attr(g, "x") - (10 + want[i].x * 11.8)) < 0.01);
		assert_true(attr(g, "fg:w") == want[i].count);
	}
	assert_non_null(strstr(s.text, "<title>a (60 samples, 60.00%)</title>"));
	/* Children sit on their parent's row minus one: b above a. */
	assert_true(attr(frame_g(s.text, "b", 0), "y") < attr(frame_g(s.text, "a", 0), "y"));
	/* The script's entry points are there. */
	assert_non_null(strstr(s.text, "function zoom("));
	assert_non_null(strstr(s.text, "function search("));
	assert_non_null(strstr(s.text, "onload=\"init(evt)\""));
	free(s.text);
}

static void test_svg_deterministic(void **state)
{
	struct flame_opts o = { .sz = sizeof(o) };
	struct svg s[2];
	for (int k = 0; k < 2; k++) {
		struct flame *f = new_flame(&o);
		/* The same stacks in another order: the same graph. */
		add(f, k ? "x;y" : "a;b", 5);
		add(f, k ? "a;b" : "x;y", 5);
		add(f, "a;c", 1);
		s[k] = render(f);
	}
	assert_int_equal(s[0].len, s[1].len);
	assert_memory_equal(s[0].text, s[1].text, s[0].len);
	free(s[0].text);
	free(s[1].text);
}

static void test_svg_prune(void **state)
{
	struct flame_opts o = { .sz = sizeof(o), .min_width = "1" };
	struct flame *f = new_flame(&o);
	add(f, "big;x", 10000);
	add(f, "mid;deep;er", 1); /* 0.118 px: gone with its subtree */
	add(f, "small", 10);      /* 1.18 px: kept */
	struct svg s = render(f);
	assert_int_equal(s.rc, 0);
	assert_null(frame_g(s.text, "mid", 0));
	assert_null(frame_g(s.text, "er", 0));
	assert_non_null(frame_g(s.text, "small", 0));
	assert_non_null(strstr(s.text, "<!-- 4 frames drawn; 3 frames narrower than 1 pixels pruned"));
	/* The pruned frame keeps its place: small (after it by name) starts after it. */
	assert_true(fabs(attr(frame_g(s.text, "small", 0), "x") - (10 + 10001 * 1180.0 / 10011)) < 0.01);
	free(s.text);

	o.min_width = "50%";
	f = new_flame(&o);
	add(f, "a", 49);
	add(f, "b", 51);
	s = render(f);
	assert_null(frame_g(s.text, "a", 0));
	assert_non_null(frame_g(s.text, "b", 0));
	free(s.text);
}

static void test_svg_escaping(void **state)
{
	struct flame *f = new_flame(NULL);
	add(f, "a<b>&\"c\";caf\xc3\xa9;bad\xff\xc0\x80;ctl\x01x;\xed\xa0\x80sur", 1);
	struct svg s = render(f);
	assert_int_equal(s.rc, 0);
	assert_non_null(strstr(s.text, "<title>a&lt;b&gt;&amp;&quot;c&quot; (1 samples"));
	assert_non_null(strstr(s.text, "<title>caf\xc3\xa9 (")); /* valid UTF-8 kept */
	assert_non_null(strstr(s.text, "<title>bad??? (")); /* invalid and overlong bytes */
	assert_non_null(strstr(s.text, "<title>ctl?x ("));
	assert_non_null(strstr(s.text, "<title>???sur (")); /* a surrogate is not XML */
	free(s.text);
}

static void test_svg_labels(void **state)
{
	/* 7.08 px per character at the defaults: 100 px hold 14 characters. */
	struct flame *f = new_flame(NULL);
	add(f, "short", 100);
	add(f, "a_much_longer_function_name", 100);
	add(f, "w", 875); /* 1180 samples in all: one pixel each */
	add(f, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    100);
	add(f, "x", 5); /* 4.9 px: no room for a label */
	struct svg s = render(f);
	assert_non_null(strstr(s.text, ">short</text>"));
	assert_non_null(strstr(s.text, ">a_much_longe..</text>"));
	/* Cut on characters, not bytes: 12 é then "..". */
	assert_non_null(strstr(s.text, ">\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..</text>"));
	const char *x = frame_g(s.text, "x", 0);
	assert_non_null(x);
	assert_non_null(strstr(x, "></text></g>"));
	free(s.text);
}

static void test_svg_layout_options(void **state)
{
	struct flame_opts o = { .sz = sizeof(o), .inverted = 1, .width = 600, .frame_height = 20,
				.subtitle = "sub", .countname = "bytes", .nametype = "Where:" };
	struct flame *f = new_flame(&o);
	add(f, "a;b", 3);
	struct svg s = render(f);
	assert_non_null(strstr(s.text, ">Icicle Graph</text>"));
	assert_non_null(strstr(s.text, ">sub</text>"));
	assert_non_null(strstr(s.text, "<title>b (3 bytes, 100.00%)</title>"));
	assert_non_null(strstr(s.text, "fg:label=\"Where:\""));
	/* Icicle: root on top, children below it. */
	double yroot = attr(frame_g(s.text, "all", 0), "y"), yb = attr(frame_g(s.text, "b", 0), "y");
	assert_true(yb == yroot + 40);
	assert_true(attr(frame_g(s.text, "b", 0), "height") == 19);
	assert_true(fabs(attr(frame_g(s.text, "b", 0), "width") - 580) < 0.01);
	free(s.text);

	o = (struct flame_opts){ .sz = sizeof(o), .flamechart = 1 };
	f = new_flame(&o);
	add(f, "z", 1);
	add(f, "a", 1);
	s = render(f);
	assert_non_null(strstr(s.text, ">Flame Chart</text>"));
	/* Input order, not name order. */
	assert_true(attr(frame_g(s.text, "z", 0), "x") < attr(frame_g(s.text, "a", 0), "x"));
	free(s.text);

	o = (struct flame_opts){ .sz = sizeof(o), .title = "T", .bgcolors = "#123abc",
				 .fonttype = "DejaVu Sans", .fontsize = 10 };
	f = new_flame(&o);
	add(f, "a", 1);
	s = render(f);
	assert_non_null(strstr(s.text, ">T</text>"));
	assert_int_equal(count_of(s.text, "stop-color=\"#123abc\""), 2);
	assert_non_null(strstr(s.text, "font-family:DejaVu Sans; font-size:10px;"));
	free(s.text);
}

static void test_svg_differential(void **state)
{
	struct flame *f = new_flame(NULL);
	struct trec_err err = { 0 };
	assert_int_equal(flame_add_diff(f, "m;grow", 6, 10, 25, &err), 0);
	assert_int_equal(flame_add_diff(f, "m;shrink", 8, 50, 20, &err), 0);
	assert_int_equal(flame_add_diff(f, "m;same", 6, 55, 55, &err), 0);
	assert_int_equal(flame_add_diff(f, "m;gone", 6, 5, 0, &err), 0);
	struct svg s = render(f);
	assert_int_equal(s.rc, 0);
	const char *grow = frame_g(s.text, "grow", 0), *shrink = frame_g(s.text, "shrink", 0);
	/* Widths are the after counts; deltas in percent of the after total. */
	assert_true(attr(grow, "fg:w") == 25);
	assert_non_null(strstr(grow, "<title>grow (25 samples, 25.00%; +15.00%)</title>"));
	assert_non_null(strstr(shrink, "<title>shrink (20 samples, 20.00%; -30.00%)</title>"));
	/* The largest change (30) saturates: pure blue; half of it is half as
	 * pale a red; no change is white. */
	assert_non_null(strstr(shrink, "fill=\"rgb(0,0,255)\""));
	assert_non_null(strstr(grow, "fill=\"rgb(255,105,105)\""));
	assert_non_null(strstr(frame_g(s.text, "same", 0), "fill=\"rgb(255,255,255)\""));
	assert_null(frame_g(s.text, "gone", 0)); /* no width after */
	free(s.text);

	/* Normalized: before scaled to the after total (115 -> 100). */
	struct flame_opts o = { .sz = sizeof(o), .normalize = 1, .negate = 1 };
	f = new_flame(&o);
	assert_int_equal(flame_add_diff(f, "a", 1, 100, 100, &err), 0);
	assert_int_equal(flame_add_diff(f, "b", 1, 100, 300, &err), 0);
	s = render(f);
	assert_non_null(strstr(s.text, "<title>a (100 samples, 25.00%; +25.00%)</title>"));
	assert_non_null(strstr(s.text, "<title>b (300 samples, 75.00%; -25.00%)</title>"));
	free(s.text);
}

static void test_svg_empty_and_errors(void **state)
{
	struct flame *f = new_flame(NULL);
	struct svg s = render(f);
	assert_int_equal(s.rc, -ENODATA);
	assert_non_null(strstr(s.text, "no stack counts found"));
	free(s.text);

	static const struct flame_opts bad[] = {
		{ .sz = sizeof(struct flame_opts), .colors = "pink" },
		{ .sz = sizeof(struct flame_opts), .min_width = "1px" },
		{ .sz = sizeof(struct flame_opts), .min_width = "101%" },
		{ .sz = sizeof(struct flame_opts), .min_width = "5000" },
		{ .sz = sizeof(struct flame_opts), .bgcolors = "#12345" },
		{ .sz = sizeof(struct flame_opts), .fonttype = "x;}*{display:none" },
		{ .sz = sizeof(struct flame_opts), .width = 10 },
		{ .sz = sizeof(struct flame_opts), .fontsize = -1 },
		{ .sz = 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trec_err err = { 0 };
		struct flame *g = (struct flame *)1;
		assert_int_equal(flame_new(&g, &bad[i], &err), -EINVAL);
		assert_null(g);
		assert_true(err.msg[0] != 0);
	}
	/* An older, shorter option struct still works. */
	struct flame_opts shortopts = { .sz = offsetof(struct flame_opts, width), .title = "old" };
	f = new_flame(&shortopts);
	add(f, "a", 1);
	s = render(f);
	assert_non_null(strstr(s.text, ">old</text>"));
	free(s.text);
}

static void test_svg_palette_file(void **state)
{
	char path[] = "/tmp/test_flamegraph_pal.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *pal = "keep->rgb(1,2,3)\nbroken line\nx->rgb(300,0,0)\n";
	assert_int_equal(write(fd, pal, strlen(pal)), (ssize_t)strlen(pal));
	close(fd);
	struct flame_opts o = { .sz = sizeof(o), .palette_file = path };
	struct flame *f = new_flame(&o);
	add(f, "keep;new", 1);
	struct svg s = render(f);
	assert_int_equal(s.rc, 0);
	assert_non_null(strstr(frame_g(s.text, "keep", 0), "fill=\"rgb(1,2,3)\""));
	free(s.text);
	/* Rewritten sorted, with the new name's color. */
	FILE *in = fopen(path, "r");
	char line[256];
	assert_non_null(fgets(line, sizeof(line), in));
	assert_string_equal(line, "keep->rgb(1,2,3)\n");
	assert_non_null(fgets(line, sizeof(line), in));
	assert_int_equal(strncmp(line, "new->rgb(", 9), 0);
	assert_null(fgets(line, sizeof(line), in));
	fclose(in);
	/* The next graph colors "new" the same. */
	char *color = strdup(line + 0);
	f = new_flame(&o);
	add(f, "other;new", 1);
	s = render(f);
	assert_non_null(s.text);
	in = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), in));
	assert_non_null(fgets(line, sizeof(line), in));
	assert_string_equal(line, color);
	fclose(in);
	free(color);
	free(s.text);
	unlink(path);
}

/* ---- colors -------------------------------------------------------------------- */

static void test_colors(void **state)
{
	struct flame_rgb c;
	/* Language palettes pick the hue from the name. */
	c = flame_color(FLAME_PAL_JAVA, "Interpreter_[j]", 15, NULL);
	assert_true(c.g >= 200 && c.r < 120 && c.b < 120); /* green */
	c = flame_color(FLAME_PAL_JAVA, "do_syscall_64_[k]", 17, NULL);
	assert_true(c.b == 0 && c.r >= 190 && c.g >= 90 && c.g < 160); /* orange */
	c = flame_color(FLAME_PAL_JAVA, "std::sort", 9, NULL);
	assert_true(c.r == c.g && c.b < 80); /* yellow */
	c = flame_color(FLAME_PAL_JAVA, "Lorg/foo/Bar;::run", 18, NULL);
	assert_true(c.g >= 200);
	c = flame_color(FLAME_PAL_PERL, "main::run", 9, NULL);
	assert_true(c.r == c.g && c.b < 80);
	c = flame_color(FLAME_PAL_JS, "LazyCompile:~f /a/b.js:1", 24, NULL);
	assert_true(c.g >= 200 && c.r < 120);
	c = flame_color(FLAME_PAL_MEM, "malloc", 6, NULL);
	assert_true(c.r == 0 && c.g >= 190);
	c = flame_color(FLAME_PAL_HOT, "-", 1, NULL);
	assert_true(c.r == 200 && c.g == 200 && c.b == 200);

	/* --hash: a function of the name alone; otherwise a fixed sequence. */
	struct flame_rgb h1 = flame_color(FLAME_PAL_HOT, "func", 4, NULL);
	struct flame_rgb h2 = flame_color(FLAME_PAL_HOT, "func", 4, NULL);
	assert_memory_equal(&h1, &h2, sizeof(h1));
	struct flame_rng r1, r2;
	flame_rng_init(&r1);
	flame_rng_init(&r2);
	struct flame_rgb a1 = flame_color(FLAME_PAL_HOT, "f", 1, &r1);
	struct flame_rgb a2 = flame_color(FLAME_PAL_HOT, "f", 1, &r1);
	struct flame_rgb b1 = flame_color(FLAME_PAL_HOT, "f", 1, &r2);
	assert_memory_equal(&a1, &b1, sizeof(a1));
	assert_memory_not_equal(&a1, &a2, sizeof(a1));
	for (int i = 0; i < 1000; i++) {
		c = flame_color(FLAME_PAL_HOT, "f", 1, &r1);
		assert_true(c.r >= 205 && c.g <= 230 && c.b <= 55);
	}

	c = flame_diff_color(5, 10, 0);
	assert_true(c.r == 255 && c.g == 105 && c.b == 105);
	c = flame_diff_color(5, 10, 1);
	assert_true(c.b == 255 && c.r == 105 && c.g == 105);
	c = flame_diff_color(-50, 10, 0);
	assert_true(c.b == 255 && c.r == 0 && c.g == 0);

	char b1s[8], b2s[8];
	assert_int_equal(flame_bgcolors(NULL, FLAME_PAL_IO, b1s, b2s), 0);
	assert_string_equal(b2s, "#e0e0ff");
	assert_int_equal(flame_bgcolors("grey", FLAME_PAL_HOT, b1s, b2s), 0);
	assert_string_equal(b1s, "#f8f8f8");
	assert_int_equal(flame_bgcolors("mauve", FLAME_PAL_HOT, b1s, b2s), -EINVAL);
	assert_int_equal(flame_palette_find("aqua"), FLAME_PAL_AQUA);
	assert_int_equal(flame_palette_find("nope"), -1);
}

/* ---- helpers of the writer ------------------------------------------------------- */

static const char *tb_text(struct tbuf *b)
{
	tbuf_put_u8(b, 0);
	b->len--;
	return (const char *)b->data;
}

static void test_xml_helpers(void **state)
{
	struct tbuf b;
	tbuf_init(&b);
	fgx_num(&b, 10);
	fgx_chr(&b, ' ');
	fgx_num(&b, 10.5);
	fgx_chr(&b, ' ');
	fgx_num(&b, 10.256);
	fgx_chr(&b, ' ');
	fgx_num(&b, -0.001);
	fgx_chr(&b, ' ');
	fgx_num(&b, -2.5);
	fgx_chr(&b, ' ');
	fgx_fixed2(&b, 12.3);
	fgx_chr(&b, ' ');
	fgx_fixed2(&b, 0.004);
	fgx_chr(&b, ' ');
	fgx_u64_grouped(&b, 1234567);
	fgx_chr(&b, ' ');
	fgx_u64_grouped(&b, 999);
	fgx_chr(&b, ' ');
	fgx_u64_grouped(&b, UINT64_MAX);
	assert_string_equal(tb_text(&b), "10 10.5 10.26 0 -2.5 12.30 0.00 1,234,567 999 "
					 "18,446,744,073,709,551,615");
	tbuf_reset(&b);
	fgx_xml_prefix(&b, "a&b\xe2\x82\xac" "cd", 8, 4);
	assert_string_equal(tb_text(&b), "a&amp;b\xe2\x82\xac");
	assert_int_equal(fgx_chars("a\xe2\x82\xac\xff", 5), 3);
	assert_int_equal(fgx_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(fgx_utf8_len((const unsigned char *)"\xef\xbf\xbe", 3), 0);     /* U+FFFE */
	assert_int_equal(fgx_utf8_len((const unsigned char *)"\xf0\x9f\x94\xa5", 4), 4);
	assert_int_equal(fgx_utf8_len((const unsigned char *)"\xe2\x82", 2), 0); /* cut short */
	tbuf_free(&b);
}

static void test_strtab_and_lines(void **state)
{
	struct fg_strtab t;
	assert_int_equal(fg_strtab_init(&t), 0);
	static const char *const keys[] = { "b", "a;b", "a", "", "a-b", "\xff" };
	int added;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < 6; i++)
			(*fg_strtab_upsert(&t, keys[i], strlen(keys[i]), &added))++;
	for (int i = 0; i < 5000; i++) { /* several rehashes */
		char k[16];
		int n = snprintf(k, sizeof(k), "k%d", i);
		*fg_strtab_upsert(&t, k, (size_t)n, &added) = (uint64_t)i;
		assert_true(added);
	}
	assert_true(*fg_strtab_find(&t, "a;b", 3) == 2);
	assert_true(*fg_strtab_find(&t, "k4321", 5) == 4321);
	assert_null(fg_strtab_find(&t, "zz", 2));
	fg_strtab_sort(&t);
	/* Byte order, a prefix first ("a" < "a-b" < "a;b"). */
	assert_string_equal(t.ents[0].key, "");
	assert_string_equal(t.ents[1].key, "a");
	assert_string_equal(t.ents[2].key, "a-b");
	assert_string_equal(t.ents[3].key, "a;b");
	assert_string_equal(t.ents[t.n - 1].key, "\xff");
	assert_true(*fg_strtab_find(&t, "k17", 3) == 17); /* still a table */
	fg_strtab_free(&t);

	int p[2];
	assert_int_equal(pipe(p), 0);
	const char *text = "one\n\nthree\r\nlast";
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	struct fg_lines r;
	assert_int_equal(fg_lines_init(&r, p[0], 0), 0);
	const char *line;
	size_t len;
	assert_int_equal(fg_lines_next(&r, &line, &len), 1);
	assert_true(len == 3 && !memcmp(line, "one", 3));
	assert_int_equal(fg_lines_next(&r, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(fg_lines_next(&r, &line, &len), 1);
	assert_true(len == 6 && !memcmp(line, "three\r", 6));
	assert_int_equal(fg_lines_next(&r, &line, &len), 1);
	assert_true(len == 4 && !memcmp(line, "last", 4) && r.lineno == 4);
	assert_int_equal(fg_lines_next(&r, &line, &len), 0);
	fg_lines_free(&r);
	close(p[0]);

	/* A line past the limit is an error, not unbounded memory. */
	char path[] = "/tmp/test_flamegraph_long.XXXXXX";
	int fd = mkstemp(path);
	size_t big = (3u << 20) + 5;
	char *junk = malloc(big);
	memset(junk, 'x', big);
	assert_int_equal(write(fd, junk, big), (ssize_t)big);
	free(junk);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(fg_lines_init(&r, fd, 2u << 20), 0);
	assert_int_equal(fg_lines_next(&r, &line, &len), -E2BIG);
	fg_lines_free(&r);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_parse),
		cmocka_unit_test(test_folded_read),
		cmocka_unit_test(test_tree_merge),
		cmocka_unit_test(test_tree_reverse_and_chart),
		cmocka_unit_test(test_tree_limits),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_svg_widths),
		cmocka_unit_test(test_svg_deterministic),
		cmocka_unit_test(test_svg_prune),
		cmocka_unit_test(test_svg_escaping),
		cmocka_unit_test(test_svg_labels),
		cmocka_unit_test(test_svg_layout_options),
		cmocka_unit_test(test_svg_differential),
		cmocka_unit_test(test_svg_empty_and_errors),
		cmocka_unit_test(test_svg_palette_file),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_xml_helpers),
		cmocka_unit_test(test_strtab_and_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
