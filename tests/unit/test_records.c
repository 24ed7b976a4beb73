/* SPDX-License-Identifier: MIT */
/*
 * Record codecs of the small block kinds (format/rec_*.c): round trips with
 * edge values, and decoders fed truncated, bit-flipped and hostile input.
 * Each decoder runs on a malloc'ed copy of exactly the bytes it is given,
 * so the sanitizer build catches any read outside them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "records.h"
#include "trec_format.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, ch, n);
	s[n] = 0;
	return s;
}

/* One decoder behind a common signature, for the abuse tests. */
typedef int (*decode_fn)(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err);

static int dec_meta(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_meta_kv *o;
	return trec_meta_decode(p, len, count, a, &o, err);
}
static int dec_stack(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_stack *o;
	return trec_stack_decode(p, len, count, a, &o, err);
}
static int dec_task(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_task *o;
	return trec_task_decode(p, len, count, a, &o, err);
}
static int dec_taskctx(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_task_ctx *o;
	return trec_task_ctx_decode(p, len, count, a, &o, err);
}
static int dec_map(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_map *o;
	return trec_map_decode(p, len, count, a, &o, err);
}
static int dec_syms(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_dso_syms *o;
	return trec_dso_syms_decode(p, len, count, a, &o, err);
}
static int dec_symext(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_dso_symext *o;
	return trec_dso_symext_decode(p, len, count, a, &o, err);
}
static int dec_ksym(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_ksym *o;
	return trec_ksym_decode(p, len, count, a, &o, err);
}
static int dec_loss(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_loss *o;
	return trec_loss_decode(p, len, count, a, &o, err);
}
static int dec_index(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_err *err)
{
	struct trec_index o;
	return trec_index_decode(p, len, count, a, &o, err);
}

/* Decodes an exact-size heap copy of p[0..len). */
static int decode_copy(decode_fn fn, const uint8_t *p, size_t len, uint32_t count, struct tarena *a,
		       struct trec_err *err)
{
	uint8_t *b = malloc(len ? len : 1);
	assert_non_null(b);
	if (len)
		memcpy(b, p, len);
	int rc = fn(len ? b : NULL, len, count, a, err);
	free(b);
	return rc;
}

/*
 * Abuse a valid payload: every truncation, a wrong count either way, a
 * trailing byte and a hostile count must fail with -EBADMSG and a message;
 * random bit flips must fail cleanly or decode, never crash, and never make
 * the decoder allocate far more than the payload justifies.
 */
static void abuse(decode_fn fn, const struct tbuf *b, uint32_t count, const char *kind)
{
	struct tarena a;
	struct trec_err err = { 0 };

	tarena_init(&a);
	assert_int_equal(decode_copy(fn, b->data, b->len, count, &a, &err), 0);
	tarena_free(&a);

	for (size_t l = 0; l < b->len; l++) {
		memset(&err, 0, sizeof(err));
		tarena_init(&a);
		int rc = decode_copy(fn, b->data, l, count, &a, &err);
		if (rc != -EBADMSG)
			fail_msg("%s: truncation to %zu of %zu bytes gave %d", kind, l, b->len, rc);
		assert_non_null(strstr(err.msg, kind));
		tarena_free(&a);
	}

	tarena_init(&a);
	assert_int_equal(decode_copy(fn, b->data, b->len, count + 1, &a, &err), -EBADMSG);
	tarena_free(&a);
	if (count) {
		tarena_init(&a);
		assert_int_equal(decode_copy(fn, b->data, b->len, count - 1, &a, &err), -EBADMSG);
		tarena_free(&a);
	}

	uint8_t *big = malloc(b->len + 1);
	assert_non_null(big);
	memcpy(big, b->data, b->len);
	big[b->len] = 0;
	tarena_init(&a);
	assert_int_equal(decode_copy(fn, big, b->len + 1, count, &a, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "trailing"));
	tarena_free(&a);
	free(big);

	/* A count no payload of this size could hold: rejected before any
	 * allocation. */
	tarena_init(&a);
	assert_int_equal(decode_copy(fn, b->data, b->len, UINT32_MAX, &a, &err), -EBADMSG);
	assert_int_equal(a.used, 0);
	tarena_free(&a);

	uint8_t *m = malloc(b->len ? b->len : 1);
	assert_non_null(m);
	for (int it = 0; it < 3000 && b->len; it++) {
		memcpy(m, b->data, b->len);
		int flips = 1 + (int)(rnd() % 4);
		for (int f = 0; f < flips; f++)
			m[rnd() % b->len] ^= (uint8_t)(1u << (rnd() % 8));
		tarena_init(&a);
		int rc = decode_copy(fn, m, b->len, count, &a, &err);
		assert_true(rc == 0 || rc == -EBADMSG);
		/* Linear in the payload: structs and strings, nothing quadratic. */
		assert_true(a.used <= 256 * b->len + 4096);
		tarena_free(&a);
	}
	free(m);
}

/* ---- kind names --------------------------------------------------------- */

static void test_kind_names(void **state)
{
	(void)state;
	static const char *const want[] = { "unknown", "meta", "schema", "events", "stacks", "tasks",
					    "maps",    "syms", "ksyms",  "loss",   "index",  "symext", "taskctx" };
	assert_int_equal(TREC_BLK_KIND_MAX + 1, sizeof(want) / sizeof(want[0]));
	for (unsigned k = 0; k <= TREC_BLK_KIND_MAX; k++)
		assert_string_equal(trec_block_kind_name(k), want[k]);
	assert_string_equal(trec_block_kind_name(13), "unknown");
	assert_string_equal(trec_block_kind_name(~0u), "unknown");
}

/* ---- meta ----------------------------------------------------------------- */

static void test_meta(void **state)
{
	(void)state;
	char *longkey = repeat('k', TREC_MAX_NAME);
	char *longval = repeat('v', TREC_MAX_NAME);
	static const char bytes[] = { 0, 1, 2, 0, (char)0xff };
	struct trec_meta_kv kv[] = {
		{ .key = "u0", .type = TREC_META_U64, .v.u64 = 0 },
		{ .key = "umax", .type = TREC_META_U64, .v.u64 = UINT64_MAX },
		{ .key = "imin", .type = TREC_META_I64, .v.i64 = INT64_MIN },
		{ .key = "imax", .type = TREC_META_I64, .v.i64 = INT64_MAX },
		{ .key = "ineg", .type = TREC_META_I64, .v.i64 = -1 },
		{ .key = "f", .type = TREC_META_F64, .v.f64 = -0.0 },
		{ .key = "fnan", .type = TREC_META_F64, .v.f64 = NAN },
		{ .key = "finf", .type = TREC_META_F64, .v.f64 = -INFINITY },
		{ .key = "", .type = TREC_META_STR, .v.str = { "", 0 } },
		{ .key = "host.name", .type = TREC_META_STR, .v.str = { "box", 0 } }, /* len from strlen */
		{ .key = longkey, .type = TREC_META_STR, .v.str = { longval, TREC_MAX_NAME } },
		{ .key = "b", .type = TREC_META_BYTES, .v.str = { bytes, sizeof(bytes) } },
		{ .key = "b0", .type = TREC_META_BYTES, .v.str = { NULL, 0 } },
	};
	size_t n = sizeof(kv) / sizeof(kv[0]);
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_meta_kv *o;

	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_meta_encode(&b, kv, n), 0);
	assert_int_equal(trec_meta_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(o[i].key, kv[i].key);
		assert_int_equal(o[i].type, kv[i].type);
		switch (kv[i].type) {
		case TREC_META_U64:
		case TREC_META_I64:
		case TREC_META_F64:
			assert_memory_equal(&o[i].v.u64, &kv[i].v.u64, 8); /* bit-exact, NaN and -0.0 too */
			break;
		default: {
			uint32_t l = kv[i].v.str.len;
			if (kv[i].type == TREC_META_STR && !l)
				l = (uint32_t)strlen(kv[i].v.str.ptr);
			assert_int_equal(o[i].v.str.len, l);
			if (l)
				assert_memory_equal(o[i].v.str.ptr, kv[i].v.str.ptr, l);
			assert_int_equal(o[i].v.str.ptr[l], 0); /* NUL-terminated */
		}
		}
	}
	assert_true(signbit(o[5].v.f64));
	assert_true(isnan(o[6].v.f64));
	abuse(dec_meta, &b, (uint32_t)n, "meta");

	/* Encoder limits. */
	char *toolong = repeat('x', TREC_MAX_NAME + 1);
	struct trec_meta_kv bad[] = {
		{ .key = "s", .type = TREC_META_STR, .v.str = { toolong, 0 } },
		{ .key = "s", .type = TREC_META_STR, .v.str = { "a\0b", 3 } },
		{ .key = toolong, .type = TREC_META_U64 },
		{ .key = "t", .type = 9 },
		{ .key = "t", .type = TREC_META_BYTES, .v.str = { NULL, 3 } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tbuf_reset(&b);
		assert_int_equal(trec_meta_encode(&b, &bad[i], 1), -EINVAL);
	}

	/* Decoder: NUL inside a string value, unknown type. */
	static const uint8_t nul_str[] = { 1, 'k', TREC_META_STR, 3, 'a', 0, 'b' };
	assert_int_equal(trec_meta_decode(nul_str, sizeof(nul_str), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "NUL"));
	static const uint8_t bad_type[] = { 1, 'k', 7, 0 };
	assert_int_equal(trec_meta_decode(bad_type, sizeof(bad_type), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "meta record 0"));
	static const uint8_t long_key[] = { 0x81, 0x40, 'k' }; /* key of 8193 bytes */
	assert_int_equal(trec_meta_decode(long_key, sizeof(long_key), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "key of 8193 bytes exceeds 4096"));

	/* Empty block. */
	assert_int_equal(trec_meta_decode(NULL, 0, 0, &a, &o, &err), 0);
	assert_null(o);

	free(toolong);
	free(longkey);
	free(longval);
	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- stacks --------------------------------------------------------------- */

static void test_stacks(void **state)
{
	(void)state;
	uint64_t deep[TREC_MAX_STACK_DEPTH];
	for (int k = 0; k < TREC_MAX_STACK_DEPTH; k++)
		deep[k] = k % 3 == 0 ? 0 : k % 3 == 1 ? UINT64_MAX : rnd();
	static const uint64_t mixed[] = { 0xffffffff81000010ull, 0xffffffff81002340ull, 0xffffffffc0123456ull,
					  0x7f0011223344ull,     0x7f0011220000ull,     0x401000ull };
	struct trec_stack s[] = {
		{ .id = 1, .nkernel = 0, .nuser = 0, .ips = NULL },
		{ .id = 2, .nkernel = 3, .nuser = 3, .ips = mixed },
		{ .id = 3, .nkernel = 3, .nuser = 0, .ips = mixed },
		{ .id = 4, .nkernel = 0, .nuser = 3, .ips = mixed + 3 },
		{ .id = UINT32_MAX, .nkernel = 24, .nuser = TREC_MAX_STACK_DEPTH - 24, .ips = deep },
		{ .id = 7, .nkernel = 1, .nuser = 0, .ips = deep + 1 },
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_stack *o;

	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_stack_encode(&b, s, n), 0);
	assert_int_equal(trec_stack_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(o[i].id, s[i].id);
		assert_int_equal(o[i].nkernel, s[i].nkernel);
		assert_int_equal(o[i].nuser, s[i].nuser);
		if (s[i].nkernel + s[i].nuser)
			assert_memory_equal(o[i].ips, s[i].ips, (s[i].nkernel + s[i].nuser) * sizeof(uint64_t));
	}
	abuse(dec_stack, &b, (uint32_t)n, "stacks");

	/* Frames of one DSO cost two bytes each after the first. */
	static const uint64_t dso[] = { 0x7f0011223344ull, 0x7f0011222010ull, 0x7f0011223000ull, 0x7f0011222400ull,
					0x7f0011223100ull, 0x7f0011222800ull, 0x7f0011223111ull, 0x7f0011222222ull };
	struct trec_stack us = { .id = 1, .nuser = 8, .ips = dso };
	tbuf_reset(&b);
	assert_int_equal(trec_stack_encode(&b, &us, 1), 0);
	assert_true(b.len <= 3 + 7 + 7 * 2);

	struct trec_stack too_deep = { .id = 1, .nkernel = 1000, .nuser = 25, .ips = deep };
	struct trec_stack id0 = { .id = 0 };
	assert_int_equal(trec_stack_encode(&b, &too_deep, 1), -EINVAL);
	assert_int_equal(trec_stack_encode(&b, &id0, 1), -EINVAL);

	/* Hostile: 2000 kernel frames; id 0. */
	static const uint8_t hostile[] = { 2, 0xd0, 0x0f, 0, 1, 2, 3 };
	assert_int_equal(trec_stack_decode(hostile, sizeof(hostile), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "stacks record 0 (id 1): 2000 kernel + 0 user frames exceeds 1024"));
	static const uint8_t zero_id[] = { 0, 0, 0 };
	assert_int_equal(trec_stack_decode(zero_id, sizeof(zero_id), 1, &a, &o, &err), -EBADMSG);
	/* Depth within limits but more frames than bytes left. */
	static const uint8_t short_frames[] = { 2, 0x80, 0x08, 0, 1, 2 };
	size_t before = a.used;
	assert_int_equal(trec_stack_decode(short_frames, sizeof(short_frames), 1, &a, &o, &err), -EBADMSG);
	assert_true(a.used - before < 64);

	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- tasks ---------------------------------------------------------------- */

static void test_tasks(void **state)
{
	(void)state;
	char *path = repeat('/', TREC_MAX_NAME);
	struct trec_task t[] = {
		{ .ts = 0, .kind = TREC_TASK_SNAPSHOT, .pid = 1, .tid = 1, .ppid = 0, .comm = "systemd",
		  .filename = "/usr/lib/systemd/systemd" },
		{ .ts = 1000, .kind = TREC_TASK_FORK, .pid = 4242, .tid = 4243, .ppid = 4242, .ptid = 4242,
		  .comm = "123456789012345" },
		{ .ts = 999, .kind = TREC_TASK_COMM, .pid = UINT32_MAX, .tid = 0, .comm = "" }, /* ts goes back */
		{ .ts = UINT64_MAX, .kind = TREC_TASK_EXEC, .pid = 0, .tid = UINT32_MAX, .comm = NULL,
		  .filename = path },
		{ .ts = 0, .kind = TREC_TASK_EXIT, .pid = 7, .tid = 7, .exit_code = INT32_MIN, .ppid = UINT32_MAX,
		  .ptid = 0 },
		{ .ts = 5, .kind = TREC_TASK_EXIT, .pid = 7, .tid = 8, .exit_code = INT32_MAX, .ppid = 0,
		  .ptid = UINT32_MAX },
	};
	size_t n = sizeof(t) / sizeof(t[0]);
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_task *o;

	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_task_encode(&b, t, n), 0);
	assert_int_equal(trec_task_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(o[i].ts == t[i].ts);
		assert_int_equal(o[i].kind, t[i].kind);
		assert_int_equal(o[i].pid, t[i].pid);
		assert_int_equal(o[i].tid, t[i].tid);
		assert_int_equal(o[i].ppid, t[i].ppid);
		assert_int_equal(o[i].ptid, t[i].ptid);
		assert_int_equal(o[i].exit_code, t[i].exit_code);
		assert_string_equal(o[i].comm, t[i].comm ? t[i].comm : "");
		assert_string_equal(o[i].filename, t[i].filename ? t[i].filename : "");
	}
	abuse(dec_task, &b, (uint32_t)n, "tasks");

	/* A COMM record is a handful of bytes plus its string. */
	tbuf_reset(&b);
	struct trec_task c = { .ts = 10, .kind = TREC_TASK_COMM, .pid = 300, .tid = 300, .comm = "bash" };
	assert_int_equal(trec_task_encode(&b, &c, 1), 0);
	assert_true(b.len <= 12);

	struct trec_task bad_comm = { .kind = TREC_TASK_COMM, .comm = "1234567890123456" };
	struct trec_task bad_kind = { .kind = 6 };
	assert_int_equal(trec_task_encode(&b, &bad_comm, 1), -EINVAL);
	assert_int_equal(trec_task_encode(&b, &bad_kind, 1), -EINVAL);

	/* Hostile: a 300-byte comm. */
	uint8_t h[320] = { 0, TREC_TASK_COMM, 1, 0, 0x08, 0xac, 0x02 };
	assert_int_equal(trec_task_decode(h, sizeof(h), 1, &a, &o, &err), -EBADMSG);
	assert_string_equal(err.msg, "tasks record 0: comm of 300 bytes exceeds 15");
	/* Unknown kind, unknown field bit, tid past u32. */
	static const uint8_t k9[] = { 0, 9, 1, 0, 0 };
	assert_int_equal(trec_task_decode(k9, sizeof(k9), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "unknown kind 9"));
	static const uint8_t bit[] = { 0, 1, 1, 0, 0x40 };
	assert_int_equal(trec_task_decode(bit, sizeof(bit), 1, &a, &o, &err), -EBADMSG);
	static const uint8_t tid[] = { 0, 1, 0, 1, 0 }; /* tid = 0 + (-1) */
	assert_int_equal(trec_task_decode(tid, sizeof(tid), 1, &a, &o, &err), -EBADMSG);

	free(path);
	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- maps ----------------------------------------------------------------- */

static void test_taskctx(void **state)
{
	(void)state;
	char *path = repeat('x', TREC_MAX_NAME);
	path[0] = '/';
	struct trec_task_ctx t[] = {
		{ .ts = 5, .kind = TREC_TCTX_CGROUP, .cgroup_id = 1, .path = "/" },
		{ .ts = 5, .kind = TREC_TCTX_CGROUP, .cgroup_id = UINT64_MAX, .path = path },
		{ .ts = 7, .kind = TREC_TCTX_TASK, .pid = 4242, .tid = 4243, .cgroup_id = UINT64_MAX, .nspid = 1, .nstid = 2 },
		{ .ts = 1, .kind = TREC_TCTX_TASK, .pid = UINT32_MAX, .tid = 0, .nspid = 0, .nstid = UINT32_MAX },
		{ .ts = UINT64_MAX, .kind = TREC_TCTX_TASK, .pid = 0, .tid = UINT32_MAX, .nspid = UINT32_MAX },
	};
	size_t n = sizeof(t) / sizeof(t[0]);
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_task_ctx *o;
	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_task_ctx_encode(&b, t, n), 0);
	assert_int_equal(trec_task_ctx_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(o[i].ts == t[i].ts);
		assert_int_equal(o[i].kind, t[i].kind);
		assert_int_equal(o[i].pid, t[i].pid);
		assert_int_equal(o[i].tid, t[i].tid);
		assert_true(o[i].cgroup_id == t[i].cgroup_id);
		assert_int_equal(o[i].nspid, t[i].nspid);
		assert_int_equal(o[i].nstid, t[i].nstid);
		assert_string_equal(o[i].path, t[i].path ? t[i].path : "");
	}
	abuse(dec_taskctx, &b, (uint32_t)n, "taskctx");

	/* The encoder refuses what the decoder would. */
	struct trec_task_ctx bad[] = {
		{ .kind = TREC_TCTX_CGROUP, .cgroup_id = 0, .path = "/a" },
		{ .kind = TREC_TCTX_CGROUP, .cgroup_id = 3, .path = "a" },
		{ .kind = TREC_TCTX_CGROUP, .cgroup_id = 3, .path = NULL },
		{ .kind = 3 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(trec_task_ctx_encode(&b, &bad[i], 1), -EINVAL);

	/* Hostile: unknown kind, id 0, a relative path, a namespace tid past u32. */
	static const uint8_t k3[] = { 0, 3, 1, 0 };
	assert_int_equal(trec_task_ctx_decode(k3, sizeof(k3), 1, &a, &o, &err), -EBADMSG);
	assert_string_equal(err.msg, "taskctx record 0: unknown kind 3");
	static const uint8_t id0[] = { 0, 1, 0, 1, '/' };
	assert_int_equal(trec_task_ctx_decode(id0, sizeof(id0), 1, &a, &o, &err), -EBADMSG);
	assert_string_equal(err.msg, "taskctx record 0: cgroup id 0");
	static const uint8_t rel[] = { 0, 1, 9, 1, 'a' };
	assert_int_equal(trec_task_ctx_decode(rel, sizeof(rel), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "does not start with '/'"));
	static const uint8_t ns[] = { 0, 2, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 2 };
	assert_int_equal(trec_task_ctx_decode(ns, sizeof(ns), 1, &a, &o, &err), -EBADMSG);
	assert_string_equal(err.msg, "taskctx record 0: namespace tid out of range");
	tbuf_free(&b);
	tarena_free(&a);
	free(path);
}

static void test_maps(void **state)
{
	(void)state;
	char *longpath = repeat('p', TREC_MAX_NAME);
	struct trec_map m[6] = {
		{ .ts = 100, .pid = 10, .prot = 5, .flags = 2, .start = 0x400000, .len = 0x1000, .pgoff = 0,
		  .build_id_len = 20, .path = "/usr/bin/cat" },
		{ .ts = 100, .pid = 10, .prot = 1, .flags = 2, .start = 0x401000, .len = 0x2000, .pgoff = 0x1000,
		  .build_id_len = 20, .path = "/usr/bin/cat" },
		{ .ts = 50, .pid = UINT32_MAX, .prot = 3, .flags = 0x22, .start = 0, .len = UINT64_MAX,
		  .pgoff = UINT64_MAX, .build_id_len = 0, .path = "" },
		{ .ts = UINT64_MAX, .pid = 0, .prot = UINT32_MAX, .flags = UINT32_MAX, .start = UINT64_MAX,
		  .len = 0, .build_id_len = TREC_MAX_BUILD_ID, .path = longpath },
		{ .ts = 0, .pid = 0, .start = 1, .build_id_len = 0, .path = NULL },
		{ .ts = 1, .pid = 1, .start = 2, .build_id_len = 20, .path = "/usr/bin/cat" },
	};
	for (int k = 0; k < 20; k++)
		m[0].build_id[k] = m[1].build_id[k] = m[5].build_id[k] = (uint8_t)(k * 7 + 1);
	for (int k = 0; k < TREC_MAX_BUILD_ID; k++)
		m[3].build_id[k] = (uint8_t)(0xff - k);
	m[5].build_id[19] ^= 1; /* same path, different build-id */
	size_t n = 6;
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_map *o;

	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_map_encode(&b, m, n), 0);
	assert_int_equal(trec_map_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(o[i].ts == m[i].ts);
		assert_int_equal(o[i].pid, m[i].pid);
		assert_int_equal(o[i].prot, m[i].prot);
		assert_int_equal(o[i].flags, m[i].flags);
		assert_true(o[i].start == m[i].start);
		assert_true(o[i].len == m[i].len);
		assert_true(o[i].pgoff == m[i].pgoff);
		assert_int_equal(o[i].build_id_len, m[i].build_id_len);
		assert_memory_equal(o[i].build_id, m[i].build_id, m[i].build_id_len);
		assert_string_equal(o[i].path, m[i].path ? m[i].path : "");
	}
	abuse(dec_map, &b, (uint32_t)n, "maps");

	/* The second segment of a DSO repeats neither path nor build-id. */
	tbuf_reset(&b);
	assert_int_equal(trec_map_encode(&b, m, 1), 0);
	size_t one = b.len;
	tbuf_reset(&b);
	assert_int_equal(trec_map_encode(&b, m, 2), 0);
	assert_true(b.len - one <= 12);

	struct trec_map bad = { .build_id_len = TREC_MAX_BUILD_ID + 1 };
	assert_int_equal(trec_map_encode(&b, &bad, 1), -EINVAL);

	/* Hostile build-id length. */
	static const uint8_t h[] = { 0, 0, 0, 0, 0, 0, 0, 0, 65, 0 };
	assert_int_equal(trec_map_decode(h, sizeof(h), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "maps record 0: build-id of 65 bytes exceeds 64"));

	free(longpath);
	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- DSO symbols ---------------------------------------------------------- */

static int sym_cmp(const void *x, const void *y)
{
	const struct trec_sym *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return strcmp(a->name, b->name); /* the test's ties have names in input order */
}

static void test_syms(void **state)
{
	(void)state;
	char *longname = repeat('n', TREC_MAX_NAME);
	struct trec_sym s1[] = {
		{ .addr = 0x2000, .size = 10, .name = "b_second" },
		{ .addr = UINT64_MAX, .size = UINT64_MAX, .name = longname },
		{ .addr = 0x1000, .size = 0, .name = "a_first" },
		{ .addr = 0x2000, .size = 4, .name = "c_alias" }, /* same address, after b_second */
		{ .addr = 0, .size = 1, .name = "" },
	};
	struct trec_sym s2[] = { { .addr = 5, .size = 1, .name = "x" }, { .addr = 6, .size = 1, .name = "y" } };
	struct trec_dso_syms d[3] = {
		{ .build_id_len = TREC_MAX_BUILD_ID, .path = "/usr/lib/libc.so.6", .load_bias = UINT64_MAX,
		  .nsyms = 5, .syms = s1 },
		{ .build_id_len = 0, .path = "", .load_bias = 0, .nsyms = 0, .syms = NULL },
		{ .build_id_len = 1, .path = longname, .nsyms = 2, .syms = s2 },
	};
	for (int k = 0; k < TREC_MAX_BUILD_ID; k++)
		d[0].build_id[k] = (uint8_t)k;
	d[2].build_id[0] = 0xab;
	struct trec_sym sorted1[5];
	memcpy(sorted1, s1, sizeof(s1));
	qsort(sorted1, 5, sizeof(sorted1[0]), sym_cmp);

	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_dso_syms *o;
	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_dso_syms_encode(&b, d, 3), 0);
	assert_int_equal(trec_dso_syms_decode(b.data, b.len, 3, &a, &o, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o[i].build_id_len, d[i].build_id_len);
		assert_memory_equal(o[i].build_id, d[i].build_id, d[i].build_id_len);
		assert_string_equal(o[i].path, d[i].path);
		assert_true(o[i].load_bias == d[i].load_bias);
		assert_int_equal(o[i].nsyms, d[i].nsyms);
	}
	for (int k = 0; k < 5; k++) {
		assert_true(o[0].syms[k].addr == sorted1[k].addr);
		assert_true(o[0].syms[k].size == sorted1[k].size);
		assert_string_equal(o[0].syms[k].name, sorted1[k].name);
	}
	for (int k = 0; k < 2; k++)
		assert_string_equal(o[2].syms[k].name, s2[k].name);
	/* The encoder sorted a copy, not the caller's array. */
	assert_string_equal(s1[0].name, "b_second");
	abuse(dec_syms, &b, 3, "syms");

	char *toolong = repeat('x', TREC_MAX_NAME + 1);
	struct trec_sym bs = { .name = toolong };
	struct trec_dso_syms bad = { .nsyms = 1, .syms = &bs };
	assert_int_equal(trec_dso_syms_encode(&b, &bad, 1), -EINVAL);
	bad = (struct trec_dso_syms){ .build_id_len = TREC_MAX_BUILD_ID + 1 };
	assert_int_equal(trec_dso_syms_encode(&b, &bad, 1), -EINVAL);

	/* Hostile symbol count. */
	static const uint8_t h[] = { 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0 };
	size_t before = a.used;
	assert_int_equal(trec_dso_syms_decode(h, sizeof(h), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "syms record 0"));
	assert_true(a.used - before < 256); /* the record itself, not 2^32 symbols */
	/* Addresses that wrap past 2^64 would break the sort order. */
	static const uint8_t wrap[] = { 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
					0, 0, 2, 0, 0 };
	assert_int_equal(trec_dso_syms_decode(wrap, sizeof(wrap), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "overflows"));

	free(toolong);
	free(longname);
	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- DSO symbol extensions (SYMEXT) --------------------------------------------- */

/* Encodes d[0..n) as a SYMS and a SYMEXT payload, decodes both and pairs
 * them, as a reader does; the tables are in a. */
static struct trec_dso_syms *store_and_read(const struct trec_dso_syms *d, size_t n, struct tarena *a,
					    size_t *unmatched)
{
	struct tbuf syms, ext;
	struct trec_err err = { 0 };
	struct trec_dso_syms *o;
	struct trec_dso_symext *x;
	tbuf_init(&syms);
	tbuf_init(&ext);
	assert_int_equal(trec_dso_syms_encode(&syms, d, n), 0);
	assert_int_equal(trec_dso_symext_encode(&ext, d, n), 0);
	assert_int_equal(trec_dso_syms_decode(syms.data, syms.len, (uint32_t)n, a, &o, &err), 0);
	assert_int_equal(trec_dso_symext_decode(ext.data, ext.len, (uint32_t)n, a, &x, &err), 0);
	assert_int_equal(trec_dso_syms_extend(o, n, x, n, a, unmatched, &err), 0);
	tbuf_free(&syms);
	tbuf_free(&ext);
	return o;
}

static void test_symext_roundtrip(void **state)
{
	(void)state;
	char *longdm = repeat('d', TREC_MAX_NAME);
	/* Out of order, an alias, FDE entries between, before and after the
	 * named ones, and one at a named symbol's address. */
	struct trec_sym s[] = {
		{ .addr = 0x3000, .size = 0x10, .name = "_ZN3app4workEv", .demangled = "app::work" },
		{ .addr = 0x2800, .size = 0x40, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x1000, .size = 0x20, .name = "main" },
		{ .addr = 0x3000, .size = 0x10, .name = "_ZN3app5aliasEv", .demangled = longdm },
		{ .addr = 0x100, .size = 1, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x1000, .size = 0x30, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = UINT64_MAX, .size = 1, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x4000, .size = 8, .name = "_RNvCs1_3foo3bar", .demangled = "foo::bar" },
	};
	struct trec_dso_syms d = { .build_id_len = 3, .build_id = { 1, 2, 3 }, .path = "/usr/bin/app",
				   .load_bias = 0x1000, .nsyms = 8, .syms = s };
	/* what the reader must give back: by address, the named symbol first */
	struct trec_sym want[] = {
		{ .addr = 0x100, .size = 1, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x1000, .size = 0x20, .name = "main" },
		{ .addr = 0x1000, .size = 0x30, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x2800, .size = 0x40, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x3000, .size = 0x10, .name = "_ZN3app4workEv", .demangled = "app::work" },
		{ .addr = 0x3000, .size = 0x10, .name = "_ZN3app5aliasEv", .demangled = longdm },
		{ .addr = 0x4000, .size = 8, .name = "_RNvCs1_3foo3bar", .demangled = "foo::bar" },
		{ .addr = UINT64_MAX, .size = 1, .name = "", .flags = TREC_SYM_FDE },
	};
	struct tarena a;
	size_t unmatched = 99;
	tarena_init(&a);
	struct trec_dso_syms *o = store_and_read(&d, 1, &a, &unmatched);
	assert_int_equal(unmatched, 0);
	assert_int_equal(o->nsyms, 8);
	assert_true(o->load_bias == 0x1000);
	for (uint32_t k = 0; k < 8; k++) {
		assert_true(o->syms[k].addr == want[k].addr);
		assert_true(o->syms[k].size == want[k].size);
		assert_string_equal(o->syms[k].name, want[k].name);
		assert_int_equal(o->syms[k].flags, want[k].flags);
		if (want[k].demangled)
			assert_string_equal(o->syms[k].demangled, want[k].demangled);
		else
			assert_null(o->syms[k].demangled);
	}

	/* SYMS alone is what a 1.0 reader sees: the named symbols, raw names,
	 * byte for byte what a table without extensions encodes to. */
	struct trec_sym named[] = { s[0], s[2], s[3], s[7] };
	for (int k = 0; k < 4; k++)
		named[k].demangled = NULL;
	struct trec_dso_syms plain = d;
	plain.syms = named;
	plain.nsyms = 4;
	struct tbuf b1, b2;
	tbuf_init(&b1);
	tbuf_init(&b2);
	assert_int_equal(trec_dso_syms_encode(&b1, &d, 1), 0);
	assert_int_equal(trec_dso_syms_encode(&b2, &plain, 1), 0);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	/* A table without extensions pairs with nothing and stays as it was. */
	o = store_and_read(&plain, 1, &a, &unmatched);
	assert_int_equal(unmatched, 0);
	assert_int_equal(o->nsyms, 4);
	assert_null(o->syms[1].demangled);

	tbuf_reset(&b1);
	assert_int_equal(trec_dso_symext_encode(&b1, &d, 1), 0);
	abuse(dec_symext, &b1, 1, "symext");

	tbuf_free(&b1);
	tbuf_free(&b2);
	tarena_free(&a);
	free(longdm);
}

/* The exact bytes of one record (docs/format-records.md, kind 11). */
static void test_symext_bytes(void **state)
{
	(void)state;
	struct trec_sym s[] = {
		{ .addr = 0x10, .size = 4, .name = "_Z1fv", .demangled = "f" },
		{ .addr = 0x14, .size = 2, .name = "g" },
		{ .addr = 0x20, .size = 8, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x30, .size = 3, .name = "", .flags = TREC_SYM_FDE },
	};
	struct trec_dso_syms d = { .build_id_len = 1, .build_id = { 0xab }, .path = "/x", .nsyms = 4, .syms = s };
	/* digest: CRC-32C of addr, size (u64le), name, 0 per named symbol */
	static const uint8_t named[] = { 0x10, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, '_', 'Z', '1', 'f', 'v', 0,
					 0x14, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 'g', 0 };
	uint32_t crc = crc32c(0, named, sizeof(named));
	const uint8_t want[] = {
		1, 0xab, 2, '/', 'x',    /* build-id, path */
		2,                       /* nsyms */
		(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24),
		1, 0, 1, 'f',            /* one name: symbol 0, "f" */
		2, 0x20, 8, 0x10, 3,     /* two functions: 0x20 +8, 0x30 +3 */
	};
	struct tbuf b;
	tbuf_init(&b);
	assert_int_equal(trec_dso_symext_encode(&b, &d, 1), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(trec_dso_syms_digest(&d, (const uint32_t[]){ 0, 1 }, 2), crc);
	tbuf_free(&b);
}

/* An extension names only the table it was written for. */
static void test_symext_pairing(void **state)
{
	(void)state;
	struct trec_sym one[] = { { .addr = 0x10, .size = 4, .name = "_Z1av", .demangled = "a" } };
	struct trec_sym two[] = { { .addr = 0x10, .size = 4, .name = "_Z1bv", .demangled = "b" } };
	/* same path, no build-id, same symbol count: two builds of one file */
	struct trec_dso_syms d[2] = {
		{ .path = "/opt/x", .nsyms = 1, .syms = one },
		{ .path = "/opt/x", .nsyms = 1, .syms = two },
	};
	struct tbuf syms, ext1;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_dso_syms *o;
	struct trec_dso_symext *x;
	size_t unmatched;
	tbuf_init(&syms);
	tbuf_init(&ext1);
	tarena_init(&a);

	/* both extensions, in the other order: each finds its own table */
	struct trec_dso_syms rev[2] = { d[1], d[0] };
	assert_int_equal(trec_dso_syms_encode(&syms, d, 2), 0);
	assert_int_equal(trec_dso_symext_encode(&ext1, rev, 2), 0);
	assert_int_equal(trec_dso_syms_decode(syms.data, syms.len, 2, &a, &o, &err), 0);
	assert_int_equal(trec_dso_symext_decode(ext1.data, ext1.len, 2, &a, &x, &err), 0);
	assert_int_equal(trec_dso_syms_extend(o, 2, x, 2, &a, &unmatched, &err), 0);
	assert_int_equal(unmatched, 0);
	assert_string_equal(o[0].syms[0].demangled, "a");
	assert_string_equal(o[1].syms[0].demangled, "b");

	/* the second table's extension against the first table alone: its
	 * digest differs, so it names nothing */
	tbuf_reset(&ext1);
	assert_int_equal(trec_dso_symext_encode(&ext1, &d[1], 1), 0);
	assert_int_equal(trec_dso_syms_decode(syms.data, syms.len, 2, &a, &o, &err), 0);
	assert_int_equal(trec_dso_symext_decode(ext1.data, ext1.len, 1, &a, &x, &err), 0);
	assert_int_equal(trec_dso_syms_extend(o, 1, x, 1, &a, &unmatched, &err), 0);
	assert_int_equal(unmatched, 1);
	assert_null(o[0].syms[0].demangled);
	/* nor does one whose path or build-id differs */
	struct trec_dso_symext moved = x[0];
	moved.path = "/opt/y";
	assert_int_equal(trec_dso_syms_extend(o, 2, &moved, 1, &a, &unmatched, &err), 0);
	assert_int_equal(unmatched, 1);
	moved = x[0];
	moved.build_id_len = 1;
	assert_int_equal(trec_dso_syms_extend(o, 2, &moved, 1, &a, &unmatched, &err), 0);
	assert_int_equal(unmatched, 1);
	/* a second copy of an extension finds its table already extended */
	struct trec_dso_symext twice[2] = { x[0], x[0] };
	assert_int_equal(trec_dso_syms_extend(o, 2, twice, 2, &a, &unmatched, &err), 0);
	assert_int_equal(unmatched, 1);
	assert_string_equal(o[1].syms[0].demangled, "b");
	assert_null(o[0].syms[0].demangled);

	tbuf_free(&syms);
	tbuf_free(&ext1);
	tarena_free(&a);
}

static void test_symext_bad(void **state)
{
	(void)state;
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_dso_symext *o;
	tbuf_init(&b);
	tarena_init(&a);

	/* the encoder refuses what a reader would reject */
	char *toolong = repeat('x', TREC_MAX_NAME + 1);
	struct trec_sym bad[] = {
		{ .addr = 1, .size = 0, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = UINT64_MAX, .size = 2, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 1, .size = 1, .name = "_Z1fv", .demangled = toolong },
	};
	for (int k = 0; k < 3; k++) {
		struct trec_dso_syms d = { .path = "/x", .nsyms = 1, .syms = &bad[k] };
		assert_int_equal(trec_dso_symext_encode(&b, &d, 1), -EINVAL);
	}
	assert_int_equal(b.len, 0);

	struct {
		const char *what;
		uint8_t bytes[24];
		size_t len;
		const char *msg;
	} cases[] = {
		{ "more names than symbols", { 0, 0, 1, 0, 0, 0, 0, 2, 0, 1, 'a', 0, 1, 'b', 0 }, 15,
		  "2 names for 1 symbols" },
		{ "index past the symbols", { 0, 0, 2, 0, 0, 0, 0, 1, 2, 1, 'a', 0 }, 12, "symbol index past" },
		{ "second index past", { 0, 0, 2, 0, 0, 0, 0, 2, 1, 1, 'a', 0, 1, 'b', 0 }, 15, "symbol index past" },
		{ "empty name", { 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0 }, 11, "empty demangled name" },
		{ "name too long", { 0, 0, 1, 0, 0, 0, 0, 1, 0, 0x81, 0x20 }, 11, "exceeds 4096" },
		{ "function of size 0", { 0, 0, 0, 0, 0, 0, 0, 0, 1, 5, 0 }, 11, "size 0 is 0 or runs past" },
		{ "function past 2^64",
		  { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2 }, 20,
		  "runs past 2^64" },
		{ "functions out of order", { 0, 0, 0, 0, 0, 0, 0, 0, 2, 5, 1, 0, 1 }, 13, "not above the previous" },
		{ "function address overflows",
		  { 0, 0, 0, 0, 0, 0, 0, 0, 2, 5, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1 },
		  22, "address overflows" },
		{ "function count", { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f }, 13, "cannot fit" },
		{ "symbol count", { 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0, 0, 0, 0 }, 13, "exceeds 2^32 - 1" },
		{ "build-id", { 65, 0, 0, 0, 0, 0, 0, 0, 0 }, 9, "build-id of 65 bytes exceeds 64" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t before = a.used;
		memset(&err, 0, sizeof(err));
		int rc = decode_copy(dec_symext, cases[i].bytes, cases[i].len, 1, &a, &err);
		if (rc != -EBADMSG || !strstr(err.msg, cases[i].msg) || !strstr(err.msg, "symext record 0"))
			fail_msg("%s: rc %d, message '%s'", cases[i].what, rc, err.msg);
		assert_true(a.used - before < 512); /* nothing sized by a hostile count */
	}
	/* and the good form of the last cases decodes */
	static const uint8_t good[] = { 0, 0, 2, 0, 0, 0, 0, 1, 1, 1, 'b', 2, 5, 1, 1, 2 };
	assert_int_equal(trec_dso_symext_decode(good, sizeof(good), 1, &a, &o, &err), 0);
	assert_int_equal(o[0].nnames, 1);
	assert_int_equal(o[0].names[0].index, 1);
	assert_int_equal(o[0].nfuncs, 2);
	assert_true(o[0].funcs[1].addr == 6 && o[0].funcs[1].size == 2);

	free(toolong);
	tbuf_free(&b);
	tarena_free(&a);
}

/* ---- kernel symbols ------------------------------------------------------- */

static void test_ksyms(void **state)
{
	(void)state;
	char *longname = repeat('K', TREC_MAX_NAME);
	struct trec_ksym k[] = {
		{ .addr = 0xffffffffc0002000ull, .type = 't', .name = "ext4_b", .module = "ext4" },
		{ .addr = 0xffffffff81000000ull, .type = 'T', .name = "_stext", .module = "" },
		{ .addr = 0xffffffffc0001000ull, .type = 't', .name = "ext4_a", .module = "ext4" },
		{ .addr = 0xffffffffc0003000ull, .type = (char)0xfe, .name = longname, .module = longname },
		{ .addr = 0, .type = 'A', .name = "", .module = NULL },
		{ .addr = UINT64_MAX, .type = 0, .name = "last", .module = "" },
		{ .addr = 0xffffffff81000000ull, .type = 'T', .name = "alias", .module = "" },
	};
	size_t n = sizeof(k) / sizeof(k[0]);
	/* Address order; "alias" ties with _stext and keeps its input order. */
	static const int want[] = { 4, 1, 6, 2, 0, 3, 5 };

	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_ksym *o;
	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_ksym_encode(&b, k, n), 0);
	assert_int_equal(trec_ksym_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) {
		const struct trec_ksym *e = &k[want[i]];
		assert_true(o[i].addr == e->addr);
		assert_int_equal(o[i].type, e->type);
		assert_string_equal(o[i].name, e->name);
		assert_string_equal(o[i].module, e->module ? e->module : "");
	}
	abuse(dec_ksym, &b, (uint32_t)n, "ksyms");

	/* Sorted vmlinux symbols: a few bytes each plus the name. */
	struct trec_ksym v[3] = {
		{ .addr = 0xffffffff81000000ull, .type = 'T', .name = "aaaa", .module = "" },
		{ .addr = 0xffffffff81000040ull, .type = 'T', .name = "bbbb", .module = "" },
		{ .addr = 0xffffffff81000100ull, .type = 't', .name = "cccc", .module = "" },
	};
	tbuf_reset(&b);
	assert_int_equal(trec_ksym_encode(&b, v, 3), 0);
	assert_true(b.len <= 17 + 8 + 9); /* the first address takes 10 bytes */

	/* Hostile module length. */
	static const uint8_t h[] = { 0, 'T', 1, 'x', 0xff, 0x7f };
	assert_int_equal(trec_ksym_decode(h, sizeof(h), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "ksyms record 0 (x): module of 16382 bytes exceeds 4096"));

	free(longname);
	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- loss ------------------------------------------------------------------- */

static void test_loss(void **state)
{
	(void)state;
	struct trec_loss l[] = {
		{ .ts = 0, .cpu = 0, .type = 0, .reason = TREC_LOSS_RINGBUF, .count = 0 },
		{ .ts = UINT64_MAX, .cpu = UINT32_MAX, .type = UINT32_MAX, .reason = TREC_LOSS_OTHER,
		  .count = UINT64_MAX },
		{ .ts = 17, .cpu = 3, .type = 12, .reason = TREC_LOSS_STACK, .count = 1 },
		{ .ts = 18, .cpu = 3, .type = 12, .reason = TREC_LOSS_WRITER, .count = 1000 },
	};
	size_t n = sizeof(l) / sizeof(l[0]);
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_loss *o;
	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_loss_encode(&b, l, n), 0);
	assert_int_equal(trec_loss_decode(b.data, b.len, (uint32_t)n, &a, &o, &err), 0);
	for (size_t i = 0; i < n; i++) { /* field by field: the structs have padding */
		assert_true(o[i].ts == l[i].ts);
		assert_int_equal(o[i].cpu, l[i].cpu);
		assert_int_equal(o[i].type, l[i].type);
		assert_int_equal(o[i].reason, l[i].reason);
		assert_true(o[i].count == l[i].count);
	}
	abuse(dec_loss, &b, (uint32_t)n, "loss");

	struct trec_loss bad = { .reason = 0 };
	assert_int_equal(trec_loss_encode(&b, &bad, 1), -EINVAL);
	static const uint8_t h[] = { 0, 0, 0, 5, 0 };
	assert_int_equal(trec_loss_decode(h, sizeof(h), 1, &a, &o, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "loss record 0: unknown reason 5"));

	tarena_free(&a);
	tbuf_free(&b);
}

/* ---- index ------------------------------------------------------------------ */

static void test_index(void **state)
{
	(void)state;
	struct trec_index_entry e[] = {
		{ .offset = 64, .kind = TREC_BLK_META, .stream = 0, .count = 3, .comp_len = 100, .raw_len = 300,
		  .first_ts = 0, .last_ts = 0 },
		{ .offset = 64 + 48 + 100, .kind = TREC_BLK_EVENTS, .stream = 7, .count = UINT32_MAX,
		  .comp_len = TREC_MAX_BLOCK_COMP, .raw_len = 0, .first_ts = UINT64_MAX, .last_ts = 5 },
		{ .offset = 0, .kind = 200, .stream = UINT32_MAX, .count = 0, .comp_len = 0,
		  .raw_len = TREC_MAX_BLOCK_RAW, .first_ts = 10, .last_ts = 20 },
		{ .offset = UINT64_MAX, .kind = TREC_BLK_LOSS, .count = 1, .comp_len = 5, .raw_len = 5 },
	};
	struct trec_type_count tc[] = { { 1, 10 }, { 65535, UINT64_MAX }, { 0, 0 }, { UINT32_MAX, 1 } };
	struct trec_index ix = { .nentries = 4, .entries = e, .ntypes = 4, .types = tc, .events = UINT64_MAX,
				 .lost = 12345 };
	struct tbuf b;
	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_index o;
	tbuf_init(&b);
	tarena_init(&a);
	assert_int_equal(trec_index_encode(&b, &ix), 0);
	assert_int_equal(trec_index_decode(b.data, b.len, 4, &a, &o, &err), 0);
	assert_int_equal(o.nentries, 4);
	for (int i = 0; i < 4; i++) {
		const struct trec_index_entry *x = &o.entries[i], *y = &e[i];
		assert_true(x->offset == y->offset);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->stream, y->stream);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->comp_len, y->comp_len);
		assert_int_equal(x->raw_len, y->raw_len);
		assert_true(x->first_ts == y->first_ts);
		assert_true(x->last_ts == y->last_ts);
	}
	assert_int_equal(o.ntypes, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(o.types[i].type, tc[i].type);
		assert_true(o.types[i].count == tc[i].count);
	}
	assert_true(o.events == UINT64_MAX);
	assert_true(o.lost == 12345);
	abuse(dec_index, &b, 4, "index");

	/* Contiguous blocks: each offset costs one byte, not eight. */
	struct trec_index_entry pair[] = {
		{ .offset = 64, .kind = TREC_BLK_META, .count = 3, .comp_len = 100, .raw_len = 300 },
		{ .offset = 64 + 48 + 100, .kind = TREC_BLK_EVENTS, .stream = 1, .count = 1000, .comp_len = 4000,
		  .raw_len = 12000, .first_ts = 1000000, .last_ts = 2000000 },
	};
	struct trec_index two = { .nentries = 2, .entries = pair };
	tbuf_reset(&b);
	assert_int_equal(trec_index_encode(&b, &two), 0);
	assert_true(b.len <= 9 + 15 + 3);

	/* Empty index. */
	struct trec_index none = { 0 };
	tbuf_reset(&b);
	assert_int_equal(trec_index_encode(&b, &none), 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(trec_index_decode(b.data, b.len, 0, &a, &o, &err), 0);
	assert_int_equal(o.nentries, 0);
	assert_int_equal(o.ntypes, 0);
	abuse(dec_index, &b, 0, "index");

	struct trec_index_entry big = { .raw_len = TREC_MAX_BLOCK_RAW + 1 };
	struct trec_index bad = { .nentries = 1, .entries = &big };
	assert_int_equal(trec_index_encode(&b, &bad), -EINVAL);

	/* Hostile type count. */
	static const uint8_t h[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0 };
	size_t before = a.used;
	assert_int_equal(trec_index_decode(h, sizeof(h), 0, &a, &o, &err), -EBADMSG);
	assert_true(a.used == before);

	tarena_free(&a);
	tbuf_free(&b);
}

/* Encoders report allocation failure through tbuf's sticky oom. */
static void test_encode_oom(void **state)
{
	(void)state;
	struct tbuf b;
	tbuf_init(&b);
	b.oom = 1;
	struct trec_loss l = { .reason = TREC_LOSS_OTHER };
	struct trec_task t = { .kind = TREC_TASK_COMM };
	struct trec_index ix = { 0 };
	assert_int_equal(trec_loss_encode(&b, &l, 1), -ENOMEM);
	assert_int_equal(trec_task_encode(&b, &t, 1), -ENOMEM);
	assert_int_equal(trec_index_encode(&b, &ix), -ENOMEM);
	tbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names), cmocka_unit_test(test_meta),  cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_tasks),      cmocka_unit_test(test_maps),  cmocka_unit_test(test_syms),
		cmocka_unit_test(test_ksyms),      cmocka_unit_test(test_loss),  cmocka_unit_test(test_index),
		cmocka_unit_test(test_encode_oom), cmocka_unit_test(test_symext_roundtrip),
		cmocka_unit_test(test_symext_bytes), cmocka_unit_test(test_symext_pairing),
		cmocka_unit_test(test_symext_bad), cmocka_unit_test(test_taskctx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
