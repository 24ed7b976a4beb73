/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "plot.h"

extern char **environ;

static const char *ext_of(const char *out)
{
	const char *dot = strrchr(out, '.');
	return dot ? dot + 1 : "";
}

int plot_check_name(const char *out, struct trec_err *err)
{
	const char *e = ext_of(out);
	if (strcmp(e, "svg") && strcmp(e, "png"))
		return trec_errf(err, -EINVAL, "--plot %s: the name should end in .svg or .png", out);
	if (strlen(out) > 4000)
		return trec_errf(err, -ENAMETOOLONG, "--plot: the name is too long");
	return 0;
}

int plot_nth_name(const char *out, unsigned k, char *buf, size_t len)
{
	const char *dot = strrchr(out, '.');
	size_t stem = dot ? (size_t)(dot - out) : strlen(out);
	int n = k <= 1 ? snprintf(buf, len, "%s", out)
		       : snprintf(buf, len, "%.*s-%u%s", (int)stem, out, k, dot ? dot : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "cannot write PATH" with errno's reason. */
static int write_failed(struct trec_err *err, const char *path)
{
	int e = errno ? errno : EIO;
	return trec_errf(err, -e, "--plot: cannot write %s: %s", path, strerror(e));
}

/* A string in a gnuplot script: single quotes, with '' for a quote. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('\'', f);
}

static int write_script(struct trec_err *err, const char *gp, const char *out, const char *dat,
			void (*body)(FILE *, const char *dat, const void *ctx), const void *ctx, const char *title)
{
	FILE *f = fopen(gp, "w");
	if (!f)
		return write_failed(err, gp);
	fputs("# written by trec report --plot; render with: gnuplot THIS_FILE\n", f);
	if (!strcmp(ext_of(out), "svg"))
		fputs("set terminal svg size 900,500 dynamic background rgb 'white'\n", f);
	else
		fputs("set terminal pngcairo size 900,500\n", f);
	fputs("set output ", f);
	gp_str(f, out);
	fputs("\nset title ", f);
	gp_str(f, title);
	fputs("\nset grid ytics\nset key outside right\n", f);
	body(f, dat, ctx);
	if (fclose(f))
		return write_failed(err, gp);
	return 0;
}

/* Runs gnuplot on the script; a missing gnuplot leaves the files and says so. */
static int run_gnuplot(struct trec_err *err, const char *gp, const char *dat)
{
	char *argv[] = { (char *)"gnuplot", (char *)gp, NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (rc == ENOENT) {
		trec_errf(err, -ENOENT, "gnuplot is not installed (apt-get install gnuplot-nox): wrote %s and %s; "
					"render them elsewhere with 'gnuplot %s'",
			  dat, gp, gp);
		return PLOT_NOT_RENDERED;
	}
	if (rc)
		return trec_errf(err, -rc, "--plot: cannot run gnuplot: %s (the data is in %s, the script in %s)",
				 strerror(rc), dat, gp);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return trec_errf(err, -errno, "--plot: waiting for gnuplot: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return trec_errf(err, -ECHILD, "--plot: gnuplot failed on %s (its message is above); the data is in %s",
				 gp, dat);
	return 0;
}

static int names(struct trec_err *err, const char *out, char *dat, char *gp, size_t len)
{
	if ((size_t)snprintf(dat, len, "%s.dat", out) >= len || (size_t)snprintf(gp, len, "%s.gp", out) >= len)
		return trec_errf(err, -ENAMETOOLONG, "--plot: name too long");
	return 0;
}

struct hist_ctx {
	const char *unit;
};

static void hist_body(FILE *f, const char *dat, const void *ctx)
{
	const struct hist_ctx *hc = ctx;
	fputs("set style data histograms\nset style fill solid 0.8 border -1\nset boxwidth 0.9\n"
	      "set xtics rotate by -45\nset yrange [0:*]\nset ylabel 'count'\nset xlabel ",
	      f);
	gp_str(f, hc->unit);
	fputs("\nplot ", f);
	gp_str(f, dat);
	fputs(" using 2:xtic(1) title 'count' linecolor rgb '#d9603b'\n", f);
}

int plot_hist(struct trec_err *err, const char *out, const struct hist *h, const char *title, const char *unit)
{
	char dat[4200], gp[4200];
	int rc = names(err, out, dat, gp, sizeof(dat));
	if (rc)
		return rc;
	FILE *f = fopen(dat, "w");
	if (!f)
		return write_failed(err, dat);
	fprintf(f, "# bucket (%s) count\n", unit);
	size_t cap = hist_nbuckets(h);
	struct hist_bucket *b = malloc(cap * sizeof(*b));
	size_t n = b ? hist_buckets(h, b, cap) : 0;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "\"%lld-%lld\" %llu\n", (long long)b[i].lo, (long long)b[i].hi,
			(unsigned long long)b[i].count);
	free(b);
	if (fclose(f))
		return write_failed(err, dat);
	struct hist_ctx hc = { .unit = unit };
	if ((rc = write_script(err, gp, out, dat, hist_body, &hc, title)))
		return rc;
	return run_gnuplot(err, gp, dat);
}

struct rate_ctx {
	uint32_t nseries;
	const struct rate_series *s;
};

static void rate_body(FILE *f, const char *dat, const void *ctx)
{
	const struct rate_ctx *rc = ctx;
	fputs("set xlabel 'seconds from the first event'\nset ylabel 'events per second'\nplot ", f);
	for (uint32_t i = 0; i < rc->nseries; i++) {
		if (i)
			fputs(", \\\n     ", f);
		gp_str(f, dat);
		fprintf(f, " using 1:%u with lines title ", i + 2);
		gp_str(f, rc->s[i].name);
	}
	fputc('\n', f);
}

int plot_rate(struct trec_err *err, const char *out, const struct rate_series *s, uint32_t nseries,
	      uint32_t nbins, uint64_t bin_ns, const char *title)
{
	char dat[4200], gp[4200];
	int rc = names(err, out, dat, gp, sizeof(dat));
	if (rc)
		return rc;
	FILE *f = fopen(dat, "w");
	if (!f)
		return write_failed(err, dat);
	fputs("# seconds", f);
	for (uint32_t i = 0; i < nseries; i++)
		fprintf(f, " %s", s[i].name);
	fputc('\n', f);
	double secs = (double)bin_ns / 1e9;
	for (uint32_t b = 0; b < nbins; b++) {
		fprintf(f, "%.6f", (double)b * secs);
		for (uint32_t i = 0; i < nseries; i++)
			fprintf(f, " %.1f", (double)s[i].bins[b] / secs);
		fputc('\n', f);
	}
	if (fclose(f))
		return write_failed(err, dat);
	struct rate_ctx rctx = { .nseries = nseries, .s = s };
	if ((rc = write_script(err, gp, out, dat, rate_body, &rctx, title)))
		return rc;
	return run_gnuplot(err, gp, dat);
}
