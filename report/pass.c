/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pass.h"

#define MAX_SINKS 8

struct file_pass {
	struct rfile *f;
	const struct pass_sink *sinks[MAX_SINKS]; /* those taking part in this file */
	size_t n;
	const struct pass_opts *o;
};

/* Events between two progress calls in the ordered path: often enough
 * for a line redrawn a few times a second, rare enough that the indirect
 * call costs nothing per event. */
#define PROGRESS_EVERY (1u << 14)

static void progress(const struct file_pass *p, uint64_t n, int done)
{
	if (p->o && p->o->progress)
		p->o->progress(p->o->progress_ctx, p->f, n, done);
}

/* An event the filter kept, to every sink. */
static int feed_kept(struct file_pass *p, const struct trec_event *ev, struct trec_err *err)
{
	struct rfile *f = p->f;
	if (p->n == 1)
		return p->sinks[0]->event(p->sinks[0]->ctx, f, ev, err);
	int stop = 0;
	for (size_t k = 0; k < p->n; k++) {
		int rc = p->sinks[k]->event(p->sinks[k]->ctx, f, ev, err);
		if (rc < 0)
			return rc;
		stop |= rc == PASS_STOP;
	}
	return stop ? PASS_STOP : 0;
}

static int feed(struct file_pass *p, const struct trec_event *ev, struct trec_err *err)
{
	return evfilter_keep(&p->f->f, ev, &p->f->ct) ? feed_kept(p, ev, err) : 0;
}

/* The events of one file, to the sinks that take part. */
static int read_file(struct source *s, struct file_pass *p, int ordered, const uint8_t *skip,
		     struct trec_err *err)
{
	struct rfile *f = p->f;
	struct trec_event_iter *it;
	int rc = rfile_iter(f, !ordered, skip, &it, err);
	if (rc < 0)
		return source_fail(s, f->path, SOURCE_AT_READ, rc);
	struct trec_event ev;
	struct trec_err rerr = { 0 };
	uint64_t n = 0;
	int r = 0;
	if (ordered) {
		/* Runs of events in time order: a loop per event, no call into
		 * the reader. With one sink (the usual case) its callback right
		 * here: feed() per event cost the latency view a twentieth. */
		int (*event)(void *, struct rfile *, const struct trec_event *, struct trec_err *) =
			p->n == 1 ? p->sinks[0]->event : NULL;
		void *ctx = p->sinks[0]->ctx;
		const struct trec_evblock *b;
		uint32_t first, cnt;
		int (*run)(void *, struct rfile *, const struct trec_evblock *, uint32_t, uint32_t,
			   struct trec_err *) = p->n == 1 ? p->sinks[0]->run : NULL;
		while (run && !rc && (r = trec_event_iter_next_run(it, &b, &first, &cnt, &rerr)) == 1) {
			if ((n + cnt) / PROGRESS_EVERY != n / PROGRESS_EVERY)
				progress(p, n + cnt, 0);
			n += cnt;
			rc = run(ctx, f, b, first, cnt, err);
		}
		while (!run && !rc && (r = trec_event_iter_next_run(it, &b, &first, &cnt, &rerr)) == 1) {
			for (uint32_t i = first; i < first + cnt; i++) {
				trec_evblock_get(b, i, &ev);
				if (!(++n % PROGRESS_EVERY))
					progress(p, n, 0);
				if (!evfilter_keep(&f->f, &ev, &f->ct))
					continue;
				if ((rc = event ? event(ctx, f, &ev, err) : feed_kept(p, &ev, err)) != 0)
					break;
			}
		}
	} else {
		/* Whole blocks: no per-event iterator work. */
		const struct trec_evblock *b;
		while ((r = trec_event_iter_next_block(it, &b, &rerr)) == 1) {
			n += b->n;
			progress(p, n, 0);
			if (p->n == 1 && p->sinks[0]->block) {
				rc = p->sinks[0]->block(p->sinks[0]->ctx, f, b, err);
			} else {
				for (uint32_t i = 0; i < b->n && !rc; i++) {
					trec_evblock_get(b, i, &ev);
					rc = feed(p, &ev, err);
				}
			}
			if (rc)
				break;
		}
	}
	progress(p, n, 1);
	trec_event_iter_free(it);
	if (rc != 0)
		return rc; /* an error, or PASS_STOP */
	if (r < 0) {
		if (err)
			*err = rerr;
		return source_fail(s, f->path, SOURCE_AT_READ, r);
	}
	return 0;
}

int pass_run(struct source *s, const struct pass_sink *sinks, size_t nsinks, const struct pass_opts *o,
	     struct trec_err *err)
{
	if (nsinks > MAX_SINKS)
		return trec_errf(err, -E2BIG, "%zu views in one pass (at most %d)", nsinks, MAX_SINKS);
	for (size_t i = 0; i < s->n; i++) {
		struct file_pass p = { .f = &s->files[i], .o = o };
		uint32_t nt = p.f->ntypes ? p.f->ntypes : 1;
		uint8_t *need = calloc(nt, 1);
		if (!need)
			return trec_errf(err, -ENOMEM, "out of memory");
		int ordered = 0, rc = 0;
		size_t begun = 0;
		for (; begun < nsinks; begun++) {
			int o1 = 0;
			rc = sinks[begun].begin(sinks[begun].ctx, p.f, need, &o1, err);
			if (rc < 0)
				break;
			if (rc > 0) {
				p.sinks[p.n++] = &sinks[begun];
				ordered |= o1;
			}
		}
		if (rc > 0)
			rc = 0;
		if (!rc && p.n) {
			/* The payloads no sink reads are not decoded. */
			for (uint32_t t = 0; t < nt; t++)
				need[t] = !need[t];
			rc = read_file(s, &p, ordered, need, err);
		}
		free(need);
		/* Every sink that began ends, even after an error (its state). */
		for (size_t k = 0; k < p.n; k++) {
			struct trec_err e2 = { 0 };
			int r = p.sinks[k]->end(p.sinks[k]->ctx, p.f, rc < 0 ? &e2 : err);
			if (rc >= 0 && r < 0)
				rc = r;
		}
		if (rc < 0)
			return rc;
		if (rc == PASS_STOP)
			break;
	}
	return 0;
}
