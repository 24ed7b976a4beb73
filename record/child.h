/* SPDX-License-Identifier: MIT */
/*
 * The command of `trec record -- CMD`: forked paused at a pipe read, so it
 * is a traced target before it runs its first instruction; released once
 * everything is attached; reaped without blocking from the event loop.
 * With an as_user (--as-user) it drops to that user before exec.
 */
#ifndef TREC_RECORD_CHILD_H
#define TREC_RECORD_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "as_user.h"
#include "errors.h"

struct child {
	pid_t pid;      /* 0: none (never started, or it could not run) */
	int go_fd;      /* writing one byte here lets it exec */
	int err_fd;     /* it writes its exec errno here (nothing: exec worked) */
	int status;     /* wait status once done */
	int done;       /* reaped */
	char *const *argv;
	const struct as_user *user; /* NULL: run as trec runs */
};

/* Forks CMD (argv, searched along $PATH), paused before exec. */
int child_spawn(struct child *c, char *const *argv, const struct as_user *user, struct trec_err *err);
/* Lets it exec; -errno with a message when it could not (then pid is 0). */
int child_release(struct child *c, struct trec_err *err);
/* Whether it exited (reaps it without waiting); 1 once done. */
int child_reap(struct child *c);
/* Setup failed before release: it reads EOF, exits without running. */
void child_abort(struct child *c);
/* The recording stopped first (Ctrl-C, --duration): end it too. */
void child_terminate(struct child *c);
/* Closes what is left of the pipes. */
void child_close(struct child *c);

/* The file execvp will run for `name`: itself when it has a '/', else the
 * first executable regular file of that name along $PATH. 0 or -ENOENT. */
int child_command_path(const char *name, char *out, size_t len);

#endif
