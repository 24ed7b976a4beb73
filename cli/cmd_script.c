/* SPDX-License-Identifier: MIT */
/*
 * trec script: every event in time order, one line each, as text or JSON
 * lines (report/script.h prints them, in one pass over the trace).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "filter_args.h"
#include "fmtpool.h"
#include "outbuf.h"
#include "pass.h"
#include "reader.h"
#include "script.h"
#include "source.h"
#include "stack_opts.h"
#include "trace_opts.h"

static const struct cli_cmd script_cmd = {
	.name = "script",
	.synopsis = "[-i FILE] [--json] [--ignore-corrupt] [--time START,END] [--limit N] [-G]",
	.summary = "Print every event in time order, one per line:\n"
		   "  TIME [CPU] PID/TID COMM EVENT: FIELD=VALUE ...\n"
		   "TIME is the event's timestamp in seconds (6 decimals) on the recording clock.\n"
		   "An event with a stack is followed by its frames, leaf first, as perf script\n"
		   "prints them (ADDR SYM+OFF (DSO)) and a blank line; JSON has them as \"frames\".",
	.options = "  -i, --input FILE      trace to read (default trec.data; a lone FILE works too)\n"
		   "      --json            one JSON object per line (JSON lines) instead of text\n"
		   "      --ignore-corrupt  skip blocks that fail their checks instead of stopping\n"
		   "      --time START,END  only events from START to END seconds after the first\n"
		   "                        event (decimals allowed; '2.5,' and ',10' leave a side open),\n"
		   "                        or wall-clock times as trec report takes them (docs/REPORT.md)\n"
		   "      --limit N         stop after N events\n"
		   "  -G, --hide-call-graph  leave the stacks out (perf script's flag)\n"
		   "      --no-kernel, --no-user  leave out those frames\n"
		   "      --symfs DIR, --debug-dir DIR  more symbols (docs/SYMBOLS.md)\n"
		   "      --no-demangle     C++ and Rust names as the binary spells them\n"
		   "  -h, --help            show this help\n",
};

struct script_args {
	const char *input;
	int json;
	int ignore_corrupt;
	struct evfilter_opts time;   /* --time (the shared filter's parser) */
	uint64_t limit;              /* 0 = no limit */
	int hide_stacks;             /* -G */
	struct cli_stack_opts stack; /* which frames, where more symbols are */
};

static int parse_args(int argc, char **argv, struct script_args *o)
{
	enum { OPT_TIME = 256, OPT_LIMIT };
	static const struct option longopts[] = {
		CLI_TRACE_LONGOPTS,
		CLI_STACK_LONGOPTS,
		{ "time", required_argument, NULL, OPT_TIME },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "hide-call-graph", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_trace_opts t = { 0 };
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:hG", longopts, NULL)) != -1) {
		enum cli_opt_result r = cli_trace_opt(&t, &script_cmd, c, optarg);
		if (r == CLI_OPT_TAKEN)
			continue;
		if (r != CLI_OPT_NOT_MINE)
			return r == CLI_OPT_HELP_SHOWN ? -1 : CLI_EXIT_USAGE;
		int sr = cli_stack_opt(&o->stack, &script_cmd, c, optarg);
		if (sr != 1) {
			if (sr)
				return sr;
			continue;
		}
		switch (c) {
		case 'G':
			o->hide_stacks = 1;
			break;
		case OPT_TIME:
			if (evfilter_parse(&o->time, &script_cmd, EVF_OPT_TIME, optarg))
				return CLI_EXIT_USAGE;
			break;
		case OPT_LIMIT:
			if (cli_parse_u64(&script_cmd, "--limit", optarg, 1, UINT64_MAX, &o->limit))
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option(&script_cmd);
		}
	}
	o->json = t.json;
	o->ignore_corrupt = t.ignore_corrupt;
	return cli_trace_input(&t, &script_cmd, argc, argv, optind, &o->input);
}

static void draw_progress(void *ctx, const struct rfile *f, uint64_t events, int done)
{
	(void)f;
	if (!done)
		cli_progress_update(ctx, events);
}

int cmd_script(int argc, char **argv)
{
	struct script_args sa;
	int rc = parse_args(argc, argv, &sa);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;

	int ret = CLI_EXIT_ERROR;
	struct trec_err err = { 0 };
	struct source src;
	struct script *sc = NULL;
	struct outbuf out = { 0 };
	struct source_opts o = { .sz = sizeof(o), .filter = &sa.time, .ignore_corrupt = sa.ignore_corrupt };
	rc = source_open(&src, &sa.input, 1, &o, &err);
	struct trec_reader *r = src.n ? src.files[0].r : NULL;
	const struct trec_file_info *fi = r ? trec_reader_info(r) : NULL;
	if (fi && fi->truncated)
		cli_err(&script_cmd, "%s is truncated at offset %llu: %s; showing complete blocks",
			sa.input, (unsigned long long)fi->truncated_at,
			fi->truncation ? fi->truncation : "no footer index");
	if (rc < 0) {
		cli_source_error(&script_cmd, src.err_path, src.err_at, rc, &err);
		goto out;
	}
	if (outbuf_init(&out, stdout, 0) < 0) {
		cli_err(&script_cmd, "out of memory for the output buffer");
		goto out;
	}
	struct script_opts po = { .sz = sizeof(po), .json = sa.json, .limit = sa.limit,
				  .threads = fmtpool_threads(), .out = &out, .hide_stacks = sa.hide_stacks,
				  .no_kernel = sa.stack.no_kernel, .no_user = sa.stack.no_user,
				  .symfs = sa.stack.symfs, .debug_dir = sa.stack.debug_dir,
				  .no_demangle = sa.stack.no_demangle };
	if (script_new(&sc, &po, &err) < 0) {
		cli_err(&script_cmd, "%s", err.msg);
		goto out;
	}

	uint64_t total = 0;
	const struct trec_totals *tot;
	if (fi->has_index && !sa.time.any && trec_reader_totals(r, &tot, NULL) == 0)
		total = sa.limit && sa.limit < tot->events ? sa.limit : tot->events;
	struct cli_progress prog;
	cli_progress_init(&prog, &script_cmd, "events", total);
	struct pass_opts pso = { .sz = sizeof(pso), .progress = draw_progress, .progress_ctx = &prog };
	struct pass_sink sink = script_sink(sc);
	rc = pass_run(&src, &sink, 1, &pso, &err);
	if (rc < 0 && src.err_at == SOURCE_AT_NONE) {
		/* Out of memory formatting: what is buffered is not written. */
		cli_progress_done(&prog);
		cli_err(&script_cmd, "%s", trec_errmsg(&err, rc));
		goto out;
	}
	struct trec_err ferr = { 0 };
	if (script_finish(sc, &ferr) < 0) {
		cli_progress_done(&prog);
		cli_err(&script_cmd, "%s", ferr.msg);
		goto out;
	}
	cli_progress_done(&prog);
	outbuf_flush(&out);

	if (out.err) {
		/* A reader that went away (| head) is not worth a message. */
		if (out.err != EPIPE)
			cli_err(&script_cmd, "writing output: %s", strerror(out.err));
		goto out;
	}
	if (rc < 0) {
		/* What came before the bad block is printed; now say why it stops. */
		cli_source_error(&script_cmd, src.err_path, src.err_at, rc, &err);
		goto out;
	}
	cli_reader_warnings(&script_cmd, r);
	ret = CLI_EXIT_OK;
out:
	script_free(sc);
	evfilter_opts_free(&sa.time);
	outbuf_free(&out);
	source_close(&src);
	return ret;
}
