/* SPDX-License-Identifier: MIT */
/*
 * The file behind a mapping, opened as its process sees it (mapfile.h).
 *
 * Everything read here is controlled by the traced processes: the path in
 * a mapping record, the directories and symlinks inside a container's
 * root, the file types found there. The rules that keep the recorder safe:
 *  - a name is resolved either by the kernel's own link to the mapped file
 *    (map_files) or with openat2(RESOLVE_IN_ROOT) inside the process's
 *    root, never by a plain open of a container's path on the host;
 *  - every candidate is opened O_PATH and checked to be a regular file
 *    before a real open, so a device node, FIFO or socket is never opened;
 *  - a host path is used only for a process that resolves paths as we do,
 *    or when the file carries the build-id the kernel reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buildid.h"
#include "mapfile.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static const char *proc_dir(const char *proc)
{
	return proc && *proc ? proc : "/proc";
}

int mapfile_path_usable(const char *path)
{
	static const char deleted[] = " (deleted)";
	if (!path || path[0] != '/')
		return 0;
	size_t n = strnlen(path, MAPFILE_MAX_PATH);
	if (n >= MAPFILE_MAX_PATH)
		return 0;
	size_t d = sizeof(deleted) - 1;
	return !(n >= d && memcmp(path + n - d, deleted, d) == 0);
}

const char *mapfile_route_name(enum mapfile_route r)
{
	switch (r) {
	case MAPFILE_MAP_FILES:
		return "map_files";
	case MAPFILE_IN_ROOT:
		return "in-root";
	case MAPFILE_HOST_SAME_NS:
		return "host (same mount namespace)";
	case MAPFILE_HOST_BUILDID:
		return "host (same build-id)";
	case MAPFILE_HOST_INODE:
		return "host (same inode)";
	case MAPFILE_NONE:
	case MAPFILE_NROUTES:
		break;
	}
	return "none";
}

int mapfile_reopen_regular(int pathfd)
{
	struct stat st;
	char self[64];

	if (pathfd < 0)
		return -EBADF;
	if (fstat(pathfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	/* Reopening the O_PATH fd's own inode: no second name lookup that a
	 * rename could redirect. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
	int fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int mapfile_open_regular(const char *path)
{
	int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	int fd = mapfile_reopen_regular(pfd);
	close(pfd);
	return fd;
}

int mapfile_open_root(const char *proc, pid_t pid)
{
	char p[128];
	if (pid <= 0)
		return -EINVAL;
	int n = snprintf(p, sizeof(p), "%s/%d/root", proc_dir(proc), (int)pid);
	if (n < 0 || (size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int mapfile_open_in_root(int rootfd, const char *path)
{
	if (rootfd < 0 || !path || !*path)
		return -EINVAL;
	if (strnlen(path, MAPFILE_MAX_PATH) >= MAPFILE_MAX_PATH)
		return -ENAMETOOLONG;
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		/* IN_ROOT: "/", ".." and absolute symlinks stop at rootfd.
		 * NO_MAGICLINKS: a container's own /proc/1/root or
		 * /proc/self/fd/N would lead back out of it. */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long pfd;
	do
		pfd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (pfd < 0 && errno == EAGAIN);
	if (pfd < 0)
		return -errno;
	int fd = mapfile_reopen_regular((int)pfd);
	close((int)pfd);
	return fd;
}

/* Same device and inode. */
static int same_inode(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int mapfile_same_mount_ns(const char *proc, pid_t pid)
{
	char ns[128], root[128];
	if (pid <= 0)
		return 0;
	int n1 = snprintf(ns, sizeof(ns), "%s/%d/ns/mnt", proc_dir(proc), (int)pid);
	int n2 = snprintf(root, sizeof(root), "%s/%d/root", proc_dir(proc), (int)pid);
	if (n1 < 0 || (size_t)n1 >= sizeof(ns) || n2 < 0 || (size_t)n2 >= sizeof(root))
		return 0;
	/* A chroot in our namespace resolves paths differently: the root
	 * must be ours too. */
	return same_inode(ns, "/proc/self/ns/mnt") && same_inode(root, "/");
}

/* 0 when fd's file carries the wanted build-id (or none is wanted). */
static int check_build_id(int fd, const struct mapfile_query *q)
{
	uint8_t id[BUILDID_MAX];
	if (!q->build_id_len)
		return 0;
	int n = buildid_read_fd(fd, id);
	if (n > 0 && (size_t)n == q->build_id_len && memcmp(id, q->build_id, (size_t)n) == 0)
		return 0;
	return -ESTALE;
}

/* Keeps the most telling failure: a file that was found (wrong type or
 * build) says more than a refusal, and a refusal more than "not there". */
static int rank(int e)
{
	switch (e) {
	case -ESTALE:
		return 4;
	case -EINVAL:
		return 3;
	case -EACCES:
	case -EPERM:
		return 2;
	case -ENOENT:
		return 0;
	default:
		return 1;
	}
}

static void note_failure(int *best, int e)
{
	if (rank(e) > rank(*best))
		*best = e;
}

/* A candidate fd passes or is closed and becomes an error. */
static int accept_fd(int fd, const struct mapfile_query *q)
{
	if (fd < 0)
		return fd;
	int e = check_build_id(fd, q);
	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

static int try_map_files(const struct mapfile_query *q)
{
	char p[160];
	if (q->pid <= 0 || q->end <= q->start)
		return -ENOENT;
	/* The kernel names the entries "%lx-%lx". */
	int n = snprintf(p, sizeof(p), "%s/%d/map_files/%" PRIx64 "-%" PRIx64, proc_dir(q->proc),
			 (int)q->pid, q->start, q->end);
	if (n < 0 || (size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	return accept_fd(mapfile_open_regular(p), q);
}

static int try_in_root(const struct mapfile_query *q)
{
	if (q->pid <= 0)
		return -ENOENT;
	int root = mapfile_open_root(q->proc, q->pid);
	if (root < 0)
		return root;
	int fd = mapfile_open_in_root(root, q->path);
	close(root);
	return accept_fd(fd, q);
}

/* 0 when fd is the device and inode the kernel reported. */
static int check_inode(int fd, const struct mapfile_query *q)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (major(st.st_dev) == q->dev_major && minor(st.st_dev) == q->dev_minor &&
	    (uint64_t)st.st_ino == q->ino)
		return 0;
	return -ESTALE;
}

static int try_host(const struct mapfile_query *q, enum mapfile_route *how)
{
	if (q->build_id_len) {
		*how = MAPFILE_HOST_BUILDID;
		return accept_fd(mapfile_open_regular(q->path), q);
	}
	if (q->have_inode) {
		*how = MAPFILE_HOST_INODE;
		int fd = mapfile_open_regular(q->path);
		int e = fd < 0 ? fd : check_inode(fd, q);
		if (e && fd >= 0)
			close(fd);
		return e ? e : fd;
	}
	if (mapfile_same_mount_ns(q->proc, q->pid)) {
		*how = MAPFILE_HOST_SAME_NS;
		return mapfile_open_regular(q->path);
	}
	return -ENOENT;
}

int mapfile_open(const struct mapfile_query *q, enum mapfile_route *route)
{
	enum mapfile_route r = MAPFILE_NONE, host = MAPFILE_NONE;
	int best = -ENOENT, fd;

	if (route)
		*route = MAPFILE_NONE;
	if (!q || q->build_id_len > BUILDID_MAX || (q->build_id_len && !q->build_id))
		return -EINVAL;
	fd = try_map_files(q);
	if (fd >= 0) {
		r = MAPFILE_MAP_FILES;
		goto found;
	}
	note_failure(&best, fd);
	if (!mapfile_path_usable(q->path))
		return best;
	fd = try_in_root(q);
	if (fd >= 0) {
		r = MAPFILE_IN_ROOT;
		goto found;
	}
	note_failure(&best, fd);
	fd = try_host(q, &host);
	if (fd >= 0) {
		r = host;
		goto found;
	}
	note_failure(&best, fd);
	return best;
found:
	if (route)
		*route = r;
	return fd;
}
