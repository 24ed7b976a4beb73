/* SPDX-License-Identifier: MIT */
/*
 * The recorder's process side-band: perf side-band records (sideband.c),
 * the /proc snapshot (procfs.c), ELF build-ids (buildid.c) and host
 * metadata (hostmeta.c).
 *
 * The perf test needs root (or CAP_PERFMON): without it, it is skipped
 * with the reason; as root, failing to open is a failure (a recorder that
 * cannot open its side-band is broken, whatever the cause).
 * Every test checks that it leaves no fd and no mapping behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"
#include "elftools.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "buildid.h"
#include "hostmeta.h"
#include "procfs.h"
#include "records.h"
#include "sideband.h"

#define TRUE_BIN "/usr/bin/true"

/* ---- helpers ---------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}


/* Mappings of perf rings left in this process. */
static int count_perf_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];
	int n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "perf_event"))
			n++;
	fclose(f);
	return n;
}

static int fds_at_start;
static int setup_fds(void **state)
{
	(void)state;
	fds_at_start = scratch_count_fds();
	return 0;
}
static int check_fds(void **state)
{
	(void)state;
	int now = scratch_count_fds();
	if (now != fds_at_start) {
		print_error("fd leak: %d open before the test, %d after\n", fds_at_start, now);
		return -1;
	}
	return 0;
}

static char *tmp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/trec-sbtest-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void *slurp(const char *path, size_t *len)
{
	void *p = tu_slurp(path, len);
	assert_non_null(p);
	return p;
}

/* ---- buildid ---------------------------------------------------------------- */

static void test_buildid_matches_readelf(void **state)
{
	(void)state;
	uint8_t want[BUILDID_MAX], got[BUILDID_MAX];
	char hx[2 * BUILDID_MAX + 1];
	int nw = tu_readelf_build_id(TRUE_BIN, want, BUILDID_MAX);
	if (nw == 0)
		fail_msg("readelf -n %s shows no build-id (is binutils installed?)", TRUE_BIN);
	int ng = buildid_read_path(NULL, TRUE_BIN, got);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, (size_t)nw);
	print_message("# %s build-id %s (%d bytes)\n", TRUE_BIN, buildid_hex(got, (size_t)ng, hx), ng);

	/* The fd entry point agrees. */
	int fd = open(TRUE_BIN, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(buildid_read_fd(fd, got), nw);
	assert_memory_equal(got, want, (size_t)nw);
	close(fd);
}

static void test_buildid_not_elf(void **state)
{
	(void)state;
	uint8_t id[BUILDID_MAX];
	char *empty = tmp_file("", 0);
	const char text[] = "#!/bin/sh\necho this is not an ELF file\n";
	char *txt = tmp_file(text, sizeof(text) - 1);
	const char elfish[] = "\177ELF\002\001\001"; /* magic and nothing else */
	char *stub = tmp_file(elfish, sizeof(elfish) - 1);

	assert_int_equal(buildid_read_path(NULL, empty, id), 0);
	assert_int_equal(buildid_read_path(NULL, txt, id), 0);
	assert_int_equal(buildid_read_path(NULL, stub, id), 0);
	assert_int_equal(buildid_read_path(NULL, "/", id), 0);          /* directory */
	assert_int_equal(buildid_read_path(NULL, "/dev/null", id), 0);  /* device: never opened */
	assert_int_equal(buildid_read_path(NULL, "/nonexistent/trec", id), -ENOENT);
	assert_int_equal(buildid_read_path(NULL, "", id), -EINVAL);
	unlink(empty);
	unlink(txt);
	unlink(stub);
	free(empty);
	free(txt);
	free(stub);
}

/* Every prefix length that matters: the ELF header cut, the program
 * headers cut, the note cut, and so on up the file. */
static void test_buildid_truncated(void **state)
{
	(void)state;
	uint8_t want[BUILDID_MAX], id[BUILDID_MAX];
	size_t len;
	uint8_t *elf = slurp(TRUE_BIN, &len);
	int nw = buildid_read_path(NULL, TRUE_BIN, want);
	assert_true(nw > 0);

	size_t cuts[] = { 1, 4, 16, 52, 63, 64, 65, 100, 120, 200, 0x200, 0x358, 0x370, 0x380,
			  0x3a0, 1024, 4096, len / 2, len - 64, len - 1 };
	int found = 0;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] >= len)
			continue;
		char *p = tmp_file(elf, cuts[i]);
		memset(id, 0, sizeof(id));
		int n = buildid_read_path(NULL, p, id);
		/* Either unknown, or the note was complete and it is the right one. */
		assert_true(n == 0 || n == nw);
		if (n) {
			assert_memory_equal(id, want, (size_t)nw);
			found++;
		}
		if (cuts[i] < 64)
			assert_int_equal(n, 0);
		unlink(p);
		free(p);
	}
	/* The note sits near the start: long prefixes still have it. */
	assert_true(found > 0);
	free(elf);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random corruption of the headers: never a crash, never a length out
 * of range. (Under ASan this also checks our side of libelf's buffers.) */
static void test_buildid_corrupt(void **state)
{
	(void)state;
	uint8_t id[BUILDID_MAX];
	size_t len;
	uint8_t *elf = slurp(TRUE_BIN, &len);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	char *p = tmp_file("", 0);
	int known = 0;
	for (int iter = 0; iter < 300; iter++) {
		memcpy(copy, elf, len);
		int flips = 1 + (int)(rnd() % 8);
		for (int k = 0; k < flips; k++) {
			size_t at = rnd() % (iter % 3 ? 1024 : len); /* mostly headers and notes */
			copy[at] = (uint8_t)rnd();
		}
		int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, copy, len), (ssize_t)len);
		close(fd);
		int n = buildid_read_path(NULL, p, id);
		assert_true(n >= 0 && n <= BUILDID_MAX);
		known += n > 0;
	}
	print_message("# corrupt copies: %d of 300 still had a readable build-id\n", known);
	unlink(p);
	free(p);
	free(copy);
	free(elf);
}

/* A minimal ELF64 with one note, in a PT_NOTE segment or (phdrs == 0) in
 * a SHT_NOTE section only. The note holds a 4-byte name and desc_bytes of
 * descriptor whatever namesz and descsz its header claims. */
static size_t make_elf(uint8_t *buf, size_t cap, int phdrs, uint32_t namesz, const char *name,
		       uint32_t descsz, uint32_t desc_bytes, uint32_t type)
{
	memset(buf, 0, cap);
	size_t note_off = 64 + (phdrs ? 56 : 0);
	size_t note_len = 12 + 4 + ((desc_bytes + 3) & ~3u);
	size_t shoff = (note_off + note_len + 7) & ~(size_t)7;
	size_t total = shoff + (phdrs ? 0 : 2 * 64);
	assert_true(total <= cap);

	memcpy(buf, "\177ELF", 4);
	buf[4] = 2; /* ELFCLASS64 */
	buf[5] = 1; /* little-endian */
	buf[6] = 1; /* EV_CURRENT */
	st16(buf + 16, 3);  /* ET_DYN */
	st16(buf + 18, 62); /* EM_X86_64 */
	st32(buf + 20, 1);
	st16(buf + 52, 64); /* e_ehsize */
	if (phdrs) {
		st64(buf + 32, 64); /* e_phoff */
		st16(buf + 54, 56);
		st16(buf + 56, 1);
		uint8_t *ph = buf + 64;
		st32(ph, 4); /* PT_NOTE */
		st32(ph + 4, 4);
		st64(ph + 8, note_off);
		st64(ph + 16, note_off);
		st64(ph + 24, note_off);
		st64(ph + 32, note_len);
		st64(ph + 40, note_len);
		st64(ph + 48, 4);
	} else {
		st64(buf + 40, shoff); /* e_shoff */
		st16(buf + 58, 64);
		st16(buf + 60, 2);
		uint8_t *sh = buf + shoff + 64; /* section 1; section 0 is null */
		st32(sh + 4, 7); /* SHT_NOTE */
		st64(sh + 8, 2); /* SHF_ALLOC */
		st64(sh + 24, note_off);
		st64(sh + 32, note_len);
		st64(sh + 48, 4);
	}
	uint8_t *n = buf + note_off;
	st32(n, namesz);
	st32(n + 4, descsz);
	st32(n + 8, type);
	memcpy(n + 12, name, strlen(name) < 4 ? strlen(name) + 1 : 4);
	uint8_t *d = n + 12 + 4;
	for (uint32_t i = 0; i < desc_bytes; i++)
		d[i] = (uint8_t)(0xa0 + i);
	return total;
}

static int crafted(int phdrs, uint32_t namesz, const char *name, uint32_t descsz, uint32_t desc_bytes,
		   uint32_t type, uint8_t *id)
{
	uint8_t buf[1024];
	size_t len = make_elf(buf, sizeof(buf), phdrs, namesz, name, descsz, desc_bytes, type);
	char *p = tmp_file(buf, len);
	int n = buildid_read_path(NULL, p, id);
	unlink(p);
	free(p);
	return n;
}

static void test_buildid_crafted(void **state)
{
	(void)state;
	uint8_t id[BUILDID_MAX];

	/* well-formed, in a segment and in a section; 64 bytes is the limit */
	assert_int_equal(crafted(1, 4, "GNU", 20, 20, 3, id), 20);
	assert_int_equal(id[0], 0xa0);
	assert_int_equal(id[19], 0xa0 + 19);
	assert_int_equal(crafted(0, 4, "GNU", 20, 20, 3, id), 20);
	assert_int_equal(crafted(1, 4, "GNU", 64, 64, 3, id), 64);
	assert_int_equal(id[63], 0xa0 + 63);
	/* hostile or wrong notes: unknown */
	assert_int_equal(crafted(1, 4, "GNU", 65, 65, 3, id), 0);       /* too long */
	assert_int_equal(crafted(1, 4, "GNU", 0, 0, 3, id), 0);         /* empty */
	assert_int_equal(crafted(1, 4, "GNU", 0xfffffff0u, 20, 3, id), 0); /* past the note */
	assert_int_equal(crafted(1, 0xfffffff0u, "GNU", 20, 20, 3, id), 0);
	assert_int_equal(crafted(1, 4, "XYZ", 20, 20, 3, id), 0);       /* other owner */
	assert_int_equal(crafted(1, 4, "GNU", 20, 20, 1, id), 0);       /* NT_GNU_ABI_TAG */
	assert_int_equal(crafted(0, 4, "GNU", 200, 20, 3, id), 0);
}

static void test_buildid_cache(void **state)
{
	(void)state;
	struct buildid_cache *c;
	struct buildid_cache_stats st;
	uint8_t a[BUILDID_MAX], b[BUILDID_MAX];

	assert_int_equal(buildid_cache_new(&c), 0);
	int n = buildid_read_path(c, TRUE_BIN, a);
	assert_true(n > 0);
	assert_int_equal(buildid_read_path(c, "/bin/true", b), n); /* same inode, other name */
	assert_memory_equal(a, b, (size_t)n);
	buildid_cache_stats(c, &st);
	assert_int_equal(st.parses, 1);
	assert_int_equal(st.hits, 1);

	/* A file changed in place is parsed again (mtime differs). */
	uint8_t elf[1024];
	size_t len = make_elf(elf, sizeof(elf), 1, 4, "GNU", 20, 20, 3);
	char *p = tmp_file(elf, len);
	assert_int_equal(buildid_read_path(c, p, a), 20);
	assert_int_equal(buildid_read_path(c, p, a), 20);
	buildid_cache_stats(c, &st);
	assert_int_equal(st.parses, 2);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	uint8_t other = 0x55;
	/* last desc byte of the note: 64 + 56 + 12 + 4 + 19 */
	assert_int_equal(pwrite(fd, &other, 1, 64 + 56 + 12 + 4 + 19), 1);
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(buildid_read_path(c, p, a), 20);
	assert_int_equal(a[19], 0x55);
	buildid_cache_stats(c, &st);
	assert_int_equal(st.parses, 3);
	unlink(p);
	free(p);

	/* many distinct files: the table grows and keeps answering. (All kept
	 * until the end: a deleted file's inode can be reused by the next one
	 * within one mtime tick, and the cache key could not tell them apart.) */
	char **files = calloc(600, sizeof(*files));
	assert_non_null(files);
	for (int i = 0; i < 600; i++) {
		size_t l = make_elf(elf, sizeof(elf), i & 1, 4, "GNU", 8 + (uint32_t)(i % 50), 8 + (uint32_t)(i % 50), 3);
		files[i] = tmp_file(elf, l);
		assert_int_equal(buildid_read_path(c, files[i], a), 8 + i % 50);
	}
	for (int i = 0; i < 600; i++) {
		assert_int_equal(buildid_read_path(c, files[i], a), 8 + i % 50);
		unlink(files[i]);
		free(files[i]);
	}
	free(files);
	buildid_cache_stats(c, &st);
	assert_true(st.entries >= 600);
	buildid_cache_free(c);
}

/* Finds an executable file mapping of this process; returns its path. */
static int find_exec_map(const char *needle, uint64_t *start, uint64_t *end, char *path, size_t cap)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];
	int found = 0;
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		struct procfs_map_line ml;
		line[strcspn(line, "\n")] = 0;
		if (procfs_parse_maps_line(line, &ml) < 0 || !(ml.prot & PROT_EXEC))
			continue;
		if (ml.path[0] == '/' && strstr(ml.path, needle)) {
			*start = ml.start;
			*end = ml.end;
			snprintf(path, cap, "%s", ml.path);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static void test_buildid_for_mapping(void **state)
{
	(void)state;
	uint64_t start = 0, end = 0;
	char path[4096];
	uint8_t want[BUILDID_MAX], id[BUILDID_MAX];

	assert_true(find_exec_map("libc", &start, &end, path, sizeof(path)));
	int nw = buildid_read_path(NULL, path, want);
	assert_true(nw > 0);
	assert_int_equal(buildid_for_mapping(NULL, getpid(), start, end, path, id), nw);
	assert_memory_equal(id, want, (size_t)nw);
	/* With map_files (root), the path does not even matter. */
	if (geteuid() == 0) {
		memset(id, 0, sizeof(id));
		assert_int_equal(buildid_for_mapping(NULL, getpid(), start, end, "/gone (deleted)", id), nw);
		assert_memory_equal(id, want, (size_t)nw);
	}
	/* A deleted file is never looked up by its old name. */
	assert_true(buildid_for_mapping(NULL, getpid(), 1, 2, "/usr/bin/true (deleted)", id) <= 0);
	/* Wrong range, right path: falls back to the path. */
	assert_int_equal(buildid_for_mapping(NULL, getpid(), 1, 2, path, id), nw);
}

/* ---- procfs ----------------------------------------------------------------- */

struct snap_collect {
	pid_t self;
	size_t ntasks, nmaps;
	struct {
		uint32_t pid, tid, ppid, kind;
		uint64_t ts;
		char comm[16];
		char filename[PATH_MAX];
	} tasks[64];
	struct {
		uint64_t ts, start, len;
		uint32_t prot;
		uint8_t bid_len;
		uint8_t bid[BUILDID_MAX];
		char path[PATH_MAX];
	} maps[256];
	size_t all_tasks, all_maps;
	int fail_after; /* >0: the n-th callback returns -EIO */
};

static int snap_task(void *ctx, const struct trec_task *t)
{
	struct snap_collect *c = ctx;
	c->all_tasks++;
	if (c->fail_after && (int)(c->all_tasks + c->all_maps) >= c->fail_after)
		return -EIO;
	assert_non_null(t->comm);
	assert_non_null(t->filename);
	assert_true(strlen(t->comm) <= 15);
	if (t->pid != (uint32_t)c->self || c->ntasks == 64)
		return 0;
	c->tasks[c->ntasks].pid = t->pid;
	c->tasks[c->ntasks].tid = t->tid;
	c->tasks[c->ntasks].ppid = t->ppid;
	c->tasks[c->ntasks].kind = t->kind;
	c->tasks[c->ntasks].ts = t->ts;
	snprintf(c->tasks[c->ntasks].comm, 16, "%s", t->comm);
	snprintf(c->tasks[c->ntasks].filename, PATH_MAX, "%s", t->filename);
	c->ntasks++;
	return 0;
}

static int snap_map(void *ctx, const struct trec_map *m)
{
	struct snap_collect *c = ctx;
	c->all_maps++;
	if (c->fail_after && (int)(c->all_tasks + c->all_maps) >= c->fail_after)
		return -EIO;
	assert_non_null(m->path);
	assert_true(m->build_id_len <= BUILDID_MAX);
	if (m->pid != (uint32_t)c->self || c->nmaps == 256)
		return 0;
	c->maps[c->nmaps].ts = m->ts;
	c->maps[c->nmaps].start = m->start;
	c->maps[c->nmaps].len = m->len;
	c->maps[c->nmaps].prot = m->prot;
	c->maps[c->nmaps].bid_len = m->build_id_len;
	memcpy(c->maps[c->nmaps].bid, m->build_id, m->build_id_len);
	snprintf(c->maps[c->nmaps].path, PATH_MAX, "%s", m->path);
	c->nmaps++;
	return 0;
}

static pthread_mutex_t th_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t th_cond = PTHREAD_COND_INITIALIZER;
static int th_state; /* 1: started, 2: may exit */
static pid_t th_tid;

static void *idle_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "trec-snap-th");
	pthread_mutex_lock(&th_lock);
	th_tid = (pid_t)syscall(SYS_gettid);
	th_state = 1;
	pthread_cond_broadcast(&th_cond);
	while (th_state != 2)
		pthread_cond_wait(&th_cond, &th_lock);
	pthread_mutex_unlock(&th_lock);
	return NULL;
}

static void test_procfs_self(void **state)
{
	(void)state;
	struct snap_collect *c = calloc(1, sizeof(*c));
	char exe[PATH_MAX], comm[32];
	pthread_t th;
	assert_non_null(c);
	c->self = getpid();

	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(l > 0);
	exe[l] = 0;
	FILE *f = fopen("/proc/self/comm", "re");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;

	th_state = 0;
	assert_int_equal(pthread_create(&th, NULL, idle_thread, NULL), 0);
	pthread_mutex_lock(&th_lock);
	while (th_state != 1)
		pthread_cond_wait(&th_cond, &th_lock);
	pthread_mutex_unlock(&th_lock);

	uint64_t ts = mono_ns();
	pid_t pids[1] = { getpid() };
	struct procfs_opts o = { .sz = sizeof(o), .ts = ts, .pids = pids, .npids = 1, .exec_maps_only = 1 };
	struct sideband_cb cb = { .ctx = c, .task = snap_task, .map = snap_map };
	struct procfs_stats st;
	struct trec_err err = { 0 };
	int rc = procfs_snapshot(&o, &cb, &st, &err);
	assert_int_equal(rc, 0);

	/* both threads, with their comms and the exe path */
	int main_seen = 0, th_seen = 0;
	for (size_t i = 0; i < c->ntasks; i++) {
		assert_int_equal(c->tasks[i].kind, TREC_TASK_SNAPSHOT);
		assert_int_equal(c->tasks[i].ts, ts);
		assert_int_equal(c->tasks[i].ppid, getppid());
		assert_string_equal(c->tasks[i].filename, exe);
		if (c->tasks[i].tid == (uint32_t)getpid()) {
			main_seen++;
			assert_string_equal(c->tasks[i].comm, comm);
		}
		if (c->tasks[i].tid == (uint32_t)th_tid) {
			th_seen++;
			assert_string_equal(c->tasks[i].comm, "trec-snap-th");
		}
	}
	assert_int_equal(main_seen, 1);
	assert_int_equal(th_seen, 1);
	assert_int_equal(st.processes, 1);
	assert_int_equal(st.threads, 2);

	/* an executable mapping of the test binary, with its build-id */
	uint8_t want[BUILDID_MAX];
	int nw = buildid_read_path(NULL, exe, want);
	int exe_maps = 0;
	for (size_t i = 0; i < c->nmaps; i++) {
		assert_true(c->maps[i].prot & PROT_EXEC);
		assert_int_equal(c->maps[i].ts, ts);
		assert_true(c->maps[i].len > 0);
		if (strcmp(c->maps[i].path, exe) == 0) {
			exe_maps++;
			assert_int_equal(c->maps[i].bid_len, nw > 0 ? nw : 0);
			if (nw > 0)
				assert_memory_equal(c->maps[i].bid, want, (size_t)nw);
		}
	}
	assert_true(exe_maps >= 1);
	print_message("# self snapshot: %zu threads, %zu exec maps, test binary build-id %d bytes\n",
		      c->ntasks, c->nmaps, nw);

	/* the thread list helper sees both; a thread id names the process */
	pid_t *tids;
	size_t ntids;
	assert_int_equal(procfs_list_threads(getpid(), &tids, &ntids, &err), 0);
	assert_int_equal(ntids, 2);
	assert_true(tids[0] < tids[1]);
	assert_true((tids[0] == getpid() && tids[1] == th_tid) || (tids[1] == getpid() && tids[0] == th_tid));
	free(tids);
	assert_int_equal(procfs_tgid(th_tid), getpid());
	assert_int_equal(procfs_pid_exists(th_tid, &err), 0);

	pthread_mutex_lock(&th_lock);
	th_state = 2;
	pthread_cond_broadcast(&th_cond);
	pthread_mutex_unlock(&th_lock);
	pthread_join(th, NULL);

	/* all mappings when asked (not only executable ones) */
	memset(c, 0, sizeof(*c));
	c->self = getpid();
	o.exec_maps_only = 0;
	assert_int_equal(procfs_snapshot(&o, &cb, &st, &err), 0);
	int nonexec = 0;
	for (size_t i = 0; i < c->nmaps; i++)
		nonexec += !(c->maps[i].prot & PROT_EXEC);
	assert_true(nonexec > 0);
	free(c);
}

static pid_t dead_pid(void)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return p;
}

static void test_procfs_missing_pid(void **state)
{
	(void)state;
	struct trec_err err = { 0 };
	pid_t gone = dead_pid();
	char want[64];
	snprintf(want, sizeof(want), "no process with pid %d", (int)gone);

	assert_int_equal(procfs_pid_exists(gone, &err), -ESRCH);
	assert_string_equal(err.msg, want);
	assert_int_equal(procfs_pid_exists(0, &err), -EINVAL);
	assert_int_equal(procfs_pid_exists(-5, &err), -EINVAL);
	assert_int_equal(procfs_tgid(gone), -ESRCH);

	pid_t *tids = (pid_t *)1;
	size_t n = 7;
	memset(&err, 0, sizeof(err));
	assert_int_equal(procfs_list_threads(gone, &tids, &n, &err), -ESRCH);
	assert_null(tids);
	assert_int_equal(n, 0);
	assert_string_equal(err.msg, want);

	/* the snapshot reports the missing pid but still takes the others */
	struct snap_collect *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->self = getpid();
	pid_t pids[2] = { gone, getpid() };
	struct procfs_opts o = { .sz = sizeof(o), .pids = pids, .npids = 2, .exec_maps_only = 1 };
	struct sideband_cb cb = { .ctx = c, .task = snap_task, .map = snap_map };
	memset(&err, 0, sizeof(err));
	assert_int_equal(procfs_snapshot(&o, &cb, NULL, &err), -ESRCH);
	assert_string_equal(err.msg, want);
	assert_int_equal(c->ntasks, 1);
	assert_true(c->nmaps > 0);
	free(c);
}

static void test_procfs_all(void **state)
{
	(void)state;
	struct snap_collect *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->self = getpid();
	struct procfs_opts o = { .sz = sizeof(o), .exec_maps_only = 1 };
	struct sideband_cb cb = { .ctx = c, .task = snap_task, .map = snap_map };
	struct procfs_stats st;
	struct trec_err err = { 0 };
	uint64_t t0 = mono_ns();
	assert_int_equal(procfs_snapshot(&o, &cb, &st, &err), 0);
	uint64_t t1 = mono_ns();
	assert_true(st.processes >= 2); /* init and us, at least */
	assert_true(st.threads >= st.processes);
	assert_int_equal(st.threads, c->all_tasks);
	assert_int_equal(st.maps, c->all_maps);
	assert_true(st.maps > 0);
	assert_true(c->ntasks >= 1); /* we are in it */
	assert_true(c->tasks[0].ts >= t0 && c->tasks[0].ts <= t1);
	print_message("# all of /proc: %" PRIu64 " processes, %" PRIu64 " threads, %" PRIu64
		      " exec maps, %" PRIu64 " vanished, %" PRIu64 " denied, %.1f ms\n",
		      st.processes, st.threads, st.maps, st.vanished, st.denied, (double)(t1 - t0) / 1e6);

	/* a callback error stops the walk and comes back */
	memset(c, 0, sizeof(*c));
	c->self = getpid();
	c->fail_after = 3;
	memset(&err, 0, sizeof(err));
	assert_int_equal(procfs_snapshot(&o, &cb, &st, &err), -EIO);
	assert_true(strstr(err.msg, "snapshot") != NULL);
	assert_int_equal(c->all_tasks + c->all_maps, 3);
	free(c);
}

static void test_procfs_maps_lines(void **state)
{
	(void)state;
	struct procfs_map_line ml;

	assert_int_equal(procfs_parse_maps_line("7f0000001000-7f0000003000 r-xp 00002000 fd:01 1234   "
						"/usr/lib/x86_64-linux-gnu/libc.so.6", &ml), 0);
	assert_int_equal(ml.start, 0x7f0000001000ull);
	assert_int_equal(ml.end, 0x7f0000003000ull);
	assert_int_equal(ml.pgoff, 0x2000);
	assert_int_equal(ml.inode, 1234);
	assert_int_equal(ml.prot, PROT_READ | PROT_EXEC);
	assert_int_equal(ml.flags, MAP_PRIVATE);
	assert_string_equal(ml.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");

	assert_int_equal(procfs_parse_maps_line("1000-2000 rwxs 00000000 00:05 77  /tmp/a b  c (deleted)", &ml), 0);
	assert_string_equal(ml.path, "/tmp/a b  c (deleted)");
	assert_int_equal(ml.prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	assert_int_equal(ml.flags, MAP_SHARED);

	assert_int_equal(procfs_parse_maps_line("1000-2000 rw-p 00000000 00:00 0 ", &ml), 0);
	assert_string_equal(ml.path, "");
	assert_int_equal(procfs_parse_maps_line("1000-2000 rw-p 00000000 00:00 0", &ml), 0);
	assert_string_equal(ml.path, "");
	assert_int_equal(procfs_parse_maps_line("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
						"                  [vsyscall]", &ml), 0);
	assert_string_equal(ml.path, "[vsyscall]");

	const char *bad[] = {
		"", "garbage", "1000-2000", "1000-2000 r-xp", "2000-1000 r-xp 0 00:00 0 /x",
		"1000-2000 rxxp 0 00:00 0 /x", "1000-2000 r-xq 0 00:00 0 /x", "1000-2000 r-xp zz 00:00 0 /x",
		"1000-2000 r-xp 0 00:00 x /x", "10000000000000000-2 r-xp 0 00:00 0 /x",
		"1000-2000 r-xp 0 0000 0 /x", "1000-2000 r-xp 0 00:00 123456789012345678901 /x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(procfs_parse_maps_line(bad[i], &ml), -EINVAL);

	assert_true(sideband_map_wanted("/usr/bin/true", PROT_READ | PROT_EXEC, 1));
	assert_false(sideband_map_wanted("/usr/bin/true", PROT_READ, 1));
	assert_true(sideband_map_wanted("/usr/bin/true", PROT_READ, 0));
	assert_true(sideband_map_wanted("[vdso]", PROT_READ | PROT_EXEC, 1));
	assert_false(sideband_map_wanted("//anon", PROT_READ | PROT_EXEC, 1));
	assert_false(sideband_map_wanted("", PROT_READ | PROT_EXEC, 1));
	assert_false(sideband_map_wanted("[heap]", PROT_READ | PROT_WRITE, 0));
	assert_false(sideband_map_wanted("[stack]", PROT_READ | PROT_EXEC, 0));
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A fake /proc with hostile content: a 20 KB line, a comm that is too
 * long, paths with spaces and " (deleted)", junk lines, a process with
 * no files at all. */
static void test_procfs_hostile_tree(void **state)
{
	(void)state;
	char root[] = "/tmp/trec-fakeproc-XXXXXX";
	char p[512];
	assert_non_null(mkdtemp(root));
	const int pid = 4000000; /* above pid_max: no real process could match */
#define P(fmt, ...) (snprintf(p, sizeof(p), "%s" fmt, root, __VA_ARGS__), p)
	assert_int_equal(mkdir(P("/%d", pid), 0700), 0);
	assert_int_equal(mkdir(P("/%d/task", pid), 0700), 0);
	assert_int_equal(mkdir(P("/%d/task/%d", pid, pid), 0700), 0);
	assert_int_equal(mkdir(P("/%d/task/%d", pid, pid + 1), 0700), 0);
	assert_int_equal(mkdir(P("/%d", pid + 7), 0700), 0); /* status only */
	assert_int_equal(mkdir(P("/%s", "self"), 0700), 0);   /* not a pid */
	const char status[] = "Name:\tevil\\nPPid:\t9\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4000000\n"
			      "Ngid:\t0\nPid:\t4000000\nPPid:\t77\n";
	write_file(P("/%d/status", pid), status, sizeof(status) - 1);
	write_file(P("/%d/status", pid + 7), "Name:\tx\n", 8);
	write_file(P("/%d/task/%d/comm", pid, pid), "a-very-long-comm-name-indeed\n", 29);
	/* thread pid+1's comm cannot be read (EISDIR): still reported, comm "";
	 * thread pid+2 has no comm at all: it is gone, skipped */
	assert_int_equal(mkdir(P("/%d/task/%d/comm", pid, pid + 1), 0700), 0);
	assert_int_equal(mkdir(P("/%d/task/%d", pid, pid + 2), 0700), 0);

	size_t cap = 64 * 1024, len = 0;
	char *maps = malloc(cap);
	assert_non_null(maps);
	len += (size_t)snprintf(maps + len, cap - len,
				"400000-401000 r-xp 00000000 fd:01 11 /opt/my app/bin (deleted)\n"
				"this line is junk\n"
				"401000-402000 r--p 00001000 fd:01 11 /opt/my app/bin\n"
				"7fff0000-7fff2000 r-xp 00000000 00:00 0 [vdso]\n"
				"50000-60000 rwxp 00000000 00:00 0 \n"
				"60000-70000 r-xp 00000000 fd:01 12 /");
	memset(maps + len, 'x', 20000);
	len += 20000;
	len += (size_t)snprintf(maps + len, cap - len, "\n70000-80000 r-xp 00001000 fd:01 13 /lib/ok.so");
	write_file(P("/%d/maps", pid), maps, len); /* last line without newline */
	free(maps);

	struct snap_collect *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->self = pid;
	struct procfs_opts o = { .sz = sizeof(o), .ts = 5, .exec_maps_only = 1, .proc_root = root };
	struct sideband_cb cb = { .ctx = c, .task = snap_task, .map = snap_map };
	struct procfs_stats st;
	struct trec_err err = { 0 };
	assert_int_equal(procfs_snapshot(&o, &cb, &st, &err), 0);
	assert_int_equal(c->ntasks, 2);
	for (size_t i = 0; i < 2; i++) {
		/* "PPid:\t9" hides in the escaped Name: line; only line starts count */
		assert_int_equal(c->tasks[i].ppid, 77);
		assert_int_equal(c->tasks[i].ts, 5);
		assert_string_equal(c->tasks[i].filename, "");
		if (c->tasks[i].tid == (uint32_t)pid)
			assert_string_equal(c->tasks[i].comm, "a-very-long-com");
		else
			assert_string_equal(c->tasks[i].comm, "");
	}
	assert_int_equal(c->nmaps, 3);
	assert_string_equal(c->maps[0].path, "/opt/my app/bin (deleted)");
	assert_int_equal(c->maps[0].bid_len, 0);
	assert_string_equal(c->maps[1].path, "[vdso]");
	assert_string_equal(c->maps[2].path, "/lib/ok.so");
	assert_int_equal(c->maps[2].start, 0x70000);
	assert_int_equal(st.processes, 2); /* pid+7 has a status but nothing else */
	assert_int_equal(st.vanished, 3);  /* thread pid+2, pid+7's task dir and maps */

	/* by explicit pid in the same tree */
	free(c);
	unlink(P("/%d/task/%d/comm", pid, pid));
	rmdir(P("/%d/task/%d", pid, pid));
	rmdir(P("/%d/task/%d/comm", pid, pid + 1));
	rmdir(P("/%d/task/%d", pid, pid + 1));
	rmdir(P("/%d/task/%d", pid, pid + 2));
	rmdir(P("/%d/task", pid));
	unlink(P("/%d/status", pid));
	unlink(P("/%d/maps", pid));
	rmdir(P("/%d", pid));
	unlink(P("/%d/status", pid + 7));
	rmdir(P("/%d", pid + 7));
	rmdir(P("/%s", "self"));
	assert_int_equal(rmdir(root), 0);
#undef P
}

static void test_cpu_lists(void **state)
{
	(void)state;
	int *v;
	size_t n;
	assert_int_equal(procfs_parse_cpu_list("0-3,5\n", &v, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(v[3], 3);
	assert_int_equal(v[4], 5);
	free(v);
	assert_int_equal(procfs_parse_cpu_list("7", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 7);
	free(v);
	assert_int_equal(procfs_parse_cpu_list("4,0-1,1", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], 4);
	free(v);
	assert_int_equal(procfs_parse_cpu_list("", &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	const char *bad[] = { "x", "3-1", "0-", "-1", "1,,2", "0-99999999", "1 2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(procfs_parse_cpu_list(bad[i], &v, &n), -EINVAL);
		assert_null(v);
	}
	assert_int_equal(procfs_cpu_list("/sys/devices/system/cpu/online", &v, &n), 0);
	assert_int_equal((long)n, sysconf(_SC_NPROCESSORS_ONLN));
	free(v);
}

/* ---- hostmeta ---------------------------------------------------------------- */

static const char *meta_str(const struct trec_meta_kv *kv, size_t n, const char *key)
{
	const struct trec_meta_kv *e = hostmeta_find(kv, n, key);
	if (!e)
		fail_msg("metadata key %s missing", key);
	assert_int_equal(e->type, TREC_META_STR);
	return e->v.str.ptr;
}

static void test_hostmeta(void **state)
{
	(void)state;
	struct tarena a;
	struct trec_meta_kv *kv;
	size_t n;
	struct trec_err err = { 0 };
	char *argv[] = { "trec", "record", "-o", "my file.trec", "--", "sh", "-c", "echo 'hi'", NULL };
	tarena_init(&a);
	assert_int_equal(hostmeta_collect(&a, 8, argv, 12345, &kv, &n, &err), 0);

	struct utsname_like { const char *key; } keys[] = {
		{ "host.name" }, { "kernel.release" }, { "kernel.version" }, { "machine" }, { "cpu.count" },
		{ "cpu.possible" }, { "boot.id" }, { "trec.version" }, { "trec.cmdline" }, { "clock.id" },
		{ "clock.realtime_offset_ns" }, { "clock.realtime_offset_err_ns" }, { "record.start_ns" },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct trec_meta_kv *e = hostmeta_find(kv, n, keys[i].key);
		if (!e)
			fail_msg("metadata key %s missing", keys[i].key);
		/* lower-case dotted */
		for (const char *p = keys[i].key; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_');
	}
	assert_int_equal(n, sizeof(keys) / sizeof(keys[0]));

	assert_string_equal(meta_str(kv, n, "trec.cmdline"),
			    "trec record -o 'my file.trec' -- sh -c 'echo '\\''hi'\\'''");
	assert_string_equal(meta_str(kv, n, "clock.id"), "CLOCK_MONOTONIC");
	assert_int_equal(strlen(meta_str(kv, n, "boot.id")), 36);
	assert_true(strlen(meta_str(kv, n, "trec.version")) > 0);
	assert_true(strlen(meta_str(kv, n, "kernel.release")) > 0);
	assert_int_equal(hostmeta_find(kv, n, "cpu.count")->v.u64, (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(hostmeta_find(kv, n, "cpu.possible")->v.u64 >= hostmeta_find(kv, n, "cpu.count")->v.u64);
	assert_int_equal(hostmeta_find(kv, n, "record.start_ns")->v.u64, 12345);

	/* realtime = monotonic + offset, to well within a second of now */
	const struct trec_meta_kv *off = hostmeta_find(kv, n, "clock.realtime_offset_ns");
	assert_int_equal(off->type, TREC_META_I64);
	struct timespec r, m;
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	int64_t real = (int64_t)r.tv_sec * 1000000000 + r.tv_nsec;
	int64_t mono = (int64_t)m.tv_sec * 1000000000 + m.tv_nsec;
	int64_t diff = real - (mono + off->v.i64);
	assert_true(diff > -100000000 && diff < 100000000); /* 100 ms: NTP slew cannot do that */
	assert_true(off->v.i64 > 0);
	uint64_t unc;
	int64_t o2 = hostmeta_realtime_offset(&unc);
	assert_true(unc < 1000000); /* three clock reads take far less than 2 ms */
	assert_true(llabs(o2 - off->v.i64) < 10000000);
	print_message("# realtime - monotonic = %" PRId64 " ns (+- %" PRIu64 " ns)\n", o2, unc);

	/* the meta codec takes it all */
	struct tbuf b;
	tbuf_init(&b);
	assert_int_equal(trec_meta_encode(&b, kv, n), 0);
	tbuf_free(&b);
	tarena_free(&a);
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int k = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (!k)
			return 0;
		for (int i = 1; i < k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += k;
	}
	return 1;
}

static void test_hostmeta_cmdline(void **state)
{
	(void)state;
	struct tarena a;
	tarena_init(&a);

	char *a1[] = { "x", "", "a=b,c/d", "it's", "tab\there", "bad\xff", "back\\slash\x01", "caf\xc3\xa9" };
	char *s = hostmeta_cmdline(&a, 8, a1, 4000);
	assert_string_equal(s, "x '' a=b,c/d 'it'\\''s' $'tab\\x09here' $'bad\\xff' $'back\\\\slash\\x01' 'caf\xc3\xa9'");
	assert_true(valid_utf8(s));

	/* long: cut at 4000 bytes with "...", on a character boundary */
	enum { N = 3000 };
	char **big = calloc(N, sizeof(*big));
	assert_non_null(big);
	for (int i = 0; i < N; i++)
		big[i] = "\xe2\x82\xac\xe2\x82\xac"; /* "€€": quoted, 8 bytes */
	s = hostmeta_cmdline(&a, N, big, HOSTMETA_CMDLINE_MAX);
	assert_true(strlen(s) <= HOSTMETA_CMDLINE_MAX);
	assert_true(strlen(s) > HOSTMETA_CMDLINE_MAX - 8);
	assert_string_equal(s + strlen(s) - 3, "...");
	assert_true(valid_utf8(s));
	for (int cut = 10; cut < 40; cut++) {
		s = hostmeta_cmdline(&a, 4, big, (size_t)cut);
		assert_true(strlen(s) <= (size_t)cut);
		assert_true(valid_utf8(s));
	}
	free(big);
	s = hostmeta_cmdline(&a, 0, NULL, 4000);
	assert_string_equal(s, "");
	tarena_free(&a);
}

/* ---- sideband ----------------------------------------------------------------- */

struct sb_collect {
	pid_t child, self;
	int fork_seen, exec_seen, exit_seen, comm_seen;
	int map_seen;
	uint64_t fork_ts, exec_ts, exit_ts, map_ts;
	uint32_t fork_ppid, fork_ptid;
	char exec_comm[16];
	uint8_t bid[BUILDID_MAX];
	uint8_t bid_len;
	uint32_t map_prot;
	uint64_t map_pgoff;
	uint64_t tasks, maps;
	uint64_t last_ts_bad; /* records not in [t0, t1] */
	int fail_next;        /* return -EAGAIN once, to test redelivery */
	int all_maps;         /* exec_maps_only was 0 */
	int redelivered;
	char true_path[PATH_MAX];
	uint64_t t0, t1;
};

static int sb_task(void *ctx, const struct trec_task *t)
{
	struct sb_collect *c = ctx;
	if (t->pid != (uint32_t)c->child && t->tid != (uint32_t)c->child)
		return 0;
	if (c->fail_next) {
		c->fail_next = 0;
		return -EAGAIN;
	}
	c->tasks++;
	if (t->ts < c->t0 || t->ts > c->t1)
		c->last_ts_bad = t->ts;
	switch (t->kind) {
	case TREC_TASK_FORK:
		if (c->fork_seen && c->fork_ts == t->ts)
			c->redelivered++;
		c->fork_seen++;
		c->fork_ts = t->ts;
		c->fork_ppid = t->ppid;
		c->fork_ptid = t->ptid;
		assert_int_equal(t->pid, c->child);
		assert_int_equal(t->tid, c->child);
		break;
	case TREC_TASK_EXEC:
		c->exec_seen++;
		c->exec_ts = t->ts;
		snprintf(c->exec_comm, sizeof(c->exec_comm), "%s", t->comm);
		break;
	case TREC_TASK_COMM:
		c->comm_seen++;
		break;
	case TREC_TASK_EXIT:
		c->exit_seen++;
		c->exit_ts = t->ts;
		break;
	default:
		fail_msg("unexpected task kind %u", t->kind);
	}
	return 0;
}

static int sb_map(void *ctx, const struct trec_map *m)
{
	struct sb_collect *c = ctx;
	if (!c->all_maps)
		assert_true(m->prot & PROT_EXEC); /* exec_maps_only */
	assert_non_null(m->path);
	if (m->pid != (uint32_t)c->child)
		return 0;
	c->maps++;
	if (m->ts < c->t0 || m->ts > c->t1)
		c->last_ts_bad = m->ts;
	if (strcmp(m->path, c->true_path) == 0) {
		c->map_seen++;
		c->map_ts = m->ts;
		c->map_prot = m->prot;
		c->map_pgoff = m->pgoff;
		c->bid_len = m->build_id_len;
		memcpy(c->bid, m->build_id, m->build_id_len);
	}
	return 0;
}

/* Opens the side-band or skips/fails the test as the header says. */
static struct sideband *open_or_skip(struct sideband_opts *o)
{
	struct sideband *sb = NULL;
	struct trec_err err = { 0 };
	const char *ci = getenv("CI");

	if (sideband_open(&sb, o, &err) == 0)
		return sb;
	if (geteuid() != 0) {
		print_message("# SKIP perf side-band needs root or CAP_PERFMON: %s\n", err.msg);
		skip();
	}
	fail_msg("sideband_open as root%s: %s", ci && strcmp(ci, "true") == 0 ? " (CI)" : "", err.msg);
	return NULL;
}

static int all_seen(const struct sb_collect *c)
{
	return c->fork_seen && c->exec_seen && c->exit_seen && c->map_seen;
}

/* Drains until pred holds or ~2 s passed; returns records delivered. */
static int drain_until(struct sideband *sb, struct sb_collect *c, int (*pred)(const struct sb_collect *))
{
	struct sideband_cb cb = { .ctx = c, .task = sb_task, .map = sb_map };
	int total = 0;
	/* Up to 10 s: a loaded CI machine running sanitized tests in
	 * parallel can take seconds to schedule the child. */
	for (int tries = 0; tries < 1000 && !pred(c); tries++) {
		int rc = sideband_drain(sb, &cb);
		if (rc == -EAGAIN)
			continue; /* the injected failure: the record comes again */
		assert_true(rc >= 0);
		total += rc;
		if (!pred(c))
			usleep(10000);
	}
	return total;
}

static int map_seen(const struct sb_collect *c) { return c->map_seen && c->exec_seen; }

/* fork + exec of bin (argv), then drain and check the history.
 * no_kbid: the kernel gives no build-ids, they come from the files;
 * alive: run a copy of bin, delete it, drain while the child still runs
 * (the build-id can only come through map_files), then kill it. */
static void fork_exec_case(const char *bin, char *const argv[], int no_kbid, int alive)
{
	struct sideband_opts o = { .sz = sizeof(o), .pages_per_cpu = 256, .exec_maps_only = 1,
				   .no_kernel_build_ids = no_kbid };
	int perf_maps_before = count_perf_maps();
	struct sideband *sb = open_or_skip(&o);
	const int *fds;
	size_t nfds;
	assert_int_equal(sideband_fds(sb, &fds, &nfds), 0);
	assert_int_equal((long)nfds, sysconf(_SC_NPROCESSORS_ONLN));
	for (size_t i = 0; i < nfds; i++)
		assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(sideband_kernel_build_ids(sb), !no_kbid);

	struct sb_collect *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	char *copy = NULL;
	const char *run = bin;
	if (alive) {
		/* Run a copy and delete it before draining: then only
		 * /proc/PID/map_files can still find the mapped file. */
		size_t len;
		void *elf = slurp(bin, &len);
		copy = tmp_file(elf, len);
		free(elf);
		assert_int_equal(chmod(copy, 0755), 0);
		run = copy;
	}
	assert_non_null(realpath(run, c->true_path));
	c->self = getpid();
	c->t0 = mono_ns();
	c->t1 = UINT64_MAX; /* known at the end */
	assert_int_equal(sideband_enable(sb), 0);

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execv(run, argv);
		_exit(127);
	}
	c->child = child;
	if (copy) {
		char exe[PATH_MAX], link[64];
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)child);
		/* Up to 10 s for the exec, as for the drains: a loaded CI
		 * machine (ASan, recorders running storms) is slow to exec. */
		for (int i = 0; i < 1000; i++) {
			ssize_t l = readlink(link, exe, sizeof(exe) - 1);
			if (l > 0 && (exe[l] = 0, strcmp(exe, c->true_path) == 0))
				break;
			usleep(10000);
		}
		assert_int_equal(unlink(copy), 0);
	}
	/* The first delivery of the child's first record fails: the drain
	 * stops with the error and the record comes again next time. */
	c->fail_next = 1;
	int total = 0;
	if (alive) {
		total += drain_until(sb, c, map_seen);
		assert_true(map_seen(c));
		kill(child, SIGKILL);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	if (!alive)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	c->t1 = mono_ns();
	total += drain_until(sb, c, all_seen);
	assert_int_equal(sideband_disable(sb), 0);

	struct sideband_stats st;
	sideband_stats(sb, &st);
	print_message("# side-band %s%s%s: %d records; child %d: %" PRIu64 " task, %" PRIu64
		      " map records; build-ids: %" PRIu64 " from the kernel, %" PRIu64
		      " from files, %" PRIu64 " unknown; lost %" PRIu64 "\n",
		      bin, no_kbid ? ", no kernel build-ids" : "", alive ? ", drained while alive" : "",
		      total, (int)child, c->tasks, c->maps, st.bid_kernel, st.bid_file, st.bid_unknown,
		      sideband_lost(sb));

	assert_int_equal(c->fork_seen, 1);
	assert_int_equal(c->fork_ppid, getpid());
	assert_int_equal(c->fork_ptid, syscall(SYS_gettid));
	assert_int_equal(c->exec_seen, 1);
	char comm[16]; /* the kernel names the task after the file it ran */
	snprintf(comm, sizeof(comm), "%s", strrchr(c->true_path, '/') + 1);
	assert_string_equal(c->exec_comm, comm);
	assert_int_equal(c->exit_seen, 1);
	assert_true(c->map_seen >= 1);
	assert_true(c->map_prot & PROT_EXEC);
	assert_int_equal(c->last_ts_bad, 0);
	/* CLOCK_MONOTONIC, in the order things happened */
	assert_true(c->t0 <= c->fork_ts && c->fork_ts <= c->exec_ts && c->exec_ts <= c->map_ts &&
		    c->map_ts <= c->exit_ts && c->exit_ts <= c->t1);

	uint8_t want[BUILDID_MAX];
	int nw = buildid_read_path(NULL, bin, want);
	assert_int_equal(nw, 20);
	if (no_kbid && !alive) {
		/* Exited before the drain, and no build-id from the kernel:
		 * map_files and its root are gone, but the record names the
		 * mapped file by device and inode, and the host file with those
		 * is the one it mapped (mapfile.h): its build-id is read. */
		assert_int_equal(st.bid_kernel, 0);
		assert_int_equal(c->bid_len, nw);
		assert_memory_equal(c->bid, want, (size_t)nw);
		assert_true(st.bid_file >= 1);
	} else {
		assert_int_equal(c->bid_len, nw);
		assert_memory_equal(c->bid, want, (size_t)nw);
	}
	if (no_kbid && alive) {
		assert_int_equal(st.bid_kernel, 0);
		assert_true(st.bid_file >= 1);
	}
	assert_int_equal(sideband_lost(sb), 0);
	assert_int_equal(st.corrupt, 0);

	sideband_close(sb);
	assert_int_equal(count_perf_maps(), perf_maps_before);
	free(copy);
	free(c);
}

static void test_sideband_fork_exec_exit(void **state)
{
	(void)state;
	char *argv[] = { "true", NULL };
	fork_exec_case("/bin/true", argv, 0, 0);
}

static void test_sideband_no_kernel_build_ids(void **state)
{
	(void)state;
	char *argv[] = { "true", NULL };
	fork_exec_case("/bin/true", argv, 1, 0); /* exited: its path is not trusted */
}

static void test_sideband_map_files(void **state)
{
	(void)state;
	char *argv[] = { "sleep", "30", NULL };
	fork_exec_case("/bin/sleep", argv, 1, 1); /* deleted copy: only map_files finds it */
}

/* A tiny ring on a busy burst: records wrap the ring end (the bounce
 * path) and, if we do not drain, the kernel drops records and says so. */
static void test_sideband_small_ring(void **state)
{
	(void)state;
	struct sideband_opts o = { .sz = sizeof(o), .pages_per_cpu = 1, .exec_maps_only = 0 };
	struct sideband *sb = open_or_skip(&o);
	assert_int_equal(sideband_enable(sb), 0);
	struct sb_collect *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->t1 = UINT64_MAX;
	/* many children, drained as we go: no loss, wraps happen */
	struct sideband_cb cb = { .ctx = c, .task = sb_task, .map = sb_map };
	int exits = 0, forks = 0;
	for (int i = 0; i < 40; i++) {
		pid_t p = fork();
		assert_true(p >= 0);
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
		memset(c, 0, sizeof(*c));
		c->t1 = UINT64_MAX;
		c->all_maps = 1;
		c->child = p;
		assert_non_null(realpath("/bin/true", c->true_path));
		assert_true(sideband_drain(sb, &cb) >= 0);
		exits += c->exit_seen;
		forks += c->fork_seen;
	}
	uint64_t lost_drained = sideband_lost(sb);
	struct sideband_stats st;
	sideband_stats(sb, &st);
	print_message("# 1-page rings, drained per child: %d/40 forks, %d/40 exits seen, lost %" PRIu64
		      ", %" PRIu64 " records wrapped the ring end\n", forks, exits, lost_drained, st.wrapped);
	if (!lost_drained) {
		assert_int_equal(forks, 40);
		assert_int_equal(exits, 40);
	}
	assert_true(st.wrapped > 0);

	/* now without draining: the ring overflows and loss is counted */
	for (int i = 0; i < 200; i++) {
		pid_t p = fork();
		assert_true(p >= 0);
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	/* The kernel writes LOST with the next record that finds room: drain,
	 * cause a few records, drain again. */
	for (int i = 0; i < 50 && sideband_lost(sb) == lost_drained; i++) {
		memset(c, 0, sizeof(*c));
		c->t1 = UINT64_MAX;
		c->all_maps = 1;
		assert_true(sideband_drain(sb, &cb) >= 0);
		pid_t p = fork();
		assert_true(p >= 0);
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
	}
	assert_true(sideband_drain(sb, &cb) >= 0);
	print_message("# 1-page rings, 200 children undrained: lost %" PRIu64 " records\n",
		      sideband_lost(sb) - lost_drained);
	assert_true(sideband_lost(sb) > lost_drained);
	free(c);
	sideband_close(sb);
}

static void test_sideband_bad_opts(void **state)
{
	(void)state;
	struct sideband *sb = (struct sideband *)1;
	struct trec_err err = { 0 };
	struct sideband_opts o = { .sz = sizeof(o), .pages_per_cpu = 3 };
	assert_int_equal(sideband_open(&sb, &o, &err), -EINVAL);
	assert_null(sb);
	assert_non_null(strstr(err.msg, "power of two"));
	o.pages_per_cpu = 1u << 20;
	assert_int_equal(sideband_open(&sb, &o, &err), -EINVAL);
	o.sz = 0;
	o.pages_per_cpu = 0;
	assert_int_equal(sideband_open(&sb, &o, &err), -EINVAL);
	assert_int_equal(sideband_drain(NULL, NULL), -EINVAL);
	assert_int_equal(sideband_lost(NULL), 0);
	sideband_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_buildid_matches_readelf, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_not_elf, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_truncated, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_corrupt, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_crafted, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_cache, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_for_mapping, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_procfs_maps_lines, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_cpu_lists, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_procfs_self, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_procfs_missing_pid, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_procfs_all, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_procfs_hostile_tree, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_hostmeta, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_hostmeta_cmdline, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_sideband_bad_opts, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_sideband_fork_exec_exit, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_sideband_no_kernel_build_ids, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_sideband_map_files, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_sideband_small_ring, setup_fds, check_fds),
	};
	return cmocka_run_group_tests_name("record side-band", tests, NULL, NULL);
}
