/* SPDX-License-Identifier: MIT */
/*
 * tracefs: finding the mount, listing tracepoints, suggesting names for
 * typos, and parsing events/GROUP/NAME/format into a schema.
 *
 * A format file looks like
 *
 *	name: sched_switch
 *	ID: 316
 *	format:
 *		field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *		...
 *		field:char prev_comm[16];	offset:8;	size:16;	signed:0;
 *		field:__data_loc char[] cmd;	offset:60;	size:4;	signed:0;
 *
 *	print fmt: "prev_comm=%s ...", REC->prev_comm, ...
 *
 * The parser is strict about structure (a name: line, an ID: line, a
 * format: line, field lines, a complete print fmt: line) so that a cut or
 * corrupted file is an error rather than a schema missing fields, and
 * lenient about details the kernel has changed over time (signed: absent
 * on old kernels, unknown key:value pairs after a field, macro names as
 * array lengths).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracefs.h"
#include "trec_format.h"

#define TRACEFS_DEFAULT "/sys/kernel/tracing"
#define TRACEFS_DEBUGFS "/sys/kernel/debug/tracing"
#define MOUNT_HINT "mount it with: mount -t tracefs nodev " TRACEFS_DEFAULT

/* ======================================================================
 * Finding the mount
 * ====================================================================== */

/* 0 when dir/events is a directory, else a negative errno. Checking for
 * events/ rather than the mount point itself matters: /sys/kernel/tracing
 * exists as an empty directory whenever tracefs is not mounted. */
static int probe_root(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/events", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	if (stat(p, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int is_octal(char c) { return c >= '0' && c <= '7'; }

/* /proc/mounts writes space, tab, newline and backslash in paths as \ooo. */
static void unescape_mount_path(char *s)
{
	char *d = s;
	while (*s) {
		if (s[0] == '\\' && is_octal(s[1]) && is_octal(s[2]) && is_octal(s[3])) {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = 0;
}

/* A usable tracefs directory named by /proc/mounts: a tracefs mount, or
 * tracing/ inside a debugfs mount (kernels before 4.1 had no tracefs).
 * 0 and out filled, or -ENOENT. */
static int root_from_mounts(char *out, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	if (!f)
		return -ENOENT;

	char line[2 * PATH_MAX], dir[PATH_MAX], cand[PATH_MAX], type[64];
	int r = -ENOENT;
	while (r && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %63s", dir, type) != 2)
			continue;
		unescape_mount_path(dir);
		int n;
		if (!strcmp(type, "tracefs"))
			n = snprintf(cand, sizeof(cand), "%s", dir);
		else if (!strcmp(type, "debugfs"))
			n = snprintf(cand, sizeof(cand), "%s/tracing", dir);
		else
			continue;
		if (n < 0 || (size_t)n >= sizeof(cand) || (size_t)n >= len || probe_root(cand))
			continue;
		memcpy(out, cand, (size_t)n + 1);
		r = 0;
	}
	fclose(f);
	return r;
}

static int copy_root(char *buf, size_t len, const char *dir, struct trec_err *err)
{
	size_t n = strlen(dir);
	if (n >= len)
		return trec_errf(err, -ENAMETOOLONG, "tracefs path %s does not fit a %zu-byte buffer", dir, len);
	memcpy(buf, dir, n + 1);
	return 0;
}

int tracefs_root(char *buf, size_t len, struct trec_err *err)
{
	if (!buf || !len)
		return trec_errf(err, -EINVAL, "tracefs_root: no buffer");

	int r = probe_root(TRACEFS_DEFAULT);
	if (!r)
		return copy_root(buf, len, TRACEFS_DEFAULT, err);
	int denied = r == -EACCES;

	if (!root_from_mounts(buf, len))
		return 0;

	r = probe_root(TRACEFS_DEBUGFS);
	if (!r)
		return copy_root(buf, len, TRACEFS_DEBUGFS, err);
	denied |= r == -EACCES;

	if (denied)
		return trec_errf(err, -EACCES,
				 "cannot read " TRACEFS_DEFAULT "/events: permission denied; tracing needs root "
				 "(or CAP_SYS_ADMIN and read access to tracefs)");
	return trec_errf(err, -ENOENT,
			 "tracefs is not mounted (looked at " TRACEFS_DEFAULT ", /proc/mounts and "
			 TRACEFS_DEBUGFS "); " MOUNT_HINT);
}

/* Resolves a NULL root to the mount; root_buf holds it. */
static int resolve_root(const char **root, char *root_buf, size_t len, struct trec_err *err)
{
	if (*root)
		return 0;
	int r = tracefs_root(root_buf, len, err);
	if (!r)
		*root = root_buf;
	return r;
}

/* ======================================================================
 * Names
 * ====================================================================== */

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/* A group or event directory name: no path tricks, nothing a shell or a
 * message would mangle. 0 or -EINVAL with a message. */
static int check_component(const char *s, size_t n, const char *what, const char *full,
			   struct trec_err *err)
{
	if (!n)
		return trec_errf(err, -EINVAL, "tracepoint '%.200s': empty %s", full, what);
	if (n > TRACEFS_NAME_MAX)
		return trec_errf(err, -EINVAL, "tracepoint '%.200s': %s longer than %d bytes", full, what,
				 TRACEFS_NAME_MAX);
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return trec_errf(err, -EINVAL, "tracepoint '%.200s': %s '%.*s' is not a name", full, what,
				 (int)n, s);
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return trec_errf(err, -EINVAL,
					 "tracepoint '%.200s': %s has character '%c' (0x%02x) at %zu; "
					 "names use A-Z a-z 0-9 _ . -",
					 full, what, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?', (unsigned char)s[i], i);
	return 0;
}

int tracefs_split(const char *full, char *group, size_t glen, char *name, size_t nlen,
		  struct trec_err *err)
{
	if (!full || !group || !name)
		return trec_errf(err, -EINVAL, "tracefs_split: NULL argument");
	size_t n = strnlen(full, 2 * TRACEFS_NAME_MAX + 2);
	const char *sep = memchr(full, ':', n);
	if (!sep)
		sep = memchr(full, '/', n);
	if (!sep)
		return trec_errf(err, -EINVAL, "tracepoint '%.200s': expected group:name (e.g. sched:sched_switch)",
				 full);
	size_t gl = (size_t)(sep - full), nl = n - gl - 1;
	int r = check_component(full, gl, "group", full, err);
	if (!r)
		r = check_component(sep + 1, nl, "name", full, err);
	if (r)
		return r;
	if (gl >= glen || nl >= nlen)
		return trec_errf(err, -ENAMETOOLONG, "tracepoint '%.200s': name too long", full);
	memcpy(group, full, gl);
	group[gl] = 0;
	memcpy(name, sep + 1, nl);
	name[nl] = 0;
	return 0;
}

/* ======================================================================
 * Listing
 * ====================================================================== */

void tp_list_free(struct tp_list *l)
{
	if (!l)
		return;
	free(l->names);
	tarena_free(&l->arena);
	l->names = NULL;
	l->n = 0;
}

static int list_add(struct tp_list *l, size_t *cap, const char *full)
{
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		char **nn = realloc(l->names, nc * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		l->names = nn;
		*cap = nc;
	}
	char *s = tarena_strdup(&l->arena, full);
	if (!s)
		return -ENOMEM;
	l->names[l->n++] = s;
	return 0;
}

/* d_type is DT_UNKNOWN on some filesystems; fall back to a stat. */
static int is_dir_entry(DIR *d, const struct dirent *de)
{
	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN)
		return 0;
	struct stat st;
	return !fstatat(dirfd(d), de->d_name, &st, 0) && S_ISDIR(st.st_mode);
}

/* Adds the matching events of one group. A group that cannot be opened is
 * skipped (groups come and go with modules), except for a permission
 * error, which would otherwise look like an empty system. */
static int list_group(DIR *ev, const char *group, const char *glob, int name_only, struct tp_list *l,
		      size_t *cap)
{
	int gfd = openat(dirfd(ev), group, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (gfd < 0)
		return errno == EACCES ? -EACCES : 0;
	DIR *d = fdopendir(gfd);
	if (!d) {
		int e = errno;
		close(gfd);
		return -e;
	}
	int r = 0;
	struct dirent *de;
	while (!r && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !is_dir_entry(d, de))
			continue;
		char full[2 * (TRACEFS_NAME_MAX + 1)];
		if (snprintf(full, sizeof(full), "%s:%s", group, de->d_name) >= (int)sizeof(full))
			continue;
		if (glob && fnmatch(glob, name_only ? de->d_name : full, 0))
			continue;
		r = list_add(l, cap, full);
	}
	closedir(d);
	return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int has_wildcard(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* Appends "; did you mean a, b?" to msg when the list has close names. */
static void append_suggestions(const struct tp_list *all, const char *query, char *msg, size_t len)
{
	const char *sug[3];
	size_t n = tracefs_suggest(all, query, sug, 3);
	size_t used = strlen(msg);
	for (size_t i = 0; i < n && used < len; i++) {
		int w = snprintf(msg + used, len - used, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "; did you mean ",
				 sug[i]);
		if (w < 0)
			return;
		used += (size_t)w;
	}
	if (n && used < len)
		snprintf(msg + used, len - used, "?");
}

static int list_all(const char *root, const char *glob, struct tp_list *out, struct trec_err *err)
{
	char ev[PATH_MAX];
	if (snprintf(ev, sizeof(ev), "%s/events", root) >= (int)sizeof(ev))
		return trec_errf(err, -ENAMETOOLONG, "tracefs path %.200s is too long", root);
	DIR *d = opendir(ev);
	if (!d) {
		int e = errno;
		return trec_errf(err, -e, "cannot list tracepoints in %.200s: %s%s", ev, strerror(e),
				 e == EACCES ? " (tracing needs root)" : e == ENOENT ? "; " MOUNT_HINT : "");
	}
	int name_only = glob && !strchr(glob, ':');
	size_t cap = 0;
	int r = 0;
	struct dirent *de;
	while (!r && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "ftrace") || !is_dir_entry(d, de))
			continue;
		r = list_group(d, de->d_name, glob, name_only, out, &cap);
	}
	closedir(d);
	if (r)
		return trec_errf(err, r, "listing tracepoints in %.200s: %s", ev, strerror(-r));
	if (out->n)
		qsort(out->names, out->n, sizeof(*out->names), cmp_str);
	return 0;
}

int tracefs_list(const char *root, const char *glob, struct tp_list *out, struct trec_err *err)
{
	char root_buf[PATH_MAX];
	if (!out)
		return trec_errf(err, -EINVAL, "tracefs_list: no output");
	memset(out, 0, sizeof(*out));
	tarena_init(&out->arena);
	int r = resolve_root(&root, root_buf, sizeof(root_buf), err);
	if (r)
		return r;
	if (glob && !glob[0])
		glob = NULL;
	r = list_all(root, glob, out, err);
	if (r || out->n)
		return r;

	char msg[sizeof(err->msg)];
	if (!glob) {
		snprintf(msg, sizeof(msg), "no tracepoints in %.200s/events", root);
	} else {
		snprintf(msg, sizeof(msg), "no tracepoint matches '%.200s'", glob);
		/* A plain name that matched nothing is likely a typo. */
		struct tp_list all;
		memset(&all, 0, sizeof(all));
		if (!has_wildcard(glob) && !list_all(root, NULL, &all, NULL))
			append_suggestions(&all, glob, msg, sizeof(msg));
		tp_list_free(&all);
	}
	return trec_errf(err, -ENOENT, "%s", msg);
}

int tp_list_contains(const struct tp_list *l, const char *full)
{
	if (!l || !l->n || !full)
		return 0;
	return bsearch(&full, l->names, l->n, sizeof(*l->names), cmp_str) != NULL;
}

/* ======================================================================
 * Suggestions
 * ====================================================================== */

#define ED_MAX 128
#define SUGGEST_MAX 16

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

unsigned tracefs_edit_distance(const char *a, const char *b)
{
	size_t n = strnlen(a, ED_MAX), m = strnlen(b, ED_MAX);
	unsigned rows[3][ED_MAX + 1];
	unsigned *pp = rows[0], *p = rows[1], *c = rows[2]; /* rows i-2, i-1, i */

	for (size_t j = 0; j <= m; j++)
		p[j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		c[0] = (unsigned)i;
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = min3(p[j] + 1, c[j - 1] + 1, p[j - 1] + cost);
			/* An adjacent swap ("swtich") is one typo, not two. */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
		}
		unsigned *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[m];
}

/* How many edits still look like a typo of a string this long: one for
 * very short strings, else a quarter of it, at least two. */
static unsigned typo_limit(size_t len)
{
	if (len <= 3)
		return 1;
	return len / 4 > 2 ? (unsigned)(len / 4) : 2;
}

/* Distance of candidate "group:name" to the query, or UINT_MAX when it is
 * too far on both measures. */
static unsigned suggest_score(const char *cand, const char *query)
{
	const char *qc = strchr(query, ':');
	const char *qname = qc ? qc + 1 : query;
	const char *cc = strchr(cand, ':');
	const char *cname = cc ? cc + 1 : cand;
	unsigned best = UINT_MAX;

	if (qc) {
		unsigned d = tracefs_edit_distance(query, cand);
		if (d <= typo_limit(strlen(query)))
			best = d;
	}
	unsigned d = tracefs_edit_distance(qname, cname);
	if (d <= typo_limit(strlen(qname)) && d < best)
		best = d;
	return best;
}

size_t tracefs_suggest(const struct tp_list *all, const char *unknown, const char **out, size_t k)
{
	unsigned score[SUGGEST_MAX];
	size_t n = 0;

	if (!all || !unknown || !out)
		return 0;
	if (k > SUGGEST_MAX)
		k = SUGGEST_MAX;
	for (size_t i = 0; i < all->n && k; i++) {
		unsigned s = suggest_score(all->names[i], unknown);
		if (s == UINT_MAX)
			continue;
		/* Insert after every entry that is as close: ties keep list order. */
		size_t pos = n;
		while (pos > 0 && score[pos - 1] > s)
			pos--;
		if (pos >= k)
			continue;
		size_t last = n < k ? n : k - 1;
		for (size_t j = last; j > pos; j--) {
			score[j] = score[j - 1];
			out[j] = out[j - 1];
		}
		score[pos] = s;
		out[pos] = all->names[i];
		if (n < k)
			n++;
	}
	return n;
}

/* ======================================================================
 * Syscall string arguments
 * ====================================================================== */

/*
 * Arguments that name a NUL-terminated string the caller passes in:
 * paths, and the short names that identify objects (mount type, xattr
 * name, memfd and message queue names). Buffers are deliberately absent:
 * write's `buf` is `const char *` too, but it is binary data with an
 * explicit length (count), not a string; reading it as one captures a
 * cut or overlong copy of arbitrary, often private, data (passwords,
 * file contents). read's and readlink's `buf` are outputs, garbage at
 * syscall entry. docs/FILTERS.md, "Syscall string arguments", has the
 * full reasoning.
 */
static const char *const str_arg_names[] = {
	"filename", "pathname", "oldname", "newname", "path", "name", "special", "specialfile",
	"dev_name", "dir_name", "type", "library", "from_pathname", "to_pathname", "new_root",
	"put_old", "uname", "u_name", "_fs_name",
};

int tracefs_is_str_arg_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(str_arg_names) / sizeof(str_arg_names[0]); i++)
		if (!strcmp(name, str_arg_names[i]))
			return 1;
	return 0;
}

/* "const char *" or "char *" in any spacing. Plain `char *` counts because
 * several syscalls spell their input paths so (mount's dev_name, utime's
 * filename); the allowlist of names keeps output buffers out. */
static int is_char_ptr_type(const char *t)
{
	char c[16];
	size_t n = 0;
	for (; *t; t++) {
		if (*t == ' ' || *t == '\t')
			continue;
		if (n + 1 >= sizeof(c))
			return 0;
		c[n++] = *t;
	}
	c[n] = 0;
	return !strcmp(c, "constchar*") || !strcmp(c, "char*");
}

/* sethostname and setdomainname take (name, len): the name is not
 * NUL-terminated, so a string copy would run past it. */
static int len_delimited_name(const char *tp)
{
	return !strcmp(tp, "sys_enter_sethostname") || !strcmp(tp, "sys_enter_setdomainname");
}

static void find_str_args(struct tp_format *f)
{
	if (strcmp(f->group, "syscalls") || strncmp(f->name, "sys_enter_", 10) || len_delimited_name(f->name))
		return;
	for (uint32_t i = 0; i < f->schema.nfields && f->nstr_args < TP_MAX_STR_ARGS; i++) {
		const struct trec_field *fl = &f->schema.fields[i];
		if (fl->kind != TREC_F_HEX || fl->count != 1 || !is_char_ptr_type(fl->ctype) ||
		    !tracefs_is_str_arg_name(fl->name))
			continue;
		f->str_args[f->nstr_args].offset = fl->offset;
		f->str_args[f->nstr_args].name = fl->name;
		f->nstr_args++;
	}
}

/* ======================================================================
 * Format parsing
 * ====================================================================== */

struct span {
	const char *p;
	size_t n;
};

/* One field as parsed, pointing into the text until the output is built. */
struct raw_field {
	struct span name, type, dims; /* dims: "[16]" as written, may be empty */
	uint32_t kind, offset, elem_size, count;
};

struct parser {
	const char *p, *end; /* text not yet consumed */
	unsigned line;       /* number of the line last taken */
	const char *group, *name;
	struct trec_err *err;

	uint32_t id;
	struct raw_field *f;
	size_t nf, cap;
	struct raw_field tail;
	int have_tail;
};

static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *ps, const char *fmt, ...)
{
	char m[sizeof(ps->err->msg)];
	va_list ap;
	if (!ps->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return trec_errf(ps->err, -EINVAL, "format of %.100s:%.100s, line %u: %s", ps->group, ps->name, ps->line,
			 m);
}

/* A span for %.*s, cut to 60 bytes so a garbage line cannot swamp the
 * message. */
#define SHOW(s) (int)((s).n > 60 ? 60 : (s).n), (s).p

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

static struct span trim(struct span s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

static int span_eq(struct span s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

/* If s starts with lit, returns 1 and sets *rest to what follows. */
static int span_prefix(struct span s, const char *lit, struct span *rest)
{
	size_t n = strlen(lit);
	if (s.n < n || memcmp(s.p, lit, n))
		return 0;
	if (rest)
		*rest = (struct span){ s.p + n, s.n - n };
	return 1;
}

/* lit as a whole word at the start of s ("__data_loc char[]", not
 * "__data_location"). */
static int span_word(struct span s, const char *lit)
{
	struct span rest;
	return span_prefix(s, lit, &rest) && (!rest.n || is_blank(rest.p[0]));
}

/* Decimal digits only, no sign, at most max. 0 or -EINVAL. */
static int parse_num(struct span s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!s.n || s.n > 10)
		return -EINVAL;
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return -EINVAL;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Takes the next line (without its newline). 0 at the end of the text. */
static int next_line(struct parser *ps, struct span *line, int *terminated)
{
	if (ps->p >= ps->end)
		return 0;
	const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	const char *e = nl ? nl : ps->end;
	*line = (struct span){ ps->p, (size_t)(e - ps->p) };
	*terminated = nl != NULL;
	ps->p = nl ? nl + 1 : ps->end;
	ps->line++;
	return 1;
}

/* Lines of format text are printable; a NUL or other control byte means
 * binary garbage, which would also cut strings short later. */
static int check_line_bytes(struct parser *ps, struct span l)
{
	for (size_t i = 0; i < l.n; i++) {
		unsigned char c = (unsigned char)l.p[i];
		if (c < 0x20 && c != '\t' && c != '\r')
			return perr(ps, "control byte 0x%02x at column %zu", c, i + 1);
	}
	return 0;
}

/* ---- header: name:, ID:, format: ---- */

static int parse_header(struct parser *ps)
{
	struct span l, v;
	int term, have_name = 0, have_id = 0, r;

	while (next_line(ps, &l, &term)) {
		if ((r = check_line_bytes(ps, l)))
			return r;
		struct span t = trim(l);
		if (!t.n)
			continue;
		if (span_eq(t, "format:")) {
			if (!have_name)
				return perr(ps, "no 'name:' line before 'format:'");
			if (!have_id)
				return perr(ps, "no 'ID:' line before 'format:'");
			return 0;
		}
		if (span_prefix(t, "name:", &v)) {
			v = trim(v);
			if (have_name++)
				return perr(ps, "second 'name:' line");
			if (!span_eq(v, ps->name))
				return perr(ps, "name '%.*s' does not match the tracepoint's name '%.100s'", SHOW(v),
					    ps->name);
		} else if (span_prefix(t, "ID:", &v)) {
			v = trim(v);
			if (have_id++)
				return perr(ps, "second 'ID:' line");
			/* common_type is 16 bits, so an id beyond cannot be matched. */
			if (parse_num(v, 65535, &ps->id))
				return perr(ps, "ID '%.*s' is not a number in 0..65535", SHOW(v));
		} else {
			return perr(ps, "expected 'name:', 'ID:' or 'format:', found '%.*s'", SHOW(t));
		}
	}
	return perr(ps, "the text ends before the 'format:' line (truncated?)");
}

/* ---- one field line ---- */

/* Splits "TYPE NAME[dims]" into its parts. */
static int split_decl(struct parser *ps, struct span decl, struct raw_field *rf)
{
	const char *d = decl.p;
	size_t e = decl.n, dims_end = decl.n;

	/* Array dimensions, possibly several ("[2][16]"), from the right. */
	while (e && d[e - 1] == ']') {
		const char *lb = memrchr(d, '[', e - 1);
		if (!lb)
			return perr(ps, "unbalanced ']' in field declaration '%.*s'", SHOW(decl));
		e = (size_t)(lb - d);
	}
	rf->dims = (struct span){ d + e, dims_end - e };
	while (e && is_blank(d[e - 1]))
		e--;
	size_t ns = e;
	while (ns && is_ident(d[ns - 1]))
		ns--;
	rf->name = (struct span){ d + ns, e - ns };
	if (!rf->name.n || is_digit(rf->name.p[0]))
		return perr(ps, "no field name in declaration '%.*s'", SHOW(decl));
	if (rf->name.n > TRACEFS_NAME_MAX)
		return perr(ps, "field name longer than %d bytes", TRACEFS_NAME_MAX);
	rf->type = trim((struct span){ d, ns });
	if (!rf->type.n)
		return perr(ps, "field '%.*s' has no type", SHOW(rf->name));
	/* Kernel types are words, spaces and '*'; dynamic ones end in "[]"
	 * ("__data_loc char[]"). Anything else is a mangled declaration. */
	int loc = span_word(rf->type, "__data_loc") || span_word(rf->type, "__rel_loc");
	for (size_t i = 0; i < rf->type.n; i++) {
		char c = rf->type.p[i];
		if (!is_ident(c) && !is_blank(c) && c != '*' && !(loc && (c == '[' || c == ']')))
			return perr(ps, "field '%.*s': unexpected '%c' in type '%.*s'", SHOW(rf->name), c,
				    SHOW(rf->type));
	}
	if (rf->type.n + rf->dims.n > TRACEFS_NAME_MAX)
		return perr(ps, "type of field '%.*s' longer than %d bytes", SHOW(rf->name), TRACEFS_NAME_MAX);
	return 0;
}

/* Element count of "[a][b]...": *known is 0 when a dimension is empty
 * ("[]") or not a number (old kernels print macro names: [TASK_COMM_LEN]). */
static int parse_dims(struct parser *ps, const struct raw_field *rf, uint64_t *count, int *known)
{
	struct span s = rf->dims;
	*count = 1;
	*known = 1;
	while (s.n) {
		const char *rb = s.p[0] == '[' ? memchr(s.p, ']', s.n) : NULL;
		if (!rb)
			return perr(ps, "field '%.*s': malformed array dimensions '%.*s'", SHOW(rf->name),
				    SHOW(rf->dims));
		struct span in = trim((struct span){ s.p + 1, (size_t)(rb - s.p - 1) });
		uint32_t v;
		if (parse_num(in, TRACEFS_RECORD_MAX, &v))
			*known = 0;
		else if (*count <= TRACEFS_RECORD_MAX)
			*count *= v;
		s.n -= (size_t)(rb + 1 - s.p);
		s.p = rb + 1;
	}
	return 0;
}

static int is_int_width(uint32_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

static uint32_t int_kind(const struct raw_field *rf, uint32_t sgn)
{
	/* Addresses are shown in hex whatever signed: says. */
	if (memchr(rf->type.p, '*', rf->type.n))
		return TREC_F_HEX;
	return sgn ? TREC_F_INT : TREC_F_UINT;
}

static void set_layout(struct raw_field *rf, uint32_t kind, uint32_t elem, uint32_t count)
{
	rf->kind = kind;
	rf->elem_size = elem;
	rf->count = count;
}

/* An array field. Returns 1 when it is a flexible tail (size 0). */
static int classify_array(struct parser *ps, struct raw_field *rf, uint32_t size, uint32_t sgn)
{
	uint64_t n;
	int known, r;

	if ((r = parse_dims(ps, rf, &n, &known)))
		return r;
	if (!size)
		return 1;
	if (span_eq(rf->type, "char") || span_eq(rf->type, "const char")) {
		if (known && n != size)
			return perr(ps, "field '%.*s': size %u does not match its %" PRIu64 " chars", SHOW(rf->name),
				    size, n);
		set_layout(rf, TREC_F_CHARS, 1, size);
		return 0;
	}
	if (!known) {
		set_layout(rf, TREC_F_BYTES, 1, size);
		return 0;
	}
	if (!n || size % n)
		return perr(ps, "field '%.*s': size %u is not a multiple of its %" PRIu64 " elements",
			    SHOW(rf->name), size, n);
	uint32_t elem = size / (uint32_t)n;
	if (is_int_width(elem))
		set_layout(rf, int_kind(rf, sgn), elem, (uint32_t)n);
	else
		set_layout(rf, TREC_F_BYTES, 1, size);
	return 0;
}

/* Sets kind, elem_size and count. Returns 1 for a flexible tail. */
static int classify(struct parser *ps, struct raw_field *rf, uint32_t size, uint32_t sgn)
{
	int data_loc = span_word(rf->type, "__data_loc");
	if (data_loc || span_word(rf->type, "__rel_loc")) {
		if (rf->dims.n)
			return perr(ps, "dynamic field '%.*s' has array dimensions", SHOW(rf->name));
		if (size != 4)
			return perr(ps, "dynamic field '%.*s' has size %u; its location word is 4 bytes",
				    SHOW(rf->name), size);
		set_layout(rf, data_loc ? TREC_F_DATA_LOC : TREC_F_REL_LOC, 4, 1);
		return 0;
	}
	if (rf->dims.n)
		return classify_array(ps, rf, size, sgn);
	if (!size)
		return perr(ps, "field '%.*s' has size 0", SHOW(rf->name));
	if (is_int_width(size))
		set_layout(rf, int_kind(rf, sgn), size, 1);
	else
		set_layout(rf, TREC_F_BYTES, 1, size);
	return 0;
}

static int add_field(struct parser *ps, const struct raw_field *rf)
{
	if (ps->nf == ps->cap) {
		if (ps->nf >= TREC_MAX_FIELDS)
			return perr(ps, "more than %d fields", TREC_MAX_FIELDS);
		size_t nc = ps->cap ? ps->cap * 2 : 16;
		struct raw_field *nf = realloc(ps->f, nc * sizeof(*nf));
		if (!nf)
			return trec_errf(ps->err, -ENOMEM, "out of memory parsing a format");
		ps->f = nf;
		ps->cap = nc;
	}
	ps->f[ps->nf++] = *rf;
	return 0;
}

struct field_attrs {
	uint32_t offset, size, sgn;
	int have_offset, have_size, have_sgn;
};

static int set_attr(struct parser *ps, const struct raw_field *rf, struct span key, struct span val,
		    struct field_attrs *a)
{
	uint32_t *dst, max = TRACEFS_RECORD_MAX;
	int *have;

	if (span_eq(key, "offset")) {
		dst = &a->offset;
		have = &a->have_offset;
	} else if (span_eq(key, "size")) {
		dst = &a->size;
		have = &a->have_size;
	} else if (span_eq(key, "signed")) {
		dst = &a->sgn;
		have = &a->have_sgn;
		max = 1;
	} else {
		return 0; /* a key a newer kernel added: not ours to judge */
	}
	if (*have)
		return perr(ps, "field '%.*s': second '%.*s:'", SHOW(rf->name), SHOW(key));
	if (parse_num(val, max, dst))
		return perr(ps, "field '%.*s': %.*s '%.*s' is not a number in 0..%u", SHOW(rf->name), SHOW(key),
			    SHOW(val), max);
	*have = 1;
	return 0;
}

/* "offset:8;\tsize:16;\tsigned:0;" after the declaration. */
static int parse_attrs(struct parser *ps, const struct raw_field *rf, struct span s, struct field_attrs *a)
{
	for (;;) {
		s = trim(s);
		if (!s.n)
			break;
		const char *semi = memchr(s.p, ';', s.n);
		if (!semi)
			return perr(ps, "field '%.*s': '%.*s' has no ';'", SHOW(rf->name), SHOW(s));
		struct span kv = { s.p, (size_t)(semi - s.p) };
		const char *colon = memchr(kv.p, ':', kv.n);
		if (!colon)
			return perr(ps, "field '%.*s': expected key:value, found '%.*s'", SHOW(rf->name), SHOW(kv));
		struct span key = trim((struct span){ kv.p, (size_t)(colon - kv.p) });
		struct span val = trim((struct span){ colon + 1, (size_t)(semi - colon - 1) });
		int r = set_attr(ps, rf, key, val, a);
		if (r)
			return r;
		s = (struct span){ semi + 1, s.n - (size_t)(semi + 1 - s.p) };
	}
	if (!a->have_offset || !a->have_size)
		return perr(ps, "field '%.*s' lacks %s", SHOW(rf->name), a->have_offset ? "size:" : "offset:");
	return 0;
}

static int parse_field_line(struct parser *ps, struct span s)
{
	struct raw_field rf;
	struct field_attrs a;
	int r;

	memset(&rf, 0, sizeof(rf));
	memset(&a, 0, sizeof(a));
	const char *semi = memchr(s.p, ';', s.n);
	if (!semi)
		return perr(ps, "field declaration '%.*s' has no ';'", SHOW(s));
	struct span decl = trim((struct span){ s.p, (size_t)(semi - s.p) });
	if ((r = split_decl(ps, decl, &rf)))
		return r;
	if ((r = parse_attrs(ps, &rf, (struct span){ semi + 1, s.n - (size_t)(semi + 1 - s.p) }, &a)))
		return r;
	if ((uint64_t)a.offset + a.size > TRACEFS_RECORD_MAX)
		return perr(ps, "field '%.*s' at offset %u, size %u ends past %u bytes", SHOW(rf.name), a.offset,
			    a.size, TRACEFS_RECORD_MAX);
	rf.offset = a.offset;
	r = classify(ps, &rf, a.size, a.sgn);
	if (r < 0)
		return r;
	if (r == 0)
		return add_field(ps, &rf);
	if (ps->have_tail++)
		return perr(ps, "second flexible array '%.*s'", SHOW(rf.name));
	ps->tail = rf;
	return 0;
}

/* ---- field section, up to print fmt: ---- */

static int parse_fields(struct parser *ps)
{
	struct span l, rest;
	int term, r;

	while (next_line(ps, &l, &term)) {
		if ((r = check_line_bytes(ps, l)))
			return r;
		struct span t = trim(l);
		if (!t.n)
			continue;
		if (span_prefix(t, "print fmt:", NULL)) {
			/* The kernel ends the file with this line's newline: without
			 * it the read was cut short. */
			if (!term)
				return perr(ps, "the 'print fmt:' line has no end (truncated?)");
			return 0;
		}
		if (!span_prefix(t, "field:", &rest))
			return perr(ps, "expected 'field:' or 'print fmt:', found '%.*s'", SHOW(t));
		if ((r = parse_field_line(ps, trim(rest))))
			return r;
	}
	return perr(ps, "the text ends before the 'print fmt:' line (truncated?)");
}

/* ---- building the output ---- */

/* Bump allocation in the single block that tp_format owns. */
struct carve {
	char *p, *end;
};

/* a, b and c joined, NUL-terminated. out_size() counts the same bytes. */
static char *carve_join(struct carve *cv, struct span a, struct span b, struct span c)
{
	char *s = cv->p;
	memcpy(s, a.p, a.n);
	memcpy(s + a.n, b.p, b.n);
	memcpy(s + a.n + b.n, c.p, c.n);
	s[a.n + b.n + c.n] = 0;
	cv->p += a.n + b.n + c.n + 1;
	return s;
}

static const struct span none = { "", 0 };
static const struct span colon = { ":", 1 };

static char *carve_str(struct carve *cv, struct span a, struct span b) { return carve_join(cv, a, b, none); }

static struct span cstr(const char *s) { return (struct span){ s, strlen(s) }; }

static size_t out_size(const struct parser *ps, size_t text_len)
{
	size_t gl = strlen(ps->group), nl = strlen(ps->name);
	size_t n = ps->nf * sizeof(struct trec_field);
	n += text_len + 1 + gl + 1 + nl + 1;
	n += gl + 1 + nl + 1;                   /* "group:name" */
	n += strlen("tracepoint:") + gl + 1 + nl + 1; /* "tracepoint:group:name" */
	for (size_t i = 0; i < ps->nf; i++)
		n += ps->f[i].name.n + 1 + ps->f[i].type.n + ps->f[i].dims.n + 1;
	if (ps->have_tail)
		n += ps->tail.name.n + 1;
	return n;
}

static void fill_fields(const struct parser *ps, struct trec_field *fl, struct carve *c, uint32_t *fixed)
{
	*fixed = 0;
	for (size_t i = 0; i < ps->nf; i++) {
		const struct raw_field *rf = &ps->f[i];
		fl[i].name = carve_str(c, rf->name, none);
		fl[i].ctype = carve_str(c, rf->type, rf->dims);
		fl[i].kind = rf->kind;
		fl[i].flags = 0;
		fl[i].offset = rf->offset;
		fl[i].elem_size = rf->elem_size;
		fl[i].count = rf->count;
		uint32_t end = rf->offset + rf->elem_size * rf->count;
		if (end > *fixed)
			*fixed = end;
	}
}

static int build_output(struct parser *ps, const char *text, size_t len, struct tp_format *out)
{
	size_t total = out_size(ps, len);
	char *mem = malloc(total);
	if (!mem)
		return trec_errf(ps->err, -ENOMEM, "out of memory for the format of %.100s:%.100s", ps->group,
				 ps->name);
	struct trec_field *fl = (struct trec_field *)(void *)mem;
	struct carve c = { mem + ps->nf * sizeof(*fl), mem + total };
	struct span g = cstr(ps->group), n = cstr(ps->name);

	out->mem = mem;
	out->id = ps->id;
	out->text = carve_str(&c, (struct span){ text, len }, none);
	out->text_len = len;
	out->group = carve_str(&c, g, none);
	out->name = carve_str(&c, n, none);
	char *full = carve_join(&c, g, colon, n);
	char *probe = carve_join(&c, cstr("tracepoint:"), g, colon);
	c.p--; /* the name continues "tracepoint:group:" */
	carve_str(&c, n, none);

	uint32_t fixed;
	fill_fields(ps, fl, &c, &fixed);
	out->schema = (struct trec_schema){
		.id = 0, .name = full, .probe = probe, .fixed_size = fixed,
		.nfields = (uint32_t)ps->nf, .fields = fl,
	};
	if (ps->have_tail) {
		out->tail_name = carve_str(&c, ps->tail.name, none);
		out->tail_offset = ps->tail.offset;
	}
	return 0;
}

/* The whole format must describe a schema the file format accepts. */
static int check_output(struct parser *ps, struct tp_format *out)
{
	struct trec_err verr = { 0 };

	if (!ps->nf)
		return perr(ps, "no fields");
	if (ps->have_tail && ps->tail.offset < out->schema.fixed_size)
		return perr(ps, "flexible array '%.*s' at offset %u is inside the fixed part (%u bytes)",
			    SHOW(ps->tail.name), ps->tail.offset, out->schema.fixed_size);
	out->schema.id = 1; /* validate wants a real id; the caller assigns one */
	int r = trec_schema_validate(&out->schema, &verr);
	out->schema.id = 0;
	if (r)
		return trec_errf(ps->err, r, "format of %.100s:%.100s: %s", ps->group, ps->name, verr.msg);
	return 0;
}

int tracefs_format_parse(const char *text, size_t len, const char *group, const char *name,
			 struct tp_format *out, struct trec_err *err)
{
	if (!out)
		return trec_errf(err, -EINVAL, "tracefs_format_parse: no output");
	memset(out, 0, sizeof(*out));
	if (!text || !group || !name)
		return trec_errf(err, -EINVAL, "tracefs_format_parse: NULL argument");
	if (strnlen(group, TRACEFS_NAME_MAX + 1) > TRACEFS_NAME_MAX ||
	    strnlen(name, TRACEFS_NAME_MAX + 1) > TRACEFS_NAME_MAX)
		return trec_errf(err, -EINVAL, "tracefs_format_parse: group or name longer than %d bytes",
				 TRACEFS_NAME_MAX);
	if (len > TRACEFS_FORMAT_MAX)
		return trec_errf(err, -EFBIG, "format of %.100s:%.100s: %zu bytes, more than the %d accepted", group,
				 name, len, TRACEFS_FORMAT_MAX);

	struct parser ps = { .p = text, .end = text + len, .group = group, .name = name, .err = err };
	int r = parse_header(&ps);
	if (!r)
		r = parse_fields(&ps);
	if (!r)
		r = build_output(&ps, text, len, out);
	if (!r)
		r = check_output(&ps, out);
	if (!r)
		find_str_args(out);
	free(ps.f);
	if (r)
		tp_format_free(out);
	return r;
}

void tp_format_free(struct tp_format *f)
{
	if (!f)
		return;
	free(f->mem);
	memset(f, 0, sizeof(*f));
}

/* ======================================================================
 * Loading
 * ====================================================================== */

static int unknown_tracepoint(const char *root, const char *group, const char *name, struct trec_err *err)
{
	char msg[sizeof(err->msg)], full[2 * (TRACEFS_NAME_MAX + 1)];
	struct tp_list all;

	snprintf(full, sizeof(full), "%s:%s", group, name);
	snprintf(msg, sizeof(msg), "unknown tracepoint '%.200s'", full);
	memset(&all, 0, sizeof(all));
	if (!list_all(root, NULL, &all, NULL))
		append_suggestions(&all, full, msg, sizeof(msg));
	tp_list_free(&all);
	if (!strchr(msg, '?'))
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " (no %.100s/events/%.100s/%.100s)", root, group,
			 name);
	return trec_errf(err, -ENOENT, "%s", msg);
}

/* Reads at most TRACEFS_FORMAT_MAX + 1 bytes: one more than allowed tells a
 * full file from an oversized one. tracefs files report size 0, so the
 * size cannot be known in advance. */
static int read_bounded(int fd, char *buf, size_t *len)
{
	size_t n = 0;
	while (n <= TRACEFS_FORMAT_MAX) {
		ssize_t r = read(fd, buf + n, TRACEFS_FORMAT_MAX + 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*len = n;
	return n > TRACEFS_FORMAT_MAX ? -EFBIG : 0;
}

int tracefs_format_load(const char *root, const char *group, const char *name, struct tp_format *out,
			struct trec_err *err)
{
	char root_buf[PATH_MAX], path[PATH_MAX], full[2 * (TRACEFS_NAME_MAX + 1)];
	int r;

	if (!out)
		return trec_errf(err, -EINVAL, "tracefs_format_load: no output");
	memset(out, 0, sizeof(*out));
	if (!group || !name)
		return trec_errf(err, -EINVAL, "tracefs_format_load: NULL argument");
	snprintf(full, sizeof(full), "%.255s:%.255s", group, name);
	if ((r = check_component(group, strlen(group), "group", full, err)) ||
	    (r = check_component(name, strlen(name), "name", full, err)))
		return r;
	if ((r = resolve_root(&root, root_buf, sizeof(root_buf), err)))
		return r;
	if (snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, group, name) >= (int)sizeof(path))
		return trec_errf(err, -ENAMETOOLONG, "tracefs path for %s is too long", full);

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return unknown_tracepoint(root, group, name, err);
		return trec_errf(err, -e, "cannot open %.300s: %s%s", path, strerror(e),
				 e == EACCES ? " (tracing needs root)" : "");
	}
	char *buf = malloc(TRACEFS_FORMAT_MAX + 1);
	if (!buf) {
		close(fd);
		return trec_errf(err, -ENOMEM, "out of memory reading %.300s", path);
	}
	size_t len = 0;
	r = read_bounded(fd, buf, &len);
	close(fd);
	if (r == -EFBIG)
		r = trec_errf(err, r, "%.300s is larger than %d bytes; refusing to parse it", path,
			      TRACEFS_FORMAT_MAX);
	else if (r)
		r = trec_errf(err, r, "reading %.300s: %s", path, strerror(-r));
	else
		r = tracefs_format_parse(buf, len, group, name, out, err);
	free(buf);
	return r;
}
