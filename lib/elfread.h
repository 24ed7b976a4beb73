/* SPDX-License-Identifier: MIT */
/*
 * A bounded, validating ELF reader: headers, build-id notes and symbol
 * tables of an ELF file, for both halves (report/elfsyms.c reads symbols
 * at report time, record/buildid.c reads build-ids while recording). It
 * knows nothing of traces and needs libc only.
 *
 * Files are untrusted. The file is never mapped: every piece is copied out
 * with a checked read (pread from a file, memcpy from an image), so a file
 * that shrinks while it is read is a read error, never SIGBUS, and no
 * offset, size or count from the file is used before it is checked against
 * the file's size and the limits below. Errors are a negative errno and a
 * message naming the file and what is wrong with it.
 *
 * ELF32 and ELF64, little- and big-endian, any file type: callers that
 * want less (elfsyms reads 64-bit little-endian executables and libraries
 * only) check elfread.class64, .le and .type after elfread_open_*.
 *
 * Use:
 *	struct elfread e;
 *	elfread_open_fd(&e, fd, path, &err)      the ELF header
 *	elfread_load_headers(&e, 0, &err)         program and section headers
 *	elfread_build_id(&e, id, &err)            notes
 *	elfread_syms_open / _each / _close        one symbol table
 *	elfread_close(&e)                         (does not close fd)
 */
#ifndef TREC_LIB_ELFREAD_H
#define TREC_LIB_ELFREAD_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define ELFREAD_MAX_BUILD_ID 64          /* longer build-id notes are ignored */
#define ELFREAD_MAX_NOTE (1u << 20)      /* bytes of one note segment or section; larger: skipped */
#define ELFREAD_MAX_SECTIONS (1u << 18)
#define ELFREAD_MAX_PHDRS 65536
#define ELFREAD_MAX_SYM_ENTRIES (16u << 20) /* entries of one symbol table */
#define ELFREAD_MAX_STRTAB (256u << 20)     /* bytes of one string table */

/* ELF constants this reader's users need, spelled out: no <elf.h>
 * dependency, and the values are fixed by the format. */
enum {
	ELFREAD_ET_EXEC = 2, ELFREAD_ET_DYN = 3,
	ELFREAD_PT_LOAD = 1, ELFREAD_PT_NOTE = 4, ELFREAD_PF_X = 1,
	ELFREAD_SHT_SYMTAB = 2, ELFREAD_SHT_STRTAB = 3, ELFREAD_SHT_NOTE = 7, ELFREAD_SHT_NOBITS = 8,
	ELFREAD_SHT_DYNSYM = 11,
	ELFREAD_SHF_ALLOC = 2, ELFREAD_SHF_EXECINSTR = 4,
	ELFREAD_SHN_UNDEF = 0, ELFREAD_SHN_LORESERVE = 0xff00,
	ELFREAD_STT_NOTYPE = 0, ELFREAD_STT_FUNC = 2, ELFREAD_STT_GNU_IFUNC = 10, ELFREAD_STB_LOCAL = 0,
	ELFREAD_NT_GNU_BUILD_ID = 3,
};

/* Headers, widened to 64 bits and host byte order whatever the file's. */
struct elfread_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct elfread_shdr {
	uint32_t type, link, info;
	uint64_t flags, addr, offset, size, align, entsize;
};

struct elfread {
	/* the source */
	const char *name; /* for messages; not copied */
	int fd;           /* -1: the image */
	const uint8_t *mem;
	uint64_t size;
	/* the ELF header */
	int class64; /* 1: ELFCLASS64, 0: ELFCLASS32 */
	int le;      /* 1: little-endian */
	uint16_t type;
	uint64_t phoff, shoff;
	uint16_t phentsize, shentsize, phnum_raw, shnum_raw;
	/* the tables, after elfread_load_headers */
	uint32_t phnum, shnum;
	struct elfread_phdr *ph;
	struct elfread_shdr *sh;
};

/*
 * Reads and checks the ELF header: magic, class, byte order, version.
 * -ENOEXEC (not ELF, truncated, unknown class, byte order or version),
 * -EIO (read error), -EINVAL (bad arguments). The fd's offset is not used
 * (pread) and the fd is not closed by elfread_close.
 */
int elfread_open_fd(struct elfread *e, int fd, const char *name, struct trec_err *err);
/* The same from an image in memory, which must outlive e. */
int elfread_open_mem(struct elfread *e, const void *image, size_t len, const char *name,
		     struct trec_err *err);

/* Lenient load, as libelf reads: a program or section header table that
 * is absurd or lies past the end of the file reads as empty instead of
 * failing the load, so what the other table holds can still be read (a
 * truncated file keeps its PT_NOTE segments near the start), and an entry
 * size other than the standard one is ignored (entries are always read at
 * the standard size). */
#define ELFREAD_SKIP_BAD_TABLES 1u

/*
 * Reads the program and section headers (extended numbering included),
 * after checking their entry sizes, counts (ELFREAD_MAX_PHDRS,
 * ELFREAD_MAX_SECTIONS: -E2BIG) and that they lie inside the file
 * (-ENOEXEC). -ENOMEM, -EIO.
 */
int elfread_load_headers(struct elfread *e, unsigned flags, struct trec_err *err);

/* Frees the tables; does not close the fd. */
void elfread_close(struct elfread *e);

/* Copies [off, off + len) to dst: -ENOEXEC naming `what` when it lies past
 * the end of the file, -EIO on a read error or when the file shrank. */
int elfread_read(const struct elfread *e, uint64_t off, uint64_t len, void *dst, const char *what,
		 struct trec_err *err);
/* Whether n entries of `ent` bytes at off lie inside the file (no overflow). */
int elfread_fits(const struct elfread *e, uint64_t off, uint64_t n, uint64_t ent);

/*
 * The NT_GNU_BUILD_ID note: PT_NOTE segments first (what the loader maps;
 * they survive stripping the section headers), then SHT_NOTE sections.
 * A note block that is empty, larger than ELFREAD_MAX_NOTE or not inside
 * the file is skipped (a debug file's PT_NOTE may describe bytes it no
 * longer has), and so is a malformed note. Returns the build-id's length
 * (1..ELFREAD_MAX_BUILD_ID), 0 when there is none, or -ENOMEM / -EIO.
 */
int elfread_build_id(const struct elfread *e, uint8_t id[ELFREAD_MAX_BUILD_ID], struct trec_err *err);

/* One symbol table entry. */
struct elfread_sym {
	const char *name; /* NUL-terminated, inside the string table (maybe
			   * empty); NULL when no NUL follows st_name there */
	uint64_t value, size;
	uint32_t shndx;
	uint8_t type, bind; /* STT_*, STB_* */
};

/* A symbol table and its string table, read whole (the names point into it
 * until elfread_syms_close). */
struct elfread_syms {
	uint32_t ndx;   /* section */
	const char *what;
	uint64_t n;     /* entries, the null symbol 0 included */
	uint64_t offset;
	unsigned entsize;
	char *str;
	uint64_t strsz;
	uint64_t name_end; /* names must start below this: the last NUL */
};

/*
 * Opens symbol table section `ndx` (SHT_SYMTAB or SHT_DYNSYM; `what` names
 * it in messages, ".symtab"). Checks the entry size, the count
 * (ELFREAD_MAX_SYM_ENTRIES: -E2BIG), that the table lies inside the file,
 * and, when it has entries besides the null symbol, that it links to a
 * string table of at most ELFREAD_MAX_STRTAB bytes inside the file, which
 * is then read. -ENOEXEC, -E2BIG, -ENOMEM, -EIO.
 */
int elfread_syms_open(const struct elfread *e, uint32_t ndx, const char *what, struct elfread_syms *s,
		      struct trec_err *err);

/* Calls fn for every entry but the null symbol, in order, reading the
 * table in chunks; stops at the first non-zero return of fn (returned). */
typedef int (*elfread_sym_fn)(const struct elfread_sym *sym, void *ctx);
int elfread_syms_each(const struct elfread *e, const struct elfread_syms *s, elfread_sym_fn fn, void *ctx,
		      struct trec_err *err);

void elfread_syms_close(struct elfread_syms *s);

#endif
