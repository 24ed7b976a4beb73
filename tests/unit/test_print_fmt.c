/* SPDX-License-Identifier: MIT */
/* report/print_fmt.c: which fields a tracepoint's print fmt shows in hex,
 * on the lines this kernel's tracefs prints (casts, helpers, pointer
 * extensions, '*' widths), and its errors; plot_nth_name's file names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plot.h"
#include "print_fmt.h"

struct names {
	char text[512];
	size_t len;
};

static void collect(void *ctx, const char *name, size_t len)
{
	struct names *n = ctx;
	n->len += (size_t)snprintf(n->text + n->len, sizeof(n->text) - n->len, "%s%.*s", n->len ? " " : "", (int)len,
				   name);
}

/* The hex fields of a format text, space-separated; rc into *rc. */
static const char *hex_of(const char *text, int *rc, struct names *n)
{
	memset(n, 0, sizeof(*n));
	struct trec_err err = { 0 };
	*rc = print_fmt_hex_fields(text, strlen(text), collect, n, &err);
	assert_true(*rc == 0 || err.msg[0]);
	return n->text;
}

static void test_kernel_lines(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* syscalls: every argument cast twice, 0x%08lx */
		{ "name: sys_enter_openat\nID: 782\nformat:\n\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\n"
		  "print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx\", "
		  "((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), "
		  "((unsigned long)(REC->mode))\n",
		  "dfd filename flags mode" },
		/* %ps through a (void *) cast, then 0x%lx */
		{ "print fmt: \"address=%ps ip=%ps error_code=0x%lx\", (void *)REC->address, (void *)REC->ip, "
		  "REC->error_code",
		  "address ip error_code" },
		/* decimal and strings: nothing */
		{ "print fmt: \"irq=%d name=%s\", REC->irq, __get_str(name)", "" },
		/* %p and %ps; %llu of a cast field stays decimal; a helper is skipped */
		{ "print fmt: \"hrtimer=%p function=%ps expires=%llu mode=%s was_armed=%d\", REC->hrtimer, REC->function, "
		  "(unsigned long long) REC->expires, __print_symbolic(REC->mode, { 0, \"ABS\" }, { 1, \"REL,X\" }), "
		  "REC->was_armed",
		  "hrtimer function" },
		/* arithmetic on a field is not the field */
		{ "print fmt: \"%d,%d %x\", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & "
		  "((1U << 20) - 1))), REC->x",
		  "x" },
		/* '*' width and precision take arguments; %pI4 prints data, not an address; %% takes none */
		{ "print fmt: \"a=%*.*lx b=%#010x c=%pI4 d=%% e=%p f=%X\", 8, 4, (u64)(REC->a), ((REC->b)), REC->c, "
		  "REC->e, REC->f",
		  "a b e f" },
		/* a quote and a comma inside the format string */
		{ "print fmt: \"say \\\"%x\\\", then %lx\", REC->q, REC->r", "q r" },
		/* more conversions than arguments: those without one are skipped */
		{ "print fmt: \"%x %x %x\", REC->only", "only" },
		/* no print fmt line: nothing known */
		{ "name: x\nID: 1\nformat:\n", "" },
		/* REC alone, REC-> without a name, a name starting with a digit */
		{ "print fmt: \"%x %x %x\", REC, REC->, REC->9x", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		struct names n;
		assert_string_equal(hex_of(cases[i].text, &rc, &n), cases[i].want);
		assert_int_equal(rc, 0);
	}
}

static void test_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"print fmt: \"unterminated %x, REC->a",
		"print fmt: no quote",
		"print fmt: \"%x\" REC->a",
		"print fmt: \"%x\", f(REC->a",
		"print fmt: \"%x\", REC->a)",
		"print fmt: \"%x\", 'c",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;
		struct names n;
		struct trec_err err = { 0 };
		rc = print_fmt_hex_fields(bad[i], strlen(bad[i]), collect, &n, &err);
		assert_int_equal(rc, -EINVAL);
		assert_non_null(strstr(err.msg, "print fmt"));
	}
	/* Bounded by len, not by a NUL: the line ends where the bytes do. */
	const char text[] = "print fmt: \"%x\", REC->abc, REC->zzz";
	struct names n = { 0 };
	struct trec_err err = { 0 };
	assert_int_equal(print_fmt_hex_fields(text, strlen("print fmt: \"%x\", REC->ab"), collect, &n, &err), 0);
	assert_string_equal(n.text, "ab");
}

static void test_plot_names(void **state)
{
	(void)state;
	char b[64];
	assert_int_equal(plot_nth_name("lat.svg", 1, b, sizeof(b)), 0);
	assert_string_equal(b, "lat.svg");
	assert_int_equal(plot_nth_name("dir.x/lat.svg", 12, b, sizeof(b)), 0);
	assert_string_equal(b, "dir.x/lat-12.svg");
	assert_int_equal(plot_nth_name("a.b.png", 2, b, sizeof(b)), 0);
	assert_string_equal(b, "a.b-2.png");
	assert_int_equal(plot_nth_name("lat.svg", 2, b, 9), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_lines),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_plot_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
