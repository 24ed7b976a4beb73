/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>

#include "json.h"

void json_init(struct json *j, struct outbuf *o, int pretty)
{
	j->o = o;
	j->pretty = pretty;
	j->depth = 0;
	j->after_key = 0;
	memset(j->nonempty, 0, sizeof(j->nonempty));
}

static void newline_indent(struct json *j, int depth)
{
	outbuf_putc(j->o, '\n');
	for (int i = 0; i < depth; i++)
		outbuf_put(j->o, "  ", 2);
}

/* Everything that starts a value or a key goes through here: it writes the
 * separator the position needs. */
static void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0) {
		if (j->nonempty[j->depth])
			outbuf_putc(j->o, ',');
		j->nonempty[j->depth] = 1;
		if (j->pretty)
			newline_indent(j, j->depth);
	}
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	outbuf_putc(j->o, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	j->nonempty[j->depth] = 0;
}

static void json_close(struct json *j, char c)
{
	if (j->pretty && j->nonempty[j->depth])
		newline_indent(j, j->depth - 1);
	if (j->depth > 0)
		j->depth--;
	outbuf_putc(j->o, c);
}

void json_obj_begin(struct json *j) { json_open(j, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j) { json_open(j, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	outbuf_putc(j->o, '"');
	json_escape(j->o, key, strlen(key));
	outbuf_put(j->o, j->pretty ? "\": " : "\":", j->pretty ? 3 : 2);
	j->after_key = 1;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid.
 * Follows RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
static size_t utf8_valid_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Bytes that go out unchanged: printable ASCII but '"' and '\\'. */
static inline int json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void json_escape(struct outbuf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		/* Copy the longest plain run in one go: the common case. */
		const unsigned char *run = p;
		while (p < end && json_plain(*p))
			p++;
		if (p > run)
			outbuf_put(o, run, (size_t)(p - run));
		if (p == end)
			break;

		unsigned char c = *p;
		if (c >= 0x80) {
			size_t len = utf8_valid_len(p, (size_t)(end - p));
			if (len) {
				outbuf_put(o, p, len);
				p += len;
				continue;
			}
		}
		char esc[6] = { '\\', 0, 0, 0, 0, 0 };
		size_t elen = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			/* Control characters, and stray bytes of invalid UTF-8
			 * shown as the Latin-1 code point of the byte. */
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
			break;
		}
		outbuf_put(o, esc, elen);
		p++;
	}
}

void json_strn(struct json *j, const char *s, size_t n)
{
	json_sep(j);
	outbuf_putc(j->o, '"');
	json_escape(j->o, s, n);
	outbuf_putc(j->o, '"');
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_u64(struct json *j, uint64_t v)
{
	json_sep(j);
	outbuf_u64(j->o, v);
}

void json_i64(struct json *j, int64_t v)
{
	json_sep(j);
	outbuf_i64(j->o, v);
}

void json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	json_sep(j);
	/* %.17g round-trips every double; it may print "1e+20", which is
	 * valid JSON, but never "inf"/"nan" (excluded above). */
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	if (n > 0)
		outbuf_put(j->o, tmp, (size_t)n);
}

void json_bool(struct json *j, int v)
{
	json_sep(j);
	if (v)
		outbuf_put(j->o, "true", 4);
	else
		outbuf_put(j->o, "false", 5);
}

void json_null(struct json *j)
{
	json_sep(j);
	outbuf_put(j->o, "null", 4);
}

void json_hexbytes(struct json *j, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	json_sep(j);
	outbuf_putc(j->o, '"');
	for (size_t i = 0; i < n; i++) {
		char *d = outbuf_room(j->o, 2);
		d[0] = hex[b[i] >> 4];
		d[1] = hex[b[i] & 15];
		j->o->len += 2;
	}
	outbuf_putc(j->o, '"');
}

void json_newline(struct json *j)
{
	outbuf_putc(j->o, '\n');
	j->depth = 0;
	j->after_key = 0;
	j->nonempty[0] = 0;
}
