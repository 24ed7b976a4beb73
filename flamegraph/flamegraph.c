/* SPDX-License-Identifier: MIT */
/*
 * struct flame: options checked once up front (so drawing cannot fail on
 * them), then stacks into the tree (flame_tree.c). Drawing is
 * flame_svg.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flame_int.h"

#define DEFAULT_WIDTH 1200u
#define DEFAULT_FRAME_HEIGHT 16u
#define DEFAULT_MIN_WIDTH 0.1
#define DEFAULT_FONTSIZE 12.0
#define DEFAULT_FONTWIDTH 0.59
#define MIN_WIDTH_PX 64u       /* room for the buttons */
#define MAX_WIDTH_PX 1000000u
#define MAX_FRAME_HEIGHT 1000u
#define MAX_FONTSIZE 200.0
#define MAX_TEXT 4096          /* title, subtitle, labels */

/* A decimal "12", "0.5", ".5" (no sign, exponent or locale). -1 if not one. */
static int parse_decimal(const char *s, size_t n, double *out)
{
	double v = 0, scale = 1;
	int digits = 0, dot = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' && !dot) {
			dot = 1;
		} else if (c >= '0' && c <= '9') {
			digits++;
			if (dot) {
				scale /= 10;
				v += (c - '0') * scale;
			} else {
				v = v * 10 + (c - '0');
			}
		} else {
			return -1;
		}
	}
	if (!digits || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int set_min_width(struct flame_cfg *c, const char *s, struct trec_err *err)
{
	if (!s) {
		c->min_width = DEFAULT_MIN_WIDTH;
		return 0;
	}
	size_t n = strlen(s);
	c->min_width_pct = n && s[n - 1] == '%';
	if (parse_decimal(s, n - (size_t)c->min_width_pct, &c->min_width))
		return trec_errf(err, -EINVAL,
				 "--minwidth '%s': not pixels or a percentage (e.g. 0.1 or 0.5%%)", s);
	if (c->min_width_pct && c->min_width > 100)
		return trec_errf(err, -EINVAL, "--minwidth '%s': more than 100%%", s);
	if (!c->min_width_pct && c->min_width > c->width)
		return trec_errf(err, -EINVAL, "--minwidth '%s': wider than the image (%u pixels)", s,
				 c->width);
	return 0;
}

/* Font names go into the SVG's style sheet: letters, digits, spaces and
 * a little punctuation, so a name cannot end the declaration. */
static int font_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == ' ' || c == ',' || c == '-' || c == '_' || c == '.' || c == '\''))
			return 0;
	}
	return 1;
}

static const char *copy_str(struct flame *f, const char *s, const char *dflt, const char *what,
			    int *rc, struct trec_err *err)
{
	if (!s)
		return dflt;
	size_t n = strlen(s);
	if (n > MAX_TEXT) {
		*rc = trec_errf(err, -EINVAL, "%s: longer than %d bytes", what, MAX_TEXT);
		return dflt;
	}
	char *c = tarena_strndup(&f->strings, s, n);
	if (!c)
		*rc = trec_errf(err, -ENOMEM, "flame graph: out of memory");
	return c ? c : dflt;
}

static int configure(struct flame *f, const struct flame_opts *o, struct trec_err *err)
{
	struct flame_cfg *c = &f->cfg;
	int rc = 0;

	c->width = o->width ? o->width : DEFAULT_WIDTH;
	if (c->width < MIN_WIDTH_PX || c->width > MAX_WIDTH_PX)
		return trec_errf(err, -EINVAL, "--width %u: out of range (%u to %u pixels)", c->width,
				 MIN_WIDTH_PX, MAX_WIDTH_PX);
	c->frame_height = o->frame_height ? o->frame_height : DEFAULT_FRAME_HEIGHT;
	if (c->frame_height > MAX_FRAME_HEIGHT)
		return trec_errf(err, -EINVAL, "--height %u: out of range (1 to %u pixels)",
				 c->frame_height, MAX_FRAME_HEIGHT);
	rc = set_min_width(c, o->min_width, err);
	if (rc)
		return rc;
	c->fontsize = o->fontsize != 0 ? o->fontsize : DEFAULT_FONTSIZE;
	if (!(c->fontsize > 0 && c->fontsize <= MAX_FONTSIZE))
		return trec_errf(err, -EINVAL, "--fontsize %g: out of range (above 0, at most %g)",
				 o->fontsize, MAX_FONTSIZE);
	c->fontwidth = o->fontwidth != 0 ? o->fontwidth : DEFAULT_FONTWIDTH;
	if (!(c->fontwidth > 0 && c->fontwidth <= 10))
		return trec_errf(err, -EINVAL, "--fontwidth %g: out of range (above 0, at most 10)",
				 o->fontwidth);
	if (o->fonttype && !font_name_ok(o->fonttype))
		return trec_errf(err, -EINVAL,
				 "--fonttype '%s': a font name has letters, digits, spaces and , . - _ ' only",
				 o->fonttype);
	int pal = o->colors ? flame_palette_find(o->colors) : FLAME_PAL_HOT;
	if (pal < 0)
		return trec_errf(err, -EINVAL,
				 "--colors '%s': unknown palette (hot, mem, io, wakeup, java, js, perl, "
				 "red, green, blue, aqua, yellow, purple, orange)",
				 o->colors);
	c->palette = (enum flame_palette)pal;
	if (flame_bgcolors(o->bgcolors, c->palette, c->bg1, c->bg2))
		return trec_errf(err, -EINVAL,
				 "--bgcolors '%s': unknown background (yellow, blue, green, grey or #rrggbb)",
				 o->bgcolors);
	c->hash = o->hash;
	c->inverted = o->inverted;
	c->flamechart = o->flamechart;
	c->negate = o->negate;
	c->normalize = o->normalize;

	const char *title = c->flamechart ? "Flame Chart" : c->inverted ? "Icicle Graph" : "Flame Graph";
	c->title = copy_str(f, o->title, title, "--title", &rc, err);
	c->subtitle = copy_str(f, o->subtitle, NULL, "--subtitle", &rc, err);
	c->countname = copy_str(f, o->countname, "samples", "--countname", &rc, err);
	c->nametype = copy_str(f, o->nametype, "Function:", "--nametype", &rc, err);
	c->fonttype = copy_str(f, o->fonttype, "Verdana", "--fonttype", &rc, err);
	c->palette_file = copy_str(f, o->palette_file, NULL, "--cp palette file", &rc, err);
	return rc;
}

int flame_new(struct flame **out, const struct flame_opts *opts, struct trec_err *err)
{
	struct flame_opts o = { 0 };
	*out = NULL;
	if (opts) {
		/* Callers built against an older, shorter struct keep working. */
		if (opts->sz < sizeof(opts->sz))
			return trec_errf(err, -EINVAL, "flame_opts.sz not set");
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	struct flame *f = calloc(1, sizeof(*f));
	if (!f)
		return trec_errf(err, -ENOMEM, "flame graph: out of memory");
	tarena_init(&f->strings);
	int rc = configure(f, &o, err);
	if (!rc)
		rc = flame_tree_init(&f->tree, o.flamechart, o.reverse, err);
	if (rc) {
		tarena_free(&f->strings);
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void flame_free(struct flame *f)
{
	if (!f)
		return;
	flame_tree_free(&f->tree);
	tarena_free(&f->strings);
	free(f);
}

static uint64_t pow10_u64(unsigned d)
{
	uint64_t v = 1;
	while (d--)
		v *= 10;
	return v;
}

/*
 * Makes the unit of every count 10^-decimals (never coarser than it is):
 * the counts so far, and their totals, are multiplied to match. While
 * the tree is built each node holds its own (self) count, so the totals
 * bound every node.
 */
static int refine(struct flame *f, unsigned decimals, struct trec_err *err)
{
	struct flame_tree *t = &f->tree;
	if (decimals > FLAME_MAX_DECIMALS)
		return trec_errf(err, -EINVAL, "flame graph: more than %d decimals in a count",
				 FLAME_MAX_DECIMALS);
	if (decimals <= f->decimals)
		return 0;
	if (t->totals_done)
		return trec_errf(err, -EINVAL, "flame graph: stacks added after drawing");
	uint64_t m = pow10_u64(decimals - f->decimals);
	if (t->total > UINT64_MAX / m || (t->before && t->total_before > UINT64_MAX / m))
		return trec_errf(err, -EOVERFLOW,
				 "flame graph: counts to %u decimal places add up to more than "
				 "2^64-1 units of 10^-%u",
				 decimals, decimals);
	for (size_t i = 0; i < t->n; i++) {
		t->nodes[i].count *= m;
		if (t->before)
			t->before[i] *= m;
	}
	t->total *= m;
	if (t->before)
		t->total_before *= m;
	f->decimals = decimals;
	return 0;
}

/* A count in units of 10^-decimals, in the graph's unit. */
static int in_units(const struct flame *f, uint64_t *count, unsigned decimals,
		    struct trec_err *err)
{
	uint64_t m = pow10_u64(f->decimals - decimals);
	if (*count > UINT64_MAX / m)
		return trec_errf(err, -EOVERFLOW,
				 "flame graph: a count passes 2^64-1 units of 10^-%u", f->decimals);
	*count *= m;
	return 0;
}

static __attribute__((noinline)) int add_in_units(struct flame *f, const char *stack, size_t len, uint64_t count,
						 unsigned decimals, struct trec_err *err)
{
	int rc = refine(f, decimals, err);
	if (!rc && f->decimals)
		rc = in_units(f, &count, decimals, err);
	return rc ? rc : flame_tree_add(&f->tree, stack, len, count, count, 0, err);
}

int flame_add_dec(struct flame *f, const char *stack, size_t len, uint64_t count,
		  unsigned decimals, struct trec_err *err)
{
	if (!decimals && !f->decimals) /* whole counts, the usual: straight in */
		return flame_tree_add(&f->tree, stack, len, count, count, 0, err);
	return add_in_units(f, stack, len, count, decimals, err);
}

int flame_add_diff_dec(struct flame *f, const char *stack, size_t len, uint64_t before,
		       uint64_t after, unsigned decimals, struct trec_err *err)
{
	int rc = refine(f, decimals, err);
	if (!rc && f->decimals) {
		rc = in_units(f, &before, decimals, err);
		if (!rc)
			rc = in_units(f, &after, decimals, err);
	}
	return rc ? rc : flame_tree_add(&f->tree, stack, len, before, after, 1, err);
}

int flame_add(struct flame *f, const char *stack, size_t len, uint64_t count,
	      struct trec_err *err)
{
	return flame_add_dec(f, stack, len, count, 0, err);
}

int flame_add_diff(struct flame *f, const char *stack, size_t len, uint64_t before, uint64_t after,
		   struct trec_err *err)
{
	return flame_add_diff_dec(f, stack, len, before, after, 0, err);
}

int flame_add_cb(void *ctx, const char *stack, size_t len, uint64_t count)
{
	struct flame *f = ctx;
	if (f->cb_err.code)
		return f->cb_err.code;
	return flame_add_dec(f, stack, len, count, 0, &f->cb_err);
}

void flame_get_stats(const struct flame *f, struct flame_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->stacks = f->tree.stacks;
	st->total = f->tree.total;
	st->total_before = f->tree.before ? f->tree.total_before : f->tree.total;
	st->frames = f->tree.n;
	st->names = f->tree.names.n;
	st->differential = f->tree.before != NULL;
	st->drawn = f->drawn;
	st->pruned = f->pruned;
	st->depth = f->depth;
	st->decimals = f->decimals;
}
