/* SPDX-License-Identifier: MIT */
/* The analysis side's building blocks: output buffer, JSON writer (above
 * all its escaping), event formatting through schemas, the comm table and
 * command-line number parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "comm_table.h"
#include "event_fmt.h"
#include "json.h"
#include "outbuf.h"

/* An outbuf writing into memory, with a tiny buffer so every path that
 * drains it is taken. */
struct sink {
	FILE *f;
	char *mem;
	size_t len;
	struct outbuf o;
};

static void sink_open(struct sink *s, size_t cap)
{
	s->mem = NULL;
	s->len = 0;
	s->f = open_memstream(&s->mem, &s->len);
	assert_non_null(s->f);
	assert_int_equal(outbuf_init(&s->o, s->f, cap), 0);
}

/* Flushes and returns the text written so far (owned by the sink). */
static const char *sink_text(struct sink *s)
{
	assert_int_equal(outbuf_flush(&s->o), 0);
	return s->mem;
}

static void sink_close(struct sink *s)
{
	outbuf_free(&s->o);
	fclose(s->f);
	free(s->mem);
}

/* ---- outbuf ------------------------------------------------------------------ */

static void test_outbuf_numbers(void **state)
{
	struct sink s;
	sink_open(&s, 1); /* rounded up to the minimum */
	outbuf_u64(&s.o, 0);
	outbuf_putc(&s.o, ' ');
	outbuf_u64(&s.o, UINT64_MAX);
	outbuf_putc(&s.o, ' ');
	outbuf_i64(&s.o, INT64_MIN);
	outbuf_putc(&s.o, ' ');
	outbuf_i64(&s.o, -42);
	outbuf_putc(&s.o, ' ');
	outbuf_hex(&s.o, 0);
	outbuf_putc(&s.o, ' ');
	outbuf_hex(&s.o, 0xffffffff81000000ull);
	outbuf_putc(&s.o, ' ');
	outbuf_u64_zpad(&s.o, 42, 6);
	outbuf_putc(&s.o, '|');
	outbuf_u64_pad(&s.o, 42, 5);
	outbuf_putc(&s.o, '|');
	outbuf_u64_pad(&s.o, 123456, 3);
	assert_string_equal(sink_text(&s), "0 18446744073709551615 -9223372036854775808 -42 0x0 "
					   "0xffffffff81000000 000042|   42|123456");
	sink_close(&s);
}

static void test_outbuf_large_puts(void **state)
{
	struct sink s;
	sink_open(&s, 100);
	char big[1000];
	memset(big, 'x', sizeof(big));
	outbuf_puts(&s.o, "ab");
	outbuf_put(&s.o, big, sizeof(big)); /* larger than the buffer */
	outbuf_puts(&s.o, "cd");
	for (int i = 0; i < 300; i++)
		outbuf_putc(&s.o, 'y');
	outbuf_printf(&s.o, "%s-%d", "end", 7);
	const char *t = sink_text(&s);
	assert_int_equal(strlen(t), 2 + 1000 + 2 + 300 + 5);
	assert_memory_equal(t, "ab", 2);
	assert_memory_equal(t + 1002, "cd", 2);
	assert_string_equal(t + 1304, "end-7");
	sink_close(&s);
}

static void test_outbuf_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip();
	struct outbuf o;
	assert_int_equal(outbuf_init(&o, f, 64), 0);
	for (int i = 0; i < 100; i++)
		outbuf_puts(&o, "some text that will not fit on a full disk\n");
	assert_int_not_equal(outbuf_flush(&o), 0);
	assert_int_not_equal(o.err, 0);
	outbuf_free(&o);
	fclose(f);
}

/* ---- JSON -------------------------------------------------------------------- */

static const char *json_of_str(struct sink *s, const char *p, size_t n)
{
	struct json j;
	json_init(&j, &s->o, 0);
	json_strn(&j, p, n);
	return sink_text(s);
}

static void test_json_escapes(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "", 0, "\"\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"" },
		{ "\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"" },
		{ "nul\0in", 6, "\"nul\\u0000in\"" },
		/* valid UTF-8 passes through: 2, 3 and 4 byte sequences */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		/* invalid bytes each become \u00XX */
		{ "\xff", 1, "\"\\u00ff\"" },
		{ "\x80x", 2, "\"\\u0080x\"" },              /* lone continuation */
		{ "\xc0\xaf", 2, "\"\\u00c0\\u00af\"" },     /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"" }, /* UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* > U+10FFFF */
		{ "\xe2\x82", 2, "\"\\u00e2\\u0082\"" },     /* cut short at the end */
		{ "\xe2\x82x", 3, "\"\\u00e2\\u0082x\"" },   /* cut short inside */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sink s;
		sink_open(&s, 16);
		const char *got = json_of_str(&s, cases[i].in, cases[i].n);
		if (strcmp(got, cases[i].out))
			fail_msg("case %zu: got %s, want %s", i, got, cases[i].out);
		sink_close(&s);
	}
}

static void test_json_structure(void **state)
{
	struct sink s;
	struct json j;
	sink_open(&s, 0);
	json_init(&j, &s.o, 0);
	json_obj_begin(&j);
	json_kv_u64(&j, "a", 1);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_i64(&j, -1);
	json_null(&j);
	json_bool(&j, 1);
	json_bool(&j, 0);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_key(&j, "k\"ey");
	json_double(&j, 0.5);
	json_key(&j, "nan");
	json_double(&j, NAN);
	json_key(&j, "inf");
	json_double(&j, INFINITY);
	json_key(&j, "hex");
	json_hexbytes(&j, "\x00\xab", 2);
	json_key(&j, "s");
	json_str(&j, NULL);
	json_obj_end(&j);
	json_newline(&j);
	/* A second top-level value after the newline starts clean (JSON lines). */
	json_obj_begin(&j);
	json_kv_str(&j, "x", "y");
	json_obj_end(&j);
	json_newline(&j);
	assert_string_equal(sink_text(&s),
			    "{\"a\":1,\"b\":[-1,null,true,false,{},[]],\"k\\\"ey\":0.5,\"nan\":null,"
			    "\"inf\":null,\"hex\":\"00ab\",\"s\":null}\n{\"x\":\"y\"}\n");
	sink_close(&s);
}

static void test_json_pretty(void **state)
{
	struct sink s;
	struct json j;
	sink_open(&s, 0);
	json_init(&j, &s.o, 1);
	json_obj_begin(&j);
	json_kv_u64(&j, "a", 1);
	json_key(&j, "l");
	json_arr_begin(&j);
	json_u64(&j, 2);
	json_arr_end(&j);
	json_key(&j, "e");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_obj_end(&j);
	json_newline(&j);
	assert_string_equal(sink_text(&s), "{\n  \"a\": 1,\n  \"l\": [\n    2\n  ],\n  \"e\": {}\n}\n");
	sink_close(&s);
}

/* ---- event formatting ---------------------------------------------------------- */

static const struct trec_field fields[] = {
	{ "common_pid", "int", TREC_F_INT, 0, 0, 4, 1 },
	{ "neg", "short", TREC_F_INT, 0, 4, 2, 1 },
	{ "flags", "unsigned int", TREC_F_HEX, 0, 8, 4, 1 },
	{ "comm", "char[8]", TREC_F_CHARS, 0, 12, 1, 8 },
	{ "arr", "u16[3]", TREC_F_UINT, 0, 20, 2, 3 },
	{ "raw", "u8[3]", TREC_F_BYTES, 0, 26, 1, 3 },
	{ "name", "__data_loc char[]", TREC_F_DATA_LOC, 0, 32, 4, 1 },
	{ "rel", "__rel_loc char[]", TREC_F_REL_LOC, 0, 36, 4, 1 },
};
static const struct trec_schema schema = {
	.id = 7, .name = "test:ev", .probe = "tracepoint:test:ev", .fixed_size = 40,
	.nfields = sizeof(fields) / sizeof(fields[0]), .fields = fields,
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A payload in host byte order (swap = 0): the tail holds "a b" for the
 * data_loc and "x\"y" for the rel_loc. */
static uint32_t make_payload(uint8_t *p, const char *comm)
{
	memset(p, 0, 64);
	put32(p + 0, 99);
	put16(p + 4, (uint16_t)-5);
	put32(p + 8, 0xbeef);
	strncpy((char *)p + 12, comm, 8);
	put16(p + 20, 1);
	put16(p + 22, 2);
	put16(p + 24, 65535);
	p[26] = 0x00;
	p[27] = 0x7f;
	p[28] = 0xff;
	memcpy(p + 40, "a b", 4);
	put32(p + 32, 4u << 16 | 40);
	memcpy(p + 44, "x\"y", 4);
	put32(p + 36, 4u << 16 | (44 - 40)); /* from the end of the field at 36 */
	return 48;
}

static void test_fmt_text(void **state)
{
	uint8_t p[64];
	struct trec_event ev = { .type = 7, .data = p };
	ev.size = make_payload(p, "bash");
	struct sink s;
	sink_open(&s, 32);
	evfmt_text(&s.o, &schema, &ev, 0);
	assert_string_equal(sink_text(&s), " neg=-5 flags=0xbeef comm=bash arr=[1, 2, 65535] raw=007fff"
					   " name=\"a b\" rel=\"x\\\"y\"");
	sink_close(&s);
}

static void test_fmt_json(void **state)
{
	uint8_t p[64];
	struct trec_event ev = { .type = 7, .data = p };
	ev.size = make_payload(p, "Web Co\n");
	struct sink s;
	struct json j;
	sink_open(&s, 32);
	json_init(&j, &s.o, 0);
	evfmt_json(&j, &schema, &ev, 0);
	assert_string_equal(sink_text(&s),
			    "{\"common_pid\":99,\"neg\":-5,\"flags\":\"0xbeef\",\"comm\":\"Web Co\\n\","
			    "\"arr\":[1,2,65535],\"raw\":\"007fff\",\"name\":\"a b\",\"rel\":\"x\\\"y\"}");
	sink_close(&s);
}

/* A payload cut short: every field it cannot hold is "?" / null, nothing
 * is read past the end (ASan watches this test). */
static void test_fmt_short_payload(void **state)
{
	uint8_t full[64];
	make_payload(full, "bash");
	for (uint32_t size = 0; size <= 48; size++) {
		uint8_t *p = malloc(size ? size : 1);
		memcpy(p, full, size);
		struct trec_event ev = { .type = 7, .data = p, .size = size };
		struct sink s;
		struct json j;
		sink_open(&s, 32);
		evfmt_text(&s.o, &schema, &ev, 0);
		outbuf_putc(&s.o, '\n');
		json_init(&j, &s.o, 0);
		evfmt_json(&j, &schema, &ev, 0);
		const char *t = sink_text(&s);
		if (size < 6)
			assert_non_null(strstr(t, "neg=?"));
		if (size < 40) {
			assert_non_null(strstr(t, "name=?"));
			assert_non_null(strstr(t, "\"rel\":null"));
		}
		if (size == 0)
			assert_non_null(strstr(t, "{\"common_pid\":null,\"neg\":null"));
		sink_close(&s);
		free(p);
	}
}

static void test_fmt_no_schema(void **state)
{
	uint8_t p[4] = { 0 };
	struct trec_event ev = { .type = 9, .data = p, .size = 4 };
	struct sink s;
	struct json j;
	sink_open(&s, 0);
	evfmt_text(&s.o, NULL, &ev, 0);
	json_init(&j, &s.o, 0);
	evfmt_json(&j, NULL, &ev, 0);
	assert_string_equal(sink_text(&s), " size=4null");
	sink_close(&s);
}

/* Names of every length up to 20 bytes, each byte in turn replaced by an
 * unprintable one (control, DEL, high), against the plain rule: as is but
 * '?' for what is not printable ASCII, padded with spaces to 16 columns;
 * unknown as ":TID". */
static void test_fmt_comm(void **state)
{
	static const unsigned char odd[] = { 0x01, 0x1f, 0x7f, 0x80, 0xc3, 0xff, ' ', '~' };
	char name[24], want[64];
	struct sink s;
	sink_open(&s, 32);
	for (size_t len = 0; len <= 20; len++) {
		for (size_t at = 0; at <= len; at++) {
			for (size_t k = 0; k < sizeof(odd); k++) {
				for (size_t i = 0; i < len; i++)
					name[i] = (char)('a' + i);
				if (at < len)
					name[at] = (char)odd[k];
				name[len] = 0;
				size_t w = 0;
				for (size_t i = 0; i < len; i++) {
					unsigned char c = (unsigned char)name[i];
					want[w++] = c < 0x20 || c > 0x7e ? '?' : (char)c;
				}
				while (w < 16)
					want[w++] = ' ';
				want[w++] = '|';
				want[w] = 0;
				evfmt_comm_text(&s.o, name, 7);
				outbuf_putc(&s.o, '|');
				assert_string_equal(sink_text(&s) + s.len - w, want);
			}
		}
	}
	evfmt_comm_text(&s.o, NULL, 4242);
	assert_string_equal(sink_text(&s) + s.len - 16, ":4242           ");
	sink_close(&s);
}

static void test_fmt_swapped(void **state)
{
	static const struct trec_field f[] = { { "v", "u32", TREC_F_UINT, 0, 0, 4, 1 } };
	static const struct trec_schema sc = { .id = 1, .name = "t:v", .fixed_size = 4, .nfields = 1, .fields = f };
	uint8_t p[4] = { 0x01, 0x02, 0x03, 0x04 };
	uint32_t host;
	memcpy(&host, p, 4);
	struct trec_event ev = { .type = 1, .data = p, .size = 4 };
	struct sink s;
	sink_open(&s, 0);
	evfmt_text(&s.o, &sc, &ev, 1);
	char want[32];
	snprintf(want, sizeof(want), " v=%u", __builtin_bswap32(host));
	assert_string_equal(sink_text(&s), want);
	sink_close(&s);
}

/* ---- comm table ---------------------------------------------------------------- */

static void test_comm_table(void **state)
{
	const struct trec_task tasks[] = {
		{ .ts = 100, .kind = TREC_TASK_SNAPSHOT, .pid = 10, .tid = 10, .comm = "shell" },
		{ .ts = 200, .kind = TREC_TASK_FORK, .pid = 10, .tid = 11, .comm = "shell" },
		{ .ts = 300, .kind = TREC_TASK_COMM, .pid = 10, .tid = 11, .comm = "worker" },
		{ .ts = 400, .kind = TREC_TASK_EXEC, .pid = 10, .tid = 10, .comm = "ls" },
		{ .ts = 500, .kind = TREC_TASK_EXIT, .pid = 10, .tid = 10, .comm = "" },
		{ .ts = 150, .kind = TREC_TASK_FORK, .pid = 20, .tid = 20, .comm = "child" },
		/* same ts: the later record in the file wins */
		{ .ts = 300, .kind = TREC_TASK_COMM, .pid = 10, .tid = 11, .comm = "worker2" },
	};
	struct comm_table t;
	assert_int_equal(comm_table_build(&t, tasks, sizeof(tasks) / sizeof(tasks[0])), 0);
	assert_string_equal(comm_table_lookup(&t, 0, 0, 50), "swapper"); /* the idle task */
	assert_string_equal(comm_table_lookup(&t, 10, 10, 50), "shell"); /* before the snapshot */
	assert_string_equal(comm_table_lookup(&t, 10, 10, 100), "shell");
	assert_string_equal(comm_table_lookup(&t, 10, 10, 399), "shell");
	assert_string_equal(comm_table_lookup(&t, 10, 10, 400), "ls");
	assert_string_equal(comm_table_lookup(&t, 10, 10, 9999), "ls"); /* exit has no comm */
	assert_string_equal(comm_table_lookup(&t, 10, 11, 250), "shell");
	assert_string_equal(comm_table_lookup(&t, 10, 11, 300), "worker2");
	/* Before tid 11 existed: the leader's name. */
	assert_string_equal(comm_table_lookup(&t, 10, 11, 120), "shell");
	/* A fork record is not taken for earlier times. */
	assert_null(comm_table_lookup(&t, 20, 20, 100));
	assert_string_equal(comm_table_lookup(&t, 20, 20, 150), "child");
	assert_null(comm_table_lookup(&t, 30, 31, 1000));
	/* The cached lookup answers as the plain one, whatever order the
	 * questions come in (runs of one thread, jumps, times going back). */
	struct comm_cache cc = { 0 };
	static const uint32_t who[][2] = { { 10, 10 }, { 10, 11 }, { 20, 20 }, { 0, 0 }, { 30, 31 } };
	uint64_t x = 12345;
	for (int i = 0; i < 20000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		const uint32_t *w = who[(x >> 33) % 5];
		uint64_t ts = (x >> 40) % 700;
		const char *a = comm_table_lookup(&t, w[0], w[1], ts);
		const char *b = comm_table_lookup_cached(&t, &cc, w[0], w[1], ts);
		if (a != b)
			fail_msg("pid %u tid %u ts %llu: %s vs cached %s", w[0], w[1], (unsigned long long)ts,
				 a ? a : "(null)", b ? b : "(null)");
	}
	comm_table_free(&t);

	assert_int_equal(comm_table_build(&t, NULL, 0), 0);
	assert_null(comm_table_lookup(&t, 1, 1, 1));
	comm_table_free(&t);
}

/* ---- command-line numbers -------------------------------------------------------- */

static const struct cli_cmd test_cmd = { .name = "test", .synopsis = "", .summary = "" };

/* The parsers report errors on stderr, as they should: keep them out of
 * the test log. */
static int quiet_stderr(void **state)
{
	int *saved = malloc(sizeof(int));
	fflush(stderr);
	*saved = dup(2);
	int null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	close(null);
	*state = saved;
	return 0;
}

static int restore_stderr(void **state)
{
	int *saved = *state;
	fflush(stderr);
	dup2(*saved, 2);
	close(*saved);
	free(saved);
	return 0;
}

static void test_parse_numbers(void **state)
{
	uint64_t v;
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "18446744073709551616", 0, UINT64_MAX, &v), -1);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "abc", 0, 10, &v), -1);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "-1", 0, 10, &v), -1);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "", 0, 10, &v), -1);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", " 1", 0, 10, &v), -1);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "11", 0, 10, &v), -1);
	assert_int_equal(cli_parse_u64(&test_cmd, "--n", "0", 1, 10, &v), -1);

	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "1.5", &v), 0);
	assert_true(v == 1500000000u);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "0.000000001", &v), 0);
	assert_true(v == 1);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "2", &v), 0);
	assert_true(v == 2000000000u);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", ".25", &v), 0);
	assert_true(v == 250000000u);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "3.", &v), 0);
	assert_true(v == 3000000000u);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "1.0000000019", &v), 0);
	assert_true(v == 1000000001u); /* below a nanosecond is dropped */
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "", &v), -1);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", ".", &v), -1);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "-1", &v), -1);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "1e3", &v), -1);
	assert_int_equal(cli_parse_seconds_ns(&test_cmd, "--t", "99999999999999", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outbuf_numbers),
		cmocka_unit_test(test_outbuf_large_puts),
		cmocka_unit_test(test_outbuf_write_error),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_structure),
		cmocka_unit_test(test_json_pretty),
		cmocka_unit_test(test_fmt_text),
		cmocka_unit_test(test_fmt_json),
		cmocka_unit_test(test_fmt_short_payload),
		cmocka_unit_test(test_fmt_no_schema),
		cmocka_unit_test(test_fmt_comm),
		cmocka_unit_test(test_fmt_swapped),
		cmocka_unit_test(test_comm_table),
		cmocka_unit_test_setup_teardown(test_parse_numbers, quiet_stderr, restore_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
