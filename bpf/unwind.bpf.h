/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The user-stack unwinder: walks the current task's user stack with the
 * unwind rows the recorder compiled from each binary's .eh_frame
 * (bpf/unwind_abi.h, record/cfi.c), so code built without frame pointers
 * (Debian's libc, liblzma, python3, most -O2 builds) still yields whole
 * stacks. Per frame:
 *
 *   1. the process's executable mappings (uw_procs, keyed by tgid; the
 *      recorder fills them from /proc and the side-band) give the mapping
 *      that holds pc, and with it the table and the table-relative pc;
 *   2. a binary search in that table's rows (uw_rows) gives the rule;
 *   3. the rule gives the CFA, and the return address and saved rbp are
 *      read from the stack (trec_uw_read: a window of it at a time).
 *
 * Where no rule covers a frame (JIT code, a table not loaded yet or past
 * the memory budget, a rule the unwinder cannot evaluate), that frame is
 * walked by its frame pointer, and the reason is counted (uw_stats). Only
 * addresses leave the kernel: no user memory is copied into the trace.
 *
 * Every program that takes user stacks includes this (through
 * common.bpf.h); user space creates the maps once and hands their fds to
 * each program (bpf_map__reuse_fd), or shrinks them to one entry when
 * unwinding is off (unwind_user = false: the kernel's frame-pointer walk,
 * bpf_get_stack with BPF_F_USER_STACK, as before).
 */
#ifndef TREC_UNWIND_BPF_H
#define TREC_UNWIND_BPF_H

#include <bpf/bpf_core_read.h>

#include "unwind_abi.h"

const volatile bool unwind_user = false;
/* Rows per chunk, as a shift: set by user space with unwind_user. */
const volatile __u32 uw_chunk_shift = 0;

/*
 * The rows: one index space cut into chunks of 1 << uw_chunk_shift rows,
 * each an array map of its own that the recorder creates only when a
 * table needs it, so memory follows what the traced binaries need, up to
 * the budget. The chunks all have one size, so the kernel inlines both
 * lookups (an inner map of another size could not be inserted). The
 * declared inner map is a placeholder: when unwinding, user space hands
 * in its own outer map (unwind_share), whose chunks set the size.
 */
struct uw_rows_chunk {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	/* a size, not a type: objects that never walk a stack leave the
	 * row struct a forward declaration in their BTF */
	__uint(value_size, sizeof(struct trec_uw_row));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set by user space: the memory budget in chunks */
	__type(key, __u32);
	__array(values, struct uw_rows_chunk);
} uw_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trec_uw_table);
} uw_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trec_uw_proc);
} uw_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TREC_UW_ST_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} uw_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct trec_uw_inode);
	__type(value, __u32);
} uw_inodes SEC(".maps");

/* Wakes the recorder when a frame finds its process's mappings missing
 * (a process that just exec'd or mapped a library): the side-band that
 * announces them is then drained at once, not at the next timer tick, so
 * the process's next sample already finds them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} uw_kick SEC(".maps");

/* The frames of the walk in progress (one per CPU; copied out at the end). */
/* A mapping found through bpf_find_vma: [start, end) of process tgid,
 * file offset pc - sub, table (0: none: anonymous memory, or a file
 * without a table). */
struct uw_vma {
	__u64 start, end, sub;
	__u32 tgid, table;
};
#define UW_VMA_CACHE 4

/* A rule found by binary search, kept for the next walk that meets the same
 * return address. Rows are only ever appended, so a READY table's first row
 * names it for the recording's life, and (first, offset) always maps to the
 * same rule: an entry never goes stale. */
struct uw_rule_memo {
	__u64 key; /* first row << 32 | table-relative pc */
	__u32 rule;
	__u32 valid;
};
#define UW_RULE_MEMO 512

/* A frame's rule by its address in one process, as of one rewrite of the
 * process's mappings (trec_uw_proc.written: a new rewrite, a new key), so
 * a hit also skips the mapping search and the table lookup. Only rules of
 * READY tables found through the loaded mappings are kept. */
struct uw_frame_memo {
	__u64 pc;
	__u64 written;
	__u32 tgid;
	__u32 rule;
};
#define UW_FRAME_MEMO 512

/* Bytes of user stack copied at once (a power of two). */
#define UW_WIN 512

struct uw_frames {
	__u64 ip[TREC_UW_MAX_FRAMES + 1];
	/* A window of the user stack, [win_base, + UW_WIN) when win_ok: one
	 * bpf_probe_read_user serves the frames it holds (trec_uw_read). */
	__u64 win[UW_WIN / 8];
	__u64 win_base;
	__u32 win_ok;
	__u32 win_dead; /* a window read failed: single reads for this walk */
	__u32 launder[2];
	__u64 last_kick; /* when this CPU last woke the recorder */
	/* The last VMAs looked up on this CPU: the next samples of a process
	 * that just started need no new lookup. */
	struct uw_vma vmas[UW_VMA_CACHE];
	__u32 vma_next;
	/* Most frames of a profile are the same few hundred return addresses:
	 * a hit costs one compare instead of ~15 halvings of two lookups each. */
	struct uw_rule_memo memo[UW_RULE_MEMO];
	struct uw_frame_memo fmemo[UW_FRAME_MEMO];
};

/* At most one wakeup per CPU every 2 ms: a process whose mappings never
 * come (the process table is full) must not keep the recorder spinning. */
#define UW_KICK_EVERY_NS 2000000ull
/* A frame outside every mapping of a process whose mappings changed this
 * recently is likely in a library just mapped; later, it is JIT code, and
 * waking the recorder would not help. */
#define UW_KICK_FRESH_NS 500000000ull
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct uw_frames);
} uw_frames SEC(".maps");

#define UW_USER_CS 0x33 /* 64-bit user code segment: compat tasks are walked by the kernel */

struct uw_walk {
	__u64 pc, sp, bp;
	const struct trec_uw_proc *proc; /* NULL: the process's mappings are not loaded */
	__u32 n;          /* frames written */
	__u32 tgid;
	__u8 bp_ok;       /* bp holds the frame's real rbp */
	__u8 exact;       /* pc is where the thread stopped, not a return address */
	__u8 complete;    /* an outermost frame was reached by its table rule */
	__u8 vma_calls;   /* bpf_find_vma calls made in this walk */
	__u32 by_table;   /* frames unwound by a table rule (counted once, at the end) */
	/* The innermost pending uretprobe of the thread: the return address
	 * slot it hijacked (its stack pointer at the call), what was there,
	 * and the next one out (a kernel pointer, 0 at the end). */
	__u64 ri_slot, ri_ret, ri_next;
};

/* Loads the uretprobe return instance at kernel address `ri` into w. */
static __always_inline void uw_ri_load(struct uw_walk *w, __u64 ri)
{
	struct return_instance *r = (struct return_instance *)ri;
	w->ri_slot = 0;
	w->ri_next = 0;
	if (!ri || !bpf_core_field_exists(r->orig_ret_vaddr) || !bpf_core_field_exists(r->stack))
		return;
	w->ri_slot = BPF_CORE_READ(r, stack);
	w->ri_ret = BPF_CORE_READ(r, orig_ret_vaddr);
	w->ri_next = (__u64)BPF_CORE_READ(r, next);
}

/*
 * The return address read from `slot`: a function with a uretprobe pending
 * had its return address replaced by the uprobes trampoline when it was
 * entered; the kernel keeps the original, innermost first, with the stack
 * slot it replaced. Walking outwards meets them in the same order.
 */
static __always_inline __u64 uw_ret_addr(struct uw_walk *w, __u64 slot, __u64 ra)
{
	if (!w->ri_slot || slot != w->ri_slot)
		return ra;
	ra = w->ri_ret;
	uw_ri_load(w, w->ri_next);
	return ra;
}

/*
 * v, as a value the verifier knows nothing about. The binary searches
 * index with values derived from their bounds; if the verifier tracked
 * those precisely, every path through every halving would be a distinct
 * state (2^25 of them) and the program would never verify. A value read
 * back from map memory has no history, so precision stops there, the
 * bounds stay imprecise and the loop states merge.
 */
static __always_inline __u32 uw_launder(struct uw_frames *f, int slot, __u32 v)
{
	*(volatile __u32 *)&f->launder[slot & 1] = v;
	return *(volatile __u32 *)&f->launder[slot & 1];
}

static __always_inline void uw_count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&uw_stats, &what);
	if (v)
		*v += 1;
}

/*
 * The mapping of process p holding pc, copied into *out: 1, or 0 when none
 * holds it. (A copy: the caller's mapping then lives on the stack whether
 * it came from here or from the VMA lookup, one path for the verifier.)
 * A global function, verified once on its own: inlined, its halvings
 * multiplied the states of the frame step.
 */
__noinline int trec_uw_map(const struct trec_uw_proc *p, __u64 pc, struct trec_uw_map *out)
{
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f || !p || !out)
		return 0;
	__u32 lo = 0, hi = p->n;
	if (hi > TREC_UW_MAX_MAPS)
		hi = TREC_UW_MAX_MAPS;
	/* Greatest start <= pc: 9 halvings cover 256 mappings. */
	for (int k = 0; k < 9; k++) {
		lo = uw_launder(f, 0, lo);
		hi = uw_launder(f, 1, hi);
		if (lo >= hi)
			break;
		__u32 mid = lo + (hi - lo) / 2;
		if (mid >= TREC_UW_MAX_MAPS)
			return 0;
		if (p->maps[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	__u32 at = uw_launder(f, 0, lo) - 1;
	if (at >= TREC_UW_MAX_MAPS)
		return 0;
	const struct trec_uw_map *m = &p->maps[at];
	if (pc - m->start >= m->len)
		return 0;
	*out = *m;
	return 1;
}

/*
 * The rule of the row covering file offset rel among rows [first, first +
 * count): the rule, or 0 where no row covers it (a gap, or past the end).
 * A global function: verified once on its own, so its halvings do not
 * multiply the states of every frame of the walk.
 */
static __always_inline struct trec_uw_row *uw_row(__u32 i)
{
	__u32 shift = uw_chunk_shift & 31;
	__u32 c = i >> shift, o = i & ((1u << shift) - 1);
	void *chunk = bpf_map_lookup_elem(&uw_rows, &c);
	return chunk ? bpf_map_lookup_elem(chunk, &o) : NULL;
}

__noinline __u32 trec_uw_rule(__u32 first, __u32 count, __u64 rel)
{
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f || rel > 0xffffffffull)
		return 0;
	__u32 lo = first, hi = first + count;
	if (hi < lo)
		return 0;
	__u64 key = (__u64)first << 32 | rel;
	struct uw_rule_memo *memo = &f->memo[(key * 0x9e3779b97f4a7c15ull) >> 55 & (UW_RULE_MEMO - 1)];
	if (memo->valid && memo->key == key)
		return memo->rule;
	/* Greatest row pc <= rel: 25 halvings cover 32M rows. */
	for (int k = 0; k < 25; k++) {
		lo = uw_launder(f, 0, lo);
		hi = uw_launder(f, 1, hi);
		if (lo >= hi)
			break;
		__u32 mid = lo + (hi - lo) / 2;
		struct trec_uw_row *row = uw_row(mid);
		if (!row)
			return 0;
		if (row->pc <= (__u32)rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	__u32 rule = 0;
	if (lo > first) {
		struct trec_uw_row *row = uw_row(lo - 1);
		if (!row)
			return 0;
		rule = row->rule;
	}
	/* Invalid while it changes: a program that interrupts this one on
	 * this CPU (a sample during a probe's walk) never reads half an entry. */
	memo->valid = 0;
	barrier();
	memo->key = key;
	memo->rule = rule;
	barrier();
	memo->valid = 1;
	return rule;
}

/* The rule covering rel in table t, or 0 with *why set. */
static __always_inline __u32 uw_find_rule(const struct trec_uw_table *t, __u64 rel, __u32 *why)
{
	__u32 rule = trec_uw_rule(t->first, t->count, rel);
	__u32 kind = TREC_UW_KIND(rule);
	if (kind == TREC_UW_NONE) {
		*why = TREC_UW_FB_NO_RULE;
		return 0;
	}
	if (kind == TREC_UW_UNSUPPORTED) {
		*why = TREC_UW_FB_UNSUPPORTED;
		return 0;
	}
	return rule;
}

#define UW_VM_EXEC 0x4ull
#define UW_VMA_CALLS 4 /* per walk: in IRQ context only the first can lock */

struct uw_vma_find {
	struct uw_vma v;
	int found;
	int exec; /* an executable mapping */
};

static long uw_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct uw_vma_find *q = ctx;
	q->found = 1;
	q->v.start = vma->vm_start;
	q->v.end = vma->vm_end;
	q->v.sub = vma->vm_start - (vma->vm_pgoff << 12);
	q->v.table = 0;
	q->exec = !!(vma->vm_flags & UW_VM_EXEC);
	struct file *file = vma->vm_file;
	if (!file || !q->exec)
		return 0;
	struct trec_uw_inode k = { 0 };
	k.ino = BPF_CORE_READ(file, f_inode, i_ino);
	k.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	__u32 *t = bpf_map_lookup_elem(&uw_inodes, &k);
	if (t)
		q->v.table = *t;
	return 0;
}

/* A VMA found by lookup as a process mapping: 1, or 0 when it has no table. */
static __always_inline int uw_vma_to_map(const struct uw_vma *v, struct trec_uw_map *m)
{
	if (!v->table)
		return 0;
	m->start = v->start;
	m->len = (__u32)(v->end - v->start);
	m->sub = v->sub;
	m->table = v->table;
	return 1;
}

/*
 * The mapping holding pc for process tgid, whose mappings the loader has
 * not written yet (it just started, or just mapped a library): from this
 * CPU's cache of recent lookups, else, when may_call, from the task's own
 * VMA tree (bpf_find_vma). Its table is found by the file's inode. 2: found
 * by a new lookup, 1: found in the cache, 0: not found (and no lookup
 * made), -1: not found by a new lookup. A global function, verified once.
 */
__noinline int trec_uw_vma(struct trec_uw_map *m, __u64 pc, __u32 tgid, int may_call)
{
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f || !m)
		return 0;
	for (int i = 0; i < UW_VMA_CACHE; i++) {
		struct uw_vma *v = &f->vmas[i];
		if (v->tgid == tgid && v->end && pc >= v->start && pc < v->end)
			return uw_vma_to_map(v, m) ? 1 : 0;
	}
	if (!may_call)
		return 0;
	struct uw_vma_find q = { 0 };
	struct task_struct *task = bpf_get_current_task_btf();
	if (bpf_find_vma(task, pc, uw_vma_cb, &q, 0) || !q.found)
		return -1;
	q.v.tgid = tgid;
	__u32 slot = f->vma_next++ & (UW_VMA_CACHE - 1);
	f->vmas[slot] = q.v;
	return uw_vma_to_map(&q.v, m) ? 2 : -1;
}

static __always_inline struct uw_frame_memo *uw_frame_memo(struct uw_frames *f, __u64 pc, __u32 tgid)
{
	return &f->fmemo[((pc ^ (__u64)tgid << 40) * 0x9e3779b97f4a7c15ull) >> 55 & (UW_FRAME_MEMO - 1)];
}

/* The rule remembered for pc in process tgid as of its entry written at
 * `written`, or 0. Global functions, verified once: inlined, the memo's
 * pointer beside the walk's other branches multiplied its states. */
__noinline __u32 trec_uw_memo_get(__u64 pc, __u32 tgid, __u64 written)
{
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f)
		return 0;
	struct uw_frame_memo *fm = uw_frame_memo(f, pc, tgid);
	if (fm->pc == pc && fm->written == written && fm->tgid == tgid)
		return fm->rule;
	return 0;
}

/* Remembers rule (0: nothing to remember) for trec_uw_memo_get. */
__noinline int trec_uw_memo_put(__u64 pc, __u32 tgid, __u64 written, __u32 rule)
{
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f || !rule)
		return 0;
	struct uw_frame_memo *fm = uw_frame_memo(f, pc, tgid);
	fm->rule = 0; /* invalid while it changes, as in trec_uw_rule */
	barrier();
	fm->pc = pc;
	fm->written = written;
	fm->tgid = tgid;
	barrier();
	fm->rule = rule;
	return 0;
}

/* The rule for w->pc, or 0 with *why saying why there is none. */
static __always_inline __u32 uw_rule_for(struct uw_frames *f, struct uw_walk *w, __u32 *why)
{
	/* A return address is one past its call: look up the call itself,
	 * which may be the last instruction of a function (a noreturn call). */
	__u64 pc = w->exact ? w->pc : w->pc - 1;
	if (w->proc) {
		__u32 known = trec_uw_memo_get(pc, w->tgid, w->proc->written);
		if (known)
			return known;
	}
	struct trec_uw_map m;
	int by_map = w->proc && trec_uw_map(w->proc, pc, &m);
	if (!by_map) {
		/* Only while the mappings are missing or fresh: JIT code in a
		 * long-running process costs no lookup. */
		int may_call = uw_launder(f, 0, w->vma_calls) < UW_VMA_CALLS &&
			       (!w->proc || bpf_ktime_get_ns() - w->proc->written < UW_KICK_FRESH_NS);
		int found = trec_uw_vma(&m, pc, w->tgid, may_call);
		if (found == 2 || found == -1)
			w->vma_calls++;
		if (found <= 0) {
			*why = w->proc ? TREC_UW_FB_NO_MAPPING : TREC_UW_FB_NO_PROC;
			return 0;
		}
		uw_count(TREC_UW_ST_FRAMES_VMA);
	}
	__u32 tid = m.table;
	const struct trec_uw_table *t = bpf_map_lookup_elem(&uw_tables, &tid);
	if (!t || !tid) {
		*why = TREC_UW_FB_NO_TABLE;
		return 0;
	}
	switch (t->state) {
	case TREC_UW_TABLE_READY:
		break;
	case TREC_UW_TABLE_PENDING:
		*why = TREC_UW_FB_PENDING;
		return 0;
	case TREC_UW_TABLE_BUDGET:
		*why = TREC_UW_FB_BUDGET;
		return 0;
	default:
		*why = TREC_UW_FB_NO_TABLE;
		return 0;
	}
	__u32 rule = uw_find_rule(t, pc - m.sub, why);
	/* (w->proc is set whenever by_map is: the written read again costs
	 * less than a stack slot kept across the walk's deepest calls.) */
	if (by_map && w->proc)
		trec_uw_memo_put(pc, w->tgid, w->proc->written, rule);
	return rule;
}

/*
 * The 8 bytes of user stack at addr, for a frame whose sp is sp: 0, or
 * nonzero when unreadable. A bpf_probe_read_user costs about 25 ns
 * whatever its size up to a few hundred bytes, and a walk makes one or
 * two per frame; so a window of UW_WIN bytes is copied from just below
 * addr (never below sp: the stack from sp up is mapped), and the next
 * frames, which lie above, are read from it. A window that cannot be read
 * (it would cross the top of the stack) leaves single reads for the rest
 * of the walk. A global function, verified once; its state is in the
 * per-CPU uw_frames, reset by the walk.
 */
__noinline int trec_uw_read(__u64 addr, __u64 sp, __u64 *out)
{
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f || !out)
		return -1;
	__u64 off = addr - f->win_base;
	if (f->win_ok && off <= UW_WIN - 8 && !(off & 7)) {
		*out = f->win[(off >> 3) & (UW_WIN / 8 - 1)];
		return 0;
	}
	if (!f->win_dead && !(addr & 7)) {
		__u64 base = addr - 64;
		if (base < sp)
			base = sp & ~7ull;
		if (base > addr)
			base = addr;
		if (!bpf_probe_read_user(f->win, sizeof(f->win), (const void *)base)) {
			f->win_base = base;
			f->win_ok = 1;
			*out = f->win[((addr - base) >> 3) & (UW_WIN / 8 - 1)];
			return 0;
		}
		f->win_ok = 0;
		f->win_dead = 1;
	}
	return bpf_probe_read_user(out, sizeof(*out), (const void *)addr) ? -1 : 0;
}

/* One frame by its frame pointer: [bp] is the caller's rbp, [bp + 8] the
 * return address. 0 to go on, 1 to stop. */
static __always_inline int uw_fp_step(struct uw_walk *w)
{
	__u64 fr[2];
	if (!w->bp_ok || !w->bp || (w->bp & 7) || w->bp < w->sp) {
		uw_count(TREC_UW_END_FP);
		return 1;
	}
	if (trec_uw_read(w->bp, w->sp, &fr[0]) || trec_uw_read(w->bp + 8, w->sp, &fr[1])) {
		uw_count(TREC_UW_END_READ);
		return 1;
	}
	w->pc = uw_ret_addr(w, w->bp + 8, fr[1]);
	w->sp = w->bp + 16;
	w->bp = fr[0];
	w->exact = 0;
	return 0;
}

/* The signal trampoline (__restore_rt): the interrupted registers are in
 * the ucontext at rsp (uc_mcontext at 40; gregs rbp, rsp, rip at 10, 15, 16). */
static __always_inline int uw_signal_step(struct uw_walk *w)
{
	__u64 rbp = 0, rsp = 0, rip = 0;
	const __u64 gregs = w->sp + 40;
	if (trec_uw_read(gregs + 10 * 8, w->sp, &rbp) || trec_uw_read(gregs + 15 * 8, w->sp, &rsp) ||
	    trec_uw_read(gregs + 16 * 8, w->sp, &rip)) {
		uw_count(TREC_UW_END_READ);
		return 1;
	}
	w->bp = rbp;
	w->bp_ok = 1;
	w->sp = rsp;
	w->pc = rip;
	w->exact = 1; /* interrupted, not called: rip is the instruction itself */
	return 0;
}

/* One frame by its rule. 0 to go on, 1 to stop. */
static __always_inline int uw_rule_step(struct uw_walk *w, __u32 rule)
{
	__u32 kind = TREC_UW_KIND(rule);
	__u64 cfa;
	if (kind == TREC_UW_END) {
		w->complete = 1;
		return 1;
	}
	if (kind == TREC_UW_SIGNAL)
		return uw_signal_step(w);
	if (kind == TREC_UW_CFA_RSP) {
		cfa = w->sp + TREC_UW_CFA_OFF(rule);
	} else if (kind == TREC_UW_CFA_RBP) {
		if (!w->bp_ok) {
			uw_count(TREC_UW_END_FP);
			return 1;
		}
		cfa = w->bp + TREC_UW_CFA_OFF(rule);
	} else if (kind == TREC_UW_PLT) {
		cfa = w->sp + 8 + ((w->pc & 15) >= TREC_UW_PLT_THRESHOLD(rule) ? 8 : 0);
	} else {
		uw_count(TREC_UW_FB_UNSUPPORTED);
		return 1;
	}
	__u64 ra = 0;
	if (trec_uw_read(cfa - 8, w->sp, &ra)) {
		uw_count(TREC_UW_END_READ);
		return 1;
	}
	switch (TREC_UW_RBP_HOW(rule)) {
	case TREC_UW_RBP_OFFSET: {
		__u64 bp = 0;
		w->bp_ok = !trec_uw_read(cfa + TREC_UW_RBP_OFF(rule), w->sp, &bp);
		w->bp = bp;
		break;
	}
	case TREC_UW_RBP_UNDEF:
		w->bp_ok = 0;
		break;
	default:
		break; /* unchanged */
	}
	w->sp = cfa;
	w->pc = uw_ret_addr(w, cfa - 8, ra);
	w->exact = 0;
	w->by_table++;
	return 0;
}

static __always_inline void uw_kick_recorder(struct uw_frames *f, __u32 tgid)
{
	__u64 now = bpf_ktime_get_ns();
	if (now - f->last_kick < UW_KICK_EVERY_NS)
		return;
	f->last_kick = now;
	bpf_ringbuf_output(&uw_kick, &tgid, sizeof(tgid), BPF_RB_FORCE_WAKEUP);
}

static long uw_step(__u32 i, void *ctx)
{
	struct uw_walk *w = ctx;
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f)
		return 1;
	if (!w->pc)
		return 1;
	__u32 n = w->n;
	if (n >= TREC_UW_MAX_FRAMES) {
		uw_count(TREC_UW_END_DEPTH);
		return 1;
	}
	/* Laundered: a precise frame count would make the verifier walk
	 * every one of the 127 iterations separately. */
	f->ip[uw_launder(f, 0, n) & TREC_UW_MAX_FRAMES] = w->pc;
	w->n = n + 1;
	__u64 sp = w->sp;
	__u32 why = 0;
	__u32 rule = uw_rule_for(f, w, &why);
	int stop;
	if (rule) {
		__u32 kind = TREC_UW_KIND(rule);
		stop = uw_rule_step(w, rule);
		/* The stack grows down: a caller's frame lies above its callee's
		 * (a signal handler may run on another stack). */
		if (!stop && kind != TREC_UW_SIGNAL && w->sp <= sp) {
			uw_count(TREC_UW_END_FP);
			stop = 1;
		}
	} else {
		uw_count(why);
		if (why == TREC_UW_FB_NO_PROC ||
		    (why == TREC_UW_FB_NO_MAPPING && w->proc &&
		     bpf_ktime_get_ns() - w->proc->written < UW_KICK_FRESH_NS))
			uw_kick_recorder(f, w->tgid);
		stop = uw_fp_step(w);
	}
	return stop;
}

/*
 * Walks the current task's user stack into this CPU's uw_frames: the
 * number of frames, or -1 when the kernel's walk must do (a 32-bit task).
 * A global function: the verifier checks it once, on its own, instead of
 * at every place a program takes a stack (the probe programs inline their
 * record filling once per size class).
 */
__noinline int trec_uw_walk(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs || regs->cs != UW_USER_CS)
		return -1;
	struct uw_walk w = {
		.pc = regs->ip,
		.sp = regs->sp,
		.bp = regs->bp,
		.bp_ok = 1,
		.exact = 1,
	};
	w.tgid = task->tgid;
	/* The flags as values the verifier knows nothing about (uw_launder):
	 * as constants they would differ from what a step leaves in them, and
	 * the callback would be verified again for each combination before
	 * its states converge. */
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f)
		return -1;
	w.bp_ok = (__u8)uw_launder(f, 0, 1);
	w.exact = (__u8)uw_launder(f, 1, 1);
	w.complete = (__u8)uw_launder(f, 0, 0);
	w.vma_calls = (__u8)uw_launder(f, 1, 0);
	w.by_table = uw_launder(f, 0, 0);
	f->win_ok = 0;
	f->win_dead = 0;
	w.proc = bpf_map_lookup_elem(&uw_procs, &w.tgid);
	if (bpf_core_field_exists(task->utask)) {
		struct uprobe_task *ut = task->utask;
		if (ut)
			uw_ri_load(&w, (__u64)BPF_CORE_READ(ut, return_instances));
	}
	uw_count(TREC_UW_ST_STACKS);
	bpf_loop(TREC_UW_MAX_FRAMES + 1, uw_step, &w, 0);
	if (w.complete)
		uw_count(TREC_UW_ST_COMPLETE);
	if (!w.proc)
		uw_count(TREC_UW_ST_FP_ONLY);
	/* Frames per stack: kept as a sum so a reader can tell the mean. */
	__u32 what = TREC_UW_ST_FRAMES;
	__u64 *v = bpf_map_lookup_elem(&uw_stats, &what);
	if (v)
		*v += w.n;
	what = TREC_UW_ST_FRAMES_TABLE;
	v = bpf_map_lookup_elem(&uw_stats, &what);
	if (v)
		*v += w.by_table;
	return (int)w.n;
}

/*
 * The current task's user stack, leaf first, into dst (room for `room`
 * bytes, a constant at each call site): the bytes written (a multiple of
 * 8) or a negative errno. Without unwinding (or for a 32-bit task) this is
 * the kernel's frame-pointer walk.
 */
static __always_inline long uw_user_stack(void *ctx, void *dst, const __u32 room)
{
	if (!unwind_user)
		return bpf_get_stack(ctx, dst, room, BPF_F_USER_STACK);
	int n = trec_uw_walk();
	if (n < 0)
		return bpf_get_stack(ctx, dst, room, BPF_F_USER_STACK);
	__u32 zero = 0;
	struct uw_frames *f = bpf_map_lookup_elem(&uw_frames, &zero);
	if (!f)
		return -2;
	__u64 bytes = (__u64)(__u32)n * 8;
	if (bytes > room)
		bytes = room;
	if (bytes > sizeof(f->ip))
		bytes = sizeof(f->ip);
	barrier_var(bytes);
	if (bytes && bpf_probe_read_kernel(dst, bytes, f->ip))
		return -14;
	return (long)bytes;
}

#endif
