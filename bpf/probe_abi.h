/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What crosses the kernel/user boundary for dynamic probes (uprobes,
 * uretprobes, USDT, kprobes, fentry/fexit): the BPF cookie each
 * attachment carries and the payload the programs write. Included by the
 * probe programs (bpf/uprobe.bpf.c and its siblings) and by the recorder
 * (record/probes.c, record/bpf_probes.c).
 *
 * Payload of one probe event (after struct trec_rec):
 *   [0, 8*nvals)                 the values: arguments (u64; USDT: s64
 *                                sign-extended by libbpf) or the return
 *                                value first for return probes
 *   8*nvals + 4*k                u32 data_loc of string k (len << 16 |
 *                                offset from the payload start), one per
 *                                bit of strmask, lowest argument first
 *   8*nvals + 4*nstr             u32 mask: string k was cut
 *   ...                          the strings, NUL-terminated
 * The string part is there only when strmask is nonzero, so the common
 * case is a fixed record of 8*nvals bytes.
 */
#ifndef TREC_PROBE_ABI_H
#define TREC_PROBE_ABI_H

/* Values a probe record holds: six register arguments, or up to twelve
 * USDT arguments (libbpf's BPF_USDT_MAX_ARG_CNT). */
#define PROBE_MAX_VALS 12
/* Arguments that may be read as strings (--arg 'argN:str'): arg0..arg5. */
#define PROBE_MAX_STRS 6
/* Register arguments of function probes. */
#define PROBE_REG_ARGS 6

/*
 * The cookie (bpf_get_attach_cookie, bpf_usdt_cookie): one program serves
 * every probe of its kind, the cookie says which event type this hit is
 * and how to build its record.
 *   bits  0-15  event type id
 *   bits 16-27  strmask: value i (< PROBE_MAX_STRS) points to a string to read
 *   bits 32-39  nvals (USDT: the probe's argument count)
 *   bit  48     the probe sits on a function's first instruction: the
 *               caller's return address is at the stack pointer (used to
 *               complete user stacks, see uprobe.bpf.c)
 */
#define PROBE_CK_STRMASK_SHIFT 16
#define PROBE_CK_STRMASK_BITS 0xfffu
#define PROBE_CK_NVALS_SHIFT 32
#define PROBE_CK_AT_ENTRY (1ull << 48)

#define PROBE_CK_TYPE(ck) ((unsigned)((ck) & 0xffffu))
#define PROBE_CK_STRMASK(ck) ((unsigned)(((ck) >> PROBE_CK_STRMASK_SHIFT) & PROBE_CK_STRMASK_BITS))
#define PROBE_CK_NVALS(ck) ((unsigned)(((ck) >> PROBE_CK_NVALS_SHIFT) & 0xffu))

#define PROBE_COOKIE(type, strmask, nvals, flags)                                                    \
	((unsigned long long)(type) | (unsigned long long)((strmask) & PROBE_CK_STRMASK_BITS)           \
					      << PROBE_CK_STRMASK_SHIFT |                              \
	 (unsigned long long)(nvals) << PROBE_CK_NVALS_SHIFT | (unsigned long long)(flags))

#endif
