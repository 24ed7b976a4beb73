/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_tp.h"
#include "opts.h"
#include "schema.h"
#include "tracepoint.skel.h" /* struct tracepoint_bpf */
#include "unwind.h"

struct tp_capture {
	struct tracepoint_bpf *skel;
	uint32_t ncpus;
	uint32_t nrings, cpus_per_ring;
	uint32_t wakeup_bytes;
	int *ring_fds; /* [nrings] */
	struct bpf_link **links;
	size_t nlinks;
	struct bpf_program **progs; /* per spec: its direct-copy variant, or trec_tp */
	const struct tp_spec *specs;
	size_t nspecs;
	uint32_t max_type;
	uint64_t *lost_buf;
	struct unwind *unwind;
	int profile;           /* the sampling program is loaded with ours */
	uint32_t profile_type;
};

/* The effective capability set, from /proc/self/status; 0 when unknown. */
static uint64_t effective_caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	char line[256];
	unsigned long long caps = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

#define CAP_BIT(n) (1ull << (n))
#define CAPB_SYS_ADMIN CAP_BIT(21)
#define CAPB_PERFMON CAP_BIT(38)
#define CAPB_BPF CAP_BIT(39)

/* Whether `release` ("6.1.0-18-amd64") is at least major.minor: 1 or 0,
 * -1 when it does not start with a version. */
static int release_at_least(const char *release, unsigned major, unsigned minor)
{
	unsigned a = 0, b = 0;
	if (!release || sscanf(release, "%u.%u", &a, &b) != 2)
		return -1;
	return a > major || (a == major && b >= minor);
}

bool tp_kernel_charges_memlock(const char *release)
{
	return release_at_least(release, 5, 11) == 0;
}

bool tp_kernel_hash_no_prealloc_ok(const char *release)
{
	return release_at_least(release, 6, 1) == 1;
}

/* On kernels that charge BPF maps to RLIMIT_MEMLOCK, libbpf raises the
 * limit itself; that fails without CAP_SYS_RESOURCE (a container, a
 * systemd unit), and map creation then fails with EPERM. NULL when the
 * limit cannot be the cause. */
static const char *memlock_advice(void)
{
	struct utsname u;
	struct rlimit rl;
	if (uname(&u) || !tp_kernel_charges_memlock(u.release))
		return NULL;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return NULL;
	static __thread char msg[320];
	snprintf(msg, sizeof(msg),
		 "the locked-memory limit (RLIMIT_MEMLOCK, %llu KiB) is too low for BPF maps: kernel %s "
		 "(before 5.11) charges them to it, and raising it needs CAP_SYS_RESOURCE; run "
		 "`ulimit -l unlimited` first, or set LimitMEMLOCK=infinity for a systemd unit",
		 (unsigned long long)(rl.rlim_cur / 1024), u.release);
	return msg;
}

const char *tp_bpf_advice(int err)
{
	int e = err < 0 ? -err : err;
	if ((e == EPERM || e == EACCES) && geteuid() != 0)
		return "loading BPF programs needs root, or CAP_BPF and CAP_PERFMON (and a memlock "
		       "limit high enough on kernels before 5.11): run trec record with sudo";
	if (e == EPERM || e == EACCES) {
		/* Root, but with capabilities taken away (a container, capsh,
		 * a systemd unit's CapabilityBoundingSet): name the missing one. */
		uint64_t caps = effective_caps();
		int bpf = (caps & (CAPB_BPF | CAPB_SYS_ADMIN)) != 0;
		int perfmon = (caps & (CAPB_PERFMON | CAPB_SYS_ADMIN)) != 0;
		if (caps && !bpf && !perfmon)
			return "running as root without CAP_BPF and CAP_PERFMON (nor CAP_SYS_ADMIN): give the "
			       "recorder both (e.g. a container's --cap-add, systemd AmbientCapabilities)";
		if (caps && !bpf)
			return "running as root without CAP_BPF (nor CAP_SYS_ADMIN): BPF programs and maps need "
			       "it; give the recorder CAP_BPF";
		if (caps && !perfmon)
			return "running as root without CAP_PERFMON (nor CAP_SYS_ADMIN): tracing programs and "
			       "perf events need it; give the recorder CAP_PERFMON";
	}
	/* Capabilities in place: on an old kernel, the memlock limit. */
	const char *ml = e == EPERM ? memlock_advice() : NULL;
	if (ml)
		return ml;
	switch (e) {
	case EPERM:
		return "permission denied although running as root: a security module (lockdown, "
		       "SELinux) or kernel.unprivileged_bpf_disabled/perf_event_paranoid forbids it";
	case EACCES:
	case EINVAL:
		return "the kernel's verifier rejected the program (TREC_BPF_DEBUG=1 shows its log); "
		       "please report it with `uname -r`";
	case ENOENT:
		return "the kernel lacks something the program needs (BTF at /sys/kernel/btf/vmlinux, "
		       "or the tracepoint)";
	case E2BIG:
	case ENOMEM:
		return "not enough memory for the ring buffers: try a smaller -m";
	default:
		return strerror(e);
	}
}

/*
 * The direct-copy program for a tracepoint (tracepoint.bpf.c), or NULL when
 * its records need the general one: dynamic data, user strings, a filter,
 * stacks, or a size the variants do not cover.
 */
static struct bpf_program *direct_variant(struct tracepoint_bpf *s, const struct tp_spec *sp,
					  bool with_stacks)
{
	uint32_t size = sp->cfg.fixed_size;
	if (with_stacks || sp->filter || sp->cfg.ndyn || sp->cfg.nstr || size < 8 || size % 4 ||
	    size / 8 > TREC_DIRECT_MAX_WORDS)
		return NULL;
	char name[32];
	snprintf(name, sizeof(name), "trec_tp_w%u_t%u", size / 8, size % 8 ? 1u : 0u);
	return bpf_object__find_program_by_name(s->obj, name);
}

/* Whether a schema has field `name` at `offset`, `count` elements of `elem` bytes. */
static bool has_field(const struct trec_schema *sc, const char *name, uint32_t offset, uint32_t elem,
		      uint32_t count)
{
	const struct trec_field *f = trec_schema_field(sc, name);
	return f && f->offset == offset && f->elem_size == elem && f->count == count;
}

/*
 * The raw-tracepoint program for raw_syscalls:sys_enter or sys_exit, when
 * this tracepoint's format is the one that program writes and nothing asks
 * for the general path. NULL otherwise (or where the object has none).
 */
static struct bpf_program *raw_syscall_variant(struct tracepoint_bpf *s, const struct tp_spec *sp,
					       bool with_stacks)
{
	if (with_stacks || sp->filter || !sp->schema || strcmp(sp->group, "raw_syscalls") || sp->cfg.ndyn ||
	    sp->cfg.nstr || !has_field(sp->schema, "id", 8, 8, 1))
		return NULL;
	bool enter = !strcmp(sp->name, "sys_enter");
	if (enter ? sp->cfg.fixed_size != 64 || !has_field(sp->schema, "args", 16, 8, 6)
		  : strcmp(sp->name, "sys_exit") || sp->cfg.fixed_size != 24 ||
			    !has_field(sp->schema, "ret", 16, 8, 1))
		return NULL;
	/* One attachment per program: a second event type on the same
	 * tracepoint takes the general path. */
	uint32_t *type = enter ? &s->rodata->sys_enter_type : &s->rodata->sys_exit_type;
	if (*type)
		return NULL;
	struct bpf_program *p = bpf_object__find_program_by_name(s->obj, enter ? "trec_sys_enter" : "trec_sys_exit");
	if (!p)
		return NULL;
	*type = sp->type;
	if (enter)
		s->rodata->sys_enter_tp_id = sp->cfg.tp_id;
	else
		s->rodata->sys_exit_tp_id = sp->cfg.tp_id;
	return p;
}

/* task_ctx holds the forks and execs user space has not taken yet (it
 * takes them within a tick): 4,096 per CPU, between 8,192 and the 65,536
 * the map was declared with. An LRU map is allocated whole at creation:
 * 65,536 entries cost 5.7 MB and 2 ms of every recording on a 2-CPU host. */
static uint32_t task_ctx_entries(uint32_t ncpus)
{
	uint64_t n = (uint64_t)ncpus * 4096;
	return n < 8192 ? 8192 : n > TREC_TASK_CTX_ENTRIES ? TREC_TASK_CTX_ENTRIES : (uint32_t)n;
}

/*
 * Opens and loads the object with a program chosen per tracepoint: the raw
 * syscall ones (when `fast_raw`), a direct-copy variant, or the general
 * trec_tp. -EAGAIN: the raw programs would not load on this kernel; the
 * caller tries again without them.
 */
static int load_skeleton(struct tp_capture *c, const struct tp_capture_opts *o, bool fast_raw)
{
	tracepoint_bpf__destroy(c->skel);
	c->skel = tracepoint_bpf__open();
	if (!c->skel)
		return -errno;
	struct tracepoint_bpf *s = c->skel;
	bool with_stacks = o && o->with_stacks;
	s->rodata->filter_pids = o && o->filter_pids;
	CGROUP_SET_APPLY(s->rodata, o ? o->cgroups : NULL);
	s->rodata->self_tgid = (uint32_t)getpid();
	s->rodata->wakeup_bytes = c->wakeup_bytes;
	s->rodata->with_stacks = with_stacks;
	s->rodata->unwind_user = c->unwind != NULL;
	s->rodata->uw_chunk_shift = unwind_chunk_shift(c->unwind);
	if (c->unwind) {
		int r = unwind_share(c->unwind, s->obj, NULL);
		if (r)
			return r;
		bpf_program__set_autoload(s->progs.trec_uw_fork, true);
		bpf_program__set_autoload(s->progs.trec_uw_exec, true);
	}
	if (c->profile) {
		s->rodata->sample_type = c->profile_type;
		bpf_program__set_autoload(s->progs.trec_profile, true);
	}
	bpf_map__set_max_entries(s->maps.rings, c->ncpus);
	bpf_map__set_max_entries(s->maps.tp_cfg, c->max_type + 1);
	bpf_map__set_max_entries(s->maps.filters, c->max_type + 1);
	bpf_map__set_max_entries(s->maps.lost, c->max_type + 1);
	bpf_map__set_max_entries(s->maps.task_ctx, task_ctx_entries(c->ncpus));
	/* targets: unused without a filter; with one, allocated entry by
	 * entry where the kernel allows it in the sampling program (a
	 * preallocated 65,536 cost 1.7 ms of every recording). */
	struct utsname u;
	if (!(o && o->filter_pids))
		bpf_map__set_max_entries(s->maps.targets, 1);
	else if (!uname(&u) && tp_kernel_hash_no_prealloc_ok(u.release))
		bpf_map__set_map_flags(s->maps.targets, BPF_F_NO_PREALLOC);
	bool used_raw = false;
	for (size_t i = 0; i < c->nspecs; i++) {
		const struct tp_spec *sp = &c->specs[i];
		struct bpf_program *p = fast_raw ? raw_syscall_variant(s, sp, with_stacks) : NULL;
		used_raw |= p != NULL;
		if (!p)
			p = direct_variant(s, sp, with_stacks);
		if (p)
			bpf_program__set_autoload(p, true);
		else
			p = s->progs.trec_tp;
		c->progs[i] = p;
	}
	/* No tracepoint (-F or probes only): the general program would only
	 * cost its verification (it walks stacks: a tenth of a second). */
	if (!c->nspecs)
		bpf_program__set_autoload(s->progs.trec_tp, false);
	int r = tracepoint_bpf__load(s);
	return r && used_raw ? -EAGAIN : r;
}

int tp_capture_open(struct tp_capture **out, const struct tp_capture_opts *o,
		    const struct tp_spec *specs, size_t n, struct trec_err *err)
{
	*out = NULL;
	struct tp_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return trec_errf(err, -ENOMEM, "out of memory");
	c->specs = specs;
	c->nspecs = n;
	if (o && o->max_type)
		c->max_type = o->max_type;
	if (OPTS_HAS(o, unwind))
		c->unwind = o->unwind;
	if (OPTS_HAS(o, profile_type)) {
		c->profile = o->profile != 0;
		c->profile_type = o->profile_type;
	}
	for (size_t i = 0; i < n; i++)
		if (specs[i].type > c->max_type)
			c->max_type = specs[i].type;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		free(c);
		return trec_errf(err, ncpu ? ncpu : -EINVAL, "cannot count CPUs: %s", strerror(-ncpu));
	}
	c->ncpus = (uint32_t)ncpu;
	c->nrings = c->ncpus;
	c->cpus_per_ring = 1;
	if (OPTS_HAS(o, cpus_per_ring) && o->nrings) {
		c->nrings = o->nrings;
		c->cpus_per_ring = o->cpus_per_ring ? o->cpus_per_ring : 1;
		/* Every CPU needs a ring to write into. */
		if ((uint64_t)c->nrings * c->cpus_per_ring < c->ncpus) {
			uint32_t ncpus = c->ncpus;
			free(c);
			return trec_errf(err, -EINVAL, "%u rings of %u CPUs do not cover %u CPUs", o->nrings,
					 o->cpus_per_ring, ncpus);
		}
	}
	size_t ring = o && o->ring_bytes ? o->ring_bytes : (size_t)4 << 20;
	c->wakeup_bytes = ring / 4 < TREC_WAKEUP_BYTES ? (uint32_t)(ring / 4) : TREC_WAKEUP_BYTES;
	c->ring_fds = calloc(c->nrings, sizeof(*c->ring_fds));
	c->links = calloc(n + 2, sizeof(*c->links));
	c->progs = calloc(n + 1, sizeof(*c->progs));
	c->lost_buf = calloc(c->ncpus, sizeof(*c->lost_buf));
	if (!c->ring_fds || !c->links || !c->progs || !c->lost_buf) {
		tp_capture_close(c);
		return trec_errf(err, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < c->nrings; i++)
		c->ring_fds[i] = -1;

	int r = load_skeleton(c, o, true);
	if (r == -EAGAIN)
		r = load_skeleton(c, o, false);
	if (r) {
		tp_capture_close(c);
		return trec_errf(err, r, "loading the BPF tracepoint program: %s", tp_bpf_advice(r));
	}
	struct tracepoint_bpf *s = c->skel;
	for (uint32_t i = 0; i < c->nrings; i++) {
		char name[32];
		snprintf(name, sizeof(name), "trec_ring%u", i);
		c->ring_fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, (uint32_t)ring, NULL);
		if (c->ring_fds[i] < 0) {
			int e = -errno;
			tp_capture_close(c);
			return trec_errf(err, e, "creating ring buffer %u of %u (%zu bytes): %s", i, c->nrings, ring,
					 tp_bpf_advice(e));
		}
	}
	/* Each CPU's slot holds its group's ring. */
	for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
		r = bpf_map_update_elem(bpf_map__fd(s->maps.rings), &cpu, &c->ring_fds[cpu / c->cpus_per_ring],
					BPF_ANY);
		if (r) {
			int e = -errno;
			tp_capture_close(c);
			return trec_errf(err, e, "installing the ring buffer of CPU %u: %s", cpu, strerror(-e));
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct trec_tp_cfg cfg = specs[i].cfg;
		cfg.has_filter = specs[i].filter != NULL;
		r = bpf_map_update_elem(bpf_map__fd(s->maps.tp_cfg), &specs[i].type, &cfg, BPF_ANY);
		if (!r && specs[i].filter)
			r = bpf_map_update_elem(bpf_map__fd(s->maps.filters), &specs[i].type, specs[i].filter,
						BPF_ANY);
		if (r) {
			int e = -errno;
			tp_capture_close(c);
			return trec_errf(err, e, "configuring %s:%s: %s", specs[i].group, specs[i].name, strerror(-e));
		}
	}
	*out = c;
	return 0;
}

struct unwind *tp_capture_unwind(const struct tp_capture *c)
{
	return c->unwind;
}

struct bpf_program *tp_capture_profile_prog(const struct tp_capture *c)
{
	return c->profile && c->skel ? c->skel->progs.trec_profile : NULL;
}

int tp_capture_unwind_hooks(const struct tp_capture *c, struct unwind_hook_progs *out)
{
	if (!c->unwind || !c->skel)
		return -ENOENT;
	out->fork = c->skel->progs.trec_uw_fork;
	out->exec = c->skel->progs.trec_uw_exec;
	return 0;
}

void tp_capture_shared(const struct tp_capture *c, struct tp_shared_fds *fds)
{
	fds->rings = bpf_map__fd(c->skel->maps.rings);
	fds->lost = bpf_map__fd(c->skel->maps.lost);
	fds->targets = bpf_map__fd(c->skel->maps.targets);
	fds->wakeup_bytes = c->wakeup_bytes;
	fds->unwind = c->unwind;
}

int tp_capture_add_target(struct tp_capture *c, uint32_t tgid)
{
	uint8_t one = 1;
	return bpf_map_update_elem(bpf_map__fd(c->skel->maps.targets), &tgid, &one, BPF_ANY) ? -errno : 0;
}

int tp_capture_task_ctx_fd(const struct tp_capture *c)
{
	return bpf_map__fd(c->skel->maps.task_ctx);
}

int tp_capture_is_target(const struct tp_capture *c, uint32_t tgid)
{
	uint8_t v;
	return bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.targets), &tgid, &v) == 0;
}

int tp_capture_attach(struct tp_capture *c, struct trec_err *err)
{
	struct tracepoint_bpf *s = c->skel;
	c->links[c->nlinks] = bpf_program__attach(s->progs.trec_fork);
	if (!c->links[c->nlinks]) {
		int e = -errno;
		return trec_errf(err, e, "attaching the fork follower (tp_btf/sched_process_fork): %s",
				 tp_bpf_advice(e));
	}
	c->nlinks++;
	c->links[c->nlinks] = bpf_program__attach(s->progs.trec_exec);
	if (!c->links[c->nlinks]) {
		int e = -errno;
		return trec_errf(err, e, "attaching the exec hook (tp_btf/sched_process_exec): %s",
				 tp_bpf_advice(e));
	}
	c->nlinks++;
	for (size_t i = 0; i < c->nspecs; i++) {
		const struct tp_spec *sp = &c->specs[i];
		/* The cookie: event type, and for the direct-copy programs the
		 * tracefs id they write into common_type. */
		LIBBPF_OPTS(bpf_tracepoint_opts, to, .bpf_cookie = sp->type | (uint64_t)sp->cfg.tp_id << 32);
		struct bpf_link *l;
		if (bpf_program__type(c->progs[i]) == BPF_PROG_TYPE_TRACING) {
			l = bpf_program__attach(c->progs[i]);
			if (l) {
				c->links[c->nlinks++] = l;
				continue;
			}
			/* Not attachable here: the tracefs tracepoint is. */
			c->progs[i] = s->progs.trec_tp;
		}
		l = bpf_program__attach_tracepoint_opts(c->progs[i], sp->group, sp->name, &to);
		if (!l && errno == EACCES && c->progs[i] != s->progs.trec_tp) {
			/* The kernel's record is shorter than its format says:
			 * the general program reads only what is there. */
			c->progs[i] = s->progs.trec_tp;
			l = bpf_program__attach_tracepoint_opts(c->progs[i], sp->group, sp->name, &to);
		}
		if (!l) {
			int e = -errno;
			return trec_errf(err, e, "attaching to tracepoint %s:%s: %s", sp->group, sp->name,
					 tp_bpf_advice(e));
		}
		c->links[c->nlinks++] = l;
	}
	return 0;
}

void tp_capture_detach(struct tp_capture *c)
{
	for (size_t i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nlinks = 0;
}

uint32_t tp_capture_ncpus(const struct tp_capture *c)
{
	return c->ncpus;
}

uint32_t tp_capture_nrings(const struct tp_capture *c)
{
	return c->nrings;
}

int tp_capture_ring_fd(const struct tp_capture *c, uint32_t ring)
{
	return ring < c->nrings ? c->ring_fds[ring] : -1;
}

int tp_capture_lost(struct tp_capture *c, uint32_t type, uint64_t *out)
{
	if (type > c->max_type)
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.lost), &type, c->lost_buf))
		return -errno;
	memcpy(out, c->lost_buf, c->ncpus * sizeof(*out));
	return 0;
}

uint64_t tp_capture_targets_full(const struct tp_capture *c)
{
	return c->skel->bss->targets_full;
}

void tp_capture_close(struct tp_capture *c)
{
	if (!c)
		return;
	tp_capture_detach(c);
	if (c->ring_fds)
		for (uint32_t i = 0; i < c->nrings; i++)
			if (c->ring_fds[i] >= 0)
				close(c->ring_fds[i]);
	tracepoint_bpf__destroy(c->skel);
	free(c->ring_fds);
	free(c->links);
	free(c->progs);
	free(c->lost_buf);
	free(c);
}
