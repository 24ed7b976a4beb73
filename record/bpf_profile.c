/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_profile.h"
#include "procfs.h"
#include "unwind.h"
#include "profile.skel.h"

struct profile {
	struct profile_bpf *skel;
	int *fds;
	struct bpf_link **links;
	size_t n;
};

uint64_t profile_max_freq(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : 100000;
}

static int open_event(const struct profile_opts *o, int cpu)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if (o->clock == PROFILE_CYCLES) {
		a.type = PERF_TYPE_HARDWARE;
		a.config = PERF_COUNT_HW_CPU_CYCLES;
	} else {
		a.type = PERF_TYPE_SOFTWARE;
		a.config = PERF_COUNT_SW_CPU_CLOCK;
	}
	a.freq = 1;
	a.sample_freq = o->freq;
	return (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int profile_open(struct profile **out, struct tp_capture *cap, const struct profile_opts *o,
		 struct trec_err *err)
{
	*out = NULL;
	struct profile *p = calloc(1, sizeof(*p));
	if (!p)
		return trec_errf(err, -ENOMEM, "out of memory");
	int *cpus = NULL;
	size_t ncpus = 0;
	int r = procfs_cpu_list("/sys/devices/system/cpu/online", &cpus, &ncpus);
	if (r < 0 || !ncpus) {
		free(p);
		return trec_errf(err, r < 0 ? r : -ENOENT, "cannot read the online CPUs");
	}
	p->fds = calloc(ncpus, sizeof(*p->fds));
	p->links = calloc(ncpus, sizeof(*p->links));
	p->skel = profile_bpf__open();
	if (!p->fds || !p->links || !p->skel) {
		r = p->skel ? -ENOMEM : -errno;
		trec_errf(err, r, "opening the sampling program: %s", tp_bpf_advice(r));
		goto fail;
	}
	struct tp_shared_fds sh;
	tp_capture_shared(cap, &sh);
	struct profile_bpf *s = p->skel;
	s->rodata->sample_type = o->type;
	s->rodata->filter_pids = o->filter_pids;
	CGROUP_SET_APPLY(s->rodata, o->cgroups);
	s->rodata->self_tgid = (uint32_t)getpid();
	s->rodata->unwind_user = tp_capture_unwind(cap) != NULL;
	if (tp_capture_unwind(cap) && (r = unwind_share(tp_capture_unwind(cap), s->obj, err)))
		goto fail;
	if ((r = bpf_map__reuse_fd(s->maps.rings, sh.rings)) || (r = bpf_map__reuse_fd(s->maps.lost, sh.lost)) ||
	    (r = bpf_map__reuse_fd(s->maps.targets, sh.targets))) {
		trec_errf(err, r, "sharing maps with the sampling program: %s", strerror(-r));
		goto fail;
	}
	r = profile_bpf__load(s);
	if (r) {
		trec_errf(err, r, "loading the sampling program: %s", tp_bpf_advice(r));
		goto fail;
	}
	for (size_t i = 0; i < ncpus; i++) {
		int fd = open_event(o, cpus[i]);
		if (fd < 0) {
			r = -errno;
			if (o->clock == PROFILE_CYCLES && (r == -ENOENT || r == -EOPNOTSUPP || r == -ENODEV))
				trec_errf(err, r, "-e cycles: this machine has no hardware PMU cycle counter "
						  "(a VM without PMU passthrough?); use -e cpu-clock (the default for -F)");
			else
				trec_errf(err, r, "perf_event_open for CPU %d: %s", cpus[i],
					  r == -EACCES || r == -EPERM ? "needs root or CAP_PERFMON" : strerror(-r));
			goto fail;
		}
		p->fds[p->n] = fd;
		p->links[p->n] = bpf_program__attach_perf_event(s->progs.trec_profile, fd);
		if (!p->links[p->n]) {
			r = -errno;
			close(fd);
			trec_errf(err, r, "attaching the sampling program on CPU %d: %s", cpus[i], tp_bpf_advice(r));
			goto fail;
		}
		p->n++;
	}
	free(cpus);
	*out = p;
	return 0;
fail:
	free(cpus);
	profile_close(p);
	return r;
}

void profile_detach(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		bpf_link__destroy(p->links[i]); /* closes the perf event fd too */
		p->links[i] = NULL;
	}
	p->n = 0;
}

void profile_close(struct profile *p)
{
	if (!p)
		return;
	profile_detach(p);
	profile_bpf__destroy(p->skel);
	free(p->fds);
	free(p->links);
	free(p);
}
