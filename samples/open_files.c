/* SPDX-License-Identifier: MIT */
/*
 * open_files: opens each path given on the command line once (O_RDONLY,
 * with openat), closes it, and reports the outcome, so a trace of its
 * openat calls can be checked name by name.
 *
 *   open_files PATH...
 *
 * Output: one line per path, "opened PATH" or "failed PATH errno=N".
 * Exit status 0 even when some opens fail (that is part of the test).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: open_files PATH...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int fd = openat(AT_FDCWD, argv[i], O_RDONLY);
		if (fd < 0) {
			printf("failed %s errno=%d\n", argv[i], errno);
			continue;
		}
		close(fd);
		printf("opened %s\n", argv[i]);
	}
	return 0;
}
