/* SPDX-License-Identifier: MIT */
/*
 * The recorder's memory (memplan.h) for one session: planned from the CPU
 * count and the options before anything is allocated, printed with -v,
 * and kept in each file's metadata ("record.memory.*") for `trec info`.
 */
#include <bpf/libbpf.h>

#include "session_int.h"
#include "unwind_abi.h" /* struct trec_uw_row: the unwinder's rows map */

static uint64_t unwind_rows_bytes(const struct rec_opts *o)
{
	if (!(o->profile || o->stacks || o->offcpu) || o->fp_only)
		return 0;
	uint64_t budget = o->unwind_mem ? o->unwind_mem : UNWIND_DEFAULT_BUDGET;
	return budget / sizeof(struct trec_uw_row) * sizeof(struct trec_uw_row);
}

/* CPU samples and nothing else: a rate the frequency bounds. */
static int sampling_only(const struct rec_opts *o)
{
	return o->profile && !o->offcpu && (!o->plan || !o->plan->n) && (!o->probes || !o->probes->n);
}

int session_plan_memory(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return trec_errf(err, ncpu ? ncpu : -EINVAL, "cannot count CPUs: %s", strerror(ncpu ? -ncpu : EINVAL));
	long page = sysconf(_SC_PAGESIZE);
	struct memplan_in in = {
		.ncpus = (uint32_t)ncpu, .page_size = page > 0 ? (uint64_t)page : 4096, .budget = o->memory,
		.ring_bytes = o->ring_bytes, .force_rings = o->rings, .unwind_bytes = unwind_rows_bytes(o),
		.ring_cap = sampling_only(o) ? MEMPLAN_RING_SAMPLING : 0,
		.flight_bytes = o->overwrite ? (o->window_bytes ? o->window_bytes : FLIGHT_DEFAULT_BYTES) +
						       FLIGHT_SIDEBAND_BYTES
					     : 0,
	};
	int e = memplan_compute(&in, &s->mem, err);
	if (e)
		return e;
	if (o->verbose) {
		char line[400];
		memplan_describe(&s->mem, line, sizeof(line));
		trec_print(TREC_INFO, "trec record: %s\n", line);
	}
	return 0;
}

/* The unwinder as created: its rows map's real size (none when it could
 * not be created and stacks fall back to frame pointers). */
void session_memory_unwinder(struct rec_session *s)
{
	uint64_t bytes = 0;
	if (s->uw) {
		struct unwind_stats st;
		unwind_stats(s->uw, &st);
		bytes = st.rows_capacity * sizeof(struct trec_uw_row);
	}
	s->mem.total = s->mem.total - s->mem.unwind_bytes + bytes;
	s->mem.unwind_bytes = bytes;
}

int session_write_memory_meta(struct rec_session *s)
{
	const struct memplan *p = &s->mem;
	struct trec_meta_kv kv[] = {
		{ .key = "record.memory.total", .type = TREC_META_U64, .v.u64 = p->total },
		{ .key = "record.memory.budget", .type = TREC_META_U64, .v.u64 = p->budget },
		{ .key = "record.memory.cpus", .type = TREC_META_U64, .v.u64 = p->ncpus },
		{ .key = "record.memory.rings", .type = TREC_META_U64, .v.u64 = p->nrings },
		{ .key = "record.memory.cpus_per_ring", .type = TREC_META_U64, .v.u64 = p->cpus_per_ring },
		{ .key = "record.memory.ring_bytes", .type = TREC_META_U64, .v.u64 = p->ring_bytes },
		{ .key = "record.memory.sideband_bytes", .type = TREC_META_U64, .v.u64 = p->sb_bytes },
		{ .key = "record.memory.writer_bytes", .type = TREC_META_U64, .v.u64 = p->writer_bytes },
		{ .key = "record.memory.unwind_bytes", .type = TREC_META_U64, .v.u64 = p->unwind_bytes },
		{ .key = "record.memory.flight_bytes", .type = TREC_META_U64, .v.u64 = p->flight_bytes },
	};
	return trec_writer_add_meta(s->w, kv, sizeof(kv) / sizeof(kv[0]));
}
