/* SPDX-License-Identifier: MIT */
/*
 * --to perf-script: the text `perf script` prints for samples with
 * callchains, so that what reads perf's text (FlameGraph's
 * stackcollapse-perf.pl, speedscope, Firefox Profiler, hotspot) reads
 * trec's. One paragraph per event with a stack, in time order:
 *
 *   COMM PID/TID [CPU] SECS.USECS: PERIOD EVENT:
 *   \t    ADDR SYM+0xOFF (DSO)          one line per frame, leaf first
 *   (blank line)
 *
 * with perf 6.1's widths: "%s %5d/%-5d [%03d] %12s: %10llu %*s: " (the
 * event name padded to the longest of the file's, as perf pads to its
 * event list's), then "\t%16llx %s+0x%llx (%s)" per frame; a frame
 * without a symbol is "[unknown]" with no offset. PERIOD: the sample's
 * period (ns for cpu-clock), the off-CPU time in ns for offcpu (as
 * perf's offcpu-time), 1 for other events. DSO is the file's basename
 * ("[kernel.kallsyms]" for the kernel), where perf prints the full path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm_table.h"
#include "convert.h"
#include "reader.h"
#include "schema.h"
#include "symbolize.h"

struct ps_state {
	struct convert_opts o;
	FILE *out;
	struct symbolizer *sym;  /* of the current file */
	struct trec_reader *r;
	int swap;
	const struct trec_field **value; /* per type id: the period's field, NULL: 1 */
	uint8_t *kind;                   /* per type id: enum convert_kind */
	uint32_t ntypes;
	int name_width;
	uint64_t written;        /* events written */
	uint64_t missing_stacks; /* events whose stack is not in the file */
	struct comm_cache cc;    /* the current file's last thread's name */
};

static int ps_create(void **state, const struct convert_opts *o, struct trec_err *err)
{
	struct ps_state *s = calloc(1, sizeof(*s));
	if (!s)
		return trec_errf(err, -ENOMEM, "out of memory");
	memcpy(&s->o, o, o->sz < sizeof(s->o) ? o->sz : sizeof(s->o));
	s->out = o->out;
	*state = s;
	return 0;
}

static void file_done(struct ps_state *s)
{
	symbolizer_free(s->sym);
	s->sym = NULL;
	free(s->value);
	s->value = NULL;
	free(s->kind);
	s->kind = NULL;
}

static int ps_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct ps_state *s = ctx;
	file_done(s);
	int rc = convert_symbolizer(f, &s->o, &s->sym, err);
	if (rc < 0)
		return rc;
	memset(&s->cc, 0, sizeof(s->cc));
	s->r = f->r;
	s->swap = f->swap;
	s->ntypes = f->ntypes;
	s->value = calloc(f->ntypes ? f->ntypes : 1, sizeof(*s->value));
	s->kind = calloc(f->ntypes ? f->ntypes : 1, 1);
	if (!s->value || !s->kind)
		return trec_errf(err, -ENOMEM, "out of memory");
	s->name_width = 0;
	for (uint32_t t = 0; t < f->ntypes; t++) {
		const struct trec_schema *sc = f->by_id[t];
		if (!sc)
			continue;
		s->kind[t] = (uint8_t)convert_type_kind(sc, &s->value[t]);
		need[t] |= s->value[t] != NULL;
		int len = (int)strlen(sc->name);
		if (len > s->name_width)
			s->name_width = len;
	}
	*ordered = 1; /* perf script prints in time order */
	return 1;
}

/* Text that cannot break a line or a field: control bytes as '?'. */
static void put_clean(FILE *out, const char *p)
{
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		putc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
	}
}

static int ps_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	struct ps_state *s = ctx;
	(void)err;
	if (!ev->stack_id)
		return 0;
	const struct trec_schema *sc = rfile_schema(f, ev->type);
	uint64_t period = 1;
	if (sc && s->value[ev->type] &&
	    trec_field_get_u64(s->value[ev->type], ev->data, ev->size, 0, s->swap, &period) < 0)
		period = 0;
	const struct trec_stack *st = trec_reader_stack(s->r, ev->stack_id);
	if (!st)
		s->missing_stacks++;
	FILE *out = s->out;
	const char *comm = comm_table_lookup_cached(&f->ct, &s->cc, ev->pid, ev->tid, ev->ts);
	if (comm)
		put_clean(out, comm);
	else
		fprintf(out, ":%u", ev->tid);
	char when[32];
	snprintf(when, sizeof(when), "%" PRIu64 ".%06" PRIu64, ev->ts / 1000000000u, ev->ts % 1000000000u / 1000u);
	fprintf(out, " %5u/%-5u [%03u] %12s: %10" PRIu64 " %*s: \n", ev->pid, ev->tid, ev->cpu, when, period,
		s->name_width, sc ? sc->name : "[unknown]");
	size_t nk = st ? st->nkernel : 0, n = st ? nk + st->nuser : 0;
	for (size_t i = 0; i < n; i++) {
		int kernel = i < nk;
		if ((kernel && s->o.no_kernel) || (!kernel && s->o.no_user) || !st->ips[i])
			continue;
		struct sym_result res = { 0 };
		symbolize_frame(s->sym, ev->pid, ev->ts, st->ips[i], kernel, sym_frame_is_return(i, nk), &res);
		fprintf(out, "\t%16" PRIx64 " ", st->ips[i]);
		if (res.found && res.name) {
			put_clean(out, res.name);
			fprintf(out, "+0x%" PRIx64, res.offset);
		} else {
			fputs("[unknown]", out);
		}
		fputs(" (", out);
		put_clean(out, res.dso ? res.dso : "[unknown]");
		fputs(")\n", out);
	}
	if (!st)
		fputs("\t               0 [unknown] ([unknown])\n", out);
	putc('\n', out);
	s->written++;
	if (ferror(out))
		return trec_errf(err, -EIO, "writing the output: %s", strerror(errno));
	return 0;
}

static int ps_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	(void)ctx;
	(void)f;
	(void)err;
	return 0;
}

static struct pass_sink ps_sink(void *state)
{
	return (struct pass_sink){ .ctx = state, .begin = ps_begin, .event = ps_event, .end = ps_end };
}

static int ps_finish(void *state, struct source *src, FILE *out, struct trec_err *err)
{
	struct ps_state *s = state;
	(void)out;
	if (!s->written)
		return trec_errf(err, -ENODATA, "%s: no events with stacks to convert (record them with -F or "
						"--offcpu, or with -g on events; --event/--pid/... may have left none)",
				 src->n > 1 ? "the traces" : src->files[0].path);
	if (s->missing_stacks)
		convert_warn(&s->o, "%" PRIu64 " event%s name a stack the file does not hold: written as [unknown]",
			     s->missing_stacks, s->missing_stacks == 1 ? "" : "s");
	return 0;
}

static void ps_free(void *state)
{
	struct ps_state *s = state;
	if (!s)
		return;
	file_done(s);
	free(s);
}

const struct converter_ops convert_perf_script = {
	.name = "perf-script",
	.what = "the text `perf script` prints for samples with callchains",
	.ext = ".perf.txt",
	.binary = 0,
	.create = ps_create,
	.sink = ps_sink,
	.finish = ps_finish,
	.free = ps_free,
};
