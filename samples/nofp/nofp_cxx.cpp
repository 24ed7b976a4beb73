// SPDX-License-Identifier: MIT
/*
 * nofp_cxx: the C++ counterpart of nofp_c (same build: -O2
 * -fomit-frame-pointer, every function of the tree noipa, no sibling
 * calls), with namespaces, a class template instantiated for two types, a
 * virtual call, and a lambda passed to std::sort, so that frames of
 * libstdc++'s templates sit between user frames.
 *
 * CPU mode (default): rounds of 100 units, split by iteration counts in one
 * leaf, nofp::spin(), so the split holds in CPU time:
 *
 *   main > nofp::run_cpu > nofp::work::dispatch > (virtual)
 *        nofp::work::IntTask::run > nofp::work::Accum<unsigned long>::churn > nofp::spin   40%
 *   main > nofp::run_cpu > nofp::work::dispatch > (virtual)
 *        nofp::work::FloatTask::run > nofp::work::Accum<double>::churn > nofp::spin        25%
 *   main > nofp::run_cpu > nofp::sorting::sort_path > std::sort > std::sort's helpers (std::__introsort_loop,
 *        std::__insertion_sort, ...: none or more frames) > sort_path's lambda > nofp::spin  20%
 *   main > nofp::run_cpu > nofp::deep::recurse x DEPTH > nofp::spin                          15%
 *
 * The sort's comparisons are counted once at start (the input is fixed),
 * and each comparison spins 20 units / comparisons, so the path costs 20
 * units like the others (the sort itself adds well under 1%).
 *
 * Other modes, from known stacks:
 *
 *   -s N,MS   off-CPU: N nanosleeps of MS ms each, from
 *             main > nofp::blocking::run > nofp::blocking::block_deep x DEPTH
 *                  > nofp::blocking::block_leaf > nanosleep
 *   -k K      exactly K getppid system calls, from
 *             main > nofp::sys::run > nofp::sys::outer > nofp::sys::inner > getppid
 *
 * Options:
 *   -c SECONDS   CPU mode until this thread used SECONDS of CPU (default 1)
 *   -n ROUNDS    CPU mode for exactly ROUNDS rounds (fixed work)
 *   -d DEPTH     recursion depth of recurse and block_deep (default 40)
 *
 * Prints nothing on stdout; one summary line on stderr. Exit 0.
 */
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include <unistd.h>

#define TREE __attribute__((noipa))

namespace nofp {

volatile unsigned long sink;

// Iterations of spin() per unit of work: about 40 us on a current x86-64 (a round: 4 ms).
constexpr unsigned long UNIT = 40000;

// The only leaf that burns CPU: four independent multiply-add chains.
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

namespace work {

template <typename T> class Accum {
public:
	explicit Accum(T seed) : total_(seed) {}
	TREE T churn(unsigned units)
	{
		unsigned long r = spin(units * UNIT);
		total_ += static_cast<T>(r & 0xff);
		return total_;
	}

private:
	T total_;
};

struct Task {
	virtual ~Task() = default;
	virtual unsigned long run(unsigned units) = 0;
};

struct IntTask final : Task {
	TREE unsigned long run(unsigned units) override { return acc_.churn(units) + 1; }
	Accum<unsigned long> acc_{1};
};

struct FloatTask final : Task {
	TREE unsigned long run(unsigned units) override { return static_cast<unsigned long>(acc_.churn(units)) + 1; }
	Accum<double> acc_{0.5};
};

// Takes a Task& it cannot see through: the call below stays virtual.
TREE unsigned long dispatch(Task &task, unsigned units)
{
	unsigned long r = task.run(units);
	sink += r;
	return r;
}

} // namespace work

namespace sorting {

unsigned long compares;  // comparisons made (all sorts)
unsigned long per_sort; // comparisons of one sort of the fixed input

TREE void sort_path(std::vector<int> &scratch, const std::vector<int> &input, unsigned long iters_per_cmp)
{
	scratch = input;
	auto less = [iters_per_cmp](int a, int b) __attribute__((noipa)) {
		compares++;
		if (iters_per_cmp)
			sink += spin(iters_per_cmp);
		return a < b;
	};
	// Called through a pointer, std::sort is a frame of its own: GCC would
	// otherwise inline its insertion-sort part here, and the lambda would
	// sometimes be called from sort_path directly.
	using It = std::vector<int>::iterator;
	void (*volatile sorter)(It, It, decltype(less)) = std::sort<It, decltype(less)>;
	sorter(scratch.begin(), scratch.end(), less);
	sink += static_cast<unsigned long>(scratch[0]);
}

} // namespace sorting

namespace deep {

TREE unsigned long recurse(int depth, unsigned units)
{
	unsigned long r = depth > 1 ? recurse(depth - 1, units) : spin(units * UNIT);
	sink += r; // work after the call: not a tail call, not a loop
	return r + static_cast<unsigned>(depth);
}

} // namespace deep

static double thread_cpu()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One round is 100 units: 40 + 25 + 20 + 15.
TREE unsigned long run_cpu(double cpu_seconds, unsigned long rounds, int depth)
{
	std::vector<std::unique_ptr<work::Task>> tasks;
	tasks.push_back(std::make_unique<work::IntTask>());
	tasks.push_back(std::make_unique<work::FloatTask>());

	// A fixed, shuffled input of 64 keys: the same comparisons every round.
	std::vector<int> input(64), scratch;
	unsigned seed = 12345;
	for (int &v : input) {
		seed = seed * 1103515245u + 12345u;
		v = static_cast<int>(seed >> 8);
	}
	sorting::compares = 0;
	sorting::sort_path(scratch, input, 0);
	sorting::per_sort = sorting::compares ? sorting::compares : 1;
	unsigned long per_cmp = 20 * UNIT / sorting::per_sort;

	unsigned long done = 0;
	double end = thread_cpu() + cpu_seconds;
	while (rounds ? done < rounds : thread_cpu() < end) {
		work::dispatch(*tasks[0], 40);
		work::dispatch(*tasks[1], 25);
		sorting::sort_path(scratch, input, per_cmp);
		sink += deep::recurse(depth, 15);
		done++;
	}
	return done;
}

namespace blocking {

TREE int block_leaf(long ms)
{
	timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return 1;
}

TREE int block_deep(int depth, long ms)
{
	int r = depth > 1 ? block_deep(depth - 1, ms) : block_leaf(ms);
	sink += static_cast<unsigned>(r);
	return r + 1;
}

TREE void run(long n, long ms, int depth)
{
	for (long i = 0; i < n; i++)
		sink += static_cast<unsigned>(block_deep(depth, ms));
}

} // namespace blocking

namespace sys {

TREE void inner(long k)
{
	for (long i = 0; i < k; i++)
		sink += static_cast<unsigned long>(getppid());
}
TREE void outer(long k)
{
	inner(k);
	sink++;
}
TREE void run(long k)
{
	outer(k);
	sink++;
}

} // namespace sys

} // namespace nofp

static long number(const char *s, const char *what, long min)
{
	char *end;
	errno = 0;
	long v = std::strtol(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		std::fprintf(stderr, "nofp_cxx: %s: '%s' is not a number >= %ld\n", what, s, min);
		std::exit(2);
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
			cpu_seconds = std::strtod(optarg, &end);
			if (end == optarg || *end || !(cpu_seconds > 0)) {
				std::fprintf(stderr, "nofp_cxx: -c: '%s' is not a positive number\n", optarg);
				return 2;
			}
			break;
		}
		case 'n': rounds = static_cast<unsigned long>(number(optarg, "-n", 1)); break;
		case 'd': depth = static_cast<int>(std::min(number(optarg, "-d", 1), 1000L)); break;
		case 's': {
			char *comma = std::strchr(optarg, ',');
			if (!comma) {
				std::fprintf(stderr, "nofp_cxx: -s N,MS: missing ','\n");
				return 2;
			}
			*comma = '\0';
			sleeps = number(optarg, "-s N", 1);
			sleep_ms = number(comma + 1, "-s MS", 1);
			break;
		}
		case 'k': calls = number(optarg, "-k", 1); break;
		default:
			std::fprintf(stderr,
				     "usage: nofp_cxx [-c SECONDS | -n ROUNDS] [-d DEPTH] | -s N,MS [-d DEPTH] | -k K\n");
			return 2;
		}
	}
	if (optind != argc) {
		std::fprintf(stderr, "nofp_cxx: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (sleeps > 0) {
		nofp::blocking::run(sleeps, sleep_ms, depth);
		std::fprintf(stderr, "nofp_cxx: blocked %ld x %ld ms at depth %d\n", sleeps, sleep_ms, depth);
	} else if (calls > 0) {
		nofp::sys::run(calls);
		std::fprintf(stderr, "nofp_cxx: %ld getppid calls\n", calls);
	} else {
		unsigned long done = nofp::run_cpu(cpu_seconds, rounds, depth);
		std::fprintf(stderr,
			     "nofp_cxx: %lu rounds, split int/float/sort/deep = 40/25/20/15, depth %d, %lu comparisons per sort\n",
			     done, depth, nofp::sorting::per_sort);
	}
	return 0;
}
