/* SPDX-License-Identifier: MIT */
/*
 * Histograms of integer values in constant memory: power-of-two buckets
 * (BCC's log2 look) or linear buckets of a given step, plus count, sum,
 * min and max, and percentiles from a finer log-linear histogram kept
 * alongside (32 sub-buckets per power of two: a percentile is the upper
 * edge of its sub-bucket, within 1/32 of the true value and never above
 * the maximum).
 */
#ifndef TREC_REPORT_HIST_H
#define TREC_REPORT_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "outbuf.h"

#define HIST_SUB_BITS 5
#define HIST_FINE (64 << HIST_SUB_BITS)
#define HIST_MAX_LINEAR (1u << 20) /* linear buckets between min and max */

struct hist {
	uint64_t step;          /* 0: log2 buckets */
	uint64_t count;
	uint64_t negative;      /* log2: values below 0 (counted, not bucketed) */
	int64_t min, max;
	double sum;
	uint64_t log2[65];      /* [0] = value 0, [k] = 2^(k-1) .. 2^k - 1 */
	uint64_t *lin;          /* linear: buckets lin_lo .. lin_lo + nlin - 1 */
	int64_t lin_lo;
	size_t nlin;
	uint64_t lin_out;       /* values beyond HIST_MAX_LINEAR buckets of range */
	/* Counters of the finer histogram, HIST_FINE of them in all, of which
	 * only the powers of two seen are kept: 32 per power, from fine_lo. */
	uint64_t *fine;
	unsigned fine_lo, fine_n; /* in blocks of 32 */
	int oom;
};

/* step 0: log2 buckets. */
void hist_init(struct hist *h, uint64_t step);
void hist_free(struct hist *h);
void hist_add(struct hist *h, int64_t v);
/* p in [0, 100]; 0 when empty. Negative values count as 0 here. */
int64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);
/* Merges b into a (same step). */
int hist_merge(struct hist *a, const struct hist *b);

struct hist_bucket {
	int64_t lo, hi;
	uint64_t count;
};
/* Most buckets hist_buckets can return. */
size_t hist_nbuckets(const struct hist *h);
/* The buckets in order, empty ones inside the range included; their number. */
size_t hist_buckets(const struct hist *h, struct hist_bucket *out, size_t cap);

/* Text: a header line naming `unit`, one line per non-empty stretch of
 * buckets (range, count, bar scaled to `width` columns), then the summary
 * line (count, mean, p50, p90, p99, max). */
void hist_print_text(const struct hist *h, struct outbuf *o, const char *unit, unsigned width);
/* JSON object: unit, count, sum, min, max, mean, p50/p90/p99, buckets [{lo, hi, count}]. */
void hist_print_json(const struct hist *h, struct json *j, const char *unit);
/* CSV rows "label,lo,hi,count" per bucket (the caller writes the header). */
void hist_print_csv(const struct hist *h, struct outbuf *o, const char *label);

#endif
