/* SPDX-License-Identifier: MIT */
/*
 * DSOs under the recorded stacks, their files kept open from the first
 * mapping to the end (dsos.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debuginfo.h"
#include "dsos.h"
#include "hashmap.h"
#include "mapfile.h"
#include "ksym_bpf.h"
#include "ksyms.h"
#include "symtab.h"

/* Opens tried per DSO while no fd is kept: a file no route can find must
 * not cost an open for every process that maps it. */
#define MAX_OPEN_TRIES 4
/* Processes tried at the end for a DSO without a kept fd. */
#define MAX_LATE_TRIES 16
/* fds left to everything else (BPF objects, perf rings, the trace file)
 * when the limit is raised. */
#define FD_HEADROOM 1024

/* How a DSO is told apart from the others. */
enum dso_key {
	KEY_BUILD_ID, /* the build-id the kernel (or the file) gave */
	KEY_INODE,    /* no build-id: the file's device and inode */
	KEY_PATH,     /* no build-id, and its file could not be opened */
};

struct dso {
	char *path;
	uint8_t build_id[TREC_MAX_BUILD_ID];
	uint8_t build_id_len;
	uint8_t key;
	uint8_t route;       /* enum mapfile_route of fd */
	uint8_t open_tries;
	uint8_t used;
	uint8_t unkept;      /* past the cap when it came */
	uint64_t dev, ino;   /* KEY_INODE */
	int fd;              /* -1: none */
	int root;            /* index in roots, -1: none */
};

struct pmap {
	uint64_t start, end;
	uint32_t dso;
};

/* Every file mapping a process had during the recording (exec included:
 * user frames are resolved at the end, when the side-band has caught up,
 * and a frame is credited to every mapping that ever covered it). */
struct proc {
	uint32_t pid;
	struct pmap *maps;
	uint32_t n, cap;
	int unmapped_ips; /* user frames outside every file mapping: JIT code? */
	int root;         /* index in roots; -1 unknown, -2 not looked up yet */
};

/* A root directory as a mount namespace sees it: an O_PATH fd keeps the
 * directory and its mounts reachable after every process in it is gone. */
struct root {
	uint64_t ns_dev, ns_ino;     /* /proc/PID/ns/mnt */
	uint64_t dir_dev, dir_ino;   /* /proc/PID/root */
	int fd;
};

/* A DSO's key, as the index hashes and compares it. */
struct dso_probe {
	uint8_t key;
	const uint8_t *bid;
	size_t bid_len;
	uint64_t dev, ino;
	const char *path;
};

struct dso_tracker {
	struct dso *dsos;
	uint32_t ndsos, dsos_cap;
	struct hashmap index; /* DSO number -> itself, hashed and compared by its key */
	struct dso_probe probe; /* the key of a lookup (PROBE_KEY) */
	struct proc *procs; /* open addressing on pid; pid 0 = empty */
	uint32_t procs_cap, nprocs;
	struct root roots[DSO_TRACKER_MAX_ROOTS];
	uint32_t nroots;
	uint32_t nfds, max_fds; /* kept fds (files and roots) and their cap */
	uint32_t open_failed;
	uint32_t by_route[MAPFILE_NROUTES];
	struct hashmap kips; /* set of the kernel addresses in new stacks */
	struct pending { uint32_t pid; uint64_t ip; } *pend; /* user frames of new stacks */
	size_t npend, pend_cap;
	/* options, copied */
	char *proc;
	char *symfs;
	char **debug_dirs;
	size_t ndebug_dirs;
	int default_debug_dirs;
};

static size_t index_hash(long k, void *ctx);
static bool index_equal(long stored, long k, void *ctx);

/* ---- set-up ------------------------------------------------------------------- */

/* Raises the soft fd limit toward the hard one, enough for `want` kept
 * fds besides the headroom; returns how many we may keep: never more than
 * half the soft limit. */
static uint32_t fd_budget(uint32_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want < 256 ? want : 256;
	rlim_t need = (rlim_t)want * 2 + FD_HEADROOM;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit n = rl;
		n.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &n) == 0)
			rl = n;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 2 >= want)
		return want;
	return (uint32_t)(rl.rlim_cur / 2);
}

static int copy_opts(struct dso_tracker *t, const struct dso_tracker_opts *o)
{
#define HAS(f) (o && o->sz >= offsetof(struct dso_tracker_opts, f) + sizeof(o->f))
	uint32_t max = HAS(max_fds) && o->max_fds ? o->max_fds : DSO_TRACKER_MAX_FDS;
	t->max_fds = fd_budget(max);
	if (HAS(proc) && o->proc && !(t->proc = strdup(o->proc)))
		return -ENOMEM;
	if (HAS(symfs) && o->symfs && o->symfs[0] && !(t->symfs = strdup(o->symfs)))
		return -ENOMEM;
	t->default_debug_dirs = 1;
	if (HAS(ndebug_dirs) && o->debug_dirs) {
		t->default_debug_dirs = 0;
		size_t n = o->ndebug_dirs < DEBUGINFO_MAX_DIRS ? o->ndebug_dirs : DEBUGINFO_MAX_DIRS;
		t->debug_dirs = calloc(n ? n : 1, sizeof(*t->debug_dirs));
		if (!t->debug_dirs)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			if (!o->debug_dirs[i])
				continue;
			if (!(t->debug_dirs[t->ndebug_dirs++] = strdup(o->debug_dirs[i])))
				return -ENOMEM;
		}
	}
#undef HAS
	return 0;
}

int dso_tracker_new_opts(struct dso_tracker **out, const struct dso_tracker_opts *o)
{
	*out = NULL;
	if (o && o->sz < sizeof(size_t))
		return -EINVAL;
	struct dso_tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	hashmap_init(&t->index, index_hash, index_equal, t);
	hashmap_init(&t->kips, hashmap_int_hash, hashmap_int_equal, NULL);
	int r = copy_opts(t, o);
	if (r) {
		dso_tracker_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int dso_tracker_new(struct dso_tracker **out)
{
	return dso_tracker_new_opts(out, NULL);
}

void dso_tracker_free(struct dso_tracker *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->ndsos; i++) {
		free(t->dsos[i].path);
		if (t->dsos[i].fd >= 0)
			close(t->dsos[i].fd);
	}
	for (uint32_t i = 0; i < t->nroots; i++)
		close(t->roots[i].fd);
	for (uint32_t i = 0; i < t->procs_cap; i++)
		free(t->procs[i].maps);
	for (size_t i = 0; i < t->ndebug_dirs; i++)
		free(t->debug_dirs[i]);
	free(t->debug_dirs);
	free(t->symfs);
	free(t->proc);
	free(t->dsos);
	hashmap_clear(&t->index);
	free(t->procs);
	hashmap_clear(&t->kips);
	free(t->pend);
	free(t);
}

void dso_tracker_stats(const struct dso_tracker *t, struct dso_tracker_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!t)
		return;
	st->dsos = t->ndsos;
	for (uint32_t i = 0; i < t->ndsos; i++) {
		st->kept += t->dsos[i].fd >= 0;
		st->unkept += t->dsos[i].unkept;
	}
	st->open_failed = t->open_failed;
	st->roots = t->nroots;
	st->max_fds = t->max_fds;
	memcpy(st->by_route, t->by_route, sizeof(st->by_route));
}

/* ---- processes ---------------------------------------------------------------- */

static uint32_t hash32(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

static struct proc *proc_find(struct dso_tracker *t, uint32_t pid, int create)
{
	if (t->procs_cap) {
		for (uint32_t i = hash32(pid) & (t->procs_cap - 1);; i = (i + 1) & (t->procs_cap - 1)) {
			if (t->procs[i].pid == pid)
				return &t->procs[i];
			if (!t->procs[i].pid)
				break;
		}
	}
	if (!create)
		return NULL;
	if ((t->nprocs + 1) * 2 > t->procs_cap) {
		uint32_t cap = t->procs_cap ? t->procs_cap * 2 : 64;
		struct proc *n = calloc(cap, sizeof(*n));
		if (!n)
			return NULL;
		for (uint32_t i = 0; i < t->procs_cap; i++) {
			if (!t->procs[i].pid)
				continue;
			uint32_t j = hash32(t->procs[i].pid) & (cap - 1);
			while (n[j].pid)
				j = (j + 1) & (cap - 1);
			n[j] = t->procs[i];
		}
		free(t->procs);
		t->procs = n;
		t->procs_cap = cap;
	}
	uint32_t j = hash32(pid) & (t->procs_cap - 1);
	while (t->procs[j].pid)
		j = (j + 1) & (t->procs_cap - 1);
	t->procs[j].pid = pid;
	t->procs[j].root = -2;
	t->nprocs++;
	return &t->procs[j];
}

/* ---- roots -------------------------------------------------------------------- */

static int stat_proc(const struct dso_tracker *t, pid_t pid, const char *what, struct stat *st)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%d/%s", t->proc ? t->proc : "/proc", (int)pid, what);
	return stat(p, st);
}

/* The root of process pid as an index in t->roots (kept open), or -1. */
static int root_of(struct dso_tracker *t, pid_t pid)
{
	struct stat ns, dir, got;
	if (stat_proc(t, pid, "ns/mnt", &ns) < 0 || stat_proc(t, pid, "root", &dir) < 0)
		return -1;
	for (uint32_t i = 0; i < t->nroots; i++) {
		const struct root *r = &t->roots[i];
		if (r->ns_dev == (uint64_t)ns.st_dev && r->ns_ino == (uint64_t)ns.st_ino &&
		    r->dir_dev == (uint64_t)dir.st_dev && r->dir_ino == (uint64_t)dir.st_ino)
			return (int)i;
	}
	if (t->nroots == DSO_TRACKER_MAX_ROOTS || t->nfds >= t->max_fds)
		return -1;
	int fd = mapfile_open_root(t->proc, pid);
	if (fd < 0)
		return -1;
	/* The pid may have been reused between the stat and the open. */
	if (fstat(fd, &got) < 0 || got.st_dev != dir.st_dev || got.st_ino != dir.st_ino) {
		close(fd);
		return -1;
	}
	t->roots[t->nroots] = (struct root){ (uint64_t)ns.st_dev, (uint64_t)ns.st_ino,
					     (uint64_t)dir.st_dev, (uint64_t)dir.st_ino, fd };
	t->nfds++;
	return (int)t->nroots++;
}

static int proc_root(struct dso_tracker *t, struct proc *p)
{
	if (p->root == -2)
		p->root = root_of(t, (pid_t)p->pid);
	return p->root;
}

/* ---- DSOs --------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint32_t key_hash(uint8_t key, const uint8_t *bid, size_t bid_len, uint64_t dev, uint64_t ino,
			 const char *path)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, &key, 1);
	if (key == KEY_BUILD_ID) {
		h = fnv(h, bid, bid_len);
	} else if (key == KEY_INODE) {
		h = fnv(h, &dev, sizeof(dev));
		h = fnv(h, &ino, sizeof(ino));
	} else {
		h = fnv(h, path, strlen(path));
	}
	return hash32(h);
}

static int key_equal(const struct dso *d, uint8_t key, const uint8_t *bid, size_t bid_len, uint64_t dev,
		     uint64_t ino, const char *path)
{
	if (d->key != key)
		return 0;
	if (key == KEY_BUILD_ID)
		return d->build_id_len == bid_len && !memcmp(d->build_id, bid, bid_len);
	if (key == KEY_INODE)
		return d->dev == dev && d->ino == ino;
	return !strcmp(d->path, path);
}

/* The index's keys are DSO numbers; PROBE_KEY stands for t->probe, the
 * key a lookup asks for. */
#define PROBE_KEY (-1L)

static struct dso_probe probe_of(const struct dso_tracker *t, long k)
{
	if (k == PROBE_KEY)
		return t->probe;
	const struct dso *d = &t->dsos[k];
	return (struct dso_probe){ d->key, d->build_id, d->build_id_len, d->dev, d->ino, d->path };
}

static size_t index_hash(long k, void *ctx)
{
	struct dso_probe p = probe_of(ctx, k);
	return key_hash(p.key, p.bid, p.bid_len, p.dev, p.ino, p.path);
}

static bool index_equal(long stored, long k, void *ctx)
{
	const struct dso_tracker *t = ctx;
	struct dso_probe p = probe_of(t, k);
	return key_equal(&t->dsos[stored], p.key, p.bid, p.bid_len, p.dev, p.ino, p.path);
}

/* The DSO with this key, or -1. */
static int64_t dso_lookup(struct dso_tracker *t, uint8_t key, const uint8_t *bid, size_t bid_len, uint64_t dev,
			  uint64_t ino, const char *path)
{
	long i;
	t->probe = (struct dso_probe){ key, bid, bid_len, dev, ino, path };
	return hashmap_find(&t->index, PROBE_KEY, &i) ? (int64_t)i : -1;
}

/* A new DSO with this key, filed in the index; *idx is its index. */
static int dso_add(struct dso_tracker *t, const struct trec_map *m, uint8_t key, uint64_t dev,
		   uint64_t ino, uint32_t *idx)
{
	if (t->ndsos == t->dsos_cap) {
		uint32_t cap = t->dsos_cap ? t->dsos_cap * 2 : 64;
		struct dso *n = realloc(t->dsos, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->dsos = n;
		t->dsos_cap = cap;
	}
	struct dso *d = &t->dsos[t->ndsos];
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->root = -1;
	d->key = key;
	d->dev = dev;
	d->ino = ino;
	if (!(d->path = strdup(m->path)))
		return -ENOMEM;
	d->build_id_len = m->build_id_len > TREC_MAX_BUILD_ID ? TREC_MAX_BUILD_ID : m->build_id_len;
	memcpy(d->build_id, m->build_id, d->build_id_len);
	if (hashmap_add(&t->index, (long)t->ndsos, (long)t->ndsos)) {
		free(d->path);
		return -ENOMEM;
	}
	*idx = t->ndsos++;
	return 0;
}

static int open_mapping(const struct dso_tracker *t, const struct trec_map *m, enum mapfile_route *route)
{
	struct mapfile_query q = {
		.pid = (pid_t)m->pid,
		.start = m->start,
		.end = m->start + m->len,
		.path = m->path,
		.build_id = m->build_id,
		.build_id_len = m->build_id_len > TREC_MAX_BUILD_ID ? 0 : m->build_id_len,
		.proc = t->proc,
	};
	return mapfile_open(&q, route);
}

/* Keeps fd as the DSO's file (and its process's root), or closes it when
 * the cap is reached. */
static void dso_keep(struct dso_tracker *t, struct dso *d, int fd, enum mapfile_route route,
		     struct proc *p)
{
	if (t->nfds >= t->max_fds) {
		d->unkept = 1;
		close(fd);
		return;
	}
	d->fd = fd;
	d->route = (uint8_t)route;
	t->nfds++;
	t->by_route[route < MAPFILE_NROUTES ? route : MAPFILE_NONE]++;
	d->root = proc_root(t, p);
}

/* A DSO with a build-id: opened when it is new (or not opened yet). */
static int map_by_build_id(struct dso_tracker *t, const struct trec_map *m, struct proc *p, uint32_t *idx)
{
	size_t len = m->build_id_len > TREC_MAX_BUILD_ID ? TREC_MAX_BUILD_ID : m->build_id_len;
	int64_t i = dso_lookup(t, KEY_BUILD_ID, m->build_id, len, 0, 0, NULL);
	if (i < 0) {
		int r = dso_add(t, m, KEY_BUILD_ID, 0, 0, idx);
		if (r)
			return r;
	} else {
		*idx = (uint32_t)i;
	}
	struct dso *d = &t->dsos[*idx];
	if (d->fd >= 0 || d->unkept || d->open_tries >= MAX_OPEN_TRIES)
		return 0;
	if (t->nfds >= t->max_fds) {
		d->unkept = 1;
		return 0;
	}
	enum mapfile_route route;
	d->open_tries++;
	int fd = open_mapping(t, m, &route);
	if (fd < 0) {
		if (d->open_tries == 1)
			t->open_failed++;
		return 0;
	}
	dso_keep(t, d, fd, route, p);
	return 0;
}

/* A DSO without a build-id: its file says which one it is. */
static int map_by_inode(struct dso_tracker *t, const struct trec_map *m, struct proc *p, uint32_t *idx)
{
	enum mapfile_route route;
	struct stat st;
	int fd = open_mapping(t, m, &route);
	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		int64_t i = dso_lookup(t, KEY_PATH, NULL, 0, 0, 0, m->path);
		if (i >= 0) {
			*idx = (uint32_t)i;
			return 0;
		}
		t->open_failed++;
		return dso_add(t, m, KEY_PATH, 0, 0, idx);
	}
	int64_t i = dso_lookup(t, KEY_INODE, NULL, 0, (uint64_t)st.st_dev, (uint64_t)st.st_ino, NULL);
	if (i >= 0) {
		close(fd);
		*idx = (uint32_t)i;
		return 0;
	}
	int r = dso_add(t, m, KEY_INODE, (uint64_t)st.st_dev, (uint64_t)st.st_ino, idx);
	if (r) {
		close(fd);
		return r;
	}
	dso_keep(t, &t->dsos[*idx], fd, route, p);
	return 0;
}

static int proc_add_map(struct proc *p, uint64_t start, uint64_t end, uint32_t di)
{
	for (uint32_t k = 0; k < p->n; k++)
		if (p->maps[k].start == start && p->maps[k].end == end && p->maps[k].dso == di)
			return 0; /* the snapshot and the side-band may both report it */
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		struct pmap *n = realloc(p->maps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->maps = n;
		p->cap = cap;
	}
	p->maps[p->n++] = (struct pmap){ start, end, di };
	return 0;
}

int dso_tracker_map(struct dso_tracker *t, const struct trec_map *m)
{
	/* Only files can be symbolized from the file system ([vdso] and
	 * anonymous memory cannot). */
	if (!m->path || m->path[0] != '/' || !m->len || m->start + m->len < m->start)
		return 0;
	struct proc *p = proc_find(t, m->pid, 1);
	if (!p)
		return -ENOMEM;
	uint32_t di;
	int r = m->build_id_len ? map_by_build_id(t, m, p, &di) : map_by_inode(t, m, p, &di);
	if (r)
		return r;
	return proc_add_map(p, m->start, m->start + m->len, di);
}

/* The DSO a mapping was filed under, or -1. */
static int64_t dso_of_mapping(struct dso_tracker *t, const struct trec_map *m)
{
	struct proc *p = proc_find(t, m->pid, 0);
	if (!p)
		return -1;
	uint64_t end = m->start + m->len;
	/* the latest: an exec may have put another file at the same place */
	for (uint32_t k = p->n; k-- > 0;)
		if (p->maps[k].start == m->start && p->maps[k].end == end)
			return p->maps[k].dso;
	return -1;
}

int dso_tracker_fd(struct dso_tracker *t, const struct trec_map *m)
{
	if (!t || !m || !m->path)
		return -EINVAL;
	int64_t i = dso_of_mapping(t, m);
	if (i < 0)
		return -ENOENT;
	const struct dso *d = &t->dsos[i];
	if (d->fd >= 0) {
		int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	return open_mapping(t, m, NULL);
}

/* ---- stacks ------------------------------------------------------------------ */

static int kip_add(struct dso_tracker *t, uint64_t ip)
{
	if (!ip)
		return 0;
	return hashmap_set(&t->kips, (long)ip, 0, NULL, NULL) < 0 ? -ENOMEM : 0;
}

int dso_tracker_stack(struct dso_tracker *t, uint32_t pid, const uint64_t *ips, uint16_t nkernel,
		      uint16_t nuser)
{
	for (uint16_t i = 0; i < nkernel; i++) {
		int r = kip_add(t, ips[i]);
		if (r)
			return r;
	}
	for (uint16_t i = 0; i < nuser; i++) {
		uint64_t ip = ips[nkernel + i];
		if (!ip)
			continue;
		if (t->npend == t->pend_cap) {
			size_t cap = t->pend_cap ? t->pend_cap * 2 : 1024;
			struct pending *n = realloc(t->pend, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			t->pend = n;
			t->pend_cap = cap;
		}
		t->pend[t->npend++] = (struct pending){ pid, ip };
	}
	return 0;
}

/* Marks the DSOs under the user frames noted so far. */
static int resolve_user_frames(struct dso_tracker *t)
{
	for (size_t i = 0; i < t->npend; i++) {
		struct proc *p = proc_find(t, t->pend[i].pid, 1);
		if (!p)
			return -ENOMEM;
		uint64_t ip = t->pend[i].ip;
		int found = 0;
		for (uint32_t k = 0; k < p->n; k++) {
			if (ip >= p->maps[k].start && ip < p->maps[k].end) {
				t->dsos[p->maps[k].dso].used = 1;
				found = 1;
			}
		}
		if (!found)
			p->unmapped_ips = 1;
	}
	t->npend = 0;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int write_kernel(struct dso_tracker *t, struct trec_writer *w, struct dso_write_stats *st,
			struct trec_err *err)
{
	size_t nkips = hashmap_size(&t->kips);
	if (!nkips)
		return 0;
	struct tarena a;
	tarena_init(&a);
	struct trec_ksym *all = NULL, *sub = NULL;
	size_t n = 0, nsub = 0;
	uint64_t *ips = malloc(nkips * sizeof(*ips));
	int r = ips ? 0 : -ENOMEM;
	if (!r) {
		size_t k = 0;
		long ip, unused;
		hashmap_for_each(&t->kips, pos, ip, unused)
			ips[k++] = (uint64_t)ip;
		qsort(ips, k, sizeof(*ips), cmp_u64);
		/* The kernel names the few addresses a trace needs far more
		 * cheaply than it formats all of kallsyms; kallsyms is the
		 * fallback where it cannot. */
		if (ksym_bpf_subset(ips, k, &a, &sub, &nsub)) {
			sub = NULL;
			nsub = 0;
			r = symtab_read_kallsyms("/proc/kallsyms", &a, &all, &n, err);
			if (!r)
				r = ksyms_kernel_subset(all, n, ips, nkips, &a, &sub, &nsub);
		}
	}
	if (!r && nsub)
		r = trec_writer_add_ksyms(w, sub, nsub);
	if (!r)
		st->ksyms += nsub;
	free(ips);
	tarena_free(&a);
	/* Without kallsyms (kptr_restrict, no root) kernel frames stay
	 * addresses; that is a warning, not a failed recording. */
	if (r && r != -ENOMEM) {
		st->ksyms_failed = 1;
		r = 0;
	}
	return r;
}

/* ---- writing ------------------------------------------------------------------ */

/* A DSO without a kept fd, at the end: through any process that still
 * maps it. *root: that process's root index, or -1. */
static int open_late(struct dso_tracker *t, uint32_t di, int *root)
{
	const struct dso *d = &t->dsos[di];
	int tries = 0, best = -ENOENT;
	*root = -1;
	for (uint32_t i = 0; i < t->procs_cap && tries < MAX_LATE_TRIES; i++) {
		struct proc *p = &t->procs[i];
		for (uint32_t k = 0; p->pid && k < p->n && tries < MAX_LATE_TRIES; k++) {
			if (p->maps[k].dso != di)
				continue;
			tries++;
			struct trec_map m = { .pid = p->pid, .start = p->maps[k].start,
					      .len = p->maps[k].end - p->maps[k].start, .path = d->path,
					      .build_id_len = d->build_id_len };
			memcpy(m.build_id, d->build_id, d->build_id_len);
			int fd = open_mapping(t, &m, NULL);
			if (fd >= 0) {
				*root = proc_root(t, p);
				return fd;
			}
			best = fd;
		}
	}
	return best;
}

/* The binary's table, or its debug file's when that one is fuller. */
static int write_table(struct dso_tracker *t, struct trec_writer *w, int fd, const char *path, int root,
		       const struct trec_dso_syms *syms, struct dso_write_stats *st, struct trec_err *err)
{
	struct debuginfo_opts o = { .sz = sizeof(o), .symfs = t->symfs };
	if (!t->default_debug_dirs) {
		o.debug_dirs = (const char *const *)t->debug_dirs;
		o.ndebug_dirs = t->ndebug_dirs;
	}
	struct debuginfo_target dt = { .fd = fd, .path = path, .rootfd = root >= 0 ? t->roots[root].fd : -1,
				       .syms = syms };
	struct tarena a;
	struct trec_dso_syms dbg;
	tarena_init(&a);
	int dr = debuginfo_read(&o, &dt, &a, &dbg, NULL, err);
	int r = dr < 0 ? dr : trec_writer_add_dso_syms(w, dr == 1 ? &dbg : syms);
	if (!r) {
		st->dsos++;
		st->syms += dr == 1 ? dbg.nsyms : syms->nsyms;
		st->debugfiles += dr == 1;
	}
	tarena_free(&a);
	return r;
}

static int write_dso(struct dso_tracker *t, uint32_t di, struct symtab_cache *cache, struct trec_writer *w,
		     struct dso_write_stats *st, struct trec_err *err)
{
	const struct dso *d = &t->dsos[di];
	int root = d->root, fd = d->fd, own = -1;
	if (fd < 0)
		fd = own = open_late(t, di, &root);
	const struct trec_dso_syms *syms = NULL;
	int got = fd >= 0 ? symtab_cache_get(cache, d->path, fd, &syms) : fd;
	int r = 0;
	if (got < 0 || !syms)
		st->dsos_failed++; /* the report names its frames dso+offset */
	else if (got > 0)
		r = write_table(t, w, fd, d->path, root, syms, st, err);
	/* got == 0: the same table under another path, written once */
	if (own >= 0)
		close(own);
	return r;
}

void dso_tracker_reset_used(struct dso_tracker *t)
{
	for (uint32_t i = 0; i < t->ndsos; i++)
		t->dsos[i].used = 0;
	for (uint32_t i = 0; i < t->procs_cap; i++)
		t->procs[i].unmapped_ips = 0;
	hashmap_reset(&t->kips);
	t->npend = 0;
}

int dso_tracker_write(struct dso_tracker *t, struct trec_writer *w, struct dso_write_stats *st,
		      struct trec_err *err)
{
	memset(st, 0, sizeof(*st));
	int r = resolve_user_frames(t);
	if (r)
		return trec_errf(err, r, "out of memory");
	struct symtab_cache *cache;
	r = symtab_cache_new(&cache);
	if (r)
		return trec_errf(err, r, "out of memory");
	for (uint32_t i = 0; !r && i < t->ndsos; i++)
		if (t->dsos[i].used)
			r = write_dso(t, i, cache, w, st, err);
	symtab_cache_free(cache);
	if (!r)
		r = write_kernel(t, w, st, err);
	for (uint32_t i = 0; !r && i < t->procs_cap; i++) {
		struct proc *p = &t->procs[i];
		if (!p->pid || !p->unmapped_ips)
			continue;
		struct tarena a;
		tarena_init(&a);
		struct trec_dso_syms jit;
		if (symtab_read_perfmap((int)p->pid, &a, &jit, NULL) == 0) {
			r = trec_writer_add_dso_syms(w, &jit);
			st->perfmaps++;
		}
		tarena_free(&a);
	}
	if (r && !(err && err->code))
		trec_errf(err, r, "writing symbol tables: %s", strerror(-r));
	return r;
}
