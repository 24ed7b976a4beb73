/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "units.h"

/* Parses "123" or "1.25" into value * 10^9 (fixed point, 9 decimals) so a
 * unit multiplier applies without floating point. */
static int parse_fixed(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t ip = 0, fp = 0;
	int digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		s++;
		uint64_t scale = 100000000;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			fp += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (!digits)
		return -EINVAL;
	if (ip > UINT64_MAX / 1000000000ull)
		return -ERANGE;
	*out = ip * 1000000000ull + fp;
	*sp = s;
	return 0;
}

/* fixed (value * 1e9) * mult / 1e9, checking overflow. */
static int scale(uint64_t fixed, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)fixed * mult / 1000000000ull;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	uint64_t f;
	int r = parse_fixed(&s, &f);
	if (r)
		return r;
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
	return scale(f, mult, bytes);
}

int parse_duration(const char *s, uint64_t *ns)
{
	uint64_t f;
	int r = parse_fixed(&s, &f);
	if (r)
		return r;
	static const struct { const char *suffix; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "", 1000000000ull }, { "m", 60000000000ull }, { "min", 60000000000ull },
		{ "h", 3600000000000ull },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s, units[i].suffix))
			return scale(f, units[i].ns, ns);
	return -EINVAL;
}
