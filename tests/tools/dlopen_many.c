/* SPDX-License-Identifier: MIT */
/*
 * dlopen_many DIR SECONDS: loads every *.so in DIR (in name order), calls
 * each one's `work` function once, then burns CPU for SECONDS in main, so a
 * recording sees one process with as many executable mappings as DIR has
 * libraries (tests/e2e/unwind_memory.t). Prints the number loaded on
 * stderr; exits 1 if a library cannot be loaded.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_library(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 3 && !strcmp(d->d_name + n - 3, ".so");
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: dlopen_many DIR SECONDS\n");
		return 2;
	}
	struct dirent **ents;
	int n = scandir(argv[1], &ents, is_library, by_name);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	int loaded = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], ents[i]->d_name);
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			fprintf(stderr, "dlopen_many: %s\n", dlerror());
			return 1;
		}
		int (*work)(int) = (int (*)(int))dlsym(h, "work");
		if (work)
			work(i);
		loaded++;
		free(ents[i]);
	}
	free(ents);
	fprintf(stderr, "dlopen_many: %d libraries loaded\n", loaded);
	double end = now() + atof(argv[2]);
	volatile unsigned long x = 0;
	while (now() < end)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
	return 0;
}
