/* SPDX-License-Identifier: MIT */
/*
 * One error convention for format/ (and the commands on top of it):
 * functions return 0 or a negative errno; when the caller passes a
 * struct trec_err, it also gets a sentence naming what failed and where
 * ("block 12 (events) at offset 40960: checksum mismatch").
 */
#ifndef TREC_ERRORS_H
#define TREC_ERRORS_H

#include <stdarg.h>

struct trec_err {
	int code;        /* negative errno, 0 when no error was recorded */
	char msg[512];
};

/* Records the error in e (if non-NULL) and returns code (a negative errno). */
int trec_errf(struct trec_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* e->msg if an error was recorded, else strerror(-code). */
const char *trec_errmsg(const struct trec_err *e, int code);

/*
 * The program's one log sink, replaceable as libbpf_set_print: engines
 * that have something to say that is not an error (a fallback taken, a
 * library's own diagnostics) call trec_print(); the front end decides
 * what is shown and how. The default prints warnings and info to stderr
 * and drops debug messages.
 */
enum trec_print_level {
	TREC_WARN,
	TREC_INFO,
	TREC_DEBUG,
};
typedef int (*trec_print_fn_t)(enum trec_print_level level, const char *fmt, va_list ap);

/* Installs fn (NULL: print nothing) and returns the previous one. */
trec_print_fn_t trec_set_print(trec_print_fn_t fn);
void trec_print(enum trec_print_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trec_vprint(enum trec_print_level level, const char *fmt, va_list ap);

#endif
