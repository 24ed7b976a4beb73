/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static const struct evfilter_opts no_filter;

const char *rfile_meta_str(struct rfile *f, const char *key)
{
	const struct trec_meta_kv *kv = trec_reader_meta_get(f->r, key);
	return kv && kv->type == TREC_META_STR ? kv->v.str.ptr : NULL;
}

int source_fail(struct source *s, const char *path, enum source_at at, int rc)
{
	s->err_path = path;
	s->err_at = at;
	return rc;
}

static int rfile_open(struct source *s, struct rfile *f, const char *path, uint32_t index,
		      const struct source_opts *o, struct trec_err *err)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->index = index;
	struct trec_reader_opts ro = { .sz = sizeof(ro), .ignore_corrupt = o->ignore_corrupt };
	int rc = trec_reader_open(&f->r, path, &ro, err);
	if (rc < 0) {
		f->r = NULL;
		return source_fail(s, path, SOURCE_AT_OPEN, rc);
	}
	f->swap = trec_reader_swap(f->r);
	const char *host = rfile_meta_str(f, "host.name");
	snprintf(f->host, sizeof(f->host), "%s", host ? host : path);

	const struct trec_schema **sc;
	size_t n;
	rc = trec_reader_schemas(f->r, &sc, &n, err);
	if (rc < 0)
		return source_fail(s, path, SOURCE_AT_READ, rc);
	for (size_t i = 0; i < n; i++)
		if (sc[i]->id >= f->ntypes)
			f->ntypes = sc[i]->id + 1;
	f->by_id = calloc(f->ntypes ? f->ntypes : 1, sizeof(*f->by_id));
	if (!f->by_id)
		return trec_errf(err, -ENOMEM, "out of memory for %zu event types of %s", n, path);
	for (size_t i = 0; i < n; i++)
		f->by_id[sc[i]->id] = sc[i];

	const struct trec_task *tasks;
	size_t ntasks;
	rc = trec_reader_tasks(f->r, &tasks, &ntasks, err);
	if (rc < 0)
		return source_fail(s, path, SOURCE_AT_READ, rc);
	if (comm_table_build(&f->ct, tasks, ntasks) < 0)
		return trec_errf(err, -ENOMEM, "out of memory for %zu task records of %s", ntasks, path);
	const struct trec_task_ctx *tcx;
	size_t ntcx;
	rc = trec_reader_task_ctx(f->r, &tcx, &ntcx, err);
	if (rc < 0)
		return source_fail(s, path, SOURCE_AT_READ, rc);
	if (tctx_table_build(&f->tt, tcx, ntcx) < 0)
		return trec_errf(err, -ENOMEM, "out of memory for %zu task context records of %s", ntcx, path);
	int read_error = 0;
	rc = evfilter_bind(&f->f, o->filter ? o->filter : &no_filter, f->r, path, &read_error, err);
	f->f.tt = &f->tt;
	if (rc < 0 && read_error)
		return source_fail(s, path, SOURCE_AT_READ, rc);
	return rc;
}

int source_open(struct source *s, const char *const *paths, size_t n, const struct source_opts *o,
		struct trec_err *err)
{
	memset(s, 0, sizeof(*s));
	s->files = calloc(n ? n : 1, sizeof(*s->files));
	if (!s->files)
		return trec_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		s->n = i + 1;
		int rc = rfile_open(s, &s->files[i], paths[i], (uint32_t)i, o, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void source_close(struct source *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct rfile *f = &s->files[i];
		evfilter_free(&f->f);
		comm_table_free(&f->ct);
		tctx_table_free(&f->tt);
		free(f->by_id);
		if (f->r)
			trec_reader_close(f->r);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}

uint32_t rfile_type(const struct rfile *f, const char *name)
{
	for (uint32_t t = 0; t < f->ntypes; t++)
		if (f->by_id[t] && !strcmp(f->by_id[t]->name, name))
			return t;
	return 0;
}

int rfile_iter(struct rfile *f, int unordered, const uint8_t *skip, struct trec_event_iter **it,
	       struct trec_err *err)
{
	struct trec_iter_opts io = { .sz = sizeof(io), .unordered = unordered, .skip_payload = skip,
				     .nskip = f->ntypes };
	evfilter_iter_opts(&f->f, &io);
	int rc = trec_event_iter_new(f->r, &io, it);
	if (rc < 0)
		return trec_errf(err, rc, "%s", trec_errmsg(NULL, rc));
	return 0;
}
