/* SPDX-License-Identifier: MIT */
/*
 * One hash map for the whole tree, in the style of libbpf's hashmap.h:
 * keys and values are `long` (an integer or a pointer cast to one), the
 * caller gives the hash and equality callbacks (with a context pointer,
 * so a key can be an index into the caller's own array), and the map
 * only stores the pairs.
 *
 * Open addressing with linear probing over a power-of-two slot array,
 * each slot holding the key's hash so that probes compare keys only on a
 * hash match; deletion shifts the following run back (no tombstones), so
 * lookups never slow down after deletes. The array doubles at 3/4 full.
 * A map can be bounded (hashmap_set_max): adding past the bound is -E2BIG.
 *
 * Not thread-safe. Errors are negative errno values.
 */
#ifndef TREC_LIB_HASHMAP_H
#define TREC_LIB_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef size_t (*hashmap_hash_fn)(long key, void *ctx);
typedef bool (*hashmap_equal_fn)(long key1, long key2, void *ctx);

struct hashmap_slot {
	size_t hash; /* 0: empty; the callback's hash with its low bit set */
	long key;
	long value;
};

struct hashmap {
	hashmap_hash_fn hash_fn;
	hashmap_equal_fn equal_fn;
	void *ctx;
	struct hashmap_slot *slots;
	size_t cap;         /* slots: 0 or a power of two */
	size_t size;        /* pairs held */
	size_t max_entries; /* 0: unbounded */
};

/* An empty map (allocates nothing until the first add). */
void hashmap_init(struct hashmap *m, hashmap_hash_fn hash_fn, hashmap_equal_fn equal_fn, void *ctx);
/* Frees the slots (not what keys or values point to); the map is empty
 * and usable again. */
void hashmap_clear(struct hashmap *m);
/* Empties the map but keeps its slots, for a map refilled as often as
 * it is emptied. */
void hashmap_reset(struct hashmap *m);
/* Caps the pairs held (0: no cap). */
void hashmap_set_max(struct hashmap *m, size_t max_entries);
/* Makes room for n pairs without growing again. 0, -ENOMEM or -E2BIG. */
int hashmap_reserve(struct hashmap *m, size_t n);

static inline size_t hashmap_size(const struct hashmap *m) { return m->size; }

/* Adds key -> value: 0, -EEXIST (key present, map unchanged), -ENOMEM,
 * or -E2BIG (at the bound). */
int hashmap_add(struct hashmap *m, long key, long value);
/* Adds or replaces key -> value; on replace the old pair goes to
 * *old_key / *old_value when they are non-NULL (else they are left alone).
 * Returns 1 when replaced, 0 when added, or -ENOMEM / -E2BIG. */
int hashmap_set(struct hashmap *m, long key, long value, long *old_key, long *old_value);
/* true and *value (when non-NULL) if key is present. */
bool hashmap_find(const struct hashmap *m, long key, long *value);
/* The same with the key's hash given (what hash_fn returns for it), for a
 * caller that keeps its keys' hashes: it saves the callback on a hot path. */
bool hashmap_find_hashed(const struct hashmap *m, long key, size_t hash, long *value);
int hashmap_add_hashed(struct hashmap *m, long key, size_t hash, long value);
/* Removes key; true and the pair removed (to the non-NULL outputs) if it
 * was present. */
bool hashmap_delete(struct hashmap *m, long key, long *old_key, long *old_value);

/*
 * Iteration, in slot order (no particular order): start with *pos = 0;
 * each call gives the next pair and returns true, or returns false at
 * the end. The map must not change during an iteration (an add may
 * regrow it, a delete shifts pairs back over visited slots).
 */
bool hashmap_next(const struct hashmap *m, size_t *pos, long *key, long *value);
#define hashmap_for_each(m, pos, k, v) for (size_t pos = 0; hashmap_next((m), &pos, &(k), &(v));)

/* Hash helpers for common keys (64-bit avalanche of splitmix64). */
static inline size_t hashmap_hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (size_t)x;
}
size_t hashmap_hash_bytes(const void *data, size_t len);
size_t hashmap_hash_str(const char *s);

/* Callbacks for integer keys (the key itself) and C-string keys. */
size_t hashmap_int_hash(long key, void *ctx);
bool hashmap_int_equal(long a, long b, void *ctx);
size_t hashmap_str_hash(long key, void *ctx);
bool hashmap_str_equal(long a, long b, void *ctx);

#endif
