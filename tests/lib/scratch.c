/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "scratch.h"

static char scratch_dir[256];

const char *scratch_make(const char *tag)
{
	snprintf(scratch_dir, sizeof(scratch_dir), "/tmp/trec-test-%s.XXXXXX", tag);
	assert_non_null(mkdtemp(scratch_dir));
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
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	char *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	return p;
}
