/* SPDX-License-Identifier: MIT */
/*
 * Writes the fuzzers' seed corpora: small synthetic traces for
 * fuzz_reader (whole, without footer, tiny blocks, big-endian marked) and
 * every block payload of one of them for fuzz_decoders (kind byte, LE32
 * record count, payload).
 *
 *   trec-fuzz-seeds DIR     creates DIR/fuzz_reader/ and DIR/fuzz_decoders/
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"
#include "synth.h"
#include "writer.h"

static int make(const char *path, uint64_t events, int profile, size_t block_bytes, int footer)
{
	struct trec_writer_opts wo = { .sz = sizeof(wo), .block_bytes = block_bytes };
	struct synth_opts so = { .events = events, .profile = profile, .nstacks = 4, .seed = events };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	int r = trec_writer_open(&w, path, 1, &wo, &e);
	if (r)
		return r;
	struct synth s;
	r = synth_init(&s, &so);
	if (!r)
		r = synth_write(&s, w);
	synth_free(&s);
	if (r || !footer) {
		if (!r)
			r = trec_writer_flush(w);
		trec_writer_abandon(w);
		return r;
	}
	return trec_writer_close(w, &e);
}

static int dump_payloads(const char *trace, const char *dir)
{
	struct trec_reader *r;
	struct trec_err e = { 0 };
	int rc = trec_reader_open(&r, trace, NULL, &e);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < trec_reader_info(r)->nblocks; i++) {
		const struct trec_block_info *b = trec_reader_block(r, i);
		const void *p;
		size_t n;
		if (trec_reader_block_payload(r, i, &p, &n, &e) < 0)
			continue;
		char path[600];
		snprintf(path, sizeof(path), "%s/block-%02u-%s", dir, i, trec_block_kind_name(b->h.kind));
		FILE *f = fopen(path, "wb");
		if (!f)
			continue;
		uint8_t hdr[5] = { (uint8_t)b->h.kind, (uint8_t)b->h.count, (uint8_t)(b->h.count >> 8),
				   (uint8_t)(b->h.count >> 16), (uint8_t)(b->h.count >> 24) };
		fwrite(hdr, 1, 5, f);
		fwrite(p, 1, n, f);
		fclose(f);
	}
	trec_reader_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: trec-fuzz-seeds DIR\n");
		return 2;
	}
	char rd[512], dd[512], p[600];
	snprintf(rd, sizeof(rd), "%s/fuzz_reader", argv[1]);
	snprintf(dd, sizeof(dd), "%s/fuzz_decoders", argv[1]);
	mkdir(argv[1], 0755);
	mkdir(rd, 0755);
	mkdir(dd, 0755);
	int r = 0;
	snprintf(p, sizeof(p), "%s/mixed-40", rd);
	r |= make(p, 40, SYNTH_MIXED, 0, 1);
	snprintf(p, sizeof(p), "%s/mixed-60-tiny-blocks", rd);
	r |= make(p, 60, SYNTH_MIXED, 512, 1);
	snprintf(p, sizeof(p), "%s/mixed-30-no-footer", rd);
	r |= make(p, 30, SYNTH_MIXED, 1024, 0);
	snprintf(p, sizeof(p), "%s/syscalls-100", rd);
	r |= make(p, 100, SYNTH_SYSCALLS, 0, 1);
	if (!r) {
		snprintf(p, sizeof(p), "%s/mixed-60-tiny-blocks", rd);
		r = dump_payloads(p, dd);
	}
	if (r) {
		fprintf(stderr, "trec-fuzz-seeds: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
