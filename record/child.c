/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "probe_path.h"

/* In the error word the child sends: the failure was becoming the user. */
#define AS_USER_FAILED 0x40000000

int child_spawn(struct child *c, char *const *argv, const struct as_user *user, struct trec_err *err)
{
	memset(c, 0, sizeof(*c));
	c->go_fd = c->err_fd = -1;
	c->argv = argv;
	c->user = user;
	int go[2], ep[2];
	if (pipe2(go, O_CLOEXEC) || pipe2(ep, O_CLOEXEC))
		return trec_errf(err, -errno, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return trec_errf(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Only system calls from here: the parent may hold locks. */
		close(go[1]);
		close(ep[0]);
		char ch;
		if (read(go[0], &ch, 1) != 1)
			_exit(127); /* trec went away before starting us */
		signal(SIGPIPE, SIG_DFL);
		int e;
		if (user && (e = -as_user_apply(user)) != 0) {
			e |= AS_USER_FAILED;
			if (write(ep[1], &e, sizeof(e)) < 0)
				_exit(127);
			_exit(127);
		}
		if (user)
			execvpe(argv[0], argv, user->envp);
		else
			execvp(argv[0], argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	c->pid = pid;
	c->go_fd = go[1];
	c->err_fd = ep[0];
	return 0;
}

int child_release(struct child *c, struct trec_err *err)
{
	ssize_t w = write(c->go_fd, "g", 1);
	close(c->go_fd);
	c->go_fd = -1;
	int e = 0;
	/* Close-on-exec: EOF here means exec worked. */
	ssize_t n = read(c->err_fd, &e, sizeof(e));
	close(c->err_fd);
	c->err_fd = -1;
	if (w != 1)
		return trec_errf(err, -EPIPE, "could not start '%s'", c->argv[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
		if (e & AS_USER_FAILED)
			return trec_errf(err, -(e & ~AS_USER_FAILED), "--as-user: cannot become %s (uid %u): %s",
					 c->user->name[0] ? c->user->name : "the user", (unsigned)c->user->uid,
					 strerror(e & ~AS_USER_FAILED));
		if (e == ENOENT)
			return trec_errf(err, -ENOENT, "command not found: '%s' (check the name and $PATH)", c->argv[0]);
		return trec_errf(err, -e, "cannot run '%s': %s", c->argv[0], strerror(e));
	}
	return 0;
}

int child_reap(struct child *c)
{
	if (!c->pid || c->done)
		return c->done;
	int st;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->done = 1;
		c->status = st;
	}
	return c->done;
}

void child_abort(struct child *c)
{
	if (!c->pid || c->done)
		return;
	if (c->go_fd >= 0)
		close(c->go_fd);
	c->go_fd = -1;
	waitpid(c->pid, NULL, 0);
}

void child_terminate(struct child *c)
{
	if (!c->pid || c->done)
		return;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, &c->status, 0);
	c->done = 1;
}

void child_close(struct child *c)
{
	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->go_fd = c->err_fd = -1;
}

int child_command_path(const char *name, char *out, size_t len)
{
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return 0;
	}
	const char *path = getenv("PATH");
	return probe_path_in_env(name, path && *path ? path : "/usr/local/bin:/usr/bin:/bin", out, len);
}
