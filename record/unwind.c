/* SPDX-License-Identifier: MIT */
/*
 * The unwind-table loader (unwind.h). Two threads meet here:
 *
 *  - the recorder's main thread calls unwind_on_map / unwind_on_task while
 *    it drains the side-band; they only copy the record into a queue;
 *  - the loader thread takes the queue in batches: it applies the records
 *    to its copy of every process's mappings, writes the processes that
 *    changed to the kernel (so their frames find their mappings at once,
 *    with tables still marked pending), then compiles the binaries it has
 *    not seen before and publishes each table when its rows are in place.
 *
 * Side-band records arrive per CPU ring, so one process's records can come
 * out of order across rings: each mapping keeps its timestamp, and an exec
 * removes only the mappings older than itself, a fork copies only the
 * parent's mappings older than itself.
 *
 * The loader's mirror of each process's mappings and the statistics are in
 * unwind_state.c; the types both files share in unwind_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "buildid.h"
#include "cfi.h"
#include "ldcache.h"
#include "mapfile.h"
#include "unwind.h"
#include "unwind_int.h"
#include "unwind_abi.h"
#include "unwind_hooks.skel.h"

/* Messages queued before the loader drops new ones (a burst of execs on a
 * busy host can queue thousands; each is ~150 bytes). */
#define MAX_QUEUED 262144
/* Messages queued before the loader is woken without waiting for unwind_flush. */
#define FLUSH_EVERY 256
/* Rows of one table at most: the largest binaries have ~2M. */
#define MAX_TABLE_ROWS (16u << 20)
#define MAX_SEGS 16

enum msg_kind { MSG_MAP, MSG_FORK, MSG_EXEC, MSG_EXIT, MSG_SYNC, MSG_PRELOAD };

struct msg {
	struct msg *next;
	enum msg_kind kind;
	int fd; /* MSG_MAP: the mapped file, or -1 */
	uint64_t ts;
	uint32_t pid, ppid, tid;
	uint64_t start, len, pgoff;
	uint8_t bid_len;
	uint8_t bid[TREC_MAX_BUILD_ID];
	char path[]; /* MSG_MAP, MSG_PRELOAD */
};

/* ---- maps ------------------------------------------------------------------ */

static int create_map(enum bpf_map_type type, const char *name, uint32_t value_size, uint32_t max, uint32_t flags,
		      struct trec_err *err)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = flags);
	int fd = bpf_map_create(type, name, sizeof(uint32_t), value_size, max, &mo);
	if (fd < 0) {
		int e = -errno;
		return trec_errf(err, e, "creating the unwinder's %s map (%u entries of %u bytes): %s", name, max,
				 value_size, e == -ENOMEM ? "out of memory: lower --unwind-mem" : strerror(-e));
	}
	return fd;
}

/* Rows per chunk (bpf/unwind.bpf.h): 64K rows (512 KiB), or the whole
 * budget when it is smaller, so a small --unwind-mem still bounds what is
 * allocated. Small enough that a process's few tables take a MiB or two
 * (allocating and zeroing the old single 32 MiB array cost 6-10 ms of
 * every recording); a chunk costs three system calls. */
#define CHUNK_SHIFT_MAX 16

static uint32_t chunk_shift_for(uint64_t budget_rows)
{
	uint32_t sh = CHUNK_SHIFT_MAX;
	while (sh > 10 && (1ull << sh) > budget_rows)
		sh--;
	return sh;
}

static int create_chunk(struct unwind *uw, struct trec_err *err)
{
	/* BPF object names hold 15 characters; the chunk number is in bpftool's id order */
	return create_map(BPF_MAP_TYPE_ARRAY, "uw_rows_chunk", sizeof(struct trec_uw_row), 1u << uw->chunk_shift,
			  BPF_F_MMAPABLE, err);
}

/* Puts chunk fd in its place: in the outer map, and in our address range. */
static int install_chunk(struct unwind *uw, int fd, struct trec_err *err)
{
	size_t len = (size_t)sizeof(struct trec_uw_row) << uw->chunk_shift;
	uint32_t k = uw->chunks;
	void *at = (char *)uw->rows + (size_t)k * len;
	if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		return trec_errf(err, -errno, "mapping unwind rows chunk %u: %s", k, strerror(errno));
	if (bpf_map_update_elem(uw->rows_fd, &k, &fd, BPF_ANY)) {
		int e = -errno;
		/* Back to reserved-only: no stray pages behind a chunk the kernel does not see. */
		mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		return trec_errf(err, e, "installing unwind rows chunk %u: %s", k, strerror(-e));
	}
	uw->chunks++;
	pthread_mutex_lock(&uw->stats_mu);
	uw->st.rows_allocated = (uint64_t)uw->chunks << uw->chunk_shift;
	pthread_mutex_unlock(&uw->stats_mu);
	return 0;
}

/* Chunks for rows [0, end): 0, or negative errno (out of memory: the
 * table that asked is then over the budget). Loader thread. */
static int rows_reserve(struct unwind *uw, uint64_t end)
{
	while ((uint64_t)uw->chunks << uw->chunk_shift < end) {
		if (uw->chunks >= uw->chunks_max)
			return -ENOSPC;
		struct trec_err e = { 0 };
		int fd = create_chunk(uw, &e);
		if (fd < 0)
			return fd;
		int r = install_chunk(uw, fd, &e);
		close(fd); /* the outer map and the mapping keep it */
		if (r)
			return r;
	}
	return 0;
}

/* A wake-up call carries nothing to act on: being woken is the point. */
static int kick_seen(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

int unwind_new(struct unwind **out, const struct unwind_opts *o, struct trec_err *err)
{
	*out = NULL;
#if !defined(__x86_64__)
	return trec_errf(err, -EOPNOTSUPP, "unwinding by .eh_frame tables supports x86-64 only: use --call-graph fp");
#endif
	uint64_t budget = o && o->budget ? o->budget : UNWIND_DEFAULT_BUDGET;
	uint64_t nrows = budget / sizeof(struct trec_uw_row);
	if (nrows < 1024 || nrows > (1ull << 31))
		return trec_errf(err, -EINVAL, "--unwind-mem: %llu bytes is outside 8 KiB .. 16 GiB",
				 (unsigned long long)budget);
	uint32_t shift = chunk_shift_for(nrows);
	if (o && o->chunk_shift) {
		if (o->chunk_shift < 10 || o->chunk_shift > CHUNK_SHIFT_MAX)
			return trec_errf(err, -EINVAL, "unwind: chunk_shift %u is outside 10..%u", o->chunk_shift,
					 CHUNK_SHIFT_MAX);
		if (o->chunk_shift < shift)
			shift = o->chunk_shift;
	}
	struct unwind *uw = calloc(1, sizeof(*uw));
	if (!uw)
		return trec_errf(err, -ENOMEM, "out of memory");
	uw->rows_fd = uw->tables_fd = uw->procs_fd = uw->stats_fd = uw->kick_fd = uw->inodes_fd = -1;
	uw->rows = MAP_FAILED;
	pthread_mutex_init(&uw->mu, NULL);
	pthread_mutex_init(&uw->stats_mu, NULL);
	pthread_cond_init(&uw->wake, NULL);
	pthread_cond_init(&uw->synced, NULL);
	uw->next_table = 1;
	uw->max_procs = o && o->max_procs ? o->max_procs : UNWIND_DEFAULT_PROCS;
	uw->chunk_shift = shift;
	uw->chunks_max = (uint32_t)(nrows >> uw->chunk_shift);
	uw->rows_cap = uw->chunks_max << uw->chunk_shift;
	uw->st.rows_capacity = uw->rows_cap;
	int r, chunk0 = -1;
	/* The first chunk now: the outer map takes its shape from it, and
	 * nearly every recording that unwinds fills it. */
	if ((r = chunk0 = create_chunk(uw, err)) < 0)
		goto fail;
	{
		LIBBPF_OPTS(bpf_map_create_opts, ro, .inner_map_fd = chunk0);
		uw->rows_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "uw_rows", sizeof(uint32_t), sizeof(uint32_t),
					     uw->chunks_max, &ro);
		if (uw->rows_fd < 0) {
			r = trec_errf(err, -errno, "creating the unwinder's uw_rows map: %s", strerror(errno));
			goto fail;
		}
	}
	if ((r = uw->tables_fd = create_map(BPF_MAP_TYPE_ARRAY, "uw_tables", sizeof(struct trec_uw_table),
					    UNWIND_MAX_TABLES, 0, err)) < 0 ||
	    (r = uw->procs_fd = create_map(BPF_MAP_TYPE_HASH, "uw_procs", sizeof(struct trec_uw_proc),
					   uw->max_procs, BPF_F_NO_PREALLOC, err)) < 0 ||
	    (r = uw->stats_fd = create_map(BPF_MAP_TYPE_PERCPU_ARRAY, "uw_stats", sizeof(uint64_t),
					   TREC_UW_ST_COUNT, 0, err)) < 0)
		goto fail;
	{
		LIBBPF_OPTS(bpf_map_create_opts, io, .map_flags = BPF_F_NO_PREALLOC);
		uw->inodes_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "uw_inodes", sizeof(struct trec_uw_inode),
					       sizeof(uint32_t), 2 * UNWIND_MAX_TABLES, &io);
		if (uw->inodes_fd < 0) {
			r = trec_errf(err, -errno, "creating the unwinder's uw_inodes map: %s", strerror(errno));
			goto fail;
		}
	}
	{
		LIBBPF_OPTS(bpf_map_create_opts, ko);
		uw->kick_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "uw_kick", 0, 0, 4096, &ko);
		if (uw->kick_fd < 0) {
			r = trec_errf(err, -errno, "creating the unwinder's wake-up ring: %s", strerror(errno));
			goto fail;
		}
		uw->kick = ring_buffer__new(uw->kick_fd, kick_seen, NULL, NULL);
		if (!uw->kick) {
			r = trec_errf(err, -errno, "opening the unwinder's wake-up ring: %s", strerror(errno));
			goto fail;
		}
	}
	uw->rows_map_len = (size_t)uw->rows_cap * sizeof(struct trec_uw_row);
	uw->rows = mmap(NULL, uw->rows_map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (uw->rows == MAP_FAILED) {
		r = trec_errf(err, -errno, "reserving address space for the unwind rows: %s", strerror(errno));
		goto fail;
	}
	if ((r = install_chunk(uw, chunk0, err)))
		goto fail;
	close(chunk0);
	*out = uw;
	return 0;
fail:
	if (chunk0 >= 0)
		close(chunk0);
	unwind_free(uw);
	return r;
}

uint32_t unwind_chunk_shift(const struct unwind *uw)
{
	return uw ? uw->chunk_shift : 0;
}

int unwind_share(struct unwind *uw, struct bpf_object *obj, struct trec_err *err)
{
	const struct {
		const char *name;
		int fd;
	} shared[] = {
		{ "uw_rows", uw->rows_fd },
		{ "uw_tables", uw->tables_fd },
		{ "uw_procs", uw->procs_fd },
		{ "uw_stats", uw->stats_fd },
		{ "uw_kick", uw->kick_fd },
		{ "uw_inodes", uw->inodes_fd },
	};
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, shared[i].name);
		int r = m ? bpf_map__reuse_fd(m, shared[i].fd) : -ENOENT;
		if (r)
			return trec_errf(err, r, "sharing the unwinder's %s map with %s: %s", shared[i].name,
					 bpf_object__name(obj), strerror(-r));
	}
	return 0;
}

int unwind_map_fd(const struct unwind *uw, const char *name)
{
	if (!strcmp(name, "uw_rows"))
		return uw->rows_fd;
	if (!strcmp(name, "uw_tables"))
		return uw->tables_fd;
	if (!strcmp(name, "uw_procs"))
		return uw->procs_fd;
	if (!strcmp(name, "uw_stats"))
		return uw->stats_fd;
	if (!strcmp(name, "uw_kick"))
		return uw->kick_fd;
	if (!strcmp(name, "uw_inodes"))
		return uw->inodes_fd;
	return -ENOENT;
}

int unwind_kick_fd(const struct unwind *uw)
{
	return uw ? ring_buffer__epoll_fd(uw->kick) : -1;
}

void unwind_kick_consume(struct unwind *uw)
{
	if (uw)
		ring_buffer__consume(uw->kick);
}

/* ---- the queue (main thread side) -------------------------------------------- */

static void enqueue(struct unwind *uw, struct msg *m)
{
	pthread_mutex_lock(&uw->mu);
	if (uw->queued >= MAX_QUEUED && m->kind != MSG_SYNC) {
		pthread_mutex_unlock(&uw->mu);
		if (m->kind == MSG_MAP && m->fd >= 0)
			close(m->fd);
		free(m);
		pthread_mutex_lock(&uw->stats_mu);
		uw->st.queue_dropped++;
		pthread_mutex_unlock(&uw->stats_mu);
		return;
	}
	m->next = NULL;
	if (uw->tail)
		uw->tail->next = m;
	else
		uw->head = m;
	uw->tail = m;
	uw->queued++;
	/* The loader is woken once per batch (unwind_flush), not per message:
	 * a process start reports dozens of mappings, and a wake-up each cost
	 * a context switch each. A long batch, or a sync, wakes it at once. */
	if (++uw->unsignaled >= FLUSH_EVERY || m->kind == MSG_SYNC) {
		uw->unsignaled = 0;
		pthread_cond_signal(&uw->wake);
	}
	pthread_mutex_unlock(&uw->mu);
}

void unwind_flush(struct unwind *uw)
{
	if (!uw || !uw->started)
		return;
	pthread_mutex_lock(&uw->mu);
	if (uw->unsignaled) {
		uw->unsignaled = 0;
		pthread_cond_signal(&uw->wake);
	}
	pthread_mutex_unlock(&uw->mu);
}

/* Files (absolute paths) and the vDSO have unwind tables; anonymous memory
 * (JIT code) is walked by frame pointers. */
static int map_wanted(const struct trec_map *m)
{
	return (m->prot & PROT_EXEC) && m->len && (m->path[0] == '/' || !strcmp(m->path, "[vdso]"));
}

static int cmp_bid(const void *a, const void *b)
{
	const uint8_t *x = a, *y = b; /* length byte, then the id */
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return memcmp(x + 1, y + 1, x[0]);
}

int unwind_wants_file(struct unwind *uw, const struct trec_map *m)
{
	if (!uw || !map_wanted(m) || m->path[0] != '/')
		return 0;
	if (!m->build_id_len)
		return 1; /* known only by its inode: the loader must see the file */
	uint8_t key[1 + TREC_MAX_BUILD_ID];
	key[0] = m->build_id_len > TREC_MAX_BUILD_ID ? TREC_MAX_BUILD_ID : m->build_id_len;
	memcpy(key + 1, m->build_id, key[0]);
	if (tfind(key, &uw->handed, cmp_bid))
		return 0;
	uint8_t *k = malloc(1u + key[0]);
	if (!k)
		return 1;
	memcpy(k, key, 1u + key[0]);
	if (!tsearch(k, &uw->handed, cmp_bid))
		free(k);
	return 1;
}

void unwind_on_map(struct unwind *uw, const struct trec_map *m, int fd)
{
	if (!uw || !map_wanted(m)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t plen = strnlen(m->path, 4096);
	struct msg *q = calloc(1, sizeof(*q) + plen + 1);
	if (!q) {
		if (fd >= 0)
			close(fd);
		return;
	}
	q->fd = fd;
	q->kind = MSG_MAP;
	q->ts = m->ts;
	q->pid = m->pid;
	q->start = m->start;
	q->len = m->len;
	q->pgoff = m->pgoff;
	q->bid_len = m->build_id_len > TREC_MAX_BUILD_ID ? TREC_MAX_BUILD_ID : m->build_id_len;
	memcpy(q->bid, m->build_id, q->bid_len);
	memcpy(q->path, m->path, plen);
	enqueue(uw, q);
}

void unwind_on_task(struct unwind *uw, const struct trec_task *t)
{
	if (!uw)
		return;
	enum msg_kind k;
	switch (t->kind) {
	case TREC_TASK_FORK:
		if (t->pid == t->ppid)
			return; /* a new thread of the same process */
		k = MSG_FORK;
		break;
	case TREC_TASK_EXEC:
		k = MSG_EXEC;
		break;
	case TREC_TASK_EXIT:
		if (t->tid != t->pid)
			return; /* a thread: the process lives on */
		k = MSG_EXIT;
		break;
	default:
		return;
	}
	struct msg *q = calloc(1, sizeof(*q));
	if (!q)
		return;
	q->kind = k;
	q->fd = -1;
	q->ts = t->ts;
	q->pid = t->pid;
	q->ppid = t->ppid;
	q->tid = t->tid;
	enqueue(uw, q);
}

void unwind_preload(struct unwind *uw, const char *path)
{
	if (!uw || !path)
		return;
	size_t plen = strnlen(path, 4096);
	struct msg *q = calloc(1, sizeof(*q) + plen + 1);
	if (!q)
		return;
	q->kind = MSG_PRELOAD;
	q->fd = -1;
	memcpy(q->path, path, plen);
	enqueue(uw, q);
}

void unwind_sync(struct unwind *uw)
{
	if (!uw || !uw->started)
		return;
	struct msg *q = calloc(1, sizeof(*q));
	if (!q)
		return;
	q->kind = MSG_SYNC;
	q->fd = -1;
	pthread_mutex_lock(&uw->mu);
	uint64_t ticket = ++uw->sync_asked;
	pthread_mutex_unlock(&uw->mu);
	enqueue(uw, q);
	pthread_mutex_lock(&uw->mu);
	while (uw->sync_done < ticket && !uw->stop)
		pthread_cond_wait(&uw->synced, &uw->mu);
	pthread_mutex_unlock(&uw->mu);
}

/* ---- tables (loader thread) ------------------------------------------------------- */

static int cmp_table(const void *a, const void *b)
{
	const struct tkey *x = &((const struct table *)a)->key, *y = &((const struct table *)b)->key;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->id, y->id, x->len);
}

static void table_publish(struct unwind *uw, struct table *t, uint32_t first, uint32_t count)
{
	struct trec_uw_table v = { .first = first, .count = count, .state = t->state };
	bpf_map_update_elem(uw->tables_fd, &t->id, &v, BPF_ANY);
}

/* The file behind a mapping, as its process sees it (record/mapfile.h):
 * never a host file a container's symlink points at. */
static int open_mapped(const struct msg *m)
{
	struct mapfile_query q = { .pid = (pid_t)m->pid, .start = m->start, .end = m->start + m->len,
				   .path = m->path, .build_id = m->bid_len ? m->bid : NULL,
				   .build_id_len = m->bid_len };
	return mapfile_open(&q, NULL);
}

/* Our own vDSO, written to a memfd: every process of this kernel maps the
 * same image. */
static int open_vdso(void)
{
	const uint8_t *img = (const uint8_t *)getauxval(AT_SYSINFO_EHDR);
	if (!img)
		return -ENOENT;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	char line[512];
	unsigned long long lo = 0, hi = 0;
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vdso]") && sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
		    lo == (unsigned long long)(uintptr_t)img) {
			found = 1;
			break;
		}
	}
	fclose(f);
	if (!found || hi <= lo || hi - lo > (1u << 20))
		return -ENOENT;
	int fd = memfd_create("trec-vdso", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, img, hi - lo) != (ssize_t)(hi - lo)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Where the kernel's frames can find a table by inode (uw_inodes): the
 * file's device as the kernel encodes it, and its inode number. */
static void table_add_inode(struct unwind *uw, int fd, uint32_t id)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return;
	struct trec_uw_inode k = { .ino = st.st_ino,
				   .dev = (uint32_t)(major(st.st_dev) << 20 | (minor(st.st_dev) & 0xfffff)) };
	bpf_map_update_elem(uw->inodes_fd, &k, &id, BPF_ANY);
}

/* The key of a file without a build-id: its identity and version. */
static int file_key(int fd, struct tkey *k)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return -ENOENT;
	uint64_t id[4] = { st.st_dev, st.st_ino, (uint64_t)st.st_size,
			   (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec };
	k->kind = KEY_FILE;
	k->len = sizeof(id);
	memcpy(k->id, id, sizeof(id));
	return 0;
}

static void count_failed(struct unwind *uw)
{
	pthread_mutex_lock(&uw->stats_mu);
	uw->st.tables_failed++;
	pthread_mutex_unlock(&uw->stats_mu);
}

/*
 * The table of `key`: found, or registered now as pending with `fd` (taken
 * over: kept until compiled, or closed) so the next batch compiles it.
 * `open_later` opens the file when fd < 0 and the table is new. 0 when
 * there is none (the directory is full, out of memory).
 */
static uint32_t table_register(struct unwind *uw, const struct tkey *key, int fd, const char *name,
			       int (*open_later)(const void *), const void *arg)
{
	struct table k;
	memset(&k, 0, sizeof(k));
	k.key = *key;
	void *f = tfind(&k, &uw->tables, cmp_table);
	if (f) {
		uint32_t id = (*(struct table **)f)->id;
		table_add_inode(uw, fd, id); /* another copy of the same build */
		if (fd >= 0)
			close(fd);
		return id;
	}
	if (uw->next_table >= UNWIND_MAX_TABLES) {
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&uw->stats_mu);
		uw->st.tables_budget++;
		pthread_mutex_unlock(&uw->stats_mu);
		return 0;
	}
	if (fd < 0 && open_later)
		fd = open_later(arg);
	struct table *t = calloc(1, sizeof(*t));
	char *dup = strdup(name);
	if (!t || !dup || (uw->npending == uw->pending_cap && uw->pending_cap > SIZE_MAX / 2 / sizeof(*uw->pending)))
		goto fail;
	if (uw->npending == uw->pending_cap) {
		size_t cap = uw->pending_cap ? uw->pending_cap * 2 : 64;
		struct table **n = realloc(uw->pending, cap * sizeof(*n));
		if (!n)
			goto fail;
		uw->pending = n;
		uw->pending_cap = cap;
	}
	t->key = *key;
	t->id = uw->next_table++;
	t->fd = fd;
	t->name = dup;
	t->state = fd >= 0 ? TREC_UW_TABLE_PENDING : TREC_UW_TABLE_NONE;
	if (!tsearch(t, &uw->tables, cmp_table))
		goto fail;
	if (fd < 0) {
		count_failed(uw);
	} else {
		uw->pending[uw->npending++] = t;
		table_add_inode(uw, fd, t->id);
	}
	if (key->kind == KEY_VDSO) {
		/* The vDSO has no file: the kernel side finds its table at
		 * inode 0 of device 0. */
		struct trec_uw_inode vk = { 0 };
		bpf_map_update_elem(uw->inodes_fd, &vk, &t->id, BPF_ANY);
	}
	table_publish(uw, t, 0, 0);
	return t->id;
fail:
	free(t);
	free(dup);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int open_msg_file(const void *arg)
{
	const struct msg *m = arg;
	return !strcmp(m->path, "[vdso]") ? open_vdso() : open_mapped(m);
}

/* The table of a mapping: found by key, or registered as pending (its
 * file opened now, while the process surely exists). 0 when none. */
static uint32_t table_for(struct unwind *uw, struct msg *m)
{
	struct tkey key;
	memset(&key, 0, sizeof(key));
	int fd = m->fd; /* ours now */
	m->fd = -1;
	if (!strcmp(m->path, "[vdso]")) {
		key.kind = KEY_VDSO;
	} else if (m->bid_len) {
		key.kind = KEY_BUILD_ID;
		key.len = m->bid_len;
		memcpy(key.id, m->bid, m->bid_len);
	} else {
		/* No build-id: the file's identity, which needs the file. */
		if (fd < 0)
			fd = open_mapped(m);
		if (file_key(fd, &key)) {
			if (fd >= 0)
				close(fd);
			count_failed(uw);
			return 0;
		}
	}
	return table_register(uw, &key, fd, m->path, open_msg_file, m);
}

struct seg {
	uint64_t vaddr, off, size;
};

/* The executable PT_LOAD segments of an ELF file: rows are converted from
 * addresses to file offsets through them. */
static int exec_segments(int fd, struct seg *segs, size_t *n)
{
	*n = 0;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return -ENOEXEC;
	size_t np = 0;
	int r = 0;
	if (elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &np) || np > 65536)
		r = -ENOEXEC;
	for (size_t i = 0; !r && i < np && *n < MAX_SEGS; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph)) {
			r = -ENOEXEC;
			break;
		}
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || !ph.p_filesz)
			continue;
		segs[(*n)++] = (struct seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
	}
	elf_end(e);
	return r;
}

static void put_row(struct trec_uw_row *out, uint32_t *n, uint64_t off, uint32_t rule)
{
	if (*n && out[*n - 1].pc == off) {
		out[*n - 1].rule = rule; /* the later rule wins at one offset */
		if (*n > 1 && out[*n - 2].rule == rule)
			(*n)--;
		return;
	}
	if (*n && out[*n - 1].rule == rule)
		return;
	out[*n].pc = (uint32_t)off;
	out[*n].rule = rule;
	(*n)++;
}

/* Rows of one segment, as file offsets, into out (room for nrows + 2). */
static void convert_segment(const struct cfi_table *ct, const struct seg *s, struct trec_uw_row *out, uint32_t *n)
{
	uint64_t vend = s->vaddr + s->size, bias = s->vaddr - s->off;
	/* The rule in force at the segment's start, then every row inside. */
	size_t lo = 0, hi = ct->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ct->rows[mid].pc <= s->vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t first = lo ? ct->rows[lo - 1].rule : TREC_UW_NONE;
	put_row(out, n, s->off, first);
	for (size_t i = lo; i < ct->nrows && ct->rows[i].pc < vend; i++)
		put_row(out, n, ct->rows[i].pc - bias, ct->rows[i].rule);
	put_row(out, n, s->off + s->size, TREC_UW_NONE);
}

static void table_compile(struct unwind *uw, struct table *t)
{
	uint64_t t0 = uw_now_ns();
	struct cfi_table ct;
	struct trec_err err = { 0 };
	struct cfi_opts co = { .sz = sizeof(co), .want_rows = 1, .max_rows = MAX_TABLE_ROWS };
	struct seg segs[MAX_SEGS];
	size_t nseg = 0;
	int r = cfi_compile_elf(t->fd, t->name, &co, &ct, &err);
	if (!r)
		r = exec_segments(t->fd, segs, &nseg);
	close(t->fd);
	t->fd = -1;
	uint32_t first = 0, count = 0;
	size_t compiled = r ? 0 : ct.nrows;
	int fits = 0;
	if (!r && ct.nrows && nseg) {
		uint64_t need = ct.nrows + 2 * nseg;
		if (need <= uw->rows_cap - uw->rows_used && !rows_reserve(uw, uw->rows_used + need)) {
			fits = 1;
			first = uw->rows_used;
			for (size_t i = 0; i < nseg; i++) {
				if (segs[i].off + segs[i].size > UINT32_MAX)
					continue; /* past 4 GiB: no 32-bit offsets */
				convert_segment(&ct, &segs[i], uw->rows + first, &count);
			}
			uw->rows_used += count;
		}
	}
	cfi_table_free(&ct);
	uint64_t dt = uw_now_ns() - t0;
	pthread_mutex_lock(&uw->stats_mu);
	uw->st.compile_ns += dt;
	if (r) {
		t->state = TREC_UW_TABLE_NONE;
		uw->st.tables_failed++;
	} else if (!count && !fits && compiled && nseg) {
		t->state = TREC_UW_TABLE_BUDGET;
		uw->st.tables_budget++;
	} else if (!count) {
		t->state = TREC_UW_TABLE_NONE;
		uw->st.tables_none++;
	} else {
		t->state = TREC_UW_TABLE_READY;
		uw->st.tables++;
		uw->st.rows += count;
	}
	pthread_mutex_unlock(&uw->stats_mu);
	/* The rows are in the shared array before the directory says so. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	table_publish(uw, t, first, count);
}

/* ---- applying messages (loader thread) --------------------------------------------- */

static void apply_map(struct unwind *uw, struct msg *m)
{
	struct proc *p = uw_proc_get(uw, m->pid, 1);
	if (!p)
		return;
	struct pmap pm = { .start = m->start, .len = m->len, .pgoff = m->pgoff, .ts = m->ts,
			   .table = table_for(uw, m) };
	uw_proc_add_map(uw, p, &pm);
}

static void apply_fork(struct unwind *uw, const struct msg *m)
{
	struct proc *parent = uw_proc_get(uw, m->ppid, 0);
	struct proc *child = uw_proc_get(uw, m->pid, 1);
	if (!child)
		return;
	if (!parent)
		return;
	for (uint32_t i = 0; i < parent->n; i++)
		if (parent->maps[i].ts <= m->ts)
			uw_proc_add_map(uw, child, &parent->maps[i]);
	child->dirty = 1;
}

static void apply_exec(struct unwind *uw, const struct msg *m)
{
	struct proc *p = uw_proc_get(uw, m->pid, 0);
	if (!p)
		return;
	uint32_t w = 0;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->maps[i].ts > m->ts)
			p->maps[w++] = p->maps[i];
	p->n = w;
	p->dirty = 1;
}

static void apply_exit(struct unwind *uw, const struct msg *m)
{
	struct proc *p = uw_proc_get(uw, m->pid, 0);
	if (!p)
		return;
	bpf_map_delete_elem(uw->procs_fd, &p->pid);
	uw_proc_drop(uw, p);
}

/* ---- preloading a program and its libraries (loader thread) ----------------------- */

#define PRELOAD_MAX_FILES 64


struct preload_list {
	char *path[PRELOAD_MAX_FILES];
	size_t n;
};

static void preload_push(struct preload_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->path[i], path))
			return;
	if (l->n < PRELOAD_MAX_FILES && (l->path[l->n] = strdup(path)))
		l->n++;
}

/* The interpreter (PT_INTERP) and the libraries (DT_NEEDED, through the
 * ld.so cache) the dynamic linker will map for the file on fd. */
static void preload_deps(int fd, struct preload_list *l)
{
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return;
	size_t np = 0;
	if (elf_kind(e) == ELF_K_ELF && !elf_getphdrnum(e, &np) && np <= 65536) {
		for (size_t i = 0; i < np; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP || !ph.p_filesz ||
			    ph.p_filesz >= 4096)
				continue;
			char interp[4096];
			if (pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
				interp[ph.p_filesz] = 0;
				if (interp[0] == '/')
					preload_push(l, interp);
			}
		}
	}
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = d ? d->d_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n && i < 4096; i++) {
			GElf_Dyn dyn;
			if (!gelf_getdyn(d, (int)i, &dyn))
				break;
			if (dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			char path[4096];
			if (name && ldcache_lookup(NULL, name, path, sizeof(path), NULL) == 0)
				preload_push(l, path);
		}
	}
	elf_end(e);
}

/* Registers (and so compiles, with this batch) the tables of a program the
 * recorder is about to start and of what it will surely map: a process's
 * first microseconds then find their tables through their VMAs before
 * the side-band has told the loader where anything is. */
static void apply_preload(struct unwind *uw, const char *path)
{
	/* Every process maps this kernel's vDSO. */
	struct tkey vkey = { .kind = KEY_VDSO };
	table_register(uw, &vkey, open_vdso(), "[vdso]", NULL, NULL);
	struct preload_list l = { .n = 0 };
	preload_push(&l, path);
	for (size_t i = 0; i < l.n; i++) {
		int fd = mapfile_open_regular(l.path[i]); /* ours: the program we start */
		if (fd < 0)
			continue;
		struct tkey key;
		memset(&key, 0, sizeof(key));
		uint8_t id[BUILDID_MAX];
		int bl = buildid_read_fd(fd, id);
		if (bl > 0 && bl <= TREC_MAX_BUILD_ID) {
			key.kind = KEY_BUILD_ID;
			key.len = (uint8_t)bl;
			memcpy(key.id, id, (size_t)bl);
		} else if (file_key(fd, &key)) {
			close(fd);
			continue;
		}
		preload_deps(fd, &l);
		int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		close(fd);
		if (keep >= 0)
			table_register(uw, &key, keep, l.path[i], NULL, NULL);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.path[i]);
}

/* twalk has no context argument: the batch being written goes through here
 * (only the loader thread walks). */
static __thread struct unwind *walk_uw;

static void write_dirty(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which != postorder && which != leaf)
		return;
	struct proc *p = *(struct proc *const *)node;
	if (p->dirty)
		uw_proc_write(walk_uw, p);
}

static void apply_batch(struct unwind *uw, struct msg *list)
{
	uint64_t syncs = 0;
	for (struct msg *m = list; m; m = m->next) {
		switch (m->kind) {
		case MSG_MAP:
			apply_map(uw, m);
			break;
		case MSG_FORK:
			apply_fork(uw, m);
			break;
		case MSG_EXEC:
			apply_exec(uw, m);
			break;
		case MSG_EXIT:
			apply_exit(uw, m);
			break;
		case MSG_SYNC:
			syncs++;
			break;
		case MSG_PRELOAD:
			apply_preload(uw, m->path);
			break;
		}
	}
	walk_uw = uw;
	twalk(uw->procs, write_dirty);
	/* Then the new binaries: their processes already find their mappings
	 * (pending), and each table goes live as soon as it is compiled. */
	for (size_t i = 0; i < uw->npending; i++)
		table_compile(uw, uw->pending[i]);
	uw->npending = 0;
	while (list) {
		struct msg *n = list->next;
		if (list->kind == MSG_MAP && list->fd >= 0)
			close(list->fd);
		free(list);
		list = n;
	}
	if (syncs) {
		pthread_mutex_lock(&uw->mu);
		uw->sync_done += syncs;
		pthread_cond_broadcast(&uw->synced);
		pthread_mutex_unlock(&uw->mu);
	}
}

static void *loader_main(void *arg)
{
	struct unwind *uw = arg;
	for (;;) {
		pthread_mutex_lock(&uw->mu);
		while (!uw->head && !uw->stop)
			pthread_cond_wait(&uw->wake, &uw->mu);
		struct msg *list = uw->head;
		uw->head = uw->tail = NULL;
		uw->queued = 0;
		int stop = uw->stop;
		pthread_mutex_unlock(&uw->mu);
		if (list)
			apply_batch(uw, list);
		else if (stop)
			break;
	}
	return NULL;
}

/* The followers as an object of their own (unwind_start without hooks). */
static int load_own_hooks(struct unwind *uw, int targets_fd, struct trec_err *err)
{
	uw->hooks = unwind_hooks_bpf__open();
	if (!uw->hooks)
		return trec_errf(err, -errno, "opening the unwinder's fork/exec followers: %s", strerror(errno));
	int r = unwind_share(uw, uw->hooks->obj, err);
	if (r)
		return r;
	uw->hooks->rodata->filter_pids = targets_fd >= 0;
	if (targets_fd >= 0 && (r = bpf_map__reuse_fd(uw->hooks->maps.targets, targets_fd)))
		return trec_errf(err, r, "sharing the target set with the unwinder: %s", strerror(-r));
	if (targets_fd < 0)
		bpf_map__set_max_entries(uw->hooks->maps.targets, 1);
	r = unwind_hooks_bpf__load(uw->hooks);
	if (!r)
		r = unwind_hooks_bpf__attach(uw->hooks);
	if (r)
		return trec_errf(err, r, "loading the unwinder's fork/exec followers: %s", strerror(-r));
	return 0;
}

int unwind_start(struct unwind *uw, const struct unwind_hook_progs *hooks, int targets_fd, struct trec_err *err)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return trec_errf(err, -EINVAL, "libelf: %s", elf_errmsg(-1));
	int r;
	if (hooks) {
		if (!hooks->fork || !hooks->exec)
			return trec_errf(err, -EINVAL, "the unwinder's fork/exec followers were not loaded");
		uw->fork_link = bpf_program__attach(hooks->fork);
		r = uw->fork_link ? 0 : -errno;
		if (!r) {
			uw->exec_link = bpf_program__attach(hooks->exec);
			r = uw->exec_link ? 0 : -errno;
		}
		if (r)
			return trec_errf(err, r, "attaching the unwinder's fork/exec followers: %s", strerror(-r));
	} else if ((r = load_own_hooks(uw, targets_fd, err))) {
		return r;
	}
	r = pthread_create(&uw->th, NULL, loader_main, uw);
	if (r)
		return trec_errf(err, -r, "starting the unwind loader thread: %s", strerror(r));
	uw->started = 1;
	return 0;
}

/* ---- teardown ---------------------------------------------------------------- */

static void free_table_node(void *node)
{
	struct table *t = node;
	if (t->fd >= 0)
		close(t->fd);
	free(t->name);
	free(t);
}

void unwind_free(struct unwind *uw)
{
	if (!uw)
		return;
	if (uw->started) {
		pthread_mutex_lock(&uw->mu);
		uw->stop = 1;
		pthread_cond_broadcast(&uw->wake);
		pthread_cond_broadcast(&uw->synced);
		pthread_mutex_unlock(&uw->mu);
		pthread_join(uw->th, NULL);
	}
	bpf_link__destroy(uw->fork_link);
	bpf_link__destroy(uw->exec_link);
	unwind_hooks_bpf__destroy(uw->hooks);
	while (uw->head) {
		struct msg *n = uw->head->next;
		if (uw->head->kind == MSG_MAP && uw->head->fd >= 0)
			close(uw->head->fd);
		free(uw->head);
		uw->head = n;
	}
	tdestroy(uw->handed, free);
	uw_procs_free(uw);
	tdestroy(uw->tables, free_table_node);
	free(uw->pending);
	if (uw->rows != MAP_FAILED)
		munmap(uw->rows, uw->rows_map_len);
	ring_buffer__free(uw->kick);
	int fds[] = { uw->rows_fd, uw->tables_fd, uw->procs_fd, uw->stats_fd, uw->kick_fd, uw->inodes_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pthread_mutex_destroy(&uw->mu);
	pthread_mutex_destroy(&uw->stats_mu);
	pthread_cond_destroy(&uw->wake);
	pthread_cond_destroy(&uw->synced);
	free(uw);
}
