/* SPDX-License-Identifier: MIT */
/*
 * Converters: a trace (one or several -i, read through report/source.h)
 * into a format other tools read -- pprof, perf-script text, Perfetto.
 * `trec convert --to NAME` (cli/cmd_convert.c) picks one from the table
 * below and drives it; each format lives in its own file
 * (report/conv_<name>.c) and implements struct converter_ops.
 *
 * The life of one conversion, as cli/ drives it:
 *
 *   void *st;
 *   ops->create(&st, &opts, &err);            options only: no file yet
 *   struct pass_sink k = ops->sink(st);
 *   pass_run(&src, &k, 1, &popts, &err);      every file of the source once;
 *                                             begin/event/end per file (pass.h)
 *   ops->finish(st, &src, out, &err);         write the whole output to out
 *   ops->free(st);                            always (also after a failure)
 *
 * Rules for a converter:
 *  - It sees only the events the user's filters keep (--pid, --tid, --comm,
 *    --cpu, --event, --time: the pass applies them). In begin it sets
 *    need[type] for the payloads it reads and *ordered when it needs time
 *    order (perf-script and Perfetto do; pprof sums and does not).
 *  - Per-file state (a symbolizer: convert_symbolizer() below) is made in
 *    begin and may live until finish: the source's readers stay open until
 *    after free, and names from the symbolizer point into them.
 *  - It may write to `out` during the pass (streaming formats) or only in
 *    finish; either way nothing reaches the user's file unless the whole
 *    run succeeds: cli/ writes into a temporary file and renames it.
 *    `out` is a binary stream; the converter checks its own writes
 *    (ferror) and returns -EIO with a message when they fail.
 *  - Errors: -errno with a trec_err message naming what and where; never
 *    print, never exit. A trace with nothing to convert (no events with
 *    stacks for pprof/perf-script) is -ENODATA with a message that says
 *    what to record (cli/ exits 1 with it).
 *  - Warnings (stacks missing from the file, what --symfs found) go through
 *    opts->warn, one sentence per call.
 *
 * Adding a format: write report/conv_NAME.c with a
 *   const struct converter_ops convert_NAME = { .name = "NAME", ... };
 * declare it below, and add one row to the table in report/convert.c.
 */
#ifndef TREC_REPORT_CONVERT_H
#define TREC_REPORT_CONVERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errors.h"
#include "pass.h"
#include "source.h"

struct symbolizer;

/* What every converter takes (libbpf style: set sz = sizeof; fields a
 * converter does not know are zero). */
struct convert_opts {
	size_t sz;
	/* Symbol search (symbolize.h, docs/SYMBOLS.md): directories of fuller
	 * symbol files, NULL for the trace's own tables. */
	const char *symfs;
	const char *debug_dir;
	int no_demangle;  /* raw (mangled) names, as the binary spells them */
	int no_kernel;    /* leave kernel frames out of stacks */
	int no_user;      /* leave user frames out of stacks */
	/* What could not be converted, one sentence per call (NULL: dropped). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	/* The output stream, open before create: a streaming converter may
	 * write to it during the pass; finish gets it too. */
	FILE *out;
	/* Extra latency pairs "A,B" (event names or globs, paired per thread
	 * like trec report --latency A,B), for the converters that draw
	 * slices (perfetto); the others take none. */
	const char *const *pairs;
	size_t npairs;
};

struct converter_ops {
	const char *name;  /* what --to takes: "pprof" */
	const char *what;  /* one line for --help: "gzipped profile.proto (go tool pprof, ...)" */
	const char *ext;   /* the usual file name suffix: ".pb.gz" */
	int binary;        /* output is not text: cli/ refuses '-o -' on a terminal */
	/* A fresh state from the options (copy what you keep: o is the
	 * caller's). 0 or -errno with err. */
	int (*create)(void **state, const struct convert_opts *o, struct trec_err *err);
	/* The sink of the pass; its ctx is the state. */
	struct pass_sink (*sink)(void *state);
	/* After a successful pass: write the rest (or all) of the output.
	 * 0 or -errno with err. */
	int (*finish)(void *state, struct source *src, FILE *out, struct trec_err *err);
	/* Frees the state (NULL-safe). */
	void (*free)(void *state);
};

extern const struct converter_ops convert_pprof;
extern const struct converter_ops convert_perf_script;
extern const struct converter_ops convert_perfetto;

/* The table, in the order --help lists them; n set to its length. */
const struct converter_ops *const *converters(size_t *n);
/* By --to name, or NULL. */
const struct converter_ops *converter_find(const char *name);

/*
 * The symbolizer of file f with the options' symbol search, for a
 * converter's begin; what the search under --symfs/--debug-dir found is
 * told through o->warn. 0 or -errno with err (the caller frees *out).
 */
int convert_symbolizer(struct rfile *f, const struct convert_opts *o, struct symbolizer **out,
		       struct trec_err *err);

/*
 * What an event type is to a profile (the same for every converter):
 *   CONVERT_CPU     CPU samples ("cpu-clock", "cycles"): value = its
 *                   "period" field (ns for cpu-clock, cycles for cycles)
 *   CONVERT_OFFCPU  off-CPU time ("offcpu"): value = "delta_ns"
 *   CONVERT_OTHER   anything else (tracepoints, probes): value = 1
 * *value is the field to read (NULL: 1 per event); a type named like a
 * sample without the field is OTHER.
 */
enum convert_kind { CONVERT_OTHER, CONVERT_CPU, CONVERT_OFFCPU };
struct trec_schema;
struct trec_field;
enum convert_kind convert_type_kind(const struct trec_schema *s, const struct trec_field **value);

/* A warning through o->warn (none: dropped). */
void convert_warn(const struct convert_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
