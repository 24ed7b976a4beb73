/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What crosses the kernel/user boundary for user-stack unwinding without
 * frame pointers: the compiled unwind rows, the table directory, each
 * process's executable mappings, and the counters. Included by the BPF
 * unwinder (bpf/unwind.bpf.h), by the CFI compiler that produces the rows
 * (record/cfi.c) and by the loader that fills the maps (record/unwind.c).
 * x86-64 only: the registers named here are rip, rsp and rbp.
 *
 * A table is one ELF file's .eh_frame (and .debug_frame) compiled into
 * rows sorted by address. A row says how to find the caller's frame from
 * any address from its pc up to the next row's pc:
 *
 *   CFA  = rsp + off | rbp + off | the PLT rule     (canonical frame address)
 *   rip' = *(CFA - 8)                               (the return address)
 *   rsp' = CFA
 *   rbp' = *(CFA + rbp_off) | rbp (unchanged) | unknown
 *
 * Rows are 8 bytes: a 32-bit pc and a 32-bit packed rule. The pc is a file
 * offset, not an ELF virtual address: the loader converts the compiler's
 * addresses through the executable PT_LOAD segments, so a runtime address
 * maps to a row without knowing the file's layout (pc - start + pgoff of
 * its mapping). Files of 4 GiB and more are not unwound by table.
 *
 * The rule:
 *
 *   bits 0..3    kind (TREC_UW_*)
 *   bits 4..5    how rbp is restored (TREC_UW_RBP_*)
 *   bits 8..15   rbp_off / 8, signed (TREC_UW_RBP_OFFSET)
 *   bits 16..31  off / 8, unsigned: the CFA offset (CFA_RSP, CFA_RBP), or
 *                the PLT rule's threshold in bytes (PLT)
 *
 * A rule that does not fit (an offset that is not a multiple of 8 or too
 * large, a CFA from another register or a DWARF expression other than the
 * PLT one, a return address not at CFA - 8) compiles to TREC_UW_UNSUPPORTED:
 * the unwinder then falls back to frame pointers for that frame and counts
 * why.
 */
#ifndef TREC_UNWIND_ABI_H
#define TREC_UNWIND_ABI_H

#ifndef __bpf__
#include <stdint.h>
#endif

/* Row kinds. */
#define TREC_UW_NONE 0        /* no rule covers this address (a gap between functions) */
#define TREC_UW_CFA_RSP 1     /* CFA = rsp + off */
#define TREC_UW_CFA_RBP 2     /* CFA = rbp + off */
#define TREC_UW_PLT 3         /* CFA = rsp + 8 + ((rip & 15) >= off ? 8 : 0): PLT stubs */
#define TREC_UW_SIGNAL 4      /* rt_sigreturn trampoline ('S' CIE): registers from the ucontext at rsp */
#define TREC_UW_END 5         /* return address undefined: the outermost frame (_start, clone) */
#define TREC_UW_UNSUPPORTED 6 /* a rule the BPF unwinder cannot evaluate */
#define TREC_UW_KIND_MASK 0xfu

/* How rbp is restored (bits 4..5). */
#define TREC_UW_RBP_SAME 0u   /* unchanged (callee-saved and not yet saved) */
#define TREC_UW_RBP_OFFSET 1u /* saved at CFA + rbp_off */
#define TREC_UW_RBP_UNDEF 2u  /* clobbered or kept somewhere the unwinder does not follow */
#define TREC_UW_RBP_SHIFT 4
#define TREC_UW_RBP_MASK 0x3u

#define TREC_UW_RBP_OFF_SHIFT 8  /* int8, units of 8 bytes */
#define TREC_UW_OFF_SHIFT 16     /* uint16, units of 8 bytes (PLT: bytes) */
#define TREC_UW_OFF_MAX (0xffffu * 8u)

#define TREC_UW_RULE(kind, rbp_how, rbp_off8, off16)                                      \
	((trec_uw_u32)(kind) | ((trec_uw_u32)(rbp_how) << TREC_UW_RBP_SHIFT) |             \
	 ((trec_uw_u32)(trec_uw_u8)(signed char)(rbp_off8) << TREC_UW_RBP_OFF_SHIFT) |     \
	 ((trec_uw_u32)(off16) << TREC_UW_OFF_SHIFT))
#define TREC_UW_KIND(rule) ((rule) & TREC_UW_KIND_MASK)
#define TREC_UW_RBP_HOW(rule) (((rule) >> TREC_UW_RBP_SHIFT) & TREC_UW_RBP_MASK)
#define TREC_UW_RBP_OFF(rule) ((long)(signed char)(((rule) >> TREC_UW_RBP_OFF_SHIFT) & 0xff) * 8)
#define TREC_UW_CFA_OFF(rule) ((unsigned long)((rule) >> TREC_UW_OFF_SHIFT) * 8)
#define TREC_UW_PLT_THRESHOLD(rule) ((rule) >> TREC_UW_OFF_SHIFT)

#ifdef __bpf__
typedef __u8 trec_uw_u8;
typedef __u32 trec_uw_u32;
typedef __u64 trec_uw_u64;
#else
typedef uint8_t trec_uw_u8;
typedef uint32_t trec_uw_u32;
typedef uint64_t trec_uw_u64;
#endif

struct trec_uw_row {
	trec_uw_u32 pc;   /* file offset from which the rule applies */
	trec_uw_u32 rule;
};

/* Table directory entry (indexed by table id; id 0 is never a table). */
#define TREC_UW_TABLE_READY 1   /* rows loaded */
#define TREC_UW_TABLE_PENDING 2 /* the loader is compiling it */
#define TREC_UW_TABLE_BUDGET 3  /* past the memory budget: never loaded */
#define TREC_UW_TABLE_NONE 4    /* the file has no usable unwind information */
struct trec_uw_table {
	trec_uw_u32 first; /* index of its first row in the rows map */
	trec_uw_u32 count; /* rows */
	trec_uw_u32 state; /* TREC_UW_TABLE_* */
	trec_uw_u32 pad;
};

/* One executable file mapping of a process. The file offset of a runtime
 * address pc in [start, start + len) is pc - sub, where sub = start - pgoff. */
struct trec_uw_map {
	trec_uw_u64 start;
	trec_uw_u64 sub;
	trec_uw_u32 len;
	trec_uw_u32 table;
};

/* Executable mappings per process (sorted by start, not overlapping). */
#define TREC_UW_MAX_MAPS 256
struct trec_uw_proc {
	trec_uw_u32 n;
	trec_uw_u32 gen;     /* bumped by the loader on every rewrite (debugging) */
	trec_uw_u64 written; /* CLOCK_MONOTONIC ns of that rewrite */
	struct trec_uw_map maps[TREC_UW_MAX_MAPS];
};

/* A table by the identity of its file, as the kernel knows it (the
 * super block's dev_t, MAJOR << 20 | MINOR, and the inode number): how a
 * frame of a process whose mappings are not loaded yet finds its table
 * through the task's own VMA. */
struct trec_uw_inode {
	trec_uw_u64 ino;
	trec_uw_u32 dev;
	trec_uw_u32 pad;
};

/* Frames of one user stack, as perf's default kernel.perf_event_max_stack. */
#define TREC_UW_MAX_FRAMES 127

/* Counters (a per-CPU array indexed by these). Stacks are counted once;
 * a fallback is counted per frame, by its reason. */
#define TREC_UW_ST_STACKS 0        /* user stacks walked */
#define TREC_UW_ST_COMPLETE 1      /* ... that reached an outermost frame by its table rule */
#define TREC_UW_ST_FP_ONLY 2       /* ... walked by frame pointers only (no process table) */
#define TREC_UW_ST_FRAMES 3        /* frames written */
#define TREC_UW_ST_FRAMES_TABLE 4  /* ... whose caller was found by a table rule */
#define TREC_UW_FB_NO_PROC 5       /* fallback: the process's mappings are not loaded (yet) */
#define TREC_UW_FB_NO_MAPPING 6    /* ... address in no file mapping (JIT code, anonymous memory) */
#define TREC_UW_FB_PENDING 7       /* ... the binary's table is not loaded yet */
#define TREC_UW_FB_BUDGET 8        /* ... the binary's table is past the memory budget */
#define TREC_UW_FB_NO_TABLE 9      /* ... the binary has no usable unwind information */
#define TREC_UW_FB_NO_RULE 10      /* ... no rule covers the address */
#define TREC_UW_FB_UNSUPPORTED 11  /* ... a rule the unwinder cannot evaluate */
#define TREC_UW_END_DEPTH 12       /* stopped: TREC_UW_MAX_FRAMES frames */
#define TREC_UW_END_READ 13        /* stopped: the stack could not be read there */
#define TREC_UW_END_FP 14          /* stopped: the frame-pointer chain ended or went astray */
#define TREC_UW_ST_FRAMES_VMA 15   /* frames whose table was found through the task's VMA */
#define TREC_UW_ST_COUNT 16

#endif
