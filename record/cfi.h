/* SPDX-License-Identifier: MIT */
/*
 * The CFI compiler: an ELF file's call frame information (.eh_frame, and
 * .debug_frame where present) compiled into the compact, sorted unwind
 * rows the BPF unwinder walks (bpf/unwind_abi.h), plus the functions the
 * FDEs describe (their [start, end) ranges), which name code that has no
 * symbol at all.
 *
 * x86-64 only. The CIE/FDE programs are run as DWARF 5 section 6.4 says
 * (DW_CFA_* including remember/restore state, advance_loc*, def_cfa*,
 * offset*, restore*, same_value, undefined, register, expression,
 * val_offset, GNU_args_size, GNU_negative_offset_extended), with the
 * pointer encodings of the LSB (DW_EH_PE_*, pcrel and datarel) and the
 * augmentations z, R, P, L, S and B. Each row's rule for CFA, rbp and the
 * return address is then encoded as one TREC_UW_* rule; the standard PLT
 * CFA expression becomes TREC_UW_PLT and an 'S' (signal frame) FDE
 * becomes TREC_UW_SIGNAL.
 *
 * Input is untrusted (a process can map any file): every length, offset,
 * count and LEB128 is checked before use; the work is bounded by the
 * limits in struct cfi_opts, so a hostile file costs at most that much
 * time and memory and yields an error naming the file and the offset,
 * never a crash or a stall.
 */
#ifndef TREC_RECORD_CFI_H
#define TREC_RECORD_CFI_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

struct cfi_row {
	uint64_t pc;   /* ELF virtual address from which the rule applies */
	uint32_t rule; /* TREC_UW_RULE(...), bpf/unwind_abi.h */
};

struct cfi_func {
	uint64_t start, end; /* an FDE's [initial_location, + address_range) */
};

struct cfi_stats {
	uint64_t cies, fdes;      /* entries parsed */
	uint64_t fdes_bad;        /* FDEs skipped: malformed, or overlapping an earlier one */
	uint64_t rows;            /* rows produced (after merging equal neighbours) */
	uint64_t rows_unsupported;/* ... of kind TREC_UW_UNSUPPORTED */
	uint64_t rows_signal, rows_plt, rows_end;
	uint64_t insns;           /* CFA instructions executed */
	uint64_t cies_bad;        /* CIEs that cannot be used (their FDEs count in fdes_bad) */
	uint64_t fdes_empty;      /* ... of fdes_bad: zero-length */
	uint64_t fdes_overlap;    /* ... of fdes_bad: overlapping an FDE kept before it */
	uint64_t fdes_bad_insns;  /* ... of fdes_bad: kept in funcs, but their instructions are malformed */
	uint64_t sections_skipped;/* compressed sections that could not be inflated (cfi_compile_elf) */
	/* The first CIE or FDE skipped as malformed (not empty or overlapping):
	 * why (static text, NULL if none), its section and its entry's offset. */
	const char *first_bad;
	const char *first_bad_section;
	uint64_t first_bad_off;
};

/*
 * rows: sorted by pc, strictly increasing; a row's rule holds up to the
 * next row's pc. Where no FDE covers an address, a TREC_UW_NONE row starts
 * at the end of the previous FDE (unless the next FDE starts exactly
 * there); the last FDE's end gets one too, and nothing covers addresses
 * below the first row. Neighbouring rows with the same rule are merged.
 * funcs: sorted by start, not overlapping: every FDE with a readable
 * header and a nonzero range that no earlier FDE overlaps, including one
 * whose instructions turn out malformed (its range then gets a NONE row:
 * the producer's function bounds are still the best name for that code).
 * funcs does not depend on want_rows.
 */
struct cfi_table {
	struct cfi_row *rows;
	size_t nrows;
	struct cfi_func *funcs;
	size_t nfuncs;
	struct cfi_stats st;
};

#define CFI_DEFAULT_MAX_ROWS ((size_t)16 << 20)
#define CFI_DEFAULT_MAX_FDES ((size_t)4 << 20)
#define CFI_DEFAULT_MAX_INSNS ((size_t)64 << 20)
#define CFI_DEFAULT_MAX_SECTION ((size_t)512 << 20)

/* Passing NULL for the options means the defaults with want_rows and
 * want_funcs both set. */
struct cfi_opts {
	size_t sz;            /* sizeof(struct cfi_opts) */
	size_t max_rows;      /* 0: 16M */
	size_t max_fdes;      /* CIEs + FDEs (all sections); 0: 4M */
	size_t max_insns;     /* CFA instructions over the whole file; 0: 64M */
	size_t max_section;   /* bytes of one CFI section; 0: 512 MiB */
	int want_funcs;       /* fill funcs */
	int want_rows;        /* fill rows (without it, no CFA program runs) */
};

/* The options as cfi_compile uses them: the first o->sz bytes of *o (none
 * for NULL: both wants set), zero limits replaced by their defaults.
 * -EINVAL when o->sz is 0. */
int cfi_opts_resolve(const struct cfi_opts *o, struct cfi_opts *out);

/* One CFI section as bytes, with where it is loaded (for pcrel). */
struct cfi_section {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;        /* sh_addr */
	int debug_frame;       /* 1: .debug_frame (CIE id 0xffffffff, absolute addresses); 0: .eh_frame */
	uint64_t datarel_base; /* for DW_EH_PE_datarel: .got's address when known, else 0 */
};

/*
 * Compiles the given sections into *out (zeroed first; free with
 * cfi_table_free even on error). When an address is covered by FDEs of
 * several sections, the earlier section in the array wins (.eh_frame
 * first). Returns 0, or a negative errno with err naming `name` and the
 * section offset: -EBADMSG (malformed beyond recovery: an entry length
 * past the section end, a truncated or reserved length), -E2BIG (over a
 * limit), -ENOMEM, -EINVAL (no table, no sections, cfi_opts.sz 0). A
 * malformed CIE or FDE (bad augmentation or version, a pointer encoding
 * that cannot be evaluated here: textrel, funcrel, aligned, indirect,
 * datarel without a base; a CIE pointer to no CIE; a malformed or unknown
 * instruction, remember_state deeper than 64, an advance past 2^64) is
 * skipped and counted in st, not an error. A CIE's initial instructions
 * may not advance, remember or restore.
 */
int cfi_compile(const struct cfi_section *secs, size_t nsecs, const char *name, const struct cfi_opts *o,
		struct cfi_table *out, struct trec_err *err);

/*
 * The same for an ELF file open on fd (read with libelf in ELF_C_READ mode;
 * fd is not closed): its .eh_frame (SHT_PROGBITS or SHT_X86_64_UNWIND)
 * first, then .debug_frame (SHT_PROGBITS; a separate debug file's NOBITS
 * copies are ignored; an SHF_COMPRESSED one is inflated, or skipped and
 * counted in st.sections_skipped). DW_EH_PE_datarel is taken relative to
 * .got. A file with neither section yields an empty table and 0.
 * -ENOEXEC: not a 64-bit little-endian x86-64 executable or shared object
 * (a relocatable object has no final addresses). -EBADMSG: a section
 * libelf cannot read.
 */
int cfi_compile_elf(int fd, const char *name, const struct cfi_opts *o, struct cfi_table *out,
		    struct trec_err *err);

/* Frees rows and funcs and zeroes *t; NULL and a freed table are fine. */
void cfi_table_free(struct cfi_table *t);

#endif
