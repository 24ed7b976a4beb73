/* SPDX-License-Identifier: MIT */
/*
 * The file a uprobe or USDT probe's PATH names. A PATH with a '/' is a
 * file (made absolute, symlinks resolved: uprobes attach to an inode, and
 * the event is named by the real path). A bare name is looked up the way
 * a user means it, in this order:
 *
 *   1. the executable mappings of the -p processes ("libc" -> the libc
 *      that process has loaded, even from a container or a private
 *      directory; "myapp" -> its executable);
 *   2. the dynamic linker's cache (ldcache.h), as the dynamic linker would;
 *   3. the usual library directories, for systems without a cache;
 *   4. $PATH, for programs ("bash").
 *
 * Library names match as in ldcache_name_matches: "libc", "c",
 * "libc.so.6" are all libc.
 */
#ifndef TREC_RECORD_PROBE_PATH_H
#define TREC_RECORD_PROBE_PATH_H

#include <stddef.h>
#include <sys/types.h>

#include "errors.h"

struct probe_path_opts {
	size_t sz;
	const pid_t *pids;     /* -p processes, searched first */
	size_t npids;
	const char *ldcache;   /* NULL: /etc/ld.so.cache */
	const char *proc_root; /* NULL: /proc (tests point it elsewhere) */
	const char *lib_dirs;  /* ':'-separated; NULL: the usual ones */
	const char *path_env;  /* NULL: getenv("PATH") */
};

/* The first executable regular file called `name` in the ':'-separated
 * directories of env (as execvp searches $PATH), made absolute into out:
 * 0, -ENOENT, or another negative errno. */
int probe_path_in_env(const char *name, const char *env, char *out, size_t outlen);

/* 0 with the absolute path in out, or -ENOENT (err says where it looked)
 * or another negative errno. */
int probe_path_resolve(const char *given, const struct probe_path_opts *o, char *out, size_t outlen,
		       struct trec_err *err);

/*
 * The executable file mappings of process pid (from /proc/PID/maps),
 * each path once, in map order, as a malloc'ed array of malloc'ed
 * strings (probe_path_free_list). Paths of deleted files are left out.
 */
int probe_path_mapped_files(const char *proc_root, pid_t pid, char ***paths, size_t *n, struct trec_err *err);
void probe_path_free_list(char **paths, size_t n);

#endif
