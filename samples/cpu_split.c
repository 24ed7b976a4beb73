/* SPDX-License-Identifier: MIT */
/*
 * cpu_split: burns CPU in three named functions in a known ratio, for
 * profiler tests: 60% in hot_a (through hot_a_inner: a nested frame),
 * 30% in hot_b, 10% in hot_c, all called from work() from main().
 * Nothing but arithmetic in the hot loops: no system calls, so every
 * sample lands in those functions.
 *
 *   cpu_split SECONDS       for SECONDS of wall-clock time
 *   cpu_split -c SECONDS    until it has used SECONDS of CPU time: as many
 *                           samples on a busy machine as on an idle one
 *
 * Prints the number of inner loops it ran: work done, for comparing a
 * traced run with an untraced one.
 *
 * Built with frame pointers and without inlining (Makefile), so every
 * frame is on the stack a profiler walks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

volatile unsigned long sink;
static unsigned long loops; /* work done: a throughput to compare traced and untraced runs */

/* Burns `units` units of CPU work in the calling frame's callee. Work is
 * counted in iterations, not wall time, so the 6:3:1 split holds in CPU
 * time (what a profiler samples) even when other processes preempt us. */
__attribute__((noinline)) static unsigned long spin(unsigned units)
{
	unsigned long x = 0;
	for (unsigned long u = 0; u < (unsigned long)units * 250; u++) {
		for (int i = 0; i < 2000; i++)
			x = x * 2862933555777941757ull + 3037000493ull;
		loops++;
	}
	return x;
}

__attribute__((noinline)) void hot_a_inner(void) { sink += spin(6); }
__attribute__((noinline)) void hot_a(void) { hot_a_inner(); sink++; }
__attribute__((noinline)) void hot_b(void) { sink += spin(3); }
__attribute__((noinline)) void hot_c(void) { sink += spin(1); }

/* CPU time of this thread: a system call (the vDSO has no CPU clocks),
 * made once per round of some milliseconds. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((noinline)) void work(double seconds, int cpu_time)
{
	double (*clock)(void) = cpu_time ? cpu_now : now;
	double end = clock() + seconds;
	while (clock() < end) {
		hot_a();
		hot_b();
		hot_c();
	}
}

int main(int argc, char **argv)
{
	int cpu_time = argc == 3 && !strcmp(argv[1], "-c");
	if (argc != 2 + cpu_time || atof(argv[argc - 1]) <= 0) {
		fprintf(stderr, "usage: cpu_split [-c] SECONDS\n");
		return 2;
	}
	work(atof(argv[argc - 1]), cpu_time);
	printf("split a/b/c = 60/30/10 loops=%lu\n", loops);
	return 0;
}
