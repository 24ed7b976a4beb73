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
	__u64 ts;       /* 0: not blocked (or already reported) */
	__u64 switches; /* the task's nvcsw + nivcsw when it blocked */
	__u64 ran;      /* its CPU time (se.sum_exec_runtime) when it blocked */
	struct trec_stack_tail tail;
	__u64 ips[2 * TREC_MAX_STACK];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct blocked);
} blocked SEC(".maps");

/*
 * Task storage refuses access while the same CPU is inside another task
 * storage operation, and the kernel frees an exiting task's storage in a
 * preemptible section: a switch that lands there finds the storage busy.
 * Those blocks go here instead, keyed by thread id, so none is dropped
 * (on a busy host with short-lived processes, about one in thousands).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct blocked);
} blocked_busy SEC(".maps");

/* Where a busy-storage block is put together before it is filed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct blocked);
} blocked_scratch SEC(".maps");

static __always_inline __u64 switch_count(struct task_struct *t)
{
	return t->nvcsw + t->nivcsw;
}

/* The stacks of prev (current: they are where it blocked) into b. */
static __always_inline void capture(void *ctx, struct task_struct *prev, struct blocked *b)
{
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
	/* The scheduler counted this switch before the tracepoint. */
	b->switches = switch_count(prev);
	b->ran = prev->se.sum_exec_runtime;
	b->ts = bpf_ktime_get_ns();
}

static __always_inline void report(struct task_struct *next, struct blocked *b, __u64 now);

static __always_inline void switch_out(void *ctx, struct task_struct *prev)
{
	struct blocked *b = bpf_task_storage_get(&blocked, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (b) {
		if (b->ts) {
			/* The last block's wake-up was never seen here (the
			 * storage was busy then, or the switch-in escaped the
			 * tracepoint): it ended when the task started the CPU
			 * time it has used since. Reported now, never dropped. */
			__u64 now = bpf_ktime_get_ns(), ran = prev->se.sum_exec_runtime - b->ran;
			report(prev, b, now - ran > b->ts ? now - ran : b->ts);
		}
		capture(ctx, prev, b);
		return;
	}
	__u32 zero = 0, tid = prev->pid;
	struct blocked *s = bpf_map_lookup_elem(&blocked_scratch, &zero);
	if (!s) {
		count_lost(offcpu_type);
		return;
	}
	capture(ctx, prev, s);
	if (bpf_map_update_elem(&blocked_busy, &tid, s, BPF_ANY))
		count_lost(offcpu_type);
}

/* One record: how long next was off CPU until `now`, with the stacks b
 * kept. It is stamped when written (a block whose wake-up was missed is
 * written at the task's next switch-out: times stay in order). */
static __always_inline void report(struct task_struct *next, struct blocked *b, __u64 now)
{
	__u64 delta = now - b->ts;
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

/* The switching-in task ran again: report its time off CPU. A block is
 * reported only if the task has not switched out since: otherwise its
 * wake-up was missed and a later time would stretch it (counted lost). */
static __always_inline void switch_in(struct task_struct *next)
{
	__u64 now_count = switch_count(next), now = bpf_ktime_get_ns();
	__u32 tid = next->pid;
	struct blocked *b = bpf_task_storage_get(&blocked, next, 0, 0);
	if (b && b->ts) {
		if (b->switches == now_count) {
			report(next, b, now);
		} else {
			b->ts = 0;
			count_lost(offcpu_type);
		}
	}
	struct blocked *f = bpf_map_lookup_elem(&blocked_busy, &tid);
	if (f) {
		if (f->ts && f->switches == now_count)
			report(next, f, now);
		bpf_map_delete_elem(&blocked_busy, &tid);
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(trec_offcpu, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	/* Blocked: any state but running (0), and not preempted (a task
	 * preempted on its way to sleep is still runnable). */
	/* prev is still the current task here, so wanted() may test its
	 * cgroup (-G); next is not: it has a block to report only if it was
	 * wanted when it switched out, which the cgroup test already passed. */
	if (!preempt && prev_state != 0 && wanted((__u64)prev->tgid << 32 | (__u32)prev->pid))
		switch_out(ctx, prev);
	if (wanted_pid((__u64)next->tgid << 32 | (__u32)next->pid))
		switch_in(next);
	return 0;
}
