/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int run_captured(const char *dir, int (*cmd)(int, char **), int argc, char **argv, char **out,
		 char **err)
{
	char po[320], pe[320];
	snprintf(po, sizeof(po), "%s/out.txt", dir);
	snprintf(pe, sizeof(pe), "%s/err.txt", dir);
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	int fo = open(po, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	int fe = open(pe, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (so < 0 || se < 0 || fo < 0 || fe < 0)
		die("redirecting output to", po);
	dup2(fo, 1);
	dup2(fe, 2);
	close(fo);
	close(fe);
	optind = 0; /* each command parses its own options: getopt starts afresh */
	int rc = cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	*out = read_text_file(po);
	*err = read_text_file(pe);
	return rc;
}

int scratch_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		fprintf(stderr, "scratch: /proc/self/fd: %s\n", strerror(errno));
		abort();
	}
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}
