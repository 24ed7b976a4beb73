/* SPDX-License-Identifier: MIT */
/*
 * The CFI compiler (see cfi.h): .eh_frame / .debug_frame bytes in, sorted
 * unwind rows (bpf/unwind_abi.h) and FDE ranges out. No libelf here (that
 * is cfi_elf.c), so the fuzzer links this file and cfi_insn.c alone.
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
 *     The instruction interpreter is cfi_insn.c; the types and the byte
 *     reader both share are in cfi_int.h.
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
#include "cfi_int.h"
#include "unwind_abi.h"
const char *cfi_sec_name(const struct cfi_section *s)
{
	return s->debug_frame ? ".debug_frame" : ".eh_frame";
}

/* An error for the whole compilation: "NAME: SECTION at offset 0x..: what". */
int cfi_fail(struct ctx *x, int code, unsigned sec, uint64_t off, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return trec_errf(x->err, code, "%s: %s at offset 0x%" PRIx64 ": %s", x->name, cfi_sec_name(&x->secs[sec]),
			 off, what);
}

int cfi_out_of_memory(struct ctx *x, const char *what)
{
	return trec_errf(x->err, -ENOMEM, "%s: out of memory for %s", x->name, what);
}

/* Counts a malformed entry, remembering the first. */
void cfi_note_bad(struct ctx *x, unsigned sec, uint64_t off, const char *why)
{
	struct cfi_stats *st = &x->out->st;
	if (!st->first_bad) {
		st->first_bad = why;
		st->first_bad_section = cfi_sec_name(&x->secs[sec]);
		st->first_bad_off = off;
	}
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
		return cfi_fail(x, -E2BIG, si, off, "more than %zu CIEs", x->max_cies);
	if (x->ncies == x->cies_cap) {
		size_t cap = x->cies_cap ? x->cies_cap * 2 : 8;
		struct cie *n = realloc(x->cies, cap * sizeof(*n));
		if (!n)
			return cfi_out_of_memory(x, "CIEs");
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
		cfi_note_bad(x, si, off, c->why);
	}
	return 0;
}

static int add_fde(struct ctx *x, unsigned si, uint64_t off, uint64_t cie_off, struct rd body)
{
	if (x->ncies + x->nfdes >= x->o.max_fdes)
		return cfi_fail(x, -E2BIG, si, off, "more than %zu CIEs and FDEs (cfi_opts.max_fdes)", x->o.max_fdes);
	if (x->nfdes == x->fdes_cap) {
		size_t cap = x->fdes_cap ? x->fdes_cap * 2 : 256;
		struct fde *n = realloc(x->fdes, cap * sizeof(*n));
		if (!n)
			return cfi_out_of_memory(x, "FDEs");
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
		cfi_note_bad(x, si, off, "entry too short for its CIE id");
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
			return cfi_fail(x, -EBADMSG, si, off, "entry length field truncated (%zu bytes left)", left);
		}
		if (len == 0) { /* a zero terminator; readelf goes on past it, so do we */
			off += 4;
			continue;
		}
		if (len == 0xffffffffu) {
			if (!rd_uint(&r, 8, &len))
				return cfi_fail(x, -EBADMSG, si, off, "64-bit entry length truncated");
			hdr = 12;
			off64 = true;
		} else if (len >= 0xfffffff0u) {
			return cfi_fail(x, -EBADMSG, si, off, "reserved entry length 0x%" PRIx64, len);
		}
		if (len > left - hdr)
			return cfi_fail(x, -EBADMSG, si, off,
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
			cfi_note_bad(x, f->sec, f->off, why);
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
		return cfi_out_of_memory(x, "the FDE selection");
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

int cfi_push_row(struct ctx *x, unsigned si, uint64_t off, uint64_t pc, uint32_t rule)
{
	struct cfi_table *t = x->out;
	if (t->nrows && t->rows[t->nrows - 1].rule == rule)
		return 0;
	if (t->nrows == x->rows_cap) {
		if (t->nrows >= x->o.max_rows)
			return cfi_fail(x, -E2BIG, si, off, "more than %zu rows (cfi_opts.max_rows)", x->o.max_rows);
		size_t cap = x->rows_cap ? x->rows_cap * 2 : 1024;
		if (cap > x->o.max_rows)
			cap = x->o.max_rows;
		struct cfi_row *n = cap <= SIZE_MAX / sizeof(*n) ? realloc(t->rows, cap * sizeof(*n)) : NULL;
		if (!n)
			return cfi_out_of_memory(x, "rows");
		t->rows = n;
		x->rows_cap = cap;
	}
	t->rows[t->nrows++] = (struct cfi_row){ .pc = pc, .rule = rule };
	return 0;
}


static int build_rows(struct ctx *x)
{
	struct interp *in = malloc(sizeof(*in));
	if (!in)
		return cfi_out_of_memory(x, "a CFA program");
	struct cfi_table *t = x->out;
	const uint32_t none = TREC_UW_RULE(TREC_UW_NONE, 0, 0, 0);
	uint64_t prev_end = 0;
	const struct fde *prev = NULL;
	int rc = 0;
	for (size_t k = 0; k < x->nkept && !rc; k++) {
		const struct fde *f = &x->fdes[x->kept[k]];
		size_t mark = t->nrows;
		if (prev && prev_end < f->start)
			rc = cfi_push_row(x, f->sec, f->off, prev_end, none);
		if (!rc)
			rc = cfi_run_fde(x, f, in);
		if (rc == RUN_BAD) { /* its range is left to the NONE row before the next */
			t->nrows = mark;
			t->st.fdes_bad++;
			t->st.fdes_bad_insns++;
			cfi_note_bad(x, f->sec, f->off, in->why);
			rc = 0;
			continue;
		}
		prev = f;
		prev_end = f->end;
	}
	if (!rc && prev)
		rc = cfi_push_row(x, prev->sec, prev->off, prev_end, none);
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
		return cfi_out_of_memory(x, "function ranges");
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
			return cfi_fail(x, -E2BIG, (unsigned)i, 0, "section of %zu bytes, over %zu (cfi_opts.max_section)",
				    s->size, x->o.max_section);
		if (!s->data && s->size)
			return trec_errf(x->err, -EINVAL, "%s: %s without data", x->name, cfi_sec_name(s));
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
