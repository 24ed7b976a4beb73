/* SPDX-License-Identifier: MIT */
/*
 * The event rate over time, per event type (the first RATE_SERIES type
 * names met, the rest as "other"), in RATE_BINS bins spanning the
 * filtered time of every input: what --plot-rate draws (plot.h).
 */
#ifndef TREC_REPORT_RATE_H
#define TREC_REPORT_RATE_H

#include <stdint.h>

#include "errors.h"
#include "pass.h"
#include "plot.h"
#include "source.h"

#define RATE_BINS 200
#define RATE_SERIES 8

struct rate;

/* Bins spanning the files of s (their totals within their --time
 * window). 0 or -ENOMEM; *out is set either way (free it). */
int rate_new(struct rate **out, const struct source *s, struct trec_err *err);
/* The rate as a sink of a pass (pass.h). */
struct pass_sink rate_sink(struct rate *r);
/* The series with events (at most RATE_SERIES + 1) and the bin width;
 * -ENODATA when no events span any time. The names and bins belong to r
 * (and the source's schemas). */
int rate_series(const struct rate *r, struct rate_series *s, uint32_t *n, uint64_t *bin_ns);
void rate_free(struct rate *r);

#endif
