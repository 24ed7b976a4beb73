/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldcache.h"
#include "probe_path.h"
#include "procfs.h"

#define DEFAULT_LIB_DIRS                                                                                    \
	"/lib64:/usr/lib64:/lib/" TREC_TRIPLET ":/usr/lib/" TREC_TRIPLET ":/lib:/usr/lib:/usr/local/lib"
#if defined(__x86_64__)
#define TREC_TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define TREC_TRIPLET "aarch64-linux-gnu"
#else
#define TREC_TRIPLET "."
#endif

/* Longest /proc/PID/maps line read: paths are at most PATH_MAX. */
#define MAPS_LINE_MAX (PATH_MAX + 256)
/* Distinct mapped files kept per process. */
#define MAX_MAPPED_FILES 8192

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int is_regular(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* realpath into out; 0 or -errno. */
static int absolute(const char *p, char *out, size_t outlen)
{
	char buf[PATH_MAX];
	if (!realpath(p, buf))
		return -errno;
	if (strlen(buf) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, buf);
	return 0;
}

void probe_path_free_list(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int probe_path_mapped_files(const char *proc_root, pid_t pid, char ***paths, size_t *n, struct trec_err *err)
{
	*paths = NULL;
	*n = 0;
	char fn[PATH_MAX];
	snprintf(fn, sizeof(fn), "%s/%d/maps", proc_root ? proc_root : "/proc", (int)pid);
	FILE *f = fopen(fn, "re");
	if (!f)
		return trec_errf(err, errno == ENOENT ? -ESRCH : -errno, "%s: %s", fn,
				 errno == ENOENT ? "no such process" : strerror(errno));
	char *line = malloc(MAPS_LINE_MAX);
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int r = line ? 0 : -ENOMEM;
	while (!r && fgets(line, MAPS_LINE_MAX, f)) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (len == MAPS_LINE_MAX - 1)
			break; /* longer than any real line: stop rather than misparse */
		struct procfs_map_line ml;
		if (procfs_parse_maps_line(line, &ml) || !(ml.prot & PROT_EXEC) || ml.path[0] != '/')
			continue;
		size_t pl = strlen(ml.path);
		if (pl > 10 && !strcmp(ml.path + pl - 10, " (deleted)"))
			continue;
		int seen = 0;
		for (size_t i = 0; i < cnt && !seen; i++)
			seen = !strcmp(v[i], ml.path);
		if (seen || cnt == MAX_MAPPED_FILES)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		if (!(v[cnt] = strdup(ml.path)))
			r = -ENOMEM;
		else
			cnt++;
	}
	fclose(f);
	free(line);
	if (r) {
		probe_path_free_list(v, cnt);
		return trec_errf(err, r, "out of memory reading %s", fn);
	}
	*paths = v;
	*n = cnt;
	return 0;
}

/* 1. A file the -p processes have mapped. The path is the process's view:
 * inside a container it is found under /proc/PID/root. */
static int from_processes(const char *name, const struct probe_path_opts *o, char *out, size_t outlen)
{
	for (size_t i = 0; o && i < o->npids; i++) {
		char **paths;
		size_t n;
		if (probe_path_mapped_files(o->proc_root, o->pids[i], &paths, &n, NULL))
			continue;
		int r = -ENOENT;
		for (size_t k = 0; k < n && r; k++) {
			if (!ldcache_name_matches(base_name(paths[k]), name))
				continue;
			char alt[PATH_MAX];
			snprintf(alt, sizeof(alt), "%s/%d/root%s", o->proc_root ? o->proc_root : "/proc",
				 (int)o->pids[i], paths[k]);
			if (is_regular(paths[k]) && !absolute(paths[k], out, outlen))
				r = 0;
			else if (is_regular(alt) && !absolute(alt, out, outlen))
				r = 0;
		}
		probe_path_free_list(paths, n);
		if (!r)
			return 0;
	}
	return -ENOENT;
}

/* 3. Library directories: a native ELF file whose name matches. */
static int from_dirs(const char *name, const char *dirs, char *out, size_t outlen)
{
	char list[PATH_MAX];
	snprintf(list, sizeof(list), "%s", dirs);
	char *save = NULL;
	for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		DIR *dir = opendir(d);
		if (!dir)
			continue;
		struct dirent *de;
		int r = -ENOENT;
		while (r && (de = readdir(dir)) != NULL) {
			if (!ldcache_name_matches(de->d_name, name))
				continue;
			char p[PATH_MAX];
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", d, de->d_name) >= sizeof(p))
				continue;
			if (is_regular(p) && ldcache_elf_is_native(p) && !absolute(p, out, outlen))
				r = 0;
		}
		closedir(dir);
		if (!r)
			return 0;
	}
	return -ENOENT;
}

/* 4. $PATH: an executable file of exactly that name. */
int probe_path_in_env(const char *name, const char *env, char *out, size_t outlen)
{
	if (!env)
		return -ENOENT;
	char *list = strdup(env);
	if (!list)
		return -ENOMEM;
	char *save = NULL;
	int r = -ENOENT;
	for (char *d = strtok_r(list, ":", &save); d && r; d = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", *d ? d : ".", name) >= sizeof(p))
			continue;
		if (is_regular(p) && access(p, X_OK) == 0 && !absolute(p, out, outlen))
			r = 0;
	}
	free(list);
	return r;
}

int probe_path_resolve(const char *given, const struct probe_path_opts *o, char *out, size_t outlen,
		       struct trec_err *err)
{
	if (strchr(given, '/')) {
		int r = absolute(given, out, outlen);
		if (r)
			return trec_errf(err, r, "%s: %s", given, strerror(-r));
		if (!is_regular(out))
			return trec_errf(err, -EINVAL, "%s: not a regular file (a binary or library)", given);
		return 0;
	}
	if (!from_processes(given, o, out, outlen))
		return 0;
	struct trec_err le = { 0 };
	int r = ldcache_lookup(o ? o->ldcache : NULL, given, out, outlen, &le);
	if (!r) {
		/* The cache names /lib/...; merged-/usr systems map /usr/lib/... */
		char cached[PATH_MAX];
		snprintf(cached, sizeof(cached), "%s", out);
		(void)absolute(cached, out, outlen); /* on failure out keeps the cache's path */
		return 0;
	}
	if (r != -ENOENT)
		return trec_errf(err, r, "%s", le.msg);
	const char *dirs = o && o->lib_dirs ? o->lib_dirs : DEFAULT_LIB_DIRS;
	if (!from_dirs(given, dirs, out, outlen))
		return 0;
	if (!probe_path_in_env(given, o && o->path_env ? o->path_env : getenv("PATH"), out, outlen))
		return 0;
	return trec_errf(err, -ENOENT,
			 "'%s' is no library or program trec can find (looked in %sthe ld.so cache, the library "
			 "directories and $PATH); give its path (u:/path/to/%s:FUNC)",
			 given, o && o->npids ? "the -p processes' mappings, " : "", given);
}
