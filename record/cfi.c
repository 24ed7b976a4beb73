/* SPDX-License-Identifier: MIT */
/*
 * The CFI compiler (see cfi.h): .eh_frame / .debug_frame bytes in, sorted
 * unwind rows (bpf/unwind_abi.h) and FDE ranges out. No libelf here (that
 * is cfi_elf.c), so the fuzzer links this file alone.
 *
 * Four passes, each linear or n log n in the input:
 *  1. walk every section entry by entry: CIEs are parsed on the spot, FDEs
 *     are only located (where their CIE pointer points, where they end);
 *  2. decode each FDE's header with its CIE (found by binary search: CIEs
 *     are recorded in section and offset order) into [start, end);
 *  3. choose the FDEs to keep: sorted by start, the first of overlapping
 *     ones wins, and an earlier section beats a later one;
 *  4. run the kept FDEs' programs in address order (each after its CIE's
 *     initial instructions, which run once per CIE), appending a row at
 *     every advance, merged with the previous row when the rule is equal.
 *
 * Only three columns matter to the BPF unwinder: the CFA, rbp (DWARF 6)
 * and the return address (the CIE's return address column, 16 on x86-64).
 * Rules for other registers are parsed (their operands must be well
 * formed) and dropped.
 *
 * Failure policy: what breaks the walk over a section (an entry length
 * past its end, a truncated length field) and every limit is an error for
 * the whole file; what is local to one CIE or FDE (a bad augmentation, an
 * encoding that cannot be evaluated, a malformed instruction) skips that
 * entry (and a bad CIE's FDEs) and is counted in the stats.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "unwind_abi.h"

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

static const char *sec_name(const struct cfi_section *s)
{
	return s->debug_frame ? ".debug_frame" : ".eh_frame";
}

/* An error for the whole compilation: "NAME: SECTION at offset 0x..: what". */
__attribute__((format(printf, 5, 6))) static int fail(struct ctx *x, int code, unsigned sec, uint64_t off,
						      const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return trec_errf(x->err, code, "%s: %s at offset 0x%" PRIx64 ": %s", x->name, sec_name(&x->secs[sec]),
			 off, what);
}

static int out_of_memory(struct ctx *x, const char *what)
{
	return trec_errf(x->err, -ENOMEM, "%s: out of memory for %s", x->name, what);
}

/* Counts a malformed entry, remembering the first. */
static void note_bad(struct ctx *x, unsigned sec, uint64_t off, const char *why)
{
	struct cfi_stats *st = &x->out->st;
	if (!st->first_bad) {
		st->first_bad = why;
		st->first_bad_section = sec_name(&x->secs[sec]);
		st->first_bad_off = off;
	}
}

/* ---- reading bytes ------------------------------------------------------------------ */

struct rd {
	const uint8_t *p, *end;
};

static size_t rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

/* An unsigned little-endian value of n <= 8 bytes. */
static bool rd_uint(struct rd *r, size_t n, uint64_t *v)
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

static bool rd_u8(struct rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return false;
	*v = *r->p++;
	return true;
}

/* Sign-extends the low `bits` bits of v. */
static int64_t sign_extend(uint64_t v, unsigned bits)
{
	if (bits >= 64)
		return (int64_t)v;
	uint64_t m = (uint64_t)1 << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

/* ULEB128. Padding bytes (0x80 ...) are fine; false when the encoding runs
 * off the end or the value needs more than 64 bits. */
static bool rd_uleb(struct rd *r, uint64_t *v)
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
static bool rd_sleb(struct rd *r, int64_t *v)
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
static bool rd_block(struct rd *r, struct rd *blk)
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
static const char *rd_format(struct rd *r, uint8_t enc, uint8_t addr_size, uint64_t *v)
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
static const char *check_addr_encoding(uint8_t enc, const struct cfi_section *s)
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
static const char *rd_addr(struct rd *r, uint8_t enc, uint8_t addr_size, const struct cfi_section *s,
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

/* ---- pass 1: entries --------------------------------------------------------------------- */

/* Parses a CIE's fields after its id (r: up to the entry end); returns why
 * it is unusable, or NULL. */
static const char *parse_cie(struct cie *c, const struct cfi_section *s, struct rd r)
{
	uint8_t version, b;
	uint64_t v;
	if (!rd_u8(&r, &version))
		return "CIE truncated";
	if (version != 1 && version != 3 && version != 4)
		return "CIE version is not 1, 3 or 4";
	const char *aug = (const char *)r.p;
	const uint8_t *nul = memchr(r.p, 0, rd_left(&r));
	if (!nul)
		return "CIE augmentation string not terminated";
	r.p = nul + 1;
	c->addr_size = 8;
	if (aug[0] == 'e' && aug[1] == 'h') { /* GCC 2: a pointer to exception tables follows */
		if (!rd_uint(&r, 8, &v))
			return "CIE truncated";
		aug += 2;
	}
	if (version == 4) {
		if (!rd_u8(&r, &c->addr_size) || !rd_u8(&r, &c->seg_size))
			return "CIE truncated";
		if (c->addr_size != 4 && c->addr_size != 8)
			return "CIE address size is not 4 or 8";
		if (c->seg_size > 8)
			return "CIE segment selector size over 8";
	}
	if (!rd_uleb(&r, &c->code_align) || !rd_sleb(&r, &c->data_align))
		return "CIE alignment factor truncated or past 64 bits";
	if (version == 1) {
		if (!rd_u8(&r, &b))
			return "CIE truncated";
		c->ra_col = b;
	} else if (!rd_uleb(&r, &c->ra_col)) {
		return "CIE return address column truncated or past 64 bits";
	}
	c->fde_enc = DW_EH_PE_absptr;
	if (*aug == 'z') {
		struct rd data;
		if (!rd_block(&r, &data))
			return "CIE augmentation data past the entry end";
		c->has_z = 1;
		for (aug++; *aug; aug++) {
			uint8_t enc;
			switch (*aug) {
			case 'L': /* LSDA encoding: the LSDA itself is in the FDE's augmentation data */
				if (!rd_u8(&data, &enc))
					return "CIE augmentation data truncated";
				break;
			case 'P': /* personality routine: read past it */
				if (!rd_u8(&data, &enc))
					return "CIE augmentation data truncated";
				if (enc != DW_EH_PE_omit && rd_format(&data, enc, c->addr_size, &v))
					return "CIE personality pointer malformed";
				break;
			case 'R':
				if (!rd_u8(&data, &c->fde_enc))
					return "CIE augmentation data truncated";
				break;
			case 'S':
				c->signal = 1;
				break;
			case 'B': /* AArch64 pointer authentication key B, MTE tagging: no data */
			case 'G':
				break;
			default:
				return "CIE augmentation letter not understood";
			}
		}
	} else if (*aug) {
		return "CIE augmentation not understood";
	}
	const char *why = check_addr_encoding(c->fde_enc, s);
	if (why)
		return why;
	c->insns = r.p;
	c->insns_end = r.end;
	return NULL;
}

static int add_cie(struct ctx *x, unsigned si, uint64_t off, struct rd body)
{
	if (x->ncies >= x->max_cies)
		return fail(x, -E2BIG, si, off, "more than %zu CIEs", x->max_cies);
	if (x->ncies == x->cies_cap) {
		size_t cap = x->cies_cap ? x->cies_cap * 2 : 8;
		struct cie *n = realloc(x->cies, cap * sizeof(*n));
		if (!n)
			return out_of_memory(x, "CIEs");
		x->cies = n;
		x->cies_cap = cap;
	}
	struct cie *c = &x->cies[x->ncies++];
	memset(c, 0, sizeof(*c));
	c->off = off;
	c->sec = (uint16_t)si;
	x->out->st.cies++;
	if ((c->why = parse_cie(c, &x->secs[si], body))) {
		x->out->st.cies_bad++;
		note_bad(x, si, off, c->why);
	}
	return 0;
}

static int add_fde(struct ctx *x, unsigned si, uint64_t off, uint64_t cie_off, struct rd body)
{
	if (x->ncies + x->nfdes >= x->o.max_fdes)
		return fail(x, -E2BIG, si, off, "more than %zu CIEs and FDEs (cfi_opts.max_fdes)", x->o.max_fdes);
	if (x->nfdes == x->fdes_cap) {
		size_t cap = x->fdes_cap ? x->fdes_cap * 2 : 256;
		struct fde *n = realloc(x->fdes, cap * sizeof(*n));
		if (!n)
			return out_of_memory(x, "FDEs");
		x->fdes = n;
		x->fdes_cap = cap;
	}
	x->fdes[x->nfdes++] = (struct fde){
		.off = off, .cie_off = cie_off, .body = body.p, .body_end = body.end, .sec = (uint16_t)si,
	};
	x->out->st.fdes++;
	return 0;
}

/* One entry [off, off + hdr + len): a CIE or an FDE by its id field. */
static int add_entry(struct ctx *x, unsigned si, size_t off, size_t hdr, uint64_t len, bool off64)
{
	const struct cfi_section *s = &x->secs[si];
	size_t body = off + hdr;
	struct rd r = { s->data + body, s->data + body + len };
	uint64_t id;
	if (!rd_uint(&r, off64 ? 8 : 4, &id)) {
		/* too short to say which it is: count it as a bad FDE */
		x->out->st.fdes++;
		x->out->st.fdes_bad++;
		note_bad(x, si, off, "entry too short for its CIE id");
		return 0;
	}
	uint64_t cie_id = s->debug_frame ? (off64 ? UINT64_MAX : 0xffffffffu) : 0;
	if (id == cie_id)
		return add_cie(x, si, off, r);
	uint64_t cie_off;
	if (s->debug_frame)
		cie_off = id; /* a section offset */
	else
		cie_off = id <= body ? body - id : UINT64_MAX; /* back from the field itself */
	return add_fde(x, si, off, cie_off, r);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Pass 1 over one section. */
static int walk_section(struct ctx *x, unsigned si)
{
	const struct cfi_section *s = &x->secs[si];
	size_t off = 0;
	while (off < s->size) {
		size_t left = s->size - off;
		struct rd r = { s->data + off, s->data + s->size };
		uint64_t len = 0;
		size_t hdr = 4;
		bool off64 = false;
		if (!rd_uint(&r, 4, &len)) {
			if (all_zero(s->data + off, left)) /* alignment padding */
				break;
			return fail(x, -EBADMSG, si, off, "entry length field truncated (%zu bytes left)", left);
		}
		if (len == 0) { /* a zero terminator; readelf goes on past it, so do we */
			off += 4;
			continue;
		}
		if (len == 0xffffffffu) {
			if (!rd_uint(&r, 8, &len))
				return fail(x, -EBADMSG, si, off, "64-bit entry length truncated");
			hdr = 12;
			off64 = true;
		} else if (len >= 0xfffffff0u) {
			return fail(x, -EBADMSG, si, off, "reserved entry length 0x%" PRIx64, len);
		}
		if (len > left - hdr)
			return fail(x, -EBADMSG, si, off,
				    "entry length 0x%" PRIx64 " runs past the section end (0x%zx bytes)", len,
				    s->size);
		int rc = add_entry(x, si, off, hdr, len, off64);
		if (rc)
			return rc;
		off += hdr + (size_t)len;
	}
	return 0;
}

/* ---- pass 2: FDE headers ---------------------------------------------------------------- */

/* Index of the CIE of section si at offset off, or -1. */
static ptrdiff_t find_cie(const struct ctx *x, unsigned si, uint64_t off)
{
	size_t lo = 0, hi = x->ncies;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cie *c = &x->cies[mid];
		if (c->sec < si || (c->sec == si && c->off < off))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->ncies && x->cies[lo].sec == si && x->cies[lo].off == off)
		return (ptrdiff_t)lo;
	return -1;
}

static const char *decode_fde(const struct ctx *x, struct fde *f)
{
	const struct cfi_section *s = &x->secs[f->sec];
	if (f->cie_off == UINT64_MAX)
		return "CIE pointer before the section start";
	ptrdiff_t ci = find_cie(x, f->sec, f->cie_off);
	if (ci < 0)
		return "CIE pointer does not point to a CIE";
	const struct cie *c = &x->cies[ci];
	if (c->why)
		return c->why;
	f->cie = (uint32_t)ci;

	struct rd r = { f->body, f->body_end };
	uint64_t seg, start, range;
	const char *why;
	if (c->seg_size && !rd_uint(&r, c->seg_size, &seg))
		return "FDE segment selector truncated";
	if ((why = rd_addr(&r, c->fde_enc, c->addr_size, s, &start)))
		return why;
	if ((why = rd_format(&r, c->fde_enc, c->addr_size, &range)))
		return why;
	if (range > UINT64_MAX - start)
		return "FDE address range wraps past 2^64";
	if (c->has_z) {
		struct rd aug;
		if (!rd_block(&r, &aug))
			return "FDE augmentation data past the entry end";
	}
	f->start = start;
	f->end = start + range;
	f->body = r.p;
	return NULL;
}

static void decode_fdes(struct ctx *x)
{
	struct cfi_stats *st = &x->out->st;
	for (size_t i = 0; i < x->nfdes; i++) {
		struct fde *f = &x->fdes[i];
		const char *why = decode_fde(x, f);
		if (why) {
			st->fdes_bad++;
			note_bad(x, f->sec, f->off, why);
		} else if (f->start == f->end) {
			st->fdes_bad++;
			st->fdes_empty++;
		} else {
			f->ok = 1;
		}
	}
}

/* ---- pass 3: which FDEs to keep ---------------------------------------------------------- */

static int cmp_fde(const void *pa, const void *pb)
{
	const struct fde *a = pa, *b = pb;
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

/* Whether [start, end) overlaps one of the FDEs in idx[0..n) (sorted by
 * start, not overlapping each other). */
static bool overlaps_kept(const struct fde *fdes, const size_t *idx, size_t n, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* first kept starting at or after start */
		size_t mid = lo + (hi - lo) / 2;
		if (fdes[idx[mid]].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && fdes[idx[lo]].start < end)
		return true;
	return lo > 0 && fdes[idx[lo - 1]].end > start;
}

/* Keeps the usable FDEs that overlap none kept before: sections in order,
 * each by start. x->kept ends up sorted by start. */
static int select_fdes(struct ctx *x)
{
	size_t n = 0;
	for (size_t i = 0; i < x->nfdes; i++) /* the usable ones to the front */
		if (x->fdes[i].ok)
			x->fdes[n++] = x->fdes[i];
	x->nfdes = n;
	if (!n)
		return 0;
	qsort(x->fdes, n, sizeof(*x->fdes), cmp_fde);

	size_t *kept = malloc(n * sizeof(*kept)), *mine = malloc(n * sizeof(*mine)),
	       *merged = malloc(n * sizeof(*merged));
	if (!kept || !mine || !merged) {
		free(kept);
		free(mine);
		free(merged);
		return out_of_memory(x, "the FDE selection");
	}
	size_t nkept = 0;
	for (size_t i = 0; i < n;) {
		unsigned si = x->fdes[i].sec;
		size_t nmine = 0;
		for (; i < n && x->fdes[i].sec == si; i++) {
			const struct fde *f = &x->fdes[i];
			if ((nmine && f->start < x->fdes[mine[nmine - 1]].end) ||
			    overlaps_kept(x->fdes, kept, nkept, f->start, f->end)) {
				x->out->st.fdes_bad++;
				x->out->st.fdes_overlap++;
				continue;
			}
			mine[nmine++] = i;
		}
		/* merge this section's into what earlier sections kept */
		size_t a = 0, b = 0, m = 0;
		while (a < nkept || b < nmine) {
			if (b == nmine || (a < nkept && x->fdes[kept[a]].start < x->fdes[mine[b]].start))
				merged[m++] = kept[a++];
			else
				merged[m++] = mine[b++];
		}
		size_t *t = kept;
		kept = merged;
		merged = t;
		nkept = m;
	}
	free(mine);
	free(merged);
	x->kept = kept;
	x->nkept = nkept;
	return 0;
}

/* ---- pass 4: rows ------------------------------------------------------------------------- */

static int push_row(struct ctx *x, unsigned si, uint64_t off, uint64_t pc, uint32_t rule)
{
	struct cfi_table *t = x->out;
	if (t->nrows && t->rows[t->nrows - 1].rule == rule)
		return 0;
	if (t->nrows == x->rows_cap) {
		if (t->nrows >= x->o.max_rows)
			return fail(x, -E2BIG, si, off, "more than %zu rows (cfi_opts.max_rows)", x->o.max_rows);
		size_t cap = x->rows_cap ? x->rows_cap * 2 : 1024;
		if (cap > x->o.max_rows)
			cap = x->o.max_rows;
		struct cfi_row *n = cap <= SIZE_MAX / sizeof(*n) ? realloc(t->rows, cap * sizeof(*n)) : NULL;
		if (!n)
			return out_of_memory(x, "rows");
		t->rows = n;
		x->rows_cap = cap;
	}
	t->rows[t->nrows++] = (struct cfi_row){ .pc = pc, .rule = rule };
	return 0;
}

/* The row's rule. rsp' is the CFA by the x86-64 ABI's definition of the
 * CFA, so a rule for rsp itself (only glibc's longjmp-style FDEs have one,
 * and their CFA is in another register anyway) is not consulted. */
static uint32_t encode_rule(const struct frame_state *st)
{
	const uint32_t unsupported = TREC_UW_RULE(TREC_UW_UNSUPPORTED, 0, 0, 0);
	if (st->ra.how == RULE_UNDEF)
		return TREC_UW_RULE(TREC_UW_END, 0, 0, 0);
	if (st->ra.how != RULE_OFFSET || st->ra.off != -8)
		return unsupported;

	uint32_t rbp_how = TREC_UW_RBP_UNDEF;
	int64_t rbp8 = 0;
	if (st->rbp.how == RULE_NONE || st->rbp.how == RULE_SAME) {
		rbp_how = TREC_UW_RBP_SAME;
	} else if (st->rbp.how == RULE_OFFSET && st->rbp.off % 8 == 0 && st->rbp.off / 8 >= INT8_MIN &&
		   st->rbp.off / 8 <= INT8_MAX) {
		rbp_how = TREC_UW_RBP_OFFSET;
		rbp8 = st->rbp.off / 8;
	}

	switch (st->cfa.how) {
	case CFA_REG:
		if ((st->cfa.reg != REG_RSP && st->cfa.reg != REG_RBP) || st->cfa.off < 0 || st->cfa.off % 8 ||
		    (uint64_t)st->cfa.off > TREC_UW_OFF_MAX)
			return unsupported;
		return TREC_UW_RULE(st->cfa.reg == REG_RSP ? TREC_UW_CFA_RSP : TREC_UW_CFA_RBP, rbp_how, rbp8,
				    st->cfa.off / 8);
	case CFA_PLT:
		return TREC_UW_RULE(TREC_UW_PLT, rbp_how, rbp8, st->cfa.plt_k);
	default:
		return unsupported;
	}
}

/* The x86-64 PLT rule: DW_OP_breg7 8; DW_OP_breg16 0; DW_OP_lit15;
 * DW_OP_and; DW_OP_litK; DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus,
 * i.e. rsp + 8 + ((rip & 15) >= K) << 3. Returns K, or -1. */
static int match_plt(struct rd e)
{
	static const uint8_t tail[] = { DW_OP_ge, DW_OP_lit3, DW_OP_shl, DW_OP_plus };
	uint8_t op;
	int64_t v;
	if (!rd_u8(&e, &op) || op != DW_OP_breg7 || !rd_sleb(&e, &v) || v != 8)
		return -1;
	if (!rd_u8(&e, &op) || op != DW_OP_breg16 || !rd_sleb(&e, &v) || v != 0)
		return -1;
	if (!rd_u8(&e, &op) || op != DW_OP_lit15 || !rd_u8(&e, &op) || op != DW_OP_and)
		return -1;
	uint8_t k;
	if (!rd_u8(&e, &k) || k < DW_OP_lit0 || k > DW_OP_lit31)
		return -1;
	if (rd_left(&e) != sizeof(tail) || memcmp(e.p, tail, sizeof(tail)))
		return -1;
	return k - DW_OP_lit0;
}

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

static int bad(struct interp *in, const char *why)
{
	in->why = why;
	return RUN_BAD;
}

/* A factored offset n * data_align; OFF_UNREPRESENTABLE if it overflows. */
static int64_t factored_u(const struct cie *c, uint64_t n)
{
	int64_t r;
	if (n > INT64_MAX || __builtin_mul_overflow((int64_t)n, c->data_align, &r))
		return OFF_UNREPRESENTABLE;
	return r;
}

static int64_t factored_s(const struct cie *c, int64_t n)
{
	int64_t r;
	if (__builtin_mul_overflow(n, c->data_align, &r))
		return OFF_UNREPRESENTABLE;
	return r;
}

static void set_reg(struct interp *in, uint64_t reg, uint8_t how, int64_t off)
{
	struct reg_rule rr = { .off = off, .how = how };
	if (reg == REG_RBP)
		in->st.rbp = rr;
	if (reg == in->cie->ra_col)
		in->st.ra = rr;
}

static int restore_reg(struct interp *in, uint64_t reg)
{
	if (in->in_cie)
		return bad(in, "DW_CFA_restore in a CIE's initial instructions");
	if (reg == REG_RBP)
		in->st.rbp = in->cie->init.rbp;
	if (reg == in->cie->ra_col)
		in->st.ra = in->cie->init.ra;
	return RUN_OK;
}

/* Moves the location to target (>= loc), closing a row at the old one. */
static int advance_to(struct interp *in, uint64_t target)
{
	if (in->in_cie)
		return bad(in, "location advance in a CIE's initial instructions");
	if (target == in->loc)
		return RUN_OK;
	int rc = push_row(in->x, (unsigned)(in->sec - in->x->secs), in->entry_off, in->loc, encode_rule(&in->st));
	if (rc)
		return rc;
	in->loc = target;
	in->done = target >= in->end;
	return RUN_OK;
}

static int advance_by(struct interp *in, uint64_t delta)
{
	uint64_t d, target;
	if (__builtin_mul_overflow(delta, in->cie->code_align, &d) || __builtin_add_overflow(in->loc, d, &target))
		return bad(in, "location advance past 2^64");
	return advance_to(in, target);
}

/* One instruction whose opcode is op (the rest at *r). */
static int step(struct interp *in, uint8_t op, struct rd *r)
{
	static const char trunc[] = "CFA instruction truncated, or a LEB128 operand past 64 bits";
	const struct cie *c = in->cie;
	uint64_t a, b;
	int64_t s;
	struct rd blk;

	switch (op & 0xc0) {
	case DW_CFA_advance_loc:
		return advance_by(in, op & 0x3f);
	case DW_CFA_offset:
		if (!rd_uleb(r, &b))
			return bad(in, trunc);
		set_reg(in, op & 0x3f, RULE_OFFSET, factored_u(c, b));
		return RUN_OK;
	case DW_CFA_restore:
		return restore_reg(in, op & 0x3f);
	}

	switch (op) {
	case DW_CFA_nop:
		return RUN_OK;
	case DW_CFA_set_loc: {
		const char *why = rd_addr(r, c->fde_enc, c->addr_size, in->sec, &a);
		if (why)
			return bad(in, why);
		if (in->in_cie)
			return bad(in, "location advance in a CIE's initial instructions");
		if (a < in->loc)
			return bad(in, "DW_CFA_set_loc moves backwards");
		return advance_to(in, a);
	}
	case DW_CFA_advance_loc1:
	case DW_CFA_advance_loc2:
	case DW_CFA_advance_loc4:
		if (!rd_uint(r, op == DW_CFA_advance_loc1 ? 1 : op == DW_CFA_advance_loc2 ? 2 : 4, &a))
			return bad(in, trunc);
		return advance_by(in, a);
	case DW_CFA_offset_extended:
	case DW_CFA_val_offset:
	case DW_CFA_GNU_negative_offset_extended:
		if (!rd_uleb(r, &a) || !rd_uleb(r, &b))
			return bad(in, trunc);
		s = factored_u(c, b);
		if (op == DW_CFA_GNU_negative_offset_extended)
			s = s == OFF_UNREPRESENTABLE ? s : -s;
		set_reg(in, a, op == DW_CFA_val_offset ? RULE_VAL_OFFSET : RULE_OFFSET, s);
		return RUN_OK;
	case DW_CFA_offset_extended_sf:
	case DW_CFA_val_offset_sf:
		if (!rd_uleb(r, &a) || !rd_sleb(r, &s))
			return bad(in, trunc);
		set_reg(in, a, op == DW_CFA_val_offset_sf ? RULE_VAL_OFFSET : RULE_OFFSET, factored_s(c, s));
		return RUN_OK;
	case DW_CFA_restore_extended:
		if (!rd_uleb(r, &a))
			return bad(in, trunc);
		return restore_reg(in, a);
	case DW_CFA_undefined:
	case DW_CFA_same_value:
		if (!rd_uleb(r, &a))
			return bad(in, trunc);
		set_reg(in, a, op == DW_CFA_undefined ? RULE_UNDEF : RULE_SAME, 0);
		return RUN_OK;
	case DW_CFA_register:
		if (!rd_uleb(r, &a) || !rd_uleb(r, &b))
			return bad(in, trunc);
		set_reg(in, a, RULE_REGISTER, 0);
		return RUN_OK;
	case DW_CFA_remember_state:
		if (in->in_cie)
			return bad(in, "DW_CFA_remember_state in a CIE's initial instructions");
		if (in->depth == REMEMBER_DEPTH)
			return bad(in, "DW_CFA_remember_state nested too deep");
		in->stack[in->depth++] = in->st;
		return RUN_OK;
	case DW_CFA_restore_state:
		if (in->depth == 0)
			return bad(in, "DW_CFA_restore_state without a remembered state");
		in->st = in->stack[--in->depth];
		return RUN_OK;
	case DW_CFA_def_cfa:
		if (!rd_uleb(r, &a) || !rd_uleb(r, &b))
			return bad(in, trunc);
		in->st.cfa = (struct cfa_rule){ .how = CFA_REG, .reg = a,
						.off = b > INT64_MAX ? OFF_UNREPRESENTABLE : (int64_t)b };
		return RUN_OK;
	case DW_CFA_def_cfa_sf:
		if (!rd_uleb(r, &a) || !rd_sleb(r, &s))
			return bad(in, trunc);
		in->st.cfa = (struct cfa_rule){ .how = CFA_REG, .reg = a, .off = factored_s(c, s) };
		return RUN_OK;
	case DW_CFA_def_cfa_register: /* keeps the offset (as readelf and libgcc do) */
		if (!rd_uleb(r, &a))
			return bad(in, trunc);
		in->st.cfa.how = CFA_REG;
		in->st.cfa.reg = a;
		return RUN_OK;
	case DW_CFA_def_cfa_offset: /* keeps the rule's kind, even an expression */
		if (!rd_uleb(r, &b))
			return bad(in, trunc);
		in->st.cfa.off = b > INT64_MAX ? OFF_UNREPRESENTABLE : (int64_t)b;
		return RUN_OK;
	case DW_CFA_def_cfa_offset_sf:
		if (!rd_sleb(r, &s))
			return bad(in, trunc);
		in->st.cfa.off = factored_s(c, s);
		return RUN_OK;
	case DW_CFA_def_cfa_expression: {
		if (!rd_block(r, &blk))
			return bad(in, trunc);
		int k = match_plt(blk);
		in->st.cfa.how = k >= 0 ? CFA_PLT : CFA_EXPR;
		in->st.cfa.plt_k = k >= 0 ? (uint8_t)k : 0;
		return RUN_OK;
	}
	case DW_CFA_expression:
	case DW_CFA_val_expression:
		if (!rd_uleb(r, &a) || !rd_block(r, &blk))
			return bad(in, trunc);
		set_reg(in, a, op == DW_CFA_expression ? RULE_EXPR : RULE_VAL_EXPR, 0);
		return RUN_OK;
	case DW_CFA_GNU_args_size:
		if (!rd_uleb(r, &a))
			return bad(in, trunc);
		return RUN_OK;
	case DW_CFA_GNU_window_save:
		return bad(in, "DW_CFA_GNU_window_save (SPARC, AArch64) in x86-64 CFI");
	default:
		return bad(in, "unknown DW_CFA instruction");
	}
}

/* Runs instructions [p, end) until they end or an advance passes in->end. */
static int run_program(struct interp *in, const uint8_t *p, const uint8_t *end)
{
	struct rd r = { p, end };
	struct cfi_stats *st = &in->x->out->st;
	while (r.p < r.end && !in->done) {
		if (!in->x->insns_left)
			return fail(in->x, -E2BIG, (unsigned)(in->sec - in->x->secs), in->entry_off,
				    "more than %zu CFA instructions (cfi_opts.max_insns)", in->x->o.max_insns);
		in->x->insns_left--;
		st->insns++;
		int rc = step(in, *r.p++, &r);
		if (rc)
			return rc;
	}
	return RUN_OK;
}

/* Runs a CIE's initial instructions once; their rules are every FDE's
 * starting point and what DW_CFA_restore goes back to. */
static int init_cie(struct ctx *x, struct cie *c)
{
	struct interp *in = calloc(1, sizeof(*in));
	if (!in)
		return out_of_memory(x, "a CFA program");
	in->x = x;
	in->cie = c;
	in->sec = &x->secs[c->sec];
	in->entry_off = c->off;
	in->in_cie = true;
	in->end = UINT64_MAX;
	int rc = run_program(in, c->insns, c->insns_end);
	if (rc == RUN_BAD) {
		c->init_done = -1;
		c->why = in->why;
		x->out->st.cies_bad++;
		note_bad(x, c->sec, c->off, c->why);
		rc = 0;
	} else if (rc == 0) {
		c->init = in->st;
		c->init_done = 1;
	}
	free(in);
	return rc;
}

/* Appends the rows of one kept FDE; RUN_BAD when its program is malformed
 * (the caller drops what it appended). */
static int run_fde(struct ctx *x, const struct fde *f, struct interp *in)
{
	struct cie *c = &x->cies[f->cie];
	unsigned si = f->sec;
	if (c->signal) /* the unwinder reads the sigcontext: no rule needed */
		return push_row(x, si, f->off, f->start, TREC_UW_RULE(TREC_UW_SIGNAL, 0, 0, 0));
	if (!c->init_done) {
		int rc = init_cie(x, c);
		if (rc)
			return rc;
	}
	if (c->init_done < 0) {
		in->why = c->why;
		return RUN_BAD;
	}
	in->x = x;
	in->cie = c;
	in->sec = &x->secs[si];
	in->entry_off = f->off;
	in->in_cie = false;
	in->done = false;
	in->why = NULL;
	in->loc = f->start;
	in->end = f->end;
	in->st = c->init;
	in->depth = 0;
	int rc = run_program(in, f->body, f->body_end);
	if (rc)
		return rc;
	if (!in->done)
		return push_row(x, si, f->off, in->loc, encode_rule(&in->st));
	return RUN_OK;
}

static int build_rows(struct ctx *x)
{
	struct interp *in = malloc(sizeof(*in));
	if (!in)
		return out_of_memory(x, "a CFA program");
	struct cfi_table *t = x->out;
	const uint32_t none = TREC_UW_RULE(TREC_UW_NONE, 0, 0, 0);
	uint64_t prev_end = 0;
	const struct fde *prev = NULL;
	int rc = 0;
	for (size_t k = 0; k < x->nkept && !rc; k++) {
		const struct fde *f = &x->fdes[x->kept[k]];
		size_t mark = t->nrows;
		if (prev && prev_end < f->start)
			rc = push_row(x, f->sec, f->off, prev_end, none);
		if (!rc)
			rc = run_fde(x, f, in);
		if (rc == RUN_BAD) { /* its range is left to the NONE row before the next */
			t->nrows = mark;
			t->st.fdes_bad++;
			t->st.fdes_bad_insns++;
			note_bad(x, f->sec, f->off, in->why);
			rc = 0;
			continue;
		}
		prev = f;
		prev_end = f->end;
	}
	if (!rc && prev)
		rc = push_row(x, prev->sec, prev->off, prev_end, none);
	free(in);
	return rc;
}

static int build_funcs(struct ctx *x)
{
	struct cfi_table *t = x->out;
	if (!x->nkept)
		return 0;
	t->funcs = malloc(x->nkept * sizeof(*t->funcs));
	if (!t->funcs)
		return out_of_memory(x, "function ranges");
	for (size_t k = 0; k < x->nkept; k++) {
		const struct fde *f = &x->fdes[x->kept[k]];
		t->funcs[t->nfuncs++] = (struct cfi_func){ .start = f->start, .end = f->end };
	}
	return 0;
}

static void count_rows(struct cfi_table *t)
{
	t->st.rows = t->nrows;
	for (size_t i = 0; i < t->nrows; i++) {
		switch (TREC_UW_KIND(t->rows[i].rule)) {
		case TREC_UW_UNSUPPORTED: t->st.rows_unsupported++; break;
		case TREC_UW_SIGNAL: t->st.rows_signal++; break;
		case TREC_UW_PLT: t->st.rows_plt++; break;
		case TREC_UW_END: t->st.rows_end++; break;
		default: break;
		}
	}
}

/* ---- API ------------------------------------------------------------------------------- */

int cfi_opts_resolve(const struct cfi_opts *o, struct cfi_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (!o) {
		out->want_rows = out->want_funcs = 1;
	} else {
		if (!o->sz)
			return -EINVAL;
		memcpy(out, o, o->sz < sizeof(*out) ? o->sz : sizeof(*out));
	}
	out->sz = sizeof(*out);
	if (!out->max_rows)
		out->max_rows = CFI_DEFAULT_MAX_ROWS;
	if (!out->max_fdes)
		out->max_fdes = CFI_DEFAULT_MAX_FDES;
	if (!out->max_insns)
		out->max_insns = CFI_DEFAULT_MAX_INSNS;
	if (!out->max_section)
		out->max_section = CFI_DEFAULT_MAX_SECTION;
	return 0;
}

static int compile(struct ctx *x)
{
	for (size_t i = 0; i < x->nsecs; i++) {
		const struct cfi_section *s = &x->secs[i];
		if (s->size > x->o.max_section)
			return fail(x, -E2BIG, (unsigned)i, 0, "section of %zu bytes, over %zu (cfi_opts.max_section)",
				    s->size, x->o.max_section);
		if (!s->data && s->size)
			return trec_errf(x->err, -EINVAL, "%s: %s without data", x->name, sec_name(s));
	}
	for (size_t i = 0; i < x->nsecs; i++) {
		int rc = walk_section(x, (unsigned)i);
		if (rc)
			return rc;
	}
	decode_fdes(x);
	int rc = select_fdes(x);
	if (!rc && x->o.want_rows)
		rc = build_rows(x);
	if (!rc && x->o.want_funcs)
		rc = build_funcs(x);
	count_rows(x->out);
	return rc;
}

int cfi_compile(const struct cfi_section *secs, size_t nsecs, const char *name, const struct cfi_opts *o,
		struct cfi_table *out, struct trec_err *err)
{
	if (!out)
		return trec_errf(err, -EINVAL, "cfi_compile: no table given");
	memset(out, 0, sizeof(*out));
	if (!name)
		name = "(unnamed)";
	if (nsecs && !secs)
		return trec_errf(err, -EINVAL, "%s: cfi_compile: no sections given", name);
	if (nsecs > UINT16_MAX)
		return trec_errf(err, -EINVAL, "%s: cfi_compile: %zu sections", name, nsecs);
	struct ctx x = { .secs = secs, .nsecs = nsecs, .name = name, .err = err, .out = out };
	if (cfi_opts_resolve(o, &x.o))
		return trec_errf(err, -EINVAL, "%s: cfi_compile: cfi_opts.sz is 0", name);
	x.insns_left = x.o.max_insns;
	x.max_cies = x.o.max_fdes < MAX_CIES ? x.o.max_fdes : MAX_CIES;
	int rc = compile(&x);
	free(x.cies);
	free(x.fdes);
	free(x.kept);
	return rc;
}

void cfi_table_free(struct cfi_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->funcs);
	memset(t, 0, sizeof(*t));
}
