/* SPDX-License-Identifier: MIT */
/*
 * A scratch directory per test program, and whole-file reads: what the
 * unit tests that write trace files (or capture a command's output) share.
 * Test code: a failure prints what and where, then aborts.
 */
#ifndef TREC_TEST_SCRATCH_H
#define TREC_TEST_SCRATCH_H

/* Creates /tmp/trec-test-TAG.XXXXXX and returns its path (kept until
 * scratch_remove). One scratch directory per program. */
const char *scratch_make(const char *tag);
/* The directory scratch_make created. */
const char *scratch_root(void);
/* TAG's directory joined with `name`; four results stay valid at a time. */
const char *scratch_path(const char *name);
/* Removes the directory and everything in it; 0 on success. */
int scratch_remove(void);
/* The whole file, NUL-terminated, malloc'd. */
char *read_text_file(const char *path);
/* Runs a command's entry point in this process (argv NULL-terminated) with
 * stdout and stderr going to out.txt and err.txt under `dir`, then puts
 * them back; *out and *err get the texts (malloc'd). Returns its status. */
int run_captured(const char *dir, int (*cmd)(int, char **), int argc, char **argv, char **out,
		 char **err);
/* How many file descriptors this process has open (tests check that they
 * leave none behind). */
int scratch_count_fds(void);

#endif
