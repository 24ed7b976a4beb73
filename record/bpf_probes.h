/* SPDX-License-Identifier: MIT */
/*
 * Loading and attaching the dynamic-probe programs: bpf/uprobe.bpf.c
 * (uprobes, uretprobes), bpf/usdt.bpf.c, bpf/kprobe.bpf.c and
 * bpf/fentry.bpf.c (one instance per kernel function). Every program
 * writes into the tracepoint capture's per-CPU rings and loss counters and
 * filters by its target set (shared maps, as bpf_profile.c), so a probe
 * event is recorded, lost and counted like any tracepoint event.
 *
 * Uprobes attach to every process (pid -1) and filter in BPF: a traced
 * process's children are followed by the target set, which a per-process
 * uprobe would not do.
 */
#ifndef TREC_BPF_PROBES_H
#define TREC_BPF_PROBES_H

#include <stddef.h>

#include "bpf_tp.h"
#include "errors.h"
#include "probes.h"

struct probe_attach_opts {
	size_t sz;
	int filter_pids; /* as the tracepoint capture */
	int with_stacks; /* -g */
	const struct cgroup_set *cgroups; /* -G; NULL: any */
};

struct probe_attach;

/* Opens and loads the programs the set needs; nothing is attached. */
int probe_attach_open(struct probe_attach **out, struct tp_capture *cap, const struct probe_set *ps,
		      const struct probe_attach_opts *o, struct trec_err *err);
/* Attaches every probe of the set. */
int probe_attach_start(struct probe_attach *pa, struct trec_err *err);
/* Detaches every probe; the programs stay loaded. */
void probe_attach_detach(struct probe_attach *pa);
/* Detaches and unloads everything (no link outlives this). */
void probe_attach_close(struct probe_attach *pa);

/*
 * Whether this kernel loads an fentry (fexit when `fexit`) program on
 * kernel function func: a trial load of the real program, with maps of
 * its own, unloaded again. 0, or the negative errno of the load.
 */
int probe_fentry_try(const char *func, int fexit);

#endif
