/* SPDX-License-Identifier: MIT */
/*
 * trec convert: one or several traces into a format other tools read
 * (report/convert.h: pprof, perf-script text, ...), where perf has `perf
 * data convert`. The filters of trec report apply. The output appears
 * whole or not at all: it is written into a temporary file beside -o and
 * renamed over it only when the conversion succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "convert.h"
#include "filter_args.h"
#include "pass.h"
#include "reader.h"
#include "source.h"
#include "stack_opts.h"
#include "trace_opts.h"

#define MAX_PAIRS 64

static const struct cli_cmd convert_cmd = {
	.name = "convert",
	.synopsis = "--to FORMAT [-i FILE]... -o FILE [filters] [--symfs DIR] [--debug-dir DIR]",
	.summary = "Convert traces into a format other tools read (perf's `perf data convert`).\n"
		   "Formats (docs/EXPORT.md says what maps to what and how to open them):\n"
		   "  pprof        gzipped profile.proto of the events with stacks: go tool pprof,\n"
		   "               Pyroscope, Parca, speedscope; several -i: one profile, a host label\n"
		   "  perf-script  the text `perf script` prints for samples with callchains:\n"
		   "               FlameGraph's stackcollapse-perf.pl, speedscope, Firefox Profiler, hotspot\n"
		   "  perfetto     Perfetto's protobuf trace (ui.perfetto.dev): thread tracks, CPU samples\n"
		   "               with callstacks, sched_switch as thread states, syscall and\n"
		   "               uprobe->uretprobe slices, other events and losses as instants\n"
		   "Several -i files are read as one (a fleet: every sample keeps its host).",
	.options = "      --to FORMAT       the output format (above)\n"
		   "  -o, --output FILE     where to write it ('-': stdout); written whole or not at all\n"
		   "  -i, --input FILE      trace to read; repeat for several (default trec.data)\n"
		   "      --no-kernel, --no-user  leave out those frames\n"
		   "      --symfs DIR, --debug-dir DIR  more symbols (docs/SYMBOLS.md)\n"
		   "      --no-demangle     C++ and Rust names as the binary spells them\n"
		   "      --pair A,B        --to perfetto: also draw A->B (event names or globs) as\n"
		   "                        slices on each thread, as trec report --latency A,B pairs\n"
		   "                        them (repeat for more; syscalls and uprobes are built in)\n"
		   EVFILTER_HELP
		   "      --ignore-corrupt  skip blocks that fail their checks instead of stopping\n"
		   "  -h, --help            show this help\n",
};

struct convert_args {
	struct cli_trace_opts t; /* -i, --ignore-corrupt */
	const struct converter_ops *ops;
	const char *output;
	int no_kernel, no_user, no_demangle;
	const char *symfs, *debug_dir;
	struct evfilter_opts filter;
	const char *pairs[MAX_PAIRS];
	size_t npairs;
};

static int unknown_format(const char *name)
{
	char names[256] = "";
	size_t n, len = 0;
	const struct converter_ops *const *t = converters(&n);
	for (size_t i = 0; i < n && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "", t[i]->name);
	return cli_usage_error(&convert_cmd, "--to %s: no such format (there are: %s)", name, names);
}

static int parse_args(int argc, char **argv, struct convert_args *o)
{
	enum { OPT_TO = 256, OPT_PAIR };
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, OPT_TO },
		{ "output", required_argument, NULL, 'o' },
		/* the shared trace options but --json (cli_trace_opt) */
		{ "input", required_argument, NULL, 'i' },
		{ "ignore-corrupt", no_argument, NULL, CLI_OPT_IGNORE_CORRUPT },
		{ "pair", required_argument, NULL, OPT_PAIR },
		CLI_STACK_LONGOPTS,
		EVFILTER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_stack_opts so = { 0 };
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:o:h", longopts, NULL)) != -1) {
		enum cli_opt_result r = cli_trace_opt(&o->t, &convert_cmd, c, optarg);
		if (r == CLI_OPT_TAKEN)
			continue;
		if (r != CLI_OPT_NOT_MINE)
			return r == CLI_OPT_HELP_SHOWN ? -1 : CLI_EXIT_USAGE;
		if ((rc = cli_stack_opt(&so, &convert_cmd, c, optarg)) != 1) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case OPT_TO:
			if (!(o->ops = converter_find(optarg)))
				return unknown_format(optarg);
			break;
		case 'o':
			if (!optarg[0])
				return cli_usage_error(&convert_cmd, "-o: empty file name");
			o->output = optarg;
			break;
		case OPT_PAIR: {
			const char *comma = strchr(optarg, ',');
			if (!comma || comma == optarg || !comma[1] || strchr(comma + 1, ','))
				return cli_usage_error(&convert_cmd, "--pair %s: expected START,END (two event names or "
								     "globs, e.g. 'sched:sched_wakeup,sched:sched_switch')",
						       optarg);
			if (o->npairs == MAX_PAIRS)
				return cli_usage_error(&convert_cmd, "more than %d --pair", MAX_PAIRS);
			o->pairs[o->npairs++] = optarg;
			break;
		}
		case EVF_OPT_PID:
		case EVF_OPT_TID:
		case EVF_OPT_COMM:
		case EVF_OPT_CPU:
		case EVF_OPT_EVENT:
		case EVF_OPT_TIME:
		case EVF_OPT_CGROUP:
			if ((rc = evfilter_parse(&o->filter, &convert_cmd, c, optarg)))
				return rc;
			break;
		default:
			return cli_bad_option(&convert_cmd);
		}
	}
	o->no_kernel = so.no_kernel;
	o->no_user = so.no_user;
	o->symfs = so.symfs;
	o->debug_dir = so.debug_dir;
	o->no_demangle = so.no_demangle;
	if ((rc = cli_trace_inputs(&o->t, &convert_cmd, argc, argv, optind)))
		return rc;
	if (!o->ops)
		return cli_usage_error(&convert_cmd, "which format? --to pprof, --to perf-script, ...");
	if (!o->output)
		return cli_usage_error(&convert_cmd, "where to? -o FILE (or -o - for stdout)");
	if (o->npairs && strcmp(o->ops->name, "perfetto"))
		return cli_usage_error(&convert_cmd, "--pair draws slices: it is for --to perfetto, not --to %s",
				       o->ops->name);
	if (o->no_kernel && o->no_user)
		return cli_usage_error(&convert_cmd, "--no-kernel and --no-user leave no frames");
	if (!strcmp(o->output, "-") && o->ops->binary && isatty(STDOUT_FILENO))
		return cli_usage_error(&convert_cmd, "--to %s writes binary data: not to a terminal; -o FILE, "
						     "or redirect stdout", o->ops->name);
	return 0;
}

/* ---- the output: a temporary file renamed over -o on success ---------------------------- */

struct output {
	const char *path; /* -o; "-" for stdout */
	char *tmp;        /* the temporary file, NULL for stdout */
	FILE *f;
};

static int output_open(struct output *w, const char *path)
{
	w->path = path;
	w->tmp = NULL;
	if (!strcmp(path, "-")) {
		w->f = stdout;
		return 0;
	}
	/* Beside the target, so that rename() does not cross file systems. */
	size_t len = strlen(path) + 16;
	w->tmp = malloc(len);
	if (!w->tmp) {
		cli_err(&convert_cmd, "out of memory");
		return CLI_EXIT_ERROR;
	}
	snprintf(w->tmp, len, "%s.tmpXXXXXX", path);
	int fd = mkstemp(w->tmp);
	if (fd < 0) {
		cli_err(&convert_cmd, "-o %s: cannot create a file there: %s", path, strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		return CLI_EXIT_ERROR;
	}
	/* mkstemp makes it 0600; the output is an ordinary file (umask applies). */
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	w->f = fdopen(fd, "wb");
	if (!w->f) {
		cli_err(&convert_cmd, "-o %s: %s", path, strerror(errno));
		close(fd);
		unlink(w->tmp);
		free(w->tmp);
		w->tmp = NULL;
		return CLI_EXIT_ERROR;
	}
	return 0;
}

/* ok: keep the output (flush, close, rename); else remove it. 0 or
 * CLI_EXIT_ERROR after a message. */
static int output_close(struct output *w, int ok)
{
	int rc = 0;
	if (ok && (fflush(w->f) || ferror(w->f))) {
		if (errno != EPIPE || w->tmp)
			cli_err(&convert_cmd, "writing %s: %s", w->tmp ? w->path : "stdout", strerror(errno));
		ok = 0;
		rc = CLI_EXIT_ERROR;
	}
	if (!w->tmp)
		return rc;
	if (fclose(w->f) && ok) {
		cli_err(&convert_cmd, "writing %s: %s", w->path, strerror(errno));
		ok = 0;
		rc = CLI_EXIT_ERROR;
	}
	if (ok && rename(w->tmp, w->path) < 0) {
		cli_err(&convert_cmd, "-o %s: %s", w->path, strerror(errno));
		rc = CLI_EXIT_ERROR;
		ok = 0;
	}
	if (!ok)
		unlink(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
	return rc;
}

/* ---- the run ------------------------------------------------------------------------------ */

/* The progress line. With -o FILE the output is not on the terminal, so
 * the line may show even when stdout is that terminal. */
struct progress {
	struct cli_progress p;
	int to_file;
};

static void progress_init(struct progress *pr, uint64_t total)
{
	cli_progress_init(&pr->p, &convert_cmd, "events", total);
	if (pr->to_file)
		pr->p.on = isatty(STDERR_FILENO);
}

static void draw_progress(void *ctx, const struct rfile *f, uint64_t events, int done)
{
	struct progress *pr = ctx;
	(void)f;
	if (done) {
		cli_progress_done(&pr->p);
		progress_init(pr, 0); /* the next file's line */
	} else {
		cli_progress_update(&pr->p, events);
	}
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn(&convert_cmd, "%s", msg);
}

/* --event that matches nothing in any input: a usage error naming what there is. */
static int check_events(const struct convert_args *a, const struct source *src)
{
	if (!a->filter.nevents)
		return 0;
	uint32_t k = 0;
	for (size_t i = 0; i < src->n; i++)
		k += evfilter_types_matched(&src->files[i].f, src->files[i].r);
	if (k)
		return 0;
	char names[512] = "";
	size_t len = 0;
	const struct rfile *f = &src->files[0];
	for (uint32_t t = 0; t < f->ntypes && len < sizeof(names) - 1; t++)
		if (f->by_id[t])
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
						f->by_id[t]->name);
	return cli_usage_error(&convert_cmd, "--event %s: no event type of %s matches (%s has: %s)",
			       a->filter.events[0], a->t.ninputs > 1 ? "the traces" : a->t.inputs[0], a->t.inputs[0],
			       names[0] ? names : "none");
}

static int convert(struct convert_args *a, struct source *src, struct output *w)
{
	const struct converter_ops *ops = a->ops;
	struct convert_opts co = { .sz = sizeof(co), .symfs = a->symfs, .debug_dir = a->debug_dir,
				   .no_demangle = a->no_demangle, .no_kernel = a->no_kernel,
				   .no_user = a->no_user, .warn = warn_cb, .out = w->f,
				   .pairs = a->pairs, .npairs = a->npairs };
	struct trec_err err = { 0 };
	void *st = NULL;
	int rc = ops->create(&st, &co, &err);
	if (rc < 0) {
		cli_err(&convert_cmd, "--to %s: %s", ops->name, trec_errmsg(&err, rc));
		return CLI_EXIT_ERROR;
	}
	/* The whole of a single indexed trace is expected: the line shows a percentage. */
	uint64_t total = 0;
	const struct trec_totals *tot;
	struct rfile *f0 = &src->files[0];
	if (src->n == 1 && !a->filter.any && trec_reader_info(f0->r)->has_index &&
	    trec_reader_totals(f0->r, &tot, NULL) == 0)
		total = tot->events;
	struct progress prog = { .to_file = w->f != stdout };
	progress_init(&prog, total);
	struct pass_opts po = { .sz = sizeof(po), .progress = draw_progress, .progress_ctx = &prog };
	struct pass_sink sink = ops->sink(st);
	rc = pass_run(src, &sink, 1, &po, &err);
	cli_progress_done(&prog.p);
	if (rc < 0) {
		rc = cli_source_error(&convert_cmd, src->err_path, src->err_at, rc, &err);
	} else if ((rc = ops->finish(st, src, w->f, &err)) < 0) {
		cli_err(&convert_cmd, "%s", trec_errmsg(&err, rc));
		rc = CLI_EXIT_ERROR;
	}
	ops->free(st);
	return rc;
}

int cmd_convert(int argc, char **argv)
{
	struct convert_args a;
	memset(&a, 0, sizeof(a));
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		evfilter_opts_free(&a.filter);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = &a.filter, .ignore_corrupt = a.t.ignore_corrupt };
	struct trec_err err = { 0 };
	rc = source_open(&src, a.t.inputs, a.t.ninputs, &so, &err);
	cli_truncation_warnings(&convert_cmd, &src);
	if (rc < 0)
		rc = cli_source_error(&convert_cmd, src.err_path, src.err_at, rc, &err);
	if (!rc)
		rc = check_events(&a, &src);
	struct output w = { 0 };
	if (!rc && !(rc = output_open(&w, a.output))) {
		rc = convert(&a, &src, &w);
		int wrc = output_close(&w, !rc);
		if (!rc)
			rc = wrc;
	}
	for (size_t i = 0; i < src.n && !rc; i++)
		if (src.files[i].r)
			cli_reader_warnings(&convert_cmd, src.files[i].r);
	source_close(&src);
	evfilter_opts_free(&a.filter);
	return rc;
}
