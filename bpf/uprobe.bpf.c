// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Uprobes and uretprobes: one entry program and one return program, each
 * attached to every user function the user names, the cookie saying which
 * event type a hit is (probe_abi.h). Entry records carry the six register
 * arguments (arg0..arg5), return records the return value (ret); strings
 * and user stacks on request (probe.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("uprobe")
int trec_uprobe(struct pt_regs *ctx)
{
	return probe_entry(ctx, PROBE_IN_USER);
}

SEC("uretprobe")
int trec_uretprobe(struct pt_regs *ctx)
{
	return probe_return(ctx, PROBE_IN_USER);
}
