/* SPDX-License-Identifier: MIT */
/*
 * Compiled --filter programs and their evaluator, shared by the recorder
 * (record/filter.c compiles, tests evaluate) and the BPF programs (which
 * evaluate each record before it is sent).
 *
 * A program is postfix: comparisons push a boolean, AND/OR pop two and
 * push one, NOT flips the top. Booleans live as bits of a u64 (bit 0 is
 * the top), so the stack needs no array and no variable indexing.
 *
 * The header compiles as plain C and with `clang -target bpf`; it uses no
 * libc, and trec_filter_eval() is written for the verifier: one loop with
 * a constant bound, every record access checked against the record size
 * and masked to TREC_FILTER_REC_MAX, byte loads through a switch instead
 * of memcpy, no recursion or function pointers.
 */
#ifndef TREC_FILTER_PROG_H
#define TREC_FILTER_PROG_H

#if defined(__bpf__)
/* A BPF program built on vmlinux.h already has these types, and
 * linux/types.h would clash with vmlinux.h's copies of the kernel's. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
typedef __u8 trec_fu8;
typedef __u16 trec_fu16;
typedef __u32 trec_fu32;
typedef __u64 trec_fu64;
typedef __s64 trec_fs64;
#else
#include <stdint.h>
typedef uint8_t trec_fu8;
typedef uint16_t trec_fu16;
typedef uint32_t trec_fu32;
typedef uint64_t trec_fu64;
typedef int64_t trec_fs64;
#endif

#define TREC_FILTER_MAX_INSNS 32
#define TREC_FILTER_MAX_DEPTH 32   /* booleans on the stack */
#define TREC_FILTER_STR_MAX 16     /* bytes a string comparison holds (imm, imm2) */
/* Bytes of a record the filter sees: the BPF side copies records into a
 * map value of this size. Must be a power of two (accesses are masked). */
#define TREC_FILTER_REC_MAX 4096

enum trec_filter_op {
	TREC_FOP_CMP_INT = 1, /* push cmp(load(offset, size), imm) */
	TREC_FOP_CMP_STR = 2, /* push the string at offset cmp imm/imm2 */
	TREC_FOP_AND = 3,
	TREC_FOP_OR = 4,
	TREC_FOP_NOT = 5,
};

enum trec_filter_cmp {
	TREC_FCMP_EQ = 0,
	TREC_FCMP_NE = 1,
	TREC_FCMP_LT = 2,
	TREC_FCMP_LE = 3,
	TREC_FCMP_GT = 4,
	TREC_FCMP_GE = 5,
	TREC_FCMP_BAND = 6, /* (value & imm) != 0 */
};

/* insn.flags */
#define TREC_FF_SIGNED 0x01   /* CMP_INT: sign-extend the load, compare signed */
#define TREC_FF_PREFIX 0x02   /* CMP_STR: the field starts with the string */
#define TREC_FF_DATA_LOC 0x04 /* CMP_STR: u32 at offset is len << 16 | offset from record start */
#define TREC_FF_REL_LOC 0x08  /* CMP_STR: ... | offset from the end of the u32 */

/*
 * CMP_INT: size (1/2/4/8) bytes at offset, host byte order.
 * CMP_STR: len (0..16) string bytes packed into imm (bytes 0-7, byte k at
 *   bits 8k) and imm2 (bytes 8-15). For a char array, size is the array
 *   length (capped at 255: only byte len <= 16 is ever looked at); for a
 *   dynamic string it is 4 and the length comes from the location word.
 */
struct trec_filter_insn {
	trec_fu8 op;
	trec_fu8 size;
	trec_fu8 flags;
	trec_fu8 cmp;
	trec_fu16 offset;
	trec_fu16 len;
	trec_fu64 imm;
	trec_fu64 imm2;
};

struct trec_filter_prog {
	trec_fu32 n; /* 0: no filter, keep everything */
	trec_fu32 pad;
	struct trec_filter_insn insn[TREC_FILTER_MAX_INSNS];
};

/* Byte i of the record. Callers have checked i < size <= REC_MAX, so the
 * mask changes nothing; it is there to prove the bound to the verifier. */
static inline trec_fu64 trec_filter_byte(const unsigned char *rec, trec_fu32 i)
{
	return rec[i & (TREC_FILTER_REC_MAX - 1)];
}

/* n (0..8) bytes from off as one value: byte k at bits 8k (be = 0, little
 * endian and the packing of string immediates) or at bits 8(n-1-k) (be =
 * 1). A switch falling through instead of a loop. */
static inline trec_fu64 trec_filter_gather(const unsigned char *rec, trec_fu32 off, trec_fu32 n, int be)
{
	trec_fu64 v = 0;
#define TREC_FILTER_B(k) (trec_filter_byte(rec, off + (k)) << (be ? 8 * (n - 1 - (k)) : 8 * (k)))
	switch (n) {
	case 8:
		v |= TREC_FILTER_B(7); /* fall through */
	case 7:
		v |= TREC_FILTER_B(6); /* fall through */
	case 6:
		v |= TREC_FILTER_B(5); /* fall through */
	case 5:
		v |= TREC_FILTER_B(4); /* fall through */
	case 4:
		v |= TREC_FILTER_B(3); /* fall through */
	case 3:
		v |= TREC_FILTER_B(2); /* fall through */
	case 2:
		v |= TREC_FILTER_B(1); /* fall through */
	case 1:
		v |= TREC_FILTER_B(0); /* fall through */
	default:
		break;
	}
#undef TREC_FILTER_B
	return v;
}

/* An integer of size bytes in host byte order, zero-extended. */
static inline trec_fu64 trec_filter_load(const unsigned char *rec, trec_fu32 off, trec_fu32 size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return trec_filter_gather(rec, off, size, 1);
#else
	return trec_filter_gather(rec, off, size, 0);
#endif
}

/* CMP_INT: 1/0, or 0 when the field lies outside the record. */
static inline int trec_filter_cmp_int(const struct trec_filter_insn *in, const unsigned char *rec, trec_fu32 size)
{
	trec_fu32 w = in->size;
	if (w != 1 && w != 2 && w != 4 && w != 8)
		return 0;
	if ((trec_fu32)in->offset + w > size)
		return 0;
	trec_fu64 v = trec_filter_load(rec, in->offset, w);
	trec_fu64 imm = in->imm;
	if (in->cmp == TREC_FCMP_BAND)
		return (v & imm) != 0;
	if (in->flags & TREC_FF_SIGNED) {
		trec_fu32 sh = 64 - 8 * w;
		trec_fs64 a = (trec_fs64)(v << sh) >> sh;
		trec_fs64 b = (trec_fs64)imm;
		switch (in->cmp) {
		case TREC_FCMP_EQ: return a == b;
		case TREC_FCMP_NE: return a != b;
		case TREC_FCMP_LT: return a < b;
		case TREC_FCMP_LE: return a <= b;
		case TREC_FCMP_GT: return a > b;
		case TREC_FCMP_GE: return a >= b;
		default: return 0;
		}
	}
	switch (in->cmp) {
	case TREC_FCMP_EQ: return v == imm;
	case TREC_FCMP_NE: return v != imm;
	case TREC_FCMP_LT: return v < imm;
	case TREC_FCMP_LE: return v <= imm;
	case TREC_FCMP_GT: return v > imm;
	case TREC_FCMP_GE: return v >= imm;
	default: return 0;
	}
}

/* Does the string at the field equal (or start with) the immediate?
 * 1/0, or -1 when the field or its data lies outside the record. */
static inline int trec_filter_str_match(const struct trec_filter_insn *in, const unsigned char *rec, trec_fu32 size)
{
	trec_fu32 off = in->offset, avail = in->size, n = in->len;

	if (n > TREC_FILTER_STR_MAX)
		return -1;
	if (in->flags & (TREC_FF_DATA_LOC | TREC_FF_REL_LOC)) {
		if (off + 4 > size)
			return -1;
		trec_fu32 loc = (trec_fu32)trec_filter_load(rec, off, 4);
		avail = loc >> 16;
		off = (in->flags & TREC_FF_REL_LOC) ? off + 4 + (loc & 0xffff) : (loc & 0xffff);
	}
	/* Data shorter than the string: no match (the bytes are not read). */
	if (n > avail)
		return 0;
	/* An exact match also needs the string to end where the immediate
	 * does: a NUL right after it, unless the data ends there. */
	int term = !(in->flags & TREC_FF_PREFIX) && n < avail;
	if (off + n + (trec_fu32)term > size)
		return -1;
	trec_fu64 lo = trec_filter_gather(rec, off, n < 8 ? n : 8, 0);
	trec_fu64 hi = n > 8 ? trec_filter_gather(rec, off + 8, n - 8, 0) : 0;
	if (lo != in->imm || hi != in->imm2)
		return 0;
	if (term && trec_filter_byte(rec, off + n) != 0)
		return 0;
	return 1;
}

/* CMP_STR: 1/0; a field outside the record compares false either way. */
static inline int trec_filter_cmp_str(const struct trec_filter_insn *in, const unsigned char *rec, trec_fu32 size)
{
	int m = trec_filter_str_match(in, rec, size);
	if (m < 0)
		return 0;
	return in->cmp == TREC_FCMP_NE ? !m : m;
}

/*
 * One instruction of a filter program on the boolean stack (st, depth).
 * 0, or -1 for a malformed program (bad op, stack under- or overflow).
 * Shared by trec_filter_eval below and the BPF side, which runs it under
 * bpf_loop so the verifier checks one step instead of every unrolled path.
 */
static inline int trec_filter_step(const struct trec_filter_insn *in, const unsigned char *rec,
				   trec_fu32 size, trec_fu64 *st, trec_fu32 *depth)
{
	trec_fu64 a, b;
	switch (in->op) {
	case TREC_FOP_CMP_INT:
	case TREC_FOP_CMP_STR:
		if (*depth >= TREC_FILTER_MAX_DEPTH)
			return -1;
		a = (in->op == TREC_FOP_CMP_INT ? trec_filter_cmp_int(in, rec, size)
						: trec_filter_cmp_str(in, rec, size)) != 0;
		*st = *st << 1 | a;
		*depth += 1;
		return 0;
	case TREC_FOP_AND:
	case TREC_FOP_OR:
		if (*depth < 2)
			return -1;
		a = *st & 1;
		b = (*st >> 1) & 1;
		*st = (*st >> 2) << 1 | (in->op == TREC_FOP_AND ? (a & b) : (a | b));
		*depth -= 1;
		return 0;
	case TREC_FOP_NOT:
		if (*depth < 1)
			return -1;
		*st ^= 1;
		return 0;
	default:
		return -1;
	}
}

/*
 * Runs p on a record of size bytes (only the first TREC_FILTER_REC_MAX
 * count). 1: keep the record, 0: drop it. An empty program keeps
 * everything; so does a malformed one (bad op, stack under- or overflow,
 * not exactly one result): a bug must not silently lose events.
 */
static inline int trec_filter_eval(const struct trec_filter_prog *p, const unsigned char *rec, trec_fu32 size)
{
	trec_fu64 st = 0;
	trec_fu32 depth = 0, n = p->n, i;

	if (n == 0 || n > TREC_FILTER_MAX_INSNS)
		return 1;
	if (size > TREC_FILTER_REC_MAX)
		size = TREC_FILTER_REC_MAX;
	for (i = 0; i < TREC_FILTER_MAX_INSNS; i++) {
		if (i >= n)
			break;
		if (trec_filter_step(&p->insn[i], rec, size, &st, &depth))
			return 1;
	}
	if (depth != 1)
		return 1;
	return (int)(st & 1);
}

#endif
