/* SPDX-License-Identifier: MIT */
/*
 * Parsing a tracefs format file (events/GROUP/NAME/format) into a schema,
 * and finding the syscall string arguments the recorder may copy. Text in,
 * struct tp_format out: no files (tracefs.c finds and reads them).
 *
 * A format file looks like
 *
 *	name: sched_switch
 *	ID: 316
 *	format:
 *		field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *		...
 *		field:char prev_comm[16];	offset:8;	size:16;	signed:0;
 *		field:__data_loc char[] cmd;	offset:60;	size:4;	signed:0;
 *
 *	print fmt: "prev_comm=%s ...", REC->prev_comm, ...
 *
 * The parser is strict about structure (a name: line, an ID: line, a
 * format: line, field lines, a complete print fmt: line) so that a cut or
 * corrupted file is an error rather than a schema missing fields, and
 * lenient about details the kernel has changed over time (signed: absent
 * on old kernels, unknown key:value pairs after a field, macro names as
 * array lengths).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_format.h"
#include "trec_format.h"

/* ======================================================================
 * Syscall string arguments
 * ====================================================================== */

/*
 * Arguments that name a NUL-terminated string the caller passes in:
 * paths, and the short names that identify objects (mount type, xattr
 * name, memfd and message queue names). Buffers are deliberately absent:
 * write's `buf` is `const char *` too, but it is binary data with an
 * explicit length (count), not a string; reading it as one captures a
 * cut or overlong copy of arbitrary, often private, data (passwords,
 * file contents). read's and readlink's `buf` are outputs, garbage at
 * syscall entry. docs/FILTERS.md, "Syscall string arguments", has the
 * full reasoning.
 */
static const char *const str_arg_names[] = {
	"filename", "pathname", "oldname", "newname", "path", "name", "special", "specialfile",
	"dev_name", "dir_name", "type", "library", "from_pathname", "to_pathname", "new_root",
	"put_old", "uname", "u_name", "_fs_name",
};

int tracefs_is_str_arg_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(str_arg_names) / sizeof(str_arg_names[0]); i++)
		if (!strcmp(name, str_arg_names[i]))
			return 1;
	return 0;
}

/* "const char *" or "char *" in any spacing. Plain `char *` counts because
 * several syscalls spell their input paths so (mount's dev_name, utime's
 * filename); the allowlist of names keeps output buffers out. */
static int is_char_ptr_type(const char *t)
{
	char c[16];
	size_t n = 0;
	for (; *t; t++) {
		if (*t == ' ' || *t == '\t')
			continue;
		if (n + 1 >= sizeof(c))
			return 0;
		c[n++] = *t;
	}
	c[n] = 0;
	return !strcmp(c, "constchar*") || !strcmp(c, "char*");
}

/* sethostname and setdomainname take (name, len): the name is not
 * NUL-terminated, so a string copy would run past it. */
static int len_delimited_name(const char *tp)
{
	return !strcmp(tp, "sys_enter_sethostname") || !strcmp(tp, "sys_enter_setdomainname");
}

static void find_str_args(struct tp_format *f)
{
	if (strcmp(f->group, "syscalls") || strncmp(f->name, "sys_enter_", 10) || len_delimited_name(f->name))
		return;
	for (uint32_t i = 0; i < f->schema.nfields && f->nstr_args < TP_MAX_STR_ARGS; i++) {
		const struct trec_field *fl = &f->schema.fields[i];
		if (fl->kind != TREC_F_HEX || fl->count != 1 || !is_char_ptr_type(fl->ctype) ||
		    !tracefs_is_str_arg_name(fl->name))
			continue;
		f->str_args[f->nstr_args].offset = fl->offset;
		f->str_args[f->nstr_args].name = fl->name;
		f->nstr_args++;
	}
}

/* ======================================================================
 * Format parsing
 * ====================================================================== */

struct span {
	const char *p;
	size_t n;
};

/* One field as parsed, pointing into the text until the output is built. */
struct raw_field {
	struct span name, type, dims; /* dims: "[16]" as written, may be empty */
	uint32_t kind, offset, elem_size, count;
};

struct parser {
	const char *p, *end; /* text not yet consumed */
	unsigned line;       /* number of the line last taken */
	const char *group, *name;
	struct trec_err *err;

	uint32_t id;
	struct raw_field *f;
	size_t nf, cap;
	struct raw_field tail;
	int have_tail;
};

static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *ps, const char *fmt, ...)
{
	char m[sizeof(ps->err->msg)];
	va_list ap;
	if (!ps->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return trec_errf(ps->err, -EINVAL, "format of %.100s:%.100s, line %u: %s", ps->group, ps->name, ps->line,
			 m);
}

/* A span for %.*s, cut to 60 bytes so a garbage line cannot swamp the
 * message. */
#define SHOW(s) (int)((s).n > 60 ? 60 : (s).n), (s).p

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

static struct span trim(struct span s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

static int span_eq(struct span s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

/* If s starts with lit, returns 1 and sets *rest to what follows. */
static int span_prefix(struct span s, const char *lit, struct span *rest)
{
	size_t n = strlen(lit);
	if (s.n < n || memcmp(s.p, lit, n))
		return 0;
	if (rest)
		*rest = (struct span){ s.p + n, s.n - n };
	return 1;
}

/* lit as a whole word at the start of s ("__data_loc char[]", not
 * "__data_location"). */
static int span_word(struct span s, const char *lit)
{
	struct span rest;
	return span_prefix(s, lit, &rest) && (!rest.n || is_blank(rest.p[0]));
}

/* Decimal digits only, no sign, at most max. 0 or -EINVAL. */
static int parse_num(struct span s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!s.n || s.n > 10)
		return -EINVAL;
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return -EINVAL;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Takes the next line (without its newline). 0 at the end of the text. */
static int next_line(struct parser *ps, struct span *line, int *terminated)
{
	if (ps->p >= ps->end)
		return 0;
	const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	const char *e = nl ? nl : ps->end;
	*line = (struct span){ ps->p, (size_t)(e - ps->p) };
	*terminated = nl != NULL;
	ps->p = nl ? nl + 1 : ps->end;
	ps->line++;
	return 1;
}

/* Lines of format text are printable; a NUL or other control byte means
 * binary garbage, which would also cut strings short later. */
static int check_line_bytes(struct parser *ps, struct span l)
{
	for (size_t i = 0; i < l.n; i++) {
		unsigned char c = (unsigned char)l.p[i];
		if (c < 0x20 && c != '\t' && c != '\r')
			return perr(ps, "control byte 0x%02x at column %zu", c, i + 1);
	}
	return 0;
}

/* ---- header: name:, ID:, format: ---- */

static int parse_header(struct parser *ps)
{
	struct span l, v;
	int term, have_name = 0, have_id = 0, r;

	while (next_line(ps, &l, &term)) {
		if ((r = check_line_bytes(ps, l)))
			return r;
		struct span t = trim(l);
		if (!t.n)
			continue;
		if (span_eq(t, "format:")) {
			if (!have_name)
				return perr(ps, "no 'name:' line before 'format:'");
			if (!have_id)
				return perr(ps, "no 'ID:' line before 'format:'");
			return 0;
		}
		if (span_prefix(t, "name:", &v)) {
			v = trim(v);
			if (have_name++)
				return perr(ps, "second 'name:' line");
			if (!span_eq(v, ps->name))
				return perr(ps, "name '%.*s' does not match the tracepoint's name '%.100s'", SHOW(v),
					    ps->name);
		} else if (span_prefix(t, "ID:", &v)) {
			v = trim(v);
			if (have_id++)
				return perr(ps, "second 'ID:' line");
			/* common_type is 16 bits, so an id beyond cannot be matched. */
			if (parse_num(v, 65535, &ps->id))
				return perr(ps, "ID '%.*s' is not a number in 0..65535", SHOW(v));
		} else {
			return perr(ps, "expected 'name:', 'ID:' or 'format:', found '%.*s'", SHOW(t));
		}
	}
	return perr(ps, "the text ends before the 'format:' line (truncated?)");
}

/* ---- one field line ---- */

/* Splits "TYPE NAME[dims]" into its parts. */
static int split_decl(struct parser *ps, struct span decl, struct raw_field *rf)
{
	const char *d = decl.p;
	size_t e = decl.n, dims_end = decl.n;

	/* Array dimensions, possibly several ("[2][16]"), from the right. */
	while (e && d[e - 1] == ']') {
		const char *lb = memrchr(d, '[', e - 1);
		if (!lb)
			return perr(ps, "unbalanced ']' in field declaration '%.*s'", SHOW(decl));
		e = (size_t)(lb - d);
	}
	rf->dims = (struct span){ d + e, dims_end - e };
	while (e && is_blank(d[e - 1]))
		e--;
	size_t ns = e;
	while (ns && is_ident(d[ns - 1]))
		ns--;
	rf->name = (struct span){ d + ns, e - ns };
	if (!rf->name.n || is_digit(rf->name.p[0]))
		return perr(ps, "no field name in declaration '%.*s'", SHOW(decl));
	if (rf->name.n > TRACEFS_NAME_MAX)
		return perr(ps, "field name longer than %d bytes", TRACEFS_NAME_MAX);
	rf->type = trim((struct span){ d, ns });
	if (!rf->type.n)
		return perr(ps, "field '%.*s' has no type", SHOW(rf->name));
	/* Kernel types are words, spaces and '*'; dynamic ones end in "[]"
	 * ("__data_loc char[]"). Anything else is a mangled declaration. */
	int loc = span_word(rf->type, "__data_loc") || span_word(rf->type, "__rel_loc");
	for (size_t i = 0; i < rf->type.n; i++) {
		char c = rf->type.p[i];
		if (!is_ident(c) && !is_blank(c) && c != '*' && !(loc && (c == '[' || c == ']')))
			return perr(ps, "field '%.*s': unexpected '%c' in type '%.*s'", SHOW(rf->name), c,
				    SHOW(rf->type));
	}
	if (rf->type.n + rf->dims.n > TRACEFS_NAME_MAX)
		return perr(ps, "type of field '%.*s' longer than %d bytes", SHOW(rf->name), TRACEFS_NAME_MAX);
	return 0;
}

/* Element count of "[a][b]...": *known is 0 when a dimension is empty
 * ("[]") or not a number (old kernels print macro names: [TASK_COMM_LEN]). */
static int parse_dims(struct parser *ps, const struct raw_field *rf, uint64_t *count, int *known)
{
	struct span s = rf->dims;
	*count = 1;
	*known = 1;
	while (s.n) {
		const char *rb = s.p[0] == '[' ? memchr(s.p, ']', s.n) : NULL;
		if (!rb)
			return perr(ps, "field '%.*s': malformed array dimensions '%.*s'", SHOW(rf->name),
				    SHOW(rf->dims));
		struct span in = trim((struct span){ s.p + 1, (size_t)(rb - s.p - 1) });
		uint32_t v;
		if (parse_num(in, TRACEFS_RECORD_MAX, &v))
			*known = 0;
		else if (*count <= TRACEFS_RECORD_MAX)
			*count *= v;
		s.n -= (size_t)(rb + 1 - s.p);
		s.p = rb + 1;
	}
	return 0;
}

static int is_int_width(uint32_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

static uint32_t int_kind(const struct raw_field *rf, uint32_t sgn)
{
	/* Addresses are shown in hex whatever signed: says. */
	if (memchr(rf->type.p, '*', rf->type.n))
		return TREC_F_HEX;
	return sgn ? TREC_F_INT : TREC_F_UINT;
}

static void set_layout(struct raw_field *rf, uint32_t kind, uint32_t elem, uint32_t count)
{
	rf->kind = kind;
	rf->elem_size = elem;
	rf->count = count;
}

/* An array field. Returns 1 when it is a flexible tail (size 0). */
static int classify_array(struct parser *ps, struct raw_field *rf, uint32_t size, uint32_t sgn)
{
	uint64_t n;
	int known, r;

	if ((r = parse_dims(ps, rf, &n, &known)))
		return r;
	if (!size)
		return 1;
	if (span_eq(rf->type, "char") || span_eq(rf->type, "const char")) {
		if (known && n != size)
			return perr(ps, "field '%.*s': size %u does not match its %" PRIu64 " chars", SHOW(rf->name),
				    size, n);
		set_layout(rf, TREC_F_CHARS, 1, size);
		return 0;
	}
	if (!known) {
		set_layout(rf, TREC_F_BYTES, 1, size);
		return 0;
	}
	if (!n || size % n)
		return perr(ps, "field '%.*s': size %u is not a multiple of its %" PRIu64 " elements",
			    SHOW(rf->name), size, n);
	uint32_t elem = size / (uint32_t)n;
	if (is_int_width(elem))
		set_layout(rf, int_kind(rf, sgn), elem, (uint32_t)n);
	else
		set_layout(rf, TREC_F_BYTES, 1, size);
	return 0;
}

/* Sets kind, elem_size and count. Returns 1 for a flexible tail. */
static int classify(struct parser *ps, struct raw_field *rf, uint32_t size, uint32_t sgn)
{
	int data_loc = span_word(rf->type, "__data_loc");
	if (data_loc || span_word(rf->type, "__rel_loc")) {
		if (rf->dims.n)
			return perr(ps, "dynamic field '%.*s' has array dimensions", SHOW(rf->name));
		if (size != 4)
			return perr(ps, "dynamic field '%.*s' has size %u; its location word is 4 bytes",
				    SHOW(rf->name), size);
		set_layout(rf, data_loc ? TREC_F_DATA_LOC : TREC_F_REL_LOC, 4, 1);
		return 0;
	}
	if (rf->dims.n)
		return classify_array(ps, rf, size, sgn);
	if (!size)
		return perr(ps, "field '%.*s' has size 0", SHOW(rf->name));
	if (is_int_width(size))
		set_layout(rf, int_kind(rf, sgn), size, 1);
	else
		set_layout(rf, TREC_F_BYTES, 1, size);
	return 0;
}

static int add_field(struct parser *ps, const struct raw_field *rf)
{
	if (ps->nf == ps->cap) {
		if (ps->nf >= TREC_MAX_FIELDS)
			return perr(ps, "more than %d fields", TREC_MAX_FIELDS);
		size_t nc = ps->cap ? ps->cap * 2 : 16;
		struct raw_field *nf = realloc(ps->f, nc * sizeof(*nf));
		if (!nf)
			return trec_errf(ps->err, -ENOMEM, "out of memory parsing a format");
		ps->f = nf;
		ps->cap = nc;
	}
	ps->f[ps->nf++] = *rf;
	return 0;
}

struct field_attrs {
	uint32_t offset, size, sgn;
	int have_offset, have_size, have_sgn;
};

static int set_attr(struct parser *ps, const struct raw_field *rf, struct span key, struct span val,
		    struct field_attrs *a)
{
	uint32_t *dst, max = TRACEFS_RECORD_MAX;
	int *have;

	if (span_eq(key, "offset")) {
		dst = &a->offset;
		have = &a->have_offset;
	} else if (span_eq(key, "size")) {
		dst = &a->size;
		have = &a->have_size;
	} else if (span_eq(key, "signed")) {
		dst = &a->sgn;
		have = &a->have_sgn;
		max = 1;
	} else {
		return 0; /* a key a newer kernel added: not ours to judge */
	}
	if (*have)
		return perr(ps, "field '%.*s': second '%.*s:'", SHOW(rf->name), SHOW(key));
	if (parse_num(val, max, dst))
		return perr(ps, "field '%.*s': %.*s '%.*s' is not a number in 0..%u", SHOW(rf->name), SHOW(key),
			    SHOW(val), max);
	*have = 1;
	return 0;
}

/* "offset:8;\tsize:16;\tsigned:0;" after the declaration. */
static int parse_attrs(struct parser *ps, const struct raw_field *rf, struct span s, struct field_attrs *a)
{
	for (;;) {
		s = trim(s);
		if (!s.n)
			break;
		const char *semi = memchr(s.p, ';', s.n);
		if (!semi)
			return perr(ps, "field '%.*s': '%.*s' has no ';'", SHOW(rf->name), SHOW(s));
		struct span kv = { s.p, (size_t)(semi - s.p) };
		const char *colon = memchr(kv.p, ':', kv.n);
		if (!colon)
			return perr(ps, "field '%.*s': expected key:value, found '%.*s'", SHOW(rf->name), SHOW(kv));
		struct span key = trim((struct span){ kv.p, (size_t)(colon - kv.p) });
		struct span val = trim((struct span){ colon + 1, (size_t)(semi - colon - 1) });
		int r = set_attr(ps, rf, key, val, a);
		if (r)
			return r;
		s = (struct span){ semi + 1, s.n - (size_t)(semi + 1 - s.p) };
	}
	if (!a->have_offset || !a->have_size)
		return perr(ps, "field '%.*s' lacks %s", SHOW(rf->name), a->have_offset ? "size:" : "offset:");
	return 0;
}

static int parse_field_line(struct parser *ps, struct span s)
{
	struct raw_field rf;
	struct field_attrs a;
	int r;

	memset(&rf, 0, sizeof(rf));
	memset(&a, 0, sizeof(a));
	const char *semi = memchr(s.p, ';', s.n);
	if (!semi)
		return perr(ps, "field declaration '%.*s' has no ';'", SHOW(s));
	struct span decl = trim((struct span){ s.p, (size_t)(semi - s.p) });
	if ((r = split_decl(ps, decl, &rf)))
		return r;
	if ((r = parse_attrs(ps, &rf, (struct span){ semi + 1, s.n - (size_t)(semi + 1 - s.p) }, &a)))
		return r;
	if ((uint64_t)a.offset + a.size > TRACEFS_RECORD_MAX)
		return perr(ps, "field '%.*s' at offset %u, size %u ends past %u bytes", SHOW(rf.name), a.offset,
			    a.size, TRACEFS_RECORD_MAX);
	rf.offset = a.offset;
	r = classify(ps, &rf, a.size, a.sgn);
	if (r < 0)
		return r;
	if (r == 0)
		return add_field(ps, &rf);
	if (ps->have_tail++)
		return perr(ps, "second flexible array '%.*s'", SHOW(rf.name));
	ps->tail = rf;
	return 0;
}

/* ---- field section, up to print fmt: ---- */

static int parse_fields(struct parser *ps)
{
	struct span l, rest;
	int term, r;

	while (next_line(ps, &l, &term)) {
		if ((r = check_line_bytes(ps, l)))
			return r;
		struct span t = trim(l);
		if (!t.n)
			continue;
		if (span_prefix(t, "print fmt:", NULL)) {
			/* The kernel ends the file with this line's newline: without
			 * it the read was cut short. */
			if (!term)
				return perr(ps, "the 'print fmt:' line has no end (truncated?)");
			return 0;
		}
		if (!span_prefix(t, "field:", &rest))
			return perr(ps, "expected 'field:' or 'print fmt:', found '%.*s'", SHOW(t));
		if ((r = parse_field_line(ps, trim(rest))))
			return r;
	}
	return perr(ps, "the text ends before the 'print fmt:' line (truncated?)");
}

/* ---- building the output ---- */

/* Bump allocation in the single block that tp_format owns. */
struct carve {
	char *p, *end;
};

/* a, b and c joined, NUL-terminated. out_size() counts the same bytes. */
static char *carve_join(struct carve *cv, struct span a, struct span b, struct span c)
{
	char *s = cv->p;
	memcpy(s, a.p, a.n);
	memcpy(s + a.n, b.p, b.n);
	memcpy(s + a.n + b.n, c.p, c.n);
	s[a.n + b.n + c.n] = 0;
	cv->p += a.n + b.n + c.n + 1;
	return s;
}

static const struct span none = { "", 0 };
static const struct span colon = { ":", 1 };

static char *carve_str(struct carve *cv, struct span a, struct span b) { return carve_join(cv, a, b, none); }

static struct span cstr(const char *s) { return (struct span){ s, strlen(s) }; }

static size_t out_size(const struct parser *ps, size_t text_len)
{
	size_t gl = strlen(ps->group), nl = strlen(ps->name);
	size_t n = ps->nf * sizeof(struct trec_field);
	n += text_len + 1 + gl + 1 + nl + 1;
	n += gl + 1 + nl + 1;                   /* "group:name" */
	n += strlen("tracepoint:") + gl + 1 + nl + 1; /* "tracepoint:group:name" */
	for (size_t i = 0; i < ps->nf; i++)
		n += ps->f[i].name.n + 1 + ps->f[i].type.n + ps->f[i].dims.n + 1;
	if (ps->have_tail)
		n += ps->tail.name.n + 1;
	return n;
}

static void fill_fields(const struct parser *ps, struct trec_field *fl, struct carve *c, uint32_t *fixed)
{
	*fixed = 0;
	for (size_t i = 0; i < ps->nf; i++) {
		const struct raw_field *rf = &ps->f[i];
		fl[i].name = carve_str(c, rf->name, none);
		fl[i].ctype = carve_str(c, rf->type, rf->dims);
		fl[i].kind = rf->kind;
		fl[i].flags = 0;
		fl[i].offset = rf->offset;
		fl[i].elem_size = rf->elem_size;
		fl[i].count = rf->count;
		uint32_t end = rf->offset + rf->elem_size * rf->count;
		if (end > *fixed)
			*fixed = end;
	}
}

static int build_output(struct parser *ps, const char *text, size_t len, struct tp_format *out)
{
	size_t total = out_size(ps, len);
	char *mem = malloc(total);
	if (!mem)
		return trec_errf(ps->err, -ENOMEM, "out of memory for the format of %.100s:%.100s", ps->group,
				 ps->name);
	struct trec_field *fl = (struct trec_field *)(void *)mem;
	struct carve c = { mem + ps->nf * sizeof(*fl), mem + total };
	struct span g = cstr(ps->group), n = cstr(ps->name);

	out->mem = mem;
	out->id = ps->id;
	out->text = carve_str(&c, (struct span){ text, len }, none);
	out->text_len = len;
	out->group = carve_str(&c, g, none);
	out->name = carve_str(&c, n, none);
	char *full = carve_join(&c, g, colon, n);
	char *probe = carve_join(&c, cstr("tracepoint:"), g, colon);
	c.p--; /* the name continues "tracepoint:group:" */
	carve_str(&c, n, none);

	uint32_t fixed;
	fill_fields(ps, fl, &c, &fixed);
	out->schema = (struct trec_schema){
		.id = 0, .name = full, .probe = probe, .fixed_size = fixed,
		.nfields = (uint32_t)ps->nf, .fields = fl,
	};
	if (ps->have_tail) {
		out->tail_name = carve_str(&c, ps->tail.name, none);
		out->tail_offset = ps->tail.offset;
	}
	return 0;
}

/* The whole format must describe a schema the file format accepts. */
static int check_output(struct parser *ps, struct tp_format *out)
{
	struct trec_err verr = { 0 };

	if (!ps->nf)
		return perr(ps, "no fields");
	if (ps->have_tail && ps->tail.offset < out->schema.fixed_size)
		return perr(ps, "flexible array '%.*s' at offset %u is inside the fixed part (%u bytes)",
			    SHOW(ps->tail.name), ps->tail.offset, out->schema.fixed_size);
	out->schema.id = 1; /* validate wants a real id; the caller assigns one */
	int r = trec_schema_validate(&out->schema, &verr);
	out->schema.id = 0;
	if (r)
		return trec_errf(ps->err, r, "format of %.100s:%.100s: %s", ps->group, ps->name, verr.msg);
	return 0;
}

int tracefs_format_parse(const char *text, size_t len, const char *group, const char *name,
			 struct tp_format *out, struct trec_err *err)
{
	if (!out)
		return trec_errf(err, -EINVAL, "tracefs_format_parse: no output");
	memset(out, 0, sizeof(*out));
	if (!text || !group || !name)
		return trec_errf(err, -EINVAL, "tracefs_format_parse: NULL argument");
	if (strnlen(group, TRACEFS_NAME_MAX + 1) > TRACEFS_NAME_MAX ||
	    strnlen(name, TRACEFS_NAME_MAX + 1) > TRACEFS_NAME_MAX)
		return trec_errf(err, -EINVAL, "tracefs_format_parse: group or name longer than %d bytes",
				 TRACEFS_NAME_MAX);
	if (len > TRACEFS_FORMAT_MAX)
		return trec_errf(err, -EFBIG, "format of %.100s:%.100s: %zu bytes, more than the %d accepted", group,
				 name, len, TRACEFS_FORMAT_MAX);

	struct parser ps = { .p = text, .end = text + len, .group = group, .name = name, .err = err };
	int r = parse_header(&ps);
	if (!r)
		r = parse_fields(&ps);
	if (!r)
		r = build_output(&ps, text, len, out);
	if (!r)
		r = check_output(&ps, out);
	if (!r)
		find_str_args(out);
	free(ps.f);
	if (r)
		tp_format_free(out);
	return r;
}

void tp_format_free(struct tp_format *f)
{
	if (!f)
		return;
	free(f->mem);
	memset(f, 0, sizeof(*f));
}

