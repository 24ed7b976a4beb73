/* SPDX-License-Identifier: MIT */
/* lib/hashmap: add/set/find/delete, growth, bounds, iteration, and a
 * randomized comparison with a plain array. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

/* A hash that puts every key in few buckets: long probe runs, so that
 * deletion's backward shift and wrap-around are exercised. */
static size_t bad_hash(long key, void *ctx)
{
	(void)ctx;
	return (size_t)(key % 3) * 7;
}

static void test_basic(void **state)
{
	struct hashmap m;
	long v, k;
	hashmap_init(&m, hashmap_int_hash, hashmap_int_equal, NULL);
	assert_false(hashmap_find(&m, 1, &v));
	assert_false(hashmap_delete(&m, 1, NULL, NULL));
	assert_int_equal(hashmap_add(&m, 1, 10), 0);
	assert_int_equal(hashmap_add(&m, 1, 11), -EEXIST);
	assert_true(hashmap_find(&m, 1, &v));
	assert_int_equal(v, 10);
	assert_int_equal(hashmap_set(&m, 1, 12, &k, &v), 1);
	assert_int_equal(k, 1);
	assert_int_equal(v, 10);
	assert_int_equal(hashmap_set(&m, 2, 20, NULL, NULL), 0);
	assert_int_equal(hashmap_size(&m), 2);
	assert_true(hashmap_delete(&m, 1, &k, &v));
	assert_int_equal(v, 12);
	assert_false(hashmap_find(&m, 1, NULL));
	assert_true(hashmap_find(&m, 2, &v));
	assert_int_equal(v, 20);
	assert_int_equal(hashmap_size(&m), 1);
	hashmap_reset(&m);
	assert_int_equal(hashmap_size(&m), 0);
	assert_false(hashmap_find(&m, 2, NULL));
	assert_int_equal(hashmap_add(&m, 2, 21), 0);
	hashmap_clear(&m);
	assert_int_equal(hashmap_size(&m), 0);
	assert_int_equal(hashmap_add(&m, 3, 30), 0);
	hashmap_clear(&m);
}

static void test_strings(void **state)
{
	struct hashmap m;
	char a[] = "alpha", b[] = "alpha";
	long v;
	hashmap_init(&m, hashmap_str_hash, hashmap_str_equal, NULL);
	assert_int_equal(hashmap_add(&m, (long)a, 1), 0);
	assert_true(hashmap_find(&m, (long)b, &v)); /* equal bytes, other pointer */
	assert_int_equal(v, 1);
	assert_false(hashmap_find(&m, (long)"alph", NULL));
	assert_int_equal(hashmap_hash_bytes("abc", 3), hashmap_hash_str("abc"));
	hashmap_clear(&m);
}

static void test_bounded(void **state)
{
	struct hashmap m;
	hashmap_init(&m, hashmap_int_hash, hashmap_int_equal, NULL);
	hashmap_set_max(&m, 3);
	for (long i = 0; i < 3; i++)
		assert_int_equal(hashmap_add(&m, i, i), 0);
	assert_int_equal(hashmap_add(&m, 3, 3), -E2BIG);
	assert_int_equal(hashmap_set(&m, 2, 5, NULL, NULL), 1); /* replacing is fine */
	assert_int_equal(hashmap_reserve(&m, 4), -E2BIG);
	assert_true(hashmap_delete(&m, 0, NULL, NULL));
	assert_int_equal(hashmap_add(&m, 3, 3), 0);
	hashmap_clear(&m);
}

static void test_iterate(void **state)
{
	struct hashmap m;
	long k, v, sum = 0, n = 0;
	hashmap_init(&m, hashmap_int_hash, hashmap_int_equal, NULL);
	assert_int_equal(hashmap_reserve(&m, 1000), 0);
	size_t cap = m.cap;
	for (long i = 1; i <= 1000; i++)
		assert_int_equal(hashmap_add(&m, i, i * 2), 0);
	assert_int_equal(m.cap, cap); /* reserved: no regrowth */
	hashmap_for_each(&m, pos, k, v)
	{
		assert_int_equal(v, k * 2);
		sum += k;
		n++;
	}
	assert_int_equal(n, 1000);
	assert_int_equal(sum, 500500);
	hashmap_clear(&m);
}

/* Random adds, sets and deletes against an array of what must be there. */
static void check_random(hashmap_hash_fn hash, unsigned seed)
{
	enum { KEYS = 512, OPS = 20000 };
	long want[KEYS];
	struct hashmap m;
	hashmap_init(&m, hash, hashmap_int_equal, NULL);
	for (int i = 0; i < KEYS; i++)
		want[i] = -1;
	srand(seed);
	size_t n = 0;
	for (int op = 0; op < OPS; op++) {
		long key = rand() % KEYS, val = rand() % 1000;
		long got;
		switch (rand() % 3) {
		case 0:
			assert_int_equal(hashmap_add(&m, key, val), want[key] < 0 ? 0 : -EEXIST);
			if (want[key] < 0) {
				want[key] = val;
				n++;
			}
			break;
		case 1:
			assert_int_equal(hashmap_set(&m, key, val, NULL, &got), want[key] < 0 ? 0 : 1);
			if (want[key] >= 0)
				assert_int_equal(got, want[key]);
			else
				n++;
			want[key] = val;
			break;
		default:
			assert_int_equal(hashmap_delete(&m, key, NULL, &got), want[key] >= 0);
			if (want[key] >= 0) {
				assert_int_equal(got, want[key]);
				want[key] = -1;
				n--;
			}
		}
		assert_int_equal(hashmap_size(&m), n);
	}
	for (long k = 0; k < KEYS; k++) {
		long got = -1;
		assert_int_equal(hashmap_find(&m, k, &got), want[k] >= 0);
		if (want[k] >= 0)
			assert_int_equal(got, want[k]);
	}
	hashmap_clear(&m);
}

static void test_random(void **state)
{
	check_random(hashmap_int_hash, 1);
	check_random(hashmap_int_hash, 2);
	check_random(bad_hash, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),    cmocka_unit_test(test_strings), cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_iterate), cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
