// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The limit of the approach, for the recorder benchmark: the least a
 * tracepoint program can do to get raw_syscalls:sys_enter records to user
 * space through a BPF ring buffer. A fixed-size reserve, one copy of the
 * record, a timestamp, submit. No configuration, no filters, one ring.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

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

SEC("tp/raw_syscalls/sys_enter")
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
