/* SPDX-License-Identifier: MIT */
/*
 * Streaming trace writer. Callers add records; the writer groups them into
 * blocks (events per stream/CPU, the rest per kind), and a compressor
 * thread encodes, compresses and appends each sealed block to the file.
 * Memory is bounded: at most `queue_blocks` sealed blocks wait for the
 * compressor, plus one open buffer per stream and kind.
 *
 * Crash safety comes from the layout, not from the writer being careful at
 * the end: every block is complete and checksummed on its own, so a file
 * cut anywhere reads back up to its last complete block. A clean close
 * adds the footer index and the trailer.
 *
 * Errors from the compressor thread (ENOSPC, EIO) are sticky: the next
 * call returns them, and close still writes the footer after the last
 * complete block, truncating a partly written one.
 */
#ifndef TREC_WRITER_H
#define TREC_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "events.h"
#include "records.h"
#include "schema.h"

struct trec_writer;

struct trec_writer_opts {
	size_t sz;            /* sizeof(struct trec_writer_opts), for growth */
	int level;            /* zstd level; 0 = TREC_DEFAULT_LEVEL */
	size_t block_bytes;   /* rows per events block before it is sealed; 0 = 1 MiB */
	unsigned queue_blocks; /* sealed blocks waiting for compression; 0 = 8 */
	int nonblocking;      /* add_event returns -EAGAIN rather than wait for the queue */
	int inline_compress;  /* compress in the calling thread (tests, benchmarks) */
	uint8_t byte_order;   /* of payloads; 0 = this host's */
	uint64_t created_ns;  /* 0 = now */
};
#define TREC_DEFAULT_LEVEL 1

/* Creates `path` (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) unless `force`,
 * which replaces an existing file (unlinked first, never written through
 * a link). */
int trec_writer_open(struct trec_writer **out, const char *path, int force,
		     const struct trec_writer_opts *opts, struct trec_err *err);
/* Takes ownership of an open, empty, writable fd; `name` is for messages. */
int trec_writer_fdopen(struct trec_writer **out, int fd, const char *name,
		       const struct trec_writer_opts *opts, struct trec_err *err);

int trec_writer_add_meta(struct trec_writer *w, const struct trec_meta_kv *kv, size_t n);
/* Validates and writes the schema; events of that type may follow. */
int trec_writer_add_schema(struct trec_writer *w, const struct trec_schema *s);
int trec_writer_add_event(struct trec_writer *w, const struct trec_event *ev);
/* Deduplicates: equal stacks get the same id (ids start at 1). */
int trec_writer_add_stack(struct trec_writer *w, const uint64_t *ips, uint16_t nkernel,
			  uint16_t nuser, uint32_t *id);
int trec_writer_add_task(struct trec_writer *w, const struct trec_task *t);
/* A cgroup path or a task's cgroup and namespace pids (format 1.2). */
int trec_writer_add_task_ctx(struct trec_writer *w, const struct trec_task_ctx *t);
int trec_writer_add_map(struct trec_writer *w, const struct trec_map *m);
/* One DSO table: its named symbols (raw names) go to a SYMS block; when it
 * has demangled names or TREC_SYM_FDE entries, those go to a SYMEXT block
 * that readers pair with it (format/records.h). */
int trec_writer_add_dso_syms(struct trec_writer *w, const struct trec_dso_syms *d);
int trec_writer_add_ksyms(struct trec_writer *w, const struct trec_ksym *k, size_t n);
int trec_writer_add_loss(struct trec_writer *w, const struct trec_loss *l);

/* Hands every open buffer to the compressor without waiting for it to be
 * written (a recorder calls this periodically so that little is held in
 * memory, at risk if the process dies). With nonblocking, a full queue
 * leaves a buffer open rather than wait. */
int trec_writer_seal(struct trec_writer *w);
/* Seals every open buffer and waits until all of it is in the file. */
int trec_writer_flush(struct trec_writer *w);

struct trec_writer_stats {
	uint64_t events;
	uint64_t lost;        /* events lost: loss records added, but for stack-only losses */
	uint64_t blocks;
	uint64_t raw_bytes;   /* encoded payload bytes before zstd */
	uint64_t file_bytes;  /* bytes in the file so far */
	uint64_t stacks;      /* distinct stacks */
	uint64_t events_dropped; /* added but not written: a write error stopped the writer */
	uint64_t events_written; /* in blocks already in the file */
	size_t mem_bytes;     /* memory held by buffers right now */
	size_t mem_peak;
};
void trec_writer_stats(struct trec_writer *w, struct trec_writer_stats *st);

/* Flushes, writes index and trailer, closes. Frees w in every case. */
int trec_writer_close(struct trec_writer *w, struct trec_err *err);
/* Closes without footer (what a crash leaves); for tests of recovery. */
void trec_writer_abandon(struct trec_writer *w);
/* The sticky error's message, if any. */
const char *trec_writer_error(struct trec_writer *w);

#endif
