/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CPU sampling: a perf event per CPU (cpu-clock, or cycles where a PMU
 * exists) runs this program at the sampling frequency; it writes one
 * record per sample with the sample period and the kernel and user stacks
 * of whatever was running, into the same per-CPU rings as every other
 * trec program. Part of tracepoint.bpf.c's object (loaded when sampling:
 * the "?" leaves that to user space), so that the capture and sampling
 * share one load and one parse of the kernel's BTF.
 */
#ifndef TREC_PROFILE_BPF_H
#define TREC_PROFILE_BPF_H

#include "common.bpf.h"

/* Event type id of the samples. */
const volatile __u32 sample_type = 0;

SEC("?perf_event")
int trec_profile(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id))
		return 0;
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u8 *buf = bpf_map_lookup_elem(&scratch, &zero);
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!buf || !rb) {
		count_lost(sample_type);
		return 0;
	}
	*(__u64 *)(buf + sizeof(struct trec_rec)) = ctx->sample_period;
	set_header(buf, sample_type, sizeof(__u64), id);
	/* A sample of user code has no kernel stack to ask for: its code
	 * segment's privilege level is 3. (The context allows 8-byte loads
	 * only; cs is the low half-word of its slot.) */
#if defined(__TARGET_ARCH_x86)
	__u64 cs = *(volatile __u64 *)((char *)&ctx->regs + __builtin_offsetof(struct pt_regs, cs));
	int in_kernel = (cs & 3) != 3;
#else
	int in_kernel = 1;
#endif
	__u64 out = append_stacks(ctx, buf, sizeof(__u64), in_kernel);
	if (!out || out > TREC_REC_MAX) {
		count_lost(sample_type);
		return 0;
	}
	barrier_var(out);
	if (bpf_ringbuf_output(rb, buf, out, wakeup_flags(rb)))
		count_lost(sample_type);
	return 0;
}

#endif
