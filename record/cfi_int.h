/* SPDX-License-Identifier: MIT */
/*
 * Internals of the CFI compiler shared by its table builder (cfi.c: the
 * walk over sections, FDE selection, rows) and its instruction
 * interpreter (cfi_insn.c): the DWARF constants, the rule, CIE, FDE and
 * compilation state types, and the bounds-checked byte reader (inline:
 * it is the inner loop of both). Not for use outside those two files.
 */
#ifndef TREC_RECORD_CFI_INT_H
#define TREC_RECORD_CFI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfi.h"


/* DWARF 5 section 7.24 call frame instructions, and the GNU extensions. */
enum {
	DW_CFA_advance_loc = 0x40, /* high two bits; delta in the low six */
	DW_CFA_offset = 0x80,      /* register in the low six */
	DW_CFA_restore = 0xc0,     /* register in the low six */
	DW_CFA_nop = 0x00,
	DW_CFA_set_loc = 0x01,
	DW_CFA_advance_loc1 = 0x02,
	DW_CFA_advance_loc2 = 0x03,
	DW_CFA_advance_loc4 = 0x04,
	DW_CFA_offset_extended = 0x05,
	DW_CFA_restore_extended = 0x06,
	DW_CFA_undefined = 0x07,
	DW_CFA_same_value = 0x08,
	DW_CFA_register = 0x09,
	DW_CFA_remember_state = 0x0a,
	DW_CFA_restore_state = 0x0b,
	DW_CFA_def_cfa = 0x0c,
	DW_CFA_def_cfa_register = 0x0d,
	DW_CFA_def_cfa_offset = 0x0e,
	DW_CFA_def_cfa_expression = 0x0f,
	DW_CFA_expression = 0x10,
	DW_CFA_offset_extended_sf = 0x11,
	DW_CFA_def_cfa_sf = 0x12,
	DW_CFA_def_cfa_offset_sf = 0x13,
	DW_CFA_val_offset = 0x14,
	DW_CFA_val_offset_sf = 0x15,
	DW_CFA_val_expression = 0x16,
	DW_CFA_GNU_window_save = 0x2d,
	DW_CFA_GNU_args_size = 0x2e,
	DW_CFA_GNU_negative_offset_extended = 0x2f,
};

/* The DWARF expression operators of the x86-64 PLT CFA rule. */
enum {
	DW_OP_and = 0x1a,
	DW_OP_plus = 0x22,
	DW_OP_shl = 0x24,
	DW_OP_ge = 0x2a,
	DW_OP_lit0 = 0x30,
	DW_OP_lit3 = 0x33,
	DW_OP_lit15 = 0x3f,
	DW_OP_lit31 = 0x4f,
	DW_OP_breg7 = 0x77,  /* rsp */
	DW_OP_breg16 = 0x80, /* rip */
};

/* Pointer encodings (LSB, "DWARF Extensions"). */
enum {
	DW_EH_PE_absptr = 0x00,
	DW_EH_PE_uleb128 = 0x01,
	DW_EH_PE_udata2 = 0x02,
	DW_EH_PE_udata4 = 0x03,
	DW_EH_PE_udata8 = 0x04,
	DW_EH_PE_signed = 0x08, /* alone: a signed value of the address size */
	DW_EH_PE_sleb128 = 0x09,
	DW_EH_PE_sdata2 = 0x0a,
	DW_EH_PE_sdata4 = 0x0b,
	DW_EH_PE_sdata8 = 0x0c,
	DW_EH_PE_pcrel = 0x10,
	DW_EH_PE_datarel = 0x30,
	DW_EH_PE_indirect = 0x80,
	DW_EH_PE_omit = 0xff,
	DW_EH_PE_FORMAT = 0x0f,
	DW_EH_PE_APPL = 0x70,
};

#define REG_RBP 6
#define REG_RSP 7

/* remember_state nesting; GCC and clang nest one or two deep. */
#define REMEMBER_DEPTH 64
/* CIEs of all sections: a .debug_frame has one per compilation unit, so
 * tens of thousands in a big program; each costs ~120 bytes here. */
#define MAX_CIES ((size_t)1 << 20)
/* A factored offset that does not fit 64 bits: fits no encoding either. */
#define OFF_UNREPRESENTABLE INT64_MIN
/* ---- rules ------------------------------------------------------------------------ */

enum rule_how {
	RULE_NONE = 0, /* no rule yet: for rbp, unchanged */
	RULE_SAME,
	RULE_UNDEF,
	RULE_OFFSET,   /* saved at CFA + off */
	RULE_VAL_OFFSET,
	RULE_REGISTER,
	RULE_EXPR,
	RULE_VAL_EXPR,
};

enum cfa_how {
	CFA_NONE = 0,  /* not defined yet */
	CFA_REG,       /* reg + off */
	CFA_PLT,       /* the PLT expression, threshold plt_k */
	CFA_EXPR,      /* any other expression */
};

struct reg_rule {
	int64_t off;
	uint8_t how;
};

struct cfa_rule {
	uint64_t reg;
	int64_t off;
	uint8_t how, plt_k;
};

struct frame_state {
	struct cfa_rule cfa;
	struct reg_rule rbp, ra;
};

/* ---- entries ---------------------------------------------------------------------- */

struct cie {
	uint64_t off;              /* entry offset in its section */
	const uint8_t *insns, *insns_end;
	const char *why;           /* NULL: usable; else why not */
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_col;
	uint16_t sec;
	uint8_t fde_enc, addr_size, seg_size, has_z, signal;
	int8_t init_done;          /* 0: initial instructions not run yet; 1: init holds them; -1: failed */
	struct frame_state init;
};

struct fde {
	uint64_t start, end;
	uint64_t off;              /* entry offset in its section */
	uint64_t cie_off;          /* section offset its CIE pointer names; UINT64_MAX: none */
	const uint8_t *body, *body_end; /* after the CIE pointer; after decoding: the instructions */
	uint32_t cie;              /* after decoding: index in ctx.cies */
	uint16_t sec;
	uint8_t ok;                /* header decoded, range nonzero */
};

struct ctx {
	const struct cfi_section *secs;
	size_t nsecs;
	const char *name;
	struct cfi_opts o;
	struct trec_err *err;
	struct cfi_table *out;
	struct cie *cies;
	size_t ncies, cies_cap, max_cies;
	struct fde *fdes;
	size_t nfdes, fdes_cap;
	size_t *kept;              /* indices into fdes of the FDEs kept, by start */
	size_t nkept;
	size_t rows_cap;
	uint64_t insns_left;
};
/* ---- reading bytes ------------------------------------------------------------------ */

struct rd {
	const uint8_t *p, *end;
};

static inline size_t rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

/* An unsigned little-endian value of n <= 8 bytes. */
static inline bool rd_uint(struct rd *r, size_t n, uint64_t *v)
{
	if (rd_left(r) < n)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	*v = x;
	return true;
}

static inline bool rd_u8(struct rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return false;
	*v = *r->p++;
	return true;
}

/* Sign-extends the low `bits` bits of v. */
static inline int64_t sign_extend(uint64_t v, unsigned bits)
{
	if (bits >= 64)
		return (int64_t)v;
	uint64_t m = (uint64_t)1 << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

/* ULEB128. Padding bytes (0x80 ...) are fine; false when the encoding runs
 * off the end or the value needs more than 64 bits. */
static inline bool rd_uleb(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	bool lost = false;
	while (r->p < r->end) {
		uint8_t b = *r->p++;
		uint64_t low = b & 0x7f;
		if (shift < 64) {
			x |= low << shift;
			if (shift > 57 && (low >> (64 - shift)))
				lost = true;
		} else if (low) {
			lost = true;
		}
		if (shift < 64)
			shift += 7;
		if (!(b & 0x80)) {
			*v = x;
			return !lost;
		}
	}
	return false;
}

/* SLEB128: the same, signed; every bit at position 63 and above must
 * repeat the sign. */
static inline bool rd_sleb(struct rd *r, int64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	bool hi_one = false, hi_zero = false;
	uint8_t b;
	do {
		if (r->p >= r->end)
			return false;
		b = *r->p++;
		uint64_t low = b & 0x7f;
		if (shift < 64)
			x |= low << shift;
		if (shift >= 63) {
			hi_one |= low != 0;
			hi_zero |= low != 0x7f;
		}
		if (shift < 64)
			shift += 7;
	} while (b & 0x80);
	bool neg = b & 0x40;
	if (neg ? hi_zero : hi_one)
		return false;
	if (shift < 64 && neg)
		x |= ~(uint64_t)0 << shift;
	*v = (int64_t)x;
	return true;
}

/* A block: ULEB128 length, then that many bytes (returned as a reader). */
static inline bool rd_block(struct rd *r, struct rd *blk)
{
	uint64_t n;
	if (!rd_uleb(r, &n) || n > rd_left(r))
		return false;
	blk->p = r->p;
	blk->end = r->p + n;
	r->p += n;
	return true;
}

/* The value part of a DW_EH_PE_* encoding (its low four bits). */
static inline const char *rd_format(struct rd *r, uint8_t enc, uint8_t addr_size, uint64_t *v)
{
	static const char trunc[] = "pointer runs past the entry end";
	uint64_t u;
	int64_t s;
	switch (enc & DW_EH_PE_FORMAT) {
	case DW_EH_PE_absptr:
		return rd_uint(r, addr_size, v) ? NULL : trunc;
	case DW_EH_PE_signed:
		if (!rd_uint(r, addr_size, &u))
			return trunc;
		*v = (uint64_t)sign_extend(u, 8u * addr_size);
		return NULL;
	case DW_EH_PE_uleb128:
		return rd_uleb(r, v) ? NULL : "pointer LEB128 truncated or past 64 bits";
	case DW_EH_PE_sleb128:
		if (!rd_sleb(r, &s))
			return "pointer LEB128 truncated or past 64 bits";
		*v = (uint64_t)s;
		return NULL;
	case DW_EH_PE_udata2:
		return rd_uint(r, 2, v) ? NULL : trunc;
	case DW_EH_PE_udata4:
		return rd_uint(r, 4, v) ? NULL : trunc;
	case DW_EH_PE_udata8:
		return rd_uint(r, 8, v) ? NULL : trunc;
	case DW_EH_PE_sdata2:
	case DW_EH_PE_sdata4:
	case DW_EH_PE_sdata8: {
		uint8_t f = enc & DW_EH_PE_FORMAT;
		size_t n = f == DW_EH_PE_sdata2 ? 2 : f == DW_EH_PE_sdata4 ? 4 : 8;
		if (!rd_uint(r, n, &u))
			return trunc;
		*v = (uint64_t)sign_extend(u, 8u * (unsigned)n);
		return NULL;
	}
	default:
		return "unknown pointer encoding";
	}
}

/* Whether an address encoding can be evaluated here: absolute, pcrel, or
 * datarel with a known base. textrel and funcrel need bases no ELF file
 * states, aligned and indirect need the loaded image. */
static inline const char *check_addr_encoding(uint8_t enc, const struct cfi_section *s)
{
	switch (enc & DW_EH_PE_FORMAT) {
	case DW_EH_PE_absptr: case DW_EH_PE_signed: case DW_EH_PE_uleb128: case DW_EH_PE_sleb128:
	case DW_EH_PE_udata2: case DW_EH_PE_udata4: case DW_EH_PE_udata8:
	case DW_EH_PE_sdata2: case DW_EH_PE_sdata4: case DW_EH_PE_sdata8:
		break;
	default:
		return "unknown FDE pointer encoding";
	}
	if (enc & DW_EH_PE_indirect)
		return "indirect FDE pointer encoding";
	switch (enc & DW_EH_PE_APPL) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_pcrel:
		return NULL;
	case DW_EH_PE_datarel:
		return s->datarel_base ? NULL : "datarel FDE pointer encoding without a data base";
	default:
		return "FDE pointer encoding relative to text, function or alignment";
	}
}

/* An address in encoding enc (checked by check_addr_encoding). pcrel is
 * from the field's own address. */
static inline const char *rd_addr(struct rd *r, uint8_t enc, uint8_t addr_size, const struct cfi_section *s,
			   uint64_t *v)
{
	uint64_t field = s->vaddr + (uint64_t)(r->p - s->data);
	const char *why = rd_format(r, enc, addr_size, v);
	if (why)
		return why;
	if ((enc & DW_EH_PE_APPL) == DW_EH_PE_pcrel)
		*v += field;
	else if ((enc & DW_EH_PE_APPL) == DW_EH_PE_datarel)
		*v += s->datarel_base;
	return NULL;
}
/* ---- shared by the builder and the interpreter (cfi.c) ----------------------------- */

const char *cfi_sec_name(const struct cfi_section *s);
/* An error for the whole compilation: "NAME: SECTION at offset 0x..: what". */
__attribute__((format(printf, 5, 6))) int cfi_fail(struct ctx *x, int code, unsigned sec, uint64_t off,
						   const char *fmt, ...);
int cfi_out_of_memory(struct ctx *x, const char *what);
/* Counts a malformed entry, remembering the first. */
void cfi_note_bad(struct ctx *x, unsigned sec, uint64_t off, const char *why);
/* Appends a row (merged with the previous one when the rule is equal). */
int cfi_push_row(struct ctx *x, unsigned si, uint64_t off, uint64_t pc, uint32_t rule);

/* ---- the interpreter (cfi_insn.c) --------------------------------------------------- */

struct interp {
	struct ctx *x;
	struct cie *cie;
	const struct cfi_section *sec;
	uint64_t entry_off;        /* for messages */
	bool in_cie;               /* running a CIE's initial instructions */
	bool done;                 /* an advance reached the FDE's end */
	const char *why;           /* set when the program is malformed */
	uint64_t loc, end;
	struct frame_state st;
	unsigned depth;
	struct frame_state stack[REMEMBER_DEPTH];
};

enum { RUN_OK = 0, RUN_BAD = 1 }; /* or a negative errno */

/*
 * Appends the rows of one kept FDE, running its CIE's initial instructions
 * first when no FDE has yet. RUN_BAD (in->why says why) when its program
 * is malformed: the caller drops what it appended. Else 0 or -errno.
 */
int cfi_run_fde(struct ctx *x, const struct fde *f, struct interp *in);

#endif
