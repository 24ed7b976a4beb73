/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
	tarena_init(&t->strings);
}

void table_free(struct table *t)
{
	free(t->cells);
	tarena_free(&t->strings);
	memset(t, 0, sizeof(*t));
}

static const char *copy_str(struct table *t, const char *s)
{
	size_t n = strlen(s);
	char *c = tarena_alloc(&t->strings, n + 1);
	if (!c) {
		t->oom = 1;
		return "";
	}
	memcpy(c, s, n + 1);
	return c;
}

int table_col(struct table *t, const char *name, enum table_kind kind, int decimals)
{
	if (t->ncols >= TABLE_MAX_COLS || t->nrows)
		return -1;
	t->col[t->ncols] = (struct table_col){ .name = copy_str(t, name), .kind = kind, .decimals = decimals };
	return (int)t->ncols++;
}

void table_hide(struct table *t, int col)
{
	if (col >= 0 && (size_t)col < t->ncols)
		t->col[col].hidden = 1;
}

void table_text_flags(struct table *t, int col, int flags)
{
	if (col >= 0 && (size_t)col < t->ncols)
		t->col[col].text_flags = flags;
}

size_t table_row(struct table *t)
{
	if (t->nrows == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 64;
		union table_cell *n = realloc(t->cells, c * t->ncols * sizeof(*n));
		if (!n) {
			t->oom = 1;
			return t->nrows ? t->nrows - 1 : 0; /* overwrite the last: oom is reported */
		}
		t->cells = n;
		t->cap = c;
	}
	union table_cell *r = &t->cells[t->nrows * t->ncols];
	for (size_t i = 0; i < t->ncols; i++) {
		if (t->col[i].kind == TABLE_STR)
			r[i].s = "";
		else
			r[i].u = 0;
		if (t->col[i].kind == TABLE_F64)
			r[i].f = 0;
	}
	return t->nrows++;
}

static union table_cell *cell(struct table *t, size_t row, size_t col)
{
	return row < t->nrows && col < t->ncols ? &t->cells[row * t->ncols + col] : NULL;
}

void table_set_str(struct table *t, size_t row, size_t col, const char *s)
{
	union table_cell *c = cell(t, row, col);
	if (c)
		c->s = copy_str(t, s ? s : "");
}

void table_set_u64(struct table *t, size_t row, size_t col, uint64_t v)
{
	union table_cell *c = cell(t, row, col);
	if (c)
		c->u = v;
}

void table_set_f64(struct table *t, size_t row, size_t col, double v)
{
	union table_cell *c = cell(t, row, col);
	if (c)
		c->f = v;
}

struct sort_ctx {
	const struct table *t;
	const int *cols, *asc;
	size_t n;
};

static int cmp_cell_by(const struct table *t, size_t col, const union table_cell *x, const union table_cell *y)
{
	switch (t->col[col].kind) {
	case TABLE_STR:
		return strcmp(x->s, y->s);
	case TABLE_U64:
		return -((x->u > y->u) - (x->u < y->u)); /* numbers: biggest first */
	default:
		return -((x->f > y->f) - (x->f < y->f));
	}
}

static int cmp_rows(const void *a, const void *b, void *p)
{
	const struct sort_ctx *sc = p;
	for (size_t i = 0; i < sc->n; i++) {
		size_t col = (size_t)sc->cols[i];
		int c = cmp_cell_by(sc->t, col, (const union table_cell *)a + col, (const union table_cell *)b + col);
		if (c)
			return sc->asc[i] && sc->t->col[col].kind != TABLE_STR ? -c : c;
	}
	return 0;
}

void table_sort(struct table *t, const int *cols, const int *asc, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cols[i] < 0 || (size_t)cols[i] >= t->ncols)
			return;
	if (t->nrows < 2 || !n)
		return;
	/* Rows are ncols cells wide: sorted as records of that size. */
	struct sort_ctx sc = { .t = t, .cols = cols, .asc = asc, .n = n };
	qsort_r(t->cells, t->nrows, t->ncols * sizeof(*t->cells), cmp_rows, &sc);
}

static void fmt_cell(const struct table *t, const union table_cell *c, size_t col, char *buf, size_t len)
{
	switch (t->col[col].kind) {
	case TABLE_STR:
		snprintf(buf, len, "%s", c->s);
		break;
	case TABLE_U64:
		snprintf(buf, len, "%llu", (unsigned long long)c->u);
		break;
	default:
		snprintf(buf, len, "%.*f", t->col[col].decimals, c->f);
	}
}

void table_print_text(const struct table *t, struct outbuf *o, unsigned width)
{
	size_t w[TABLE_MAX_COLS];
	int show[TABLE_MAX_COLS];
	char buf[512];
	size_t total = 0, dropped = 0;
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = 0;
		show[c] = !t->col[c].hidden;
		if (!show[c])
			continue;
		w[c] = strlen(t->col[c].name);
		int nonzero = 0;
		for (size_t r = 0; r < t->nrows; r++) {
			const union table_cell *x = &t->cells[r * t->ncols + c];
			fmt_cell(t, x, c, buf, sizeof(buf));
			size_t l = strlen(buf);
			if (l > w[c])
				w[c] = l;
			nonzero |= t->col[c].kind == TABLE_STR ? x->s && x->s[0] : x->u != 0;
		}
		if ((t->col[c].text_flags & TABLE_TEXT_NONZERO) && !nonzero && t->nrows) {
			show[c] = 0;
			continue;
		}
		total += w[c] + 2;
	}
	/* Too wide: drop optional columns from the right, then cut the last
	 * text column (names are the stretchy part). */
	for (size_t c = t->ncols; width && total > width + 2 && c-- > 0;)
		if (show[c] && (t->col[c].text_flags & TABLE_TEXT_OPTIONAL)) {
			show[c] = 0;
			total -= w[c] + 2;
			dropped++;
		}
	/* Still too wide: narrow the widest text column, one byte at a time,
	 * down to 10 (names get cut, numbers never). */
	while (width && total > width + 2) {
		size_t best = TABLE_MAX_COLS;
		for (size_t c = 0; c < t->ncols; c++)
			if (show[c] && t->col[c].kind == TABLE_STR && w[c] > 10 &&
			    (best == TABLE_MAX_COLS || w[c] > w[best]))
				best = c;
		if (best == TABLE_MAX_COLS)
			break;
		w[best]--;
		total--;
	}
	size_t lastvis = 0;
	for (size_t c = 0; c < t->ncols; c++)
		if (show[c])
			lastvis = c;
	for (size_t r = 0; r <= t->nrows; r++) {
		int first = 1;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s;
			if (!show[c])
				continue;
			if (r == 0) {
				s = t->col[c].name;
			} else {
				fmt_cell(t, &t->cells[(r - 1) * t->ncols + c], c, buf, sizeof(buf));
				s = buf;
			}
			size_t l = strlen(s);
			if (l > w[c])
				l = w[c];
			if (!first)
				outbuf_puts(o, "  ");
			first = 0;
			int right = t->col[c].kind != TABLE_STR;
			int lastcol = c == lastvis;
			if (right)
				for (size_t p = l; p < w[c]; p++)
					outbuf_putc(o, ' ');
			for (size_t i = 0; i < l; i++) {
				unsigned char ch = (unsigned char)s[i];
				outbuf_putc(o, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
			}
			if (!right && !lastcol)
				for (size_t p = l; p < w[c]; p++)
					outbuf_putc(o, ' ');
		}
		outbuf_putc(o, '\n');
	}
	if (dropped)
		outbuf_printf(o, "(%zu more column%s in --json and --csv)\n", dropped, dropped == 1 ? "" : "s");
}

void table_print_json(const struct table *t, struct json *j)
{
	table_print_json_with(t, j, NULL, NULL);
}

void table_print_json_with(const struct table *t, struct json *j,
			   void (*extra)(struct json *j, size_t row, void *ctx), void *ctx)
{
	json_arr_begin(j);
	for (size_t r = 0; r < t->nrows; r++) {
		json_obj_begin(j);
		for (size_t c = 0; c < t->ncols; c++) {
			const union table_cell *x = &t->cells[r * t->ncols + c];
			if (t->col[c].hidden)
				continue;
			json_key(j, t->col[c].name);
			if (t->col[c].kind == TABLE_STR)
				json_str(j, x->s);
			else if (t->col[c].kind == TABLE_U64)
				json_u64(j, x->u);
			else
				json_double(j, x->f);
		}
		if (extra)
			extra(j, r, ctx);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void csv_field(struct outbuf *o, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		outbuf_puts(o, s);
		return;
	}
	outbuf_putc(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			outbuf_putc(o, '"');
		outbuf_putc(o, *s);
	}
	outbuf_putc(o, '"');
}

void table_print_csv(const struct table *t, struct outbuf *o)
{
	char buf[512];
	int first = 1;
	for (size_t c = 0; c < t->ncols; c++) {
		if (t->col[c].hidden)
			continue;
		if (!first)
			outbuf_putc(o, ',');
		first = 0;
		csv_field(o, t->col[c].name);
	}
	outbuf_putc(o, '\n');
	for (size_t r = 0; r < t->nrows; r++) {
		first = 1;
		for (size_t c = 0; c < t->ncols; c++) {
			if (t->col[c].hidden)
				continue;
			if (!first)
				outbuf_putc(o, ',');
			first = 0;
			fmt_cell(t, &t->cells[r * t->ncols + c], c, buf, sizeof(buf));
			csv_field(o, buf);
		}
		outbuf_putc(o, '\n');
	}
}
