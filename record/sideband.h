/* SPDX-License-Identifier: MIT */
/*
 * Process side-band: live fork/exit/comm/exec/mmap history from perf.
 *
 * The BPF events name only pids and raw addresses; the report, run later
 * on another machine, needs to know which process each pid was and which
 * file each address belonged to, including for processes that exited
 * during the recording (gone from /proc by the time anyone looks). The
 * kernel's perf side-band records carry exactly that history. One "dummy"
 * software event per online CPU (it never samples; it only exists to
 * receive FORK, EXIT, COMM and MMAP2 records) on its own ring buffer.
 *
 * Timestamps are CLOCK_MONOTONIC (use_clockid), the clock of
 * bpf_ktime_get_ns(), so side-band and BPF events merge on one time line.
 *
 * Usage: sideband_open() before attaching BPF programs (so no window is
 * missed), the /proc snapshot (procfs.h), sideband_enable() after attach;
 * add sideband_fds() to epoll and call sideband_drain() when they are
 * readable AND on a timer: the rings wake the reader only at a watermark
 * (half the ring), so a quiet system would otherwise keep records back.
 * Drain once more after disabling BPF, then close.
 *
 * Errors: negative errno; with a struct trec_err, a sentence naming what
 * failed and what to do about it.
 */
#ifndef TREC_RECORD_SIDEBAND_H
#define TREC_RECORD_SIDEBAND_H

#include <stddef.h>
#include <stdint.h>

#include "buildid.h"
#include "errors.h"
#include "records.h"

struct sideband;

struct sideband_opts {
	size_t sz;              /* sizeof(struct sideband_opts) */
	unsigned pages_per_cpu; /* ring data pages per CPU, a power of two; 0 = 128 */
	int exec_maps_only;     /* deliver only PROT_EXEC mappings (see sideband_map_wanted) */
	/* Fields below may be absent in an older caller's struct (sz tells). */
	struct buildid_cache *bic; /* shared build-id cache (not owned); NULL = a private one */
	int no_kernel_build_ids;   /* open without attr.build_id, as on kernels < 5.12: build-ids
				    * are read from the files (trec record does this: see cmd_record.c) */
};

/* Records are only valid during the callback (strings point into a
 * buffer that is reused). A negative return stops the drain and is
 * returned from it; the record that failed is delivered again by the next
 * drain, so a transient -EAGAIN loses nothing. */
struct sideband_cb {
	void *ctx;
	int (*task)(void *ctx, const struct trec_task *t);
	int (*map)(void *ctx, const struct trec_map *m);
	/* Optional: 0 when nothing of this process is wanted. A mapping of such
	 * a process is dropped before its file's build-id is looked for, which
	 * is most of the side-band's cost on a busy host while only a command
	 * is traced. */
	int (*pid_wanted)(void *ctx, uint32_t pid);
};

/* o may be NULL (defaults: 64 pages per CPU, executable mappings only). */
int sideband_open(struct sideband **out, const struct sideband_opts *o, struct trec_err *err);
/* One fd per ring, for epoll (EPOLLIN at the watermark). */
int sideband_fds(const struct sideband *sb, const int **fds, size_t *n);
int sideband_enable(struct sideband *sb);
int sideband_disable(struct sideband *sb);
/* Reads everything pending on every ring, in time order per ring (the
 * caller merges rings). Returns the records delivered or -errno. */
int sideband_drain(struct sideband *sb, const struct sideband_cb *cb);
/* Side-band records the kernel dropped because a ring was full (sum of
 * PERF_RECORD_LOST counts). Nonzero means process history has holes:
 * the recorder must write a loss record, not hide it. */
uint64_t sideband_lost(const struct sideband *sb);
/* Whether the kernel puts build-ids in MMAP2 records (attr.build_id was
 * accepted). When 0, every build-id is read from the files. */
int sideband_kernel_build_ids(const struct sideband *sb);
void sideband_close(struct sideband *sb);

struct sideband_stats {
	uint64_t tasks;          /* task records delivered */
	uint64_t maps;           /* map records delivered */
	uint64_t maps_filtered;  /* MMAP2 records not wanted (anonymous, not exec, a process not traced) */
	uint64_t bid_kernel;     /* delivered maps whose build-id came in the record */
	uint64_t bid_file;       /* ... read from the file instead */
	uint64_t bid_unknown;    /* ... unknown */
	uint64_t lost;           /* as sideband_lost() */
	uint64_t corrupt;        /* times a ring held an impossible record (skipped) */
	uint64_t wrapped;        /* records that straddled the ring end (copied out) */
};
void sideband_stats(const struct sideband *sb, struct sideband_stats *st);

/* Which mappings matter: file-backed ones (absolute path) and the vDSO
 * (its frames need a name too); never anonymous memory, the heap or the
 * stack. With exec_only, only PROT_EXEC ones: symbolization needs nothing
 * else. Shared with the /proc snapshot so both sides agree. */
int sideband_map_wanted(const char *path, uint32_t prot, int exec_only);

#endif
