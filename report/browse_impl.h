/* SPDX-License-Identifier: MIT */
/*
 * Inside the interactive report's model (browse.h): the state that
 * browse.c (the pass, naming, views, filters, the function list) and
 * browse_tree.c (call trees, lines) share. Not for other modules.
 */
#ifndef TREC_REPORT_BROWSE_IMPL_H
#define TREC_REPORT_BROWSE_IMPL_H

#include <stdint.h>

#include "browse.h"
#include "comm_table.h"
#include "ktab.h"
#include "stack_agg.h"
#include "symbolize.h"

/* A function: what a list row prints (name and dso point into the
 * funcs table's keys). */
struct bfunc {
	const char *name;
	const char *dso;
	int kernel;
};

/* Samples of one (type, comm, pid) on one named stack. */
struct brow {
	uint32_t type, comm, pid, seq;
	uint64_t weight, events;
};

/* A named stack: func ids, leaf first, in browse.seq_ids. */
struct bseq {
	uint32_t off, len;
};

struct bview {
	struct browse_view v;
	uint32_t type;
};

/* One event aggregate of the pass: its key is hashed as bytes. */

/* A call tree node; node 0 is the function itself. */
struct ctnode {
	uint32_t func;
	uint32_t child, next; /* first child, next sibling (0: none; 0 is never a child) */
	uint32_t nchild;
	uint64_t weight, events;
	uint64_t ended, ended_events; /* samples whose path ends here */
	int open;
};

struct ctree {
	struct ctnode *n;
	uint32_t nn, cap;
};

/* A listed function's two trees (0 callers, 1 callees). */
struct ftree {
	struct ctree side[2];
};

/* Per-function expansion state (browse.fstate). */
enum {
	FS_OPEN = 1,      /* the function shows its headers */
	FS_HDR_CALLERS = 2,
	FS_HDR_CALLEES = 4,
	FS_INIT = 8,      /* headers set up once */
};

/* One visible line. */
struct bline {
	uint8_t kind;  /* enum browse_line_kind */
	uint8_t side;  /* trees: 0 callers, 1 callees */
	uint16_t depth;
	uint32_t func; /* the listed function */
	uint32_t node; /* BROWSE_NODE: in that function's tree */
};

struct browse {
	struct browse_opts o;
	struct source *src;
	struct rfile *file;
	struct trec_reader *r;
	struct symbolizer *sym;
	int swap;
	struct trec_err *err; /* the current call's */
	int read_error;

	/* the pass: per type */
	uint32_t ntypes;
	const struct trec_field **wfield; /* offcpu: delta_ns */
	uint64_t *no_stack;
	uint64_t unreadable, missing_stacks;
	struct comm_cache cc;
	struct stack_agg_tab agg;
	/* time: the command line's window on the trace clock, the trace's span */
	uint64_t cl_start, cl_end;
	uint64_t first_ts, last_ts;

	/* named stacks, kept across passes */
	struct ktab funcs_tab; /* "K"/"U" text NUL dso -> func id */
	struct bfunc *funcs;
	uint32_t funcs_cap;
	struct ktab seq_tab;   /* func ids as bytes -> seq id */
	struct bseq *seqs;
	uint32_t seqs_cap;
	uint32_t *seq_ids;
	size_t seq_len, seq_cap;
	struct ktab stack_cache; /* {pid, gen, stack_id} -> v[0] seq id */
	struct ktab comms;       /* comm text -> id */
	uint32_t *ids;           /* naming one stack */
	size_t ids_cap;
	struct brow *rows;
	uint32_t nrows;

	struct bview *views;
	uint32_t nviews, view;

	/* filters */
	uint32_t *pids;
	size_t npids;
	char *comm, *dso, *search;
	char **comm_globs;
	size_t ncomm_globs;
	uint8_t *comm_ok; /* per comm id, with a comm filter */
	uint32_t comm_ok_n;
	int has_start, has_end;
	uint64_t start_ns, end_ns;
	enum browse_sort sort;

	/* the selection: kept rows, per-function sums, the list */
	uint32_t *kept;
	uint32_t nkept;
	uint32_t arr_n; /* functions the per-function arrays hold */
	uint64_t *self_w, *self_n, *total_w, *total_n;
	uint32_t *stamp;
	uint32_t *list;
	struct browse_totals tot;

	/* trees: functions -> the kept rows that hold them (built on demand) */
	uint32_t *idx_start, *idx_rows;
	int idx_built;
	struct ftree **trees; /* per function, while it is open */
	uint8_t *fstate;      /* FS_* per function */
	uint32_t trees_n;     /* functions trees and fstate hold */

	struct bline *lines;
	uint32_t nlines, lines_cap;
};

/* browse_tree.c */
int browse_lines_rebuild(struct browse *b);
void browse_trees_reset(struct browse *b);
int browse_funcs_resized(struct browse *b, uint32_t old_n);

#endif
