/* SPDX-License-Identifier: MIT */
/*
 * From the user's -e/--filter arguments to what gets attached: each
 * tracepoint matched, its schema as it will appear in the file (syscall
 * string arguments added as dynamic fields), its capture configuration for
 * the BPF side and its compiled filter. Event type ids are 1, 2, ... in
 * the order the tracepoints were named (globs expand sorted).
 */
#ifndef TREC_PLAN_H
#define TREC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "bpf_tp.h"
#include "errors.h"
#include "schema.h"
#include "tracefs.h"

#define PLAN_MAX_EVENTS 4096

struct plan_event {
	char full[2 * TRACEFS_NAME_MAX + 2]; /* "group:name" */
	char group[TRACEFS_NAME_MAX + 1];
	char name[TRACEFS_NAME_MAX + 1];
	struct tp_format fmt;
	struct trec_schema schema; /* what the file describes */
	struct trec_field *fields; /* owned: fmt's fields plus synthesized ones */
	char **field_names;        /* owned names of synthesized fields */
	struct trec_tp_cfg cfg;
	struct trec_filter_prog filter;
	int has_filter;
	const char *filter_text;
};

struct plan {
	char root[512];
	struct plan_event *ev;
	size_t n, cap;
	size_t last_first; /* first event the latest -e added (for --filter) */
};

/*
 * The event type ids of a recording, in one place: 1..n are the
 * tracepoints in the order they were named, then the CPU samples, the
 * off-CPU records and the probes, each only when recorded. Everything
 * that writes a schema or sizes a BPF map by type asks here.
 */
struct plan_types {
	uint32_t samples;     /* CPU samples (-F, -e cpu-clock, -e cycles); 0: none */
	uint32_t offcpu;      /* off-CPU records (-e offcpu); 0: none */
	uint32_t first_probe; /* the first probe event's id (the next ones follow) */
	uint32_t max;         /* the largest id in use */
};
void plan_types(const struct plan *p, int samples, int offcpu, size_t nprobes, struct plan_types *out);

/* tracefs_root(), mounting tracefs first when it is missing and we are root. */
int plan_tracefs_root(char *buf, size_t len, struct trec_err *err);
int plan_init(struct plan *p, struct trec_err *err);
/* Adds the tracepoints an -e argument names ("group:name" or a glob). */
int plan_add(struct plan *p, const char *spec, struct trec_err *err);
/* Compiles `expr` for every tracepoint of the latest -e. */
int plan_filter(struct plan *p, const char *expr, struct trec_err *err);
/* The tp_spec array for tp_capture_open (owned by the caller: free()). */
struct tp_spec *plan_specs(const struct plan *p);
void plan_free(struct plan *p);

#endif
