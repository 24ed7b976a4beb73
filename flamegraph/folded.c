/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "fg_lines.h"
#include "flamegraph.h"
#include "folded.h"
#include "parse.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The count ending at s[end): digits preceded by a blank. Sets *start to
 * the first digit. 0, -EINVAL, -ERANGE. */
static int trailing_count(const char *s, size_t end, size_t *start, uint64_t *out)
{
	size_t j = end;
	while (j > 0 && digit(s[j - 1]))
		j--;
	if (j == end || j == 0 || !blank(s[j - 1]))
		return -EINVAL;
	int rc = parse_u64_span(s + j, end - j, out);
	if (rc)
		return rc == -EOVERFLOW ? -ERANGE : rc;
	*start = j;
	return 0;
}

int folded_parse(const char *line, size_t len, struct folded_line *out)
{
	while (len && blank(line[len - 1]))
		len--;
	if (!len)
		return -ENODATA;
	size_t start;
	int rc = trailing_count(line, len, &start, &out->count);
	if (rc)
		return rc;
	size_t end = start;
	while (end && blank(line[end - 1]))
		end--;
	out->diff = 0;
	out->before = 0;
	/* A second number before the first makes it "BEFORE AFTER". */
	size_t start2;
	if (trailing_count(line, end, &start2, &out->before) == 0) {
		out->diff = 1;
		end = start2;
		while (end && blank(line[end - 1]))
			end--;
	} else {
		out->before = 0;
	}
	out->stack = line;
	out->len = end;
	return 0;
}

static int is_hex(char c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

const char *folded_strip_hex(struct tbuf *b, const char *s, size_t *len)
{
	size_t n = *len;
	tbuf_reset(b);
	for (size_t i = 0; i < n;) {
		if (s[i] == '0' && i + 2 < n && s[i + 1] == 'x' && is_hex(s[i + 2])) {
			tbuf_put(b, "0x...", 5);
			i += 2;
			while (i < n && is_hex(s[i]))
				i++;
		} else {
			tbuf_put_u8(b, (uint8_t)s[i++]);
		}
	}
	*len = b->len;
	return b->oom ? NULL : (const char *)b->data;
}

int folded_add(struct flame *f, enum folded_mode mode, const char *stack, size_t len,
	       uint64_t count, struct trec_err *err)
{
	switch (mode) {
	case FOLDED_AS_BEFORE:
		return flame_add_diff(f, stack, len, count, 0, err);
	case FOLDED_AS_AFTER:
		return flame_add_diff(f, stack, len, 0, count, err);
	default:
		return flame_add(f, stack, len, count, err);
	}
}

int folded_read_fd(struct flame *f, int fd, const char *name, enum folded_mode mode, int strip,
		   struct folded_stats *st, struct trec_err *err)
{
	struct fg_lines r;
	struct tbuf scratch;
	const char *line;
	size_t len;
	int rc, reported = 0;

	memset(st, 0, sizeof(*st));
	tbuf_init(&scratch);
	if (fg_lines_init(&r, fd, 0))
		return trec_errf(err, -ENOMEM, "%s: out of memory", name);
	while ((rc = fg_lines_next(&r, &line, &len)) == 1) {
		struct folded_line fl;
		st->lines++;
		int prc = folded_parse(line, len, &fl);
		if (prc == -ENODATA)
			continue;
		/* Differential inputs are plain folded files: a second count
		 * there is not a stack of this input. */
		if (prc || (fl.diff && mode != FOLDED_AS_IS)) {
			if (!st->ignored++)
				st->first_ignored = r.lineno;
			continue;
		}
		const char *stack = fl.stack;
		size_t slen = fl.len;
		if (strip && !(stack = folded_strip_hex(&scratch, stack, &slen))) {
			rc = trec_errf(err, -ENOMEM, "%s: out of memory", name);
			reported = 1;
			break;
		}
		struct trec_err e = { 0 };
		if (fl.diff) {
			st->diff_lines++;
			rc = flame_add_diff(f, stack, slen, fl.before, fl.count, &e);
		} else {
			rc = folded_add(f, mode, stack, slen, fl.count, &e);
		}
		if (rc) {
			rc = trec_errf(err, rc, "%s:%llu: %s", name, (unsigned long long)r.lineno,
				       trec_errmsg(&e, rc));
			reported = 1;
			break;
		}
		st->stacks++;
	}
	if (rc < 0 && !reported)
		fg_lines_errf(&r, rc, name, err);
	fg_lines_free(&r);
	tbuf_free(&scratch);
	return rc < 0 ? rc : 0;
}
