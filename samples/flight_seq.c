/* SPDX-License-Identifier: MIT */
/*
 * flight_seq: a numbered sequence of system calls with known truth, for
 * the flight recorder's tests (tests/e2e/flight.t). Number n is one
 * close(FLIGHT_SEQ_BASE + n): an fd no process has, so the call fails
 * with EBADF and does nothing, but syscalls:sys_enter_close shows n in
 * its fd field.
 *
 *   flight_seq FIRST LAST [PID]   close FIRST..LAST in order, one thread;
 *                                 then, with PID, send it SIGUSR2 (a
 *                                 snapshot trigger for trec record
 *                                 --overwrite)
 *
 * Prints "emitted FIRST..LAST" on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FLIGHT_SEQ_BASE 1000000L

static long number(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1000000000L) {
		fprintf(stderr, "flight_seq: %s '%s' is not a number from 0 to 1000000000\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: flight_seq FIRST LAST [PID]\n");
		return 2;
	}
	long first = number(argv[1], "FIRST"), last = number(argv[2], "LAST");
	for (long n = first; n <= last; n++)
		syscall(SYS_close, FLIGHT_SEQ_BASE + n); /* EBADF, by design */
	printf("emitted %ld..%ld\n", first, last);
	fflush(stdout);
	if (argc == 4) {
		pid_t pid = (pid_t)number(argv[3], "PID");
		if (kill(pid, SIGUSR2)) {
			perror("flight_seq: kill");
			return 1;
		}
	}
	return 0;
}
