/* SPDX-License-Identifier: MIT */
/*
 * stackcollapse-perf.pl's main loop, line by line (perf_text.c matches
 * the lines). Per line, in its order:
 *
 *  '#...'  skipped (perf script --header).
 *  blank   ends the sample, if a header named one: "pname;group;...;group"
 *          gains the sample's period. Nothing is reset otherwise.
 *  header  sets the process name and period; a header of another event
 *          than the one kept changes nothing at all.
 *  frame   while a process name is set: one group of frames (usually one;
 *          "a->b" is perf's inline chain, two) in front of the stack.
 *  else    unrecognised (counted for the warning).
 *
 * The odd cases follow from that, as in the script: frames after a header
 * with no blank line before it run on into the next sample; a sample not
 * closed by a blank line is not counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "collapse_perf.h"
#include "fg_lines.h"
#include "fg_strtab.h"
#include "perf_text.h"

struct frame_ref {
	size_t off, len;
};

struct perf_collapse {
	struct perf_collapse_opts o;
	struct tbuf event;      /* the filter, NUL-terminated: given, or the first seen */
	struct tbuf other_event;
	struct fg_strtab stacks;
	/* the sample being read */
	int have_pname;         /* Perl's "defined $pname" */
	int is_java;            /* the process name starts with "java" */
	struct tbuf pname;
	uint64_t period;
	int period_big;         /* its digits pass 2^64-1 */
	struct tbuf fbuf;       /* the groups' text */
	struct frame_ref *groups;
	size_t ngroups, groups_cap;
	/* --srcline: a group waiting for the source lines of its frames, which
	 * are inserted after each frame's name as they come */
	int src_open;
	size_t src_group;       /* offset of the group in fbuf */
	size_t *src_at;         /* where each frame that wants one ends */
	size_t src_n, src_next, src_cap;
	struct tbuf key;        /* the folded stack being counted */
	struct tbuf scratch;
	struct perf_collapse_stats st;
	unsigned inputs;
	uint64_t input_lines;
	int err;                /* sticky: -ENOMEM, -EOVERFLOW, the inline callback's */
};

/* The first "ab" in s[0..n), or NULL: memmem for two bytes without its
 * setup, which cost more than the search in a frame's short name. */
static const char *find2(const char *s, size_t n, char a, char b)
{
	const char *end = s + n;
	while (n >= 2) {
		const char *p = memchr(s, a, n - 1);
		if (!p)
			return NULL;
		if (p[1] == b)
			return p;
		s = p + 1;
		n = (size_t)(end - s);
	}
	return NULL;
}

static int has(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && !memcmp(s, prefix, k);
}

static int ends(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp(s + n - k, suffix, k);
}

static int span_is(struct perf_span sp, const char *lit)
{
	return sp.n == strlen(lit) && !memcmp(sp.p, lit, sp.n);
}

static void tbuf_put_cstr(struct tbuf *b, const char *s, size_t n)
{
	tbuf_put(b, s, n);
	tbuf_put_u8(b, 0);
	b->len--;
}

int perf_collapse_new(struct perf_collapse **out, const struct perf_collapse_opts *opts,
		      struct trec_err *err)
{
	*out = NULL;
	struct perf_collapse *c = calloc(1, sizeof(*c));
	if (!c)
		return trec_errf(err, -ENOMEM, "collapse: out of memory");
	if (opts) {
		if (opts->sz < sizeof(opts->sz)) {
			free(c);
			return trec_errf(err, -EINVAL, "perf_collapse_opts.sz not set");
		}
		memcpy(&c->o, opts, opts->sz < sizeof(c->o) ? opts->sz : sizeof(c->o));
	}
	tbuf_init(&c->event);
	tbuf_init(&c->other_event);
	tbuf_init(&c->pname);
	tbuf_init(&c->fbuf);
	tbuf_init(&c->key);
	tbuf_init(&c->scratch);
	/* An empty filter is the script's default too: the first event. */
	if (c->o.event)
		tbuf_put_cstr(&c->event, c->o.event, strlen(c->o.event));
	c->o.event = NULL; /* not kept: the caller's string may go away */
	tbuf_put_cstr(&c->other_event, "", 0);
	if (c->event.oom || c->other_event.oom || fg_strtab_init(&c->stacks)) {
		perf_collapse_free(c);
		return trec_errf(err, -ENOMEM, "collapse: out of memory");
	}
	*out = c;
	return 0;
}

void perf_collapse_free(struct perf_collapse *c)
{
	if (!c)
		return;
	fg_strtab_free(&c->stacks);
	tbuf_free(&c->event);
	tbuf_free(&c->other_event);
	tbuf_free(&c->pname);
	tbuf_free(&c->fbuf);
	tbuf_free(&c->key);
	tbuf_free(&c->scratch);
	free(c->groups);
	free(c->src_at);
	free(c);
}

static void fail(struct perf_collapse *c, int rc)
{
	if (!c->err)
		c->err = rc;
}

/* ---- samples ------------------------------------------------------------------------- */

/* A blank line. */
static void sample_end(struct perf_collapse *c)
{
	if (!c->have_pname)
		return;
	struct tbuf *k = &c->key;
	tbuf_reset(k);
	tbuf_put(k, c->pname.data, c->pname.len);
	/* Each group went in front of the stack: the last one read is the root. */
	for (size_t i = c->ngroups; i-- > 0;) {
		tbuf_put_u8(k, ';');
		tbuf_put(k, c->fbuf.data + c->groups[i].off, c->groups[i].len);
	}
	c->ngroups = 0;
	tbuf_reset(&c->fbuf);
	c->have_pname = 0;
	if (k->oom || c->fbuf.oom || c->pname.oom)
		return fail(c, -ENOMEM);
	if (c->period_big)
		return fail(c, -EOVERFLOW);
	int added;
	uint64_t *v = fg_strtab_upsert(&c->stacks, (const char *)k->data, k->len, &added);
	if (!v)
		return fail(c, -ENOMEM);
	if (*v > UINT64_MAX - c->period)
		return fail(c, -EOVERFLOW);
	*v += c->period;
	c->st.kept++;
}

/* Perl's numeric value of the period's digits; "" and "0" are false, so 1. */
static void set_period(struct perf_collapse *c, struct perf_span d)
{
	c->period = 1;
	c->period_big = 0;
	if (!d.n || span_is(d, "0"))
		return;
	uint64_t v = 0;
	for (size_t i = 0; i < d.n; i++) {
		unsigned dig = (unsigned)(d.p[i] - '0');
		if (v > (UINT64_MAX - dig) / 10) {
			c->period_big = 1;
			return;
		}
		v = v * 10 + dig;
	}
	c->period = v;
}

static void put_spaced(struct tbuf *b, struct perf_span sp)
{
	for (size_t i = 0; i < sp.n; i++)
		tbuf_put_u8(b, (uint8_t)(sp.p[i] == ' ' ? '_' : sp.p[i]));
}

static void header_line(struct perf_collapse *c, const char *s, size_t n,
			const struct perf_header *h)
{
	c->st.samples++;
	struct perf_event_field ev;
	int have_event = perf_event_match(s, n, &ev);
	if (have_event) {
		struct tbuf *f = &c->event;
		if (!f->len) {
			tbuf_put_cstr(f, ev.event.p, ev.event.n);
			if (f->oom)
				return fail(c, -ENOMEM);
		} else if (f->len != ev.event.n || memcmp(f->data, ev.event.p, f->len)) {
			if (!c->other_event.len)
				tbuf_put_cstr(&c->other_event, ev.event.p, ev.event.n);
			c->st.filtered++;
			return;
		}
	}
	set_period(c, have_event ? ev.period : (struct perf_span){ s, 0 });

	struct perf_span pid = h->pid, tid = h->tid;
	/* Perl's "not $tid": no tid, or a tid of "0". */
	if (!tid.n || span_is(tid, "0")) {
		tid = pid;
		pid = (struct perf_span){ "?", 1 };
	}
	struct tbuf *p = &c->pname;
	tbuf_reset(p);
	put_spaced(p, h->comm);
	if (c->o.with_tid || c->o.with_pid) {
		tbuf_put_u8(p, '-');
		put_spaced(p, pid);
		if (c->o.with_tid) {
			tbuf_put_u8(p, '/');
			put_spaced(p, tid);
		}
	}
	c->is_java = starts((const char *)p->data, p->len, "java");
	c->have_pname = 1;
}

/* ---- frames --------------------------------------------------------------------------- */

static int is_hex_lower(char ch)
{
	return perf_is_digit(ch) || (ch >= 'a' && ch <= 'f');
}

/* s/\+0x[\da-f]+$//: perf's "sym+0x1a" offsets. */
static size_t strip_offset(const char *f, size_t n)
{
	size_t i = n;
	while (i > 0 && is_hex_lower(f[i - 1]))
		i--;
	if (i < n && i >= 3 && f[i - 1] == 'x' && f[i - 2] == '0' && f[i - 3] == '+')
		return i - 3;
	return n;
}

/* m/\.\(.*\)\./: a Go method name such as "net/http.(*Client).Do". */
static int go_method(const char *f, size_t n)
{
	const char *open = find2(f, n, '.', '(');
	if (!open)
		return 0;
	size_t from = (size_t)(open - f) + 2;
	return find2(f + from, n - from, ')', '.') != NULL;
}

/* s/\((?!anonymous namespace\)).*$//: where the arguments start. */
static size_t cut_arguments(const char *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i] == '(' && !starts(f + i + 1, n - i - 1, "anonymous namespace)"))
			return i;
	return n;
}

/* m/(^\[|vmlinux$)/ and not m/unknown/. */
static int kernel_dso(struct perf_span m)
{
	return ((m.n && m.p[0] == '[') || ends(m.p, m.n, "vmlinux")) && !has(m.p, m.n, "unknown");
}

/* prefix, digits, then ".map" (the --jit test, "perf-\d+\.map"), or with
 * loose any one byte before "map" (the --inline test, "perf-\d+.map",
 * where the byte may be the last digit). */
static int perf_map(struct perf_span m, const char *prefix, int loose)
{
	size_t pl = strlen(prefix);
	for (const char *p = m.p; (p = memmem(p, (size_t)(m.p + m.n - p), prefix, pl)); p++) {
		size_t i = (size_t)(p - m.p) + pl, d = i;
		while (d < m.n && perf_is_digit(m.p[d]))
			d++;
		if (d == i)
			continue;
		if (m.n - d >= 4 && (loose || m.p[d] == '.') && !memcmp(m.p + d + 1, "map", 3))
			return 1;
		if (loose && d - i >= 2 && m.n - d >= 3 && !memcmp(m.p + d, "map", 3))
			return 1;
	}
	return 0;
}

/* --inline leaves these dsos alone: m/(perf-\d+.map|kernel\.|\[[^\]]+\])/. */
static int inline_skips(struct perf_span m)
{
	if (perf_map(m, "perf-", 1) || has(m.p, m.n, "kernel."))
		return 1;
	for (size_t i = 0; i + 2 < m.n; i++) {
		if (m.p[i] != '[' || m.p[i + 1] == ']')
			continue;
		if (memchr(m.p + i + 1, ']', m.n - i - 1))
			return 1;
	}
	return 0;
}

/* "[unknown]" named after the dso's file, or "[unknown]" itself. */
static void put_unknown(struct perf_collapse *c, struct tbuf *b, const struct perf_frame *fr,
			int *is_unknown)
{
	struct perf_span m = fr->mod;
	struct perf_span base = { "unknown", 7 };
	if (!span_is(m, "[unknown]")) {
		const char *slash = memrchr(m.p, '/', m.n);
		base.p = slash ? slash + 1 : m.p;
		base.n = m.n - (size_t)(base.p - m.p);
	} else {
		*is_unknown = 1;
	}
	tbuf_put_u8(b, '[');
	tbuf_put(b, base.p, base.n);
	if (c->o.addrs) {
		tbuf_put(b, " <", 2);
		tbuf_put(b, fr->pc.p, fr->pc.n);
		tbuf_put_u8(b, '>');
	}
	tbuf_put_u8(b, ']');
}

/* One frame of a group, named and tidied, at the end of b. */
static void put_frame(struct perf_collapse *c, struct tbuf *b, const char *name, size_t len,
		      size_t index, const struct perf_frame *fr, int *is_unknown)
{
	size_t off = b->len;
	if (len == 9 && !memcmp(name, "[unknown]", 9))
		put_unknown(c, b, fr, is_unknown);
	else
		tbuf_put(b, name, len);
	if (tbuf_reserve(b, 4) || b->oom)
		return fail(c, -ENOMEM);
	char *f = (char *)b->data + off;
	size_t n = b->len - off;
	for (size_t i = 0; i < n; i++)
		if (f[i] == ';')
			f[i] = ':';
	if (!go_method(f, n))
		n = cut_arguments(f, n);
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i] != '"' && f[i] != '\'')
			f[w++] = f[i];
	n = w;
	if (c->is_java && n && f[0] == 'L' && memchr(f, '/', n)) {
		memmove(f, f + 1, n - 1);
		n--;
	}
	b->len = off + n;
	if (index > 0) {
		if (!has(f, n, "_[i]"))
			tbuf_put(b, "_[i]", 4);
	} else if (c->o.kernel && kernel_dso(fr->mod)) {
		tbuf_put(b, "_[k]", 4);
	} else if (c->o.jit && perf_map(fr->mod, "/tmp/perf-", 0)) {
		if (!has(f, n, "_[j]"))
			tbuf_put(b, "_[j]", 4);
	}
}

static void add_group(struct perf_collapse *c, size_t off)
{
	if (c->ngroups == c->groups_cap) {
		size_t cap = c->groups_cap ? c->groups_cap * 2 : 128;
		struct frame_ref *g = realloc(c->groups, cap * sizeof(*g));
		if (!g)
			return fail(c, -ENOMEM);
		c->groups = g;
		c->groups_cap = cap;
	}
	c->groups[c->ngroups++] = (struct frame_ref){ off, c->fbuf.len - off };
}

static void src_want(struct perf_collapse *c, size_t at)
{
	if (c->src_n == c->src_cap) {
		size_t cap = c->src_cap ? c->src_cap * 2 : 16;
		size_t *a = realloc(c->src_at, cap * sizeof(*a));
		if (!a)
			return fail(c, -ENOMEM);
		c->src_at = a;
		c->src_cap = cap;
	}
	c->src_at[c->src_n++] = at;
}

static void frame_line(struct perf_collapse *c, const struct perf_frame *fr)
{
	if (!c->have_pname)
		return; /* a frame of a filtered sample, or before any header */
	struct tbuf *b = &c->fbuf;
	size_t off = b->len;
	if (c->o.inline_fn && !inline_skips(fr->mod)) {
		struct tbuf *r = &c->scratch;
		tbuf_reset(r);
		int rc = c->o.inline_fn(c->o.inline_ctx, fr->pc.p, fr->pc.n, fr->func.p, fr->func.n,
					fr->mod.p, fr->mod.n, r);
		if (rc || r->oom)
			return fail(c, rc ? rc : -ENOMEM);
		const char *t = (const char *)r->data;
		if (r->len && !(r->len == 2 && !memcmp(t, "??", 2)) &&
		    !(r->len == 7 && !memcmp(t, "??:??:0", 7))) {
			tbuf_put(b, t, r->len);
			return add_group(c, off);
		}
	}
	const char *func = fr->func.p;
	size_t flen = strip_offset(func, fr->func.n);
	if (flen && func[0] == '(')
		return; /* "(comm)": a process name, not a frame */

	/* split /->/: perf's inline chains; trailing empty names are dropped. */
	size_t keep = flen;
	while (keep >= 2 && func[keep - 2] == '-' && func[keep - 1] == '>')
		keep -= 2;
	int is_unknown = 0;
	size_t index = 0;
	c->src_n = c->src_next = 0;
	for (size_t i = 0; keep;) {
		const char *arrow = find2(func + i, keep - i, '-', '>');
		size_t end = arrow ? (size_t)(arrow - func) : keep;
		if (index)
			tbuf_put_u8(b, ';');
		put_frame(c, b, func + i, end - i, index, fr, &is_unknown);
		if (c->o.srcline && !is_unknown)
			src_want(c, b->len);
		index++;
		if (!arrow)
			break;
		i = end + 2;
	}
	if (!index)
		return; /* nothing left of the name */
	if (c->src_n) {
		c->src_open = 1;
		c->src_group = off;
		return;
	}
	add_group(c, off);
}

/*
 * --srcline: the line after a frame is its source line, read raw (even a
 * blank or '#' line): [...] parts and outer blanks removed, the rest
 * appended to the frame's name after a ':'.
 */
static void srcline_line(struct perf_collapse *c, const char *s, size_t n)
{
	struct tbuf *t = &c->scratch;
	tbuf_reset(t);
	for (size_t i = 0; i < n; i++) {
		const char *close = s[i] == '[' ? memchr(s + i + 1, ']', n - i - 1) : NULL;
		if (close)
			i = (size_t)(close - s);
		else
			tbuf_put_u8(t, (uint8_t)s[i]);
	}
	const char *p = (const char *)t->data;
	size_t a = 0, z = t->len;
	while (a < z && perf_is_space(p[a]))
		a++;
	while (z > a && perf_is_space(p[z - 1]))
		z--;
	size_t at = c->src_at[c->src_next++];
	if (z > a) {
		struct tbuf *b = &c->fbuf;
		size_t add = 1 + z - a, tail = b->len - at;
		if (t->oom || tbuf_reserve(b, add))
			return fail(c, -ENOMEM);
		memmove(b->data + at + add, b->data + at, tail);
		b->data[at] = ':';
		memcpy(b->data + at + 1, p + a, z - a);
		b->len += add;
		for (size_t i = c->src_next; i < c->src_n; i++)
			c->src_at[i] += add;
	}
	if (c->src_next == c->src_n) {
		c->src_open = 0;
		add_group(c, c->src_group);
	}
}

int perf_collapse_line(struct perf_collapse *c, const char *s, size_t n)
{
	c->st.lines++;
	c->input_lines++;
	if (c->err)
		return c->err;
	if (c->src_open) {
		srcline_line(c, s, n);
		return c->err;
	}
	if (n && s[0] == '#')
		return 0;
	if (!n) {
		sample_end(c);
		return c->err;
	}
	struct perf_header h;
	struct perf_frame fr;
	if (perf_header_match(s, n, &h)) {
		header_line(c, s, n, &h);
	} else if (perf_frame_match(s, n, &fr)) {
		frame_line(c, &fr);
	} else if (!c->st.unrecognized++) {
		c->st.first_unrecognized = c->input_lines;
		c->st.first_unrecognized_input = c->inputs;
	}
	return c->err;
}

int perf_collapse_end(struct perf_collapse *c)
{
	/* The script counts a sample on its blank line only. */
	c->ngroups = 0;
	c->src_open = 0;
	c->have_pname = 0;
	tbuf_reset(&c->fbuf);
	return c->err;
}

int perf_collapse_fd(struct perf_collapse *c, int fd, const char *name, struct trec_err *err)
{
	struct fg_lines r;
	const char *line;
	size_t len;
	int rc;
	if (fg_lines_init(&r, fd, 0))
		return trec_errf(err, -ENOMEM, "%s: out of memory", name);
	c->input_lines = 0;
	while ((rc = fg_lines_next(&r, &line, &len)) == 1) {
		rc = perf_collapse_line(c, line, len);
		if (rc)
			break;
	}
	if (rc == -ENOMEM)
		rc = trec_errf(err, rc, "%s: out of memory", name);
	else if (rc == -EOVERFLOW)
		rc = trec_errf(err, rc, "%s:%llu: a stack's count passes 2^64-1", name,
			       (unsigned long long)r.lineno);
	else if (rc && c->err)
		rc = trec_errf(err, rc, "%s:%llu: --inline: %s", name, (unsigned long long)r.lineno,
			       strerror(-rc));
	else if (rc)
		rc = fg_lines_errf(&r, rc, name, err);
	fg_lines_free(&r);
	c->inputs++;
	return rc;
}

int perf_collapse_emit(struct perf_collapse *c, perf_collapse_emit_fn emit, void *ctx)
{
	if (fg_strtab_sort(&c->stacks))
		return -ENOMEM;
	for (size_t i = 0; i < c->stacks.n; i++) {
		const struct fg_strent *e = &c->stacks.ents[i];
		int rc = emit(ctx, e->key, e->len, e->value);
		if (rc)
			return rc;
	}
	return 0;
}

void perf_collapse_get_stats(const struct perf_collapse *c, struct perf_collapse_stats *st)
{
	*st = c->st;
	st->stacks = c->stacks.n;
	st->event = c->event.len ? (const char *)c->event.data : "";
	st->other_event = (const char *)c->other_event.data;
}
