// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fentry/fexit: BPF trampolines on kernel functions, cheaper than kprobes
 * where the kernel has them. A trampoline program is verified against its
 * one target function, so the recorder opens this object once per probed
 * function, sets the target and the event type before load, and loads
 * only the program it needs (fentry or fexit). Arguments come from the
 * trampoline's argument array (bpf_get_func_arg, Linux 5.17+), the return
 * value from bpf_get_func_ret. fentry records: arg0..argN-1; fexit
 * records: ret, then the arguments (fexit sees both).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The cookie a kprobe would carry (probe_abi.h), set before load. */
const volatile __u64 probe_cookie = 0;

static __always_inline void get_args(void *ctx, struct probe_hit *h, __u32 first, __u32 n)
{
	for (__u32 i = 0; i < PROBE_REG_ARGS; i++) {
		__u64 v = 0;
		if (i < n)
			bpf_get_func_arg(ctx, i, &v);
		if (first + i < PROBE_MAX_VALS)
			h->vals[first + i] = v;
	}
}

SEC("?fentry")
int trec_fentry(unsigned long long *ctx)
{
	struct probe_hit h;
	h.id = bpf_get_current_pid_tgid();
	if (!wanted(h.id))
		return 0;
	h.ck = probe_cookie;
	get_args(ctx, &h, 0, PROBE_CK_NVALS(h.ck));
	return probe_emit(ctx, &h, sizeof(struct trec_rec) + 8 * PROBE_REG_ARGS, PROBE_IN_KERNEL);
}

SEC("?fexit")
int trec_fexit(unsigned long long *ctx)
{
	struct probe_hit h;
	h.id = bpf_get_current_pid_tgid();
	if (!wanted(h.id))
		return 0;
	h.ck = probe_cookie;
	__u64 ret = 0;
	bpf_get_func_ret(ctx, &ret);
	h.vals[0] = ret;
	__u32 n = PROBE_CK_NVALS(h.ck);
	get_args(ctx, &h, 1, n ? n - 1 : 0);
	return probe_emit(ctx, &h, sizeof(struct trec_rec) + 8 * (1 + PROBE_REG_ARGS), PROBE_IN_KERNEL);
}
