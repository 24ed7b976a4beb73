/* SPDX-License-Identifier: MIT */
/*
 * /proc snapshot. Reading rules, because processes change and vanish
 * while we read:
 *  - ENOENT and ESRCH mean "gone": the process or thread is skipped and
 *    counted (stats.vanished), never reported as an error — except for a
 *    pid the user named, which must exist when we start;
 *  - every read is bounded (small files into fixed buffers, maps line by
 *    line with a maximum line length), so a hostile comm or path cannot
 *    make us allocate without bound;
 *  - what one file says is not assumed to hold in the next (a process may
 *    exec between reading exe and maps): each record stands on its own.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "procfs.h"

#define MAX_LINE 8192 /* a maps line: ~75 bytes of fields + a path <= PATH_MAX */
#define MAX_CPUS 65536

/* ---- small helpers ----------------------------------------------------- */

static int gone(int e) { return e == ENOENT || e == ESRCH; }

/* Reads at most cap-1 bytes of a small file, NUL-terminated. Returns the
 * length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len < cap - 1) {
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;
	return (ssize_t)len;
}

/* Parses a decimal pid name ("1234"); 0 for anything else. */
static pid_t parse_pid(const char *s)
{
	long v = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return 0;
	}
	return (pid_t)v;
}

/* Value of "Key:\tNNN" at the start of a line in a status file. (The
 * Name: line cannot fake one: the kernel escapes newlines in it.) */
static int status_field(const char *status, const char *key, long *v)
{
	size_t kl = strlen(key);
	const char *p = status;
	while (*p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			char *end;
			errno = 0;
			*v = strtol(p + kl + 1, &end, 10);
			return errno || end == p + kl + 1 ? -EINVAL : 0;
		}
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return -ENOENT;
}

static const char *root_of(const struct procfs_opts *o)
{
	return OPTS_HAS(o, proc_root) && o->proc_root ? o->proc_root : "/proc";
}

/* ---- bounded line reader ------------------------------------------------ */

struct line_reader {
	int fd;
	int eof;
	int err;         /* errno of a failed read */
	size_t len, pos; /* bytes in buf, next unread */
	char buf[16384];
};

/* The next line into line (cap bytes, NUL-terminated, newline removed).
 * A longer line is truncated to cap-1 bytes and *truncated set; the rest
 * of it is skipped. Returns 1 for a line, 0 at the end, -errno. */
static int next_line(struct line_reader *lr, char *line, size_t cap, int *truncated)
{
	size_t n = 0;
	int any = 0;

	*truncated = 0;
	for (;;) {
		if (lr->pos == lr->len) {
			if (lr->eof)
				break;
			ssize_t r = read(lr->fd, lr->buf, sizeof(lr->buf));
			if (r < 0) {
				if (errno == EINTR)
					continue;
				lr->err = errno;
				return -errno;
			}
			if (r == 0) {
				lr->eof = 1;
				break;
			}
			lr->len = (size_t)r;
			lr->pos = 0;
		}
		any = 1;
		char c = lr->buf[lr->pos++];
		if (c == '\n') {
			line[n] = 0;
			return 1;
		}
		if (n < cap - 1)
			line[n++] = c;
		else
			*truncated = 1;
	}
	line[n] = 0;
	return any ? 1 : 0;
}

/* ---- maps lines ------------------------------------------------------------- */

static int hex_field(const char **pp, uint64_t *v, char stop)
{
	const char *p = *pp;
	uint64_t x = 0;
	int digits = 0;
	for (; isxdigit((unsigned char)*p); p++, digits++) {
		if (digits >= 16)
			return -EINVAL;
		int d = *p <= '9' ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		x = x << 4 | (uint64_t)d;
	}
	if (!digits || *p != stop)
		return -EINVAL;
	*v = x;
	*pp = p + 1;
	return 0;
}

int procfs_parse_maps_line(const char *line, struct procfs_map_line *out)
{
	const char *p = line;
	uint64_t maj, min, ino = 0;
	int digits = 0;

	memset(out, 0, sizeof(*out));
	out->path = "";
	if (hex_field(&p, &out->start, '-') || hex_field(&p, &out->end, ' ') || out->end < out->start)
		return -EINVAL;
	if (strlen(p) < 5 || p[4] != ' ')
		return -EINVAL;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's'))
		return -EINVAL;
	out->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		    (p[2] == 'x' ? PROT_EXEC : 0);
	out->flags = p[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
	p += 5;
	if (hex_field(&p, &out->pgoff, ' ') || hex_field(&p, &maj, ':') || hex_field(&p, &min, ' '))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 20)
			return -EINVAL;
		ino = ino * 10 + (uint64_t)(*p - '0');
	}
	if (!digits || (*p && *p != ' '))
		return -EINVAL;
	out->inode = ino;
	while (*p == ' ')
		p++;
	/* The rest is the path, spaces and " (deleted)" included: the kernel
	 * escapes only newlines in it. */
	out->path = p;
	return 0;
}

/* ---- snapshot ----------------------------------------------------------------- */

struct snap {
	const struct procfs_opts *o;
	struct trec_err *err;
	const struct sideband_cb *cb;
	struct procfs_stats st;
	struct buildid_cache *bic;
	const char *root;
	uint64_t ts;
	int exec_only;
	struct line_reader lr;
	char line[MAX_LINE];
	char exe[PATH_MAX + 1];
	char path[PATH_MAX + 64];
};

static int snap_threads(struct snap *s, pid_t pid, long ppid)
{
	char comm[64];
	struct dirent *de;
	int rc = 0;

	snprintf(s->path, sizeof(s->path), "%s/%d/task", s->root, (int)pid);
	DIR *d = opendir(s->path);
	if (!d) {
		if (gone(errno))
			s->st.vanished++;
		else
			s->st.denied++;
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		pid_t tid = parse_pid(de->d_name);
		if (!tid)
			continue;
		snprintf(s->path, sizeof(s->path), "%s/%d/task/%d/comm", s->root, (int)pid, (int)tid);
		ssize_t n = read_small(s->path, comm, 17); /* 15 chars, newline, NUL */
		if (n < 0) {
			if (gone((int)-n)) {
				s->st.vanished++;
				continue;
			}
			comm[0] = 0; /* unreadable comm: still a thread we must name */
		}
		comm[strcspn(comm, "\n")] = 0;
		comm[15] = 0; /* TASK_COMM_LEN - 1, whatever the file said */

		struct trec_task t;
		memset(&t, 0, sizeof(t));
		t.ts = s->ts;
		t.kind = TREC_TASK_SNAPSHOT;
		t.pid = (uint32_t)pid;
		t.tid = (uint32_t)tid;
		t.ppid = (uint32_t)ppid;
		t.comm = comm;
		t.filename = s->exe;
		s->st.threads++;
		if (s->cb->task && (rc = s->cb->task(s->cb->ctx, &t)) < 0) {
			trec_errf(s->err, rc, "/proc snapshot: storing thread %d of pid %d failed: %s",
				  (int)tid, (int)pid, strerror(-rc));
			break;
		}
	}
	closedir(d);
	return rc < 0 ? rc : 0;
}

static int snap_maps(struct snap *s, pid_t pid)
{
	int rc = 0, r, truncated;

	snprintf(s->path, sizeof(s->path), "%s/%d/maps", s->root, (int)pid);
	s->lr.fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (s->lr.fd < 0) {
		if (gone(errno))
			s->st.vanished++;
		else
			s->st.denied++;
		return 0;
	}
	s->lr.eof = 0;
	s->lr.err = 0;
	s->lr.len = s->lr.pos = 0;
	while ((r = next_line(&s->lr, s->line, sizeof(s->line), &truncated)) > 0) {
		struct procfs_map_line ml;
		/* a truncated line has a truncated path: useless, skip it */
		if (truncated || procfs_parse_maps_line(s->line, &ml) < 0)
			continue;
		if (!sideband_map_wanted(ml.path, ml.prot, s->exec_only))
			continue;

		struct trec_map m;
		memset(&m, 0, sizeof(m));
		m.ts = s->ts;
		m.pid = (uint32_t)pid;
		m.prot = ml.prot;
		m.flags = ml.flags;
		m.start = ml.start;
		m.len = ml.end - ml.start;
		m.pgoff = ml.pgoff;
		m.path = ml.path;
		if (ml.path[0] == '/') {
			int n = buildid_for_mapping(s->bic, pid, ml.start, ml.end, ml.path, m.build_id);
			m.build_id_len = (uint8_t)(n > 0 ? n : 0);
		}
		s->st.maps++;
		if (s->cb->map && (rc = s->cb->map(s->cb->ctx, &m)) < 0) {
			trec_errf(s->err, rc, "/proc snapshot: storing a mapping of pid %d failed: %s",
				  (int)pid, strerror(-rc));
			break;
		}
	}
	/* ESRCH from a read means the process exited while we read: normal */
	if (r < 0 && !gone(-r))
		s->st.denied++;
	close(s->lr.fd);
	s->lr.fd = -1;
	return rc < 0 ? rc : 0;
}

/* explicit: the user named this pid, so its absence is an error. */
static int snap_process(struct snap *s, pid_t pid, int explicit, struct trec_err *err)
{
	char status[4096];
	long tgid, ppid;
	int rc;

	snprintf(s->path, sizeof(s->path), "%s/%d/status", s->root, (int)pid);
	ssize_t n = read_small(s->path, status, sizeof(status));
	if (n < 0) {
		if (explicit && gone((int)-n))
			return trec_errf(err, -ESRCH, "no process with pid %d", (int)pid);
		if (explicit)
			return trec_errf(err, (int)n, "reading %s: %s", s->path, strerror((int)-n));
		if (gone((int)-n))
			s->st.vanished++;
		else
			s->st.denied++;
		return 0;
	}
	if (status_field(status, "Tgid", &tgid) < 0 || tgid <= 0 || tgid > INT_MAX)
		tgid = pid;
	if (status_field(status, "PPid", &ppid) < 0 || ppid < 0 || ppid > INT_MAX)
		ppid = 0;
	/* A thread id names its whole process (/proc/TID/task lists them all). */
	pid = (pid_t)tgid;

	snprintf(s->path, sizeof(s->path), "%s/%d/exe", s->root, (int)pid);
	ssize_t l = readlink(s->path, s->exe, sizeof(s->exe));
	if (l < 0 || (size_t)l >= sizeof(s->exe))
		l = 0; /* kernel thread, zombie, not ours, or absurdly long */
	s->exe[l] = 0;

	s->st.processes++;
	if ((rc = snap_threads(s, pid, ppid)) < 0)
		return rc;
	return snap_maps(s, pid);
}

int procfs_snapshot(const struct procfs_opts *o, const struct sideband_cb *cb,
		    struct procfs_stats *st, struct trec_err *err)
{
	struct snap *s;
	int rc = 0;

	if (!cb)
		return trec_errf(err, -EINVAL, "procfs_snapshot: no callbacks");
	if (o && o->sz < sizeof(size_t))
		return trec_errf(err, -EINVAL, "procfs_snapshot: opts.sz is not set");
	s = calloc(1, sizeof(*s));
	if (!s)
		return trec_errf(err, -ENOMEM, "/proc snapshot: out of memory");
	s->o = o;
	s->err = err;
	s->cb = cb;
	s->root = root_of(o);
	s->lr.fd = -1;
	s->exec_only = 1;
#define HAS(f) OPTS_HAS(o, f)
	if (HAS(ts) && o->ts) {
		s->ts = o->ts;
	} else {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		s->ts = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	}
	if (HAS(exec_maps_only))
		s->exec_only = o->exec_maps_only;
	if (HAS(bic) && o->bic) {
		s->bic = o->bic;
	} else if (buildid_cache_new(&s->bic) < 0) {
		free(s);
		return trec_errf(err, -ENOMEM, "/proc snapshot: out of memory");
	}

	if (HAS(pids) && HAS(npids) && o->pids) {
		/* A missing pid must not cost the others their snapshot: go on,
		 * and report the first one missing at the end. */
		int missing = 0;
		for (size_t i = 0; i < o->npids; i++) {
			struct trec_err pe = { 0 };
			if (o->pids[i] <= 0) {
				rc = trec_errf(err, -EINVAL, "invalid pid %d", (int)o->pids[i]);
				break;
			}
			rc = snap_process(s, o->pids[i], 1, &pe);
			if (rc == -ESRCH) {
				if (!missing && err)
					*err = pe;
				missing = rc;
				rc = 0;
				continue;
			}
			if (rc < 0) {
				if (pe.code && err) /* else the callback error is already in err */
					*err = pe;
				break;
			}
		}
		if (!rc)
			rc = missing;
	} else {
		DIR *d = opendir(s->root);
		if (!d) {
			rc = trec_errf(err, -errno, "opening %s: %s: is procfs mounted?", s->root,
				       strerror(errno));
		} else {
			struct dirent *de;
			while (rc == 0 && (de = readdir(d)) != NULL) {
				pid_t pid = parse_pid(de->d_name);
				if (pid)
					rc = snap_process(s, pid, 0, err);
			}
			closedir(d);
		}
	}
	if (st)
		*st = s->st;
	if (!(HAS(bic) && o->bic))
		buildid_cache_free(s->bic);
#undef HAS
	free(s);
	return rc;
}

/* ---- pids and threads ------------------------------------------------------- */

int procfs_pid_exists(pid_t pid, struct trec_err *err)
{
	char path[64];
	struct stat st;

	if (pid <= 0)
		return trec_errf(err, -EINVAL, "invalid pid %d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) < 0) {
		if (gone(errno))
			return trec_errf(err, -ESRCH, "no process with pid %d", (int)pid);
		return trec_errf(err, -errno, "checking pid %d (%s): %s", (int)pid, path,
				 strerror(errno));
	}
	return 0;
}

int procfs_tgid(pid_t pid)
{
	char path[64], status[4096];
	long tgid;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ssize_t n = read_small(path, status, sizeof(status));
	if (n < 0)
		return gone((int)-n) ? -ESRCH : (int)n;
	if (status_field(status, "Tgid", &tgid) < 0 || tgid <= 0 || tgid > INT_MAX)
		return -EINVAL;
	return (int)tgid;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int procfs_list_threads(pid_t pid, pid_t **tids, size_t *n, struct trec_err *err)
{
	char path[64];
	size_t cap = 16, cnt = 0;
	struct dirent *de;

	if (!tids || !n)
		return trec_errf(err, -EINVAL, "procfs_list_threads: no output pointers");
	*tids = NULL;
	*n = 0;
	if (pid <= 0)
		return trec_errf(err, -EINVAL, "invalid pid %d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d) {
		if (gone(errno))
			return trec_errf(err, -ESRCH, "no process with pid %d", (int)pid);
		return trec_errf(err, -errno, "listing the threads of pid %d (%s): %s", (int)pid,
				 path, strerror(errno));
	}
	pid_t *v = malloc(cap * sizeof(*v));
	if (!v) {
		closedir(d);
		return trec_errf(err, -ENOMEM, "listing threads: out of memory");
	}
	while ((de = readdir(d)) != NULL) {
		pid_t tid = parse_pid(de->d_name);
		if (!tid)
			continue;
		if (cnt == cap) {
			pid_t *nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return trec_errf(err, -ENOMEM, "listing threads: out of memory");
			}
			v = nv;
			cap *= 2;
		}
		v[cnt++] = tid;
	}
	closedir(d);
	if (!cnt) { /* a process exiting right now */
		free(v);
		return trec_errf(err, -ESRCH, "no process with pid %d", (int)pid);
	}
	qsort(v, cnt, sizeof(*v), cmp_pid);
	*tids = v;
	*n = cnt;
	return 0;
}

/* ---- CPU lists ---------------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int procfs_parse_cpu_list(const char *s, int **cpus, size_t *n)
{
	size_t cap = 0, cnt = 0;
	int *v = NULL;
	const char *p = s;

	*cpus = NULL;
	*n = 0;
	while (*p && *p != '\n') {
		char *end;
		errno = 0;
		long a = strtol(p, &end, 10), b;
		if (end == p || errno || a < 0 || a >= MAX_CPUS)
			goto bad;
		p = end;
		b = a;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (end == p || errno || b < a || b >= MAX_CPUS)
				goto bad;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			if (cnt == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				if (ncap > MAX_CPUS)
					goto bad;
				int *nv = realloc(v, ncap * sizeof(*v));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap = ncap;
			}
			v[cnt++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto bad;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_int);
	size_t u = 0; /* "0,0-1" lists cpu 0 twice; each must appear once */
	for (size_t i = 0; i < cnt; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	cnt = u;
	*cpus = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

int procfs_cpu_list(const char *path, int **cpus, size_t *n)
{
	char buf[4096];
	ssize_t len = read_small(path, buf, sizeof(buf));
	if (len < 0) {
		*cpus = NULL;
		*n = 0;
		return (int)len;
	}
	return procfs_parse_cpu_list(buf, cpus, n);
}
