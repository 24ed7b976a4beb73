/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmtpool.h"

#define BATCH_EVENTS 8192
#define NJOBS 8 /* batches in flight: filled, queued, being formatted, done */

enum job_state { J_FREE, J_QUEUED, J_BUSY, J_DONE };

struct job {
	enum job_state state;
	uint64_t seq;
	uint32_t n;
	struct trec_event ev[BATCH_EVENTS]; /* data holds an offset into pay until formatted */
	const struct trec_schema *sc[BATCH_EVENTS];
	struct evwho who[BATCH_EVENTS];
	uint8_t *pay;
	size_t plen, pcap;
	struct outbuf text;
};

struct fmtpool {
	fmtpool_fn fn;
	const void *ctx;
	struct outbuf *dst;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t *threads;
	unsigned nthreads, started;
	int quit;
	struct job *jobs[NJOBS];
	uint64_t next_seq;   /* of the batch being filled */
	uint64_t write_seq;  /* next batch to write */
	struct job *fill;    /* being filled by the caller, NULL when none */
	int err;
};

unsigned fmtpool_threads(void)
{
	const char *env = getenv("TREC_THREADS");
	if (env && *env) {
		long v = strtol(env, NULL, 10);
		return v < 1 ? 1 : v > 64 ? 64 : (unsigned)v;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

static void format_job(struct fmtpool *p, struct job *j)
{
	j->text.len = 0;
	j->text.err = 0;
	for (uint32_t i = 0; i < j->n; i++) {
		struct trec_event ev = j->ev[i];
		ev.data = j->pay + (uintptr_t)ev.data;
		p->fn(&j->text, &ev, j->sc[i], &j->who[i], p->ctx);
	}
}

static void *worker(void *arg)
{
	struct fmtpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job *j = NULL;
		for (int i = 0; i < NJOBS; i++)
			if (p->jobs[i]->state == J_QUEUED && (!j || p->jobs[i]->seq < j->seq))
				j = p->jobs[i];
		if (!j) {
			if (p->quit)
				break;
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		j->state = J_BUSY;
		pthread_mutex_unlock(&p->mu);
		format_job(p, j);
		pthread_mutex_lock(&p->mu);
		j->state = J_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int fmtpool_new(struct fmtpool **out, unsigned nthreads, fmtpool_fn fn, const void *ctx, struct outbuf *dst)
{
	struct fmtpool *p = calloc(1, sizeof(*p));
	*out = p;
	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->ctx = ctx;
	p->dst = dst;
	p->nthreads = nthreads ? nthreads : 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (int i = 0; i < NJOBS; i++) {
		p->jobs[i] = calloc(1, sizeof(*p->jobs[i]));
		if (!p->jobs[i] || outbuf_init_mem(&p->jobs[i]->text, 1 << 20) < 0)
			return -ENOMEM;
	}
	p->threads = calloc(p->nthreads, sizeof(*p->threads));
	if (!p->threads)
		return -ENOMEM;
	for (; p->started < p->nthreads; p->started++)
		if (pthread_create(&p->threads[p->started], NULL, worker, p))
			return p->started ? 0 : -EAGAIN; /* fewer threads still work */
	return 0;
}

/* Writes the finished batches that are next in order. Caller holds mu. */
static void write_ready(struct fmtpool *p)
{
	for (;;) {
		struct job *j = p->jobs[p->write_seq % NJOBS];
		if (j->state != J_DONE || j->seq != p->write_seq)
			return;
		if (j->text.err && !p->err)
			p->err = -j->text.err;
		/* Writing without the lock: formatters go on meanwhile. */
		pthread_mutex_unlock(&p->mu);
		outbuf_put(p->dst, j->text.buf, j->text.len);
		pthread_mutex_lock(&p->mu);
		j->state = J_FREE;
		p->write_seq++;
	}
}

static void submit(struct fmtpool *p)
{
	struct job *j = p->fill;
	p->fill = NULL;
	if (!j || !j->n)
		return;
	pthread_mutex_lock(&p->mu);
	j->state = J_QUEUED;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* The batch to fill next: its slot once its previous batch is written. */
static struct job *next_job(struct fmtpool *p)
{
	struct job *j = p->jobs[p->next_seq % NJOBS];
	pthread_mutex_lock(&p->mu);
	for (;;) {
		write_ready(p);
		if (j->state == J_FREE)
			break;
		pthread_cond_wait(&p->done, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	j->seq = p->next_seq++;
	j->n = 0;
	j->plen = 0;
	return j;
}

int fmtpool_add(struct fmtpool *p, const struct trec_event *ev, const struct trec_schema *s,
		const struct evwho *who)
{
	if (p->err)
		return p->err;
	if (p->dst->err)
		return -p->dst->err;
	struct job *j = p->fill;
	if (!j || j->n == BATCH_EVENTS || j->plen > (4u << 20)) {
		submit(p);
		j = p->fill = next_job(p);
	}
	if (j->plen + ev->size > j->pcap) {
		size_t cap = j->pcap ? j->pcap * 2 : 1 << 20;
		while (cap < j->plen + ev->size)
			cap *= 2;
		uint8_t *b = realloc(j->pay, cap);
		if (!b)
			return p->err = -ENOMEM;
		j->pay = b;
		j->pcap = cap;
	}
	memcpy(j->pay + j->plen, ev->data, ev->size);
	j->ev[j->n] = *ev;
	j->ev[j->n].data = (const void *)(uintptr_t)j->plen;
	j->sc[j->n] = s;
	j->who[j->n] = *who;
	j->plen += ev->size;
	j->n++;
	return 0;
}

int fmtpool_finish(struct fmtpool *p)
{
	submit(p);
	pthread_mutex_lock(&p->mu);
	while (p->write_seq < p->next_seq) {
		write_ready(p);
		if (p->write_seq < p->next_seq)
			pthread_cond_wait(&p->done, &p->mu);
	}
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	p->started = 0;
	return p->err ? p->err : -p->dst->err;
}

void fmtpool_free(struct fmtpool *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (unsigned i = 0; i < p->started; i++)
			pthread_join(p->threads[i], NULL);
	}
	for (int i = 0; i < NJOBS; i++) {
		if (!p->jobs[i])
			continue;
		free(p->jobs[i]->pay);
		free(p->jobs[i]->text.buf);
		free(p->jobs[i]);
	}
	free(p->threads);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}
