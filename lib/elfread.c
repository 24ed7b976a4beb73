/* SPDX-License-Identifier: MIT */
/*
 * The bounded ELF reader (elfread.h). What is read: the ELF header, the
 * program and section headers, note blocks (at most ELFREAD_MAX_NOTE
 * each), one symbol table at a time (in chunks) and its string table (at
 * most ELFREAD_MAX_STRTAB). Every count is capped before anything is
 * allocated for it, and every offset and size is checked against the
 * file's size with overflow-free comparisons before it is read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfread.h"

/* Sizes of the ELF structures by class: [0] ELF32, [1] ELF64. */
static const unsigned EHDR_SIZE[2] = { 52, 64 };
static const unsigned PHDR_SIZE[2] = { 32, 56 };
static const unsigned SHDR_SIZE[2] = { 40, 64 };
static const unsigned SYM_SIZE[2] = { 16, 24 };

#define EI_NIDENT 16
#define PN_XNUM 0xffff
#define CHUNK_SYMS 2048 /* symbol entries per read */

/* ---- integers in the file's byte order ------------------------------------------- */

static uint16_t rd16(const struct elfread *e, const uint8_t *p)
{
	return e->le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[1] | p[0] << 8);
}

static uint32_t rd32(const struct elfread *e, const uint8_t *p)
{
	if (e->le)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static uint64_t rd64(const struct elfread *e, const uint8_t *p)
{
	uint64_t lo = rd32(e, p), hi = rd32(e, p + 4);
	return e->le ? lo | hi << 32 : hi | lo << 32;
}

/* ---- reading the file ------------------------------------------------------------- */

int elfread_fits(const struct elfread *e, uint64_t off, uint64_t n, uint64_t ent)
{
	return off <= e->size && (ent == 0 || n <= (e->size - off) / ent);
}

int elfread_read(const struct elfread *e, uint64_t off, uint64_t len, void *dst, const char *what,
		 struct trec_err *err)
{
	if (off > e->size || len > e->size - off)
		return trec_errf(err, -ENOEXEC,
				 "%s: %s (%" PRIu64 " bytes at offset %" PRIu64 ") lies past the end of the "
				 "file (%" PRIu64 " bytes): truncated or corrupt",
				 e->name, what, len, off, e->size);
	if (e->fd < 0) {
		if (len)
			memcpy(dst, e->mem + off, (size_t)len);
		return 0;
	}
	uint8_t *p = dst;
	while (len) {
		size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = pread(e->fd, p, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int er = errno;
			return trec_errf(err, -EIO, "%s: reading %s: %s", e->name, what, strerror(er));
		}
		if (n == 0)
			return trec_errf(err, -EIO, "%s: reading %s: the file shrank while it was read", e->name,
					 what);
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* ---- the ELF header ---------------------------------------------------------------- */

static int read_ehdr(struct elfread *e, struct trec_err *err)
{
	uint8_t h[64];
	uint64_t have = e->size < sizeof(h) ? e->size : sizeof(h);
	int rc = elfread_read(e, 0, have, h, "ELF header", err);
	if (rc)
		return rc;
	if (have < 4 || memcmp(h, "\177ELF", 4)) {
		if (e->size < sizeof(h))
			return trec_errf(err, -ENOEXEC, "%s: not an ELF file (%" PRIu64 " bytes)", e->name, e->size);
		return trec_errf(err, -ENOEXEC, "%s: not an ELF file", e->name);
	}
	if (have < EI_NIDENT)
		return trec_errf(err, -ENOEXEC, "%s: ELF header truncated (%" PRIu64 " bytes)", e->name, e->size);
	if ((h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2))
		return trec_errf(err, -ENOEXEC, "%s: %s-bit %s-endian ELF: unknown class or byte order", e->name,
				 h[4] == 1 ? "32" : h[4] == 2 ? "64" : "?",
				 h[5] == 1 ? "little" : h[5] == 2 ? "big" : "?");
	e->class64 = h[4] == 2;
	e->le = h[5] == 1;
	if (have < EHDR_SIZE[e->class64])
		return trec_errf(err, -ENOEXEC, "%s: ELF header truncated (%" PRIu64 " bytes)", e->name, e->size);
	if (h[6] != 1)
		return trec_errf(err, -ENOEXEC, "%s: unknown ELF version %u", e->name, h[6]);
	e->type = rd16(e, h + 16);
	if (e->class64) {
		e->phoff = rd64(e, h + 32);
		e->shoff = rd64(e, h + 40);
		e->phentsize = rd16(e, h + 54);
		e->phnum_raw = rd16(e, h + 56);
		e->shentsize = rd16(e, h + 58);
		e->shnum_raw = rd16(e, h + 60);
	} else {
		e->phoff = rd32(e, h + 28);
		e->shoff = rd32(e, h + 32);
		e->phentsize = rd16(e, h + 42);
		e->phnum_raw = rd16(e, h + 44);
		e->shentsize = rd16(e, h + 46);
		e->shnum_raw = rd16(e, h + 48);
	}
	return 0;
}

int elfread_open_mem(struct elfread *e, const void *image, size_t len, const char *name,
		     struct trec_err *err)
{
	const char *nm = name && *name ? name : "(image)";
	if (!e)
		return trec_errf(err, -EINVAL, "%s: bad arguments", nm);
	memset(e, 0, sizeof(*e));
	e->name = nm;
	e->fd = -1;
	if (!image && len)
		return trec_errf(err, -EINVAL, "%s: bad arguments", nm);
	e->mem = image;
	e->size = len;
	return read_ehdr(e, err);
}

int elfread_open_fd(struct elfread *e, int fd, const char *name, struct trec_err *err)
{
	const char *nm = name && *name ? name : "(file)";
	struct stat st;
	if (!e)
		return trec_errf(err, -EINVAL, "%s: bad arguments", nm);
	memset(e, 0, sizeof(*e));
	e->name = nm;
	e->fd = -1;
	if (fd < 0)
		return trec_errf(err, -EINVAL, "%s: bad arguments", nm);
	if (fstat(fd, &st) < 0) {
		int er = errno;
		return trec_errf(err, -er, "%s: %s", nm, strerror(er));
	}
	if (!S_ISREG(st.st_mode))
		return trec_errf(err, -EINVAL, "%s: not a regular file", nm);
	e->fd = fd;
	e->size = (uint64_t)st.st_size;
	return read_ehdr(e, err);
}

/* ---- program and section headers ----------------------------------------------------- */

static void parse_shdr(const struct elfread *e, const uint8_t *p, struct elfread_shdr *h)
{
	h->type = rd32(e, p + 4);
	if (e->class64) {
		h->flags = rd64(e, p + 8);
		h->addr = rd64(e, p + 16);
		h->offset = rd64(e, p + 24);
		h->size = rd64(e, p + 32);
		h->link = rd32(e, p + 40);
		h->info = rd32(e, p + 44);
		h->align = rd64(e, p + 48);
		h->entsize = rd64(e, p + 56);
	} else {
		h->flags = rd32(e, p + 8);
		h->addr = rd32(e, p + 12);
		h->offset = rd32(e, p + 16);
		h->size = rd32(e, p + 20);
		h->link = rd32(e, p + 24);
		h->info = rd32(e, p + 28);
		h->align = rd32(e, p + 32);
		h->entsize = rd32(e, p + 36);
	}
}

static void parse_phdr(const struct elfread *e, const uint8_t *p, struct elfread_phdr *h)
{
	h->type = rd32(e, p);
	if (e->class64) {
		h->flags = rd32(e, p + 4);
		h->offset = rd64(e, p + 8);
		h->vaddr = rd64(e, p + 16);
		h->filesz = rd64(e, p + 32);
		h->memsz = rd64(e, p + 40);
		h->align = rd64(e, p + 48);
	} else {
		h->offset = rd32(e, p + 4);
		h->vaddr = rd32(e, p + 8);
		h->filesz = rd32(e, p + 16);
		h->memsz = rd32(e, p + 20);
		h->flags = rd32(e, p + 24);
		h->align = rd32(e, p + 28);
	}
}

/* Extended numbering: when e_shnum is 0 or e_phnum is PN_XNUM, section
 * header 0 holds the real counts (sh_size, sh_info). */
static int extended_counts(struct elfread *e, int skip, struct trec_err *err)
{
	uint8_t s0[64];
	struct elfread_shdr z;
	int rc = elfread_read(e, e->shoff, SHDR_SIZE[e->class64], s0, "section header 0", err);
	if (rc) {
		e->shnum = 0;
		if (e->phnum_raw == PN_XNUM)
			e->phnum = 0;
		return skip ? 0 : rc;
	}
	parse_shdr(e, s0, &z);
	if (e->phnum_raw == PN_XNUM)
		e->phnum = z.info;
	if (e->shnum_raw == 0) {
		if (z.size > ELFREAD_MAX_SECTIONS) {
			rc = trec_errf(err, -E2BIG, "%s: %" PRIu64 " sections (more than %u)", e->name, z.size,
				       ELFREAD_MAX_SECTIONS);
			if (!skip)
				return rc;
			z.size = 0;
		}
		e->shnum = (uint32_t)z.size;
	}
	return 0;
}

/* The table counts, checked against the limits, the entry sizes and the
 * file. With skip, a bad table is dropped (count 0) instead of failing. */
static int table_counts(struct elfread *e, int skip, struct trec_err *err)
{
	const unsigned shsz = SHDR_SIZE[e->class64], phsz = PHDR_SIZE[e->class64];
	int rc;

	if (skip)
		err = NULL; /* a dropped table is not an error to report */
	e->phnum = e->phnum_raw;
	e->shnum = e->shnum_raw;
	if (e->shoff) {
		/* Entries are read at their standard size whatever the header
		 * says; only a strict load refuses another (libelf ignores it). */
		if (e->shentsize != shsz && !skip)
			return trec_errf(err, -ENOEXEC, "%s: section header size %u, not %u", e->name,
					 e->shentsize, shsz);
		if ((e->shnum_raw == 0 || e->phnum_raw == PN_XNUM) && (rc = extended_counts(e, skip, err)))
			return rc;
	} else {
		e->shnum = 0;
	}
	if (e->phnum > ELFREAD_MAX_PHDRS) {
		rc = trec_errf(err, -E2BIG, "%s: %u program headers (more than %u)", e->name, e->phnum,
			       ELFREAD_MAX_PHDRS);
		if (!skip)
			return rc;
		e->phnum = 0;
	}
	if (e->phnum && e->phentsize != phsz && !skip)
		return trec_errf(err, -ENOEXEC, "%s: program header size %u, not %u", e->name, e->phentsize,
				 phsz);
	if (!elfread_fits(e, e->phoff, e->phnum, phsz)) {
		rc = trec_errf(err, -ENOEXEC, "%s: program headers truncated or corrupt (%u at offset %" PRIu64 ")",
			       e->name, e->phnum, e->phoff);
		if (!skip)
			return rc;
		e->phnum = 0;
	}
	if (!elfread_fits(e, e->shoff, e->shnum, shsz)) {
		rc = trec_errf(err, -ENOEXEC, "%s: section headers truncated or corrupt (%u at offset %" PRIu64 ")",
			       e->name, e->shnum, e->shoff);
		if (!skip)
			return rc;
		e->shnum = 0;
	}
	return 0;
}

/* Reads n entries of `ent` bytes at off into a temporary buffer. */
static int read_raw(const struct elfread *e, uint64_t off, uint32_t n, unsigned ent, const char *what,
		    uint8_t **out, struct trec_err *err)
{
	*out = NULL;
	if (!n)
		return 0;
	uint8_t *buf = malloc((size_t)n * ent);
	if (!buf)
		return trec_errf(err, -ENOMEM, "%s: out of memory for %u %s", e->name, n, what);
	int rc = elfread_read(e, off, (uint64_t)n * ent, buf, what, err);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int elfread_load_headers(struct elfread *e, unsigned flags, struct trec_err *err)
{
	const unsigned phsz = PHDR_SIZE[e->class64], shsz = SHDR_SIZE[e->class64];
	uint8_t *raw;
	int rc;

	free(e->ph);
	free(e->sh);
	e->ph = NULL;
	e->sh = NULL;
	if ((rc = table_counts(e, !!(flags & ELFREAD_SKIP_BAD_TABLES), err)))
		return rc;
	if ((rc = read_raw(e, e->phoff, e->phnum, phsz, "program headers", &raw, err)))
		return rc;
	if (e->phnum) {
		e->ph = malloc((size_t)e->phnum * sizeof(*e->ph));
		if (!e->ph) {
			free(raw);
			return trec_errf(err, -ENOMEM, "%s: out of memory", e->name);
		}
		for (uint32_t i = 0; i < e->phnum; i++)
			parse_phdr(e, raw + (size_t)i * phsz, &e->ph[i]);
	}
	free(raw);
	if ((rc = read_raw(e, e->shoff, e->shnum, shsz, "section headers", &raw, err)))
		return rc;
	if (e->shnum) {
		e->sh = malloc((size_t)e->shnum * sizeof(*e->sh));
		if (!e->sh) {
			free(raw);
			return trec_errf(err, -ENOMEM, "%s: out of memory", e->name);
		}
		for (uint32_t i = 0; i < e->shnum; i++)
			parse_shdr(e, raw + (size_t)i * shsz, &e->sh[i]);
	}
	free(raw);
	return 0;
}

void elfread_close(struct elfread *e)
{
	if (!e)
		return;
	free(e->ph);
	free(e->sh);
	e->ph = NULL;
	e->sh = NULL;
	e->phnum = e->shnum = 0;
}

/* ---- build-id ------------------------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The GNU build-id in a block of notes (4- or 8-byte aligned); 0 if none
 * or the block is malformed before it. */
static int scan_notes(const struct elfread *e, const uint8_t *p, uint64_t n, uint64_t align, uint8_t *id)
{
	uint64_t off = 0;
	while (n - off >= 12) {
		uint32_t namesz = rd32(e, p + off), descsz = rd32(e, p + off + 4), type = rd32(e, p + off + 8);
		off += 12;
		if (namesz > n - off)
			return 0;
		const uint8_t *name = p + off;
		off = align_up(off + namesz, align);
		if (off > n || descsz > n - off)
			return 0;
		const uint8_t *desc = p + off;
		if (type == ELFREAD_NT_GNU_BUILD_ID && namesz == 4 && !memcmp(name, "GNU", 4) && descsz >= 1 &&
		    descsz <= ELFREAD_MAX_BUILD_ID) {
			memcpy(id, desc, descsz);
			return (int)descsz;
		}
		off = align_up(off + descsz, align);
		if (off > n)
			return 0;
	}
	return 0;
}

/* One note block: read when it fits and is not absurd, then scanned. */
static int note_block(const struct elfread *e, uint64_t off, uint64_t size, uint64_t align, uint8_t *id,
		      struct trec_err *err)
{
	if (!size || size > ELFREAD_MAX_NOTE || !elfread_fits(e, off, size, 1))
		return 0;
	uint8_t *buf = malloc((size_t)size);
	if (!buf)
		return trec_errf(err, -ENOMEM, "%s: out of memory for notes", e->name);
	int rc = elfread_read(e, off, size, buf, "notes", err);
	if (!rc)
		rc = scan_notes(e, buf, size, align == 8 ? 8 : 4, id);
	free(buf);
	return rc;
}

int elfread_build_id(const struct elfread *e, uint8_t id[ELFREAD_MAX_BUILD_ID], struct trec_err *err)
{
	int n;
	for (uint32_t i = 0; i < e->phnum; i++)
		if (e->ph[i].type == ELFREAD_PT_NOTE &&
		    (n = note_block(e, e->ph[i].offset, e->ph[i].filesz, e->ph[i].align, id, err)))
			return n;
	for (uint32_t i = 0; i < e->shnum; i++)
		if (e->sh[i].type == ELFREAD_SHT_NOTE &&
		    (n = note_block(e, e->sh[i].offset, e->sh[i].size, e->sh[i].align, id, err)))
			return n;
	return 0;
}

/* ---- symbols ----------------------------------------------------------------------------- */

int elfread_syms_open(const struct elfread *e, uint32_t ndx, const char *what, struct elfread_syms *s,
		      struct trec_err *err)
{
	const unsigned symsz = SYM_SIZE[e->class64];
	memset(s, 0, sizeof(*s));
	s->ndx = ndx;
	s->what = what;
	s->entsize = symsz;
	if (ndx >= e->shnum)
		return trec_errf(err, -EINVAL, "%s: no section %u", e->name, ndx);
	const struct elfread_shdr *h = &e->sh[ndx];
	if (h->entsize != symsz && h->entsize != 0)
		return trec_errf(err, -ENOEXEC, "%s: %s entry size %" PRIu64 ", not %u", e->name, what, h->entsize,
				 symsz);
	uint64_t n = h->size / symsz;
	if (n > ELFREAD_MAX_SYM_ENTRIES)
		return trec_errf(err, -E2BIG, "%s: %s has %" PRIu64 " entries (more than %u)", e->name, what, n,
				 ELFREAD_MAX_SYM_ENTRIES);
	if (!elfread_fits(e, h->offset, n, symsz))
		return trec_errf(err, -ENOEXEC,
				 "%s: %s (%" PRIu64 " entries at offset %" PRIu64 ") lies past the end of the file: "
				 "truncated or corrupt", e->name, what, n, h->offset);
	if (n < 2)
		return 0; /* the null symbol at most: nothing to read */
	if (h->link == 0 || h->link >= e->shnum || e->sh[h->link].type != ELFREAD_SHT_STRTAB)
		return trec_errf(err, -ENOEXEC, "%s: %s links to section %u, which is not a string table", e->name,
				 what, h->link);
	const struct elfread_shdr *sh = &e->sh[h->link];
	if (sh->size > ELFREAD_MAX_STRTAB)
		return trec_errf(err, -E2BIG, "%s: %s string table is %" PRIu64 " bytes (more than %u)", e->name,
				 what, sh->size, ELFREAD_MAX_STRTAB);
	uint64_t strsz = sh->size;
	if (!elfread_fits(e, sh->offset, strsz, 1))
		return trec_errf(err, -ENOEXEC,
				 "%s: %s string table (%" PRIu64 " bytes at offset %" PRIu64 ") lies past the end of "
				 "the file: truncated or corrupt", e->name, what, strsz, sh->offset);
	char *str = malloc(strsz ? (size_t)strsz : 1);
	if (!str)
		return trec_errf(err, -ENOMEM, "%s: out of memory for the %s string table", e->name, what);
	int rc = elfread_read(e, sh->offset, strsz, str, "string table", err);
	if (rc) {
		free(str);
		return rc;
	}
	/* A name must end inside the table: past the last NUL none does. */
	for (uint64_t k = strsz; k > 0; k--)
		if (!str[k - 1]) {
			s->name_end = k - 1;
			break;
		}
	s->str = str;
	s->strsz = strsz;
	s->n = n;
	s->offset = h->offset;
	return 0;
}

static void parse_sym(const struct elfread *e, const struct elfread_syms *s, const uint8_t *p,
		      struct elfread_sym *sym)
{
	uint32_t st_name = rd32(e, p);
	uint8_t info;
	if (e->class64) {
		info = p[4];
		sym->shndx = rd16(e, p + 6);
		sym->value = rd64(e, p + 8);
		sym->size = rd64(e, p + 16);
	} else {
		sym->value = rd32(e, p + 4);
		sym->size = rd32(e, p + 8);
		info = p[12];
		sym->shndx = rd16(e, p + 14);
	}
	sym->type = info & 0xf;
	sym->bind = info >> 4;
	sym->name = st_name < s->name_end ? s->str + st_name : NULL;
}

int elfread_syms_each(const struct elfread *e, const struct elfread_syms *s, elfread_sym_fn fn, void *ctx,
		      struct trec_err *err)
{
	if (s->n < 2)
		return 0;
	uint8_t *chunk = malloc((size_t)CHUNK_SYMS * s->entsize);
	if (!chunk)
		return trec_errf(err, -ENOMEM, "%s: out of memory reading %s", e->name, s->what);
	int rc = 0;
	for (uint64_t i = 1; i < s->n && !rc;) { /* entry 0 is the null symbol */
		uint64_t k = s->n - i < CHUNK_SYMS ? s->n - i : CHUNK_SYMS;
		rc = elfread_read(e, s->offset + i * s->entsize, k * s->entsize, chunk, s->what, err);
		for (uint64_t j = 0; j < k && !rc; j++) {
			struct elfread_sym sym;
			parse_sym(e, s, chunk + j * s->entsize, &sym);
			rc = fn(&sym, ctx);
		}
		i += k;
	}
	free(chunk);
	return rc;
}

void elfread_syms_close(struct elfread_syms *s)
{
	free(s->str);
	s->str = NULL;
	s->n = 0;
}
