/* SPDX-License-Identifier: MIT */
/*
 * The one parser for numbers typed by people: counts ("5000"), seconds
 * with up to nine decimals ("1.5", ".25") as exact nanoseconds, sizes
 * ("64M", "1.5G", "4096") and durations ("10s", "250ms", "2m", "1.5" =
 * seconds). Integer arithmetic only: "0.1" second is exactly 100000000 ns,
 * which a double cannot promise. Decimals past the ninth are truncated
 * (below a nanosecond; of a size, below a byte at most).
 *
 * Strict: no sign, no blanks, no "0x", no exponent; strtoull would take
 * "-1" as 2^64-1 and " 5" as 5, which no option should.
 *
 * Errors, negative errno values a caller turns into its own message:
 *   -ENODATA    empty string
 *   -EINVAL     not a number of that kind (or an unknown suffix)
 *   -EOVERFLOW  a count past 2^64-1
 *   -ERANGE     outside the range asked for, or too large for 64 bits
 *               after a unit (*out then holds the value, where it fits,
 *               for the message)
 */
#ifndef TREC_LIB_PARSE_H
#define TREC_LIB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_NS_PER_SEC 1000000000ull

/* Decimal digits s[0..len) (len > 0) as a count: -EINVAL, -EOVERFLOW. */
int parse_u64_span(const char *s, size_t len, uint64_t *out);

/* A whole string of decimal digits in [min, max]: -ENODATA, -EINVAL
 * (checked digit by digit, so "12x99999999999999999999" is -EINVAL and
 * "99999999999999999999x" -EOVERFLOW), -EOVERFLOW, -ERANGE (*out set). */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Seconds ("1", "1.5", ".5", "2.") as nanoseconds at most max_ns:
 * -EINVAL, or -ERANGE as soon as the whole seconds pass max_ns (checked
 * digit by digit, before the rest of the string). */
int parse_seconds_ns(const char *s, uint64_t max_ns, uint64_t *ns);

/* Bytes: a decimal number and an optional suffix K, M, G, T (powers of
 * 1024, any case) with an optional "B" or, after a multiplier, "iB"
 * ("100MB", "2GiB", "4096b"). -EINVAL, -ERANGE (past 2^64-1). */
int parse_size_bytes(const char *s, uint64_t *bytes);

/* Nanoseconds: a decimal number and a unit ns, us, ms, s, m, min, h, or
 * none for seconds. -EINVAL, -ERANGE (past 2^64-1). */
int parse_duration_ns(const char *s, uint64_t *ns);

#endif
