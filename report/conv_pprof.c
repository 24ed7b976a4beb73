/* SPDX-License-Identifier: MIT */
/*
 * --to pprof: the events with stacks as one gzipped profile.proto
 * (github.com/google/pprof proto/profile.proto; field numbers below),
 * what go tool pprof, Pyroscope, Parca, Grafana and speedscope read.
 *
 * Value columns (sample_type), those of the kinds present, in this order:
 *   samples/count       CPU samples (cpu-clock or cycles events)
 *   cpu/nanoseconds     their periods, for cpu-clock (ns)
 *   cycles/count        their periods, for cycles
 *   off_cpu/nanoseconds off-CPU time (offcpu events' delta_ns)
 *   events/count        any other event with a stack (tracepoints, probes)
 * Every sample has a value in each column (0 where its kind has none) and
 * string labels pid, tid, comm, host and event (the type's name: which of
 * several other events a stack belongs to); labels are strings because
 * Pyroscope and Parca index string labels only. default_sample_type is
 * the first of cpu, cycles, off_cpu, events present.
 *
 * A sample is one (file, pid, tid, comm, event type, stack, address-space
 * generation) with its values summed. Frames, leaf first, become
 * locations keyed by (mapping, address, function): user frames point to a
 * mapping with the file's path, build-id, start, limit and offset; kernel
 * frames to one "[kernel.kallsyms]" mapping over the upper half. Function
 * names are the same text trec report --folded shows (demangled unless
 * --no-demangle; "lib.so+0xOFF" when the file has no symbol for the
 * address), system names the names as the binary spells them.
 *
 * time_nanos is the first event's wall-clock time, duration_nanos the
 * span to the last (each trace's clock.realtime_offset_ns applied);
 * period_type/period come from the first CPU sample (else the first kind).
 * Several -i traces make one profile; the host label tells them apart.
 *
 * Memory grows with distinct stacks per thread and with distinct frames,
 * never with events; the whole profile is encoded then gzipped in memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "comm_table.h"
#include "convert.h"
#include "gzwrite.h"
#include "ktab.h"
#include "pbwrite.h"
#include "reader.h"
#include "records.h"
#include "schema.h"
#include "symbolize.h"

/* profile.proto field numbers */
enum {
	P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4, P_FUNCTION = 5,
	P_STRING_TABLE = 6, P_TIME_NANOS = 9, P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11,
	P_PERIOD = 12, P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14,
	VT_TYPE = 1, VT_UNIT = 2,
	S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3,
	L_KEY = 1, L_STR = 2,
	M_ID = 1, M_START = 2, M_LIMIT = 3, M_OFFSET = 4, M_FILENAME = 5, M_BUILD_ID = 6,
	M_HAS_FUNCTIONS = 7,
	LOC_ID = 1, LOC_MAPPING_ID = 2, LOC_ADDRESS = 3, LOC_LINE = 4,
	LINE_FUNCTION_ID = 1,
	F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3,
};

/* The value columns. */
enum { C_SAMPLES, C_CPU, C_CYCLES, C_OFFCPU, C_EVENTS, NCOL };
static const char *const col_type[NCOL] = { "samples", "cpu", "cycles", "off_cpu", "events" };
static const char *const col_unit[NCOL] = { "count", "nanoseconds", "count", "nanoseconds", "count" };

enum { LB_PID, LB_TID, LB_COMM, LB_HOST, LB_EVENT, NLABEL };
static const char *const label_key[NLABEL] = { "pid", "tid", "comm", "host", "event" };

#define KERNEL_START 0x8000000000000000ull

/* An aggregate of one file's events (the key of its table). */
struct agg_key {
	uint64_t comm; /* the comm table's pointer, 0 when unknown */
	uint32_t pid, tid, type, stack_id, gen, pad;
};

struct map_key { uint64_t start, limit, pgoff; uint32_t file, build_id; };
struct func_key { uint32_t name, sys, file; };
struct loc_key { uint64_t addr; uint32_t mapping, func; };

struct pp_state {
	struct convert_opts o;
	struct ktab strings, maps, funcs, locs;
	struct tbuf samples; /* per sample: nloc, loc ids, NLABEL string ids, NCOL values (u64 each) */
	uint64_t nsamples;
	int present[NCOL];
	uint64_t period;     /* of the first CPU sample */
	int period_col;      /* its column, -1 before */
	uint64_t t_first, t_last; /* wall-clock ns */
	int have_time;
	uint64_t missing_stacks;
	struct tbuf comments; /* u32 string ids */
	/* the current file */
	struct comm_cache cc; /* its last thread's name */
	struct symbolizer *sym;
	struct ktab agg;     /* agg_key -> v[0] count, v[1] weight, v[2] ts */
	const struct trec_field **value;
	uint8_t *kind;
	uint32_t ntypes;
	int64_t rt_offset;
	int swap;
	int err; /* -ENOMEM seen while interning */
};

static uint32_t str_id(struct pp_state *s, const char *str)
{
	uint32_t id = 0;
	if (ktab_get(&s->strings, str, (uint32_t)strlen(str), &id) < 0)
		s->err = -ENOMEM;
	return id;
}

static uint32_t tab_id(struct pp_state *s, struct ktab *t, const void *key, uint32_t len)
{
	uint32_t id = 0;
	if (ktab_get(t, key, len, &id) < 0)
		s->err = -ENOMEM;
	return id + 1; /* ids in the profile start at 1 */
}

static int pp_create(void **state, const struct convert_opts *o, struct trec_err *err)
{
	struct pp_state *s = calloc(1, sizeof(*s));
	if (!s)
		return trec_errf(err, -ENOMEM, "out of memory");
	memcpy(&s->o, o, o->sz < sizeof(s->o) ? o->sz : sizeof(s->o));
	ktab_init(&s->strings);
	ktab_init(&s->maps);
	ktab_init(&s->funcs);
	ktab_init(&s->locs);
	ktab_init(&s->agg);
	tbuf_init(&s->samples);
	tbuf_init(&s->comments);
	s->period_col = -1;
	*state = s;
	str_id(s, ""); /* string_table[0] is "" */
	return s->err ? trec_errf(err, -ENOMEM, "out of memory") : 0;
}

static void file_done(struct pp_state *s)
{
	symbolizer_free(s->sym);
	s->sym = NULL;
	free(s->value);
	s->value = NULL;
	free(s->kind);
	s->kind = NULL;
	ktab_free(&s->agg);
	ktab_init(&s->agg);
}

static int pp_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct pp_state *s = ctx;
	(void)ordered; /* sums need no order */
	file_done(s);
	int rc = convert_symbolizer(f, &s->o, &s->sym, err);
	if (rc < 0)
		return rc;
	memset(&s->cc, 0, sizeof(s->cc));
	s->swap = f->swap;
	s->ntypes = f->ntypes;
	s->value = calloc(f->ntypes ? f->ntypes : 1, sizeof(*s->value));
	s->kind = calloc(f->ntypes ? f->ntypes : 1, 1);
	if (!s->value || !s->kind)
		return trec_errf(err, -ENOMEM, "out of memory");
	for (uint32_t t = 0; t < f->ntypes; t++) {
		if (!f->by_id[t])
			continue;
		s->kind[t] = (uint8_t)convert_type_kind(f->by_id[t], &s->value[t]);
		need[t] |= s->value[t] != NULL;
	}
	const struct trec_meta_kv *kv = trec_reader_meta_get(f->r, "clock.realtime_offset_ns");
	s->rt_offset = kv && kv->type == TREC_META_I64 ? kv->v.i64 : kv && kv->type == TREC_META_U64 ? (int64_t)kv->v.u64 : 0;
	return 1;
}

static int pp_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	struct pp_state *s = ctx;
	if (!ev->stack_id || ev->type >= s->ntypes)
		return 0;
	uint64_t w = 1;
	if (s->value[ev->type] &&
	    trec_field_get_u64(s->value[ev->type], ev->data, ev->size, 0, s->swap, &w) < 0)
		w = 0;
	struct agg_key k = { 0 };
	k.comm = (uint64_t)(uintptr_t)comm_table_lookup_cached(&f->ct, &s->cc, ev->pid, ev->tid, ev->ts);
	k.pid = ev->pid;
	k.tid = ev->tid;
	k.type = ev->type;
	k.stack_id = ev->stack_id;
	k.gen = symbolizer_generation(s->sym, ev->pid, ev->ts);
	uint32_t id;
	int added = ktab_get(&s->agg, &k, sizeof(k), &id);
	if (added < 0)
		return trec_errf(err, -ENOMEM, "out of memory after %u distinct stacks", s->agg.n);
	struct kent *e = &s->agg.e[id];
	if (added)
		e->v[2] = ev->ts;
	e->v[0]++;
	e->v[1] += w;
	uint64_t wall = ev->ts + (uint64_t)s->rt_offset;
	if (!s->have_time || wall < s->t_first)
		s->t_first = wall;
	if (!s->have_time || wall > s->t_last)
		s->t_last = wall;
	s->have_time = 1;
	return 0;
}

static void put_hex(char *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* The location id of one frame. */
static uint32_t frame_loc(struct pp_state *s, uint32_t pid, uint64_t ts, uint64_t ip, int kernel, int is_return)
{
	struct sym_result res = { 0 };
	symbolize_frame(s->sym, pid, ts, ip, kernel, is_return, &res);
	char name[TREC_MAX_NAME + 32];
	sym_format(&res, name, sizeof(name));
	struct loc_key lk = { .addr = ip };
	uint32_t file = 0;
	if (kernel) {
		struct map_key mk = { .start = KERNEL_START, .limit = UINT64_MAX,
				      .file = str_id(s, "[kernel.kallsyms]") };
		file = mk.file;
		lk.mapping = tab_id(s, &s->maps, &mk, sizeof(mk));
	} else if (res.map) {
		const struct trec_map *m = res.map;
		char bid[2 * TREC_MAX_BUILD_ID + 1];
		size_t bl = m->build_id_len < TREC_MAX_BUILD_ID ? m->build_id_len : TREC_MAX_BUILD_ID;
		put_hex(bid, m->build_id, bl);
		struct map_key mk = { .start = m->start, .pgoff = m->pgoff,
				      .limit = m->len > UINT64_MAX - m->start ? UINT64_MAX : m->start + m->len,
				      .file = str_id(s, m->path[0] ? m->path : "[anon]"), .build_id = str_id(s, bid) };
		file = mk.file;
		lk.mapping = tab_id(s, &s->maps, &mk, sizeof(mk));
	}
	struct func_key fk = { .name = str_id(s, name),
			       .sys = res.found && res.raw_name ? str_id(s, res.raw_name) : 0, .file = 0 };
	(void)file; /* the mapping names the file; Function.filename is for source files */
	if (!fk.sys)
		fk.sys = fk.name;
	lk.func = tab_id(s, &s->funcs, &fk, sizeof(fk));
	return tab_id(s, &s->locs, &lk, sizeof(lk));
}

static int period_rank(int col) { return col == C_CPU || col == C_CYCLES ? 0 : col == C_OFFCPU ? 1 : 2; }

/* One file's aggregates into samples, named while its symbolizer lives. */
static int pp_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	struct pp_state *s = ctx;
	char num[32];
	uint32_t host = str_id(s, f->host);
	char comment[512];
	snprintf(comment, sizeof(comment), "trec: %s from host %s", f->path, f->host);
	tbuf_put_u32(&s->comments, str_id(s, comment));
	for (uint32_t i = 0; i < s->agg.n && !s->err; i++) {
		const struct kent *e = &s->agg.e[i];
		struct agg_key k;
		memcpy(&k, e->key, sizeof(k));
		const struct trec_schema *sc = rfile_schema(f, k.type);
		enum convert_kind kind = (enum convert_kind)s->kind[k.type];
		uint64_t val[NCOL] = { 0 };
		int col = C_EVENTS;
		if (kind == CONVERT_CPU) {
			val[C_SAMPLES] = e->v[0];
			col = sc && !strcmp(sc->name, "cycles") ? C_CYCLES : C_CPU;
			s->present[C_SAMPLES] = 1;
		} else if (kind == CONVERT_OFFCPU) {
			col = C_OFFCPU;
		}
		val[col] = col == C_EVENTS ? e->v[0] : e->v[1];
		s->present[col] = 1;
		/* period: of the first CPU sample, else of the first off-CPU, else 1 event */
		if (s->period_col < 0 || period_rank(col) < period_rank(s->period_col)) {
			s->period_col = col;
			s->period = col == C_EVENTS ? 1 : col == C_OFFCPU ? 0 : e->v[0] ? e->v[1] / e->v[0] : 0;
		}

		const struct trec_stack *st = trec_reader_stack(f->r, k.stack_id);
		if (!st)
			s->missing_stacks += e->v[0];
		size_t nk = st ? st->nkernel : 0, n = st ? nk + st->nuser : 0;
		size_t at = s->samples.len;
		tbuf_put_u64(&s->samples, 0); /* nloc, set below */
		uint64_t nloc = 0;
		for (size_t j = 0; j < n; j++) {
			int kernel = j < nk;
			if ((kernel && s->o.no_kernel) || (!kernel && s->o.no_user) || !st->ips[j])
				continue;
			tbuf_put_u64(&s->samples, frame_loc(s, k.pid, e->v[2], st->ips[j], kernel, sym_frame_is_return(j, nk)));
			nloc++;
		}
		if (!st) { /* as trec report shows it */
			tbuf_put_u64(&s->samples, frame_loc(s, k.pid, e->v[2], 0, 1, 0));
			nloc++;
		}
		if (!s->samples.oom)
			memcpy(s->samples.data + at, &nloc, sizeof(nloc));
		const char *comm = (const char *)(uintptr_t)k.comm;
		uint64_t lab[NLABEL];
		snprintf(num, sizeof(num), "%u", k.pid);
		lab[LB_PID] = str_id(s, num);
		snprintf(num, sizeof(num), "%u", k.tid);
		lab[LB_TID] = str_id(s, num);
		if (!comm)
			snprintf(num, sizeof(num), ":%u", k.tid);
		lab[LB_COMM] = str_id(s, comm ? comm : num);
		lab[LB_HOST] = host;
		lab[LB_EVENT] = str_id(s, sc ? sc->name : "[unknown]");
		tbuf_put(&s->samples, lab, sizeof(lab));
		tbuf_put(&s->samples, val, sizeof(val));
		s->nsamples++;
	}
	file_done(s);
	if (s->err || s->samples.oom || s->comments.oom)
		return trec_errf(err, -ENOMEM, "out of memory building the profile");
	return 0;
}

static struct pass_sink pp_sink(void *state)
{
	return (struct pass_sink){ .ctx = state, .begin = pp_begin, .event = pp_event, .end = pp_end };
}

/* ---- the profile message -------------------------------------------------------------------- */

static void value_type(struct pbw *w, uint32_t field, struct pp_state *s, int col)
{
	pbw_begin(w, field);
	pbw_int(w, VT_TYPE, str_id(s, col_type[col]));
	pbw_int(w, VT_UNIT, str_id(s, col_unit[col]));
	pbw_end(w);
}

static void encode(struct pp_state *s, struct pbw *w)
{
	uint32_t keys[NLABEL];
	for (int i = 0; i < NLABEL; i++)
		keys[i] = str_id(s, label_key[i]);
	int defcol = -1;
	static const int def_order[] = { C_CPU, C_CYCLES, C_OFFCPU, C_EVENTS, C_SAMPLES };
	for (size_t i = 0; i < 5 && defcol < 0; i++)
		if (s->present[def_order[i]])
			defcol = def_order[i];
	uint32_t def_sid = defcol >= 0 ? str_id(s, col_type[defcol]) : 0;
	for (int c = 0; c < NCOL; c++)
		if (s->present[c])
			value_type(w, P_SAMPLE_TYPE, s, c);

	const uint8_t *p = s->samples.data, *end = p + s->samples.len;
	uint64_t *locs = NULL;
	size_t cap = 0;
	while (p < end && !pbw_error(w)) {
		uint64_t nloc;
		memcpy(&nloc, p, 8);
		p += 8;
		if (nloc > cap) {
			uint64_t *nl = realloc(locs, nloc * sizeof(*nl));
			if (!nl) {
				w->err = -ENOMEM;
				break;
			}
			locs = nl;
			cap = nloc;
		}
		memcpy(locs, p, nloc * 8);
		p += nloc * 8;
		uint64_t lab[NLABEL], val[NCOL];
		memcpy(lab, p, sizeof(lab));
		p += sizeof(lab);
		memcpy(val, p, sizeof(val));
		p += sizeof(val);
		int64_t v[NCOL];
		size_t nv = 0;
		for (int c = 0; c < NCOL; c++)
			if (s->present[c])
				v[nv++] = (int64_t)val[c];
		pbw_begin(w, P_SAMPLE);
		pbw_packed_uint(w, S_LOCATION_ID, locs, nloc);
		pbw_packed_int(w, S_VALUE, v, nv);
		for (int i = 0; i < NLABEL; i++) {
			pbw_begin(w, S_LABEL);
			pbw_int(w, L_KEY, keys[i]);
			pbw_int(w, L_STR, (int64_t)lab[i]);
			pbw_end(w);
		}
		pbw_end(w);
	}
	free(locs);
	/* pprof takes the first mapping for the main binary: the kernel's goes last */
	for (uint32_t k = 0; k < 2 * s->maps.n; k++) {
		uint32_t i = k % s->maps.n;
		struct map_key mk;
		memcpy(&mk, s->maps.e[i].key, sizeof(mk));
		if ((mk.start == KERNEL_START) != (k >= s->maps.n))
			continue;
		pbw_begin(w, P_MAPPING);
		pbw_uint(w, M_ID, i + 1);
		pbw_uint(w, M_START, mk.start);
		pbw_uint(w, M_LIMIT, mk.limit);
		pbw_uint(w, M_OFFSET, mk.pgoff);
		pbw_int(w, M_FILENAME, mk.file);
		if (mk.build_id)
			pbw_int(w, M_BUILD_ID, mk.build_id);
		pbw_uint(w, M_HAS_FUNCTIONS, 1); /* every location has a name: nothing to look up */
		pbw_end(w);
	}
	for (uint32_t i = 0; i < s->locs.n; i++) {
		struct loc_key lk;
		memcpy(&lk, s->locs.e[i].key, sizeof(lk));
		pbw_begin(w, P_LOCATION);
		pbw_uint(w, LOC_ID, i + 1);
		if (lk.mapping)
			pbw_uint(w, LOC_MAPPING_ID, lk.mapping);
		pbw_uint(w, LOC_ADDRESS, lk.addr);
		pbw_begin(w, LOC_LINE);
		pbw_uint(w, LINE_FUNCTION_ID, lk.func);
		pbw_end(w);
		pbw_end(w);
	}
	for (uint32_t i = 0; i < s->funcs.n; i++) {
		struct func_key fk;
		memcpy(&fk, s->funcs.e[i].key, sizeof(fk));
		pbw_begin(w, P_FUNCTION);
		pbw_uint(w, F_ID, i + 1);
		pbw_int(w, F_NAME, fk.name);
		pbw_int(w, F_SYSTEM_NAME, fk.sys);
		pbw_end(w);
	}
	if (s->have_time) {
		pbw_int(w, P_TIME_NANOS, (int64_t)s->t_first);
		pbw_int(w, P_DURATION_NANOS, (int64_t)(s->t_last - s->t_first));
	}
	if (s->period_col >= 0) {
		value_type(w, P_PERIOD_TYPE, s, s->period_col);
		pbw_int(w, P_PERIOD, (int64_t)s->period);
	}
	for (size_t i = 0; i + 4 <= s->comments.len; i += 4) {
		uint32_t sid = (uint32_t)s->comments.data[i] | (uint32_t)s->comments.data[i + 1] << 8 |
		      (uint32_t)s->comments.data[i + 2] << 16 | (uint32_t)s->comments.data[i + 3] << 24;
		pbw_int(w, P_COMMENT, sid);
	}
	if (defcol >= 0)
		pbw_int(w, P_DEFAULT_SAMPLE_TYPE, def_sid);
	/* Last: everything above has interned its strings by now. */
	for (uint32_t i = 0; i < s->strings.n; i++)
		pbw_bytes(w, P_STRING_TABLE, s->strings.e[i].key, s->strings.e[i].len);
}

static int pp_finish(void *state, struct source *src, FILE *out, struct trec_err *err)
{
	struct pp_state *s = state;
	if (!s->nsamples)
		return trec_errf(err, -ENODATA, "%s: no events with stacks to convert (record them with -F or "
						"--offcpu, or with -g on events; --event/--pid/... may have left none)",
				 src->n > 1 ? "the traces" : src->files[0].path);
	if (s->missing_stacks)
		convert_warn(&s->o, "%" PRIu64 " event%s name a stack the file does not hold: shown as [unknown]",
			     s->missing_stacks, s->missing_stacks == 1 ? "" : "s");
	struct tbuf pb, gz;
	tbuf_init(&pb);
	tbuf_init(&gz);
	struct pbw w;
	pbw_init(&w, &pb);
	encode(s, &w);
	int rc = pbw_error(&w);
	if (!rc && s->err)
		rc = s->err;
	if (rc < 0) {
		rc = trec_errf(err, rc, "encoding the profile: %s", rc == -ENOMEM ? "out of memory" : "internal error");
	} else if ((rc = gz_compress(pb.data, pb.len, &gz)) < 0) {
		rc = trec_errf(err, rc, "out of memory compressing the profile");
	} else if (fwrite(gz.data, 1, gz.len, out) != gz.len) {
		rc = trec_errf(err, -EIO, "writing the profile: %s", strerror(errno));
	}
	tbuf_free(&pb);
	tbuf_free(&gz);
	return rc;
}

static void pp_free(void *state)
{
	struct pp_state *s = state;
	if (!s)
		return;
	file_done(s);
	ktab_free(&s->agg);
	ktab_free(&s->strings);
	ktab_free(&s->maps);
	ktab_free(&s->funcs);
	ktab_free(&s->locs);
	tbuf_free(&s->samples);
	tbuf_free(&s->comments);
	free(s);
}

const struct converter_ops convert_pprof = {
	.name = "pprof",
	.what = "gzipped profile.proto (go tool pprof, Pyroscope, Parca, speedscope)",
	.ext = ".pb.gz",
	.binary = 1,
	.create = pp_create,
	.sink = pp_sink,
	.finish = pp_finish,
	.free = pp_free,
};
