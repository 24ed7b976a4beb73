/* SPDX-License-Identifier: MIT */
/*
 * nofp_c: a program with a known call tree, built -O2 -fomit-frame-pointer
 * (Makefile, samples/nofp), for checking stack unwinders that do not rely
 * on frame pointers. Every function of the tree is noipa (no inlining, no
 * cloning, so no .constprop/.isra names) and sibling calls are off, so the
 * stack is exactly what the source says while each body is optimized and
 * keeps no frame pointer.
 *
 * CPU mode (default): rounds of 100 units of work, split by iteration
 * counts in one leaf, spin(), so the split holds in CPU time:
 *
 *   main > run_cpu > branch_a > branch_a1 > spin                         40%
 *   main > run_cpu > branch_b > spin                                     25%
 *   main > run_cpu > branch_c > branch_c1 > nofp_leaf_c2 > leaf_c3
 *                                                  > leaf_c4 > spin      20%
 *   main > run_cpu > deep_recurse x DEPTH > spin                         15%
 *
 * nofp_leaf_c2, leaf_c3 and leaf_c4 are in libnofp_leaf.so, stripped:
 * leaf_c3 and leaf_c4 are static there, so their names are only in the
 * library's debug file (or its .eh_frame function starts). spin() is
 * called back from the library through a pointer.
 * branch_b has a 3 KiB frame (a large CFA offset); branch_c1 calls alloca,
 * so GCC gives it a frame pointer (CFA from rbp) in an otherwise
 * frame-pointer-free program.
 *
 * Other modes, from known stacks:
 *
 *   -s N,MS   off-CPU: N nanosleeps of MS ms each, from
 *             main > run_block > block_deep x DEPTH > block_leaf > nanosleep
 *   -k K      exactly K getppid system calls, from
 *             main > run_syscalls > sys_outer > sys_inner > getppid
 *
 * Options:
 *   -c SECONDS   CPU mode until this thread used SECONDS of CPU (default 1)
 *   -n ROUNDS    CPU mode for exactly ROUNDS rounds (fixed work)
 *   -d DEPTH     recursion depth of deep_recurse and block_deep (default 40)
 *
 * Prints nothing on stdout; one summary line on stderr. Exit 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nofp_leaf.h"

#define TREE __attribute__((noipa))

/* Iterations of spin() per unit of work: about 40 us on a current x86-64 (a round: 4 ms). */
#define UNIT 40000UL

volatile unsigned long sink;

/* The only leaf that burns CPU: four independent multiply-add chains. */
TREE unsigned long spin(unsigned long iters)
{
	unsigned long x0 = iters, x1 = iters ^ 0x5555, x2 = iters + 7, x3 = iters * 3;
	for (unsigned long i = 0; i < iters; i++) {
		x0 = x0 * 6364136223846793005ull + 1442695040888963407ull;
		x1 = x1 * 2862933555777941757ull + 3037000493ull;
		x2 = x2 * 6364136223846793005ull + 3037000493ull;
		x3 = x3 * 2862933555777941757ull + 1442695040888963407ull;
	}
	return x0 ^ x1 ^ x2 ^ x3;
}

TREE void branch_a1(unsigned units) { sink += spin(units * UNIT); }
TREE void branch_a(unsigned units) { branch_a1(units); sink++; }

/* A 3 KiB frame: the caller's frame is far above the stack pointer. */
TREE void branch_b(unsigned units)
{
	volatile unsigned char buf[3072];
	buf[0] = (unsigned char)units;
	buf[sizeof(buf) - 1] = 1;
	sink += spin(units * UNIT) + buf[0] + buf[sizeof(buf) - 1];
}

/* alloca makes GCC set up rbp as a frame pointer here (CFA = rbp + 16). */
TREE void branch_c1(unsigned units)
{
	volatile unsigned char *p = __builtin_alloca(64 + (units & 63));
	p[0] = 1;
	sink += nofp_leaf_c2(spin, units * UNIT) + p[0];
}
TREE void branch_c(unsigned units) { branch_c1(units); sink++; }

TREE unsigned long deep_recurse(int depth, unsigned units)
{
	unsigned long r = depth > 1 ? deep_recurse(depth - 1, units) : spin(units * UNIT);
	sink += r; /* work after the call: not a tail call, not a loop */
	return r + (unsigned)depth;
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One round is 100 units: 40 + 25 + 20 + 15. */
TREE unsigned long run_cpu(double cpu_seconds, unsigned long rounds, int depth)
{
	unsigned long done = 0;
	double end = thread_cpu() + cpu_seconds;
	while (rounds ? done < rounds : thread_cpu() < end) {
		branch_a(40);
		branch_b(25);
		branch_c(20);
		sink += deep_recurse(depth, 15);
		done++;
	}
	return done;
}

TREE int block_leaf(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return 1;
}

TREE int block_deep(int depth, long ms)
{
	int r = depth > 1 ? block_deep(depth - 1, ms) : block_leaf(ms);
	sink += (unsigned)r;
	return r + 1;
}

TREE void run_block(long n, long ms, int depth)
{
	for (long i = 0; i < n; i++)
		sink += (unsigned)block_deep(depth, ms);
}

TREE void sys_inner(long k)
{
	for (long i = 0; i < k; i++)
		sink += (unsigned long)getppid();
}
TREE void sys_outer(long k) { sys_inner(k); sink++; }
TREE void run_syscalls(long k) { sys_outer(k); sink++; }

static long number(const char *s, const char *what, long min)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		fprintf(stderr, "nofp_c: %s: '%s' is not a number >= %ld\n", what, s, min);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	double cpu_seconds = 1;
	unsigned long rounds = 0;
	long sleeps = -1, sleep_ms = 0, calls = -1;
	int depth = 40, opt;
	while ((opt = getopt(argc, argv, "c:n:d:s:k:")) != -1) {
		switch (opt) {
		case 'c': {
			char *end;
			cpu_seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(cpu_seconds > 0)) {
				fprintf(stderr, "nofp_c: -c: '%s' is not a positive number\n", optarg);
				return 2;
			}
			break;
		}
		case 'n': rounds = (unsigned long)number(optarg, "-n", 1); break;
		case 'd': depth = (int)number(optarg, "-d", 1); if (depth > 1000) depth = 1000; break;
		case 's': {
			char *comma = strchr(optarg, ',');
			if (!comma) {
				fprintf(stderr, "nofp_c: -s N,MS: missing ','\n");
				return 2;
			}
			*comma = '\0';
			sleeps = number(optarg, "-s N", 1);
			sleep_ms = number(comma + 1, "-s MS", 1);
			break;
		}
		case 'k': calls = number(optarg, "-k", 1); break;
		default:
			fprintf(stderr, "usage: nofp_c [-c SECONDS | -n ROUNDS] [-d DEPTH] | -s N,MS [-d DEPTH] | -k K\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nofp_c: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (sleeps > 0) {
		run_block(sleeps, sleep_ms, depth);
		fprintf(stderr, "nofp_c: blocked %ld x %ld ms at depth %d\n", sleeps, sleep_ms, depth);
	} else if (calls > 0) {
		run_syscalls(calls);
		fprintf(stderr, "nofp_c: %ld getppid calls\n", calls);
	} else {
		unsigned long done = run_cpu(cpu_seconds, rounds, depth);
		fprintf(stderr, "nofp_c: %lu rounds, split a/b/c/deep = 40/25/20/15, depth %d, %.2f s CPU\n", done,
			depth, thread_cpu());
	}
	return 0;
}
