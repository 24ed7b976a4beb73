/* SPDX-License-Identifier: MIT */
/*
 * A bounded ELF64 little-endian symbol reader (see elfsyms.h).
 *
 * The file is never mapped: every piece is copied out with a checked
 * read (pread for a file, memcpy for an image), so a file that shrinks
 * while it is read is a read error, never SIGBUS, and nothing past what
 * was checked is ever touched. What is read: the ELF header, the program
 * headers, the section headers, note segments/sections (at most 1 MiB
 * each), one symbol table (in chunks) and its string table (at most
 * ELFSYMS_MAX_STRTAB). All counts are capped before anything is
 * allocated for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsyms.h"
#include "symtab_build.h"

/* ELF constants, spelled out: this half has no <elf.h> dependency to
 * worry about, and the values are fixed by the format. */
enum {
	EHDR_SIZE = 64, PHDR_SIZE = 56, SHDR_SIZE = 64, SYM_SIZE = 24,
	ET_EXEC_ = 2, ET_DYN_ = 3,
	PT_LOAD_ = 1, PT_NOTE_ = 4, PF_X_ = 1,
	SHT_SYMTAB_ = 2, SHT_STRTAB_ = 3, SHT_NOTE_ = 7, SHT_NOBITS_ = 8, SHT_DYNSYM_ = 11,
	SHF_ALLOC_ = 2, SHF_EXECINSTR_ = 4,
	SHN_UNDEF_ = 0, SHN_LORESERVE_ = 0xff00, SHN_XINDEX_ = 0xffff,
	PN_XNUM_ = 0xffff,
	STT_FUNC_ = 2, STT_GNU_IFUNC_ = 10, STB_LOCAL_ = 0,
	NT_GNU_BUILD_ID_ = 3,
};

#define NOTE_MAX (1u << 20)  /* bytes of one note segment or section */
#define MAX_EXEC_SEGS 16     /* remembered to bound guessed sizes */
#define CHUNK_SYMS 2048      /* symbol entries per read */

/* ---- reading the file --------------------------------------------------------------- */

struct src {
	const char *name;
	int fd;             /* -1: the image */
	const uint8_t *mem;
	uint64_t size;
};

/* Copies [off, off + len) of the file to dst; an error naming `what` when
 * it lies past the end (or the file shrank). */
static int src_read(const struct src *s, uint64_t off, uint64_t len, void *dst, const char *what,
		    struct trec_err *err)
{
	if (off > s->size || len > s->size - off)
		return trec_errf(err, -ENOEXEC,
				 "%s: %s (%" PRIu64 " bytes at offset %" PRIu64 ") lies past the end of the "
				 "file (%" PRIu64 " bytes): truncated or corrupt",
				 s->name, what, len, off, s->size);
	if (s->fd < 0) {
		if (len)
			memcpy(dst, s->mem + off, (size_t)len);
		return 0;
	}
	uint8_t *p = dst;
	while (len) {
		size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = pread(s->fd, p, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			return trec_errf(err, -EIO, "%s: reading %s: %s", s->name, what, strerror(e));
		}
		if (n == 0)
			return trec_errf(err, -EIO, "%s: reading %s: the file shrank while it was read", s->name,
					 what);
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Whether n entries of `ent` bytes at off fit in the file (no overflow). */
static int fits(const struct src *s, uint64_t off, uint64_t n, uint64_t ent)
{
	return off <= s->size && (ent == 0 || n <= (s->size - off) / ent);
}

/* ---- headers ---------------------------------------------------------------------------- */

struct shdr {
	uint32_t type;
	uint32_t link;
	uint32_t info;
	uint64_t flags, addr, offset, size, align, entsize;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct elf {
	struct src s;
	uint16_t type;
	uint64_t phoff, shoff;
	uint32_t phnum, shnum;
	struct phdr *ph;
	struct shdr *sh;
	/* layout */
	uint64_t load_bias;
	struct symbuild_seg exec[MAX_EXEC_SEGS];
	uint32_t nexec_kept;
	struct elfsyms_info info;
	/* build-id */
	uint8_t bid[TREC_MAX_BUILD_ID];
	uint8_t bid_len;
};

static void parse_shdr(const uint8_t *p, struct shdr *h)
{
	h->type = le32(p + 4);
	h->flags = le64(p + 8);
	h->addr = le64(p + 16);
	h->offset = le64(p + 24);
	h->size = le64(p + 32);
	h->link = le32(p + 40);
	h->info = le32(p + 44);
	h->align = le64(p + 48);
	h->entsize = le64(p + 56);
}

static void parse_phdr(const uint8_t *p, struct phdr *h)
{
	h->type = le32(p);
	h->flags = le32(p + 4);
	h->offset = le64(p + 8);
	h->vaddr = le64(p + 16);
	h->filesz = le64(p + 32);
	h->memsz = le64(p + 40);
	h->align = le64(p + 48);
}

static int read_ehdr(struct elf *e, struct trec_err *err)
{
	const char *name = e->s.name;
	uint8_t h[EHDR_SIZE];
	if (e->s.size < EHDR_SIZE) {
		if (e->s.size >= 4 && src_read(&e->s, 0, 4, h, "ELF header", err) == 0 && !memcmp(h, "\177ELF", 4))
			return trec_errf(err, -ENOEXEC, "%s: ELF header truncated (%" PRIu64 " bytes)", name,
					 e->s.size);
		return trec_errf(err, -ENOEXEC, "%s: not an ELF file (%" PRIu64 " bytes)", name, e->s.size);
	}
	int rc = src_read(&e->s, 0, EHDR_SIZE, h, "ELF header", err);
	if (rc)
		return rc;
	if (memcmp(h, "\177ELF", 4))
		return trec_errf(err, -ENOEXEC, "%s: not an ELF file", name);
	if (h[4] != 2 || h[5] != 1)
		return trec_errf(err, -ENOEXEC, "%s: %s-bit %s-endian ELF: only 64-bit little-endian files are "
						"read here", name, h[4] == 1 ? "32" : h[4] == 2 ? "64" : "?",
				 h[5] == 1 ? "little" : h[5] == 2 ? "big" : "?");
	if (h[6] != 1)
		return trec_errf(err, -ENOEXEC, "%s: unknown ELF version %u", name, h[6]);
	e->type = le16(h + 16);
	if (e->type != ET_EXEC_ && e->type != ET_DYN_)
		return trec_errf(err, -ENOEXEC, "%s: not an executable or shared library (ELF type %u)", name,
				 e->type);
	e->phoff = le64(h + 32);
	e->shoff = le64(h + 40);
	uint16_t phentsize = le16(h + 54), phnum = le16(h + 56);
	uint16_t shentsize = le16(h + 58), shnum = le16(h + 60);
	e->phnum = phnum;
	e->shnum = shnum;

	/* Extended numbering: section 0 holds the real counts. */
	if (e->shoff) {
		if (shentsize != SHDR_SIZE)
			return trec_errf(err, -ENOEXEC, "%s: section header size %u, not %u", name, shentsize,
					 SHDR_SIZE);
		if (shnum == 0 || phnum == PN_XNUM_) {
			uint8_t s0[SHDR_SIZE];
			struct shdr z;
			if ((rc = src_read(&e->s, e->shoff, SHDR_SIZE, s0, "section header 0", err)))
				return rc;
			parse_shdr(s0, &z);
			if (shnum == 0) {
				if (z.size > ELFSYMS_MAX_SECTIONS)
					return trec_errf(err, -E2BIG, "%s: %" PRIu64 " sections (more than %u)", name,
							 z.size, ELFSYMS_MAX_SECTIONS);
				e->shnum = (uint32_t)z.size;
			}
			if (phnum == PN_XNUM_)
				e->phnum = z.info;
		}
	} else {
		e->shnum = 0;
	}
	if (e->phnum > ELFSYMS_MAX_PHDRS)
		return trec_errf(err, -E2BIG, "%s: %u program headers (more than %u)", name, e->phnum,
				 ELFSYMS_MAX_PHDRS);
	if (e->phnum && phentsize != PHDR_SIZE)
		return trec_errf(err, -ENOEXEC, "%s: program header size %u, not %u", name, phentsize, PHDR_SIZE);
	if (!fits(&e->s, e->phoff, e->phnum, PHDR_SIZE))
		return trec_errf(err, -ENOEXEC, "%s: program headers truncated or corrupt (%u at offset %" PRIu64
						")", name, e->phnum, e->phoff);
	if (!fits(&e->s, e->shoff, e->shnum, SHDR_SIZE))
		return trec_errf(err, -ENOEXEC, "%s: section headers truncated or corrupt (%u at offset %" PRIu64
						")", name, e->shnum, e->shoff);
	return 0;
}

/* Reads n headers of `ent` bytes at off into a temporary buffer. */
static int read_table_raw(struct elf *e, uint64_t off, uint32_t n, uint32_t ent, const char *what,
			  uint8_t **out, struct trec_err *err)
{
	*out = NULL;
	if (!n)
		return 0;
	uint8_t *buf = malloc((size_t)n * ent);
	if (!buf)
		return trec_errf(err, -ENOMEM, "%s: out of memory for %u %s", e->s.name, n, what);
	int rc = src_read(&e->s, off, (uint64_t)n * ent, buf, what, err);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static int read_headers(struct elf *e, struct trec_err *err)
{
	uint8_t *raw;
	int rc = read_table_raw(e, e->phoff, e->phnum, PHDR_SIZE, "program headers", &raw, err);
	if (rc)
		return rc;
	if (e->phnum) {
		e->ph = malloc((size_t)e->phnum * sizeof(*e->ph));
		if (!e->ph) {
			free(raw);
			return trec_errf(err, -ENOMEM, "%s: out of memory", e->s.name);
		}
		for (uint32_t i = 0; i < e->phnum; i++)
			parse_phdr(raw + (size_t)i * PHDR_SIZE, &e->ph[i]);
	}
	free(raw);
	if ((rc = read_table_raw(e, e->shoff, e->shnum, SHDR_SIZE, "section headers", &raw, err)))
		return rc;
	if (e->shnum) {
		e->sh = malloc((size_t)e->shnum * sizeof(*e->sh));
		if (!e->sh) {
			free(raw);
			return trec_errf(err, -ENOMEM, "%s: out of memory", e->s.name);
		}
		for (uint32_t i = 0; i < e->shnum; i++)
			parse_shdr(raw + (size_t)i * SHDR_SIZE, &e->sh[i]);
	}
	free(raw);
	return 0;
}

/*
 * load_bias from the first executable PT_LOAD; executable segments also
 * bound guessed sizes. The bias is the loaded file's only when the file
 * holds its code: a separate debug file's code sections are NOBITS and
 * its executable segment has no file bytes (objcopy then rewrites its
 * p_offset).
 */
static int read_layout(struct elf *e, struct trec_err *err)
{
	int found = 0;
	uint64_t filesz = 0;
	for (uint32_t i = 0; i < e->phnum; i++) {
		const struct phdr *p = &e->ph[i];
		if (p->type != PT_LOAD_ || !(p->flags & PF_X_))
			continue;
		if (!found) {
			e->load_bias = p->vaddr - p->offset; /* modulo 2^64 on purpose */
			e->info.exec_vaddr = p->vaddr;
			e->info.exec_memsz = p->memsz;
			e->info.exec_align = p->align;
			filesz = p->filesz;
			found = 1;
		}
		e->info.nexec++;
		if (e->nexec_kept < MAX_EXEC_SEGS && p->memsz <= UINT64_MAX - p->vaddr)
			e->exec[e->nexec_kept++] = (struct symbuild_seg){ p->vaddr, p->vaddr + p->memsz };
	}
	if (!found)
		return trec_errf(err, -ENOEXEC, "%s: no executable PT_LOAD segment", e->s.name);
	int code = 0, code_in_file = 0;
	for (uint32_t i = 0; i < e->shnum; i++) {
		const struct shdr *h = &e->sh[i];
		if ((h->flags & (SHF_ALLOC_ | SHF_EXECINSTR_)) != (SHF_ALLOC_ | SHF_EXECINSTR_) || !h->size)
			continue;
		code = 1;
		if (h->type != SHT_NOBITS_)
			code_in_file = 1;
	}
	e->info.bias_known = filesz > 0 && (!code || code_in_file);
	return 0;
}

/* ---- build-id ----------------------------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The GNU build-id in a block of notes (4- or 8-byte aligned); 0 if none. */
static int scan_notes(const uint8_t *p, uint64_t n, uint64_t align, uint8_t *id)
{
	uint64_t off = 0;
	while (n - off >= 12) {
		uint32_t namesz = le32(p + off), descsz = le32(p + off + 4), type = le32(p + off + 8);
		off += 12;
		if (namesz > n - off)
			return 0;
		const uint8_t *name = p + off;
		off = align_up(off + namesz, align);
		if (off > n || descsz > n - off)
			return 0;
		const uint8_t *desc = p + off;
		if (type == NT_GNU_BUILD_ID_ && namesz == 4 && !memcmp(name, "GNU", 4) && descsz >= 1 &&
		    descsz <= TREC_MAX_BUILD_ID) {
			memcpy(id, desc, descsz);
			return (int)descsz;
		}
		off = align_up(off + descsz, align);
		if (off > n)
			return 0;
	}
	return 0;
}

/* One note block: read (when it fits and is not absurd), scanned. A block
 * that does not fit is skipped, not an error: a debug file's PT_NOTE may
 * describe bytes it no longer has. */
static int note_block(struct elf *e, uint64_t off, uint64_t size, uint64_t align, struct trec_err *err)
{
	if (!size || size > NOTE_MAX || !fits(&e->s, off, size, 1))
		return 0;
	uint8_t *buf = malloc((size_t)size);
	if (!buf)
		return trec_errf(err, -ENOMEM, "%s: out of memory for notes", e->s.name);
	int rc = src_read(&e->s, off, size, buf, "notes", err);
	if (!rc) {
		int n = scan_notes(buf, size, align == 8 ? 8 : 4, e->bid);
		if (n > 0)
			e->bid_len = (uint8_t)n;
	}
	free(buf);
	return rc;
}

/* PT_NOTE segments first (what the loader maps; they survive stripping
 * the section headers), then SHT_NOTE sections. */
static int read_build_id(struct elf *e, struct trec_err *err)
{
	int rc;
	for (uint32_t i = 0; i < e->phnum && !e->bid_len; i++)
		if (e->ph[i].type == PT_NOTE_ &&
		    (rc = note_block(e, e->ph[i].offset, e->ph[i].filesz, e->ph[i].align, err)))
			return rc;
	for (uint32_t i = 0; i < e->shnum && !e->bid_len; i++)
		if (e->sh[i].type == SHT_NOTE_ &&
		    (rc = note_block(e, e->sh[i].offset, e->sh[i].size, e->sh[i].align, err)))
			return rc;
	return 0;
}

/* ---- symbols ------------------------------------------------------------------------------- */

/* End of section ndx if it is allocated and holds addr, else 0. A debug
 * file's NOBITS sections keep their addresses and sizes. */
static uint64_t section_end(const struct elf *e, uint32_t ndx, uint64_t addr)
{
	if (ndx == SHN_UNDEF_ || ndx >= SHN_LORESERVE_ || ndx >= e->shnum)
		return 0;
	const struct shdr *h = &e->sh[ndx];
	if (!(h->flags & SHF_ALLOC_) || h->size > UINT64_MAX - h->addr)
		return 0;
	return addr >= h->addr && addr < h->addr + h->size ? h->addr + h->size : 0;
}

/*
 * Appends the function symbols of symbol table section `ti`. Its string
 * table is read whole into *strtab (the names point into it: the caller
 * frees it after copying them).
 */
static int read_symtab(struct elf *e, uint32_t ti, const char *what, struct symbuild *sv, char **strtab,
		       struct trec_err *err)
{
	const char *name = e->s.name;
	const struct shdr *h = &e->sh[ti];
	*strtab = NULL;
	if (h->entsize != SYM_SIZE && h->entsize != 0)
		return trec_errf(err, -ENOEXEC, "%s: %s entry size %" PRIu64 ", not %u", name, what, h->entsize,
				 SYM_SIZE);
	uint64_t n = h->size / SYM_SIZE;
	if (n > ELFSYMS_MAX_ENTRIES)
		return trec_errf(err, -E2BIG, "%s: %s has %" PRIu64 " entries (more than %u)", name, what, n,
				 ELFSYMS_MAX_ENTRIES);
	if (!fits(&e->s, h->offset, n, SYM_SIZE))
		return trec_errf(err, -ENOEXEC, "%s: %s (%" PRIu64 " entries at offset %" PRIu64 ") lies past the "
						"end of the file: truncated or corrupt", name, what, n, h->offset);
	if (n < 2)
		return 0;
	if (h->link == 0 || h->link >= e->shnum || e->sh[h->link].type != SHT_STRTAB_)
		return trec_errf(err, -ENOEXEC, "%s: %s links to section %u, which is not a string table", name,
				 what, h->link);
	const struct shdr *sh = &e->sh[h->link];
	if (sh->size > ELFSYMS_MAX_STRTAB)
		return trec_errf(err, -E2BIG, "%s: %s string table is %" PRIu64 " bytes (more than %u)", name,
				 what, sh->size, ELFSYMS_MAX_STRTAB);
	uint64_t strsz = sh->size;
	if (!fits(&e->s, sh->offset, strsz, 1))
		return trec_errf(err, -ENOEXEC, "%s: %s string table (%" PRIu64 " bytes at offset %" PRIu64 ") lies "
						"past the end of the file: truncated or corrupt", name, what, strsz,
				 sh->offset);
	char *str = malloc(strsz ? (size_t)strsz : 1);
	if (!str)
		return trec_errf(err, -ENOMEM, "%s: out of memory for the %s string table", name, what);
	*strtab = str;
	int rc = src_read(&e->s, sh->offset, strsz, str, "string table", err);
	if (rc)
		return rc;
	/* A name must end inside the table: past the last NUL none does. */
	uint64_t term = 0; /* names must start below this */
	for (uint64_t k = strsz; k > 0; k--)
		if (!str[k - 1]) {
			term = k - 1;
			break;
		}

	uint8_t *chunk = malloc((size_t)CHUNK_SYMS * SYM_SIZE);
	if (!chunk)
		return trec_errf(err, -ENOMEM, "%s: out of memory reading %s", name, what);
	for (uint64_t i = 1; i < n && !rc;) { /* entry 0 is the null symbol */
		uint64_t k = n - i < CHUNK_SYMS ? n - i : CHUNK_SYMS;
		rc = src_read(&e->s, h->offset + i * SYM_SIZE, k * SYM_SIZE, chunk, what, err);
		for (uint64_t j = 0; j < k && !rc; j++) {
			const uint8_t *p = chunk + j * SYM_SIZE;
			uint32_t st_name = le32(p);
			uint8_t st_info = p[4];
			uint16_t shndx = le16(p + 6);
			uint64_t value = le64(p + 8), size = le64(p + 16);
			int type = st_info & 0xf;
			/* Undefined symbols can carry a value (a non-PIE
			 * executable's PLT slot): not functions of this file. */
			if ((type != STT_FUNC_ && type != STT_GNU_IFUNC_) || !value || shndx == SHN_UNDEF_)
				continue;
			if (st_name >= term || !str[st_name])
				continue;
			const char *nm = str + st_name;
			size_t len = strnlen(nm, ELFSYMS_MAX_NAME);
			/* the name stays in the string table buffer */
			struct symbuild_sym r = {
				.addr = value,
				.size = size,
				.end = size ? 0 : section_end(e, shndx, value),
				.name = nm,
				.len = (uint32_t)len,
				.global = (st_info >> 4) != STB_LOCAL_,
			};
			int prc = symbuild_push(sv, &r);
			if (prc == -E2BIG)
				rc = trec_errf(err, prc, "%s: more than %u function symbols", name, ELFSYMS_MAX_SYMS);
			else if (prc)
				rc = trec_errf(err, prc, "%s: out of memory reading %s", name, what);
		}
		i += k;
	}
	free(chunk);
	return rc;
}

/* ---- the reader ---------------------------------------------------------------------------- */

static void hex(char *buf, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = 0;
}

static int read_elf(struct elf *e, const uint8_t *want, size_t want_len, struct tarena *a,
		    struct trec_dso_syms *out, struct trec_err *err)
{
	const char *name = e->s.name;
	int rc;
	if ((rc = read_ehdr(e, err)) || (rc = read_headers(e, err)) || (rc = read_layout(e, err)) ||
	    (rc = read_build_id(e, err)))
		return rc;
	if (want_len) {
		char w[2 * TREC_MAX_BUILD_ID + 1], h[2 * TREC_MAX_BUILD_ID + 1];
		hex(w, want, want_len > TREC_MAX_BUILD_ID ? TREC_MAX_BUILD_ID : want_len);
		if (!e->bid_len)
			return trec_errf(err, -ESTALE, "%s: has no build-id (want %s)", name, w);
		if (e->bid_len != want_len || memcmp(e->bid, want, want_len)) {
			hex(h, e->bid, e->bid_len);
			return trec_errf(err, -ESTALE, "%s: build-id %s, not %s", name, h, w);
		}
	}

	/* .symtab when it has functions, else .dynsym */
	int64_t symtab = -1, dynsym = -1;
	for (uint32_t i = 0; i < e->shnum; i++) {
		if (e->sh[i].type == SHT_SYMTAB_ && symtab < 0)
			symtab = i;
		else if (e->sh[i].type == SHT_DYNSYM_ && dynsym < 0)
			dynsym = i;
	}
	struct symbuild sv;
	symbuild_init(&sv, ELFSYMS_MAX_SYMS);
	char *strtab = NULL;
	if (symtab >= 0) {
		rc = read_symtab(e, (uint32_t)symtab, ".symtab", &sv, &strtab, err);
		e->info.from_symtab = !rc && sv.n > 0;
	}
	if (!rc && !sv.n && dynsym >= 0) {
		free(strtab);
		rc = read_symtab(e, (uint32_t)dynsym, ".dynsym", &sv, &strtab, err);
	}
	if (!rc)
		rc = symbuild_finish(&sv, e->exec, e->nexec_kept, a, out, name, err);
	free(strtab);
	symbuild_free(&sv);
	if (rc)
		return rc;
	out->load_bias = e->load_bias;
	out->build_id_len = e->bid_len;
	memcpy(out->build_id, e->bid, e->bid_len);
	if (!(out->path = tarena_strndup(a, name, strnlen(name, ELFSYMS_MAX_NAME))))
		return trec_errf(err, -ENOMEM, "%s: out of memory", name);
	return 0;
}

static int run(struct elf *e, const uint8_t *want, size_t want_len, struct tarena *a,
	       struct trec_dso_syms *out, struct elfsyms_info *info, struct trec_err *err)
{
	int rc = read_elf(e, want, want_len, a, out, err);
	free(e->ph);
	free(e->sh);
	if (rc)
		memset(out, 0, sizeof(*out));
	else if (info)
		*info = e->info;
	return rc;
}

int elfsyms_read_mem(const void *image, size_t len, const char *name, const uint8_t *want_bid,
		     size_t want_len, struct tarena *a, struct trec_dso_syms *out, struct elfsyms_info *info,
		     struct trec_err *err)
{
	const char *nm = name && *name ? name : "(image)";
	if (!a || !out || (!image && len) || (want_len && !want_bid) || want_len > TREC_MAX_BUILD_ID)
		return trec_errf(err, -EINVAL, "%s: bad arguments", nm);
	memset(out, 0, sizeof(*out));
	struct elf e = { .s = { .name = nm, .fd = -1, .mem = image, .size = len } };
	return run(&e, want_bid, want_len, a, out, info, err);
}

int elfsyms_read_file(const char *path, const uint8_t *want_bid, size_t want_len, struct tarena *a,
		      struct trec_dso_syms *out, struct elfsyms_info *info, struct trec_err *err)
{
	if (!path || !*path || !a || !out || (want_len && !want_bid) || want_len > TREC_MAX_BUILD_ID)
		return trec_errf(err, -EINVAL, "%s: bad arguments", path && *path ? path : "(no file)");
	memset(out, 0, sizeof(*out));
	/* Only a regular file is opened: opening a device node can have
	 * effects, a FIFO would block. The file opened must be the one
	 * checked (same device and inode). */
	struct stat st, fst;
	if (stat(path, &st) < 0) {
		int e = errno;
		return trec_errf(err, -e, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode))
		return trec_errf(err, -EINVAL, "%s: not a regular file", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		return trec_errf(err, -e, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		close(fd);
		return trec_errf(err, -EINVAL, "%s: not a regular file (or replaced while opened)", path);
	}
	struct elf e = { .s = { .name = path, .fd = fd, .size = (uint64_t)fst.st_size } };
	int rc = run(&e, want_bid, want_len, a, out, info, err);
	close(fd);
	return rc;
}
