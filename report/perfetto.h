/* SPDX-License-Identifier: MIT */
/*
 * A trace as Perfetto's native protobuf trace (a stream of TracePacket,
 * i.e. the file is `repeated TracePacket packet = 1` of message Trace),
 * written with lib/pbwrite.h. The field numbers are those of Perfetto's
 * published protos; docs/perfetto/trec_perfetto.proto lists exactly what
 * is written, with those numbers, for `protoc --decode`. What maps to
 * what (docs/PERFETTO.md):
 *   processes, threads  TrackDescriptor + ProcessDescriptor/ThreadDescriptor
 *                       (names from the comm table), one track per thread
 *   cpu-clock samples   PerfSample with interned callstacks (InternedData:
 *                       function names, mapping paths, mappings, frames,
 *                       callstacks) on packet sequence 1
 *   sched:sched_switch  FtraceEventBundle{cpu, SchedSwitchFtraceEvent}: the
 *                       Perfetto UI builds its CPU scheduling tracks and the
 *                       threads' state tracks (Running, Sleeping...) from it
 *   latency pairs       TYPE_SLICE_BEGIN/END on the thread's track: system
 *                       calls (raw_syscalls or syscalls:*), uprobe ->
 *                       uretprobe of one function, any A,B given in opts
 *   other events        TYPE_INSTANT on the thread's track (on a "CPU n"
 *                       track for tid 0), fields as debug annotations
 *   losses              TYPE_INSTANT on the CPU's track
 * Timestamps are the trace's (CLOCK_MONOTONIC ns) written as the trace's
 * default clock, with a ClockSnapshot pairing it with MONOTONIC and
 * REALTIME (from the recording's metadata).
 */
#ifndef TREC_REPORT_PERFETTO_H
#define TREC_REPORT_PERFETTO_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "convert.h"
#include "errors.h"
#include "pass.h"

struct perfetto_opts {
	size_t sz;
	/* Symbol search, --no-kernel/--no-user, warnings (convert.h). */
	struct convert_opts conv;
	/* Extra latency pairs "A,B" (event names, globs allowed), paired per
	 * thread: A begins a slice, B ends the latest open one. */
	const char *const *pairs;
	size_t npairs;
};

struct perfetto_stats {
	uint64_t packets;
	uint64_t samples;      /* PerfSample packets (cpu-clock events) */
	uint64_t callstacks;   /* distinct interned callstacks */
	uint64_t slices;       /* slices begun */
	uint64_t slice_ends;   /* slices ended: complete pairs */
	uint64_t unmatched_starts; /* system calls whose exit is not theirs, or lost: dropped */
	uint64_t unmatched_ends; /* ends without a start (the trace began in between): dropped */
	uint64_t switches;     /* sched_switch as ftrace events */
	uint64_t instants;     /* other events */
	uint64_t losses;       /* loss records as instants */
	uint64_t threads, processes, cpus; /* tracks */
};

struct perfetto;

/* Packets stream to `out` during the pass. 0 or -errno; *p is set either
 * way (free it). -EINVAL for a bad pair spec. */
int perfetto_new(struct perfetto **p, FILE *out, const struct perfetto_opts *o, struct trec_err *err);
/* The converter as a sink of a pass (pass.h): it asks for time order. */
struct pass_sink perfetto_sink(struct perfetto *p);
/* After the pass: flushes the output. 0, -EIO when writing failed,
 * -ENODATA when no event was converted. */
int perfetto_finish(struct perfetto *p, struct trec_err *err);
void perfetto_stats(const struct perfetto *p, struct perfetto_stats *st);
void perfetto_free(struct perfetto *p);

#endif
