/* SPDX-License-Identifier: MIT */
/*
 * Container and pod names read from cgroup paths (report/container.h),
 * and the per-thread cgroup/namespace lookups (report/tctx_table.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "container.h"
#include "tctx_table.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "5f4b6c1e-2d3a-4b5c-8d9e-0a1b2c3d4e5f"
#define UID_ "5f4b6c1e_2d3a_4b5c_8d9e_0a1b2c3d4e5f"

static void expect(const char *path, const char *runtime, const char *id, const char *pod, const char *label)
{
	struct container_info ci;
	int any = container_from_cgroup(path, &ci);
	assert_int_equal(any, runtime[0] || pod[0]);
	assert_string_equal(ci.runtime, runtime);
	assert_string_equal(ci.id, id);
	assert_string_equal(ci.pod, pod);
	char buf[96];
	container_label(&ci, buf, sizeof(buf));
	assert_string_equal(buf, label);
}

static void test_patterns(void **state)
{
	(void)state;
	expect("/docker/" HEX64, "docker", HEX64, "", "docker:0123456789ab");
	expect("/system.slice/docker-" HEX64 ".scope", "docker", HEX64, "", "docker:0123456789ab");
	expect("/system.slice/docker-" HEX64 ".scope/init.scope", "docker", HEX64, "", "docker:0123456789ab");
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" HEX64 ".scope",
	       "containerd", HEX64, UID, "containerd:0123456789ab");
	expect("/kubepods/besteffort/pod" UID "/" HEX64, "containerd", HEX64, UID, "containerd:0123456789ab");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" HEX64 ".scope", "crio", HEX64, UID,
	       "crio:0123456789ab");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice", "", "", UID, "");
	expect("/machine.slice/libpod-" HEX64 ".scope/container", "podman", HEX64, "", "podman:0123456789ab");
	expect("/system.slice/sshd.service", "systemd", "sshd.service", "", "systemd:sshd.service");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", "systemd", "foo.service", "",
	       "systemd:foo.service");
	expect("/user.slice/user-1000.slice/session-3.scope", "systemd", "session-3.scope", "", "systemd:session-3.scope");
	/* Near misses: no guess. */
	expect("/", "", "", "", "");
	expect("", "", "", "", "");
	expect("/docker/0123", "", "", "", "");
	expect("/mygroup/" HEX64, "", "", "", "");
	expect("/system.slice/docker-" HEX64 "0.scope", "", "", "", "");
	expect("/system.slice/docker-" HEX64, "", "", "", "");
	expect("/kubepods/pod1234", "", "", "", "");
	expect("/kubepods-pod.slice", "", "", "", "");
	expect("/kubepods-burstable-pod" UID_, "", "", "", "");
	expect("/system.slice", "", "", "", "");
	expect("/x.scope.d", "", "", "", "");
}

static void test_tctx_lookup(void **state)
{
	(void)state;
	struct trec_task_ctx r[] = {
		{ .ts = 10, .kind = TREC_TCTX_CGROUP, .cgroup_id = 7, .path = "/a" },
		{ .ts = 10, .kind = TREC_TCTX_CGROUP, .cgroup_id = 8, .path = "/b" },
		{ .ts = 10, .kind = TREC_TCTX_CGROUP, .cgroup_id = 7, .path = "/forged" },
		{ .ts = 100, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 50, .cgroup_id = 7, .nspid = 1, .nstid = 1 },
		{ .ts = 200, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 50, .cgroup_id = 8, .nspid = 1, .nstid = 1 },
		{ .ts = 150, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 51, .cgroup_id = 9, .nspid = 1, .nstid = 2 },
	};
	struct tctx_table t;
	struct tctx_info ti;
	assert_int_equal(tctx_table_build(&t, r, sizeof(r) / sizeof(r[0])), 0);
	/* Before the first record: the first; then each in turn. */
	assert_int_equal(tctx_table_lookup(&t, 50, 50, 5, &ti), 1);
	assert_string_equal(ti.cgroup, "/a");
	assert_int_equal(tctx_table_lookup(&t, 50, 50, 199, &ti), 1);
	assert_string_equal(ti.cgroup, "/a");
	assert_int_equal(tctx_table_lookup(&t, 50, 50, 200, &ti), 1);
	assert_string_equal(ti.cgroup, "/b");
	assert_int_equal(ti.nspid, 1);
	/* A cgroup id without a path: unknown cgroup, pids still known. */
	assert_int_equal(tctx_table_lookup(&t, 50, 51, 300, &ti), 1);
	assert_null(ti.cgroup);
	assert_int_equal(ti.nstid, 2);
	/* A thread without records: its process's, with no tid. */
	assert_int_equal(tctx_table_lookup(&t, 50, 52, 300, &ti), 1);
	assert_string_equal(ti.cgroup, "/b");
	assert_int_equal(ti.nspid, 1);
	assert_int_equal(ti.nstid, 0);
	assert_int_equal(tctx_table_lookup(&t, 60, 60, 300, &ti), 0);
	assert_null(ti.cgroup);
	tctx_table_free(&t);
	/* No records at all (a file before format 1.2). */
	assert_int_equal(tctx_table_build(&t, NULL, 0), 0);
	assert_int_equal(tctx_table_lookup(&t, 50, 50, 0, &ti), 0);
	tctx_table_free(&t);
}

/* The cached lookup answers as the plain one, whatever the order of the
 * questions: runs of one thread, time going back, threads alternating,
 * records with equal times, a thread answered by its process's records. */
static void test_tctx_cached(void **state)
{
	(void)state;
	struct trec_task_ctx r[] = {
		{ .ts = 10, .kind = TREC_TCTX_CGROUP, .cgroup_id = 7, .path = "/a" },
		{ .ts = 10, .kind = TREC_TCTX_CGROUP, .cgroup_id = 8, .path = "/b" },
		{ .ts = 100, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 50, .cgroup_id = 7, .nspid = 1, .nstid = 1 },
		{ .ts = 200, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 50, .cgroup_id = 8, .nspid = 1, .nstid = 1 },
		{ .ts = 200, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 50, .cgroup_id = 7, .nspid = 3, .nstid = 3 },
		{ .ts = 150, .kind = TREC_TCTX_TASK, .pid = 50, .tid = 51, .cgroup_id = 8, .nspid = 1, .nstid = 2 },
		{ .ts = 0, .kind = TREC_TCTX_TASK, .pid = 70, .tid = 70, .cgroup_id = 8, .nspid = 4, .nstid = 4 },
		{ .ts = UINT64_MAX, .kind = TREC_TCTX_TASK, .pid = 70, .tid = 70, .cgroup_id = 7, .nspid = 5, .nstid = 5 },
	};
	static const uint32_t who[][2] = { { 50, 50 }, { 50, 51 }, { 50, 52 }, { 60, 60 }, { 70, 70 }, { 70, 71 } };
	static const uint64_t when[] = { 0, 5, 99, 100, 101, 149, 150, 151, 199, 200, 201, 300, UINT64_MAX - 1, UINT64_MAX };
	enum { NW = sizeof(who) / sizeof(who[0]), NT = sizeof(when) / sizeof(when[0]) };
	struct tctx_table t;
	assert_int_equal(tctx_table_build(&t, r, sizeof(r) / sizeof(r[0])), 0);
	for (int order = 0; order < 4; order++) {
		struct tctx_cache c = { 0 };
		for (int i = 0; i < NW * NT; i++) {
			int k = order & 1 ? NW * NT - 1 - i : i;
			int w = order & 2 ? k % NW : k / NT, m = order & 2 ? k / NW : k % NT;
			struct tctx_info a, b;
			int ra = tctx_table_lookup(&t, who[w][0], who[w][1], when[m], &a);
			int rb = tctx_table_lookup_cached(&t, &c, who[w][0], who[w][1], when[m], &b);
			assert_int_equal(ra, rb);
			assert_ptr_equal(a.cgroup, b.cgroup);
			assert_int_equal(a.nspid, b.nspid);
			assert_int_equal(a.nstid, b.nstid);
		}
	}
	tctx_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_tctx_lookup),
		cmocka_unit_test(test_tctx_cached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
