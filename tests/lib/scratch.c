/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scratch.h"

static char scratch_dir[256];

/* tests/lib is linked into the tools too, which have no cmocka: a failure
 * here ends the test program, which its TAP plan then reports. */
static void die(const char *what, const char *path)
{
	fprintf(stderr, "scratch: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

const char *scratch_make(const char *tag)
{
	snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/trec-test-%s.XXXXXX", tag);
	if (!mkdtemp(scratch_dir))
		die("creating", scratch_dir);
	return scratch_dir;
}

const char *scratch_root(void)
{
	return scratch_dir;
}

const char *scratch_path(const char *name)
{
	/* A few at once: tests name a source and a copy in one call. */
	static char p[4][320];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", scratch_dir, name);
	return p[k];
}

int scratch_remove(void)
{
	if (!scratch_dir[0])
		return 0;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
	return system(cmd) == 0 ? 0 : -1;
}

char *read_text_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("opening", path);
	long n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET))
		die("seeking in", path);
	char *p = malloc((size_t)n + 1);
	if (!p)
		die("allocating for", path);
	if (fread(p, 1, (size_t)n, f) != (size_t)n)
		die("reading", path);
	p[n] = 0;
	fclose(f);
	return p;
}
