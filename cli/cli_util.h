/* SPDX-License-Identifier: MIT */
/*
 * What every trec subcommand shares: exit codes, usage and --help
 * handling, error messages that name the command, number parsing with
 * ranges, and a progress line for long runs.
 *
 * Messages go to stderr as "trec CMD: what went wrong" so a user who runs
 * several commands in a script knows which one spoke.
 */
#ifndef TREC_CLI_UTIL_H
#define TREC_CLI_UTIL_H

#include <stdint.h>
#include <stdio.h>

/* Exit codes, the same for every command (docs/CLI.md). */
enum {
	CLI_EXIT_OK = 0,    /* done; a truncated file still counts (it is warned about) */
	CLI_EXIT_ERROR = 1, /* runtime error: unreadable or corrupt file, failed write */
	CLI_EXIT_USAGE = 2, /* bad command line */
};

#define CLI_DEFAULT_INPUT "trec.data"

/* How a command describes itself, for its --help and its usage errors. */
struct cli_cmd {
	const char *name;     /* "info" */
	const char *synopsis; /* "[-i FILE] [--json]" */
	const char *summary;  /* one line, also in `trec --help` */
	const char *options;  /* option lines, each "  -x, --xx  what\n" */
};

/* Full help text on stdout (`trec CMD --help`). */
void cli_help(const struct cli_cmd *c);
/* "trec CMD: <msg>" + usage line + "Run 'trec CMD --help' ..." on stderr;
 * returns CLI_EXIT_USAGE for `return cli_usage_error(...)`. */
int cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The usage hint after getopt has printed its own complaint. */
int cli_bad_option(const struct cli_cmd *c);

/* "trec CMD: <msg>\n" on stderr. */
void cli_err(const struct cli_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const struct cli_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Numbers from the command line. On failure they print a message naming
 * the command and the option ("trec script: --limit: 'abc' is not a
 * number") and return -1; 0 on success.
 */
int cli_parse_u64(const struct cli_cmd *c, const char *opt, const char *arg, uint64_t min,
		  uint64_t max, uint64_t *out);
/* Non-negative seconds with up to 9 decimals ("1.5", "0.000001", "3"),
 * converted to nanoseconds exactly (no floating point). */
int cli_parse_seconds_ns(const struct cli_cmd *c, const char *opt, const char *arg,
			 uint64_t *out);

/*
 * Input file from -i or the single positional argument. Returns 0 and sets
 * *path (the default when neither was given), or prints a usage error and
 * returns CLI_EXIT_USAGE.
 */
int cli_input_path(const struct cli_cmd *c, const char *opt_i, int argc, char **argv, int first,
		   const char **path);

/*
 * Reader errors with advice: names the file (unless the reader's message
 * already does) and says what to try next, from the error code.
 */
enum cli_phase { CLI_AT_OPEN, CLI_AT_READ };
void cli_file_error(const struct cli_cmd *c, const char *path, enum cli_phase phase, int code,
		    const char *msg);

/*
 * The errors of report/source.h and report/pass.h: with advice when they
 * name a file and a phase (at: enum source_at), else the message alone.
 * Returns CLI_EXIT_ERROR.
 */
struct trec_err;
struct source;
int cli_source_error(const struct cli_cmd *c, const char *path, int at, int code, const struct trec_err *err);
/* "FILE is truncated at offset N": one warning per truncated input. */
void cli_truncation_warnings(const struct cli_cmd *c, const struct source *s);

/*
 * Opens a trace for reading, reporting failure with cli_file_error.
 * Returns 0 or CLI_EXIT_ERROR.
 */
struct trec_reader;
int cli_open_trace(const struct cli_cmd *c, const char *path, int ignore_corrupt,
		   struct trec_reader **out);

/*
 * Progress on stderr, "\rtrec script: 1234567 events (45%)": only when
 * stderr is a terminal and stdout is not the same terminal (the line would
 * be torn by the output itself). Updated at most every 200 ms.
 */
struct cli_progress {
	const struct cli_cmd *c;
	int on;
	int shown;
	uint64_t next_check; /* count at which to look at the clock again */
	uint64_t last_ms;
	uint64_t total;      /* 0 when unknown */
	const char *unit;
};
void cli_progress_init(struct cli_progress *p, const struct cli_cmd *c, const char *unit,
		       uint64_t total);
void cli_progress_update_slow(struct cli_progress *p, uint64_t done);
static inline void cli_progress_update(struct cli_progress *p, uint64_t done)
{
	if (p->on && done >= p->next_check)
		cli_progress_update_slow(p, done);
}
/* Erases the line if one was drawn. */
void cli_progress_done(struct cli_progress *p);

/* After a run: what --ignore-corrupt skipped, one warning per line,
 * leaving out the truncation already reported at the start. */
void cli_reader_warnings(const struct cli_cmd *c, struct trec_reader *r);

/* "1.23 MiB" style, for humans. */
const char *cli_human_bytes(uint64_t n, char *buf, size_t len);

#endif
