/* SPDX-License-Identifier: MIT */
/*
 * The rules, in the order stackcollapse-perf.pl applies them:
 *
 *  header  "comm pid[/tid] ..." starts at column 0: comm is the text
 *          before the first " PID " or " PID/TID " field (it may hold
 *          spaces, which become '_'); the event is the first field after
 *          it that ends in ':' and is not the timestamp.
 *  frame   "  addr sym[+0xoff] (dso)": the symbol loses its offset;
 *          "[unknown]" becomes "[dso basename]" ("[dso <addr>]" with
 *          addrs); ';' becomes ':', arguments "(...)" are cut (not in Go
 *          names like "pkg.(*T).M", nor "(anonymous namespace)"), quotes
 *          dropped; Java frames ("java" processes) lose a leading 'L';
 *          then the _[k] / _[j] annotations.
 *  blank   ends the sample: "comm;root;...;leaf" counts one more.
 *
 * Lines starting with '#' (perf script --header) are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "collapse_perf.h"
#include "fg_lines.h"
#include "fg_strtab.h"

struct frame_ref {
	size_t off, len;
};

struct perf_collapse {
	struct perf_collapse_opts o;
	char event[128];       /* the filter: given, or the first event seen */
	int event_fixed;       /* given by the caller */
	struct fg_strtab stacks;
	/* the sample being read */
	int in_sample;         /* a kept header was seen */
	int skipping;          /* a filtered header was seen: ignore its frames */
	int is_java;           /* its comm is exactly "java" */
	struct tbuf pname;     /* its first frame */
	struct tbuf fbuf;      /* its frames' text */
	struct frame_ref *frames;
	size_t nframes, frames_cap;
	struct tbuf key;       /* the folded stack being counted */
	struct perf_collapse_stats st;
	int oom;
};

static int is_ws(char c) /* Perl's \s */
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_word(char c) /* Perl's \w */
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static const char *find(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle));
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
	if (c->o.event) {
		size_t n = strlen(c->o.event);
		if (!n || n >= sizeof(c->event)) {
			free(c);
			return trec_errf(err, -EINVAL, "event filter '%s': empty or too long",
					 opts->event);
		}
		memcpy(c->event, c->o.event, n + 1);
		c->event_fixed = 1;
	}
	c->o.event = NULL; /* not kept: the caller's string may go away */
	tbuf_init(&c->pname);
	tbuf_init(&c->fbuf);
	tbuf_init(&c->key);
	if (fg_strtab_init(&c->stacks)) {
		free(c);
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
	tbuf_free(&c->pname);
	tbuf_free(&c->fbuf);
	tbuf_free(&c->key);
	free(c->frames);
	free(c);
}

/* ---- samples --------------------------------------------------------------------- */

static void sample_reset(struct perf_collapse *c)
{
	c->in_sample = 0;
	c->skipping = 0;
	c->nframes = 0;
	tbuf_reset(&c->fbuf);
}

/* Counts the sample read so far, if any. */
static int sample_end(struct perf_collapse *c)
{
	if (!c->in_sample) {
		sample_reset(c);
		return 0;
	}
	struct tbuf *k = &c->key;
	tbuf_reset(k);
	tbuf_put(k, c->pname.data, c->pname.len);
	/* perf prints the leaf first; folded stacks start at the root. */
	for (size_t i = c->nframes; i-- > 0;) {
		tbuf_put_u8(k, ';');
		tbuf_put(k, c->fbuf.data + c->frames[i].off, c->frames[i].len);
	}
	sample_reset(c);
	if (k->oom || c->fbuf.oom || c->pname.oom)
		return -ENOMEM;
	int added;
	uint64_t *v = fg_strtab_upsert(&c->stacks, (const char *)k->data, k->len, &added);
	if (!v)
		return -ENOMEM;
	if (*v == UINT64_MAX)
		return -EOVERFLOW;
	(*v)++;
	c->st.kept++;
	return 0;
}

/* "cpu-clock:ppp" -> "cpu-clock": perf's event modifiers after the last ':'. */
static size_t event_base_len(const char *e, size_t n)
{
	const char *colon = memrchr(e, ':', n);
	if (!colon || colon == e + n - 1)
		return n;
	for (const char *p = colon + 1; p < e + n; p++)
		if (!strchr("ukhpPGHISDWe", *p))
			return n;
	return (size_t)(colon - e);
}

static int event_matches(const char *filter, const char *e, size_t n)
{
	size_t fl = strlen(filter);
	if (fl == n && !memcmp(filter, e, n))
		return 1;
	size_t b = event_base_len(e, n);
	return b == fl && !memcmp(filter, e, b);
}

/* The first field after `from` that ends in ':' and is not a number (the
 * timestamp "12.345:"): the event, without that ':'. */
static int header_event(const char *s, size_t n, size_t from, const char **ev, size_t *evlen)
{
	size_t i = from;
	while (i < n) {
		while (i < n && is_ws(s[i]))
			i++;
		size_t start = i;
		while (i < n && !is_ws(s[i]))
			i++;
		if (i - start < 2 || s[i - 1] != ':')
			continue;
		int numeric = 1;
		for (size_t k = start; k + 1 < i; k++)
			if (!is_digit(s[k]) && s[k] != '.')
				numeric = 0;
		if (numeric)
			continue;
		*ev = s + start;
		*evlen = i - 1 - start;
		return 1;
	}
	return 0;
}

/* Digits at s[i..]: end index, or i if none. */
static size_t digits_end(const char *s, size_t n, size_t i)
{
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/*
 * "comm pid[/tid] ..." at column 0. Returns 1 and fills the fields, or 0
 * when the line is not a header.
 */
struct header {
	const char *comm, *pid, *tid;
	size_t comm_len, pid_len, tid_len;
	size_t rest; /* where the fields after pid/tid start */
};

static int parse_header(const char *s, size_t n, struct header *h)
{
	if (!n || is_ws(s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (!is_ws(s[i]))
			continue;
		size_t j = i;
		while (j < n && is_ws(s[j]))
			j++;
		size_t d = digits_end(s, n, j);
		if (d == j)
			continue;
		size_t t = d;
		while (t < n && s[t] == '/')
			t++;
		size_t te = digits_end(s, n, t);
		if (te >= n || !is_ws(s[te])) {
			/* The optional parts may have overrun a valid "pid ". */
			if (d < n && is_ws(s[d]))
				te = t = d;
			else
				continue;
		}
		h->comm = s;
		h->comm_len = i;
		h->pid = s + j;
		h->pid_len = d - j;
		h->tid = s + t;
		h->tid_len = te - t;
		h->rest = te;
		return 1;
	}
	return 0;
}

static void put_pname_part(struct tbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		/* Spaces become '_' (as stackcollapse-perf.pl does); ';' would
		 * split the frame, so it becomes ':' like in symbols. */
		tbuf_put_u8(b, (uint8_t)(ch == ' ' ? '_' : ch == ';' ? ':' : ch));
	}
}

static void header_line(struct perf_collapse *c, const char *s, size_t n, const struct header *h)
{
	/* A sample without the blank line after it still counts. */
	if (c->in_sample && sample_end(c))
		c->oom = 1;
	sample_reset(c);
	c->st.samples++;

	const char *ev;
	size_t evlen;
	if (header_event(s, n, h->rest, &ev, &evlen)) {
		if (!c->event[0] && evlen < sizeof(c->event)) {
			memcpy(c->event, ev, evlen);
			c->event[evlen] = 0;
		}
		if (c->event[0] && !event_matches(c->event, ev, evlen)) {
			if (!c->st.other_event[0] && evlen < sizeof(c->st.other_event)) {
				memcpy(c->st.other_event, ev, evlen);
				c->st.other_event[evlen] = 0;
			}
			c->st.filtered++;
			c->skipping = 1;
			return;
		}
	}
	struct tbuf *p = &c->pname;
	tbuf_reset(p);
	put_pname_part(p, h->comm, h->comm_len);
	const char *pid = h->pid, *tid = h->tid;
	size_t pid_len = h->pid_len, tid_len = h->tid_len;
	if (!tid_len) {
		/* perf's default output has the TID only. */
		tid = pid;
		tid_len = pid_len;
		pid = "?";
		pid_len = 1;
	}
	if (c->o.with_tid || c->o.with_pid) {
		tbuf_put_u8(p, '-');
		tbuf_put(p, pid, pid_len);
		if (c->o.with_tid) {
			tbuf_put_u8(p, '/');
			tbuf_put(p, tid, tid_len);
		}
	}
	c->is_java = h->comm_len == 4 && !memcmp(h->comm, "java", 4) && !c->o.with_pid &&
		     !c->o.with_tid;
	c->in_sample = 1;
}

/* ---- frames ---------------------------------------------------------------------- */

/*
 * "  addr func (dso)": pc is the leading word, func runs to the last
 * " (" whose following non-blank run holds a ')', mod is that run up to
 * its last ')'. 0 if the line has no such shape.
 */
static int parse_frame(const char *s, size_t n, const char **pc, size_t *pc_len,
		       const char **func, size_t *func_len, const char **mod, size_t *mod_len)
{
	size_t i = 0;
	while (i < n && is_ws(s[i]))
		i++;
	size_t p0 = i;
	while (i < n && is_word(s[i]))
		i++;
	if (i == p0)
		return 0;
	*pc = s + p0;
	*pc_len = i - p0;
	while (i < n && is_ws(s[i]))
		i++;
	size_t f0 = i;
	/* "(/path (deleted))": perf marks files deleted since they were
	 * mapped. The mark is dropped, so the frame is named after the file
	 * (stackcollapse-perf.pl would take "deleted)" for the file). */
	static const char deleted[] = " (deleted))";
	size_t dl = sizeof(deleted) - 1;
	while (n > f0 && is_ws(s[n - 1]))
		n--;
	if (n > f0 + dl && !memcmp(s + n - dl, deleted, dl)) {
		size_t end = n - dl;
		for (size_t k = end; k-- > f0 + 1;) {
			if (is_ws(s[k]))
				break;
			if (s[k] != '(' || s[k - 1] != ' ' || k - 1 <= f0)
				continue;
			*func = s + f0;
			*func_len = k - 1 - f0;
			*mod = s + k + 1;
			*mod_len = end - (k + 1);
			return 1;
		}
	}
	/* Rightmost " (" with a func of at least one byte before it. */
	for (size_t k = n; k-- > f0 + 1;) {
		if (s[k] != '(' || s[k - 1] != ' ' || k - 1 <= f0)
			continue;
		size_t e = k + 1, last = 0;
		while (e < n && !is_ws(s[e])) {
			if (s[e] == ')')
				last = e;
			e++;
		}
		if (!last)
			continue;
		*func = s + f0;
		*func_len = k - 1 - f0;
		*mod = s + k + 1;
		*mod_len = last - (k + 1);
		return 1;
	}
	return 0;
}

static int is_hexdigit_lower(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* "sym+0x1a" -> "sym" (lowercase hex, as perf prints it). */
static size_t strip_offset(const char *f, size_t n)
{
	size_t i = n;
	while (i > 0 && is_hexdigit_lower(f[i - 1]))
		i--;
	if (i < n && i >= 3 && f[i - 1] == 'x' && f[i - 2] == '0' && f[i - 3] == '+')
		return i - 3;
	return n;
}

static int kernel_dso(const char *m, size_t n)
{
	if (!n || find(m, n, "unknown"))
		return 0;
	return m[0] == '[' || (n >= 7 && !memcmp(m + n - 7, "vmlinux", 7));
}

/* "/tmp/perf-1234.map" or "/jitted-12-34.so" somewhere in the dso. */
static int jit_dso(const char *m, size_t n)
{
	for (const char *p = m; (p = find(p, (size_t)(m + n - p), "/tmp/perf-")); p++) {
		size_t i = (size_t)(p - m) + 10;
		size_t d = digits_end(m, n, i);
		if (d > i && n - d >= 4 && !memcmp(m + d, ".map", 4))
			return 1;
	}
	for (const char *p = m; (p = find(p, (size_t)(m + n - p), "/jitted-")); p++) {
		size_t i = (size_t)(p - m) + 8;
		size_t d = digits_end(m, n, i);
		if (d == i || d >= n || m[d] != '-')
			continue;
		size_t d2 = digits_end(m, n, d + 1);
		if (d2 > d + 1 && n - d2 >= 3 && !memcmp(m + d2, ".so", 3))
			return 1;
	}
	return 0;
}

/* Go method names keep their parentheses: "net/http.(*Client).Do". */
static int go_method(const char *f, size_t n)
{
	const char *open = find(f, n, ".(");
	if (!open)
		return 0;
	size_t from = (size_t)(open - f) + 2;
	return find(f + from, n - from, ").") != NULL;
}

static int starts_anon(const char *f, size_t n)
{
	static const char anon[] = "(anonymous namespace)";
	return n >= sizeof(anon) - 1 && !memcmp(f, anon, sizeof(anon) - 1);
}

/* Cuts at the first '(' that does not open "(anonymous namespace)". */
static size_t cut_arguments(const char *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i] == '(' && !starts_anon(f + i, n - i))
			return i;
	return n;
}

static void frame_line(struct perf_collapse *c, const char *s, size_t n)
{
	const char *pc, *func, *mod;
	size_t pc_len, func_len, mod_len;
	if (!parse_frame(s, n, &pc, &pc_len, &func, &func_len, &mod, &mod_len)) {
		if (!c->st.unrecognized++)
			c->st.first_unrecognized = c->st.lines;
		return;
	}
	if (!c->in_sample)
		return; /* a frame of a filtered sample (or before any header) */
	func_len = strip_offset(func, func_len);
	/* "(comm)" is a process name, not a frame; C++'s "(anonymous
	 * namespace)::f" is a frame (stackcollapse-perf.pl drops it too). */
	if (func_len && func[0] == '(' && !starts_anon(func, func_len))
		return;

	struct tbuf *b = &c->fbuf;
	size_t off = b->len;
	if (func_len == 9 && !memcmp(func, "[unknown]", 9)) {
		/* Named after the file that holds the address, when perf knows it. */
		const char *base = "unknown";
		size_t base_len = 7;
		if (!(mod_len == 9 && !memcmp(mod, "[unknown]", 9))) {
			const char *slash = memrchr(mod, '/', mod_len);
			base = slash ? slash + 1 : mod;
			base_len = mod_len - (size_t)(base - mod);
		}
		tbuf_put_u8(b, '[');
		tbuf_put(b, base, base_len);
		if (c->o.addrs) {
			tbuf_put(b, " <", 2);
			tbuf_put(b, pc, pc_len);
			tbuf_put_u8(b, '>');
		}
		tbuf_put_u8(b, ']');
	} else {
		tbuf_put(b, func, func_len);
	}
	/* "+0x10" alone leaves an empty name: a frame still, and the buffer
	 * must exist for the pointer below. */
	if (tbuf_reserve(b, 1) || b->oom) {
		c->oom = 1;
		return;
	}
	/* Tidy in place. */
	char *f = (char *)b->data + off;
	size_t len = b->len - off;
	for (size_t i = 0; i < len; i++)
		if (f[i] == ';')
			f[i] = ':';
	if (!go_method(f, len))
		len = cut_arguments(f, len);
	size_t w = 0;
	for (size_t i = 0; i < len; i++)
		if (f[i] != '"' && f[i] != '\'')
			f[w++] = f[i];
	len = w;
	if (c->is_java && len > 1 && f[0] == 'L' && memchr(f, '/', len)) {
		memmove(f, f + 1, len - 1);
		len--;
	}
	b->len = off + len;
	if (c->o.kernel && kernel_dso(mod, mod_len))
		tbuf_put(b, "_[k]", 4);
	else if (c->o.jit && jit_dso(mod, mod_len))
		tbuf_put(b, "_[j]", 4);

	if (c->nframes == c->frames_cap) {
		size_t cap = c->frames_cap ? c->frames_cap * 2 : 128;
		struct frame_ref *fr = realloc(c->frames, cap * sizeof(*fr));
		if (!fr) {
			c->oom = 1;
			return;
		}
		c->frames = fr;
		c->frames_cap = cap;
	}
	c->frames[c->nframes++] = (struct frame_ref){ off, b->len - off };
}

int perf_collapse_line(struct perf_collapse *c, const char *s, size_t n)
{
	c->st.lines++;
	if (n && s[0] == '#')
		return 0;
	if (!n || (n == 1 && s[0] == '\r')) {
		if (sample_end(c))
			c->oom = 1;
	} else {
		struct header h;
		if (parse_header(s, n, &h))
			header_line(c, s, n, &h);
		else if (c->skipping)
			; /* frames of a sample of another event */
		else
			frame_line(c, s, n);
	}
	return c->oom ? -ENOMEM : 0;
}

int perf_collapse_end(struct perf_collapse *c)
{
	if (sample_end(c))
		c->oom = 1;
	return c->oom ? -ENOMEM : 0;
}

int perf_collapse_fd(struct perf_collapse *c, int fd, const char *name, struct trec_err *err)
{
	struct fg_lines r;
	const char *line;
	size_t len;
	int rc;
	if (fg_lines_init(&r, fd, 0))
		return trec_errf(err, -ENOMEM, "%s: out of memory", name);
	while ((rc = fg_lines_next(&r, &line, &len)) == 1) {
		rc = perf_collapse_line(c, line, len);
		if (rc)
			break;
	}
	if (!rc)
		rc = perf_collapse_end(c);
	if (rc == -ENOMEM)
		rc = trec_errf(err, rc, "%s: out of memory", name);
	else if (rc)
		rc = fg_lines_errf(&r, rc, name, err);
	fg_lines_free(&r);
	return rc;
}

int perf_collapse_emit(struct perf_collapse *c, perf_collapse_emit_fn emit, void *ctx)
{
	fg_strtab_sort(&c->stacks);
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
	memcpy(st->event, c->event, sizeof(st->event));
}
