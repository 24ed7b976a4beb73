/* SPDX-License-Identifier: MIT */
/*
 * The CFI instruction interpreter of the CFI compiler (cfi.c builds the
 * table): runs a CIE's initial instructions and an FDE's program (DWARF 5
 * section 6.4.2, plus the GNU extensions), tracking the three columns the
 * BPF unwinder uses (CFA, rbp, return address), and encodes each row's
 * rule (bpf/unwind_abi.h). Recognises the x86-64 PLT CFA expression;
 * any other expression is parsed and marked unsupported.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "cfi_int.h"
#include "unwind_abi.h"

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
	int rc = cfi_push_row(in->x, (unsigned)(in->sec - in->x->secs), in->entry_off, in->loc, encode_rule(&in->st));
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
			return cfi_fail(in->x, -E2BIG, (unsigned)(in->sec - in->x->secs), in->entry_off,
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
		return cfi_out_of_memory(x, "a CFA program");
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
		cfi_note_bad(x, c->sec, c->off, c->why);
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
int cfi_run_fde(struct ctx *x, const struct fde *f, struct interp *in)
{
	struct cie *c = &x->cies[f->cie];
	unsigned si = f->sec;
	if (c->signal) /* the unwinder reads the sigcontext: no rule needed */
		return cfi_push_row(x, si, f->off, f->start, TREC_UW_RULE(TREC_UW_SIGNAL, 0, 0, 0));
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
		return cfi_push_row(x, si, f->off, in->loc, encode_rule(&in->st));
	return RUN_OK;
}