/* SPDX-License-Identifier: MIT */
/*
 * Events with stacks added up per (comm, event type, process, thread,
 * stack, address-space generation): the table behind stack aggregation
 * (stackprof: --folded, --top, flame graphs) and the interactive report
 * (browse). Its own layout rather than ktab's, because it is probed once
 * per event: keys inline, so a probe is one cache line rather than slot,
 * entry and key in three places, and the previous event's slot is tried
 * first (a hot loop repeats its stack). The lookup is inline for that.
 */
#ifndef TREC_REPORT_STACK_AGG_H
#define TREC_REPORT_STACK_AGG_H

#include <stdint.h>

#include "ktab.h" /* ktab_hash */

struct stack_agg_key {
	const char *comm; /* the comm table's; NULL when unknown */
	uint32_t type;    /* 0 where the caller keeps one type apart */
	uint32_t pid;
	uint32_t tid;     /* 0 unless the caller shows threads (or the comm is unknown) */
	uint32_t stack_id;
	uint32_t gen;     /* symbolizer_generation */
	uint32_t pad;     /* zero: keys are hashed as bytes */
};

struct stack_agg {
	struct stack_agg_key k;
	uint64_t weight;
	uint64_t ts;     /* of one of its events: all name it the same */
	uint64_t events; /* 0: an empty slot */
};

struct stack_agg_tab {
	struct stack_agg *slot;
	uint32_t mask, n;
	uint32_t last;
};

/* Doubles the table (4096 slots to start). 0 or -ENOMEM. */
int stack_agg_grow(struct stack_agg_tab *t);
void stack_agg_free(struct stack_agg_tab *t);

/* Slots in use are those with events; a walk visits them all. */
static inline uint32_t stack_agg_slots(const struct stack_agg_tab *t)
{
	return t->slot ? t->mask + 1 : 0;
}

static inline int stack_agg_key_eq(const struct stack_agg_key *a, const struct stack_agg_key *b)
{
	return a->comm == b->comm && a->stack_id == b->stack_id && a->pid == b->pid && a->tid == b->tid &&
	       a->type == b->type && a->gen == b->gen;
}

/* The slot of k, claimed (counters zero, ts set) when new; NULL: no memory. */
static inline struct stack_agg *stack_agg_get(struct stack_agg_tab *t, const struct stack_agg_key *k, uint64_t ts)
{
	if (t->slot && t->slot[t->last].events && stack_agg_key_eq(&t->slot[t->last].k, k))
		return &t->slot[t->last];
	if ((!t->slot || (uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1) && stack_agg_grow(t))
		return 0;
	uint32_t i = (uint32_t)ktab_hash(k, sizeof(*k)) & t->mask;
	for (; t->slot[i].events; i = (i + 1) & t->mask)
		if (stack_agg_key_eq(&t->slot[i].k, k))
			break;
	struct stack_agg *a = &t->slot[i];
	if (!a->events) {
		a->k = *k;
		a->ts = ts;
		t->n++;
	}
	t->last = i;
	return a;
}

#endif
