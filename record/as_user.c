/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_user.h"

extern char **environ;

#define MAX_GROUPS 1024

static int parse_id(const char *s, unsigned long *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v >= (unsigned long)UINT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* environ with NAME=value set (replacing any NAME=), into a new array. */
static int build_env(struct as_user *u, const char *home, const char *shell)
{
	static const char *const replaced[] = { "HOME=", "USER=", "LOGNAME=", "SHELL=", NULL };
	size_t n = 0;
	while (environ && environ[n])
		n++;
	u->envp = calloc(n + 5, sizeof(*u->envp));
	if (!u->envp)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int skip = 0;
		for (int r = 0; replaced[r]; r++)
			skip |= !strncmp(environ[i], replaced[r], strlen(replaced[r]));
		if (!skip)
			u->envp[k++] = environ[i]; /* not owned: the parent's strings */
	}
	const char *vals[4] = { home, u->name, u->name, shell };
	for (int r = 0; replaced[r]; r++) {
		if (!vals[r] || !*vals[r])
			continue;
		size_t len = strlen(replaced[r]) + strlen(vals[r]) + 1;
		char *kv = malloc(len);
		if (!kv)
			return -ENOMEM;
		snprintf(kv, len, "%s%s", replaced[r], vals[r]);
		u->envp[k++] = kv;
	}
	u->envp[k] = NULL;
	return 0;
}

int as_user_resolve(struct as_user *u, const char *spec, struct trec_err *err)
{
	memset(u, 0, sizeof(*u));
	const struct passwd *pw = NULL;
	unsigned long uid = 0, gid = 0;
	int have_gid = 0;
	if (!spec) {
		const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
		if (!su)
			return trec_errf(err, -EINVAL, "--as-user: SUDO_UID is not set (trec was not run through "
							"sudo): name the user with --as-user=USER");
		if (parse_id(su, &uid) || (sg && parse_id(sg, &gid)))
			return trec_errf(err, -EINVAL, "--as-user: SUDO_UID/SUDO_GID ('%s'/'%s') are not numbers", su,
					 sg ? sg : "");
		have_gid = sg != NULL;
		pw = getpwuid((uid_t)uid);
		const char *sn = getenv("SUDO_USER");
		snprintf(u->name, sizeof(u->name), "%s", pw ? pw->pw_name : sn ? sn : "");
	} else if (!parse_id(spec, &uid)) {
		pw = getpwuid((uid_t)uid);
		snprintf(u->name, sizeof(u->name), "%s", pw ? pw->pw_name : "");
	} else {
		pw = getpwnam(spec);
		if (!pw)
			return trec_errf(err, -ENOENT, "--as-user=%s: no such user", spec);
		uid = pw->pw_uid;
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	}
	if (!have_gid) {
		if (!pw)
			return trec_errf(err, -ENOENT, "--as-user: uid %lu has no passwd entry to take a group from",
					 uid);
		gid = pw->pw_gid;
	}
	if (uid == 0)
		return trec_errf(err, -EINVAL, "--as-user: the user is root; run the command without --as-user");
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	/* Supplementary groups, as a login would have them. */
	u->groups = calloc(MAX_GROUPS, sizeof(*u->groups));
	if (!u->groups)
		return trec_errf(err, -ENOMEM, "out of memory");
	u->ngroups = MAX_GROUPS;
	if (u->name[0] && getgrouplist(u->name, u->gid, u->groups, &u->ngroups) < 0)
		u->ngroups = MAX_GROUPS; /* more than that: keep the first ones */
	if (!u->name[0]) {
		u->groups[0] = u->gid;
		u->ngroups = 1;
	}
	if (build_env(u, pw ? pw->pw_dir : NULL, pw ? pw->pw_shell : NULL))
		return trec_errf(err, -ENOMEM, "out of memory");
	return 0;
}

int as_user_apply(const struct as_user *u)
{
	if (setgroups((size_t)u->ngroups, u->groups) || setresgid(u->gid, u->gid, u->gid) ||
	    setresuid(u->uid, u->uid, u->uid))
		return -errno;
	/* Dropped for good: neither id may come back. */
	if (setuid(0) == 0 || geteuid() != u->uid || getegid() != u->gid)
		return -EPERM;
	return 0;
}

void as_user_free(struct as_user *u)
{
	if (u->envp) {
		/* The strings this module added come after the parent's. */
		size_t n = 0;
		while (environ && environ[n])
			n++;
		size_t k = 0;
		while (u->envp[k])
			k++;
		for (size_t i = 0; i < k; i++) {
			int ours = 1;
			for (size_t j = 0; j < n && ours; j++)
				ours = u->envp[i] != environ[j];
			if (ours)
				free(u->envp[i]);
		}
		free(u->envp);
	}
	free(u->groups);
	memset(u, 0, sizeof(*u));
}
