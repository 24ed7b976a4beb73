/* SPDX-License-Identifier: MIT */
/*
 * The dynamic linker's cache (/etc/ld.so.cache, written by ldconfig): the
 * libraries the system would load, by soname. `u:libc:malloc` finds libc
 * there, as the dynamic linker would.
 *
 * Only the "glibc-ld.so.cache1.1" format is read (glibc's default since
 * 2.32; older files carry it after the old "ld.so-1.7.0" table, where it
 * is found too). The file is untrusted input: every count, offset and
 * string is checked against its size.
 */
#ifndef TREC_RECORD_LDCACHE_H
#define TREC_RECORD_LDCACHE_H

#include <stddef.h>

#include "errors.h"

#define LDCACHE_DEFAULT "/etc/ld.so.cache"
#define LDCACHE_MAX_BYTES (64u << 20) /* real caches are tens of KiB */

/*
 * Whether a library file name (a soname or a basename: "libc.so.6",
 * "libc-2.31.so") is what a user means by `name`: the name itself, or
 * NAME.so*, libNAME.so*, NAME-VERSION.so*, libNAME-VERSION.so*. "libc"
 * and "c" both mean libc.so.6; "libc" does not mean libcap.so.2.
 */
int ldcache_name_matches(const char *file, const char *name);

/*
 * Calls `visit` for every entry of a cache image (buf, len) whose key
 * matches `name`, in the cache's order (ldconfig sorts the preferred
 * entries first), until visit returns nonzero: that value is returned.
 * 0 when no entry was accepted, -EINVAL (err says why) when the image is
 * not a cache or is corrupt.
 */
int ldcache_scan(const void *buf, size_t len, const char *name,
		 int (*visit)(const char *key, const char *path, void *arg), void *arg, struct trec_err *err);

/*
 * The path of library `name` from the cache file at `cache` (NULL: the
 * default) whose ELF class and machine are this program's (a 64-bit trec
 * does not pick the i386 libc of a multilib system). 0 with out filled,
 * -ENOENT when the cache has no such library (or there is no cache), or
 * another negative errno with err set.
 */
int ldcache_lookup(const char *cache, const char *name, char *out, size_t outlen, struct trec_err *err);

/* Whether an ELF file has this program's class and machine (1), not (0). */
int ldcache_elf_is_native(const char *path);

#endif
