/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ktab.h"

uint64_t ktab_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	for (; n >= 8; c += 8, n -= 8) {
		memcpy(&w, c, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* The tail as memcpy into w would load it on a little-endian host,
	 * without a call for a length the compiler cannot see. */
	w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)c[i] << (8 * i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

void ktab_init(struct ktab *t)
{
	memset(t, 0, sizeof(*t));
	tarena_init(&t->keys);
}

void ktab_free(struct ktab *t)
{
	free(t->e);
	free(t->slot);
	tarena_free(&t->keys);
	memset(t, 0, sizeof(*t));
}

static int ktab_rehash(struct ktab *t, uint32_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t k = (uint32_t)t->e[i].hash & (nslots - 1);
		while (s[k])
			k = (k + 1) & (nslots - 1);
		s[k] = i + 1;
	}
	free(t->slot);
	t->slot = s;
	t->mask = nslots - 1;
	return 0;
}

int ktab_get(struct ktab *t, const void *key, uint32_t len, uint32_t *id)
{
	uint64_t h = ktab_hash(key, len);
	if (t->slot) {
		for (uint32_t k = (uint32_t)h & t->mask;; k = (k + 1) & t->mask) {
			uint32_t s = t->slot[k];
			if (!s)
				break;
			const struct kent *e = &t->e[s - 1];
			if (e->hash == h && e->len == len && !memcmp(e->key, key, len)) {
				*id = s - 1;
				return 0;
			}
		}
	}
	if (t->n >= UINT32_MAX / 4)
		return -ENOMEM;
	/* Load at most one half: short probe runs. */
	if (!t->slot || (uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1) {
		if (ktab_rehash(t, t->slot ? (t->mask + 1) * 2 : 1024))
			return -ENOMEM;
	}
	if (t->n == t->cap) {
		uint32_t c = t->cap ? t->cap * 2 : 256;
		struct kent *e = realloc(t->e, (size_t)c * sizeof(*e));
		if (!e)
			return -ENOMEM;
		t->e = e;
		t->cap = c;
	}
	char *k = tarena_alloc(&t->keys, len + 1); /* NUL-terminated: string keys print as is */
	if (!k)
		return -ENOMEM;
	memcpy(k, key, len);
	struct kent *e = &t->e[t->n];
	*e = (struct kent){ .hash = h, .key = k, .len = len };
	uint32_t slot = (uint32_t)h & t->mask;
	while (t->slot[slot])
		slot = (slot + 1) & t->mask;
	t->slot[slot] = t->n + 1;
	*id = t->n++;
	return 1;
}

