/* SPDX-License-Identifier: MIT */
/*
 * Inside struct flame (flamegraph.h): the options once checked and
 * defaulted, the tree, and what drawing found. Shared by flamegraph.c
 * (building) and flame_svg.c (drawing); not for callers.
 */
#ifndef TREC_FLAME_INT_H
#define TREC_FLAME_INT_H

#include "buf.h"
#include "flame_color.h"
#include "flame_tree.h"
#include "flamegraph.h"

struct flame_cfg {
	const char *title, *subtitle, *countname, *nametype, *fonttype, *palette_file;
	unsigned width, frame_height;
	double min_width;  /* pixels, or percent of the total with min_width_pct */
	int min_width_pct;
	enum flame_palette palette;
	char bg1[8], bg2[8];
	double fontsize, fontwidth;
	int hash, inverted, flamechart, negate, normalize;
};

struct flame {
	struct flame_cfg cfg;
	struct tarena strings; /* copies of the option strings */
	struct flame_tree tree;
	struct trec_err cb_err; /* the first error met by flame_add_cb */
	unsigned decimals;     /* counts are kept in units of 10^-decimals */
	int written;
	uint64_t drawn, pruned;
	unsigned depth;
};

/* The script and style the SVG embeds (flame_script.c). */
extern const char flame_script_js[];
extern const char flame_style_css[];

#endif
