/* SPDX-License-Identifier: MIT */
/*
 * trec recover: make a cut trace whole again, in place (format/recover.c
 * does the work; this is its command line and its report).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "errors.h"
#include "recover.h"
#include "trace_opts.h"

static const struct cli_cmd recover_cmd = {
	.name = "recover",
	.synopsis = "[-i] FILE",
	.summary = "Repair a trace that was cut short (recorder killed, disk full, crash), in place:\n"
		   "keep every complete block whose checksum holds, cut the partial tail, and write\n"
		   "a fresh footer index so later commands read it fast. A whole file is left as is.",
	.options = "  -i, --input FILE  the trace to repair (or name it as the only argument)\n"
		   "  -h, --help        show this help\n",
};

int cmd_recover(int argc, char **argv)
{
	/* Only -i and --help of the shared options: --json and
	 * --ignore-corrupt mean nothing to a repair. */
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_trace_opts t = { 0 };
	const char *opt_i, *path;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		enum cli_opt_result r = cli_trace_opt(&t, &recover_cmd, c, optarg);
		if (r == CLI_OPT_NOT_MINE)
			return cli_bad_option(&recover_cmd);
		if (r != CLI_OPT_TAKEN)
			return r == CLI_OPT_HELP_SHOWN ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	opt_i = t.ninputs ? t.inputs[t.ninputs - 1] : NULL;
	/* No default file: this command rewrites what it is given. */
	if (!opt_i && optind >= argc)
		return cli_usage_error(&recover_cmd, "name the trace file to repair");
	int rc = cli_input_path(&recover_cmd, opt_i, argc, argv, optind, &path);
	if (rc)
		return rc;

	struct trec_recover_result res;
	struct trec_err err = { 0 };
	rc = trec_recover(path, &res, &err);
	if (rc < 0) {
		cli_file_error(&recover_cmd, path, CLI_AT_OPEN, rc, trec_errmsg(&err, rc));
		return CLI_EXIT_ERROR;
	}
	if (res.was_whole) {
		printf("%s: file is already whole (%u blocks, footer index present); nothing to do\n",
		       path, res.blocks_kept);
		return CLI_EXIT_OK;
	}
	printf("%s: kept %u blocks", path, res.blocks_kept);
	if (res.blocks_bad)
		printf(", left %u damaged blocks out of the index", res.blocks_bad);
	if (res.old_size > res.cut_at)
		printf(", cut %" PRIu64 " trailing bytes at offset %" PRIu64,
		       res.old_size - res.cut_at, res.cut_at);
	printf(", wrote index (%" PRIu64 " -> %" PRIu64 " bytes)\n", res.old_size, res.new_size);
	if (fflush(stdout) != 0) {
		cli_err(&recover_cmd, "writing output: %s", strerror(errno));
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}
