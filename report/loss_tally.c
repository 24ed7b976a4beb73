/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loss_tally.h"

static int cmp_type(const void *a, const void *b)
{
	uint32_t x = ((const struct loss_type_row *)a)->type, y = ((const struct loss_type_row *)b)->type;
	return x < y ? -1 : x > y;
}

int loss_tally_build(struct loss_tally *t, const struct trec_loss *l, size_t n)
{
	memset(t, 0, sizeof(*t));
	if (!n)
		return 0;
	/* Rows by type: records come one per CPU, type, reason and second, so
	 * a few types among many records; sort a copy of the keys, then sum. */
	struct loss_type_row *rows = calloc(n, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rows[i].type = l[i].type;
	qsort(rows, n, sizeof(*rows), cmp_type);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || rows[k - 1].type != rows[i].type)
			rows[k++].type = rows[i].type;
	t->types = rows;
	t->ntypes = k;
	for (size_t i = 0; i < n; i++) {
		uint32_t r = l[i].reason < LOSS_REASONS ? l[i].reason : TREC_LOSS_OTHER; /* the decoder checked it */
		struct loss_type_row key = { .type = l[i].type };
		struct loss_type_row *row = bsearch(&key, rows, k, sizeof(*rows), cmp_type);
		row->by_reason[r] += l[i].count;
		t->by_reason[r] += l[i].count;
		if (r != TREC_LOSS_STACK)
			t->events_lost += l[i].count;
	}
	return 0;
}

void loss_tally_sides(struct loss_tally *t, const struct trec_meta_kv *kv, size_t n)
{
	/* One pair per file the recording wrote; a file holds one, but the
	 * keys of several merged files would add up. */
	for (size_t i = 0; i < n; i++) {
		if (kv[i].type != TREC_META_U64)
			continue;
		if (!strcmp(kv[i].key, "stack_loss.kernel"))
			t->stack_kernel += kv[i].v.u64, t->has_sides = 1;
		else if (!strcmp(kv[i].key, "stack_loss.user"))
			t->stack_user += kv[i].v.u64, t->has_sides = 1;
	}
}

const struct loss_type_row *loss_tally_type(const struct loss_tally *t, uint32_t type)
{
	struct loss_type_row key = { .type = type };
	return t->ntypes ? bsearch(&key, t->types, t->ntypes, sizeof(*t->types), cmp_type) : NULL;
}

uint64_t loss_tally_type_lost(const struct loss_tally *t, uint32_t type)
{
	const struct loss_type_row *r = loss_tally_type(t, type);
	if (!r)
		return 0;
	uint64_t n = 0;
	for (uint32_t k = 1; k < LOSS_REASONS; k++)
		if (k != TREC_LOSS_STACK)
			n += r->by_reason[k];
	return n;
}

void loss_tally_free(struct loss_tally *t)
{
	free(t->types);
	memset(t, 0, sizeof(*t));
}

const char *loss_reason_key(uint32_t reason)
{
	switch (reason) {
	case TREC_LOSS_RINGBUF: return "ring_buffer";
	case TREC_LOSS_STACK: return "stack";
	case TREC_LOSS_WRITER: return "writer";
	default: return "other";
	}
}

const char *loss_reason_text(uint32_t reason)
{
	switch (reason) {
	case TREC_LOSS_RINGBUF: return "ring buffer full: BPF could not reserve (events lost)";
	case TREC_LOSS_STACK: return "stack not captured (events kept, without it)";
	case TREC_LOSS_WRITER: return "writer behind: queue full, disk slow (events lost)";
	default: return "other: the process side-band's records (lost)";
	}
}
