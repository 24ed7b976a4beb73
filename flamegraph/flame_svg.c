/* SPDX-License-Identifier: MIT */
/*
 * Drawing the tree as SVG. Two walks over the frames wide enough to draw
 * (narrower ones are pruned with their whole subtree, which is narrower
 * still): the first orders children (by name, or by input order for a
 * flame chart) and finds the depth, which the image height needs before
 * the first byte; the second writes one <g> per frame. Both walks use an
 * explicit stack: input depth is not bounded by the C stack.
 *
 * Layout follows flamegraph.pl: 10 px side margins, the title above, the
 * details line below, frame_height per row, a row's frames side by side
 * in proportion to their counts, children from their parent's left edge.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_lines.h"
#include "fg_strtab.h"
#include "flame_int.h"
#include "flame_xml.h"

#define XPAD 10.0
#define FRAMEPAD 1.0
#define DRAIN_AT (256u << 10)
#define FG_NS "http://github.com/jonhoo/inferno"

struct layout {
	double width, height;
	double fh, fontsize;
	double ypad1, ypad2, ypad3;
	double per_count;  /* pixels per count */
	double min_count;  /* counts below this are pruned */
	double before_scale; /* differential: before counts times this (normalize) */
	double maxdelta;
	double label_px;   /* pixels per label character */
	uint64_t total;
	int diff;
};

struct walk_item {
	uint32_t node;
	uint32_t depth;
	uint64_t x; /* offset from the left, in counts */
};

struct walk_stack {
	struct walk_item *v;
	size_t n, cap;
};

static int wpush(struct walk_stack *s, uint32_t node, uint32_t depth, uint64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct walk_item *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct walk_item){ node, depth, x };
	return 0;
}

static inline int drawn(const struct layout *L, const struct flame_node *n)
{
	return !((double)n->count < L->min_count);
}

/* ---- child order ---------------------------------------------------------------- */

static int cmp_name_ids(const void *a, const void *b, void *ctx)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const struct flame_names *nm = ctx;
	size_t lx = nm->len[x], ly = nm->len[y];
	int c = memcmp(nm->str[x], nm->str[y], lx < ly ? lx : ly);
	if (c)
		return c;
	return (lx > ly) - (lx < ly);
}

/* rank[name id] = position of the name in byte order. */
static uint32_t *name_ranks(const struct flame_names *nm)
{
	uint32_t *order = malloc((size_t)nm->n * sizeof(*order));
	uint32_t *rank = malloc((size_t)nm->n * sizeof(*rank));
	if (!order || !rank) {
		free(order);
		free(rank);
		return NULL;
	}
	for (uint32_t i = 0; i < nm->n; i++)
		order[i] = i;
	qsort_r(order, nm->n, sizeof(*order), cmp_name_ids, (void *)nm);
	for (uint32_t i = 0; i < nm->n; i++)
		rank[order[i]] = i;
	free(order);
	return rank;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct orderer {
	uint32_t *rank; /* NULL: flame chart, input order */
	uint64_t *tmp;
	size_t cap;
};

/* Relinks n's children in drawing order. */
static int order_children(struct flame_tree *t, struct orderer *o, uint32_t n)
{
	struct flame_node *nodes = t->nodes;
	if (!o->rank) {
		/* Children were prepended as they came: reverse to input order. */
		uint32_t prev = FLAME_NONE, c = nodes[n].child;
		while (c != FLAME_NONE) {
			uint32_t next = nodes[c].sibling;
			nodes[c].sibling = prev;
			prev = c;
			c = next;
		}
		nodes[n].child = prev;
		return 0;
	}
	size_t k = 0;
	for (uint32_t c = nodes[n].child; c != FLAME_NONE; c = nodes[c].sibling) {
		if (k == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 256;
			uint64_t *tmp = realloc(o->tmp, cap * sizeof(*tmp));
			if (!tmp)
				return -ENOMEM;
			o->tmp = tmp;
			o->cap = cap;
		}
		o->tmp[k++] = (uint64_t)o->rank[nodes[c].name] << 32 | c;
	}
	if (k < 2)
		return 0;
	qsort(o->tmp, k, sizeof(*o->tmp), cmp_u64);
	nodes[n].child = (uint32_t)o->tmp[0];
	for (size_t i = 0; i + 1 < k; i++)
		nodes[(uint32_t)o->tmp[i]].sibling = (uint32_t)o->tmp[i + 1];
	nodes[(uint32_t)o->tmp[k - 1]].sibling = FLAME_NONE;
	return 0;
}

/* First walk: child order, the deepest drawn frame, how many are drawn. */
static int measure(struct flame *f, const struct layout *L, struct walk_stack *ws)
{
	struct flame_tree *t = &f->tree;
	struct orderer o = { 0 };
	int rc = 0;
	if (!f->cfg.flamechart) {
		o.rank = name_ranks(&t->names);
		if (!o.rank)
			return -ENOMEM;
	}
	f->drawn = 0;
	f->depth = 0;
	ws->n = 0;
	rc = wpush(ws, FLAME_ROOT, 0, 0);
	while (!rc && ws->n) {
		struct walk_item it = ws->v[--ws->n];
		f->drawn++;
		if (it.depth > f->depth)
			f->depth = it.depth;
		rc = order_children(t, &o, it.node);
		for (uint32_t c = t->nodes[it.node].child; !rc && c != FLAME_NONE;
		     c = t->nodes[c].sibling)
			if (drawn(L, &t->nodes[c]))
				rc = wpush(ws, c, it.depth + 1, 0);
	}
	f->pruned = t->n - f->drawn;
	free(o.rank);
	free(o.tmp);
	return rc;
}

/* ---- differential ---------------------------------------------------------------- */

/* The largest change of one stack (a node's own counts, before totals),
 * which saturates the colors as in flamegraph.pl. */
static double max_stack_delta(const struct flame_tree *t, double scale)
{
	double m = 0;
	for (size_t i = 0; i < t->n; i++) {
		double d = fabs((double)t->nodes[i].count - (double)t->before[i] * scale);
		if (d > m)
			m = d;
	}
	return m;
}

/* ---- writing -------------------------------------------------------------------- */

static void put_attr_num(struct tbuf *b, const char *name, double v)
{
	fgx_chr(b, ' ');
	fgx_str(b, name);
	fgx_str(b, "=\"");
	fgx_num(b, v);
	fgx_chr(b, '"');
}

static void put_rgb(struct tbuf *b, struct flame_rgb c)
{
	fgx_str(b, "rgb(");
	fgx_u64(b, c.r);
	fgx_chr(b, ',');
	fgx_u64(b, c.g);
	fgx_chr(b, ',');
	fgx_u64(b, c.b);
	fgx_chr(b, ')');
}

static void put_text(struct tbuf *b, const char *id, const char *cls, double x, double y,
		     const char *text)
{
	fgx_str(b, "<text id=\"");
	fgx_str(b, id);
	fgx_chr(b, '"');
	if (cls) {
		fgx_str(b, " class=\"");
		fgx_str(b, cls);
		fgx_chr(b, '"');
	}
	put_attr_num(b, "x", x);
	put_attr_num(b, "y", y);
	fgx_chr(b, '>');
	fgx_xml(b, text, strlen(text));
	fgx_str(b, "</text>\n");
}

static void put_header(struct tbuf *b, const struct flame *f, const struct layout *L)
{
	const struct flame_cfg *c = &f->cfg;
	fgx_str(b, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		   "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
		   "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
		   "<svg version=\"1.1\"");
	put_attr_num(b, "width", L->width);
	put_attr_num(b, "height", L->height);
	fgx_str(b, " onload=\"init(evt)\" viewBox=\"0 0 ");
	fgx_num(b, L->width);
	fgx_chr(b, ' ');
	fgx_num(b, L->height);
	fgx_str(b, "\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:fg=\"" FG_NS "\">\n"
		   "<!-- Flame graph by trec flamegraph (docs/FLAMEGRAPH.md). Each frame is a g "
		   "element holding a title 'NAME (COUNT UNIT, PERCENT)' and a rect whose width is "
		   "proportional to COUNT; fg:x and fg:w give its offset and width in counts. -->\n");
	fgx_str(b, "<!-- ");
	fgx_u64(b, f->drawn);
	fgx_str(b, " frames drawn; ");
	fgx_u64(b, f->pruned);
	fgx_str(b, " frames narrower than ");
	fgx_num(b, c->min_width);
	fgx_str(b, c->min_width_pct ? "% of the total" : " pixels");
	fgx_str(b, " pruned (option minwidth) -->\n");
	fgx_str(b, "<defs>\n<linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		   "<stop stop-color=\"");
	fgx_str(b, c->bg1);
	fgx_str(b, "\" offset=\"5%\"/><stop stop-color=\"");
	fgx_str(b, c->bg2);
	fgx_str(b, "\" offset=\"95%\"/></linearGradient>\n</defs>\n");

	fgx_str(b, "<style type=\"text/css\">\ntext { font-family:");
	fgx_xml(b, c->fonttype, strlen(c->fonttype));
	fgx_str(b, "; font-size:");
	fgx_num(b, L->fontsize);
	fgx_str(b, "px; fill:rgb(0,0,0); }\n#title { font-size:");
	fgx_num(b, L->fontsize + 5);
	fgx_str(b, "px; }\n");
	fgx_str(b, flame_style_css);
	fgx_str(b, "</style>\n");

	/* Only numbers cross into the script; strings stay in the document. */
	fgx_str(b, "<script type=\"text/ecmascript\"><![CDATA[\nvar fgcfg = {");
	fgx_str(b, "xpad: ");
	fgx_num(b, XPAD);
	fgx_str(b, ", width: ");
	fgx_num(b, L->width);
	fgx_str(b, ", frameheight: ");
	fgx_num(b, L->fh);
	fgx_str(b, ", inverted: ");
	fgx_chr(b, c->inverted ? '1' : '0');
	fgx_str(b, ", total: ");
	fgx_dec(b, L->total, f->decimals, 0);
	fgx_str(b, ", labelpx: ");
	fgx_num(b, L->label_px);
	fgx_str(b, "};\n");
	fgx_str(b, flame_script_js);
	fgx_str(b, "]]></script>\n");

	fgx_str(b, "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"url(#background)\"/>\n");
	put_text(b, "title", NULL, L->width / 2, L->fontsize * 2, c->title);
	if (c->subtitle)
		put_text(b, "subtitle", NULL, L->width / 2, L->fontsize * 4, c->subtitle);
	double bottom = L->height - L->ypad2 / 2;
	fgx_str(b, "<text id=\"details\"");
	put_attr_num(b, "x", XPAD);
	put_attr_num(b, "y", bottom);
	fgx_str(b, " fg:label=\"");
	fgx_xml(b, c->nametype, strlen(c->nametype));
	fgx_str(b, "\"> </text>\n");
	put_text(b, "unzoom", "hide", XPAD, L->fontsize * 2, "Reset Zoom");
	put_text(b, "search", NULL, L->width - XPAD - 100, L->fontsize * 2, "Search");
	put_text(b, "ignorecase", NULL, L->width - XPAD - 16, L->fontsize * 2, "ic");
	put_text(b, "matched", NULL, L->width - XPAD - 100, bottom, " ");
}

/* The <title>: "NAME (N UNIT, P%)", "all (...)" for the root, "; +D%"
 * added in a differential graph. */
static void put_title(struct tbuf *b, const struct flame *f, const struct layout *L, uint32_t n,
		      const char *name, uint32_t len)
{
	const struct flame_tree *t = &f->tree;
	uint64_t count = t->nodes[n].count;
	fgx_str(b, "<title>");
	if (n == FLAME_ROOT)
		fgx_str(b, "all");
	else
		fgx_xml(b, name, len);
	fgx_str(b, " (");
	fgx_dec(b, count, f->decimals, 1);
	fgx_chr(b, ' ');
	fgx_xml(b, f->cfg.countname, strlen(f->cfg.countname));
	fgx_str(b, ", ");
	if (n == FLAME_ROOT)
		fgx_str(b, "100");
	else
		fgx_fixed2(b, 100.0 * (double)count / (double)L->total);
	fgx_chr(b, '%');
	if (L->diff) {
		double delta = (double)count - (double)t->before[n] * L->before_scale;
		if (f->cfg.negate)
			delta = -delta;
		fgx_str(b, "; ");
		double pct = 100.0 * delta / (double)L->total;
		if (pct >= 0.005)
			fgx_chr(b, '+');
		fgx_fixed2(b, pct);
		fgx_chr(b, '%');
	}
	fgx_str(b, ")</title>");
}

/* The frame's label: its name if it fits, else a prefix and "..", else
 * nothing (flamegraph.pl's rule; the script applies it again on zoom). */
static void put_label(struct tbuf *b, const struct layout *L, double w, const char *name,
		      uint32_t len, int root)
{
	if (root) {
		name = "all";
		len = 3;
	}
	double fit = floor(w / L->label_px);
	if (fit < 3)
		return;
	size_t chars = fgx_chars(name, len);
	if ((double)chars <= fit) {
		fgx_xml(b, name, len);
		return;
	}
	fgx_xml_prefix(b, name, len, (size_t)fit - 2);
	fgx_str(b, "..");
}

struct painter {
	struct flame_rng rng;
	struct fg_strtab *palette; /* consistent palette, or NULL */
	int rc;
};

static struct flame_rgb frame_color(struct flame *f, const struct layout *L, struct painter *p,
				    uint32_t n, const char *name, uint32_t len)
{
	const struct flame_tree *t = &f->tree;
	if (L->diff) {
		double delta = (double)t->nodes[n].count - (double)t->before[n] * L->before_scale;
		return flame_diff_color(delta, L->maxdelta, f->cfg.negate);
	}
	if (p->palette) {
		uint64_t *v = fg_strtab_find(p->palette, name, len);
		if (v)
			return (struct flame_rgb){ (uint8_t)(*v >> 16), (uint8_t)(*v >> 8), (uint8_t)*v };
	}
	struct flame_rgb c = flame_color(f->cfg.palette, name, len, f->cfg.hash ? NULL : &p->rng);
	if (p->palette && !memchr(name, '\n', len)) {
		int added;
		uint64_t *v = fg_strtab_upsert(p->palette, name, len, &added);
		if (v)
			*v = (uint64_t)c.r << 16 | (uint64_t)c.g << 8 | c.b;
		else
			p->rc = -ENOMEM;
	}
	return c;
}

static void put_frame(struct tbuf *b, struct flame *f, const struct layout *L, struct painter *p,
		      const struct walk_item *it)
{
	const struct flame_tree *t = &f->tree;
	uint32_t len;
	const char *name = flame_name(t, it->node, &len);
	uint64_t count = t->nodes[it->node].count;
	double x = XPAD + (double)it->x * L->per_count;
	double w = (double)count * L->per_count;
	double y;
	if (f->cfg.inverted)
		y = L->ypad1 + L->ypad3 + it->depth * L->fh;
	else
		y = L->height - L->ypad2 - (it->depth + 1) * L->fh + FRAMEPAD;
	double h = L->fh - FRAMEPAD;

	fgx_str(b, "<g>");
	put_title(b, f, L, it->node, name, len);
	fgx_str(b, "<rect");
	put_attr_num(b, "x", x);
	put_attr_num(b, "y", y);
	put_attr_num(b, "width", w);
	put_attr_num(b, "height", h);
	fgx_str(b, " fill=\"");
	put_rgb(b, it->node == FLAME_ROOT && !L->diff
			   ? flame_color(f->cfg.palette, "all", 3, f->cfg.hash ? NULL : &p->rng)
			   : frame_color(f, L, p, it->node, name, len));
	fgx_str(b, "\" rx=\"2\" ry=\"2\" fg:x=\"");
	fgx_dec(b, it->x, f->decimals, 0);
	fgx_str(b, "\" fg:w=\"");
	fgx_dec(b, count, f->decimals, 0);
	fgx_str(b, "\"/><text");
	put_attr_num(b, "x", x + 3);
	put_attr_num(b, "y", y + h / 2 + 3);
	fgx_chr(b, '>');
	put_label(b, L, w, name, len, it->node == FLAME_ROOT);
	fgx_str(b, "</text></g>\n");
}

/* Second walk: every drawn frame, parents before children, left to right. */
static int put_frames(struct tbuf *b, FILE *out, struct flame *f, const struct layout *L,
		      struct painter *p, struct walk_stack *ws)
{
	const struct flame_tree *t = &f->tree;
	int rc;
	ws->n = 0;
	rc = wpush(ws, FLAME_ROOT, 0, 0);
	fgx_str(b, "<g id=\"frames\">\n");
	while (!rc && ws->n) {
		struct walk_item it = ws->v[--ws->n];
		put_frame(b, f, L, p, &it);
		size_t first = ws->n;
		uint64_t x = it.x;
		for (uint32_t c = t->nodes[it.node].child; c != FLAME_NONE; c = t->nodes[c].sibling) {
			/* Pruned siblings keep their place: x advances over them. */
			if (drawn(L, &t->nodes[c]) && (rc = wpush(ws, c, it.depth + 1, x)))
				break;
			x += t->nodes[c].count;
		}
		/* Leftmost child on top of the stack: drawn first. */
		for (size_t i = first, k = ws->n; i + 1 < k; i++, k--) {
			struct walk_item tmp = ws->v[i];
			ws->v[i] = ws->v[k - 1];
			ws->v[k - 1] = tmp;
		}
		if (!rc)
			rc = fgx_drain(b, out, DRAIN_AT);
		if (!rc)
			rc = p->rc;
	}
	fgx_str(b, "</g>\n</svg>\n");
	return rc;
}

/* ---- the consistent palette file ------------------------------------------------- */

/* "NAME->rgb(R,G,B)" lines, flamegraph.pl's palette.map. Lines that do not
 * parse are skipped: the file is a cache of choices, not input. */
static int parse_palette_line(const char *s, size_t n, size_t *name_len, uint64_t *rgb)
{
	const char *arrow = NULL;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '-' && s[i + 1] == '>')
			arrow = s + i;
	if (!arrow)
		return -1;
	const char *p = arrow + 2, *end = s + n;
	if (end - p < 4 || memcmp(p, "rgb(", 4))
		return -1;
	p += 4;
	uint64_t v = 0;
	for (int k = 0; k < 3; k++) {
		unsigned c = 0;
		int digits = 0;
		while (p < end && *p >= '0' && *p <= '9' && digits < 4) {
			c = c * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (!digits || c > 255 || p >= end || *p != (k < 2 ? ',' : ')'))
			return -1;
		p++;
		v = v << 8 | c;
	}
	*name_len = (size_t)(arrow - s);
	*rgb = v;
	return 0;
}

static int palette_load(struct fg_strtab *m, const char *path, struct trec_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* first run: the file is written at the end */
		return trec_errf(err, -errno, "palette file %s: %s", path, strerror(errno));
	}
	struct fg_lines r;
	int rc = fg_lines_init(&r, fd, 1u << 20);
	const char *line;
	size_t len;
	while (!rc && (rc = fg_lines_next(&r, &line, &len)) == 1) {
		size_t name_len;
		uint64_t rgb;
		int added;
		rc = 0;
		if (parse_palette_line(line, len, &name_len, &rgb))
			continue;
		uint64_t *v = fg_strtab_upsert(m, line, name_len, &added);
		if (!v)
			rc = -ENOMEM;
		else
			*v = rgb;
	}
	fg_lines_free(&r);
	close(fd);
	if (rc < 0)
		return trec_errf(err, rc, "palette file %s: %s", path,
				 rc == -E2BIG ? "a line longer than 1 MiB" : strerror(-rc));
	return 0;
}

static int palette_save(struct fg_strtab *m, const char *path, struct trec_err *err)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return trec_errf(err, -ENAMETOOLONG, "palette file %s: name too long", path);
	fg_strtab_sort(m);
	FILE *fp = fopen(tmp, "w");
	if (!fp)
		return trec_errf(err, -errno, "palette file %s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < m->n; i++) {
		uint64_t v = m->ents[i].value;
		fwrite(m->ents[i].key, 1, m->ents[i].len, fp);
		fprintf(fp, "->rgb(%u,%u,%u)\n", (unsigned)(v >> 16 & 255), (unsigned)(v >> 8 & 255),
			(unsigned)(v & 255));
	}
	int bad = ferror(fp);
	if (fclose(fp) || bad) {
		unlink(tmp);
		return trec_errf(err, -EIO, "palette file %s: write failed", tmp);
	}
	/* Renamed into place: a reader never sees half a file. */
	if (rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return trec_errf(err, -e, "palette file %s: %s", path, strerror(e));
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------------------- */

static void layout_init(struct layout *L, const struct flame *f)
{
	const struct flame_cfg *c = &f->cfg;
	const struct flame_tree *t = &f->tree;
	memset(L, 0, sizeof(*L));
	L->width = c->width;
	L->fh = c->frame_height;
	L->fontsize = c->fontsize;
	L->ypad1 = c->fontsize * 3;
	L->ypad2 = c->fontsize * 2 + 10;
	L->ypad3 = c->subtitle ? c->fontsize * 2 : 0;
	L->total = t->total;
	L->per_count = (L->width - 2 * XPAD) / (double)t->total;
	L->min_count = c->min_width_pct ? c->min_width * (double)t->total / 100.0
					: c->min_width / L->per_count;
	L->label_px = c->fontsize * c->fontwidth;
	L->diff = t->before != NULL;
	L->before_scale = 1;
	if (L->diff && c->normalize && t->total_before)
		L->before_scale = (double)t->total / (double)t->total_before;
}

static int write_empty(struct tbuf *b, const struct flame *f)
{
	const struct flame_cfg *c = &f->cfg;
	double h = c->fontsize * 5;
	fgx_str(b, "<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\"");
	put_attr_num(b, "width", c->width);
	put_attr_num(b, "height", h);
	fgx_str(b, " viewBox=\"0 0 ");
	fgx_num(b, c->width);
	fgx_chr(b, ' ');
	fgx_num(b, h);
	fgx_str(b, "\" xmlns=\"http://www.w3.org/2000/svg\">\n<text");
	put_attr_num(b, "x", c->width / 2.0);
	put_attr_num(b, "y", c->fontsize * 2);
	fgx_str(b, " text-anchor=\"middle\" font-size=\"");
	fgx_num(b, c->fontsize + 5);
	fgx_str(b, "\">");
	fgx_xml(b, c->title, strlen(c->title));
	fgx_str(b, ": no stack counts found</text>\n</svg>\n");
	return 0;
}

int flame_write_svg(struct flame *f, FILE *out, struct trec_err *err)
{
	if (f->cb_err.code) {
		if (err)
			*err = f->cb_err;
		return f->cb_err.code;
	}
	if (f->written)
		return trec_errf(err, -EINVAL, "flame graph: already written");
	f->written = 1;

	struct tbuf b;
	tbuf_init(&b);
	int rc = 0;
	struct flame_tree *t = &f->tree;
	if (!t->total) {
		write_empty(&b, f);
		rc = fgx_drain(&b, out, 0);
		if (!rc && fflush(out))
			rc = -errno;
		tbuf_free(&b);
		if (rc)
			return trec_errf(err, rc, "writing the SVG: %s", strerror(-rc));
		return trec_errf(err, -ENODATA, "no stack counts found");
	}

	struct layout L;
	layout_init(&L, f);
	if (L.diff)
		L.maxdelta = max_stack_delta(t, L.before_scale);
	flame_tree_totals(t);

	struct walk_stack ws = { 0 };
	struct painter p = { .rc = 0 };
	struct fg_strtab palette;
	flame_rng_init(&p.rng);
	if (f->cfg.palette_file && !L.diff) {
		if (fg_strtab_init(&palette)) {
			rc = trec_errf(err, -ENOMEM, "flame graph: out of memory");
			goto out;
		}
		p.palette = &palette;
		rc = palette_load(&palette, f->cfg.palette_file, err);
		if (rc)
			goto out;
	}

	rc = measure(f, &L, &ws);
	if (rc) {
		rc = trec_errf(err, rc, "flame graph: out of memory");
		goto out;
	}
	L.height = (f->depth + 1) * L.fh + L.ypad1 + L.ypad2 + L.ypad3;
	put_header(&b, f, &L);
	rc = put_frames(&b, out, f, &L, &p, &ws);
	if (!rc)
		rc = fgx_drain(&b, out, 0);
	if (!rc && fflush(out))
		rc = errno ? -errno : -EIO;
	if (rc == -ENOMEM) {
		rc = trec_errf(err, rc, "flame graph: out of memory");
		goto out;
	}
	if (rc) {
		rc = trec_errf(err, rc, "writing the SVG: %s", strerror(-rc));
		goto out;
	}
	if (p.palette)
		rc = palette_save(&palette, f->cfg.palette_file, err);
out:
	if (p.palette)
		fg_strtab_free(&palette);
	free(ws.v);
	tbuf_free(&b);
	return rc;
}
