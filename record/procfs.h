/* SPDX-License-Identifier: MIT */
/*
 * The /proc snapshot taken when recording starts: every thread that
 * already exists (one TREC_TASK_SNAPSHOT each) and the mappings of every
 * process, so the report can name pids and symbolize stacks of processes
 * that never fork, exec or mmap while we watch. The side-band (sideband.h)
 * covers everything after.
 *
 * Everything in /proc is racy and untrusted: processes vanish mid-read
 * (skipped quietly), comms and paths are whatever a process chose (bounded
 * copies), lines are bounded, " (deleted)" and spaces in paths are kept
 * as the kernel prints them.
 */
#ifndef TREC_RECORD_PROCFS_H
#define TREC_RECORD_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buildid.h"
#include "errors.h"
#include "sideband.h"

struct procfs_opts {
	size_t sz;          /* sizeof(struct procfs_opts) */
	uint64_t ts;        /* timestamp of every record (CLOCK_MONOTONIC); 0 = now */
	const pid_t *pids;  /* processes to snapshot; NULL = all of /proc */
	size_t npids;
	int exec_maps_only; /* as in sideband_opts */
	struct buildid_cache *bic; /* shared cache (not owned); NULL = a private one */
	const char *proc_root; /* NULL = "/proc" (tests point it elsewhere) */
};

struct procfs_stats {
	uint64_t processes; /* snapshotted */
	uint64_t threads;   /* SNAPSHOT records */
	uint64_t maps;      /* map records */
	uint64_t vanished;  /* processes or threads gone mid-read (normal) */
	uint64_t denied;    /* files we could not read (EACCES: not root) */
};

/* Delivers SNAPSHOT tasks and map records through cb (records valid only
 * during the call). With explicit pids, a pid that does not exist is an
 * error (-ESRCH, "no process with pid N", for the first one missing), but
 * the other pids are still snapshotted; while walking all of /proc,
 * vanishing processes are normal. A pid that names a thread snapshots its
 * whole process. st may be NULL. Returns 0 or -errno (a callback's error
 * stops the walk and is returned). */
int procfs_snapshot(const struct procfs_opts *o, const struct sideband_cb *cb,
		    struct procfs_stats *st, struct trec_err *err);

/* 0 if pid exists (a process or a thread), else -ESRCH with
 * "no process with pid N" (or -EINVAL for pid <= 0). */
int procfs_pid_exists(pid_t pid, struct trec_err *err);

/* The thread group id of pid (pid itself for a process, its process for a
 * thread), or -errno. */
int procfs_tgid(pid_t pid);

/* The threads of pid's process (sorted ascending), in *tids (malloc'ed,
 * the caller frees). Returns 0 or -errno with err set. */
int procfs_list_threads(pid_t pid, pid_t **tids, size_t *n, struct trec_err *err);

/* Parses a kernel CPU list file ("0-3,5,7-8\n", as in
 * /sys/devices/system/cpu/online) into a sorted malloc'ed array. */
int procfs_cpu_list(const char *path, int **cpus, size_t *n);
/* The same from a string (exposed for tests). */
int procfs_parse_cpu_list(const char *s, int **cpus, size_t *n);

/* One line of /proc/PID/maps. path points into line (spaces kept). */
struct procfs_map_line {
	uint64_t start, end, pgoff, inode;
	uint32_t prot, flags;
	const char *path; /* "" for anonymous */
};
/* 0, or -EINVAL for a line that does not parse. line is NUL-terminated,
 * without its newline. */
int procfs_parse_maps_line(const char *line, struct procfs_map_line *out);

#endif
