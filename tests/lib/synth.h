/* SPDX-License-Identifier: MIT */
/*
 * Deterministic synthetic traces for tests, benchmarks, fuzz seeds and the
 * demo: event types laid out like real tracepoints (raw_syscalls:sys_enter,
 * sched:sched_switch, an openat with a __data_loc filename, cpu-clock
 * samples with stacks), plus metadata, tasks, mappings, symbols, kernel
 * symbols and loss records. Timestamps increase strictly across the whole
 * stream, so a reader's time-ordered output must equal generation order,
 * event for event.
 */
#ifndef TREC_SYNTH_H
#define TREC_SYNTH_H

#include <stdint.h>

#include "events.h"
#include "writer.h"

enum synth_profile {
	SYNTH_MIXED = 0,    /* every type and kind */
	SYNTH_SYSCALLS = 1, /* raw_syscalls:sys_enter from one process in a syscall loop */
};

struct synth_opts {
	uint64_t events;
	uint32_t ncpus;   /* 0 = 2 */
	uint64_t seed;    /* 0 = 1 */
	int profile;      /* enum synth_profile */
	uint32_t nstacks; /* distinct stacks in the pool; 0 = 64 */
};

#define SYNTH_MAX_PAYLOAD 512

struct synth {
	struct synth_opts o;
	uint64_t rng;
	uint64_t ts;
	uint64_t made;
	uint32_t cpu;
	uint64_t **stacks; /* pool: [nstacks][1 + depth], [0] = nk | nu << 16 */
	uint32_t *stack_ids; /* writer ids once added */
	uint8_t buf[SYNTH_MAX_PAYLOAD];
};

int synth_init(struct synth *s, const struct synth_opts *o);
void synth_free(struct synth *s);
/* Next event (payload in s->buf; stack_id = pool index + 1 or 0). */
void synth_next(struct synth *s, struct trec_event *ev);
/* Schemas, metadata, tasks, maps, symbols, ksyms, stacks: everything but events. */
int synth_write_side(struct synth *s, struct trec_writer *w);
/* Side records + o.events events + loss records. */
int synth_write(struct synth *s, struct trec_writer *w);
/* Number of event types synth_write describes. */
uint32_t synth_ntypes(const struct synth *s);

#endif
