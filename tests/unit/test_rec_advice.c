/* SPDX-License-Identifier: MIT */
/* The recorder's advice when BPF cannot be used: which kernels charge BPF
 * maps to the memlock limit, and the sentences for errors as root (the
 * capability cases are covered end to end in reliability.t). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bpf_tp.h"

static void test_memlock_kernels(void **state)
{
	(void)state;
	assert_true(tp_kernel_charges_memlock("4.19.0-27-amd64"));
	assert_true(tp_kernel_charges_memlock("5.4.0-150-generic"));
	assert_true(tp_kernel_charges_memlock("5.10.0-21-amd64"));
	assert_false(tp_kernel_charges_memlock("5.11.0"));
	assert_false(tp_kernel_charges_memlock("5.15.0-91-generic"));
	assert_false(tp_kernel_charges_memlock("6.1.0-18-amd64"));
	assert_false(tp_kernel_charges_memlock("6.18.44-fc-v595"));
	assert_false(tp_kernel_charges_memlock("10.0"));
	/* Nonsense counts as new: the advice then names other causes. */
	assert_false(tp_kernel_charges_memlock(""));
	assert_false(tp_kernel_charges_memlock("linux"));
	assert_false(tp_kernel_charges_memlock(NULL));
}

/* Hash maps without preallocation in every program type: 6.1 and later;
 * anything unreadable keeps the preallocated map that loads everywhere. */
static void test_no_prealloc_kernels(void **state)
{
	(void)state;
	assert_false(tp_kernel_hash_no_prealloc_ok("5.15.0-91-generic"));
	assert_false(tp_kernel_hash_no_prealloc_ok("6.0.19"));
	assert_true(tp_kernel_hash_no_prealloc_ok("6.1.0-18-amd64"));
	assert_true(tp_kernel_hash_no_prealloc_ok("6.18.44-fc-v595"));
	assert_true(tp_kernel_hash_no_prealloc_ok("7.0"));
	assert_false(tp_kernel_hash_no_prealloc_ok(""));
	assert_false(tp_kernel_hash_no_prealloc_ok("linux"));
	assert_false(tp_kernel_hash_no_prealloc_ok(NULL));
}

static void test_advice_sentences(void **state)
{
	(void)state;
	assert_non_null(strstr(tp_bpf_advice(-ENOMEM), "-m"));
	assert_non_null(strstr(tp_bpf_advice(-ENOENT), "BTF"));
	assert_non_null(strstr(tp_bpf_advice(-EINVAL), "verifier"));
	if (geteuid() != 0)
		assert_non_null(strstr(tp_bpf_advice(-EPERM), "root"));
	/* Any errno gets a sentence, never NULL. */
	assert_non_null(tp_bpf_advice(-ENOTSUP));
	assert_true(strlen(tp_bpf_advice(-ENOTSUP)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memlock_kernels),
		cmocka_unit_test(test_no_prealloc_kernels),
		cmocka_unit_test(test_advice_sentences),
	};
	return cmocka_run_group_tests_name("rec_advice", tests, NULL, NULL);
}
