/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the bounded ELF reader (lib/elfread.c) and the
 * report's symbol reader on top of it (report/elfsyms.c), on arbitrary
 * bytes taken as an ELF image.
 *
 * Beyond "no crash, no leak, no hang": the strict load and the lenient
 * one (ELFREAD_SKIP_BAD_TABLES) agree where both succeed, and the lenient
 * one succeeds whenever the strict one does; a build-id is 0 or 1..64
 * bytes; every symbol name lies inside its string table and ends there;
 * every error is a negative errno with a message naming the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "elfread.h"
#include "elfsyms.h"

#define NAME "fuzz-elf"

static void check_err(int rc, const struct trec_err *err)
{
	if (rc >= 0 || !strstr(err->msg, NAME))
		__builtin_trap();
}

struct symcheck {
	const struct elfread_syms *s;
	uint64_t n;
};

static int check_sym(const struct elfread_sym *sym, void *ctx)
{
	struct symcheck *c = ctx;
	if (sym->name) {
		if (sym->name < c->s->str || sym->name >= c->s->str + c->s->strsz)
			__builtin_trap();
		size_t left = (size_t)(c->s->str + c->s->strsz - sym->name);
		if (strnlen(sym->name, left) == left)
			__builtin_trap(); /* no NUL before the end of the table */
	}
	c->n++;
	return 0;
}

static void read_symbols(const struct elfread *e)
{
	for (uint32_t i = 0; i < e->shnum; i++) {
		if (e->sh[i].type != ELFREAD_SHT_SYMTAB && e->sh[i].type != ELFREAD_SHT_DYNSYM)
			continue;
		struct elfread_syms s;
		struct trec_err err = { 0 };
		int rc = elfread_syms_open(e, i, ".symtab", &s, &err);
		if (rc) {
			check_err(rc, &err);
			elfread_syms_close(&s);
			continue;
		}
		struct symcheck c = { .s = &s };
		rc = elfread_syms_each(e, &s, check_sym, &c, &err);
		if (rc)
			check_err(rc, &err);
		else if (s.n && c.n != s.n - 1)
			__builtin_trap();
		elfread_syms_close(&s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfread e, l;
	struct trec_err err = { 0 };
	uint8_t id[ELFREAD_MAX_BUILD_ID], lid[ELFREAD_MAX_BUILD_ID];

	int rc = elfread_open_mem(&e, data, size, NAME, &err);
	if (rc) {
		check_err(rc, &err);
		return 0;
	}
	int strict = elfread_load_headers(&e, 0, &err);
	if (strict)
		check_err(strict, &err);
	if (elfread_open_mem(&l, data, size, NAME, NULL) ||
	    elfread_load_headers(&l, ELFREAD_SKIP_BAD_TABLES, NULL))
		__builtin_trap(); /* lenient loads fail on ENOMEM only */

	int nl = elfread_build_id(&l, lid, NULL);
	if (nl < 0 || nl > ELFREAD_MAX_BUILD_ID)
		__builtin_trap();
	if (!strict) {
		int n = elfread_build_id(&e, id, &err);
		if (n < 0 || n > ELFREAD_MAX_BUILD_ID)
			__builtin_trap();
		if (e.phnum != l.phnum || e.shnum != l.shnum || n != nl || memcmp(id, lid, (size_t)n))
			__builtin_trap();
		read_symbols(&e);
	}
	read_symbols(&l);
	elfread_close(&e);
	elfread_close(&l);

	/* the report's policy on top */
	struct tarena a;
	struct trec_dso_syms d;
	struct elfsyms_info info;
	tarena_init(&a);
	memset(&err, 0, sizeof(err));
	rc = elfsyms_read_mem(data, size, NAME, NULL, 0, &a, &d, &info, &err);
	if (rc) {
		check_err(rc, &err);
	} else {
		for (uint32_t i = 1; i < d.nsyms; i++)
			if (d.syms[i - 1].addr >= d.syms[i].addr)
				__builtin_trap();
		if (d.build_id_len > ELFREAD_MAX_BUILD_ID)
			__builtin_trap();
	}
	tarena_free(&a);
	return 0;
}
