/* SPDX-License-Identifier: MIT */
/*
 * Flame graphs as standalone interactive SVG, the way FlameGraph's
 * flamegraph.pl draws them (docs/FLAMEGRAPH.md): one <g> per frame holding
 * <title>NAME (N samples, P%)</title> and a <rect> whose width is
 * proportional to N, plus hover details, click-to-zoom and search.
 *
 *   struct flame_opts o = { .sz = sizeof(o), .title = "CPU" };
 *   struct flame *f;
 *   flame_new(&f, &o, &err);
 *   flame_add(f, "app;main;work", 13, 60, &err);  // one stack at a time
 *   ...
 *   flame_write_svg(f, stdout, &err);
 *   flame_free(f);
 *
 * Stacks are folded text, "root;...;leaf": frames from the outermost
 * caller to the leaf, separated by ';', given by pointer and length (no
 * NUL needed; the bytes are copied as needed). Adding the same stack
 * twice adds the counts. Memory grows with distinct frames (tree nodes)
 * and distinct names, never with the number of calls or the counts; one
 * node is 24 bytes (32 once a differential count was added).
 *
 * Every function returns 0 or a negative errno; with a struct trec_err
 * the message names what failed. Nothing is printed.
 */
#ifndef TREC_FLAMEGRAPH_H
#define TREC_FLAMEGRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errors.h"

struct flame_opts {
	size_t sz;               /* sizeof(struct flame_opts) */
	const char *title;       /* NULL: "Flame Graph" ("Icicle Graph" with inverted,
				  * "Flame Chart" with flamechart) */
	const char *subtitle;    /* NULL: none */
	unsigned width;          /* image width in pixels; 0: 1200 */
	unsigned frame_height;   /* pixels per frame row; 0: 16 */
	const char *min_width;   /* prune frames narrower than this: "0.1" pixels (the
				  * default, NULL) or "0.5%" of the total; "0" keeps all */
	const char *countname;   /* unit of the counts; NULL: "samples" */
	const char *nametype;    /* label before a hovered frame's name; NULL: "Function:" */
	const char *colors;      /* palette (flame_palette_names); NULL: "hot" */
	const char *bgcolors;    /* background: "yellow", "blue", "green", "grey" or
				  * "#rrggbb"; NULL: the palette's */
	const char *fonttype;    /* NULL: "Verdana" */
	double fontsize;         /* points; 0: 12 */
	double fontwidth;        /* average glyph width / fontsize, to fit labels; 0: 0.59 */
	int hash;                /* color by name hash: a name keeps its color across graphs */
	const char *palette_file; /* consistent palette (flamegraph.pl --cp): colors read
				   * from this file when it exists, new names added, the file
				   * rewritten by flame_write_svg; NULL: none */
	int reverse;             /* reverse each stack (leaf becomes root) before merging */
	int inverted;            /* icicle graph: root at the top, growing down */
	int flamechart;          /* x is input order: stacks merge only with the previous
				  * one (no sorting), for time-ordered input */
	int negate;              /* differential: swap the hues (red = shrank) */
	int normalize;           /* differential: scale the before counts so both totals
				  * match (difffolded.pl -n) */
};

/* The palette names flame_opts.colors accepts, NULL-terminated. */
extern const char *const flame_palette_names[];

struct flame;

int flame_new(struct flame **out, const struct flame_opts *opts, struct trec_err *err);
void flame_free(struct flame *f);

/*
 * One stack and its count. Frames are split at ';'; trailing empty frames
 * are dropped (as flamegraph.pl's split does), other empty frames kept.
 * -EOVERFLOW if the total would pass 2^64-1, -ENOMEM, -E2BIG past 2^32-2
 * frames.
 */
int flame_add(struct flame *f, const char *stack, size_t len, uint64_t count,
	      struct trec_err *err);
/*
 * Differential input: the stack's count before and after. Widths show the
 * after counts; frames are colored by how their count changed (red grew,
 * blue shrank, white unchanged). Once any differential count was added,
 * stacks added with flame_add count as unchanged (before = after).
 */
int flame_add_diff(struct flame *f, const char *stack, size_t len, uint64_t before, uint64_t after,
		   struct trec_err *err);

/*
 * Counts with a fraction (flamegraph.pl reads "a;b 0.5"): count is in
 * units of 10^-decimals (15 with decimals 1 is 1.5), decimals at most
 * FLAME_MAX_DECIMALS. The graph keeps every count exactly, in units of
 * the finest fraction added so far (counts added before are scaled up),
 * and shows counts as decimals ("1.5 samples"). -EOVERFLOW when a total
 * in those units would pass 2^64-1. A graph of whole counts only is the
 * same as with flame_add.
 */
#define FLAME_MAX_DECIMALS 9
int flame_add_dec(struct flame *f, const char *stack, size_t len, uint64_t count,
		  unsigned decimals, struct trec_err *err);
int flame_add_diff_dec(struct flame *f, const char *stack, size_t len, uint64_t before,
		       uint64_t after, unsigned decimals, struct trec_err *err);

/* flame_add as a callback (ctx is the struct flame *), for producers such
 * as report_fold_trace and the perf-script collapser. Errors are kept
 * and returned again by flame_write_svg. */
int flame_add_cb(void *ctx, const char *stack, size_t len, uint64_t count);

/*
 * Lays out and writes the SVG to out (through a 256 KiB buffer, flushed
 * at the end; the FILE is not closed). Same stacks and options, same
 * bytes. With no counts at all, writes a small SVG saying so and returns
 * -ENODATA. Call once per struct flame.
 */
int flame_write_svg(struct flame *f, FILE *out, struct trec_err *err);

struct flame_stats {
	uint64_t stacks;        /* flame_add/flame_add_diff calls */
	uint64_t total;         /* sum of the (after) counts */
	uint64_t total_before;  /* differential: sum of the before counts */
	uint64_t frames;        /* distinct frames (tree nodes), the root included */
	uint64_t names;         /* distinct frame names */
	int differential;
	/* After flame_write_svg: */
	uint64_t drawn;         /* frames written to the SVG */
	uint64_t pruned;        /* frames left out as narrower than min_width */
	unsigned depth;         /* deepest drawn frame; the root is depth 0 */
	unsigned decimals;      /* total and total_before are in units of 10^-decimals */
};
void flame_get_stats(const struct flame *f, struct flame_stats *st);

#endif
