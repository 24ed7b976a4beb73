/* SPDX-License-Identifier: MIT */
/*
 * Small hand-made traces for the engines' unit tests: the schemas, tasks,
 * stacks, kernel symbols and events a test names, written with
 * format/writer, so that every count a view shows can be worked out by
 * hand. Test code: a failure prints what and where, then aborts.
 */
#ifndef TREC_TEST_TRACEGEN_H
#define TREC_TEST_TRACEGEN_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "schema.h"

struct trec_writer;

/* Creates `path` with these schemas (events of those types may follow). */
struct trec_writer *tg_open(const char *path, const struct trec_schema *s, size_t n);
/* A metadata string ("machine", "host.name"). */
void tg_meta(struct trec_writer *w, const char *key, const char *value);
/* A task record: kind TREC_TASK_*, at ts, named comm. */
void tg_task(struct trec_writer *w, uint32_t kind, uint64_t ts, uint32_t pid, uint32_t tid, const char *comm);
/* A stack (leaf first: nkernel kernel frames, then user frames); its id. */
uint32_t tg_stack(struct trec_writer *w, const uint64_t *ips, uint16_t nkernel, uint16_t nuser);
/* A mapping of `path` in pid at ts; build id 20 bytes of bidv (0: none). */
void tg_map(struct trec_writer *w, uint32_t pid, uint64_t ts, uint64_t start, uint64_t len, uint64_t pgoff,
	    uint8_t bidv, const char *path);
/* The symbol table of `path` (build id as tg_map's), its load bias. */
void tg_syms(struct trec_writer *w, uint8_t bidv, const char *path, uint64_t bias, const struct trec_sym *syms,
	     uint32_t n);
void tg_ksyms(struct trec_writer *w, const struct trec_ksym *k, size_t n);
/* One event; payload of `size` bytes (NULL: zeros). */
void tg_event(struct trec_writer *w, uint64_t ts, uint32_t cpu, uint32_t pid, uint32_t tid, uint32_t type,
	      uint32_t stack, const void *payload, uint32_t size);
/* An event whose payload is the 64-bit values v[0..n-1]. */
void tg_event_u64(struct trec_writer *w, uint64_t ts, uint32_t pid, uint32_t tid, uint32_t type, uint32_t stack,
		  const uint64_t *v, uint32_t n);
void tg_close(struct trec_writer *w);

#endif
