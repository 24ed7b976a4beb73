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
