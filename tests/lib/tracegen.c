/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracegen.h"
#include "writer.h"

static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "tracegen: %s: %s\n", what, strerror(-rc));
		abort();
	}
}

struct trec_writer *tg_open(const char *path, const struct trec_schema *s, size_t n)
{
	struct trec_writer_opts wo = { .sz = sizeof(wo), .inline_compress = 1 };
	struct trec_writer *w;
	struct trec_err e = { 0 };
	int rc = trec_writer_open(&w, path, 1, &wo, &e);
	if (rc < 0) {
		fprintf(stderr, "tracegen: %s\n", trec_errmsg(&e, rc));
		abort();
	}
	for (size_t i = 0; i < n; i++)
		check(trec_writer_add_schema(w, &s[i]), s[i].name);
	return w;
}

void tg_meta(struct trec_writer *w, const char *key, const char *value)
{
	struct trec_meta_kv kv = { .key = key, .type = TREC_META_STR };
	kv.v.str.ptr = value;
	kv.v.str.len = (uint32_t)strlen(value);
	check(trec_writer_add_meta(w, &kv, 1), key);
}

void tg_task(struct trec_writer *w, uint32_t kind, uint64_t ts, uint32_t pid, uint32_t tid, const char *comm)
{
	struct trec_task t = { .ts = ts, .kind = kind, .pid = pid, .tid = tid, .ppid = 1, .ptid = 1,
			       .comm = comm, .filename = "" };
	check(trec_writer_add_task(w, &t), "task");
}

uint32_t tg_stack(struct trec_writer *w, const uint64_t *ips, uint16_t nkernel, uint16_t nuser)
{
	uint32_t id;
	check(trec_writer_add_stack(w, ips, nkernel, nuser, &id), "stack");
	return id;
}

void tg_map(struct trec_writer *w, uint32_t pid, uint64_t ts, uint64_t start, uint64_t len, uint64_t pgoff,
	    uint8_t bidv, const char *path)
{
	struct trec_map m = { .ts = ts, .pid = pid, .prot = 5, .flags = 2, .start = start, .len = len,
			      .pgoff = pgoff, .path = path };
	if (bidv) {
		memset(m.build_id, bidv, 20);
		m.build_id_len = 20;
	}
	check(trec_writer_add_map(w, &m), "map");
}

void tg_syms(struct trec_writer *w, uint8_t bidv, const char *path, uint64_t bias, const struct trec_sym *syms,
	     uint32_t n)
{
	struct trec_dso_syms d = { .path = path, .load_bias = bias, .nsyms = n, .syms = syms };
	if (bidv) {
		memset(d.build_id, bidv, 20);
		d.build_id_len = 20;
	}
	check(trec_writer_add_dso_syms(w, &d), "symbols");
}

void tg_ksyms(struct trec_writer *w, const struct trec_ksym *k, size_t n)
{
	check(trec_writer_add_ksyms(w, k, n), "kernel symbols");
}

void tg_event(struct trec_writer *w, uint64_t ts, uint32_t cpu, uint32_t pid, uint32_t tid, uint32_t type,
	      uint32_t stack, const void *payload, uint32_t size)
{
	static const uint8_t zeros[256];
	struct trec_event ev = { .ts = ts, .cpu = cpu, .pid = pid, .tid = tid, .type = type, .stack_id = stack,
				 .size = size, .data = payload ? payload : zeros };
	check(trec_writer_add_event(w, &ev), "event");
}

void tg_event_u64(struct trec_writer *w, uint64_t ts, uint32_t pid, uint32_t tid, uint32_t type, uint32_t stack,
		  const uint64_t *v, uint32_t n)
{
	tg_event(w, ts, 0, pid, tid, type, stack, v, n * 8);
}

void tg_close(struct trec_writer *w)
{
	struct trec_err e = { 0 };
	int rc = trec_writer_close(w, &e);
	if (rc < 0) {
		fprintf(stderr, "tracegen: %s\n", trec_errmsg(&e, rc));
		abort();
	}
}
