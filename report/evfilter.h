/* SPDX-License-Identifier: MIT */
/*
 * Event filters shared by the analysis commands: --pid, --tid, --comm
 * (glob), --cpu, --event (glob), --time START,END. Each option may repeat
 * or take a comma-separated list; different options combine with AND,
 * values of one option with OR.
 *
 * Two steps: cli/ collects the command line into a struct evfilter_opts
 * (cli/filter_args.h: no trace needed); evfilter_bind() resolves it against one
 * trace (event names to type ids, --time to the trace's clock) into a
 * struct evfilter, whose evfilter_keep() is the per-event test. The time
 * window also goes to the reader (evfilter_iter_opts), which then reads
 * only the blocks it overlaps.
 */
#ifndef TREC_REPORT_EVFILTER_H
#define TREC_REPORT_EVFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "comm_table.h"
#include "events.h"
#include "errors.h"
#include "reader.h"
#include "tctx_table.h"

#define EVF_MAX_VALUES 4096
#define EVF_MAX_CPUS 8192

/* One end of --time: seconds after the first event, or wall-clock ns. */
struct evf_time {
	int set;
	int wall;      /* value is ns since the epoch (UTC) */
	uint64_t ns;   /* relative ns, or wall ns */
};

struct evfilter_opts {
	uint32_t *pids, *tids;
	size_t npids, ntids;
	char **comms, **events; /* globs (owned copies) */
	size_t ncomms, nevents;
	char **cgroups;         /* --cgroup globs on the cgroup v2 path */
	size_t ncgroups;
	uint8_t *cpus;          /* EVF_MAX_CPUS flags, NULL = any */
	struct evf_time start, end;
	int any;                /* some filter was given */
};

/* Appends a copy of each item of the list `arg` ("a,b,c"). 0, or -EINVAL
 * (an empty item), -ENAMETOOLONG (over 255 bytes), -E2BIG (over
 * EVF_MAX_VALUES items) or -ENOMEM. */
int evfilter_add_list(char ***list, size_t *n, const char *arg);
void evfilter_opts_free(struct evfilter_opts *o);

struct evfilter {
	const struct evfilter_opts *o;
	uint8_t *type_ok;  /* per type id; NULL = every type */
	uint32_t ntypes;
	uint64_t start_ts; /* inclusive, on the trace clock */
	uint64_t end_ts;   /* inclusive; UINT64_MAX = open */
	int by_task;       /* pid/tid/comm/cpu/cgroup tests to run */
	const struct tctx_table *tt; /* for --cgroup; NULL: no event is in a known cgroup */
};

/* Resolves the options for one trace. 0, or -errno with a message naming
 * `path` in err (-EIO etc. from reading the trace set *read_error, for
 * the caller's advice). An --event that matches nothing in
 * this trace is not an error here (several files may differ); the caller
 * may check evfilter_types_matched. */
int evfilter_bind(struct evfilter *f, const struct evfilter_opts *o, struct trec_reader *r,
		  const char *path, int *read_error, struct trec_err *err);
void evfilter_free(struct evfilter *f);
/* Event types the filter lets through (every type when no --event). */
uint32_t evfilter_types_matched(const struct evfilter *f, struct trec_reader *r);
/* Narrows the iterator to the time window. */
void evfilter_iter_opts(const struct evfilter *f, struct trec_iter_opts *io);
/* The type test alone (cheap, for selecting schemas). */
static inline int evfilter_type_ok(const struct evfilter *f, uint32_t type)
{
	return !f->type_ok || (type < f->ntypes && f->type_ok[type]);
}
/* The whole test for one event; ct names threads for --comm. */
int evfilter_keep_slow(const struct evfilter *f, const struct trec_event *ev, const struct comm_table *ct);
static inline int evfilter_keep(const struct evfilter *f, const struct trec_event *ev,
				const struct comm_table *ct)
{
	if (!evfilter_type_ok(f, ev->type) || ev->ts < f->start_ts || ev->ts > f->end_ts)
		return 0;
	return !f->by_task || evfilter_keep_slow(f, ev, ct);
}

/* Smallest timestamp of any events block (what --time counts from); 0 when none. */
int evfilter_first_ts(struct trec_reader *r, uint64_t *ts);

#endif
