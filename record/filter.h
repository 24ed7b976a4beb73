/* SPDX-License-Identifier: MIT */
/*
 * --filter expressions: a subset of perf/ftrace event filters, compiled
 * against an event's schema into the postfix program of
 * bpf/filter_prog.h that BPF programs evaluate per record.
 *
 *	expr := or
 *	or   := and { "||" and }
 *	and  := not { "&&" not }
 *	not  := "!" not | "(" or ")" | cmp
 *	cmp  := FIELD ["[" INDEX "]"] OP VALUE
 *	OP   := "==" | "!=" | "<" | "<=" | ">" | ">=" | "&"
 *
 * Integer fields take decimal, 0x-hex or negative values and every OP;
 * string fields (char arrays, __data_loc/__rel_loc strings) take == and !=
 * against a "quoted" or bare string of at most 16 bytes, with a trailing
 * '*' for a prefix match. docs/FILTERS.md has the details and examples.
 */
#ifndef TREC_RECORD_FILTER_H
#define TREC_RECORD_FILTER_H

#include "errors.h"
#include "filter_prog.h"
#include "schema.h"

/* Longest expression accepted. */
#define TREC_FILTER_EXPR_MAX 4096
/* Deepest nesting of parentheses and '!'. */
#define TREC_FILTER_NEST_MAX 64

/*
 * Compiles expr for events of schema s into *out. 0, or -EINVAL with a
 * message quoting the expression and naming the column ("--filter
 * 'prev_pid > ': expected a value at column 12"); -E2BIG when the program
 * would need more than TREC_FILTER_MAX_INSNS instructions.
 */
int trec_filter_compile(const char *expr, const struct trec_schema *s, struct trec_filter_prog *out,
			struct trec_err *err);

#endif
