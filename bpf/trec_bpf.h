/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What crosses the kernel/user boundary for the tracepoint recorder:
 * the ring-buffer record header, the per-type capture configuration and
 * the counters. Included by the BPF programs (clang -target bpf) and by
 * the recorder in record/.
 */
#ifndef TREC_BPF_H
#define TREC_BPF_H

#ifdef __bpf__
typedef __u8 trec_u8;
typedef __u16 trec_u16;
typedef __u32 trec_u32;
typedef __u64 trec_u64;
#else
#include <stdint.h>
typedef uint8_t trec_u8;
typedef uint16_t trec_u16;
typedef uint32_t trec_u32;
typedef uint64_t trec_u64;
#endif

/* Largest record (header + payload) the BPF side emits. */
#define TREC_REC_MAX 8192
/* Largest fixed record (in 8-byte words, plus an optional 4-byte tail) the
 * direct-copy tracepoint programs take (tracepoint.bpf.c). */
#define TREC_DIRECT_MAX_WORDS 13
/* User strings read for syscall arguments: bytes per string, NUL included. */
#define TREC_STR_MAX 256
#define TREC_MAX_STR_ARGS 6
/* Syscall records with string arguments: their fixed part is at most this. */
#define TREC_STR_FIXED_MAX 2048
#define TREC_MAX_DYN_FIELDS 4
/* Ring-buffer space above which a commit wakes the consumer at once;
 * below it the consumer's periodic poll collects (fewer wakeups). */
#define TREC_WAKEUP_BYTES (256 * 1024)

/* -G/--cgroup: cgroup v2 subtrees a recording may be limited to. */
#define TREC_MAX_CGROUPS 16
/* Deepest cgroup (levels below the v2 root) -G accepts. */
#define TREC_MAX_CGROUP_LEVEL 255

/*
 * A task's context as the kernel saw it at a fork (the child's) or an
 * exec: its cgroup v2 id and its pids in its innermost pid namespace.
 * The tracepoint object keeps the latest of each kind per thread in an
 * LRU map (task_ctx); user space takes them when the side-band's FORK or
 * EXEC record for that thread comes (record/taskctx.c), so a task that has
 * exited by then still has one.
 */
struct trec_task_ctx_val {
	trec_u64 cgroup_id;
	trec_u32 nspid, nstid;
};
#define TREC_TASK_CTX_KEY(tid, exec) ((trec_u64)(trec_u32)(tid) | ((trec_u64)((exec) ? 1 : 0) << 32))
#define TREC_TASK_CTX_ENTRIES 65536

/* Stacks: frames per side, as perf's default kernel.perf_event_max_stack. */
#define TREC_MAX_STACK 127

/* trec_rec.flags */
#define TREC_RECF_STACK 0x1 /* a struct trec_stack_tail follows the payload */

/* trec_stack_tail.flags: a side that could not be captured (counted as
 * stack loss, never dropped silently). */
#define TREC_STACKF_KLOST 0x1
#define TREC_STACKF_ULOST 0x2

/* One record in a ring buffer. The CPU is in the record: neighbouring
 * CPUs may share a ring (record/memplan.h). */
struct trec_rec {
	trec_u64 ts;    /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	trec_u32 pid;   /* thread group id */
	trec_u32 tid;
	trec_u16 type;  /* event type id */
	trec_u16 flags;
	trec_u16 cpu;   /* bpf_get_smp_processor_id() */
	trec_u16 size;  /* payload bytes after this header (<= TREC_REC_MAX) */
};
_Static_assert(TREC_REC_MAX <= 0xffff, "trec_rec.size is 16 bits");

/* After the payload, at offset sizeof(trec_rec) + TREC_ALIGN8(size):
 * kernel frames then user frames, leaf first. */
struct trec_stack_tail {
	trec_u16 nkernel;
	trec_u16 nuser;
	trec_u32 flags;
	/* trec_u64 ips[nkernel + nuser] */
};
#define TREC_ALIGN8(x) (((x) + 7u) & ~7u)

/* How to capture one tracepoint (indexed by event type id). */
struct trec_tp_cfg {
	trec_u32 fixed_size;  /* bytes of the tracepoint's fixed record */
	trec_u16 ndyn;        /* __data_loc / __rel_loc fields: their data follows the fixed record */
	trec_u16 nstr;        /* syscall user-string arguments to read */
	trec_u16 dyn_off[TREC_MAX_DYN_FIELDS];
	trec_u8 dyn_rel[TREC_MAX_DYN_FIELDS];  /* 1 for __rel_loc */
	trec_u16 str_ptr_off[TREC_MAX_STR_ARGS]; /* offset of each `const char *` argument */
	trec_u32 has_filter;  /* a filter program is in the filters map at this index */
	trec_u32 tp_id;       /* the tracepoint's tracefs id: its records' common_type */
};

/*
 * Payload layout of a syscall event with nstr user strings:
 *   [0, fixed_size)                       the tracepoint record as the kernel wrote it
 *   fixed_size + 4*i                      u32 data_loc of string i: len << 16 | offset
 *   fixed_size + 4*nstr                   u32 bitmask: string i was truncated
 *   fixed_size + 4*nstr + 4 ...           the strings, NUL-terminated
 * Tracepoints with dynamic fields keep the kernel's layout: the fixed
 * record then the dynamic data its __data_loc fields point into.
 */
#define TREC_STR_SLOTS(nstr) (4u * (nstr) + 4u)

#endif
