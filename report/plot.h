/* SPDX-License-Identifier: MIT */
/*
 * --plot FILE.svg|FILE.png: writes the data (FILE.dat) and a gnuplot script
 * (FILE.gp) next to the output, then runs gnuplot on the script. Without
 * gnuplot the two files stay, with a message saying how to render them
 * elsewhere; the data and script are the product, gnuplot the convenience.
 */
#ifndef TREC_REPORT_PLOT_H
#define TREC_REPORT_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "hist.h"

/* Per-bin counts of the event rate plot: nseries series of nbins bins. */
struct rate_series {
	const char *name;
	const uint64_t *bins;
};

/* Checks the output name (ends in .svg or .png). 0 or -EINVAL/-ENAMETOOLONG
 * (a usage error). */
int plot_check_name(const char *out, struct trec_err *err);
/* The output of the k-th plot of one --plot FILE (k from 1): FILE itself
 * for the first, FILE's stem with "-k" for the others (lat.svg, lat-2.svg,
 * lat-3.svg ...). 0 or -ENAMETOOLONG. */
int plot_nth_name(const char *out, unsigned k, char *buf, size_t len);
/* What the plots return when the data and script were written but there
 * is no gnuplot to render them: err says so (a warning, not an error). */
#define PLOT_NOT_RENDERED 1
/* A histogram as bars. 0, PLOT_NOT_RENDERED, or -errno. */
int plot_hist(struct trec_err *err, const char *out, const struct hist *h, const char *title,
	      const char *unit);
/* Event rate over time: bins of bin_ns from t0 (seconds on the x axis). */
int plot_rate(struct trec_err *err, const char *out, const struct rate_series *s, uint32_t nseries,
	      uint32_t nbins, uint64_t bin_ns, const char *title);

#endif
