/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "flame_input.h"
#include "flamegraph.h"
#include "fold.h"
#include "trec_format.h"

/* Where report_fold_trace's stacks go. */
struct trace_sink {
	struct flame *f;
	enum folded_mode mode;
	int strip_hex;
	struct tbuf scratch;
	uint64_t stacks;
	struct trec_err err;
};

static int trace_stack(void *ctx, const char *stack, size_t len, uint64_t count)
{
	struct trace_sink *s = ctx;
	/* The same rewriting folded inputs get. */
	if (s->strip_hex && !(stack = folded_strip_hex(&s->scratch, stack, &len)))
		return trec_errf(&s->err, -ENOMEM, "out of memory");
	s->stacks++;
	return folded_add(s->f, s->mode, stack, len, count, 0, &s->err);
}

static int add_trace(struct flame *f, const char *path, enum folded_mode mode,
		     const struct flame_input_opts *o, struct flame_input_stats *st,
		     struct trec_err *err)
{
	struct fold_opts fo = {
		.sz = sizeof(fo), .event = o->event, .offcpu = o->offcpu, .no_kernel = o->no_kernel,
		.with_pid = o->with_pid, .with_tid = o->with_tid, .symfs = o->symfs,
		.debug_dir = o->debug_dir, .no_demangle = o->no_demangle, .warn = o->warn,
		.warn_ctx = o->warn_ctx,
	};
	struct trace_sink s = { .f = f, .mode = mode, .strip_hex = o->strip_hex };
	tbuf_init(&s.scratch);
	int rc = report_fold_trace(path, &fo, trace_stack, &s, err);
	if (rc && s.err.code)
		rc = trec_errf(err, rc, "%s: %s", path, s.err.msg);
	st->trace_stacks = s.stacks;
	tbuf_free(&s.scratch);
	return rc;
}

/* Whether fd starts with the trace file magic; the offset is put back. */
static int starts_with_magic(int fd)
{
	char m[TREC_MAGIC_LEN];
	ssize_t n = pread(fd, m, sizeof(m), 0);
	return n == (ssize_t)sizeof(m) && !memcmp(m, TREC_MAGIC, TREC_MAGIC_LEN);
}

int flame_input_add(struct flame *f, const char *path, enum folded_mode mode,
		    const struct flame_input_opts *o, struct flame_input_stats *st,
		    struct trec_err *err)
{
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "-"))
		return folded_read_fd(f, 0, "<stdin>", mode, o->strip_hex, &st->folded, err);

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return trec_errf(err, -errno, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return trec_errf(err, -EISDIR, "%s: is a directory; name a folded file or a trace",
				 path);
	}
	int rc;
	if (S_ISREG(sb.st_mode) && starts_with_magic(fd)) {
		close(fd);
		st->is_trace = 1;
		rc = add_trace(f, path, mode, o, st, err);
	} else {
		rc = folded_read_fd(f, fd, path, mode, o->strip_hex, &st->folded, err);
		close(fd);
	}
	return rc;
}
