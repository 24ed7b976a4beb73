/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldcache.h"

/*
 * Layout (glibc elf/dl-cache.h), all in host byte order:
 *   header: magic "glibc-ld.so.cache" version "1.1" (20 bytes), u32 nlibs,
 *           u32 len_strings, u8 flags, u8 pad[3], u32 extension_offset,
 *           u32 unused[3]                                   = 48 bytes
 *   entries: nlibs x { i32 flags, u32 key, u32 value, u32 osversion,
 *           u64 hwcap }                                      = 24 bytes each
 *   key and value: offsets of NUL-terminated strings, from the header.
 * The old format ("ld.so-1.7.0", u32 nlibs, 12-byte entries) may come
 * first; the new header then follows at the next 8-byte boundary.
 */
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_MAGIC_LEN 20
#define NEW_HEADER 48
#define NEW_ENTRY 24
#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_MAGIC_LEN 11
#define OLD_HEADER 16
#define OLD_ENTRY 12

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

int ldcache_name_matches(const char *file, const char *name)
{
	size_t n = strlen(name);
	if (!n || !strcmp(file, name))
		return !!n;
	for (int lib = 0; lib < 2; lib++) {
		const char *f = file;
		if (lib) {
			if (!strncmp(name, "lib", 3) || strncmp(f, "lib", 3))
				continue;
			f += 3;
		}
		if (strncmp(f, name, n))
			continue;
		const char *rest = f + n;
		/* NAME.so, NAME.so.6 */
		if (!strncmp(rest, ".so", 3) && (rest[3] == '\0' || rest[3] == '.'))
			return 1;
		/* NAME-2.31.so: a version, then .so */
		if (rest[0] == '-' && rest[1] >= '0' && rest[1] <= '9') {
			const char *so = strstr(rest, ".so");
			if (so && (so[3] == '\0' || so[3] == '.'))
				return 1;
		}
	}
	return 0;
}

/* A NUL-terminated string at offset off of [base, base + len), or NULL. */
static const char *string_at(const uint8_t *base, size_t len, uint32_t off)
{
	if (off >= len)
		return NULL;
	const char *s = (const char *)base + off;
	return memchr(s, '\0', len - off) ? s : NULL;
}

int ldcache_scan(const void *buf, size_t len, const char *name,
		 int (*visit)(const char *key, const char *path, void *arg), void *arg, struct trec_err *err)
{
	const uint8_t *p = buf;
	size_t at = 0;
	if (len >= OLD_HEADER && !memcmp(p, OLD_MAGIC, OLD_MAGIC_LEN)) {
		uint32_t nold = get32(p + 12);
		if (nold > (len - OLD_HEADER) / OLD_ENTRY)
			return trec_errf(err, -EINVAL, "ld.so cache: old-format table larger than the file");
		at = (OLD_HEADER + (size_t)nold * OLD_ENTRY + 7) & ~(size_t)7;
	}
	if (at > len || len - at < NEW_HEADER || memcmp(p + at, NEW_MAGIC, NEW_MAGIC_LEN))
		return trec_errf(err, -EINVAL, "ld.so cache: not a glibc-ld.so.cache1.1 file");
	const uint8_t *h = p + at;
	size_t hlen = len - at;
	uint32_t nlibs = get32(h + 20);
	if (nlibs > (hlen - NEW_HEADER) / NEW_ENTRY)
		return trec_errf(err, -EINVAL, "ld.so cache: %u entries do not fit in the file", nlibs);
	for (uint32_t i = 0; i < nlibs; i++) {
		const uint8_t *e = h + NEW_HEADER + (size_t)i * NEW_ENTRY;
		const char *key = string_at(h, hlen, get32(e + 4));
		const char *val = string_at(h, hlen, get32(e + 8));
		if (!key || !val)
			return trec_errf(err, -EINVAL, "ld.so cache: entry %u points outside the file", i);
		if (!ldcache_name_matches(key, name) || val[0] != '/')
			continue;
		int r = visit(key, val, arg);
		if (r)
			return r;
	}
	return 0;
}

/* e_ident class and data, and e_machine, of an ELF header. */
static int elf_kind(const uint8_t *h, size_t n, uint8_t *cls, uint16_t *machine)
{
	if (n < 20 || memcmp(h, ELFMAG, SELFMAG))
		return -1;
	*cls = h[EI_CLASS];
	uint16_t m = (uint16_t)(h[EI_DATA] == ELFDATA2MSB ? (h[18] << 8 | h[19]) : (h[19] << 8 | h[18]));
	*machine = m;
	return 0;
}

static int read_head(const char *path, uint8_t *h, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st;
	ssize_t got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? pread(fd, h, n, 0) : -1;
	close(fd);
	return got == (ssize_t)n ? 0 : -1;
}

int ldcache_elf_is_native(const char *path)
{
	static int have_self;
	static uint8_t self_cls;
	static uint16_t self_machine;
	uint8_t h[20];
	if (!have_self) {
		if (read_head("/proc/self/exe", h, sizeof(h)) || elf_kind(h, sizeof(h), &self_cls, &self_machine))
			return 1; /* cannot tell: do not reject */
		have_self = 1;
	}
	uint8_t cls;
	uint16_t machine;
	if (read_head(path, h, sizeof(h)) || elf_kind(h, sizeof(h), &cls, &machine))
		return 0;
	return cls == self_cls && machine == self_machine;
}

struct pick {
	char *out;
	size_t outlen;
};

static int pick_native(const char *key, const char *path, void *arg)
{
	struct pick *pk = arg;
	(void)key;
	if (!ldcache_elf_is_native(path) || strlen(path) >= pk->outlen)
		return 0;
	strcpy(pk->out, path);
	return 1;
}

int ldcache_lookup(const char *cache, const char *name, char *out, size_t outlen, struct trec_err *err)
{
	if (!cache)
		cache = LDCACHE_DEFAULT;
	int fd = open(cache, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -ENOENT; /* no cache (musl, containers): the caller looks elsewhere */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)LDCACHE_MAX_BYTES) {
		close(fd);
		return trec_errf(err, -EINVAL, "%s: not a regular file of at most %u bytes", cache, LDCACHE_MAX_BYTES);
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return trec_errf(err, -ENOMEM, "out of memory reading %s", cache);
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	struct pick pk = { out, outlen };
	struct trec_err pe = { 0 };
	int r = ldcache_scan(buf, got, name, pick_native, &pk, &pe);
	free(buf);
	if (r < 0)
		return trec_errf(err, r, "%s: %s", cache, pe.msg);
	return r > 0 ? 0 : -ENOENT;
}
