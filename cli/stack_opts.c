/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "filter_args.h"
#include "stack_opts.h"
#include "trace_opts.h"

/* cli_stack_opt may see options before the command's switch: its codes
 * must be no other's. */
_Static_assert((int)CLI_OPT_NO_KERNEL > (int)CLI_OPT_IGNORE_CORRUPT &&
		       (int)CLI_OPT_NO_KERNEL > (int)EVF_OPT_CGROUP,
	       "the stack options' getopt codes overlap others'");

static int check_dir(const struct cli_cmd *cmd, const char *opt, const char *dir)
{
	struct stat st;
	if (!dir[0])
		return cli_usage_error(cmd, "%s: empty directory name", opt);
	if (stat(dir, &st) < 0)
		return cli_usage_error(cmd, "%s %s: %s", opt, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_usage_error(cmd, "%s %s: not a directory", opt, dir);
	return 0;
}

int cli_stack_opt(struct cli_stack_opts *o, const struct cli_cmd *cmd, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_NO_KERNEL:
		o->no_kernel = 1;
		return 0;
	case CLI_OPT_NO_USER:
		o->no_user = 1;
		return 0;
	case CLI_OPT_SYMFS:
	case CLI_OPT_DEBUG_DIR:
		if (check_dir(cmd, c == CLI_OPT_SYMFS ? "--symfs" : "--debug-dir", arg))
			return CLI_EXIT_USAGE;
		*(c == CLI_OPT_SYMFS ? &o->symfs : &o->debug_dir) = arg;
		return 0;
	case CLI_OPT_DEMANGLE:
	case CLI_OPT_NO_DEMANGLE:
		o->no_demangle = c == CLI_OPT_NO_DEMANGLE;
		return 0;
	default:
		return 1;
	}
}
