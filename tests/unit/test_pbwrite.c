/* SPDX-License-Identifier: MIT */
/*
 * lib/pbwrite: the wire bytes of each field kind, checked against the
 * encodings in the protobuf encoding guide, and nested messages whose
 * lengths need one, two and three bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pbwrite.h"

static void expect_bytes(const struct tbuf *b, const uint8_t *want, size_t n)
{
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
}

static void test_scalars(void **state)
{
	(void)state;
	struct tbuf b;
	struct pbw w;
	tbuf_init(&b);
	pbw_init(&w, &b);
	pbw_uint(&w, 1, 150); /* the guide's first example: 08 96 01 */
	pbw_sint(&w, 2, -2);  /* zigzag 3 */
	pbw_int(&w, 3, -1);   /* ten bytes */
	pbw_string(&w, 2, "testing");
	pbw_fixed64(&w, 4, 0x0102030405060708ull);
	pbw_fixed32(&w, 5, 0x01020304u);
	static const uint8_t want[] = {
		0x08, 0x96, 0x01, 0x10, 0x03, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
		0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g',
		0x21, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0x2d, 0x04, 0x03, 0x02, 0x01,
	};
	assert_int_equal(pbw_error(&w), 0);
	expect_bytes(&b, want, sizeof(want));
	tbuf_free(&b);
}

static void test_packed_and_nested(void **state)
{
	(void)state;
	struct tbuf b;
	struct pbw w;
	tbuf_init(&b);
	pbw_init(&w, &b);
	uint64_t v[] = { 3, 270, 86942 }; /* the guide's packed example: 22 06 03 8E 02 9E A7 05 */
	pbw_packed_uint(&w, 4, v, 3);
	pbw_packed_uint(&w, 5, v, 0); /* nothing */
	pbw_begin(&w, 3);             /* message { 1: 150 } -> 1a 03 08 96 01 */
	pbw_uint(&w, 1, 150);
	pbw_end(&w);
	static const uint8_t want[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05, 0x1a, 0x03, 0x08, 0x96, 0x01 };
	assert_int_equal(pbw_error(&w), 0);
	expect_bytes(&b, want, sizeof(want));
	tbuf_free(&b);
}

/* Bodies of 127, 128 and 20000 bytes, nested two deep: the lengths take
 * 1, 2 and 3 bytes and everything after them moves. */
static void test_long_lengths(void **state)
{
	(void)state;
	static const size_t sizes[] = { 127, 128, 20000 };
	for (size_t k = 0; k < 3; k++) {
		struct tbuf b;
		struct pbw w;
		tbuf_init(&b);
		pbw_init(&w, &b);
		static uint8_t body[20000];
		for (size_t i = 0; i < sizeof(body); i++)
			body[i] = (uint8_t)(i * 7);
		/* inner + field 1's tag (1 byte) + inner's length varint == size */
		size_t inner = sizes[k] - 2;
		uint8_t tmp[TREC_VARINT_MAX];
		while (inner + 1 + varint_put(tmp, inner) > sizes[k])
			inner--;
		pbw_begin(&w, 7);
		pbw_begin(&w, 8);
		pbw_bytes(&w, 1, body, inner);
		pbw_end(&w);
		pbw_end(&w);
		assert_int_equal(pbw_error(&w), 0);
		/* decode by hand: 7 LEN { 8 LEN { 1 LEN body } } */
		struct tcur c;
		tcur_init(&c, b.data, b.len);
		assert_int_equal(tcur_uvarint(&c), 7 << 3 | 2);
		uint64_t outer = tcur_uvarint(&c);
		assert_int_equal(outer, tcur_left(&c));
		assert_int_equal(tcur_uvarint(&c), 8 << 3 | 2);
		uint64_t mid = tcur_uvarint(&c);
		assert_int_equal(mid, tcur_left(&c));
		assert_int_equal(mid, sizes[k]);
		assert_int_equal(tcur_uvarint(&c), 1 << 3 | 2);
		assert_int_equal(tcur_uvarint(&c), inner);
		const uint8_t *p = tcur_take(&c, inner);
		assert_non_null(p);
		assert_memory_equal(p, body, inner);
		assert_int_equal(tcur_left(&c), 0);
		tbuf_free(&b);
	}
}

static void test_errors(void **state)
{
	(void)state;
	struct tbuf b;
	struct pbw w;
	tbuf_init(&b);
	pbw_init(&w, &b);
	pbw_end(&w);
	assert_int_equal(pbw_error(&w), -EINVAL);
	pbw_init(&w, &b);
	pbw_uint(&w, 0, 1); /* field 0 does not exist */
	assert_int_equal(pbw_error(&w), -EINVAL);
	pbw_init(&w, &b);
	for (int i = 0; i < PBW_MAX_DEPTH + 2; i++)
		pbw_begin(&w, 1);
	for (int i = 0; i < PBW_MAX_DEPTH + 2; i++)
		pbw_end(&w);
	assert_int_equal(pbw_error(&w), -E2BIG);
	assert_int_equal(w.depth, 0);
	tbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_packed_and_nested),
		cmocka_unit_test(test_long_lengths),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
