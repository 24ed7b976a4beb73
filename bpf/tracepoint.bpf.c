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
/* The recorder's own process: its draining would otherwise trace itself. */
const volatile __u32 self_tgid = 0;

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

/* Per-CPU scratch record for filtered events: the filter runs on a copy
 * before anything is reserved, in one place (the verifier checks the
 * filter loop once instead of once per size class). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[TREC_REC_MAX]);
} scratch SEC(".maps");

/* Header of a record about to be committed. */
static __always_inline void set_header(__u8 *rec, __u32 type, __u64 size, __u64 id)
{
	struct trec_rec *h = (struct trec_rec *)rec;
	h->ts = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->type = (__u16)type;
	h->flags = 0;
	h->size = (__u32)size;
}

/*
 * Copies the tracepoint record and its dynamic data (`total` bytes) into
 * `rec` (capacity `cap`, a constant at each call site so the verifier
 * knows every bound). Returns the payload size, or -1.
 */
static __always_inline long fill(void *ctx, __u32 type, __u64 total, __u8 *rec, const __u64 cap,
				 __u64 id)
{
	/* 64-bit sizes: 32-bit ones get zero-extended into fresh registers
	 * whose bounds the verifier does not connect to the checks. */
	const __u64 room = cap - sizeof(struct trec_rec);
	if (total > room)
		return -1;
	barrier_var(total);
	if (bpf_probe_read_kernel(rec + sizeof(struct trec_rec), total, ctx))
		return -1;
	set_header(rec, type, total, id);
	return (long)total;
}

/* Syscall string arguments, one per bpf_loop step (verified once). */
struct str_run {
	void *ctx;
	__u8 *payload;  /* scratch record + header */
	const struct trec_tp_cfg *cfg;
	__u64 fixed;
	__u64 pos;
	__u32 trunc;
};

#define SCRATCH_ROOM (TREC_REC_MAX - sizeof(struct trec_rec))

static long str_step(__u32 i, void *arg)
{
	struct str_run *sr = arg;
	__u64 k = i;
	barrier_var(k);
	if (k >= TREC_MAX_STR_ARGS || k >= sr->cfg->nstr)
		return 1;
	__u64 off = sr->cfg->str_ptr_off[k];
	__u64 fixed = sr->fixed, pos = sr->pos;
	if (off > TREC_STR_FIXED_MAX || fixed > TREC_STR_FIXED_MAX || pos > SCRATCH_ROOM - TREC_STR_MAX)
		return 1;
	__u64 uptr = 0;
	bpf_probe_read_kernel(&uptr, sizeof(uptr), (char *)sr->ctx + off);
	long n = bpf_probe_read_user_str(sr->payload + pos, TREC_STR_MAX, (void *)uptr);
	if (n < 0)
		n = 0;
	if (n >= TREC_STR_MAX) {
		n = TREC_STR_MAX;
		sr->trunc |= 1u << k;
	}
	*(__u32 *)(sr->payload + fixed + 4 * k) = ((__u32)n << 16) | (__u32)pos;
	sr->pos = pos + (__u64)n;
	return 0;
}

/*
 * The slow path, for events with user strings or a filter: build the
 * record in this CPU's scratch buffer, filter it, then copy it out with
 * bpf_ringbuf_output. Returns the payload size, or -1.
 */
static __always_inline long fill_scratch(void *ctx, const struct trec_tp_cfg *cfg, __u32 type,
					 __u64 total, __u8 *buf, __u64 id)
{
	__u8 *payload = buf + sizeof(struct trec_rec);
	if (!cfg->nstr)
		return fill(ctx, type, total, buf, TREC_REC_MAX, id);
	/* Layout of trec_bpf.h: record, data_loc slots, truncation mask, strings. */
	__u64 fixed = cfg->fixed_size;
	if (fixed > TREC_STR_FIXED_MAX)
		return -1;
	barrier_var(fixed);
	if (bpf_probe_read_kernel(payload, fixed, ctx))
		return -1;
	__u64 nstr = cfg->nstr > TREC_MAX_STR_ARGS ? TREC_MAX_STR_ARGS : cfg->nstr;
	struct str_run sr = { .ctx = ctx, .payload = payload, .cfg = cfg, .fixed = fixed,
			      .pos = fixed + TREC_STR_SLOTS(nstr) };
	/* Slots of strings that are not read stay empty strings. */
	for (__u32 i = 0; i < TREC_MAX_STR_ARGS; i++)
		if (i < nstr)
			*(__u32 *)(payload + fixed + 4 * i) = 0;
	bpf_loop(TREC_MAX_STR_ARGS, str_step, &sr, 0);
	*(__u32 *)(payload + fixed + 4 * nstr) = sr.trunc;
	set_header(buf, type, sr.pos, id);
	return (long)sr.pos;
}

/* Wake the consumer only when a good amount is waiting: it polls anyway,
 * and a wakeup per event would cost more than the event. */
static __always_inline __u64 wakeup_flags(void *rb)
{
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) > TREC_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
									    : BPF_RB_NO_WAKEUP;
}

/* The filter program runs under bpf_loop: the verifier checks one step
 * once, instead of every path through 32 unrolled instructions. */
struct filter_run {
	const struct trec_filter_prog *p;
	const unsigned char *rec;
	__u32 size;
	__u32 depth;
	__u64 st;
	int bad;
};

static long filter_step(__u32 i, void *arg)
{
	struct filter_run *fr = arg;
	if (i >= fr->p->n)
		return 1;
	/* Restate the bound where the verifier sees it (MAX_INSNS is a power of
	 * two); the barrier keeps the compiler from dropping the mask. */
	__u64 k = i;
	barrier_var(k);
	k &= TREC_FILTER_MAX_INSNS - 1;
	if (trec_filter_step(&fr->p->insn[k], fr->rec, fr->size, &fr->st, &fr->depth)) {
		fr->bad = 1;
		return 1;
	}
	return 0;
}

static __always_inline int filter_keep(const struct trec_filter_prog *p, const unsigned char *rec,
				       __u32 size)
{
	if (p->n == 0 || p->n > TREC_FILTER_MAX_INSNS)
		return 1;
	struct filter_run fr = { .p = p, .rec = rec, .size = size };
	bpf_loop(TREC_FILTER_MAX_INSNS, filter_step, &fr, 0);
	/* A malformed program keeps the event: a bug must not lose data. */
	if (fr.bad || fr.depth != 1)
		return 1;
	return (int)(fr.st & 1);
}

/* Events with user strings or a --filter: scratch, filter, output. */
static __noinline int emit_slow(void *ctx, const struct trec_tp_cfg *cfg, __u32 type, __u64 total,
				__u64 id)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u8 *buf = bpf_map_lookup_elem(&scratch, &zero);
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!buf || !rb)
		return 0;
	long size = fill_scratch(ctx, cfg, type, total, buf, id);
	if (size < 0 || size > (long)SCRATCH_ROOM) {
		count_lost(type);
		return 0;
	}
	if (cfg->has_filter) {
		const struct trec_filter_prog *fp = bpf_map_lookup_elem(&filters, &type);
		__u64 sz = (__u64)size;
		if (sz > TREC_FILTER_REC_MAX)
			sz = TREC_FILTER_REC_MAX;
		if (fp && !filter_keep(fp, buf + sizeof(struct trec_rec), (__u32)sz))
			return 0;
	}
	__u64 out = sizeof(struct trec_rec) + (__u64)size;
	if (out > TREC_REC_MAX)
		return 0;
	barrier_var(out);
	if (bpf_ringbuf_output(rb, buf, out, wakeup_flags(rb)))
		count_lost(type);
	return 0;
}

#define TRY_CLASS(N)                                                               \
	if (need <= (N)) {                                                         \
		__u8 *rec = bpf_ringbuf_reserve(rb, (N), 0);                       \
		if (!rec) {                                                        \
			count_lost(type);                                          \
			return 0;                                                  \
		}                                                                  \
		if (fill(ctx, type, total, rec, (N), id) < 0) {                    \
			bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);                \
			count_lost(type);                                          \
			return 0;                                                  \
		}                                                                  \
		bpf_ringbuf_submit(rec, wakeup_flags(rb));                         \
		return 0;                                                          \
	}

SEC("tracepoint")
int trec_tp(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (tgid == self_tgid)
		return 0;
	if (filter_pids && !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
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
	if (cfg->has_filter || cfg->nstr)
		return emit_slow(ctx, cfg, type, total, id);
	__u64 need = total + sizeof(struct trec_rec);

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
