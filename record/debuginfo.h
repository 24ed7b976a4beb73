/* SPDX-License-Identifier: MIT */
/*
 * Separate debug files at record time: the fuller symbol table of a
 * stripped binary.
 *
 * Distributions strip their binaries and ship the `.symtab` (with every
 * static function) in a separate debug file: Debian's libc6-dbg, Fedora's
 * debuginfo packages, a debuginfod cache. For each binary whose table goes
 * into the trace, the recorder looks for one, in the order gdb and perf
 * use (after a symfs, when one is given: what the user points at comes
 * first), and takes the first file that matches and is fuller (at most
 * DEBUGINFO_MAX_MATCHES matching files are read):
 *
 *   1. with a symfs (a copy of the traced root: trec record --symfs), first
 *      under it: SYMFS/DIR/.build-id/NN/REST.debug for each debug
 *      directory DIR, then the `.gnu_debuglink` name in SYMFS/<binary's
 *      directory>/, its .debug/ and SYMFS/DIR/<binary's directory>/, then
 *      SYMFS/PATH, a copy of the binary itself (unstripped, maybe);
 *   2. DIR/.build-id/NN/REST.debug for each debug directory DIR (default
 *      /usr/lib/debug), NN the first byte of the build-id in hex, REST the
 *      others;
 *   3. the name in the binary's `.gnu_debuglink` section: next to the
 *      binary, in its `.debug/` subdirectory (both resolved inside the
 *      process's root, mapfile_open_in_root()), then DIR/<binary's
 *      directory>/NAME for each debug directory.
 *
 * A file matches only when its build-id is the binary's; when neither has
 * a build-id, when it is a `.gnu_debuglink` candidate whose CRC32 (the
 * whole file) is the one the link records. A stale, unrelated or hostile
 * file never names frames. The debug file's symbols are read with
 * symtab_read_elf() but its load bias is not trusted (objcopy rewrites the
 * p_offset of the segments it empties: docs/SYMBOLS.md "The load bias of a
 * debug file"): the table takes the binary's bias, build-id and path. It
 * replaces the binary's own table only when it has more named symbols.
 *
 * Paths from the trace's processes are untrusted: the binary's directory
 * must be absolute with no "." or ".." component before it is joined to a
 * host directory, the debuglink name must be a plain file name (no '/',
 * not "." or ".."), every candidate is opened O_PATH and checked to be a
 * regular file before a real open, and lookups next to the binary are
 * resolved inside the process's root. Bounds: DEBUGINFO_MAX_DIRS debug
 * directories, DEBUGINFO_MAX_CANDIDATES paths per binary, paths under
 * DEBUGINFO_MAX_PATH bytes, the CRC over at most DEBUGINFO_MAX_CRC_BYTES.
 */
#ifndef TREC_RECORD_DEBUGINFO_H
#define TREC_RECORD_DEBUGINFO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "records.h"

#define DEBUGINFO_DEFAULT_DIR "/usr/lib/debug"
#define DEBUGINFO_MAX_DIRS 16
#define DEBUGINFO_MAX_CANDIDATES 64               /* paths tried per search */
#define DEBUGINFO_MAX_MATCHES 4                   /* matching files read per binary */
#define DEBUGINFO_MAX_PATH 4096
#define DEBUGINFO_MAX_LINK_NAME 255              /* NAME_MAX */
#define DEBUGINFO_MAX_CRC_BYTES (1ull << 30)     /* larger link targets are not checked (skipped) */

struct debuginfo_opts {
	size_t sz;                      /* sizeof(struct debuginfo_opts) */
	const char *const *debug_dirs;  /* host directories; NULL: DEBUGINFO_DEFAULT_DIR */
	size_t ndebug_dirs;             /* with debug_dirs set: 0 means none at all */
	const char *symfs;              /* a copy of the traced root, or NULL */
};

/* The binary a debug file is looked for. */
struct debuginfo_target {
	int fd;           /* the binary itself, open (read with pread) */
	const char *path; /* its path as its process sees it (the mapping's) */
	int rootfd;       /* O_PATH directory fd of that process's root, or -1:
			   * then nothing next to the binary is looked at */
	const struct trec_dso_syms *syms; /* the binary's own table, or NULL */
};

struct debuginfo_result {
	char path[DEBUGINFO_MAX_PATH]; /* the file found (debuginfo_find) or used
					* (debuginfo_read); "" when none */
	uint32_t candidates;  /* paths tried */
	uint32_t mismatched;  /* found, but another build (build-id or CRC) */
	uint32_t unreadable;  /* matched, but its symbols could not be read */
};

/*
 * Looks for the debug file of t (the order above). Returns an fd of the
 * first file that matches (res->path names it), -ENOENT when none does, or
 * another negative errno (-ENOMEM, -EINVAL for bad arguments).
 */
int debuginfo_find(const struct debuginfo_opts *o, const struct debuginfo_target *t,
		   struct debuginfo_result *res);

/*
 * The table of t's debug file, with t's load bias, build-id and path (the
 * string of t->syms), in arena a. Returns 1 when it has more named
 * symbols than t->syms (then use *out instead), 0 when no matching file is
 * fuller (*out is then empty), or a negative errno (-ENOMEM; err says
 * what). A matching file that is not fuller, or not readable, lets the
 * next one in the order be tried. t->syms is required: its load bias is
 * the one the debug file lacks.
 */
int debuginfo_read(const struct debuginfo_opts *o, const struct debuginfo_target *t, struct tarena *a,
		   struct trec_dso_syms *out, struct debuginfo_result *res, struct trec_err *err);

/* ---- pieces, exposed for tests ------------------------------------------------ */

/* The .gnu_debuglink section of an ELF file: the file name (a plain name,
 * checked) and the CRC32 it records. 1 found, 0 none (or not valid), or a
 * negative errno. */
int debuginfo_read_link(int fd, char name[DEBUGINFO_MAX_LINK_NAME + 1], uint32_t *crc);

/* CRC-32 (IEEE 802.3, as gdb's gnu_debuglink_crc32 and zlib's crc32):
 * continue from crc (0 to start). */
uint32_t debuginfo_crc32(uint32_t crc, const void *buf, size_t len);

/* The CRC-32 of a whole file; -EFBIG past DEBUGINFO_MAX_CRC_BYTES. */
int debuginfo_file_crc32(int fd, uint32_t *crc);

#endif
