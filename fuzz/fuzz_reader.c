/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a whole trace file, through every reader entry point
 * a command uses. Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION so
 * checksums do not stop mutated payloads from reaching the decoders.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"

static void exercise_fields(struct trec_reader *r, const struct trec_event *ev)
{
	const struct trec_schema *s = trec_reader_schema(r, ev->type);
	if (!s)
		return;
	int swap = trec_reader_swap(r);
	for (uint32_t i = 0; i < s->nfields; i++) {
		const struct trec_field *f = &s->fields[i];
		uint64_t u;
		int64_t v;
		const char *str;
		uint32_t len;
		for (uint32_t k = 0; k < f->count && k < 4; k++) {
			(void)trec_field_get_u64(f, ev->data, ev->size, k, swap, &u);
			(void)trec_field_get_i64(f, ev->data, ev->size, k, swap, &v);
		}
		if (trec_field_get_str(f, ev->data, ev->size, swap, &str, &len) == 0 && len)
			(void)str[len - 1];
	}
	if (ev->stack_id) {
		const struct trec_stack *st = trec_reader_stack(r, ev->stack_id);
		if (st && st->nkernel + st->nuser)
			(void)st->ips[st->nkernel + st->nuser - 1];
	}
}

static void read_all(const char *path, int ignore)
{
	struct trec_reader_opts ro = { .sz = sizeof(ro), .ignore_corrupt = ignore };
	struct trec_reader *r;
	struct trec_err e;
	if (trec_reader_open(&r, path, &ro, &e) < 0)
		return;
	const struct trec_meta_kv *kv;
	const struct trec_schema **sc;
	const struct trec_task *t;
	const struct trec_task_ctx *tc;
	const struct trec_map *m;
	const struct trec_dso_syms *d;
	const struct trec_ksym *k;
	const struct trec_loss *l;
	const struct trec_totals *tt;
	size_t n;
	trec_reader_meta(r, &kv, &n, &e);
	trec_reader_schemas(r, &sc, &n, &e);
	trec_reader_tasks(r, &t, &n, &e);
	trec_reader_task_ctx(r, &tc, &n, &e);
	trec_reader_maps(r, &m, &n, &e);
	trec_reader_dso_syms(r, &d, &n, &e);
	trec_reader_ksyms(r, &k, &n, &e);
	trec_reader_losses(r, &l, &n, &e);
	trec_reader_totals(r, &tt, &e);
	struct trec_event_iter *it;
	struct trec_event ev;
	if (trec_event_iter_new(r, NULL, &it) == 0) {
		while (trec_event_iter_next(it, &ev, &e) == 1)
			exercise_fields(r, &ev);
		trec_event_iter_free(it);
	}
	const struct trec_file_info *fi = trec_reader_info(r);
	struct trec_iter_opts io = { .sz = sizeof(io), .start_ts = fi->nblocks ? 1 : 0, .end_ts = UINT64_MAX / 2 };
	if (trec_event_iter_new(r, &io, &it) == 0) {
		while (trec_event_iter_next(it, &ev, &e) == 1)
			;
		trec_event_iter_free(it);
	}
	trec_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("trec-fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		read_all(path, 0);
		read_all(path, 1);
	}
	close(fd);
	return 0;
}
