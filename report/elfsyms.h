/* SPDX-License-Identifier: MIT */
/*
 * Function symbols of an ELF file, for the analysis half: `trec report
 * --symfs DIR / --debug-dir DIR` reads the fuller tables a user has (a
 * debug file, an unstripped copy) for DSOs the trace has no or only a
 * thin table for. The analysis half links libc + libzstd only, so this is
 * not libelf but the bounded reader of lib/elfread.h (plain bounded reads,
 * pread or a memory image, every offset, size and count from the file
 * checked before use), taking ELF64 little-endian files only.
 *
 * It produces what the recorder's symtab_read_elf (record/symtab.c)
 * produces for the same file, apart from .gnu_debugdata (an xz stream:
 * no liblzma here; a debug file has the full .symtab anyway):
 *  - function symbols (STT_FUNC, STT_GNU_IFUNC), defined, value != 0,
 *    from .symtab when it has any, else from .dynsym;
 *  - one per address: a global (or weak) name over a local one, then the
 *    shorter, then the first in byte order;
 *  - size: st_size, else the largest among the aliases, else the distance
 *    to the next symbol cut at the end of its section (or executable
 *    segment);
 *  - names cut at ELFSYMS_MAX_NAME bytes; at most ELFSYMS_MAX_SYMS;
 *  - build-id: the NT_GNU_BUILD_ID note (PT_NOTE segments first, then
 *    SHT_NOTE sections);
 *  - load_bias: p_vaddr - p_offset of the first executable PT_LOAD
 *    (docs/SYMBOLS.md, record/symtab.h).
 *
 * Separate debug files (objcopy --only-keep-debug, what distributions
 * ship under /usr/lib/debug) keep the program headers' addresses but not
 * their file offsets: their code sections are NOBITS and the executable
 * segment has no bytes in the file, and objcopy rewrites its p_offset
 * (a GNU ld PIE's 0x1000 becomes 0). For such a file load_bias is what
 * its headers say and info.bias_known is 0: the caller must take the
 * bias from elsewhere (the trace's own table, the real binary, or the
 * executable mapping; report/symbolize.c).
 */
#ifndef TREC_ELFSYMS_H
#define TREC_ELFSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "records.h"

#define ELFSYMS_MAX_SYMS (4u << 20)        /* function symbols kept from one file */
#define ELFSYMS_MAX_NAME 4096              /* longer names are cut (== TREC_MAX_NAME) */
/* The reader's own limits (lib/elfread.h) also apply: symbol table
 * entries, string table bytes, sections, program headers. */

/* What else the file says, for a caller that has to place the table. */
struct elfsyms_info {
	int from_symtab;      /* the symbols came from .symtab (else .dynsym, or there were none) */
	int bias_known;       /* the file holds its code: load_bias is the loaded file's. 0 for a
			       * separate debug file (code sections NOBITS) */
	uint32_t nexec;       /* executable PT_LOAD segments */
	uint64_t exec_vaddr;  /* the first of them: p_vaddr, p_memsz, p_align */
	uint64_t exec_memsz;
	uint64_t exec_align;
};

/*
 * Reads the function symbols of `path` (a regular file; anything else is
 * refused before it is opened for reading). When want_len > 0 the file
 * must carry that build-id: a file without one, or with another, is
 * -ESTALE (checked before the symbols are read). `info` may be NULL.
 *
 * Fills *out (path = `path`, names and arrays in the arena). Returns 0,
 * or a negative errno with err naming the file: -ENOENT, -EACCES, ...
 * (cannot open), -EINVAL (not a regular file), -ENOEXEC (not a 64-bit
 * little-endian ELF executable or shared library, truncated, corrupt),
 * -ESTALE (build-id), -E2BIG (over a limit), -EIO, -ENOMEM.
 */
int elfsyms_read_file(const char *path, const uint8_t *want_bid, size_t want_len, struct tarena *a,
		      struct trec_dso_syms *out, struct elfsyms_info *info, struct trec_err *err);

/* The same from an image in memory; `name` is for messages and out->path. */
int elfsyms_read_mem(const void *image, size_t len, const char *name, const uint8_t *want_bid,
		     size_t want_len, struct tarena *a, struct trec_dso_syms *out, struct elfsyms_info *info,
		     struct trec_err *err);

#endif
