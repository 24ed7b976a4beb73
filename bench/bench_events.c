/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the columnar event codec on a raw_syscalls:sys_enter-like
 * stream: a syscall loop on 2 CPUs, one stream (evbuf) per CPU, blocks
 * sealed at ~1 MiB of rows as the writer does, each encoded and then
 * compressed with zstd (level 1 by default).
 *
 *   gcc -O2 -Ilib -Iformat bench/bench_events.c format/events.c lib/buf.c \
 *       lib/errors.c -lzstd -o build/bench_events
 *   build/bench_events [-n events] [-l level] [-b block_bytes] [-r reps] [-x]
 *
 * Times are the best of `reps` (3) runs per block, summed: the machine
 * may be shared, and a block is short enough that its minimum is the
 * undisturbed time. -x also measures the alternatives docs/format-events.md compares
 * (row-major rows, raw columns, delta-only columns) on the same events.
 *
 * Event generation is not timed: each block's events are generated into a
 * buffer first, then added, encoded and compressed (timed), so the rows
 * are as warm as they are in the writer, which gets them from a ring
 * buffer it has just read. Every decoded block is checked against a hash
 * of what went in.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "events.h"

#define PAYLOAD 64
#define TYPE_ID 21
#define NCPU 2

/* ---- deterministic generator ------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct stream {
	uint32_t cpu, pid, tid;
	uint64_t ts;
	uint64_t iter;
	uint64_t remaining; /* bytes the loop still reads: arg 2 shrinks */
};

/*
 * One sys_enter record as the tracepoint lays it out:
 *   u16 common_type @0, u8 common_flags @2, u8 common_preempt_count @3,
 *   i32 common_pid @4, i64 id @8, u64 args[6] @16.
 * The traced program loops on read(3, buf, n) into one buffer, with a
 * write(1, ...) every 16th iteration and a clock_gettime every 64th;
 * args[3..5] are whatever the registers held (mostly unchanged).
 * Timestamps advance ~300 ns with +-32 ns jitter, and 1 event in 500
 * comes after an extra gap of up to 20 us (an interrupt, preemption).
 */
static void gen_event(struct stream *s, struct trec_event *ev, uint8_t *p)
{
	uint64_t r = rng();
	uint64_t args[6];
	int64_t id;

	s->ts += 300 + (r & 63) - 32;
	if (((r >> 8) % 500) == 0)
		s->ts += (r >> 20) % 20000;
	s->iter++;
	if (s->iter % 64 == 0) {
		id = 228; /* clock_gettime(CLOCK_MONOTONIC, &ts) */
		args[0] = 1;
		args[1] = 0x7ffd8c2e0f40ull;
		args[2] = 4096;
	} else if (s->iter % 16 == 0) {
		id = 1; /* write(1, buf, 32) */
		args[0] = 1;
		args[1] = 0x7ffd8c2e1000ull;
		args[2] = 32;
	} else {
		id = 0; /* read(3, buf, min(remaining, 4096)) */
		if (s->remaining == 0)
			s->remaining = 1 << 20;
		uint64_t want = s->remaining < 4096 ? s->remaining : 4096;
		if (((r >> 40) & 7) == 0)
			want = (r >> 44) % 4096 + 1; /* a short read now and then */
		s->remaining -= want < s->remaining ? want : s->remaining;
		args[0] = 3;
		args[1] = 0x7ffd8c2e1000ull;
		args[2] = want;
	}
	args[3] = 0x7f3a1c000b70ull;
	args[4] = s->iter / 1000;     /* a register holding an outer loop counter */
	args[5] = 0;

	uint16_t common_type = TYPE_ID;
	uint8_t flags = ((r >> 50) % 1000) == 0; /* irqs-off now and then */
	uint8_t preempt = 0;
	int32_t pid = (int32_t)s->tid;
	memcpy(p + 0, &common_type, 2);
	memcpy(p + 2, &flags, 1);
	memcpy(p + 3, &preempt, 1);
	memcpy(p + 4, &pid, 4);
	memcpy(p + 8, &id, 8);
	memcpy(p + 16, args, 48);

	ev->ts = s->ts;
	ev->cpu = s->cpu;
	ev->pid = s->pid;
	ev->tid = s->tid;
	ev->type = TYPE_ID;
	ev->stack_id = 0;
	ev->size = PAYLOAD;
	ev->data = p;
}

/* ---- helpers ------------------------------------------------------------ */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t hash_event(uint64_t h, const struct trec_event *ev)
{
	h = mix(h, ev->ts);
	h = mix(h, ((uint64_t)ev->cpu << 32) | ev->pid);
	h = mix(h, ((uint64_t)ev->tid << 32) | ev->type);
	h = mix(h, ((uint64_t)ev->stack_id << 32) | ev->size);
	const uint8_t *p = ev->data;
	for (uint32_t i = 0; i + 8 <= ev->size; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		h = mix(h, x);
	}
	for (uint32_t i = ev->size & ~7u; i < ev->size; i++)
		h = mix(h, p[i]);
	return h;
}

struct block {
	void *z;
	size_t zlen, raw_len;
	uint32_t count;
	uint64_t hash;
};

/* ---- alternatives, for the table in docs/format-events.md ---------------- */

enum alt { ALT_ROWS, ALT_RAWCOLS, ALT_DELTA, ALT_N };
static const char *const alt_names[ALT_N] = {
	"rows: 32-byte header + payload, row-major",
	"columns, all raw (no varints)",
	"columns, zigzag delta varints only (no CONST/FOR)",
};

static void put_uv(uint8_t **p, uint64_t v)
{
	while (v >= 0x80) {
		*(*p)++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*(*p)++ = (uint8_t)v;
}

static uint64_t zz(int64_t d) { return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63); }

/* Encodes n events (all PAYLOAD bytes, one type) the alternative way. */
static size_t alt_encode(enum alt a, const struct trec_event *ev, uint32_t n, uint8_t *out)
{
	uint8_t *p = out;
	static const int off[] = { 0, 2, 3, 4, 8, 16, 24, 32, 40, 48, 56 };
	static const int wid[] = { 2, 1, 1, 4, 8, 8, 8, 8, 8, 8, 8 };

	if (a == ALT_ROWS) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t h[6] = { ev[i].cpu, ev[i].pid, ev[i].tid, ev[i].type, ev[i].stack_id, ev[i].size };
			memcpy(p, &ev[i].ts, 8);
			memcpy(p + 8, h, 24);
			memcpy(p + 32, ev[i].data, ev[i].size);
			p += 32 + ev[i].size;
		}
		return (size_t)(p - out);
	}
	/* common columns */
	for (int c = 0; c < 6; c++) {
		uint64_t prev = 0;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t v = c == 0 ? ev[i].ts : c == 1 ? ev[i].cpu : c == 2 ? ev[i].pid :
				     c == 3 ? ev[i].tid : c == 4 ? ev[i].type : ev[i].stack_id;
			if (a == ALT_RAWCOLS) {
				memcpy(p, &v, c ? 4 : 8);
				p += c ? 4 : 8;
			} else {
				put_uv(&p, zz((int64_t)(v - prev)));
				prev = v;
			}
		}
	}
	for (int c = 0; c < 11; c++) {
		uint64_t prev = 0;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t v = 0;
			memcpy(&v, (const uint8_t *)ev[i].data + off[c], wid[c]);
			if (a == ALT_RAWCOLS) {
				memcpy(p, &v, wid[c]);
				p += wid[c];
			} else {
				uint64_t d = v - prev;
				int sh = 64 - 8 * wid[c];
				put_uv(&p, zz((int64_t)(d << sh) >> sh));
				prev = v;
			}
		}
	}
	return (size_t)(p - out);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	uint64_t total = 4u << 20;
	int level = 1, alts = 0, reps = 3, opt;
	size_t block_bytes = 1 << 20;

	while ((opt = getopt(argc, argv, "n:l:b:r:x")) != -1) {
		switch (opt) {
		case 'n':
			total = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			level = atoi(optarg);
			break;
		case 'b':
			block_bytes = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg) > 0 ? atoi(optarg) : 1;
			break;
		case 'x':
			alts = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-n events] [-l zstd level] [-b block bytes] [-r reps] [-x]\n", argv[0]);
			return 2;
		}
	}

	/* the layout a schema of sys_enter gives */
	struct trec_col cols[] = {
		{ 0, 2, TREC_COL_INT }, { 2, 1, TREC_COL_INT }, { 3, 1, TREC_COL_INT }, { 4, 4, TREC_COL_INT },
		{ 8, 8, TREC_COL_INT }, { 16, 8, TREC_COL_INT }, { 24, 8, TREC_COL_INT }, { 32, 8, TREC_COL_INT },
		{ 40, 8, TREC_COL_INT }, { 48, 8, TREC_COL_INT }, { 56, 8, TREC_COL_INT },
	};
	struct trec_layout lay = { TYPE_ID, PAYLOAD, sizeof(cols) / sizeof(cols[0]), cols };
	const struct trec_layout *by_id[TYPE_ID + 1] = { 0 };
	by_id[TYPE_ID] = &lay;
	struct trec_layout_table lt = { TYPE_ID + 1, by_id };

	struct stream st[NCPU];
	for (int c = 0; c < NCPU; c++)
		st[c] = (struct stream){ .cpu = (uint32_t)c, .pid = 4242, .tid = 4242 + (uint32_t)c,
					 .ts = 1700000000000000000ull + (uint64_t)c * 150 };

	/* Events per block: what fills block_bytes of rows. */
	struct trec_evbuf *eb = trec_evbuf_new();
	uint32_t per_block = 0;
	{
		uint8_t pl[PAYLOAD] = { 0 };
		struct trec_event e = { .type = TYPE_ID, .size = PAYLOAD, .data = pl };
		while (trec_evbuf_bytes(eb) < block_bytes && trec_evbuf_add(eb, &e) == 0)
			per_block++;
		trec_evbuf_reset(eb);
	}

	struct trec_event *evs = malloc(sizeof(*evs) * per_block);
	uint8_t *pays = malloc((size_t)PAYLOAD * per_block);
	size_t nblocks_max = total / per_block + NCPU + 1;
	struct block *blocks = calloc(nblocks_max, sizeof(*blocks));
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	struct tbuf enc;
	tbuf_init(&enc);
	size_t zcap = ZSTD_compressBound(64u << 20);
	void *zbuf = malloc(zcap);
	uint8_t *altbuf = alts ? malloc((size_t)per_block * 256) : NULL;
	uint64_t alt_bytes[ALT_N] = { 0 };
	if (!evs || !pays || !blocks || !cctx || !dctx || !zbuf || (alts && !altbuf)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}

	double t_add = 0, t_enc = 0, t_zst = 0;
	uint64_t done = 0, raw_total = 0, z_total = 0;
	size_t nblocks = 0;
	struct trec_err err = { 0 };
	while (done < total) {
		/* Streams take turns by block, as two CPUs filling their buffers. */
		struct stream *s = &st[nblocks % NCPU];
		uint32_t n = total - done < per_block ? (uint32_t)(total - done) : per_block;
		uint64_t h = 0;
		for (uint32_t i = 0; i < n; i++) {
			gen_event(s, &evs[i], pays + (size_t)i * PAYLOAD);
			h = hash_event(h, &evs[i]);
		}

		/* Best of `reps` per block: the machine may be shared, and a
		 * block is short enough that the minimum is the undisturbed time. */
		double best_add = 1e9, best_enc = 1e9, best_zst = 1e9;
		size_t zl = 0;
		for (int rep = 0; rep < reps; rep++) {
			trec_evbuf_reset(eb);
			double t0 = now();
			for (uint32_t i = 0; i < n; i++) {
				if (trec_evbuf_add(eb, &evs[i])) {
					fprintf(stderr, "add failed\n");
					return 1;
				}
			}
			double t1 = now();
			tbuf_reset(&enc);
			int ret = trec_events_encode(eb, &lt, &enc, &err);
			if (ret) {
				fprintf(stderr, "encode: %s\n", trec_errmsg(&err, ret));
				return 1;
			}
			double t2 = now();
			zl = ZSTD_compressCCtx(cctx, zbuf, zcap, enc.data, enc.len, level);
			double t3 = now();
			if (ZSTD_isError(zl)) {
				fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(zl));
				return 1;
			}
			best_add = t1 - t0 < best_add ? t1 - t0 : best_add;
			best_enc = t2 - t1 < best_enc ? t2 - t1 : best_enc;
			best_zst = t3 - t2 < best_zst ? t3 - t2 : best_zst;
		}
		t_add += best_add;
		t_enc += best_enc;
		t_zst += best_zst;

		struct block *b = &blocks[nblocks++];
		b->z = malloc(zl);
		memcpy(b->z, zbuf, zl);
		b->zlen = zl;
		b->raw_len = enc.len;
		b->count = n;
		b->hash = h;
		raw_total += enc.len;
		z_total += zl;
		trec_evbuf_reset(eb);

		if (alts) {
			for (int a = 0; a < ALT_N; a++) {
				size_t al = alt_encode((enum alt)a, evs, n, altbuf);
				size_t azl = ZSTD_compressCCtx(cctx, zbuf, zcap, altbuf, al, level);
				alt_bytes[a] += azl;
			}
		}
		done += n;
	}

	/* decode: decompress + decode (+ a reader's loop), best of `reps` per block */
	struct trec_evblock eblk;
	trec_evblock_init(&eblk);
	uint8_t *raw = malloc(64u << 20);
	double t_dz = 0, t_dec = 0, t_iter = 0;
	uint64_t sink = 0;
	for (size_t k = 0; k < nblocks; k++) {
		struct block *b = &blocks[k];
		double bz = 1e9, bd = 1e9, bi = 1e9;
		for (int rep = 0; rep < reps; rep++) {
			double t0 = now();
			size_t rl = ZSTD_decompressDCtx(dctx, raw, 64u << 20, b->z, b->zlen);
			double t1 = now();
			if (ZSTD_isError(rl) || rl != b->raw_len) {
				fprintf(stderr, "zstd decompress failed\n");
				return 1;
			}
			int ret = trec_events_decode(raw, rl, b->count, &eblk, &err);
			double t2 = now();
			if (ret) {
				fprintf(stderr, "decode block %zu: %s\n", k, trec_errmsg(&err, ret));
				return 1;
			}
			struct trec_event e;
			for (uint32_t i = 0; i < eblk.n; i++) {
				trec_evblock_get(&eblk, i, &e);
				sink += e.ts ^ e.size ^ ((const uint8_t *)e.data)[8];
			}
			double t3 = now();
			bz = t1 - t0 < bz ? t1 - t0 : bz;
			bd = t2 - t1 < bd ? t2 - t1 : bd;
			bi = t3 - t2 < bi ? t3 - t2 : bi;
		}
		t_dz += bz;
		t_dec += bd;
		t_iter += bi;
		uint64_t h = 0;
		struct trec_event e;
		for (uint32_t i = 0; i < eblk.n; i++) {
			trec_evblock_get(&eblk, i, &e);
			h = hash_event(h, &e);
		}
		if (eblk.n != b->count || h != b->hash) {
			fprintf(stderr, "block %zu: decoded events differ from the input\n", k);
			return 1;
		}
	}

	double ev = (double)total;
	printf("events         %llu in %zu blocks (%u per block, %zu-byte rows target), %d CPUs, zstd level %d\n",
	       (unsigned long long)total, nblocks, per_block, block_bytes, NCPU, level);
	printf("encoded        %.3f bytes/event before zstd\n", (double)raw_total / ev);
	printf("compressed     %.3f bytes/event (%.3f with 48-byte block headers)\n", (double)z_total / ev,
	       (double)(z_total + 48 * nblocks) / ev);
	printf("add            %6.1f M events/s\n", ev / t_add / 1e6);
	printf("encode         %6.1f M events/s\n", ev / t_enc / 1e6);
	printf("zstd compress  %6.1f M events/s\n", ev / t_zst / 1e6);
	printf("encode+compress      %6.1f M events/s  (add+encode+compress %.1f M events/s)\n",
	       ev / (t_enc + t_zst) / 1e6, ev / (t_add + t_enc + t_zst) / 1e6);
	printf("zstd decompress %6.1f M events/s\n", ev / t_dz / 1e6);
	printf("decode          %6.1f M events/s\n", ev / t_dec / 1e6);
	printf("decompress+decode    %6.1f M events/s  (+ iterating with trec_evblock_get %.1f M events/s)\n",
	       ev / (t_dz + t_dec) / 1e6, ev / (t_dz + t_dec + t_iter) / 1e6);
	if (alts) {
		printf("alternatives (zstd level %d, same blocks):\n", level);
		for (int a = 0; a < ALT_N; a++)
			printf("  %-55s %.3f bytes/event\n", alt_names[a], (double)alt_bytes[a] / ev);
	}
	if (sink == 42)
		printf("\n");

	for (size_t k = 0; k < nblocks; k++)
		free(blocks[k].z);
	free(blocks);
	free(raw);
	free(zbuf);
	free(altbuf);
	free(evs);
	free(pays);
	tbuf_free(&enc);
	trec_evblock_free(&eblk);
	trec_evbuf_free(eb);
	ZSTD_freeCCtx(cctx);
	ZSTD_freeDCtx(dctx);
	return 0;
}
