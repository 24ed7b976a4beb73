/* SPDX-License-Identifier: MIT */
/*
 * `perf script` text to folded stacks, with the output of today's
 * FlameGraph stackcollapse-perf.pl byte for byte (docs/FLAMEGRAPH.md lists
 * its rules one per line). Input is one sample per paragraph: a header
 * line "comm pid[/tid] [cpu] time: [period] event:" then one line per
 * frame, leaf first, "addr sym+off (dso)", then a blank line. Output:
 * "comm;root;...;leaf" and the sum of the periods of the samples with
 * that stack (1 for a sample whose header shows none), in byte order of
 * the stack text.
 *
 * Memory is the distinct stacks and one sample's frames; each input line
 * is looked at once, in place.
 */
#ifndef TREC_COLLAPSE_PERF_H
#define TREC_COLLAPSE_PERF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"

/*
 * --inline: the frames at address pc of dso, callers first, joined with
 * ';' (what `addr2line -a PC -e DSO -i -f -s -C` names, ":file:line" after
 * each with --context), appended to out; sym is the frame's symbol with
 * its +0xoff, for a fallback. Nothing appended, "??" or "??:??:0" mean
 * unknown: the frame is then named as without --inline. Returns 0, or a
 * negative errno that stops the collapse. Called only for dsos that are
 * files (not [kernel.kallsyms], [vdso], perf-PID.map).
 */
typedef int (*perf_inline_fn)(void *ctx, const char *pc, size_t pc_len, const char *sym,
			      size_t sym_len, const char *dso, size_t dso_len, struct tbuf *out);

struct perf_collapse_opts {
	size_t sz;         /* sizeof(struct perf_collapse_opts) */
	int with_pid;      /* first frame "comm-PID" ("comm-?" when perf printed no PID) */
	int with_tid;      /* first frame "comm-PID/TID" */
	int kernel;        /* "_[k]" after kernel frames */
	int jit;           /* "_[j]" after JIT frames (/tmp/perf-PID.map) */
	int addrs;         /* unknown symbols as "[dso <addr>]" rather than "[dso]" */
	const char *event; /* keep samples of this event only, as perf spells it
			    * ("cycles", "cpu-clock:pppH"); NULL: of the first event seen */
	int srcline;       /* perf script -F+srcline: a source line follows each known
			    * frame, appended to its name as ":file.c:12" */
	perf_inline_fn inline_fn; /* --inline; NULL: off */
	void *inline_ctx;
};

struct perf_collapse_stats {
	uint64_t lines;
	uint64_t samples;         /* headers read */
	uint64_t kept;            /* stacks counted (samples closed by a blank line) */
	uint64_t filtered;        /* samples of other events */
	uint64_t unrecognized;    /* lines that are neither header, frame nor blank */
	uint64_t first_unrecognized; /* its line number in its input, from 1 */
	unsigned first_unrecognized_input; /* which input (perf_collapse_fd call, from 0) */
	uint64_t stacks;          /* distinct stacks */
	const char *event;        /* the event kept ("" when no header named one) */
	const char *other_event;  /* the first event left out, "" if none */
};

/* The emitter's callback: flame_add_cb (flamegraph.h) fits. Nonzero stops. */
typedef int (*perf_collapse_emit_fn)(void *ctx, const char *stack, size_t len, uint64_t count);

struct perf_collapse;

int perf_collapse_new(struct perf_collapse **out, const struct perf_collapse_opts *opts,
		      struct trec_err *err);
void perf_collapse_free(struct perf_collapse *c);

/* One line of perf script output, without its '\n'. 0, -ENOMEM, -EOVERFLOW
 * (a sum past 2^64-1), or the inline callback's error. */
int perf_collapse_line(struct perf_collapse *c, const char *line, size_t len);
/* End of input. A sample that no blank line closed is not counted (as in
 * stackcollapse-perf.pl, and perf script always ends one with a blank). */
int perf_collapse_end(struct perf_collapse *c);
/* All of fd, line by line; several inputs read one after the other are
 * one stream (as Perl's <> reads its files). Call perf_collapse_end after
 * the last. name is for messages. */
int perf_collapse_fd(struct perf_collapse *c, int fd, const char *name, struct trec_err *err);

/* Calls emit for every distinct stack, sorted by its text. Returns the
 * first nonzero value emit returned, or 0. */
int perf_collapse_emit(struct perf_collapse *c, perf_collapse_emit_fn emit, void *ctx);

/* The strings in st stay valid until perf_collapse_free. */
void perf_collapse_get_stats(const struct perf_collapse *c, struct perf_collapse_stats *st);

#endif
