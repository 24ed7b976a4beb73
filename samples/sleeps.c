/* SPDX-License-Identifier: MIT */
/*
 * sleeps: sleeps each of the given durations in turn with the nanosleep
 * system call (made directly: glibc's nanosleep() uses clock_nanosleep), so
 * a trace of its system calls holds exactly these sleeps.
 *
 *   sleeps MS [MS...]     e.g. sleeps 3 20 70
 * Prints "slept=N" (the number of sleeps) at the end.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sleeps MS [MS...]\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		long ms = strtol(argv[i], &end, 10);
		if (*end || ms < 0 || ms > 60000) {
			fprintf(stderr, "sleeps: '%s' is not a duration in ms (0-60000)\n", argv[i]);
			return 2;
		}
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
		while (syscall(SYS_nanosleep, &ts, &ts) != 0)
			;
	}
	printf("slept=%d\n", argc - 1);
	return 0;
}
