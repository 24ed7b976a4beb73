// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kprobes and kretprobes: the kernel-function twins of uprobe.bpf.c. Entry
 * records carry the six register arguments, return records the return
 * value; -g takes kernel and user stacks; string arguments may point into
 * kernel or user memory.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("kprobe")
int trec_kprobe(struct pt_regs *ctx)
{
	return probe_entry(ctx, PROBE_IN_KERNEL);
}

SEC("kretprobe")
int trec_kretprobe(struct pt_regs *ctx)
{
	return probe_return(ctx, PROBE_IN_KERNEL);
}
