/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "rfile.h"

const char *rfile_meta_str(struct rfile *f, const char *key)
{
	const struct trec_meta_kv *kv = trec_reader_meta_get(f->r, key);
	return kv && kv->type == TREC_META_STR ? kv->v.str.ptr : NULL;
}

int rfile_open(struct rfile *f, const char *path, uint32_t index, const struct evfilter_opts *fo,
	       int ignore_corrupt, const struct cli_cmd *cmd)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->index = index;
	if (cli_open_trace(cmd, path, ignore_corrupt, &f->r))
		return CLI_EXIT_ERROR;
	const struct trec_file_info *fi = trec_reader_info(f->r);
	if (fi->truncated)
		cli_warn(cmd, "%s is truncated at offset %llu (%s): reading its complete blocks", path,
			 (unsigned long long)fi->truncated_at, fi->truncation ? fi->truncation : "no footer index");
	f->swap = trec_reader_swap(f->r);
	const char *host = rfile_meta_str(f, "host.name");
	snprintf(f->host, sizeof(f->host), "%s", host ? host : path);

	const struct trec_schema **s;
	size_t n;
	struct trec_err err = { 0 };
	int rc = trec_reader_schemas(f->r, &s, &n, &err);
	if (rc < 0) {
		cli_file_error(cmd, path, CLI_AT_READ, rc, trec_errmsg(&err, rc));
		return CLI_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i]->id >= f->ntypes)
			f->ntypes = s[i]->id + 1;
	f->by_id = calloc(f->ntypes ? f->ntypes : 1, sizeof(*f->by_id));
	if (!f->by_id) {
		cli_err(cmd, "out of memory for %zu event types of %s", n, path);
		return CLI_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		f->by_id[s[i]->id] = s[i];

	const struct trec_task *tasks;
	size_t ntasks;
	rc = trec_reader_tasks(f->r, &tasks, &ntasks, &err);
	if (rc < 0) {
		cli_file_error(cmd, path, CLI_AT_READ, rc, trec_errmsg(&err, rc));
		return CLI_EXIT_ERROR;
	}
	if (comm_table_build(&f->ct, tasks, ntasks) < 0) {
		cli_err(cmd, "out of memory for %zu task records of %s", ntasks, path);
		return CLI_EXIT_ERROR;
	}
	return evfilter_bind(&f->f, fo, f->r, cmd, path);
}

void rfile_close(struct rfile *f)
{
	evfilter_free(&f->f);
	comm_table_free(&f->ct);
	free(f->by_id);
	if (f->r)
		trec_reader_close(f->r);
	memset(f, 0, sizeof(*f));
}

uint32_t rfile_type(const struct rfile *f, const char *name)
{
	for (uint32_t t = 0; t < f->ntypes; t++)
		if (f->by_id[t] && !strcmp(f->by_id[t]->name, name))
			return t;
	return 0;
}

int rfile_iter(struct rfile *f, int unordered, const uint8_t *skip, struct trec_event_iter **it,
	       const struct cli_cmd *cmd)
{
	struct trec_iter_opts io = { .sz = sizeof(io), .unordered = unordered, .skip_payload = skip,
				     .nskip = f->ntypes };
	evfilter_iter_opts(&f->f, &io);
	int rc = trec_event_iter_new(f->r, &io, it);
	if (rc < 0) {
		cli_file_error(cmd, f->path, CLI_AT_READ, rc, trec_errmsg(NULL, rc));
		return CLI_EXIT_ERROR;
	}
	return 0;
}
