/* SPDX-License-Identifier: MIT */
/*
 * NT_GNU_BUILD_ID from ELF files, with a (dev, ino, mtime, size) cache.
 *
 * Safety against hostile files comes from three choices:
 *  - files are opened O_PATH first and checked to be regular before any
 *    real open: opening a device node can have effects (a watchdog arms
 *    itself on open), and a FIFO would block;
 *  - libelf runs in ELF_C_READ mode (pread on demand, no mmap), so a file
 *    truncated under us gives a read error rather than SIGBUS;
 *  - note blocks larger than NOTE_MAX are skipped, and notes are walked
 *    with gelf_getnote(), which checks every size against the block.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "mapfile.h"

#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

/* Build-id notes are tens of bytes and live in small note segments; a
 * megabyte of notes is already absurd. */
#define NOTE_MAX (1u << 20)
/* Bounds the section walk of a file claiming an absurd number of them. */
#define MAX_SECTIONS 65536
/* The cache is cleared when it reaches this many files; a recording that
 * touches more distinct binaries is rare and only costs re-parsing. */
#define CACHE_MAX_ENTRIES 65536

/* ---- note scanning ---------------------------------------------------- */

static int scan_notes(Elf_Data *d, uint8_t id[BUILDID_MAX])
{
	GElf_Nhdr nh;
	size_t off = 0, next, name_off, desc_off;

	if (!d || !d->d_buf)
		return 0;
	while (off < d->d_size && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)d->d_buf + name_off;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
		    nh.n_descsz >= 1 && nh.n_descsz <= BUILDID_MAX) {
			memcpy(id, (const uint8_t *)d->d_buf + desc_off, nh.n_descsz);
			return (int)nh.n_descsz;
		}
		off = next;
	}
	return 0;
}

/* PT_NOTE segments first: they are what the loader maps, they survive
 * `strip --strip-section-headers`, and they sit near the start of the file
 * (one small read). Then SHT_NOTE sections for files without them. */
static int parse_elf(Elf *e, uint8_t id[BUILDID_MAX])
{
	size_t phnum = 0;
	int n;

	if (elf_getphdrnum(e, &phnum) == 0) {
		for (size_t i = 0; i < phnum && i < 65536; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
				continue;
			if (ph.p_filesz == 0 || ph.p_filesz > NOTE_MAX)
				continue;
			Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, (size_t)ph.p_filesz,
							   ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
			/* rawchunk data belongs to e and is freed by elf_end */
			if ((n = scan_notes(d, id)) > 0)
				return n;
		}
	}

	Elf_Scn *scn = NULL;
	for (size_t i = 0; i < MAX_SECTIONS && (scn = elf_nextscn(e, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if (sh.sh_size == 0 || sh.sh_size > NOTE_MAX)
			continue;
		/* libelf picks ELF_T_NHDR or ELF_T_NHDR8 from sh_addralign */
		if ((n = scan_notes(elf_getdata(scn, NULL), id)) > 0)
			return n;
	}
	return 0;
}

int buildid_read_fd(int fd, uint8_t id[BUILDID_MAX])
{
	if (fd < 0 || !id)
		return -EINVAL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return 0;
	int n = elf_kind(e) == ELF_K_ELF ? parse_elf(e, id) : 0;
	elf_end(e);
	return n;
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
