/* SPDX-License-Identifier: MIT */
/*
 * tracefs: finding the mount, listing tracepoints, suggesting names for
 * typos, and reading events/GROUP/NAME/format (parsed by tp_format.c).
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
