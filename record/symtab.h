/* SPDX-License-Identifier: MIT */
/*
 * Symbol tables read at record time, so that a trace names every frame of
 * its stacks later, on a machine that has none of the binaries.
 *
 * User space: one table per DSO (struct trec_dso_syms), keyed by build-id.
 * Kernel: a kallsyms snapshot, cut down to the symbols the stacks use.
 * JITs: /tmp/perf-PID.map, stored as a DSO table of absolute addresses.
 *
 * Address arithmetic (user space). A stack holds runtime addresses; a
 * mapping record (struct trec_map) says where the file was mapped. A
 * reader turns a runtime address `addr` inside mapping `map` into the
 * address a symbol of the table has (st_value, an ELF virtual address):
 *
 *     file_offset = addr - map.start + map.pgoff
 *     sym_addr    = file_offset + load_bias
 *
 * then looks for the symbol with the greatest addr <= sym_addr and checks
 * sym_addr < addr + size. load_bias is p_vaddr - p_offset of the file's
 * first executable PT_LOAD segment: 0 for PIEs and shared libraries from
 * GNU ld (their text is linked where it sits in the file), 0x400000 for a
 * classic x86-64 non-PIE executable, often 0x1000 for lld output. The
 * arithmetic is modulo 2^64, so p_vaddr < p_offset still works. The bias
 * is the executable segment's because that is where stacks point: lld
 * gives its segments different biases, and an address in another segment
 * (data) may need that segment's bias instead.
 *
 * For a perf map (JIT code, anonymous memory) addresses are absolute: the
 * table has load_bias 0 and the reader compares runtime addresses with
 * the symbols directly.
 *
 * Inputs are untrusted: an ELF file may be hostile (a process can map
 * anything), /tmp/perf-PID.map may be written by anybody. Every reader
 * here is bounded (symbol count, name length, decompressed size), never
 * crashes on malformed input, and fails with a message naming the file.
 *
 * Memory: every table, array and string goes into the caller's arena; the
 * functions allocate nothing else that outlives the call.
 */
#ifndef TREC_RECORD_SYMTAB_H
#define TREC_RECORD_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "records.h"

#define SYMTAB_MAX_SYMS (4u << 20)              /* function symbols of one table */
#define SYMTAB_MAX_NAME 4096                    /* longer names are cut (== TREC_MAX_NAME) */
#define SYMTAB_MAX_DEBUGDATA (256u << 20)       /* decompressed .gnu_debugdata */
#define SYMTAB_MAX_PERFMAP_LINE 8192            /* longer perf map lines are rejected */

/*
 * Function symbols of the ELF executable or shared library `path`; when
 * fd >= 0 the file is read from fd (not closed, offset unused) and path is
 * only its name. Symbols: STT_FUNC and STT_GNU_IFUNC, defined, value != 0,
 * from .symtab when present else .dynsym, plus the .symtab of the
 * xz-compressed mini-debuginfo in .gnu_debugdata when present. One symbol
 * per address: aliases collapse to a global name over a local one, then
 * the shorter name, then the first in byte order (malloc, not
 * __libc_malloc). Size: st_size, or the distance to the next symbol when
 * st_size is 0 (bounded by the end of its executable segment, and by the
 * function its .eh_frame FDE describes). A mangled C++ or Rust name gets
 * its demangled form as perf 6.1 shows it (cplus_demangle(name,
 * DMGL_NO_OPTS); cut at SYMTAB_MAX_NAME bytes). Every FDE function that no
 * symbol covers becomes an unnamed entry (TREC_SYM_FDE, name ""), so that
 * a stripped file's static functions still group samples by function.
 *
 * Fills out (build_id, path, load_bias, nsyms, syms sorted by addr).
 * Returns 0, or a negative errno with err naming the file: -ENOENT/-EACCES
 * (cannot open), -ENOEXEC (not an ELF executable or library, corrupt),
 * -E2BIG (over a limit), -ENOMEM.
 */
int symtab_read_elf(const char *path, int fd, struct tarena *a, struct trec_dso_syms *out,
		    struct trec_err *err);

/*
 * Text symbols of /proc/kallsyms (or a file in its format): types t T w W,
 * vmlinux and module ("name\t[module]") symbols, sorted by address; at one
 * address the preferred name comes first (global, then shorter). Addresses
 * shown as 0 (kptr_restrict, or not root) are an error (-EPERM) that says
 * to run as root or set kernel.kptr_restrict=0. *out is in the arena.
 * path NULL means /proc/kallsyms. The parsing is ksyms_parse_kallsyms's.
 */
int symtab_read_kallsyms(const char *path, struct tarena *a, struct trec_ksym **out, size_t *n,
			 struct trec_err *err);

/*
 * /tmp/perf-PID.map, written by JITs (one "START SIZE name" per line, hex
 * START and SIZE, optional 0x, name to the end of the line) as a DSO table:
 * path "/tmp/perf-PID.map", no build-id, load_bias 0, absolute addresses.
 * Malformed lines (and lines over SYMTAB_MAX_PERFMAP_LINE, size 0, no
 * name) are skipped: a JIT may be writing the file while we read it. When
 * a JIT reuses an address, the later line wins. At most SYMTAB_MAX_SYMS
 * lines are read. The file must be a regular file owned by root or by the
 * process's user (when the process still exists): /tmp is writable by all.
 * Returns 0, -ENOENT quietly (err untouched) when there is no map, or a
 * negative errno with err set.
 */
int symtab_read_perfmap(int pid, struct tarena *a, struct trec_dso_syms *out, struct trec_err *err);

/* ---- cache ------------------------------------------------------------------ */

/*
 * Reads each file once per build-id (a library mapped by a thousand
 * processes, or the same build installed under two paths, is one table),
 * or once per (dev, inode, size, mtime) when it has no build-id. Failures
 * are cached too, so a broken file costs one parse. Tables live in the
 * cache's arena until symtab_cache_free. Not thread-safe.
 */
struct symtab_cache;

struct symtab_cache_stats {
	uint64_t lookups;  /* symtab_cache_get calls */
	uint64_t hits;     /* answered without reading symbols */
	uint64_t parses;   /* files whose symbols were read */
	uint64_t failures; /* parses that failed */
	size_t tables;     /* distinct tables held */
	size_t arena_bytes;
};

/* 0 or -ENOMEM. */
int symtab_cache_new(struct symtab_cache **out);
void symtab_cache_free(struct symtab_cache *c);

/*
 * The table of `path` (or of fd when fd >= 0; path names it in messages
 * and in the table). Only regular files are opened. Returns 1 when this
 * call read the table (it is new: write it to the trace), 0 when it came
 * from the cache (already handed out once), or a negative errno; then
 * symtab_cache_errmsg() says why. *dso stays valid until the cache is freed.
 */
int symtab_cache_get(struct symtab_cache *c, const char *path, int fd,
		     const struct trec_dso_syms **dso);
/* The message of the last failed symtab_cache_get. */
const char *symtab_cache_errmsg(const struct symtab_cache *c);
void symtab_cache_stats(const struct symtab_cache *c, struct symtab_cache_stats *st);

#endif
