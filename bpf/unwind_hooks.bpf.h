/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unwinder's fork and exec followers, included by a program file:
 * tracepoint.bpf.c (where the recorder loads them, so that one object and
 * one parse of the kernel's BTF serve the capture, the followers and CPU
 * sampling) and unwind_hooks.bpf.c (on their own, for the unwinder's
 * tests). UW_HOOKS_SEC_PREFIX is "?" where loading them is user space's
 * choice (bpf_program__set_autoload), "" where they always load.
 *
 * Keeps the unwinder's per-process mappings (uw_procs) right at the two
 * moments user space learns of too late: a fork, whose child may run and
 * be sampled before the recorder reads the side-band, inherits its
 * parent's mappings here and now; an exec replaces the old image's
 * mappings at once with what the kernel mapped for the new one (the
 * program, the dynamic linker, the vDSO, where their tables are known),
 * so no sample of the new image is walked with the old tables, and wakes
 * the recorder to write the whole entry (frames it cannot place until
 * then fall back to frame pointers, counted as "process not loaded yet").
 */
#ifndef TREC_UNWIND_HOOKS_BPF_H
#define TREC_UNWIND_HOOKS_BPF_H

#include "targets.bpf.h"
#include "unwind.bpf.h"

#ifndef UW_HOOKS_SEC_PREFIX
#define UW_HOOKS_SEC_PREFIX ""
#endif

SEC(UW_HOOKS_SEC_PREFIX "tp_btf/sched_process_fork")
int BPF_PROG(trec_uw_fork, struct task_struct *parent, struct task_struct *child)
{
	/* A new thread shares its process's address space: nothing to copy. */
	if (child->tgid != child->pid)
		return 0;
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct trec_uw_proc *p = bpf_map_lookup_elem(&uw_procs, &ptgid);
	if (p)
		bpf_map_update_elem(&uw_procs, &ctgid, p, BPF_ANY);
	return 0;
}

/* The new image's entry is built here (6 KiB: too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trec_uw_proc);
} uw_newproc SEC(".maps");

#define UW_AT_BASE 7
#define UW_AT_SYSINFO_EHDR 33

/* The executable VMA holding addr (or, when addr is not in an executable
 * one, one of the next few) as a mapping, when its table is known: 1, else
 * 0. A global function: verified once, not once per caller (each
 * bpf_find_vma in an unrolled loop verifies its callback again). */
__noinline int trec_uw_exec_vma(struct trec_uw_map *m, __u64 addr, int is_vdso)
{
	if (!m)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	for (int k = 0; k < 4 && addr; k++) {
		struct uw_vma_find q = { 0 };
		if (bpf_find_vma(task, addr, uw_vma_cb, &q, 0) || !q.found)
			return 0;
		if (!q.exec) {
			addr = q.v.end; /* ld.so's text follows its read-only start */
			continue;
		}
		if (is_vdso) {
			struct trec_uw_inode vk = { 0 }; /* the loader files the vDSO's table here */
			__u32 *t = bpf_map_lookup_elem(&uw_inodes, &vk);
			q.v.table = t ? *t : 0;
		}
		return uw_vma_to_map(&q.v, m);
	}
	return 0;
}

/* The auxiliary vector's entries the exec hook wants, one (type, value)
 * pair per bpf_loop step: verified once, not once per pair. */
struct uw_auxv_scan {
	__u64 at; /* kernel address of mm->saved_auxv */
	__u64 base, vdso;
};

static long uw_auxv_pair(__u32 i, void *ctx)
{
	struct uw_auxv_scan *sc = ctx;
	__u64 kv[2];
	if (bpf_probe_read_kernel(kv, sizeof(kv), (void *)(sc->at + (__u64)i * 16)) || !kv[0])
		return 1; /* AT_NULL ends it */
	if (kv[0] == UW_AT_BASE)
		sc->base = kv[1];
	else if (kv[0] == UW_AT_SYSINFO_EHDR)
		sc->vdso = kv[1];
	return 0;
}

static __always_inline void add_exec_vma(struct trec_uw_proc *p, __u64 addr, int is_vdso)
{
	struct trec_uw_map m;
	__u32 n = p->n;
	if (n < 3 && trec_uw_exec_vma(&m, addr, is_vdso)) {
		p->maps[n & 3] = m;
		p->n = n + 1;
	}
}

SEC(UW_HOOKS_SEC_PREFIX "tp_btf/sched_process_exec")
int BPF_PROG(trec_uw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	int had = bpf_map_delete_elem(&uw_procs, &tgid) == 0;
	if (!had && filter_pids && !bpf_map_lookup_elem(&targets, &tgid))
		return 0; /* not traced */
	/*
	 * What the kernel itself mapped for the new image: the program's
	 * text, the dynamic linker's (AT_BASE) and the vDSO. Their tables are
	 * known when the recorder preloaded them or met them before (found
	 * by inode); the entry is in place before the program's first
	 * instruction. The libraries the dynamic linker maps next, and the
	 * whole entry, come from the recorder as soon as it has read the
	 * side-band (woken now).
	 */
	__u32 zero = 0;
	struct trec_uw_proc *np = bpf_map_lookup_elem(&uw_newproc, &zero);
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;
	if (np && mm) {
		np->n = 0;
		np->gen = 0;
		np->written = bpf_ktime_get_ns();
		struct uw_auxv_scan sc = { .at = (__u64)mm + bpf_core_field_offset(struct mm_struct, saved_auxv) };
		bpf_loop(bpf_core_field_size(struct mm_struct, saved_auxv) / 16, uw_auxv_pair, &sc, 0);
		add_exec_vma(np, BPF_CORE_READ(mm, start_code), 0);
		add_exec_vma(np, sc.base, 0);
		add_exec_vma(np, sc.vdso, 1);
		/* Sorted by start, as the unwinder's binary search wants. */
		for (int a = 0; a < 2; a++) {
			for (int b = 0; b < 2 - a; b++) {
				if (b + 1 < (int)np->n && np->maps[b].start > np->maps[b + 1].start) {
					struct trec_uw_map t = np->maps[b];
					np->maps[b] = np->maps[b + 1];
					np->maps[b + 1] = t;
				}
			}
		}
		if (np->n)
			bpf_map_update_elem(&uw_procs, &tgid, np, BPF_NOEXIST);
	}
	bpf_ringbuf_output(&uw_kick, &tgid, sizeof(tgid), BPF_RB_FORCE_WAKEUP);
	return 0;
}

#endif
