/* SPDX-License-Identifier: MIT */
/*
 * NT_GNU_BUILD_ID from ELF files, with a (dev, ino, mtime, size) cache.
 *
 * Safety against hostile files comes from two choices:
 *  - files are opened O_PATH first and checked to be regular before any
 *    real open: opening a device node can have effects (a watchdog arms
 *    itself on open), and a FIFO would block;
 *  - the notes are read with the bounded reader lib/elfread.h (the one
 *    the report uses): pread only, no mmap, so a file truncated under us
 *    gives a read error rather than SIGBUS; every offset and size is
 *    checked against the file, note blocks over ELFREAD_MAX_NOTE are
 *    skipped. A header table that is corrupt or past the end of the file
 *    is dropped rather than failing the file, as libelf did, so a
 *    truncated file still gives the build-id of its PT_NOTE segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "elfread.h"
#include "mapfile.h"

_Static_assert(BUILDID_MAX == ELFREAD_MAX_BUILD_ID, "build-id limits differ");

/* The cache is cleared when it reaches this many files; a recording that
 * touches more distinct binaries is rare and only costs re-parsing. */
#define CACHE_MAX_ENTRIES 65536

/* ---- parsing -------------------------------------------------------------- */

int buildid_read_fd(int fd, uint8_t id[BUILDID_MAX])
{
	struct elfread e;
	int n = 0;

	if (fd < 0 || !id)
		return -EINVAL;
	/* Whatever is wrong with the file, it has no usable build-id: 0. */
	if (elfread_open_fd(&e, fd, "build-id", NULL) == 0 &&
	    elfread_load_headers(&e, ELFREAD_SKIP_BAD_TABLES, NULL) == 0)
		n = elfread_build_id(&e, id, NULL);
	elfread_close(&e);
	return n > 0 ? n : 0;
}

/* ---- cache -------------------------------------------------------------- */

struct bid_key {
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec;
};

struct bid_entry {
	struct bid_key key;
	uint8_t used;
	uint8_t len; /* 0: file parsed, no build-id */
	uint8_t id[BUILDID_MAX];
};

struct buildid_cache {
	struct bid_entry *tab;
	size_t cap; /* power of two */
	size_t n;
	uint64_t lookups, hits, parses;
};

int buildid_cache_new(struct buildid_cache **out)
{
	struct buildid_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cap = 256;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	if (!c->tab) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void buildid_cache_free(struct buildid_cache *c)
{
	if (!c)
		return;
	free(c->tab);
	free(c);
}

void buildid_cache_stats(const struct buildid_cache *c, struct buildid_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	st->lookups = c->lookups;
	st->hits = c->hits;
	st->parses = c->parses;
	st->entries = c->n;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t key_hash(const struct bid_key *k)
{
	uint64_t h = mix64(k->dev ^ 0x9e3779b97f4a7c15ull);
	h = mix64(h ^ k->ino);
	h = mix64(h ^ k->size);
	h = mix64(h ^ (uint64_t)k->mtime_sec);
	return mix64(h ^ (uint64_t)k->mtime_nsec);
}

static int key_eq(const struct bid_key *a, const struct bid_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

/* Linear probing; returns the slot holding k or the empty slot for it. */
static struct bid_entry *slot_for(struct bid_entry *tab, size_t cap, const struct bid_key *k)
{
	size_t i = (size_t)key_hash(k) & (cap - 1);
	while (tab[i].used && !key_eq(&tab[i].key, k))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static void cache_put(struct buildid_cache *c, const struct bid_key *k, const uint8_t *id, int len)
{
	if (c->n >= CACHE_MAX_ENTRIES) {
		memset(c->tab, 0, c->cap * sizeof(*c->tab));
		c->n = 0;
	}
	if ((c->n + 1) * 10 > c->cap * 7) { /* keep the load under 70% */
		size_t ncap = c->cap * 2;
		struct bid_entry *nt = calloc(ncap, sizeof(*nt));
		if (!nt)
			return; /* caching is an optimization: skip it */
		for (size_t i = 0; i < c->cap; i++)
			if (c->tab[i].used)
				*slot_for(nt, ncap, &c->tab[i].key) = c->tab[i];
		free(c->tab);
		c->tab = nt;
		c->cap = ncap;
	}
	struct bid_entry *e = slot_for(c->tab, c->cap, k);
	if (!e->used)
		c->n++;
	e->used = 1;
	e->key = *k;
	e->len = (uint8_t)(len > 0 ? len : 0);
	if (len > 0)
		memcpy(e->id, id, (size_t)len);
}

/* ---- opening files safely ---------------------------------------------- */

/* The build-id of an open regular file, through the cache when given. */
static int read_cached(struct buildid_cache *c, int fd, const struct stat *st, uint8_t id[BUILDID_MAX])
{
	struct bid_key k = {
		.dev = (uint64_t)st->st_dev,
		.ino = (uint64_t)st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_sec = (int64_t)st->st_mtim.tv_sec,
		.mtime_nsec = (int64_t)st->st_mtim.tv_nsec,
	};
	if (c) {
		c->lookups++;
		struct bid_entry *e = slot_for(c->tab, c->cap, &k);
		if (e->used) {
			c->hits++;
			if (e->len)
				memcpy(id, e->id, e->len);
			return e->len;
		}
	}
	int n = buildid_read_fd(fd, id);
	if (c && n >= 0) {
		c->parses++;
		cache_put(c, &k, id, n);
	}
	return n;
}

int buildid_read_path(struct buildid_cache *c, const char *path, uint8_t id[BUILDID_MAX])
{
	struct stat st;
	int n;

	if (!path || !*path || !id)
		return -EINVAL;
	/* O_PATH: no open() reaches a driver, and the inode is pinned, so the
	 * check below and the reopen refer to the same file. */
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	int fd = mapfile_reopen_regular(pfd);
	close(pfd);
	if (fd == -EINVAL)
		return 0; /* not a regular file: read, no build-id */
	if (fd < 0)
		return fd;
	n = fstat(fd, &st) < 0 ? -errno : read_cached(c, fd, &st, id);
	close(fd);
	return n;
}

int buildid_for_query(struct buildid_cache *c, const struct mapfile_query *q, uint8_t id[BUILDID_MAX])
{
	struct stat st;

	if (!q || !id)
		return -EINVAL;
	int fd = mapfile_open(q, NULL);
	if (fd == -EINVAL)
		return 0; /* a device or FIFO: never opened, no build-id */
	if (fd < 0)
		return fd;
	int n = fstat(fd, &st) < 0 ? -errno : read_cached(c, fd, &st, id);
	close(fd);
	return n;
}

int buildid_for_mapping(struct buildid_cache *c, pid_t pid, uint64_t start, uint64_t end,
			const char *path, uint8_t id[BUILDID_MAX])
{
	struct mapfile_query q = { .pid = pid, .start = start, .end = end, .path = path };
	return buildid_for_query(c, &q, id);
}

char *buildid_hex(const uint8_t *id, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[2 * len] = 0;
	return out;
}
