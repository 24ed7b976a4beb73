/* SPDX-License-Identifier: MIT */
/*
 * The reader's state, shared by its parts: reader.c (opening, finding
 * and decoding blocks, the small kinds, totals) and reader_iter.c (events
 * in time or file order). Not for other modules: reader.h is the
 * interface.
 */
#ifndef TREC_FORMAT_READER_INT_H
#define TREC_FORMAT_READER_INT_H

#include <zstd.h>

#include "buf.h"
#include "reader.h"

struct kind_cache {
	int loaded;
	int status; /* 0 or the negative errno of the load */
	void *items;
	size_t n;
};

struct trec_reader {
	int fd;
	char *path;
	struct trec_reader_opts o;
	struct trec_file_info info;
	struct trec_block_info *blocks;
	uint32_t blocks_cap;
	struct tbuf warnings;
	char truncation[512];
	int swap;

	ZSTD_DCtx *zd;
	struct tbuf io;  /* compressed payload */
	struct tbuf raw; /* decompressed payload of the last loaded block */

	struct tarena arena; /* decoded small kinds */
	struct kind_cache meta, schema, stacks, tasks, maps, syms, ksyms, loss, symext, taskctx;
	const struct trec_schema **schema_by_id; /* [TREC_MAX_TYPE_ID + 1] */
	const struct trec_schema **schema_list;

	int have_index;
	struct trec_index index;
	int totals_done;
	struct trec_totals totals;

	struct trec_reader_stats stats;
};

/* Reads and decompresses block i into r->raw (its header checked): 0, or
 * a negative errno with err saying what and where. */
int reader_load_block(struct trec_reader *r, uint32_t i, struct trec_err *err);
/* Marks block i damaged (skipped under --ignore-corrupt), saying why once. */
void reader_mark_bad(struct trec_reader *r, uint32_t i, const char *why);

#endif
