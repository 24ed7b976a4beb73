/* SPDX-License-Identifier: MIT */
/*
 * Loading and attaching the generic tracepoint program (bpf/tracepoint.bpf.c):
 * one program, one attachment per tracepoint with its event type id as the
 * BPF cookie, one ring buffer per CPU, per-type loss counters.
 */
#ifndef TREC_BPF_TP_H
#define TREC_BPF_TP_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroups.h"
#include "errors.h"
#include "filter_prog.h"
#include "trec_bpf.h"

struct tp_spec {
	const char *group; /* tracefs group, e.g. "sched" */
	const char *name;  /* tracepoint, e.g. "sched_switch" */
	uint32_t type;     /* event type id carried by its events */
	struct trec_tp_cfg cfg;
	const struct trec_filter_prog *filter; /* NULL: keep every event */
	const struct trec_schema *schema;      /* its fields; NULL: the general program only */
};

struct tp_capture_opts {
	size_t sz;
	size_t ring_bytes; /* per ring, a power of two >= page size; 0 = 4 MiB */
	int filter_pids;   /* trace only the thread groups added as targets (and their children) */
	int with_stacks;   /* -g: kernel and user stacks with every event */
	uint32_t max_type; /* largest type id any program uses (0: the specs' largest) */
	/* Walk user stacks with the unwind tables (record/unwind.h) instead of
	 * frame pointers; NULL: frame pointers. Every program that takes stacks
	 * shares it (tp_capture_unwind). */
	struct unwind *unwind;
	/* CPU sampling: load its program (bpf/profile.bpf.h) with the capture's
	 * for samples of type profile_type, one object and one parse of the
	 * kernel's BTF for both (profile_open attaches it). With unwind, the
	 * unwinder's fork/exec followers load here too (unwind_start). */
	int profile;
	uint32_t profile_type;
	/* -G: only tasks in these cgroup subtrees (every program; NULL: any). */
	const struct cgroup_set *cgroups;
	/* The rings (record/memplan.h): `nrings` rings of ring_bytes, CPU c
	 * writing into ring c / cpus_per_ring. 0: one ring per CPU. More
	 * rings than CPUs (a bench's --rings) leaves the extra ones idle. */
	uint32_t nrings;
	uint32_t cpus_per_ring;
};

struct tp_capture;
struct bpf_program;
struct unwind_hook_progs;

/* Maps the other programs (CPU sampling) share with the tracepoint one. */
struct tp_shared_fds {
	int rings, lost, targets;
	uint32_t wakeup_bytes; /* the programs' wakeup_bytes (common.bpf.h) */
	struct unwind *unwind; /* NULL: user stacks by frame pointers */
};
void tp_capture_shared(const struct tp_capture *c, struct tp_shared_fds *fds);
/* The unwinder the capture was opened with (NULL: frame pointers). */
struct unwind *tp_capture_unwind(const struct tp_capture *c);
/* The CPU sampling program, loaded when opened with .profile; else NULL. */
struct bpf_program *tp_capture_profile_prog(const struct tp_capture *c);
/* The unwinder's followers, loaded when opened with an unwinder: 0, or
 * -ENOENT without one. */
int tp_capture_unwind_hooks(const struct tp_capture *c, struct unwind_hook_progs *out);

struct tp_capture;

/* Opens, configures and loads; nothing is attached yet. */
int tp_capture_open(struct tp_capture **out, const struct tp_capture_opts *o,
		    const struct tp_spec *specs, size_t n, struct trec_err *err);
int tp_capture_add_target(struct tp_capture *c, uint32_t tgid);
/* Whether a thread group is traced: the kernel's own set, which the fork
 * follower keeps in fork order (user space sees forks per CPU, unordered). */
int tp_capture_is_target(const struct tp_capture *c, uint32_t tgid);
/* The map of each thread's cgroup and namespace pids at its latest fork
 * and exec (struct trec_task_ctx_val, keyed by TREC_TASK_CTX_KEY). */
int tp_capture_task_ctx_fd(const struct tp_capture *c);
/* Attaches the fork follower, the exec hook and every tracepoint. */
int tp_capture_attach(struct tp_capture *c, struct trec_err *err);
/* Stops every probe; maps and rings stay readable for the final drain. */
void tp_capture_detach(struct tp_capture *c);
uint32_t tp_capture_ncpus(const struct tp_capture *c);
/* The event rings, and each one's fd (ring i serves CPUs i*k .. i*k+k-1). */
uint32_t tp_capture_nrings(const struct tp_capture *c);
int tp_capture_ring_fd(const struct tp_capture *c, uint32_t ring);
/* Per-CPU loss counts of one type; `out` has tp_capture_ncpus() slots. */
int tp_capture_lost(struct tp_capture *c, uint32_t type, uint64_t *out);
/* Children that could not be followed (targets map full). */
uint64_t tp_capture_targets_full(const struct tp_capture *c);
/* Detaches and unloads everything (no link or map outlives this). */
void tp_capture_close(struct tp_capture *c);

/* A sentence about why BPF could not be used, from an errno. */
const char *tp_bpf_advice(int err);
/* Whether a kernel of this release (uname -r) charges BPF maps to
 * RLIMIT_MEMLOCK: those before 5.11 do; later ones charge the memory
 * cgroup. An unparsable release counts as a new kernel. */
bool tp_kernel_charges_memlock(const char *release);
/* Whether a hash map without preallocation may be used by every program
 * type, perf_event (NMI) included: since 6.1 (bpf_mem_alloc). */
bool tp_kernel_hash_no_prealloc_ok(const char *release);

#endif
