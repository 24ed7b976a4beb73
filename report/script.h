/* SPDX-License-Identifier: MIT */
/*
 * Every event in time order, one line each, as text or JSON lines (trec
 * script), as a sink of a pass (pass.h); an event's stack follows it. The hot path of the analysis
 * side: it formats straight into the caller's output buffer, allocates
 * nothing per event, and spreads the formatting over threads when there
 * are several CPUs (fmtpool.h; the same bytes either way).
 */
#ifndef TREC_REPORT_SCRIPT_H
#define TREC_REPORT_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "outbuf.h"
#include "pass.h"

struct script_opts {
	size_t sz;
	int json;            /* JSON lines instead of text */
	uint64_t limit;      /* stop after this many events; 0: no limit */
	unsigned threads;    /* formatter threads (fmtpool_threads()); <= 1: format here */
	struct outbuf *out;  /* where the lines go; its err stops the pass */
	/* Stacks, under their events (script_stack.h): */
	int hide_stacks;                 /* leave them out (-G) */
	int no_kernel, no_user;          /* leave out those frames */
	const char *symfs, *debug_dir;   /* more symbols (symbolize.h) */
	int no_demangle;
};

struct script;

/* 0 or -ENOMEM. *out is set either way (free it). */
int script_new(struct script **out, const struct script_opts *o, struct trec_err *err);
/* The printer as a sink of a pass: it asks for time order and every payload. */
struct pass_sink script_sink(struct script *s);
/* Writes what the formatter threads still hold, in order. 0 or -ENOMEM. */
int script_finish(struct script *s, struct trec_err *err);
/* Events printed. */
uint64_t script_printed(const struct script *s);
void script_free(struct script *s);

#endif
