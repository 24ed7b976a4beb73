/* SPDX-License-Identifier: MIT */
/*
 * One event's payload, decoded through its schema, as text or JSON.
 *
 * Text (`trec script`), perf-like: space-separated name=value pairs.
 *   INT/UINT    decimal                    prev_pid=42
 *               (trec script gives the integer fields that the tracepoint's
 *               print fmt shows in hex the HEX kind in its own copy of the
 *               schema: report/script.c, print_fmt.h)
 *   HEX         0x-prefixed hex            ip=0xffffffff81000000
 *   strings     bare when they are printable ASCII without spaces, '"',
 *               '\\' or '='; otherwise double-quoted with C escapes
 *               (\" \\ \n \t \xNN), so a line always splits unambiguously
 *                                          comm=bash  comm="Web Content"
 *   BYTES       hex digits, two per byte   data=0a1bff
 *   arrays      [a, b, c]
 *   unreadable  ? (payload shorter than the field claims)
 * Fields named common_* (the tracefs header: type, flags, preempt count,
 * pid) are left out, as perf does: the line already shows pid and cpu.
 *
 * JSON: an object of every field, common_* included (JSON output is for
 * programs, and keeps everything). INT/UINT are numbers; HEX are strings
 * "0x..." (addresses exceed the 2^53 that JSON readers keep exactly);
 * strings are strings; BYTES are hex strings; arrays are arrays; a field
 * the payload is too short for is null.
 */
#ifndef TREC_EVENT_FMT_H
#define TREC_EVENT_FMT_H

#include "events.h"
#include "json.h"
#include "outbuf.h"
#include "schema.h"

/* Fields of `ev` as text after a leading space for each pair; with no
 * schema: " size=N" (the payload is not interpretable). `swap` as
 * trec_reader_swap(). */
void evfmt_text(struct outbuf *o, const struct trec_schema *s, const struct trec_event *ev,
		int swap);
/* A thread's name for a text line, padded to 16 columns: as is, but any
 * unprintable byte (prctl allows any) shown as '?' so it cannot break the
 * line; NULL (unknown) as perf spells it, ":TID". */
void evfmt_comm_text(struct outbuf *o, const char *comm, uint32_t tid);

/* Fields of `ev` as one JSON object value (the caller writes the key);
 * with no schema, null. */
void evfmt_json(struct json *j, const struct trec_schema *s, const struct trec_event *ev,
		int swap);

/* Whether a field is tracefs's per-event header, hidden in text output. */
int evfmt_is_common(const struct trec_field *f);

#endif
