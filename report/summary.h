/* SPDX-License-Identifier: MIT */
/*
 * The default report: a header per trace (host, kernel, command, time
 * span, events per type, losses) and one table of groups (--by pid, tid,
 * comm, cpu or event) with events per type, CPU samples, off-CPU time and
 * system calls. One unordered pass; memory grows with groups and types.
 */
#ifndef TREC_REPORT_SUMMARY_H
#define TREC_REPORT_SUMMARY_H

#include "json.h"
#include "outbuf.h"
#include "pass.h"
#include "source.h"
#include "table.h"

enum group_by { BY_PID, BY_TID, BY_COMM, BY_CPU, BY_EVENT, BY_CGROUP };

/* "pid" -> BY_PID...; -1 when unknown. */
int group_by_parse(const char *s);
extern const char *const group_by_names[];

struct summary;

/* 0 or -ENOMEM. */
int summary_new(struct summary **out, enum group_by by, int multi_host);
/* The summary as a sink of a pass (pass.h): it adds the files' events. */
struct pass_sink summary_sink(struct summary *s);
/* Builds the group table, with at most max_type_cols columns of events per
 * type (busiest first); `sort` names a column (NULL: events). 0, -ENOMEM,
 * or -EINVAL naming the columns when `sort` is not one. */
int summary_table(struct summary *s, struct table *t, const char *sort, uint32_t max_type_cols,
		  struct trec_err *err);
/* The per-trace header, as text or into an open JSON object ("traces"). */
void summary_header_text(struct rfile *f, struct outbuf *o);
void summary_header_json(struct rfile *f, struct json *j);
void summary_free(struct summary *s);

#endif
