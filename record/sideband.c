/* SPDX-License-Identifier: MIT */
/*
 * Perf side-band reader: dummy software events, one ring per online CPU.
 *
 * Ring protocol (see perf_event_open(2), "MMAP layout"): the kernel
 * advances data_head after writing records; we read head with acquire
 * ordering (the records it covers are then visible), consume, and publish
 * data_tail with release ordering (our reads are done before the kernel
 * may overwrite). The ring is mapped writable, which selects the
 * non-overwrite mode: a full ring drops new records and later emits
 * PERF_RECORD_LOST with the count, which we add up.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mapfile.h"
#include "procfs.h"
#include "sideband.h"

/* 512 KiB per CPU with 4 KiB pages: room for a burst of process starts
 * (a sanitized binary maps dozens of libraries at once) while the recorder
 * waits for a CPU on a loaded host, and still within the default
 * kernel.perf_event_mlock_kb (516 KiB per CPU), which needs no locked-memory
 * allowance. 256 KiB lost a few records when 4 test suites ran at once. */
#define DEFAULT_PAGES 128
#define MAX_PAGES 65536
#define MAX_RECORD 65536 /* perf_event_header.size is a u16 */

#ifndef PERF_RECORD_MISC_MMAP_BUILD_ID
#define PERF_RECORD_MISC_MMAP_BUILD_ID (1 << 14)
#endif

/* Trailer of every non-sample record with sample_id_all and our
 * sample_type (TID | TIME | CPU), in this order. */
struct sb_sample_id {
	uint32_t pid, tid;
	uint64_t time;
	uint32_t cpu, res;
};
#define SAMPLE_ID_SIZE sizeof(struct sb_sample_id) /* 24 */

struct sb_task_rec { /* FORK and EXIT */
	struct perf_event_header h;
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct sb_comm_rec {
	struct perf_event_header h;
	uint32_t pid, tid;
	/* char comm[], NUL-padded to 8 bytes */
};

struct sb_mmap2_rec {
	struct perf_event_header h;
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	union {
		struct {
			uint32_t maj, min;
			uint64_t ino, ino_generation;
		} file;
		struct {
			uint8_t size;
			uint8_t res1;
			uint16_t res2;
			uint8_t id[20];
		} bid;
	} u;
	uint32_t prot, flags;
	/* char filename[], NUL-padded to 8 bytes */
};

struct sb_lost_rec {
	struct perf_event_header h;
	uint64_t id, lost;
};

struct sb_ring {
	int cpu;
	void *base;      /* control page + data */
	size_t map_len;
	uint8_t *data;
	uint64_t size;   /* data bytes, a power of two */
};

struct sideband {
	struct sb_ring *rings;
	int *fds;
	size_t n;
	int exec_only;
	int kernel_build_ids;
	uint64_t lost;
	struct sideband_stats st;
	struct buildid_cache *bic;
	int own_bic;
	uint8_t *bounce;  /* MAX_RECORD bytes, for records that wrap the ring end */
	char path[4096 + 1];
};

/* ---- options and errors ------------------------------------------------- */

#define OPT_HAS(o, field) \
	((o) && (o)->sz >= offsetof(struct sideband_opts, field) + sizeof((o)->field))

static int read_int_file(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int open_error(struct trec_err *err, int code, int cpu)
{
	int paranoid = 0;
	switch (-code) {
	case EACCES:
	case EPERM:
		if (read_int_file("/proc/sys/kernel/perf_event_paranoid", &paranoid) < 0)
			return trec_errf(err, code,
					 "perf_event_open: permission denied: run as root or grant CAP_PERFMON");
		return trec_errf(err, code,
				 "perf_event_open: permission denied: run as root or grant CAP_PERFMON "
				 "(kernel.perf_event_paranoid=%d)", paranoid);
	case ENOSYS:
		return trec_errf(err, code,
				 "perf_event_open: system call not available (blocked by seccomp in a "
				 "container, or a kernel without CONFIG_PERF_EVENTS)");
	case ENOENT:
	case EOPNOTSUPP:
		return trec_errf(err, code,
				 "perf_event_open: this kernel has no software dummy event "
				 "(needs Linux >= 3.12 with CONFIG_PERF_EVENTS)");
	case EMFILE:
	case ENFILE:
		return trec_errf(err, code,
				 "perf_event_open: too many open files (one per CPU is needed): "
				 "raise the limit with ulimit -n");
	case EINVAL:
		return trec_errf(err, code,
				 "perf_event_open on cpu %d: invalid attributes: the kernel is too old "
				 "for use_clockid/comm_exec side-band events (needs Linux >= 4.1)", cpu);
	default:
		return trec_errf(err, code, "perf_event_open on cpu %d: %s", cpu, strerror(-code));
	}
}

/* ---- opening -------------------------------------------------------------- */

static int perf_open(int cpu, int build_id, int exec_only, uint32_t watermark)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.disabled = 1;
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
	a.sample_id_all = 1;
	a.mmap = 1;
	a.mmap2 = 1;
	/* non-exec mappings are only generated when someone wants them */
	a.mmap_data = exec_only ? 0 : 1;
	a.build_id = build_id ? 1 : 0;
	a.comm = 1;
	a.comm_exec = 1;
	a.task = 1;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC; /* bpf_ktime_get_ns()'s clock */
	/* Wake the reader when this many bytes are pending, not per record:
	 * process events come in bursts (a build forks thousands). */
	a.watermark = 1;
	a.wakeup_watermark = watermark;
	return (int)syscall(SYS_perf_event_open, &a, -1 /* all tasks */, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void ring_unmap(struct sb_ring *r)
{
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, r->map_len);
	r->base = NULL;
}

void sideband_close(struct sideband *sb)
{
	if (!sb)
		return;
	for (size_t i = 0; i < sb->n; i++) {
		ring_unmap(&sb->rings[i]);
		if (sb->fds[i] >= 0)
			close(sb->fds[i]);
	}
	free(sb->rings);
	free(sb->fds);
	free(sb->bounce);
	if (sb->own_bic)
		buildid_cache_free(sb->bic);
	free(sb);
}

int sideband_open(struct sideband **out, const struct sideband_opts *o, struct trec_err *err)
{
	unsigned pages = DEFAULT_PAGES;
	int exec_only = 1;
	int *cpus = NULL;
	size_t ncpus = 0;
	int rc;

	if (!out)
		return trec_errf(err, -EINVAL, "sideband_open: no output pointer");
	*out = NULL;
	if (o && o->sz < sizeof(size_t))
		return trec_errf(err, -EINVAL, "sideband_open: opts.sz is not set");
	if (OPT_HAS(o, pages_per_cpu) && o->pages_per_cpu)
		pages = o->pages_per_cpu;
	if (OPT_HAS(o, exec_maps_only))
		exec_only = o->exec_maps_only;
	if (pages > MAX_PAGES || (pages & (pages - 1)))
		return trec_errf(err, -EINVAL,
				 "side-band ring: pages_per_cpu must be a power of two from 1 to %u (got %u)",
				 MAX_PAGES, pages);

	rc = procfs_cpu_list("/sys/devices/system/cpu/online", &cpus, &ncpus);
	if (rc < 0 || !ncpus) {
		free(cpus);
		return trec_errf(err, rc < 0 ? rc : -ENODEV,
				 "reading /sys/devices/system/cpu/online: %s: is sysfs mounted?",
				 strerror(rc < 0 ? -rc : ENODEV));
	}

	struct sideband *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		free(cpus);
		return trec_errf(err, -ENOMEM, "side-band: out of memory");
	}
	sb->exec_only = exec_only;
	sb->rings = calloc(ncpus, sizeof(*sb->rings));
	sb->fds = calloc(ncpus, sizeof(*sb->fds));
	sb->bounce = malloc(MAX_RECORD);
	if (!sb->rings || !sb->fds || !sb->bounce) {
		rc = trec_errf(err, -ENOMEM, "side-band: out of memory");
		goto fail;
	}
	if (OPT_HAS(o, bic) && o->bic) {
		sb->bic = o->bic;
	} else {
		if (buildid_cache_new(&sb->bic) < 0) {
			rc = trec_errf(err, -ENOMEM, "side-band: out of memory");
			goto fail;
		}
		sb->own_bic = 1;
	}

	long pagesz = sysconf(_SC_PAGESIZE);
	size_t map_len = (size_t)(1 + pages) * (size_t)pagesz;
	/* Woken at a quarter full: three quarters stay free for what arrives
	 * before the recorder gets to run. */
	uint32_t watermark = (uint32_t)((size_t)pages * (size_t)pagesz / 4);
	int build_id = !(OPT_HAS(o, no_kernel_build_ids) && o->no_kernel_build_ids);
	for (size_t i = 0; i < ncpus; i++) {
		int fd = perf_open(cpus[i], build_id, exec_only, watermark);
		/* attr.build_id is Linux 5.12+; older kernels reject the unknown
		 * bit with EINVAL. Without it, build-ids come from the files. */
		if (fd < 0 && errno == EINVAL && build_id) {
			build_id = 0;
			fd = perf_open(cpus[i], build_id, exec_only, watermark);
		}
		if (fd < 0) {
			if (errno == ENODEV) /* went offline since we read the list */
				continue;
			rc = open_error(err, -errno, cpus[i]);
			goto fail;
		}
		struct sb_ring *r = &sb->rings[sb->n];
		sb->fds[sb->n] = fd;
		r->cpu = cpus[i];
		sb->n++;
		r->map_len = map_len;
		r->base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (r->base == MAP_FAILED) {
			rc = -errno;
			r->base = NULL;
			if (rc == -EPERM || rc == -ENOMEM)
				trec_errf(err, rc,
					  "mapping the side-band ring of cpu %d (%zu KiB): %s: lower "
					  "pages_per_cpu, or raise kernel.perf_event_mlock_kb or ulimit -l",
					  cpus[i], map_len / 1024, strerror(-rc));
			else
				trec_errf(err, rc, "mapping the side-band ring of cpu %d: %s", cpus[i],
					  strerror(-rc));
			goto fail;
		}
		struct perf_event_mmap_page *pc = r->base;
		/* data_offset/data_size exist since Linux 4.1; before, data
		 * starts one page in and fills the rest. */
		uint64_t off = pc->data_offset ? pc->data_offset : (uint64_t)pagesz;
		uint64_t size = pc->data_size ? pc->data_size : (uint64_t)pages * (uint64_t)pagesz;
		if (off + size > map_len || (size & (size - 1))) {
			rc = trec_errf(err, -EPROTO, "side-band ring of cpu %d: unexpected layout "
					"(data at %" PRIu64 ", %" PRIu64 " bytes)", cpus[i], off, size);
			goto fail;
		}
		r->data = (uint8_t *)r->base + off;
		r->size = size;
	}
	if (!sb->n) {
		rc = trec_errf(err, -ENODEV, "perf_event_open: no online CPU accepted a side-band event");
		goto fail;
	}
	sb->kernel_build_ids = build_id;
	free(cpus);
	*out = sb;
	return 0;
fail:
	free(cpus);
	sideband_close(sb);
	return rc;
}

int sideband_fds(const struct sideband *sb, const int **fds, size_t *n)
{
	if (!sb || !fds || !n)
		return -EINVAL;
	*fds = sb->fds;
	*n = sb->n;
	return 0;
}

static int ioctl_all(struct sideband *sb, unsigned long req)
{
	if (!sb)
		return -EINVAL;
	for (size_t i = 0; i < sb->n; i++)
		if (ioctl(sb->fds[i], req, 0) < 0)
			return -errno;
	return 0;
}

int sideband_enable(struct sideband *sb) { return ioctl_all(sb, PERF_EVENT_IOC_ENABLE); }
int sideband_disable(struct sideband *sb) { return ioctl_all(sb, PERF_EVENT_IOC_DISABLE); }

uint64_t sideband_lost(const struct sideband *sb) { return sb ? sb->lost : 0; }

void sideband_stats(const struct sideband *sb, struct sideband_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!sb)
		return;
	*st = sb->st;
	st->lost = sb->lost;
}
int sideband_kernel_build_ids(const struct sideband *sb) { return sb ? sb->kernel_build_ids : 0; }

/* ---- records ---------------------------------------------------------------- */

int sideband_map_wanted(const char *path, uint32_t prot, int exec_only)
{
	if (!path)
		return 0;
	if (exec_only && !(prot & PROT_EXEC))
		return 0;
	if (path[0] == '/')
		return strncmp(path, "//anon", 6) != 0; /* perf's name for anonymous memory */
	return strcmp(path, "[vdso]") == 0;
}

/* The on_* handlers return 1 for a record passed to a callback, 0 for one
 * filtered out, or the callback's negative error (then the record will be
 * delivered again, so it is counted only once it went through). */
static int deliver_task(struct sideband *sb, const struct sideband_cb *cb, const struct trec_task *t)
{
	int rc = cb->task ? cb->task(cb->ctx, t) : 0;
	if (rc < 0)
		return rc;
	sb->st.tasks++;
	return 1;
}

static int on_task(struct sideband *sb, const uint8_t *p, size_t size, const struct sideband_cb *cb)
{
	struct sb_task_rec r;
	struct trec_task t;

	if (size < sizeof(r) + SAMPLE_ID_SIZE)
		return 0; /* malformed: the kernel never writes these */
	memcpy(&r, p, sizeof(r));
	memset(&t, 0, sizeof(t));
	t.ts = r.time;
	t.kind = r.h.type == PERF_RECORD_FORK ? TREC_TASK_FORK : TREC_TASK_EXIT;
	t.pid = r.pid;
	t.tid = r.tid;
	t.ppid = r.ppid;
	t.ptid = r.ptid;
	t.exit_code = 0; /* perf does not say; the BPF side may */
	t.comm = "";
	t.filename = "";
	return deliver_task(sb, cb, &t);
}

static int on_comm(struct sideband *sb, const uint8_t *p, size_t size, const struct sideband_cb *cb)
{
	struct sb_comm_rec r;
	struct sb_sample_id sid;
	struct trec_task t;
	char comm[16];

	if (size < sizeof(r) + SAMPLE_ID_SIZE)
		return 0;
	memcpy(&r, p, sizeof(r));
	memcpy(&sid, p + size - SAMPLE_ID_SIZE, SAMPLE_ID_SIZE);
	size_t room = size - sizeof(r) - SAMPLE_ID_SIZE;
	size_t len = strnlen((const char *)p + sizeof(r), room < sizeof(comm) - 1 ? room : sizeof(comm) - 1);
	memcpy(comm, p + sizeof(r), len);
	comm[len] = 0;

	memset(&t, 0, sizeof(t));
	t.ts = sid.time;
	t.kind = (r.h.misc & PERF_RECORD_MISC_COMM_EXEC) ? TREC_TASK_EXEC : TREC_TASK_COMM;
	t.pid = r.pid;
	t.tid = r.tid;
	t.comm = comm;
	t.filename = ""; /* perf does not carry it; the recorder may know */
	return deliver_task(sb, cb, &t);
}

static int on_mmap2(struct sideband *sb, const uint8_t *p, size_t size, const struct sideband_cb *cb)
{
	struct sb_mmap2_rec r;
	struct sb_sample_id sid;
	struct trec_map m;
	int from_kernel = 0;

	if (size < sizeof(r) + SAMPLE_ID_SIZE)
		return 0;
	memcpy(&r, p, sizeof(r));
	memcpy(&sid, p + size - SAMPLE_ID_SIZE, SAMPLE_ID_SIZE);
	size_t room = size - sizeof(r) - SAMPLE_ID_SIZE;
	if (room > sizeof(sb->path) - 1)
		room = sizeof(sb->path) - 1;
	size_t len = strnlen((const char *)p + sizeof(r), room);
	memcpy(sb->path, p + sizeof(r), len);
	sb->path[len] = 0;

	if (!sideband_map_wanted(sb->path, r.prot, sb->exec_only) ||
	    (cb->pid_wanted && !cb->pid_wanted(cb->ctx, r.pid))) {
		sb->st.maps_filtered++;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.ts = sid.time;
	m.pid = r.pid;
	m.prot = r.prot;
	m.flags = r.flags;
	m.start = r.addr;
	m.len = r.len;
	m.pgoff = r.pgoff;
	m.path = sb->path;
	/* The kernel sets the flag even when it could not read the note (page
	 * not resident), with size 0; then, or without the flag, read the
	 * file ourselves. */
	if ((r.h.misc & PERF_RECORD_MISC_MMAP_BUILD_ID) && r.u.bid.size > 0 &&
	    r.u.bid.size <= sizeof(r.u.bid.id)) {
		m.build_id_len = r.u.bid.size;
		memcpy(m.build_id, r.u.bid.id, r.u.bid.size);
		from_kernel = 1;
	} else if (sb->path[0] == '/') {
		/* Without the kernel's build-id, the record names the file by
		 * device and inode: a host file with the same ones is the mapped
		 * file even when the process is already gone. */
		struct mapfile_query q = { .pid = (pid_t)r.pid, .start = r.addr, .end = r.addr + r.len,
					   .path = sb->path };
		if (!(r.h.misc & PERF_RECORD_MISC_MMAP_BUILD_ID)) {
			q.have_inode = 1;
			q.dev_major = r.u.file.maj;
			q.dev_minor = r.u.file.min;
			q.ino = r.u.file.ino;
		}
		int n = buildid_for_query(sb->bic, &q, m.build_id);
		m.build_id_len = (uint8_t)(n > 0 ? n : 0);
	}
	int rc = cb->map ? cb->map(cb->ctx, &m) : 0;
	if (rc < 0)
		return rc;
	sb->st.maps++;
	if (!m.build_id_len)
		sb->st.bid_unknown++;
	else if (from_kernel)
		sb->st.bid_kernel++;
	else
		sb->st.bid_file++;
	return 1;
}

static int handle(struct sideband *sb, const uint8_t *p, size_t size, const struct sideband_cb *cb)
{
	struct perf_event_header h;

	memcpy(&h, p, sizeof(h));
	switch (h.type) {
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		return on_task(sb, p, size, cb);
	case PERF_RECORD_COMM:
		return on_comm(sb, p, size, cb);
	case PERF_RECORD_MMAP2:
		return on_mmap2(sb, p, size, cb);
	case PERF_RECORD_LOST:
		if (size >= sizeof(struct sb_lost_rec)) {
			struct sb_lost_rec l;
			memcpy(&l, p, sizeof(l));
			sb->lost += l.lost;
		}
		return 0;
	default:
		return 0; /* THROTTLE and friends: nothing for us */
	}
}

/* Drains one ring. *delivered counts records passed to callbacks. */
static int drain_ring(struct sideband *sb, struct sb_ring *r, const struct sideband_cb *cb,
		      int *delivered)
{
	struct perf_event_mmap_page *pc = r->base;
	uint64_t mask = r->size - 1;
	uint64_t tail = pc->data_tail; /* only we write it */
	int rc = 0;

	/* A second look at head catches what arrived while we worked; no
	 * more than that, so a flood cannot keep us here forever. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		uint64_t head = __atomic_load_n(&pc->data_head, __ATOMIC_ACQUIRE);
		if (head == tail)
			break;
		while (head - tail >= sizeof(struct perf_event_header)) {
			struct perf_event_header h;
			uint64_t off = tail & mask;
			const uint8_t *rec;

			/* Records are 8-byte aligned and the ring a multiple of 8,
			 * so a header never straddles the end; its body may. */
			memcpy(&h, r->data + off, sizeof(h));
			if (h.size < sizeof(h) || h.size > head - tail) {
				/* Cannot happen with a sane kernel; skip what is
				 * there rather than loop forever on it. */
				sb->st.corrupt++;
				tail = head;
				break;
			}
			if (off + h.size <= r->size) {
				rec = r->data + off;
			} else {
				size_t first = (size_t)(r->size - off);
				memcpy(sb->bounce, r->data + off, first);
				memcpy(sb->bounce + first, r->data, h.size - first);
				rec = sb->bounce;
				sb->st.wrapped++;
			}
			int n = handle(sb, rec, h.size, cb);
			if (n < 0) {
				/* the callback failed: keep the record for the next drain */
				rc = n;
				break;
			}
			if (*delivered < INT_MAX) /* the count is for progress, not exact */
				*delivered += n;
			tail += h.size;
		}
		/* our reads of the records are done before the kernel may reuse them */
		__atomic_store_n(&pc->data_tail, tail, __ATOMIC_RELEASE);
	}
	return rc;
}

int sideband_drain(struct sideband *sb, const struct sideband_cb *cb)
{
	int delivered = 0;

	if (!sb || !cb)
		return -EINVAL;
	for (size_t i = 0; i < sb->n; i++) {
		int rc = drain_ring(sb, &sb->rings[i], cb, &delivered);
		if (rc < 0)
			return rc;
	}
	return delivered;
}
