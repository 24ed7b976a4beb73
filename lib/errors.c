/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

int trec_errf(struct trec_err *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return code;
}

const char *trec_errmsg(const struct trec_err *e, int code)
{
	if (e && e->code && e->msg[0])
		return e->msg;
	return strerror(code < 0 ? -code : code);
}

static int default_print(enum trec_print_level level, const char *fmt, va_list ap)
{
	if (level == TREC_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Set once by the front end before any engine runs; read by any thread. */
static trec_print_fn_t print_fn = default_print;

trec_print_fn_t trec_set_print(trec_print_fn_t fn)
{
	trec_print_fn_t old = print_fn;
	print_fn = fn;
	return old;
}

void trec_vprint(enum trec_print_level level, const char *fmt, va_list ap)
{
	trec_print_fn_t fn = print_fn;
	if (fn)
		fn(level, fmt, ap);
}

void trec_print(enum trec_print_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	trec_vprint(level, fmt, ap);
	va_end(ap);
}
