/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_probes.h"
#include "fentry.skel.h"
#include "kprobe.skel.h"
#include "probe_abi.h"
#include "probe_kernel.h"
#include "unwind.h"
#include "uprobe.skel.h"
#include "usdt.skel.h"

struct fentry_inst {
	struct fentry_bpf *skel;
	struct bpf_program *prog;
	const struct probe_event *ev;
};

struct probe_attach {
	const struct probe_set *ps;
	struct probe_attach_opts o;
	struct uprobe_bpf *up;
	struct usdt_bpf *usdt;
	struct kprobe_bpf *kp;
	struct fentry_inst *fe;
	size_t nfe;
	struct bpf_link **links;
	size_t nlinks, caplinks;
};

/* The settings every probe object shares with the capture: load-time
 * constants, then the capture's rings, loss counters and target set
 * instead of maps of its own. The per-CPU scratch record of
 * common.bpf.h is not used by probe programs (they build records in
 * ring space, probe.bpf.h) and is not created. */
#define PROBE_OBJ_SETUP(skel, o, sh)                                                     \
	do {                                                                             \
		(skel)->rodata->filter_pids = (o)->filter_pids;                         \
		CGROUP_SET_APPLY((skel)->rodata, (o)->cgroups);                         \
		(skel)->rodata->self_tgid = (uint32_t)getpid();                         \
		(skel)->rodata->wakeup_bytes = (sh)->wakeup_bytes;                      \
		(skel)->rodata->with_stacks = (o)->with_stacks;                         \
		(skel)->rodata->unwind_user = (sh)->unwind != NULL;                     \
		(skel)->rodata->uw_chunk_shift = unwind_chunk_shift((sh)->unwind);      \
		bpf_map__set_autocreate((skel)->maps.scratch, false);                   \
	} while (0)

static int share_maps(struct bpf_object *obj, const struct tp_shared_fds *sh)
{
	static const char *const names[] = { "rings", "lost", "targets" };
	const int fds[] = { sh->rings, sh->lost, sh->targets };
	for (size_t i = 0; i < 3; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, names[i]);
		int r = m ? bpf_map__reuse_fd(m, fds[i]) : -ENOENT;
		if (r)
			return r;
	}
	return sh->unwind ? unwind_share(sh->unwind, obj, NULL) : 0;
}

static int add_link(struct probe_attach *pa, struct bpf_link *l)
{
	if (pa->nlinks == pa->caplinks) {
		size_t cap = pa->caplinks ? pa->caplinks * 2 : 64;
		void *n = realloc(pa->links, cap * sizeof(*pa->links));
		if (!n) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		pa->links = n;
		pa->caplinks = cap;
	}
	pa->links[pa->nlinks++] = l;
	return 0;
}

static int load_error(struct trec_err *err, int r, const char *what)
{
	return trec_errf(err, r, "loading the %s program: %s", what, tp_bpf_advice(r));
}

static int open_user_objects(struct probe_attach *pa, const struct tp_shared_fds *sh, int need_up, int need_usdt,
			     struct trec_err *err)
{
	int r;
	if (need_up) {
		if (!(pa->up = uprobe_bpf__open()))
			return load_error(err, -errno, "uprobe");
		PROBE_OBJ_SETUP(pa->up, &pa->o, sh);
		/* Kernels with this function put a function-entry uprobe's
		 * caller into user stacks themselves (recent x86 kernels). */
		pa->up->rodata->add_entry_caller = probe_kernel_has_func(NULL, "is_uprobe_at_func_entry") != 1;
		if ((r = share_maps(pa->up->obj, sh)) || (r = uprobe_bpf__load(pa->up)))
			return load_error(err, r, "uprobe");
	}
	if (need_usdt) {
		if (!(pa->usdt = usdt_bpf__open()))
			return load_error(err, -errno, "USDT");
		PROBE_OBJ_SETUP(pa->usdt, &pa->o, sh);
		if ((r = share_maps(pa->usdt->obj, sh)) || (r = usdt_bpf__load(pa->usdt)))
			return load_error(err, r, "USDT");
	}
	return 0;
}

/* One fentry object per function: its program is verified against that
 * function's prototype. */
static int open_fentry(struct probe_attach *pa, const struct tp_shared_fds *sh, const struct probe_event *e,
		       struct trec_err *err)
{
	struct fentry_inst *fi = &pa->fe[pa->nfe];
	fi->ev = e;
	if (!(fi->skel = fentry_bpf__open()))
		return load_error(err, -errno, "fentry");
	pa->nfe++;
	PROBE_OBJ_SETUP(fi->skel, &pa->o, sh);
	fi->skel->rodata->probe_cookie = probe_event_cookie(e);
	fi->prog = e->kind == PROBE_FEXIT ? fi->skel->progs.trec_fexit : fi->skel->progs.trec_fentry;
	bpf_program__set_autoload(fi->prog, true);
	int r = bpf_program__set_attach_target(fi->prog, 0, e->func);
	if (!r)
		r = share_maps(fi->skel->obj, sh);
	if (!r)
		r = fentry_bpf__load(fi->skel);
	if (r)
		return trec_errf(err, r, "%s: loading the %s program failed (BPF trampolines): %s", e->schema.name,
				 e->kind == PROBE_FEXIT ? "fexit" : "fentry", tp_bpf_advice(r));
	return 0;
}

int probe_attach_open(struct probe_attach **out, struct tp_capture *cap, const struct probe_set *ps,
		      const struct probe_attach_opts *o, struct trec_err *err)
{
	*out = NULL;
	struct probe_attach *pa = calloc(1, sizeof(*pa));
	if (!pa)
		return trec_errf(err, -ENOMEM, "out of memory");
	pa->ps = ps;
	pa->o = *o;
	int need_up = 0, need_usdt = 0, need_kp = 0;
	size_t nfe = 0;
	for (size_t i = 0; i < ps->n; i++) {
		int k = ps->ev[i].kind;
		need_up |= k == PROBE_UPROBE || k == PROBE_URETPROBE;
		need_usdt |= k == PROBE_USDT;
		need_kp |= k == PROBE_KPROBE || k == PROBE_KRETPROBE;
		nfe += k == PROBE_FENTRY || k == PROBE_FEXIT;
	}
	struct tp_shared_fds sh;
	tp_capture_shared(cap, &sh);
	int r = open_user_objects(pa, &sh, need_up, need_usdt, err);
	if (!r && need_kp) {
		if (!(pa->kp = kprobe_bpf__open())) {
			r = load_error(err, -errno, "kprobe");
		} else {
			PROBE_OBJ_SETUP(pa->kp, &pa->o, &sh);
			if ((r = share_maps(pa->kp->obj, &sh)) || (r = kprobe_bpf__load(pa->kp)))
				r = load_error(err, r, "kprobe");
		}
	}
	if (!r && nfe && !(pa->fe = calloc(nfe, sizeof(*pa->fe))))
		r = trec_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; !r && i < ps->n; i++)
		if (ps->ev[i].kind == PROBE_FENTRY || ps->ev[i].kind == PROBE_FEXIT)
			r = open_fentry(pa, &sh, &ps->ev[i], err);
	if (r) {
		probe_attach_close(pa);
		return r;
	}
	*out = pa;
	return 0;
}

static const char *attach_advice(int e)
{
	switch (-e) {
	case EMFILE:
	case ENFILE:
		return "too many open files: every probed address is a perf event; raise `ulimit -n` or "
		       "narrow the globs";
	case EINVAL:
	case EILSEQ:
		return "the kernel refused the address (not the first byte of an instruction, or an "
		       "instruction uprobes cannot step over)";
	case ENOENT:
		return "the file or function is gone";
	default:
		return tp_bpf_advice(e);
	}
}

static int attach_uprobe(struct probe_attach *pa, const struct probe_event *e, struct trec_err *err)
{
	struct bpf_program *prog = e->kind == PROBE_URETPROBE ? pa->up->progs.trec_uretprobe : pa->up->progs.trec_uprobe;
	for (uint32_t i = 0; i < e->noffsets; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = probe_event_cookie(e),
			    .retprobe = e->kind == PROBE_URETPROBE);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, e->path, e->offsets[i], &uo);
		if (!l) {
			int r = -errno;
			return trec_errf(err, r, "attaching %s at file offset 0x%llx: %s", e->schema.name,
					 (unsigned long long)e->offsets[i], attach_advice(r));
		}
		int r = add_link(pa, l);
		if (r)
			return trec_errf(err, r, "out of memory");
	}
	return 0;
}

static int attach_one(struct probe_attach *pa, const struct probe_event *e, struct trec_err *err)
{
	struct bpf_link *l = NULL;
	switch (e->kind) {
	case PROBE_UPROBE:
	case PROBE_URETPROBE:
		return attach_uprobe(pa, e, err);
	case PROBE_USDT: {
		LIBBPF_OPTS(bpf_usdt_opts, uo, .usdt_cookie = probe_event_cookie(e));
		l = bpf_program__attach_usdt(pa->usdt->progs.trec_usdt, -1, e->path, e->provider, e->func, &uo);
		break;
	}
	case PROBE_KPROBE:
	case PROBE_KRETPROBE: {
		LIBBPF_OPTS(bpf_kprobe_opts, ko, .bpf_cookie = probe_event_cookie(e), .offset = e->kprobe_offset,
			    .retprobe = e->kind == PROBE_KRETPROBE);
		struct bpf_program *p = e->kind == PROBE_KRETPROBE ? pa->kp->progs.trec_kretprobe : pa->kp->progs.trec_kprobe;
		l = bpf_program__attach_kprobe_opts(p, e->func, &ko);
		break;
	}
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		for (size_t i = 0; i < pa->nfe; i++)
			if (pa->fe[i].ev == e)
				l = bpf_program__attach_trace(pa->fe[i].prog);
		break;
	default:
		return trec_errf(err, -EINVAL, "%s: unknown probe kind", e->schema.name);
	}
	if (!l) {
		int r = -errno;
		return trec_errf(err, r, "attaching %s: %s", e->schema.name,
				 e->kind == PROBE_KPROBE || e->kind == PROBE_KRETPROBE
					 ? (r == -ENOENT ? "the kernel has no kprobe support for this function (kprobe)"
							 : tp_bpf_advice(r))
					 : attach_advice(r));
	}
	return add_link(pa, l) ? trec_errf(err, -ENOMEM, "out of memory") : 0;
}

/* Every attachment holds a perf event fd: make room for them. */
static void raise_fd_limit(size_t need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rlim_t want = (rlim_t)need + 1024;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int probe_attach_start(struct probe_attach *pa, struct trec_err *err)
{
	raise_fd_limit(probe_set_attachments(pa->ps));
	for (size_t i = 0; i < pa->ps->n; i++) {
		int r = attach_one(pa, &pa->ps->ev[i], err);
		if (r)
			return r;
	}
	return 0;
}

void probe_attach_detach(struct probe_attach *pa)
{
	if (!pa)
		return;
	for (size_t i = 0; i < pa->nlinks; i++)
		bpf_link__destroy(pa->links[i]);
	pa->nlinks = 0;
}

void probe_attach_close(struct probe_attach *pa)
{
	if (!pa)
		return;
	probe_attach_detach(pa);
	uprobe_bpf__destroy(pa->up);
	usdt_bpf__destroy(pa->usdt);
	kprobe_bpf__destroy(pa->kp);
	for (size_t i = 0; i < pa->nfe; i++)
		fentry_bpf__destroy(pa->fe[i].skel);
	free(pa->fe);
	free(pa->links);
	free(pa);
}

int probe_fentry_try(const char *func, int fexit)
{
	/* libbpf's account of a failed trial load goes where all its
	 * messages go (bpf_log.h): shown only when debug output is asked for. */
	struct fentry_bpf *s = fentry_bpf__open();
	if (!s)
		return -errno;
	struct bpf_program *p = fexit ? s->progs.trec_fexit : s->progs.trec_fentry;
	bpf_program__set_autoload(p, true);
	bpf_map__set_autocreate(s->maps.scratch, false);
	/* Small maps of its own: the trial only asks whether the kernel
	 * loads a trampoline program on this function. */
	bpf_map__set_max_entries(s->maps.targets, 1);
	int r = bpf_program__set_attach_target(p, 0, func);
	if (!r)
		r = fentry_bpf__load(s);
	fentry_bpf__destroy(s);
	return r;
}
