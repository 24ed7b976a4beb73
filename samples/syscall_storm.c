/* SPDX-License-Identifier: MIT */
/*
 * syscall_storm: a tight loop of one cheap system call (getppid), for
 * tracing tests and the recorder benchmark. Prints exactly how many calls
 * it made, so a trace can be checked against it.
 *
 *   syscall_storm -n CALLS       make exactly CALLS calls
 *   syscall_storm -s SECONDS     call for SECONDS (decimals allowed)
 *
 * Output (stdout, one line): calls=N seconds=S calls_per_sec=R
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	unsigned long long want = 0, calls = 0;
	double secs = 0;
	int c;
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		if (c == 'n')
			want = strtoull(optarg, NULL, 0);
		else if (c == 's')
			secs = atof(optarg);
		else {
			fprintf(stderr, "usage: syscall_storm -n CALLS | -s SECONDS\n");
			return 2;
		}
	}
	if ((!want && secs <= 0) || (want && secs > 0)) {
		fprintf(stderr, "usage: syscall_storm -n CALLS | -s SECONDS\n");
		return 2;
	}
	double t0 = now(), t = t0;
	if (want) {
		for (; calls < want; calls++)
			syscall(SYS_getppid);
		t = now();
	} else {
		/* Check the clock every 4096 calls: clock_gettime is a vDSO call,
		 * not a system call, so it does not add events. */
		while (t - t0 < secs) {
			for (int i = 0; i < 4096; i++)
				syscall(SYS_getppid);
			calls += 4096;
			t = now();
		}
	}
	printf("calls=%llu seconds=%.3f calls_per_sec=%.0f\n", calls, t - t0, calls / (t - t0));
	return 0;
}
