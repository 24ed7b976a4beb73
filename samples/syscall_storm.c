/* SPDX-License-Identifier: MIT */
/*
 * syscall_storm: a tight loop of one cheap system call (getppid), for
 * tracing tests and the recorder benchmark. Prints exactly how many calls
 * it made, so a trace can be checked against it.
 *
 *   syscall_storm -n CALLS       make exactly CALLS calls
 *   syscall_storm -s SECONDS     call for SECONDS (decimals allowed)
 *   syscall_storm -n CALLS -a    known arguments: every call passes 101..106
 *                                (getppid ignores them; a tracer sees them),
 *                                and on x86-64 each is followed by a 32-bit
 *                                compat getppid (int $0x80, number 64) with
 *                                201..205 in ebx, ecx, edx, esi, edi
 *
 * Output (stdout, one line): calls=N seconds=S cpu_s=C calls_per_sec=R (C:
 * the CPU time it used, user + system, which is what a sampler sees), then
 * compat_calls=N with -a.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The 32-bit system call entry, from 64-bit code: the kernel runs it as a
 * compat call, reading arguments from ebx, ecx, edx, esi, edi. It does not
 * keep r8-r11. Returns -1 where there is no such entry. */
static long compat_getppid(void)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(64L), "b"(201L), "c"(202L), "d"(203L), "S"(204L), "D"(205L)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return ret;
#else
	return -1;
#endif
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	unsigned long long want = 0, calls = 0, compat = 0;
	double secs = 0;
	int c, known_args = 0;
	while ((c = getopt(argc, argv, "n:s:a")) != -1) {
		if (c == 'a')
			known_args = 1;
		else if (c == 'n')
			want = strtoull(optarg, NULL, 0);
		else if (c == 's')
			secs = atof(optarg);
		else {
			fprintf(stderr, "usage: syscall_storm -n CALLS [-a] | -s SECONDS\n");
			return 2;
		}
	}
	if ((!want && secs <= 0) || (want && secs > 0) || (known_args && !want)) {
		fprintf(stderr, "usage: syscall_storm -n CALLS [-a] | -s SECONDS\n");
		return 2;
	}
	double t0 = now(), t = t0;
	if (want && known_args) {
		for (; calls < want; calls++) {
			syscall(SYS_getppid, 101L, 102L, 103L, 104L, 105L, 106L);
			if (compat_getppid() >= 0)
				compat++;
		}
		t = now();
	} else if (want) {
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
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
	printf("calls=%llu seconds=%.3f cpu_s=%.3f calls_per_sec=%.0f\n", calls, t - t0, cpu, calls / (t - t0));
	if (known_args)
		printf("compat_calls=%llu\n", compat);
	return 0;
}
