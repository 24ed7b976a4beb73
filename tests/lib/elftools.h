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

/* p_vaddr - p_offset of the first executable PT_LOAD, as `readelf -lW`
 * shows it: 0 and *found = 0 when there is none or readelf failed. */
uint64_t tu_readelf_load_bias(const char *path, int *found);
/* The [start, end) of every FDE of a file, from `readelf --debug-dump=
 * frames` (binutils reads .eh_frame on its own: a truth independent of
 * record/cfi.c), up to cap. */
size_t tu_readelf_fdes(const char *path, uint64_t (*v)[2], size_t cap);
/* sh_size of the section `name`, from `readelf -SW`; 0 when not found. */
uint64_t tu_readelf_section_size(const char *path, const char *name);

/* A function-like symbol as `nm -S --defined-only` prints it. */
struct tu_nmsym {
	uint64_t addr, size;
	char type;
	char name[256];
};
/* Text, weak and ifunc symbols (nm types t T w W i), up to cap. */
size_t tu_nm_functions(const char *path, struct tu_nmsym *v, size_t cap);


/* ---- the ELF test programs, shared by the ELF readers' tests ---------------
 *
 * tu_prog_src: known functions: a global, a static, aliases (global vs
 * global: the shorter name wins; local vs global: the global wins), and an
 * assembler function without .size (its size is the distance to the next
 * one):
 *	trec_global_fn  trec_local_fn (static)
 *	trec_alias_long_target_name  trec_al (its alias)
 *	trec_lc (static)  trec_global_alias_of_local (its global alias)
 *	trec_nosize (no .size)  trec_after
 * Run with an argument, it prints "NAME ADDR MAPSTART MAPOFF" (hex) for
 * trec_global_fn, trec_local_fn and main (and printf when the argument is
 * "libc"): an address inside the function and the mapping that holds it,
 * what a stack and its mapping record would say.
 *
 * tu_lib_src, tu_lib2_src: two shared libraries, each an exported function
 * that calls static ones: es_lib_work -> es_lib_static (and es_lib_other);
 * es2_work -> es2_static, es2_static_b.
 */
/*
 * tu_labels_asm: hand-written code (assemble with cc -shared -nostdlib):
 * sized_fn (3 bytes, with an untyped jump target inner_target inside it),
 * then an untyped entry point asm_entry (as ld.so's _start) holding an
 * assembler-local .Lloop, then after_fn.
 */
extern const char tu_labels_asm[];
struct trec_dso_syms;
/* What a reader must make of tu_labels_asm's symbols (d, read from it):
 * NULL when all holds, else what does not. */
const char *tu_labels_check(const struct trec_dso_syms *d);
extern const char tu_prog_src[];
extern const char tu_lib_src[];
extern const char tu_lib2_src[];

/* Writes len bytes to path (created or truncated): 0 or -1. */
int tu_write_file(const char *path, const void *data, size_t len);
/* The whole file, malloc'd with a NUL after it; NULL on failure. */
void *tu_slurp(const char *path, size_t *len);
/* Writes DIR/prog.c (tu_prog_src) unless it exists and compiles it to
 * `out` with `cc -O1 -g -fno-inline CFLAGS`: 0, or -1 when that failed. */
int tu_build_prog(const char *dir, const char *out, const char *cflags);

#endif
