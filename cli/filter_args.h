/* SPDX-License-Identifier: MIT */
/*
 * The event filter options of the analysis commands, from argv into a
 * struct evfilter_opts (report/evfilter.h binds them to a trace).
 */
#ifndef TREC_CLI_FILTER_ARGS_H
#define TREC_CLI_FILTER_ARGS_H

#include <getopt.h>

#include "cli_util.h"
#include "evfilter.h"

/* getopt_long ids of the filter options; commands add EVFILTER_LONGOPTS to
 * their table and pass these ids (with optarg) to evfilter_parse. */
enum {
	EVF_OPT_PID = 0x1000,
	EVF_OPT_TID,
	EVF_OPT_COMM,
	EVF_OPT_CPU,
	EVF_OPT_EVENT,
	EVF_OPT_TIME,
	EVF_OPT_CGROUP,
};
#define EVFILTER_LONGOPTS                                                                          \
	{ "pid", required_argument, NULL, EVF_OPT_PID }, { "tid", required_argument, NULL, EVF_OPT_TID }, \
		{ "comm", required_argument, NULL, EVF_OPT_COMM },                                       \
		{ "cpu", required_argument, NULL, EVF_OPT_CPU },                                         \
		{ "event", required_argument, NULL, EVF_OPT_EVENT },                                     \
		{ "time", required_argument, NULL, EVF_OPT_TIME },                                       \
		{ "cgroup", required_argument, NULL, EVF_OPT_CGROUP }

/* The option lines for --help. */
#define EVFILTER_HELP                                                                              \
	"      --pid PID[,PID]   only these processes (thread groups)\n"                          \
	"      --tid TID[,TID]   only these threads\n"                                            \
	"      --comm GLOB[,..]  only threads whose name matches (fnmatch: 'java*', 'kworker/?')\n" \
	"      --cgroup GLOB[,..] only threads in a matching cgroup v2 path ('/system.slice/*')\n" \
	"      --cpu CPU[,CPU]   only events recorded on these CPUs (ranges: 0-3)\n"              \
	"      --event GLOB[,..] only these event types ('syscalls:sys_enter_*')\n"               \
	"      --time START,END  only events in the window: seconds after the first event\n"      \
	"                        (1.5,3 or 2, or ,0.5), or wall-clock times\n"                     \
	"                        (HH:MM:SS[.frac] on the trace's first day, or\n"                  \
	"                        YYYY-MM-DDTHH:MM:SS[.frac]; local time, TZ applies)\n"

/* Takes one option (EVF_OPT_*). 0, or prints a usage error and returns
 * CLI_EXIT_USAGE. */
int evfilter_parse(struct evfilter_opts *o, const struct cli_cmd *cmd, int opt, const char *arg);

#endif
