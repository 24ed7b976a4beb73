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

/* A count: digits, optionally '.' and more digits ("12", "0.5", "3."). */
struct count {
	uint64_t units;    /* in 10^-decimals */
	unsigned decimals;
};

/* Whole digits w[0..wn) and fraction digits f[0..fn) as units of
 * 10^-decimals: the fraction's trailing zeros dropped, digits past
 * FLAME_MAX_DECIMALS rounded half up. 0 or -ERANGE. */
static __attribute__((noinline)) int count_value(const char *w, size_t wn, const char *f, size_t fn,
						  struct count *out)
{
	while (fn && f[fn - 1] == '0')
		fn--;
	int round_up = 0;
	if (fn > FLAME_MAX_DECIMALS) {
		round_up = f[FLAME_MAX_DECIMALS] >= '5';
		fn = FLAME_MAX_DECIMALS;
	}
	uint64_t v;
	int rc = parse_u64_span(w, wn, &v);
	if (rc)
		return rc == -EOVERFLOW ? -ERANGE : rc;
	for (size_t i = 0; i < fn; i++) {
		unsigned d = (unsigned)(f[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (round_up && v++ == UINT64_MAX)
		return -ERANGE;
	out->units = v;
	out->decimals = (unsigned)fn;
	return 0;
}

/* The count ending at s[end): digits, maybe with a fraction, preceded by
 * a blank. Sets *start to its first byte. 0, -EINVAL, -ERANGE. */
static int trailing_count(const char *s, size_t end, size_t *start, struct count *out)
{
	size_t j = end;
	while (j > 0 && digit(s[j - 1]))
		j--;
	if (j > 0 && j < end && end - j < 20 && blank(s[j - 1])) {
		/* Whole, at most 19 digits (no overflow): the usual count. */
		uint64_t v = 0;
		for (size_t i = j; i < end; i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		*out = (struct count){ .units = v, .decimals = 0 };
		*start = j;
		return 0;
	}
	size_t frac = end, frac_len = 0;
	if (j > 0 && s[j - 1] == '.') {
		frac = j;
		frac_len = end - j;
		j--;
		end = j;
		while (j > 0 && digit(s[j - 1]))
			j--;
	}
	if (j == end || j == 0 || !blank(s[j - 1]))
		return -EINVAL;
	int rc = count_value(s + j, end - j, s + frac, frac_len, out);
	if (rc)
		return rc;
	*start = j;
	return 0;
}

/* a and b in the finer unit of the two. */
static int same_unit(struct count *a, struct count *b)
{
	struct count *c = a->decimals < b->decimals ? a : b;
	unsigned d = a->decimals > b->decimals ? a->decimals : b->decimals;
	for (; c->decimals < d; c->decimals++) {
		if (c->units > UINT64_MAX / 10)
			return -ERANGE;
		c->units *= 10;
	}
	return 0;
}

int folded_parse(const char *line, size_t len, struct folded_line *out)
{
	while (len && blank(line[len - 1]))
		len--;
	if (!len)
		return -ENODATA;
	size_t start;
	struct count after, before;
	int rc = trailing_count(line, len, &start, &after);
	if (rc)
		return rc;
	size_t end = start;
	while (end && blank(line[end - 1]))
		end--;
	out->diff = 0;
	/* A second number before the first makes it "BEFORE AFTER". */
	size_t start2;
	if (trailing_count(line, end, &start2, &before) == 0) {
		rc = same_unit(&before, &after);
		if (rc)
			return rc;
		out->diff = 1;
		end = start2;
		while (end && blank(line[end - 1]))
			end--;
	} else {
		before.units = 0;
	}
	out->count = after.units;
	out->before = before.units;
	out->decimals = after.decimals;
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
	       uint64_t count, unsigned decimals, struct trec_err *err)
{
	switch (mode) {
	case FOLDED_AS_BEFORE:
		return flame_add_diff_dec(f, stack, len, count, 0, decimals, err);
	case FOLDED_AS_AFTER:
		return flame_add_diff_dec(f, stack, len, 0, count, decimals, err);
	default:
		return flame_add_dec(f, stack, len, count, decimals, err);
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
			rc = flame_add_diff_dec(f, stack, slen, fl.before, fl.count, fl.decimals, &e);
		} else {
			rc = folded_add(f, mode, stack, slen, fl.count, fl.decimals, &e);
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
