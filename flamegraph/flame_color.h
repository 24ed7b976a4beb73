/* SPDX-License-Identifier: MIT */
/*
 * Frame colors, with flamegraph.pl's palettes: a hue range per palette
 * (hot: reds to yellows, mem: greens, io: blues, ...), and for the
 * language palettes (java, js, perl) a hue chosen from the frame's name
 * (kernel frames "_[k]" orange, JIT "_[j]" green, C++ "::" yellow, ...).
 * Where inside the range a frame falls is a pseudo-random draw (the same
 * sequence every run, so the same input gives the same picture) or, with
 * --hash, a function of the name alone (the same name, the same color in
 * every graph). Differential graphs color by change instead.
 */
#ifndef TREC_FLAME_COLOR_H
#define TREC_FLAME_COLOR_H

#include <stddef.h>
#include <stdint.h>

enum flame_palette {
	FLAME_PAL_HOT,
	FLAME_PAL_MEM,
	FLAME_PAL_IO,
	FLAME_PAL_WAKEUP,
	FLAME_PAL_JAVA,
	FLAME_PAL_JS,
	FLAME_PAL_PERL,
	FLAME_PAL_RED,
	FLAME_PAL_GREEN,
	FLAME_PAL_BLUE,
	FLAME_PAL_AQUA,
	FLAME_PAL_YELLOW,
	FLAME_PAL_PURPLE,
	FLAME_PAL_ORANGE,
	FLAME_PAL_COUNT,
};

struct flame_rgb {
	uint8_t r, g, b;
};

/* The palette called name, or -1. */
int flame_palette_find(const char *name);

/* The pseudo-random sequence of the non-hash mode. */
struct flame_rng {
	uint64_t state;
};
void flame_rng_init(struct flame_rng *rng);

/* A frame's color: palette, name, and either the next draws of rng or
 * (rng NULL) the name's hash. */
struct flame_rgb flame_color(enum flame_palette pal, const char *name, size_t len,
			     struct flame_rng *rng);

/* Differential color: red for growth, blue for shrinkage, white for none,
 * paler the smaller |delta| is next to maxdelta (saturated past it). */
struct flame_rgb flame_diff_color(double delta, double maxdelta, int negate);

/* The background gradient's two stops, "#rrggbb": from spec ("yellow",
 * "blue", "green", "grey", or one "#rrggbb" for a flat background) or, for
 * spec NULL, the palette's default. 0, or -EINVAL for an unknown spec. */
int flame_bgcolors(const char *spec, enum flame_palette pal, char bg1[8], char bg2[8]);

#endif
