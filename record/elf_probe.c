/* SPDX-License-Identifier: MIT */
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_probe.h"

#define NT_STAPSDT 3
#define MAX_SECTIONS 65536
/* Entries of one symbol table before filtering (16M: 384 MiB of Elf64_Sym). */
#define MAX_TABLE_ENTRIES (16u << 20)

struct funcvec {
	struct elf_func *v;
	size_t n, cap;
};

static int funcvec_push(struct funcvec *fv, const struct elf_func *f)
{
	if (fv->n == ELF_PROBE_MAX_FUNCS)
		return -E2BIG;
	if (fv->n == fv->cap) {
		size_t cap = fv->cap ? fv->cap * 2 : 256;
		void *p = realloc(fv->v, cap * sizeof(*fv->v));
		if (!p)
			return -ENOMEM;
		fv->v = p;
		fv->cap = cap;
	}
	fv->v[fv->n++] = *f;
	return 0;
}

static int cmp_func(const void *pa, const void *pb)
{
	const struct elf_func *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Function symbols of one SHT_SYMTAB/SHT_DYNSYM section, names copied into
 * the arena (libelf's data goes away with the Elf handle). */
static int read_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct funcvec *fv, struct tarena *a,
			const char *path, struct trec_err *err)
{
	size_t entsz = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
	if (!entsz || sh->sh_size / entsz > MAX_TABLE_ENTRIES)
		return trec_errf(err, -E2BIG, "%s: a symbol table with more than %u entries", path, MAX_TABLE_ENTRIES);
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || (!d->d_buf && d->d_size))
		return trec_errf(err, -ENOEXEC, "%s: cannot read a symbol table: %s", path, elf_errmsg(-1));
	size_t n = d->d_size / entsz;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			continue;
		int t = GELF_ST_TYPE(s.st_info);
		if ((t != STT_FUNC && t != STT_GNU_IFUNC) || !s.st_value || s.st_shndx == SHN_UNDEF)
			continue;
		const char *name = elf_strptr(e, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		struct elf_func f = { .addr = s.st_value, .size = s.st_size, .ifunc = t == STT_GNU_IFUNC };
		f.name = tarena_strndup(a, name, strnlen(name, ELF_PROBE_MAX_NAME));
		int r = f.name ? funcvec_push(fv, &f) : -ENOMEM;
		if (r == -E2BIG)
			return trec_errf(err, r, "%s: more than %u function symbols", path, ELF_PROBE_MAX_FUNCS);
		if (r)
			return trec_errf(err, r, "%s: out of memory reading symbols", path);
	}
	return 0;
}

/* .symtab and .dynsym together: a partly stripped file has names only in
 * one of them; duplicates (the same name at the same address) collapse. */
static int read_funcs(Elf *e, struct elf_probe_info *out, const char *path, struct trec_err *err)
{
	struct funcvec fv = { 0 };
	Elf_Scn *scn = NULL;
	int r = 0;
	for (size_t i = 0; !r && i < MAX_SECTIONS && (scn = elf_nextscn(e, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			r = read_symbols(e, scn, &sh, &fv, &out->arena, path, err);
	}
	if (r) {
		free(fv.v);
		return r;
	}
	if (fv.n)
		qsort(fv.v, fv.n, sizeof(*fv.v), cmp_func);
	size_t k = 0;
	for (size_t i = 0; i < fv.n; i++)
		if (!k || cmp_func(&fv.v[k - 1], &fv.v[i]))
			fv.v[k++] = fv.v[i];
	out->funcs = tarena_alloc(&out->arena, (k ? k : 1) * sizeof(*out->funcs));
	if (!out->funcs) {
		free(fv.v);
		return trec_errf(err, -ENOMEM, "%s: out of memory reading symbols", path);
	}
	if (k)
		memcpy(out->funcs, fv.v, k * sizeof(*fv.v));
	out->nfuncs = k;
	free(fv.v);
	return 0;
}

uint32_t usdt_arg_count(const char *args)
{
	uint32_t n = 0;
	for (const char *p = args; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n++;
		while (*p && *p != ' ')
			p++;
	}
	return n;
}

int usdt_note_parse(const void *desc, size_t len, int elf64, int swap, struct tarena *a, struct usdt_note *out)
{
	const uint8_t *p = desc;
	size_t asz = elf64 ? 8 : 4;
	memset(out, 0, sizeof(*out));
	if (len < 3 * asz + 3)
		return -EINVAL;
	uint64_t v[3];
	for (int i = 0; i < 3; i++) {
		if (elf64) {
			uint64_t x;
			memcpy(&x, p + 8 * i, 8);
			v[i] = swap ? bswap_64(x) : x;
		} else {
			uint32_t x;
			memcpy(&x, p + 4 * i, 4);
			v[i] = swap ? bswap_32(x) : x;
		}
	}
	const char *s = (const char *)p + 3 * asz, *end = (const char *)p + len;
	const char *str[3];
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));
		if (!nul)
			return -EINVAL;
		str[i] = s;
		s = nul + 1;
		if (i < 2 && s >= end)
			return -EINVAL;
	}
	if (!*str[0] || !*str[1] || strlen(str[0]) >= ELF_PROBE_MAX_NAME || strlen(str[1]) >= ELF_PROBE_MAX_NAME ||
	    strlen(str[2]) >= ELF_PROBE_MAX_NAME)
		return -EINVAL;
	out->pc = v[0];
	out->base = v[1];
	out->semaphore = v[2];
	out->provider = tarena_strdup(a, str[0]);
	out->name = tarena_strdup(a, str[1]);
	out->args = tarena_strdup(a, str[2]);
	if (!out->provider || !out->name || !out->args)
		return -ENOMEM;
	out->nargs = usdt_arg_count(out->args);
	return 0;
}

static int host_is_le(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one == 1;
}

static int read_notes(Elf *e, struct elf_probe_info *out, const char *path, struct trec_err *err)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return 0; /* no section names: no notes to find */
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh))
		return trec_errf(err, -ENOEXEC, "%s: bad ELF header", path);
	int elf64 = eh.e_ident[EI_CLASS] == ELFCLASS64;
	int swap = (eh.e_ident[EI_DATA] == ELFDATA2LSB) != host_is_le();
	size_t cap = 0;
	Elf_Scn *scn = NULL;
	for (size_t i = 0; i < MAX_SECTIONS && (scn = elf_nextscn(e, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		const char *sname = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".note.stapsdt"))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return trec_errf(err, -ENOEXEC, "%s: cannot read .note.stapsdt: %s", path, elf_errmsg(-1));
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + name_off, "stapsdt", 8))
				continue;
			if (out->nnotes == ELF_PROBE_MAX_NOTES)
				return trec_errf(err, -E2BIG, "%s: more than %u USDT probes", path, ELF_PROBE_MAX_NOTES);
			if (out->nnotes == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct usdt_note *nv = tarena_alloc(&out->arena, ncap * sizeof(*nv));
				if (!nv)
					return trec_errf(err, -ENOMEM, "%s: out of memory reading USDT notes", path);
				if (out->nnotes)
					memcpy(nv, out->notes, out->nnotes * sizeof(*nv));
				out->notes = nv;
				cap = ncap;
			}
			int r = usdt_note_parse((const char *)d->d_buf + desc_off, nh.n_descsz, elf64, swap, &out->arena,
						&out->notes[out->nnotes]);
			if (r == -ENOMEM)
				return trec_errf(err, r, "%s: out of memory reading USDT notes", path);
			if (r)
				return trec_errf(err, -ENOEXEC, "%s: malformed USDT note %zu in .note.stapsdt", path,
						 out->nnotes);
			out->nnotes++;
		}
	}
	return 0;
}

static int read_segments(Elf *e, struct elf_probe_info *out, const char *path, struct trec_err *err)
{
	size_t phnum;
	if (elf_getphdrnum(e, &phnum) != 0)
		return trec_errf(err, -ENOEXEC, "%s: cannot read program headers: %s", path, elf_errmsg(-1));
	for (size_t i = 0; i < phnum && out->nsegs < ELF_PROBE_MAX_SEGS; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_memsz > UINT64_MAX - ph.p_vaddr || ph.p_filesz > ph.p_memsz)
			return trec_errf(err, -ENOEXEC, "%s: corrupt PT_LOAD segment %zu", path, i);
		out->segs[out->nsegs++] = (struct elf_seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags };
	}
	return 0;
}

/* Opens a regular file without ever opening anything else: O_PATH first
 * (reaches no driver, never blocks on a FIFO), the checks, then the real
 * open through /proc/self/fd. */
static int open_regular(const char *path, struct stat *st, struct trec_err *err)
{
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return trec_errf(err, -errno, "%s: %s", path, strerror(errno));
	int e = 0;
	if (fstat(pfd, st) < 0)
		e = -errno;
	else if (!S_ISREG(st->st_mode))
		e = -ENOEXEC;
	if (e) {
		close(pfd);
		return trec_errf(err, e, "%s: %s", path, e == -ENOEXEC ? "not a regular file" : strerror(-e));
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	e = fd < 0 ? -errno : 0;
	close(pfd);
	return fd < 0 ? trec_errf(err, e, "%s: %s", path, strerror(-e)) : fd;
}

int elf_probe_read(const char *path, unsigned what, struct elf_probe_info *out, struct trec_err *err)
{
	memset(out, 0, sizeof(*out));
	tarena_init(&out->arena);
	struct stat st;
	int fd = open_regular(path, &st, err);
	if (fd < 0)
		return fd;
	int r = 0;
	Elf *e = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		r = trec_errf(err, -ENOTSUP, "%s: libelf: %s", path, elf_errmsg(-1));
		goto out;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		r = trec_errf(err, -ENOEXEC, "%s: not an ELF file", path);
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		r = trec_errf(err, -ENOEXEC, "%s: not an executable or shared library (ELF type %u)", path,
			      (unsigned)eh.e_type);
		goto out;
	}
	/* libelf drops a section table that lies past the end of the file
	 * without a word: a cut file would look like one without symbols. */
	if (eh.e_shoff > (uint64_t)st.st_size) {
		r = trec_errf(err, -ENOEXEC, "%s: section headers past the end of the file (cut short?)", path);
		goto out;
	}
	r = read_segments(e, out, path, err);
	if (!r && (what & ELF_PROBE_FUNCS))
		r = read_funcs(e, out, path, err);
	if (!r && (what & ELF_PROBE_USDT))
		r = read_notes(e, out, path, err);
out:
	if (e)
		elf_end(e);
	close(fd);
	if (r)
		elf_probe_free(out);
	return r;
}

void elf_probe_free(struct elf_probe_info *info)
{
	tarena_free(&info->arena);
	memset(info, 0, sizeof(*info));
}

int elf_probe_offset(const struct elf_probe_info *info, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < info->nsegs; i++) {
		const struct elf_seg *s = &info->segs[i];
		if ((s->flags & PF_X) && vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ERANGE;
}

size_t elf_probe_find(const struct elf_probe_info *info, const char *name, size_t *first)
{
	size_t lo = 0, hi = info->nfuncs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(info->funcs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	while (lo + n < info->nfuncs && !strcmp(info->funcs[lo + n].name, name))
		n++;
	*first = lo;
	return n;
}

const struct elf_func *elf_probe_func_at(const struct elf_probe_info *info, uint64_t vaddr)
{
	const struct elf_func *best = NULL;
	for (size_t i = 0; i < info->nfuncs; i++) {
		const struct elf_func *f = &info->funcs[i];
		if (vaddr >= f->addr && vaddr - f->addr < (f->size ? f->size : 1) && (!best || f->addr > best->addr))
			best = f;
	}
	return best;
}

static int same_probe(const struct usdt_note *a, const struct usdt_note *b)
{
	return !strcmp(a->provider, b->provider) && !strcmp(a->name, b->name);
}

int elf_probe_usdt_first(const struct elf_probe_info *info, size_t i, uint32_t *sites, uint32_t *nargs)
{
	const struct usdt_note *n = &info->notes[i];
	for (size_t k = 0; k < i; k++)
		if (same_probe(&info->notes[k], n))
			return 0;
	*sites = 0;
	*nargs = 0;
	for (size_t k = i; k < info->nnotes; k++)
		if (same_probe(&info->notes[k], n)) {
			(*sites)++;
			if (info->notes[k].nargs > *nargs)
				*nargs = info->notes[k].nargs;
		}
	return 1;
}
