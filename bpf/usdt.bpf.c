// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * USDT probes (the .note.stapsdt notes of sys/sdt.h): one program attached
 * through libbpf's USDT support, which decodes each probe site's argument
 * specs (registers, constants, memory) and bumps the probe's semaphore.
 * The USDT cookie is ours (probe_abi.h): the event type and how many
 * arguments the type's records have (the most any site of the probe has).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Distinct argument layouts over all attached probe sites (libbpf's
 * default is 256; a glob over a big binary's probes can pass that). */
#define BPF_USDT_MAX_SPEC_CNT 1024
#include <bpf/usdt.bpf.h>

#include "probe.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("usdt")
int trec_usdt(struct pt_regs *ctx)
{
	struct probe_hit h;
	h.id = bpf_get_current_pid_tgid();
	if (!wanted(h.id))
		return 0;
	h.ck = bpf_usdt_cookie(ctx);
	__u32 n = PROBE_CK_NVALS(h.ck);
	for (__u32 i = 0; i < PROBE_MAX_VALS; i++) {
		long v = 0;
		if (i < n)
			bpf_usdt_arg(ctx, i, &v); /* a site with fewer arguments: 0 */
		h.vals[i] = (__u64)v;
	}
	return probe_emit(ctx, &h, sizeof(struct trec_rec) + 8 * PROBE_MAX_VALS, PROBE_IN_USER);
}
