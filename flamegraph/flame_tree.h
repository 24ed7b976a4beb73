/* SPDX-License-Identifier: MIT */
/*
 * The tree of frames behind a flame graph, built one folded stack at a
 * time (flamegraph.h is the public face; flame_svg.c draws the tree).
 *
 * A node is one frame in one calling context: (parent node, frame name).
 * Names are interned once; children are found through one hash table
 * keyed by (parent, name id). Nodes live in one array and a child is
 * always created after its parent, so a child's index is larger than its
 * parent's: totals are one backward sweep, and no walk needs recursion.
 *
 * Folded input is usually sorted, so consecutive stacks share a prefix:
 * the frames a stack shares byte-for-byte with the previous one reuse the
 * previous path without hashing a name. Flame charts (time order) are the
 * same walk with no lookups at all: a frame merges only with the previous
 * stack's frame at that depth.
 */
#ifndef TREC_FLAME_TREE_H
#define TREC_FLAME_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"

#define FLAME_ROOT 0u
#define FLAME_NONE 0u /* "no node" in child/sibling links: the root is nobody's child */
#define FLAME_MAX_NODES (UINT32_MAX - 1u)

struct flame_node {
	uint32_t parent;
	uint32_t name;    /* id in flame_names */
	uint32_t child;   /* first child, FLAME_NONE if none */
	uint32_t sibling; /* next sibling, FLAME_NONE if last */
	uint64_t count;   /* the stack's own count (self) while building; the
			   * node's total once flame_tree_totals ran */
};

/* Interned frame names: id -> bytes (NUL-terminated copy in an arena). */
struct flame_names {
	struct tarena arena;
	const char **str;
	uint32_t *len;
	uint64_t *hash;
	uint32_t n, cap;
	uint32_t *slots; /* id + 1, 0 = empty; size a power of two */
	size_t mask;
};

struct flame_tree {
	struct flame_node *nodes;
	size_t n, cap;
	uint64_t *before;    /* differential before counts, parallel to nodes; NULL until
			      * the first differential stack */
	uint32_t *children;  /* child table: node ids, 0 = empty; NULL for flame charts */
	size_t child_mask;
	struct flame_names names;
	int flamechart;
	int reverse;
	uint64_t stacks, total, total_before;
	int totals_done;
	/* The previous stack, for the shared-prefix fast path: its text, the
	 * end offset of each frame and the node of each frame. */
	struct tbuf prev;
	uint32_t *ends;
	uint32_t *path;
	size_t depth, depth_cap;
	struct tbuf scratch; /* reversed stacks */
};

int flame_tree_init(struct flame_tree *t, int flamechart, int reverse, struct trec_err *err);
void flame_tree_free(struct flame_tree *t);

/* Adds one stack; `diff` says whether before is a real differential count
 * (else before = after). */
int flame_tree_add(struct flame_tree *t, const char *stack, size_t len, uint64_t before,
		   uint64_t after, int diff, struct trec_err *err);

/* Turns self counts into totals (node + descendants), once. */
void flame_tree_totals(struct flame_tree *t);

static inline const char *flame_name(const struct flame_tree *t, uint32_t node, uint32_t *len)
{
	uint32_t id = t->nodes[node].name;
	*len = t->names.len[id];
	return t->names.str[id];
}

#endif
