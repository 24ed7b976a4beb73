/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container.h"
#include "ktab.h"
#include "summary.h"

const char *const group_by_names[] = { "pid", "tid", "comm", "cpu", "event", "cgroup", NULL };

int group_by_parse(const char *s)
{
	for (int i = 0; group_by_names[i]; i++)
		if (!strcmp(s, group_by_names[i]))
			return i;
	return -1;
}

#define SAMPLE_EVENTS_1 "cpu-clock"
#define SAMPLE_EVENTS_2 "cycles"
#define OFFCPU_EVENT "offcpu"

struct gkey {
	uint32_t host, a, b;
};

struct gstat {
	uint64_t events, samples, offcpu_ns, syscalls;
	uint32_t comm; /* name id + 1; 0 = none */
	uint32_t pid;  /* BY_TID: the thread's process */
	/* The group's latest event, to name it by its last comm (after exec)
	 * once its file is read. */
	uint64_t last_ts;
	uint32_t last_tid;
	uint32_t file; /* index + 1 of the file that saw it last */
};

/* What one file's type id means for the summary. */
struct tinfo {
	uint32_t name;       /* id in names */
	uint8_t sample, syscall;
	const struct trec_field *offcpu; /* delta_ns */
};

struct summary {
	enum group_by by;
	int multi;
	struct ktab names;  /* comm names */
	struct ktab types;  /* event type names: their ids index the counts */
	struct ktab hosts;
	struct ktab groups; /* struct gkey */
	struct gstat *g;
	uint32_t gcap;
	/* Events per group and type: cnt[group * stride + type]. */
	uint64_t *cnt;
	uint32_t stride;
	uint64_t *type_total; /* per type id */
	uint32_t ttcap;
	/* The previous event's group: a busy thread repeats it. */
	struct gkey last_k;
	uint32_t last_gid;
	int have_last;
	/* The file being read: what its type ids mean, its host's id, and
	 * the last thread's name and task context (--by comm, --by cgroup). */
	struct tinfo *ti;
	uint32_t host;
	struct comm_cache cc;
	struct tctx_cache tc;
};

int summary_new(struct summary **out, enum group_by by, int multi_host)
{
	struct summary *s = calloc(1, sizeof(*s));
	*out = s;
	if (!s)
		return -ENOMEM;
	s->by = by;
	s->multi = multi_host;
	ktab_init(&s->names);
	ktab_init(&s->hosts);
	ktab_init(&s->groups);
	ktab_init(&s->types);
	return 0;
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	ktab_free(&s->names);
	ktab_free(&s->hosts);
	ktab_free(&s->groups);
	ktab_free(&s->types);
	free(s->cnt);
	free(s->g);
	free(s->type_total);
	free(s->ti);
	free(s);
}

static int name_id(struct summary *s, const char *name, uint32_t *id)
{
	return ktab_get(&s->names, name, (uint32_t)strlen(name), id) < 0 ? -ENOMEM : 0;
}

/* Makes room for `cols` types in each row of the count matrix. */
static int cnt_grow(struct summary *s, uint32_t cols)
{
	uint32_t stride = s->stride ? s->stride : 8;
	while (stride < cols)
		stride *= 2;
	if (stride == s->stride)
		return 0;
	if (!s->gcap) {
		s->stride = stride; /* rows come with the first group */
		return 0;
	}
	uint64_t *c = calloc((size_t)s->gcap * stride, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (uint32_t r = 0; s->cnt && r < s->gcap; r++)
		memcpy(c + (size_t)r * stride, s->cnt + (size_t)r * s->stride, (size_t)s->stride * sizeof(*c));
	free(s->cnt);
	s->cnt = c;
	s->stride = stride;
	return 0;
}

/* The group of key k, created when new; its id, or -1 without memory. */
static int64_t group_slow(struct summary *s, const struct gkey *k);

/* The group of key k: most events belong to the previous event's group,
 * answered here inline; the table lookup is out of line. */
static inline __attribute__((always_inline)) int64_t group(struct summary *s, const struct gkey *k)
{
	/* Field by field: the key was just stored as 32-bit parts, and a wider
	 * load of it (memcmp) would stall on store forwarding. */
	if (s->have_last && k->a == s->last_k.a && k->b == s->last_k.b && k->host == s->last_k.host)
		return s->last_gid;
	return group_slow(s, k);
}

static __attribute__((noinline)) int64_t group_slow(struct summary *s, const struct gkey *k)
{
	uint32_t id;
	int rc = ktab_get(&s->groups, k, sizeof(*k), &id);
	if (rc < 0)
		return -1;
	if (id >= s->gcap) {
		uint32_t c = s->gcap ? s->gcap * 2 : 256;
		struct gstat *g = realloc(s->g, (size_t)c * sizeof(*g));
		if (!g)
			return -1;
		memset(g + s->gcap, 0, (size_t)(c - s->gcap) * sizeof(*g));
		s->g = g;
		/* The count matrix grows with the groups: same rows. */
		uint32_t stride = s->stride ? s->stride : 8;
		uint64_t *cn = calloc((size_t)c * stride, sizeof(*cn));
		if (!cn)
			return -1;
		if (s->cnt)
			memcpy(cn, s->cnt, (size_t)s->gcap * s->stride * sizeof(*cn));
		free(s->cnt);
		s->cnt = cn;
		s->stride = stride;
		s->gcap = c;
	}
	s->last_k = *k;
	s->last_gid = id;
	s->have_last = 1;
	return id;
}

static int type_total_grow(struct summary *s, uint32_t id)
{
	if (id < s->ttcap)
		return 0;
	uint32_t c = s->ttcap ? s->ttcap : 64;
	while (c <= id)
		c *= 2;
	uint64_t *t = realloc(s->type_total, (size_t)c * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + s->ttcap, 0, (size_t)(c - s->ttcap) * sizeof(*t));
	s->type_total = t;
	s->ttcap = c;
	return 0;
}

/* ---- the pass: one file's events into the groups --------------------------------------------- */

static int sum_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct summary *s = ctx;
	(void)ordered; /* sums need no order */
	free(s->ti);
	memset(&s->cc, 0, sizeof(s->cc));
	memset(&s->tc, 0, sizeof(s->tc));
	s->ti = calloc(f->ntypes ? f->ntypes : 1, sizeof(*s->ti));
	if (!s->ti || ktab_get(&s->hosts, f->host, (uint32_t)strlen(f->host), &s->host) < 0)
		goto oom;
	for (uint32_t t = 0; t < f->ntypes; t++) {
		const struct trec_schema *sc = f->by_id[t];
		struct tinfo *ti = &s->ti[t];
		if (!sc)
			continue;
		if (ktab_get(&s->types, sc->name, (uint32_t)strlen(sc->name), &ti->name) < 0 ||
		    type_total_grow(s, ti->name) || cnt_grow(s, s->types.n))
			goto oom;
		ti->sample = !strcmp(sc->name, SAMPLE_EVENTS_1) || !strcmp(sc->name, SAMPLE_EVENTS_2);
		ti->syscall = !strcmp(sc->name, "raw_syscalls:sys_enter") ||
				!strncmp(sc->name, "syscalls:sys_enter_", 19);
		if (!strcmp(sc->name, OFFCPU_EVENT))
			ti->offcpu = trec_schema_field(sc, "delta_ns");
		/* Only off-CPU events' payloads are read (delta_ns). */
		need[t] |= ti->offcpu != NULL;
	}
	return 1;
oom:
	return trec_errf(err, -ENOMEM, "out of memory summarizing %s", f->path);
}

static inline __attribute__((always_inline)) int sum_one(struct summary *s, struct rfile *f,
							  const struct trec_event *ev, struct trec_err *err)
{
	if (ev->type >= f->ntypes || !f->by_id[ev->type])
		return 0;
	const struct tinfo *t = &s->ti[ev->type];
	struct gkey k = { .host = s->multi ? s->host : 0 };
	const char *comm = NULL;
	switch (s->by) {
	case BY_PID:
		k.a = ev->pid;
		break;
	case BY_TID:
		k.a = ev->tid;
		k.b = ev->pid;
		break;
	case BY_COMM:
		comm = comm_table_lookup_cached(&f->ct, &s->cc, ev->pid, ev->tid, ev->ts);
		if (name_id(s, comm ? comm : "[unknown]", &k.a))
			goto oom;
		k.host = 0; /* a name means the same program on every host */
		break;
	case BY_CPU:
		k.a = ev->cpu;
		break;
	case BY_EVENT:
		k.a = t->name;
		k.host = 0;
		break;
	case BY_CGROUP: {
		struct tctx_info ci;
		tctx_table_lookup_cached(&f->tt, &s->tc, ev->pid, ev->tid, ev->ts, &ci);
		if (name_id(s, ci.cgroup ? ci.cgroup : "[unknown]", &k.a))
			goto oom;
		break;
	}
	}
	int64_t gid = group(s, &k);
	if (gid < 0)
		goto oom;
	struct gstat *g = &s->g[gid];
	if (s->by == BY_PID || s->by == BY_TID) {
		g->pid = ev->pid;
		if (ev->ts >= g->last_ts) {
			g->last_ts = ev->ts;
			g->last_tid = s->by == BY_PID ? ev->pid : ev->tid;
			g->file = f->index + 1;
		}
	}
	g->events++;
	g->samples += t->sample;
	g->syscalls += t->syscall;
	uint64_t d;
	if (t->offcpu && trec_field_get_u64(t->offcpu, ev->data, ev->size, 0, f->swap, &d) == 0)
		g->offcpu_ns += d;
	s->type_total[t->name]++;
	s->cnt[(size_t)gid * s->stride + t->name]++;
	return 0;
oom:
	return trec_errf(err, -ENOMEM, "out of memory summarizing %s", f->path);
}

static int sum_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	return sum_one(ctx, f, ev, err);
}

static int sum_block(void *ctx, struct rfile *f, const struct trec_evblock *b, struct trec_err *err)
{
	struct summary *s = ctx;
	struct trec_event ev;
	for (uint32_t i = 0; i < b->n; i++) {
		trec_evblock_get(b, i, &ev);
		if (!pass_keep(f, &ev))
			continue;
		int rc = sum_one(s, f, &ev, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int sum_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	struct summary *s = ctx;
	free(s->ti);
	s->ti = NULL;
	/* Processes and threads are named by their comm at their last event:
	 * what they exec'd into, as perf shows them. */
	for (uint32_t gi = 0; gi < s->groups.n && (s->by == BY_PID || s->by == BY_TID); gi++) {
		struct gstat *g = &s->g[gi];
		if (g->file != f->index + 1)
			continue;
		const char *comm = comm_table_lookup(&f->ct, g->pid, g->last_tid, g->last_ts);
		if (!comm && s->by == BY_PID)
			comm = comm_table_lookup(&f->ct, g->pid, g->pid, g->last_ts);
		uint32_t cid;
		if (comm) {
			if (name_id(s, comm, &cid))
				return trec_errf(err, -ENOMEM, "out of memory summarizing %s", f->path);
			g->comm = cid + 1;
		}
	}
	return 0;
}

struct pass_sink summary_sink(struct summary *s)
{
	return (struct pass_sink){ .ctx = s, .begin = sum_begin, .event = sum_event, .block = sum_block,
				   .end = sum_end };
}

static int cmp_type_total(const void *a, const void *b, void *p)
{
	const struct summary *s = p;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (s->type_total[x] != s->type_total[y])
		return s->type_total[x] > s->type_total[y] ? -1 : 1;
	return strcmp(s->types.e[x].key, s->types.e[y].key);
}

int summary_table(struct summary *s, struct table *t, const char *sort, uint32_t max_type_cols,
		  struct trec_err *err)
{
	/* Type columns: every type name with events, busiest first. */
	uint32_t *types = malloc((s->types.n + 1) * sizeof(*types));
	uint32_t ntypes = 0;
	if (!types)
		return trec_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < s->types.n && i < s->ttcap; i++)
		if (s->type_total[i])
			types[ntypes++] = i;
	qsort_r(types, ntypes, sizeof(*types), cmp_type_total, s);

	int c_host = s->multi && s->by != BY_COMM && s->by != BY_EVENT ? table_col(t, "host", TABLE_STR, 0) : -1;
	int c_key = -1, c_pid = -1, c_comm = -1, c_ctr = -1, c_pod = -1;
	switch (s->by) {
	case BY_PID:
		c_key = table_col(t, "pid", TABLE_U64, 0);
		c_comm = table_col(t, "comm", TABLE_STR, 0);
		break;
	case BY_TID:
		c_key = table_col(t, "tid", TABLE_U64, 0);
		c_pid = table_col(t, "pid", TABLE_U64, 0);
		c_comm = table_col(t, "comm", TABLE_STR, 0);
		break;
	case BY_COMM:
		c_comm = table_col(t, "comm", TABLE_STR, 0);
		break;
	case BY_CPU:
		c_key = table_col(t, "cpu", TABLE_U64, 0);
		break;
	case BY_EVENT:
		c_comm = table_col(t, "event", TABLE_STR, 0);
		break;
	case BY_CGROUP:
		c_comm = table_col(t, "cgroup", TABLE_STR, 0);
		/* Read from the path by the runtimes' naming conventions
		 * (container.h): shown only when some path matched. */
		c_ctr = table_col(t, "container", TABLE_STR, 0);
		c_pod = table_col(t, "pod", TABLE_STR, 0);
		table_text_flags(t, c_ctr, TABLE_TEXT_NONZERO);
		table_text_flags(t, c_pod, TABLE_TEXT_NONZERO);
		break;
	}
	int c_events = table_col(t, "events", TABLE_U64, 0);
	int c_samples = table_col(t, "samples", TABLE_U64, 0);
	int c_offcpu = table_col(t, "offcpu_ms", TABLE_F64, 3);
	int c_sys = table_col(t, "syscalls", TABLE_U64, 0);
	/* Text leaves out what the trace has none of. */
	table_text_flags(t, c_samples, TABLE_TEXT_NONZERO);
	table_text_flags(t, c_offcpu, TABLE_TEXT_NONZERO);
	table_text_flags(t, c_sys, TABLE_TEXT_NONZERO);
	int first_type = (int)t->ncols;
	uint32_t ntcols = 0;
	for (uint32_t i = 0; s->by != BY_EVENT && i < ntypes && i < max_type_cols && t->ncols < TABLE_MAX_COLS - 1;
	     i++, ntcols++)
		table_text_flags(t, table_col(t, s->types.e[types[i]].key, TABLE_U64, 0), TABLE_TEXT_OPTIONAL);

	/* type name id -> column */
	int *colof = calloc(s->types.n + 1, sizeof(*colof));
	if (!colof) {
		free(types);
		return trec_errf(err, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < ntcols; i++)
		colof[types[i]] = first_type + (int)i + 1;

	for (uint32_t gi = 0; gi < s->groups.n; gi++) {
		const struct gkey *k = (const void *)s->groups.e[gi].key;
		const struct gstat *g = &s->g[gi];
		size_t r = table_row(t);
		if (c_host >= 0)
			table_set_str(t, r, (size_t)c_host, s->hosts.e[k->host].key);
		if (c_key >= 0)
			table_set_u64(t, r, (size_t)c_key, k->a);
		if (c_pid >= 0)
			table_set_u64(t, r, (size_t)c_pid, g->pid);
		if (c_comm >= 0) {
			const char *name = s->by == BY_COMM || s->by == BY_CGROUP ? s->names.e[k->a].key
					   : s->by == BY_EVENT ? s->types.e[k->a].key
					   : g->comm                              ? s->names.e[g->comm - 1].key
										  : "[unknown]";
			table_set_str(t, r, (size_t)c_comm, name);
		}
		if (c_ctr >= 0) {
			struct container_info ci;
			char label[96];
			container_from_cgroup(s->names.e[k->a].key, &ci);
			container_label(&ci, label, sizeof(label));
			table_set_str(t, r, (size_t)c_ctr, label);
			table_set_str(t, r, (size_t)c_pod, ci.pod);
		}
		table_set_u64(t, r, (size_t)c_events, g->events);
		table_set_u64(t, r, (size_t)c_samples, g->samples);
		table_set_f64(t, r, (size_t)c_offcpu, (double)g->offcpu_ns / 1e6);
		table_set_u64(t, r, (size_t)c_sys, g->syscalls);
	}
	for (uint32_t gi = 0; gi < s->groups.n && s->by != BY_EVENT; gi++)
		for (uint32_t ty = 0; ty < s->types.n; ty++)
			if (colof[ty])
				table_set_u64(t, gi, (size_t)(colof[ty] - 1), s->cnt[(size_t)gi * s->stride + ty]);
	free(colof);
	free(types);
	if (t->oom)
		return trec_errf(err, -ENOMEM, "out of memory building the table");

	int scol = c_events;
	if (sort) {
		scol = -1;
		for (size_t c = 0; c < t->ncols; c++)
			if (!strcmp(t->col[c].name, sort))
				scol = (int)c;
		if (scol < 0) {
			char names[1024];
			size_t len = 0;
			names[0] = 0;
			for (size_t c = 0; c < t->ncols && len < sizeof(names) - 1; c++)
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", c ? ", " : "",
							t->col[c].name);
			return trec_errf(err, -EINVAL, "--sort %s: no such column (columns: %s)", sort, names);
		}
	}
	/* The sort column, then the group's own key for a stable order. */
	int cols[4] = { scol }, asc[4] = { 0 };
	size_t n = 1;
	if (c_host >= 0)
		cols[n++] = c_host;
	if (c_key >= 0)
		asc[n] = 1, cols[n++] = c_key;
	if (c_comm >= 0)
		cols[n++] = c_comm;
	table_sort(t, cols, asc, n);
	return 0;
}

/* ---- the per-trace header -------------------------------------------------------------- */

struct span {
	uint64_t first, last, events, lost;
	const struct trec_totals *tot;
};

static void get_span(struct rfile *f, struct span *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (trec_reader_totals(f->r, &sp->tot, NULL) == 0) {
		sp->first = sp->tot->first_ts;
		sp->last = sp->tot->last_ts;
		sp->events = sp->tot->events;
		sp->lost = sp->tot->lost;
	}
}

static void wall_text(struct rfile *f, uint64_t ts, char *buf, size_t len)
{
	const struct trec_meta_kv *kv = trec_reader_meta_get(f->r, "clock.realtime_offset_ns");
	buf[0] = 0;
	if (!kv)
		return;
	int64_t w = (int64_t)ts + kv->v.i64;
	time_t secs = (time_t)(w / 1000000000);
	struct tm tm;
	if (w > 0 && gmtime_r(&secs, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void summary_header_text(struct rfile *f, struct outbuf *o)
{
	struct span sp;
	get_span(f, &sp);
	const char *k = rfile_meta_str(f, "kernel.release"), *m = rfile_meta_str(f, "machine");
	const char *cmdline = rfile_meta_str(f, "trec.cmdline");
	char wall[64];
	wall_text(f, sp.first, wall, sizeof(wall));
	outbuf_printf(o, "# trace %s\n# host %s, kernel %s (%s)\n", f->path, f->host, k ? k : "?", m ? m : "?");
	if (cmdline) {
		/* One line of 80 columns: long command lines end in "..." */
		size_t room = 80 - strlen("# recorded with: "), len = strlen(cmdline);
		if (len > room)
			outbuf_printf(o, "# recorded with: %.*s...\n", (int)(room - 3), cmdline);
		else
			outbuf_printf(o, "# recorded with: %s\n", cmdline);
	}
	outbuf_printf(o, "# %.6f s from %.6f%s%s%s\n# %llu events, %llu lost\n", (double)(sp.last - sp.first) / 1e9,
		      (double)sp.first / 1e9, wall[0] ? " (" : "", wall, wall[0] ? ")" : "",
		      (unsigned long long)sp.events, (unsigned long long)sp.lost);
	if (sp.tot) {
		outbuf_puts(o, "# events per type:\n");
		for (uint32_t i = 0; i < sp.tot->ntypes; i++) {
			const struct trec_schema *sc = rfile_schema(f, sp.tot->types[i].type);
			outbuf_printf(o, "#   %12llu  %.60s\n", (unsigned long long)sp.tot->types[i].count,
				      sc ? sc->name : "?");
		}
	}
	if (sp.lost)
		outbuf_printf(o, "# WARNING: %llu events were lost while recording (trec info shows where)\n",
			      (unsigned long long)sp.lost);
}

void summary_header_json(struct rfile *f, struct json *j)
{
	struct span sp;
	get_span(f, &sp);
	json_obj_begin(j);
	json_kv_str(j, "file", f->path);
	json_kv_str(j, "host", f->host);
	json_key(j, "kernel");
	json_str(j, rfile_meta_str(f, "kernel.release"));
	json_key(j, "machine");
	json_str(j, rfile_meta_str(f, "machine"));
	json_key(j, "cmdline");
	json_str(j, rfile_meta_str(f, "trec.cmdline"));
	json_kv_u64(j, "first_ns", sp.first);
	json_kv_u64(j, "last_ns", sp.last);
	json_kv_u64(j, "events", sp.events);
	json_kv_u64(j, "lost", sp.lost);
	json_key(j, "truncated");
	json_bool(j, trec_reader_info(f->r)->truncated);
	json_key(j, "types");
	json_obj_begin(j);
	for (uint32_t i = 0; sp.tot && i < sp.tot->ntypes; i++) {
		const struct trec_schema *sc = rfile_schema(f, sp.tot->types[i].type);
		json_kv_u64(j, sc ? sc->name : "?", sp.tot->types[i].count);
	}
	json_obj_end(j);
	json_obj_end(j);
}
