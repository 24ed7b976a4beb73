/* SPDX-License-Identifier: MIT */
/*
 * Trace reader. Opening a file reads its header and finds its blocks:
 * from the footer index when the file was closed cleanly, else by walking
 * block headers from the start (a cut or still-growing file), stopping at
 * the first incomplete block and saying where. Payloads are read and
 * checked (CRC, then zstd, then the kind's decoder) only when needed.
 *
 * Small kinds (metadata, schemas, stacks, tasks, mappings, symbols, loss)
 * are loaded whole on first use. Events stream through an iterator that
 * merges the per-CPU blocks into one time-ordered sequence and, given a
 * time window, decompresses only the blocks that overlap it.
 */
#ifndef TREC_READER_H
#define TREC_READER_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "errors.h"
#include "events.h"
#include "records.h"
#include "schema.h"

struct trec_reader;

struct trec_reader_opts {
	size_t sz;          /* sizeof(struct trec_reader_opts) */
	int ignore_corrupt; /* skip blocks that fail checks instead of failing */
	int no_index;       /* walk blocks even when a footer index exists */
};

/* One block as found in the file. */
struct trec_block_info {
	uint64_t offset;   /* of its header */
	struct trec_block_header h;
	int bad;           /* failed a check when last loaded (ignore_corrupt) */
};

struct trec_file_info {
	struct trec_file_header header;
	uint64_t file_bytes;
	int has_index;          /* footer index found and valid */
	int truncated;          /* no valid footer: cut short, or still being written */
	uint64_t truncated_at;  /* offset where complete blocks end, when truncated */
	const char *truncation; /* sentence saying what was found at truncated_at */
	uint32_t nblocks;
	uint32_t corrupt_blocks; /* found so far */
};

int trec_reader_open(struct trec_reader **out, const char *path, const struct trec_reader_opts *opts,
		     struct trec_err *err);
void trec_reader_close(struct trec_reader *r);

const struct trec_file_info *trec_reader_info(const struct trec_reader *r);
const struct trec_block_info *trec_reader_block(const struct trec_reader *r, uint32_t i);
/* Nonzero when payload byte order differs from this host's. */
int trec_reader_swap(const struct trec_reader *r);

/* Warnings gathered so far (corrupt blocks skipped, truncation): one per line. */
const char *trec_reader_warnings(const struct trec_reader *r);

/* Loads and decodes one block's payload into `raw` (for tools and tests). */
int trec_reader_block_payload(struct trec_reader *r, uint32_t i, const void **raw, size_t *len,
			      struct trec_err *err);

/* Whole-kind loaders: decode every block of the kind once, cache, return. */
int trec_reader_meta(struct trec_reader *r, const struct trec_meta_kv **kv, size_t *n,
		     struct trec_err *err);
const struct trec_meta_kv *trec_reader_meta_get(struct trec_reader *r, const char *key);
int trec_reader_schemas(struct trec_reader *r, const struct trec_schema ***s, size_t *n,
			struct trec_err *err);
const struct trec_schema *trec_reader_schema(struct trec_reader *r, uint32_t type);
/* Loads the stack table (n: how many stacks); the error names the block
 * when one does not decode. Call it first when a missing stack must be
 * told apart from an unreadable stacks block. */
int trec_reader_stacks(struct trec_reader *r, size_t *n, struct trec_err *err);
/* Stack by id, NULL if absent (or if the stacks could not be loaded). */
const struct trec_stack *trec_reader_stack(struct trec_reader *r, uint32_t id);
int trec_reader_tasks(struct trec_reader *r, const struct trec_task **t, size_t *n,
		      struct trec_err *err);
/* Cgroup paths and each task's cgroup and namespace pids, in file order
 * (format 1.2; none in older files, or from a recording without them). */
int trec_reader_task_ctx(struct trec_reader *r, const struct trec_task_ctx **t, size_t *n,
			 struct trec_err *err);
int trec_reader_maps(struct trec_reader *r, const struct trec_map **m, size_t *n,
		     struct trec_err *err);
/* DSO symbol tables (SYMS) with their extensions (SYMEXT: demangled
 * names, unnamed FDE functions) applied; sorted by address. */
int trec_reader_dso_syms(struct trec_reader *r, const struct trec_dso_syms **d, size_t *n,
			 struct trec_err *err);
int trec_reader_ksyms(struct trec_reader *r, const struct trec_ksym **k, size_t *n,
		      struct trec_err *err);
int trec_reader_losses(struct trec_reader *r, const struct trec_loss **l, size_t *n,
		       struct trec_err *err);

/* Totals: from the index when present, else by decoding every events block. */
struct trec_totals {
	uint64_t events;
	uint64_t lost;     /* events lost (loss records but for reason TREC_LOSS_STACK) */
	uint64_t first_ts, last_ts;
	uint32_t ntypes;
	struct trec_type_count *types; /* owned by the reader */
};
int trec_reader_totals(struct trec_reader *r, const struct trec_totals **t, struct trec_err *err);

/* ---- event iteration ---------------------------------------------------- */

struct trec_iter_opts {
	size_t sz;
	uint64_t start_ts; /* inclusive; 0 = from the beginning */
	uint64_t end_ts;   /* inclusive; 0 = to the end */
	int unordered;     /* file order instead of time order (cheaper) */
	/* Types whose payloads the caller does not read (skip_payload[id] set,
	 * id < nskip): not decoded, read as zeros. NULL: decode all. */
	const uint8_t *skip_payload;
	uint32_t nskip;
};

struct trec_event_iter;

int trec_event_iter_new(struct trec_reader *r, const struct trec_iter_opts *opts,
			struct trec_event_iter **out);
/* 1 with *ev filled (valid until the next call), 0 at the end, or a
 * negative errno (a corrupt block without ignore_corrupt). */
int trec_event_iter_next(struct trec_event_iter *it, struct trec_event *ev, struct trec_err *err);
/* Ordered iterators only: the next run of events in time order, events
 * [*first, *first + *n) of block *b (valid until the next call; n >= 1),
 * 1, 0 at the end, or a negative errno. The same events as
 * trec_event_iter_next hands out one by one (the calls may be mixed), at
 * a loop's cost per event. */
int trec_event_iter_next_run(struct trec_event_iter *it, const struct trec_evblock **b, uint32_t *first,
			     uint32_t *n, struct trec_err *err);
/* Unordered iterators only: the next whole decoded block (valid until the
 * next call), 1, 0 at the end, or a negative errno. Blocks are chosen by
 * the time window but their events are not: the caller checks ts. For
 * aggregations, whose per-event work is then a loop over arrays. */
int trec_event_iter_next_block(struct trec_event_iter *it, const struct trec_evblock **out,
			       struct trec_err *err);
void trec_event_iter_free(struct trec_event_iter *it);

/* Counters for tests and benchmarks. */
struct trec_reader_stats {
	uint64_t blocks_decompressed;
	uint64_t bytes_read;
	uint64_t events_decoded;
};
void trec_reader_stats(const struct trec_reader *r, struct trec_reader_stats *st);

#endif
