/* SPDX-License-Identifier: MIT */
/*
 * Cgroup v2 for the recorder: where the hierarchy is mounted, the -G/--cgroup
 * subtrees the BPF programs are limited to (id and level of each, see
 * bpf/targets.bpf.h), and what a task's cgroup and innermost namespace pids
 * are (read from /proc for the side-band).
 *
 * The v2 hierarchy is found in /proc/mounts (fstype cgroup2): at
 * /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
 * A cgroup's id is its kernfs inode number, which name_to_handle_at()
 * returns as the 8-byte file handle (the id bpf_get_current_cgroup_id()
 * gives).
 */
#ifndef TREC_RECORD_CGROUPS_H
#define TREC_RECORD_CGROUPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errors.h"
#include "trec_bpf.h"

/* The -G subtrees, as the BPF programs take them. */
struct cgroup_set {
	uint32_t n;
	uint64_t ids[TREC_MAX_CGROUPS];
	uint32_t levels[TREC_MAX_CGROUPS]; /* 0: the root */
	char *paths[TREC_MAX_CGROUPS];     /* relative to the v2 root, "/" first */
};

/* The v2 mount point (first cgroup2 line of /proc/mounts) into buf.
 * 0, -ENOENT ("no cgroup v2 hierarchy is mounted"), or -errno. */
int cgroup_v2_root(char *buf, size_t n, struct trec_err *err);

/*
 * Adds a -G argument: a path relative to the v2 root ("system.slice/x",
 * "/x": perf's form) or an absolute path inside the mount
 * ("/sys/fs/cgroup/unified/x"). The cgroup must exist. -EINVAL for a path
 * that is not a cgroup, -E2BIG past TREC_MAX_CGROUPS or TREC_MAX_CGROUP_LEVEL;
 * a repeated cgroup is kept once.
 */
int cgroup_set_add(struct cgroup_set *s, const char *arg, struct trec_err *err);
void cgroup_set_free(struct cgroup_set *s);

/* Copies a set into a skeleton's rodata before load (every program
 * object has the same three constants, bpf/targets.bpf.h). s may be NULL. */
#define CGROUP_SET_APPLY(rodata, s)                                                      \
	do {                                                                             \
		const struct cgroup_set *cs_ = (s);                                      \
		(rodata)->ncgroups = cs_ ? cs_->n : 0;                                   \
		for (uint32_t i_ = 0; cs_ && i_ < cs_->n; i_++) {                        \
			(rodata)->cgroup_ids[i_] = cs_->ids[i_];                         \
			(rodata)->cgroup_levels[i_] = cs_->levels[i_];                   \
		}                                                                        \
	} while (0)

/* The id of the cgroup at `path` (absolute), or 0 when it cannot be read. */
uint64_t cgroup_id_of(const char *path);

/*
 * What /proc says about one thread: its v2 cgroup path (relative to the
 * root; "" when unknown, e.g. a v1-only host or the thread is gone), and
 * its pid and tid in its innermost pid namespace (the last NStgid and
 * NSpid values of status; 0 when unknown). proc_root NULL = "/proc".
 * 0, or -errno when the thread is gone.
 */
struct task_ns {
	char cgroup[4096];
	uint32_t nspid, nstid;
};
int task_ns_read(const char *proc_root, pid_t pid, pid_t tid, struct task_ns *out);

#endif
