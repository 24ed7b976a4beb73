/* SPDX-License-Identifier: MIT */
/*
 * Symbol tables read at record time: ELF function symbols (with the
 * .gnu_debugdata mini-debuginfo), kallsyms and perf JIT maps (opened and
 * vetted here, parsed by ksyms.c), and a cache that reads each DSO once. See symtab.h for the address arithmetic.
 *
 * Safety against hostile files, as in buildid.c:
 *  - paths are opened O_PATH first and must be regular files before the
 *    real open: opening a device node can have effects, a FIFO blocks;
 *  - libelf runs in ELF_C_READ mode (pread, no mmap), so a file truncated
 *    under us is a read error rather than SIGBUS, and libelf checks every
 *    section against the file size before it allocates for it;
 *  - names come from elf_strptr, which checks the offset and that the
 *    string ends inside its section; we cut them at SYMTAB_MAX_NAME;
 *  - symbol counts, the compressed and decompressed debugdata sizes and
 *    the xz decoder's memory are capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <libiberty/demangle.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "cfi.h"
#include "hashmap.h"
#include "ksyms.h"
#include "symtab.h"
#include "symtab_build.h"

/* Bounds the section walk of a file claiming an absurd number of them. */
#define MAX_SECTIONS 65536
#define MAX_PHDRS 65536
/* Entries of one symbol table (all types, before filtering): 16M entries
 * is 384 MiB of Elf64_Sym, far above any real binary. */
#define MAX_TABLE_ENTRIES (16u << 20)
/* Compressed .gnu_debugdata; real ones are tens to hundreds of KiB. */
#define MAX_DEBUGDATA_IN (64u << 20)
/* The xz decoder's own memory (dictionary): xz -9 needs 65 MiB. */
#define XZ_MEMLIMIT (128u << 20)
/* Executable segments remembered to bound symbol sizes. */
#define MAX_EXEC_SEGS 16

/* ---- opening files ---------------------------------------------------------- */

/* Opens path for reading if it is a regular file, without ever opening
 * anything else (O_PATH reaches no driver and pins the inode that the
 * checks and the reopen refer to). Returns the fd or a negative errno. */
static int open_regular(const char *path, int nofollow, struct stat *st, struct trec_err *err)
{
	char self[64];
	int pfd = open(path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (pfd < 0) {
		int e = -errno;
		return trec_errf(err, e, "%s: %s", path, strerror(-e));
	}
	if (fstat(pfd, st) < 0) {
		int e = -errno;
		close(pfd);
		return trec_errf(err, e, "%s: %s", path, strerror(-e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(pfd);
		return trec_errf(err, -EINVAL, "%s: not a regular file", path);
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int e = fd < 0 ? -errno : 0;
	close(pfd);
	if (fd < 0)
		return trec_errf(err, e, "%s: %s", path, strerror(-e));
	return fd;
}

/* ---- ELF symbol tables -------------------------------------------------------- */

static int is_function(const GElf_Sym *s)
{
	int t = GELF_ST_TYPE(s->st_info);
	/* Undefined symbols can carry a value (a non-PIE executable's PLT
	 * slot for a function whose address it takes): not ours. */
	return (t == STT_FUNC || t == STT_GNU_IFUNC) && s->st_value != 0 && s->st_shndx != SHN_UNDEF;
}

/* The section a symbol is in, remembered across calls: symbols come
 * grouped by section, so this is one header read per run. */
struct scn_bound {
	size_t ndx; /* 0: none yet */
	uint64_t start, end;
	int exec;   /* SHF_EXECINSTR */
};

/* End of section ndx if it is allocated and holds addr, else 0. The
 * sections of a .gnu_debugdata ELF are NOBITS but keep their addresses
 * and sizes, so this works there too. */
static uint64_t section_end(Elf *e, struct scn_bound *b, size_t ndx, uint64_t addr)
{
	if (ndx == SHN_UNDEF || ndx >= SHN_LORESERVE)
		return 0;
	if (b->ndx != ndx) {
		Elf_Scn *scn = elf_getscn(e, ndx);
		GElf_Shdr sh;
		b->ndx = ndx;
		b->start = b->end = 0;
		b->exec = 0;
		if (scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) &&
		    sh.sh_size <= UINT64_MAX - sh.sh_addr) {
			b->start = sh.sh_addr;
			b->end = sh.sh_addr + sh.sh_size;
			b->exec = !!(sh.sh_flags & SHF_EXECINSTR);
		}
	}
	return addr >= b->start && addr < b->end ? b->end : 0;
}

/* Appends the function symbols of one SHT_SYMTAB/SHT_DYNSYM section. */
static int read_table(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct symbuild *sv, const char *path,
		      const char *what, struct trec_err *err)
{
	size_t entsz = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
	if (!entsz || sh->sh_size / entsz > MAX_TABLE_ENTRIES)
		return trec_errf(err, -E2BIG, "%s: %s has more than %u entries", path, what,
				 MAX_TABLE_ENTRIES);
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || (!d->d_buf && d->d_size))
		return trec_errf(err, -ENOEXEC, "%s: cannot read %s: %s", path, what, elf_errmsg(-1));
	size_t n = d->d_size / entsz;
	struct scn_bound bound = { 0 };
	for (size_t i = 1; i < n; i++) { /* entry 0 is the null symbol */
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			continue;
		/* Code labels as perf takes them: an untyped symbol inside an
		 * executable section (assembly entry points: ld.so's _start). */
		int label = GELF_ST_TYPE(s.st_info) == STT_NOTYPE && s.st_value &&
			    section_end(e, &bound, s.st_shndx, s.st_value) && bound.exec;
		if (!label && !is_function(&s))
			continue;
		const char *name = elf_strptr(e, sh->sh_link, s.st_name);
		if (!name || !*name || (label && !symbuild_label_name(name)))
			continue;
		/* the name stays in libelf's data, alive until elf_end */
		struct symbuild_sym r = {
			.addr = s.st_value,
			.size = s.st_size,
			.end = s.st_size ? 0 : section_end(e, &bound, s.st_shndx, s.st_value),
			.name = name,
			.len = (uint32_t)strnlen(name, SYMTAB_MAX_NAME),
			.global = GELF_ST_BIND(s.st_info) != STB_LOCAL,
			.label = (uint8_t)label,
		};
		int rc = symbuild_push(sv, &r);
		if (rc == -E2BIG)
			return trec_errf(err, rc, "%s: more than %u function symbols", path, SYMTAB_MAX_SYMS);
		if (rc)
			return trec_errf(err, rc, "%s: out of memory reading %s", path, what);
	}
	return 0;
}

struct scns {
	Elf_Scn *symtab, *dynsym, *debugdata, *plt, *plt_sec, *rela_plt;
	GElf_Shdr symtab_sh, dynsym_sh, debugdata_sh, plt_sh, plt_sec_sh, rela_plt_sh;
};

/* One pass over the section headers for the three sections we use. */
static void find_sections(Elf *e, struct scns *s)
{
	size_t shstrndx = 0;
	int have_names = elf_getshdrstrndx(e, &shstrndx) == 0;
	Elf_Scn *scn = NULL;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < MAX_SECTIONS && (scn = elf_nextscn(e, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !s->symtab) {
			s->symtab = scn;
			s->symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM && !s->dynsym) {
			s->dynsym = scn;
			s->dynsym_sh = sh;
		} else if ((sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_RELA) && have_names) {
			const char *name = elf_strptr(e, shstrndx, sh.sh_name);
			struct {
				const char *name;
				Elf_Scn **scn;
				GElf_Shdr *sh;
				Elf64_Word type;
			} want[] = {
				{ ".gnu_debugdata", &s->debugdata, &s->debugdata_sh, SHT_PROGBITS },
				{ ".plt", &s->plt, &s->plt_sh, SHT_PROGBITS },
				{ ".plt.sec", &s->plt_sec, &s->plt_sec_sh, SHT_PROGBITS },
				{ ".rela.plt", &s->rela_plt, &s->rela_plt_sh, SHT_RELA },
			};
			for (size_t k = 0; name && k < sizeof(want) / sizeof(want[0]); k++) {
				if (!*want[k].scn && sh.sh_type == want[k].type && !strcmp(name, want[k].name)) {
					*want[k].scn = scn;
					*want[k].sh = sh;
				}
			}
		}
	}
}

/* .symtab when present (it includes what .dynsym has), else .dynsym; a
 * .symtab without any function (a partly stripped file) falls back too. */
static int read_main_tables(Elf *e, const struct scns *s, struct symbuild *sv, const char *path,
			    struct trec_err *err)
{
	if (s->symtab) {
		int rc = read_table(e, s->symtab, &s->symtab_sh, sv, path, ".symtab", err);
		if (rc || sv->n)
			return rc;
	}
	if (s->dynsym)
		return read_table(e, s->dynsym, &s->dynsym_sh, sv, path, ".dynsym", err);
	return 0;
}

/* ---- PLT stubs ------------------------------------------------------------------ */

#define PLT_ENTRY 16        /* x86-64 PLT entries, lazy or IBT (.plt.sec) */
#define MAX_PLT_RELOCS (1u << 20)
#define R_X86_64_JUMP_SLOT_ 7

/*
 * "name@plt" for each PLT stub, as perf names them: .rela.plt's jump-slot
 * relocations are in stub order; a stub is in .plt.sec when the binary
 * has one (IBT), else in .plt after its 16-byte header. x86-64 only; a
 * table that does not fit this layout adds nothing. Names are built in
 * `names` (the caller frees it after symbuild_finish has copied them).
 */
static int read_plt_syms(Elf *e, const struct scns *s, struct symbuild *sv, struct tarena *names,
			 const char *path, struct trec_err *err)
{
	GElf_Ehdr eh;
	if (!s->rela_plt || !s->dynsym || (!s->plt && !s->plt_sec) || !gelf_getehdr(e, &eh) ||
	    eh.e_machine != EM_X86_64 || elf_ndxscn(s->dynsym) != s->rela_plt_sh.sh_link)
		return 0;
	const GElf_Shdr *stubs = s->plt_sec ? &s->plt_sec_sh : &s->plt_sh;
	uint64_t first = stubs->sh_addr + (s->plt_sec ? 0 : PLT_ENTRY);
	size_t relsz = gelf_fsize(e, ELF_T_RELA, 1, EV_CURRENT);
	Elf_Data *rd = elf_getdata(s->rela_plt, NULL), *sd = elf_getdata(s->dynsym, NULL);
	if (!relsz || !rd || !sd || !rd->d_buf)
		return 0;
	size_t n = rd->d_size / relsz;
	if (n > MAX_PLT_RELOCS || (uint64_t)n * PLT_ENTRY > stubs->sh_size)
		return 0; /* not the layout we know */
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		if (!gelf_getrela(rd, (int)i, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_JUMP_SLOT_ ||
		    !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym))
			continue;
		const char *base = elf_strptr(e, s->dynsym_sh.sh_link, sym.st_name);
		if (!base || !*base)
			continue;
		size_t bl = strnlen(base, SYMTAB_MAX_NAME - 5);
		char *name = tarena_alloc(names, bl + 5);
		if (!name)
			return trec_errf(err, -ENOMEM, "%s: out of memory naming its PLT", path);
		memcpy(name, base, bl);
		memcpy(name + bl, "@plt", 5);
		struct symbuild_sym p = { .addr = first + (uint64_t)i * PLT_ENTRY, .size = PLT_ENTRY, .name = name,
					  .len = (uint32_t)(bl + 4), .global = 1 };
		int rc = symbuild_push(sv, &p);
		if (rc == -E2BIG)
			return trec_errf(err, rc, "%s: more than %u function symbols", path, SYMTAB_MAX_SYMS);
		if (rc)
			return trec_errf(err, rc, "%s: out of memory reading its PLT", path);
	}
	return 0;
}

/* ---- .gnu_debugdata ------------------------------------------------------------ */

/* Decompresses an .xz stream into a malloc'ed buffer of at most
 * SYMTAB_MAX_DEBUGDATA bytes. */
static int xz_decompress(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = inlen < (16u << 10) ? (64u << 10) : inlen * 4, len = 0;
	uint8_t *buf = NULL;
	int rc = 0;

	if (cap > SYMTAB_MAX_DEBUGDATA)
		cap = SYMTAB_MAX_DEBUGDATA;
	if (lzma_stream_decoder(&s, XZ_MEMLIMIT, 0) != LZMA_OK)
		return -ENOMEM;
	if (!(buf = malloc(cap))) {
		lzma_end(&s);
		return -ENOMEM;
	}
	s.next_in = in;
	s.avail_in = inlen;
	for (;;) {
		s.next_out = buf + len;
		s.avail_out = cap - len;
		lzma_ret r = lzma_code(&s, LZMA_FINISH);
		len = cap - s.avail_out;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR) {
			rc = r == LZMA_MEM_ERROR ? -ENOMEM : -E2BIG;
			break;
		}
		if (r != LZMA_OK) { /* corrupt, truncated, unsupported */
			rc = -EBADMSG;
			break;
		}
		if (s.avail_out)
			continue; /* progress without filling the buffer: go on */
		if (cap >= SYMTAB_MAX_DEBUGDATA) {
			rc = -E2BIG;
			break;
		}
		size_t ncap = cap * 2 > SYMTAB_MAX_DEBUGDATA ? SYMTAB_MAX_DEBUGDATA : cap * 2;
		uint8_t *nb = realloc(buf, ncap);
		if (!nb) {
			rc = -ENOMEM;
			break;
		}
		buf = nb;
		cap = ncap;
	}
	lzma_end(&s);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

struct debugdata {
	uint8_t *image; /* decompressed ELF; must outlive elf */
	Elf *elf;
};

static void debugdata_free(struct debugdata *dd)
{
	if (dd->elf)
		elf_end(dd->elf);
	free(dd->image);
	memset(dd, 0, sizeof(*dd));
}

/* Appends the .symtab of the mini-debuginfo: the local functions that
 * were stripped from the main file. Its symbols have the main file's
 * addresses. */
static int read_debugdata(const struct scns *s, struct debugdata *dd, struct symbuild *sv,
			  const char *path, struct trec_err *err)
{
	const char *what = ".gnu_debugdata";
	size_t len = 0;
	int rc;

	if (s->debugdata_sh.sh_size > MAX_DEBUGDATA_IN)
		return trec_errf(err, -E2BIG, "%s: %s is larger than %u bytes", path, what, MAX_DEBUGDATA_IN);
	Elf_Data *d = elf_rawdata(s->debugdata, NULL);
	if (!d || !d->d_buf || !d->d_size)
		return trec_errf(err, -ENOEXEC, "%s: cannot read %s: %s", path, what, elf_errmsg(-1));
	rc = xz_decompress(d->d_buf, d->d_size, &dd->image, &len);
	if (rc == -E2BIG)
		return trec_errf(err, rc, "%s: %s decompresses to more than %u bytes", path, what,
				 SYMTAB_MAX_DEBUGDATA);
	if (rc == -ENOMEM)
		return trec_errf(err, rc, "%s: out of memory decompressing %s", path, what);
	if (rc)
		return trec_errf(err, -ENOEXEC, "%s: %s is not a valid xz stream", path, what);
	dd->elf = elf_memory((char *)dd->image, len);
	if (!dd->elf || elf_kind(dd->elf) != ELF_K_ELF)
		return trec_errf(err, -ENOEXEC, "%s: %s does not hold an ELF file", path, what);
	struct scns inner;
	find_sections(dd->elf, &inner);
	if (!inner.symtab)
		return 0; /* nothing to add (allowed: the tools may keep none) */
	return read_table(dd->elf, inner.symtab, &inner.symtab_sh, sv, path, ".gnu_debugdata .symtab", err);
}

/* ---- program headers ---------------------------------------------------------- */

struct layout {
	uint64_t load_bias;
	struct symbuild_seg exec[MAX_EXEC_SEGS];
	size_t nexec;
};

/* load_bias from the first executable PT_LOAD (the one a stack's code
 * addresses are in); executable segments also bound symbol sizes. */
static int read_layout(Elf *e, struct layout *l, const char *path, struct trec_err *err)
{
	size_t phnum = 0;
	int found = 0;

	memset(l, 0, sizeof(*l));
	if (elf_getphdrnum(e, &phnum) != 0)
		return trec_errf(err, -ENOEXEC, "%s: cannot read program headers: %s", path, elf_errmsg(-1));
	for (size_t i = 0; i < phnum && i < MAX_PHDRS; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (!found) {
			l->load_bias = ph.p_vaddr - ph.p_offset; /* modulo 2^64 on purpose */
			found = 1;
		}
		if (l->nexec < MAX_EXEC_SEGS && ph.p_memsz <= UINT64_MAX - ph.p_vaddr)
			l->exec[l->nexec++] = (struct symbuild_seg){ ph.p_vaddr, ph.p_vaddr + ph.p_memsz };
	}
	if (!found)
		return trec_errf(err, -ENOEXEC, "%s: no executable PT_LOAD segment", path);
	return 0;
}

/* ---- functions without symbols: .eh_frame FDEs ------------------------------------ */

/*
 * The functions the file's FDEs describe (record/cfi.c reads .eh_frame and
 * .debug_frame), for symbuild: they bound guessed symbol sizes and name the
 * code no symbol covers. A file whose CFI cannot be read still has its
 * symbols: then there are no functions, and no error. The CFI compiler
 * promises sorted, non-overlapping ranges; anything else is dropped here
 * so the table's order never depends on that promise.
 */
static int read_fde_funcs(int fd, const char *path, struct symbuild_func **out, size_t *n)
{
	struct cfi_opts o = { .sz = sizeof(o), .want_funcs = 1 };
	struct cfi_table t;
	struct trec_err e = { 0 };
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (cfi_compile_elf(fd, path, &o, &t, &e) == 0 && t.nfuncs) {
		struct symbuild_func *f = malloc(t.nfuncs * sizeof(*f));
		size_t k = 0;
		if (!f)
			rc = -ENOMEM;
		for (size_t i = 0; f && i < t.nfuncs; i++) {
			const struct cfi_func *c = &t.funcs[i];
			if (c->end > c->start && (!k || c->start >= f[k - 1].end))
				f[k++] = (struct symbuild_func){ c->start, c->end };
		}
		*out = f;
		*n = k;
	}
	cfi_table_free(&t);
	return rc;
}

/* ---- demangling ------------------------------------------------------------------ */

/*
 * perf 6.1 shows cplus_demangle(name, DMGL_NO_OPTS): no parameters, no
 * clone suffixes, Rust hashes dropped, and that is what users compare
 * with. cplus_demangle tries Rust (legacy and v0) first, then the Itanium
 * C++ ABI; we call the same two demanglers through their callback forms,
 * so that the output can be capped: back-references let a short mangled
 * name demangle to an exponentially long one in both schemes (measured
 * with libiberty 20230104: 300 bytes of C++ template arguments give 770
 * KB, 220 bytes of Rust v0 tuples 100 MB, each 20 more bytes double it),
 * and the file is untrusted. At the cap the sink jumps out of the
 * demangler.
 *
 * The C++ demangler's callback form allocates nothing (its state is on
 * the stack), so leaving it that way is clean. The Rust one mallocs one
 * buffer while it prints a Punycode (non-ASCII) identifier, and leaving it
 * then leaks that buffer (at most 32 KiB for a name of SYMTAB_MAX_NAME
 * bytes). So jumps out of the Rust demangler on names that may hold such
 * an identifier (a 'u' followed by a digit) are counted, and after
 * RUST_LEAK_BUDGET of them the process stops calling it: at most 2 MiB
 * lost to hostile files; Rust names are then shown raw (or, legacy ones,
 * as the C++ demangler reads them, with their hash).
 */
#define RUST_LEAK_BUDGET 64

static unsigned rust_jumps_that_may_leak;

struct demangler {
	char buf[SYMTAB_MAX_NAME + 1];
	size_t len;
	int cut;
	volatile int in_rust; /* read after a longjmp */
	jmp_buf full;
};

static void demangle_sink(const char *s, size_t n, void *opaque)
{
	struct demangler *d = opaque;
	size_t room = SYMTAB_MAX_NAME - d->len;
	if (n > room) {
		memcpy(d->buf + d->len, s, room);
		d->len = SYMTAB_MAX_NAME;
		d->cut = 1;
		longjmp(d->full, 1);
	}
	memcpy(d->buf + d->len, s, n);
	d->len += n;
}

/* The length of s[0..len) without a character cut in two at its end (Rust
 * v0 names decode Punycode identifiers to UTF-8). */
static size_t utf8_whole(const char *s, size_t len)
{
	size_t start = len;
	while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (!start)
		return len;
	unsigned char lead = (unsigned char)s[start - 1];
	size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return len - (start - 1) < need ? start - 1 : len;
}

/* Whether a Rust v0 name may hold a Punycode identifier ("u" and its
 * length): the only case where the Rust demangler holds memory. */
static int may_have_punycode(const char *name)
{
	for (const char *p = strchr(name, 'u'); p; p = strchr(p + 1, 'u'))
		if (p[1] >= '0' && p[1] <= '9')
			return 1;
	return 0;
}

/* The demangled form of name in d->buf (cut at SYMTAB_MAX_NAME bytes, at a
 * UTF-8 character boundary), or NULL when name is not a mangled name. */
static const char *demangle_name(struct demangler *d, const char *name)
{
	d->len = 0;
	d->cut = 0;
	d->in_rust = 0;
	if (!setjmp(d->full)) {
		int ok = 0;
		if (__atomic_load_n(&rust_jumps_that_may_leak, __ATOMIC_RELAXED) < RUST_LEAK_BUDGET) {
			d->in_rust = 1;
			ok = rust_demangle_callback(name, DMGL_NO_OPTS, demangle_sink, d);
			d->in_rust = 0;
		}
		if (!ok) {
			d->len = 0; /* a failed attempt may have printed part of a name */
			ok = cplus_demangle_v3_callback(name, DMGL_NO_OPTS, demangle_sink, d);
		}
		if (!ok)
			return NULL;
	} else if (d->in_rust && may_have_punycode(name)) {
		__atomic_add_fetch(&rust_jumps_that_may_leak, 1, __ATOMIC_RELAXED);
	}
	if (d->cut)
		d->len = utf8_whole(d->buf, d->len);
	d->buf[d->len] = 0;
	return d->len ? d->buf : NULL;
}

/* Sets the demangled name of every symbol that has one other than its own
 * name. The table's symbols were just allocated in a by symbuild_finish. */
static int demangle_table(struct trec_dso_syms *t, struct tarena *a, const char *path, struct trec_err *err)
{
	struct demangler *d = malloc(sizeof(*d));
	if (!d)
		return trec_errf(err, -ENOMEM, "%s: out of memory demangling", path);
	struct trec_sym *v = (struct trec_sym *)t->syms;
	int rc = 0;
	for (uint32_t i = 0; i < t->nsyms && !rc; i++) {
		if (v[i].flags & TREC_SYM_FDE)
			continue;
		const char *dm = demangle_name(d, v[i].name);
		if (!dm || !strcmp(dm, v[i].name))
			continue;
		if (!(v[i].demangled = tarena_strndup(a, dm, d->len)))
			rc = trec_errf(err, -ENOMEM, "%s: out of memory for demangled names", path);
	}
	free(d);
	return rc;
}

/* ---- symtab_read_elf ----------------------------------------------------------- */

/* Whether a header table of n entries of type t at off lies in the file. */
static int table_fits(Elf *e, Elf_Type t, uint64_t off, size_t n, uint64_t fsize)
{
	uint64_t sz = (uint64_t)gelf_fsize(e, t, 1, EV_CURRENT) * n;
	return off <= fsize && sz <= fsize - off;
}

/* A cut file is said to be cut: libelf would otherwise see no sections
 * at all and we would return an empty table as if the file had none. */
static int check_header(Elf *e, uint64_t fsize, const char *path, struct trec_err *err)
{
	GElf_Ehdr eh;
	size_t n;

	if (elf_kind(e) != ELF_K_ELF)
		return trec_errf(err, -ENOEXEC, "%s: not an ELF file", path);
	if (!gelf_getehdr(e, &eh))
		return trec_errf(err, -ENOEXEC, "%s: bad ELF header: %s", path, elf_errmsg(-1));
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return trec_errf(err, -ENOEXEC, "%s: not an executable or shared library (ELF type %u)", path,
				 (unsigned)eh.e_type);
	/* The counts the header claims, not libelf's: libelf quietly drops
	 * a section table that lies past the end of the file. */
	n = eh.e_phnum;
	if (n == PN_XNUM && elf_getphdrnum(e, &n) != 0)
		n = PN_XNUM;
	if (!table_fits(e, ELF_T_PHDR, eh.e_phoff, n, fsize))
		return trec_errf(err, -ENOEXEC, "%s: program headers truncated or corrupt", path);
	n = eh.e_shnum;
	if (eh.e_shoff && n == 0 && (elf_getshdrnum(e, &n) != 0 || n == 0))
		n = 1; /* extended count: section 0 holds it, so it must be there */
	if (eh.e_shoff && !table_fits(e, ELF_T_SHDR, eh.e_shoff, n, fsize))
		return trec_errf(err, -ENOEXEC, "%s: section headers truncated or corrupt", path);
	return 0;
}

/* The part that runs with the file open and an Elf handle. */
static int read_elf(Elf *e, int fd, uint64_t fsize, const char *path, struct tarena *a,
		    struct trec_dso_syms *out, struct trec_err *err)
{
	struct symbuild sv;
	struct debugdata dd = { 0 };
	struct layout l;
	struct scns s;
	int rc;

	if ((rc = check_header(e, fsize, path, err)) || (rc = read_layout(e, &l, path, err)))
		return rc;
	struct tarena plt_names;
	tarena_init(&plt_names);
	symbuild_init(&sv, SYMTAB_MAX_SYMS);
	find_sections(e, &s);
	rc = read_main_tables(e, &s, &sv, path, err);
	if (!rc)
		rc = read_plt_syms(e, &s, &sv, &plt_names, path, err);
	if (!rc && s.debugdata)
		rc = read_debugdata(&s, &dd, &sv, path, err);
	struct symbuild_func *funcs = NULL;
	if (!rc && (rc = read_fde_funcs(fd, path, &funcs, &sv.nfuncs)))
		rc = trec_errf(err, rc, "%s: out of memory for its FDE functions", path);
	sv.funcs = funcs;
	if (!rc)
		rc = symbuild_finish(&sv, l.exec, l.nexec, a, out, path, err);
	/* names point into both Elf handles' data until the copy above */
	debugdata_free(&dd);
	symbuild_free(&sv);
	tarena_free(&plt_names);
	free(funcs);
	if (!rc)
		rc = demangle_table(out, a, path, err);
	if (rc)
		return rc;

	out->load_bias = l.load_bias;
	uint8_t id[BUILDID_MAX];
	int n = buildid_read_fd(fd, id);
	if (n > 0 && n <= TREC_MAX_BUILD_ID) {
		memcpy(out->build_id, id, (size_t)n);
		out->build_id_len = (uint8_t)n;
	}
	return 0;
}

int symtab_read_elf(const char *path, int fd, struct tarena *a, struct trec_dso_syms *out,
		    struct trec_err *err)
{
	const char *name = path && *path ? path : "(fd)";
	struct stat st;
	int own = -1, rc;

	if (!a || !out || (fd < 0 && (!path || !*path)))
		return trec_errf(err, -EINVAL, "symtab: no file given");
	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		if ((own = open_regular(path, 0, &st, err)) < 0)
			return own;
		fd = own;
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		return trec_errf(err, -EINVAL, "%s: not a regular file", name);
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		rc = trec_errf(err, -ENOTSUP, "%s: libelf: %s", name, elf_errmsg(-1));
	} else {
		Elf *e = elf_begin(fd, ELF_C_READ, NULL);
		if (!e) {
			rc = trec_errf(err, -ENOEXEC, "%s: not an ELF file: %s", name, elf_errmsg(-1));
		} else {
			rc = read_elf(e, fd, (uint64_t)st.st_size, name, a, out, err);
			elf_end(e);
		}
	}
	if (!rc && !(out->path = tarena_strndup(a, name, strnlen(name, SYMTAB_MAX_NAME))))
		rc = trec_errf(err, -ENOMEM, "%s: out of memory", name);
	if (own >= 0)
		close(own);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- kallsyms and perf maps: opened here, parsed by ksyms.c -------------------- */

int symtab_read_kallsyms(const char *path, struct tarena *a, struct trec_ksym **out, size_t *n,
			 struct trec_err *err)
{
	if (!a || !out || !n)
		return trec_errf(err, -EINVAL, "kallsyms: bad arguments");
	if (!path)
		path = "/proc/kallsyms";
	*out = NULL;
	*n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		return trec_errf(err, e, "%s: %s", path, strerror(-e));
	}
	int rc = ksyms_parse_kallsyms(fd, path, a, out, n, err);
	close(fd);
	return rc;
}

/* /tmp is writable by everybody: accept a map owned by root or by the
 * process's user. When the process is gone there is nothing to compare. */
static int check_owner(int pid, const struct stat *st, const char *path, struct trec_err *err)
{
	char proc[32];
	struct stat pst;

	snprintf(proc, sizeof(proc), "/proc/%d", pid);
	if (st->st_uid == 0 || stat(proc, &pst) < 0 || pst.st_uid == st->st_uid)
		return 0;
	return trec_errf(err, -EPERM, "%s: owned by uid %u, not by root or the process's uid %u: ignored",
			 path, (unsigned)st->st_uid, (unsigned)pst.st_uid);
}

int symtab_read_perfmap(int pid, struct tarena *a, struct trec_dso_syms *out, struct trec_err *err)
{
	char path[64];
	struct stat st;
	int fd, rc;

	if (pid <= 0 || !a || !out)
		return trec_errf(err, -EINVAL, "perf map: bad arguments");
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
	/* No err for a missing map: most processes have none. A symlink is
	 * refused (not a regular file): JITs write plain files. */
	fd = open_regular(path, 1, &st, NULL);
	if (fd == -ENOENT)
		return fd;
	if (fd < 0)
		return trec_errf(err, fd, "%s: %s", path, fd == -EINVAL ? "not a regular file" : strerror(-fd));
	if ((rc = check_owner(pid, &st, path, err))) {
		close(fd);
		return rc;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return trec_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	rc = ksyms_parse_perfmap(f, a, out);
	fclose(f);
	if (!rc && !(out->path = tarena_strdup(a, path)))
		rc = -ENOMEM;
	if (rc) {
		memset(out, 0, sizeof(*out));
		return trec_errf(err, rc, "%s: %s", path, rc == -EIO ? "read error" : "out of memory");
	}
	return 0;
}

/* ---- cache ------------------------------------------------------------------------ */

enum { KEY_STAT = 1, KEY_BUILDID = 2 };

struct sc_key {
	uint8_t kind;
	uint8_t len;
	uint8_t b[BUILDID_MAX];
};

struct sc_entry {
	struct trec_dso_syms dso;
	int rc;          /* 0, or the cached failure */
	const char *msg; /* of the failure, in the arena */
};

struct symtab_cache {
	struct tarena arena; /* tables, entries, messages */
	struct hashmap map; /* struct sc_key * (in the arena) -> struct sc_entry * */
	uint64_t lookups, hits, parses, failures;
	size_t tables;
	char errmsg[512];
};

static size_t key_hash(long key, void *ctx)
{
	const struct sc_key *k = (const struct sc_key *)key;
	uint64_t h = 0xcbf29ce484222325ull ^ k->kind; /* FNV-1a */
	for (size_t i = 0; i < k->len; i++)
		h = (h ^ k->b[i]) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 29));
}

static bool key_eq(long ka, long kb, void *ctx)
{
	const struct sc_key *a = (const struct sc_key *)ka, *b = (const struct sc_key *)kb;
	return a->kind == b->kind && a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

int symtab_cache_new(struct symtab_cache **out)
{
	struct symtab_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	tarena_init(&c->arena);
	hashmap_init(&c->map, key_hash, key_eq, NULL);
	*out = c;
	return 0;
}

void symtab_cache_free(struct symtab_cache *c)
{
	if (!c)
		return;
	tarena_free(&c->arena);
	hashmap_clear(&c->map);
	free(c);
}

void symtab_cache_stats(const struct symtab_cache *c, struct symtab_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	st->lookups = c->lookups;
	st->hits = c->hits;
	st->parses = c->parses;
	st->failures = c->failures;
	st->tables = c->tables;
	st->arena_bytes = c->arena.used;
}

const char *symtab_cache_errmsg(const struct symtab_cache *c)
{
	return c && c->errmsg[0] ? c->errmsg : "no error";
}

static struct sc_entry *cache_find(const struct symtab_cache *c, const struct sc_key *k)
{
	long e;
	return hashmap_find(&c->map, (long)k, &e) ? (struct sc_entry *)e : NULL;
}

/* A failed insert only costs a re-parse later. */
static void cache_put(struct symtab_cache *c, const struct sc_key *k, struct sc_entry *e)
{
	struct sc_key *copy = tarena_alloc(&c->arena, sizeof(*copy));
	if (!copy)
		return;
	*copy = *k;
	hashmap_set(&c->map, (long)copy, (long)e, NULL, NULL);
}

/* The file's identity now: a replaced or rewritten file is a new key. */
static void stat_key(const struct stat *st, struct sc_key *k)
{
	uint64_t f[5] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
			  (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec };
	memset(k, 0, sizeof(*k));
	k->kind = KEY_STAT;
	k->len = sizeof(f);
	memcpy(k->b, f, sizeof(f));
}

static int answer(struct symtab_cache *c, const struct sc_entry *e, const struct trec_dso_syms **dso)
{
	if (e->rc) {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s", e->msg ? e->msg : strerror(-e->rc));
		return e->rc;
	}
	*dso = &e->dso;
	return 0;
}

/* Parses the file and caches the result under its keys (build-id key
 * only when bk is non-NULL). Returns 1 or the failure. */
static int parse_and_put(struct symtab_cache *c, const char *path, int fd, const struct sc_key *sk,
			 const struct sc_key *bk, const struct trec_dso_syms **dso)
{
	struct trec_err err = { 0 };
	struct sc_entry *e = tarena_alloc(&c->arena, sizeof(*e));

	if (!e) {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s: out of memory", path);
		return -ENOMEM;
	}
	c->parses++;
	e->rc = symtab_read_elf(path, fd, &c->arena, &e->dso, &err);
	if (e->rc) {
		c->failures++;
		snprintf(c->errmsg, sizeof(c->errmsg), "%s", trec_errmsg(&err, e->rc));
		if (e->rc == -ENOMEM)
			return e->rc; /* transient: not cached */
		e->msg = tarena_strdup(&c->arena, c->errmsg);
	} else {
		c->tables++;
		*dso = &e->dso;
	}
	cache_put(c, sk, e);
	if (bk)
		cache_put(c, bk, e);
	return e->rc ? e->rc : 1;
}

int symtab_cache_get(struct symtab_cache *c, const char *path, int fd, const struct trec_dso_syms **dso)
{
	struct trec_err err = { 0 };
	const char *name = path && *path ? path : "(fd)";
	struct sc_key sk, bk;
	struct sc_entry *e;
	struct stat st;
	int own = -1, rc;

	if (!c || !dso || (fd < 0 && (!path || !*path)))
		return -EINVAL;
	c->errmsg[0] = 0;
	c->lookups++;
	if (fd < 0) {
		if ((own = open_regular(path, 0, &st, &err)) < 0) {
			snprintf(c->errmsg, sizeof(c->errmsg), "%s", trec_errmsg(&err, own));
			return own;
		}
		fd = own;
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s: not a regular file", name);
		return -EINVAL;
	}

	stat_key(&st, &sk);
	if ((e = cache_find(c, &sk))) {
		c->hits++;
		rc = answer(c, e, dso);
	} else {
		uint8_t id[BUILDID_MAX];
		int n = buildid_read_fd(fd, id);
		memset(&bk, 0, sizeof(bk));
		if (n > 0) {
			bk.kind = KEY_BUILDID;
			bk.len = (uint8_t)n;
			memcpy(bk.b, id, (size_t)n);
		}
		if (n > 0 && (e = cache_find(c, &bk))) {
			/* same build, another path or copy: remember this file too */
			c->hits++;
			cache_put(c, &sk, e);
			rc = answer(c, e, dso);
		} else {
			rc = parse_and_put(c, name, fd, &sk, n > 0 ? &bk : NULL, dso);
		}
	}
	if (own >= 0)
		close(own);
	return rc;
}
