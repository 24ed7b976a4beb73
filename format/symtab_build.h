/* SPDX-License-Identifier: MIT */
/*
 * Turning collected function symbols into a struct trec_dso_syms: the part
 * shared by the recorder's libelf reader (record/symtab.c) and the analysis
 * half's own ELF64 reader (report/elfsyms.c), so that both produce the same
 * table for the same file. Knows nothing of ELF: the readers push what they
 * found, this sorts and selects.
 *
 *  - one symbol per address: a global (or weak) name over a local one, then
 *    the shorter, then the first in byte order;
 *  - size: its own, else the largest among its aliases, else the distance to
 *    the next symbol, cut at the end of its section (or, when that is
 *    unknown, of the executable segment holding it), and at the end of
 *    the function an .eh_frame FDE says holds it (or at the next FDE's
 *    start when none holds it);
 *  - the FDE functions no symbol covers become unnamed entries
 *    (TREC_SYM_FDE, name ""), so code without a symbol is still grouped
 *    by function;
 *  - names copied into the caller's tarena.
 */
#ifndef TREC_SYMTAB_BUILD_H
#define TREC_SYMTAB_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "records.h"

/* One collected symbol, before selection. */
struct symbuild_sym {
	uint64_t addr;
	uint64_t size;
	uint64_t end;     /* of its section, 0 when unknown: bounds a guessed size */
	const char *name; /* the reader's; must stay valid until symbuild_finish */
	uint32_t len;     /* already cut by the reader */
	uint8_t global;   /* GLOBAL, WEAK or GNU_UNIQUE: exported names */
	uint8_t label;    /* a code label (STT_NOTYPE in an executable section, as
			   * assembly entry points such as ld.so's _start are): it
			   * names only addresses no function symbol covers */
};

/* An executable segment's virtual addresses [start, end). */
struct symbuild_seg {
	uint64_t start, end;
};

/* A function's [start, end) from its FDE (the CFI compiler's output). */
struct symbuild_func {
	uint64_t start, end;
};

struct symbuild {
	struct symbuild_sym *v;
	size_t n, cap;
	size_t max; /* symbols accepted at most; unnamed FDE entries beyond are dropped */
	/* optional, set before symbuild_finish: sorted by start, not
	 * overlapping; the caller's, read only during the call */
	const struct symbuild_func *funcs;
	size_t nfuncs;
};

/* An empty collector that accepts at most max symbols. */
void symbuild_init(struct symbuild *b, size_t max);
/* Appends a copy of *s. Returns 0, -E2BIG past the limit, or -ENOMEM. */
int symbuild_push(struct symbuild *b, const struct symbuild_sym *s);
/*
 * Sorts the collected symbols (in place) and fills out->syms and
 * out->nsyms, allocated in a; segs (nsegs of them) bound guessed sizes of
 * symbols whose section is unknown, and b->funcs bound them too and add
 * the unnamed entries. The result is sorted by address. The names are
 * copied, so the readers' buffers can go once this returns. Errors name
 * `path`. Other fields of *out are left alone.
 */
/* Whether a code label's name is one to show: not an assembler-local
 * (".L...") or a mapping symbol ("$x", "$d"). */
static inline int symbuild_label_name(const char *name)
{
	return name[0] != '$' && !(name[0] == '.' && name[1] == 'L');
}

int symbuild_finish(struct symbuild *b, const struct symbuild_seg *segs, size_t nsegs, struct tarena *a,
		    struct trec_dso_syms *out, const char *path, struct trec_err *err);
void symbuild_free(struct symbuild *b);

#endif
