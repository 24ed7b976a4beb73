/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>

#include "event_fmt.h"

static const char hexdig[] = "0123456789abcdef";

int evfmt_is_common(const struct trec_field *f)
{
	/* Asked for every field of every event: the first byte settles most. */
	return f->name[0] == 'c' && memcmp(f->name, "common_", 7) == 0;
}

static int is_string_kind(uint32_t kind)
{
	return kind == TREC_F_CHARS || kind == TREC_F_DATA_LOC || kind == TREC_F_REL_LOC;
}

/* The bytes of a BYTES field, or NULL when the payload is too short. */
static const uint8_t *field_bytes(const struct trec_field *f, const struct trec_event *ev,
				  size_t *n)
{
	uint64_t len = (uint64_t)f->elem_size * f->count;
	if ((uint64_t)f->offset + len > ev->size)
		return NULL;
	*n = (size_t)len;
	return (const uint8_t *)ev->data + f->offset;
}

/* ---- text --------------------------------------------------------------- */

static int text_bare(const char *s, uint32_t n)
{
	if (!n)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '=')
			return 0;
	}
	return 1;
}

static void text_string(struct outbuf *o, const char *s, uint32_t n)
{
	if (text_bare(s, n)) {
		outbuf_put(o, s, n);
		return;
	}
	outbuf_putc(o, '"');
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': outbuf_put(o, "\\\"", 2); break;
		case '\\': outbuf_put(o, "\\\\", 2); break;
		case '\n': outbuf_put(o, "\\n", 2); break;
		case '\t': outbuf_put(o, "\\t", 2); break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				char e[4] = { '\\', 'x', hexdig[c >> 4], hexdig[c & 15] };
				outbuf_put(o, e, 4);
			} else {
				outbuf_putc(o, (char)c);
			}
		}
	}
	outbuf_putc(o, '"');
}

static void text_int(struct outbuf *o, const struct trec_field *f, const struct trec_event *ev,
		     uint32_t idx, int swap)
{
	if (f->kind == TREC_F_INT) {
		int64_t v;
		if (f->elem_size == 8 && !swap && (uint64_t)f->offset + 8ull * (idx + 1) <= ev->size) {
			memcpy(&v, (const uint8_t *)ev->data + f->offset + 8u * idx, 8); /* as below */
			outbuf_i64(o, v);
			return;
		}
		if (trec_field_get_i64(f, ev->data, ev->size, idx, swap, &v) == 0)
			outbuf_i64(o, v);
		else
			outbuf_putc(o, '?');
		return;
	}
	uint64_t v;
	/* The common case, an 8-byte element in this host's byte order, read
	 * in place; the accessor below checks and converts the rest. */
	if (f->elem_size == 8 && !swap && (uint64_t)f->offset + 8ull * (idx + 1) <= ev->size) {
		memcpy(&v, (const uint8_t *)ev->data + f->offset + 8u * idx, 8);
		if (f->kind == TREC_F_HEX)
			outbuf_hex(o, v);
		else
			outbuf_u64(o, v);
		return;
	}
	if (trec_field_get_u64(f, ev->data, ev->size, idx, swap, &v) != 0)
		outbuf_putc(o, '?');
	else if (f->kind == TREC_F_HEX)
		outbuf_hex(o, v);
	else
		outbuf_u64(o, v);
}

static void text_field(struct outbuf *o, const struct trec_field *f, const struct trec_event *ev,
		       int swap)
{
	if (is_string_kind(f->kind)) {
		const char *str;
		uint32_t len;
		if (trec_field_get_str(f, ev->data, ev->size, swap, &str, &len) == 0)
			text_string(o, str, len);
		else
			outbuf_putc(o, '?');
		return;
	}
	if (f->kind == TREC_F_BYTES) {
		size_t n;
		const uint8_t *b = field_bytes(f, ev, &n);
		if (!b) {
			outbuf_putc(o, '?');
			return;
		}
		if (!n)
			outbuf_put(o, "\"\"", 2); /* say "empty", not nothing */
		for (size_t i = 0; i < n; i++) {
			char *d = outbuf_room(o, 2);
			d[0] = hexdig[b[i] >> 4];
			d[1] = hexdig[b[i] & 15];
			o->len += 2;
		}
		return;
	}
	if (f->kind != TREC_F_INT && f->kind != TREC_F_UINT && f->kind != TREC_F_HEX) {
		outbuf_putc(o, '?'); /* a kind newer than this trec */
		return;
	}
	if (f->count == 1) {
		text_int(o, f, ev, 0, swap);
		return;
	}
	outbuf_putc(o, '[');
	for (uint32_t i = 0; i < f->count; i++) {
		if (i)
			outbuf_put(o, ", ", 2);
		text_int(o, f, ev, i, swap);
	}
	outbuf_putc(o, ']');
}

void evfmt_text(struct outbuf *o, const struct trec_schema *s, const struct trec_event *ev,
		int swap)
{
	if (!s) {
		outbuf_put(o, " size=", 6);
		outbuf_u64(o, ev->size);
		return;
	}
	for (uint32_t i = 0; i < s->nfields; i++) {
		const struct trec_field *f = &s->fields[i];
		if (evfmt_is_common(f))
			continue;
		outbuf_putc(o, ' ');
		outbuf_puts(o, f->name);
		outbuf_putc(o, '=');
		text_field(o, f, ev, swap);
	}
}

/* ---- JSON --------------------------------------------------------------- */

static void json_int(struct json *j, const struct trec_field *f, const struct trec_event *ev,
		     uint32_t idx, int swap)
{
	if (f->kind == TREC_F_INT) {
		int64_t v;
		if (trec_field_get_i64(f, ev->data, ev->size, idx, swap, &v) == 0)
			json_i64(j, v);
		else
			json_null(j);
		return;
	}
	uint64_t v;
	if (trec_field_get_u64(f, ev->data, ev->size, idx, swap, &v) != 0) {
		json_null(j);
	} else if (f->kind == TREC_F_HEX) {
		char tmp[20];
		char *p = tmp + sizeof(tmp);
		do {
			*--p = hexdig[v & 15];
			v >>= 4;
		} while (v);
		*--p = 'x';
		*--p = '0';
		json_strn(j, p, (size_t)(tmp + sizeof(tmp) - p));
	} else {
		json_u64(j, v);
	}
}

static void json_field(struct json *j, const struct trec_field *f, const struct trec_event *ev,
		       int swap)
{
	if (is_string_kind(f->kind)) {
		const char *str;
		uint32_t len;
		if (trec_field_get_str(f, ev->data, ev->size, swap, &str, &len) == 0)
			json_strn(j, str, len);
		else
			json_null(j);
		return;
	}
	if (f->kind == TREC_F_BYTES) {
		size_t n;
		const uint8_t *b = field_bytes(f, ev, &n);
		if (b)
			json_hexbytes(j, b, n);
		else
			json_null(j);
		return;
	}
	if (f->kind != TREC_F_INT && f->kind != TREC_F_UINT && f->kind != TREC_F_HEX) {
		json_null(j);
		return;
	}
	if (f->count == 1) {
		json_int(j, f, ev, 0, swap);
		return;
	}
	json_arr_begin(j);
	for (uint32_t i = 0; i < f->count; i++)
		json_int(j, f, ev, i, swap);
	json_arr_end(j);
}

void evfmt_json(struct json *j, const struct trec_schema *s, const struct trec_event *ev,
		int swap)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	for (uint32_t i = 0; i < s->nfields; i++) {
		json_key(j, s->fields[i].name);
		json_field(j, &s->fields[i], ev, swap);
	}
	json_obj_end(j);
}

/* (event_fmt.h) */
void evfmt_comm_text(struct outbuf *o, const char *comm, uint32_t tid)
{
	if (comm) {
		/* comm is at most 15 bytes (TASK_COMM_LEN): one reservation for
		 * the name and its padding to 16 columns. */
		size_t len = strnlen(comm, 64);
		char *d = outbuf_room(o, len > 16 ? len : 16);
		if (len <= 16) {
			/* Padded, then all 16 bytes checked at once (a byte loop
			 * was a twentieth of script's time): the usual name is
			 * printable as it is. */
			char pad[16];
			memset(pad, ' ', 16);
			memcpy(pad, comm, len);
			uint64_t w[2];
			memcpy(w, pad, 16);
			const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
			/* A byte below 0x20, or above 0x7e (+ 1 carries into
			 * 0x80), sets its high bit in either term. */
			uint64_t bad = 0;
			for (int k = 0; k < 2; k++)
				bad |= ((w[k] - ones * 0x20) & ~w[k]) | ((w[k] + ones * 1) | w[k]);
			if (!(bad & high)) {
				memcpy(d, pad, 16);
				o->len += 16;
				return;
			}
		}
		size_t i = 0;
		for (; i < len; i++) {
			unsigned char ch = (unsigned char)comm[i];
			d[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
		}
		for (; i < 16; i++)
			d[i] = ' ';
		o->len += i;
		return;
	}
	/* perf's spelling for a thread whose name is unknown. */
	char tmp[16];
	int k = snprintf(tmp, sizeof(tmp), ":%u", tid);
	outbuf_put(o, tmp, (size_t)k);
	for (size_t n = (size_t)k; n < 16; n++)
		outbuf_putc(o, ' ');
}
