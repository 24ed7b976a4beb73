/* SPDX-License-Identifier: MIT */
/*
 * --filter compiler: recursive descent over the expression, emitting the
 * postfix program of bpf/filter_prog.h as it goes (a comparison emits one
 * CMP, an operator emits after its operands), so no syntax tree is built.
 *
 * Everything the BPF side would have to guess is settled here: field
 * offsets and widths come from the schema, values are checked against the
 * field's width and stored as the evaluator will compare them, and string
 * immediates are packed byte by byte so the evaluator never copies.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filter.h"

struct fp {
	const char *src; /* the expression, NUL-terminated at len */
	size_t len, pos;
	const struct trec_schema *s;
	struct trec_filter_prog *out;
	struct trec_err *err;
	unsigned nest;
};

/* "--filter 'EXPR': MSG at column N", columns counted from 1. */
static int ferr(struct fp *p, size_t pos, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int ferr(struct fp *p, size_t pos, int code, const char *fmt, ...)
{
	char m[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return trec_errf(p->err, code, "--filter '%.160s': %s at column %zu", p->src, m, pos + 1);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_ident(char c) { return is_ident_start(c) || is_digit(c); }

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int digit_value(char c, int base)
{
	if (base == 16)
		return hex_digit(c);
	return is_digit(c) ? c - '0' : -1;
}

/* The character at the next token, 0 at the end. */
static char peek(struct fp *p)
{
	while (p->pos < p->len && is_space(p->src[p->pos]))
		p->pos++;
	return p->pos < p->len ? p->src[p->pos] : 0;
}

/* Is the next token tok? (src is NUL-terminated, so strncmp stays inside.) */
static int at(struct fp *p, const char *tok)
{
	peek(p);
	return !strncmp(p->src + p->pos, tok, strlen(tok));
}

/* Quotes the next token in messages: up to the next space, at most 20
 * bytes, or "the end". */
static void describe_next(struct fp *p, char *buf, size_t len)
{
	if (peek(p) == 0) {
		snprintf(buf, len, "the end");
		return;
	}
	size_t n = 0;
	while (p->pos + n < p->len && !is_space(p->src[p->pos + n]) && n < 20)
		n++;
	snprintf(buf, len, "'%.*s'", (int)n, p->src + p->pos);
}

static int emit(struct fp *p, const struct trec_filter_insn *in, size_t pos)
{
	if (p->out->n >= TREC_FILTER_MAX_INSNS)
		return ferr(p, pos, -E2BIG,
			    "the filter needs more than %d instructions (each comparison, &&, || and ! takes one); "
			    "simplify it",
			    TREC_FILTER_MAX_INSNS);
	p->out->insn[p->out->n++] = *in;
	return 0;
}

static int emit_op(struct fp *p, enum trec_filter_op op, size_t pos)
{
	struct trec_filter_insn in = { .op = (trec_fu8)op };
	return emit(p, &in, pos);
}

/* ---- fields ---- */

static const struct trec_field *find_field(const struct trec_schema *s, const char *name, size_t n)
{
	for (uint32_t i = 0; s->fields && i < s->nfields; i++) {
		const char *fn = s->fields[i].name;
		if (fn && !strncmp(fn, name, n) && !fn[n])
			return &s->fields[i];
	}
	return NULL;
}

static int unknown_field(struct fp *p, size_t pos, size_t n)
{
	char list[300];
	size_t used = 0;
	list[0] = 0;
	for (uint32_t i = 0; p->s->fields && i < p->s->nfields; i++) {
		const char *fn = p->s->fields[i].name ? p->s->fields[i].name : "";
		/* Leave room for ", ..." when the list does not fit. */
		if (used + strlen(fn) + 2 >= sizeof(list) - 6) {
			snprintf(list + used, sizeof(list) - used, "%s...", used ? ", " : "");
			break;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", fn);
	}
	return trec_errf(p->err, -EINVAL, "--filter '%.100s': unknown field '%.*s' at column %zu; %.60s has: %s",
			 p->src, (int)(n > 60 ? 60 : n), p->src + pos, pos + 1, p->s->name ? p->s->name : "the event",
			 list);
}

static int is_int_kind(uint32_t k) { return k == TREC_F_INT || k == TREC_F_UINT || k == TREC_F_HEX; }
static int is_str_kind(uint32_t k) { return k == TREC_F_CHARS || k == TREC_F_DATA_LOC || k == TREC_F_REL_LOC; }

/* A field reference: name, optional [index] for integer arrays. Sets the
 * byte offset of the element. */
static int parse_field(struct fp *p, const struct trec_field **fout, uint32_t *offset, size_t *fpos)
{
	char c = peek(p);
	*fpos = p->pos;
	if (!is_ident_start(c)) {
		char what[32];
		describe_next(p, what, sizeof(what));
		return ferr(p, p->pos, -EINVAL, "expected a field name, found %s", what);
	}
	size_t start = p->pos;
	while (p->pos < p->len && is_ident(p->src[p->pos]))
		p->pos++;
	const struct trec_field *f = find_field(p->s, p->src + start, p->pos - start);
	if (!f)
		return unknown_field(p, start, p->pos - start);

	uint64_t idx = 0;
	if (peek(p) == '[') {
		size_t bpos = p->pos++;
		size_t ipos = (peek(p), p->pos);
		if (!is_int_kind(f->kind) || f->count < 2)
			return ferr(p, bpos, -EINVAL, "field '%s' is not an array of integers", f->name);
		if (!is_digit(peek(p)))
			return ferr(p, p->pos, -EINVAL, "expected an index");
		while (p->pos < p->len && is_digit(p->src[p->pos]) && idx <= UINT32_MAX)
			idx = idx * 10 + (uint64_t)(p->src[p->pos++] - '0');
		if (idx >= f->count)
			return ferr(p, ipos, -EINVAL, "index out of range: '%s' has %u elements", f->name, f->count);
		if (peek(p) != ']')
			return ferr(p, p->pos, -EINVAL, "expected ']'");
		p->pos++;
	} else if (is_int_kind(f->kind) && f->count != 1) {
		return ferr(p, start, -EINVAL, "field '%s' is an array of %u; compare one element: %s[0]", f->name,
			    f->count, f->name);
	}

	if (!is_int_kind(f->kind) && !is_str_kind(f->kind))
		return ferr(p, start, -EINVAL, "field '%s' holds raw bytes and cannot be compared", f->name);
	uint64_t off = f->offset + idx * f->elem_size;
	uint64_t reach = is_int_kind(f->kind) ? f->elem_size : f->kind == TREC_F_CHARS ? 1 : 4;
	if (off + reach > TREC_FILTER_REC_MAX)
		return ferr(p, start, -EINVAL, "field '%s' (offset %" PRIu64 ") lies beyond the first %d bytes of the "
			    "record, which is all a filter sees", f->name, off, TREC_FILTER_REC_MAX);
	*fout = f;
	*offset = (uint32_t)off;
	return 0;
}

/* ---- operators ---- */

static const struct {
	const char *tok;
	enum trec_filter_cmp cmp;
} ops[] = {
	/* Two-character operators first, so "<=" is not read as "<". */
	{ "==", TREC_FCMP_EQ }, { "!=", TREC_FCMP_NE }, { "<=", TREC_FCMP_LE }, { ">=", TREC_FCMP_GE },
	{ "<", TREC_FCMP_LT },  { ">", TREC_FCMP_GT },  { "&", TREC_FCMP_BAND },
};

static int parse_op(struct fp *p, enum trec_filter_cmp *cmp, size_t *opos)
{
	peek(p);
	*opos = p->pos;
	/* "&&" right after a field is a missing operator, not "&" and "&". */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !at(p, "&&"); i++) {
		if (at(p, ops[i].tok)) {
			p->pos += strlen(ops[i].tok);
			*cmp = ops[i].cmp;
			return 0;
		}
	}
	char what[32];
	describe_next(p, what, sizeof(what));
	return ferr(p, p->pos, -EINVAL, "expected an operator (== != < <= > >= &), found %s%s", what,
		    at(p, "=") ? "; equality is '=='" : "");
}

static const char *cmp_name(enum trec_filter_cmp c)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].cmp == c)
			return ops[i].tok;
	return "?";
}

/* ---- integer comparisons ---- */

/* A value ends at a space, a parenthesis, an operator or the end. */
static int at_value_end(struct fp *p)
{
	char c = p->pos < p->len ? p->src[p->pos] : 0;
	return !c || is_space(c) || strchr("()&|!=<>", c);
}

/* [-](decimal | 0xhex) as magnitude and sign. */
static int parse_number(struct fp *p, uint64_t *mag, int *neg, size_t *vpos)
{
	char c = peek(p);
	*vpos = p->pos;
	*neg = c == '-';
	if (*neg)
		p->pos++;
	if (!is_digit(p->pos < p->len ? p->src[p->pos] : 0)) {
		p->pos = *vpos;
		if (at_value_end(p))
			return ferr(p, *vpos, -EINVAL, "expected a value");
		char what[32];
		describe_next(p, what, sizeof(what));
		return ferr(p, *vpos, -EINVAL, "expected a number, found %s", what);
	}
	int base = 10;
	if (p->src[p->pos] == '0' && (p->src[p->pos + 1] == 'x' || p->src[p->pos + 1] == 'X')) {
		base = 16;
		p->pos += 2;
		if (hex_digit(p->src[p->pos]) < 0)
			return ferr(p, p->pos, -EINVAL, "expected hex digits after '0x'");
	}
	uint64_t v = 0;
	int d;
	while (p->pos < p->len && (d = digit_value(p->src[p->pos], base)) >= 0) {
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return ferr(p, *vpos, -EINVAL, "number does not fit in 64 bits");
		v = v * (uint64_t)base + (uint64_t)d;
		p->pos++;
	}
	if (!at_value_end(p))
		return ferr(p, p->pos, -EINVAL, "unexpected '%c' in a number", p->src[p->pos]);
	*mag = v;
	return 0;
}

/* The immediate as the evaluator compares it: the value modulo the
 * field's width, sign-extended for signed fields. Values that fit the
 * width neither as signed nor as unsigned are rejected: they could never
 * compare as written. */
static int fit_value(uint64_t mag, int neg, uint32_t width, int sgn, uint64_t *imm)
{
	uint32_t bits = width * 8;
	uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	uint64_t v;

	if (neg) {
		if (mag > UINT64_C(1) << (bits - 1))
			return -ERANGE;
		v = (uint64_t)0 - mag;
	} else {
		if (mag > umax)
			return -ERANGE;
		v = mag;
	}
	v &= umax;
	if (sgn && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~umax;
	*imm = v;
	return 0;
}

static int compile_int(struct fp *p, const struct trec_field *f, uint32_t off, enum trec_filter_cmp cmp,
		       size_t fpos)
{
	uint64_t mag = 0, imm = 0;
	int neg = 0, r;
	size_t vpos = 0;

	if ((r = parse_number(p, &mag, &neg, &vpos)))
		return r;
	int sgn = f->kind == TREC_F_INT;
	if (fit_value(mag, neg, f->elem_size, sgn, &imm))
		return ferr(p, vpos, -EINVAL, "%s%" PRIu64 " does not fit field '%s' (%u-byte %s)", neg ? "-" : "", mag,
			    f->name, f->elem_size, sgn ? "signed" : "unsigned");
	struct trec_filter_insn in = {
		.op = TREC_FOP_CMP_INT,
		.size = (trec_fu8)f->elem_size,
		.flags = sgn ? TREC_FF_SIGNED : 0,
		.cmp = (trec_fu8)cmp,
		.offset = (trec_fu16)off,
		.imm = imm,
	};
	return emit(p, &in, fpos);
}

/* ---- string comparisons ---- */

struct str_value {
	char b[TREC_FILTER_STR_MAX];
	size_t n;
	int prefix;
	size_t pos;
};

static int put_char(struct fp *p, struct str_value *v, char c)
{
	if (v->n >= sizeof(v->b))
		return ferr(p, v->pos, -EINVAL, "string longer than %d bytes (a filter compares at most %d)",
			    TREC_FILTER_STR_MAX, TREC_FILTER_STR_MAX);
	v->b[v->n++] = c;
	return 0;
}

/* An unescaped '*' is the prefix wildcard; it may only end the string. */
static int star(struct fp *p, struct str_value *v, int last)
{
	if (!last)
		return ferr(p, p->pos, -EINVAL, "'*' is only allowed at the end of a string (a prefix match)");
	v->prefix = 1;
	return 0;
}

static int parse_quoted(struct fp *p, struct str_value *v)
{
	int r;
	p->pos++; /* opening quote */
	for (;;) {
		if (p->pos >= p->len)
			return ferr(p, v->pos, -EINVAL, "unterminated string");
		char c = p->src[p->pos];
		if (c == '"')
			break;
		if (c == '*') {
			int last = p->pos + 1 < p->len && p->src[p->pos + 1] == '"';
			if ((r = star(p, v, last)))
				return r;
		} else {
			if (c == '\\') {
				if (++p->pos >= p->len)
					return ferr(p, v->pos, -EINVAL, "unterminated string");
				c = p->src[p->pos];
			}
			if ((r = put_char(p, v, c)))
				return r;
		}
		p->pos++;
	}
	p->pos++; /* closing quote */
	if (!at_value_end(p))
		return ferr(p, p->pos, -EINVAL, "unexpected '%c' after the string", p->src[p->pos]);
	return 0;
}

/* A bare word: everything up to a space, parenthesis, operator or quote. */
static int parse_bare(struct fp *p, struct str_value *v)
{
	int r;
	while (!at_value_end(p) && p->src[p->pos] != '"') {
		char c = p->src[p->pos];
		if (c == '*') {
			size_t star_pos = p->pos++;
			int last = at_value_end(p) || p->src[p->pos] == '"';
			p->pos = star_pos;
			r = star(p, v, last);
		} else {
			r = put_char(p, v, c);
		}
		if (r)
			return r;
		p->pos++;
	}
	if (!v->n && !v->prefix)
		return ferr(p, v->pos, -EINVAL, "expected a value");
	return 0;
}

static int parse_string(struct fp *p, struct str_value *v)
{
	char c = peek(p);
	memset(v, 0, sizeof(*v));
	v->pos = p->pos;
	if (c == '"')
		return parse_quoted(p, v);
	if (!c)
		return ferr(p, v->pos, -EINVAL, "expected a value");
	return parse_bare(p, v);
}

static uint64_t pack8(const char *b, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)(unsigned char)b[i] << (8 * i);
	return v;
}

static int compile_str(struct fp *p, const struct trec_field *f, uint32_t off, enum trec_filter_cmp cmp,
		       size_t fpos, size_t opos)
{
	struct str_value v;
	int r;

	if (cmp != TREC_FCMP_EQ && cmp != TREC_FCMP_NE)
		return ferr(p, opos, -EINVAL, "operator '%s' does not apply to string field '%s'; use == or !=",
			    cmp_name(cmp), f->name);
	if ((r = parse_string(p, &v)))
		return r;
	if (f->kind == TREC_F_CHARS && v.n > f->count)
		return ferr(p, v.pos, -EINVAL, "string of %zu bytes is longer than field '%s' (%u bytes)", v.n, f->name,
			    f->count);
	struct trec_filter_insn in = {
		.op = TREC_FOP_CMP_STR,
		.size = f->kind == TREC_F_CHARS ? (trec_fu8)(f->count > 255 ? 255 : f->count) : 4,
		.flags = (trec_fu8)((v.prefix ? TREC_FF_PREFIX : 0) |
				    (f->kind == TREC_F_DATA_LOC ? TREC_FF_DATA_LOC : 0) |
				    (f->kind == TREC_F_REL_LOC ? TREC_FF_REL_LOC : 0)),
		.cmp = (trec_fu8)cmp,
		.offset = (trec_fu16)off,
		.len = (trec_fu16)v.n,
		.imm = pack8(v.b, v.n),
		.imm2 = v.n > 8 ? pack8(v.b + 8, v.n - 8) : 0,
	};
	return emit(p, &in, fpos);
}

/* ---- grammar ---- */

static int parse_cmp(struct fp *p)
{
	const struct trec_field *f = NULL;
	enum trec_filter_cmp cmp = TREC_FCMP_EQ;
	uint32_t off = 0;
	size_t fpos = 0, opos = 0;
	int r;

	if ((r = parse_field(p, &f, &off, &fpos)) || (r = parse_op(p, &cmp, &opos)))
		return r;
	if (is_str_kind(f->kind))
		return compile_str(p, f, off, cmp, fpos, opos);
	return compile_int(p, f, off, cmp, fpos);
}

static int parse_or(struct fp *p);

static int parse_not(struct fp *p)
{
	int r;
	size_t pos = (peek(p), p->pos);

	/* Recursion depth is bounded by the nesting limit, not the input. */
	if (++p->nest > TREC_FILTER_NEST_MAX)
		return ferr(p, pos, -EINVAL, "nested deeper than %d levels", TREC_FILTER_NEST_MAX);
	if (at(p, "!") && !at(p, "!=")) {
		p->pos++;
		r = parse_not(p);
		if (!r)
			r = emit_op(p, TREC_FOP_NOT, pos);
	} else if (at(p, "(")) {
		p->pos++;
		r = parse_or(p);
		if (!r && peek(p) != ')') {
			char what[32];
			describe_next(p, what, sizeof(what));
			r = ferr(p, p->pos, -EINVAL, "expected ')' to close the '(' at column %zu, found %s", pos + 1,
				 what);
		}
		if (!r)
			p->pos++;
	} else {
		r = parse_cmp(p);
	}
	p->nest--;
	return r;
}

static int parse_and(struct fp *p)
{
	int r = parse_not(p);
	while (!r && at(p, "&&")) {
		size_t pos = p->pos;
		p->pos += 2;
		r = parse_not(p);
		if (!r)
			r = emit_op(p, TREC_FOP_AND, pos);
	}
	return r;
}

static int parse_or(struct fp *p)
{
	int r = parse_and(p);
	while (!r && at(p, "||")) {
		size_t pos = p->pos;
		p->pos += 2;
		r = parse_and(p);
		if (!r)
			r = emit_op(p, TREC_FOP_OR, pos);
	}
	return r;
}

int trec_filter_compile(const char *expr, const struct trec_schema *s, struct trec_filter_prog *out,
			struct trec_err *err)
{
	if (!out)
		return trec_errf(err, -EINVAL, "--filter: no output program");
	memset(out, 0, sizeof(*out));
	if (!expr || !s)
		return trec_errf(err, -EINVAL, "--filter: no expression or no event schema");
	size_t len = strnlen(expr, TREC_FILTER_EXPR_MAX + 1);
	if (len > TREC_FILTER_EXPR_MAX)
		return trec_errf(err, -EINVAL, "--filter '%.40s...': longer than %d bytes", expr,
				 TREC_FILTER_EXPR_MAX);

	struct fp p = { .src = expr, .len = len, .s = s, .out = out, .err = err };
	int r;
	if (!peek(&p))
		r = ferr(&p, p.pos, -EINVAL, "empty expression");
	else
		r = parse_or(&p);
	if (!r && peek(&p)) {
		char what[32];
		describe_next(&p, what, sizeof(what));
		r = peek(&p) == ')' ? ferr(&p, p.pos, -EINVAL, "unmatched ')'")
				    : ferr(&p, p.pos, -EINVAL, "expected && or || or the end, found %s", what);
	}
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}
