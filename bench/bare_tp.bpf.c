// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The limit of the approach, for the recorder benchmark: the least a BPF
 * program can do to get raw_syscalls:sys_enter records to user space
 * through a BPF ring buffer. A fixed-size reserve, one copy of the record,
 * a timestamp, submit. No configuration, no filters, one ring. Two ways in,
 * the consumer loads one: the tracefs tracepoint (the kernel builds the
 * record) and the BTF raw tracepoint (the program reads the id and the
 * argument registers itself; x86-64), as trec's two paths.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23);
} ring SEC(".maps");

__u64 lost = 0;

struct rec {
	__u64 ts;
	__u8 data[64];
};

SEC("?tp/raw_syscalls/sys_enter")
int bare_sys_enter(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	struct rec *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	r->ts = bpf_ktime_get_ns();
	bpf_probe_read_kernel(r->data, sizeof(r->data), ctx);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

#if defined(__TARGET_ARCH_x86)
SEC("?tp_btf/sys_enter")
int BPF_PROG(bare_sys_enter_btf, struct pt_regs *regs, long nr)
{
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	struct rec *r = bpf_ringbuf_reserve(&ring, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	r->ts = bpf_ktime_get_ns();
	__u64 *d = (__u64 *)r->data;
	d[0] = 0;
	d[1] = (__u64)nr;
	d[2] = regs->di;
	d[3] = regs->si;
	d[4] = regs->dx;
	d[5] = regs->r10;
	d[6] = regs->r8;
	d[7] = regs->r9;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}
#endif
