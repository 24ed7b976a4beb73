// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Generic tracepoint capture: one program attached to every tracepoint the
 * user names, each attachment carrying its event type id as the BPF
 * cookie. The program copies the tracepoint's raw record (and the dynamic
 * data its __data_loc fields point at, and for syscalls the user strings
 * of path-like arguments) into this CPU's ring buffer, after the target
 * filter and the user's --filter, and counts every record it could not
 * reserve.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "filter_prog.h"
#include "trec_bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load; the verifier prunes what they turn off. */
const volatile bool filter_pids = false;

/* One ring buffer per CPU: producers never share a lock across CPUs.
 * This is only the template; user space creates each CPU's ring with the
 * size asked for (the kernel does not require inner maps to match in size). */
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

/* Capture configuration per event type id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized to the number of types + 1 */
	__type(key, __u32);
	__type(value, struct trec_tp_cfg);
} tp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trec_filter_prog);
} filters SEC(".maps");

/* Records that found no room, per type, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Thread groups being traced (-p, -- CMD and their descendants). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Descendants that could not be added because targets was full. */
__u64 targets_full = 0;

static __always_inline void count_lost(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &type);
	if (n)
		*n += 1;
}

/* End of the dynamic data a __data_loc/__rel_loc field points at. */
static __always_inline __u32 dyn_end(void *ctx, __u16 off, __u8 rel)
{
	__u32 loc = 0;
	if (bpf_probe_read_kernel(&loc, sizeof(loc), (char *)ctx + off))
		return 0;
	__u32 start = loc & 0xffff;
	if (rel)
		start += off + 4; /* __rel_loc counts from the end of the field */
	return start + (loc >> 16);
}

/* Fills a reserved record of capacity `cap` (a constant per call site, so
 * the verifier knows every bound) and commits it. */
static __always_inline int fill(void *ctx, void *rb, const struct trec_tp_cfg *cfg, __u32 type,
				__u64 total, __u8 *rec, const __u64 cap)
{
	struct trec_rec *h = (struct trec_rec *)rec;
	__u8 *payload = rec + sizeof(*h);
	/* 64-bit sizes: 32-bit ones get zero-extended into fresh registers
	 * whose bounds the verifier does not connect to the checks. */
	const __u64 room = cap - sizeof(*h);
	__u64 fixed = cfg->fixed_size;

	if (total > room || fixed > total) {
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		count_lost(type);
		return 0;
	}
	__u64 copy = cfg->nstr ? fixed : total;
	if (copy > room)
		copy = room;
	barrier_var(copy); /* keep the clamped value for the verifier to see */
	if (bpf_probe_read_kernel(payload, copy, ctx)) {
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		count_lost(type);
		return 0;
	}
	__u64 size = copy;

	if (cfg->nstr) {
		/* Slots for each string's data_loc and a truncation mask, then
		 * the strings themselves. Only the largest class carries strings,
		 * and the bounds below are what lets the verifier see every store
		 * land inside the record. */
		if (cap != TREC_REC_MAX || fixed > TREC_STR_FIXED_MAX) {
			bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
			count_lost(type);
			return 0;
		}
		__u64 nstr = cfg->nstr > TREC_MAX_STR_ARGS ? TREC_MAX_STR_ARGS : cfg->nstr;
		__u64 pos = fixed + TREC_STR_SLOTS(nstr);
		__u32 trunc = 0;
		for (__u32 i = 0; i < TREC_MAX_STR_ARGS; i++) {
			if (i >= nstr)
				break;
			__u64 uptr = 0;
			__u64 off = cfg->str_ptr_off[i];
			if (off > TREC_STR_FIXED_MAX)
				break;
			bpf_probe_read_kernel(&uptr, sizeof(uptr), (char *)ctx + off);
			if (pos > room - TREC_STR_MAX)
				break;
			long n = bpf_probe_read_user_str(payload + pos, TREC_STR_MAX, (void *)uptr);
			if (n < 0)
				n = 0;
			if (n >= TREC_STR_MAX) {
				n = TREC_STR_MAX;
				trunc |= 1u << i;
			}
			__u64 slot = fixed + 4 * i;
			*(__u32 *)(payload + slot) = ((__u32)n << 16) | (__u32)pos;
			pos += (__u64)n;
		}
		*(__u32 *)(payload + fixed + 4 * nstr) = trunc;
		size = pos;
	}

	if (cfg->has_filter) {
		const struct trec_filter_prog *fp = bpf_map_lookup_elem(&filters, &type);
		if (fp && !trec_filter_eval(fp, payload, size > room ? room : size)) {
			bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
			return 0;
		}
	}

	__u64 id = bpf_get_current_pid_tgid();
	h->ts = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->type = (__u16)type;
	h->flags = 0;
	h->size = (__u32)size;
	/* Wake the consumer only when a good amount is waiting: it polls
	 * anyway, and a wakeup per event would cost more than the event. */
	__u64 flags = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) > TREC_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
										    : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
	return 0;
}

#define TRY_CLASS(N)                                                               \
	if (need <= (N)) {                                                         \
		__u8 *rec = bpf_ringbuf_reserve(rb, (N), 0);                       \
		if (!rec) {                                                        \
			count_lost(type);                                          \
			return 0;                                                  \
		}                                                                  \
		return fill(ctx, rb, cfg, type, total, rec, (N));                  \
	}

SEC("tracepoint")
int trec_tp(void *ctx)
{
	if (filter_pids) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		if (!bpf_map_lookup_elem(&targets, &tgid))
			return 0;
	}
	__u32 type = (__u32)bpf_get_attach_cookie(ctx);
	const struct trec_tp_cfg *cfg = bpf_map_lookup_elem(&tp_cfg, &type);
	if (!cfg)
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!rb) {
		count_lost(type);
		return 0;
	}

	__u64 total = cfg->fixed_size;
	for (__u32 i = 0; i < TREC_MAX_DYN_FIELDS; i++) {
		if (i >= cfg->ndyn)
			break;
		__u64 end = dyn_end(ctx, cfg->dyn_off[i], cfg->dyn_rel[i]);
		if (end > total)
			total = end;
	}
	__u64 need = total + sizeof(struct trec_rec);
	if (cfg->nstr) /* strings: the largest class, sized for the worst case */
		need = TREC_REC_MAX;

	/* bpf_ringbuf_reserve takes a constant size: reserve the smallest
	 * class that fits; the header's size field says what is used. */
	TRY_CLASS(64)
	TRY_CLASS(96)
	TRY_CLASS(128)
	TRY_CLASS(256)
	TRY_CLASS(512)
	TRY_CLASS(1024)
	TRY_CLASS(2048)
	TRY_CLASS(TREC_REC_MAX)
	count_lost(type);
	return 0;
}

/* Descendants of traced processes are traced from their first instruction:
 * the child joins `targets` before it can run. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(trec_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!filter_pids)
		return 0;
	__u32 ptgid = parent->tgid;
	if (!bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	__u32 ctgid = child->tgid;
	__u8 one = 1;
	if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&targets_full, 1);
	return 0;
}
