/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer over an outbuf. It keeps only the comma
 * state of each open container, so memory is constant however much is
 * written; the caller is trusted to nest begin/end calls properly (no
 * validation beyond a depth limit).
 *
 * Strings are escaped completely: quote, backslash and control characters,
 * and every byte that is not part of a valid UTF-8 sequence becomes
 * \u00XX, so the output is always valid JSON and valid UTF-8 whatever the
 * trace holds (comm names and paths are arbitrary bytes).
 */
#ifndef TREC_JSON_H
#define TREC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct outbuf *o;
	int pretty;      /* indent by two spaces, one member per line */
	int depth;
	int after_key;   /* the next value completes a "key": pair */
	unsigned char nonempty[JSON_MAX_DEPTH + 1]; /* container at depth d has members */
};

void json_init(struct json *j, struct outbuf *o, int pretty);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
/* Non-finite values have no JSON spelling: they are written as null. */
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* Bytes as a string of lowercase hex digits, two per byte. */
void json_hexbytes(struct json *j, const void *p, size_t n);
/* Ends a top-level value with a newline (JSON lines) and resets state. */
void json_newline(struct json *j);

/* Shorthands for "key": value members. */
static inline void json_kv_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}
static inline void json_kv_u64(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_u64(j, v);
}

/* The escaping alone, for callers that frame strings themselves. */
void json_escape(struct outbuf *o, const char *s, size_t n);

#endif
