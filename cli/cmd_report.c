/* SPDX-License-Identifier: MIT */
/*
 * trec report: the answers users came for, from one or more traces.
 *
 *   (default)        --top on a profile (CPU samples, off-CPU time), else --summary
 *   --summary        summary per trace, then a table per --by group
 *   --hist EV:FIELD  the distribution of a field's values
 *   --latency SPEC   latency from pairs of events (latency.h)
 *   --top            top functions by self and total samples (profile.h)
 *   --folded         FlameGraph's folded stacks
 *
 * Every view takes the event filters (evfilter.h), --json or --csv, and
 * streams: memory grows with groups, keys and distinct stacks, not events.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "filter_args.h"
#include "flamegraph.h"
#include "json.h"
#include "latency.h"
#include "outbuf.h"
#include "pass.h"
#include "plot.h"
#include "rate.h"
#include "source.h"
#include "stack_opts.h"
#include "stackprof.h"
#include "summary.h"
#include "table.h"
#include "trace_opts.h"
#include "tui.h"

static const struct cli_cmd report_cmd = {
	.name = "report",
	.synopsis = "[-i FILE]... [--summary] [--by pid|tid|comm|cpu|event|cgroup] [--sort COLUMN] [filters]\n"
		    "                   [--hist EVENT:FIELD [--linear STEP] | --latency SPEC [--unit U]]\n"
		    "                   [--top | --folded [--show-pid | --show-tid] | --flamegraph FILE.svg]\n"
		    "                   [--json | --csv] [--tui | --stdio]\n"
		    "                   [--plot FILE.svg|FILE.png [--plot-rate]]",
	.summary = "Replay traces into summaries, histograms, latency and profiles. Without a view:\n"
		   "--top on a profile (a trace with CPU samples or off-CPU time, as perf report\n"
		   "shows one), else --summary: each trace's host, kernel, command, time span, events\n"
		   "per type and losses, then one row per process with its events per type, CPU\n"
		   "samples, off-CPU time and system calls. Several -i files are read as one (fleet\n"
		   "view; rows keep their host).\n"
		   "On a terminal, a profile opens the interactive report instead (--tui): functions\n"
		   "by total and self, their callers and callees, filters and views; keys: h in it,\n"
		   "or docs/REPORT.md.",
	.options = "  -i, --input FILE      trace to read; repeat for several (default trec.data)\n"
		   "      --summary         the summary, also of a profile (the default view of a\n"
		   "                        trace of tracepoints, of several traces, and with --by,\n"
		   "                        --sort, --csv or --plot)\n"
		   "      --by KEY          group rows by pid (default), tid, comm, cpu, event or cgroup\n"
		   "      --sort COLUMN     sort rows by this column (numbers biggest first)\n"
		   "      --hist EVENT:FIELD  histogram of a field, e.g. syscalls:sys_exit_read:ret\n"
		   "                        (EVENT may be a glob); log2 buckets unless --linear\n"
		   "      --linear STEP     linear buckets STEP wide\n"
		   "      --latency SPEC    latency histograms from pairs of events:\n"
		   "                          syscalls  enter->exit per thread, per system call\n"
		   "                          runq      wakeup->switch-in per thread (runqlat)\n"
		   "                          block     block_rq_issue->complete (biolatency)\n"
		   "                          u:PATH:FUNC  uprobe->uretprobe (funclatency)\n"
		   "                          'A,B[,key=FIELD]'  any two events, by thread or FIELD\n"
		   "      --unit U          latency unit: ns, us (default), ms or s\n"
		   "      --limit N         histograms shown in text (default 10); functions per list\n"
		   "                        with --top (default 20)\n"
		   "      --top             top functions by self and total samples, per comm/pid\n"
		   "      --folded          folded stacks for FlameGraph: comm;root;...;leaf COUNT\n"
		   "      --flamegraph FILE an interactive SVG flame graph of the stacks ('-': stdout),\n"
		   "                        titled with the host, command and time span (trec\n"
		   "                        flamegraph draws folded files; docs/FLAMEGRAPH.md)\n"
		   "      --show-pid        --folded: first element comm-PID\n"
		   "      --show-tid        --folded: first element comm-PID/TID\n"
		   "      --offcpu          stack views: off-CPU time (offcpu events, in us); the\n"
		   "                        default when off-CPU events are the only stacks\n"
		   "      --no-kernel, --no-user  stack views: leave out those frames\n"
		   "      --symfs DIR, --debug-dir DIR  more symbols (docs/SYMBOLS.md)\n"
		   "      --no-demangle     stack views: C++ and Rust names as the binary spells\n"
		   "                        them (--demangle, the default: as perf shows them)\n"
		   EVFILTER_HELP
		   "      --json            one JSON document\n"
		   "      --csv             comma-separated values with a header line\n"
		   "      --plot FILE       render the histograms with gnuplot, one plot each, to\n"
		   "                        FILE.svg or FILE.png, then FILE-2.svg ... (--limit);\n"
		   "                        FILE.dat and FILE.gp are kept beside each\n"
		   "      --plot-rate       --plot the event rate over time instead\n"
		   "      --tui             the interactive report (the default on a terminal when the\n"
		   "                        trace has stacks and no other view is asked for)\n"
		   "                        keys: Enter/+ open or close a function (its callers\n"
		   "                        and callees) or frame, e/c all under it, E/C every\n"
		   "                        function, s sort by self/total, v/V views (CPU,\n"
		   "                        off-CPU, other events), / search, d DSO, t comm,\n"
		   "                        p pid, T time window, x clear, h help, q quit\n"
		   "      --stdio           text, even on a terminal\n"
		   "      --ignore-corrupt  skip blocks that fail their checks instead of stopping\n"
		   "  -h, --help            show this help\n",
};

#define MAX_INPUTS CLI_MAX_INPUTS
#define TEXT_WIDTH 80
#define TEXT_TYPE_COLS 8

/* M_DEFAULT: no view asked for; report_default_view picks one from the trace. */
enum mode { M_DEFAULT, M_SUMMARY, M_HIST, M_LATENCY, M_TOP, M_FOLDED, M_FLAME };

struct report_opts {
	const char *inputs[MAX_INPUTS];
	size_t ninputs;
	enum mode mode;
	int by;               /* -1 = not given */
	const char *sort;
	const char *hist, *latency;
	const char *flame_out;
	uint64_t linear;
	uint64_t unit_ns;
	const char *unit;
	uint64_t limit;
	int has_limit;
	int json, csv;
	const char *plot;
	int plot_rate;
	int offcpu, show_pid, show_tid, no_kernel, no_user;
	const char *symfs, *debug_dir;
	int no_demangle;
	int ignore_corrupt;
	int tui, stdio;       /* --tui, --stdio */
	struct evfilter_opts filter;
};

static int set_mode(struct report_opts *o, enum mode m, const char *name)
{
	static const char *const names[] = { "", "--summary", "--hist", "--latency", "--top", "--folded", "--flamegraph" };
	if (o->mode != M_DEFAULT && o->mode != m)
		return cli_usage_error(&report_cmd, "%s and %s are different views: pick one", names[o->mode], name);
	o->mode = m;
	return 0;
}

static int parse_unit(struct report_opts *o, const char *u)
{
	static const struct {
		const char *name, *label;
		uint64_t ns;
	} units[] = { { "ns", "nsecs", 1 }, { "us", "usecs", 1000 }, { "ms", "msecs", 1000000 }, { "s", "secs", 1000000000 } };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(u, units[i].name)) {
			o->unit_ns = units[i].ns;
			o->unit = units[i].label;
			return 0;
		}
	return cli_usage_error(&report_cmd, "--unit %s: expected ns, us, ms or s", u);
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum {
		OPT_BY = 256, OPT_SORT, OPT_HIST, OPT_LINEAR, OPT_LATENCY, OPT_UNIT, OPT_LIMIT, OPT_TOP,
		OPT_FOLDED, OPT_SHOW_PID, OPT_SHOW_TID, OPT_OFFCPU, OPT_CSV, OPT_PLOT, OPT_PLOT_RATE, OPT_FLAME,
		OPT_TUI, OPT_STDIO, OPT_SUMMARY,
	};
	static const struct option longopts[] = {
		CLI_TRACE_LONGOPTS,
		{ "by", required_argument, NULL, OPT_BY },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "hist", required_argument, NULL, OPT_HIST },
		{ "linear", required_argument, NULL, OPT_LINEAR },
		{ "latency", required_argument, NULL, OPT_LATENCY },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "top", no_argument, NULL, OPT_TOP },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "folded", no_argument, NULL, OPT_FOLDED },
		{ "flamegraph", required_argument, NULL, OPT_FLAME },
		{ "show-pid", no_argument, NULL, OPT_SHOW_PID },
		{ "show-tid", no_argument, NULL, OPT_SHOW_TID },
		{ "offcpu", no_argument, NULL, OPT_OFFCPU },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "plot-rate", no_argument, NULL, OPT_PLOT_RATE },
		{ "tui", no_argument, NULL, OPT_TUI },
		{ "stdio", no_argument, NULL, OPT_STDIO },
		CLI_STACK_LONGOPTS,
		EVFILTER_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_trace_opts t = { 0 };
	struct cli_stack_opts so = { 0 };
	int c, rc;
	o->by = -1;
	o->unit_ns = 1000;
	o->unit = "usecs";
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		enum cli_opt_result r = cli_trace_opt(&t, &report_cmd, c, optarg);
		if (r == CLI_OPT_TAKEN)
			continue;
		if (r != CLI_OPT_NOT_MINE)
			return r == CLI_OPT_HELP_SHOWN ? -1 : CLI_EXIT_USAGE;
		if ((rc = cli_stack_opt(&so, &report_cmd, c, optarg)) != 1) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case OPT_BY:
			if ((o->by = group_by_parse(optarg)) < 0)
				return cli_usage_error(&report_cmd, "--by %s: expected pid, tid, comm, cpu, event or cgroup",
						       optarg);
			break;
		case OPT_SORT:
			o->sort = optarg;
			break;
		case OPT_HIST:
			o->hist = optarg;
			if ((rc = set_mode(o, M_HIST, "--hist")))
				return rc;
			break;
		case OPT_LINEAR:
			if (cli_parse_u64(&report_cmd, "--linear", optarg, 1, INT64_MAX / 4, &o->linear))
				return CLI_EXIT_USAGE;
			break;
		case OPT_LATENCY:
			o->latency = optarg;
			if ((rc = set_mode(o, M_LATENCY, "--latency")))
				return rc;
			break;
		case OPT_UNIT:
			if ((rc = parse_unit(o, optarg)))
				return rc;
			break;
		case OPT_LIMIT:
			if (cli_parse_u64(&report_cmd, "--limit", optarg, 1, UINT32_MAX, &o->limit))
				return CLI_EXIT_USAGE;
			o->has_limit = 1;
			break;
		case OPT_TOP:
			if ((rc = set_mode(o, M_TOP, "--top")))
				return rc;
			break;
		case OPT_SUMMARY:
			if ((rc = set_mode(o, M_SUMMARY, "--summary")))
				return rc;
			break;
		case OPT_FOLDED:
			if ((rc = set_mode(o, M_FOLDED, "--folded")))
				return rc;
			break;
		case OPT_FLAME:
			if (!optarg[0])
				return cli_usage_error(&report_cmd, "--flamegraph: empty file name ('-' is stdout)");
			o->flame_out = optarg;
			if ((rc = set_mode(o, M_FLAME, "--flamegraph")))
				return rc;
			break;
		case OPT_SHOW_PID:
			o->show_pid = 1;
			break;
		case OPT_SHOW_TID:
			o->show_tid = 1;
			break;
		case OPT_OFFCPU:
			o->offcpu = 1;
			break;
		case OPT_CSV:
			o->csv = 1;
			break;
		case OPT_PLOT: {
			struct trec_err err = { 0 };
			if (plot_check_name(optarg, &err))
				return cli_usage_error(&report_cmd, "%s", err.msg);
		}
			o->plot = optarg;
			break;
		case OPT_PLOT_RATE:
			o->plot_rate = 1;
			break;
		case OPT_TUI:
			o->tui = 1;
			break;
		case OPT_STDIO:
			o->stdio = 1;
			break;
		case EVF_OPT_PID:
		case EVF_OPT_TID:
		case EVF_OPT_COMM:
		case EVF_OPT_CPU:
		case EVF_OPT_EVENT:
		case EVF_OPT_TIME:
		case EVF_OPT_CGROUP:
			if ((rc = evfilter_parse(&o->filter, &report_cmd, c, optarg)))
				return rc;
			break;
		default:
			return cli_bad_option(&report_cmd);
		}
	}
	o->json = t.json;
	o->ignore_corrupt = t.ignore_corrupt;
	o->no_kernel = so.no_kernel;
	o->no_user = so.no_user;
	o->symfs = so.symfs;
	o->debug_dir = so.debug_dir;
	o->no_demangle = so.no_demangle;
	if ((rc = cli_trace_inputs(&t, &report_cmd, argc, argv, optind)))
		return rc;
	memcpy(o->inputs, t.inputs, t.ninputs * sizeof(t.inputs[0]));
	o->ninputs = t.ninputs;

	if (o->tui && (o->stdio || o->mode != M_DEFAULT || o->json || o->csv || o->plot))
		return cli_usage_error(&report_cmd, "--tui is the interactive report: not with --stdio, another view, "
						    "--json, --csv or --plot");
	/* Options that belong to one kind of view choose it when none is named
	 * (the interactive report takes the profile's own). */
	if (o->mode == M_DEFAULT && !o->tui &&
	    (o->by >= 0 || o->sort || o->csv || o->plot || o->plot_rate || o->ninputs > 1))
		o->mode = M_SUMMARY;
	else if (o->mode == M_DEFAULT && !o->tui && (o->offcpu || o->no_kernel || o->no_user))
		o->mode = M_TOP;
	int profile = o->mode == M_TOP || o->mode == M_FOLDED || o->mode == M_FLAME || o->tui;
	if (o->json && o->csv)
		return cli_usage_error(&report_cmd, "--json and --csv: pick one");
	if ((o->mode == M_FOLDED || o->mode == M_FLAME) && (o->json || o->csv))
		return cli_usage_error(&report_cmd, "--%s writes its own format; --json and --csv are for the "
						    "other views", o->mode == M_FOLDED ? "folded" : "flamegraph");
	if (o->mode == M_TOP && o->csv)
		return cli_usage_error(&report_cmd, "--top prints text or --json");
	if (!profile && (o->show_pid || o->show_tid || o->offcpu || o->no_kernel || o->no_user))
		return cli_usage_error(&report_cmd, "--show-pid, --show-tid, --offcpu, --no-kernel and --no-user "
						    "go with --top, --folded or --flamegraph");
	if (o->mode != M_FOLDED && o->mode != M_FLAME && (o->show_pid || o->show_tid))
		return cli_usage_error(&report_cmd, "--show-pid/--show-tid go with --folded or --flamegraph");
	if ((o->mode == M_FOLDED || o->mode == M_FLAME) && o->has_limit)
		return cli_usage_error(&report_cmd, "--limit is for the other views; --folded and --flamegraph "
						    "take every stack");
	if (o->no_kernel && o->no_user)
		return cli_usage_error(&report_cmd, "--no-kernel and --no-user together leave no frames");
	if (profile && (o->by >= 0 || o->sort))
		return cli_usage_error(&report_cmd, "--by and --sort are for the summary, --hist and --latency");
	if (o->by == BY_CGROUP && o->mode != M_SUMMARY)
		return cli_usage_error(&report_cmd, "--by cgroup is for the summary (--cgroup GLOB filters any view)");
	if (profile && o->ninputs > 1)
		return cli_usage_error(&report_cmd, "the stack views read one trace (give one -i)");
	if (o->linear && o->mode != M_HIST && o->mode != M_LATENCY)
		return cli_usage_error(&report_cmd, "--linear goes with --hist or --latency");
	if (o->plot && profile)
		return cli_usage_error(&report_cmd, "--plot draws the summary's event rate, --hist or --latency");
	if (o->plot && o->mode == M_SUMMARY)
		o->plot_rate = 1;
	if (o->plot_rate && !o->plot)
		return cli_usage_error(&report_cmd, "--plot-rate needs --plot FILE");
	if (o->show_pid && o->show_tid)
		o->show_pid = 0;
	if (!o->has_limit)
		o->limit = o->mode == M_TOP ? 20 : 10;
	return 0;
}

/* ---- output helpers --------------------------------------------------------------------------- */

struct out {
	struct outbuf ob;
	struct json j;
};

static void headers_json(struct out *out, struct rfile *files, size_t n)
{
	json_key(&out->j, "traces");
	json_arr_begin(&out->j);
	for (size_t i = 0; i < n; i++)
		summary_header_json(&files[i], &out->j);
	json_arr_end(&out->j);
}

/* ---- the pass and the plots ----------------------------------------------------------------- */

static void draw_progress(void *ctx, const struct rfile *f, uint64_t events, int done)
{
	struct cli_progress *p = ctx;
	(void)f;
	if (done) {
		cli_progress_done(p);
		cli_progress_init(p, &report_cmd, "events", 0); /* the next file's line */
	} else {
		cli_progress_update(p, events);
	}
}

/* Reads the source once into the sinks; `total` events expected, 0 when
 * unknown (the progress line). 0 or CLI_EXIT_ERROR after a message. */
static int run_pass(struct source *src, const struct pass_sink *sinks, size_t n, uint64_t total)
{
	struct cli_progress prog;
	cli_progress_init(&prog, &report_cmd, "events", total);
	struct pass_opts po = { .sz = sizeof(po), .progress = draw_progress, .progress_ctx = &prog };
	struct trec_err err = { 0 };
	int rc = pass_run(src, sinks, n, &po, &err);
	cli_progress_done(&prog);
	return rc < 0 ? cli_source_error(&report_cmd, src->err_path, src->err_at, rc, &err) : 0;
}

/* A plot's outcome: drawn, or only its data and script written (a
 * warning), or an error. */
static int plot_done(int rc, const struct trec_err *err)
{
	if (rc == PLOT_NOT_RENDERED) {
		cli_warn(&report_cmd, "%s", err->msg);
		return 0;
	}
	if (rc < 0) {
		cli_err(&report_cmd, "%s", trec_errmsg(err, rc));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

/* The event rate over time, per type (the busiest RATE_SERIES), for --plot-rate. */
static int draw_rate_plot(struct report_opts *o, struct source *src, const struct rate *rt)
{
	struct rate_series s[RATE_SERIES + 1];
	uint32_t k;
	uint64_t bin;
	if (rate_series(rt, s, &k, &bin) < 0) {
		cli_err(&report_cmd, "--plot-rate: no events span any time");
		return CLI_EXIT_ERROR;
	}
	char title[512];
	snprintf(title, sizeof(title), "events per second: %s%s", src->files[0].host,
		 src->n > 1 ? " and others" : "");
	struct trec_err err = { 0 };
	return plot_done(plot_rate(&err, o->plot, s, k, RATE_BINS, bin, title), &err);
}

/*
 * A plot per histogram the text view prints (the first --limit rows, in
 * its order), into FILE, FILE-2, FILE-3 ... (plot_nth_name). Without
 * gnuplot every data file and script is still written; one warning.
 */
static int plot_hists(const struct report_opts *o, struct latency *l, const struct table *t, const char *unit)
{
	size_t n = t->nrows < o->limit ? t->nrows : (size_t)o->limit;
	char name[4200], label[512], last[4200] = "";
	struct trec_err err = { 0 }, unrendered = { 0 };
	size_t drawn = 0;
	for (size_t r = 0; r < n; r++) {
		if (plot_nth_name(o->plot, (unsigned)r + 1, name, sizeof(name)) < 0) {
			cli_err(&report_cmd, "--plot %s: the name is too long", o->plot);
			return CLI_EXIT_ERROR;
		}
		latency_row_label(l, t, r, label, sizeof(label));
		int rc = plot_hist(&err, name, latency_row_hist(l, t, r), label, unit);
		if (rc == PLOT_NOT_RENDERED && !unrendered.msg[0])
			unrendered = err;
		else if (rc < 0)
			return plot_done(rc, &err);
		snprintf(last, sizeof(last), "%s", name);
		drawn += rc == 0;
	}
	if (unrendered.msg[0]) {
		if (n > 1)
			cli_warn(&report_cmd, "%s (and the data and scripts of %zu more histograms, up to %s)",
				 unrendered.msg, n - 1, last);
		else
			cli_warn(&report_cmd, "%s", unrendered.msg);
	} else if (drawn > 1 && !o->json && !o->csv) {
		/* Not an error: where the other plots went. */
		fprintf(stderr, "trec %s: --plot: %zu histograms drawn, %s to %s (--limit N sets how many)\n",
			report_cmd.name, drawn, o->plot, last);
	}
	return 0;
}

/* ---- views ----------------------------------------------------------------------------------- */

static int view_summary(struct report_opts *o, struct source *src, struct out *out)
{
	struct rfile *files = src->files;
	size_t n = src->n;
	struct summary *s;
	struct rate *rt = NULL;
	struct trec_err err = { 0 };
	if (summary_new(&s, o->by < 0 ? BY_PID : (enum group_by)o->by, n > 1) ||
	    (o->plot && rate_new(&rt, src, &err))) {
		summary_free(s);
		rate_free(rt);
		cli_err(&report_cmd, "out of memory");
		return CLI_EXIT_ERROR;
	}
	/* The summary and its rate plot from one reading of the traces. */
	struct pass_sink sinks[2] = { summary_sink(s) };
	if (rt)
		sinks[1] = rate_sink(rt);
	int rc = run_pass(src, sinks, rt ? 2 : 1, 0);
	struct table t;
	table_init(&t);
	if (!rc) {
		int e = summary_table(s, &t, o->sort, o->json || o->csv ? UINT32_MAX : TEXT_TYPE_COLS, &err);
		if (e == -EINVAL)
			rc = cli_usage_error(&report_cmd, "%s", err.msg);
		else if (e < 0)
			cli_err(&report_cmd, "%s", trec_errmsg(&err, e)), rc = CLI_EXIT_ERROR;
	}
	if (!rc) {
		if (o->json) {
			json_obj_begin(&out->j);
			headers_json(out, files, n);
			json_kv_str(&out->j, "by", group_by_names[o->by < 0 ? BY_PID : o->by]);
			json_key(&out->j, "rows");
			table_print_json(&t, &out->j);
			json_obj_end(&out->j);
			json_newline(&out->j);
		} else if (o->csv) {
			table_print_csv(&t, &out->ob);
		} else {
			for (size_t i = 0; i < n; i++)
				summary_header_text(&files[i], &out->ob);
			outbuf_putc(&out->ob, '\n');
			table_print_text(&t, &out->ob, TEXT_WIDTH);
		}
	}
	if (!rc && rt)
		rc = draw_rate_plot(o, src, rt);
	table_free(&t);
	summary_free(s);
	rate_free(rt);
	return rc;
}

/* Each latency row's histogram, as a member of its JSON object. */
struct row_hist_ctx {
	struct latency *l;
	const struct table *t;
	const char *unit;
};

static void json_row_hist(struct json *j, size_t row, void *ctx)
{
	const struct row_hist_ctx *hc = ctx;
	json_key(j, "histogram");
	hist_print_json(latency_row_hist(hc->l, hc->t, row), j, hc->unit);
}

/* Group columns of the latency table, for CSV bucket rows. */
static void csv_row_prefix(const struct table *t, size_t row, size_t name_col, struct outbuf *o)
{
	char buf[64];
	for (size_t c = 0; c <= name_col; c++) {
		const union table_cell *x = &t->cells[row * t->ncols + c];
		if (t->col[c].kind == TABLE_STR) {
			csv_field(o, x->s);
		} else {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)x->u);
			outbuf_puts(o, buf);
		}
		outbuf_putc(o, ',');
	}
}

static int view_latency(struct report_opts *o, struct source *src, struct out *out)
{
	struct rfile *files = src->files;
	size_t n = src->n;
	struct latency_opts lo = {
		.spec = o->latency, .field_spec = o->hist, .by = o->by, .linear_step = o->linear,
		.unit_ns = o->hist ? 1 : o->unit_ns, .unit = o->hist ? "value" : o->unit, .multi_host = n > 1,
	};
	const char *what = o->hist ? "--hist" : "--latency";
	const char *spec = o->hist ? o->hist : o->latency;
	if (o->hist) {
		const char *colon = strrchr(o->hist, ':');
		lo.unit = colon ? colon + 1 : "value";
	}
	struct latency *l;
	struct rate *rt = NULL;
	struct trec_err err = { 0 }, lerr = { 0 };
	int lrc = latency_new(&l, &lo, &lerr);
	if (o->plot && o->plot_rate && rate_new(&rt, src, &err)) {
		rate_free(rt);
		latency_free(l);
		cli_err(&report_cmd, "out of memory");
		return CLI_EXIT_ERROR;
	}
	/* The rate plot and the pairs from one reading of the traces; the plot
	 * comes first, as it did when it was read on its own. */
	struct pass_sink sinks[2];
	size_t nsinks = 0;
	if (rt)
		sinks[nsinks++] = rate_sink(rt);
	if (!lrc)
		sinks[nsinks++] = latency_sink(l);
	int rc = nsinks ? run_pass(src, sinks, nsinks, 0) : 0;
	if (!rc && rt)
		rc = draw_rate_plot(o, src, rt);
	rate_free(rt);
	if (!rc && lrc == -EINVAL)
		rc = cli_usage_error(&report_cmd, "%s", lerr.msg);
	else if (!rc && lrc < 0)
		cli_err(&report_cmd, "%s", trec_errmsg(&lerr, lrc)), rc = CLI_EXIT_ERROR;
	if (!rc && !latency_found(l)) {
		cli_err(&report_cmd, "%s %s: %s lack%s the events it needs%s", what, spec,
			n > 1 ? "the traces" : files[0].path, n > 1 ? "" : "s",
			o->hist ? " (an event of that name with an integer field of that name)"
			: !strcmp(spec, "syscalls") ? " (record -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit, "
						      "or syscalls:sys_enter_*/sys_exit_*)"
			: !strcmp(spec, "runq")     ? " (record -e sched:sched_wakeup -e sched:sched_wakeup_new "
						      "-e sched:sched_switch)"
			: !strcmp(spec, "block")    ? " (record -e block:block_rq_issue -e block:block_rq_complete)"
						    : " (both a start and an end event type)");
		rc = CLI_EXIT_ERROR;
	}
	struct table t;
	table_init(&t);
	if (!rc && latency_table(l, &t)) {
		cli_err(&report_cmd, "out of memory");
		rc = CLI_EXIT_ERROR;
	}
	uint64_t us, ue, deep;
	if (!rc)
		latency_unmatched(l, &us, &ue, &deep);
	size_t name_col = 0;
	for (size_t c = 0; c < t.ncols; c++)
		if (!strcmp(t.col[c].name, "name"))
			name_col = c;
	char label[512];
	if (!rc && o->json) {
		json_obj_begin(&out->j);
		headers_json(out, files, n);
		json_kv_str(&out->j, o->hist ? "hist" : "latency", spec);
		json_kv_str(&out->j, "unit", lo.unit);
		if (o->by >= 0)
			json_kv_str(&out->j, "by", group_by_names[o->by]);
		if (!o->hist) {
			json_kv_u64(&out->j, "unmatched_starts", us);
			json_kv_u64(&out->j, "unmatched_ends", ue);
			json_kv_u64(&out->j, "too_deep", deep);
		}
		json_key(&out->j, "rows");
		struct row_hist_ctx hc = { .l = l, .t = &t, .unit = lo.unit };
		table_print_json_with(&t, &out->j, json_row_hist, &hc);
		json_obj_end(&out->j);
		json_newline(&out->j);
	} else if (!rc && o->csv) {
		/* One row per bucket: the group, the name, the bucket's range and count. */
		for (size_t c = 0; c <= name_col; c++) {
			csv_field(&out->ob, t.col[c].name);
			outbuf_putc(&out->ob, ',');
		}
		outbuf_printf(&out->ob, "lo_%s,hi_%s,count\n", lo.unit, lo.unit);
		for (size_t r = 0; r < t.nrows; r++) {
			const struct hist *h = latency_row_hist(l, &t, r);
			size_t cap = hist_nbuckets(h);
			struct hist_bucket *b = malloc(cap * sizeof(*b));
			size_t nb = b ? hist_buckets(h, b, cap) : 0;
			for (size_t i = 0; i < nb; i++) {
				if (!b[i].count)
					continue;
				csv_row_prefix(&t, r, name_col, &out->ob);
				outbuf_printf(&out->ob, "%lld,%lld,%llu\n", (long long)b[i].lo, (long long)b[i].hi,
					      (unsigned long long)b[i].count);
			}
			free(b);
		}
	} else if (!rc) {
		for (size_t i = 0; i < n; i++)
			summary_header_text(&files[i], &out->ob);
		outbuf_printf(&out->ob, "\n# %s %s, in %s\n", what, spec, lo.unit);
		table_print_text(&t, &out->ob, TEXT_WIDTH);
		for (size_t r = 0; r < t.nrows && r < o->limit; r++) {
			latency_row_label(l, &t, r, label, sizeof(label));
			outbuf_printf(&out->ob, "\n## %s\n", label);
			hist_print_text(latency_row_hist(l, &t, r), &out->ob, lo.unit, TEXT_WIDTH);
		}
		if (t.nrows > o->limit)
			outbuf_printf(&out->ob, "\n(%zu more histograms: --limit N shows more, --json all)\n",
				      t.nrows - (size_t)o->limit);
		if (!o->hist && (us || ue || deep))
			outbuf_printf(&out->ob, "\n# unpaired: %llu starts without an end, %llu ends without a start%s\n",
				      (unsigned long long)us, (unsigned long long)ue,
				      deep ? " (and starts nested too deep)" : "");
	}
	if (!rc && o->plot && !o->plot_rate && t.nrows)
		rc = plot_hists(o, l, &t, lo.unit);
	table_free(&t);
	latency_free(l);
	return rc;
}

/* The flame graph of a trace's stacks, titled from its metadata. */
static int write_flamegraph(struct report_opts *o, struct rfile *f, struct stackprof *p)
{
	char title[320], subtitle[640], wall[64] = "";
	const struct trec_totals *tot = NULL;
	trec_reader_totals(f->r, &tot, NULL);
	const char *cmdline = rfile_meta_str(f, "trec.cmdline"), *kernel = rfile_meta_str(f, "kernel.release");
	const struct trec_meta_kv *off = trec_reader_meta_get(f->r, "clock.realtime_offset_ns");
	if (tot && off) {
		int64_t w = (int64_t)tot->first_ts + off->v.i64;
		time_t secs = (time_t)(w / 1000000000);
		struct tm tm;
		if (w > 0 && gmtime_r(&secs, &tm))
			strftime(wall, sizeof(wall), " from %Y-%m-%d %H:%M:%S UTC", &tm);
	}
	int by_time = stackprof_by_time(p); /* --offcpu, or off-CPU stacks alone */
	snprintf(title, sizeof(title), "%s: %s", by_time ? "Off-CPU time" : "CPU samples", f->host);
	snprintf(subtitle, sizeof(subtitle), "%.200s%s%.3f s%s, kernel %.64s", cmdline ? cmdline : "",
		 cmdline ? ": " : "", tot ? (double)(tot->last_ts - tot->first_ts) / 1e9 : 0.0, wall,
		 kernel ? kernel : "?");
	struct flame_opts fo = {
		.sz = sizeof(fo), .title = title, .subtitle = subtitle,
		.countname = by_time ? "us" : "samples", .colors = by_time ? "io" : "hot",
	};
	struct trec_err err = { 0 };
	struct flame *fg;
	int rc = flame_new(&fg, &fo, &err);
	if (rc < 0) {
		cli_err(&report_cmd, "--flamegraph: %s", trec_errmsg(&err, rc));
		return CLI_EXIT_ERROR;
	}
	rc = stackprof_fold(p, flame_add_cb, fg, &err);
	FILE *out = NULL;
	int to_stdout = !strcmp(o->flame_out, "-");
	if (rc >= 0) {
		out = to_stdout ? stdout : fopen(o->flame_out, "w");
		if (!out) {
			cli_err(&report_cmd, "--flamegraph %s: %s", o->flame_out, strerror(errno));
			flame_free(fg);
			return CLI_EXIT_ERROR;
		}
		rc = flame_write_svg(fg, out, &err);
	}
	int e = out && !to_stdout ? fclose(out) : out ? fflush(out) : 0;
	flame_free(fg);
	if (rc == -ENODATA) {
		cli_warn(&report_cmd, "--flamegraph %s: no stacks to draw (the SVG says so)", o->flame_out);
		return 0;
	}
	if (rc < 0 || e) {
		cli_err(&report_cmd, "--flamegraph %s: %s", o->flame_out, rc < 0 ? trec_errmsg(&err, rc) : strerror(errno));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn(&report_cmd, "%s", msg);
}

/* The interactive report, with --tui or by default (a terminal, no other
 * view, a trace with stacks). 1 when it ran (*rc its exit code), 0 for text. */
static int report_tui(struct report_opts *o, struct source *src, int *rc)
{
	if (o->tui && !tui_available()) {
		cli_warn(&report_cmd, "--tui: this build has no interactive report (built without ncurses); "
				      "printing text");
		return 0;
	}
	if (o->tui && !tui_on_terminal()) {
		*rc = cli_usage_error(&report_cmd, "--tui needs a terminal on stdin and stdout (--stdio prints text)");
		return 1;
	}
	size_t nstacks = 0;
	if (!o->tui && (o->stdio || o->json || o->csv || o->plot || o->by >= 0 || o->sort || src->n != 1 ||
			!tui_available() || !tui_on_terminal() ||
			trec_reader_stacks(src->files[0].r, &nstacks, NULL) < 0 || !nstacks))
		return 0;
	struct tui_opts to = {
		.cmd = &report_cmd, .forced = o->tui, .offcpu = o->offcpu, .no_kernel = o->no_kernel,
		.no_user = o->no_user, .no_demangle = o->no_demangle, .symfs = o->symfs, .debug_dir = o->debug_dir,
	};
	int r = tui_run(src, &to);
	if (r == TUI_NOTHING)
		return 0;
	*rc = r;
	return 1;
}

static int view_profile(struct report_opts *o, struct source *src, struct out *out)
{
	struct rfile *f = &src->files[0];
	struct stackprof_opts po = {
		.sz = sizeof(po), .offcpu = o->offcpu, .with_pid = o->show_pid, .with_tid = o->show_tid,
		.no_kernel = o->no_kernel, .no_user = o->no_user, .json = o->json, .limit = o->limit,
		.symfs = o->symfs, .debug_dir = o->debug_dir, .no_demangle = o->no_demangle, .warn = warn_cb,
	};
	struct stackprof *p;
	struct trec_err err = { 0 };
	int read_error = 0;
	int rc = stackprof_new(&p, f, &po, &read_error, &err);
	if (rc == -EINVAL)
		rc = cli_usage_error(&report_cmd, "%s", err.msg);
	else if (rc < 0)
		rc = cli_source_error(&report_cmd, f->path, read_error ? SOURCE_AT_READ : SOURCE_AT_NONE, rc, &err);
	if (!rc) {
		/* The whole trace is expected: the line shows a percentage. */
		uint64_t total = 0;
		const struct trec_totals *tot;
		if (trec_reader_info(f->r)->has_index && trec_reader_totals(f->r, &tot, NULL) == 0)
			total = tot->events;
		struct pass_sink sink = stackprof_sink(p);
		rc = run_pass(src, &sink, 1, total);
	}
	if (!rc && !stackprof_stacks(p))
		cli_warn(&report_cmd, "%s has no %s events with stacks", f->path,
			 o->filter.nevents ? "selected" : o->offcpu ? "offcpu" : "selected");
	if (!rc) {
		if (o->mode == M_FLAME) {
			rc = write_flamegraph(o, f, p);
		} else if (o->mode == M_FOLDED) {
			int e = stackprof_fold(p, outbuf_folded_line, &out->ob, &err);
			if (e == -ENOMEM) {
				cli_err(&report_cmd, "%s", err.msg);
				cli_err(&report_cmd, "out of memory folding stacks");
				rc = CLI_EXIT_ERROR;
			}
		} else if ((rc = stackprof_print_top(p, &out->ob, &err)) < 0) {
			cli_err(&report_cmd, "%s", trec_errmsg(&err, rc));
			rc = CLI_EXIT_ERROR;
		}
	}
	if (!rc)
		stackprof_warnings(p);
	stackprof_free(p);
	return rc;
}

/*
 * The view of `trec report` without one named (and without options that
 * name one): the top functions of a profile, as perf report's default, and
 * the summary of anything else. A profile is a trace whose kept event
 * types include CPU samples or off-CPU time (stackprof_is_profile); a
 * trace that holds tracepoints besides is still a profile (the summary is
 * --summary away, and the stack views pick the samples). Several traces
 * get the summary: the stack views read one.
 */
static enum mode report_default_view(struct source *src)
{
	if (src->n != 1)
		return M_SUMMARY;
	return stackprof_is_profile(&src->files[0]) ? M_TOP : M_SUMMARY;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	memset(&o, 0, sizeof(o));
	int rc = parse_args(argc, argv, &o);
	if (rc) {
		evfilter_opts_free(&o.filter);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	struct out out;
	memset(&out, 0, sizeof(out));
	if (outbuf_init(&out.ob, stdout, 0) < 0) {
		evfilter_opts_free(&o.filter);
		cli_err(&report_cmd, "out of memory");
		return CLI_EXIT_ERROR;
	}
	json_init(&out.j, &out.ob, 1);
	struct source src;
	struct source_opts so = { .sz = sizeof(so), .filter = &o.filter, .ignore_corrupt = o.ignore_corrupt };
	struct trec_err err = { 0 };
	rc = source_open(&src, o.inputs, o.ninputs, &so, &err);
	cli_truncation_warnings(&report_cmd, &src);
	if (rc < 0)
		rc = cli_source_error(&report_cmd, src.err_path, src.err_at, rc, &err);
	struct rfile *files = src.files;
	if (!rc && o.filter.nevents) {
		uint32_t k = 0;
		for (size_t i = 0; i < o.ninputs; i++)
			k += evfilter_types_matched(&files[i].f, files[i].r);
		if (!k) {
			/* Name what there is: the user mistyped, or picked another file. */
			char names[512] = "";
			size_t len = 0;
			for (uint32_t t = 0; t < files[0].ntypes && len < sizeof(names) - 1; t++)
				if (files[0].by_id[t])
					len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
								files[0].by_id[t]->name);
			cli_usage_error(&report_cmd, "--event %s: no event type of %s matches (%s has: %s)",
					o.filter.events[0], o.ninputs > 1 ? "the traces" : o.inputs[0], o.inputs[0],
					names[0] ? names : "none");
			rc = CLI_EXIT_USAGE;
		}
	}
	if (!rc && o.mode == M_DEFAULT && report_tui(&o, &src, &rc)) {
		/* the interactive report ran */
	} else if (!rc) {
		if (o.mode == M_DEFAULT) {
			o.mode = report_default_view(&src);
			if (!o.has_limit)
				o.limit = o.mode == M_TOP ? 20 : 10;
		}
		switch (o.mode) {
		case M_DEFAULT: /* chosen above */
		case M_SUMMARY:
			rc = view_summary(&o, &src, &out);
			break;
		case M_HIST:
		case M_LATENCY:
			rc = view_latency(&o, &src, &out);
			break;
		case M_TOP:
		case M_FOLDED:
		case M_FLAME:
			rc = view_profile(&o, &src, &out);
			break;
		}
	}
	outbuf_flush(&out.ob);
	if (!rc && out.ob.err) {
		/* A reader that went away (| head) is not worth a message. */
		if (out.ob.err != EPIPE)
			cli_err(&report_cmd, "writing output: %s", strerror(out.ob.err));
		rc = CLI_EXIT_ERROR;
	}
	for (size_t i = 0; i < src.n && !rc; i++)
		if (files[i].r)
			cli_reader_warnings(&report_cmd, files[i].r);
	source_close(&src);
	outbuf_free(&out.ob);
	evfilter_opts_free(&o.filter);
	return rc;
}
