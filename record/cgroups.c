/* SPDX-License-Identifier: MIT */
/*
 * Cgroup v2 lookups for the recorder (cgroups.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroups.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int cgroup_v2_root(char *buf, size_t n, struct trec_err *err)
{
	FILE *f = fopen("/proc/mounts", "re");
	if (!f)
		return trec_errf(err, -errno, "reading /proc/mounts: %s", strerror(errno));
	char line[8192];
	int rc = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[4096], type[64];
		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) != 3 || strcmp(type, "cgroup2"))
			continue;
		/* /proc/mounts escapes spaces as \040; a v2 root with one is not worth decoding */
		if (strchr(dir, '\\') || strlen(dir) >= n)
			continue;
		strcpy(buf, dir);
		rc = 0;
		break;
	}
	fclose(f);
	if (rc)
		trec_errf(err, rc, "no cgroup v2 hierarchy is mounted (no cgroup2 line in /proc/mounts)");
	return rc;
}

uint64_t cgroup_id_of(const char *path)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + 64];
	} h;
	int mount_id;
	h.fh.handle_bytes = 64;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) || h.fh.handle_bytes < sizeof(uint64_t))
		return 0;
	uint64_t id;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

int cgroup_set_add(struct cgroup_set *s, const char *arg, struct trec_err *err)
{
	char root[PATH_MAX], full[PATH_MAX * 2], real[PATH_MAX];
	struct trec_err re = { 0 };
	int r = cgroup_v2_root(root, sizeof(root), &re);
	if (r)
		return trec_errf(err, r, "-G %s: %s", arg, re.msg);
	size_t rl = strlen(root);
	if (!strncmp(arg, root, rl) && (arg[rl] == '/' || !arg[rl]))
		snprintf(full, sizeof(full), "%s", arg);
	else
		snprintf(full, sizeof(full), "%s/%s", root, arg[0] == '/' ? arg + 1 : arg);
	struct statfs sf;
	if (!realpath(full, real))
		return trec_errf(err, -EINVAL, "-G %s: no cgroup at %s (%s)", arg, full, strerror(errno));
	if (statfs(real, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC || strncmp(real, root, rl) ||
	    (real[rl] != '/' && real[rl]))
		return trec_errf(err, -EINVAL, "-G %s: %s is not a cgroup of the v2 hierarchy at %s", arg, real,
				 root);
	const char *rel = real[rl] ? real + rl : "/";
	uint32_t level = 0;
	for (const char *p = rel; *p; p++)
		level += *p == '/' && p[1] && p[1] != '/';
	uint64_t id = cgroup_id_of(real);
	if (!id)
		return trec_errf(err, -EINVAL, "-G %s: cannot read the cgroup id of %s: %s", arg, real,
				 strerror(errno));
	for (uint32_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return 0;
	if (s->n == TREC_MAX_CGROUPS)
		return trec_errf(err, -E2BIG, "-G %s: at most %d cgroups", arg, TREC_MAX_CGROUPS);
	if (level > TREC_MAX_CGROUP_LEVEL)
		return trec_errf(err, -E2BIG, "-G %s: %u levels deep, more than %d", arg, level,
				 TREC_MAX_CGROUP_LEVEL);
	if (!(s->paths[s->n] = strdup(rel)))
		return trec_errf(err, -ENOMEM, "-G %s: out of memory", arg);
	s->ids[s->n] = id;
	s->levels[s->n] = level;
	s->n++;
	return 0;
}

void cgroup_set_free(struct cgroup_set *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	s->n = 0;
}

/* The last number of a "Key:\tA\tB\tC" status line. */
static uint32_t last_number(const char *v)
{
	const char *last = NULL;
	for (const char *p = v; *p; p++)
		if (*p >= '0' && *p <= '9' && (p == v || p[-1] < '0' || p[-1] > '9'))
			last = p;
	if (!last)
		return 0;
	unsigned long x = strtoul(last, NULL, 10);
	return x > UINT32_MAX ? 0 : (uint32_t)x;
}

int task_ns_read(const char *proc_root, pid_t pid, pid_t tid, struct task_ns *out)
{
	char path[256], line[4200];
	const char *pr = proc_root ? proc_root : "/proc";
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%d/task/%d/status", pr, (int)pid, (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "NStgid:", 7))
			out->nspid = last_number(line + 7);
		else if (!strncmp(line, "NSpid:", 6))
			out->nstid = last_number(line + 6);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d/task/%d/cgroup", pr, (int)pid, (int)tid);
	if (!(f = fopen(path, "re")))
		return 0; /* the pids are still worth having */
	/* "0::/path" is the v2 line; v1 lines have a hierarchy id > 0. */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		size_t l = strcspn(line + 3, "\n");
		if (line[3] == '/' && l < sizeof(out->cgroup)) {
			memcpy(out->cgroup, line + 3, l);
			out->cgroup[l] = 0;
		}
		break;
	}
	fclose(f);
	return 0;
}
