/* SPDX-License-Identifier: MIT */
/* trec list: the tracepoints this machine's kernel offers; the functions
 * and USDT probes of a binary or a process (probe_list.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "json.h"
#include "outbuf.h"
#include "record_cmds.h"
#include "plan.h"
#include "probe_list.h"
#include "procfs.h"
#include "tracefs.h"

static const struct cli_cmd list_cmd = {
	.name = "list",
	.synopsis = "[PATTERN | PATH [GLOB] | -p PID [GLOB]] [--json]",
	.summary = "list the tracepoints, or a binary's functions and USDT probes, that can be recorded",
	.options = "  PATTERN        a glob over GROUP:NAME (sched:*, *switch*, syscalls:sys_enter_open*)\n"
		   "  PATH [GLOB]    functions and USDT probes of a binary or library (PATH has a '/';\n"
		   "                 u:NAME[:GLOB] lists functions only, usdt:NAME[:GLOB] USDT probes only,\n"
		   "                 NAME a library or program: u:libc:mall*)\n"
		   "  -p, --pid PID  functions and USDT probes of every file process PID has mapped\n"
		   "      --json     one JSON array (of names; of objects for binaries)\n"
		   "  -h, --help     this help\n",
};

static void list_warn(void *ctx, const char *msg)
{
	cli_warn(ctx, "%s", msg);
}

int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, 0, 'j' }, { "pid", required_argument, 0, 'p' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int json = 0, c;
	uint64_t pid = 0;
	while ((c = getopt_long(argc, argv, "hp:", lo, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'p') {
			if (cli_parse_u64(&list_cmd, "-p", optarg, 1, 4194304, &pid))
				return CLI_EXIT_USAGE;
		} else if (c == 'h') {
			cli_help(&list_cmd);
			return CLI_EXIT_OK;
		} else
			return cli_bad_option(&list_cmd);
	}
	struct trec_err err = { 0 };
	if (pid || (optind < argc && probe_list_is_binary(argv[optind]))) {
		int first = pid ? optind : optind + 1;
		if (argc - first > 1)
			return cli_usage_error(&list_cmd, "one GLOB at most after %s", pid ? "-p PID" : "PATH");
		struct probe_list_opts po = { .sz = sizeof(po), .target = pid ? NULL : argv[optind], .pid = (pid_t)pid,
					      .glob = first < argc ? argv[first] : NULL, .json = json };
		if (pid && procfs_pid_exists((pid_t)pid, &err)) {
			cli_err(&list_cmd, "%s", err.msg);
			return CLI_EXIT_ERROR;
		}
		if (probe_list_run(&po, list_warn, (void *)&list_cmd, &err)) {
			cli_err(&list_cmd, "%s", err.msg);
			return CLI_EXIT_ERROR;
		}
		return CLI_EXIT_OK;
	}
	if (argc - optind > 1)
		return cli_usage_error(&list_cmd, "one PATTERN at most");
	const char *glob = optind < argc ? argv[optind] : NULL;
	char root[512];
	if (plan_tracefs_root(root, sizeof(root), &err)) {
		cli_err(&list_cmd, "%s", err.msg);
		return CLI_EXIT_ERROR;
	}
	struct tp_list l;
	int r = tracefs_list(root, glob, &l, &err);
	if (r) {
		tp_list_free(&l);
		cli_err(&list_cmd, "%s", err.msg);
		return CLI_EXIT_ERROR;
	}
	if (json) {
		struct outbuf ob;
		struct json j;
		if (outbuf_init(&ob, stdout, 1 << 16)) {
			tp_list_free(&l);
			return CLI_EXIT_ERROR;
		}
		json_init(&j, &ob, 0);
		json_arr_begin(&j);
		for (size_t i = 0; i < l.n; i++)
			json_str(&j, l.names[i]);
		json_arr_end(&j);
		json_newline(&j);
		r = outbuf_flush(&ob);
		outbuf_free(&ob);
		tp_list_free(&l);
		return r ? CLI_EXIT_ERROR : CLI_EXIT_OK;
	} else {
		for (size_t i = 0; i < l.n; i++)
			printf("%-60s [Tracepoint event]\n", l.names[i]);
	}
	tp_list_free(&l);
	return fflush(stdout) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
