/* SPDX-License-Identifier: MIT */
/*
 * What a tracepoint's `print fmt:` says about how its fields are shown.
 * tracefs describes every tracepoint with a format file whose last line is
 * the printk-style format the kernel (and perf script, through
 * libtraceevent) renders the event with:
 *
 *	print fmt: "dfd: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->flags))
 *
 * The recorder keeps that text in the trace (metadata key
 * tracefs.format.GROUP:NAME). trec script prints name=value pairs rather
 * than the rendered line, but shows a field in hex where the format does:
 * a field is hex when a conversion %x / %X (any flags, width or length) or
 * a pointer conversion %p (plain, or %ps %pS %pB %pK %px %pf %pF: the ones
 * that print an address or the symbol at it) takes an argument that is
 * the field itself, REC->NAME, perhaps cast or parenthesized. A field that
 * goes through a helper (__print_flags, __print_symbolic, arithmetic) or
 * another conversion keeps its own display.
 *
 * The text comes from the trace file: untrusted. The parser is bounded
 * (the line, 256 conversions, 256 arguments) and never reads past len.
 */
#ifndef TREC_REPORT_PRINT_FMT_H
#define TREC_REPORT_PRINT_FMT_H

#include <stddef.h>

#include "errors.h"

/* Called for each field the format shows in hex, once per conversion
 * (a field printed twice is named twice); name is not NUL-terminated. */
typedef void (*print_fmt_hex_fn)(void *ctx, const char *name, size_t len);

/*
 * Finds the "print fmt:" line of a format file's text (text, len bytes,
 * no NUL needed) and reports its hex fields. 0 (also when there is no
 * such line: nothing is known), or -EINVAL with err saying what is wrong
 * with the line (an unterminated string, unbalanced parentheses).
 */
int print_fmt_hex_fields(const char *text, size_t len, print_fmt_hex_fn fn, void *ctx, struct trec_err *err);

#endif
