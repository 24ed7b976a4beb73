/* SPDX-License-Identifier: MIT */
/*
 * The bounded ELF reader (lib/elfread.c) on ELF images made here, in the
 * four classes and byte orders (the system's compilers make only one):
 * headers, build-id notes and symbol tables read back; every cut of an
 * image and targeted lies in its headers give an error naming the file or
 * a sane result, never a crash (run under ASan too: make SAN=1
 * build/asan/tests/test_elfread); the lenient load keeps the PT_NOTE of a
 * file whose section headers are gone. Real files (nm, readelf) are
 * test_elfsyms' and test_rec_symtab's job.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfread.h"

/* ---- making images ---------------------------------------------------------------- */

struct img {
	uint8_t b[4096];
	int c64, le;
	size_t len;
	/* where things went */
	size_t phoff, shoff, note_off, note_len;
};

static void put(struct img *m, size_t off, uint64_t v, unsigned w)
{
	for (unsigned i = 0; i < w; i++)
		m->b[off + (m->le ? i : w - 1 - i)] = (uint8_t)(v >> (8 * i));
}

/* An address-sized field: 4 or 8 bytes by class. */
static void puta(struct img *m, size_t off, uint64_t v)
{
	put(m, off, v, m->c64 ? 8 : 4);
}

static const uint8_t BID[20] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const char STRTAB[] = "\0alpha\0beta\0data_obj";

/*
 * ELF header; PT_LOAD (r-x) and PT_NOTE; the note; .symtab (null, alpha:
 * global func, beta: local func, data_obj: object) and .strtab; section
 * headers: null, .note (SHT_NOTE), .symtab, .strtab.
 */
static void make(struct img *m, int c64, int le)
{
	memset(m, 0, sizeof(*m));
	m->c64 = c64;
	m->le = le;
	const unsigned ehsz = c64 ? 64 : 52, phsz = c64 ? 56 : 32, shsz = c64 ? 64 : 40, symsz = c64 ? 24 : 16;
	memcpy(m->b, "\177ELF", 4);
	m->b[4] = c64 ? 2 : 1;
	m->b[5] = le ? 1 : 2;
	m->b[6] = 1;
	put(m, 16, 3, 2); /* ET_DYN */
	put(m, 20, 1, 4); /* e_version */
	size_t off = ehsz;
	m->phoff = off;
	off += 2 * phsz;
	/* the note */
	m->note_off = off;
	put(m, off, 4, 4);
	put(m, off + 4, sizeof(BID), 4);
	put(m, off + 8, ELFREAD_NT_GNU_BUILD_ID, 4);
	memcpy(m->b + off + 12, "GNU", 4);
	memcpy(m->b + off + 16, BID, sizeof(BID));
	m->note_len = 16 + sizeof(BID);
	off += m->note_len;
	off = (off + 7) & ~(size_t)7;
	/* symbols */
	size_t symoff = off;
	struct {
		uint32_t name;
		uint8_t info;
		uint16_t shndx;
		uint64_t value, size;
	} syms[4] = { { 0 }, { 1, 0x12, 1, 0x1000, 0x10 }, { 7, 0x02, 1, 0x1010, 0x20 }, { 12, 0x11, 1, 0x2000, 8 } };
	for (int i = 0; i < 4; i++, off += symsz) {
		put(m, off, syms[i].name, 4);
		if (c64) {
			m->b[off + 4] = syms[i].info;
			put(m, off + 6, syms[i].shndx, 2);
			put(m, off + 8, syms[i].value, 8);
			put(m, off + 16, syms[i].size, 8);
		} else {
			put(m, off + 4, syms[i].value, 4);
			put(m, off + 8, syms[i].size, 4);
			m->b[off + 12] = syms[i].info;
			put(m, off + 14, syms[i].shndx, 2);
		}
	}
	size_t stroff = off;
	memcpy(m->b + off, STRTAB, sizeof(STRTAB));
	off += sizeof(STRTAB);
	off = (off + 7) & ~(size_t)7;
	/* section headers */
	m->shoff = off;
	struct {
		uint32_t type, link;
		uint64_t flags, offset, size, align, entsize;
	} sh[4] = {
		{ 0 },
		{ ELFREAD_SHT_NOTE, 0, ELFREAD_SHF_ALLOC, m->note_off, m->note_len, 4, 0 },
		{ ELFREAD_SHT_SYMTAB, 3, 0, symoff, 4 * symsz, 8, symsz },
		{ ELFREAD_SHT_STRTAB, 0, 0, stroff, sizeof(STRTAB), 1, 0 },
	};
	for (int i = 0; i < 4; i++, off += shsz) {
		size_t s = off;
		put(m, s + 4, sh[i].type, 4);
		if (c64) {
			put(m, s + 8, sh[i].flags, 8);
			put(m, s + 24, sh[i].offset, 8);
			put(m, s + 32, sh[i].size, 8);
			put(m, s + 40, sh[i].link, 4);
			put(m, s + 48, sh[i].align, 8);
			put(m, s + 56, sh[i].entsize, 8);
		} else {
			put(m, s + 8, sh[i].flags, 4);
			put(m, s + 16, sh[i].offset, 4);
			put(m, s + 20, sh[i].size, 4);
			put(m, s + 24, sh[i].link, 4);
			put(m, s + 32, sh[i].align, 4);
			put(m, s + 36, sh[i].entsize, 4);
		}
	}
	m->len = off;
	/* program headers: PT_LOAD r-x at vaddr 0x1000 for the whole file, PT_NOTE */
	for (int i = 0; i < 2; i++) {
		size_t p = m->phoff + (size_t)i * phsz;
		uint32_t type = i ? ELFREAD_PT_NOTE : ELFREAD_PT_LOAD, flags = i ? 4 : 5;
		uint64_t o = i ? m->note_off : 0, va = i ? 0x1000 + m->note_off : 0x1000,
			 sz = i ? m->note_len : m->len, al = i ? 4 : 0x1000;
		put(m, p, type, 4);
		if (c64) {
			put(m, p + 4, flags, 4);
			put(m, p + 8, o, 8);
			put(m, p + 16, va, 8);
			put(m, p + 24, va, 8);
			put(m, p + 32, sz, 8);
			put(m, p + 40, sz, 8);
			put(m, p + 48, al, 8);
		} else {
			put(m, p + 4, o, 4);
			put(m, p + 8, va, 4);
			put(m, p + 12, va, 4);
			put(m, p + 16, sz, 4);
			put(m, p + 20, sz, 4);
			put(m, p + 24, flags, 4);
			put(m, p + 28, al, 4);
		}
	}
	/* e_phoff, e_shoff, e_ehsize, sizes and counts */
	if (c64) {
		puta(m, 32, m->phoff);
		puta(m, 40, m->shoff);
		put(m, 52, ehsz, 2);
		put(m, 54, phsz, 2);
		put(m, 56, 2, 2);
		put(m, 58, shsz, 2);
		put(m, 60, 4, 2);
	} else {
		puta(m, 28, m->phoff);
		puta(m, 32, m->shoff);
		put(m, 40, ehsz, 2);
		put(m, 42, phsz, 2);
		put(m, 44, 2, 2);
		put(m, 46, shsz, 2);
		put(m, 48, 4, 2);
	}
}

/* ---- reading them back -------------------------------------------------------------- */

struct seen {
	int n;
	char names[8][16];
	uint64_t value[8], size[8];
	uint8_t type[8], bind[8];
};

static int collect(const struct elfread_sym *s, void *ctx)
{
	struct seen *v = ctx;
	if (v->n < 8) {
		snprintf(v->names[v->n], sizeof(v->names[0]), "%s", s->name ? s->name : "(null)");
		v->value[v->n] = s->value;
		v->size[v->n] = s->size;
		v->type[v->n] = s->type;
		v->bind[v->n] = s->bind;
	}
	v->n++;
	return 0;
}

static void test_four_kinds(void **state)
{
	for (int k = 0; k < 4; k++) {
		struct img m;
		struct elfread e;
		struct trec_err err = { 0 };
		uint8_t id[ELFREAD_MAX_BUILD_ID];
		make(&m, k & 1, k >> 1);
		assert_int_equal(elfread_open_mem(&e, m.b, m.len, "img", &err), 0);
		assert_int_equal(e.class64, k & 1);
		assert_int_equal(e.le, k >> 1);
		assert_int_equal(e.type, ELFREAD_ET_DYN);
		if (elfread_load_headers(&e, 0, &err))
			fail_msg("kind %d: %s", k, err.msg);
		assert_int_equal(e.phnum, 2);
		assert_int_equal(e.shnum, 4);
		assert_int_equal(e.ph[0].type, ELFREAD_PT_LOAD);
		assert_int_equal(e.ph[0].flags, 5);
		assert_int_equal(e.ph[0].vaddr, 0x1000);
		assert_int_equal(e.ph[0].filesz, m.len);
		assert_int_equal(e.ph[1].align, 4);
		assert_int_equal(e.sh[2].type, ELFREAD_SHT_SYMTAB);
		assert_int_equal(e.sh[2].link, 3);

		assert_int_equal(elfread_build_id(&e, id, &err), (int)sizeof(BID));
		assert_memory_equal(id, BID, sizeof(BID));

		struct elfread_syms s;
		struct seen v = { 0 };
		assert_int_equal(elfread_syms_open(&e, 2, ".symtab", &s, &err), 0);
		assert_int_equal(elfread_syms_each(&e, &s, collect, &v, &err), 0);
		assert_int_equal(v.n, 3);
		assert_string_equal(v.names[0], "alpha");
		assert_int_equal(v.value[0], 0x1000);
		assert_int_equal(v.size[0], 0x10);
		assert_int_equal(v.type[0], ELFREAD_STT_FUNC);
		assert_int_equal(v.bind[0], 1);
		assert_string_equal(v.names[1], "beta");
		assert_int_equal(v.bind[1], ELFREAD_STB_LOCAL);
		assert_string_equal(v.names[2], "data_obj");
		assert_int_equal(v.type[2], 1);
		elfread_syms_close(&s);
		elfread_close(&e);
	}
}

/* Every cut of every kind: an error naming the image, or a sane read. */
static void test_every_cut(void **state)
{
	for (int k = 0; k < 4; k++) {
		struct img m;
		make(&m, k & 1, k >> 1);
		for (size_t len = 0; len < m.len; len++) {
			uint8_t *cut = malloc(len ? len : 1); /* exactly len: ASan sees any overread */
			assert_non_null(cut);
			memcpy(cut, m.b, len);
			struct elfread e;
			struct trec_err err = { 0 };
			uint8_t id[ELFREAD_MAX_BUILD_ID];
			int rc = elfread_open_mem(&e, cut, len, "cut", &err);
			if (!rc)
				rc = elfread_load_headers(&e, 0, &err);
			if (rc) {
				assert_true(rc < 0);
				assert_non_null(strstr(err.msg, "cut"));
			} else {
				/* only the cuts that keep every header get here */
				assert_true(len >= m.shoff + 4 * (m.c64 ? 64 : 40));
				assert_true(elfread_build_id(&e, id, &err) >= 0);
			}
			elfread_close(&e);
			/* lenient: the note survives every cut that keeps it */
			rc = elfread_open_mem(&e, cut, len, "cut", &err);
			if (!rc && elfread_load_headers(&e, ELFREAD_SKIP_BAD_TABLES, &err) == 0) {
				int n = elfread_build_id(&e, id, &err);
				if (len >= m.note_off + m.note_len)
					assert_int_equal(n, (int)sizeof(BID));
				else
					assert_int_equal(n, 0);
			}
			elfread_close(&e);
			free(cut);
		}
	}
}

static void expect_strict_fail(struct img *m, int code, const char *what)
{
	struct elfread e;
	struct trec_err err = { 0 };
	int rc = elfread_open_mem(&e, m->b, m->len, "liar", &err);
	if (!rc)
		rc = elfread_load_headers(&e, 0, &err);
	elfread_close(&e);
	if (rc != code)
		fail_msg("%s: %d (%s), not %d", what, rc, err.msg, code);
	assert_non_null(strstr(err.msg, "liar"));
	assert_non_null(strstr(err.msg, what));
}

/* The lenient load still finds the build-id (from the PT_NOTE). */
static void expect_lenient_bid(struct img *m)
{
	struct elfread e;
	uint8_t id[ELFREAD_MAX_BUILD_ID];
	assert_int_equal(elfread_open_mem(&e, m->b, m->len, "liar", NULL), 0);
	assert_int_equal(elfread_load_headers(&e, ELFREAD_SKIP_BAD_TABLES, NULL), 0);
	assert_int_equal(elfread_build_id(&e, id, NULL), (int)sizeof(BID));
	elfread_close(&e);
}

static void test_header_lies(void **state)
{
	struct img m;

	make(&m, 1, 1);
	put(&m, 54, 57, 2); /* e_phentsize */
	expect_strict_fail(&m, -ENOEXEC, "program header size 57");
	expect_lenient_bid(&m);

	make(&m, 1, 1);
	put(&m, 58, 63, 2); /* e_shentsize */
	expect_strict_fail(&m, -ENOEXEC, "section header size 63");
	expect_lenient_bid(&m);

	make(&m, 1, 1);
	put(&m, 40, UINT64_MAX - 8, 8); /* e_shoff: overflows */
	expect_strict_fail(&m, -ENOEXEC, "section headers truncated or corrupt");
	expect_lenient_bid(&m);

	make(&m, 1, 1);
	put(&m, 60, 0, 2); /* e_shnum 0: section 0's sh_size has the count */
	put(&m, m.shoff + 32, 1u << 20, 8);
	expect_strict_fail(&m, -E2BIG, "sections (more than");
	expect_lenient_bid(&m);

	make(&m, 0, 0);
	put(&m, 44, 0xffff, 2); /* PN_XNUM: section 0's sh_info has the count */
	put(&m, m.shoff + 28, 70000, 4);
	expect_strict_fail(&m, -E2BIG, "program headers (more than");

	make(&m, 0, 0);
	put(&m, 44, 0xffff, 2);
	put(&m, m.shoff + 28, 2, 4); /* the real count: fine */
	struct elfread e;
	assert_int_equal(elfread_open_mem(&e, m.b, m.len, "xnum", NULL), 0);
	assert_int_equal(elfread_load_headers(&e, 0, NULL), 0);
	assert_int_equal(e.phnum, 2);
	elfread_close(&e);
}

static void test_bad_notes_and_symtabs(void **state)
{
	struct img m;
	struct elfread e;
	struct elfread_syms s;
	struct trec_err err = { 0 };
	uint8_t id[ELFREAD_MAX_BUILD_ID];

	/* a note whose name size runs past its block: none, no overread */
	make(&m, 1, 1);
	put(&m, m.note_off, 0xfffffff0u, 4);
	assert_int_equal(elfread_open_mem(&e, m.b, m.len, "note", &err), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), 0);
	assert_int_equal(elfread_build_id(&e, id, &err), 0);
	elfread_close(&e);

	/* a build-id longer than ELFREAD_MAX_BUILD_ID is ignored */
	make(&m, 1, 1);
	put(&m, m.note_off + 4, ELFREAD_MAX_BUILD_ID + 4, 4);
	assert_int_equal(elfread_open_mem(&e, m.b, m.len, "note", &err), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), 0);
	assert_int_equal(elfread_build_id(&e, id, &err), 0);
	elfread_close(&e);

	/* .symtab linked to itself, not to a string table */
	make(&m, 1, 1);
	put(&m, m.shoff + 2 * 64 + 40, 2, 4);
	assert_int_equal(elfread_open_mem(&e, m.b, m.len, "symlink", &err), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), 0);
	assert_int_equal(elfread_syms_open(&e, 2, ".symtab", &s, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "symlink: .symtab links to section 2"));
	elfread_syms_close(&s);
	elfread_close(&e);

	/* a string table without a final NUL: the last name is not one */
	make(&m, 0, 1);
	put(&m, m.shoff + 3 * 40 + 20, sizeof(STRTAB) - 1, 4);
	struct seen v = { 0 };
	assert_int_equal(elfread_open_mem(&e, m.b, m.len, "nonul", &err), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), 0);
	assert_int_equal(elfread_syms_open(&e, 2, ".symtab", &s, &err), 0);
	assert_int_equal(elfread_syms_each(&e, &s, collect, &v, &err), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.names[1], "beta");
	assert_string_equal(v.names[2], "(null)");
	elfread_syms_close(&s);
	elfread_close(&e);

	/* a wrong entry size */
	make(&m, 1, 0);
	put(&m, m.shoff + 2 * 64 + 56, 16, 8);
	assert_int_equal(elfread_open_mem(&e, m.b, m.len, "entsize", &err), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), 0);
	assert_int_equal(elfread_syms_open(&e, 2, ".symtab", &s, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "entsize: .symtab entry size 16, not 24"));
	elfread_syms_close(&s);
	elfread_close(&e);
}

static void test_not_elf_and_files(void **state)
{
	struct elfread e;
	struct trec_err err = { 0 };
	uint8_t junk[80] = "hello, not an ELF";

	assert_int_equal(elfread_open_mem(&e, junk, sizeof(junk), "junk", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "junk: not an ELF file"));
	assert_int_equal(elfread_open_mem(&e, "\177ELF", 4, "short", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "short: ELF header truncated"));
	memcpy(junk, "\177ELF\003\001\001", 7);
	assert_int_equal(elfread_open_mem(&e, junk, sizeof(junk), "class3", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "class3: ?-bit little-endian"));
	memcpy(junk, "\177ELF\002\001\002", 7);
	assert_int_equal(elfread_open_mem(&e, junk, sizeof(junk), "v2", &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "unknown ELF version 2"));

	/* from a file, with pread; and a non-regular file is refused */
	struct img m;
	make(&m, 1, 1);
	char path[] = "/tmp/trec-elfread-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, m.b, m.len), (ssize_t)m.len);
	uint8_t id[ELFREAD_MAX_BUILD_ID];
	assert_int_equal(elfread_open_fd(&e, fd, path, &err), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), 0);
	assert_int_equal(elfread_build_id(&e, id, &err), (int)sizeof(BID));
	elfread_close(&e);
	/* shrunk under the reader: a read error, not a crash */
	assert_int_equal(elfread_open_fd(&e, fd, path, &err), 0);
	assert_int_equal(ftruncate(fd, 100), 0);
	assert_int_equal(elfread_load_headers(&e, 0, &err), -EIO);
	assert_non_null(strstr(err.msg, "shrank"));
	elfread_close(&e);
	close(fd);
	unlink(path);

	int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(dn >= 0);
	assert_int_equal(elfread_open_fd(&e, dn, "/dev/null", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/dev/null: not a regular file"));
	close(dn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_kinds),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_header_lies),
		cmocka_unit_test(test_bad_notes_and_symtabs),
		cmocka_unit_test(test_not_elf_and_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
