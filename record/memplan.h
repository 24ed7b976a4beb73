/* SPDX-License-Identifier: MIT */
/*
 * How much memory the recorder takes, and how it is shared out: one pure
 * function from the CPU count and the options (-m, --memory, --rings) to
 * the number of event rings, how many CPUs share each, their size, the
 * side-band's and the writer's buffers, and the total.
 *
 * The rule (docs/RECORD.md, "Memory"):
 *   B = --memory (default 256 MiB), a bound for the whole recorder.
 *   Fixed parts first: the unwinder's rows (--unwind-mem) and, with
 *   --overwrite, the flight recorder's window (--window-size + 16 MiB).
 *   Side-band: 512 KiB per CPU, halved while it passes B/16 (floor 32 KiB).
 *   Writer: (8 queued + 2 pooled + 1 open per CPU) blocks of 1 MiB, the
 *   block halved while that passes B/4 (floor 128 KiB).
 *   Rings get what is left, R. Ring size s: -m when given, else the
 *   largest power of two <= min(8 MiB, R / ncpus), at most 2 MiB for a
 *   recording of CPU samples alone, at least 1 MiB (four
 *   times the 256 KiB that wakes the consumer). Rings n = min(ncpus, R / s),
 *   at least 1; k = ceil(ncpus / n) neighbouring CPUs share a ring.
 *   -m without --memory keeps perf's meaning: a buffer of that size per CPU.
 *   --rings N (a test and bench knob) forces N rings: fewer than the CPUs
 *   groups them, more leaves the extra rings idle (the consumer still
 *   polls them).
 */
#ifndef TREC_MEMPLAN_H
#define TREC_MEMPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define MEMPLAN_DEFAULT_BUDGET (256ull << 20)
#define MEMPLAN_RING_MAX_AUTO (8ull << 20)
#define MEMPLAN_RING_MIN_AUTO (1ull << 20)
/* The largest ring for a recording of CPU samples alone: their rate is
 * the frequency times the CPUs a ring serves (999 Hz of 30-frame stacks:
 * about 0.3 MB/s per CPU), not what a tracepoint storm can write, and
 * perf's own default buffer is 516 KiB per CPU. */
#define MEMPLAN_RING_SAMPLING (2ull << 20)
#define MEMPLAN_MAX_RINGS 4096u
#define MEMPLAN_SB_PAGES 128u      /* side-band pages per CPU at most (512 KiB of 4 KiB pages) */
#define MEMPLAN_SB_MIN_PAGES 8u
#define MEMPLAN_BLOCK_MAX (1ull << 20)
#define MEMPLAN_BLOCK_MIN (128ull << 10)
#define MEMPLAN_QUEUE_BLOCKS 8u    /* the writer's default queue_blocks */

struct memplan_in {
	uint32_t ncpus;        /* possible CPUs, >= 1 */
	uint64_t page_size;    /* 0: 4096 */
	uint64_t budget;       /* --memory; 0: MEMPLAN_DEFAULT_BUDGET */
	uint64_t ring_bytes;   /* -m (a power of two); 0: by the rule */
	uint32_t force_rings;  /* --rings; 0: by the rule */
	uint64_t unwind_bytes; /* the unwinder's rows map (0: none) */
	uint64_t flight_bytes; /* --overwrite's window and its side-band (0: none) */
	uint64_t ring_cap;     /* largest ring the rule picks; 0: MEMPLAN_RING_MAX_AUTO */
};

struct memplan {
	uint64_t budget;        /* B; for -m alone: what the plan adds up to */
	int budget_given;       /* --memory was given */
	int per_cpu_m;          /* -m alone: perf's meaning, one ring per CPU */
	uint32_t ncpus;
	uint32_t nrings;
	uint32_t cpus_per_ring; /* k: CPU c writes into ring c / k */
	uint64_t ring_bytes;    /* each */
	uint64_t rings_bytes;   /* all of them */
	uint32_t sb_pages;      /* side-band pages per CPU */
	uint64_t sb_bytes;
	uint64_t block_bytes;   /* the writer's block */
	uint64_t writer_bytes;
	uint64_t unwind_bytes;
	uint64_t flight_bytes;
	uint64_t total;
};

/* 0, or -EINVAL with `err` saying why (a --memory too small for the
 * fixed parts and one smallest ring). */
int memplan_compute(const struct memplan_in *in, struct memplan *out, struct trec_err *err);

/* The ring CPU `cpu` writes into. */
static inline uint32_t memplan_ring_of(const struct memplan *p, uint32_t cpu)
{
	return cpu / p->cpus_per_ring;
}

/* One line: "memory 61.5 MiB of 256 MiB: 2 rings x 8 MiB (1 CPU each), ..." */
void memplan_describe(const struct memplan *p, char *buf, size_t len);

#endif
