/* SPDX-License-Identifier: MIT */
/*
 * The options of every command that names stack frames -- --no-kernel,
 * --no-user, --symfs DIR, --debug-dir DIR, --demangle, --no-demangle --
 * parsed in one place (trec report's stack views, trec convert). A
 * command puts CLI_STACK_LONGOPTS in its getopt table and hands each
 * option to cli_stack_opt() before its own switch.
 */
#ifndef TREC_CLI_STACK_OPTS_H
#define TREC_CLI_STACK_OPTS_H

#include <getopt.h>

#include "cli_util.h"

/* getopt codes (apart from trace_opts.h's and the filters'). */
enum {
	CLI_OPT_NO_KERNEL = 0x3000,
	CLI_OPT_NO_USER,
	CLI_OPT_SYMFS,
	CLI_OPT_DEBUG_DIR,
	CLI_OPT_DEMANGLE,
	CLI_OPT_NO_DEMANGLE,
};

#define CLI_STACK_LONGOPTS                                                                                   \
	{ "no-kernel", no_argument, NULL, CLI_OPT_NO_KERNEL }, { "no-user", no_argument, NULL, CLI_OPT_NO_USER }, \
		{ "symfs", required_argument, NULL, CLI_OPT_SYMFS },                                          \
		{ "debug-dir", required_argument, NULL, CLI_OPT_DEBUG_DIR },                                  \
		{ "demangle", no_argument, NULL, CLI_OPT_DEMANGLE },                                          \
		{ "no-demangle", no_argument, NULL, CLI_OPT_NO_DEMANGLE }

struct cli_stack_opts {
	int no_kernel, no_user;
	const char *symfs, *debug_dir; /* checked to be directories */
	int no_demangle;               /* the last of --demangle/--no-demangle wins, as in perf */
};

/* 0: one of these options, recorded; 1: not one of them; CLI_EXIT_USAGE
 * after a message (a --symfs/--debug-dir that is not a directory). */
int cli_stack_opt(struct cli_stack_opts *o, const struct cli_cmd *cmd, int c, const char *arg);

#endif
