/* SPDX-License-Identifier: MIT */
/*
 * --as-user: under sudo, run `-- CMD` as the user who ran sudo (or a named
 * user) while the recorder keeps root's capabilities. Everything that
 * allocates or reads files (the password and group databases) happens in
 * the recorder before it forks; the child only makes system calls.
 */
#ifndef TREC_RECORD_AS_USER_H
#define TREC_RECORD_AS_USER_H

#include <sys/types.h>

#include "errors.h"

struct as_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups */
	int ngroups;
	char **envp;   /* the environment with HOME, USER and LOGNAME for the user */
	char name[256];
};

/*
 * spec NULL: the user sudo ran us for (SUDO_UID, SUDO_GID, SUDO_USER);
 * else a user name or a numeric uid. 0, or a negative errno with a message
 * saying what to do.
 */
int as_user_resolve(struct as_user *u, const char *spec, struct trec_err *err);
/* In the forked child, before exec: groups, gid, then uid (and checks that
 * root cannot be regained). 0 or -errno; async-signal-safe. */
int as_user_apply(const struct as_user *u);
void as_user_free(struct as_user *u);

#endif
