/* SPDX-License-Identifier: MIT */
/*
 * The input of an analysis: one trace, or several read as one (a fleet
 * view: each event keeps its host). Every view opens its traces here:
 * each file with its reader, schemas by type id, comm table, the event
 * filter bound to it (evfilter.h) and the host it came from.
 *
 * Errors are -errno with a message in the trec_err; err_path/err_at say
 * which file failed and whether opening or reading it, so the caller can
 * add advice (cli/: cli_file_error). A truncated file is not an error:
 * the caller sees trec_reader_info(f->r)->truncated and says so.
 */
#ifndef TREC_REPORT_SOURCE_H
#define TREC_REPORT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "comm_table.h"
#include "errors.h"
#include "evfilter.h"
#include "reader.h"
#include "tctx_table.h"

/* One input trace. */
struct rfile {
	const char *path;
	char host[256];     /* host.name, or the path when the trace lacks it */
	uint32_t index;     /* among the inputs */
	struct trec_reader *r;
	struct comm_table ct;
	struct tctx_table tt; /* cgroups and namespace pids (format 1.2) */
	struct evfilter f;
	int swap;
	const struct trec_schema **by_id; /* schema per type id (NULL for gaps) */
	uint32_t ntypes;
};

/* Where an error happened: nowhere in particular (the message says it
 * all), or opening or reading err_path. */
enum source_at { SOURCE_AT_NONE, SOURCE_AT_OPEN, SOURCE_AT_READ };

struct source {
	struct rfile *files;
	size_t n;           /* files tried: the last may have failed */
	const char *err_path;
	enum source_at err_at;
};

struct source_opts {
	size_t sz;
	const struct evfilter_opts *filter; /* NULL: every event */
	int ignore_corrupt;                 /* skip blocks that fail their checks */
};

/* Opens the n traces in order (stopping at the first that fails). 0 or
 * -errno; source_close() either way. */
int source_open(struct source *s, const char *const *paths, size_t n, const struct source_opts *o,
		struct trec_err *err);
void source_close(struct source *s);
/* Records where the error `rc` happened and returns rc. */
int source_fail(struct source *s, const char *path, enum source_at at, int rc);

static inline const struct trec_schema *rfile_schema(const struct rfile *f, uint32_t type)
{
	return type < f->ntypes ? f->by_id[type] : NULL;
}
/* Type id of the schema named `name`, or 0. */
uint32_t rfile_type(const struct rfile *f, const char *name);
/* An iterator over the filtered time window (ordered or not). `skip`
 * (NULL, or ntypes flags) names types whose payloads are not read: they
 * are not decoded (much of the decoding work) and read as zeros. 0 or
 * -errno. */
int rfile_iter(struct rfile *f, int unordered, const uint8_t *skip, struct trec_event_iter **it,
	       struct trec_err *err);
/* Metadata string, or NULL. */
const char *rfile_meta_str(struct rfile *f, const char *key);

#endif
