// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Off-CPU time: when a traced thread blocks (switched out in a state other
 * than running), its stacks are taken there and then into task storage;
 * when it runs again, one record says how long it was off CPU, with those
 * stacks, if that was at least the minimum. Task storage lives and dies
 * with the task, so there is no table to fill up and no stack to drop.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 offcpu_type = 0;
const volatile __u64 min_ns = 0;

#define FRAMES_BYTES (TREC_MAX_STACK * sizeof(__u64))

struct blocked {
	__u64 ts; /* 0: not blocked (or already reported) */
	struct trec_stack_tail tail;
	__u64 ips[2 * TREC_MAX_STACK];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct blocked);
} blocked SEC(".maps");

/* The switching-out task is current: its stacks are where it blocked. */
static __always_inline void switch_out(void *ctx, struct task_struct *prev)
{
	struct blocked *b = bpf_task_storage_get(&blocked, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!b)
		return;
	b->tail.flags = 0;
	/* Skip this program's own two frames (bpf_prog_*, bpf_trace_run*):
	 * the stack starts in the scheduler, where the thread blocked. */
	long nk = bpf_get_stack(ctx, b->ips, FRAMES_BYTES, 2 & BPF_F_SKIP_FIELD_MASK);
	if (nk < 0) {
		b->tail.flags |= TREC_STACKF_KLOST;
		nk = 0;
	}
	nk &= 0xfff8;
	if (nk > FRAMES_BYTES)
		nk = FRAMES_BYTES;
	long nu = 0;
	if (!(prev->flags & PF_KTHREAD_FLAG)) {
		nu = uw_user_stack(ctx, (__u8 *)b->ips + nk, FRAMES_BYTES);
		if (nu < 0) {
			b->tail.flags |= TREC_STACKF_ULOST;
			nu = 0;
		}
		nu &= 0xfff8;
		if (nu > FRAMES_BYTES)
			nu = FRAMES_BYTES;
	}
	b->tail.nkernel = (__u16)(nk / 8);
	b->tail.nuser = (__u16)(nu / 8);
	b->ts = bpf_ktime_get_ns();
}

/* The switching-in task ran again: report its time off CPU. */
static __always_inline void switch_in(struct task_struct *next)
{
	struct blocked *b = bpf_task_storage_get(&blocked, next, 0, 0);
	if (!b || !b->ts)
		return;
	__u64 now = bpf_ktime_get_ns(), delta = now - b->ts;
	b->ts = 0;
	if (delta < min_ns)
		return;
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u8 *buf = bpf_map_lookup_elem(&scratch, &zero);
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!buf || !rb) {
		count_lost(offcpu_type);
		return;
	}
	__u64 id = (__u64)next->tgid << 32 | (__u32)next->pid;
	set_header(buf, offcpu_type, sizeof(__u64), id);
	((struct trec_rec *)buf)->flags |= TREC_RECF_STACK;
	*(__u64 *)(buf + sizeof(struct trec_rec)) = delta;
	const __u64 at = sizeof(struct trec_rec) + sizeof(__u64);
	__u64 n = (__u64)b->tail.nkernel + b->tail.nuser;
	if (n > 2 * TREC_MAX_STACK)
		n = 2 * TREC_MAX_STACK;
	__u64 bytes = n * sizeof(__u64);
	barrier_var(bytes);
	if (bytes > sizeof(b->ips))
		return;
	__builtin_memcpy(buf + at, &b->tail, sizeof(b->tail));
	if (bytes && bpf_probe_read_kernel(buf + at + sizeof(b->tail), bytes, b->ips)) {
		count_lost(offcpu_type);
		return;
	}
	__u64 out = at + sizeof(b->tail) + bytes;
	if (out > TREC_REC_MAX)
		return;
	barrier_var(out);
	if (bpf_ringbuf_output(rb, buf, out, wakeup_flags(rb)))
		count_lost(offcpu_type);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(trec_offcpu, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	/* Blocked: any state but running (0); a preempted task is runnable. */
	if (prev_state != 0 && wanted((__u64)prev->tgid << 32 | (__u32)prev->pid))
		switch_out(ctx, prev);
	if (wanted((__u64)next->tgid << 32 | (__u32)next->pid))
		switch_in(next);
	return 0;
}
