/* SPDX-License-Identifier: MIT */
/*
 * One input trace of an analysis, opened with what every view needs: the
 * reader, schemas by type id, the comm table, the event filter bound to
 * this file, and the host it came from (several files make a fleet view:
 * each event keeps its host).
 */
#ifndef TREC_REPORT_RFILE_H
#define TREC_REPORT_RFILE_H

#include <stdint.h>

#include "cli_util.h"
#include "comm_table.h"
#include "evfilter.h"
#include "reader.h"

struct rfile {
	const char *path;
	char host[256];     /* host.name, or the path when the trace lacks it */
	uint32_t index;     /* among the inputs */
	struct trec_reader *r;
	struct comm_table ct;
	struct evfilter f;
	int swap;
	const struct trec_schema **by_id; /* schema per type id (NULL for gaps) */
	uint32_t ntypes;
};

/* Opens `path` and binds `fo`. 0, or a CLI exit code after a message. */
int rfile_open(struct rfile *f, const char *path, uint32_t index, const struct evfilter_opts *fo,
	       int ignore_corrupt, const struct cli_cmd *cmd);
void rfile_close(struct rfile *f);
static inline const struct trec_schema *rfile_schema(const struct rfile *f, uint32_t type)
{
	return type < f->ntypes ? f->by_id[type] : NULL;
}
/* Type id of the schema named `name`, or 0. */
uint32_t rfile_type(const struct rfile *f, const char *name);
/* An iterator over the filtered time window (ordered or not). `skip`
 * (NULL, or ntypes flags) names types whose payloads are not read: they
 * are not decoded (much of the decoding work) and read as zeros. */
int rfile_iter(struct rfile *f, int unordered, const uint8_t *skip, struct trec_event_iter **it,
	       const struct cli_cmd *cmd);
/* Metadata string, or NULL. */
const char *rfile_meta_str(struct rfile *f, const char *key);

#endif
