/* SPDX-License-Identifier: MIT */
/*
 * cfi_compile_elf: finds an ELF file's CFI sections with libelf and hands
 * their bytes to cfi_compile (cfi.c, which needs no libelf).
 *
 * As in symtab.c, libelf runs in ELF_C_READ mode: sections are read with
 * pread into memory libelf allocates after checking them against the file
 * size, so a file truncated or rewritten under us is a read error, never
 * SIGBUS. Section sizes (and a compressed section's stated inflated size)
 * are checked against cfi_opts.max_section before anything is read.
 */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <string.h>

#include "cfi.h"

#ifndef SHT_X86_64_UNWIND
#define SHT_X86_64_UNWIND 0x70000001 /* what lld (and gas, in objects) give .eh_frame */
#endif

/* Bounds the section walk of a file claiming an absurd number of them. */
#define MAX_SECTIONS 65536

enum { SEC_EH, SEC_DEBUG, SEC_COUNT };

struct found {
	Elf_Scn *scn[SEC_COUNT];
	uint64_t got; /* .got's address, 0 if none */
};

static int check_header(Elf *e, const char *name, struct trec_err *err)
{
	GElf_Ehdr eh;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return trec_errf(err, -ENOEXEC, "%s: not an ELF file", name);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		return trec_errf(err, -ENOEXEC,
				 "%s: not a 64-bit little-endian x86-64 ELF file (class %u, data %u, machine %u)",
				 name, eh.e_ident[EI_CLASS], eh.e_ident[EI_DATA], eh.e_machine);
	if (eh.e_type == ET_REL)
		return trec_errf(err, -ENOEXEC, "%s: a relocatable object: its CFI has no final addresses", name);
	return 0;
}

static int find_sections(Elf *e, const char *name, struct found *f, struct trec_err *err)
{
	size_t shstrndx, shnum;
	memset(f, 0, sizeof(*f));
	if (elf_getshdrnum(e, &shnum) != 0 || elf_getshdrstrndx(e, &shstrndx) != 0)
		return trec_errf(err, -EBADMSG, "%s: cannot read the section headers: %s", name, elf_errmsg(-1));
	if (shnum > MAX_SECTIONS)
		return trec_errf(err, -E2BIG, "%s: %zu sections, more than %d", name, shnum, MAX_SECTIONS);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *sn = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sn)
			continue;
		if (!strcmp(sn, ".eh_frame") && !f->scn[SEC_EH] &&
		    (sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_X86_64_UNWIND))
			f->scn[SEC_EH] = scn;
		else if (!strcmp(sn, ".debug_frame") && !f->scn[SEC_DEBUG] && sh.sh_type == SHT_PROGBITS)
			f->scn[SEC_DEBUG] = scn;
		else if (!strcmp(sn, ".got") && !f->got && sh.sh_type == SHT_PROGBITS)
			f->got = sh.sh_addr;
	}
	return 0;
}

/* Reads one section into *s. Returns 1 when it is skipped (a compressed
 * section that cannot be inflated), 0 when read, or a negative errno. */
static int read_section(Elf_Scn *scn, const char *name, const char *sn, const struct cfi_opts *o,
			struct cfi_section *s, struct trec_err *err)
{
	GElf_Shdr sh;
	if (!gelf_getshdr(scn, &sh))
		return trec_errf(err, -EBADMSG, "%s: %s: cannot read its header: %s", name, sn, elf_errmsg(-1));
	if (sh.sh_size > o->max_section)
		return trec_errf(err, -E2BIG, "%s: %s of %" PRIu64 " bytes, over %zu (cfi_opts.max_section)", name,
				 sn, (uint64_t)sh.sh_size, o->max_section);
	if (sh.sh_flags & SHF_COMPRESSED) {
		GElf_Chdr ch;
		if (!gelf_getchdr(scn, &ch))
			return 1;
		if (ch.ch_size > o->max_section)
			return trec_errf(err, -E2BIG,
					 "%s: %s inflates to %" PRIu64 " bytes, over %zu (cfi_opts.max_section)", name,
					 sn, (uint64_t)ch.ch_size, o->max_section);
		if (elf_compress(scn, 0, 0) < 0)
			return 1;
	}
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || (!d->d_buf && d->d_size))
		return trec_errf(err, -EBADMSG, "%s: cannot read %s: %s", name, sn, elf_errmsg(-1));
	if (d->d_size > o->max_section)
		return trec_errf(err, -E2BIG, "%s: %s of %zu bytes, over %zu (cfi_opts.max_section)", name, sn,
				 d->d_size, o->max_section);
	s->data = d->d_buf;
	s->size = d->d_size;
	s->vaddr = sh.sh_addr;
	return 0;
}

static int compile_elf(Elf *e, const char *name, const struct cfi_opts *o, struct cfi_table *out,
		       struct trec_err *err)
{
	static const char *const names[SEC_COUNT] = { ".eh_frame", ".debug_frame" };
	struct cfi_opts opts;
	struct found f;
	struct cfi_section secs[SEC_COUNT];
	size_t n = 0;
	uint64_t skipped = 0;
	int rc;

	if (cfi_opts_resolve(o, &opts))
		return trec_errf(err, -EINVAL, "%s: cfi_compile_elf: cfi_opts.sz is 0", name);
	if ((rc = check_header(e, name, err)) || (rc = find_sections(e, name, &f, err)))
		return rc;
	for (int i = 0; i < SEC_COUNT; i++) {
		if (!f.scn[i])
			continue;
		struct cfi_section *s = &secs[n];
		memset(s, 0, sizeof(*s));
		rc = read_section(f.scn[i], name, names[i], &opts, s, err);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			skipped++;
			continue;
		}
		s->debug_frame = i == SEC_DEBUG;
		s->datarel_base = f.got;
		n++;
	}
	rc = cfi_compile(secs, n, name, &opts, out, err);
	out->st.sections_skipped = skipped;
	return rc;
}

int cfi_compile_elf(int fd, const char *name, const struct cfi_opts *o, struct cfi_table *out,
		    struct trec_err *err)
{
	if (!out)
		return trec_errf(err, -EINVAL, "cfi_compile_elf: no table given");
	memset(out, 0, sizeof(*out));
	if (!name)
		name = "(fd)";
	if (fd < 0)
		return trec_errf(err, -EBADF, "%s: no file descriptor", name);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return trec_errf(err, -ENOTSUP, "%s: libelf: %s", name, elf_errmsg(-1));
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return trec_errf(err, -ENOEXEC, "%s: not an ELF file: %s", name, elf_errmsg(-1));
	int rc = compile_elf(e, name, o, out, err);
	elf_end(e);
	return rc;
}
