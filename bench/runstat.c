/* SPDX-License-Identifier: MIT */
/*
 * runstat: runs a command and reports what it cost: CPU seconds (user +
 * system, all its threads and waited-for children) and peak RSS, from
 * wait4's rusage. SIGINT and SIGTERM are passed on to the command, so a
 * benchmark can stop a recorder the way a user would.
 *
 *   runstat OUTFILE CMD [ARGS...]    writes "cpu_s=X maxrss_kb=Y status=Z" to OUTFILE
 */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runstat OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	struct sigaction sa = { .sa_handler = forward };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	child = pid;
	int st = 0;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 1;
	double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec * 1e-6;
	fprintf(f, "cpu_s=%.2f maxrss_kb=%ld status=%d\n", cpu, ru.ru_maxrss,
		WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
