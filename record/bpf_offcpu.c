/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_offcpu.h"
#include "offcpu.skel.h"
#include "unwind.h"

struct offcpu {
	struct offcpu_bpf *skel;
	struct bpf_link *link;
};

int offcpu_open(struct offcpu **out, struct tp_capture *cap, const struct offcpu_opts *o,
		struct trec_err *err)
{
	*out = NULL;
	struct offcpu *p = calloc(1, sizeof(*p));
	if (!p)
		return trec_errf(err, -ENOMEM, "out of memory");
	int r;
	p->skel = offcpu_bpf__open();
	if (!p->skel) {
		r = -errno;
		trec_errf(err, r, "opening the off-CPU program: %s", tp_bpf_advice(r));
		goto fail;
	}
	struct tp_shared_fds sh;
	tp_capture_shared(cap, &sh);
	struct offcpu_bpf *s = p->skel;
	s->rodata->offcpu_type = o->type;
	s->rodata->min_ns = o->min_ns;
	s->rodata->filter_pids = o->filter_pids;
	CGROUP_SET_APPLY(s->rodata, o->cgroups);
	s->rodata->self_tgid = (uint32_t)getpid();
	s->rodata->wakeup_bytes = sh.wakeup_bytes;
	s->rodata->unwind_user = tp_capture_unwind(cap) != NULL;
	s->rodata->uw_chunk_shift = unwind_chunk_shift(tp_capture_unwind(cap));
	if (tp_capture_unwind(cap) && (r = unwind_share(tp_capture_unwind(cap), s->obj, err)))
		goto fail;
	if ((r = bpf_map__reuse_fd(s->maps.rings, sh.rings)) || (r = bpf_map__reuse_fd(s->maps.lost, sh.lost)) ||
	    (r = bpf_map__reuse_fd(s->maps.targets, sh.targets))) {
		trec_errf(err, r, "sharing maps with the off-CPU program: %s", strerror(-r));
		goto fail;
	}
	r = offcpu_bpf__load(s);
	if (r) {
		trec_errf(err, r, "loading the off-CPU program (needs BPF task storage, Linux 5.11+): %s",
			  tp_bpf_advice(r));
		goto fail;
	}
	p->link = bpf_program__attach(s->progs.trec_offcpu);
	if (!p->link) {
		r = -errno;
		trec_errf(err, r, "attaching the off-CPU program (tp_btf/sched_switch): %s", tp_bpf_advice(r));
		goto fail;
	}
	*out = p;
	return 0;
fail:
	offcpu_close(p);
	return r;
}

void offcpu_detach(struct offcpu *p)
{
	if (p && p->link) {
		bpf_link__destroy(p->link);
		p->link = NULL;
	}
}

void offcpu_close(struct offcpu *p)
{
	if (!p)
		return;
	offcpu_detach(p);
	offcpu_bpf__destroy(p->skel);
	free(p);
}
