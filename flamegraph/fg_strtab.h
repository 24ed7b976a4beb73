/* SPDX-License-Identifier: MIT */
/*
 * A table from byte strings to a 64-bit value, with the entries sortable
 * in byte order at the end: the collapser's "stack -> count" (output
 * sorted like stackcollapse-perf.pl's) and the consistent palette's
 * "name -> color". Keys are copied into an arena; memory is the keys plus
 * about 40 bytes per entry.
 */
#ifndef TREC_FG_STRTAB_H
#define TREC_FG_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hashmap.h"

struct fg_strent {
	const char *key; /* NUL-terminated copy */
	size_t len;
	uint64_t hash;
	uint64_t value;
};

struct fg_strtab {
	struct tarena arena;
	struct fg_strent *ents;
	size_t n, cap;
	struct hashmap map;     /* entry index -> itself, hashed by its key */
	struct fg_strent probe; /* the key being looked up */
};

int fg_strtab_init(struct fg_strtab *t);
void fg_strtab_free(struct fg_strtab *t);
/* The value of key, added as 0 if new (*added says which). NULL when out
 * of memory or past 2^32-2 entries. The pointer is valid until the next
 * upsert. */
uint64_t *fg_strtab_upsert(struct fg_strtab *t, const char *key, size_t len, int *added);
/* The value of key, or NULL. */
uint64_t *fg_strtab_find(const struct fg_strtab *t, const char *key, size_t len);
/* Sorts t->ents by key (byte order, a prefix first), lookups keep working.
 * 0 or -ENOMEM. */
int fg_strtab_sort(struct fg_strtab *t);

#endif
