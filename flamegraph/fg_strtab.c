/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fg_hash.h"
#include "fg_strtab.h"

/* The map's keys are entry indices; PROBE_KEY stands for t->probe. */
#define PROBE_KEY (-1L)

static inline const struct fg_strent *ent_of(const struct fg_strtab *t, long k)
{
	return k == PROBE_KEY ? &t->probe : &t->ents[k];
}

static size_t ent_hash(long k, void *ctx)
{
	return (size_t)ent_of(ctx, k)->hash;
}

static bool ent_equal(long stored, long k, void *ctx)
{
	const struct fg_strent *a = ent_of(ctx, stored), *b = ent_of(ctx, k);
	return a->len == b->len && !memcmp(a->key, b->key, a->len);
}

int fg_strtab_init(struct fg_strtab *t)
{
	memset(t, 0, sizeof(*t));
	tarena_init(&t->arena);
	hashmap_init(&t->map, ent_hash, ent_equal, t);
	return hashmap_reserve(&t->map, 512);
}

void fg_strtab_free(struct fg_strtab *t)
{
	tarena_free(&t->arena);
	free(t->ents);
	hashmap_clear(&t->map);
	memset(t, 0, sizeof(*t));
}

static long lookup(struct fg_strtab *t, const char *key, size_t len, uint64_t h)
{
	long i;
	t->probe = (struct fg_strent){ .key = key, .len = len, .hash = h };
	return hashmap_find_hashed(&t->map, PROBE_KEY, (size_t)h, &i) ? i : -1;
}

/* Files entry k, whose key is not in the map yet. */
static int set_new(struct fg_strtab *t, size_t k)
{
	return hashmap_add_hashed(&t->map, (long)k, (size_t)t->ents[k].hash, (long)k);
}

uint64_t *fg_strtab_find(const struct fg_strtab *t, const char *key, size_t len)
{
	long at = lookup((struct fg_strtab *)t, key, len, fg_hash_bytes(key, len));
	return at >= 0 ? &t->ents[at].value : NULL;
}

uint64_t *fg_strtab_upsert(struct fg_strtab *t, const char *key, size_t len, int *added)
{
	uint64_t h = fg_hash_bytes(key, len);
	long at = lookup(t, key, len, h);
	if (at >= 0) {
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
	size_t k = t->n;
	t->ents[k] = (struct fg_strent){ .key = copy, .len = len, .hash = h };
	if (set_new(t, k))
		return NULL;
	t->n++;
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
	hashmap_reset(&t->map);
	for (size_t k = 0; k < t->n; k++)
		if (set_new(t, k))
			return -ENOMEM;
	return 0;
}
