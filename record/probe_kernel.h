/* SPDX-License-Identifier: MIT */
/*
 * What the running kernel offers to kernel-function probes, asked before
 * anything is recorded: kprobe support, a function's presence and its BTF
 * prototype; and, when a probe cannot work, the nearest tracepoint to
 * suggest instead ("k:vfs_read" -> syscalls:sys_enter_read).
 */
#ifndef TREC_RECORD_PROBE_KERNEL_H
#define TREC_RECORD_PROBE_KERNEL_H

#include <stddef.h>

#include "errors.h"

/* Whether kprobes can be created: the kprobe PMU
 * (/sys/bus/event_source/devices/kprobe) or tracefs kprobe_events. A
 * kernel built without CONFIG_KPROBES has neither. `sysfs` and `tracefs`
 * are the roots to look under (NULL: /sys and no tracefs check). */
int probe_kernel_has_kprobes(const char *sysfs, const char *tracefs);

/* Whether /proc/kallsyms (or the file at `kallsyms`) has a text symbol
 * named func: 1 yes, 0 no, negative errno when it cannot be read. */
int probe_kernel_has_func(const char *kallsyms, const char *func);

/* Parameters of kernel function func per the kernel's BTF
 * (/sys/kernel/btf/vmlinux): >= 0, or -ENOENT when BTF has no such
 * function, or another negative errno when there is no BTF. */
int probe_kernel_btf_nargs(const char *func);

/*
 * A sentence pointing to the tracepoint nearest to kernel function func,
 * from the tracepoints under tracefs: a well-known equivalent
 * (schedule -> sched:sched_switch), a tracepoint of the same name, the
 * system call a VFS or do_sys_ function serves, or the closest name; or
 * a pointer to `trec list` when none is close.
 */
void probe_kernel_advice(const char *tracefs, const char *func, char *buf, size_t len);

#endif
