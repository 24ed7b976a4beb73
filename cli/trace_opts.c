/* SPDX-License-Identifier: MIT */
#include "filter_args.h"
#include "trace_opts.h"

/* cli_trace_opt sees every option first: its codes must be no other's. */
_Static_assert((int)CLI_OPT_JSON > (int)EVF_OPT_CGROUP, "the shared options' getopt codes overlap the filters'");

enum cli_opt_result cli_trace_opt(struct cli_trace_opts *o, const struct cli_cmd *cmd, int c,
				  const char *arg)
{
	switch (c) {
	case 'i':
		if (o->ninputs == CLI_MAX_INPUTS) {
			cli_usage_error(cmd, "more than %d input files", CLI_MAX_INPUTS);
			return CLI_OPT_BAD;
		}
		o->inputs[o->ninputs++] = arg;
		return CLI_OPT_TAKEN;
	case CLI_OPT_JSON:
		o->json = 1;
		return CLI_OPT_TAKEN;
	case CLI_OPT_IGNORE_CORRUPT:
		o->ignore_corrupt = 1;
		return CLI_OPT_TAKEN;
	case 'h':
		cli_help(cmd);
		return CLI_OPT_HELP_SHOWN;
	default:
		return CLI_OPT_NOT_MINE;
	}
}

int cli_trace_inputs(struct cli_trace_opts *o, const struct cli_cmd *cmd, int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++)
		if (cli_trace_opt(o, cmd, 'i', argv[i]) == CLI_OPT_BAD)
			return CLI_EXIT_USAGE;
	if (!o->ninputs)
		o->inputs[o->ninputs++] = CLI_DEFAULT_INPUT;
	return 0;
}

int cli_trace_input(const struct cli_trace_opts *o, const struct cli_cmd *cmd, int argc, char **argv,
		    int first, const char **path)
{
	return cli_input_path(cmd, o->ninputs ? o->inputs[o->ninputs - 1] : NULL, argc, argv, first, path);
}
