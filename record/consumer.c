/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "consumer.h"
#include "dsos.h"


struct consumer {
	struct tp_capture *cap;
	struct trec_writer *w;
	struct ring_buffer *rb;
	uint32_t ncpus;
	uint32_t nrings;
	uint32_t max_type;
	uint64_t *type_events;   /* [max_type + 1] */
	uint64_t *writer_drops;  /* [ncpus][max_type + 1], not yet reported */
	uint64_t *ring_seen;     /* [ncpus][max_type + 1], BPF counter values already reported */
	uint64_t *type_lost;     /* [max_type + 1], everything reported */
	uint64_t *stack_lost;    /* [ncpus][max_type + 1], stacks not captured, not yet reported */
	uint64_t *scratch;       /* [ncpus] */
	int error;               /* first writer error, sticky */
	struct dso_tracker *dsos; /* told about every new stack (may be NULL) */
	uint32_t max_stack_id;   /* stack ids of the current writer seen so far */
	consumer_sink_fn sink;   /* --overwrite: records go here, not to the writer */
	void *sink_ctx;
	consumer_loss_fn loss_sink; /* --overwrite: loss records go here */
	void *loss_ctx;
	struct consumer_stats st;
};

/* The stack tail after the payload: deduplicated into the stack table.
 * A side the BPF program could not capture counts as stack loss. */
static int add_stack(struct consumer *c, uint32_t cpu, const struct trec_rec *r, size_t size,
		     uint32_t *id)
{
	size_t at = sizeof(*r) + TREC_ALIGN8((size_t)r->size);
	const struct trec_stack_tail *t = (const void *)((const uint8_t *)r + at);
	if (at + sizeof(*t) > size) {
		c->st.bad_records++;
		return 0;
	}
	size_t n = (size_t)t->nkernel + t->nuser;
	if (n > 2 * TREC_MAX_STACK || at + sizeof(*t) + n * sizeof(uint64_t) > size) {
		c->st.bad_records++;
		return 0;
	}
	if (t->flags & (TREC_STACKF_KLOST | TREC_STACKF_ULOST))
		c->stack_lost[(size_t)cpu * (c->max_type + 1) + r->type]++;
	/* Which side, for the file's stack_loss.* metadata: the loss records
	 * carry one reason for both. */
	c->st.lost_kstacks += !!(t->flags & TREC_STACKF_KLOST);
	c->st.lost_ustacks += !!(t->flags & TREC_STACKF_ULOST);
	*id = 0;
	if (!n)
		return 0;
	uint64_t ips[2 * TREC_MAX_STACK];
	memcpy(ips, t + 1, n * sizeof(uint64_t)); /* ring memory is 8-aligned, but be exact */
	/* The frame-pointer walk ends on a zero return address: not a frame. */
	uint16_t nuser = t->nuser;
	while (nuser && !ips[t->nkernel + nuser - 1])
		nuser--;
	if (!t->nkernel && !nuser)
		return 0;
	int e = trec_writer_add_stack(c->w, ips, t->nkernel, nuser, id);
	if (e || *id <= c->max_stack_id)
		return e;
	/* A stack new to this file: note the binaries it runs through. */
	c->max_stack_id = *id;
	return c->dsos ? dso_tracker_stack(c->dsos, r->pid, ips, t->nkernel, nuser) : 0;
}

/* The CPU comes from the record, not the ring: neighbouring CPUs may
 * share a ring (record/memplan.h). */
static int valid_record(const struct consumer *c, const void *data, size_t size)
{
	const struct trec_rec *r = data;
	return size >= sizeof(*r) && r->size <= size - sizeof(*r) && r->type <= c->max_type && r->cpu < c->ncpus;
}

/* One record into the writer: 0, -EAGAIN (the writer's queue is full) or
 * a write error. */
static int write_record(struct consumer *c, uint32_t cpu, const struct trec_rec *r, size_t size)
{
	struct trec_event ev = {
		.ts = r->ts, .cpu = cpu, .pid = r->pid, .tid = r->tid, .type = r->type,
		.size = r->size, .data = r + 1,
	};
	if (r->flags & TREC_RECF_STACK) {
		int e = add_stack(c, cpu, r, size, &ev.stack_id);
		if (e < 0)
			return e;
	}
	return trec_writer_add_event(c->w, &ev);
}

static int on_record(void *arg, void *data, size_t size)
{
	struct consumer *c = arg;
	const struct trec_rec *r = data;
	if (!valid_record(c, data, size)) {
		c->st.bad_records++;
		return 0;
	}
	int e = c->sink ? c->sink(c->sink_ctx, r->cpu, data, size) : write_record(c, r->cpu, r, size);
	if (e == 0) {
		c->st.events++;
		c->st.bytes += sizeof(*r) + r->size;
		c->type_events[r->type]++;
		return 0;
	}
	if (e == -EAGAIN) {
		c->writer_drops[(size_t)r->cpu * (c->max_type + 1) + r->type]++;
		return 0;
	}
	/* A write error (disk full): stop consuming; the caller stops the run. */
	if (!c->error)
		c->error = e;
	return e;
}

void consumer_set_loss_sink(struct consumer *c, consumer_loss_fn fn, void *ctx)
{
	c->loss_sink = fn;
	c->loss_ctx = ctx;
}

static int add_loss(struct consumer *c, const struct trec_loss *l)
{
	return c->loss_sink ? c->loss_sink(c->loss_ctx, l) : trec_writer_add_loss(c->w, l);
}

void consumer_set_sink(struct consumer *c, consumer_sink_fn fn, void *ctx)
{
	c->sink = fn;
	c->sink_ctx = ctx;
}

int consumer_replay(struct consumer *c, uint32_t cpu, const void *data, size_t size)
{
	if (!c->w || cpu >= c->ncpus || !valid_record(c, data, size)) {
		c->st.bad_records++;
		return 0;
	}
	int e = write_record(c, cpu, data, size);
	if (e == -EAGAIN) {
		c->writer_drops[(size_t)cpu * (c->max_type + 1) + ((const struct trec_rec *)data)->type]++;
		return 0;
	}
	return e;
}

int consumer_new(struct consumer **out, struct tp_capture *cap, struct trec_writer *w,
		 uint32_t max_type)
{
	*out = NULL;
	struct consumer *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cap = cap;
	c->w = w;
	c->ncpus = tp_capture_ncpus(cap);
	c->nrings = tp_capture_nrings(cap);
	c->max_type = max_type;
	size_t nt = (size_t)max_type + 1;
	c->type_events = calloc(nt, sizeof(uint64_t));
	c->type_lost = calloc(nt, sizeof(uint64_t));
	c->writer_drops = calloc(nt * c->ncpus, sizeof(uint64_t));
	c->ring_seen = calloc(nt * c->ncpus, sizeof(uint64_t));
	c->stack_lost = calloc(nt * c->ncpus, sizeof(uint64_t));
	c->scratch = calloc(c->ncpus, sizeof(uint64_t));
	if (!c->type_events || !c->type_lost || !c->writer_drops || !c->ring_seen || !c->scratch ||
	    !c->stack_lost) {
		consumer_free(c);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->nrings; i++) {
		int fd = tp_capture_ring_fd(cap, i);
		int r = 0;
		if (!c->rb) {
			c->rb = ring_buffer__new(fd, on_record, c, NULL);
			if (!c->rb)
				r = -errno;
		} else {
			r = ring_buffer__add(c->rb, fd, on_record, c);
		}
		if (r) {
			consumer_free(c);
			return r;
		}
	}
	*out = c;
	return 0;
}

void consumer_set_writer(struct consumer *c, struct trec_writer *w)
{
	c->w = w;
	c->max_stack_id = 0; /* stack ids start again in a new file */
}

void consumer_set_dsos(struct consumer *c, struct dso_tracker *t)
{
	c->dsos = t;
}

int consumer_ring_fd(const struct consumer *c, uint32_t ring)
{
	return tp_capture_ring_fd(c->cap, ring);
}

uint32_t consumer_nrings(const struct consumer *c)
{
	return c->nrings;
}

int consumer_drain(struct consumer *c)
{
	int r = ring_buffer__consume(c->rb);
	if (c->error)
		return c->error;
	return r;
}

int consumer_flush_losses(struct consumer *c, uint64_t now_ns)
{
	size_t nt = (size_t)c->max_type + 1;
	for (uint32_t t = 0; t < nt; t++) {
		if (tp_capture_lost(c->cap, t, c->scratch) < 0)
			continue;
		for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
			size_t k = (size_t)cpu * nt + t;
			uint64_t ring = c->scratch[cpu] - c->ring_seen[k];
			uint64_t drops = c->writer_drops[k];
			struct trec_loss l = { .ts = now_ns, .cpu = cpu, .type = t };
			int r = 0;
			if (ring) {
				l.reason = TREC_LOSS_RINGBUF;
				l.count = ring;
				r = add_loss(c, &l);
				if (r)
					return r;
				c->ring_seen[k] = c->scratch[cpu];
				c->st.lost_ring += ring;
				c->type_lost[t] += ring;
			}
			if (c->stack_lost[k]) {
				l.reason = TREC_LOSS_STACK;
				l.count = c->stack_lost[k];
				r = add_loss(c, &l);
				if (r)
					return r;
				c->st.lost_stacks += c->stack_lost[k];
				c->stack_lost[k] = 0;
			}
			if (drops) {
				l.reason = TREC_LOSS_WRITER;
				l.count = drops;
				r = add_loss(c, &l);
				if (r)
					return r;
				c->writer_drops[k] = 0;
				c->st.lost_writer += drops;
				c->type_lost[t] += drops;
			}
		}
	}
	return 0;
}

void consumer_stats(const struct consumer *c, struct consumer_stats *st)
{
	*st = c->st;
}

uint64_t consumer_type_events(const struct consumer *c, uint32_t type)
{
	return type <= c->max_type ? c->type_events[type] : 0;
}

uint64_t consumer_type_lost(const struct consumer *c, uint32_t type)
{
	return type <= c->max_type ? c->type_lost[type] : 0;
}

void consumer_free(struct consumer *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	free(c->type_events);
	free(c->type_lost);
	free(c->writer_drops);
	free(c->ring_seen);
	free(c->stack_lost);
	free(c->scratch);
	free(c);
}
