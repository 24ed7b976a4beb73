/* SPDX-License-Identifier: MIT */
/* The Perfetto encoder (report/perfetto.h) driven directly, without argv:
 * a hand-made trace through the source and one pass, the output decoded
 * here with a small protobuf reader, and the exact packets: system-call
 * slices with the pairing's edge cases (an exit without its enter, an
 * exit of another call, a call open at the end), an A,B pair nested on its
 * own child track, an event of tid 0 on its CPU's track, fields as debug
 * annotations by kind, and a loss record as an instant on its CPU's track. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass.h"
#include "perfetto.h"
#include "scratch.h"
#include "source.h"
#include "tracegen.h"
#include "writer.h"

enum { T_ENTER = 1, T_EXIT = 2, T_START = 3, T_END = 4, T_MARK = 5 };

static const struct trec_field f_enter[] = { { "id", "long", TREC_F_INT, 0, 0, 8, 1 } };
static const struct trec_field f_exit[] = {
	{ "id", "long", TREC_F_INT, 0, 0, 8, 1 },
	{ "ret", "long", TREC_F_INT, 0, 8, 8, 1 },
};
static const struct trec_field f_req[] = { { "req", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_field f_mark[] = {
	{ "common_pid", "int", TREC_F_INT, 0, 0, 4, 1 },
	{ "n", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "addr", "u64", TREC_F_HEX, 0, 8, 8, 1 },
	{ "what", "char[8]", TREC_F_CHARS, 0, 16, 1, 8 },
	{ "vals", "u64[2]", TREC_F_UINT, 0, 24, 8, 2 },
};
static const struct trec_schema schemas[] = {
	{ T_ENTER, "raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_enter", 0, 8, 1, f_enter },
	{ T_EXIT, "raw_syscalls:sys_exit", "tracepoint:raw_syscalls:sys_exit", 0, 16, 2, f_exit },
	{ T_START, "app:start", "usdt:app:start", 0, 8, 1, f_req },
	{ T_END, "app:end", "usdt:app:end", 0, 8, 1, f_req },
	{ T_MARK, "app:mark", "usdt:app:mark", 0, 40, 5, f_mark },
};

static void sys(struct trec_writer *w, uint64_t ts, uint32_t tid, int exit, int64_t id)
{
	uint64_t v[2] = { (uint64_t)id, 0 };
	tg_event_u64(w, ts, 100, tid, exit ? T_EXIT : T_ENTER, 0, v, exit ? 2 : 1);
}

static void app(struct trec_writer *w, uint64_t ts, uint32_t tid, int end, uint64_t req)
{
	tg_event_u64(w, ts, 200, tid, end ? T_END : T_START, 0, &req, 1);
}

static void mark(struct trec_writer *w, uint64_t ts, uint32_t cpu, uint32_t pid, uint32_t tid)
{
	uint8_t p[40] = { 0 };
	int32_t n = -5;
	uint64_t addr = 0xdead, vals[2] = { 1, 2 };
	memcpy(p + 4, &n, 4);
	memcpy(p + 8, &addr, 8);
	memcpy(p + 16, "hello", 5);
	memcpy(p + 24, vals, 16);
	tg_event(w, ts, cpu, pid, tid, T_MARK, 0, p, sizeof(p));
}

static int setup(void **state)
{
	(void)state;
	scratch_make("perfetto");
	struct trec_writer *w = tg_open(scratch_path("t.data"), schemas, 5);
	tg_meta(w, "machine", "x86_64");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 100, "app");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 100, 101, "app-worker");
	tg_task(w, TREC_TASK_SNAPSHOT, 1, 200, 200, "srv");
	/* tid 100: read (0) for 5 us, write (1) for 100 us */
	sys(w, 1000, 100, 0, 0);
	sys(w, 6000, 100, 1, 0);
	sys(w, 20000, 100, 0, 1);
	sys(w, 120000, 100, 1, 1);
	/* tid 101: an exit without its enter, an enter whose exit is another
	 * call's, and a write still open at the end */
	sys(w, 130000, 101, 1, 0);
	sys(w, 140000, 101, 0, 0);
	sys(w, 141000, 101, 1, 1);
	sys(w, 150000, 101, 0, 1);
	/* tid 200: an end without a start, then nested start/end pairs */
	app(w, 199000, 200, 1, 7);
	app(w, 200000, 200, 0, 7);
	app(w, 200010, 200, 0, 7);
	app(w, 200030, 200, 1, 7);
	app(w, 200100, 200, 1, 7);
	/* the idle task on CPU 3, then a thread's event with every kind of field */
	mark(w, 250000, 3, 0, 0);
	mark(w, 260000, 0, 100, 100);
	struct trec_loss l = { .ts = 255000, .cpu = 1, .type = T_START, .reason = TREC_LOSS_RINGBUF, .count = 7 };
	assert_int_equal(trec_writer_add_loss(w, &l), 0);
	tg_close(w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove();
}

/* ---- a small protobuf reader ---------------------------------------------- */

struct pbf {
	uint32_t field;
	int wire;
	uint64_t v;          /* varint / fixed value */
	const uint8_t *p;    /* bytes (wire 2) */
	size_t n;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int s = 0; *p < end && s < 64; s += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("bad varint");
	return 0;
}

/* The next field of [*p, end): 1, or 0 at the end. */
static int next(const uint8_t **p, const uint8_t *end, struct pbf *f)
{
	if (*p >= end)
		return 0;
	uint64_t tag = varint(p, end);
	f->field = (uint32_t)(tag >> 3);
	f->wire = (int)(tag & 7);
	switch (f->wire) {
	case 0:
		f->v = varint(p, end);
		break;
	case 1:
		assert_true(end - *p >= 8);
		memcpy(&f->v, *p, 8);
		*p += 8;
		break;
	case 2:
		f->n = varint(p, end);
		assert_true((size_t)(end - *p) >= f->n);
		f->p = *p;
		*p += f->n;
		break;
	case 5:
		assert_true(end - *p >= 4);
		f->v = 0;
		memcpy(&f->v, *p, 4);
		*p += 4;
		break;
	default:
		fail_msg("wire type %d", f->wire);
	}
	return 1;
}

/* The first field `field` of a message, or NULL. */
static int find(const uint8_t *p, size_t n, uint32_t field, struct pbf *out)
{
	const uint8_t *end = p + n;
	while (next(&p, end, out))
		if (out->field == field)
			return 1;
	return 0;
}

static int str_is(const struct pbf *f, const char *s)
{
	return f->n == strlen(s) && !memcmp(f->p, s, f->n);
}

/* ---- the run ---------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len;
	struct perfetto_stats st;
};

static void convert(struct out *o)
{
	const char *path = scratch_path("t.data");
	static const char *const pairs[] = { "app:start,app:end" };
	struct source src;
	struct source_opts so = { .sz = sizeof(so) };
	struct trec_err err = { 0 };
	FILE *f = open_memstream(&o->buf, &o->len);
	assert_non_null(f);
	assert_int_equal(source_open(&src, &path, 1, &so, &err), 0);
	struct perfetto_opts po = { .sz = sizeof(po), .conv = { .sz = sizeof(po.conv) }, .pairs = pairs, .npairs = 1 };
	struct perfetto *p;
	assert_int_equal(perfetto_new(&p, f, &po, &err), 0);
	struct pass_sink sink = perfetto_sink(p);
	assert_int_equal(pass_run(&src, &sink, 1, NULL, &err), 0);
	assert_int_equal(perfetto_finish(p, &err), 0);
	perfetto_stats(p, &o->st);
	perfetto_free(p);
	source_close(&src);
	fclose(f);
}

/* Track events of the output in file order: type, track, name, ts. */
struct tev {
	uint64_t ts, type, track;
	char name[64];
	const uint8_t *body;
	size_t n;
};

static size_t track_events(const struct out *o, struct tev *v, size_t cap)
{
	const uint8_t *p = (const uint8_t *)o->buf, *end = p + o->len;
	struct pbf pk, f;
	size_t k = 0;
	while (next(&p, end, &pk)) {
		assert_int_equal(pk.field, 1);
		assert_int_equal(pk.wire, 2);
		if (!find(pk.p, pk.n, 11, &f))
			continue;
		assert_true(k < cap);
		struct tev *t = &v[k++];
		memset(t, 0, sizeof(*t));
		t->body = f.p;
		t->n = f.n;
		struct pbf x;
		if (find(pk.p, pk.n, 8, &x))
			t->ts = x.v;
		if (find(f.p, f.n, 9, &x))
			t->type = x.v;
		if (find(f.p, f.n, 11, &x))
			t->track = x.v;
		if (find(f.p, f.n, 23, &x))
			snprintf(t->name, sizeof(t->name), "%.*s", (int)x.n, (const char *)x.p);
	}
	return k;
}

/* The name of track `uuid` (its descriptor's name, or its thread's), and
 * its parent's uuid. */
static void track_name(const struct out *o, uint64_t uuid, char *name, size_t len, uint64_t *parent)
{
	const uint8_t *p = (const uint8_t *)o->buf, *end = p + o->len;
	struct pbf pk, td, x;
	name[0] = 0;
	*parent = 0;
	while (next(&p, end, &pk)) {
		if (!find(pk.p, pk.n, 60, &td) || !find(td.p, td.n, 1, &x) || x.v != uuid)
			continue;
		if (find(td.p, td.n, 2, &x))
			snprintf(name, len, "%.*s", (int)x.n, (const char *)x.p);
		struct pbf th;
		if (find(td.p, td.n, 4, &th) && find(th.p, th.n, 5, &x))
			snprintf(name, len, "thread %.*s", (int)x.n, (const char *)x.p);
		if (find(td.p, td.n, 5, &x))
			*parent = x.v;
	}
}

/* The value of debug annotation `key` of a track event as text. */
static int arg(const struct tev *t, const char *key, char *buf, size_t len)
{
	const uint8_t *p = t->body, *end = p + t->n;
	struct pbf f, x;
	while (next(&p, end, &f)) {
		if (f.field != 4 || !find(f.p, f.n, 10, &x) || !str_is(&x, key))
			continue;
		const uint8_t *q = f.p, *qe = q + f.n;
		while (next(&q, qe, &x)) {
			if (x.field == 3 || x.field == 7)
				snprintf(buf, len, "%s%llu", x.field == 7 ? "ptr:" : "", (unsigned long long)x.v);
			else if (x.field == 4)
				snprintf(buf, len, "%lld", (long long)x.v);
			else if (x.field == 6)
				snprintf(buf, len, "%.*s", (int)x.n, (const char *)x.p);
			else
				continue;
			return 1;
		}
	}
	return 0;
}

static void test_slices_instants_losses(void **state)
{
	(void)state;
	struct out o = { 0 };
	convert(&o);
	assert_int_equal(o.st.slices, 2 + 1 + 2);    /* read, write; the open write; the pairs */
	assert_int_equal(o.st.slice_ends, 2 + 2);
	assert_int_equal(o.st.unmatched_ends, 1 + 1 + 1); /* 101's first exit, its other call's, 200's */
	assert_int_equal(o.st.unmatched_starts, 1);
	assert_int_equal(o.st.instants, 2);
	assert_int_equal(o.st.losses, 1);
	assert_int_equal(o.st.samples, 0);

	struct tev v[64];
	size_t n = track_events(&o, v, 64);
	assert_int_equal(n, 2 * 2 + 1 + 2 * 2 + 2 + 1);
	char name[128], buf[128];
	uint64_t parent;
	/* File order: tid 100's read and write (each written at its exit) */
	assert_int_equal(v[0].type, 1);
	assert_string_equal(v[0].name, "read");
	assert_int_equal(v[0].ts, 1000);
	assert_int_equal(v[1].type, 2);
	assert_int_equal(v[1].ts, 6000);
	assert_true(arg(&v[1], "ret", buf, sizeof(buf)));
	assert_string_equal(buf, "0");
	assert_string_equal(v[2].name, "write");
	assert_int_equal(v[2].ts, 20000);
	assert_int_equal(v[3].ts, 120000);
	track_name(&o, v[0].track, name, sizeof(name), &parent);
	assert_string_equal(name, "thread app");
	/* tid 200's nested pairs on the pair's child track of its thread */
	for (size_t i = 4; i < 8; i++) {
		assert_int_equal(v[i].track, v[4].track);
		assert_int_equal(v[i].type, i < 6 ? 1 : 2);
	}
	assert_string_equal(v[4].name, "app:start,app:end");
	assert_int_equal(v[4].ts, 200000);
	assert_int_equal(v[7].ts, 200100);
	track_name(&o, v[4].track, name, sizeof(name), &parent);
	assert_string_equal(name, "app:start,app:end");
	track_name(&o, parent, name, sizeof(name), &parent);
	assert_string_equal(name, "thread srv");
	/* the idle task's event on CPU 3's track */
	assert_int_equal(v[8].type, 3);
	assert_string_equal(v[8].name, "app:mark");
	track_name(&o, v[8].track, name, sizeof(name), &parent);
	assert_string_equal(name, "CPU 3 events");
	/* the loss, merged in time order, on CPU 1's track */
	assert_int_equal(v[9].type, 3);
	assert_int_equal(v[9].ts, 255000);
	assert_string_equal(v[9].name, "lost 7 events");
	track_name(&o, v[9].track, name, sizeof(name), &parent);
	assert_string_equal(name, "CPU 1 events");
	assert_true(arg(&v[9], "count", buf, sizeof(buf)));
	assert_string_equal(buf, "7");
	assert_true(arg(&v[9], "reason", buf, sizeof(buf)));
	assert_string_equal(buf, "ring buffer full");
	assert_true(arg(&v[9], "event", buf, sizeof(buf)));
	assert_string_equal(buf, "app:start");
	/* a thread's event, its fields by kind (common_* left out) */
	assert_string_equal(v[10].name, "app:mark");
	track_name(&o, v[10].track, name, sizeof(name), &parent);
	assert_string_equal(name, "thread app");
	assert_false(arg(&v[10], "common_pid", buf, sizeof(buf)));
	assert_true(arg(&v[10], "n", buf, sizeof(buf)));
	assert_string_equal(buf, "-5");
	assert_true(arg(&v[10], "addr", buf, sizeof(buf)));
	assert_string_equal(buf, "ptr:57005");
	assert_true(arg(&v[10], "what", buf, sizeof(buf)));
	assert_string_equal(buf, "hello");
	assert_true(arg(&v[10], "vals", buf, sizeof(buf)));
	assert_string_equal(buf, "[1, 2]");
	/* tid 101's write, still open when the trace ends: a begin alone */
	assert_int_equal(v[11].type, 1);
	assert_string_equal(v[11].name, "write");
	assert_int_equal(v[11].ts, 150000);
	track_name(&o, v[11].track, name, sizeof(name), &parent);
	assert_string_equal(name, "thread app-worker");
	free(o.buf);
}

static void test_bad_pair(void **state)
{
	(void)state;
	static const char *const pairs[] = { "app:start" };
	struct perfetto_opts po = { .sz = sizeof(po), .pairs = pairs, .npairs = 1 };
	struct perfetto *p;
	struct trec_err err = { 0 };
	assert_int_equal(perfetto_new(&p, stdout, &po, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "START,END"));
	perfetto_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slices_instants_losses),
		cmocka_unit_test(test_bad_pair),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
