/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record writer of the dynamic-probe programs (uprobe.bpf.c,
 * usdt.bpf.c, kprobe.bpf.c, fentry.bpf.c): each program gathers its
 * values (arguments or the return value) into a struct probe_hit and
 * hands it to probe_emit, which writes the record of probe_abi.h into
 * this CPU's ring, with the strings --arg asked for and the stacks -g
 * asked for.
 *
 * Records are built in place, in ring-buffer space reserved for them, and
 * never in a per-CPU scratch buffer: uprobe programs run with preemption
 * enabled (only migration is disabled), so a second task on the same CPU
 * could start a probe program while the first is half-way through a
 * shared buffer. A reservation belongs to one program run. The reserve
 * size must be a constant, so records come in size classes: the exact
 * size of the plain record (no strings, no stacks: the hot path), then
 * 512, 2048, 4096 and 8192 bytes for records with strings and stacks; the
 * header's size says what is used, the rest of the class is ring space
 * only (the consumer copies records by their header).
 */
#ifndef TREC_PROBE_BPF_H
#define TREC_PROBE_BPF_H

#include "common.bpf.h"
#include "probe_abi.h"

/* The sixth argument register: libbpf before 1.2 names only five. */
#ifndef PT_REGS_PARM6
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_PARM6(x) (((const struct pt_regs *)(x))->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM6(x) (((const struct user_pt_regs *)(x))->regs[5])
#else
#define PT_REGS_PARM6(x) 0
#endif
#endif

/* -g: stacks with every event. */
const volatile bool with_stacks = false;
/* Add the caller's return address to user stacks taken at a function's
 * first instruction; off where the kernel does it itself (recent x86
 * kernels: those with is_uprobe_at_func_entry). */
const volatile bool add_entry_caller = false;

/* Where string arguments point and which stacks a probe has. */
enum probe_ctx_kind {
	PROBE_IN_USER = 0,   /* uprobes, USDT: user strings, user stack only */
	PROBE_IN_KERNEL = 1, /* kprobes, fentry: kernel or user strings, both stacks */
};

struct probe_hit {
	__u64 id; /* bpf_get_current_pid_tgid() */
	__u64 ck; /* the cookie (probe_abi.h) */
	__u64 vals[PROBE_MAX_VALS];
};

#define PROBE_FRAMES_BYTES (TREC_MAX_STACK * sizeof(__u64))

static __always_inline long probe_read_str(void *dst, __u64 ptr, const int kind)
{
	if (kind == PROBE_IN_USER)
		return bpf_probe_read_user_str(dst, TREC_STR_MAX, (const void *)ptr);
	/* A kernel function's argument may point into either half. */
	long n = bpf_probe_read_kernel_str(dst, TREC_STR_MAX, (const void *)ptr);
	if (n < 0)
		n = bpf_probe_read_user_str(dst, TREC_STR_MAX, (const void *)ptr);
	return n;
}

/* String arguments, one per bpf_loop step: the verifier checks the step
 * once instead of every combination of set bits, string lengths and
 * truncations an unrolled loop would multiply out. */
struct probe_str_run {
	__u8 *payload; /* the record's payload, in ring space */
	__u64 room;    /* bytes after the header */
	__u64 fixed;   /* 8 * nvals: where the slots start */
	__u64 pos;     /* next string byte */
	__u32 mask, k, trunc, kind;
};

static long probe_str_step(__u32 i, void *arg)
{
	struct probe_str_run *r = arg;
	if (i >= PROBE_MAX_STRS)
		return 1;
	if (!((r->mask >> i) & 1))
		return 0;
	__u64 pos = r->pos, fixed = r->fixed, k = r->k;
	if (k >= PROBE_MAX_STRS || fixed > 8 * PROBE_MAX_VALS || r->room < TREC_STR_MAX || pos > r->room - TREC_STR_MAX)
		return 1;
	barrier_var(pos);
	__u64 ptr = *(__u64 *)(r->payload + 8 * (i & 7));
	long n = probe_read_str(r->payload + pos, ptr, r->kind);
	if (n < 0)
		n = 0; /* unreadable (NULL, not paged in): an empty string */
	if (n >= TREC_STR_MAX) {
		n = TREC_STR_MAX;
		r->trunc |= 1u << k;
	}
	*(__u32 *)(r->payload + fixed + 4 * k) = ((__u32)n << 16) | (__u32)pos;
	r->pos = pos + (__u64)n;
	r->k = (__u32)k + 1;
	return 0;
}

/*
 * The string part after `nvals` values in `payload` (room: `room` bytes),
 * for the values of the first PROBE_MAX_STRS whose bit is in `mask`.
 * Returns the payload size.
 */
static __always_inline __u64 probe_add_strings(__u8 *payload, __u64 nvals, __u32 mask, const __u64 room,
					       const int kind)
{
	if (nvals > PROBE_MAX_VALS)
		return 0;
	__u32 nstr = 0;
	for (__u32 i = 0; i < PROBE_MAX_STRS; i++)
		nstr += (mask >> i) & 1;
	__u64 fixed = 8 * nvals;
	struct probe_str_run r = { .payload = payload, .room = room, .fixed = fixed,
				   .pos = fixed + 4 * (__u64)nstr + 4, .mask = mask, .kind = kind };
	for (__u32 k = 0; k < PROBE_MAX_STRS; k++)
		if (k < nstr)
			*(__u32 *)(payload + fixed + 4 * k) = 0;
	bpf_loop(PROBE_MAX_STRS, probe_str_step, &r, 0);
	*(__u32 *)(payload + fixed + 4 * (nstr & 7)) = r.trunc;
	return r.pos;
}

/*
 * Stacks after a payload of `size` bytes in the record `rec` of `cap`
 * bytes. User probes take the user stack only: their kernel side is the
 * breakpoint handler, nothing the user asked about. At a function's first
 * instruction the frame-pointer walk misses the immediate caller (the
 * callee has not pushed its frame yet: the frame pointer is still the
 * caller's, whose return address is in the caller's caller); the caller's
 * return address is at the stack pointer, and goes in as the second frame
 * (add_entry_caller: on kernels that do not do this themselves).
 */
static __always_inline void probe_add_stacks(void *ctx, __u8 *rec, __u64 size, const __u64 cap, const int kind,
					     bool at_entry)
{
	__u64 at = sizeof(struct trec_rec) + TREC_ALIGN8(size);
	const __u64 need = sizeof(struct trec_stack_tail) + (kind == PROBE_IN_USER ? 1 : 2) * PROBE_FRAMES_BYTES;
	if (cap < need || at > cap - need)
		return; /* no room: the class was chosen to fit, so not reached */
	barrier_var(at);
	struct trec_stack_tail *t = (struct trec_stack_tail *)(rec + at);
	__u8 *ips = rec + at + sizeof(*t);
	t->flags = 0;
	t->nkernel = 0;
	t->nuser = 0;
	long nk = 0;
	if (kind == PROBE_IN_KERNEL) {
		nk = bpf_get_stack(ctx, ips, PROBE_FRAMES_BYTES, 0);
		if (nk < 0) {
			t->flags |= TREC_STACKF_KLOST;
			nk = 0;
		}
		nk &= 0xfff8;
		if (nk > PROBE_FRAMES_BYTES)
			nk = PROBE_FRAMES_BYTES;
		struct task_struct *task = bpf_get_current_task_btf();
		if (task->flags & PF_KTHREAD_FLAG) {
			t->nkernel = (__u16)(nk / 8);
			((struct trec_rec *)rec)->flags |= TREC_RECF_STACK;
			return;
		}
	}
	__u8 *u = ips + nk;
	__u64 ra = 0;
	/* The unwinder's rule at a function's first instruction finds the
	 * caller by itself. */
	if (kind == PROBE_IN_USER && at_entry && add_entry_caller && !unwind_user &&
	    bpf_probe_read_user(&ra, sizeof(ra), (const void *)PT_REGS_SP((struct pt_regs *)ctx)))
		ra = 0;
	long nu;
	if (ra) {
		/* [ip, ra, rest of the walk]: the walk lands one slot up,
		 * then its first frame (ip) moves down to make room. */
		nu = bpf_get_stack(ctx, u + 8, PROBE_FRAMES_BYTES - 8, BPF_F_USER_STACK);
		if (nu >= 8) {
			*(__u64 *)u = *(__u64 *)(u + 8);
			*(__u64 *)(u + 8) = ra;
			nu += 8;
		}
	} else {
		nu = uw_user_stack(ctx, u, PROBE_FRAMES_BYTES);
	}
	if (nu < 0) {
		t->flags |= TREC_STACKF_ULOST;
		nu = 0;
	}
	nu &= 0xfff8;
	if (nu > PROBE_FRAMES_BYTES)
		nu = PROBE_FRAMES_BYTES;
	t->nkernel = (__u16)(nk / 8);
	t->nuser = (__u16)(nu / 8);
	((struct trec_rec *)rec)->flags |= TREC_RECF_STACK;
}

/* Fills a reserved record of `cap` bytes. */
static __always_inline void probe_fill(void *ctx, __u8 *rec, const __u64 cap, const struct probe_hit *h,
				       __u64 nvals, __u32 strmask, const int kind)
{
	__u8 *payload = rec + sizeof(struct trec_rec);
	const __u64 room = cap - sizeof(struct trec_rec);
	for (__u32 i = 0; i < PROBE_MAX_VALS; i++)
		if (i < nvals && 8 * (i + 1) <= room)
			*(__u64 *)(payload + 8 * i) = h->vals[i];
	__u64 size = 8 * nvals;
	if (strmask)
		size = probe_add_strings(payload, nvals, strmask, room, kind);
	set_header(rec, PROBE_CK_TYPE(h->ck), size, h->id);
	if (with_stacks)
		probe_add_stacks(ctx, rec, size, cap, kind, !!(h->ck & PROBE_CK_AT_ENTRY));
}

#define PROBE_TRY_CLASS(N)                                                      \
	if (need <= (N)) {                                                      \
		__u8 *rec = bpf_ringbuf_reserve(rb, (N), 0);                    \
		if (!rec) {                                                     \
			count_lost(type);                                       \
			return 0;                                               \
		}                                                               \
		probe_fill(ctx, rec, (N), h, nvals, strmask, kind);             \
		bpf_ringbuf_submit(rec, wakeup_flags(rb));                      \
		return 0;                                                       \
	}

/*
 * Writes one probe record. `plain` is the record size without strings and
 * stacks for this program's value count (a constant): the hot path
 * reserves exactly that.
 */
static __always_inline int probe_emit(void *ctx, const struct probe_hit *h, const __u64 plain, const int kind)
{
	__u32 type = PROBE_CK_TYPE(h->ck);
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&rings, &cpu);
	if (!rb) {
		count_lost(type);
		return 0;
	}
	__u64 nvals = PROBE_CK_NVALS(h->ck);
	if (nvals > PROBE_MAX_VALS)
		nvals = PROBE_MAX_VALS;
	__u32 strmask = PROBE_CK_STRMASK(h->ck);
	if (!strmask && !with_stacks && sizeof(struct trec_rec) + 8 * nvals <= plain) {
		__u8 *rec = bpf_ringbuf_reserve(rb, plain, 0);
		if (!rec) {
			count_lost(type);
			return 0;
		}
		__u64 *d = (__u64 *)(rec + sizeof(struct trec_rec));
		for (__u32 i = 0; i < PROBE_MAX_VALS; i++)
			if (i < nvals && sizeof(struct trec_rec) + 8 * (i + 1) <= plain)
				d[i] = h->vals[i];
		set_header(rec, type, 8 * nvals, h->id);
		bpf_ringbuf_submit(rec, wakeup_flags(rb));
		return 0;
	}
	__u64 need = sizeof(struct trec_rec) + 8 * nvals;
	if (strmask)
		need += 4 * PROBE_MAX_STRS + 4 + PROBE_MAX_STRS * TREC_STR_MAX;
	if (with_stacks)
		need = TREC_ALIGN8(need) + sizeof(struct trec_stack_tail) +
		       (kind == PROBE_IN_USER ? 1 : 2) * PROBE_FRAMES_BYTES;
	PROBE_TRY_CLASS(512)
	PROBE_TRY_CLASS(2048)
	PROBE_TRY_CLASS(4096)
	PROBE_TRY_CLASS(TREC_REC_MAX)
	count_lost(type);
	return 0;
}

/* The programs of function probes (uprobe.bpf.c, kprobe.bpf.c): the
 * register arguments at entry, the return register at return. */
static __always_inline int probe_entry(struct pt_regs *ctx, const int kind)
{
	struct probe_hit h;
	h.id = bpf_get_current_pid_tgid();
	if (!wanted(h.id))
		return 0;
	h.ck = bpf_get_attach_cookie(ctx);
	h.vals[0] = PT_REGS_PARM1(ctx);
	h.vals[1] = PT_REGS_PARM2(ctx);
	h.vals[2] = PT_REGS_PARM3(ctx);
	h.vals[3] = PT_REGS_PARM4(ctx);
	h.vals[4] = PT_REGS_PARM5(ctx);
	h.vals[5] = PT_REGS_PARM6(ctx);
	return probe_emit(ctx, &h, sizeof(struct trec_rec) + 8 * PROBE_REG_ARGS, kind);
}

static __always_inline int probe_return(struct pt_regs *ctx, const int kind)
{
	struct probe_hit h;
	h.id = bpf_get_current_pid_tgid();
	if (!wanted(h.id))
		return 0;
	h.ck = bpf_get_attach_cookie(ctx);
	h.vals[0] = PT_REGS_RC(ctx);
	return probe_emit(ctx, &h, sizeof(struct trec_rec) + 8, kind);
}

#endif
