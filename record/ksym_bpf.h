/* SPDX-License-Identifier: MIT */
/*
 * Kernel addresses named by the kernel: a BPF_PROG_TYPE_SYSCALL program
 * (bpf/ksym_name.bpf.c) formats each address with bpf_snprintf's "%pS",
 * a lookup in the kernel's own symbol table, and ksym_named.c turns the
 * text into the trace's kernel symbols. This is how the recorder names its
 * kernel frames at the end of a recording: reading /proc/kallsyms instead
 * makes the kernel format every symbol it has (~30 ms of CPU here), for the
 * few hundred a trace needs.
 */
#ifndef TREC_RECORD_KSYM_BPF_H
#define TREC_RECORD_KSYM_BPF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "records.h"

/*
 * ksym_named_subset's result for ips[0..nips), named through BPF. 0, or a
 * negative errno when this kernel cannot (no syscall programs, bpf_loop or
 * bpf_snprintf: before Linux 5.17; no CAP_BPF/CAP_PERFMON; kptr_restrict
 * hides addresses) or a name does not fit: the caller then reads
 * /proc/kallsyms, which always works where kernel stacks were recorded.
 */
int ksym_bpf_subset(const uint64_t *ips, size_t nips, struct tarena *a, struct trec_ksym **out, size_t *nout);

#endif
