/* SPDX-License-Identifier: MIT */
/*
 * Dynamic probe specifications as the user writes them after -e, in
 * bpftrace's spelling:
 *
 *   u:PATH:FUNC   uprobe:PATH:FUNC       function entry (FUNC, FUNC+OFF, 0xADDR, a glob)
 *   ur:PATH:FUNC  uretprobe:PATH:FUNC    function return
 *   usdt:PATH:PROVIDER:NAME              USDT probe (globs on PROVIDER and NAME)
 *   usdt:PATH:NAME                       USDT probe of any provider
 *   k:FUNC        kprobe:FUNC            kernel function entry (FUNC or FUNC+OFF)
 *   kr:FUNC       kretprobe:FUNC         kernel function return
 *   fentry:FUNC   fexit:FUNC             kernel function entry/return, BPF trampolines
 *
 * PATH is a file path (it has a '/') or a library or program name
 * (libc, c, bash) resolved later (probe_path.h). A PATH may itself hold
 * ':' (the FUNC is after the last one; a USDT's PROVIDER and NAME after
 * the last two). This module only parses: nothing here touches a file.
 */
#ifndef TREC_RECORD_PROBE_SPEC_H
#define TREC_RECORD_PROBE_SPEC_H

#include <stdint.h>

#include "errors.h"

enum probe_kind {
	PROBE_UPROBE = 1,
	PROBE_URETPROBE,
	PROBE_USDT,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
	PROBE_FENTRY,
	PROBE_FEXIT,
	PROBE_KIND_MAX = PROBE_FEXIT,
};

#define PROBE_PATH_MAX 4096
#define PROBE_NAME_MAX 1024 /* function, provider or USDT name (C++ names are long) */

struct probe_spec {
	int kind;                   /* enum probe_kind */
	char path[PROBE_PATH_MAX];  /* uprobes and USDT: as given */
	char provider[PROBE_NAME_MAX]; /* USDT; "" = any provider */
	char func[PROBE_NAME_MAX];  /* function, glob or USDT name; "" for 0xADDR */
	uint64_t off;               /* FUNC+OFF */
	uint64_t addr;              /* 0xADDR */
	int has_off, has_addr;
	int glob;                   /* func (or provider) has *, ? or [ */
	uint32_t strmask;           /* --arg 'argN:str': bit N */
};

/* The kind an -e argument names by its prefix ("u:", "uretprobe:", "usdt:",
 * "k:", "fentry:", ...), or 0 when it is not a probe (a tracepoint). */
int probe_spec_kind(const char *s);

/* Parses an -e argument. 0, or -EINVAL with a message quoting it and
 * saying which form was expected. */
int probe_spec_parse(const char *s, struct probe_spec *out, struct trec_err *err);

/*
 * Applies one --arg to a spec: "argN:str" reads argument N (0-5; USDT
 * 0-11) as a string pointer. Several may be given comma-separated
 * ("arg0:str,arg2:str"). Return probes take none. 0 or -EINVAL.
 */
int probe_spec_arg(struct probe_spec *sp, const char *arg, struct trec_err *err);

/* "uprobe", "uretprobe", "usdt", "kprobe", "kretprobe", "fentry", "fexit". */
const char *probe_kind_name(int kind);
/* Whether a kind probes user space (has a PATH). */
int probe_kind_is_user(int kind);
/* Whether a kind is a return probe (its record holds `ret`). */
int probe_kind_is_return(int kind);

#endif
