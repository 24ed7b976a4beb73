/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The set of traced processes, shared by every program that needs it
 * (user space creates it once and hands its fd to each object).
 */
#ifndef TREC_TARGETS_BPF_H
#define TREC_TARGETS_BPF_H

#include "trec_bpf.h"

/* Set before load; the verifier prunes what it turns off. */
const volatile bool filter_pids = false;

/* Thread groups being traced (-p, -- CMD and their descendants). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/*
 * -G/--cgroup: only tasks in these cgroup v2 subtrees (the cgroup or any
 * descendant). Each subtree is its cgroup id and its level (depth below
 * the root), fixed before load. A task is in the subtree when its
 * ancestor at that level is that cgroup: bpf_get_current_ancestor_cgroup_id
 * reads cgroup->ancestors[level], one array load, so the test costs one
 * helper call per -G path and needs no map to create, share and fill.
 * (A BPF_MAP_TYPE_CGROUP_ARRAY with bpf_current_task_under_cgroup costs
 * the same per path but adds a map, shared by every object, holding open
 * cgroup fds.) ncgroups is 0 without -G: the verifier drops the loop.
 * The test is about the *current* task, so it belongs where the event's
 * task is the one running (off-CPU's switch-in side is not: see there).
 */
const volatile __u32 ncgroups = 0;
const volatile __u64 cgroup_ids[TREC_MAX_CGROUPS] = {};
const volatile __u32 cgroup_levels[TREC_MAX_CGROUPS] = {};

static __always_inline int in_cgroups(void)
{
	if (!ncgroups)
		return 1;
	for (__u32 i = 0; i < TREC_MAX_CGROUPS && i < ncgroups; i++)
		if (bpf_get_current_ancestor_cgroup_id(cgroup_levels[i]) == cgroup_ids[i])
			return 1;
	return 0;
}

#endif
