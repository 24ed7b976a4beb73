/* SPDX-License-Identifier: MIT */
/*
 * Opening a mapped file as its process sees it (record/mapfile.c), and the
 * DSO tracker that keeps those files open from the first mapping
 * (record/dsos.c).
 *
 * The hostile cases are built for real: a fake root directory holding an
 * absolute symlink and ".." escapes toward a host file (which carries a
 * different text, so opening it would show), a FIFO (opening it for
 * reading without O_NONBLOCK would hang: an alarm turns a hang into a
 * failure), a device node, a binary deleted and replaced while mapped, a
 * fake /proc tree to reach every route, and, as root, a child chrooted in
 * its own mount namespace (a container in miniature). Every test checks
 * that it leaves no fd behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buildid.h"
#include "dsos.h"
#include "mapfile.h"
#include "records.h"
#include "scratch.h"

#define ELF_BIN "/usr/bin/true" /* any ELF file with a build-id */

/* ---- helpers ----------------------------------------------------------------- */


static int fds_at_start;

static int setup_fds(void **state)
{
	(void)state;
	/* a fresh directory per test: one that fails leaves nothing to the next */
	scratch_remove();
	scratch_make("mapfile");
	fds_at_start = scratch_count_fds();
	alarm(20); /* a blocking open would hang the test: fail instead */
	return 0;
}

static int check_fds(void **state)
{
	(void)state;
	alarm(0);
	int now = scratch_count_fds();
	if (now != fds_at_start) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n", fds_at_start, now);
		return -1;
	}
	return 0;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	char buf[65536];
	ssize_t n;
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/* The first bytes of an open file, as a string (for the text files). */
static const char *text_of(int fd)
{
	static char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void mkdirs(const char *path)
{
	char cmd[MAPFILE_MAX_PATH + 32];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* ---- resolution inside a root ------------------------------------------------ */

/*
 * A fake container root R and a host file H (absolute path, outside R)
 * holding "host". Inside R: R/H holding "inside" (the container's own file
 * at the same path), links that try to leave R. Nothing may open H.
 */
struct fake_root {
	char root[320], host[320];
	int rootfd;
};

static void make_fake_root(struct fake_root *f)
{
	snprintf(f->root, sizeof(f->root), "%s", scratch_path("root"));
	snprintf(f->host, sizeof(f->host), "%s", scratch_path("host/secret"));
	mkdirs(scratch_path("host"));
	write_file(f->host, "host");
	char p[1024];
	snprintf(p, sizeof(p), "%s%s", f->root, scratch_path("host"));
	mkdirs(p);
	snprintf(p, sizeof(p), "%s%s", f->root, f->host);
	write_file(p, "inside");
	mkdirs(scratch_path("root/bin"));
	write_file(scratch_path("root/bin/app"), "app");
	/* An absolute symlink: on the host it is H; in R, R/H. */
	assert_int_equal(symlink(f->host, scratch_path("root/bin/abs")), 0);
	/* Enough ".." to climb out of R from anywhere on the host. */
	char up[1024] = "";
	for (int i = 0; i < 40; i++)
		strcat(up, "../");
	snprintf(p, sizeof(p), "%s%s", up, f->host + 1);
	assert_int_equal(symlink(p, scratch_path("root/bin/dotdot")), 0);
	assert_int_equal(symlink("/bin/../../../../../nowhere", scratch_path("root/bin/gone")), 0);
	assert_int_equal(mkfifo(scratch_path("root/bin/fifo"), 0600), 0);
	assert_int_equal(symlink("/bin/fifo", scratch_path("root/bin/tofifo")), 0);
	f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);
}

static void expect_text(int fd, const char *want)
{
	assert_true(fd >= 0);
	assert_string_equal(text_of(fd), want);
	close(fd);
}

static void test_in_root_stays_inside(void **state)
{
	(void)state;
	struct fake_root f;
	make_fake_root(&f);
	char p[1024];

	expect_text(mapfile_open_in_root(f.rootfd, "/bin/app"), "app");
	expect_text(mapfile_open_in_root(f.rootfd, "bin/app"), "app");
	/* The absolute link leads to R/H, the container's file, never to H. */
	expect_text(mapfile_open_in_root(f.rootfd, "/bin/abs"), "inside");
	expect_text(mapfile_open_in_root(f.rootfd, "/bin/dotdot"), "inside");
	/* ".." in the path itself stops at R too. */
	snprintf(p, sizeof(p), "/../../../../..%s", f.host);
	expect_text(mapfile_open_in_root(f.rootfd, p), "inside");
	expect_text(mapfile_open_in_root(f.rootfd, f.host), "inside");

	/* Without R/H the same links find nothing (not H). */
	snprintf(p, sizeof(p), "%s%s", f.root, f.host);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin/abs"), -ENOENT);
	assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin/dotdot"), -ENOENT);
	assert_int_equal(mapfile_open_in_root(f.rootfd, f.host), -ENOENT);
	assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin/gone"), -ENOENT);
	close(f.rootfd);
}

static void test_in_root_refuses_special_files(void **state)
{
	(void)state;
	struct fake_root f;
	make_fake_root(&f);

	/* A FIFO: opened for reading without O_NONBLOCK this would block
	 * until a writer came (the alarm would fire). Never opened. */
	assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin/fifo"), -EINVAL);
	assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin/tofifo"), -EINVAL);
	assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin"), -EINVAL); /* a directory */
	if (geteuid() == 0) {
		/* A character device (the numbers of /dev/null) */
		assert_int_equal(mknod(scratch_path("root/bin/dev"), S_IFCHR | 0600, makedev(1, 3)), 0);
		assert_int_equal(mapfile_open_in_root(f.rootfd, "/bin/dev"), -EINVAL);
	} else {
		print_message("# not root: the device node case is skipped (mknod needs CAP_MKNOD)\n");
	}
	/* A magic link: the host's /proc/self/root would lead anywhere. */
	int hostroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(hostroot >= 0);
	char p[600];
	snprintf(p, sizeof(p), "/proc/self/root%s", f.host);
	assert_int_equal(mapfile_open_in_root(hostroot, p), -ELOOP);
	expect_text(mapfile_open_in_root(hostroot, f.host), "host"); /* the same file, by its name */
	close(hostroot);

	/* Bad arguments and absurd paths. */
	assert_int_equal(mapfile_open_in_root(-1, "/bin/app"), -EINVAL);
	assert_int_equal(mapfile_open_in_root(f.rootfd, ""), -EINVAL);
	char *longp = malloc(MAPFILE_MAX_PATH + 10);
	assert_non_null(longp);
	memset(longp, 'a', MAPFILE_MAX_PATH + 9);
	longp[0] = '/';
	longp[MAPFILE_MAX_PATH + 9] = 0;
	assert_int_equal(mapfile_open_in_root(f.rootfd, longp), -ENAMETOOLONG);
	assert_false(mapfile_path_usable(longp));
	free(longp);
	assert_false(mapfile_path_usable("/usr/bin/app (deleted)"));
	assert_false(mapfile_path_usable("relative/app"));
	assert_false(mapfile_path_usable(NULL));
	assert_true(mapfile_path_usable("/usr/bin/app"));
	close(f.rootfd);
}

/* ---- every route, through a fake /proc --------------------------------------- */

/*
 * PROC/4242/root -> R (a plain symlink to a directory works like the magic
 * one), PROC/4242/map_files/1000-2000 -> a file; no ns/mnt (its namespace
 * cannot be told, so never "the same as ours"); PROC/4243 absent (exited).
 */
static void make_fake_proc(struct fake_root *f, char *proc, size_t cap)
{
	make_fake_root(f);
	snprintf(proc, cap, "%s", scratch_path("proc"));
	mkdirs(scratch_path("proc/4242/map_files"));
	assert_int_equal(symlink(f->root, scratch_path("proc/4242/root")), 0);
	write_file(scratch_path("mapped"), "mapped");
	assert_int_equal(symlink(scratch_path("mapped"), scratch_path("proc/4242/map_files/1000-2000")), 0);
	assert_int_equal(symlink(scratch_path("root/bin/fifo"), scratch_path("proc/4242/map_files/3000-4000")), 0);
}

static int open_q(const char *proc, pid_t pid, uint64_t start, uint64_t end, const char *path,
		  enum mapfile_route *route)
{
	struct mapfile_query q = { .pid = pid, .start = start, .end = end, .path = path, .proc = proc };
	return mapfile_open(&q, route);
}

static void test_routes(void **state)
{
	(void)state;
	struct fake_root f;
	char proc[320];
	enum mapfile_route r;
	make_fake_proc(&f, proc, sizeof(proc));

	/* 1. map_files, whatever the path says */
	expect_text(open_q(proc, 4242, 0x1000, 0x2000, "/bin/app", &r), "mapped");
	assert_int_equal(r, MAPFILE_MAP_FILES);
	expect_text(open_q(proc, 4242, 0x1000, 0x2000, "/bin/app (deleted)", &r), "mapped");
	/* a FIFO behind map_files is refused; the path inside the root is next */
	expect_text(open_q(proc, 4242, 0x3000, 0x4000, "/bin/app", &r), "app");
	assert_int_equal(r, MAPFILE_IN_ROOT);

	/* 2. inside the root: the container's file, not the host's */
	expect_text(open_q(proc, 4242, 0x5000, 0x6000, f.host, &r), "inside");
	assert_int_equal(r, MAPFILE_IN_ROOT);
	expect_text(open_q(proc, 4242, 0x5000, 0x6000, "/bin/abs", &r), "inside");

	/* 3. the host path: never without a proof */
	char p[1024];
	snprintf(p, sizeof(p), "%s%s", f.root, f.host);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(open_q(proc, 4242, 0x5000, 0x6000, f.host, &r), -ENOENT);
	assert_int_equal(r, MAPFILE_NONE);
	assert_int_equal(open_q(proc, 4243, 0x5000, 0x6000, f.host, &r), -ENOENT); /* exited */
	/* a deleted file is never looked up by name */
	assert_int_equal(open_q(proc, 4243, 0x1000, 0x2000, "/bin/app (deleted)", &r), -ENOENT);

	/* ... with the kernel's device and inode: that file, or nothing */
	struct stat st;
	assert_int_equal(stat(f.host, &st), 0);
	struct mapfile_query q = { .pid = 4243, .start = 0x5000, .end = 0x6000, .path = f.host, .proc = proc,
				   .have_inode = 1, .dev_major = major(st.st_dev), .dev_minor = minor(st.st_dev),
				   .ino = st.st_ino };
	expect_text(mapfile_open(&q, &r), "host");
	assert_int_equal(r, MAPFILE_HOST_INODE);
	q.ino++;
	assert_int_equal(mapfile_open(&q, &r), -ESTALE);
	assert_int_equal(r, MAPFILE_NONE);

	/* ... with the kernel's build-id: a file carrying it, or nothing */
	uint8_t id[BUILDID_MAX];
	int n = buildid_read_path(NULL, ELF_BIN, id);
	assert_true(n > 0);
	copy_file(ELF_BIN, scratch_path("host/elf"));
	q = (struct mapfile_query){ .pid = 4243, .start = 0x5000, .end = 0x6000, .path = scratch_path("host/elf"),
				    .proc = proc, .build_id = id, .build_id_len = (size_t)n };
	int fd = mapfile_open(&q, &r);
	assert_true(fd >= 0);
	assert_int_equal(r, MAPFILE_HOST_BUILDID);
	close(fd);
	id[0] ^= 1;
	assert_int_equal(mapfile_open(&q, &r), -ESTALE);
	/* the build-id is checked on every route: map_files too */
	q.pid = 4242;
	q.start = 0x1000;
	q.end = 0x2000;
	assert_int_equal(mapfile_open(&q, &r), -ESTALE);
	q.build_id_len = BUILDID_MAX + 1;
	assert_int_equal(mapfile_open(&q, &r), -EINVAL);
	assert_int_equal(mapfile_open(NULL, &r), -EINVAL);

	assert_string_equal(mapfile_route_name(MAPFILE_IN_ROOT), "in-root");
	assert_string_equal(mapfile_route_name(MAPFILE_NONE), "none");
	close(f.rootfd);
}

/* Without a proof, buildid_for_query reads no host file for an exited
 * process; with the kernel's inode it reads that very file. */
static void test_buildid_for_query(void **state)
{
	(void)state;
	struct fake_root f;
	char proc[320];
	uint8_t want[BUILDID_MAX], id[BUILDID_MAX];
	make_fake_proc(&f, proc, sizeof(proc));
	copy_file(ELF_BIN, scratch_path("host/elf"));
	int n = buildid_read_path(NULL, ELF_BIN, want);
	assert_true(n > 0);
	struct stat st;
	assert_int_equal(stat(scratch_path("host/elf"), &st), 0);
	struct mapfile_query q = { .pid = 4243, .start = 0x5000, .end = 0x6000, .path = scratch_path("host/elf"),
				   .proc = proc };
	assert_true(buildid_for_query(NULL, &q, id) < 0);
	q.have_inode = 1;
	q.dev_major = major(st.st_dev);
	q.dev_minor = minor(st.st_dev);
	q.ino = st.st_ino;
	assert_int_equal(buildid_for_query(NULL, &q, id), n);
	assert_memory_equal(id, want, (size_t)n);
	close(f.rootfd);
}

/* ---- a real mapping: deleted and replaced --------------------------------------- */

static void test_deleted_and_replaced(void **state)
{
	(void)state;
	const char *bin = scratch_path("prog");
	uint8_t want[BUILDID_MAX], id[BUILDID_MAX];
	copy_file(ELF_BIN, bin);
	int n = buildid_read_path(NULL, bin, want);
	assert_true(n > 0);
	int fd = open(bin, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	/* Replace it: same path, another file (text, no build-id). */
	assert_int_equal(unlink(bin), 0);
	write_file(bin, "replaced");

	uint64_t start = (uint64_t)(uintptr_t)map;
	uint64_t end = start + (((uint64_t)st.st_size + 4095) & ~4095ull);
	struct mapfile_query q = { .pid = getpid(), .start = start, .end = end, .path = bin,
				   .build_id = want, .build_id_len = (size_t)n };
	enum mapfile_route r;
	fd = mapfile_open(&q, &r);
	if (geteuid() == 0) {
		/* map_files: the mapped file, though its name now says otherwise */
		assert_true(fd >= 0);
		assert_int_equal(r, MAPFILE_MAP_FILES);
		assert_int_equal(buildid_read_fd(fd, id), n);
		assert_memory_equal(id, want, (size_t)n);
		close(fd);
	} else {
		/* no map_files: the path now names the replacement, which does
		 * not carry the mapping's build-id */
		print_message("# not root: map_files is closed to us; the replacement must be refused\n");
		assert_int_equal(fd, -ESTALE);
	}
	/* Without the build-id, the path gives the replacement only through
	 * the root (the same file as our own root shows). */
	q.build_id = NULL;
	q.build_id_len = 0;
	q.start = 1;
	q.end = 2;
	expect_text(mapfile_open(&q, &r), "replaced");
	assert_int_equal(r, MAPFILE_IN_ROOT);
	munmap(map, (size_t)st.st_size);
	unlink(bin);
}

/* ---- a container in miniature --------------------------------------------------- */

/*
 * A child in its own mount namespace, chrooted into a tmpfs that exists
 * only there, holding /app and /evil -> H (absolute, H a host file). The
 * recorder, looking from outside, must find /app and never H.
 */
static pid_t start_container(const char *dir, const char *host, int *ready)
{
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char p[600];
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("none", dir, "tmpfs", 0, "size=1m"))
			_exit(1);
		snprintf(p, sizeof(p), "%s/app", dir);
		int fd = open(p, O_WRONLY | O_CREAT, 0644);
		if (fd < 0 || write(fd, "container app", 13) != 13)
			_exit(1);
		close(fd);
		snprintf(p, sizeof(p), "%s/evil", dir);
		if (symlink(host, p) || chroot(dir) || chdir("/") || write(pfd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	char c;
	*ready = read(pfd[0], &c, 1) == 1;
	close(pfd[0]);
	return pid;
}

static void test_container(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("# not root: no mount namespace to build; skipped\n");
		skip();
	}
	const char *dir = scratch_path("ctr");
	char host[320];
	snprintf(host, sizeof(host), "%s", scratch_path("hostfile"));
	mkdirs(dir);
	write_file(host, "host");
	write_file(scratch_path("ctr/app"), "host app"); /* hidden under the tmpfs in there */
	int ready;
	pid_t pid = start_container(dir, host, &ready);
	enum mapfile_route r;
	int fd_app = -1, fd_evil = 0, fd_host = 0;
	if (ready) {
		fd_app = open_q(NULL, pid, 1, 2, "/app", &r);
		fd_evil = open_q(NULL, pid, 1, 2, "/evil", NULL);
		fd_host = open_q(NULL, pid, 1, 2, host, NULL);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_true(ready);
	expect_text(fd_app, "container app");
	assert_int_equal(r, MAPFILE_IN_ROOT);
	assert_int_equal(fd_evil, -ENOENT);
	assert_int_equal(fd_host, -ENOENT);
	/* The namespace is gone with the child: nothing is mounted here. */
	expect_text(open(scratch_path("ctr/app"), O_RDONLY | O_CLOEXEC), "host app");
}

/* ---- the DSO tracker ------------------------------------------------------------ */

/* A child that maps `bin` (it runs it) until killed. */
static pid_t run_child(const char *bin, uint64_t *start, uint64_t *end, char *path, size_t cap)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(bin, bin, "30", (char *)NULL);
		_exit(127);
	}
	/* wait for the exec: its first executable mapping of bin */
	char maps[64], line[4096];
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(maps, "re");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long s, e;
			char perms[8];
			int off = 0;
			if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, perms, &off) < 3 || !off)
				continue;
			line[strcspn(line, "\n")] = 0;
			if (perms[2] == 'x' && strcmp(line + off, bin) == 0) {
				*start = s;
				*end = e;
				snprintf(path, cap, "%s", line + off);
				fclose(f);
				return pid;
			}
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("%s never mapped in pid %d", bin, (int)pid);
	return -1;
}

static void test_tracker_keeps_files(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("# not root: /proc/PID/map_files is closed to us; skipped\n");
		skip();
	}
	const char *bin = scratch_path("sleeper");
	copy_file("/usr/bin/sleep", bin);
	uint8_t want[BUILDID_MAX], id[BUILDID_MAX];
	int n = buildid_read_path(NULL, bin, want);
	assert_true(n > 0);

	struct dso_tracker *t;
	struct dso_tracker_opts o = { .sz = sizeof(o) };
	assert_int_equal(dso_tracker_new_opts(&t, &o), 0);
	uint64_t start, end;
	char path[4096];
	pid_t pid = run_child(bin, &start, &end, path, sizeof(path));
	struct trec_map m = { .pid = (uint32_t)pid, .prot = PROT_READ | PROT_EXEC, .start = start,
			      .len = end - start, .path = path, .build_id_len = (uint8_t)n };
	memcpy(m.build_id, want, (size_t)n);
	assert_int_equal(dso_tracker_map(t, &m), 0);
	/* The process exits and its binary is deleted: the tracker still
	 * has the file. */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(unlink(bin), 0);
	int fd = dso_tracker_fd(t, &m);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(buildid_read_fd(fd, id), n);
	assert_memory_equal(id, want, (size_t)n);
	close(fd);
	struct dso_tracker_stats st;
	dso_tracker_stats(t, &st);
	assert_int_equal(st.dsos, 1);
	assert_int_equal(st.kept, 1);
	assert_int_equal(st.by_route[MAPFILE_MAP_FILES], 1);
	assert_true(st.roots <= 1);
	/* A mapping it was never told about. */
	struct trec_map other = m;
	other.start += 0x1000000;
	assert_int_equal(dso_tracker_fd(t, &other), -ENOENT);
	dso_tracker_free(t);
}

/* Past the cap, a DSO keeps no fd: dso_tracker_fd opens it again while
 * a process still maps it, and says -ENOENT once none does. */
static void test_tracker_cap(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("# not root: /proc/PID/map_files is closed to us; skipped\n");
		skip();
	}
	struct dso_tracker *t;
	struct dso_tracker_opts o = { .sz = sizeof(o), .max_fds = 2 };
	assert_int_equal(dso_tracker_new_opts(&t, &o), 0);
	const char *src[3] = { "/usr/bin/sleep", "/usr/bin/sleep", "/usr/bin/sleep" };
	pid_t pids[3];
	struct trec_map m[3];
	char paths[3][4096];
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "sleep%d", i);
		const char *bin = scratch_path(name);
		copy_file(src[i], bin);
		/* three copies of one binary: no build-id given, so three
		 * DSOs by device and inode */
		uint64_t s, e;
		pids[i] = run_child(bin, &s, &e, paths[i], sizeof(paths[i]));
		m[i] = (struct trec_map){ .pid = (uint32_t)pids[i], .start = s, .len = e - s, .path = paths[i] };
		assert_int_equal(dso_tracker_map(t, &m[i]), 0);
	}
	struct dso_tracker_stats st;
	dso_tracker_stats(t, &st);
	assert_int_equal(st.max_fds, 2);
	assert_int_equal(st.dsos, 3);
	/* two files, or one file and its root: never more than the cap */
	assert_true(st.kept + st.roots <= 2);
	assert_true(st.unkept >= 1);
	for (int i = 0; i < 3; i++) {
		int fd = dso_tracker_fd(t, &m[i]);
		assert_true(fd >= 0);
		close(fd);
	}
	for (int i = 0; i < 3; i++) {
		kill(pids[i], SIGKILL);
		assert_int_equal(waitpid(pids[i], NULL, 0), pids[i]);
		unlink(paths[i]);
	}
	int gone = 0;
	for (int i = 0; i < 3; i++) {
		int fd = dso_tracker_fd(t, &m[i]);
		if (fd >= 0)
			close(fd);
		else
			gone++;
	}
	assert_int_equal(gone, (int)st.unkept);
	dso_tracker_free(t);
}

static void test_tracker_opts(void **state)
{
	(void)state;
	struct dso_tracker *t = (void *)1;
	struct dso_tracker_opts bad = { 0 };
	assert_int_equal(dso_tracker_new_opts(&t, &bad), -EINVAL);
	assert_null(t);
	const char *dirs[] = { "/nonexistent/a", "/nonexistent/b" };
	struct dso_tracker_opts o = { .sz = sizeof(o), .debug_dirs = dirs, .ndebug_dirs = 2, .symfs = "/nonexistent" };
	assert_int_equal(dso_tracker_new_opts(&t, &o), 0);
	struct dso_tracker_stats st;
	dso_tracker_stats(t, &st);
	assert_true(st.max_fds >= 1 && st.max_fds <= DSO_TRACKER_MAX_FDS);
	/* non-file mappings are ignored */
	struct trec_map m = { .pid = 1, .start = 0x1000, .len = 0x1000, .path = "[vdso]" };
	assert_int_equal(dso_tracker_map(t, &m), 0);
	assert_int_equal(dso_tracker_fd(t, &m), -ENOENT);
	dso_tracker_free(t);
	assert_int_equal(dso_tracker_new(&t), 0);
	dso_tracker_free(t);
}

int main(void)
{
	scratch_make("mapfile");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_root_stays_inside, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_in_root_refuses_special_files, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_routes, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_buildid_for_query, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_deleted_and_replaced, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_container, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_tracker_keeps_files, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_tracker_cap, setup_fds, check_fds),
		cmocka_unit_test_setup_teardown(test_tracker_opts, setup_fds, check_fds),
	};
	int rc = cmocka_run_group_tests_name("record mapfile", tests, NULL, NULL);
	scratch_remove();
	return rc;
}
