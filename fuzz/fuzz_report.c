/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a whole trace file through `trec report`'s views, as a
 * user runs them: the summary (by pid, and by cgroup with --cgroup),
 * --latency syscalls, a pair latency, --hist, --top and --folded
 * (symbolizing from the file's own tables), and trec script. The first input byte picks the views; the
 * rest is the file. Output goes to /dev/null; errors are expected, crashes,
 * hangs and leaks are not.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"

static void run(int (*cmd)(int, char **), const char *const *args, const char *path)
{
	char *argv[16];
	int argc = 0;
	for (; args[argc] && argc < 12; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc++] = (char *)"-i";
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	cmd(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		/* The views print to stdout; their complaints to stderr stay. */
		if (!freopen("/dev/null", "w", stdout))
			return 0;
		setenv("TREC_THREADS", "1", 1); /* script: no pool threads per input */
		quiet = 1;
	}
	if (size < 1)
		return 0;
	unsigned pick = data[0];
	int fd = memfd_create("trec-fuzz-report", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		static const char *const views[][8] = {
			{ "report", NULL },
			{ "report", "--by", "cgroup", "--cgroup", "/*", "--csv", NULL },
			{ "report", "--latency", "syscalls", "--by", "tid", NULL },
			{ "report", "--latency", "*,*", "--json", NULL },
			{ "report", "--hist", "*:id", "--linear", "7", NULL },
			{ "report", "--top", "--json", NULL },
			{ "report", "--folded", "--show-tid", NULL },
			{ "script", "--json", NULL },
		};
		for (unsigned v = 0; v < 8; v++)
			if (pick & (1u << v))
				run(v == 7 ? cmd_script : cmd_report, views[v], path);
	}
	close(fd);
	return 0;
}
