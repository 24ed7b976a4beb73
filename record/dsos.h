/* SPDX-License-Identifier: MIT */
/*
 * Which binaries the recorded stacks run through, so the file can carry
 * their symbol tables (and only theirs) for a report on another machine.
 *
 * The tracker follows every mapping the recording writes (the /proc
 * snapshot and the side-band) and notes the frames of each new stack;
 * user frames are matched to mappings only at the end, because the
 * side-band that announces a mapping can arrive after the first samples
 * in it. At the end, dso_tracker_write() reads the symbol tables of the
 * marked DSOs (once per build-id), with a separate debug file's fuller
 * table when one matches (debuginfo.h), the kernel symbols that cover the
 * kept addresses, and the JIT maps (/tmp/perf-PID.map) of processes with
 * frames outside any file mapping, and adds them to the trace.
 *
 * Files are opened when a DSO's FIRST mapping is reported, not at the end:
 * a DSO is one build-id (or, without one, one device + inode), opened as
 * the mapping's process sees it (mapfile.h: /proc/PID/map_files, else the
 * path inside the process's root, a host path only when provably the same
 * file), and the fd is kept until the tracker is freed. So a process that
 * exits, a container that is torn down, a binary deleted or replaced
 * during the recording are all still named. The root directory of each
 * distinct mount namespace a DSO came from is kept too (an O_PATH fd), for
 * the debug-file lookups next to the binary at the end.
 *
 * Bounds: at most max_fds files and roots are kept (default
 * DSO_TRACKER_MAX_FDS, and never more than half the RLIMIT_NOFILE soft
 * limit, which dso_tracker_new_opts raises toward the hard limit: call it
 * after forking the traced command, which would inherit the raised limit).
 * Past the cap a new DSO keeps no fd, and falls back to the old way at the
 * end: opened then (mapfile_open) through any process that still maps it,
 * so a DSO past the cap whose every process has exited is not named. At
 * most DSO_TRACKER_MAX_ROOTS roots are kept; a DSO from a further one gets
 * no next-to-the-binary debug lookups.
 *
 * Not thread-safe: call every function from one thread (fds handed out by
 * dso_tracker_fd may be used on any thread).
 */
#ifndef TREC_DSOS_H
#define TREC_DSOS_H

#include <stdint.h>

#include "errors.h"
#include "mapfile.h"
#include "records.h"
#include "writer.h"

#define DSO_TRACKER_MAX_FDS 4096
#define DSO_TRACKER_MAX_ROOTS 256

struct dso_tracker;

struct dso_tracker_opts {
	size_t sz;                     /* sizeof(struct dso_tracker_opts) */
	/* Separate debug files (debuginfo.h). trec record --debug-dir DIR
	 * (repeatable): these directories replace the default
	 * /usr/lib/debug; NULL: the default. Copied. */
	const char *const *debug_dirs;
	size_t ndebug_dirs;            /* with debug_dirs set: 0 means none */
	const char *symfs;             /* trec record --symfs DIR, or NULL. Copied. */
	uint32_t max_fds;              /* files and roots kept open; 0: DSO_TRACKER_MAX_FDS */
	const char *proc;              /* NULL: "/proc" (tests: a fake tree) */
};

/* 0, -ENOMEM, or -EINVAL (opts.sz not set). */
int dso_tracker_new_opts(struct dso_tracker **out, const struct dso_tracker_opts *o);
/* dso_tracker_new_opts(out, NULL): the defaults. */
int dso_tracker_new(struct dso_tracker **out);
void dso_tracker_free(struct dso_tracker *t);
/* A mapping written to the trace. Opens its file when it is the first
 * mapping of its DSO (a file that cannot be opened is not an error: its
 * frames stay dso+offset). 0 or -ENOMEM. */
int dso_tracker_map(struct dso_tracker *t, const struct trec_map *m);
/* A NEW fd (O_CLOEXEC, the caller closes it) of the file behind a mapping
 * already passed to dso_tracker_map: a dup of the kept fd, so it shares
 * the file offset with it (read with pread; the tracker itself never uses
 * the offset). For a DSO kept without an fd (past the cap, or its open
 * failed), the file is opened again now (mapfile_open). A negative errno:
 * -ENOENT (not a mapping the tracker knows, or no file found), -EMFILE,
 * ... */
int dso_tracker_fd(struct dso_tracker *t, const struct trec_map *m);

struct dso_tracker_stats {
	uint32_t dsos;        /* distinct DSOs seen */
	uint32_t kept;        /* of them, with a kept fd */
	uint32_t unkept;      /* past the cap: no fd kept */
	uint32_t open_failed; /* no route found their file when first mapped */
	uint32_t roots;       /* root directories kept */
	uint32_t max_fds;     /* the cap in force */
	uint32_t by_route[MAPFILE_NROUTES]; /* kept fds per enum mapfile_route */
};
void dso_tracker_stats(const struct dso_tracker *t, struct dso_tracker_stats *st);
/* A stack seen for the first time (kernel frames first, as in the file). */
int dso_tracker_stack(struct dso_tracker *t, uint32_t pid, const uint64_t *ips, uint16_t nkernel,
		      uint16_t nuser);

struct dso_write_stats {
	uint32_t dsos;        /* symbol tables written */
	uint32_t dsos_failed; /* used DSOs whose file could not be read */
	uint64_t syms;        /* symbols in them */
	uint64_t ksyms;       /* kernel symbols written */
	uint32_t perfmaps;    /* JIT maps written */
	uint32_t debugfiles;  /* tables taken from a separate debug file */
	int ksyms_failed;     /* kallsyms unreadable: kernel frames stay addresses */
};

int dso_tracker_write(struct dso_tracker *t, struct trec_writer *w, struct dso_write_stats *st,
		      struct trec_err *err);
/* Forget which DSOs and kernel addresses were used (a new output file). */
void dso_tracker_reset_used(struct dso_tracker *t);

#endif
