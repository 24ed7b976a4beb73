/* SPDX-License-Identifier: MIT */
/*
 * The output files of a recording: --switch-output (a new file, named
 * OUTPUT.<local time>, every SIZE bytes or TIME) and --max-size (stop once
 * all the files together reach SIZE). The previous file is closed on a
 * thread of its own while the rings drain into the next one: closing
 * compresses the last block, writes the index and fsync()s, which can take
 * longer than a busy ring lasts. At most one file is closing at a time.
 */
#ifndef TREC_RECORD_ROTATION_H
#define TREC_RECORD_ROTATION_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "writer.h"

struct rotation_opts {
	size_t sz;
	const char *base;     /* -o */
	uint64_t switch_size; /* --switch-output SIZE; 0: not by size */
	uint64_t switch_ns;   /* --switch-output TIME; 0: not by time */
	uint64_t max_size;    /* --max-size; 0: no limit */
};

struct rotation {
	struct rotation_opts o;
	uint64_t files;         /* opened so far */
	uint64_t file_start_ns; /* when the current one was opened */
	uint64_t bytes_done;    /* in files already closed */
	struct {
		pthread_t th;
		int active;
		struct trec_writer *w;
		char path[4096];
		struct trec_err err;
		int rc;
		uint64_t bytes;
	} closer;
};

void rotation_init(struct rotation *r, const struct rotation_opts *o);
/* The name of the next file: -o, or -o.<time> with --switch-output. */
void rotation_next_name(const struct rotation *r, char *buf, size_t len);
/* The name of snapshot seq (--overwrite, from 1): -o.<seq, 4 digits>.<time>. */
void rotation_snapshot_name(const struct rotation *r, uint64_t seq, char *buf, size_t len);
/* A file was opened at now_ns. */
void rotation_opened(struct rotation *r, uint64_t now_ns);
/* Whether the current file is due to be replaced (--switch-output). */
int rotation_due(const struct rotation *r, struct trec_writer *w, uint64_t now_ns);
/* Whether every file together reached --max-size. */
int rotation_limit_reached(const struct rotation *r, struct trec_writer *w);
/* Bytes in every file so far: the closed ones and w (may be NULL). */
uint64_t rotation_bytes(const struct rotation *r, struct trec_writer *w);
/* A file was closed here: its size counts. */
void rotation_closed(struct rotation *r, const char *path);
/* Closes `old` (at path) behind the caller's back; when no thread can be
 * started, here. Returns the close's error only in that case. */
int rotation_close_behind(struct rotation *r, struct trec_writer *old, const char *path, struct trec_err *err);
/* Waits for the file closing behind; its error, if any, becomes ours
 * (err may be NULL). */
int rotation_join(struct rotation *r, struct trec_err *err);

#endif
