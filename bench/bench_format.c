/* SPDX-License-Identifier: MIT */
/*
 * Format throughput: writer (encode + zstd + write) and reader (read +
 * zstd + decode + time-ordered merge) on synthetic streams, against the
 * naive alternative of zstd over plain fixed-size records.
 *
 *   bench_format [-n EVENTS] [-d DIR]
 *
 * Events are generated into memory first, so only the format is timed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "reader.h"
#include "synth.h"
#include "writer.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct stream {
	uint64_t n;
	struct trec_event *ev;
	uint8_t *payload;
	uint64_t payload_bytes;
};

static void gen(struct stream *st, const struct synth_opts *so)
{
	struct synth s;
	if (synth_init(&s, so)) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	st->n = so->events;
	st->ev = calloc(st->n, sizeof(*st->ev));
	st->payload = malloc(st->n * 128);
	if (!st->ev || !st->payload) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	uint64_t off = 0;
	for (uint64_t i = 0; i < st->n; i++) {
		synth_next(&s, &st->ev[i]);
		uint32_t sz = st->ev[i].size;
		if (off + sz > st->n * 128) {
			fprintf(stderr, "bench: payload overflow\n");
			exit(1);
		}
		memcpy(st->payload + off, st->ev[i].data, sz);
		st->ev[i].data = st->payload + off;
		off += sz;
	}
	st->payload_bytes = off;
	synth_free(&s);
}

static uint64_t file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Writes the stream; returns seconds (wall) and fills cpu seconds. */
static double write_stream(const char *path, const struct stream *st, const struct synth_opts *so,
			   int inline_compress, int level, double *cpu)
{
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = inline_compress, .level = level };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	unlink(path);
	if (trec_writer_open(&w, path, 1, &wo, &e)) {
		fprintf(stderr, "bench: %s\n", e.msg);
		exit(1);
	}
	struct synth s;
	synth_init(&s, so);
	if (synth_write_side(&s, w)) {
		fprintf(stderr, "bench: writing side records failed\n");
		exit(1);
	}
	synth_free(&s);
	double c0 = cpu_now(), t0 = now();
	for (uint64_t i = 0; i < st->n; i++) {
		if (trec_writer_add_event(w, &st->ev[i])) {
			fprintf(stderr, "bench: add_event failed\n");
			exit(1);
		}
	}
	if (trec_writer_close(w, &e)) {
		fprintf(stderr, "bench: close: %s\n", e.msg);
		exit(1);
	}
	double t = now() - t0;
	*cpu = cpu_now() - c0;
	return t;
}

static double read_stream(const char *path, int unordered, uint64_t expect)
{
	struct trec_reader *r;
	struct trec_err e = { 0 };
	double t0 = now();
	if (trec_reader_open(&r, path, NULL, &e)) {
		fprintf(stderr, "bench: %s\n", e.msg);
		exit(1);
	}
	struct trec_iter_opts io = { .sz = sizeof(io), .unordered = unordered };
	struct trec_event_iter *it;
	trec_event_iter_new(r, &io, &it);
	struct trec_event ev;
	uint64_t n = 0, sum = 0;
	while (trec_event_iter_next(it, &ev, &e) == 1) {
		sum += ev.ts ^ ev.tid;
		n++;
	}
	trec_event_iter_free(it);
	trec_reader_close(r);
	double t = now() - t0;
	if (n != expect) {
		fprintf(stderr, "bench: read %llu events, expected %llu\n", (unsigned long long)n,
			(unsigned long long)expect);
		exit(1);
	}
	if (sum == 42)
		fprintf(stderr, " ");
	return t;
}

/* The naive encoding: fixed rows (8-byte ts + 4 cpu + 4 pid + 4 tid + 4 type
 * + payload) through zstd -1 in blocks of 64K events. */
static double naive_bytes_per_event(const struct stream *st, double *secs)
{
	const size_t per_block = 65536;
	size_t row = 24 + 64;
	uint8_t *buf = malloc(per_block * row);
	size_t cap = ZSTD_compressBound(per_block * row);
	uint8_t *out = malloc(cap);
	ZSTD_CCtx *z = ZSTD_createCCtx();
	uint64_t total = 0;
	double t0 = now();
	for (uint64_t i = 0; i < st->n; i += per_block) {
		size_t k = st->n - i < per_block ? (size_t)(st->n - i) : per_block, len = 0;
		for (size_t j = 0; j < k; j++) {
			const struct trec_event *ev = &st->ev[i + j];
			memcpy(buf + len, &ev->ts, 8);
			memcpy(buf + len + 8, &ev->cpu, 4);
			memcpy(buf + len + 12, &ev->pid, 4);
			memcpy(buf + len + 16, &ev->tid, 4);
			memcpy(buf + len + 20, &ev->type, 4);
			memset(buf + len + 24, 0, 64);
			memcpy(buf + len + 24, ev->data, ev->size < 64 ? ev->size : 64);
			len += row;
		}
		total += ZSTD_compressCCtx(z, out, cap, buf, len, 1);
	}
	*secs = now() - t0;
	ZSTD_freeCCtx(z);
	free(buf);
	free(out);
	return (double)total / (double)st->n;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void run(const char *label, const struct synth_opts *so, const char *dir)
{
	struct stream st;
	gen(&st, so);
	char path[512];
	snprintf(path, sizeof(path), "%s/bench-%s.trec", dir, label);
	double mb = (double)st.payload_bytes / 1e6;

	printf("\n== %s: %llu events, %.1f MB of payloads, %u CPUs\n", label, (unsigned long long)st.n, mb,
	       so->ncpus);
	printf("%-42s %12s %10s %12s\n", "", "events/s", "MB/s", "bytes/event");
	for (int level = 1; level <= 3; level += 2) {
		double cpu, t = write_stream(path, &st, so, 1, level, &cpu);
		uint64_t fb = file_size(path);
		char name[64];
		snprintf(name, sizeof(name), "write, zstd %d, one core (encode+compress)", level);
		printf("%-42s %12.3g %10.0f %12.2f\n", name, st.n / t, mb / t, (double)fb / st.n);
	}
	double cpu, t = write_stream(path, &st, so, 0, 1, &cpu);
	printf("%-42s %12.3g %10.0f %12.2f   (cpu %.2fs for %.2fs wall)\n", "write, zstd 1, compressor thread",
	       st.n / t, mb / t, (double)file_size(path) / st.n, cpu, t);
	t = read_stream(path, 1, st.n);
	printf("%-42s %12.3g %10.0f\n", "read, file order (decompress+decode)", st.n / t, mb / t);
	t = read_stream(path, 0, st.n);
	printf("%-42s %12.3g %10.0f\n", "read, time order (+ merge of CPUs)", st.n / t, mb / t);
	double nsec, nb = naive_bytes_per_event(&st, &nsec);
	printf("%-42s %12.3g %10.0f %12.2f\n", "naive: 88-byte rows, zstd 1, 64K/block", st.n / nsec, mb / nsec, nb);
	printf("ratio naive/trec bytes per event: %.1fx\n", nb / ((double)file_size(path) / st.n));
	unlink(path);
	free(st.ev);
	free(st.payload);
}

int main(int argc, char **argv)
{
	uint64_t n = 4000000;
	const char *dir = "/tmp";
	int c;
	while ((c = getopt(argc, argv, "n:d:")) != -1) {
		if (c == 'n')
			n = strtoull(optarg, NULL, 0);
		else if (c == 'd')
			dir = optarg;
		else {
			fprintf(stderr, "usage: bench_format [-n EVENTS] [-d DIR]\n");
			return 2;
		}
	}
	struct synth_opts sys = { .events = n, .ncpus = 2, .profile = SYNTH_SYSCALLS };
	run("syscalls", &sys, dir);
	struct synth_opts mixed = { .events = n, .ncpus = 2, .profile = SYNTH_MIXED };
	run("mixed", &mixed, dir);
	printf("\npeak RSS %ld MB (includes the pre-generated events)\n", peak_rss_kb() / 1024);
	return 0;
}
