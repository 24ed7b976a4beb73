/* SPDX-License-Identifier: MIT */
/*
 * Naming stack frames from the trace file alone: no access to the machine
 * that recorded it (the analysis half links libc + libzstd). Only when the
 * caller names directories of symbol files (symfs, debug_dir) are files
 * read, with the small ELF reader of report/elfsyms.c.
 *
 * Built once from a reader:
 *  - per process, its mappings as a timeline: a mapping applies from its
 *    ts on; an exec of the process, or a fork that creates it (pid reuse),
 *    starts a fresh address space. A forked child also sees its parent's
 *    mappings as they were at the fork (perf reports no mmaps for what a
 *    child inherits);
 *  - DSO symbol tables, found by build-id (by path when a mapping has no
 *    build-id), and JIT tables ("/tmp/perf-PID.map", absolute addresses,
 *    for that pid's anonymous or unmapped memory);
 *  - kernel symbols, sorted.
 * Memory grows with mappings and symbols, never with events; every lookup
 * is a binary search.
 *
 * User address arithmetic (what the recorder stored, docs/format-records.md):
 *   file_offset = ip - map.start + map.pgoff
 *   symbol addr = file_offset + dso.load_bias   (ELF st_value space)
 *   a symbol covers [addr, addr + size); size 0: up to the next symbol.
 * Kernel: a symbol covers up to the next symbol's address; past the last
 * symbol nothing is known.
 */
#ifndef TREC_SYMBOLIZE_H
#define TREC_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct trec_reader;
struct trec_map;
struct symbolizer;

struct symbolizer_opts {
	size_t sz;             /* sizeof(struct symbolizer_opts) */
	/*
	 * Where to look for fuller symbol tables than the trace has (either
	 * may be NULL; docs/SYMBOLS.md). For each mapped file, in this order:
	 *   DEBUG_DIR/.build-id/xx/rest.debug   (by the mapping's build-id)
	 *   DEBUG_DIR/PATH, DEBUG_DIR/PATH.debug
	 *   SYMFS/PATH
	 * PATH is the mapping's path from the trace: only absolute paths
	 * without "." or ".." components are joined, so nothing outside
	 * these directories is opened. A file must carry the mapping's
	 * build-id when the mapping has one (else that of the trace's table
	 * for it, when that has one). The one with the most symbols replaces
	 * the trace's table when it has more than that table; its load bias
	 * comes from the file when the file holds its code, else from the
	 * trace's table, a real binary found there, or the executable
	 * mapping (elfsyms.h: debug files).
	 */
	const char *symfs;
	const char *debug_dir;
	/*
	 * Names as the binary spells them (mangled C++ and Rust) rather than
	 * the demangled names the recorder stored beside them (perf's
	 * --no-demangle). Tables read from symfs / debug_dir have raw names
	 * only, whatever this says.
	 */
	int no_demangle;
};

/* What the search under symfs / debug_dir found (all 0 without them). */
struct symbolizer_ext_stats {
	uint32_t dsos;       /* mapped files looked up there */
	uint32_t found;      /* files found and read */
	uint32_t used;       /* mapped files now named from one of them */
	uint32_t mismatched; /* files with another build-id than the mapping's: ignored */
	uint32_t unreadable; /* files that could not be read as ELF: ignored */
	uint32_t no_bias;    /* debug files not used: where their code was loaded is unknown */
	/* the first of each kind, for one line on stderr (NULL when none) */
	const char *mismatch_msg;
	const char *unreadable_msg;
	const char *no_bias_path;
};

struct sym_result {
	const char *name;  /* function name (demangled unless no_demangle), or NULL */
	const char *dso;   /* basename of the mapped file, "[anon]", "perf-PID.map",
			    * "[kernel.kallsyms]" or "[module]"; NULL when nothing
			    * covers the address */
	uint64_t offset;   /* ip - symbol start when named; in a function that has
			    * no symbol but an .eh_frame FDE (fde), the file offset
			    * of that function's start; else the file offset of ip
			    * (the offset in the region for anonymous memory); else ip */
	int found;         /* a symbol names the address */
	int fde;           /* no symbol, but inside an FDE function: see offset */
	int kernel;        /* looked up as a kernel address */
	const char *raw_name;        /* user symbols: the name as the binary spells it */
	const struct trec_map *map;  /* the user mapping that covers ip (its path,
				      * build-id, start, pgoff), or NULL */
};

/*
 * Loads maps, tasks, DSO tables and kernel symbols through `r` (which must
 * outlive the symbolizer: names point into the reader's records).
 * 0, or a negative errno with `err` saying what failed.
 */
int symbolizer_new(struct trec_reader *r, const struct symbolizer_opts *o, struct symbolizer **out,
		   struct trec_err *err);
void symbolizer_free(struct symbolizer *s);

/*
 * Names `ip` as process `pid` saw it at `ts` (kernel != 0: a kernel
 * address; pid and ts are then ignored). Fills *res in every case.
 * 0 when a mapping or kernel symbol covers the address (res->found says
 * whether a symbol names it), -ENOENT when nothing does.
 */
int symbolize(struct symbolizer *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel,
	      struct sym_result *res);

/*
 * Frame i of a stack (nk kernel frames, then the user frames, leaf first):
 * every frame but the first of each side is a return address, one past
 * its call. The call can be the last instruction of its function (a
 * noreturn call, such as exit's call of __run_exit_handlers), and the
 * return address then lies past that function's end: symbolize_frame
 * names a return address by ip - 1, as unwinders do, and reports offsets
 * from ip itself (an FDE function's offset stays its start).
 */
static inline int sym_frame_is_return(size_t i, size_t nk)
{
	return i != 0 && i != nk;
}
int symbolize_frame(struct symbolizer *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel, int is_return,
		    struct sym_result *res);

/*
 * Which version of pid's address space `ts` falls in: two events of one pid
 * with the same generation see exactly the same mappings, so a caller that
 * aggregates by (pid, generation, stack) may symbolize each group once, at
 * any of its timestamps. Cheap: a binary search.
 */
uint32_t symbolizer_generation(struct symbolizer *s, uint32_t pid, uint64_t ts);

/*
 * One frame as text in buf (always NUL-terminated when len > 0):
 *   "func"               a symbol names it
 *   "libfoo.so+0x1a00"   no symbol, but an FDE function holds it: DSO + the
 *                        file offset of that function's start (one name for
 *                        every address of the function)
 *   "libfoo.so+0x1a2b"   a mapping covers it but nothing else: DSO + file offset
 *   "[unknown]"          nothing covers it
 * Returns buf.
 */
const char *sym_format(const struct sym_result *r, char *buf, size_t len);

/* Memory the symbolizer's own indexes hold (not the reader's records). */
size_t symbolizer_mem_bytes(const struct symbolizer *s);

void symbolizer_ext_stats(const struct symbolizer *s, struct symbolizer_ext_stats *st);

#endif
