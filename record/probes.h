/* SPDX-License-Identifier: MIT */
/*
 * From the user's probe -e arguments (and their --arg) to what gets
 * attached: each event type a probe yields (a glob yields one per
 * function or USDT probe it matches), its schema as the file will
 * describe it, and where it attaches (file offsets, USDT provider and
 * name, kernel function). The tracepoint counterpart is plan.h.
 *
 * Schema names, which the report side pairs entries and returns by:
 *   uprobe:PATH:FUNC       arg0..arg5 (u64), argN_str for --arg 'argN:str'
 *   uretprobe:PATH:FUNC    ret (s64)
 *   usdt:PATH:PROVIDER:NAME  arg0..argN-1 (s64), argN_str
 *   kprobe:FUNC            arg0..arg5 (u64), argN_str
 *   kretprobe:FUNC         ret (s64)
 *   fentry:FUNC            arg0..argN-1 (u64, N from the function's BTF, at most 6)
 *   fexit:FUNC             ret (s64), then arg0..argN-1
 * PATH is the absolute, symlink-free path of the binary or library; FUNC
 * the symbol name, FUNC+0xOFF for an offset, 0xADDR for an address. The
 * schema's probe string says exactly how it was attached
 * ("uprobe:PATH:0xFILEOFFSET", "usdt:PATH:PROVIDER:NAME", "kprobe:FUNC+0xOFF").
 */
#ifndef TREC_RECORD_PROBES_H
#define TREC_RECORD_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "errors.h"
#include "probe_spec.h"
#include "schema.h"

/* Event types all probes together may yield: a glob over a big library
 * must be narrowed rather than attach thousands of breakpoints. */
#define PROBES_MAX_EVENTS 4096

struct probe_event {
	struct trec_schema schema;   /* what the file describes (strings in the set's arena) */
	int kind;                    /* enum probe_kind */
	const char *path;            /* user probes: the resolved file */
	const char *provider;        /* USDT */
	const char *func;            /* symbol, USDT or kernel function name ("" for 0xADDR) */
	uint64_t *offsets;           /* uprobes: file offsets (a name may have several addresses) */
	uint32_t noffsets;
	uint64_t kprobe_offset;      /* k:FUNC+OFF */
	uint32_t nvals;              /* value fields */
	uint32_t strmask;            /* values read as strings */
	uint64_t ck_flags;           /* PROBE_CK_AT_ENTRY */
	uint32_t sites;              /* USDT: probe sites in the file */
};

struct probe_set {
	struct probe_spec *specs; /* as given, in order */
	size_t nspecs, capspecs;
	struct probe_event *ev;   /* after probe_set_resolve */
	size_t n, cap;
	struct tarena arena;
};

void probe_set_init(struct probe_set *ps);
void probe_set_free(struct probe_set *ps);

/* Parses one -e probe argument (probe_spec_parse). */
int probe_set_add(struct probe_set *ps, const char *spec, struct trec_err *err);
/* --arg for the latest probe -e; -EINVAL when there is none. */
int probe_set_arg(struct probe_set *ps, const char *arg, struct trec_err *err);

struct probe_resolve_opts {
	size_t sz;
	uint32_t first_type;    /* event type id of the first event; the rest follow */
	const pid_t *pids;      /* -p: searched first for bare library names */
	size_t npids;
	const char *tracefs;    /* tracefs root, for the nearest-tracepoint advice */
	/* Notes that are not errors (an IFUNC resolver probed, a glob that
	 * matched many functions), one sentence each. May be NULL. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/*
 * Resolves every spec: paths, symbols, USDT notes, and what the kernel
 * offers (kprobe support, fentry program load, function BTF). Any probe
 * that cannot work fails here, before anything is recorded, with a
 * message naming the probe; for kernel probes the kernel feature that is
 * missing ("kprobe", "fentry") and the nearest tracepoint.
 */
int probe_set_resolve(struct probe_set *ps, const struct probe_resolve_opts *o, struct trec_err *err);

/* The cookie for an event's attachments (probe_abi.h). */
uint64_t probe_event_cookie(const struct probe_event *e);

/* Attachments an event needs (perf event fds): for the fd limit. */
size_t probe_set_attachments(const struct probe_set *ps);

#endif
