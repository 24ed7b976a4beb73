/* SPDX-License-Identifier: MIT */
#include "trec_format.h"

/* Names as the commands print them; indexed by the on-disk kind number. */
static const char *const kind_names[TREC_BLK_KIND_MAX + 1] = {
	[TREC_BLK_META] = "meta",     [TREC_BLK_SCHEMA] = "schema", [TREC_BLK_EVENTS] = "events",
	[TREC_BLK_STACKS] = "stacks", [TREC_BLK_TASKS] = "tasks",   [TREC_BLK_MAPS] = "maps",
	[TREC_BLK_SYMS] = "syms",     [TREC_BLK_KSYMS] = "ksyms",   [TREC_BLK_LOSS] = "loss",
	[TREC_BLK_INDEX] = "index",   [TREC_BLK_SYMEXT] = "symext", [TREC_BLK_TASKCTX] = "taskctx",
};

const char *trec_block_kind_name(unsigned kind)
{
	if (kind > TREC_BLK_KIND_MAX || !kind_names[kind])
		return "unknown";
	return kind_names[kind];
}
