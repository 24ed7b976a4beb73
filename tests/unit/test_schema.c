/* SPDX-License-Identifier: MIT */
/*
 * Schemas (format/schema.c): validation on real tracepoint layouts and on
 * broken ones, field accessors (byte order, dynamic strings, bounds), the
 * column layout the events codec uses, and the SCHEMA block codec with
 * truncated, bit-flipped and hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "schema.h"
#include "trec_format.h"

#define N(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))

/* tracefs: /sys/kernel/tracing/events/sched/sched_switch/format */
static const struct trec_field switch_fields[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_UINT, 0, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 0, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "prev_comm", "char[16]", TREC_F_CHARS, 0, 8, 1, 16 },
	{ "prev_pid", "pid_t", TREC_F_INT, 0, 24, 4, 1 },
	{ "prev_prio", "int", TREC_F_INT, 0, 28, 4, 1 },
	{ "prev_state", "long", TREC_F_INT, 0, 32, 8, 1 },
	{ "next_comm", "char[16]", TREC_F_CHARS, 0, 40, 1, 16 },
	{ "next_pid", "pid_t", TREC_F_INT, 0, 56, 4, 1 },
	{ "next_prio", "int", TREC_F_INT, 0, 60, 4, 1 },
};
static const struct trec_schema sched_switch = {
	.id = 316, .name = "sched:sched_switch", .probe = "tracepoint:sched:sched_switch",
	.fixed_size = 64, .nfields = N(switch_fields), .fields = switch_fields,
};

/* raw_syscalls:sys_enter: an array of six longs. */
static const struct trec_field enter_fields[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_UINT, 0, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 0, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "id", "long", TREC_F_INT, 0, 8, 8, 1 },
	{ "args", "unsigned long[6]", TREC_F_HEX, 0, 16, 8, 6 },
};
static const struct trec_schema sys_enter = {
	.id = 22, .name = "raw_syscalls:sys_enter", .probe = "tracepoint:raw_syscalls:sys_enter",
	.fixed_size = 64, .nfields = N(enter_fields), .fields = enter_fields,
};

/* Gaps, adjacent raw fields, dynamic strings and tail padding. */
static const struct trec_field mixed_fields[] = {
	{ "path", "__data_loc char[]", TREC_F_DATA_LOC, TREC_FIELDF_TRUNCATED_MARK, 20, 4, 1 },
	{ "flag", "u8", TREC_F_HEX, 0, 0, 1, 1 },
	{ "tag", "char[4]", TREC_F_CHARS, 0, 4, 1, 4 },
	{ "blob", "u8[4]", TREC_F_BYTES, 0, 8, 1, 4 },
	{ "pair", "u32[2]", TREC_F_UINT, 0, 12, 4, 2 },
	{ "rel", "__rel_loc char[]", TREC_F_REL_LOC, 0, 24, 4, 1 },
};
static const struct trec_schema mixed = {
	.id = TREC_MAX_TYPE_ID, .name = "test:mixed", .probe = NULL, .flags = 7,
	.fixed_size = 32, .nfields = N(mixed_fields), .fields = mixed_fields,
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- validation ----------------------------------------------------------- */

static void test_validate_real(void **state)
{
	(void)state;
	struct trec_err err = { 0 };
	assert_int_equal(trec_schema_validate(&sched_switch, &err), 0);
	assert_int_equal(trec_schema_validate(&sys_enter, &err), 0);
	assert_int_equal(trec_schema_validate(&mixed, &err), 0);
	struct trec_schema empty = { .id = 1, .name = "x:y" };
	assert_int_equal(trec_schema_validate(&empty, &err), 0);
}

/* Checks that s fails validation with a message containing `want`. */
static void expect_invalid(const struct trec_schema *s, const char *want)
{
	struct trec_err err = { 0 };
	assert_int_equal(trec_schema_validate(s, &err), -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_validate_rejects(void **state)
{
	(void)state;
	struct trec_field f[N(switch_fields)];
	struct trec_schema s;
#define RESET() (memcpy(f, switch_fields, sizeof(f)), s = sched_switch, s.fields = f)

	RESET(); s.id = 0; expect_invalid(&s, "id 0");
	RESET(); s.id = TREC_MAX_TYPE_ID + 1; expect_invalid(&s, "id 65536");
	RESET(); s.name = ""; expect_invalid(&s, "empty name");
	RESET(); s.name = NULL; expect_invalid(&s, "empty name");
	RESET(); s.fixed_size = TREC_MAX_EVENT_SIZE + 1; expect_invalid(&s, "fixed size");
	RESET(); s.nfields = TREC_MAX_FIELDS + 1; expect_invalid(&s, "fields exceed");
	RESET(); s.fields = NULL; expect_invalid(&s, "no field array");
	RESET(); f[5].kind = 0; expect_invalid(&s, "\"prev_pid\" has unknown kind 0");
	RESET(); f[5].kind = TREC_F_KIND_MAX + 1; expect_invalid(&s, "prev_pid");
	RESET(); f[5].elem_size = 3; expect_invalid(&s, "\"prev_pid\" has element size 3");
	RESET(); f[5].count = 0; expect_invalid(&s, "\"prev_pid\" is empty");
	RESET(); f[4].elem_size = 2; f[4].count = 8; expect_invalid(&s, "prev_comm");
	RESET(); f[10].elem_size = 8; expect_invalid(&s, "\"next_prio\" [60, 68) exceeds fixed size 64");
	RESET(); f[5].offset = 22; expect_invalid(&s, "overlaps");
	RESET(); f[3].offset = 2; f[3].elem_size = 2; expect_invalid(&s, "overlaps");
	RESET(); f[9].name = "next_prio"; expect_invalid(&s, "duplicate field \"next_prio\"");
	RESET(); f[2].name = ""; expect_invalid(&s, "field 2 has no name");
	RESET(); s.fixed_size = 63; expect_invalid(&s, "exceeds fixed size 63");
	/* Offsets near 2^32 must not wrap past the bounds check. */
	RESET(); f[10].offset = UINT32_MAX - 1; expect_invalid(&s, "exceeds fixed size");
	RESET(); f[7].elem_size = 8; f[7].count = UINT32_MAX; expect_invalid(&s, "exceeds fixed size");

	struct trec_field loc[] = { { "s", "", TREC_F_DATA_LOC, 0, 0, 2, 1 } };
	struct trec_schema ls = { .id = 1, .name = "a:b", .fixed_size = 8, .nfields = 1, .fields = loc };
	expect_invalid(&ls, "dynamic field \"s\"");
	loc[0] = (struct trec_field){ "s", "", TREC_F_REL_LOC, 0, 0, 4, 2 };
	expect_invalid(&ls, "dynamic field \"s\"");
	loc[0] = (struct trec_field){ "s", "", TREC_F_REL_LOC, 0, 4, 4, 1 };
	assert_int_equal(trec_schema_validate(&ls, NULL), 0);
	assert_int_equal(trec_schema_validate(NULL, NULL), -EINVAL);
#undef RESET
}

/* Many fields: TREC_MAX_FIELDS is accepted, overlap found among them. */
static void test_validate_many(void **state)
{
	(void)state;
	static struct trec_field f[TREC_MAX_FIELDS];
	static char names[TREC_MAX_FIELDS][16];
	for (int i = 0; i < TREC_MAX_FIELDS; i++) {
		int j = (i * 389) % TREC_MAX_FIELDS; /* scrambled order */
		snprintf(names[i], sizeof(names[i]), "f%u", (unsigned)i);
		f[i] = (struct trec_field){ names[i], "u32", TREC_F_UINT, 0, (uint32_t)j * 4, 4, 1 };
	}
	struct trec_schema s = { .id = 9, .name = "big:one", .fixed_size = 4 * TREC_MAX_FIELDS,
				 .nfields = TREC_MAX_FIELDS, .fields = f };
	assert_int_equal(trec_schema_validate(&s, NULL), 0);
	struct trec_layout l;
	assert_int_equal(trec_layout_build(&s, &l), 0);
	assert_int_equal(l.ncols, TREC_MAX_FIELDS);
	trec_layout_free(&l);
	f[100].offset = f[200].offset + 2;
	expect_invalid(&s, "overlaps");
}

static void test_field_lookup(void **state)
{
	(void)state;
	assert_ptr_equal(trec_schema_field(&sched_switch, "next_pid"), &switch_fields[9]);
	assert_ptr_equal(trec_schema_field(&sched_switch, "common_type"), &switch_fields[0]);
	assert_null(trec_schema_field(&sched_switch, "next_pi"));
	assert_null(trec_schema_field(&sched_switch, NULL));
	assert_null(trec_schema_field(NULL, "x"));
}

/* ---- accessors ------------------------------------------------------------- */

static void put(uint8_t *p, uint64_t v, int w, int big)
{
	for (int i = 0; i < w; i++)
		p[big ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static int host_big(void)
{
	uint16_t x = 1;
	return *(uint8_t *)&x == 0;
}

/* A sched_switch payload in either byte order. */
static void make_switch(uint8_t *p, int big)
{
	memset(p, 0, 64);
	put(p + 0, 316, 2, big);
	put(p + 2, 0x81, 1, big);
	put(p + 4, (uint32_t)-1, 4, big);
	memcpy(p + 8, "swapper/0", 9);
	put(p + 24, 0, 4, big);
	put(p + 28, 120, 4, big);
	put(p + 32, (uint64_t)INT64_MIN, 8, big);
	memcpy(p + 40, "0123456789abcdef", 16); /* full: no NUL */
	put(p + 56, 4242, 4, big);
	put(p + 60, (uint32_t)-20, 4, big);
}

static void test_access_ints(void **state)
{
	(void)state;
	for (int big = 0; big < 2; big++) {
		uint8_t p[64];
		int swap = big != host_big();
		make_switch(p, big);
		uint64_t u;
		int64_t i;
		assert_int_equal(trec_field_get_u64(&switch_fields[0], p, 64, 0, swap, &u), 0);
		assert_int_equal(u, 316);
		assert_int_equal(trec_field_get_u64(&switch_fields[1], p, 64, 0, swap, &u), 0);
		assert_int_equal(u, 0x81);
		assert_int_equal(trec_field_get_i64(&switch_fields[1], p, 64, 0, swap, &i), 0);
		assert_int_equal(i, 0x81); /* UINT: no sign extension */
		assert_int_equal(trec_field_get_i64(&switch_fields[3], p, 64, 0, swap, &i), 0);
		assert_int_equal(i, -1);
		assert_int_equal(trec_field_get_u64(&switch_fields[3], p, 64, 0, swap, &u), 0);
		assert_int_equal(u, 0xffffffffu);
		assert_int_equal(trec_field_get_i64(&switch_fields[7], p, 64, 0, swap, &i), 0);
		assert_true(i == INT64_MIN);
		assert_int_equal(trec_field_get_i64(&switch_fields[9], p, 64, 0, swap, &i), 0);
		assert_int_equal(i, 4242);
		assert_int_equal(trec_field_get_i64(&switch_fields[10], p, 64, 0, swap, &i), 0);
		assert_int_equal(i, -20);

		const char *s;
		uint32_t len;
		assert_int_equal(trec_field_get_str(&switch_fields[4], p, 64, swap, &s, &len), 0);
		assert_int_equal(len, 9);
		assert_memory_equal(s, "swapper/0", 9);
		assert_int_equal(trec_field_get_str(&switch_fields[8], p, 64, swap, &s, &len), 0);
		assert_int_equal(len, 16); /* ends at the field's end */
		assert_ptr_equal(s, (const char *)p + 40);
	}

	/* Wrong byte order gives the swapped value: swap really swaps. */
	uint8_t p[64];
	uint64_t u;
	make_switch(p, !host_big());
	assert_int_equal(trec_field_get_u64(&switch_fields[0], p, 64, 0, 0, &u), 0);
	assert_int_equal(u, 0x3c01);
}

static void test_access_bounds(void **state)
{
	(void)state;
	uint8_t p[64];
	uint64_t u;
	int64_t i;
	const char *s;
	uint32_t len;
	make_switch(p, host_big());

	/* An event shorter than the fields it should hold. */
	assert_int_equal(trec_field_get_u64(&switch_fields[10], p, 63, 0, 0, &u), -ERANGE);
	assert_int_equal(trec_field_get_u64(&switch_fields[10], p, 64, 0, 0, &u), 0);
	assert_int_equal(trec_field_get_i64(&switch_fields[7], p, 39, 0, 0, &i), -ERANGE);
	assert_int_equal(trec_field_get_str(&switch_fields[8], p, 55, 0, &s, &len), -ERANGE);
	assert_int_equal(trec_field_get_u64(&switch_fields[0], NULL, 0, 0, 0, &u), -ERANGE);
	assert_int_equal(trec_field_get_u64(&switch_fields[0], NULL, 64, 0, 0, &u), -ERANGE);
	/* Element index past count. */
	assert_int_equal(trec_field_get_u64(&switch_fields[0], p, 64, 1, 0, &u), -ERANGE);
	/* Wrong kind for the accessor. */
	assert_int_equal(trec_field_get_u64(&switch_fields[4], p, 64, 0, 0, &u), -EINVAL);
	assert_int_equal(trec_field_get_str(&switch_fields[3], p, 64, 0, &s, &len), -EINVAL);

	/* Arrays: sys_enter args. */
	uint8_t e[64] = { 0 };
	for (int k = 0; k < 6; k++)
		put(e + 16 + 8 * k, 0x1000u + (unsigned)k, 8, host_big());
	assert_int_equal(trec_field_get_u64(&enter_fields[5], e, 64, 5, 0, &u), 0);
	assert_int_equal(u, 0x1005);
	assert_int_equal(trec_field_get_u64(&enter_fields[5], e, 64, 6, 0, &u), -ERANGE);
	assert_int_equal(trec_field_get_u64(&enter_fields[5], e, 63, 5, 0, &u), -ERANGE);
	/* An element index that would overflow 32-bit offset math. */
	struct trec_field huge = { "h", "", TREC_F_UINT, 0, 8, 8, UINT32_MAX };
	assert_int_equal(trec_field_get_u64(&huge, e, 64, UINT32_MAX - 1, 0, &u), -ERANGE);
}

static void test_access_dynamic(void **state)
{
	(void)state;
	const struct trec_field *dl = &mixed_fields[0], *rl = &mixed_fields[5];
	for (int big = 0; big < 2; big++) {
		int swap = big != host_big();
		uint8_t p[48] = { 0 };
		const char *s;
		uint32_t len;
		uint64_t u;

		/* data_loc -> "hello\0" at 32; rel_loc -> "hi" (no NUL) at 40 = 28 + 12. */
		memcpy(p + 32, "hello", 6);
		memcpy(p + 40, "hi", 2);
		put(p + 20, 6u << 16 | 32, 4, big);
		put(p + 24, 2u << 16 | 12, 4, big);
		assert_int_equal(trec_field_get_str(dl, p, 48, swap, &s, &len), 0);
		assert_int_equal(len, 5);
		assert_memory_equal(s, "hello", 5);
		assert_int_equal(trec_field_get_str(rl, p, 48, swap, &s, &len), 0);
		assert_int_equal(len, 2);
		assert_ptr_equal(s, (const char *)p + 40);
		assert_int_equal(trec_field_get_u64(dl, p, 48, 0, swap, &u), 0);
		assert_int_equal(u, 6u << 16 | 32);

		/* Ends exactly at the payload end: fine; one byte past: -ERANGE. */
		put(p + 20, 16u << 16 | 32, 4, big);
		assert_int_equal(trec_field_get_str(dl, p, 48, swap, &s, &len), 0);
		assert_int_equal(len, 5);
		put(p + 20, 17u << 16 | 32, 4, big);
		assert_int_equal(trec_field_get_str(dl, p, 48, swap, &s, &len), -ERANGE);
		put(p + 20, 0u << 16 | 0xffff, 4, big);
		assert_int_equal(trec_field_get_str(dl, p, 48, swap, &s, &len), -ERANGE);
		put(p + 20, 0xffffu << 16 | 0xffff, 4, big);
		assert_int_equal(trec_field_get_str(dl, p, 48, swap, &s, &len), -ERANGE);
		/* Empty string, even at the very end. */
		put(p + 20, 0u << 16 | 48, 4, big);
		assert_int_equal(trec_field_get_str(dl, p, 48, swap, &s, &len), 0);
		assert_int_equal(len, 0);
		assert_string_equal(s, "");
		/* rel_loc counts from the end of its own field (28), not 24 or 0. */
		put(p + 24, 2u << 16 | 20, 4, big);
		assert_int_equal(trec_field_get_str(rl, p, 48, swap, &s, &len), -ERANGE);
		p[47] = 'z';
		put(p + 24, 2u << 16 | 19, 4, big);
		assert_int_equal(trec_field_get_str(rl, p, 48, swap, &s, &len), -ERANGE);
		put(p + 24, 1u << 16 | 19, 4, big);
		assert_int_equal(trec_field_get_str(rl, p, 48, swap, &s, &len), 0);
		assert_ptr_equal(s, (const char *)p + 47);
		assert_int_equal(len, 1);
		/* The dynamic field itself past the event's end. */
		assert_int_equal(trec_field_get_str(rl, p, 27, swap, &s, &len), -ERANGE);
	}
}

/* ---- layout ----------------------------------------------------------------- */

/* Columns cover [0, fixed_size) once, in order; INT columns are 1/2/4/8
 * wide; no two RAW columns touch. */
static void check_cover(const struct trec_layout *l)
{
	uint32_t pos = 0;
	for (uint32_t k = 0; k < l->ncols; k++) {
		const struct trec_col *c = &l->cols[k];
		assert_int_equal(c->offset, pos);
		assert_true(c->width > 0);
		if (c->type == TREC_COL_INT)
			assert_true(c->width == 1 || c->width == 2 || c->width == 4 || c->width == 8);
		else
			assert_int_equal(c->type, TREC_COL_RAW);
		if (k && c->type == TREC_COL_RAW)
			assert_int_equal(l->cols[k - 1].type, TREC_COL_INT);
		pos += c->width;
	}
	assert_int_equal(pos, l->fixed_size);
}

static void expect_cols(const struct trec_schema *s, const struct trec_col *want, uint32_t n)
{
	struct trec_layout l;
	assert_int_equal(trec_layout_build(s, &l), 0);
	assert_int_equal(l.type_id, s->id);
	assert_int_equal(l.fixed_size, s->fixed_size);
	check_cover(&l);
	assert_int_equal(l.ncols, n);
	for (uint32_t k = 0; k < n; k++) {
		assert_int_equal(l.cols[k].offset, want[k].offset);
		assert_int_equal(l.cols[k].width, want[k].width);
		assert_int_equal(l.cols[k].type, want[k].type);
	}
	trec_layout_free(&l);
	assert_null(l.cols);
}

#define I TREC_COL_INT
#define R TREC_COL_RAW
static void test_layout(void **state)
{
	(void)state;
	static const struct trec_col sw[] = { { 0, 2, I },  { 2, 1, I },  { 3, 1, I },  { 4, 4, I },
					      { 8, 16, R }, { 24, 4, I }, { 28, 4, I }, { 32, 8, I },
					      { 40, 16, R }, { 56, 4, I }, { 60, 4, I } };
	expect_cols(&sched_switch, sw, N(sw));

	static const struct trec_col en[] = { { 0, 2, I },  { 2, 1, I },  { 3, 1, I },  { 4, 4, I },
					      { 8, 8, I },  { 16, 8, I }, { 24, 8, I }, { 32, 8, I },
					      { 40, 8, I }, { 48, 8, I }, { 56, 8, I } };
	expect_cols(&sys_enter, en, N(en));

	/* gap [1,4) + tag + blob merge into one RAW; pair is two INTs; data_loc
	 * and rel_loc are u32 INTs; tail padding is RAW. */
	static const struct trec_col mx[] = { { 0, 1, I },  { 1, 11, R }, { 12, 4, I }, { 16, 4, I },
					      { 20, 4, I }, { 24, 4, I }, { 28, 4, R } };
	expect_cols(&mixed, mx, N(mx));

	struct trec_schema none = { .id = 1, .name = "a:b" };
	expect_cols(&none, NULL, 0);
	struct trec_schema pad = { .id = 1, .name = "a:b", .fixed_size = 5 };
	static const struct trec_col pd[] = { { 0, 5, R } };
	expect_cols(&pad, pd, 1);

	/* Invalid schemas have no layout. */
	struct trec_schema bad = sched_switch;
	bad.fixed_size = 60;
	struct trec_layout l;
	assert_int_equal(trec_layout_build(&bad, &l), -EINVAL);
	assert_int_equal(l.ncols, 0);
	assert_null(l.cols);
	trec_layout_free(&l);
}
#undef I
#undef R

/* ---- codec ------------------------------------------------------------------- */

static void expect_same(const struct trec_schema *a, const struct trec_schema *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->probe, b->probe ? b->probe : "");
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->fixed_size, b->fixed_size);
	assert_int_equal(a->nfields, b->nfields);
	for (uint32_t k = 0; k < a->nfields; k++) {
		const struct trec_field *x = &a->fields[k], *y = &b->fields[k];
		assert_string_equal(x->name, y->name);
		assert_string_equal(x->ctype, y->ctype ? y->ctype : "");
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->offset, y->offset);
		assert_int_equal(x->elem_size, y->elem_size);
		assert_int_equal(x->count, y->count);
	}
}

static void test_codec(void **state)
{
	(void)state;
	char *longname = malloc(TREC_MAX_NAME + 1);
	assert_non_null(longname);
	memset(longname, 'n', TREC_MAX_NAME);
	longname[TREC_MAX_NAME] = 0;
	struct trec_field lf[] = { { longname, NULL, TREC_F_BYTES, UINT32_MAX, TREC_MAX_EVENT_SIZE - 3, 3, 1 },
				   { "first", longname, TREC_F_UINT, 0, 0, 8, 1 } };
	struct trec_schema in[] = {
		sched_switch,
		sys_enter,
		mixed,
		{ .id = 1, .name = longname, .probe = longname, .flags = UINT32_MAX,
		  .fixed_size = TREC_MAX_EVENT_SIZE, .nfields = 2, .fields = lf },
		{ .id = 2, .name = "e:mpty", .probe = "" },
	};
	uint32_t n = N(in);
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_schema *out;

	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_schema_encode(&b, in, n), 0);
	assert_int_equal(trec_schema_decode(b.data, b.len, n, &a, &out, &err), 0);
	for (uint32_t i = 0; i < n; i++)
		expect_same(&out[i], &in[i]);

	/* Tightly packed fields: sched_switch costs its strings plus a few
	 * bytes per field. */
	tbuf_reset(&b);
	assert_int_equal(trec_schema_encode(&b, &sched_switch, 1), 0);
	size_t strings = strlen(sched_switch.name) + strlen(sched_switch.probe);
	for (uint32_t k = 0; k < sched_switch.nfields; k++)
		strings += strlen(switch_fields[k].name) + strlen(switch_fields[k].ctype);
	assert_true(b.len <= strings + 7 + 7 * sched_switch.nfields);

	/* Invalid input is refused by the encoder. */
	struct trec_schema bad = sched_switch;
	bad.fixed_size = 10;
	assert_int_equal(trec_schema_encode(&b, &bad, 1), -EINVAL);

	assert_int_equal(trec_schema_decode(NULL, 0, 0, &a, &out, &err), 0);
	assert_null(out);

	free(longname);
	tarena_free(&a);
	tbuf_free(&b);
}

static void test_codec_abuse(void **state)
{
	(void)state;
	struct trec_schema in[] = { sched_switch, mixed, sys_enter };
	struct tbuf b;
	struct trec_err err = { 0 };
	struct trec_schema *out;
	struct tarena a;
	tbuf_init(&b);
	assert_int_equal(trec_schema_encode(&b, in, 3), 0);

	/* Every truncation fails, on an exact-size copy. */
	for (size_t l = 0; l < b.len; l++) {
		uint8_t *c = malloc(l ? l : 1);
		memcpy(c, b.data, l);
		tarena_init(&a);
		memset(&err, 0, sizeof(err));
		assert_int_equal(trec_schema_decode(l ? c : NULL, l, 3, &a, &out, &err), -EBADMSG);
		assert_non_null(strstr(err.msg, "schema"));
		tarena_free(&a);
		free(c);
	}
	tarena_init(&a);
	assert_int_equal(trec_schema_decode(b.data, b.len, 2, &a, &out, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "trailing"));
	assert_int_equal(trec_schema_decode(b.data, b.len, 4, &a, &out, &err), -EBADMSG);
	tarena_free(&a);

	/* Random bit flips: a clean error, or schemas that validate. */
	uint8_t *m = malloc(b.len);
	for (int it = 0; it < 5000; it++) {
		memcpy(m, b.data, b.len);
		for (int f = 1 + (int)(rnd() % 3); f > 0; f--)
			m[rnd() % b.len] ^= (uint8_t)(1u << (rnd() % 8));
		tarena_init(&a);
		int rc = trec_schema_decode(m, b.len, 3, &a, &out, &err);
		assert_true(rc == 0 || rc == -EBADMSG);
		if (rc == 0)
			for (int i = 0; i < 3; i++)
				assert_int_equal(trec_schema_validate(&out[i], NULL), 0);
		assert_true(a.used <= 64 * b.len + 4096);
		tarena_free(&a);
	}
	free(m);

	/* Hostile counts. */
	tarena_init(&a);
	assert_int_equal(trec_schema_decode(b.data, b.len, UINT32_MAX, &a, &out, &err), -EBADMSG);
	assert_int_equal(a.used, 0);
	static const uint8_t many[] = { 1, 1, 'a', 0, 0, 0, 0xff, 0xff, 0x03, 0, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(trec_schema_decode(many, sizeof(many), 1, &a, &out, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "schema record 0: 65535 fields exceed 1024"));
	static const uint8_t fit[] = { 1, 1, 'a', 0, 0, 0, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(trec_schema_decode(fit, sizeof(fit), 1, &a, &out, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "1024 fields cannot fit"));
	/* Two fields that overlap: decoded, then refused by validation. */
	static const uint8_t overlap[] = { 1, 1, 'a', 0, 0, 4, 2, 1, 'x', 0, 2, 0, 0, 4, 1,
					   1, 'y', 0, 2, 0, 7 /* -4 */, 4, 1 };
	assert_int_equal(trec_schema_decode(overlap, sizeof(overlap), 1, &a, &out, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "schema record 0: "));
	assert_non_null(strstr(err.msg, "overlaps"));
	/* An offset delta that would go below 0. */
	static const uint8_t neg[] = { 1, 1, 'a', 0, 0, 4, 1, 1, 'x', 0, 2, 0, 1 /* -1 */, 4, 1 };
	assert_int_equal(trec_schema_decode(neg, sizeof(neg), 1, &a, &out, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "offset out of range"));
	tarena_free(&a);
	tbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_real),  cmocka_unit_test(test_validate_rejects),
		cmocka_unit_test(test_validate_many),  cmocka_unit_test(test_field_lookup),
		cmocka_unit_test(test_access_ints),    cmocka_unit_test(test_access_bounds),
		cmocka_unit_test(test_access_dynamic), cmocka_unit_test(test_layout),
		cmocka_unit_test(test_codec),          cmocka_unit_test(test_codec_abuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
