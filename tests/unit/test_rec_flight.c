/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder's memory (record/flight.c): the byte cap frees whole
 * chunks and what a snapshot replays stays a gap-free span even when the
 * CPUs' records arrive out of time order; the time window; memory held
 * never passes the cap; side-band and loss records replay intact; the
 * event trigger matches by type and filter; and the control FIFO's
 * command lines (record/control.c), whole, split, unknown and too long.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "filter.h"
#include "flight.h"
#include "probes.h"
#include "trec_bpf.h"

/* A record of type 1 whose payload is one u64: its sequence number. */
struct seq_rec {
	struct trec_rec h;
	uint64_t n;
};

static int add(struct flight *f, uint32_t cpu, uint64_t ts, uint64_t n)
{
	struct seq_rec r = { .h = { .ts = ts, .pid = 1, .tid = 1, .type = 1, .size = 8 }, .n = n };
	return flight_add_record(f, cpu, &r, sizeof(r));
}

struct seen {
	uint64_t min, max, count;
	uint8_t *hit;
	size_t cap;
	int dup;
};

static int collect(void *ctx, uint32_t cpu, const void *rec, size_t size)
{
	struct seen *s = ctx;
	(void)cpu;
	assert_int_equal(size, sizeof(struct seq_rec));
	const struct seq_rec *r = rec;
	assert_true(r->n < s->cap);
	if (s->hit[r->n])
		s->dup = 1;
	s->hit[r->n] = 1;
	if (!s->count || r->n < s->min)
		s->min = r->n;
	if (r->n > s->max)
		s->max = r->n;
	s->count++;
	return 0;
}

/* Two CPUs, drained in turn: records of one drain are out of time order
 * across CPUs. Number n happens at time 1000 + n. */
static void test_byte_cap_gap_free(void **state)
{
	(void)state;
	struct flight *f;
	struct flight_opts o = { .sz = sizeof(o), .window_ns = 1000000000000ull, .max_bytes = 1u << 20 };
	assert_int_equal(flight_new(&f, &o), 0);
	const uint64_t N = 200000;
	for (uint64_t base = 0; base < N; base += 100) {
		/* a drain: CPU 0 had the odd numbers of this slice, CPU 1 the even */
		for (uint64_t n = base + 1; n < base + 100; n += 2)
			assert_int_equal(add(f, 0, 1000 + n, n), 0);
		for (uint64_t n = base; n < base + 100; n += 2)
			assert_int_equal(add(f, 1, 1000 + n, n), 0);
		struct flight_stats st;
		flight_stats(f, &st);
		assert_true(st.bytes <= o.max_bytes);
	}
	struct flight_stats st;
	flight_stats(f, &st);
	assert_true(st.dropped > 0);
	assert_int_equal(st.dropped + st.records, N);
	struct seen s = { .cap = N, .hit = calloc(N, 1) };
	uint64_t from = flight_window_start(f, 1000 + N);
	assert_int_equal(flight_replay(f, from, UINT64_MAX, collect, &s), 0);
	assert_false(s.dup);
	assert_int_equal(s.max, N - 1);
	assert_int_equal(s.max - s.min + 1, s.count); /* no hole */
	assert_int_equal(from, 1000 + s.min);         /* starts just after what was freed */
	assert_true(s.count > 10000);
	free(s.hit);
	flight_free(f);
}

static void test_time_window(void **state)
{
	(void)state;
	struct flight *f;
	struct flight_opts o = { .sz = sizeof(o), .window_ns = 5000, .max_bytes = 4u << 20 }; /* 512K chunks */
	assert_int_equal(flight_new(&f, &o), 0);
	for (uint64_t n = 0; n < 20000; n++)
		assert_int_equal(add(f, (uint32_t)(n % 2), 1000000 + n, n), 0);
	/* A pending trigger keeps its window: expiry runs from its time. */
	flight_expire(f, 1000000 + 15000);
	struct seen s = { .cap = 20000, .hit = calloc(20000, 1) };
	/* The window before a trigger at number 15000, 2000 after it (--post). */
	uint64_t from = flight_window_start(f, 1000000 + 15000);
	assert_int_equal(from, 1000000 + 10000);
	assert_int_equal(flight_replay(f, from, 1000000 + 17000, collect, &s), 0);
	assert_int_equal(s.min, 10000);
	assert_int_equal(s.max, 17000);
	assert_int_equal(s.count, 7001);
	assert_false(s.dup);
	free(s.hit);
	/* Long after: every chunk but the one being filled is gone. */
	flight_expire(f, 1000000 + 20000 + 6000);
	struct flight_stats st;
	flight_stats(f, &st);
	assert_true(st.dropped > 0);
	assert_true(st.bytes <= (1u << 20));
	flight_free(f);
}

/* Records added while a snapshot replays are held apart, then join. */
static void test_hold_release(void **state)
{
	(void)state;
	struct flight *f;
	struct flight_opts o = { .sz = sizeof(o), .window_ns = 1ull << 60, .max_bytes = 1u << 20 };
	assert_int_equal(flight_new(&f, &o), 0);
	for (uint64_t n = 0; n < 1000; n++)
		assert_int_equal(add(f, 0, 10 + n, n), 0);
	flight_hold(f);
	for (uint64_t n = 1000; n < 50000; n++) /* more than the cap: the held ones drop their oldest */
		assert_int_equal(add(f, 1, 10 + n, n), 0);
	struct seen s = { .cap = 50000, .hit = calloc(50000, 1) };
	assert_int_equal(flight_replay(f, 0, UINT64_MAX, collect, &s), 0);
	assert_int_equal(s.min, 0);
	assert_int_equal(s.max, 999); /* what was there when the snapshot began */
	flight_release(f);
	struct flight_stats st;
	flight_stats(f, &st);
	assert_true(st.bytes <= o.max_bytes);
	memset(s.hit, 0, 50000);
	s.count = s.min = s.max = 0;
	assert_int_equal(flight_replay(f, flight_window_start(f, 10 + 50000), UINT64_MAX, collect, &s), 0);
	assert_false(s.dup);
	assert_int_equal(s.max, 49999);
	assert_int_equal(s.max - s.min + 1, s.count); /* whole, after the cut */
	assert_true(s.min > 1000);
	free(s.hit);
	flight_free(f);
}

static int n_tasks, n_maps, n_losses;

static int on_task(void *ctx, const struct trec_task *t)
{
	(void)ctx;
	assert_string_equal(t->comm, n_tasks ? "second" : "first");
	assert_string_equal(t->filename, n_tasks ? "" : "/bin/first");
	assert_int_equal(t->pid, 100 + n_tasks);
	n_tasks++;
	return 0;
}

static int on_map(void *ctx, const struct trec_map *m)
{
	(void)ctx;
	assert_string_equal(m->path, "/lib/x.so");
	assert_int_equal(m->start, 0x1000);
	n_maps++;
	return 0;
}

static int on_loss(void *ctx, const struct trec_loss *l)
{
	(void)ctx;
	assert_int_equal(l->count, 7);
	n_losses++;
	return 0;
}

static void test_sideband_and_losses(void **state)
{
	(void)state;
	struct flight *f;
	assert_int_equal(flight_new(&f, NULL), 0);
	struct trec_task t1 = { .ts = 10, .pid = 100, .tid = 100, .comm = "first", .filename = "/bin/first" };
	struct trec_task t2 = { .ts = 20, .pid = 101, .tid = 101, .comm = "second", .filename = NULL };
	struct trec_map m = { .ts = 15, .pid = 100, .start = 0x1000, .len = 0x1000, .path = "/lib/x.so" };
	assert_int_equal(flight_add_task(f, &t1), 0);
	assert_int_equal(flight_add_map(f, &m), 0);
	assert_int_equal(flight_add_task(f, &t2), 0);
	struct trec_loss l1 = { .ts = 5, .count = 99 }, l2 = { .ts = 30, .count = 7 };
	assert_int_equal(flight_add_loss(f, &l1), 0);
	assert_int_equal(flight_add_loss(f, &l2), 0);
	struct sideband_cb cb = { .task = on_task, .map = on_map };
	assert_int_equal(flight_replay_sideband(f, 100, &cb), 0);
	assert_int_equal(n_tasks, 2);
	assert_int_equal(n_maps, 1);
	assert_int_equal(flight_replay_losses(f, 25, on_loss, NULL), 0); /* only the one counted after 25 */
	assert_int_equal(n_losses, 1);
	flight_free(f);
}

static void test_trigger_match(void **state)
{
	(void)state;
	static const struct trec_field fields[] = { { "n", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
	const struct trec_schema sch = { .id = 1, .name = "t:seq", .probe = "tracepoint:t:seq", .fixed_size = 8,
					 .nfields = 1, .fields = fields };
	struct flight_trigger t = { .type = 1 };
	struct trec_err err = { 0 };
	assert_int_equal(trec_filter_compile("n == 500", &sch, &t.prog, &err), 0);
	struct seq_rec r = { .h = { .ts = 1, .type = 1, .size = 8 }, .n = 499 };
	uint64_t when = 0;
	assert_false(flight_trigger_match(&t, &r, sizeof(r), &when));
	r.n = 500;
	r.h.ts = 77;
	assert_true(flight_trigger_match(&t, &r, sizeof(r), &when));
	assert_int_equal(when, 77);
	r.h.type = 2;
	assert_false(flight_trigger_match(&t, &r, sizeof(r), &when)); /* another event */
	r.h.type = 1;
	r.h.size = 64;
	assert_false(flight_trigger_match(&t, &r, sizeof(r), &when)); /* payload past the record */
	t.type = 0;
	r.h.size = 8;
	assert_false(flight_trigger_match(&t, &r, sizeof(r), &when)); /* no trigger */
}

/* `latency` on a return probe: the time since the same thread's entry, its
 * own ret field beside it; records queued in ring order, paired in time
 * order once settled, nested calls matched innermost first. */
static int queue(struct flight_trigger *t, uint32_t type, uint32_t tid, uint64_t ts, int64_t ret)
{
	struct seq_rec r = { .h = { .ts = ts, .pid = tid, .tid = tid, .type = (uint16_t)type, .size = 8 },
			     .n = (uint64_t)ret };
	uint64_t when = 0;
	return flight_trigger_match(t, &r, sizeof(r), &when);
}

struct fired {
	uint64_t when[16];
	int n;
};

static void on_fire(void *ctx, uint64_t when_ns)
{
	struct fired *f = ctx;
	if (f->n < 16)
		f->when[f->n] = when_ns;
	f->n++;
}

static void test_trigger_latency(void **state)
{
	(void)state;
	static const struct trec_field ret_fields[] = { { "ret", "s64", TREC_F_INT, 0, 0, 8, 1 } };
	struct probe_set ps;
	probe_set_init(&ps);
	struct probe_event ev[2] = {
		{ .schema = { .id = 3, .name = "probe_app:handle", .fixed_size = 0 }, .kind = PROBE_UPROBE,
		  .path = "/bin/app", .func = "handle" },
		{ .schema = { .id = 4, .name = "probe_app:handle__return", .fixed_size = 8, .nfields = 1,
			      .fields = ret_fields },
		  .kind = PROBE_URETPROBE, .path = "/bin/app", .func = "handle" },
	};
	ps.ev = ev;
	ps.n = 2;
	struct flight_trigger t;
	struct trec_err err = { 0 };
	if (flight_trigger_compile(&t, "probe_app:handle__return:latency > 1000 && ret == 0", NULL, &ps, &err))
		fail_msg("%s", err.msg);
	struct fired f = { 0 };
	/* 1100 ns, then 500 ns: nothing fires before it is settled */
	assert_int_equal(queue(&t, 3, 7, 100, 0), 0);
	assert_int_equal(queue(&t, 4, 7, 1200, 0), 0);
	assert_int_equal(queue(&t, 3, 7, 2000, 0), 0);
	assert_int_equal(queue(&t, 4, 7, 2500, 0), 0);
	/* settled up to 1200 (exclusive): the return at 1200 waits */
	assert_int_equal(flight_trigger_settle(&t, 1200, on_fire, &f), 0);
	assert_int_equal(flight_trigger_settle(&t, 3000, on_fire, &f), 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.when[0], 1200);
	/* slow, but ret != 0 */
	queue(&t, 3, 7, 2600, 0);
	queue(&t, 4, 7, 9000, -1);
	/* the return read before its entry (another CPU's ring) */
	queue(&t, 4, 8, 5000, 0);
	queue(&t, 3, 8, 3000, 0);
	f.n = 0;
	assert_int_equal(flight_trigger_settle(&t, 9001, on_fire, &f), 1);
	assert_int_equal(f.when[0], 5000);
	/* a thread that moved between CPUs, two slow calls, the rings read
	 * CPU 0 then CPU 1: CPU 0 has the first entry and the second return,
	 * CPU 1 the first return and the second entry. Pairing in read order
	 * would see one 24 us call ending at the second return. */
	queue(&t, 3, 12, 10000, 0);
	queue(&t, 4, 12, 34000, 0);
	queue(&t, 4, 12, 22000, 0);
	queue(&t, 3, 12, 22010, 0);
	f.n = 0;
	assert_int_equal(flight_trigger_settle(&t, 40000, on_fire, &f), 2);
	assert_int_equal(f.when[0], 22000);
	assert_int_equal(f.when[1], 34000);
	/* nested: the inner call (50 ns) is not slow, the outer (2000 ns) is */
	queue(&t, 3, 9, 50000, 0);
	queue(&t, 3, 9, 50100, 0);
	queue(&t, 4, 9, 50150, 0);
	queue(&t, 4, 9, 52000, 0);
	/* other threads' entries never pair with this one's return; a return
	 * whose entry came before the recording is no call */
	queue(&t, 3, 10, 60000, 0);
	queue(&t, 4, 11, 70000, 0);
	f.n = 0;
	assert_int_equal(flight_trigger_settle(&t, UINT64_MAX, on_fire, &f), 1);
	assert_int_equal(f.when[0], 52000);
	/* nothing is left to settle */
	assert_int_equal(flight_trigger_settle(&t, UINT64_MAX, on_fire, &f), 0);
	flight_trigger_free(&t);

	/* without the entry probe recorded: an error that says which -e to add */
	ps.ev = &ev[1];
	ps.n = 1;
	assert_int_equal(flight_trigger_compile(&t, "probe_app:handle__return:latency > 1000", NULL, &ps, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "-e u:/bin/app:handle"));
	flight_trigger_free(&t);
	/* latency is only a return probe's */
	ps.ev = ev;
	ps.n = 2;
	assert_int_not_equal(flight_trigger_compile(&t, "probe_app:handle:latency > 1000", NULL, &ps, &err), 0);
	flight_trigger_free(&t);
}

/* ---- the control FIFO ------------------------------------------------------ */

static char dir[] = "/tmp/trec-flight-XXXXXX";

static void test_control(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	char ctl[128], ack[128], spec[300];
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	snprintf(ack, sizeof(ack), "%s/ack", dir);
	assert_int_equal(mkfifo(ctl, 0600), 0);
	assert_int_equal(mkfifo(ack, 0600), 0);
	struct control *c;
	struct trec_err err = { 0 };
	assert_int_equal(control_open(&c, "file:x", &err), -EINVAL);
	snprintf(spec, sizeof(spec), "fifo:%s/missing", dir);
	assert_true(control_open(&c, spec, &err) < 0);
	snprintf(spec, sizeof(spec), "fifo:%s,%s", ctl, ack);
	assert_int_equal(control_open(&c, spec, &err), 0);
	int w = open(ctl, O_WRONLY | O_NONBLOCK);
	int r = open(ack, O_RDONLY | O_NONBLOCK);
	assert_true(w >= 0 && r >= 0);
	assert_int_equal(control_next(c), CONTROL_NONE);
	const char *in = "snapshot\n  stop \r\nping\nbogus\nsnap";
	assert_int_equal(write(w, in, strlen(in)), (ssize_t)strlen(in));
	assert_int_equal(control_next(c), CONTROL_SNAPSHOT);
	assert_int_equal(control_next(c), CONTROL_STOP);
	assert_int_equal(control_next(c), CONTROL_NONE); /* ping answered, bogus refused, "snap" incomplete */
	assert_int_equal(write(w, "shot\n", 5), 5);
	assert_int_equal(control_next(c), CONTROL_SNAPSHOT);
	char big[700];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(write(w, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(write(w, "stop\n", 5), 5);
	assert_int_equal(control_next(c), CONTROL_STOP); /* the long line is skipped whole */
	control_ack(c, NULL);
	char out[1024] = { 0 };
	ssize_t n = read(r, out, sizeof(out) - 1);
	assert_true(n > 0);
	assert_string_equal(out, "ack\nerror: unknown command 'bogus' (snapshot, stop, ping)\n"
				 "error: command line too long\nack\n");
	close(w);
	close(r);
	control_close(c);
	unlink(ctl);
	unlink(ack);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_byte_cap_gap_free),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_hold_release),
		cmocka_unit_test(test_sideband_and_losses),
		cmocka_unit_test(test_trigger_match),
		cmocka_unit_test(test_trigger_latency),
		cmocka_unit_test(test_control),
	};
	return cmocka_run_group_tests_name("rec_flight", tests, NULL, NULL);
}
