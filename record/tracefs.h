/* SPDX-License-Identifier: MIT */
/*
 * tracefs: where the kernel describes its tracepoints.
 *
 *  - tracefs_root() finds the mount (/sys/kernel/tracing, a tracefs entry
 *    in /proc/mounts, or the old /sys/kernel/debug/tracing).
 *  - tracefs_list() lists tracepoints as sorted "group:name" strings,
 *    optionally filtered by a glob; tracefs_suggest() finds the closest
 *    names to a mistyped one.
 *  - tracefs_format_load() reads events/GROUP/NAME/format and parses it
 *    with tracefs_format_parse() (tp_format.h, tp_format.c) into a struct
 *    tp_format: the tracepoint id, the raw text (kept for the trace's
 *    metadata) and a struct trec_schema describing the record the kernel
 *    hands to a tracepoint BPF program.
 *
 * Conventions as in format/: functions return 0 (or a count) or a negative
 * errno and, given a struct trec_err, a sentence naming what failed and
 * where. Format text is treated as untrusted: every read is bounded and a
 * malformed file costs an -EINVAL naming the line, never a crash.
 */
#ifndef TREC_RECORD_TRACEFS_H
#define TREC_RECORD_TRACEFS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "schema.h"
#include "tp_format.h"

/* ---- finding the mount ------------------------------------------------ */

/*
 * Writes the tracefs directory (the one holding events/) to buf. -ENOENT
 * with a message saying how to mount it when there is none, -EACCES when
 * it exists but is not readable, -ENAMETOOLONG when buf is too small.
 */
int tracefs_root(char *buf, size_t len, struct trec_err *err);

/* ---- listing ---------------------------------------------------------- */

struct tp_list {
	char **names;        /* "group:name", sorted by strcmp */
	size_t n;
	struct tarena arena; /* owns the strings */
};

/*
 * All tracepoints under root/events (root NULL: tracefs_root()) matching
 * glob: fnmatch(3) over "group:name"; a glob without ':' is matched
 * against the name alone, so "*switch*" works like "*:*switch*". glob
 * NULL or "" lists everything. The ftrace group is left out: its events
 * (function, print, ...) describe ftrace's own records and cannot be
 * attached as tracepoints. -ENOENT with a message when nothing matches.
 * Free with tp_list_free() (also after an error).
 */
int tracefs_list(const char *root, const char *glob, struct tp_list *out, struct trec_err *err);
void tp_list_free(struct tp_list *l);

/* 1 when the list holds "group:name" exactly (binary search), else 0. */
int tp_list_contains(const struct tp_list *l, const char *full);

/*
 * Up to k names of `all` closest to `unknown` (a "group:name" or a bare
 * name), by edit distance (with transpositions) over "group:name" and
 * over the name part alone, whichever is smaller; names too far away to
 * be a typo are left out. out[] receives pointers into all, closest first
 * (ties in list order). Returns how many were written.
 */
size_t tracefs_suggest(const struct tp_list *all, const char *unknown, const char **out, size_t k);

/* Optimal string alignment distance between a and b; only the first 128
 * bytes of each count (plenty for tracepoint names). */
unsigned tracefs_edit_distance(const char *a, const char *b);

/*
 * Splits "group:name" (or "group/name") into its parts, each a valid
 * directory name: [A-Za-z0-9_.-], not "." or "..", at most
 * TRACEFS_NAME_MAX bytes and fitting its buffer. -EINVAL with a message
 * otherwise.
 */
int tracefs_split(const char *full, char *group, size_t glen, char *name, size_t nlen,
		  struct trec_err *err);

/* ---- formats (parsed by tp_format.c) ---------------------------------- */

/*
 * Reads root/events/group/name/format (root NULL: tracefs_root()) and
 * parses it. An unknown tracepoint is -ENOENT, with "did you mean ...?"
 * when close names exist; a file over TRACEFS_FORMAT_MAX is -EFBIG.
 */
int tracefs_format_load(const char *root, const char *group, const char *name, struct tp_format *out,
			struct trec_err *err);

#endif
