/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every trec BPF program shares: the per-CPU rings, the loss
 * counters, the target set, the scratch record, and the helpers that
 * stamp a record and append its stacks. Each program file includes this;
 * user space creates the maps once (with the first program) and hands
 * their fds to the others (bpf_map__reuse_fd), so all programs write into
 * the same rings and count into the same counters.
 */
#ifndef TREC_COMMON_BPF_H
#define TREC_COMMON_BPF_H

#include "trec_bpf.h"
#include "targets.bpf.h"
#include "unwind.bpf.h"

/* The recorder's own process: its draining would otherwise trace itself. */
const volatile __u32 self_tgid = 0;
/* Ring bytes waiting above which a commit wakes the consumer: at most a
 * quarter of the ring (record/bpf_tp.c), or a small ring would never
 * wake it and fill between its ticks. */
const volatile __u32 wakeup_bytes = TREC_WAKEUP_BYTES;

/* A ring buffer per CPU, or per small group of neighbouring CPUs on big
 * machines (record/memplan.h): `rings` is indexed by CPU, and the CPUs of a
 * group hold the same ring. This is only the template; user space creates
 * each ring with the size it planned (the kernel does not require inner
 * maps to match in size). */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* resized to the number of possible CPUs */
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

/* Records that found no room, per type, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Per-CPU scratch record for events built before they are copied out:
 * filtered ones, ones with strings, ones with stacks. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[TREC_REC_MAX]);
} scratch SEC(".maps");

#define SCRATCH_ROOM (TREC_REC_MAX - sizeof(struct trec_rec))

static __always_inline void count_lost(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &type);
	if (n)
		*n += 1;
}

/* Whether task `id` (tgid << 32 | tid) is traced, by pid alone. */
static __always_inline int wanted_pid(__u64 id)
{
	__u32 tgid = id >> 32;
	if (tgid == self_tgid)
		return 0;
	if (filter_pids && !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	return 1;
}

/* Whether the current task (id as bpf_get_current_pid_tgid) is traced:
 * its pid, then its cgroup (-G). */
static __always_inline int wanted(__u64 id)
{
	return wanted_pid(id) && in_cgroups();
}

/* Header of a record about to be committed. */
static __always_inline void set_header(__u8 *rec, __u32 type, __u64 size, __u64 id)
{
	struct trec_rec *h = (struct trec_rec *)rec;
	h->ts = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->type = (__u16)type;
	h->flags = 0;
	h->cpu = (__u16)bpf_get_smp_processor_id();
	h->size = (__u16)size;
}

/* Events since this CPU last looked at its ring's fill level. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} wake_tick SEC(".maps");

/* How often (in events, a power of two) the fill level is queried. */
#define TREC_WAKE_CHECK_EVERY 32

/*
 * Wake the consumer only when a good amount is waiting: it collects every
 * 20 ms anyway, and a wakeup per event would cost more than the event.
 * The fill level is asked for on one event in TREC_WAKE_CHECK_EVERY only:
 * the query is a helper call, dear on the hot path, while the per-CPU
 * counter is an inlined load (kernels since 6.10; a call before).
 */
static __always_inline __u64 wakeup_flags(void *rb)
{
	__u32 zero = 0;
	__u32 *tick = bpf_map_lookup_elem(&wake_tick, &zero);
	if (tick && ((*tick)++ & (TREC_WAKE_CHECK_EVERY - 1)))
		return BPF_RB_NO_WAKEUP;
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) > wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

#define PF_KTHREAD_FLAG 0x00200000

/*
 * Appends kernel and user stacks after a payload of `size` bytes in the
 * scratch record `buf`, and marks the header. Returns the record's total
 * length, or 0 when it does not fit. A side that cannot be captured is
 * flagged in the tail (and counted by user space as stack loss). Without
 * with_kernel (an event known to have interrupted user code, whose kernel
 * stack is empty) the kernel stack is not asked for: even the empty
 * answer costs a callchain buffer, about 200 ns a sample.
 */
static __always_inline __u64 append_stacks(void *ctx, __u8 *buf, __u64 size, int with_kernel)
{
	__u64 at = sizeof(struct trec_rec) + TREC_ALIGN8(size);
	const __u64 frames = TREC_MAX_STACK * sizeof(__u64);
	if (at > TREC_REC_MAX - sizeof(struct trec_stack_tail) - 2 * frames)
		return 0;
	barrier_var(at);
	struct trec_stack_tail *t = (struct trec_stack_tail *)(buf + at);
	__u8 *ips = buf + at + sizeof(*t);
	t->flags = 0;
	long nk = with_kernel ? bpf_get_stack(ctx, ips, frames, 0) : 0;
	if (nk < 0) {
		t->flags |= TREC_STACKF_KLOST;
		nk = 0;
	}
	nk &= 0xfff8; /* whole frames; also a bound for the verifier */
	if (nk > frames)
		nk = frames;
	long nu = 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (!(task->flags & PF_KTHREAD_FLAG)) {
		nu = uw_user_stack(ctx, ips + nk, frames);
		if (nu < 0) {
			t->flags |= TREC_STACKF_ULOST;
			nu = 0;
		}
		nu &= 0xfff8;
		if (nu > frames)
			nu = frames;
	}
	t->nkernel = (__u16)(nk / 8);
	t->nuser = (__u16)(nu / 8);
	((struct trec_rec *)buf)->flags |= TREC_RECF_STACK;
	return at + sizeof(*t) + (__u64)nk + (__u64)nu;
}

#endif
