/* SPDX-License-Identifier: MIT */
/*
 * A hash table on byte keys for the report's aggregations: open addressing
 * over entry ids, keys copied into an arena once (NUL-terminated, so string
 * keys print as they are), three counters per entry for the caller. Memory
 * grows with distinct keys, never with the number of lookups.
 */
#ifndef TREC_REPORT_KTAB_H
#define TREC_REPORT_KTAB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct kent {
	uint64_t hash;
	const char *key;
	uint32_t len;
	uint64_t v[3]; /* the table's own counters */
};

struct ktab {
	struct kent *e;
	uint32_t n, cap;
	uint32_t *slot; /* entry id + 1; 0 = empty */
	uint32_t mask;
	struct tarena keys;
};

uint64_t ktab_hash(const void *p, size_t n);
void ktab_init(struct ktab *t);
void ktab_free(struct ktab *t);
/* The id of `key`, added (counters zero) when new. 1 when added, 0 when
 * found, -ENOMEM. */
int ktab_get(struct ktab *t, const void *key, uint32_t len, uint32_t *id);

#endif
