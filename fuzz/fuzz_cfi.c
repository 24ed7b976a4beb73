/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the CFI compiler (record/cfi.c) on arbitrary bytes.
 * Input: an 11-byte header, then the section bytes.
 *
 *   byte 0      flags: bit 0 .debug_frame (else .eh_frame); bit 1 split
 *               the bytes into two sections at the offset in bytes 9..10,
 *               the second of the other kind; bit 2 a DW_EH_PE_datarel base
 *   bytes 1..8  the (first) section's address, little-endian
 *   bytes 9..10 the split offset
 *
 * Beyond "no crash, no leak, no hang": a successful compilation must give
 * strictly increasing rows of known kinds ending in a NONE row, sorted
 * disjoint funcs, and the same funcs when compiled without rows; an error
 * must be one of the documented codes with a message naming the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "unwind_abi.h"

#define HDR 11

static void check_table(const struct cfi_table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		if (TREC_UW_KIND(t->rows[i].rule) > TREC_UW_UNSUPPORTED)
			__builtin_trap();
		if (i && (t->rows[i - 1].pc >= t->rows[i].pc || t->rows[i - 1].rule == t->rows[i].rule))
			__builtin_trap();
	}
	if (t->nrows && TREC_UW_KIND(t->rows[t->nrows - 1].rule) != TREC_UW_NONE)
		__builtin_trap();
	for (size_t i = 0; i < t->nfuncs; i++) {
		if (t->funcs[i].start >= t->funcs[i].end || (i && t->funcs[i - 1].end > t->funcs[i].start))
			__builtin_trap();
	}
	if (t->st.rows != t->nrows || t->st.fdes_bad > t->st.fdes)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	uint8_t flags = data[0];
	uint64_t vaddr = 0;
	for (int i = 0; i < 8; i++)
		vaddr |= (uint64_t)data[1 + i] << (8 * i);
	size_t split = (size_t)data[9] | (size_t)data[10] << 8;
	const uint8_t *p = data + HDR;
	size_t n = size - HDR;

	struct cfi_section secs[2] = {
		{ .data = p, .size = n, .vaddr = vaddr, .debug_frame = flags & 1,
		  .datarel_base = flags & 4 ? vaddr + 0x200000 : 0 },
	};
	size_t nsecs = 1;
	if ((flags & 2) && split <= n) {
		secs[0].size = split;
		secs[1] = secs[0];
		secs[1].data = p + split;
		secs[1].size = n - split;
		secs[1].vaddr = vaddr + split;
		secs[1].debug_frame = !secs[0].debug_frame;
		nsecs = 2;
	}
	/* limits low enough that one input stays fast */
	struct cfi_opts o = { .sz = sizeof(o), .max_rows = 1 << 20, .max_fdes = 1 << 16, .max_insns = 1 << 22,
			      .want_rows = 1, .want_funcs = 1 };
	struct cfi_table t, f;
	struct trec_err e = { 0 };
	int rc = cfi_compile(secs, nsecs, "fuzz", &o, &t, &e);
	if (rc == 0) {
		check_table(&t);
	} else if ((rc != -EBADMSG && rc != -E2BIG && rc != -ENOMEM) || e.code != rc || strncmp(e.msg, "fuzz: ", 6)) {
		__builtin_trap();
	}

	o.want_rows = 0;
	int rc2 = cfi_compile(secs, nsecs, "fuzz", &o, &f, NULL);
	if (rc == 0 && (rc2 != 0 || f.nrows || f.nfuncs != t.nfuncs ||
			(t.nfuncs && memcmp(f.funcs, t.funcs, t.nfuncs * sizeof(*t.funcs)))))
		__builtin_trap();
	cfi_table_free(&t);
	cfi_table_free(&f);
	return 0;
}
