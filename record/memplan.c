/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "memplan.h"

/* The part of the fixed memory (unwinder, flight recorder) that a default
 * budget already counts on; more than this raises the default budget, so
 * that --unwind-mem or --window-size alone never starves the rings. */
#define MEMPLAN_FIXED_IN_DEFAULT (32ull << 20)

static uint64_t pow2_floor(uint64_t v)
{
	uint64_t p = 1;
	while (v >= 2 * p)
		p *= 2;
	return v ? p : 0;
}

int memplan_compute(const struct memplan_in *in, struct memplan *p, struct trec_err *err)
{
	*p = (struct memplan){ 0 };
	uint32_t ncpus = in->ncpus ? in->ncpus : 1;
	uint64_t page = in->page_size ? in->page_size : 4096;
	uint64_t fixed = in->unwind_bytes + in->flight_bytes;
	p->ncpus = ncpus;
	p->unwind_bytes = in->unwind_bytes;
	p->flight_bytes = in->flight_bytes;
	p->budget_given = in->budget != 0;
	p->per_cpu_m = in->ring_bytes && !in->budget;
	uint64_t b = in->budget;
	if (!b)
		b = MEMPLAN_DEFAULT_BUDGET + (fixed > MEMPLAN_FIXED_IN_DEFAULT ? fixed - MEMPLAN_FIXED_IN_DEFAULT : 0);

	/* The side-band: process starts and mappings, a low rate. */
	p->sb_pages = MEMPLAN_SB_PAGES;
	while (p->sb_pages > MEMPLAN_SB_MIN_PAGES && (uint64_t)ncpus * p->sb_pages * page > b / 16)
		p->sb_pages /= 2;
	p->sb_bytes = (uint64_t)ncpus * (p->sb_pages + 1) * page; /* + the header page */

	/* The writer: the queue, the pool and an open block per CPU stream. */
	uint64_t nblocks = MEMPLAN_QUEUE_BLOCKS + 2 + ncpus;
	p->block_bytes = MEMPLAN_BLOCK_MAX;
	while (p->block_bytes > MEMPLAN_BLOCK_MIN && nblocks * p->block_bytes > b / 4)
		p->block_bytes /= 2;
	p->writer_bytes = nblocks * p->block_bytes;

	uint64_t others = fixed + p->sb_bytes + p->writer_bytes;
	uint64_t left = b > others ? b - others : 0;
	uint64_t s = in->ring_bytes;
	uint64_t cap = in->ring_cap && in->ring_cap < MEMPLAN_RING_MAX_AUTO ? in->ring_cap : MEMPLAN_RING_MAX_AUTO;
	uint32_t n;
	if (in->force_rings) {
		n = in->force_rings;
		if (!s) {
			s = pow2_floor(left / n);
			s = s > cap ? cap : s;
			s = s < MEMPLAN_RING_MIN_AUTO ? MEMPLAN_RING_MIN_AUTO : s;
		}
	} else if (p->per_cpu_m) {
		n = ncpus;
	} else {
		if (!s) {
			s = pow2_floor(left / ncpus);
			s = s > cap ? cap : s;
			s = s < MEMPLAN_RING_MIN_AUTO ? MEMPLAN_RING_MIN_AUTO : s;
		}
		uint64_t fit = left / s;
		if (!fit) {
			if (p->budget_given)
				return trec_errf(err, -EINVAL,
						 "--memory %llu MiB is too small: the unwinder, flight recorder, side-band "
						 "and writer take %llu MiB, and one %llu KiB ring more is needed",
						 (unsigned long long)(b >> 20), (unsigned long long)(others >> 20),
						 (unsigned long long)(s >> 10));
			fit = 1;
		}
		n = fit < ncpus ? (uint32_t)fit : ncpus;
		if (n > MEMPLAN_MAX_RINGS)
			n = MEMPLAN_MAX_RINGS;
	}
	if (n > MEMPLAN_MAX_RINGS)
		return trec_errf(err, -EINVAL, "--rings %u: at most %u rings", n, MEMPLAN_MAX_RINGS);
	/* k neighbouring CPUs per ring; n again so that no ring is left empty
	 * (unless --rings asked for more rings than CPUs). */
	p->cpus_per_ring = n >= ncpus ? 1 : (ncpus + n - 1) / n;
	if (n < ncpus)
		n = (ncpus + p->cpus_per_ring - 1) / p->cpus_per_ring;
	p->nrings = n;
	p->ring_bytes = s;
	p->rings_bytes = (uint64_t)n * s;
	p->total = others + p->rings_bytes;
	p->budget = p->per_cpu_m ? p->total : b;
	return 0;
}

/* Sizes as a person writes them: 512 KiB, 8 MiB, 1.5 GiB; none for 0. */
static void put_size(char *buf, size_t len, uint64_t v)
{
	if (!v)
		snprintf(buf, len, "none");
	else if (v >= (1ull << 30))
		snprintf(buf, len, "%.1f GiB", (double)v / (1ull << 30));
	else if (v >= (1ull << 20) && v % (1ull << 20))
		snprintf(buf, len, "%.1f MiB", (double)v / (1ull << 20));
	else if (v >= (1ull << 20))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
}

void memplan_describe(const struct memplan *p, char *buf, size_t len)
{
	char tot[24], bud[24], ring[24], sb[24], wr[24], uw[24], fl[24];
	put_size(tot, sizeof(tot), p->total);
	put_size(bud, sizeof(bud), p->budget);
	put_size(ring, sizeof(ring), p->ring_bytes);
	put_size(sb, sizeof(sb), p->sb_bytes);
	put_size(wr, sizeof(wr), p->writer_bytes);
	put_size(uw, sizeof(uw), p->unwind_bytes);
	put_size(fl, sizeof(fl), p->flight_bytes);
	const char *bound = p->per_cpu_m ? " (-m per CPU)" : p->budget_given ? " (--memory)" : "";
	snprintf(buf, len,
		 "memory %s of %s%s: %u ring%s x %s for %u CPU%s (%u per ring), side-band %s, writer %s, "
		 "unwinder %s, flight recorder %s",
		 tot, bud, bound, p->nrings, p->nrings == 1 ? "" : "s", ring, p->ncpus, p->ncpus == 1 ? "" : "s",
		 p->cpus_per_ring, sb, wr, uw, fl);
}
