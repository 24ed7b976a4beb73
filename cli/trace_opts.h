/* SPDX-License-Identifier: MIT */
/*
 * The options every command that reads traces shares -- -i/--input,
 * --json, --ignore-corrupt and --help -- parsed in one place, so they mean
 * the same thing, with the same messages, in each command. A command puts
 * CLI_TRACE_LONGOPTS in its getopt table ("i:h" in its short options) and
 * hands every option to cli_trace_opt() before its own switch.
 */
#ifndef TREC_CLI_TRACE_OPTS_H
#define TREC_CLI_TRACE_OPTS_H

#include <getopt.h>
#include <stddef.h>

#include "cli_util.h"

#define CLI_MAX_INPUTS 256

/* getopt codes of the shared long options (above any command's own). */
enum { CLI_OPT_JSON = 0x2000, CLI_OPT_IGNORE_CORRUPT };

#define CLI_TRACE_LONGOPTS                                                                                     \
	{ "input", required_argument, NULL, 'i' }, { "json", no_argument, NULL, CLI_OPT_JSON },                \
		{ "ignore-corrupt", no_argument, NULL, CLI_OPT_IGNORE_CORRUPT },                                \
		{ "help", no_argument, NULL, 'h' }

struct cli_trace_opts {
	const char *inputs[CLI_MAX_INPUTS]; /* every -i, in order */
	size_t ninputs;
	int json;
	int ignore_corrupt;
};

/* What cli_trace_opt made of an option. */
enum cli_opt_result {
	CLI_OPT_TAKEN = 0,   /* one of the shared options: recorded in o */
	CLI_OPT_NOT_MINE,    /* the command's own: its switch handles it */
	CLI_OPT_HELP_SHOWN,  /* --help printed: exit 0 */
	CLI_OPT_BAD,         /* a usage error was printed: exit CLI_EXIT_USAGE */
};
enum cli_opt_result cli_trace_opt(struct cli_trace_opts *o, const struct cli_cmd *cmd, int c,
				  const char *arg);

/* For a command that reads several traces: the positional arguments
 * from argv[first] on join the -i ones, and with none at all the default
 * trace is read. 0 or CLI_EXIT_USAGE after a message. */
int cli_trace_inputs(struct cli_trace_opts *o, const struct cli_cmd *cmd, int argc, char **argv, int first);

/* The one trace of a command that reads one: the last -i, else the single
 * positional argument, else the default (cli_input_path's rules). 0 or
 * CLI_EXIT_USAGE after a message. */
int cli_trace_input(const struct cli_trace_opts *o, const struct cli_cmd *cmd, int argc, char **argv,
		    int first, const char **path);

#endif
