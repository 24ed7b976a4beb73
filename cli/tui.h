/* SPDX-License-Identifier: MIT */
/*
 * The interactive report on a terminal (ncurses): `trec report` on a
 * terminal with a trace that has stacks, or --tui. The model is
 * report/browse.h; this is its drawing and its keys (docs/REPORT.md).
 * Built only where ncurses is (TREC_HAVE_CURSES, from the Makefile); the
 * other builds answer tui_available() == 0.
 */
#ifndef TREC_CLI_TUI_H
#define TREC_CLI_TUI_H

#include "cli_util.h"
#include "source.h"

struct tui_opts {
	const struct cli_cmd *cmd; /* for messages */
	int forced;                /* --tui: nothing to browse is an error */
	int offcpu;                /* start in the off-CPU view */
	int no_kernel, no_user, no_demangle;
	const char *symfs, *debug_dir;
};

/* tui_run's answer when there is nothing to browse and the TUI was not
 * forced: nothing was printed, the caller prints text. */
#define TUI_NOTHING (-1)

/* 1 when this build has the interactive report. */
int tui_available(void);
/* 1 when stdin and stdout are terminals: where the TUI can run. */
int tui_on_terminal(void);
/* Browses the first trace of src until the user quits. An exit code
 * (CLI_EXIT_*), or TUI_NOTHING. */
int tui_run(struct source *src, const struct tui_opts *o);

#endif
