/* SPDX-License-Identifier: MIT */
/*
 * Internals of the unwind-table loader shared by its thread and queue
 * (unwind.c) and its state (unwind_state.c: the mirror of every process's
 * mappings, kept in a tsearch tree and written to the kernel, and the
 * statistics). Not for use outside those two files.
 */
#ifndef TREC_RECORD_UNWIND_INT_H
#define TREC_RECORD_UNWIND_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "unwind.h"
#include "unwind_abi.h"

struct msg;
struct ring_buffer;
struct unwind_hooks_bpf;

/* A table, keyed by what identifies a file's contents. */
enum key_kind { KEY_BUILD_ID = 1, KEY_FILE = 2, KEY_VDSO = 3 };
struct tkey {
	uint8_t kind, len;
	uint8_t id[TREC_MAX_BUILD_ID];
};

struct table {
	struct tkey key;
	uint32_t id;    /* index in uw_tables */
	uint32_t state; /* TREC_UW_TABLE_* */
	int fd;         /* open until compiled */
	char *name;     /* for messages */
};

struct pmap {
	uint64_t start, len, pgoff, ts;
	uint32_t table;
};

struct proc {
	uint32_t pid;
	uint32_t n, cap;
	struct pmap *maps; /* sorted by start, not overlapping */
	uint32_t gen;
	int dirty;
};

struct unwind {
	int rows_fd, tables_fd, procs_fd, stats_fd, kick_fd, inodes_fd;
	struct ring_buffer *kick; /* the unwinder's wake-up calls (uw_kick) */
	/* The rows: one address range reserved for the whole budget, each
	 * chunk map mmapped into its place when a table first needs it, so
	 * rows + i is row i whatever chunk holds it. */
	struct trec_uw_row *rows;
	size_t rows_map_len;
	uint32_t rows_cap, rows_used;
	uint32_t chunk_shift;          /* rows per chunk: 1 << chunk_shift */
	uint32_t chunks, chunks_max;   /* created; what the budget allows */
	uint32_t max_procs;
	struct unwind_hooks_bpf *hooks;  /* the followers' own object (tests), or */
	struct bpf_link *fork_link, *exec_link; /* theirs in the capture's object */

	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t wake, synced;
	struct msg *head, *tail;
	size_t queued;
	size_t unsignaled; /* queued since the loader was last woken */
	int stop;
	uint64_t sync_asked, sync_done;
	void *handed; /* main thread: tsearch tree of build-ids whose file was handed over */

	/* loader thread only */
	void *procs;  /* tsearch tree of struct proc * by pid */
	void *tables; /* tsearch tree of struct table * by key */
	struct table **pending;
	size_t npending, pending_cap;
	uint32_t next_table; /* ids from 1 */

	pthread_mutex_t stats_mu;
	struct unwind_stats st;
};

/* ---- unwind_state.c (loader thread unless said otherwise) ------------------------ */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t uw_now_ns(void);
/* The process pid's mirror; created empty when create (NULL when out of
 * memory), else NULL when there is none. */
struct proc *uw_proc_get(struct unwind *uw, uint32_t pid, int create);
void uw_proc_drop(struct unwind *uw, struct proc *p);
/* Inserts a mapping, replacing whatever it overlaps. 0 or -ENOMEM. */
int uw_proc_add_map(struct unwind *uw, struct proc *p, const struct pmap *m);
/* Writes the mirror to the kernel's process map (deletes it when empty). */
void uw_proc_write(struct unwind *uw, struct proc *p);
/* Frees every mirror (teardown, after the thread has stopped). */
void uw_procs_free(struct unwind *uw);

#endif
