// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Keeps the unwinder's per-process mappings (uw_procs) right at the two
 * moments user space learns of too late: a fork, whose child may run and
 * be sampled before the recorder reads the side-band, inherits its
 * parent's mappings here and now; an exec drops the old image's mappings
 * at once, so no sample of the new image is walked with the old tables,
 * and wakes the recorder to load the new ones (until then, its frames fall
 * back to frame pointers, counted as "process not loaded yet").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "unwind.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_process_fork")
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

SEC("tp_btf/sched_process_exec")
int BPF_PROG(trec_uw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	/* A traced process (it had mappings): wake the recorder now, so the
	 * new image's mappings (the side-band has the binary's and the
	 * loader's already) are in place before its first samples. */
	if (bpf_map_delete_elem(&uw_procs, &tgid) == 0)
		bpf_ringbuf_output(&uw_kick, &tgid, sizeof(tgid), BPF_RB_FORCE_WAKEUP);
	return 0;
}
