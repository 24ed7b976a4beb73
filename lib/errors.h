/* SPDX-License-Identifier: MIT */
/*
 * One error convention for format/ (and the commands on top of it):
 * functions return 0 or a negative errno; when the caller passes a
 * struct trec_err, it also gets a sentence naming what failed and where
 * ("block 12 (events) at offset 40960: checksum mismatch").
 */
#ifndef TREC_ERRORS_H
#define TREC_ERRORS_H

struct trec_err {
	int code;        /* negative errno, 0 when no error was recorded */
	char msg[512];
};

/* Records the error in e (if non-NULL) and returns code (a negative errno). */
int trec_errf(struct trec_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* e->msg if an error was recorded, else strerror(-code). */
const char *trec_errmsg(const struct trec_err *e, int code);

#endif
