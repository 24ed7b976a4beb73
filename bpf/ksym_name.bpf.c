// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel addresses named by the kernel itself. Userspace fills slots[]
 * with addresses and runs this program once (BPF_PROG_TEST_RUN); each slot
 * comes back as "%pS" text: "name+0xOFF/0xSIZE" or "name+0xOFF/0xSIZE [module]",
 * or the bare address when no symbol covers it. That costs a binary search
 * per address in the kernel's own table, where reading /proc/kallsyms
 * formats every one of its ~200,000 lines (tens of milliseconds of the
 * recorder's CPU at the end of every recording).
 *
 * No CO-RE and no BTF-typed attach: libbpf loads no vmlinux BTF for it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "ksym_name_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct ksym_slot slots[KSYM_NAME_BATCH];
__u32 nslots;

static long name_one(__u32 i, void *unused)
{
	if (i >= KSYM_NAME_BATCH)
		return 1;
	__u64 arg = slots[i].addr;
	slots[i].len = bpf_snprintf(slots[i].text, sizeof(slots[i].text), "%pS", &arg, sizeof(arg));
	return 0;
}

SEC("syscall")
int trec_ksym_name(void *ctx)
{
	__u32 n = nslots;
	if (n > KSYM_NAME_BATCH)
		n = KSYM_NAME_BATCH;
	bpf_loop(n, name_one, NULL, 0);
	return 0;
}
