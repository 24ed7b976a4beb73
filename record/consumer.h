/* SPDX-License-Identifier: MIT */
/*
 * The ring-buffer consumer: drains every CPU's ring into the trace writer
 * and turns the BPF side's loss counters into loss records. It never
 * waits for the disk: the writer runs non-blocking, and a record it cannot
 * take is counted as a writer loss, per CPU and per type, like a record
 * the BPF side could not reserve.
 */
#ifndef TREC_CONSUMER_H
#define TREC_CONSUMER_H

#include <stdint.h>

#include "bpf_tp.h"
#include "writer.h"

struct consumer;

int consumer_new(struct consumer **out, struct tp_capture *cap, struct trec_writer *w,
		 uint32_t max_type);
struct dso_tracker;
/* Every stack new to the file is passed to the tracker (symbols at the end). */
void consumer_set_dsos(struct consumer *c, struct dso_tracker *t);
/* Output switches to another writer (--switch-output). */
void consumer_set_writer(struct consumer *c, struct trec_writer *w);
/* --overwrite: every record goes to fn (the flight recorder's memory)
 * instead of the writer, counted as consumed when fn returns 0; fn's
 * error stops the drain. NULL: back to the writer. */
typedef int (*consumer_sink_fn)(void *ctx, uint32_t cpu, const void *rec, size_t size);
void consumer_set_sink(struct consumer *c, consumer_sink_fn fn, void *ctx);
/* Writes one record kept by the sink to the current writer, as a drain
 * would (its stack deduplicated and noted), without counting it again. */
int consumer_replay(struct consumer *c, uint32_t cpu, const void *rec, size_t size);
/* --overwrite: loss records go to fn (kept with their time) instead of
 * the writer. */
typedef int (*consumer_loss_fn)(void *ctx, const struct trec_loss *l);
void consumer_set_loss_sink(struct consumer *c, consumer_loss_fn fn, void *ctx);
/* The rings, for the caller's epoll. Add them edge-triggered: a ring is
 * readable whenever it holds data, so level-triggered polling would spin;
 * edge-triggered wakes only when the BPF side asks (a ring filling up),
 * and the caller's timer collects the rest. */
uint32_t consumer_nrings(const struct consumer *c);
int consumer_ring_fd(const struct consumer *c, uint32_t ring);
/* Drains every ring without waiting. Returns records consumed or a
 * negative errno (a write error of the writer). */
int consumer_drain(struct consumer *c);
/* Adds loss records for what was lost since the last call (BPF reserve
 * failures and writer drops), stamped `now_ns`. */
int consumer_flush_losses(struct consumer *c, uint64_t now_ns);

struct consumer_stats {
	uint64_t events;        /* records written */
	uint64_t bytes;         /* their size as the BPF side produced them (header + payload) */
	uint64_t lost_ring;     /* BPF side could not reserve */
	uint64_t lost_writer;   /* writer queue full */
	uint64_t lost_stacks;   /* events kept without (part of) their stack */
	uint64_t lost_kstacks;  /* of those, events whose kernel side was not captured */
	uint64_t lost_ustacks;  /* ... and whose user side was not (an event may count in both) */
	uint64_t bad_records;   /* malformed ring records (a bug if ever nonzero) */
};
void consumer_stats(const struct consumer *c, struct consumer_stats *st);
/* Events and losses of one type so far. */
uint64_t consumer_type_events(const struct consumer *c, uint32_t type);
uint64_t consumer_type_lost(const struct consumer *c, uint32_t type);

void consumer_free(struct consumer *c);

#endif
