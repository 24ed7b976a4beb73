/* SPDX-License-Identifier: MIT */
/* Sizes ("64M", "1.5G", "4096") and durations ("10s", "250ms", "2m",
 * "1.5" = seconds) from the command line, exactly and with overflow checks:
 * the recorder's names for parse_size_bytes and parse_duration_ns
 * (lib/parse.h, which has the rules). */
#ifndef TREC_UNITS_H
#define TREC_UNITS_H

#include <stdint.h>

/* Bytes; suffixes K, M, G, T (powers of 1024, optional "B"/"iB"). 0 or -EINVAL/-ERANGE. */
int parse_size(const char *s, uint64_t *bytes);
/* Nanoseconds; suffixes ns, us, ms, s (default), m, h. 0 or -EINVAL/-ERANGE. */
int parse_duration(const char *s, uint64_t *ns);

#endif
