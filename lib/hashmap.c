/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

#define HASHMAP_MIN_CAP 16

void hashmap_init(struct hashmap *m, hashmap_hash_fn hash_fn, hashmap_equal_fn equal_fn, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->hash_fn = hash_fn;
	m->equal_fn = equal_fn;
	m->ctx = ctx;
}

void hashmap_clear(struct hashmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->size = 0;
}

void hashmap_reset(struct hashmap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->size = 0;
}

void hashmap_set_max(struct hashmap *m, size_t max_entries)
{
	m->max_entries = max_entries;
}

/* The low bit marks a used slot, so a callback's hash of 0 is fine. */
static inline size_t slot_hash(const struct hashmap *m, long key)
{
	return m->hash_fn(key, m->ctx) | 1;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const struct hashmap *m, long key, size_t h, bool *found)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct hashmap_slot *s = &m->slots[i];
		if (!s->hash) {
			*found = false;
			return i;
		}
		if (s->hash == h && m->equal_fn(s->key, key, m->ctx)) {
			*found = true;
			return i;
		}
	}
}

static int regrow(struct hashmap *m, size_t cap)
{
	if (cap > SIZE_MAX / sizeof(struct hashmap_slot))
		return -ENOMEM;
	struct hashmap_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		const struct hashmap_slot *s = &m->slots[i];
		if (!s->hash)
			continue;
		size_t j = s->hash & (cap - 1);
		while (slots[j].hash)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* Slots for n pairs at most 3/4 full. */
static size_t cap_for(size_t n)
{
	size_t cap = HASHMAP_MIN_CAP;
	while (cap - cap / 4 < n) {
		if (cap > SIZE_MAX / 2)
			return 0;
		cap *= 2;
	}
	return cap;
}

int hashmap_reserve(struct hashmap *m, size_t n)
{
	if (m->max_entries && n > m->max_entries)
		return -E2BIG;
	size_t cap = cap_for(n);
	if (!cap)
		return -ENOMEM;
	return cap > m->cap ? regrow(m, cap) : 0;
}

/* Room for one more pair. */
static int make_room(struct hashmap *m)
{
	if (m->max_entries && m->size >= m->max_entries)
		return -E2BIG;
	if (m->cap && m->size + 1 <= m->cap - m->cap / 4)
		return 0;
	return regrow(m, m->cap ? m->cap * 2 : HASHMAP_MIN_CAP);
}

/* Adds key (hash h, low bit set), or replaces its pair when `replace`
 * (else -EEXIST). One probe unless the slots regrow. */
static int put(struct hashmap *m, long key, size_t h, long value, bool replace, long *old_key,
	       long *old_value)
{
	bool found = false;
	size_t i = 0;
	if (m->cap)
		i = probe(m, key, h, &found);
	if (found) {
		struct hashmap_slot *s = &m->slots[i];
		if (!replace)
			return -EEXIST;
		if (old_key)
			*old_key = s->key;
		if (old_value)
			*old_value = s->value;
		s->key = key;
		s->value = value;
		return 1;
	}
	size_t cap = m->cap;
	int rc = make_room(m);
	if (rc)
		return rc;
	if (m->cap != cap)
		i = probe(m, key, h, &found);
	m->slots[i] = (struct hashmap_slot){ .hash = h, .key = key, .value = value };
	m->size++;
	return 0;
}

int hashmap_set(struct hashmap *m, long key, long value, long *old_key, long *old_value)
{
	return put(m, key, slot_hash(m, key), value, true, old_key, old_value);
}

bool hashmap_find_hashed(const struct hashmap *m, long key, size_t hash, long *value)
{
	bool found;
	if (!m->size)
		return false;
	size_t i = probe(m, key, hash | 1, &found);
	if (found && value)
		*value = m->slots[i].value;
	return found;
}

bool hashmap_find(const struct hashmap *m, long key, long *value)
{
	return m->size && hashmap_find_hashed(m, key, m->hash_fn(key, m->ctx), value);
}

int hashmap_add_hashed(struct hashmap *m, long key, size_t hash, long value)
{
	return put(m, key, hash | 1, value, false, NULL, NULL);
}

int hashmap_add(struct hashmap *m, long key, long value)
{
	return hashmap_add_hashed(m, key, m->hash_fn(key, m->ctx), value);
}

bool hashmap_delete(struct hashmap *m, long key, long *old_key, long *old_value)
{
	bool found;
	if (!m->size)
		return false;
	size_t mask = m->cap - 1;
	size_t i = probe(m, key, slot_hash(m, key), &found);
	if (!found)
		return false;
	if (old_key)
		*old_key = m->slots[i].key;
	if (old_value)
		*old_value = m->slots[i].value;
	/* Backward shift: move each later pair of the run into the hole when
	 * the hole lies between its home slot and where it sits. */
	for (size_t j = (i + 1) & mask; m->slots[j].hash; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].hash = 0;
	m->size--;
	return true;
}

bool hashmap_next(const struct hashmap *m, size_t *pos, long *key, long *value)
{
	for (size_t i = *pos; i < m->cap; i++) {
		if (!m->slots[i].hash)
			continue;
		*key = m->slots[i].key;
		*value = m->slots[i].value;
		*pos = i + 1;
		return true;
	}
	*pos = m->cap;
	return false;
}

size_t hashmap_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = (uint64_t)len * 0x9e3779b97f4a7c15ull;
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		h = (h ^ v) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = 0;
		memcpy(&v, p, len);
		h = (h ^ v) * 0x9e3779b97f4a7c15ull;
	}
	return hashmap_hash_u64(h);
}

size_t hashmap_hash_str(const char *s)
{
	return hashmap_hash_bytes(s, strlen(s));
}

size_t hashmap_int_hash(long key, void *ctx)
{
	(void)ctx;
	return hashmap_hash_u64((uint64_t)key);
}

bool hashmap_int_equal(long a, long b, void *ctx)
{
	(void)ctx;
	return a == b;
}

size_t hashmap_str_hash(long key, void *ctx)
{
	(void)ctx;
	return hashmap_hash_str((const char *)key);
}

bool hashmap_str_equal(long a, long b, void *ctx)
{
	(void)ctx;
	return !strcmp((const char *)a, (const char *)b);
}
