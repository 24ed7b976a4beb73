/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evfilter.h"

int evfilter_add_list(char ***list, size_t *n, const char *arg)
{
	const char *p = arg;
	do {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len)
			return -EINVAL;
		if (len > 255)
			return -ENAMETOOLONG;
		if (*n >= EVF_MAX_VALUES)
			return -E2BIG;
		char **l = realloc(*list, (*n + 1) * sizeof(*l));
		if (!l)
			return -ENOMEM;
		*list = l;
		if (!(l[*n] = strndup(p, len)))
			return -ENOMEM;
		(*n)++;
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

void evfilter_opts_free(struct evfilter_opts *o)
{
	for (size_t i = 0; i < o->ncomms; i++)
		free(o->comms[i]);
	for (size_t i = 0; i < o->nevents; i++)
		free(o->events[i]);
	for (size_t i = 0; i < o->ncgroups; i++)
		free(o->cgroups[i]);
	free(o->cgroups);
	free(o->comms);
	free(o->events);
	free(o->pids);
	free(o->tids);
	free(o->cpus);
	memset(o, 0, sizeof(*o));
}

int evfilter_first_ts(struct trec_reader *r, uint64_t *ts)
{
	const struct trec_file_info *fi = trec_reader_info(r);
	int found = 0;
	*ts = 0;
	for (uint32_t i = 0; i < fi->nblocks; i++) {
		const struct trec_block_info *b = trec_reader_block(r, i);
		if (!b || b->h.kind != TREC_BLK_EVENTS || !b->h.count)
			continue;
		if (!found || b->h.first_ts < *ts)
			*ts = b->h.first_ts;
		found = 1;
	}
	return found;
}

/* A --time end on the trace clock; `first` is the first event's time. */
static int resolve_time(const struct evf_time *t, uint64_t first, struct trec_reader *r, const char *path,
			uint64_t *out, struct trec_err *err)
{
	if (!t->wall) {
		*out = t->ns > UINT64_MAX - first ? UINT64_MAX : first + t->ns; /* saturating */
		return 0;
	}
	const struct trec_meta_kv *kv = trec_reader_meta_get(r, "clock.realtime_offset_ns");
	if (!kv)
		return trec_errf(err, -ENOENT,
				 "%s: the trace does not record its wall-clock offset (clock.realtime_offset_ns): "
				 "give --time in seconds after the first event", path);
	int64_t off = kv->v.i64;
	uint64_t wall = t->ns;
	if (t->wall == 2) {
		/* Time of day: on the local date of the first event. */
		int64_t first_wall = (int64_t)first + off;
		time_t fs = (time_t)(first_wall / 1000000000);
		struct tm tm;
		if (!localtime_r(&fs, &tm))
			return trec_errf(err, -ERANGE, "%s: the trace's start time is out of range", path);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		time_t midnight = mktime(&tm);
		wall += (uint64_t)midnight * 1000000000ull;
	}
	int64_t mono = (int64_t)wall - off;
	*out = mono < 0 ? 0 : (uint64_t)mono;
	return 0;
}

int evfilter_bind(struct evfilter *f, const struct evfilter_opts *o, struct trec_reader *r,
		  const char *path, int *read_error, struct trec_err *err)
{
	memset(f, 0, sizeof(*f));
	f->o = o;
	f->end_ts = UINT64_MAX;
	f->by_task = o->npids || o->ntids || o->ncomms || o->cpus || o->ncgroups;
	if (o->nevents) {
		const struct trec_schema **s;
		size_t n;
		int rc = trec_reader_schemas(r, &s, &n, err);
		if (rc < 0) {
			*read_error = 1;
			return rc;
		}
		uint32_t max = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i]->id > max)
				max = s[i]->id;
		f->ntypes = max + 1;
		if (!(f->type_ok = calloc(f->ntypes, 1)))
			return trec_errf(err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < o->nevents; k++)
				if (!fnmatch(o->events[k], s[i]->name, 0))
					f->type_ok[s[i]->id] = 1;
	}
	if (o->start.set || o->end.set) {
		uint64_t first = 0;
		evfilter_first_ts(r, &first);
		int rc;
		if (o->start.set && (rc = resolve_time(&o->start, first, r, path, &f->start_ts, err)))
			return rc;
		if (o->end.set && (rc = resolve_time(&o->end, first, r, path, &f->end_ts, err)))
			return rc;
	}
	return 0;
}

void evfilter_free(struct evfilter *f)
{
	free(f->type_ok);
	f->type_ok = NULL;
}

uint32_t evfilter_types_matched(const struct evfilter *f, struct trec_reader *r)
{
	const struct trec_schema **s;
	size_t n;
	if (trec_reader_schemas(r, &s, &n, NULL) < 0)
		return 0;
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += evfilter_type_ok(f, s[i]->id);
	return k;
}

void evfilter_iter_opts(const struct evfilter *f, struct trec_iter_opts *io)
{
	io->start_ts = f->start_ts;
	/* The iterator reads 0 as "no end": an end at 0 becomes 1, and
	 * evfilter_keep enforces the exact bound anyway. */
	io->end_ts = f->end_ts == UINT64_MAX ? 0 : f->end_ts ? f->end_ts : 1;
}

static int has_id(const uint32_t *l, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == v)
			return 1;
	return 0;
}

int evfilter_keep_slow(const struct evfilter *f, const struct trec_event *ev, const struct comm_table *ct)
{
	const struct evfilter_opts *o = f->o;
	if (o->npids && !has_id(o->pids, o->npids, ev->pid))
		return 0;
	if (o->ntids && !has_id(o->tids, o->ntids, ev->tid))
		return 0;
	if (o->cpus && (ev->cpu >= EVF_MAX_CPUS || !o->cpus[ev->cpu]))
		return 0;
	if (o->ncgroups) {
		struct tctx_info ti;
		if (!f->tt || !tctx_table_lookup(f->tt, ev->pid, ev->tid, ev->ts, &ti) || !ti.cgroup)
			return 0;
		size_t i = 0;
		while (i < o->ncgroups && fnmatch(o->cgroups[i], ti.cgroup, 0))
			i++;
		if (i == o->ncgroups)
			return 0;
	}
	if (o->ncomms) {
		const char *comm = ct ? comm_table_lookup(ct, ev->pid, ev->tid, ev->ts) : NULL;
		if (!comm)
			return 0;
		for (size_t i = 0; i < o->ncomms; i++)
			if (!fnmatch(o->comms[i], comm, 0))
				return 1;
		return 0;
	}
	return 1;
}
