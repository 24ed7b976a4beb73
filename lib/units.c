/* SPDX-License-Identifier: MIT */
/* The recorder's names for lib/parse's sizes and durations. */
#include "parse.h"
#include "units.h"

int parse_size(const char *s, uint64_t *bytes)
{
	return parse_size_bytes(s, bytes);
}

int parse_duration(const char *s, uint64_t *ns)
{
	return parse_duration_ns(s, ns);
}
