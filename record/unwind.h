/* SPDX-License-Identifier: MIT */
/*
 * The unwind-table loader: feeds the BPF unwinder (bpf/unwind.bpf.h).
 *
 * It owns the unwinder's maps: the rows of every compiled table in one
 * array of a fixed size (the memory budget), the table directory, each
 * traced process's executable mappings, and the counters. The recorder
 * hands it what the side-band and the /proc snapshot report (mappings,
 * forks, execs, exits) from its main thread; a loader thread keeps a copy
 * of every process's mappings, writes them to the kernel, and compiles
 * each binary's .eh_frame once (record/cfi.c), keyed by build-id, into
 * rows it copies into the shared array. Samples taken before a process's
 * mappings or a binary's table are in place are walked by frame pointers
 * and counted by reason, never dropped.
 *
 * Memory: the rows array is allocated whole at start (budget_bytes); a
 * table that does not fit is never loaded (its frames fall back to frame
 * pointers, counted as "budget"). Per process: sizeof(struct trec_uw_proc)
 * in a hash map of at most max_procs entries (allocated as processes
 * appear). Nothing grows past these bounds.
 *
 * Errors: negative errno; with a struct trec_err, a sentence naming what
 * failed.
 */
#ifndef TREC_RECORD_UNWIND_H
#define TREC_RECORD_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "records.h"

struct bpf_object;
struct bpf_program;
struct unwind;

#define UNWIND_DEFAULT_BUDGET (32u << 20) /* bytes of rows: 4M rows */
#define UNWIND_DEFAULT_PROCS 4096
#define UNWIND_MAX_TABLES 16384

struct unwind_opts {
	size_t sz;           /* sizeof(struct unwind_opts) */
	uint64_t budget;     /* bytes for rows; 0: UNWIND_DEFAULT_BUDGET */
	uint32_t max_procs;  /* processes with mappings in the kernel; 0: UNWIND_DEFAULT_PROCS */
	uint32_t chunk_shift; /* rows per chunk of the rows map, as a shift (10..16); 0: 64K rows (512 KiB).
			       * Rows are allocated a chunk at a time, as tables need them. */
};

/* Creates the maps (nothing runs yet). -EOPNOTSUPP on an architecture the
 * unwinder does not know (only x86-64). */
int unwind_new(struct unwind **out, const struct unwind_opts *o, struct trec_err *err);

/* Points a BPF object's unwinder maps (uw_rows, uw_tables, uw_procs,
 * uw_stats) at ours; call between __open() and __load(). The caller also
 * sets the object's `unwind_user` and `uw_chunk_shift` read-only variables. */
int unwind_share(struct unwind *uw, struct bpf_object *obj, struct trec_err *err);

/* The value of a sharing object's `uw_chunk_shift` read-only variable
 * (rows per chunk of the rows map, as a shift); set it with unwind_user. */
uint32_t unwind_chunk_shift(const struct unwind *uw);

/* The fork/exec followers (bpf/unwind_hooks.bpf.h) as loaded in another
 * object: the recorder's tracepoint capture loads them with its own
 * programs, so that one load parses the kernel's BTF once for all. */
struct unwind_hook_progs {
	struct bpf_program *fork, *exec;
};

/* Attaches the fork/exec followers and starts the loader thread. hooks:
 * the followers loaded with another object; NULL: load them here as an
 * object of their own, with targets_fd the capture's target set when it
 * filters processes (an exec of a target wakes the recorder), -1 when
 * every process is traced. */
int unwind_start(struct unwind *uw, const struct unwind_hook_progs *hooks, int targets_fd, struct trec_err *err);

/* From the recorder's main thread (never blocks on the loader).
 * unwind_on_map takes ownership of fd: the mapped file, opened while the
 * process surely existed (-1: the loader opens it itself, if it must).
 * unwind_wants_file says whether the loader still needs the file of a
 * mapping (its binary has not been handed over before): 1 or 0. */
int unwind_wants_file(struct unwind *uw, const struct trec_map *m);
void unwind_on_map(struct unwind *uw, const struct trec_map *m, int fd);
void unwind_on_task(struct unwind *uw, const struct trec_task *t);
/* Wakes the loader for what unwind_on_map / unwind_on_task queued: call it
 * after each batch (a side-band drain, the /proc snapshot). */
void unwind_flush(struct unwind *uw);

/* An fd that polls readable when the unwinder asks for the side-band to be
 * drained now (a sample found its process's mappings missing); consume
 * the request with unwind_kick_consume, then drain. -1 without uw. */
int unwind_kick_fd(const struct unwind *uw);
void unwind_kick_consume(struct unwind *uw);

/* Compiles, ahead of time, the tables of a program about to be started
 * (path as this process sees it) and of its interpreter and libraries
 * (PT_INTERP, DT_NEEDED through the ld.so cache): its first samples then
 * find them through the task's VMAs before its mappings are loaded.
 * Follow with unwind_sync to wait for them. */
void unwind_preload(struct unwind *uw, const char *path);

/* Waits for the loader to apply everything queued so far (and so for the
 * tables registered so far to be compiled). */
void unwind_sync(struct unwind *uw);
/* The fd of one of the maps ("uw_rows", "uw_tables", "uw_procs",
 * "uw_stats"), for inspection; -ENOENT for another name. */
int unwind_map_fd(const struct unwind *uw, const char *name);

struct unwind_stats {
	/* from the kernel (bpf/unwind_abi.h TREC_UW_*) */
	uint64_t kernel[24];
	/* from the loader */
	uint64_t tables;          /* tables compiled and loaded */
	uint64_t tables_none;     /* binaries without usable unwind information */
	uint64_t tables_budget;   /* tables that did not fit the budget */
	uint64_t tables_failed;   /* binaries that could not be opened or read */
	uint64_t rows;            /* rows loaded */
	uint64_t rows_capacity;   /* rows the budget holds */
	uint64_t rows_allocated;  /* rows in the chunks allocated so far (memory: x 8 bytes) */
	uint64_t procs_full;      /* updates refused: the process table was full */
	uint64_t maps_dropped;    /* mappings not kept: a process had TREC_UW_MAX_MAPS already */
	uint64_t queue_dropped;   /* messages dropped: the loader fell too far behind */
	uint64_t compile_ns;      /* time spent compiling tables */
};

void unwind_stats(struct unwind *uw, struct unwind_stats *st);

/* As metadata ("unwind.*" keys) for the trace; strings/keys in arena a. */
int unwind_stats_meta(const struct unwind_stats *st, struct tarena *a, struct trec_meta_kv **kv, size_t *n);

/* Stops the loader and the followers, closes the maps. */
void unwind_free(struct unwind *uw);

#endif
