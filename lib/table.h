/* SPDX-License-Identifier: MIT */
/*
 * A result table printed three ways: aligned text for terminals (columns
 * sized to their contents, text cut to keep rows within the width), one
 * JSON array of objects, or CSV with a header line (RFC 4180 quoting).
 * The views fill it row by row; cells are text, unsigned or real numbers.
 */
#ifndef TREC_REPORT_TABLE_H
#define TREC_REPORT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "outbuf.h"

enum table_kind { TABLE_STR, TABLE_U64, TABLE_F64 };
enum table_format { TABLE_TEXT, TABLE_JSON, TABLE_CSV };

#define TABLE_MAX_COLS 64

struct table_col {
	const char *name;  /* header text and JSON key / CSV column (copied) */
	enum table_kind kind;
	int decimals;      /* TABLE_F64 in text and CSV */
	int hidden;        /* kept for the caller, not printed */
	int text_flags;    /* TABLE_TEXT_*: how the text printer may drop it */
};

#define TABLE_TEXT_OPTIONAL 0x1 /* dropped (rightmost first) when rows would be too wide */
#define TABLE_TEXT_NONZERO 0x2  /* dropped when every cell is 0 (or "") */

union table_cell {
	const char *s; /* in the table's arena */
	uint64_t u;
	double f;
};

struct table {
	struct table_col col[TABLE_MAX_COLS];
	size_t ncols;
	union table_cell *cells; /* row-major */
	size_t nrows, cap;
	struct tarena strings;
	int oom;
};

void table_init(struct table *t);
void table_free(struct table *t);
/* Adds a column (before the first row). Its index, or -1 when full. */
int table_col(struct table *t, const char *name, enum table_kind kind, int decimals);
/* Hides a column from the printers (it still sorts). */
void table_hide(struct table *t, int col);
void table_text_flags(struct table *t, int col, int flags);
/* Starts a row; cells are then set by column index (unset: "" or 0). */
size_t table_row(struct table *t);
void table_set_str(struct table *t, size_t row, size_t col, const char *s);
void table_set_u64(struct table *t, size_t row, size_t col, uint64_t v);
void table_set_f64(struct table *t, size_t row, size_t col, double v);
/* Sorts rows by columns in turn (ties go to the next): text ascending,
 * numbers descending, or ascending where asc[i] is set. */
void table_sort(struct table *t, const int *cols, const int *asc, size_t n);
/* Text: at most `width` columns per line (0 = no limit): optional columns
 * go first (a note names them), then the last text column is cut. */
void table_print_text(const struct table *t, struct outbuf *o, unsigned width);
void table_print_json(const struct table *t, struct json *j);
/* The same, with `extra` adding members to each row's object. */
void table_print_json_with(const struct table *t, struct json *j,
			   void (*extra)(struct json *j, size_t row, void *ctx), void *ctx);
void table_print_csv(const struct table *t, struct outbuf *o);
/* CSV quoting of one field. */
void csv_field(struct outbuf *o, const char *s);

#endif
