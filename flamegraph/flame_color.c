/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "fg_hash.h"
#include "flame_color.h"
#include "flamegraph.h"

const char *const flame_palette_names[] = {
	[FLAME_PAL_HOT] = "hot",       [FLAME_PAL_MEM] = "mem",       [FLAME_PAL_IO] = "io",
	[FLAME_PAL_WAKEUP] = "wakeup", [FLAME_PAL_JAVA] = "java",     [FLAME_PAL_JS] = "js",
	[FLAME_PAL_PERL] = "perl",     [FLAME_PAL_RED] = "red",       [FLAME_PAL_GREEN] = "green",
	[FLAME_PAL_BLUE] = "blue",     [FLAME_PAL_AQUA] = "aqua",     [FLAME_PAL_YELLOW] = "yellow",
	[FLAME_PAL_PURPLE] = "purple", [FLAME_PAL_ORANGE] = "orange", [FLAME_PAL_COUNT] = NULL,
};

int flame_palette_find(const char *name)
{
	for (int i = 0; i < FLAME_PAL_COUNT; i++)
		if (!strcmp(name, flame_palette_names[i]))
			return i;
	return -1;
}

void flame_rng_init(struct flame_rng *rng)
{
	rng->state = 0x6a09e667f3bcc909ull; /* any fixed seed: output must not vary run to run */
}

/* A uniform double in [0, 1). */
static double rng_next(struct flame_rng *rng)
{
	rng->state += FG_HASH_K1;
	return (double)(fg_mix64(rng->state) >> 11) * 0x1.0p-53;
}

static double unit(uint64_t h)
{
	return (double)(h >> 11) * 0x1.0p-53;
}

/* ---- name rules of the language palettes ---------------------------------------- */

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

static int contains(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* "java/", "Ljava/", "org/", ...: a Java class path. */
static int java_package(const char *s, size_t n)
{
	static const char *const roots[] = { "java/", "javax/", "jdk/", "net/", "org/",
					     "com/",  "io/",    "sun/" };
	if (n && s[0] == 'L') {
		s++;
		n--;
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		size_t k = strlen(roots[i]);
		if (n >= k && !memcmp(s, roots[i], k))
			return 1;
	}
	return 0;
}

/* "/....js": a JavaScript source path somewhere in the name. */
static int js_source(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	return slash && contains(slash, n - (size_t)(slash - s), ".js");
}

/* The single hue a language palette gives this name. */
static enum flame_palette language_hue(enum flame_palette pal, const char *s, size_t n)
{
	switch (pal) {
	case FLAME_PAL_JAVA:
		if (ends_with(s, n, "_[j]"))
			return FLAME_PAL_GREEN; /* JIT-compiled */
		if (ends_with(s, n, "_[i]"))
			return FLAME_PAL_AQUA; /* inlined */
		if (java_package(s, n) || contains(s, n, ":::"))
			return FLAME_PAL_GREEN;
		if (contains(s, n, "::"))
			return FLAME_PAL_YELLOW; /* C++ */
		if (ends_with(s, n, "_[k]"))
			return FLAME_PAL_ORANGE;
		return FLAME_PAL_RED; /* system */
	case FLAME_PAL_JS:
		if (ends_with(s, n, "_[j]"))
			return memchr(s, '/', n) ? FLAME_PAL_GREEN : FLAME_PAL_AQUA;
		if (contains(s, n, "::"))
			return FLAME_PAL_YELLOW;
		if (js_source(s, n))
			return FLAME_PAL_GREEN;
		if (memchr(s, ':', n))
			return FLAME_PAL_AQUA; /* builtin */
		if (n == 1 && s[0] == ' ')
			return FLAME_PAL_GREEN;
		if (contains(s, n, "_[k]"))
			return FLAME_PAL_ORANGE;
		return FLAME_PAL_RED;
	case FLAME_PAL_PERL:
		if (contains(s, n, "::"))
			return FLAME_PAL_YELLOW;
		if (contains(s, n, "Perl") || contains(s, n, ".pl"))
			return FLAME_PAL_GREEN;
		if (ends_with(s, n, "_[k]"))
			return FLAME_PAL_ORANGE;
		return FLAME_PAL_RED;
	case FLAME_PAL_WAKEUP:
		return FLAME_PAL_AQUA;
	default:
		return pal;
	}
}

static uint8_t ch(int base, int span, double v)
{
	return (uint8_t)(base + (int)(span * v));
}

struct flame_rgb flame_color(enum flame_palette pal, const char *name, size_t len,
			     struct flame_rng *rng)
{
	/* "-" and "--" separate stack parts (e.g. user from kernel) in some
	 * collapsers: grey, never a hue. */
	if (len == 1 && name[0] == '-')
		return (struct flame_rgb){ 200, 200, 200 };
	if (len == 2 && name[0] == '-' && name[1] == '-')
		return (struct flame_rgb){ 160, 160, 160 };

	double v1, v2, v3;
	if (rng) {
		v1 = rng_next(rng);
		v2 = rng_next(rng);
		v3 = rng_next(rng);
	} else {
		uint64_t h = fg_hash_bytes(name, len);
		v1 = unit(h);
		v2 = v3 = unit(fg_mix64(h ^ 0x5851f42d4c957f2dull));
	}
	switch (language_hue(pal, name, len)) {
	case FLAME_PAL_MEM:
		return (struct flame_rgb){ 0, ch(190, 50, v2), ch(0, 210, v1) };
	case FLAME_PAL_IO: {
		uint8_t x = ch(80, 60, v1);
		return (struct flame_rgb){ x, x, ch(190, 55, v2) };
	}
	case FLAME_PAL_RED: {
		uint8_t x = ch(50, 80, v1);
		return (struct flame_rgb){ ch(200, 55, v1), x, x };
	}
	case FLAME_PAL_GREEN: {
		uint8_t x = ch(50, 60, v1);
		return (struct flame_rgb){ x, ch(200, 55, v1), x };
	}
	case FLAME_PAL_BLUE: {
		uint8_t x = ch(80, 60, v1);
		return (struct flame_rgb){ x, x, ch(205, 50, v1) };
	}
	case FLAME_PAL_YELLOW: {
		uint8_t x = ch(175, 55, v1);
		return (struct flame_rgb){ x, x, ch(50, 20, v1) };
	}
	case FLAME_PAL_PURPLE: {
		uint8_t x = ch(190, 65, v1);
		return (struct flame_rgb){ x, ch(80, 60, v1), x };
	}
	case FLAME_PAL_AQUA: {
		uint8_t x = ch(165, 55, v1);
		return (struct flame_rgb){ ch(50, 60, v1), x, x };
	}
	case FLAME_PAL_ORANGE:
		return (struct flame_rgb){ ch(190, 65, v1), ch(90, 65, v1), 0 };
	case FLAME_PAL_HOT:
	default:
		return (struct flame_rgb){ ch(205, 50, v3), ch(0, 230, v1), ch(0, 55, v2) };
	}
}

struct flame_rgb flame_diff_color(double delta, double maxdelta, int negate)
{
	if (negate)
		delta = -delta;
	struct flame_rgb c = { 255, 255, 255 };
	if (!(maxdelta > 0) || delta == 0)
		return c;
	double mag = (delta < 0 ? -delta : delta) / maxdelta;
	if (mag > 1)
		mag = 1;
	uint8_t pale = (uint8_t)(210 * (1 - mag));
	if (delta > 0)
		c.g = c.b = pale;
	else
		c.r = c.g = pale;
	return c;
}

static int hex_color(const char *s)
{
	if (s[0] != '#' || strlen(s) != 7)
		return 0;
	for (int i = 1; i < 7; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

int flame_bgcolors(const char *spec, enum flame_palette pal, char bg1[8], char bg2[8])
{
	static const struct {
		const char *name, *c1, *c2;
	} bgs[] = {
		{ "yellow", "#eeeeee", "#eeeeb0" },
		{ "blue", "#eeeeee", "#e0e0ff" },
		{ "green", "#eef2ee", "#e0ffe0" },
		{ "grey", "#f8f8f8", "#e8e8e8" },
	};
	if (!spec) {
		if (pal == FLAME_PAL_MEM)
			spec = "green";
		else if (pal == FLAME_PAL_IO || pal == FLAME_PAL_WAKEUP)
			spec = "blue";
		else if (pal >= FLAME_PAL_RED)
			spec = "grey";
		else
			spec = "yellow";
	}
	if (hex_color(spec)) {
		memcpy(bg1, spec, 8);
		memcpy(bg2, spec, 8);
		return 0;
	}
	for (size_t i = 0; i < sizeof(bgs) / sizeof(bgs[0]); i++) {
		if (!strcmp(spec, bgs[i].name)) {
			memcpy(bg1, bgs[i].c1, 8);
			memcpy(bg2, bgs[i].c2, 8);
			return 0;
		}
	}
	return -EINVAL;
}
