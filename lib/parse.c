/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int parse_u64_span(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EOVERFLOW;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!*s)
		return -ENODATA;
	int rc = parse_u64_span(s, strlen(s), out);
	if (rc)
		return rc;
	return *out < min || *out > max ? -ERANGE : 0;
}

/*
 * A decimal number at *sp: digits, an optional '.', digits, at least one
 * digit in all. The whole part must stay at most max_int: -ERANGE as soon
 * as a digit takes it past (before the rest is looked at). The first nine
 * decimals become *frac in nanoseconds. Advances *sp past the number.
 */
static int scan_decimal(const char **sp, uint64_t max_int, uint64_t *whole, uint64_t *frac)
{
	const char *s = *sp;
	uint64_t ip = 0, fp = 0, scale = PARSE_NS_PER_SEC / 10;
	int digits = 0;

	for (; is_digit(*s); s++, digits++) {
		unsigned d = (unsigned)(*s - '0');
		if (ip > max_int / 10 || d > max_int - ip * 10)
			return -ERANGE;
		ip = ip * 10 + d;
	}
	if (*s == '.') {
		for (s++; is_digit(*s); s++, digits++) {
			fp += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	*whole = ip;
	*frac = fp;
	*sp = s;
	return 0;
}

int parse_seconds_ns(const char *s, uint64_t max_ns, uint64_t *ns)
{
	uint64_t whole, frac;
	int rc = scan_decimal(&s, max_ns / PARSE_NS_PER_SEC, &whole, &frac);
	if (rc)
		return rc;
	if (*s)
		return -EINVAL;
	unsigned __int128 v = (unsigned __int128)whole * PARSE_NS_PER_SEC + frac;
	if (v > max_ns)
		return -ERANGE;
	*ns = (uint64_t)v;
	return 0;
}

/* (whole + frac / 1e9) * mult, exactly, truncated to an integer. A
 * number whose whole part alone cannot fit 64 bits after the smallest
 * unit is refused by scan_decimal first. */
static int scaled(uint64_t whole, uint64_t frac, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)whole * mult +
			      (unsigned __int128)frac * mult / PARSE_NS_PER_SEC;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

/* The whole part of a size or duration: at most 2^64 / 1e9, so that the
 * number times 1e9 (its fixed-point form) fits 64 bits. */
#define MAX_WHOLE (UINT64_MAX / PARSE_NS_PER_SEC)

int parse_size_bytes(const char *s, uint64_t *bytes)
{
	uint64_t whole, frac;
	int rc = scan_decimal(&s, MAX_WHOLE, &whole, &frac);
	if (rc)
		return rc;
	uint64_t mult = 1;
	switch (*s) {
	case 'k': case 'K': mult = 1ull << 10; s++; break;
	case 'm': case 'M': mult = 1ull << 20; s++; break;
	case 'g': case 'G': mult = 1ull << 30; s++; break;
	case 't': case 'T': mult = 1ull << 40; s++; break;
	default: break;
	}
	if (!strcasecmp(s, "ib") && mult > 1)
		s += 2;
	else if (!strcasecmp(s, "b"))
		s++;
	if (*s)
		return -EINVAL;
	return scaled(whole, frac, mult, bytes);
}

int parse_duration_ns(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", PARSE_NS_PER_SEC },
		{ "", PARSE_NS_PER_SEC },
		{ "m", 60 * PARSE_NS_PER_SEC },
		{ "min", 60 * PARSE_NS_PER_SEC },
		{ "h", 3600 * PARSE_NS_PER_SEC },
	};
	uint64_t whole, frac;
	int rc = scan_decimal(&s, MAX_WHOLE, &whole, &frac);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s, units[i].suffix))
			return scaled(whole, frac, units[i].ns, ns);
	return -EINVAL;
}
