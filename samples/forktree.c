/* SPDX-License-Identifier: MIT */
/*
 * forktree: a process tree of known shape. The root forks FANOUT
 * children; each child forks FANOUT more, down to DEPTH levels. Every
 * process names itself "ft-L-I" (level, index among its siblings) and
 * leaves exec this program again as "ft-leaf" (an exec in the tree), then
 * exit with status 7. Each process prints one line before it ends:
 *
 *   node pid=P ppid=Q level=L comm=NAME
 *
 * so a trace can be checked for every pid and comm, including those that
 * exited long before the recording stopped.
 *
 *   forktree DEPTH FANOUT        (DEPTH <= 4, FANOUT <= 4)
 *   forktree --leaf              (internal: the exec'd leaf)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(int level, const char *comm)
{
	printf("node pid=%d ppid=%d level=%d comm=%s\n", getpid(), getppid(), level, comm);
	fflush(stdout);
}

static int node(const char *self, int level, int index, int depth, int fanout)
{
	char comm[16];
	snprintf(comm, sizeof(comm), "ft-%d-%d", level, index);
	prctl(PR_SET_NAME, comm);
	if (level == depth) {
		report(level, comm);
		execl(self, "ft-leaf", "--leaf", (char *)NULL);
		perror("forktree: exec");
		return 1;
	}
	for (int i = 0; i < fanout; i++) {
		pid_t p = fork();
		if (p < 0) {
			perror("forktree: fork");
			return 1;
		}
		if (p == 0)
			_exit(node(self, level + 1, i, depth, fanout));
	}
	int st, bad = 0;
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 7;
	report(level, comm);
	return bad ? 1 : (level ? 7 : 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--leaf")) {
		/* exec named us "forktree" (the file's name); rename once more. */
		prctl(PR_SET_NAME, "ft-leaf");
		report(-1, "ft-leaf");
		return 7;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: forktree DEPTH FANOUT\n");
		return 2;
	}
	int depth = atoi(argv[1]), fanout = atoi(argv[2]);
	if (depth < 1 || depth > 4 || fanout < 1 || fanout > 4) {
		fprintf(stderr, "forktree: DEPTH 1..4, FANOUT 1..4\n");
		return 2;
	}
	/* Re-exec needs our own path: /proc/self/exe survives a rename. */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	return node(self, 0, 0, depth, fanout);
}
