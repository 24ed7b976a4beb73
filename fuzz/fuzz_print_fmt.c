/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the print fmt reader (report/print_fmt.c) on
 * arbitrary bytes, as trec script meets it in a trace's
 * tracefs.format.* metadata: the whole format file, its "print fmt:"
 * line anywhere in it.
 *
 * Beyond "no crash, no leak, no hang": every field named is a non-empty
 * C identifier inside the input (the parser returns pieces of it, never
 * text of its own); an error is -EINVAL with a message.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "print_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
	const char *p;
	size_t n;
};

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void check_name(void *ctx, const char *name, size_t len)
{
	const struct bounds *b = ctx;
	if (!len || name < b->p || name + len > b->p + b->n)
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		if (!ident_char(name[i]))
			__builtin_trap();
	if (name[0] >= '0' && name[0] <= '9')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounds b = { (const char *)data, size };
	struct trec_err err = { 0 };
	int rc = print_fmt_hex_fields((const char *)data, size, check_name, &b, &err);
	if (rc && (rc != -EINVAL || !err.msg[0]))
		__builtin_trap();
	return 0;
}
