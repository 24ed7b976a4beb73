/* SPDX-License-Identifier: MIT */
/* The recorder's memory rule (record/memplan.h): CPU count, -m, --memory
 * and --rings to rings, CPUs per ring, ring size and the total. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "memplan.h"

#define MiB (1ull << 20)
#define KiB (1ull << 10)

static struct memplan plan(uint32_t ncpus, uint64_t m, uint64_t budget, uint32_t rings, uint64_t unwind)
{
	struct memplan_in in = { .ncpus = ncpus, .page_size = 4096, .budget = budget, .ring_bytes = m,
				 .force_rings = rings, .unwind_bytes = unwind };
	struct memplan p;
	struct trec_err err = { 0 };
	assert_int_equal(memplan_compute(&in, &p, &err), 0);
	/* Every CPU has a ring, and the parts add up. */
	assert_true((uint64_t)p.nrings * p.cpus_per_ring >= ncpus);
	assert_int_equal(memplan_ring_of(&p, ncpus - 1), (ncpus - 1) / p.cpus_per_ring);
	assert_true(memplan_ring_of(&p, ncpus - 1) < p.nrings);
	assert_int_equal(p.total, p.rings_bytes + p.sb_bytes + p.writer_bytes + p.unwind_bytes + p.flight_bytes);
	assert_int_equal(p.rings_bytes, (uint64_t)p.nrings * p.ring_bytes);
	assert_int_equal(p.ring_bytes & (p.ring_bytes - 1), 0);
	return p;
}

/* CPU samples alone: rings of at most 2 MiB (the rule's cap), still at
 * least the 1 MiB floor on a big machine; -m still wins. */
static void test_sampling_cap(void **state)
{
	(void)state;
	struct memplan_in in = { .ncpus = 2, .page_size = 4096, .unwind_bytes = 32 * MiB,
				 .ring_cap = MEMPLAN_RING_SAMPLING };
	struct memplan p;
	struct trec_err err = { 0 };
	assert_int_equal(memplan_compute(&in, &p, &err), 0);
	assert_int_equal(p.nrings, 2);
	assert_int_equal(p.ring_bytes, 2 * MiB);
	in.ncpus = 256;
	assert_int_equal(memplan_compute(&in, &p, &err), 0);
	assert_int_equal(p.ring_bytes, 1 * MiB);
	assert_true(p.total <= p.budget);
	in.ncpus = 2;
	in.ring_bytes = 8 * MiB;
	assert_int_equal(memplan_compute(&in, &p, &err), 0);
	assert_int_equal(p.ring_bytes, 8 * MiB);
}

/* Small machines keep what they had: an 8 MiB ring per CPU. */
static void test_small(void **state)
{
	(void)state;
	struct memplan p = plan(2, 0, 0, 0, 32 * MiB);
	assert_int_equal(p.nrings, 2);
	assert_int_equal(p.cpus_per_ring, 1);
	assert_int_equal(p.ring_bytes, 8 * MiB);
	assert_int_equal(p.sb_pages, 128);
	assert_int_equal(p.block_bytes, 1 * MiB);
	assert_int_equal(p.budget, 256 * MiB);
	assert_true(p.total <= p.budget);
	p = plan(1, 0, 0, 0, 0);
	assert_int_equal(p.nrings, 1);
	assert_int_equal(p.ring_bytes, 8 * MiB);
}

/* Big machines stay under the default budget: rings shrink to 1 MiB, then
 * neighbouring CPUs share them. */
static void test_big(void **state)
{
	(void)state;
	struct memplan p = plan(64, 0, 0, 0, 32 * MiB);
	assert_int_equal(p.nrings, 64);
	assert_int_equal(p.cpus_per_ring, 1);
	assert_int_equal(p.ring_bytes, 2 * MiB);
	assert_true(p.total <= 256 * MiB);
	p = plan(256, 0, 0, 0, 32 * MiB);
	assert_int_equal(p.ring_bytes, 1 * MiB);
	assert_int_equal(p.cpus_per_ring, 2);
	assert_int_equal(p.nrings, 128);
	assert_int_equal(p.sb_pages, 16);
	assert_int_equal(p.block_bytes, 128 * KiB);
	assert_true(p.total <= 256 * MiB);
	p = plan(1024, 0, 0, 0, 32 * MiB);
	assert_true(p.cpus_per_ring >= 8);
	assert_true(p.total <= 256 * MiB + 64 * MiB); /* the writer's and side-band's floors */
	/* A smaller budget groups more. */
	p = plan(128, 0, 64 * MiB, 0, 0);
	assert_true(p.cpus_per_ring > 1);
	assert_true(p.total <= 64 * MiB);
}

/* -m alone is perf's per-CPU buffer; with --memory it is the ring size
 * under the bound. */
static void test_m(void **state)
{
	(void)state;
	struct memplan p = plan(256, 8 * MiB, 0, 0, 0);
	assert_int_equal(p.nrings, 256);
	assert_int_equal(p.ring_bytes, 8 * MiB);
	assert_true(p.per_cpu_m);
	assert_int_equal(p.budget, p.total);
	p = plan(256, 8 * MiB, 256 * MiB, 0, 0);
	assert_false(p.per_cpu_m);
	assert_int_equal(p.ring_bytes, 8 * MiB);
	assert_true(p.nrings < 32);
	assert_true(p.total <= 256 * MiB);
	p = plan(4, 64 * KiB, 0, 0, 0);
	assert_int_equal(p.nrings, 4);
	assert_int_equal(p.ring_bytes, 64 * KiB);
}

/* --rings: fewer than the CPUs groups them, more leaves rings idle. */
static void test_forced(void **state)
{
	(void)state;
	struct memplan p = plan(2, 0, 0, 1, 0);
	assert_int_equal(p.nrings, 1);
	assert_int_equal(p.cpus_per_ring, 2);
	p = plan(2, 1 * MiB, 0, 256, 0);
	assert_int_equal(p.nrings, 256);
	assert_int_equal(p.cpus_per_ring, 1);
	assert_int_equal(p.rings_bytes, 256 * MiB);
	p = plan(10, 0, 0, 4, 0);
	assert_int_equal(p.cpus_per_ring, 3);
	assert_int_equal(p.nrings, 4);
	p = plan(10, 0, 0, 6, 0); /* 6 rings of 2 CPUs would leave one empty: 5 */
	assert_int_equal(p.cpus_per_ring, 2);
	assert_int_equal(p.nrings, 5);
}

/* A --memory the fixed parts fill: an error that says so; the default
 * budget grows with --unwind-mem and --window-size instead. */
static void test_too_small(void **state)
{
	(void)state;
	struct memplan_in in = { .ncpus = 2, .budget = 16 * MiB, .unwind_bytes = 32 * MiB };
	struct memplan p;
	struct trec_err err = { 0 };
	assert_int_equal(memplan_compute(&in, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--memory"));
	p = plan(2, 0, 0, 0, 1024 * MiB);
	assert_int_equal(p.ring_bytes, 8 * MiB);
	assert_int_equal(p.nrings, 2);
	char line[400];
	memplan_describe(&p, line, sizeof(line));
	assert_non_null(strstr(line, "2 rings x 8 MiB"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small), cmocka_unit_test(test_sampling_cap),    cmocka_unit_test(test_big),	   cmocka_unit_test(test_m),
		cmocka_unit_test(test_forced),   cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests_name("memplan", tests, NULL, NULL);
}
