/* SPDX-License-Identifier: MIT */
/*
 * The byte hash behind flamegraph/'s tables (frame names, folded stacks).
 * Frame names are short and stacks a few hundred bytes; both are hashed
 * once per input line, so the hash reads 8 bytes per step and mixes with
 * one multiply. It only spreads keys over a table: tables compare the
 * bytes on every hit, so collisions cost time, never correctness.
 */
#ifndef TREC_FG_HASH_H
#define TREC_FG_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FG_HASH_K1 0x9e3779b97f4a7c15ull
#define FG_HASH_K2 0xbf58476d1ce4e5b9ull

/* The final avalanche of splitmix64: every input bit reaches every output bit. */
static inline uint64_t fg_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= FG_HASH_K2;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static inline uint64_t fg_load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* unaligned-safe; compiles to one load */
	return v;
}

static inline uint64_t fg_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = (uint64_t)len * FG_HASH_K1;
	while (len >= 8) {
		h = (h ^ fg_load64(p)) * FG_HASH_K1;
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = 0;
		memcpy(&v, p, len);
		h = (h ^ v) * FG_HASH_K1;
	}
	return fg_mix64(h);
}

#endif
