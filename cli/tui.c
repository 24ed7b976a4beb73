/* SPDX-License-Identifier: MIT */
/*
 * The interactive report (tui.h): report/browse.h's lines drawn with
 * ncurses, and the keys that open, filter and switch them. Everything the
 * keys change is computed by the model from memory; only a new time
 * window reads the trace again. Keys and layout: docs/REPORT.md.
 */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"

int tui_on_terminal(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

#ifndef TREC_HAVE_CURSES

int tui_available(void)
{
	return 0;
}

int tui_run(struct source *src, const struct tui_opts *o)
{
	(void)src;
	cli_err(o->cmd, "this build has no interactive report (built without ncurses)");
	return CLI_EXIT_ERROR;
}

#else

#include <curses.h>

#include "browse.h"
#include "parse.h"

int tui_available(void)
{
	return 1;
}

#define MAX_WARNINGS 16
#define MAX_PIDS 4096
#define EXPAND_ALL_LIMIT 2000
#define HEAD_ROWS 4 /* title, view, filters, column names */

enum { PAIR_HIGH = 1, PAIR_MID, PAIR_ERROR };

struct tui {
	const struct tui_opts *o;
	struct source *src;
	struct rfile *file;
	struct browse *b;
	SCREEN *scr;
	int h, w;
	uint32_t cur, top;
	char msg[512];
	int msg_error;
	const char *prompt_label; /* while a prompt is open */
	const char *prompt_text;
	char *warn[MAX_WARNINGS];
	size_t nwarn, more_warn;
	struct trec_err err;
	int colors;
	/* the progress of a pass */
	uint64_t total_events, last_ms;
};

static void collect_warning(void *ctx, const char *msg)
{
	struct tui *t = ctx;
	if (t->nwarn < MAX_WARNINGS && (t->warn[t->nwarn] = strdup(msg)))
		t->nwarn++;
	else
		t->more_warn++;
}

__attribute__((format(printf, 3, 4))) static void say(struct tui *t, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_error = error;
}

/* ---- numbers ------------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A duration for people: "1.25s", "340.2ms", "12.0us", "800ns". */
static const char *fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000ull)
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	else if (ns >= 1000000ull)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else if (ns >= 1000ull)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	return buf;
}

/* Seconds exactly, without trailing zeros: "1.5", "3", "0.000001". */
static const char *fmt_secs(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
		 (unsigned long long)(ns % 1000000000ull));
	char *e = buf + strlen(buf);
	while (e > buf && e[-1] == '0')
		*--e = 0;
	if (e > buf && e[-1] == '.')
		e[-1] = 0;
	return buf;
}

/* A view's weight as its unit counts it. */
static const char *fmt_weight(char *buf, size_t len, enum browse_unit u, uint64_t w)
{
	if (u == BROWSE_NS)
		return fmt_ns(buf, len, w);
	snprintf(buf, len, "%llu", (unsigned long long)w);
	return buf;
}

/* ---- drawing ------------------------------------------------------------------------------ */

/* Text at (y, *x) clipped to the screen (never splitting a UTF-8
 * character); control characters (a path can hold them) shown as '?'. */
static void put(struct tui *t, int y, int *x, attr_t a, const char *s)
{
	if (*x >= t->w)
		return;
	char clean[1024];
	size_t n = strlen(s), room = (size_t)(t->w - *x);
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n >= sizeof(clean))
		n = sizeof(clean) - 1;
	for (size_t i = 0; i < n; i++)
		clean[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	attron(a);
	mvaddnstr(y, *x, clean, (int)n);
	attroff(a);
	*x += (int)n;
}

/* printf at buf + *k, never past cap (*k stays <= cap - 1). */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t cap, size_t *k, const char *fmt, ...)
{
	if (*k + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *k, cap - *k, fmt, ap);
	va_end(ap);
	if (n > 0)
		*k = *k + (size_t)n < cap ? *k + (size_t)n : cap - 1;
}

static attr_t pct_attr(const struct tui *t, double p)
{
	if (!t->colors)
		return p >= 5.0 ? A_BOLD : A_NORMAL;
	return p >= 5.0 ? COLOR_PAIR(PAIR_HIGH) | A_BOLD : p >= 0.5 ? COLOR_PAIR(PAIR_MID) : A_NORMAL;
}

static const char *unit_label(enum browse_unit u)
{
	return u == BROWSE_NS ? "Time" : u == BROWSE_SAMPLES ? "Samples" : "Events";
}

static const char *view_kind(enum browse_unit u)
{
	return u == BROWSE_NS ? "off-CPU time" : u == BROWSE_SAMPLES ? "CPU samples" : "events";
}

static void draw_head(struct tui *t)
{
	const struct browse_view *v = browse_view(t->b, browse_current_view(t->b));
	const struct browse_totals *tot = browse_totals(t->b);
	char buf[1024], a[64], b[64];
	int x = 0;
	/* title */
	attron(A_REVERSE);
	mvhline(0, 0, ' ', t->w);
	snprintf(buf, sizeof(buf), " trec report: %s (%s)", t->file->path, t->file->host);
	put(t, 0, &x, A_REVERSE, buf);
	const char *keys = "h help  q quit ";
	if (t->w - x > (int)strlen(keys) + 2) {
		x = t->w - (int)strlen(keys);
		put(t, 0, &x, A_REVERSE, keys);
	}
	attroff(A_REVERSE);
	/* the view */
	x = 0;
	snprintf(buf, sizeof(buf), "view %u/%u: %s (%s): %s %s", browse_current_view(t->b) + 1, browse_nviews(t->b),
		 v->name, view_kind(v->unit), fmt_weight(a, sizeof(a), v->unit, tot->weight),
		 v->unit == BROWSE_NS ? "off-CPU" : v->unit == BROWSE_SAMPLES ? "samples" : "events");
	put(t, 1, &x, A_BOLD, buf);
	if (tot->events != v->events) {
		snprintf(buf, sizeof(buf), " (of %s: %.1f%%)", fmt_weight(b, sizeof(b), v->unit, v->weight),
			 pct(tot->weight, v->weight));
		put(t, 1, &x, A_NORMAL, buf);
	}
	if (v->unit == BROWSE_NS) {
		snprintf(buf, sizeof(buf), "  %llu events", (unsigned long long)tot->events);
		put(t, 1, &x, A_NORMAL, buf);
	}
	if (v->no_stack) {
		snprintf(buf, sizeof(buf), "  (%llu without stacks, not shown)", (unsigned long long)v->no_stack);
		put(t, 1, &x, A_NORMAL, buf);
	}
	/* the filters */
	struct browse_filters f;
	browse_filters(t->b, &f);
	size_t k = 0;
	append(buf, sizeof(buf), &k, "filters:");
	if (f.comm)
		append(buf, sizeof(buf), &k, " comm %s", f.comm);
	for (size_t i = 0; i < f.npids; i++)
		append(buf, sizeof(buf), &k, "%s%u", i ? "," : " pid ", f.pids[i]);
	if (f.has_start || f.has_end)
		append(buf, sizeof(buf), &k, " time %s,%s s", f.has_start ? fmt_secs(a, sizeof(a), f.start_ns) : "",
		       f.has_end ? fmt_secs(b, sizeof(b), f.end_ns) : "");
	if (f.dso)
		append(buf, sizeof(buf), &k, " dso %s", f.dso);
	if (f.search)
		append(buf, sizeof(buf), &k, " search '%s'", f.search);
	if (!f.comm && !f.npids && !f.has_start && !f.has_end && !f.dso && !f.search)
		append(buf, sizeof(buf), &k, " none (t comm, p pid, T time, d DSO, / search)");
	append(buf, sizeof(buf), &k, "   sort: %s   functions: %u", f.sort == BROWSE_BY_SELF ? "self" : "total",
	       tot->functions);
	x = 0;
	put(t, 2, &x, A_NORMAL, buf);
}

/* Width of the Shared Object column: the visible functions' longest, 13..24. */
static int dso_width(struct tui *t, uint32_t first, uint32_t n)
{
	int w = (int)strlen("Shared Object");
	for (uint32_t i = first; i < first + n && i < browse_nlines(t->b); i++) {
		struct browse_line l;
		browse_line(t->b, i, &l);
		int d = l.kind == BROWSE_FUNC ? (int)strlen(l.dso ? l.dso : "[unknown]") : 0;
		if (d > w)
			w = d < 24 ? d : 24;
	}
	return w;
}

static void draw_line(struct tui *t, int y, uint32_t i, int dw, uint64_t whole, enum browse_unit u)
{
	struct browse_line l;
	browse_line(t->b, i, &l);
	int sel = i == t->cur;
	attr_t base = sel ? A_REVERSE : A_NORMAL;
	if (sel) {
		attron(A_REVERSE);
		mvhline(y, 0, ' ', t->w);
		attroff(A_REVERSE);
	}
	char buf[TREC_MAX_NAME + 128], num[64];
	char mark = l.open ? '-' : l.expandable ? '+' : ' ';
	int x = 0;
	double tp = pct(l.total, whole), sp = pct(l.self, whole);
	switch (l.kind) {
	case BROWSE_FUNC:
		snprintf(buf, sizeof(buf), "%c ", mark);
		put(t, y, &x, base, buf);
		snprintf(buf, sizeof(buf), "%6.2f%%", tp);
		put(t, y, &x, base | (sel ? 0 : pct_attr(t, tp)), buf);
		snprintf(buf, sizeof(buf), " %6.2f%%", sp);
		put(t, y, &x, base | (sel ? 0 : pct_attr(t, sp)), buf);
		snprintf(buf, sizeof(buf), " %9s  %-*.*s  [%c] ", fmt_weight(num, sizeof(num), u, u == BROWSE_NS ? l.total : l.total_events),
			 dw, dw, l.dso ? l.dso : "[unknown]", l.kernel ? 'k' : '.');
		put(t, y, &x, base, buf);
		put(t, y, &x, base | (l.open ? A_BOLD : 0), l.name);
		break;
	case BROWSE_CALLERS:
	case BROWSE_CALLEES: {
		int callers = l.kind == BROWSE_CALLERS;
		if (l.expandable)
			snprintf(buf, sizeof(buf), "    %c %s of %s", mark, callers ? "callers" : "callees", l.name);
		else
			snprintf(buf, sizeof(buf), "      %s of %s: none (%s)", callers ? "callers" : "callees", l.name,
				 callers ? "its stacks start there" : "it is where they end");
		put(t, y, &x, base | A_BOLD, buf);
		break;
	}
	case BROWSE_NODE: {
		int indent = 4 + 3 * ((int)l.depth - 1);
		snprintf(buf, sizeof(buf), "%*s%c ", indent, "", mark);
		put(t, y, &x, base, buf);
		snprintf(buf, sizeof(buf), "%6.2f%%", tp);
		put(t, y, &x, base | (sel ? 0 : pct_attr(t, tp)), buf);
		snprintf(buf, sizeof(buf), " %9s  ", fmt_weight(num, sizeof(num), u, u == BROWSE_NS ? l.total : l.total_events));
		put(t, y, &x, base, buf);
		put(t, y, &x, base, l.name);
		snprintf(buf, sizeof(buf), "  %s%s", l.kernel ? "[k] " : "", l.dso ? l.dso : "[unknown]");
		put(t, y, &x, base | (sel ? 0 : A_DIM), buf);
		break;
	}
	}
}

static int list_rows(const struct tui *t)
{
	int n = t->h - HEAD_ROWS - 1;
	return n > 0 ? n : 0;
}

static void scroll_to_cursor(struct tui *t)
{
	uint32_t n = browse_nlines(t->b), rows = (uint32_t)list_rows(t);
	if (!n) {
		t->cur = t->top = 0;
		return;
	}
	if (t->cur >= n)
		t->cur = n - 1;
	if (t->cur < t->top)
		t->top = t->cur;
	if (rows && t->cur >= t->top + rows)
		t->top = t->cur - rows + 1;
	if (rows && t->top + rows > n)
		t->top = n > rows ? n - rows : 0;
}

static void draw_status(struct tui *t)
{
	int y = t->h - 1, x = 0;
	move(y, 0);
	clrtoeol();
	if (t->prompt_label) {
		put(t, y, &x, A_BOLD, t->prompt_label);
		put(t, y, &x, A_NORMAL, t->prompt_text);
		move(y, x < t->w ? x : t->w - 1);
		return;
	}
	if (t->msg[0]) {
		put(t, y, &x, t->msg_error ? (t->colors ? COLOR_PAIR(PAIR_ERROR) | A_BOLD : A_BOLD) : A_BOLD, t->msg);
		return;
	}
	put(t, y, &x, A_NORMAL, "Enter open/close  / search  v view  s sort  t comm  p pid  T time  d dso  x clear  "
				"h help  q quit");
}

static void draw(struct tui *t)
{
	getmaxyx(stdscr, t->h, t->w);
	erase();
	if (t->h < HEAD_ROWS + 3 || t->w < 40) {
		int x = 0;
		put(t, 0, &x, A_BOLD, "terminal too small (40x7); q quits");
		refresh();
		return;
	}
	draw_head(t);
	scroll_to_cursor(t);
	const struct browse_view *v = browse_view(t->b, browse_current_view(t->b));
	uint32_t rows = (uint32_t)list_rows(t);
	int dw = dso_width(t, t->top, rows);
	char buf[256];
	snprintf(buf, sizeof(buf), "  %7s %7s %9s  %-*s  Symbol", "Total", "Self", unit_label(v->unit), dw, "Shared Object");
	int x = 0;
	attron(A_UNDERLINE);
	mvhline(3, 0, ' ', t->w);
	put(t, 3, &x, A_UNDERLINE, buf);
	attroff(A_UNDERLINE);
	uint64_t whole = browse_totals(t->b)->weight;
	uint32_t n = browse_nlines(t->b);
	for (uint32_t r = 0; r < rows && t->top + r < n; r++)
		draw_line(t, HEAD_ROWS + (int)r, t->top + r, dw, whole, v->unit);
	if (!n) {
		x = 2;
		put(t, HEAD_ROWS, &x, A_NORMAL, "(nothing to show: x clears the filters)");
	}
	draw_status(t);
	refresh();
}

static const char *const help_text[] = {
	"The interactive report: functions by total (inclusive) and self samples",
	"",
	"  Up/Down, k/j        move             PgUp/PgDn, Home/End   a page, first, last",
	"  Enter, +            open or close the line: a function shows its callers and",
	"                      callees; a frame opens into its own",
	"  Right / Left, -     open / close; on a closed line, Left goes to the line above it",
	"  e / c               open / close everything under the cursor",
	"  E / C               open / close every function of the list",
	"  s                   sort by total or by self",
	"  v, Tab / V          next / previous view: CPU samples, off-CPU time, other events",
	"",
	"  Filters on samples (percentages are of what they keep):",
	"  t                   commands: comma-separated names or globs ('java*')",
	"  p                   processes: comma-separated pids",
	"  T                   time window: START,END in seconds after the first event",
	"                      (1.5,3  or  ,2  or  4,); the trace is read again",
	"  Filters on the list (totals stay):",
	"  /                   search: functions whose name holds the text (any case)",
	"  d                   functions of one DSO (a name or a glob; the line's DSO to start)",
	"  x                   clear every filter (an empty answer clears one)",
	"",
	"  h, ?                this help          q, Ctrl-C   quit",
	"",
	"Press any key to go back.",
};

static void draw_help(struct tui *t)
{
	getmaxyx(stdscr, t->h, t->w);
	erase();
	for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]) && (int)i < t->h; i++) {
		int x = 0;
		put(t, (int)i, &x, i == 0 ? A_BOLD : A_NORMAL, help_text[i]);
	}
	refresh();
}

/* ---- input -------------------------------------------------------------------------------- */

/* A line of text at the bottom; buf holds the starting text. 1 accepted,
 * 0 cancelled (Escape, Ctrl-G, Ctrl-C). */
static int prompt(struct tui *t, const char *label, char *buf, size_t cap)
{
	size_t len = strlen(buf);
	t->prompt_label = label;
	t->prompt_text = buf;
	curs_set(1);
	int done = -1;
	while (done < 0) {
		draw(t);
		int ch = getch();
		switch (ch) {
		case '\n':
		case '\r':
		case KEY_ENTER:
			done = 1;
			break;
		case 27:
		case 7:
		case 3:
			done = 0;
			break;
		case ERR:
			done = 0;
			break;
		case KEY_BACKSPACE:
		case 127:
		case 8:
			while (len > 0 && ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
				len--;
			if (len > 0)
				len--;
			buf[len] = 0;
			break;
		case 21: /* Ctrl-U */
			len = 0;
			buf[0] = 0;
			break;
		default:
			if (ch >= 0x20 && ch <= 0xff && ch != 0x7f && len + 1 < cap) {
				buf[len++] = (char)ch;
				buf[len] = 0;
			}
			break;
		}
	}
	curs_set(0);
	t->prompt_label = NULL;
	t->prompt_text = NULL;
	return done;
}

/* "1,2,3" into pids. 0, or -1 after saying what is wrong. */
static int parse_pids(struct tui *t, const char *s, uint32_t *pids, size_t *n)
{
	*n = 0;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char item[32];
		uint64_t v;
		if (!len || len >= sizeof(item)) {
			say(t, 1, "pid: '%.*s' is not a process id", (int)(len < 64 ? len : 64), s);
			return -1;
		}
		memcpy(item, s, len);
		item[len] = 0;
		if (parse_u64(item, 0, UINT32_MAX, &v) < 0) {
			say(t, 1, "pid: '%s' is not a process id", item);
			return -1;
		}
		if (*n == MAX_PIDS) {
			say(t, 1, "pid: more than %d processes", MAX_PIDS);
			return -1;
		}
		pids[(*n)++] = (uint32_t)v;
		s += len + (comma ? 1 : 0);
		if (comma && !*s) {
			say(t, 1, "pid: the list ends with a comma");
			return -1;
		}
	}
	return 0;
}

/* The progress of a pass, drawn at most every 100 ms. */
static void draw_progress(void *ctx, const struct rfile *f, uint64_t events, int done)
{
	struct tui *t = ctx;
	(void)f;
	uint64_t ms = now_ms();
	if (done || ms - t->last_ms < 100)
		return;
	t->last_ms = ms;
	char buf[512];
	int x = 0;
	if (t->total_events)
		snprintf(buf, sizeof(buf), "reading %s: %llu events (%.0f%%)", t->file->path,
			 (unsigned long long)events, pct(events, t->total_events));
	else
		snprintf(buf, sizeof(buf), "reading %s: %llu events", t->file->path, (unsigned long long)events);
	getmaxyx(stdscr, t->h, t->w);
	move(t->h - 1, 0);
	clrtoeol();
	put(t, t->h - 1, &x, A_BOLD, buf);
	refresh();
}

/* The function under the cursor, or of the tree it is in. */
static int cursor_func(struct tui *t, uint32_t *func)
{
	if (t->cur >= browse_nlines(t->b))
		return 0;
	struct browse_line l;
	uint32_t i = t->cur, p;
	while ((p = browse_parent(t->b, i)) != i)
		i = p;
	browse_line(t->b, i, &l);
	*func = l.func;
	return 1;
}

/* After the list changed: the cursor on the same function, else the top. */
static void keep_cursor(struct tui *t, int had, uint32_t func)
{
	int64_t i = had ? browse_find_func(t->b, func) : -1;
	t->cur = i >= 0 ? (uint32_t)i : 0;
	if (i < 0)
		t->top = 0;
}

static void check(struct tui *t, int rc)
{
	if (rc < 0)
		say(t, 1, "%s", trec_errmsg(&t->err, rc));
}

static void ask_time(struct tui *t)
{
	struct browse_filters f;
	browse_filters(t->b, &f);
	char buf[128] = "", a[40], b[40], label[160];
	if (f.has_start || f.has_end)
		snprintf(buf, sizeof(buf), "%s,%s", f.has_start ? fmt_secs(a, sizeof(a), f.start_ns) : "",
			 f.has_end ? fmt_secs(b, sizeof(b), f.end_ns) : "");
	snprintf(label, sizeof(label), "time window START,END in s (the trace spans %ss; empty: all): ",
		 fmt_secs(a, sizeof(a), browse_span_ns(t->b)));
	if (!prompt(t, label, buf, sizeof(buf)))
		return;
	uint64_t s = 0, e = 0;
	int hs = 0, he = 0;
	if (buf[0]) {
		char *comma = strchr(buf, ',');
		if (!comma) {
			say(t, 1, "time: '%s' should be START,END (1.5,3  or  ,2  or  4,)", buf);
			return;
		}
		*comma = 0;
		hs = buf[0] != 0;
		he = comma[1] != 0;
		if ((hs && parse_seconds_ns(buf, UINT64_MAX / 2, &s) < 0) ||
		    (he && parse_seconds_ns(comma + 1, UINT64_MAX / 2, &e) < 0)) {
			say(t, 1, "time: '%s' is not a number of seconds", hs && parse_seconds_ns(buf, UINT64_MAX / 2, &s) < 0 ? buf : comma + 1);
			return;
		}
	}
	uint32_t func;
	int had = cursor_func(t, &func);
	struct pass_opts po = { .sz = sizeof(po), .progress = draw_progress, .progress_ctx = t };
	const struct trec_totals *tot;
	t->total_events = trec_reader_info(t->file->r)->has_index && !trec_reader_totals(t->file->r, &tot, NULL)
				  ? tot->events : 0;
	int read_error;
	int rc = browse_set_time(t->b, hs, s, he, e, &po, &read_error, &t->err);
	check(t, rc);
	if (!rc)
		keep_cursor(t, had, func);
}

static void ask(struct tui *t, int key)
{
	struct browse_filters f;
	browse_filters(t->b, &f);
	char buf[256] = "";
	uint32_t func;
	int had = cursor_func(t, &func), rc = 0;
	switch (key) {
	case '/':
		snprintf(buf, sizeof(buf), "%s", f.search ? f.search : "");
		if (!prompt(t, "search functions (empty: all): ", buf, sizeof(buf)))
			return;
		rc = browse_set_search(t->b, buf, &t->err);
		break;
	case 'd': {
		struct browse_line l;
		browse_line(t->b, t->cur, &l);
		snprintf(buf, sizeof(buf), "%s", f.dso ? f.dso : l.name && l.dso ? l.dso : "");
		if (!prompt(t, "only functions of the DSO (name or glob; empty: all): ", buf, sizeof(buf)))
			return;
		rc = browse_set_dso(t->b, buf, &t->err);
		break;
	}
	case 't':
		snprintf(buf, sizeof(buf), "%s", f.comm ? f.comm : "");
		if (!prompt(t, "only samples of commands (names or globs, comma-separated; empty: all): ", buf,
			    sizeof(buf)))
			return;
		rc = browse_set_comm(t->b, buf, &t->err);
		break;
	case 'p': {
		size_t k = 0;
		for (size_t i = 0; i < f.npids; i++)
			append(buf, sizeof(buf), &k, "%s%u", i ? "," : "", f.pids[i]);
		if (!prompt(t, "only samples of processes (pids, comma-separated; empty: all): ", buf, sizeof(buf)))
			return;
		uint32_t *pids = malloc(MAX_PIDS * sizeof(*pids));
		size_t n = 0;
		if (!pids) {
			say(t, 1, "out of memory");
			return;
		}
		if (parse_pids(t, buf, pids, &n) == 0)
			rc = browse_set_pids(t->b, pids, n, &t->err);
		free(pids);
		break;
	}
	}
	check(t, rc);
	if (!rc)
		keep_cursor(t, had, func);
}

static void clear_filters(struct tui *t)
{
	struct browse_filters f;
	browse_filters(t->b, &f);
	uint32_t func;
	int had = cursor_func(t, &func), rc = 0;
	if (f.has_start || f.has_end) {
		int read_error;
		struct pass_opts po = { .sz = sizeof(po), .progress = draw_progress, .progress_ctx = t };
		rc = browse_set_time(t->b, 0, 0, 0, 0, &po, &read_error, &t->err);
	}
	if (!rc && f.npids)
		rc = browse_set_pids(t->b, NULL, 0, &t->err);
	if (!rc && f.comm)
		rc = browse_set_comm(t->b, NULL, &t->err);
	if (!rc && f.dso)
		rc = browse_set_dso(t->b, NULL, &t->err);
	if (!rc && f.search)
		rc = browse_set_search(t->b, NULL, &t->err);
	check(t, rc);
	keep_cursor(t, had, func);
}

static void switch_view(struct tui *t, int step)
{
	uint32_t n = browse_nviews(t->b), v = browse_current_view(t->b);
	if (n < 2) {
		say(t, 0, "this trace has one view (%s)", browse_view(t->b, 0)->name);
		return;
	}
	uint32_t func;
	int had = cursor_func(t, &func);
	check(t, browse_set_view(t->b, (v + n + (uint32_t)step) % n, &t->err));
	keep_cursor(t, had, func);
}

/* Left / '-': close the line, or go to (and close) the one above it. */
static void close_or_up(struct tui *t, int close_parent)
{
	struct browse_line l;
	browse_line(t->b, t->cur, &l);
	if (l.open) {
		check(t, browse_collapse(t->b, t->cur, 0, &t->err));
		return;
	}
	uint32_t p = browse_parent(t->b, t->cur);
	if (p == t->cur)
		return;
	t->cur = p;
	if (close_parent)
		check(t, browse_collapse(t->b, p, 0, &t->err));
}

/* One key of the browser; 0 to quit. */
static int key(struct tui *t, int ch)
{
	uint32_t n = browse_nlines(t->b), page = (uint32_t)(list_rows(t) > 1 ? list_rows(t) - 1 : 1);
	switch (ch) {
	case 'q':
	case 'Q':
	case 3:
		return 0;
	case KEY_UP:
	case 'k':
		if (t->cur)
			t->cur--;
		break;
	case KEY_DOWN:
	case 'j':
		if (t->cur + 1 < n)
			t->cur++;
		break;
	case KEY_PPAGE:
	case 2:
		t->cur = t->cur > page ? t->cur - page : 0;
		break;
	case KEY_NPAGE:
	case 6:
	case ' ':
		t->cur = t->cur + page < n ? t->cur + page : (n ? n - 1 : 0);
		break;
	case KEY_HOME:
	case 'g':
		t->cur = 0;
		break;
	case KEY_END:
	case 'G':
		t->cur = n ? n - 1 : 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case '+':
		check(t, browse_toggle(t->b, t->cur, &t->err));
		break;
	case KEY_RIGHT:
		check(t, browse_expand(t->b, t->cur, 0, &t->err));
		break;
	case KEY_LEFT:
		close_or_up(t, 0);
		break;
	case '-':
		close_or_up(t, 1);
		break;
	case 'e':
		check(t, browse_expand(t->b, t->cur, 1, &t->err));
		break;
	case 'c':
		check(t, browse_collapse(t->b, t->cur, 1, &t->err));
		break;
	case 'E':
		check(t, browse_expand_all(t->b, EXPAND_ALL_LIMIT, &t->err));
		if (browse_totals(t->b)->functions > EXPAND_ALL_LIMIT)
			say(t, 0, "opened the first %d functions", EXPAND_ALL_LIMIT);
		break;
	case 'C': {
		uint32_t func;
		int had = cursor_func(t, &func);
		check(t, browse_collapse_all(t->b, &t->err));
		keep_cursor(t, had, func);
		break;
	}
	case 's': {
		struct browse_filters f;
		browse_filters(t->b, &f);
		uint32_t func;
		int had = cursor_func(t, &func);
		check(t, browse_set_sort(t->b, f.sort == BROWSE_BY_SELF ? BROWSE_BY_TOTAL : BROWSE_BY_SELF, &t->err));
		keep_cursor(t, had, func);
		break;
	}
	case 'v':
	case '\t':
		switch_view(t, 1);
		break;
	case 'V':
	case KEY_BTAB:
		switch_view(t, -1);
		break;
	case '/':
	case 'd':
	case 't':
	case 'p':
		ask(t, ch);
		break;
	case 'T':
		ask_time(t);
		break;
	case 'x':
		clear_filters(t);
		break;
	case 'h':
	case '?':
	case KEY_F(1): {
		int c;
		do {
			draw_help(t);
		} while ((c = getch()) == KEY_RESIZE);
		break;
	}
	case KEY_RESIZE:
	default:
		break;
	}
	return 1;
}

/* ---- the run ------------------------------------------------------------------------------ */

static int start_screen(struct tui *t)
{
	setlocale(LC_CTYPE, "");
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr)
		return -1;
	set_term(t->scr);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_HIGH, COLOR_RED, -1);
		init_pair(PAIR_MID, COLOR_GREEN, -1);
		init_pair(PAIR_ERROR, COLOR_RED, -1);
		t->colors = 1;
	}
	getmaxyx(stdscr, t->h, t->w);
	return 0;
}

static void end_screen(struct tui *t)
{
	if (!t->scr)
		return;
	endwin();
	delscreen(t->scr);
	t->scr = NULL;
}

static void print_warnings(struct tui *t)
{
	for (size_t i = 0; i < t->nwarn; i++) {
		cli_warn(t->o->cmd, "%s", t->warn[i]);
		free(t->warn[i]);
	}
	if (t->more_warn)
		cli_warn(t->o->cmd, "(%zu more warnings)", t->more_warn);
}

int tui_run(struct source *src, const struct tui_opts *o)
{
	struct tui t;
	memset(&t, 0, sizeof(t));
	t.o = o;
	t.src = src;
	t.file = &src->files[0];
	if (start_screen(&t) < 0) {
		if (!o->forced)
			return TUI_NOTHING;
		const char *term = getenv("TERM");
		cli_err(o->cmd, "--tui: cannot use the terminal (TERM=%s)", term ? term : "unset");
		return CLI_EXIT_ERROR;
	}
	const struct trec_totals *tot;
	if (trec_reader_info(t.file->r)->has_index && trec_reader_totals(t.file->r, &tot, NULL) == 0)
		t.total_events = tot->events;
	draw_progress(&t, t.file, 0, 0);
	struct browse_opts bo = {
		.sz = sizeof(bo), .offcpu = o->offcpu, .no_kernel = o->no_kernel, .no_user = o->no_user,
		.symfs = o->symfs, .debug_dir = o->debug_dir, .no_demangle = o->no_demangle,
		.warn = collect_warning, .warn_ctx = &t,
	};
	struct pass_opts po = { .sz = sizeof(po), .progress = draw_progress, .progress_ctx = &t };
	int read_error = 0;
	int rc = browse_open(&t.b, src, &bo, &po, &read_error, &t.err);
	if (rc < 0) {
		end_screen(&t);
		browse_free(t.b);
		if (rc == -ENODATA && !o->forced) {
			for (size_t i = 0; i < t.nwarn; i++)
				free(t.warn[i]);
			return TUI_NOTHING;
		}
		print_warnings(&t);
		if (rc == -EINVAL || rc == -ENODATA) {
			cli_err(o->cmd, "%s", t.err.msg);
			return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
		}
		return cli_source_error(o->cmd, read_error ? t.file->path : src->err_path,
					read_error ? SOURCE_AT_READ : src->err_at, rc, &t.err);
	}
	if (t.nwarn)
		say(&t, 0, "%s%s", t.warn[0], t.nwarn + t.more_warn > 1 ? " (more on exit)" : "");
	int errs = 0;
	for (;;) {
		draw(&t);
		int ch = getch();
		if (ch == ERR) {
			/* the terminal went away (or a signal): give up after a few */
			if (++errs > 3)
				break;
			continue;
		}
		errs = 0;
		t.msg[0] = 0;
		if (!key(&t, ch))
			break;
	}
	end_screen(&t);
	browse_free(t.b);
	print_warnings(&t);
	return CLI_EXIT_OK;
}

#endif /* TREC_HAVE_CURSES */
