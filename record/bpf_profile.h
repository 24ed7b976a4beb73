/* SPDX-License-Identifier: MIT */
/*
 * CPU sampling (bpf/profile.bpf.c): one perf event per CPU at a frequency,
 * each running the sampling program, which writes into the tracepoint
 * capture's rings and counters (shared maps).
 */
#ifndef TREC_BPF_PROFILE_H
#define TREC_BPF_PROFILE_H

#include <stdint.h>

#include "bpf_tp.h"
#include "errors.h"

enum profile_clock {
	PROFILE_CPU_CLOCK = 0, /* software timer: works everywhere, including VMs */
	PROFILE_CYCLES = 1,    /* hardware PMU cycles */
};

struct profile_opts {
	size_t sz;
	uint64_t freq;      /* samples per second per CPU */
	int clock;          /* enum profile_clock */
	uint32_t type;      /* event type id of the samples */
	int filter_pids;    /* as the tracepoint capture */
	const struct cgroup_set *cgroups; /* -G; NULL: any */
};

struct profile;

/* Loads and attaches on every online CPU. */
int profile_open(struct profile **out, struct tp_capture *cap, const struct profile_opts *o,
		 struct trec_err *err);
void profile_detach(struct profile *p);
void profile_close(struct profile *p);

/* The highest sampling frequency the kernel allows (perf_event_max_sample_rate). */
uint64_t profile_max_freq(void);

#endif
