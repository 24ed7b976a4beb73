/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "bpf_log.h"
#include "ksym_bpf.h"
#include "ksym_name_abi.h" /* before the skeleton, which uses its struct */
#include "ksym_name.skel.h"
#include "ksym_named.h"

static int name_batch(void *ctx, const uint64_t *addrs, size_t n, char *texts, size_t text_cap, size_t *lens)
{
	struct ksym_name_bpf *skel = ctx;
	struct ksym_name_bpf__bss *bss = skel->bss;
	if (n > KSYM_NAME_BATCH || text_cap != KSYM_NAME_TEXT)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		bss->slots[i].addr = addrs[i];
		bss->slots[i].len = 0;
	}
	bss->nslots = (__u32)n;
	LIBBPF_OPTS(bpf_test_run_opts, run);
	int r = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.trec_ksym_name), &run);
	if (r)
		return -errno ? -errno : r;
	for (size_t i = 0; i < n; i++) {
		const struct ksym_slot *s = &bss->slots[i];
		/* bpf_snprintf returns the length the text needed, NUL included. */
		if (s->len <= 0)
			return s->len < 0 ? (int)s->len : -EIO;
		lens[i] = (size_t)s->len - 1;
		char *t = texts + i * text_cap;
		size_t keep = lens[i] < text_cap ? lens[i] : text_cap - 1;
		memcpy(t, s->text, keep);
		t[keep] = '\0';
	}
	return 0;
}

int ksym_bpf_subset(const uint64_t *ips, size_t nips, struct tarena *a, struct trec_ksym **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!nips)
		return 0;
	rec_bpf_log_install();
	struct ksym_name_bpf *skel = ksym_name_bpf__open_and_load();
	if (!skel)
		return errno ? -errno : -EOPNOTSUPP;
	struct ksym_namer nm = { .name = name_batch, .ctx = skel, .batch = KSYM_NAME_BATCH,
				 .text_cap = KSYM_NAME_TEXT };
	int r = ksym_named_subset(&nm, ips, nips, a, out, nout);
	ksym_name_bpf__destroy(skel);
	return r;
}
