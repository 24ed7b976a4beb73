/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "print_fmt.h"

#define MAX_CONV 256
#define MAX_ARGS 256
#define MAX_STRIP 16 /* casts and parentheses peeled off one argument */

struct span {
	const char *p;
	size_t n;
};

/* One conversion of the format string: which argument it prints, and
 * whether it prints it in hex. */
struct conv {
	unsigned arg;
	int hex;
};

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static struct span trim(struct span s)
{
	while (s.n && is_space(s.p[0]))
		s.p++, s.n--;
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* The rest of the line that starts with "print fmt:", or n = 0. */
static struct span find_line(const char *text, size_t len)
{
	static const char key[] = "print fmt:";
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t i = at;
		while (i < end && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (end - i >= sizeof(key) - 1 && !memcmp(text + i, key, sizeof(key) - 1))
			return (struct span){ text + i + sizeof(key) - 1, end - i - (sizeof(key) - 1) };
		at = end + 1;
	}
	return (struct span){ NULL, 0 };
}

/* Whether a %p conversion followed by ext prints an address (or the
 * symbol at it), as opposed to the data it points to (%pI4, %pM, %pU...). */
static int pointer_is_address(char ext)
{
	return !ext || strchr("sSBKxfF", ext) != NULL;
}

/*
 * The format string starting at s.p[0] == '"': its conversions into cv
 * (at most MAX_CONV; the rest are not needed), the arguments they take
 * counted in *nargs. Returns the offset just past the closing quote, or 0
 * when the string does not end on the line.
 */
static size_t parse_string(struct span s, struct conv *cv, unsigned *nconv, unsigned *nargs)
{
	size_t i = 1;
	while (i < s.n) {
		char c = s.p[i];
		if (c == '\\') {
			i += 2;
			continue;
		}
		if (c == '"')
			return i + 1;
		if (c != '%') {
			i++;
			continue;
		}
		size_t j = i + 1;
		if (j < s.n && s.p[j] == '%') {
			i = j + 1;
			continue;
		}
		while (j < s.n && s.p[j] && strchr("-+ #0", s.p[j]))
			j++;
		if (j < s.n && s.p[j] == '*')
			(*nargs)++, j++;
		while (j < s.n && is_digit(s.p[j]))
			j++;
		if (j < s.n && s.p[j] == '.') {
			j++;
			if (j < s.n && s.p[j] == '*')
				(*nargs)++, j++;
			while (j < s.n && is_digit(s.p[j]))
				j++;
		}
		while (j < s.n && s.p[j] && strchr("hlLqjzt", s.p[j]))
			j++;
		if (j >= s.n || s.p[j] == '"' || s.p[j] == '\\') {
			i = j; /* a conversion cut short: nothing printed, nothing taken */
			continue;
		}
		char conv = s.p[j++];
		int hex = conv == 'x' || conv == 'X';
		if (conv == 'p')
			hex = pointer_is_address(j < s.n && (is_alpha(s.p[j]) || is_digit(s.p[j])) ? s.p[j] : 0);
		if (*nconv < MAX_CONV)
			cv[(*nconv)++] = (struct conv){ .arg = *nargs, .hex = hex };
		(*nargs)++;
		i = j;
	}
	return 0;
}

/* A quoted literal ("..." or '...') from s.p[i]: the offset past it, or
 * 0 when it does not end. */
static size_t skip_literal(struct span s, size_t i)
{
	char q = s.p[i];
	for (i++; i < s.n; i++) {
		if (s.p[i] == '\\')
			i++;
		else if (s.p[i] == q)
			return i + 1;
	}
	return 0;
}

/* The arguments after the format string: ", a, b(c, d), e" split at the
 * commas outside brackets and literals. 0, or -EINVAL with err. */
static int split_args(struct span s, struct span *args, unsigned *nargs, struct trec_err *err)
{
	size_t i = 0;
	*nargs = 0;
	while (i < s.n && is_space(s.p[i]))
		i++;
	if (i == s.n)
		return 0;
	if (s.p[i] != ',')
		return trec_errf(err, -EINVAL, "print fmt: expected ',' after the format string, found '%c'", s.p[i]);
	while (i < s.n && s.p[i] == ',') {
		size_t start = ++i;
		int depth = 0;
		while (i < s.n && (depth || s.p[i] != ',')) {
			char c = s.p[i];
			if (c == '"' || c == '\'') {
				if (!(i = skip_literal(s, i)))
					return trec_errf(err, -EINVAL, "print fmt: a literal in argument %u does not end",
							 *nargs + 1);
				continue;
			}
			if (c == '(' || c == '[' || c == '{')
				depth++;
			else if ((c == ')' || c == ']' || c == '}') && --depth < 0)
				return trec_errf(err, -EINVAL, "print fmt: argument %u closes a bracket it did not open",
						 *nargs + 1);
			i++;
		}
		if (depth)
			return trec_errf(err, -EINVAL, "print fmt: argument %u leaves a bracket open", *nargs + 1);
		if (*nargs < MAX_ARGS)
			args[(*nargs)++] = (struct span){ s.p + start, i - start };
	}
	return 0;
}

/* The offset of the ')' matching s.p[0] == '(', or 0 when none does. */
static size_t matching_paren(struct span s)
{
	int depth = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] == '(')
			depth++;
		else if (s.p[i] == ')' && --depth == 0)
			return i;
	}
	return 0;
}

/* Whether "(inner)" reads as a cast: a type name, words and '*' only. */
static int is_cast(struct span inner)
{
	int letter = 0;
	for (size_t i = 0; i < inner.n; i++) {
		char c = inner.p[i];
		if (!is_alpha(c) && !is_digit(c) && !is_space(c) && c != '*')
			return 0;
		letter |= is_alpha(c);
	}
	return letter;
}

/* The field an argument names, REC->NAME under any casts and parentheses;
 * n = 0 when it is anything else. */
static struct span field_of(struct span a)
{
	for (int k = 0; k < MAX_STRIP; k++) {
		a = trim(a);
		if (!a.n || a.p[0] != '(')
			break;
		size_t m = matching_paren(a);
		if (!m)
			break;
		if (m == a.n - 1) {
			a = (struct span){ a.p + 1, a.n - 2 };
			continue;
		}
		if (!is_cast((struct span){ a.p + 1, m - 1 }))
			break;
		a = (struct span){ a.p + m + 1, a.n - m - 1 };
	}
	a = trim(a);
	static const char rec[] = "REC->";
	if (a.n <= sizeof(rec) - 1 || memcmp(a.p, rec, sizeof(rec) - 1) || !is_alpha(a.p[sizeof(rec) - 1]))
		return (struct span){ NULL, 0 };
	for (size_t i = sizeof(rec) - 1; i < a.n; i++)
		if (!is_alpha(a.p[i]) && !is_digit(a.p[i]))
			return (struct span){ NULL, 0 };
	return (struct span){ a.p + sizeof(rec) - 1, a.n - (sizeof(rec) - 1) };
}

int print_fmt_hex_fields(const char *text, size_t len, print_fmt_hex_fn fn, void *ctx, struct trec_err *err)
{
	struct span line = trim(find_line(text, len));
	if (!line.n)
		return 0;
	if (line.p[0] != '"')
		return trec_errf(err, -EINVAL, "print fmt: does not start with a quoted format string");
	struct conv cv[MAX_CONV]; /* 2 KiB */
	struct span args[MAX_ARGS]; /* 4 KiB */
	unsigned nconv = 0, taken = 0, nargs = 0;
	size_t end = parse_string(line, cv, &nconv, &taken);
	if (!end)
		return trec_errf(err, -EINVAL, "print fmt: the format string does not end on its line");
	int rc = split_args((struct span){ line.p + end, line.n - end }, args, &nargs, err);
	if (rc)
		return rc;
	for (unsigned i = 0; i < nconv; i++) {
		if (!cv[i].hex || cv[i].arg >= nargs)
			continue;
		struct span f = field_of(args[cv[i].arg]);
		if (f.n)
			fn(ctx, f.p, f.n);
	}
	return 0;
}
