/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evfilter.h"

/* Appends a copy of the list items of `arg` ("a,b,c"), each at most 255 bytes. */
static int add_strings(char ***list, size_t *n, const struct cli_cmd *cmd, const char *opt, const char *arg)
{
	const char *p = arg;
	do {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len || len > 255)
			return cli_usage_error(cmd, "%s: '%s': %s", opt, arg,
					       len ? "a value is longer than 255 bytes" : "empty value");
		if (*n >= EVF_MAX_VALUES)
			return cli_usage_error(cmd, "%s: more than %d values", opt, EVF_MAX_VALUES);
		char **l = realloc(*list, (*n + 1) * sizeof(*l));
		if (!l)
			return cli_usage_error(cmd, "%s: out of memory", opt);
		*list = l;
		if (!(l[*n] = strndup(p, len)))
			return cli_usage_error(cmd, "%s: out of memory", opt);
		(*n)++;
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

static int add_ids(uint32_t **list, size_t *n, const struct cli_cmd *cmd, const char *opt, const char *arg)
{
	char **s = NULL;
	size_t ns = 0;
	int rc = add_strings(&s, &ns, cmd, opt, arg);
	for (size_t i = 0; i < ns && !rc; i++) {
		uint64_t v;
		if (cli_parse_u64(cmd, opt, s[i], 0, UINT32_MAX, &v)) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		uint32_t *l = realloc(*list, (*n + 1) * sizeof(*l));
		if (!l) {
			rc = cli_usage_error(cmd, "%s: out of memory", opt);
			break;
		}
		*list = l;
		l[(*n)++] = (uint32_t)v;
	}
	for (size_t i = 0; i < ns; i++)
		free(s[i]);
	free(s);
	return rc;
}

static int add_cpus(struct evfilter_opts *o, const struct cli_cmd *cmd, const char *arg)
{
	char **s = NULL;
	size_t ns = 0;
	int rc = add_strings(&s, &ns, cmd, "--cpu", arg);
	if (!rc && !o->cpus && !(o->cpus = calloc(EVF_MAX_CPUS, 1)))
		rc = cli_usage_error(cmd, "--cpu: out of memory");
	for (size_t i = 0; i < ns && !rc; i++) {
		uint64_t lo, hi;
		char *dash = strchr(s[i], '-');
		if (dash)
			*dash = 0;
		if (cli_parse_u64(cmd, "--cpu", s[i], 0, EVF_MAX_CPUS - 1, &lo) ||
		    cli_parse_u64(cmd, "--cpu", dash ? dash + 1 : s[i], 0, EVF_MAX_CPUS - 1, &hi)) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (hi < lo) {
			rc = cli_usage_error(cmd, "--cpu: range %llu-%llu runs backwards", (unsigned long long)lo,
					     (unsigned long long)hi);
			break;
		}
		for (uint64_t c = lo; c <= hi; c++)
			o->cpus[c] = 1;
	}
	for (size_t i = 0; i < ns; i++)
		free(s[i]);
	free(s);
	return rc;
}

/* "HH:MM:SS[.frac]" or "YYYY-MM-DD[T ]HH:MM:SS[.frac]" in local time. The
 * date-less form is completed from `day` (a wall time in ns) later: here
 * it is kept as seconds into the day, negative-flagged by date == 0. */
static int parse_wall(const char *s, int *has_date, struct tm *tm, uint64_t *frac_ns)
{
	memset(tm, 0, sizeof(*tm));
	int n = 0, y, mo, d, h, mi, sec;
	*has_date = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && (s[n] == 'T' || s[n] == ' ')) {
		*has_date = 1;
		tm->tm_year = y - 1900;
		tm->tm_mon = mo - 1;
		tm->tm_mday = d;
		s += n + 1;
		if (mo < 1 || mo > 12 || d < 1 || d > 31)
			return -1;
	}
	n = 0;
	if (sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return -1;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	s += n;
	*frac_ns = 0;
	if (*s == '.') {
		uint64_t scale = 100000000;
		for (s++; isdigit((unsigned char)*s); s++) {
			*frac_ns += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	return *s ? -1 : 0;
}

static int parse_time_end(struct evf_time *t, const struct cli_cmd *cmd, const char *opt, const char *s)
{
	memset(t, 0, sizeof(*t)); /* a later --time replaces an earlier one whole */
	t->set = 1;
	if (strchr(s, ':')) {
		struct tm tm;
		int has_date;
		uint64_t frac;
		if (parse_wall(s, &has_date, &tm, &frac))
			return cli_usage_error(cmd, "%s: '%s' is not HH:MM:SS[.frac] or YYYY-MM-DDTHH:MM:SS[.frac]",
					       opt, s);
		t->wall = has_date ? 1 : 2; /* 2: time of day, date from the trace */
		if (has_date) {
			tm.tm_isdst = -1;
			time_t secs = mktime(&tm);
			if (secs == (time_t)-1 || secs < 0)
				return cli_usage_error(cmd, "%s: '%s' is not a time after 1970", opt, s);
			t->ns = (uint64_t)secs * 1000000000ull + frac;
		} else {
			t->ns = ((uint64_t)tm.tm_hour * 3600 + (uint64_t)tm.tm_min * 60 + (uint64_t)tm.tm_sec) *
					1000000000ull +
				frac;
		}
		return 0;
	}
	return cli_parse_seconds_ns(cmd, opt, s, &t->ns) ? CLI_EXIT_USAGE : 0;
}

static int parse_time(struct evfilter_opts *o, const struct cli_cmd *cmd, const char *arg)
{
	const char *comma = strchr(arg, ',');
	char start[64];
	size_t slen = comma ? (size_t)(comma - arg) : strlen(arg);
	if (slen >= sizeof(start))
		return cli_usage_error(cmd, "--time: '%s': START is too long", arg);
	memcpy(start, arg, slen);
	start[slen] = 0;
	memset(&o->start, 0, sizeof(o->start));
	memset(&o->end, 0, sizeof(o->end));
	if (slen && parse_time_end(&o->start, cmd, "--time START", start))
		return CLI_EXIT_USAGE;
	if (comma && comma[1] && parse_time_end(&o->end, cmd, "--time END", comma + 1))
		return CLI_EXIT_USAGE;
	if (!comma || (!o->start.set && !o->end.set))
		return cli_usage_error(cmd, "--time: '%s' should be START,END (e.g. 1.5,3 or 10:00:00,10:00:05)",
				       arg);
	if (o->start.set && o->end.set && o->start.wall == o->end.wall && o->end.ns < o->start.ns)
		return cli_usage_error(cmd, "--time: END (%s) is before START (%s)", comma + 1, start);
	return 0;
}

int evfilter_parse(struct evfilter_opts *o, const struct cli_cmd *cmd, int opt, const char *arg)
{
	o->any = 1;
	switch (opt) {
	case EVF_OPT_PID:
		return add_ids(&o->pids, &o->npids, cmd, "--pid", arg);
	case EVF_OPT_TID:
		return add_ids(&o->tids, &o->ntids, cmd, "--tid", arg);
	case EVF_OPT_COMM:
		return add_strings(&o->comms, &o->ncomms, cmd, "--comm", arg);
	case EVF_OPT_CPU:
		return add_cpus(o, cmd, arg);
	case EVF_OPT_EVENT:
		return add_strings(&o->events, &o->nevents, cmd, "--event", arg);
	case EVF_OPT_TIME:
		return parse_time(o, cmd, arg);
	default:
		return cli_usage_error(cmd, "internal: unknown filter option %d", opt);
	}
}

void evfilter_opts_free(struct evfilter_opts *o)
{
	for (size_t i = 0; i < o->ncomms; i++)
		free(o->comms[i]);
	for (size_t i = 0; i < o->nevents; i++)
		free(o->events[i]);
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
static int resolve_time(const struct evf_time *t, uint64_t first, struct trec_reader *r, const struct cli_cmd *cmd,
			const char *path, uint64_t *out)
{
	if (!t->wall) {
		*out = t->ns > UINT64_MAX - first ? UINT64_MAX : first + t->ns; /* saturating */
		return 0;
	}
	const struct trec_meta_kv *kv = trec_reader_meta_get(r, "clock.realtime_offset_ns");
	if (!kv) {
		cli_err(cmd, "%s: the trace does not record its wall-clock offset (clock.realtime_offset_ns): "
			     "give --time in seconds after the first event", path);
		return CLI_EXIT_ERROR;
	}
	int64_t off = kv->v.i64;
	uint64_t wall = t->ns;
	if (t->wall == 2) {
		/* Time of day: on the local date of the first event. */
		int64_t first_wall = (int64_t)first + off;
		time_t fs = (time_t)(first_wall / 1000000000);
		struct tm tm;
		if (!localtime_r(&fs, &tm)) {
			cli_err(cmd, "%s: the trace's start time is out of range", path);
			return CLI_EXIT_ERROR;
		}
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
		  const struct cli_cmd *cmd, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->o = o;
	f->end_ts = UINT64_MAX;
	f->by_task = o->npids || o->ntids || o->ncomms || o->cpus;
	if (o->nevents) {
		const struct trec_schema **s;
		size_t n;
		struct trec_err err = { 0 };
		int rc = trec_reader_schemas(r, &s, &n, &err);
		if (rc < 0) {
			cli_file_error(cmd, path, CLI_AT_READ, rc, trec_errmsg(&err, rc));
			return CLI_EXIT_ERROR;
		}
		uint32_t max = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i]->id > max)
				max = s[i]->id;
		f->ntypes = max + 1;
		if (!(f->type_ok = calloc(f->ntypes, 1))) {
			cli_err(cmd, "out of memory");
			return CLI_EXIT_ERROR;
		}
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < o->nevents; k++)
				if (!fnmatch(o->events[k], s[i]->name, 0))
					f->type_ok[s[i]->id] = 1;
	}
	if (o->start.set || o->end.set) {
		uint64_t first = 0;
		evfilter_first_ts(r, &first);
		if (o->start.set && resolve_time(&o->start, first, r, cmd, path, &f->start_ts))
			return CLI_EXIT_ERROR;
		if (o->end.set && resolve_time(&o->end, first, r, cmd, path, &f->end_ts))
			return CLI_EXIT_ERROR;
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
