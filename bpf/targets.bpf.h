/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The set of traced processes, shared by every program that needs it
 * (user space creates it once and hands its fd to each object).
 */
#ifndef TREC_TARGETS_BPF_H
#define TREC_TARGETS_BPF_H

/* Set before load; the verifier prunes what it turns off. */
const volatile bool filter_pids = false;

/* Thread groups being traced (-p, -- CMD and their descendants). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

#endif
