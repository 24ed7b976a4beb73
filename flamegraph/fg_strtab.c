/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fg_hash.h"
#include "fg_strtab.h"

#define STRTAB_INIT_SLOTS 1024u

int fg_strtab_init(struct fg_strtab *t)
{
	memset(t, 0, sizeof(*t));
	tarena_init(&t->arena);
	t->slots = calloc(STRTAB_INIT_SLOTS, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = STRTAB_INIT_SLOTS - 1;
	return 0;
}

void fg_strtab_free(struct fg_strtab *t)
{
	tarena_free(&t->arena);
	free(t->ents);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static void slots_fill(uint32_t *slots, size_t mask, const struct fg_strent *ents, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = ents[k].hash & mask;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = (uint32_t)(k + 1);
	}
}

static int rehash(struct fg_strtab *t, size_t size)
{
	uint32_t *slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	slots_fill(slots, size - 1, t->ents, t->n);
	free(t->slots);
	t->slots = slots;
	t->mask = size - 1;
	return 0;
}

static size_t lookup(const struct fg_strtab *t, const char *key, size_t len, uint64_t h,
		     int *found)
{
	size_t i = h & t->mask;
	for (;;) {
		uint32_t v = t->slots[i];
		if (!v) {
			*found = 0;
			return i;
		}
		const struct fg_strent *e = &t->ents[v - 1];
		if (e->hash == h && e->len == len && !memcmp(e->key, key, len)) {
			*found = 1;
			return v - 1;
		}
		i = (i + 1) & t->mask;
	}
}

uint64_t *fg_strtab_find(const struct fg_strtab *t, const char *key, size_t len)
{
	int found;
	size_t at = lookup(t, key, len, fg_hash_bytes(key, len), &found);
	return found ? &t->ents[at].value : NULL;
}

uint64_t *fg_strtab_upsert(struct fg_strtab *t, const char *key, size_t len, int *added)
{
	uint64_t h = fg_hash_bytes(key, len);
	int found;
	size_t at = lookup(t, key, len, h, &found);
	if (found) {
		*added = 0;
		return &t->ents[at].value;
	}
	if (t->n >= UINT32_MAX - 1)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct fg_strent *ents = realloc(t->ents, cap * sizeof(*ents));
		if (!ents)
			return NULL;
		t->ents = ents;
		t->cap = cap;
	}
	char *copy = tarena_strndup(&t->arena, key, len);
	if (!copy)
		return NULL;
	size_t k = t->n++;
	t->ents[k] = (struct fg_strent){ .key = copy, .len = len, .hash = h };
	t->slots[at] = (uint32_t)(k + 1);
	if (t->n * 2 > t->mask + 1 && rehash(t, (t->mask + 1) * 2)) {
		/* Still a valid table, just fuller than planned. */
		t->n--;
		t->slots[at] = 0;
		return NULL;
	}
	*added = 1;
	return &t->ents[k].value;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct fg_strent *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

int fg_strtab_sort(struct fg_strtab *t)
{
	if (t->n > 1)
		qsort(t->ents, t->n, sizeof(*t->ents), cmp_ent);
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	slots_fill(t->slots, t->mask, t->ents, t->n);
	return 0;
}
