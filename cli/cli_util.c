/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "parse.h"
#include "reader.h"
#include "source.h"

/* Helpers that borrow a command's name for their messages (fold.h) have
 * no synopsis of their own: no usage line then, only the pointer to --help. */
static void usage_line(FILE *f, const struct cli_cmd *c)
{
	if (c->synopsis)
		fprintf(f, "usage: trec %s %s\n", c->name, c->synopsis);
}

void cli_help(const struct cli_cmd *c)
{
	usage_line(stdout, c);
	printf("\n%s\n", c->summary);
	if (c->options && c->options[0])
		printf("\noptions:\n%s", c->options);
	printf("\nExit status: 0 ok, 1 unreadable or corrupt input, 2 bad usage (see docs/CLI.md).\n");
}

int cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "trec %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return cli_bad_option(c);
}

int cli_bad_option(const struct cli_cmd *c)
{
	usage_line(stderr, c);
	fprintf(stderr, "Run 'trec %s --help' for the options.\n", c->name);
	return CLI_EXIT_USAGE;
}

static void vmsg(const struct cli_cmd *c, const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "trec %s: %s", c->name, what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "", fmt, ap);
	va_end(ap);
}

void cli_warn(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "warning: ", fmt, ap);
	va_end(ap);
}

int cli_parse_u64(const struct cli_cmd *c, const char *opt, const char *arg, uint64_t min,
		  uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	switch (parse_u64(arg, min, max, &v)) {
	case 0:
		*out = v;
		return 0;
	case -ENODATA:
		cli_usage_error(c, "%s: empty value; give a number", opt);
		return -1;
	case -EOVERFLOW:
		cli_usage_error(c, "%s: '%s' is too large (at most %llu)", opt, arg, (unsigned long long)max);
		return -1;
	case -ERANGE:
		if (v < min && max == UINT64_MAX)
			cli_usage_error(c, "%s: %llu is too small (at least %llu)", opt, (unsigned long long)v,
					(unsigned long long)min);
		else
			cli_usage_error(c, "%s: %llu is out of range (%llu to %llu)", opt, (unsigned long long)v,
					(unsigned long long)min, (unsigned long long)max);
		return -1;
	default:
		cli_usage_error(c, "%s: '%s' is not a number", opt, arg);
		return -1;
	}
}

/* The largest number of seconds the option has always taken:
 * 18446744069.999999999 s (584 years; 2^64 ns is 18446744073.7 s). */
#define CLI_SECONDS_MAX_NS 18446744069999999999ull

int cli_parse_seconds_ns(const struct cli_cmd *c, const char *opt, const char *arg,
			 uint64_t *out)
{
	int rc = parse_seconds_ns(arg, CLI_SECONDS_MAX_NS, out);
	if (rc == -ERANGE) {
		cli_usage_error(c, "%s: '%s' seconds is too large", opt, arg);
		return -1;
	}
	if (rc) {
		cli_usage_error(c, "%s: '%s' is not a number of seconds (e.g. 1.5)", opt, arg);
		return -1;
	}
	return 0;
}

int cli_input_path(const struct cli_cmd *c, const char *opt_i, int argc, char **argv, int first,
		   const char **path)
{
	int npos = argc - first;

	if (npos > 1)
		return cli_usage_error(c, "unexpected argument '%s' (one input file at most)",
				       argv[first + 1]);
	if (npos == 1 && opt_i)
		return cli_usage_error(c, "input given twice: -i %s and '%s'", opt_i, argv[first]);
	if (npos == 1)
		*path = argv[first];
	else
		*path = opt_i ? opt_i : CLI_DEFAULT_INPUT;
	if (!**path)
		return cli_usage_error(c, "empty input file name");
	return 0;
}

void cli_file_error(const struct cli_cmd *c, const char *path, enum cli_phase phase, int code,
		    const char *msg)
{
	const char *advice = NULL;

	switch (-code) {
	case ENOENT:
		advice = "name the trace with -i FILE";
		break;
	case EACCES:
	case EPERM:
		advice = "check the file's permissions";
		break;
	case EISDIR:
		advice = "name a trace file, not a directory";
		break;
	case EINVAL:
		if (phase == CLI_AT_OPEN)
			advice = "name a trace file written by trec record";
		break;
	case EPROTONOSUPPORT:
		advice = "it was written by a newer trec; analyse it with that version";
		break;
	case EBADMSG:
	case EILSEQ:
	case ERANGE:
	case E2BIG:
		/* A bad file header cannot be skipped; a bad block can. */
		advice = phase == CLI_AT_OPEN ? "is it a trace written by trec record?"
					      : "rerun with --ignore-corrupt to skip damaged blocks";
		break;
	default:
		break;
	}
	/* The reader's messages usually name the file, and sometimes give the
	 * same advice: never say either twice. A message that already points
	 * at --ignore-corrupt is about one bad block, even when it comes while
	 * opening: "is it a trace?" would be the wrong question. */
	if (advice && strstr(msg, "--ignore-corrupt"))
		advice = NULL;
	if (strstr(msg, path))
		fprintf(stderr, "trec %s: %s", c->name, msg);
	else
		fprintf(stderr, "trec %s: %s: %s", c->name, path, msg);
	if (advice)
		fprintf(stderr, " (%s)", advice);
	fputc('\n', stderr);
}

int cli_source_error(const struct cli_cmd *c, const char *path, int at, int code, const struct trec_err *err)
{
	if (at == SOURCE_AT_NONE || !path)
		cli_err(c, "%s", trec_errmsg(err, code));
	else
		cli_file_error(c, path, at == SOURCE_AT_OPEN ? CLI_AT_OPEN : CLI_AT_READ, code, trec_errmsg(err, code));
	return CLI_EXIT_ERROR;
}

void cli_truncation_warnings(const struct cli_cmd *c, const struct source *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rfile *f = &s->files[i];
		const struct trec_file_info *fi = f->r ? trec_reader_info(f->r) : NULL;
		if (fi && fi->truncated)
			cli_warn(c, "%s is truncated at offset %llu (%s): reading its complete blocks", f->path,
				 (unsigned long long)fi->truncated_at, fi->truncation ? fi->truncation : "no footer index");
	}
}

int cli_open_trace(const struct cli_cmd *c, const char *path, int ignore_corrupt,
		   struct trec_reader **out)
{
	struct trec_reader_opts ro = { .sz = sizeof(ro), .ignore_corrupt = ignore_corrupt };
	struct trec_err err = { 0 };
	int rc = trec_reader_open(out, path, &ro, &err);
	if (rc < 0) {
		*out = NULL;
		cli_file_error(c, path, CLI_AT_OPEN, rc, trec_errmsg(&err, rc));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether fds 1 and 2 are the same terminal (the same device). */
static int same_tty(void)
{
	struct stat a, b;
	if (!isatty(1))
		return 0;
	if (fstat(1, &a) || fstat(2, &b))
		return 1;
	return a.st_rdev == b.st_rdev;
}

#define PROGRESS_STRIDE 65536 /* events between clock reads */

void cli_progress_init(struct cli_progress *p, const struct cli_cmd *c, const char *unit,
		       uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->unit = unit;
	p->total = total;
	p->on = isatty(2) && !same_tty();
	p->last_ms = now_ms();
	/* Nothing for the first second: short runs stay quiet. */
	p->last_ms += 800;
	p->next_check = PROGRESS_STRIDE;
}

void cli_progress_update_slow(struct cli_progress *p, uint64_t done)
{
	p->next_check = done + PROGRESS_STRIDE;
	uint64_t t = now_ms();
	if (t < p->last_ms + 200)
		return;
	p->last_ms = t;
	if (p->total)
		fprintf(stderr, "\rtrec %s: %llu %s (%u%%)  ", p->c->name, (unsigned long long)done,
			p->unit, (unsigned)(done >= p->total ? 100 : done * 100 / p->total));
	else
		fprintf(stderr, "\rtrec %s: %llu %s  ", p->c->name, (unsigned long long)done,
			p->unit);
	p->shown = 1;
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

const char *cli_human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

void cli_reader_warnings(const struct cli_cmd *c, struct trec_reader *r)
{
	const struct trec_file_info *fi = trec_reader_info(r);
	const char *w = trec_reader_warnings(r);
	if (!w || !fi->corrupt_blocks)
		return;
	while (*w) {
		const char *nl = strchr(w, '\n');
		size_t len = nl ? (size_t)(nl - w) : strlen(w);
		int is_trunc = fi->truncation && fi->truncation[0] &&
			       memmem(w, len, fi->truncation, strlen(fi->truncation));
		if (len && !is_trunc)
			cli_warn(c, "%.*s", (int)len, w);
		w += len + (nl ? 1 : 0);
	}
}
