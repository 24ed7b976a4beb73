/* SPDX-License-Identifier: MIT */
/*
 * What the ELF-reading tests ask of the system's own tools (a shell,
 * readelf, nm) to have an independent answer to compare with. No cmocka
 * here: tests/lib is also linked into tools and benchmarks. Failures
 * return -1 or 0 entries, which the tests' comparisons then catch.
 */
#ifndef TREC_TESTS_ELFTOOLS_H
#define TREC_TESTS_ELFTOOLS_H

#include <stddef.h>
#include <stdint.h>

/* system() of a formatted command line: 0 when it exited 0, else -1. */
int tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether a command is on PATH. */
int tu_have_tool(const char *name);
/* The build-id `readelf -n` prints for path, as bytes: its length, 0 when
 * there is none, -1 when readelf could not be run. */
int tu_readelf_build_id(const char *path, uint8_t *id, size_t max);

/* A function-like symbol as `nm -S --defined-only` prints it. */
struct tu_nmsym {
	uint64_t addr, size;
	char type;
	char name[256];
};
/* Text, weak and ifunc symbols (nm types t T w W i), up to cap. */
size_t tu_nm_functions(const char *path, struct tu_nmsym *v, size_t cap);

#endif
