/* SPDX-License-Identifier: MIT */
/*
 * Build-id of an ELF file: the NT_GNU_BUILD_ID note, read with the bounded
 * ELF reader lib/elfread.h (libc only, shared with the report).
 *
 * The report symbolizes stacks later, on another machine, by build-id, so
 * the recorder tags every executable mapping with the build-id of the file
 * that is actually mapped. The kernel can hand it over in PERF_RECORD_MMAP2,
 * but trec record does not ask (that breaks a concurrent perf record: see
 * cmd_record.c): it is read from the file here, as for the /proc snapshot.
 *
 * Files are untrusted: a corrupt, truncated or hostile ELF yields
 * "unknown" (0), never a crash or an unbounded allocation. Results are
 * cached by (st_dev, st_ino, mtime, size), so each file is parsed once no
 * matter how many processes map it.
 *
 * Return convention of the lookups: the build-id length (1..BUILDID_MAX)
 * when found; 0 when the file was read but has no usable build-id (not
 * ELF, no note, corrupt); a negative errno when the file could not be
 * opened at all (ENOENT, EACCES, ...). Callers that only care about
 * "known or not" test `> 0`.
 *
 * Not thread-safe: one cache per thread, or a lock around it.
 */
#ifndef TREC_RECORD_BUILDID_H
#define TREC_RECORD_BUILDID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BUILDID_MAX 64 /* == TREC_MAX_BUILD_ID */

struct buildid_cache;

struct buildid_cache_stats {
	uint64_t lookups; /* calls that reached the cache (file opened) */
	uint64_t hits;
	uint64_t parses;  /* files actually parsed */
	size_t entries;
};

/* 0 or -ENOMEM. */
int buildid_cache_new(struct buildid_cache **out);
void buildid_cache_free(struct buildid_cache *c);
void buildid_cache_stats(const struct buildid_cache *c, struct buildid_cache_stats *st);

/* Parses an open ELF file (uncached). fd is not closed; its offset is not
 * used (the reader uses pread). */
int buildid_read_fd(int fd, uint8_t id[BUILDID_MAX]);

/* By path; c may be NULL (no caching). Only regular files are opened
 * (O_NONBLOCK, so a FIFO or device path cannot block or have effects). */
int buildid_read_path(struct buildid_cache *c, const char *path, uint8_t id[BUILDID_MAX]);

/* The build-id of the file mapped at [start, end) in process pid, opened
 * as that process sees it (mapfile_open(): /proc/PID/map_files/START-END,
 * else PATH resolved inside the process's root, else PATH on the host only
 * when the process shares our mount namespace and root). A path ending in
 * " (deleted)" is never looked up by name, and a container's path is never
 * opened on the host. */
int buildid_for_mapping(struct buildid_cache *c, pid_t pid, uint64_t start, uint64_t end,
			const char *path, uint8_t id[BUILDID_MAX]);

/* The same for a full query (mapfile.h): with the kernel's device and
 * inode of the mapped file (a perf MMAP2 record without a build-id, a
 * /proc/PID/maps line), the host path is also used for a process that has
 * exited, when it is still that very file. */
struct mapfile_query;
int buildid_for_query(struct buildid_cache *c, const struct mapfile_query *q, uint8_t id[BUILDID_MAX]);

/* Lower-case hex of id into out (2*len+1 bytes); returns out. */
char *buildid_hex(const uint8_t *id, size_t len, char *out);

#endif
