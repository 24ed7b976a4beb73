/* SPDX-License-Identifier: MIT */
/*
 * Reading a result table (lib/table.h) by column name in the cmocka unit
 * tests of the report's engines: a column that is not there fails the
 * test, naming it. Header-only: tests/lib is also linked into the tools,
 * which have no cmocka. Include after <cmocka.h>.
 */
#ifndef TREC_TABCHECK_H
#define TREC_TABCHECK_H

#include <stdint.h>
#include <string.h>

#include "table.h"

static inline int tab_col(const struct table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (!strcmp(t->col[c].name, name))
			return (int)c;
	fail_msg("no column %s", name);
	return -1;
}

static inline uint64_t tab_u64(const struct table *t, size_t r, const char *name)
{
	return t->cells[r * t->ncols + (size_t)tab_col(t, name)].u;
}

static inline const char *tab_str(const struct table *t, size_t r, const char *name)
{
	return t->cells[r * t->ncols + (size_t)tab_col(t, name)].s;
}

#endif
