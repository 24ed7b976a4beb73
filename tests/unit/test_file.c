/* SPDX-License-Identifier: MIT */
/* Writer + reader end to end: round trip, truncation at every byte, bit
 * flips, recovery, time windows, safe file creation, disk full. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block.h"
#include "reader.h"
#include "recover.h"
#include "synth.h"
#include "scratch.h"
#include "writer.h"

static int setup_dir(void **state)
{
	scratch_make("file");
	return 0;
}

static int teardown_dir(void **state)
{
	return scratch_remove();
}


/* Writes a synthetic trace; returns 0 or the negative errno. */
static int make_trace(const char *path, const struct synth_opts *so, const struct trec_writer_opts *wo,
		      int footer)
{
	struct trec_writer *w;
	struct trec_err e = { 0 };
	unlink(path);
	int r = trec_writer_open(&w, path, 0, wo, &e);
	if (r)
		return r;
	struct synth s;
	r = synth_init(&s, so);
	if (!r)
		r = synth_write(&s, w);
	synth_free(&s);
	if (r) {
		trec_writer_abandon(w);
		return r;
	}
	if (!footer) {
		r = trec_writer_flush(w);
		trec_writer_abandon(w);
		return r;
	}
	return trec_writer_close(w, &e);
}

static void *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc((size_t)sz + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return p;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Reads every event in time order and checks that they are, field for
 * field, a subsequence of what the generator made (all of it when the
 * count matches). Returns the number read, or a negative errno. */
static int64_t verify_events(struct trec_reader *r, const struct synth_opts *so, int must_match)
{
	struct synth s;
	assert_int_equal(synth_init(&s, so), 0);
	struct trec_event_iter *it;
	assert_int_equal(trec_event_iter_new(r, NULL, &it), 0);
	struct trec_event ev, want;
	struct trec_err e = { 0 };
	int64_t n = 0;
	int rc;
	while ((rc = trec_event_iter_next(it, &ev, &e)) == 1) {
		if (must_match) {
			/* Cut files hold a subsequence: whole blocks of each CPU. */
			do
				synth_next(&s, &want);
			while (want.ts < ev.ts && s.made < so->events);
			if (ev.ts != want.ts || ev.cpu != want.cpu || ev.pid != want.pid || ev.tid != want.tid ||
			    ev.type != want.type || ev.stack_id != want.stack_id || ev.size != want.size ||
			    memcmp(ev.data, want.data, want.size) != 0) {
				print_error("event %lld differs (ts %llu vs %llu, type %u vs %u)\n", (long long)n,
					    (unsigned long long)ev.ts, (unsigned long long)want.ts, ev.type, want.type);
				fail();
			}
		}
		n++;
	}
	trec_event_iter_free(it);
	synth_free(&s);
	return rc < 0 ? rc : n;
}

static void test_roundtrip_million(void **state)
{
	const char *path = scratch_path("million.data");
	struct synth_opts so = { .events = 1200000, .ncpus = 4, .seed = 7, .nstacks = 500 };
	assert_int_equal(make_trace(path, &so, NULL, 1), 0);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	const struct trec_file_info *fi = trec_reader_info(r);
	assert_true(fi->has_index);
	assert_false(fi->truncated);
	assert_int_equal(verify_events(r, &so, 1), (int64_t)so.events);

	const struct trec_totals *t;
	assert_int_equal(trec_reader_totals(r, &t, &e), 0);
	assert_int_equal(t->events, so.events);
	assert_int_equal(t->lost, 7 * (so.events / 100000));
	assert_int_equal(t->ntypes, 4);

	/* Stacks come back by id, identical to the generator's pool. */
	struct synth s;
	synth_init(&s, &so);
	for (uint32_t i = 0; i < so.nstacks; i++) {
		const struct trec_stack *stk = trec_reader_stack(r, i + 1);
		assert_non_null(stk);
		uint64_t *want = s.stacks[i];
		assert_int_equal(stk->nkernel, want[0] & 0xffff);
		assert_int_equal(stk->nuser, want[0] >> 16);
		assert_memory_equal(stk->ips, want + 1, (stk->nkernel + stk->nuser) * sizeof(uint64_t));
	}
	assert_null(trec_reader_stack(r, so.nstacks + 1));
	synth_free(&s);

	const struct trec_meta_kv *kv = trec_reader_meta_get(r, "host.name");
	assert_non_null(kv);
	assert_string_equal(kv->v.str.ptr, "synth-host");
	const struct trec_schema *sc = trec_reader_schema(r, 2);
	assert_non_null(sc);
	assert_string_equal(sc->name, "sched:sched_switch");
	assert_int_equal(sc->nfields, 11);
	const struct trec_task *tasks;
	const struct trec_map *maps;
	const struct trec_dso_syms *syms;
	const struct trec_ksym *ks;
	const struct trec_loss *loss;
	size_t n;
	assert_int_equal(trec_reader_tasks(r, &tasks, &n, &e), 0);
	assert_int_equal(n, 12);
	assert_int_equal(trec_reader_maps(r, &maps, &n, &e), 0);
	assert_int_equal(n, 6);
	assert_int_equal(maps[0].build_id_len, 20);
	assert_int_equal(trec_reader_dso_syms(r, &syms, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(syms[0].nsyms, 64);
	assert_string_equal(syms[0].syms[63].name, "function_63");
	assert_int_equal(trec_reader_ksyms(r, &ks, &n, &e), 0);
	assert_int_equal(n, 32);
	assert_int_equal(trec_reader_losses(r, &loss, &n, &e), 0);
	assert_int_equal(n, so.events / 100000);
	trec_reader_close(r);

	/* Same events when the index is ignored and blocks are walked. */
	struct trec_reader_opts ro = { .sz = sizeof(ro), .no_index = 1 };
	assert_int_equal(trec_reader_open(&r, path, &ro, &e), 0);
	assert_false(trec_reader_info(r)->truncated);
	assert_int_equal(verify_events(r, &so, 1), (int64_t)so.events);
	trec_reader_close(r);
}

/* Events in the complete EVENTS blocks that end at or before `cut`. */
static uint64_t events_before(const struct trec_block_info *blocks, uint32_t n, uint64_t cut)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		if (blocks[i].h.kind == TREC_BLK_EVENTS &&
		    blocks[i].offset + TREC_BLOCK_HEADER_SIZE + blocks[i].h.comp_len <= cut)
			sum += blocks[i].h.count;
	return sum;
}

static void test_truncate_every_byte(void **state)
{
	const char *path = scratch_path("small.data");
	const char *cutp = scratch_path("cut.data");
	struct synth_opts so = { .events = 600, .ncpus = 2, .seed = 3, .nstacks = 8 };
	struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 4096 };
	assert_int_equal(make_trace(path, &so, &wo, 1), 0);
	size_t size;
	uint8_t *full = slurp(path, &size);

	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	uint32_t nb = trec_reader_info(r)->nblocks;
	assert_true(nb >= 8);
	struct trec_block_info *blocks = calloc(nb, sizeof(*blocks));
	for (uint32_t i = 0; i < nb; i++)
		blocks[i] = *trec_reader_block(r, i);
	trec_reader_close(r);

	for (size_t cut = 0; cut <= size; cut++) {
		spit(cutp, full, cut);
		int rc = trec_reader_open(&r, cutp, NULL, &e);
		if (cut < TREC_FILE_HEADER_SIZE) {
			assert_int_equal(rc, -EBADMSG);
			continue;
		}
		assert_int_equal(rc, 0);
		const struct trec_file_info *fi = trec_reader_info(r);
		if (cut == size) {
			assert_false(fi->truncated);
		} else {
			assert_true(fi->truncated);
			assert_true(fi->truncated_at <= cut);
			assert_non_null(fi->truncation);
		}
		/* Exactly the complete blocks before the cut. */
		int64_t got = verify_events(r, &so, 1);
		assert_int_equal(got, (int64_t)events_before(blocks, nb, cut));
		const struct trec_task *t;
		size_t n;
		assert_int_equal(trec_reader_tasks(r, &t, &n, &e), 0);
		const struct trec_totals *tt;
		assert_int_equal(trec_reader_totals(r, &tt, &e), 0);
		assert_int_equal(tt->events, (uint64_t)got);
		trec_reader_close(r);
	}
	free(blocks);
	free(full);
}

static void test_bit_flips(void **state)
{
	const char *path = scratch_path("flip-src.data");
	const char *flp = scratch_path("flip.data");
	struct synth_opts so = { .events = 400, .ncpus = 2, .seed = 5, .nstacks = 8 };
	struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 4096 };
	assert_int_equal(make_trace(path, &so, &wo, 1), 0);
	size_t size;
	uint8_t *full = slurp(path, &size);
	uint8_t *buf = malloc(size);
	int64_t detected = 0, harmless = 0;
	struct trec_trailer tr;
	assert_int_equal(trec_trailer_unpack(full + size - TREC_TRAILER_SIZE, &tr), 0);
	uint64_t footer_at = tr.index_offset;
	for (size_t off = 0; off < size; off++) {
		memcpy(buf, full, size);
		buf[off] ^= (uint8_t)(1u << (off * 5 % 8));
		spit(flp, buf, size);
		for (int ignore = 0; ignore < 2; ignore++) {
			struct trec_reader *r;
			struct trec_err e = { 0 };
			struct trec_reader_opts ro = { .sz = sizeof(ro), .ignore_corrupt = ignore };
			if (trec_reader_open(&r, flp, &ro, &e) < 0) {
				assert_true(e.msg[0] != 0);
				detected++;
				continue;
			}
			/* Either the reader reports the damage, or what it returns is exact. */
			int64_t got = verify_events(r, &so, !ignore);
			const struct trec_schema **sc;
			const struct trec_task *t;
			size_t n;
			const struct trec_meta_kv *kv;
			const struct trec_map *m;
			const struct trec_dso_syms *d;
			const struct trec_ksym *k;
			const struct trec_loss *l;
			int bad = got < 0;
			bad |= trec_reader_schemas(r, &sc, &n, &e) < 0;
			bad |= trec_reader_tasks(r, &t, &n, &e) < 0;
			bad |= trec_reader_meta(r, &kv, &n, &e) < 0;
			bad |= trec_reader_maps(r, &m, &n, &e) < 0;
			bad |= trec_reader_dso_syms(r, &d, &n, &e) < 0;
			bad |= trec_reader_ksyms(r, &k, &n, &e) < 0;
			bad |= trec_reader_losses(r, &l, &n, &e) < 0;
			bad |= trec_reader_stack(r, 1) == NULL;
			if (!ignore) {
				if (bad) {
					detected++;
				} else {
					/* Only the footer is redundant: a flip there costs the
					 * index (blocks are walked instead), nothing else. */
					assert_int_equal(got, (int64_t)so.events);
					assert_true(off >= footer_at);
					harmless++;
				}
			}
			trec_reader_close(r);
		}
	}
	print_message("# %zu bytes flipped: %lld detected, %lld harmless\n", size, (long long)detected,
		      (long long)harmless);
	assert_true(detected > 0);
	free(buf);
	free(full);
}

static void test_recover(void **state)
{
	const char *path = scratch_path("killed.data");
	struct synth_opts so = { .events = 50000, .ncpus = 2, .seed = 9 };
	struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 64 << 10 };
	assert_int_equal(make_trace(path, &so, &wo, 0), 0);

	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	assert_true(trec_reader_info(r)->truncated);
	assert_false(trec_reader_info(r)->has_index);
	assert_int_equal(verify_events(r, &so, 1), (int64_t)so.events);
	trec_reader_close(r);

	struct trec_recover_result res;
	assert_int_equal(trec_recover(path, &res, &e), 0);
	assert_false(res.was_whole);
	assert_int_equal(res.blocks_bad, 0);
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	assert_true(trec_reader_info(r)->has_index);
	assert_false(trec_reader_info(r)->truncated);
	assert_int_equal(verify_events(r, &so, 1), (int64_t)so.events);
	const struct trec_totals *t;
	assert_int_equal(trec_reader_totals(r, &t, &e), 0);
	assert_int_equal(t->events, so.events);
	trec_reader_close(r);

	assert_int_equal(trec_recover(path, &res, &e), 0);
	assert_true(res.was_whole);

	/* Cut in the middle of a block: recovery keeps every complete block. */
	size_t size;
	uint8_t *full = slurp(path, &size);
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	uint32_t nb = trec_reader_info(r)->nblocks;
	struct trec_block_info *blocks = calloc(nb, sizeof(*blocks));
	for (uint32_t i = 0; i < nb; i++)
		blocks[i] = *trec_reader_block(r, i);
	trec_reader_close(r);
	size_t cut = size * 2 / 3;
	spit(path, full, cut);
	uint64_t want = events_before(blocks, nb, cut);
	assert_int_equal(trec_recover(path, &res, &e), 0);
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	assert_false(trec_reader_info(r)->truncated);
	assert_int_equal(verify_events(r, &so, 1), (int64_t)want);
	trec_reader_close(r);
	free(blocks);
	free(full);
}

static void test_time_window(void **state)
{
	const char *path = scratch_path("window.data");
	struct synth_opts so = { .events = 200000, .ncpus = 2, .seed = 11 };
	struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 64 << 10 };
	assert_int_equal(make_trace(path, &so, &wo, 1), 0);
	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	const struct trec_totals *t;
	assert_int_equal(trec_reader_totals(r, &t, &e), 0);
	uint64_t span = t->last_ts - t->first_ts;
	uint64_t lo = t->first_ts + span * 2 / 5, hi = t->first_ts + span / 2;

	uint32_t overlapping = 0, events_blocks = 0;
	for (uint32_t i = 0; i < trec_reader_info(r)->nblocks; i++) {
		const struct trec_block_info *b = trec_reader_block(r, i);
		if (b->h.kind != TREC_BLK_EVENTS)
			continue;
		events_blocks++;
		overlapping += b->h.last_ts >= lo && b->h.first_ts <= hi;
	}
	assert_true(overlapping * 4 < events_blocks);

	struct trec_reader_stats before, after;
	trec_reader_stats(r, &before);
	struct trec_iter_opts io = { .sz = sizeof(io), .start_ts = lo, .end_ts = hi };
	struct trec_event_iter *it;
	assert_int_equal(trec_event_iter_new(r, &io, &it), 0);
	struct trec_event ev;
	uint64_t n = 0, prev = 0;
	while (trec_event_iter_next(it, &ev, &e) == 1) {
		assert_true(ev.ts >= lo && ev.ts <= hi);
		assert_true(ev.ts >= prev);
		prev = ev.ts;
		n++;
	}
	trec_event_iter_free(it);
	trec_reader_stats(r, &after);
	assert_int_equal(after.blocks_decompressed - before.blocks_decompressed, overlapping);

	/* Exactly the events a full scan finds inside the window. */
	uint64_t m = 0;
	assert_int_equal(trec_event_iter_new(r, NULL, &it), 0);
	while (trec_event_iter_next(it, &ev, &e) == 1)
		m += ev.ts >= lo && ev.ts <= hi;
	trec_event_iter_free(it);
	assert_int_equal(n, m);
	assert_true(n > 0);
	trec_reader_close(r);
}

struct ev_seen {
	uint64_t ts;
	uint32_t cpu, tid, type, size, sum, seq;
};

static struct ev_seen seen_of(const struct trec_event *ev)
{
	struct ev_seen x = { .ts = ev->ts, .cpu = ev->cpu, .tid = ev->tid, .type = ev->type, .size = ev->size };
	for (uint32_t k = 0; k < ev->size; k++)
		x.sum = x.sum * 31 + ((const uint8_t *)ev->data)[k];
	return x;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct ev_seen *x = a, *y = b;
	return x->ts != y->ts ? (x->ts < y->ts ? -1 : 1) : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* In time order, events of equal times in file order. */
static uint64_t expected_order(struct trec_reader *r, const struct trec_iter_opts *o, struct ev_seen *out,
			       uint64_t cap)
{
	struct trec_iter_opts io = *o;
	io.unordered = 1;
	struct trec_event_iter *it;
	struct trec_event ev;
	struct trec_err e = { 0 };
	uint64_t n = 0;
	assert_int_equal(trec_event_iter_new(r, &io, &it), 0);
	while (trec_event_iter_next(it, &ev, &e) == 1) {
		assert_true(n < cap);
		out[n] = seen_of(&ev);
		out[n].seq = (uint32_t)n;
		n++;
	}
	trec_event_iter_free(it);
	qsort(out, n, sizeof(*out), seen_cmp);
	for (uint64_t i = 0; i < n; i++)
		out[i].seq = 0;
	return n;
}

/* Runs (trec_event_iter_next_run) hand out the events in time order, as
 * trec_event_iter_next does, equal times in file order, with and without
 * a time window; the two calls may take turns on one iterator. The times
 * are coarse, so that events of several CPUs share them. */
static void test_runs_match_events(void **state)
{
	const char *path = scratch_path("runs.data");
	struct synth_opts so = { .events = 100000, .ncpus = 3, .seed = 12 };
	struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 32 << 10 };
	struct trec_writer *wr;
	struct trec_err e = { 0 };
	unlink(path);
	assert_int_equal(trec_writer_open(&wr, path, 0, &wo, &e), 0);
	struct synth sy;
	assert_int_equal(synth_init(&sy, &so), 0);
	assert_int_equal(synth_write_side(&sy, wr), 0);
	for (uint64_t i = 0; i < so.events; i++) {
		struct trec_event ev;
		synth_next(&sy, &ev);
		ev.ts &= ~(uint64_t)0x3ff;
		assert_int_equal(trec_writer_add_event(wr, &ev), 0);
	}
	synth_free(&sy);
	assert_int_equal(trec_writer_close(wr, &e), 0);

	struct trec_reader *r;
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	const struct trec_totals *t;
	assert_int_equal(trec_reader_totals(r, &t, &e), 0);
	uint64_t span = t->last_ts - t->first_ts;
	struct ev_seen *want = calloc(so.events, sizeof(*want));
	assert_non_null(want);
	for (int w = 0; w < 2; w++) {
		struct trec_iter_opts io = { .sz = sizeof(io) };
		if (w) {
			io.start_ts = t->first_ts + span / 3;
			io.end_ts = t->first_ts + span / 2;
		}
		struct trec_event_iter *it;
		struct trec_event ev;
		uint64_t n = expected_order(r, &io, want, so.events), k = 0;
		assert_true(n > 1000);
		assert_int_equal(trec_event_iter_new(r, &io, &it), 0);
		for (; trec_event_iter_next(it, &ev, &e) == 1; k++) {
			struct ev_seen x = seen_of(&ev);
			assert_true(k < n);
			assert_memory_equal(&x, &want[k], sizeof(x));
		}
		trec_event_iter_free(it);
		assert_int_equal(k, n);
		for (int mixed = 0; mixed < 2; mixed++) {
			assert_int_equal(trec_event_iter_new(r, &io, &it), 0);
			uint64_t m = 0, runs = 0;
			for (int rc = 1; rc == 1;) {
				if (mixed && runs % 3 == 1) { /* one event, then a run again */
					if ((rc = trec_event_iter_next(it, &ev, &e)) == 1) {
						struct ev_seen x = seen_of(&ev);
						assert_true(m < n);
						assert_memory_equal(&x, &want[m], sizeof(x));
						m++;
					}
					runs++;
					continue;
				}
				const struct trec_evblock *b;
				uint32_t first, cnt;
				if ((rc = trec_event_iter_next_run(it, &b, &first, &cnt, &e)) != 1)
					break;
				assert_true(cnt >= 1);
				for (uint32_t i = first; i < first + cnt; i++, m++) {
					trec_evblock_get(b, i, &ev);
					struct ev_seen x = seen_of(&ev);
					assert_true(m < n);
					assert_memory_equal(&x, &want[m], sizeof(x));
				}
				runs++;
			}
			assert_int_equal(m, n);
			assert_true(runs < n); /* runs, not single events */
			trec_event_iter_free(it);
		}
	}
	free(want);
	trec_reader_close(r);
}

static void test_newer_version_refused(void **state)
{
	const char *path = scratch_path("future.data");
	struct synth_opts so = { .events = 10 };
	assert_int_equal(make_trace(path, &so, NULL, 1), 0);
	size_t size;
	uint8_t *p = slurp(path, &size);
	struct trec_file_header h;
	assert_int_equal(trec_file_header_unpack(p, &h, NULL), 0);
	h.major = TREC_VERSION_MAJOR + 1;
	trec_file_header_pack(&h, p);
	spit(path, p, size);
	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "newer"));
	free(p);
}

static void test_safe_create(void **state)
{
	const char *path = scratch_path("exists.data");
	const char *victim = scratch_path("victim");
	struct trec_writer *w;
	struct trec_err e = { 0 };
	spit(path, "x", 1);
	assert_int_equal(trec_writer_open(&w, path, 0, NULL, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "-f"));
	/* -f through a symlink replaces the link; the file it pointed at is untouched. */
	spit(victim, "precious", 8);
	unlink(path);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(trec_writer_open(&w, path, 0, NULL, &e), -EEXIST);
	assert_int_equal(trec_writer_open(&w, path, 1, NULL, &e), 0);
	assert_int_equal(trec_writer_close(w, &e), 0);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t n;
	char *v = slurp(victim, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(v, "precious", 8);
	free(v);
}

/* A file size limit stands in for a full disk: writes fail the same way
 * (EFBIG instead of ENOSPC) at a byte the test chooses. */
static void test_disk_full(void **state)
{
	const char *path = scratch_path("full.data");
	unlink(path);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = { 300000, 300000 };
		setrlimit(RLIMIT_FSIZE, &rl);
		struct synth_opts so = { .events = 2000000, .seed = 13 };
		struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = 64 << 10 };
		struct trec_writer *w;
		struct trec_err e = { 0 };
		if (trec_writer_open(&w, path, 0, &wo, &e))
			_exit(10);
		struct synth s;
		synth_init(&s, &so);
		int r = synth_write(&s, w);
		synth_free(&s);
		if (r != -EFBIG)
			_exit(11);
		r = trec_writer_close(w, &e);
		if (r != -EFBIG || !strstr(e.msg, path))
			_exit(12);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	struct trec_reader *r;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	struct synth_opts so = { .events = 2000000, .seed = 13 };
	int64_t n = verify_events(r, &so, 1);
	assert_true(n > 1000);
	const struct trec_totals *t;
	assert_int_equal(trec_reader_totals(r, &t, &e), 0);
	if (trec_reader_info(r)->has_index)
		assert_true(t->events >= (uint64_t)n); /* the index counts what was added */
	trec_reader_close(r);
}

/* A recorder seals open buffers periodically: after trec_writer_seal the
 * events are in the file for any reader, while the writer stays open. */
static void test_seal_while_open(void **state)
{
	const char *path = scratch_path("sealed.data");
	unlink(path);
	struct trec_writer *w;
	struct trec_err e = { 0 };
	assert_int_equal(trec_writer_open(&w, path, 0, NULL, &e), 0);
	struct synth_opts so = { .events = 0, .seed = 17 };
	struct synth s;
	assert_int_equal(synth_init(&s, &so), 0);
	assert_int_equal(synth_write_side(&s, w), 0);
	struct trec_event ev;
	for (int i = 0; i < 1000; i++) {
		synth_next(&s, &ev);
		assert_int_equal(trec_writer_add_event(w, &ev), 0);
	}
	assert_int_equal(trec_writer_seal(w), 0);
	struct trec_writer_stats st;
	for (int tries = 0; tries < 500; tries++) {
		trec_writer_stats(w, &st);
		if (st.events_written == 1000)
			break;
		usleep(10000);
	}
	assert_int_equal(st.events_written, 1000);
	struct trec_reader *r;
	assert_int_equal(trec_reader_open(&r, path, NULL, &e), 0);
	assert_true(trec_reader_info(r)->truncated); /* no footer yet */
	struct synth_opts want = { .events = 1000, .seed = 17 };
	assert_int_equal(verify_events(r, &want, 1), 1000);
	trec_reader_close(r);
	assert_int_equal(trec_writer_close(w, &e), 0);
	synth_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_million),
		cmocka_unit_test(test_truncate_every_byte),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_runs_match_events),
		cmocka_unit_test(test_newer_version_refused),
		cmocka_unit_test(test_safe_create),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_seal_while_open),
	};
	return cmocka_run_group_tests_name("file", tests, setup_dir, teardown_dir);
}
