/* SPDX-License-Identifier: MIT */
/*
 * --plot FILE.svg|FILE.png: writes the data (FILE.dat) and a gnuplot script
 * (FILE.gp) next to the output, then runs gnuplot on the script. Without
 * gnuplot the two files stay, with a message saying how to render them
 * elsewhere; the data and script are the product, gnuplot the convenience.
 */
#ifndef TREC_REPORT_PLOT_H
#define TREC_REPORT_PLOT_H

#include <stdint.h>

#include "cli_util.h"
#include "hist.h"

/* Per-bin counts of the event rate plot: nseries series of nbins bins. */
struct rate_series {
	const char *name;
	const uint64_t *bins;
};

/* Checks the output name (ends in .svg or .png). 0 or CLI_EXIT_USAGE. */
int plot_check_name(const struct cli_cmd *cmd, const char *out);
/* A histogram as bars. 0, or CLI_EXIT_ERROR after a message. */
int plot_hist(const struct cli_cmd *cmd, const char *out, const struct hist *h, const char *title,
	      const char *unit);
/* Event rate over time: bins of bin_ns from t0 (seconds on the x axis). */
int plot_rate(const struct cli_cmd *cmd, const char *out, const struct rate_series *s, uint32_t nseries,
	      uint32_t nbins, uint64_t bin_ns, const char *title);

#endif
