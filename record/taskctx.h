/* SPDX-License-Identifier: MIT */
/*
 * Each task's cgroup and namespace pids, for the side-band (TASKCTX
 * records, docs/format-records.md): when a task is first seen (the /proc
 * snapshot, a fork) and when it execs (a container runtime moves its
 * process into the container's cgroup between the fork and the exec),
 * /proc says which v2 cgroup it is in and which pid and tid it has in its
 * innermost pid namespace. A cgroup's path is written once per file,
 * before the first task record naming its id; a task's record only when
 * something changed since the last one in this file.
 *
 * For forks and execs the context comes from the kernel at that moment
 * (the tracepoint object's task_ctx map, trec_bpf.h), so a task that is
 * gone by the time the side-band record is drained still has it; the
 * cgroup's path is then found by id (a walk of the v2 hierarchy, once per
 * new id). The /proc snapshot, and any fork or exec the map has no entry
 * for, read /proc instead. A task moved to another cgroup without an exec
 * keeps the cgroup it was seen in: a documented limit (docs/CONTAINERS.md).
 */
#ifndef TREC_RECORD_TASKCTX_H
#define TREC_RECORD_TASKCTX_H

#include <stdint.h>

#include "records.h"
#include "writer.h"

struct taskctx;

/* proc_root NULL = "/proc". NULL when out of memory. Without a cgroup v2
 * hierarchy only the namespace pids are recorded. */
struct taskctx *taskctx_new(const char *proc_root);
void taskctx_free(struct taskctx *tc);
/* The tracepoint object's task_ctx map (tp_capture_task_ctx_fd); -1: none. */
void taskctx_set_map(struct taskctx *tc, int fd);
/* A new file: it must get its own cgroup paths and task records. */
void taskctx_new_file(struct taskctx *tc);
/* After task record t went to w: writes what changed for its thread.
 * 0, or the writer's error (-EAGAIN: the writer's queue is full, a record
 * is dropped, as on_task drops task records). */
int taskctx_on_task(struct taskctx *tc, struct trec_writer *w, const struct trec_task *t);

struct taskctx_stats {
	uint64_t kernel;  /* contexts the kernel kept at fork or exec */
	uint64_t reads;   /* threads looked up in /proc */
	uint64_t gone;    /* ... already gone */
	uint64_t scans;   /* walks of the v2 hierarchy for an unknown cgroup id */
	uint64_t unnamed; /* cgroup ids no walk found (removed before it) */
	uint64_t records; /* TASK records written */
	uint64_t cgroups; /* CGROUP records written */
};
void taskctx_stats(const struct taskctx *tc, struct taskctx_stats *st);

#endif
