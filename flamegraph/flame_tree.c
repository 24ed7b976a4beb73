/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fg_hash.h"
#include "flame_tree.h"

#define NAMES_INIT_SLOTS 1024u
#define NODES_INIT 1024u
#define DEPTH_INIT 64u

/* ---- interned names ------------------------------------------------------------ */

static int names_init(struct flame_names *nm)
{
	memset(nm, 0, sizeof(*nm));
	tarena_init(&nm->arena);
	nm->slots = calloc(NAMES_INIT_SLOTS, sizeof(*nm->slots));
	if (!nm->slots)
		return -ENOMEM;
	nm->mask = NAMES_INIT_SLOTS - 1;
	return 0;
}

static void names_free(struct flame_names *nm)
{
	tarena_free(&nm->arena);
	free(nm->str);
	free(nm->len);
	free(nm->hash);
	free(nm->slots);
	memset(nm, 0, sizeof(*nm));
}

static int names_rehash(struct flame_names *nm)
{
	size_t size = (nm->mask + 1) * 2;
	uint32_t *slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint32_t id = 0; id < nm->n; id++) {
		size_t i = nm->hash[id] & (size - 1);
		while (slots[i])
			i = (i + 1) & (size - 1);
		slots[i] = id + 1;
	}
	free(nm->slots);
	nm->slots = slots;
	nm->mask = size - 1;
	return 0;
}

static int names_grow_arrays(struct flame_names *nm)
{
	uint32_t cap = nm->cap ? nm->cap * 2 : 256;
	if (cap < nm->cap)
		return -E2BIG;
	const char **str = realloc(nm->str, cap * sizeof(*str));
	if (!str)
		return -ENOMEM;
	nm->str = str;
	uint32_t *len = realloc(nm->len, cap * sizeof(*len));
	if (!len)
		return -ENOMEM;
	nm->len = len;
	uint64_t *hash = realloc(nm->hash, cap * sizeof(*hash));
	if (!hash)
		return -ENOMEM;
	nm->hash = hash;
	nm->cap = cap;
	return 0;
}

/* The id of the name s[0..len), added if new. 0 or -ENOMEM/-E2BIG. */
static int names_intern(struct flame_names *nm, const char *s, size_t len, uint32_t *id)
{
	uint64_t h = fg_hash_bytes(s, len);
	size_t i = h & nm->mask;
	for (;;) {
		uint32_t v = nm->slots[i];
		if (!v)
			break;
		uint32_t cand = v - 1;
		if (nm->hash[cand] == h && nm->len[cand] == len && !memcmp(nm->str[cand], s, len)) {
			*id = cand;
			return 0;
		}
		i = (i + 1) & nm->mask;
	}
	if (nm->n == UINT32_MAX - 1 || len > UINT32_MAX)
		return -E2BIG;
	if (nm->n == nm->cap) {
		int rc = names_grow_arrays(nm);
		if (rc)
			return rc;
	}
	char *copy = tarena_strndup(&nm->arena, s, len);
	if (!copy)
		return -ENOMEM;
	uint32_t nid = nm->n++;
	nm->str[nid] = copy;
	nm->len[nid] = (uint32_t)len;
	nm->hash[nid] = h;
	nm->slots[i] = nid + 1;
	*id = nid;
	/* Kept at most half full: probes stay short. */
	if ((size_t)nm->n * 2 > nm->mask + 1)
		return names_rehash(nm);
	return 0;
}

/* ---- nodes and the child table ------------------------------------------------- */

static inline size_t child_hash(uint32_t parent, uint32_t name)
{
	return (size_t)fg_mix64((uint64_t)parent << 32 | name);
}

static void child_insert(uint32_t *slots, size_t mask, const struct flame_node *nodes,
			 uint32_t id)
{
	size_t i = child_hash(nodes[id].parent, nodes[id].name) & mask;
	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = id;
}

static int children_rehash(struct flame_tree *t)
{
	size_t size = (t->child_mask + 1) * 2;
	uint32_t *slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t id = 1; id < t->n; id++)
		child_insert(slots, size - 1, t->nodes, (uint32_t)id);
	free(t->children);
	t->children = slots;
	t->child_mask = size - 1;
	return 0;
}

static int nodes_grow(struct flame_tree *t)
{
	if (t->cap >= FLAME_MAX_NODES)
		return -E2BIG;
	size_t cap = t->cap * 2;
	if (cap > FLAME_MAX_NODES)
		cap = FLAME_MAX_NODES;
	struct flame_node *nodes = realloc(t->nodes, cap * sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	t->nodes = nodes;
	if (t->before) {
		uint64_t *before = realloc(t->before, cap * sizeof(*before));
		if (!before)
			return -ENOMEM;
		t->before = before;
	}
	t->cap = cap;
	return 0;
}

static int node_new(struct flame_tree *t, uint32_t parent, uint32_t name, uint32_t *out)
{
	if (t->n == t->cap) {
		int rc = nodes_grow(t);
		if (rc)
			return rc;
	}
	uint32_t id = (uint32_t)t->n++;
	struct flame_node *nd = &t->nodes[id];
	nd->parent = parent;
	nd->name = name;
	nd->child = FLAME_NONE;
	nd->sibling = t->nodes[parent].child;
	nd->count = 0;
	t->nodes[parent].child = id;
	if (t->before)
		t->before[id] = 0;
	if (t->children) {
		child_insert(t->children, t->child_mask, t->nodes, id);
		if (t->n * 2 > t->child_mask + 1) {
			int rc = children_rehash(t);
			if (rc)
				return rc;
		}
	}
	*out = id;
	return 0;
}

/* The child of `parent` named s[0..len), created if missing. */
static int child_of(struct flame_tree *t, uint32_t parent, const char *s, size_t len, uint32_t *out)
{
	uint32_t name;
	int rc = names_intern(&t->names, s, len, &name);
	if (rc)
		return rc;
	if (t->flamechart)
		return node_new(t, parent, name, out);
	size_t i = child_hash(parent, name) & t->child_mask;
	for (;;) {
		uint32_t id = t->children[i];
		if (!id)
			break;
		if (t->nodes[id].parent == parent && t->nodes[id].name == name) {
			*out = id;
			return 0;
		}
		i = (i + 1) & t->child_mask;
	}
	return node_new(t, parent, name, out);
}

/* ---- the tree ------------------------------------------------------------------ */

int flame_tree_init(struct flame_tree *t, int flamechart, int reverse, struct trec_err *err)
{
	memset(t, 0, sizeof(*t));
	tbuf_init(&t->prev);
	tbuf_init(&t->scratch);
	t->flamechart = flamechart;
	t->reverse = reverse;
	if (names_init(&t->names))
		goto oom;
	t->nodes = malloc(NODES_INIT * sizeof(*t->nodes));
	if (!t->nodes)
		goto oom;
	t->cap = NODES_INIT;
	if (!flamechart) {
		t->children = calloc(NODES_INIT * 2, sizeof(*t->children));
		if (!t->children)
			goto oom;
		t->child_mask = NODES_INIT * 2 - 1;
	}
	t->ends = malloc(DEPTH_INIT * sizeof(*t->ends));
	t->path = malloc(DEPTH_INIT * sizeof(*t->path));
	if (!t->ends || !t->path)
		goto oom;
	t->depth_cap = DEPTH_INIT;
	/* The root: every stack starts there ("all" in the graph). */
	uint32_t empty;
	if (names_intern(&t->names, "", 0, &empty))
		goto oom;
	t->nodes[0] = (struct flame_node){ .name = empty };
	t->n = 1;
	return 0;
oom:
	flame_tree_free(t);
	return trec_errf(err, -ENOMEM, "flame graph: out of memory");
}

void flame_tree_free(struct flame_tree *t)
{
	names_free(&t->names);
	free(t->nodes);
	free(t->before);
	free(t->children);
	free(t->ends);
	free(t->path);
	tbuf_free(&t->prev);
	tbuf_free(&t->scratch);
	memset(t, 0, sizeof(*t));
}

static size_t common_prefix(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen, i = 0;
	while (i + 8 <= n) {
		uint64_t x = fg_load64((const unsigned char *)a + i) ^
			     fg_load64((const unsigned char *)b + i);
		if (x)
			return i + (size_t)(__builtin_ctzll(x) >> 3); /* little-endian: low byte first */
		i += 8;
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static int path_reserve(struct flame_tree *t, size_t depth)
{
	if (depth < t->depth_cap)
		return 0;
	size_t cap = t->depth_cap * 2;
	uint32_t *ends = realloc(t->ends, cap * sizeof(*ends));
	if (!ends)
		return -ENOMEM;
	t->ends = ends;
	uint32_t *path = realloc(t->path, cap * sizeof(*path));
	if (!path)
		return -ENOMEM;
	t->path = path;
	t->depth_cap = cap;
	return 0;
}

/*
 * Walks s (frames root first, no trailing ';') down from the root,
 * creating what is missing, and returns the leaf. Frames shared byte for
 * byte with the previous stack are taken from its path: frame k is shared
 * when the previous stack's frame k ends inside the common prefix and the
 * current stack has a frame boundary at the same offset.
 */
static int walk(struct flame_tree *t, const char *s, size_t len, uint32_t *leaf)
{
	if (!len) {
		t->depth = 0;
		t->prev.len = 0;
		*leaf = FLAME_ROOT;
		return 0;
	}
	size_t same = common_prefix((const char *)t->prev.data, t->prev.len, s, len);
	size_t k = 0;
	while (k < t->depth) {
		size_t e = t->ends[k];
		if (e > same || (e != len && s[e] != ';'))
			break;
		k++;
	}
	uint32_t node = k ? t->path[k - 1] : FLAME_ROOT;
	if (!k || t->ends[k - 1] != len) {
		size_t pos = k ? t->ends[k - 1] + 1 : 0;
		for (;;) {
			const char *semi = memchr(s + pos, ';', len - pos);
			size_t end = semi ? (size_t)(semi - s) : len;
			int rc = path_reserve(t, k);
			if (!rc)
				rc = child_of(t, node, s + pos, end - pos, &node);
			if (rc) {
				/* The saved path may be half rewritten: start afresh. */
				t->depth = 0;
				t->prev.len = 0;
				return rc;
			}
			t->ends[k] = (uint32_t)end;
			t->path[k] = node;
			k++;
			if (end == len)
				break;
			pos = end + 1;
		}
	}
	t->depth = k;
	/* The previous text becomes this one; the common prefix is there already. */
	if (tbuf_reserve(&t->prev, len)) {
		t->depth = 0;
		t->prev.len = 0;
		t->prev.oom = 0;
		return -ENOMEM;
	}
	memcpy(t->prev.data + same, s + same, len - same);
	t->prev.len = len;
	*leaf = node;
	return 0;
}

/* s with its frames in reverse order, into t->scratch. */
static int reverse_frames(struct flame_tree *t, const char *s, size_t len)
{
	tbuf_reset(&t->scratch);
	if (tbuf_reserve(&t->scratch, len))
		return -ENOMEM;
	char *out = (char *)t->scratch.data;
	size_t end = len, o = 0;
	for (;;) {
		size_t start = end;
		while (start > 0 && s[start - 1] != ';')
			start--;
		memcpy(out + o, s + start, end - start);
		o += end - start;
		if (start == 0)
			break;
		out[o++] = ';';
		end = start - 1;
	}
	t->scratch.len = o;
	return 0;
}

static int start_differential(struct flame_tree *t)
{
	t->before = malloc(t->cap * sizeof(*t->before));
	if (!t->before)
		return -ENOMEM;
	/* Stacks so far had no before count: they count as unchanged. */
	for (size_t i = 0; i < t->n; i++)
		t->before[i] = t->nodes[i].count;
	t->total_before = t->total;
	return 0;
}

static int oom_or(struct trec_err *err, int rc)
{
	if (rc == -ENOMEM)
		return trec_errf(err, rc, "flame graph: out of memory");
	return trec_errf(err, rc, "flame graph: more than %u frames", FLAME_MAX_NODES);
}

int flame_tree_add(struct flame_tree *t, const char *stack, size_t len, uint64_t before,
		   uint64_t after, int diff, struct trec_err *err)
{
	if (t->totals_done)
		return trec_errf(err, -EINVAL, "flame graph: stack added after the graph was drawn");
	if (len > UINT32_MAX)
		return trec_errf(err, -E2BIG, "flame graph: a stack of %zu bytes is too long", len);
	if (!diff)
		before = after;
	if (after > UINT64_MAX - t->total)
		return trec_errf(err, -EOVERFLOW, "flame graph: counts add up to more than 2^64-1");
	if ((diff || t->before) && before > UINT64_MAX - (t->before ? t->total_before : t->total))
		return trec_errf(err, -EOVERFLOW,
				 "flame graph: before counts add up to more than 2^64-1");
	if (diff && !t->before && start_differential(t))
		return oom_or(err, -ENOMEM);

	/* flamegraph.pl's split drops trailing empty frames ("a;b;" is a;b). */
	while (len && stack[len - 1] == ';')
		len--;
	if (t->reverse && len) {
		if (reverse_frames(t, stack, len))
			return oom_or(err, -ENOMEM);
		stack = (const char *)t->scratch.data;
		len = t->scratch.len;
		while (len && stack[len - 1] == ';')
			len--;
	}
	uint32_t leaf;
	int rc = walk(t, stack, len, &leaf);
	if (rc)
		return oom_or(err, rc);
	t->nodes[leaf].count += after;
	t->total += after;
	if (t->before) {
		t->before[leaf] += before;
		t->total_before += before;
	}
	t->stacks++;
	return 0;
}

void flame_tree_totals(struct flame_tree *t)
{
	if (t->totals_done)
		return;
	for (size_t i = t->n; i-- > 1;) {
		uint32_t p = t->nodes[i].parent;
		t->nodes[p].count += t->nodes[i].count;
		if (t->before)
			t->before[p] += t->before[i];
	}
	t->totals_done = 1;
}
