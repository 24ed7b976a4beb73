/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder's memory (--overwrite): the last part of a recording
 * kept in memory, nothing written until a trigger asks for a snapshot.
 *
 * Ring records (header, payload, stack tail, exactly as the BPF side wrote
 * them) go into chunks; a chunk is dropped whole, oldest first, once every
 * record in it is older than the window (--window) or once the chunks
 * together would pass the byte cap (--window-size). Each drop raises a cut
 * time: the newest timestamp that left memory. A snapshot replays only
 * records newer than the cut, so what it holds is every record of a time
 * span, with no hole at its start even though the rings of different CPUs
 * are drained in turn (not in time order).
 *
 * Process history (task and mapping records of the side-band) is kept in a
 * second ring with a byte cap of its own and no time limit: a process that
 * started long before the window still has its history in the snapshot.
 *
 * --snapshot-on EVENT[:FILTER]: a trigger is an event type and a compiled
 * filter (record/filter.h), evaluated here, in user space, on each record.
 */
#ifndef TREC_RECORD_FLIGHT_H
#define TREC_RECORD_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "filter_prog.h"
#include "plan.h"
#include "probes.h"
#include "sideband.h"

/* The defaults: 30 s, at most 64 MiB of records; 16 MiB of side-band. */
#define FLIGHT_DEFAULT_WINDOW_NS (30ull * 1000000000ull)
#define FLIGHT_DEFAULT_BYTES (64ull << 20)
#define FLIGHT_SIDEBAND_BYTES (16ull << 20)

struct flight_opts {
	size_t sz;
	uint64_t window_ns;      /* 0: the default */
	uint64_t max_bytes;      /* records; 0: the default */
	uint64_t sideband_bytes; /* 0: the default */
};

struct flight;

int flight_new(struct flight **out, const struct flight_opts *o);
void flight_free(struct flight *f);

/* Keeps one ring record of CPU cpu (validated by the caller). */
int flight_add_record(struct flight *f, uint32_t cpu, const void *rec, size_t size);
int flight_add_task(struct flight *f, const struct trec_task *t);
int flight_add_map(struct flight *f, const struct trec_map *m);
/* Keeps a loss record (stamped when the loss was counted). */
int flight_add_loss(struct flight *f, const struct trec_loss *l);
/* Drops the chunks wholly older than now_ns - window. */
void flight_expire(struct flight *f, uint64_t now_ns);

/* While a snapshot replays the records (flight_replay), new ones are
 * held apart, within a cap of their own (the window's: memory may reach
 * twice the cap while a snapshot is written), and join the rest on
 * release, the oldest freed if the cap needs it. */
void flight_hold(struct flight *f);
void flight_release(struct flight *f);

/* The first timestamp a snapshot of the window ending at end_ns can hold:
 * end_ns - window, or just past the cut when the cap dropped more. */
uint64_t flight_window_start(const struct flight *f, uint64_t end_ns);

/* Calls fn on every record kept with from_ns <= ts <= to_ns, in the order
 * they were added (per CPU: the ring's order). Stops at fn's error. */
typedef int (*flight_record_fn)(void *ctx, uint32_t cpu, const void *rec, size_t size);
int flight_replay(struct flight *f, uint64_t from_ns, uint64_t to_ns, flight_record_fn fn, void *ctx);
/* Calls cb's task and map functions on the side-band kept (ts <= to_ns). */
int flight_replay_sideband(struct flight *f, uint64_t to_ns, const struct sideband_cb *cb);

/* Calls fn on every loss record kept with ts >= from_ns: counted after the
 * window began, so lost within it (or just before: counts are taken once
 * a second). */
int flight_replay_losses(struct flight *f, uint64_t from_ns, int (*fn)(void *ctx, const struct trec_loss *l),
			 void *ctx);

struct flight_stats {
	uint64_t bytes;          /* held by record chunks */
	uint64_t records;        /* records held */
	uint64_t dropped;        /* records that left memory, never written */
	uint64_t sideband_bytes; /* held by side-band chunks */
	uint64_t cut_ns;         /* newest timestamp dropped; 0: none */
};
void flight_stats(const struct flight *f, struct flight_stats *st);

/* --snapshot-on EVENT[:FILTER] */
struct lat_pairs;
struct flight_trigger {
	uint32_t type;                 /* 0: none */
	struct trec_filter_prog prog;  /* n == 0: every event of the type */
	char event[256];
	/* FILTER names `latency` (a return probe): nanoseconds since the same
	 * thread hit the function's entry probe, which must be recorded too.
	 * FILTER then reads a copy of the payload with the latency after it. */
	uint32_t entry_type;           /* the entry probe's type; 0: no latency */
	uint32_t lat_off;              /* the latency's offset in that copy */
	struct lat_pairs *pairs;       /* queued entries and returns; calls open, per thread */
};
/* Resolves EVENT against the recording's events (a -e tracepoint or
 * probe, by its full name) and compiles FILTER against its schema. */
int flight_trigger_compile(struct flight_trigger *t, const char *spec, const struct plan *plan,
			   const struct probe_set *probes, struct trec_err *err);
/* Whether a ring record (header, payload...) fires the trigger: 1 with
 * *when set to the event's time, else 0. A latency trigger's entries and
 * returns are only queued here (0; -ENOMEM if they cannot be): see
 * flight_trigger_settle. */
int flight_trigger_match(struct flight_trigger *t, const void *rec, size_t size, uint64_t *when);
/* A latency trigger: pairs the queued entries and returns timed before
 * before_ns, in time order, and calls fire(ctx, the return's time) for
 * each that passes FILTER, earliest first. The rings are drained in turn,
 * so ring order is not time order across CPUs; before_ns is a time up to
 * which every ring has been read. Returns how many fired, or -ENOMEM. */
typedef void (*flight_fire_fn)(void *ctx, uint64_t when_ns);
int flight_trigger_settle(struct flight_trigger *t, uint64_t before_ns, flight_fire_fn fire, void *ctx);
void flight_trigger_free(struct flight_trigger *t);

#endif
