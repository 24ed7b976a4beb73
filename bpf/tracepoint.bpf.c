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

#include "common.bpf.h"
#include "filter_prog.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* -g: every event carries its kernel and user stacks. */
const volatile bool with_stacks = false;

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

/* Descendants that could not be added because targets was full. */
__u64 targets_full = 0;

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

/*
 * The kernel hands tracepoint programs the record with its first 8 bytes
 * (the common fields) overwritten by a pt_regs pointer. Put back what can
 * be known: common_type (the tracepoint id) and common_pid; the irq flags
 * and preempt count are not available to BPF and read 0 (docs/RECORD.md).
 */
static __always_inline void fix_common(__u8 *payload, const struct trec_tp_cfg *cfg, __u64 id)
{
	*(__u16 *)payload = (__u16)cfg->tp_id;
	payload[2] = 0;
	payload[3] = 0;
	*(__u32 *)(payload + 4) = (__u32)id;
}

/*
 * Copies the tracepoint record and its dynamic data (`total` bytes) into
 * `rec` (capacity `cap`, a constant at each call site so the verifier
 * knows every bound). Returns the payload size, or -1.
 */
static __always_inline long fill(void *ctx, const struct trec_tp_cfg *cfg, __u32 type, __u64 total,
				 __u8 *rec, const __u64 cap, __u64 id)
{
	/* 64-bit sizes: 32-bit ones get zero-extended into fresh registers
	 * whose bounds the verifier does not connect to the checks. */
	const __u64 room = cap - sizeof(struct trec_rec);
	if (total > room)
		return -1;
	barrier_var(total);
	if (total < 8 || bpf_probe_read_kernel(rec + sizeof(struct trec_rec), total, ctx))
		return -1;
	fix_common(rec + sizeof(struct trec_rec), cfg, id);
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
		return fill(ctx, cfg, type, total, buf, TREC_REC_MAX, id);
	/* Layout of trec_bpf.h: record, data_loc slots, truncation mask, strings. */
	__u64 fixed = cfg->fixed_size;
	if (fixed > TREC_STR_FIXED_MAX)
		return -1;
	barrier_var(fixed);
	if (fixed < 8 || bpf_probe_read_kernel(payload, fixed, ctx))
		return -1;
	fix_common(payload, cfg, id);
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
	if (with_stacks) {
		out = append_stacks(ctx, buf, (__u64)size, 1);
		if (!out) {
			count_lost(type);
			return 0;
		}
	}
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
		if (fill(ctx, cfg, type, total, rec, (N), id) < 0) {               \
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
	if (!wanted(id))
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
	if (with_stacks || cfg->has_filter || cfg->nstr)
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

/*
 * The direct path, for tracepoints whose record is fixed (no __data_loc
 * data, no user strings) and needs no filter and no stacks: one program per
 * record size, which copies the record with plain loads from its context
 * instead of a bpf_probe_read_kernel call. On CPUs whose mitigations make
 * every call and return dear (AMD's SRSO "safe RET"), that call costs as
 * much as the rest of the fast path. The kernel refuses to attach a program
 * that reads past the end of a tracepoint's record, hence one program per
 * size: `words` 8-byte words, then 4 more bytes when `tail4`. User space
 * picks the variant and loads only those it uses ("?tracepoint"); the
 * cookie carries the event type (low half) and the tracefs id (high half).
 */
#define COPY_WORD(W)                                                        \
	if ((W) < words)                                                    \
		d[W] = *(__u64 *)((char *)ctx + 8 * (W));

static __always_inline int emit_direct(void *ctx, const __u32 words, const __u32 tail4)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id))
		return 0;
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 type = (__u32)cookie;
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!rb) {
		count_lost(type);
		return 0;
	}
	const __u64 size = 8 * (__u64)words + 4 * (__u64)tail4;
	__u8 *rec = bpf_ringbuf_reserve(rb, sizeof(struct trec_rec) + TREC_ALIGN8(size), 0);
	if (!rec) {
		count_lost(type);
		return 0;
	}
	__u64 *d = (__u64 *)(rec + sizeof(struct trec_rec));
	/* Word 0 is the kernel's pt_regs pointer: rebuilt below. Written out
	 * because every context load needs a constant offset. */
	COPY_WORD(1) COPY_WORD(2) COPY_WORD(3) COPY_WORD(4) COPY_WORD(5) COPY_WORD(6)
	COPY_WORD(7) COPY_WORD(8) COPY_WORD(9) COPY_WORD(10) COPY_WORD(11) COPY_WORD(12)
	_Static_assert(TREC_DIRECT_MAX_WORDS == 13, "COPY_WORD and DIRECT_PROGS cover 1..13 words");
	if (tail4)
		*(__u32 *)(rec + sizeof(struct trec_rec) + 8 * words) =
			*(__u32 *)((char *)ctx + 8 * words);
	__u8 *payload = (__u8 *)d;
	*(__u16 *)payload = (__u16)(cookie >> 32);
	payload[2] = 0;
	payload[3] = 0;
	*(__u32 *)(payload + 4) = (__u32)id;
	set_header(rec, type, size, id);
	bpf_ringbuf_submit(rec, wakeup_flags(rb));
	return 0;
}

#define DIRECT_PROG(W, T)                                                   \
	SEC("?tracepoint")                                                  \
	int trec_tp_w##W##_t##T(void *ctx)                                  \
	{                                                                   \
		return emit_direct(ctx, W, T);                              \
	}
#define DIRECT_PROGS(W) DIRECT_PROG(W, 0) DIRECT_PROG(W, 1)

/* Records of 8 to 108 bytes whose size is a multiple of 4. */
DIRECT_PROGS(1) DIRECT_PROGS(2) DIRECT_PROGS(3) DIRECT_PROGS(4) DIRECT_PROGS(5)
DIRECT_PROGS(6) DIRECT_PROGS(7) DIRECT_PROGS(8) DIRECT_PROGS(9) DIRECT_PROGS(10)
DIRECT_PROGS(11) DIRECT_PROGS(12) DIRECT_PROGS(13)

/*
 * raw_syscalls:sys_enter and sys_exit, the busiest tracepoints there are,
 * through BTF-typed raw tracepoints: the kernel then skips building the
 * tracefs record and running the perf_event program array, and hands over
 * its arguments instead. The programs write the very record the tracefs
 * format describes (the kernel's own syscall_get_arguments and
 * syscall_get_nr, done here); user space checks that format before it
 * picks this path (bpf_tp.c) and uses the general program otherwise, with
 * a filter or stacks too. x86-64 only: the argument registers are the
 * architecture's; elsewhere the direct-copy programs serve.
 */
#if defined(__TARGET_ARCH_x86)
const volatile __u32 sys_enter_type = 0;
const volatile __u32 sys_enter_tp_id = 0;
const volatile __u32 sys_exit_type = 0;
const volatile __u32 sys_exit_tp_id = 0;

#define TS_COMPAT 0x0002 /* arch/x86: the task is in a 32-bit syscall */

/* Reserves a record of `size` payload bytes and fills its common fields. */
static __always_inline __u8 *raw_begin(void **rbp, __u32 type, __u32 tp_id, const __u64 size, __u64 id)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!rb) {
		count_lost(type);
		return NULL;
	}
	__u8 *rec = bpf_ringbuf_reserve(rb, sizeof(struct trec_rec) + size, 0);
	if (!rec) {
		count_lost(type);
		return NULL;
	}
	__u8 *payload = rec + sizeof(struct trec_rec);
	*(__u16 *)payload = (__u16)tp_id;
	payload[2] = 0;
	payload[3] = 0;
	*(__u32 *)(payload + 4) = (__u32)id;
	set_header(rec, type, size, id);
	*rbp = rb;
	return rec;
}

SEC("?tp_btf/sys_enter")
int BPF_PROG(trec_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id))
		return 0;
	void *rb;
	__u8 *rec = raw_begin(&rb, sys_enter_type, sys_enter_tp_id, 64, id);
	if (!rec)
		return 0;
	__u64 *d = (__u64 *)(rec + sizeof(struct trec_rec));
	d[1] = (__u64)nr;
	struct task_struct *task = bpf_get_current_task_btf();
	if (bpf_core_field_exists(task->thread_info.status) && (task->thread_info.status & TS_COMPAT)) {
		d[2] = regs->bx;
		d[3] = regs->cx;
		d[4] = regs->dx;
		d[5] = regs->si;
		d[6] = regs->di;
		d[7] = regs->bp;
	} else {
		d[2] = regs->di;
		d[3] = regs->si;
		d[4] = regs->dx;
		d[5] = regs->r10;
		d[6] = regs->r8;
		d[7] = regs->r9;
	}
	bpf_ringbuf_submit(rec, wakeup_flags(rb));
	return 0;
}

SEC("?tp_btf/sys_exit")
int BPF_PROG(trec_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id))
		return 0;
	void *rb;
	__u8 *rec = raw_begin(&rb, sys_exit_type, sys_exit_tp_id, 24, id);
	if (!rec)
		return 0;
	__u64 *d = (__u64 *)(rec + sizeof(struct trec_rec));
	d[1] = regs->orig_ax;
	d[2] = (__u64)ret;
	bpf_ringbuf_submit(rec, wakeup_flags(rb));
	return 0;
}
#endif

/* Each thread's context at its latest fork and exec (trec_bpf.h). LRU: a
 * recorder that falls behind loses the oldest, never blocks a fork. User
 * space takes each entry within a tick of the fork or exec, so only those
 * in flight live here; it sizes the map by the CPU count (bpf_tp.c). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TREC_TASK_CTX_ENTRIES);
	__type(key, __u64);
	__type(value, struct trec_task_ctx_val);
} task_ctx SEC(".maps");

/* The pid number of p in its innermost namespace (numbers[level]). */
static __always_inline __u32 ns_nr(struct pid *p)
{
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	int nr = 0;
	if (level > 31) /* MAX_PID_NS_LEVEL */
		return 0;
	if (bpf_probe_read_kernel(&nr, sizeof(nr), &p->numbers[level].nr))
		return 0;
	return (__u32)nr;
}

static __always_inline void note_ctx(struct task_struct *t, __u64 cgroup_id, int exec)
{
	struct trec_task_ctx_val v = {
		.cgroup_id = cgroup_id,
		.nspid = ns_nr(BPF_CORE_READ(t, group_leader, thread_pid)),
		.nstid = ns_nr(BPF_CORE_READ(t, thread_pid)),
	};
	__u64 key = TREC_TASK_CTX_KEY(BPF_CORE_READ(t, pid), exec);
	bpf_map_update_elem(&task_ctx, &key, &v, BPF_ANY);
}

/* A container runtime moves its process into the container's cgroup
 * between the fork and the exec: the exec's context is the one that
 * holds for the program. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(trec_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	if (filter_pids && !bpf_map_lookup_elem(&targets, &tgid))
		return 0; /* user space never asks for it: keep the LRU for those it will */
	note_ctx(p, bpf_get_current_cgroup_id(), 1);
	return 0;
}

/* Descendants of traced processes are traced from their first instruction:
 * the child joins `targets` before it can run. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(trec_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!filter_pids) {
		note_ctx(child, BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id), 0);
		return 0;
	}
	__u32 ptgid = parent->tgid;
	if (!bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	note_ctx(child, BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id), 0);
	__u32 ctgid = child->tgid;
	__u8 one = 1;
	if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&targets_full, 1);
	return 0;
}

/* Loaded with this object when user space asks (autoload): one object,
 * one parse of the kernel's BTF, for all a recording needs. */
#define UW_HOOKS_SEC_PREFIX "?"
#include "unwind_hooks.bpf.h"
#include "profile.bpf.h"
