// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The unwinder's fork and exec followers as an object of their own, for
 * the unwinder's tests (test_rec_unwind); the recorder loads the same
 * programs inside tracepoint.bpf.c. See unwind_hooks.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "unwind_hooks.bpf.h"
