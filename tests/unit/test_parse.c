/* SPDX-License-Identifier: MIT */
/*
 * lib/parse: counts, seconds, sizes and durations; and the same answers
 * as the parsers it replaced (lib/units.c's, cli_util.c's by-hand loops,
 * kept below as references) on edge values and on random strings.
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
#include <strings.h>

#include "parse.h"

static void test_u64(void **state)
{
	uint64_t v = 7;
	assert_int_equal(parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -EOVERFLOW);
	assert_int_equal(parse_u64("", 0, 10, &v), -ENODATA);
	assert_int_equal(parse_u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("12x99999999999999999999", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999x", 0, UINT64_MAX, &v), -EOVERFLOW);
	assert_int_equal(parse_u64("11", 1, 10, &v), -ERANGE);
	assert_int_equal(v, 11); /* for the message */
	assert_int_equal(parse_u64("0", 1, 10, &v), -ERANGE);
	assert_int_equal(parse_u64_span("123x", 3, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_u64_span("12", 0, &v), -EINVAL);
}

static void test_seconds(void **state)
{
	uint64_t ns;
	assert_int_equal(parse_seconds_ns("1.5", UINT64_MAX, &ns), 0);
	assert_true(ns == 1500000000ull);
	assert_int_equal(parse_seconds_ns(".000000001", UINT64_MAX, &ns), 0);
	assert_true(ns == 1);
	assert_int_equal(parse_seconds_ns("0.0000000019", UINT64_MAX, &ns), 0); /* truncated */
	assert_true(ns == 1);
	assert_int_equal(parse_seconds_ns("2.", UINT64_MAX, &ns), 0);
	assert_true(ns == 2000000000ull);
	assert_int_equal(parse_seconds_ns("0.1", UINT64_MAX, &ns), 0);
	assert_true(ns == 100000000ull); /* exact: no double */
	assert_int_equal(parse_seconds_ns(".", UINT64_MAX, &ns), -EINVAL);
	assert_int_equal(parse_seconds_ns("", UINT64_MAX, &ns), -EINVAL);
	assert_int_equal(parse_seconds_ns("1s", UINT64_MAX, &ns), -EINVAL);
	assert_int_equal(parse_seconds_ns("1e3", UINT64_MAX, &ns), -EINVAL);
	assert_int_equal(parse_seconds_ns("18446744073.709551615", UINT64_MAX, &ns), 0);
	assert_true(ns == UINT64_MAX);
	assert_int_equal(parse_seconds_ns("18446744073.709551616", UINT64_MAX, &ns), -ERANGE);
	assert_int_equal(parse_seconds_ns("18446744074", UINT64_MAX, &ns), -ERANGE);
	assert_int_equal(parse_seconds_ns("10", 9999999999ull, &ns), -ERANGE);
	assert_int_equal(parse_seconds_ns("9.999999999", 9999999999ull, &ns), 0);
	assert_int_equal(parse_seconds_ns("1", 0, &ns), -ERANGE);
	assert_int_equal(parse_seconds_ns("0", 0, &ns), 0);
}

static void test_sizes_durations(void **state)
{
	uint64_t v;
	assert_int_equal(parse_size_bytes("100M", &v), 0);
	assert_true(v == 100ull << 20);
	assert_int_equal(parse_size_bytes("2G", &v), 0);
	assert_true(v == 2ull << 30);
	assert_int_equal(parse_size_bytes("1.5k", &v), 0);
	assert_true(v == 1536);
	assert_int_equal(parse_size_bytes("2gib", &v), 0);
	assert_int_equal(parse_size_bytes("100b", &v), 0);
	assert_int_equal(parse_size_bytes("100ib", &v), -EINVAL);
	assert_int_equal(parse_size_bytes("1X", &v), -EINVAL);
	assert_int_equal(parse_size_bytes("16777216T", &v), -ERANGE);
	assert_int_equal(parse_duration_ns("10", &v), 0);
	assert_true(v == 10 * PARSE_NS_PER_SEC);
	assert_int_equal(parse_duration_ns("1.5", &v), 0);
	assert_true(v == 1500000000ull);
	assert_int_equal(parse_duration_ns("500ms", &v), 0);
	assert_true(v == 500000000ull);
	assert_int_equal(parse_duration_ns("2m", &v), 0);
	assert_true(v == 120 * PARSE_NS_PER_SEC);
	assert_int_equal(parse_duration_ns("2min", &v), 0);
	assert_int_equal(parse_duration_ns("1.5us", &v), 0);
	assert_true(v == 1500);
	assert_int_equal(parse_duration_ns("1d", &v), -EINVAL);
	assert_int_equal(parse_duration_ns("5124095h", &v), 0); /* 2^64 ns is 5124095.6 h */
	assert_int_equal(parse_duration_ns("5124095.6h", &v), -ERANGE);
	/* Exact where the old fixed point wrapped: 18446744073.8 * 1e9 > 2^64. */
	assert_int_equal(parse_size_bytes("18446744073.8", &v), 0);
	assert_true(v == 18446744073ull);
}

/* ---- the replaced parsers, as they were -------------------------------------- */

static int old_parse_fixed(const char **sp, uint64_t *out, int *wrapped)
{
	const char *s = *sp;
	uint64_t ip = 0, fp = 0;
	int digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		s++;
		uint64_t scale = 100000000;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			fp += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	if (ip > UINT64_MAX / 1000000000ull)
		return -ERANGE;
	*wrapped = ip * 1000000000ull > UINT64_MAX - fp;
	*out = ip * 1000000000ull + fp;
	*sp = s;
	return 0;
}

static int old_scale(uint64_t fixed, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)fixed * mult / 1000000000ull;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

static int old_parse_size(const char *s, uint64_t *bytes, int *wrapped)
{
	uint64_t f;
	int r = old_parse_fixed(&s, &f, wrapped);
	if (r)
		return r;
	uint64_t mult = 1;
	switch (*s) {
	case 'k': case 'K': mult = 1ull << 10; s++; break;
	case 'm': case 'M': mult = 1ull << 20; s++; break;
	case 'g': case 'G': mult = 1ull << 30; s++; break;
	case 't': case 'T': mult = 1ull << 40; s++; break;
	default: break;
	}
	if (!strcasecmp(s, "ib") && mult > 1)
		s += 2;
	else if (!strcasecmp(s, "b"))
		s++;
	if (*s)
		return -EINVAL;
	return old_scale(f, mult, bytes);
}

static int old_parse_duration(const char *s, uint64_t *ns, int *wrapped)
{
	uint64_t f;
	int r = old_parse_fixed(&s, &f, wrapped);
	if (r)
		return r;
	static const struct { const char *suffix; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "", 1000000000ull }, { "m", 60000000000ull }, { "min", 60000000000ull },
		{ "h", 3600000000000ull },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s, units[i].suffix))
			return old_scale(f, units[i].ns, ns);
	return -EINVAL;
}

/* cli_parse_u64's verdicts: 0 ok, 1 empty, 2 not a number, 3 too large,
 * 4 too small, 5 out of range. */
static int old_cli_u64(const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *p = arg;
	uint64_t v = 0;
	if (!*p)
		return 1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 2;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 3;
		v = v * 10 + d;
	}
	if (v < min && max == UINT64_MAX)
		return 4;
	if (v < min || v > max)
		return 5;
	*out = v;
	return 0;
}

static int new_cli_u64(const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	switch (parse_u64(arg, min, max, &v)) {
	case 0: *out = v; return 0;
	case -ENODATA: return 1;
	case -EOVERFLOW: return 3;
	case -ERANGE: return v < min && max == UINT64_MAX ? 4 : 5;
	default: return 2;
	}
}

/* cli_parse_seconds_ns's verdicts: 0 ok, 1 not a number, 2 too large. */
static int old_cli_seconds(const char *arg, uint64_t *out)
{
	const char *p = arg;
	uint64_t sec = 0, frac = 0;
	unsigned ndec = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (sec > (UINT64_MAX / 1000000000u - 9) / 10)
			return 2;
		sec = sec * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (ndec < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				ndec++;
			}
		}
	}
	if (*p || !digits)
		return 1;
	for (; ndec < 9; ndec++)
		frac *= 10;
	*out = sec * 1000000000u + frac;
	return 0;
}

static int new_cli_seconds(const char *arg, uint64_t *out)
{
	int rc = parse_seconds_ns(arg, 18446744069999999999ull, out); /* cli_util.c's bound */
	return rc == -ERANGE ? 2 : rc ? 1 : 0;
}

static void compare(const char *s)
{
	uint64_t a = 1, b = 2;
	int wrapped = 0;
	int ro = old_parse_size(s, &a, &wrapped), rn = parse_size_bytes(s, &b);
	if (!wrapped) {
		if (ro != rn || (!ro && a != b))
			fail_msg("size '%s': old %d %llu, new %d %llu", s, ro, (unsigned long long)a, rn,
				 (unsigned long long)b);
	}
	wrapped = 0;
	ro = old_parse_duration(s, &a, &wrapped);
	rn = parse_duration_ns(s, &b);
	if (!wrapped) {
		if (ro != rn || (!ro && a != b))
			fail_msg("duration '%s': old %d, new %d", s, ro, rn);
	}
	static const uint64_t ranges[][2] = { { 0, UINT64_MAX }, { 1, UINT64_MAX }, { 1, 100 }, { 5, 5 } };
	for (size_t i = 0; i < 4; i++) {
		a = 1;
		b = 2;
		ro = old_cli_u64(s, ranges[i][0], ranges[i][1], &a);
		rn = new_cli_u64(s, ranges[i][0], ranges[i][1], &b);
		if (ro != rn || (!ro && a != b))
			fail_msg("count '%s' [%zu]: old %d, new %d", s, i, ro, rn);
	}
	a = 1;
	b = 2;
	ro = old_cli_seconds(s, &a);
	rn = new_cli_seconds(s, &b);
	if (ro != rn || (!ro && a != b))
		fail_msg("seconds '%s': old %d %llu, new %d %llu", s, ro, (unsigned long long)a, rn,
			 (unsigned long long)b);
}

static void test_same_as_before(void **state)
{
	static const char *const edges[] = {
		"", ".", "0", "00", ".5", "5.", "1.5", "0.0000000019", "1234567890.123456789012",
		"18446744069", "18446744069.999999999", "18446744070", "18446744073", "18446744074",
		"1844674407", "18446744070x", "1844674406x", "99999999999999999999", "99999999999999999999x",
		"12x9999999999999999999999", "18446744073709551615", "18446744073709551616", "-1", " 1", "1 ",
		"0x10", "1e3", "16777215T", "16777216T", "16777215.99T", "1.5G", "2GiB", "2gib", "100MB", "100b",
		"100ib", "1KB", "1Kb", "1kib", "500ms", "2m", "2min", "1h", "1.5us", "10ns", "5124095h",
		"5124096h", "5124096.5h", "307445734m", "307445735m", "1s", "1S", "1d", "..5", "1..5", "1.5.",
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		compare(edges[i]);
	static const char alphabet[] = "0123456789999999.kKmMgGtTbBiIsnuh x-";
	char buf[32];
	srand(42);
	for (int n = 0; n < 200000; n++) {
		size_t len = (size_t)(rand() % 24);
		for (size_t i = 0; i < len; i++) {
			/* mostly digits, so long numbers come up */
			int r = rand() % 100;
			buf[i] = r < 70 ? (char)('0' + rand() % 10) : alphabet[rand() % (sizeof(alphabet) - 1)];
		}
		buf[len] = 0;
		compare(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_sizes_durations),
		cmocka_unit_test(test_same_as_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
