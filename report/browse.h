/* SPDX-License-Identifier: MIT */
/*
 * The data model of the interactive report (`trec report` on a terminal,
 * cli/tui.c draws it): the stacks of one trace aggregated once, then
 * browsed without reading the file again.
 *
 *   views     one per event type with stacks: CPU samples (cpu-clock),
 *             off-CPU time (offcpu, weighed by delta_ns) and any other
 *             type recorded with stacks (-g), counted per event
 *   filters   on samples: pids, comm globs, a time window (relative to
 *             the first event, as --time); on the function list: a DSO
 *             glob and a symbol search (perf's zoom and '/')
 *   functions self and total (inclusive; a function twice on one stack
 *             counts once) per function, sorted by either
 *   trees     a function's callers (toward main) and callees (toward the
 *             leaf), from its outermost frame on each stack, as tries
 *             that open and close
 *   lines     the visible rows of all that, in order, for the front-end
 *
 * How: one pass over the file (pass.h) aggregates events per (type,
 * comm, pid, stack, address-space generation); each aggregate is named
 * once (symbolize.h) into a sequence of function ids, and those rows are
 * what every view and filter is computed from. Only a new time window
 * reads the file again (the reader skips the blocks outside it). Memory
 * grows with distinct stacks per process, not with events.
 *
 * Percentages are of the view's samples after the sample filters, as the
 * text views compute them under --pid/--comm/--time.
 */
#ifndef TREC_REPORT_BROWSE_H
#define TREC_REPORT_BROWSE_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "pass.h"
#include "source.h"

struct browse;

struct browse_opts {
	size_t sz;
	int offcpu;                /* start in the off-CPU view */
	int no_kernel, no_user;    /* leave out those frames */
	const char *symfs, *debug_dir;
	int no_demangle;
	/* What could not be shown, one sentence per call (NULL: not told). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* What a view's weights are. */
enum browse_unit {
	BROWSE_SAMPLES, /* CPU samples: one each */
	BROWSE_NS,      /* off-CPU time in ns */
	BROWSE_EVENTS,  /* events of another type: one each */
};

struct browse_view {
	const char *name;       /* the event type */
	enum browse_unit unit;
	uint64_t events, weight; /* in the time window, before the pid/comm filters */
	uint64_t no_stack;       /* events of the type without a stack (not shown) */
};

/* What the current view shows after the sample filters. */
struct browse_totals {
	uint64_t weight, events; /* kept samples */
	uint32_t functions;      /* rows of the function list (after the display filters) */
};

enum browse_sort { BROWSE_BY_TOTAL, BROWSE_BY_SELF };

/* Reads the first file of src (whose filter, from the command line, stays
 * under everything here) and opens the first view. po: progress of the
 * pass (NULL: none). 0 or -errno: -ENODATA when no selected event has a
 * stack; *read_error set when reading the trace failed. *out is set
 * either way (browse_free it). */
int browse_open(struct browse **out, struct source *src, const struct browse_opts *o, const struct pass_opts *po,
		int *read_error, struct trec_err *err);
void browse_free(struct browse *b);

uint32_t browse_nviews(const struct browse *b);
const struct browse_view *browse_view(const struct browse *b, uint32_t i);
uint32_t browse_current_view(const struct browse *b);
/* The rest return 0 or -ENOMEM (err says so), unless noted. */
int browse_set_view(struct browse *b, uint32_t i, struct trec_err *err);
const struct browse_totals *browse_totals(const struct browse *b);

/* Sample filters. n == 0 / NULL or "" clears. comm: comma-separated
 * fnmatch globs, as --comm (-EINVAL: an empty item). */
int browse_set_pids(struct browse *b, const uint32_t *pids, size_t n, struct trec_err *err);
int browse_set_comm(struct browse *b, const char *globs, struct trec_err *err);
/* The window [start, end] in ns after the first event (has_*: that end is
 * given), inside the command line's --time. Reads the file again.
 * -EINVAL when it ends before it starts or lies outside the trace;
 * -errno with *read_error when reading failed (the old window stays). */
int browse_set_time(struct browse *b, int has_start, uint64_t start_ns, int has_end, uint64_t end_ns,
		    const struct pass_opts *po, int *read_error, struct trec_err *err);
/* Display filters on the function list: a DSO (its name, or a glob) and a
 * substring of the symbol (any case). */
int browse_set_dso(struct browse *b, const char *glob, struct trec_err *err);
int browse_set_search(struct browse *b, const char *text, struct trec_err *err);
int browse_set_sort(struct browse *b, enum browse_sort s, struct trec_err *err);

/* The filters as set (NULL / 0 when not). */
struct browse_filters {
	const uint32_t *pids;
	size_t npids;
	const char *comm, *dso, *search;
	int has_start, has_end;
	uint64_t start_ns, end_ns; /* as given, after the first event */
	enum browse_sort sort;
};
void browse_filters(const struct browse *b, struct browse_filters *f);
/* The trace's span: ns from the first event to the last. */
uint64_t browse_span_ns(const struct browse *b);

/* ---- lines: what the browser shows, top to bottom ---------------------------------------- */

enum browse_line_kind {
	BROWSE_FUNC,    /* a function of the list */
	BROWSE_CALLERS, /* "callers" under an open function */
	BROWSE_CALLEES, /* "callees" under an open function */
	BROWSE_NODE,    /* a frame of one of those trees */
};

struct browse_line {
	enum browse_line_kind kind;
	unsigned depth;        /* 0 functions, 1 the two headers, 2.. tree frames */
	int open, expandable;
	uint32_t func;         /* the function shown (the list's for the headers) */
	const char *name;      /* function text */
	const char *dso;       /* NULL when nothing covered the address */
	int kernel;
	/* weights and event counts: a function's self and total; a header's
	 * total is its function's; a frame's total is what passed through it
	 * on that path, its self what ended there (callees only) */
	uint64_t self, self_events, total, total_events;
};

uint32_t browse_nlines(const struct browse *b);
/* Line i < browse_nlines (names valid until the next call that changes
 * the lines). */
void browse_line(const struct browse *b, uint32_t i, struct browse_line *l);
/* Open/close line i; subtree: everything under it too. */
int browse_toggle(struct browse *b, uint32_t i, struct trec_err *err);
int browse_expand(struct browse *b, uint32_t i, int subtree, struct trec_err *err);
int browse_collapse(struct browse *b, uint32_t i, int subtree, struct trec_err *err);
/* Every function of the list open (at most `limit` of them), or all closed. */
int browse_expand_all(struct browse *b, uint32_t limit, struct trec_err *err);
int browse_collapse_all(struct browse *b, struct trec_err *err);
/* The line that holds line i (i itself for a function). */
uint32_t browse_parent(const struct browse *b, uint32_t i);
/* The line of function `func` in the list, or -1. */
int64_t browse_find_func(const struct browse *b, uint32_t func);

#endif
