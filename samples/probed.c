/* SPDX-License-Identifier: MIT */
/*
 * probed: functions and USDT probes with known calls, arguments, return
 * values and durations, for the uprobe/USDT tests, the latency report and
 * the uprobe benchmark.
 *
 *   probed [N]        the run below with N rounds (default 100)
 *   probed -w [N]     the same, after SIGUSR1 (for -p tests: the tracer
 *                     attaches first); prints "ready pid=P" once waiting
 *   probed -W [N]     the same, once a tracer has attached to the USDT
 *                     probe trec_sample:guarded (its semaphore is raised,
 *                     then 200 ms for the tracer's program to be attached;
 *                     gives up with exit 3 after 60 s); prints "ready pid=P"
 *   probed -l CALLS   tight loop: CALLS calls of bench_target(i); prints
 *                     "calls=C seconds=S calls_per_sec=R"
 *
 * One run of N rounds makes, in this order:
 *   add6(i, 2i, 3i, 4i, 5i, 6i) -> 21i         for i = 0..N-1
 *   delta(i, 2i) -> -i                         for i = 0..N-1
 *   USDT trec_sample:tick(i, i*i)              for i = 0..N-1
 *   USDT trec_sample:mixed(int8 -3, uint16 65535, int32 -i, int64 i*10^12)
 *                                              for i = 0..N-1
 *   USDT trec_sample:guarded(i)                for i = 0..N-1, only while
 *                                              traced (its semaphore is set)
 *   greet("alpha") x3, greet("beta") x2, greet("gamma") x1 -> strlen(name);
 *                                              each also fires USDT
 *                                              trec_sample:named(name, strlen)
 *   sleep_us(3000) x3, then sleep_us(12000) x2 (nanosleep; at least that long)
 *   recurse(3) x2: recurse(d) calls recurse(d - 1) while d > 0, sleeps
 *                  (1400 << (d - 1)) us (1400 for d = 0) and returns d; so
 *                  recurse(d) lasts >= 1400 << d us: per call of
 *                  recurse(3), 4 nested calls of >= 11.2, 5.6, 2.8 and
 *                  1.4 ms, one per log2 latency bucket, each well inside it
 * and prints "rounds=N guarded=G" (G: guarded probes fired).
 *
 * Built like every sample (samples/ in the Makefile: frame pointers, no
 * inlining, no sibling calls), so each function is a real call with a
 * frame, and its symbol is in the binary.
 */
#define _GNU_SOURCE
#define _SDT_HAS_SEMAPHORES 1
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <time.h>
#include <unistd.h>

/* With _SDT_HAS_SEMAPHORES every probe of this file has a semaphore the
 * tracer increments when it attaches (sys/sdt.h names them so). */
#define SEMAPHORE(name) \
	__extension__ unsigned short trec_sample_##name##_semaphore __attribute__((unused, section(".probes")))
SEMAPHORE(tick);
SEMAPHORE(mixed);
SEMAPHORE(guarded);
SEMAPHORE(named);

__attribute__((noinline)) long add6(long a, long b, long c, long d, long e, long f)
{
	return a + b + c + d + e + f;
}

__attribute__((noinline)) long delta(long a, long b)
{
	return a - b;
}

__attribute__((noinline)) size_t greet(const char *name)
{
	size_t n = strlen(name);
	DTRACE_PROBE2(trec_sample, named, name, n);
	return n;
}

__attribute__((noinline)) void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) int recurse(int depth)
{
	if (depth > 0)
		recurse(depth - 1);
	sleep_us(depth > 0 ? 1400L << (depth - 1) : 1400);
	return depth;
}

/* The benchmark's probed function: a real call that does almost nothing. */
__attribute__((noinline)) long bench_target(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void rounds(long n)
{
	long guarded = 0, sink = 0;
	for (long i = 0; i < n; i++)
		sink += add6(i, 2 * i, 3 * i, 4 * i, 5 * i, 6 * i);
	for (long i = 0; i < n; i++)
		sink += delta(i, 2 * i);
	for (long i = 0; i < n; i++)
		DTRACE_PROBE2(trec_sample, tick, i, i * i);
	for (long i = 0; i < n; i++) {
		int8_t s8 = -3;
		uint16_t u16 = 65535;
		int32_t s32 = (int32_t)-i;
		int64_t s64 = i * 1000000000000LL;
		DTRACE_PROBE4(trec_sample, mixed, s8, u16, s32, s64);
	}
	for (long i = 0; i < n; i++)
		if (trec_sample_guarded_semaphore) {
			DTRACE_PROBE1(trec_sample, guarded, i);
			guarded++;
		}
	static const char *const names[] = { "alpha", "alpha", "alpha", "beta", "beta", "gamma" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sink += (long)greet(names[i]);
	for (int i = 0; i < 3; i++)
		sleep_us(3000);
	for (int i = 0; i < 2; i++)
		sleep_us(12000);
	for (int i = 0; i < 2; i++)
		sink += recurse(3);
	printf("rounds=%ld guarded=%ld sink=%ld\n", n, guarded, sink);
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	int wait = 0, wait_sema = 0;
	if (argc > 1 && !strcmp(argv[1], "-l")) {
		long calls = argc > 2 ? strtol(argv[2], NULL, 0) : 0, sink = 0;
		if (calls <= 0) {
			fprintf(stderr, "usage: probed -l CALLS\n");
			return 2;
		}
		double t0 = now();
		for (long i = 0; i < calls; i++)
			sink += bench_target(i);
		double t = now() - t0;
		printf("calls=%ld seconds=%.3f calls_per_sec=%.0f sink=%ld\n", calls, t, (double)calls / t, sink);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "-w") || !strcmp(argv[1], "-W"))) {
		wait = argv[1][1] == 'w';
		wait_sema = !wait;
		argv++;
		argc--;
	}
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	if (n < 0 || n > 100000000) {
		fprintf(stderr, "usage: probed [-w | -W] [ROUNDS] | probed -l CALLS\n");
		return 2;
	}
	if (wait) {
		sigset_t set, old;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		signal(SIGUSR1, on_usr1);
		sigprocmask(SIG_BLOCK, &set, &old);
		printf("ready pid=%d\n", (int)getpid());
		fflush(stdout);
		int sig;
		sigwait(&set, &sig);
	}
	if (wait_sema) {
		printf("ready pid=%d\n", (int)getpid());
		fflush(stdout);
		for (int ms = 0; !trec_sample_guarded_semaphore; ms++) {
			if (ms == 60000)
				return 3;
			poll(NULL, 0, 1); /* not nanosleep: the tests count those */
		}
		/* The kernel raises the semaphore when it registers the probe
		 * (perf_event_open), a moment before the tracer's program is
		 * attached to that event: hits in between reach no program. */
		poll(NULL, 0, 200);
	}
	rounds(n);
	return 0;
}
