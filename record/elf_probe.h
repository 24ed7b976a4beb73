/* SPDX-License-Identifier: MIT */
/*
 * What a binary offers to dynamic probes: its function symbols (every
 * name, aliases included: a probe is named by what the user typed), its
 * USDT probes (.note.stapsdt, as sys/sdt.h writes them) and its loadable
 * segments, which turn a symbol's address into the file offset the kernel
 * places a uprobe at.
 *
 *     file_offset = vaddr - p_vaddr + p_offset
 *
 * of the executable PT_LOAD segment that holds vaddr.
 *
 * Files are untrusted (anyone can name any file): opened only if regular,
 * read by libelf without mmap, symbol and note counts and name lengths
 * bounded, every failure a message naming the file.
 */
#ifndef TREC_RECORD_ELF_PROBE_H
#define TREC_RECORD_ELF_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"

#define ELF_PROBE_MAX_FUNCS (4u << 20)
#define ELF_PROBE_MAX_NOTES 65536
#define ELF_PROBE_MAX_NAME 4096
#define ELF_PROBE_MAX_SEGS 32

struct elf_func {
	const char *name;
	uint64_t addr; /* st_value: a virtual address */
	uint64_t size; /* st_size (0: unknown) */
	uint8_t ifunc; /* STT_GNU_IFUNC: the address is the resolver's */
};

/* One USDT probe site (a .note.stapsdt note). */
struct usdt_note {
	const char *provider, *name;
	const char *args; /* "-4@%edi 8@-16(%rbp)": one spec per argument */
	uint64_t pc, base, semaphore;
	uint32_t nargs;
};

struct elf_seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

struct elf_probe_info {
	struct elf_func *funcs;  /* sorted by name, then address; one per (name, address) */
	size_t nfuncs;
	struct usdt_note *notes; /* in file order */
	size_t nnotes;
	struct elf_seg segs[ELF_PROBE_MAX_SEGS];
	size_t nsegs;
	struct tarena arena;     /* owns the names and arrays */
};

#define ELF_PROBE_FUNCS 0x1
#define ELF_PROBE_USDT 0x2

/* Reads what `what` asks for from the ELF file at path. 0, or a negative
 * errno with err naming the file: -ENOENT/-EACCES, -ENOEXEC (not an ELF
 * executable or library, or corrupt), -E2BIG (over a bound), -ENOMEM. */
int elf_probe_read(const char *path, unsigned what, struct elf_probe_info *out, struct trec_err *err);
void elf_probe_free(struct elf_probe_info *info);

/* The file offset of vaddr, which must lie in an executable segment's
 * file-backed part. 0 or -ERANGE. */
int elf_probe_offset(const struct elf_probe_info *info, uint64_t vaddr, uint64_t *off);

/* The functions named exactly `name`: returns how many and sets *first to
 * the index of the first (the array is sorted by name). */
size_t elf_probe_find(const struct elf_probe_info *info, const char *name, size_t *first);

/* The function whose [addr, addr + size) holds vaddr, or NULL. */
const struct elf_func *elf_probe_func_at(const struct elf_probe_info *info, uint64_t vaddr);

/*
 * A USDT probe (provider:name) may have several sites, one note each.
 * Whether note i is its probe's first site, and if so its site count and
 * the most arguments any of its sites has.
 */
int elf_probe_usdt_first(const struct elf_probe_info *info, size_t i, uint32_t *sites, uint32_t *nargs);

/*
 * Parses one NT_STAPSDT note descriptor: three addresses (pc, the
 * .stapsdt.base address at link time, the semaphore; 8 bytes each for
 * ELF64, 4 for ELF32, in the file's byte order, swapped when `swap`),
 * then provider, name and argument strings, each NUL-terminated. Strings
 * are copied into the arena. 0 or -EINVAL (malformed) / -ENOMEM.
 */
int usdt_note_parse(const void *desc, size_t len, int elf64, int swap, struct tarena *a, struct usdt_note *out);

/* Arguments in a USDT argument string: its space-separated specs. */
uint32_t usdt_arg_count(const char *args);

#endif
