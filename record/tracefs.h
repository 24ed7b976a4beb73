/* SPDX-License-Identifier: MIT */
/*
 * tracefs: where the kernel describes its tracepoints.
 *
 *  - tracefs_root() finds the mount (/sys/kernel/tracing, a tracefs entry
 *    in /proc/mounts, or the old /sys/kernel/debug/tracing).
 *  - tracefs_list() lists tracepoints as sorted "group:name" strings,
 *    optionally filtered by a glob; tracefs_suggest() finds the closest
 *    names to a mistyped one.
 *  - tracefs_format_parse() turns the text of events/GROUP/NAME/format
 *    into a struct tp_format: the tracepoint id, the raw text (kept for
 *    the trace's metadata) and a struct trec_schema describing the record
 *    the kernel hands to a tracepoint BPF program. tracefs_format_load()
 *    reads and parses the file.
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

/* Largest format file accepted. Real ones are at most a few KiB; the cap
 * keeps a hostile or broken file from costing unbounded memory. */
#define TRACEFS_FORMAT_MAX (64 * 1024)

/* Largest offset + size a field may reach. Tracepoint records live in a
 * ring buffer page (< 4 KiB); 64 KiB leaves room while keeping every
 * offset in the u16 the BPF filter program uses. */
#define TRACEFS_RECORD_MAX 65535u

/* Longest group or tracepoint name (a directory name). */
#define TRACEFS_NAME_MAX 255

/* Syscall string arguments reported per tracepoint (a syscall has at most
 * six arguments). */
#define TP_MAX_STR_ARGS 6

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

/* ---- formats ---------------------------------------------------------- */

/* A syscall argument that is a user-space string the recorder may copy. */
struct tp_str_arg {
	uint32_t offset;  /* of the pointer in the record */
	const char *name; /* field name, e.g. "filename" */
};

struct tp_format {
	uint32_t id;       /* the ID: line, which records carry as common_type */
	const char *group;
	const char *name;
	const char *text;  /* the format text as given, NUL-terminated */
	size_t text_len;
	/* name "group:name", probe "tracepoint:group:name"; schema.id is 0
	 * for the caller to assign. */
	struct trec_schema schema;
	/* A trailing flexible array ("char buf[]", size 0) has no place in the
	 * fixed part: its name is kept here (NULL when there is none) and its
	 * bytes are the payload's variable tail, from tail_offset. */
	const char *tail_name;
	uint32_t tail_offset;
	/* syscalls:sys_enter_* only: pointer arguments naming user strings
	 * (see docs/FILTERS.md, "Syscall string arguments"). */
	uint32_t nstr_args;
	struct tp_str_arg str_args[TP_MAX_STR_ARGS];
	void *mem;         /* one allocation owning everything above */
};

/*
 * Parses a format file's text (len bytes, need not be NUL-terminated).
 * group and name say which tracepoint it is (the name: line must agree).
 * 0, -EINVAL (the message names the line), or -ENOMEM. On error *out is
 * zeroed (tp_format_free is harmless on it).
 */
int tracefs_format_parse(const char *text, size_t len, const char *group, const char *name,
			 struct tp_format *out, struct trec_err *err);

/*
 * Reads root/events/group/name/format (root NULL: tracefs_root()) and
 * parses it. An unknown tracepoint is -ENOENT, with "did you mean ...?"
 * when close names exist; a file over TRACEFS_FORMAT_MAX is -EFBIG.
 */
int tracefs_format_load(const char *root, const char *group, const char *name, struct tp_format *out,
			struct trec_err *err);

void tp_format_free(struct tp_format *f);

/* 1 when a syscall argument of this name is on the string allowlist. */
int tracefs_is_str_arg_name(const char *name);

#endif
