/* SPDX-License-Identifier: MIT */
/*
 * Off-CPU time (bpf/offcpu.bpf.c): a tp_btf/sched_switch program that
 * writes, when a blocked thread runs again, how long it was off CPU and
 * the stacks where it blocked, into the tracepoint capture's rings.
 */
#ifndef TREC_BPF_OFFCPU_H
#define TREC_BPF_OFFCPU_H

#include <stdint.h>

#include "bpf_tp.h"
#include "errors.h"

struct offcpu_opts {
	size_t sz;
	uint32_t type;    /* event type id of the off-CPU records */
	uint64_t min_ns;  /* shorter blocks are not reported */
	int filter_pids;
	const struct cgroup_set *cgroups; /* -G; NULL: any */
};

struct offcpu;

int offcpu_open(struct offcpu **out, struct tp_capture *cap, const struct offcpu_opts *o,
		struct trec_err *err);
void offcpu_detach(struct offcpu *p);
void offcpu_close(struct offcpu *p);

#endif
