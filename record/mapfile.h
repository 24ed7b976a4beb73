/* SPDX-License-Identifier: MIT */
/*
 * Opening the file a process has mapped, as that process sees it.
 *
 * A mapping record names a file by the path the kernel printed, and that
 * path means something only inside the process's own mount namespace and
 * root: a container's /usr/bin/app is not the host's, may not exist on the
 * host at all, and may be a symlink a hostile container planted to make a
 * root process read (or block on) a host file. So a path from a mapping is
 * never opened on the host unless that is provably the same file.
 *
 * mapfile_open() tries, in this order:
 *
 *  1. /proc/PID/map_files/START-END: the very file mapped, even if its path
 *     was since replaced or deleted, whatever namespace it lives in (needs
 *     CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, and a living process);
 *  2. PATH resolved inside the process's root: openat2() on a directory fd
 *     of /proc/PID/root with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so an
 *     absolute symlink or ".." inside the container stays inside it, and no
 *     /proc/.../root or /proc/.../fd link reaches out of it;
 *  3. PATH on the host, only when that is provably the file the process
 *     maps: the caller knows the mapping's build-id (the kernel's) and the
 *     file carries it; or the caller knows the mapped file's device and
 *     inode (the kernel's, from a perf MMAP2 record without a build-id or
 *     from /proc/PID/maps) and the host file has them; or the process
 *     shares the recorder's mount namespace and root (it resolves PATH as
 *     we do).
 *
 * When the caller gives the mapping's build-id, the file found by any route
 * must carry it (that also catches a pid reused between the mapping record
 * and the open). A path ending in " (deleted)" is never looked up by name.
 *
 * Only regular files are opened: every candidate is first opened O_PATH
 * (no driver sees an open, a FIFO cannot block) and checked with fstat,
 * then reopened through /proc/self/fd read-only with O_CLOEXEC | O_NONBLOCK
 * | O_NOCTTY. The pinned inode is the one checked.
 *
 * Return convention (every function here): a new file descriptor (>= 0) on
 * success, owned by the caller; else a negative errno:
 *   -ENOENT  no route found a file;
 *   -EACCES, -EPERM  a route was refused (and none found a file);
 *   -EINVAL  a bad query, or the only file found is not a regular file;
 *   -ESTALE  the only files found carry another build-id than the mapping's;
 *   -ENAMETOOLONG, -ELOOP, -EMFILE, ...  as the system said.
 */
#ifndef TREC_RECORD_MAPFILE_H
#define TREC_RECORD_MAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Paths from the kernel are at most PATH_MAX - 1 bytes; longer ones are
 * refused (-ENAMETOOLONG) rather than cut. */
#define MAPFILE_MAX_PATH 4096

/* Which route found the file. */
enum mapfile_route {
	MAPFILE_NONE = 0,
	MAPFILE_MAP_FILES,    /* /proc/PID/map_files/START-END */
	MAPFILE_IN_ROOT,      /* PATH inside /proc/PID/root */
	MAPFILE_HOST_SAME_NS, /* PATH on the host: same mount namespace and root */
	MAPFILE_HOST_BUILDID, /* PATH on the host: it carries the mapping's build-id */
	MAPFILE_HOST_INODE,   /* PATH on the host: it is the mapped device and inode */
	MAPFILE_NROUTES
};

struct mapfile_query {
	pid_t pid;            /* <= 0: no process (only route 3 with a build-id) */
	uint64_t start, end;  /* the mapping, [start, end) */
	const char *path;     /* as the kernel printed it; NULL or "" for none */
	const uint8_t *build_id; /* the mapping's (from the kernel), or NULL */
	size_t build_id_len;  /* 0: unknown */
	/* The mapped file's device and inode as the kernel gave them (MMAP2
	 * without a build-id carries maj, min, ino; so does /proc/PID/maps). */
	int have_inode;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	const char *proc;     /* NULL: "/proc". Tests point it at a fake tree laid
			       * out like /proc (PID/map_files, PID/root, PID/ns/mnt) */
};

/* The file behind the mapping (see above). *route (may be NULL) says which
 * route found it, MAPFILE_NONE on failure. */
int mapfile_open(const struct mapfile_query *q, enum mapfile_route *route);

/* An O_PATH directory fd of PROC/PID/root (proc NULL: "/proc"), the root a
 * process resolves paths against; or a negative errno. */
int mapfile_open_root(const char *proc, pid_t pid);

/* The regular file at absolute or relative `path` resolved inside the
 * directory rootfd as if it were "/" (RESOLVE_IN_ROOT: "..", absolute
 * symlinks and "/" all stay inside it; no magic links), opened read-only.
 * -ENOSYS on kernels before 5.6 (no openat2): the caller has no safe way
 * to resolve the path and must not fall back to a plain open. */
int mapfile_open_in_root(int rootfd, const char *path);

/* The regular file at `path`, as this process resolves it, read-only: opened
 * O_PATH first and reopened only when it is a regular file (-EINVAL
 * otherwise), so a FIFO or device node is never opened. */
int mapfile_open_regular(const char *path);

/* Turns an O_PATH fd into a read-only fd of the same inode when it is a
 * regular file (-EINVAL otherwise). pathfd is left open. */
int mapfile_reopen_regular(int pathfd);

/* Whether a mapping path may be looked up by name: absolute, shorter than
 * MAPFILE_MAX_PATH, not ending in " (deleted)". */
int mapfile_path_usable(const char *path);

/* Whether process pid (under proc, NULL: "/proc") has the recorder's mount
 * namespace and root: then its absolute paths name our files. 1, 0, or 0
 * when that cannot be told (the process is gone). */
int mapfile_same_mount_ns(const char *proc, pid_t pid);

/* "map_files", "in-root", "host (same mount namespace)", "host (same
 * build-id)", "host (same inode)", "none". */
const char *mapfile_route_name(enum mapfile_route r);

#endif
