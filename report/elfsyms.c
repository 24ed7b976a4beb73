/* SPDX-License-Identifier: MIT */
/*
 * Function symbols of an ELF file for the report (see elfsyms.h): the
 * report's policy on top of the bounded ELF reader lib/elfread.h, which
 * does every read and check of the file. Here: which files are taken
 * (64-bit little-endian executables and libraries), the load bias and
 * executable segments, the build-id match, which symbols are functions,
 * and the table they make (format/symtab_build.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfread.h"
#include "elfsyms.h"
#include "symtab_build.h"

_Static_assert(ELFREAD_MAX_BUILD_ID == TREC_MAX_BUILD_ID, "build-id limits differ");

#define MAX_EXEC_SEGS 16 /* remembered to bound guessed sizes */

struct elf {
	struct elfread r;
	/* layout */
	uint64_t load_bias;
	struct symbuild_seg exec[MAX_EXEC_SEGS];
	uint32_t nexec_kept;
	struct elfsyms_info info;
	/* build-id */
	uint8_t bid[TREC_MAX_BUILD_ID];
	uint8_t bid_len;
};

/* The ELF header, then the tables of a file this reader takes: 64-bit
 * little-endian, an executable or a shared library. */
static int read_headers(struct elf *e, struct trec_err *err)
{
	const struct elfread *r = &e->r;
	if (!r->class64 || !r->le)
		return trec_errf(err, -ENOEXEC, "%s: %s-bit %s-endian ELF: only 64-bit little-endian files are "
						"read here", r->name, r->class64 ? "64" : "32", r->le ? "little" : "big");
	if (r->type != ELFREAD_ET_EXEC && r->type != ELFREAD_ET_DYN)
		return trec_errf(err, -ENOEXEC, "%s: not an executable or shared library (ELF type %u)", r->name,
				 r->type);
	return elfread_load_headers(&e->r, 0, err);
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
	for (uint32_t i = 0; i < e->r.phnum; i++) {
		const struct elfread_phdr *p = &e->r.ph[i];
		if (p->type != ELFREAD_PT_LOAD || !(p->flags & ELFREAD_PF_X))
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
		return trec_errf(err, -ENOEXEC, "%s: no executable PT_LOAD segment", e->r.name);
	int code = 0, code_in_file = 0;
	for (uint32_t i = 0; i < e->r.shnum; i++) {
		const struct elfread_shdr *h = &e->r.sh[i];
		const uint64_t ax = ELFREAD_SHF_ALLOC | ELFREAD_SHF_EXECINSTR;
		if ((h->flags & ax) != ax || !h->size)
			continue;
		code = 1;
		if (h->type != ELFREAD_SHT_NOBITS)
			code_in_file = 1;
	}
	e->info.bias_known = filesz > 0 && (!code || code_in_file);
	return 0;
}

static int read_build_id(struct elf *e, struct trec_err *err)
{
	int n = elfread_build_id(&e->r, e->bid, err);
	if (n < 0)
		return n;
	e->bid_len = (uint8_t)n;
	return 0;
}

/* ---- symbols ------------------------------------------------------------------------------- */

/* End of section ndx if it is allocated and holds addr, else 0. A debug
 * file's NOBITS sections keep their addresses and sizes. */
static uint64_t section_end(const struct elf *e, uint32_t ndx, uint64_t addr)
{
	if (ndx == ELFREAD_SHN_UNDEF || ndx >= ELFREAD_SHN_LORESERVE || ndx >= e->r.shnum)
		return 0;
	const struct elfread_shdr *h = &e->r.sh[ndx];
	if (!(h->flags & ELFREAD_SHF_ALLOC) || h->size > UINT64_MAX - h->addr)
		return 0;
	return addr >= h->addr && addr < h->addr + h->size ? h->addr + h->size : 0;
}

struct collect {
	const struct elf *e;
	struct symbuild *sv;
	const char *what;
	struct trec_err *err;
};

/* Keeps a defined function symbol; its name stays in the string table. */
static int collect_sym(const struct elfread_sym *s, void *ctx)
{
	struct collect *c = ctx;
	/* Undefined symbols can carry a value (a non-PIE executable's PLT
	 * slot): not functions of this file. */
	/* Code labels as perf takes them: an untyped symbol inside an
	 * executable section (assembly entry points: ld.so's _start). */
	int label = s->type == ELFREAD_STT_NOTYPE && s->value && section_end(c->e, s->shndx, s->value) &&
		    (c->e->r.sh[s->shndx].flags & ELFREAD_SHF_EXECINSTR);
	if (!label && ((s->type != ELFREAD_STT_FUNC && s->type != ELFREAD_STT_GNU_IFUNC) || !s->value ||
		       s->shndx == ELFREAD_SHN_UNDEF))
		return 0;
	if (!s->name || !s->name[0] || (label && !symbuild_label_name(s->name)))
		return 0;
	struct symbuild_sym r = {
		.addr = s->value,
		.size = s->size,
		.end = s->size ? 0 : section_end(c->e, s->shndx, s->value),
		.name = s->name,
		.len = (uint32_t)strnlen(s->name, ELFSYMS_MAX_NAME),
		.global = s->bind != ELFREAD_STB_LOCAL,
		.label = (uint8_t)label,
	};
	int rc = symbuild_push(c->sv, &r);
	if (rc == -E2BIG)
		return trec_errf(c->err, rc, "%s: more than %u function symbols", c->e->r.name, ELFSYMS_MAX_SYMS);
	if (rc)
		return trec_errf(c->err, rc, "%s: out of memory reading %s", c->e->r.name, c->what);
	return 0;
}

/* Appends the function symbols of symbol table section `ti`. Its string
 * table stays open in *st (the names point into it: the caller closes it
 * after copying them). */
static int read_symtab(struct elf *e, uint32_t ti, const char *what, struct symbuild *sv,
		       struct elfread_syms *st, struct trec_err *err)
{
	int rc = elfread_syms_open(&e->r, ti, what, st, err);
	if (rc)
		return rc;
	struct collect c = { .e = e, .sv = sv, .what = what, .err = err };
	return elfread_syms_each(&e->r, st, collect_sym, &c, err);
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
	const char *name = e->r.name;
	int rc;
	if ((rc = read_headers(e, err)) || (rc = read_layout(e, err)) ||
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
	for (uint32_t i = 0; i < e->r.shnum; i++) {
		if (e->r.sh[i].type == ELFREAD_SHT_SYMTAB && symtab < 0)
			symtab = i;
		else if (e->r.sh[i].type == ELFREAD_SHT_DYNSYM && dynsym < 0)
			dynsym = i;
	}
	struct symbuild sv;
	symbuild_init(&sv, ELFSYMS_MAX_SYMS);
	struct elfread_syms st = { 0 };
	if (symtab >= 0) {
		rc = read_symtab(e, (uint32_t)symtab, ".symtab", &sv, &st, err);
		e->info.from_symtab = !rc && sv.n > 0;
	}
	if (!rc && !sv.n && dynsym >= 0) {
		elfread_syms_close(&st);
		rc = read_symtab(e, (uint32_t)dynsym, ".dynsym", &sv, &st, err);
	}
	if (!rc)
		rc = symbuild_finish(&sv, e->exec, e->nexec_kept, a, out, name, err);
	elfread_syms_close(&st);
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
	elfread_close(&e->r);
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
	struct elf e = { 0 };
	int rc = elfread_open_mem(&e.r, image, len, nm, err);
	return rc ? rc : run(&e, want_bid, want_len, a, out, info, err);
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
	struct elf e = { 0 };
	int rc = elfread_open_fd(&e.r, fd, path, err);
	if (!rc)
		rc = run(&e, want_bid, want_len, a, out, info, err);
	close(fd);
	return rc;
}
