/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rate.h"

struct rate {
	uint64_t first, last, bin;
	uint64_t *bins;           /* (RATE_SERIES + 1) * RATE_BINS: the last series is "other" */
	const char *names[RATE_SERIES];
	uint32_t ns;
	int *series;              /* the file being read: type id -> series */
};

int rate_new(struct rate **out, const struct source *s, struct trec_err *err)
{
	struct rate *r = calloc(1, sizeof(*r));
	*out = r;
	if (!r)
		return trec_errf(err, -ENOMEM, "out of memory");
	r->first = UINT64_MAX;
	for (size_t i = 0; i < s->n; i++) {
		const struct rfile *f = &s->files[i];
		const struct trec_totals *tot;
		if (trec_reader_totals(f->r, &tot, NULL) == 0 && tot->events) {
			uint64_t a = tot->first_ts > f->f.start_ts ? tot->first_ts : f->f.start_ts;
			uint64_t b = tot->last_ts < f->f.end_ts ? tot->last_ts : f->f.end_ts;
			if (a < r->first)
				r->first = a;
			if (b > r->last)
				r->last = b;
		}
	}
	if (r->first < r->last)
		r->bin = (r->last - r->first) / RATE_BINS + 1;
	r->bins = calloc((size_t)(RATE_SERIES + 1) * RATE_BINS, sizeof(*r->bins));
	return r->bins ? 0 : trec_errf(err, -ENOMEM, "out of memory");
}

void rate_free(struct rate *r)
{
	if (!r)
		return;
	free(r->bins);
	free(r->series);
	free(r);
}

static int rate_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct rate *r = ctx;
	(void)need;    /* rates read no payload */
	(void)ordered; /* nor need order */
	if (!r->bin)
		return 0; /* no time to spread events over */
	free(r->series);
	r->series = calloc(f->ntypes ? f->ntypes : 1, sizeof(*r->series));
	if (!r->series)
		return trec_errf(err, -ENOMEM, "out of memory");
	/* Series by type name, across files. */
	for (uint32_t t = 0; t < f->ntypes; t++) {
		if (!f->by_id[t])
			continue;
		uint32_t k;
		for (k = 0; k < r->ns && strcmp(r->names[k], f->by_id[t]->name); k++)
			;
		if (k == r->ns && r->ns < RATE_SERIES)
			r->names[r->ns++] = f->by_id[t]->name;
		r->series[t] = k < RATE_SERIES ? (int)k : RATE_SERIES; /* the rest: "other" */
	}
	return 1;
}

static int rate_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	struct rate *r = ctx;
	(void)err;
	if (ev->type >= f->ntypes || ev->ts < r->first || ev->ts > r->last)
		return 0;
	uint64_t b = (ev->ts - r->first) / r->bin;
	r->bins[(size_t)r->series[ev->type] * RATE_BINS + (b < RATE_BINS ? b : RATE_BINS - 1)]++;
	return 0;
}

static int rate_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	struct rate *r = ctx;
	(void)f;
	(void)err;
	free(r->series);
	r->series = NULL;
	return 0;
}

struct pass_sink rate_sink(struct rate *r)
{
	return (struct pass_sink){ .ctx = r, .begin = rate_begin, .event = rate_event, .end = rate_end };
}

int rate_series(const struct rate *r, struct rate_series *s, uint32_t *n, uint64_t *bin_ns)
{
	if (!r->bin)
		return -ENODATA;
	uint32_t k = 0;
	for (uint32_t i = 0; i < r->ns; i++)
		s[k++] = (struct rate_series){ .name = r->names[i], .bins = r->bins + (size_t)i * RATE_BINS };
	int other = 0;
	for (uint32_t b = 0; b < RATE_BINS; b++)
		other |= r->bins[(size_t)RATE_SERIES * RATE_BINS + b] != 0;
	if (other)
		s[k++] = (struct rate_series){ .name = "other", .bins = r->bins + (size_t)RATE_SERIES * RATE_BINS };
	*n = k;
	*bin_ns = r->bin;
	return 0;
}
