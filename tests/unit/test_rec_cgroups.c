/* SPDX-License-Identifier: MIT */
/*
 * What the recorder reads from /proc about a thread's cgroup and pid
 * namespaces (record/cgroups.h), on a fake /proc: status lines with one or
 * several namespace levels, v1 lines beside the v2 one, missing and
 * hostile files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cgroups.h"
#include "scratch.h"

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", scratch_root(), rel);
	for (char *p = path + strlen(scratch_root()) + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(path, 0755);
			*p = '/';
		}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_task_ns(void **state)
{
	(void)state;
	struct task_ns ns;
	const char *root = scratch_root();
	/* A container's thread: host pid 4242, tid 4243; 1 and 2 inside. */
	put("4242/task/4243/status", "Name:\tnginx\nTgid:\t4242\nNStgid:\t4242\t1\nPid:\t4243\nNSpid:\t4243\t2\n");
	put("4242/task/4243/cgroup", "9:name=systemd:/\n4:memory:/x\n0::/system.slice/docker-ab.scope\n");
	assert_int_equal(task_ns_read(root, 4242, 4243, &ns), 0);
	assert_int_equal(ns.nspid, 1);
	assert_int_equal(ns.nstid, 2);
	assert_string_equal(ns.cgroup, "/system.slice/docker-ab.scope");

	/* The host namespace only; a v1-only host (no 0:: line). */
	put("7/task/7/status", "NStgid:\t7\nNSpid:\t7\n");
	put("7/task/7/cgroup", "1:cpu:/\n");
	assert_int_equal(task_ns_read(root, 7, 7, &ns), 0);
	assert_int_equal(ns.nspid, 7);
	assert_int_equal(ns.nstid, 7);
	assert_string_equal(ns.cgroup, "");

	/* Gone: an error; no cgroup file: the pids still count. */
	assert_true(task_ns_read(root, 8, 8, &ns) < 0);
	put("9/task/9/status", "NStgid:\t9\t3\t1\nNSpid:\t9\t3\t1\n");
	assert_int_equal(task_ns_read(root, 9, 9, &ns), 0);
	assert_int_equal(ns.nspid, 1);
	assert_string_equal(ns.cgroup, "");

	/* Hostile: no numbers, numbers past u32, a relative or endless path. */
	put("10/task/10/status", "NStgid:\tx\nNSpid:\t99999999999\n");
	char *longline = malloc(9000);
	assert_non_null(longline);
	strcpy(longline, "0::/");
	memset(longline + 4, 'a', 8000);
	strcpy(longline + 8004, "\n");
	put("10/task/10/cgroup", longline);
	free(longline);
	assert_int_equal(task_ns_read(root, 10, 10, &ns), 0);
	assert_int_equal(ns.nspid, 0);
	assert_int_equal(ns.nstid, 0);
	assert_string_equal(ns.cgroup, "");
	put("11/task/11/status", "");
	put("11/task/11/cgroup", "0::relative\n");
	assert_int_equal(task_ns_read(root, 11, 11, &ns), 0);
	assert_string_equal(ns.cgroup, "");
}

int main(void)
{
	scratch_make("cgroups");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_ns),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	scratch_remove();
	return rc;
}
