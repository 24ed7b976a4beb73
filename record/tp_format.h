/* SPDX-License-Identifier: MIT */
/*
 * A tracepoint's format file parsed into a schema (tp_format.c): the text
 * of events/GROUP/NAME/format in, struct tp_format out. tracefs.h reads
 * the files (tracefs_format_load).
 */
#ifndef TREC_RECORD_TP_FORMAT_H
#define TREC_RECORD_TP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

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

void tp_format_free(struct tp_format *f);

/* 1 when a syscall argument of this name is on the string allowlist. */
int tracefs_is_str_arg_name(const char *name);

#endif
