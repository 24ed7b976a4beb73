/* SPDX-License-Identifier: MIT */
/*
 * Which binaries the recorded stacks run through, so the file can carry
 * their symbol tables (and only theirs) for a report on another machine.
 *
 * The tracker follows every mapping the recording writes (the /proc
 * snapshot and the side-band) and notes the frames of each new stack;
 * user frames are matched to mappings only at the end, because the
 * side-band that announces a mapping can arrive after the first samples
 * in it. At the end, dso_tracker_write() reads the symbol
 * tables of the marked DSOs (once per build-id), the kernel symbols that
 * cover the kept addresses, and the JIT maps (/tmp/perf-PID.map) of
 * processes with frames outside any file mapping, and adds them to the
 * trace.
 */
#ifndef TREC_DSOS_H
#define TREC_DSOS_H

#include <stdint.h>

#include "errors.h"
#include "records.h"
#include "writer.h"

struct dso_tracker;

int dso_tracker_new(struct dso_tracker **out);
void dso_tracker_free(struct dso_tracker *t);
/* A mapping written to the trace. */
int dso_tracker_map(struct dso_tracker *t, const struct trec_map *m);
/* A stack seen for the first time (kernel frames first, as in the file). */
int dso_tracker_stack(struct dso_tracker *t, uint32_t pid, const uint64_t *ips, uint16_t nkernel,
		      uint16_t nuser);

struct dso_write_stats {
	uint32_t dsos;        /* symbol tables written */
	uint32_t dsos_failed; /* used DSOs whose file could not be read */
	uint64_t syms;        /* symbols in them */
	uint64_t ksyms;       /* kernel symbols written */
	uint32_t perfmaps;    /* JIT maps written */
	int ksyms_failed;     /* kallsyms unreadable: kernel frames stay addresses */
};

int dso_tracker_write(struct dso_tracker *t, struct trec_writer *w, struct dso_write_stats *st,
		      struct trec_err *err);
/* Forget which DSOs and kernel addresses were used (a new output file). */
void dso_tracker_reset_used(struct dso_tracker *t);

#endif
