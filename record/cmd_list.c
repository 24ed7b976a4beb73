/* SPDX-License-Identifier: MIT */
/* trec list: the tracepoints this machine's kernel offers. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "json.h"
#include "outbuf.h"
#include "record_cmds.h"
#include "plan.h"
#include "tracefs.h"

static const struct cli_cmd list_cmd = {
	.name = "list",
	.synopsis = "[PATTERN] [--json]",
	.summary = "list the tracepoints that can be recorded",
	.options = "  PATTERN        a glob over GROUP:NAME (sched:*, *switch*, syscalls:sys_enter_open*)\n"
		   "      --json     one JSON array of names\n"
		   "  -h, --help     this help\n",
};

int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int json = 0, c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			cli_help(&list_cmd);
			return CLI_EXIT_OK;
		} else
			return cli_bad_option(&list_cmd);
	}
	if (argc - optind > 1)
		return cli_usage_error(&list_cmd, "one PATTERN at most");
	const char *glob = optind < argc ? argv[optind] : NULL;
	struct trec_err err = { 0 };
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
