/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "table.h"

void hist_init(struct hist *h, uint64_t step)
{
	memset(h, 0, sizeof(*h));
	h->step = step;
}

void hist_free(struct hist *h)
{
	free(h->lin);
	free(h->fine);
	h->lin = h->fine = NULL;
}

static unsigned log2_bucket(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0;
}

static size_t fine_index(uint64_t v)
{
	if (v < (1u << HIST_SUB_BITS))
		return (size_t)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS */
	uint64_t sub = (v >> (e - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1);
	return ((size_t)(e - HIST_SUB_BITS + 1) << HIST_SUB_BITS) + (size_t)sub;
}

/* Largest value of a fine bucket. */
static uint64_t fine_upper(size_t i)
{
	if (i < (1u << HIST_SUB_BITS))
		return i;
	unsigned e = (unsigned)(i >> HIST_SUB_BITS) + HIST_SUB_BITS - 1;
	uint64_t sub = i & ((1u << HIST_SUB_BITS) - 1);
	uint64_t lo = ((uint64_t)1 << e) | (sub << (e - HIST_SUB_BITS));
	uint64_t width = (uint64_t)1 << (e - HIST_SUB_BITS);
	return lo + (width - 1);
}

#define FINE_BLOCK (1u << HIST_SUB_BITS)

/* Counts n at fine index i, widening the kept range of blocks as needed. */
static void fine_add(struct hist *h, size_t i, uint64_t n)
{
	unsigned b = (unsigned)(i >> HIST_SUB_BITS);
	if (!h->fine || b < h->fine_lo || b >= h->fine_lo + h->fine_n) {
		unsigned lo = h->fine ? (b < h->fine_lo ? b : h->fine_lo) : b;
		unsigned hi = h->fine ? (b >= h->fine_lo + h->fine_n ? b + 1 : h->fine_lo + h->fine_n) : b + 1;
		uint64_t *f = calloc((size_t)(hi - lo) * FINE_BLOCK, sizeof(*f));
		if (!f) {
			h->oom = 1;
			return;
		}
		if (h->fine)
			memcpy(f + (size_t)(h->fine_lo - lo) * FINE_BLOCK, h->fine,
			       (size_t)h->fine_n * FINE_BLOCK * sizeof(*f));
		free(h->fine);
		h->fine = f;
		h->fine_lo = lo;
		h->fine_n = hi - lo;
	}
	h->fine[i - (size_t)h->fine_lo * FINE_BLOCK] += n;
}

static void lin_add(struct hist *h, int64_t v, uint64_t n)
{
	/* floor division for negatives */
	int64_t step = (int64_t)h->step;
	int64_t k = v >= 0 ? v / step : -((-v + step - 1) / step);
	if (!h->lin) {
		if (!(h->lin = calloc(1, sizeof(*h->lin)))) {
			h->oom = 1;
			return;
		}
		h->lin_lo = k;
		h->nlin = 1;
	}
	int64_t lo = h->lin_lo, hi = lo + (int64_t)h->nlin - 1;
	if (k < lo || k > hi) {
		int64_t nlo = k < lo ? k : lo, nhi = k > hi ? k : hi;
		if ((uint64_t)(nhi - nlo) >= HIST_MAX_LINEAR) {
			h->lin_out += n;
			return;
		}
		size_t nn = (size_t)(nhi - nlo + 1);
		uint64_t *b = calloc(nn, sizeof(*b));
		if (!b) {
			h->oom = 1;
			return;
		}
		memcpy(b + (lo - nlo), h->lin, h->nlin * sizeof(*b));
		free(h->lin);
		h->lin = b;
		h->lin_lo = nlo;
		h->nlin = nn;
	}
	h->lin[k - h->lin_lo] += n;
}

void hist_add(struct hist *h, int64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (!h->count || v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
	fine_add(h, fine_index(v < 0 ? 0 : (uint64_t)v), 1);
	if (h->step) {
		lin_add(h, v, 1);
	} else if (v < 0) {
		h->negative++;
	} else {
		h->log2[log2_bucket((uint64_t)v)]++;
	}
}

int hist_merge(struct hist *a, const struct hist *b)
{
	if (!b->count)
		return 0;
	if (!a->count || b->min < a->min)
		a->min = b->min;
	if (!a->count || b->max > a->max)
		a->max = b->max;
	a->count += b->count;
	a->sum += b->sum;
	a->negative += b->negative;
	for (int i = 0; i < 65; i++)
		a->log2[i] += b->log2[i];
	for (size_t i = 0; b->fine && i < (size_t)b->fine_n * FINE_BLOCK; i++)
		if (b->fine[i])
			fine_add(a, (size_t)b->fine_lo * FINE_BLOCK + i, b->fine[i]);
	for (size_t i = 0; b->lin && i < b->nlin; i++)
		if (b->lin[i])
			lin_add(a, (b->lin_lo + (int64_t)i) * (int64_t)a->step, b->lin[i]);
	a->lin_out += b->lin_out;
	return a->oom ? -1 : 0;
}

int64_t hist_percentile(const struct hist *h, double p)
{
	if (!h->count || !h->fine)
		return 0;
	uint64_t rank = (uint64_t)((p / 100.0) * (double)h->count + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	uint64_t seen = 0;
	for (size_t i = 0; i < (size_t)h->fine_n * FINE_BLOCK; i++) {
		seen += h->fine[i];
		if (seen >= rank) {
			uint64_t up = fine_upper((size_t)h->fine_lo * FINE_BLOCK + i);
			return h->max >= 0 && up > (uint64_t)h->max ? h->max : (int64_t)up;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

size_t hist_nbuckets(const struct hist *h)
{
	return h->step ? (h->nlin ? h->nlin : 1) : 65;
}

size_t hist_buckets(const struct hist *h, struct hist_bucket *out, size_t cap)
{
	size_t n = 0;
	if (h->step) {
		for (size_t i = 0; h->lin && i < h->nlin && n < cap; i++) {
			int64_t lo = (h->lin_lo + (int64_t)i) * (int64_t)h->step;
			out[n++] = (struct hist_bucket){ lo, lo + (int64_t)h->step - 1, h->lin[i] };
		}
		return n;
	}
	int first = -1, last = -1;
	for (int i = 0; i < 65; i++)
		if (h->log2[i]) {
			if (first < 0)
				first = i;
			last = i;
		}
	for (int i = first; first >= 0 && i <= last && n < cap; i++) {
		int64_t lo = i == 0 ? 0 : (int64_t)((uint64_t)1 << (i - 1));
		int64_t hi = i == 0 ? 0 : i == 64 ? INT64_MAX : (int64_t)(((uint64_t)1 << i) - 1);
		out[n++] = (struct hist_bucket){ lo, hi, h->log2[i] };
	}
	return n;
}

/* Linear histograms can be long: text shows at most this many rows. */
#define TEXT_MAX_ROWS 200

void hist_print_text(const struct hist *h, struct outbuf *o, const char *unit, unsigned width)
{
	struct hist_bucket b[TEXT_MAX_ROWS];
	size_t n = hist_buckets(h, b, TEXT_MAX_ROWS);
	uint64_t peak = 0;
	size_t first = n, last = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i].count > peak)
			peak = b[i].count;
		if (b[i].count) {
			if (first == n)
				first = i;
			last = i;
		}
	}
	char lo[32], hi[32], range[72];
	size_t rw = strlen(unit) + 2;
	for (size_t i = first; i <= last && i < n; i++) {
		snprintf(lo, sizeof(lo), "%lld", (long long)b[i].lo);
		snprintf(hi, sizeof(hi), "%lld", (long long)b[i].hi);
		size_t l = strlen(lo) + strlen(hi) + 4;
		if (l > rw)
			rw = l;
	}
	/* range, count (10), " |", bar, "|" */
	int bar = (int)width - (int)rw - 16;
	if (bar < 10)
		bar = 10;
	if (bar > 40)
		bar = 40;
	outbuf_printf(o, "%*s %10s  distribution\n", (int)rw, unit, "count");
	for (size_t i = first; i <= last && i < n; i++) {
		snprintf(range, sizeof(range), "%lld -> %lld", (long long)b[i].lo, (long long)b[i].hi);
		int stars = peak ? (int)((b[i].count * (uint64_t)bar + peak - 1) / peak) : 0;
		outbuf_printf(o, "%*s %10llu |", (int)rw, range, (unsigned long long)b[i].count);
		for (int s = 0; s < bar; s++)
			outbuf_putc(o, s < stars ? '*' : ' ');
		outbuf_puts(o, "|\n");
	}
	if (n == TEXT_MAX_ROWS)
		outbuf_printf(o, "%*s (more buckets in --json/--csv)\n", (int)rw, "");
	if (h->negative)
		outbuf_printf(o, "%*s %10llu\n", (int)rw, "< 0", (unsigned long long)h->negative);
	if (h->lin_out)
		outbuf_printf(o, "%*s %10llu\n", (int)rw, "out of range", (unsigned long long)h->lin_out);
	outbuf_printf(o, "count %llu  mean %.1f  p50 %lld  p90 %lld  p99 %lld  max %lld (%s)\n",
		      (unsigned long long)h->count, hist_mean(h), (long long)hist_percentile(h, 50),
		      (long long)hist_percentile(h, 90), (long long)hist_percentile(h, 99), (long long)h->max, unit);
}

void hist_print_json(const struct hist *h, struct json *j, const char *unit)
{
	json_obj_begin(j);
	json_kv_str(j, "unit", unit);
	json_kv_str(j, "buckets_kind", h->step ? "linear" : "log2");
	if (h->step)
		json_kv_u64(j, "step", h->step);
	json_kv_u64(j, "count", h->count);
	json_key(j, "sum");
	json_double(j, h->sum);
	json_key(j, "min");
	json_i64(j, h->count ? h->min : 0);
	json_key(j, "max");
	json_i64(j, h->count ? h->max : 0);
	json_key(j, "mean");
	json_double(j, hist_mean(h));
	json_key(j, "p50");
	json_i64(j, hist_percentile(h, 50));
	json_key(j, "p90");
	json_i64(j, hist_percentile(h, 90));
	json_key(j, "p99");
	json_i64(j, hist_percentile(h, 99));
	json_kv_u64(j, "negative", h->negative);
	json_kv_u64(j, "out_of_range", h->lin_out);
	json_key(j, "buckets");
	json_arr_begin(j);
	size_t cap = hist_nbuckets(h);
	struct hist_bucket *b = malloc(cap * sizeof(*b));
	size_t n = b ? hist_buckets(h, b, cap) : 0;
	for (size_t i = 0; i < n; i++) {
		if (!b[i].count)
			continue;
		json_obj_begin(j);
		json_key(j, "lo");
		json_i64(j, b[i].lo);
		json_key(j, "hi");
		json_i64(j, b[i].hi);
		json_kv_u64(j, "count", b[i].count);
		json_obj_end(j);
	}
	free(b);
	json_arr_end(j);
	json_obj_end(j);
}

void hist_print_csv(const struct hist *h, struct outbuf *o, const char *label)
{
	size_t cap = hist_nbuckets(h);
	struct hist_bucket *b = malloc(cap * sizeof(*b));
	size_t n = b ? hist_buckets(h, b, cap) : 0;
	for (size_t i = 0; i < n; i++) {
		if (!b[i].count)
			continue;
		csv_field(o, label);
		outbuf_printf(o, ",%lld,%lld,%llu\n", (long long)b[i].lo, (long long)b[i].hi,
			      (unsigned long long)b[i].count);
	}
	free(b);
}
