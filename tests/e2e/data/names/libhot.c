/* names.t: a shared library stripped of .symtab whose hot code is three
 * static functions (no symbol in .dynsym), about 60/30/10 of the time,
 * called from its one exported function. */
#include <time.h>

#define NOIPA __attribute__((noipa))

static NOIPA double hot_alpha(double a, int n)
{
	for (int i = 0; i < n; i++)
		a = a * 1.0000001 + 0.25;
	return a;
}

static NOIPA double hot_beta(double a, int n)
{
	for (int i = 0; i < n; i++)
		a = a * 0.9999999 + 0.5;
	return a;
}

static NOIPA double hot_gamma(double a, int n)
{
	for (int i = 0; i < n; i++)
		a = a * 1.0000002 - 0.125;
	return a;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double hot_run(double secs)
{
	double a = 0, t0 = now();
	while (now() - t0 < secs) {
		a = hot_alpha(a, 600000);
		a = hot_beta(a, 300000);
		a = hot_gamma(a, 100000);
	}
	return a;
}
