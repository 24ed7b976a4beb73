/* SPDX-License-Identifier: MIT */
/*
 * lib/opts.h: option structs of another size than this build's -- an
 * older caller's (smaller), a newer caller's (larger, with the new fields
 * zero or set), and one whose sz was never set.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "opts.h"

struct v1_opts { size_t sz; int a; };
struct v2_opts { size_t sz; int a; long b; };
struct v3_opts { size_t sz; int a; long b; long c; };

static void test_has_get(void **state)
{
	(void)state;
	/* An older caller's struct as a v2 engine sees it: sz says v1, and
	 * whatever lies past it (here 99) is not the caller's and not read. */
	struct v2_opts store = { .sz = sizeof(struct v1_opts), .a = 7, .b = 99 };
	const struct v2_opts *seen = &store;
	assert_true(OPTS_HAS(seen, a));
	assert_false(OPTS_HAS(seen, b));
	assert_int_equal(OPTS_GET(seen, a, 1), 7);
	assert_int_equal(OPTS_GET(seen, b, 42), 42);
	const struct v2_opts *none = NULL;
	assert_false(OPTS_HAS(none, a));
	assert_int_equal(OPTS_GET(none, b, 5), 5);
}

static void test_copy(void **state)
{
	(void)state;
	struct v2_opts mine;
	/* older caller: its fields, the rest zero, sz ours */
	struct v1_opts old = { .sz = sizeof(old), .a = 3 };
	assert_int_equal(opts_copy(&mine, sizeof(mine), &old, old.sz), 0);
	assert_int_equal(mine.sz, sizeof(mine));
	assert_int_equal(mine.a, 3);
	assert_int_equal(mine.b, 0);
	/* newer caller, new field zero: fine */
	struct v3_opts newer = { .sz = sizeof(newer), .a = 1, .b = 2 };
	assert_int_equal(opts_copy(&mine, sizeof(mine), &newer, newer.sz), 0);
	assert_int_equal(mine.a, 1);
	assert_int_equal(mine.b, 2);
	/* newer caller asking for something this build cannot do */
	newer.c = 9;
	assert_int_equal(opts_copy(&mine, sizeof(mine), &newer, newer.sz), -EINVAL);
	/* sz left 0: the whole struct, as before sz existed */
	struct v2_opts unset = { .a = 4, .b = 5 };
	assert_int_equal(opts_copy(&mine, sizeof(mine), &unset, 0), 0);
	assert_int_equal(mine.a, 4);
	assert_int_equal(mine.b, 5);
	assert_int_equal(mine.sz, sizeof(mine));
	/* no options at all */
	assert_int_equal(opts_copy(&mine, sizeof(mine), NULL, 0), 0);
	assert_int_equal(mine.a, 0);
	assert_int_equal(mine.sz, sizeof(mine));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has_get),
		cmocka_unit_test(test_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
