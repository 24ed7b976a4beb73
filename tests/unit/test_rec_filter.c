/* SPDX-License-Identifier: MIT */
/*
 * --filter: record/filter.c compiles, bpf/filter_prog.h evaluates. Every
 * operator on every integer width and signedness, precedence, strings
 * (char arrays, __data_loc, __rel_loc; exact and prefix), error messages
 * with their columns, the instruction limit, and the evaluator on
 * malformed programs, short records and random input.
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

#include "filter.h"
#include "filter_prog.h"
#include "schema.h"

/* ---- the event: sched_switch's layout plus one field of each kind ------- */

static const struct trec_field fields[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_UINT, 0, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 0, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "prev_comm", "char[16]", TREC_F_CHARS, 0, 8, 1, 16 },
	{ "prev_pid", "pid_t", TREC_F_INT, 0, 24, 4, 1 },
	{ "prev_prio", "int", TREC_F_INT, 0, 28, 4, 1 },
	{ "prev_state", "long", TREC_F_INT, 0, 32, 8, 1 },
	{ "next_comm", "char[16]", TREC_F_CHARS, 0, 40, 1, 16 },
	{ "next_pid", "pid_t", TREC_F_INT, 0, 56, 4, 1 },
	{ "flags", "unsigned int", TREC_F_UINT, 0, 60, 4, 1 },
	{ "s8v", "s8", TREC_F_INT, 0, 64, 1, 1 },
	{ "u8v", "u8", TREC_F_UINT, 0, 65, 1, 1 },
	{ "s16v", "s16", TREC_F_INT, 0, 66, 2, 1 },
	{ "u16v", "u16", TREC_F_UINT, 0, 68, 2, 1 },
	{ "u64v", "u64", TREC_F_UINT, 0, 72, 8, 1 },
	{ "ptr", "void *", TREC_F_HEX, 0, 80, 8, 1 },
	{ "args", "unsigned long[4]", TREC_F_UINT, 0, 88, 8, 4 },
	{ "path", "__data_loc char[]", TREC_F_DATA_LOC, 0, 120, 4, 1 },
	{ "rel", "__rel_loc char[]", TREC_F_REL_LOC, 0, 124, 4, 1 },
	{ "raw", "u8[8]", TREC_F_BYTES, 0, 128, 1, 8 },
};
static const struct trec_schema schema = {
	.id = 1, .name = "test:ev", .probe = "tracepoint:test:ev", .fixed_size = 136,
	.nfields = sizeof(fields) / sizeof(fields[0]), .fields = fields,
};

/* ---- records ------------------------------------------------------------- */

#define PUT(r, off, type, val)                          \
	do {                                            \
		type v_ = (type)(val);                  \
		memcpy((r) + (off), &v_, sizeof(v_));   \
	} while (0)

static unsigned char rec[512];
static uint32_t rec_size;

static void put_str(size_t off, const char *s, size_t n)
{
	memset(rec + off, 0, n);
	memcpy(rec + off, s, strnlen(s, n));
}

/* The record the tables below are written against. */
static void base_record(void)
{
	memset(rec, 0, sizeof(rec));
	PUT(rec, 0, uint16_t, 372);
	put_str(8, "bash", 16);
	PUT(rec, 24, int32_t, 42);
	PUT(rec, 28, int32_t, 120);
	PUT(rec, 32, int64_t, 1);
	put_str(40, "swapper/0", 16);
	PUT(rec, 56, int32_t, 0);
	PUT(rec, 60, uint32_t, 0x5);
	PUT(rec, 64, int8_t, -5);
	PUT(rec, 65, uint8_t, 200);
	PUT(rec, 66, int16_t, -300);
	PUT(rec, 68, uint16_t, 60000);
	PUT(rec, 72, uint64_t, 0xfffffffffffffff0ull);
	PUT(rec, 80, uint64_t, 0xffff888012345678ull);
	for (int i = 0; i < 4; i++)
		PUT(rec, 88 + 8 * i, uint64_t, i + 1);
	/* path: "/etc/passwd\0" at 136; rel: "x\0" at 148, 20 past its field's end */
	memcpy(rec + 136, "/etc/passwd", 12);
	PUT(rec, 120, uint32_t, 12u << 16 | 136);
	memcpy(rec + 148, "x", 2);
	PUT(rec, 124, uint32_t, 2u << 16 | 20);
	rec_size = 150;
}

static int setup(void **state)
{
	(void)state;
	base_record();
	return 0;
}

static struct trec_filter_prog compile_ok(const char *expr)
{
	struct trec_filter_prog p;
	struct trec_err err = { 0 };
	int r = trec_filter_compile(expr, &schema, &p, &err);
	if (r)
		fail_msg("'%s': %d %s", expr, r, err.msg);
	assert_true(p.n >= 1 && p.n <= TREC_FILTER_MAX_INSNS);
	return p;
}

static int keep(const char *expr)
{
	struct trec_filter_prog p = compile_ok(expr);
	return trec_filter_eval(&p, rec, rec_size);
}

struct case_ {
	const char *expr;
	int want;
};

static void run_cases(const struct case_ *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = keep(c[i].expr);
		if (got != c[i].want)
			fail_msg("'%s': got %d, want %d", c[i].expr, got, c[i].want);
	}
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

/* ---- integers ------------------------------------------------------------ */

static void test_int_ops(void **state)
{
	static const struct case_ cases[] = {
		{ "prev_prio == 120", 1 }, { "prev_prio == 121", 0 },
		{ "prev_prio != 120", 0 }, { "prev_prio != 7", 1 },
		{ "prev_prio < 121", 1 },  { "prev_prio < 120", 0 },
		{ "prev_prio <= 120", 1 }, { "prev_prio <= 119", 0 },
		{ "prev_prio > 119", 1 },  { "prev_prio > 120", 0 },
		{ "prev_prio >= 120", 1 }, { "prev_prio >= 121", 0 },
		{ "prev_pid == 0x2a", 1 }, { "prev_pid == 0X2A", 1 },
		{ "prev_pid > -1", 1 },    { "prev_pid < -1", 0 },
		{ "common_pid == 0", 1 },  { "common_type == 372", 1 },
		{ "prev_pid==42", 1 },     { "\tprev_pid\n==\r42 ", 1 },
		/* 1 byte, signed and unsigned */
		{ "s8v == -5", 1 }, { "s8v < 0", 1 }, { "s8v > -6", 1 }, { "s8v >= -5", 1 }, { "s8v > -5", 0 },
		{ "s8v == 0xfb", 1 },  /* the bit pattern of -5 */
		{ "s8v == 255", 0 },   /* -1 */
		{ "u8v == 200", 1 }, { "u8v > 127", 1 }, { "u8v == -56", 1 }, /* -56 is 200 in 8 bits */
		/* 2 bytes */
		{ "s16v < 0", 1 }, { "s16v < -300", 0 }, { "s16v <= -300", 1 }, { "s16v >= -300", 1 },
		{ "s16v > -301", 1 }, { "u16v > 59999", 1 }, { "u16v == 60000", 1 }, { "u16v < 0x8000", 0 },
		/* 8 bytes: unsigned compare above 2^63, signed below 0 */
		{ "u64v == 0xfffffffffffffff0", 1 }, { "u64v > 0x7fffffffffffffff", 1 }, { "u64v == -16", 1 },
		{ "u64v == 18446744073709551600", 1 }, { "u64v < 5", 0 },
		{ "prev_state == 1", 1 }, { "prev_state < 0", 0 }, { "prev_state > -9223372036854775808", 1 },
		/* bit tests */
		{ "flags & 4", 1 }, { "flags & 2", 0 }, { "flags & 0x5", 1 }, { "flags & 0", 0 },
		{ "flags&1", 1 },
		/* pointers compare unsigned */
		{ "ptr == 0xffff888012345678", 1 }, { "ptr != 0", 1 }, { "ptr > 0x7fffffffffffffff", 1 },
		/* array elements */
		{ "args[0] == 1", 1 }, { "args[3] == 4", 1 }, { "args[3] > 4", 0 }, { "args [ 2 ] == 3", 1 },
	};
	(void)state;
	RUN(cases);
}

static void test_precedence(void **state)
{
	/* a = prev_pid == 42 (true), b = next_pid == 1 (false), c = prev_prio == 0 (false) */
	static const struct case_ cases[] = {
		{ "prev_pid == 42 || next_pid == 1 && prev_prio == 0", 1 },   /* a || (b && c) */
		{ "next_pid == 1 && prev_prio == 0 || prev_pid == 42", 1 },   /* (b && c) || a */
		{ "(prev_pid == 42 || next_pid == 1) && prev_prio == 0", 0 }, /* parentheses win */
		{ "!next_pid == 1 && prev_pid == 42", 1 },                    /* (!b) && a */
		{ "!prev_pid == 42 || prev_pid == 42", 1 },
		{ "!(prev_pid == 42 && next_pid == 1)", 1 },
		{ "!(prev_pid == 42) && next_pid == 1", 0 },
		{ "!!prev_pid == 42", 1 },
		{ "!!!prev_pid == 42", 0 },
		{ "((((prev_pid == 42))))", 1 },
		{ "prev_pid == 42 && !(next_pid == 1 || prev_prio == 0)", 1 },
		{ "prev_pid == 42 && next_pid == 0 && prev_prio == 120 && flags & 1", 1 },
		{ "next_pid == 1 || prev_prio == 0 || flags & 2 || prev_pid != 42", 0 },
	};
	(void)state;
	RUN(cases);

	/* The shape: a b c AND OR. */
	struct trec_filter_prog p = compile_ok("prev_pid == 42 || next_pid == 1 && prev_prio == 0");
	static const uint8_t ops[] = { TREC_FOP_CMP_INT, TREC_FOP_CMP_INT, TREC_FOP_CMP_INT, TREC_FOP_AND,
				       TREC_FOP_OR };
	assert_int_equal(p.n, sizeof(ops));
	for (size_t i = 0; i < sizeof(ops); i++)
		assert_int_equal(p.insn[i].op, ops[i]);
	assert_int_equal(p.insn[0].offset, 24);
	assert_int_equal(p.insn[0].size, 4);
	assert_int_equal(p.insn[0].flags, TREC_FF_SIGNED);
	assert_int_equal(p.insn[0].imm, 42);
}

/* ---- strings ---------------------------------------------------------------- */

static void test_chars(void **state)
{
	static const struct case_ cases[] = {
		{ "prev_comm == bash", 1 },     { "prev_comm == \"bash\"", 1 }, { "prev_comm != bash", 0 },
		{ "prev_comm == bas", 0 },      { "prev_comm == basher", 0 },   { "prev_comm == \"ba*\"", 1 },
		{ "prev_comm == ba*", 1 },      { "prev_comm == bash*", 1 },    { "prev_comm == bashx*", 0 },
		{ "prev_comm != ba*", 0 },      { "prev_comm != zsh*", 1 },     { "prev_comm == *", 1 },
		{ "prev_comm == \"\"", 0 },     { "next_comm == swapper/0", 1 }, { "next_comm == \"swapper*\"", 1 },
		{ "next_comm == swapper/1", 0 }, { "next_comm==swapper/0&&prev_comm==bash", 1 },
		{ "(prev_comm == zsh || prev_comm == bash) && !(next_comm == sw*)", 0 },
	};
	(void)state;
	RUN(cases);

	/* 16 bytes, no NUL: the second immediate word and the no-terminator case. */
	memcpy(rec + 8, "kworker/u16:3-ev", 16);
	static const struct case_ full[] = {
		{ "prev_comm == \"kworker/u16:3-ev\"", 1 }, { "prev_comm == \"kworker/u16:3-e\"", 0 },
		{ "prev_comm == \"kworker/u16:3-e*\"", 1 }, { "prev_comm == \"kworker/u16:3-ex\"", 0 },
		{ "prev_comm == \"kworker/u16:4-ev\"", 0 }, { "prev_comm == kworker/*", 1 },
		{ "prev_comm == \"kworker/u16:3-ev*\"", 1 },
	};
	RUN(full);

	/* Escapes in quoted strings: \" and \\ and a literal \*. */
	put_str(8, "a\"b*\\", 16);
	static const struct case_ esc[] = {
		{ "prev_comm == \"a\\\"b\\*\\\\\"", 1 },
		{ "prev_comm == \"a\\\"b*\"", 1 },
		{ "prev_comm == \"a\\\"bx\"", 0 },
	};
	RUN(esc);

	/* Empty comm. */
	put_str(8, "", 16);
	assert_int_equal(keep("prev_comm == \"\""), 1);
	assert_int_equal(keep("prev_comm == *"), 1);
	assert_int_equal(keep("prev_comm == a*"), 0);
}

static void test_dynamic_strings(void **state)
{
	static const struct case_ cases[] = {
		{ "path == /etc/passwd", 1 },   { "path == \"/etc/*\"", 1 },    { "path == /etc/shadow", 0 },
		{ "path != /etc/shadow", 1 },   { "path == /etc/passw", 0 },    { "path == /etc/passwdx", 0 },
		{ "path == /etc/passwd*", 1 },  { "path == \"\"", 0 },          { "rel == x", 1 },
		{ "rel == y", 0 },              { "rel == x*", 1 },             { "rel != x", 0 },
		{ "path == \"/etc/passwd\" && rel == x && prev_comm == bash", 1 },
	};
	(void)state;
	RUN(cases);

	/* Length without a NUL (__string_len style). */
	PUT(rec, 120, uint32_t, 11u << 16 | 136);
	assert_int_equal(keep("path == /etc/passwd"), 1);
	assert_int_equal(keep("path == /etc/passwdx"), 0);
	/* Data shorter than the string. */
	PUT(rec, 120, uint32_t, 4u << 16 | 136);
	assert_int_equal(keep("path == /etc/passwd"), 0);
	assert_int_equal(keep("path == /etc*"), 1);
	/* Empty string. */
	PUT(rec, 120, uint32_t, 1u << 16 | 147);
	assert_int_equal(keep("path == \"\""), 1);
	PUT(rec, 120, uint32_t, 0u << 16 | 136);
	assert_int_equal(keep("path == \"\""), 1);
	/* Data outside the record: false under == and != alike. */
	PUT(rec, 120, uint32_t, 12u << 16 | 300);
	assert_int_equal(keep("path == /etc/passwd"), 0);
	assert_int_equal(keep("path != /etc/passwd"), 0);
	assert_int_equal(keep("!(path == /etc/passwd)"), 1);
	PUT(rec, 120, uint32_t, 12u << 16 | 145); /* starts inside, ends outside */
	assert_int_equal(keep("path == /etc/passwd"), 0);
	PUT(rec, 124, uint32_t, 2u << 16 | 0xffff);
	assert_int_equal(keep("rel == x"), 0);

	/* The instruction. */
	struct trec_filter_prog p = compile_ok("path == \"/usr/lib/x86_64*\"");
	assert_int_equal(p.n, 1);
	assert_int_equal(p.insn[0].op, TREC_FOP_CMP_STR);
	assert_int_equal(p.insn[0].flags, TREC_FF_DATA_LOC | TREC_FF_PREFIX);
	assert_int_equal(p.insn[0].offset, 120);
	assert_int_equal(p.insn[0].len, 15);
	assert_int_equal(p.insn[0].imm, 0x62696c2f7273752full); /* "/usr/lib" little-endian */
	assert_int_equal(p.insn[0].imm2, 0x34365f3638782full);  /* "/x86_64" */
}

/* ---- errors ---------------------------------------------------------------- */

static void expect_err(const char *expr, int code, const char *want)
{
	struct trec_filter_prog p;
	struct trec_err err = { 0 };
	int r = trec_filter_compile(expr, &schema, &p, &err);
	if (r != code)
		fail_msg("'%s': got %d (%s), want %d", expr, r, err.msg, code);
	if (!strstr(err.msg, want))
		fail_msg("'%s': message \"%s\" lacks \"%s\"", expr, err.msg, want);
	assert_int_equal(p.n, 0);
}

static void test_errors(void **state)
{
	static const struct {
		const char *expr, *want;
	} cases[] = {
		{ "prev_pid > ", "--filter 'prev_pid > ': expected a value at column 12" },
		{ "prev_pid ==", "expected a value at column 12" },
		{ "prev_pid = 1", "expected an operator (== != < <= > >= &), found '='; equality is '==' at column 10" },
		{ "prev_pid && 1", "expected an operator (== != < <= > >= &), found '&&' at column 10" },
		{ "prev_pid", "expected an operator (== != < <= > >= &), found the end at column 9" },
		{ "prev_pid == 1 &&", "expected a field name, found the end at column 17" },
		{ "prev_pid == 1 || || next_pid == 1", "expected a field name, found '||' at column 18" },
		{ "== 1", "expected a field name, found '==' at column 1" },
		{ "prev_pid == 1 &&& next_pid == 2", "expected a field name, found '&' at column 17" },
		{ "(prev_pid == 1", "expected ')' to close the '(' at column 1, found the end at column 15" },
		{ "prev_pid == 1)", "unmatched ')' at column 14" },
		{ "prev_pid == 1 next_pid == 2", "expected && or || or the end, found 'next_pid' at column 15" },
		{ "prev_pid == 12abc", "unexpected 'a' in a number at column 15" },
		{ "prev_pid == 1.5", "unexpected '.' in a number at column 14" },
		{ "prev_pid == abc", "expected a number, found 'abc' at column 13" },
		{ "prev_pid == - 1", "expected a number, found '-' at column 13" },
		{ "prev_pid == 0x", "expected hex digits after '0x' at column 15" },
		{ "prev_pid == 99999999999999999999", "number does not fit in 64 bits at column 13" },
		{ "u8v == 256", "256 does not fit field 'u8v' (1-byte unsigned) at column 8" },
		{ "s8v == -129", "-129 does not fit field 's8v' (1-byte signed) at column 8" },
		{ "prev_pid == 0x100000000", "does not fit field 'prev_pid' (4-byte signed)" },
		{ "u16v == -32769", "does not fit field 'u16v'" },
		{ "prev_comm == \"abc", "unterminated string at column 14" },
		{ "prev_comm == \"abc\\", "unterminated string at column 14" },
		{ "prev_comm == \"a*c\"", "'*' is only allowed at the end of a string (a prefix match) at column 16" },
		{ "prev_comm == a*c", "'*' is only allowed at the end of a string (a prefix match) at column 15" },
		{ "prev_comm == \"ab\"c", "unexpected 'c' after the string at column 18" },
		{ "path == \"12345678901234567\"", "string longer than 16 bytes (a filter compares at most 16) at column 9" },
		{ "prev_comm == 12345678901234567", "string longer than 16 bytes" },
		{ "prev_comm == ", "expected a value at column 14" },
		{ "prev_comm == && prev_pid == 1", "expected a value at column 14" },
		{ "prev_comm < a", "operator '<' does not apply to string field 'prev_comm'; use == or != at column 11" },
		{ "path & 1", "operator '&' does not apply to string field 'path'" },
		{ "raw == 1", "field 'raw' holds raw bytes and cannot be compared at column 1" },
		{ "args == 1", "field 'args' is an array of 4; compare one element: args[0] at column 1" },
		{ "args[4] == 1", "index out of range: 'args' has 4 elements at column 6" },
		{ "args[99999999999] == 1", "index out of range" },
		{ "args[x] == 1", "expected an index at column 6" },
		{ "args[0 == 1", "expected ']' at column 8" },
		{ "prev_pid[0] == 1", "field 'prev_pid' is not an array of integers at column 9" },
		{ "prev_comm[0] == a", "field 'prev_comm' is not an array of integers" },
		{ "", "--filter '': empty expression at column 1" },
		{ "   ", "empty expression at column 4" },
		{ "()", "expected a field name, found ')' at column 2" },
		{ "!", "expected a field name, found the end at column 2" },
		{ "1 == prev_pid", "expected a field name, found '1' at column 1" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_err(cases[i].expr, -EINVAL, cases[i].want);

	/* Unknown field: names the column and lists the fields. */
	struct trec_filter_prog p;
	struct trec_err err = { 0 };
	assert_int_equal(trec_filter_compile("prev_pid == 1 && foo == 1", &schema, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown field 'foo' at column 18; test:ev has: common_type, common_flags, "));
	assert_non_null(strstr(err.msg, "prev_pid"));
	assert_non_null(strstr(err.msg, "raw"));

	/* Bad arguments. */
	assert_int_equal(trec_filter_compile(NULL, &schema, &p, &err), -EINVAL);
	assert_int_equal(trec_filter_compile("a == 1", NULL, &p, &err), -EINVAL);
	assert_int_equal(trec_filter_compile("a == 1", &schema, NULL, &err), -EINVAL);
	assert_int_equal(trec_filter_compile("prev_pid == 1", &schema, &p, NULL), 0);
}

static void test_limits(void **state)
{
	char buf[8192];
	struct trec_filter_prog p;
	struct trec_err err = { 0 };
	size_t n = 0;
	(void)state;

	/* 16 comparisons and 15 ANDs: 31 instructions. */
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sprev_pid != %d", i ? " && " : "", i + 100);
	p = compile_ok(buf);
	assert_int_equal(p.n, 31);
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);

	/* With a NOT: exactly 32. */
	char neg[8300];
	snprintf(neg, sizeof(neg), "!(%s)", buf);
	p = compile_ok(neg);
	assert_int_equal(p.n, 32);
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);

	/* One more comparison does not fit. */
	snprintf(buf + n, sizeof(buf) - n, " && prev_pid != 7");
	assert_int_equal(trec_filter_compile(buf, &schema, &p, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "needs more than 32 instructions"));
	assert_int_equal(p.n, 0);

	/* Nesting. */
	n = 0;
	for (int i = 0; i < 70; i++)
		buf[n++] = '(';
	snprintf(buf + n, sizeof(buf) - n, "prev_pid == 1");
	expect_err(buf, -EINVAL, "nested deeper than 64 levels at column 65");
	memset(buf, '!', 100);
	snprintf(buf + 100, sizeof(buf) - 100, "prev_pid == 1");
	expect_err(buf, -EINVAL, "nested deeper than 64 levels");
	/* 63 levels are fine. */
	n = 0;
	for (int i = 0; i < 63; i++)
		buf[n++] = '(';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "prev_pid == 42");
	for (int i = 0; i < 63; i++)
		buf[n++] = ')';
	buf[n] = 0;
	assert_int_equal(keep(buf), 1);

	/* Length: 4096 bytes of spaces around a comparison pass, 4097 do not. */
	memset(buf, ' ', TREC_FILTER_EXPR_MAX);
	memcpy(buf, "prev_pid == 42", 14);
	buf[TREC_FILTER_EXPR_MAX] = 0;
	assert_int_equal(keep(buf), 1);
	buf[TREC_FILTER_EXPR_MAX] = ' ';
	buf[TREC_FILTER_EXPR_MAX + 1] = 0;
	expect_err(buf, -EINVAL, "longer than 4096 bytes");
}

/* A field past what the BPF side copies cannot be filtered on. */
static void test_far_field(void **state)
{
	static const struct trec_field far_fields[] = {
		{ "near", "int", TREC_F_INT, 0, 0, 4, 1 },
		{ "edge", "int", TREC_F_INT, 0, 4092, 4, 1 },
		{ "far", "int", TREC_F_INT, 0, 4093, 4, 1 },
		{ "farstr", "char[8]", TREC_F_CHARS, 0, 5000, 1, 8 },
	};
	static const struct trec_schema far = {
		.id = 2, .name = "test:far", .fixed_size = 5008, .nfields = 4, .fields = far_fields,
	};
	struct trec_filter_prog p;
	struct trec_err err = { 0 };
	static unsigned char big[6000];
	(void)state;

	assert_int_equal(trec_filter_compile("far == 1", &far, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "lies beyond the first 4096 bytes"));
	assert_int_equal(trec_filter_compile("farstr == a", &far, &p, &err), -EINVAL);
	assert_int_equal(trec_filter_compile("edge == 7 && near == 3", &far, &p, &err), 0);
	PUT(big, 4092, int32_t, 7);
	PUT(big, 0, int32_t, 3);
	/* A record longer than the filter's window is judged on its start. */
	assert_int_equal(trec_filter_eval(&p, big, sizeof(big)), 1);
	assert_int_equal(trec_filter_eval(&p, big, 4096), 1);
	assert_int_equal(trec_filter_eval(&p, big, 4095), 0);
}

/* ---- the evaluator on its own ---------------------------------------------- */

static void test_short_record(void **state)
{
	struct trec_filter_prog p = compile_ok("next_pid == 0");
	(void)state;

	assert_int_equal(trec_filter_eval(&p, rec, 60), 1);
	assert_int_equal(trec_filter_eval(&p, rec, 59), 0); /* next_pid is [56, 60) */
	p = compile_ok("next_pid != 5");
	assert_int_equal(trec_filter_eval(&p, rec, 58), 0); /* missing compares false */
	p = compile_ok("!(next_pid == 0)");
	assert_int_equal(trec_filter_eval(&p, rec, 58), 1);
	p = compile_ok("prev_comm == bash");
	assert_int_equal(trec_filter_eval(&p, rec, 13), 1); /* "bash" and its NUL */
	assert_int_equal(trec_filter_eval(&p, rec, 12), 0);
	p = compile_ok("prev_comm == ba*");
	assert_int_equal(trec_filter_eval(&p, rec, 10), 1);
	assert_int_equal(trec_filter_eval(&p, rec, 0), 0);
}

static struct trec_filter_insn cmp_true(void)
{
	/* common_type == 372 */
	struct trec_filter_insn in = { .op = TREC_FOP_CMP_INT, .size = 2, .cmp = TREC_FCMP_EQ, .offset = 0,
				       .imm = 372 };
	return in;
}

static void test_malformed_programs(void **state)
{
	struct trec_filter_prog p;
	(void)state;

	memset(&p, 0, sizeof(p));
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1); /* empty: keep */
	p.n = TREC_FILTER_MAX_INSNS + 1;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);

	memset(&p, 0, sizeof(p));
	p.n = 1;
	p.insn[0].op = TREC_FOP_AND; /* underflow */
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);
	p.insn[0].op = TREC_FOP_NOT;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);
	p.insn[0].op = 99;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);
	p.insn[0].op = 0;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);

	/* A valid false result is a drop... */
	p.insn[0] = cmp_true();
	p.insn[0].imm = 1;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);
	/* ...but two results left on the stack is malformed. */
	p.n = 2;
	p.insn[1] = p.insn[0];
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);

	/* 32 pushes fill the stack exactly; the result is not single. */
	p.n = TREC_FILTER_MAX_INSNS;
	for (int i = 0; i < TREC_FILTER_MAX_INSNS; i++)
		p.insn[i] = cmp_true();
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);
	/* 16 pushes folded by 15 ANDs, then a NOT. */
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < 16; i++)
		p.insn[p.n++] = cmp_true();
	for (int i = 0; i < 15; i++)
		p.insn[p.n++].op = TREC_FOP_AND;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 1);
	p.insn[p.n++].op = TREC_FOP_NOT;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);

	/* Bad widths and lengths compare false. */
	memset(&p, 0, sizeof(p));
	p.n = 1;
	p.insn[0] = cmp_true();
	p.insn[0].size = 3;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);
	p.insn[0].cmp = 42;
	p.insn[0].size = 2;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);
	p.insn[0] = (struct trec_filter_insn){ .op = TREC_FOP_CMP_STR, .size = 16, .offset = 8, .len = 17 };
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);
	p.insn[0].offset = 0xffff;
	p.insn[0].len = 4;
	assert_int_equal(trec_filter_eval(&p, rec, rec_size), 0);
}

/* ---- random input ---------------------------------------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const rand_cmp[] = {
	"prev_pid == 42", "prev_pid > -1", "s8v < 0", "u64v >= 0x10", "flags & 4", "args[1] != 2",
	"prev_comm == bash", "prev_comm != \"ba*\"", "path == \"/etc/*\"", "rel == x", "next_comm == *",
	"common_pid <= 0", "u8v == 200", "ptr != 0",
};
static const char *const rand_junk[] = {
	"(", ")", "!", "&&", "||", "&", "==", "\"", "*", "[", "]", "0x", "=", "nope", "raw", "args", "-",
	"18446744073709551616", "\\",
};

/* A random expression from the grammar; depth bounds the recursion. */
static void gen_expr(char *b, size_t len, size_t *n, int depth)
{
	unsigned k = depth > 3 ? 0 : (unsigned)(rnd() % 5);
	const char *sep = rnd() % 2 ? " " : "";
	switch (k) {
	case 0:
	case 1:
		*n += (size_t)snprintf(b + *n, len - *n, "%s", rand_cmp[rnd() % (sizeof(rand_cmp) / sizeof(*rand_cmp))]);
		break;
	case 2:
		*n += (size_t)snprintf(b + *n, len - *n, "!%s", sep);
		gen_expr(b, len, n, depth + 1);
		break;
	case 3:
		*n += (size_t)snprintf(b + *n, len - *n, "(%s", sep);
		gen_expr(b, len, n, depth + 1);
		*n += (size_t)snprintf(b + *n, len - *n, "%s)", sep);
		break;
	default:
		gen_expr(b, len, n, depth + 1);
		*n += (size_t)snprintf(b + *n, len - *n, " %s ", rnd() % 2 ? "&&" : "||");
		gen_expr(b, len, n, depth + 1);
		break;
	}
	if (*n >= len)
		*n = len - 1;
}

/* Grammar-generated expressions, some with a random token spliced in or a
 * random cut: whatever compiles must evaluate without incident. */
static void test_random(void **state)
{
	static unsigned char rrec[512];
	int compiled = 0, rejected = 0;
	(void)state;

	for (int iter = 0; iter < 30000; iter++) {
		char expr[1024];
		size_t n = 0;
		gen_expr(expr, sizeof(expr), &n, 0);
		expr[n] = 0;
		if (rnd() % 3 == 0 && n) {
			/* Splice a junk token in at a random place. */
			char tail[1024];
			size_t at = rnd() % n;
			snprintf(tail, sizeof(tail), "%s", expr + at);
			snprintf(expr + at, sizeof(expr) - at, "%s%s",
				 rand_junk[rnd() % (sizeof(rand_junk) / sizeof(*rand_junk))], tail);
		} else if (rnd() % 4 == 0 && n) {
			expr[rnd() % n] = 0;
		}
		struct trec_filter_prog p;
		struct trec_err err = { 0 };
		int r = trec_filter_compile(expr, &schema, &p, &err);
		if (r) {
			assert_true(r == -EINVAL || r == -E2BIG);
			assert_true(err.msg[0] != 0);
			assert_int_equal(p.n, 0);
			rejected++;
			continue;
		}
		compiled++;
		for (size_t i = 0; i < sizeof(rrec); i++)
			rrec[i] = (unsigned char)rnd();
		int k = trec_filter_eval(&p, rrec, (uint32_t)(rnd() % sizeof(rrec)));
		assert_true(k == 0 || k == 1);
		/* Against the known record, whole. */
		k = trec_filter_eval(&p, rec, rec_size);
		assert_true(k == 0 || k == 1);
	}
	assert_true(compiled > 1000);
	assert_true(rejected > 1000);

	/* Random programs on random records. */
	for (int iter = 0; iter < 30000; iter++) {
		struct trec_filter_prog p;
		unsigned char *b = (unsigned char *)&p;
		for (size_t i = 0; i < sizeof(p); i++)
			b[i] = (unsigned char)rnd();
		p.n %= TREC_FILTER_MAX_INSNS + 2;
		for (uint32_t i = 0; i < TREC_FILTER_MAX_INSNS; i++) {
			p.insn[i].op = (uint8_t)(1 + rnd() % 5);
			p.insn[i].offset %= 600;
		}
		int k = trec_filter_eval(&p, rrec, (uint32_t)(rnd() % sizeof(rrec)));
		assert_true(k == 0 || k == 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_int_ops, setup),
		cmocka_unit_test_setup(test_precedence, setup),
		cmocka_unit_test_setup(test_chars, setup),
		cmocka_unit_test_setup(test_dynamic_strings, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_limits, setup),
		cmocka_unit_test_setup(test_far_field, setup),
		cmocka_unit_test_setup(test_short_record, setup),
		cmocka_unit_test_setup(test_malformed_programs, setup),
		cmocka_unit_test_setup(test_random, setup),
	};
	return cmocka_run_group_tests_name("rec_filter", tests, NULL, NULL);
}
