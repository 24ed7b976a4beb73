/* SPDX-License-Identifier: MIT */
/* Size and duration parsing for trec record's options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "units.h"

static void test_sizes(void **state)
{
	uint64_t v;
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("8K", &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(parse_size("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(parse_size("1.5G", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("100MB", &v), 0);
	assert_int_equal(v, 100ull << 20);
	assert_int_equal(parse_size("16777215T", &v), 0);
	assert_int_equal(parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("M", &v), -EINVAL);
	assert_int_equal(parse_size("12Q", &v), -EINVAL);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999999", &v), -ERANGE);
}

static void test_durations(void **state)
{
	uint64_t v;
	assert_int_equal(parse_duration("10", &v), 0);
	assert_int_equal(v, 10000000000ull);
	assert_int_equal(parse_duration("1.5", &v), 0);
	assert_int_equal(v, 1500000000ull);
	assert_int_equal(parse_duration("250ms", &v), 0);
	assert_int_equal(v, 250000000ull);
	assert_int_equal(parse_duration("2m", &v), 0);
	assert_int_equal(v, 120000000000ull);
	assert_int_equal(parse_duration("1h", &v), 0);
	assert_int_equal(v, 3600000000000ull);
	assert_int_equal(parse_duration("7us", &v), 0);
	assert_int_equal(v, 7000);
	assert_int_equal(parse_duration("0.000000001", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_duration("3x", &v), -EINVAL);
	assert_int_equal(parse_duration("s", &v), -EINVAL);
	assert_int_equal(parse_duration("99999999999h", &v), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
