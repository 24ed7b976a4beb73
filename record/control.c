/* SPDX-License-Identifier: MIT */
/* The control FIFO (control.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"

#define CONTROL_LINE_MAX 256

struct control {
	int fd, ack_fd;
	char buf[CONTROL_LINE_MAX];
	size_t len;
	int skipping; /* a line longer than the buffer: its rest is dropped */
};

static int open_fifo(const char *path, const char *what, int *fd, struct trec_err *err)
{
	int f = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (f < 0)
		return trec_errf(err, -errno, "--control: %s FIFO %s: %s (create it with mkfifo)", what, path,
				 strerror(errno));
	struct stat sb;
	if (fstat(f, &sb) || !S_ISFIFO(sb.st_mode)) {
		close(f);
		return trec_errf(err, -EINVAL, "--control: %s is not a FIFO (create it with mkfifo)", path);
	}
	*fd = f;
	return 0;
}

int control_open(struct control **out, const char *spec, struct trec_err *err)
{
	*out = NULL;
	if (strncmp(spec, "fifo:", 5) || !spec[5])
		return trec_errf(err, -EINVAL, "--control '%s': expected fifo:CTL[,ACK]", spec);
	char paths[4096];
	if (snprintf(paths, sizeof(paths), "%s", spec + 5) >= (int)sizeof(paths))
		return trec_errf(err, -ENAMETOOLONG, "--control: the path is too long");
	char *comma = strchr(paths, ',');
	if (comma)
		*comma++ = 0;
	if (!paths[0] || (comma && !comma[0]))
		return trec_errf(err, -EINVAL, "--control '%s': expected fifo:CTL[,ACK]", spec);
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		return trec_errf(err, -ENOMEM, "out of memory");
	c->fd = c->ack_fd = -1;
	int e = open_fifo(paths, "control", &c->fd, err);
	if (!e && comma)
		e = open_fifo(comma, "ack", &c->ack_fd, err);
	if (e) {
		control_close(c);
		return e;
	}
	*out = c;
	return 0;
}

int control_fdopen(struct control **out, int fd, int ack_fd)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->fd = fd;
	(*out)->ack_fd = ack_fd;
	return 0;
}

int control_fd(const struct control *c)
{
	return c ? c->fd : -1;
}

static void reply(struct control *c, const char *text)
{
	if (c->ack_fd < 0)
		return;
	ssize_t n = write(c->ack_fd, text, strlen(text));
	(void)n; /* a full pipe nobody reads: the reply is dropped, never waited for */
}

void control_ack(struct control *c, const char *msg)
{
	if (!c)
		return;
	if (!msg) {
		reply(c, "ack\n");
		return;
	}
	char line[2 * CONTROL_LINE_MAX];
	snprintf(line, sizeof(line), "error: %s\n", msg);
	reply(c, line);
}

/* One line (without its newline) as a command; unknown ones are answered. */
static enum control_cmd parse_line(struct control *c, char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = 0;
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line)
		return CONTROL_NONE;
	if (!strcmp(line, "snapshot"))
		return CONTROL_SNAPSHOT;
	if (!strcmp(line, "stop"))
		return CONTROL_STOP;
	if (!strcmp(line, "ping")) {
		control_ack(c, NULL);
		return CONTROL_NONE;
	}
	char msg[CONTROL_LINE_MAX + 64];
	snprintf(msg, sizeof(msg), "unknown command '%.64s' (snapshot, stop, ping)", line);
	control_ack(c, msg);
	return CONTROL_NONE;
}

enum control_cmd control_next(struct control *c)
{
	if (!c)
		return CONTROL_NONE;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			*nl = 0;
			char line[CONTROL_LINE_MAX];
			memcpy(line, c->buf, (size_t)(nl - c->buf) + 1);
			size_t rest = c->len - (size_t)(nl - c->buf) - 1;
			memmove(c->buf, nl + 1, rest);
			c->len = rest;
			if (c->skipping) {
				c->skipping = 0;
				continue;
			}
			enum control_cmd cmd = parse_line(c, line);
			if (cmd != CONTROL_NONE)
				return cmd;
			continue;
		}
		if (c->len == sizeof(c->buf)) {
			/* No newline in a whole buffer: not a command; drop to the next line. */
			if (!c->skipping)
				control_ack(c, "command line too long");
			c->skipping = 1;
			c->len = 0;
		}
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			return CONTROL_NONE;
		c->len += (size_t)n;
	}
}

void control_close(struct control *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->ack_fd >= 0)
		close(c->ack_fd);
	free(c);
}
