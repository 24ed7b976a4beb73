/* SPDX-License-Identifier: MIT */
/*
 * trec record: capture tracepoints (BPF) and process side-band (perf)
 * into one trace file.
 *
 * The run, in order: resolve the events (tracefs), open the output
 * (0600, never silently over an existing file), load BPF, start the
 * side-band, take the /proc snapshot, attach, release the command, then
 * loop: drain rings and side-band, account losses, check the stop
 * conditions. At the end: detach, drain what is left, write the loss
 * totals, close the file with its index.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "as_user.h"
#include "cli_util.h"
#include "bpf_offcpu.h"
#include "bpf_probes.h"
#include "bpf_profile.h"
#include "consumer.h"
#include "dsos.h"
#include "hostmeta.h"
#include "plan.h"
#include "probes.h"
#include "probe_path.h"
#include "procfs.h"
#include "record_cmds.h"
#include "sideband.h"
#include "unwind.h"
#include "unwind_abi.h"
#include "units.h"
#include "writer.h"

static const struct cli_cmd record_cmd = {
	.name = "record",
	.synopsis = "[-e EVENT [--filter EXPR | --arg argN:str]]... [-a | -p PID[,PID...] | -- CMD [ARGS...]] [-o FILE]",
	.summary = "capture tracepoints and process history into a trace file",
	.options =
		"  -e, --event EVENT        tracepoint GROUP:NAME, or a glob (sched:*, syscalls:sys_enter_open*);\n"
		"                           repeatable; default raw_syscalls:sys_enter\n"
		"      --filter EXPR        keep only events of the preceding -e matching EXPR, evaluated in BPF\n"
		"                           (docs/FILTERS.md), e.g. 'prev_pid > 0 && next_comm == \"bash\"'\n"
		"  -e u:PATH:FUNC           uprobe: user function entry, arg0..arg5 (FUNC+OFF, 0xADDR, globs;\n"
		"                           PATH a file or a library name: u:libc:malloc); ur:PATH:FUNC its return\n"
		"  -e usdt:PATH:PROV:NAME   USDT probe, arguments arg0..argN (globs on PROV and NAME)\n"
		"  -e k:FUNC, kr:FUNC       kprobe / kretprobe on a kernel function; fentry:FUNC, fexit:FUNC\n"
		"                           the same through BPF trampolines (docs/PROBES.md)\n"
		"      --arg argN:str       record argument N of the preceding probe -e as a string\n"
		"  -a, --all-cpus           system-wide (the default without -p or a command); with a\n"
		"                           command: everything, for as long as the command runs\n"
		"  -p, --pid PID[,PID...]   existing processes, all their threads and later children;\n"
		"                           the recording stops when they have all exited\n"
		"  -o, --output FILE        output file (default trec.data; never overwritten without -f)\n"
		"  -f, --force              replace an existing output file\n"
		"      --duration SECS      stop after this long (10, 1.5, 500ms, 2m)\n"
		"      --max-size SIZE      stop when the file reaches SIZE (100M, 2G)\n"
		"      --switch-output SIZE|TIME  start a new file (OUTPUT.<time>) every SIZE bytes or TIME\n"
		"  -F, --freq HZ            sample on-CPU stacks HZ times a second on every CPU (cpu-clock;\n"
		"                           -e cpu-clock alone samples at 99 Hz; -e cycles uses the PMU)\n"
		"  -g                       record kernel and user stacks with every event\n"
		"      --call-graph MODE    -g, walking user stacks by MODE: dwarf (the default: rules\n"
		"                           compiled from each binary's .eh_frame, in BPF; frame pointers\n"
		"                           where no rule covers a frame; no stack memory is copied) or fp\n"
		"                           (frame pointers only); for -F and offcpu stacks too\n"
		"      --unwind-mem SIZE    kernel memory for the compiled unwind rules (default 32M;\n"
		"                           binaries past it are walked by frame pointers, counted)\n"
		"      --debug-dir DIR      separate debug files (.build-id/NN/REST.debug, debuglink) for\n"
		"                           the function names of stripped binaries; repeatable; replaces\n"
		"                           the default /usr/lib/debug\n"
		"      --symfs DIR          look for the traced binaries' symbols under DIR first\n"
		"  -e offcpu                time blocked threads spend off CPU, with the stacks where they\n"
		"                           blocked (weight: microseconds in trec report --folded --offcpu)\n"
		"      --offcpu-min DUR     report only blocks at least this long (default 1us)\n"
		"  -m, --buffer-size SIZE   ring buffer per CPU (default 8M; a power of two)\n"
		"  -z, --compression-level N  zstd level, 1 (fast, default) to 19\n"
		"  -q, --quiet              no progress line, no summary\n"
		"      --as-user[=USER]     run the command as the user who ran sudo (SUDO_UID,\n"
		"                           SUDO_GID, their groups, HOME/USER/LOGNAME/SHELL), or as\n"
		"                           USER; the recorder keeps root's capabilities. Without\n"
		"                           it the command runs as trec does (root under sudo)\n"
		"  -h, --help               this help\n"
		"\n"
		"With -- CMD, trec starts CMD, traces it and every descendant, stops when it exits and\n"
		"exits with its status. Loss is never silent: records the BPF side could not reserve and\n"
		"records the writer could not take are counted per CPU and event and written as loss records.\n",
};

struct opts {
	struct plan plan;
	struct probe_set probes; /* u:, ur:, usdt:, k:, kr:, fentry:, fexit: */
	int last_e_probe;        /* the latest -e was a probe: --filter cannot follow it */
	const char *output;
	int force, quiet, all;
	pid_t *pids;
	size_t npids;
	uint64_t duration_ns, max_size, switch_size, switch_ns, ring_bytes;
	int level;
	/* CPU sampling (-F, -e cpu-clock, -e cycles) and stacks (-g) */
	int profile, clock, stacks;
	int fp_only;           /* --call-graph fp: user stacks by frame pointers only */
	uint64_t unwind_mem;   /* --unwind-mem */
	const char **debug_dirs; /* --debug-dir, in order; NULL: the default */
	size_t ndebug_dirs;
	const char *symfs;       /* --symfs */
	uint64_t freq;
	struct trec_schema sample_schema;
	/* off-CPU time (-e offcpu) */
	int offcpu;
	uint64_t offcpu_min_ns;
	struct trec_schema offcpu_schema;
	char **cmd;
	int argc;
	char **argv;
	/* --as-user[=USER]: the command runs as this user */
	int as_user;
	const char *as_user_spec; /* NULL: sudo's caller */
	struct as_user user;
};

/* ---- the run ------------------------------------------------------------ */

struct run {
	struct opts *o;
	struct trec_writer *w;
	char path[4096];
	struct tp_capture *cap;
	struct profile *prof;
	struct offcpu *off;
	struct probe_attach *pa;
	struct consumer *con;
	struct sideband *sb;
	struct buildid_cache *bic;
	struct dso_tracker *dsos;
	struct dso_write_stats symstats;
	struct unwind *uw;                 /* NULL: user stacks by frame pointers */
	int snapshotting;                  /* write_preamble's /proc snapshot is running */
	struct unwind_stats uw_written;    /* what earlier files were told (--switch-output) */
	int filtering;
	pid_t child;
	int child_status;
	int child_done;
	uint64_t start_ns;
	uint64_t file_start_ns;
	uint64_t files;
	uint64_t bytes_done; /* in files already closed (--switch-output) */
	uint64_t pids_checked_ns; /* -p: when the targets were last looked for */
	/* --switch-output closes the previous file on this thread while the
	 * rings are drained into the next one: closing compresses the last
	 * block, writes the index and fsync()s, which can take longer than a
	 * busy ring lasts. */
	struct closer {
		pthread_t th;
		int active;
		struct trec_writer *w;
		char path[4096];
		struct trec_err err;
		int rc;
		uint64_t bytes;
	} closer;
	uint64_t sideband_lost_seen;
	int stop;
	const char *stop_reason;
	int error;
	struct cli_progress prog;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_task(void *ctx, const struct trec_task *t)
{
	struct run *r = ctx;
	if (r->filtering && !tp_capture_is_target(r->cap, t->pid))
		return 0;
	unwind_on_task(r->uw, t);
	int e = trec_writer_add_task(r->w, t);
	return e == -EAGAIN ? 0 : e;
}

static int on_map(void *ctx, const struct trec_map *m)
{
	struct run *r = ctx;
	if (r->filtering && !tp_capture_is_target(r->cap, m->pid))
		return 0;
	if (r->dsos) {
		int de = dso_tracker_map(r->dsos, m);
		if (de)
			return de;
	}
	/* The command, paused before its exec, still has our mappings: its
	 * tables would only delay the ones of the program it is about to be. */
	if (r->uw && !(r->snapshotting && r->child && m->pid == (uint32_t)r->child)) {
		/* The file as the tracker just opened it (the process may be
		 * gone by the time the loader thread gets to it). */
		int fd = r->dsos && unwind_wants_file(r->uw, m) ? dso_tracker_fd(r->dsos, m) : -1;
		unwind_on_map(r->uw, m, fd);
	}
	int e = trec_writer_add_map(r->w, m);
	return e == -EAGAIN ? 0 : e;
}

/* Metadata, schemas and the /proc snapshot: what makes a file (also each
 * file of --switch-output) readable on its own. */
static int write_preamble(struct run *r, struct trec_err *err)
{
	struct opts *o = r->o;
	struct tarena a;
	tarena_init(&a);
	struct trec_meta_kv *kv = NULL;
	size_t n = 0;
	/* The dispatcher named us "trec record" in argv[0]; the command line
	 * in the file should read as typed: trec record ARGS... */
	char **cmdline = calloc((size_t)o->argc + 2, sizeof(*cmdline));
	if (!cmdline)
		return trec_errf(err, -ENOMEM, "out of memory");
	cmdline[0] = "trec";
	cmdline[1] = "record";
	for (int i = 1; i < o->argc; i++)
		cmdline[i + 1] = o->argv[i];
	int e = hostmeta_collect(&a, o->argc + 1, cmdline, r->start_ns, &kv, &n, err);
	free(cmdline);
	if (!e)
		e = trec_writer_add_meta(r->w, kv, n);
	char target[256];
	if (o->cmd && o->all)
		snprintf(target, sizeof(target), "system-wide while a command ran");
	else if (o->cmd)
		snprintf(target, sizeof(target), "command");
	else if (o->npids)
		snprintf(target, sizeof(target), "pids");
	else
		snprintf(target, sizeof(target), "system-wide");
	struct trec_meta_kv t = { .key = "record.target", .type = TREC_META_STR,
				  .v.str = { target, (uint32_t)strlen(target) } };
	if (!e)
		e = trec_writer_add_meta(r->w, &t, 1);
	for (size_t i = 0; !e && i < o->plan.n; i++) {
		const struct plan_event *pe = &o->plan.ev[i];
		char key[600];
		snprintf(key, sizeof(key), "tracefs.format.%s", pe->full);
		/* Format texts can pass the 4 KiB string limit: keep them as bytes. */
		struct trec_meta_kv f = { .key = key, .type = pe->fmt.text_len < 4096 ? TREC_META_STR : TREC_META_BYTES,
					  .v.str = { pe->fmt.text, (uint32_t)pe->fmt.text_len } };
		e = trec_writer_add_meta(r->w, &f, 1);
		if (!e && pe->has_filter) {
			snprintf(key, sizeof(key), "record.filter.%s", pe->full);
			struct trec_meta_kv fl = { .key = key, .type = TREC_META_STR,
						   .v.str = { pe->filter_text, (uint32_t)strlen(pe->filter_text) } };
			e = trec_writer_add_meta(r->w, &fl, 1);
		}
	}
	tarena_free(&a);
	for (size_t i = 0; !e && i < o->plan.n; i++)
		e = trec_writer_add_schema(r->w, &o->plan.ev[i].schema);
	if (!e && o->profile)
		e = trec_writer_add_schema(r->w, &o->sample_schema);
	if (!e && o->offcpu)
		e = trec_writer_add_schema(r->w, &o->offcpu_schema);
	for (size_t i = 0; !e && i < o->probes.n; i++)
		e = trec_writer_add_schema(r->w, &o->probes.ev[i].schema);
	if (e)
		return err && err->code ? e : trec_errf(err, e, "writing the header records of %s: %s", r->path, strerror(-e));

	/* The snapshot covers the initial targets (-p, or the paused command);
	 * later descendants come from the side-band. */
	pid_t *pids = NULL;
	size_t npids = 0;
	if (r->filtering) {
		pids = calloc(o->npids + 1, sizeof(*pids));
		if (!pids)
			return trec_errf(err, -ENOMEM, "out of memory");
		if (o->npids)
			memcpy(pids, o->pids, o->npids * sizeof(*pids));
		npids = o->npids;
		if (r->child)
			pids[npids++] = r->child;
	}
	struct procfs_opts po = { .sz = sizeof(po), .ts = mono_ns(), .pids = pids, .npids = npids,
				  .exec_maps_only = 1, .bic = r->bic };
	struct sideband_cb cb = { .ctx = r, .task = on_task, .map = on_map };
	struct trec_err pe = { 0 };
	r->snapshotting = 1;
	e = procfs_snapshot(&po, &cb, NULL, &pe);
	r->snapshotting = 0;
	free(pids);
	/* A target that exits before the snapshot is not an error: its
	 * history comes from the side-band. */
	if (e && e != -ESRCH)
		return trec_errf(err, e, "/proc snapshot: %s", pe.msg);
	return 0;
}

static int open_output(struct run *r, const char *path, struct trec_err *err)
{
	snprintf(r->path, sizeof(r->path), "%s", path);
	struct trec_writer_opts wo = { .sz = sizeof(wo), .level = r->o->level, .nonblocking = 1 };
	int e = trec_writer_open(&r->w, path, r->o->force, &wo, err);
	if (e)
		return e;
	r->files++;
	r->file_start_ns = mono_ns();
	return 0;
}

/* Loss records for the side-band too: holes in process history are losses. */
static int flush_losses(struct run *r)
{
	uint64_t now = mono_ns();
	int e = consumer_flush_losses(r->con, now);
	uint64_t sl = sideband_lost(r->sb);
	if (!e && sl > r->sideband_lost_seen) {
		struct trec_loss l = { .ts = now, .reason = TREC_LOSS_OTHER, .count = sl - r->sideband_lost_seen };
		e = trec_writer_add_loss(r->w, &l);
		if (!e)
			r->sideband_lost_seen = sl;
	}
	return e;
}

/* How this file's user stacks were walked: the unwinder's counters since
 * the previous file, as "unwind.*" metadata (trec info shows them). */
static int write_unwind_stats(struct run *r)
{
	if (!r->uw)
		return 0;
	struct unwind_stats now, d;
	unwind_stats(r->uw, &now);
	d = now;
	const struct unwind_stats *w = &r->uw_written;
	for (size_t i = 0; i < sizeof(d.kernel) / sizeof(d.kernel[0]); i++)
		d.kernel[i] -= w->kernel[i];
	d.procs_full -= w->procs_full;
	d.maps_dropped -= w->maps_dropped;
	d.queue_dropped -= w->queue_dropped;
	struct tarena a;
	tarena_init(&a);
	struct trec_meta_kv *kv;
	size_t n;
	int e = unwind_stats_meta(&d, &a, &kv, &n);
	if (!e)
		e = trec_writer_add_meta(r->w, kv, n);
	tarena_free(&a);
	if (!e)
		r->uw_written = now;
	return e;
}

/* Symbol tables of what this file's stacks use (kernel and DSOs). */
static int write_symbols(struct run *r, struct trec_err *err)
{
	int ue = write_unwind_stats(r);
	if (ue)
		return trec_errf(err, ue, "writing the unwinder's counters: %s", strerror(-ue));
	if (!r->dsos)
		return 0;
	struct dso_write_stats st;
	int e = dso_tracker_write(r->dsos, r->w, &st, err);
	r->symstats.dsos += st.dsos;
	r->symstats.dsos_failed += st.dsos_failed;
	r->symstats.syms += st.syms;
	r->symstats.ksyms += st.ksyms;
	r->symstats.perfmaps += st.perfmaps;
	r->symstats.debugfiles += st.debugfiles;
	r->symstats.ksyms_failed |= st.ksyms_failed;
	dso_tracker_reset_used(r->dsos);
	return e;
}

static int close_output(struct run *r, struct trec_err *err)
{
	if (!r->w)
		return 0; /* a rotation that could not open the next file */
	struct trec_writer_stats st;
	trec_writer_stats(r->w, &st);
	int e = trec_writer_close(r->w, err);
	r->w = NULL;
	struct stat sb;
	if (stat(r->path, &sb) == 0)
		r->bytes_done += (uint64_t)sb.st_size;
	return e;
}

static void rotated_name(struct run *r, char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	snprintf(buf, len, "%s.%s%03ld", r->o->output, stamp, ts.tv_nsec / 1000000);
}

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	c->rc = trec_writer_close(c->w, &c->err);
	c->w = NULL;
	struct stat sb;
	c->bytes = stat(c->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	return NULL;
}

/* Waits for the previous file's close; its error, if any, becomes ours. */
static int closer_join(struct run *r, struct trec_err *err)
{
	struct closer *c = &r->closer;
	if (!c->active)
		return 0;
	pthread_join(c->th, NULL);
	c->active = 0;
	r->bytes_done += c->bytes;
	if (c->rc && err)
		*err = c->err;
	return c->rc;
}

static int switch_output(struct run *r, struct trec_err *err)
{
	/* Drain first: what the rings hold belongs to the file being closed. */
	int e = consumer_drain(r->con);
	if (e >= 0)
		e = flush_losses(r);
	struct trec_writer *old = r->w;
	char oldpath[4096];
	snprintf(oldpath, sizeof(oldpath), "%s", r->path);
	char next[4200];
	rotated_name(r, next, sizeof(next));
	if (e < 0)
		return trec_errf(err, e, "writing %s: %s", r->path, trec_writer_error(old) ? trec_writer_error(old) : strerror(-e));
	e = write_symbols(r, err);
	if (!e)
		e = closer_join(r, err); /* the file before: at most one closing at a time */
	if (e)
		return e;
	/* The next file takes the events from here on; the old one closes on
	 * its own thread meanwhile. */
	r->w = NULL;
	e = open_output(r, next, err);
	if (!e)
		e = write_preamble(r, err);
	if (!e)
		consumer_set_writer(r->con, r->w);
	struct closer *c = &r->closer;
	c->w = old;
	snprintf(c->path, sizeof(c->path), "%s", oldpath);
	memset(&c->err, 0, sizeof(c->err));
	if (pthread_create(&c->th, NULL, closer_main, c) == 0) {
		c->active = 1;
	} else {
		closer_main(c); /* no thread: close here */
		r->bytes_done += c->bytes;
		if (c->rc && !e) {
			*err = c->err;
			e = c->rc;
		}
	}
	if (!e && !r->o->quiet)
		fprintf(stderr, "%strec record: wrote %s\n", r->prog.shown ? "\r\033[K" : "", oldpath);
	return e;
}

static void progress(struct run *r)
{
	if (r->o->quiet || !isatty(2))
		return;
	struct consumer_stats cs;
	consumer_stats(r->con, &cs);
	struct trec_writer_stats ws;
	trec_writer_stats(r->w, &ws);
	double secs = (double)(mono_ns() - r->start_ns) / 1e9;
	uint64_t bytes = r->bytes_done + ws.file_bytes;
	/* Ratio: the events already in the file, at their average size as the
	 * BPF side produced them, against the bytes they took. */
	double avg = cs.events ? (double)cs.bytes / (double)cs.events : 0.0;
	double raw = avg * (double)ws.events_written;
	char hb[32];
	fprintf(stderr, "\r\033[K[%6.1fs] %llu events (%.0f/s), %s written, ratio %.1fx, lost %llu", secs,
		(unsigned long long)cs.events, secs > 0 ? (double)cs.events / secs : 0.0,
		cli_human_bytes(bytes, hb, sizeof(hb)), ws.file_bytes ? raw / (double)ws.file_bytes : 0.0,
		(unsigned long long)(cs.lost_ring + cs.lost_writer));
	r->prog.shown = 1;
}

/* Whether a process is gone: no such pid, or a zombie waiting for its
 * parent (it runs nothing more). */
static int process_gone(pid_t pid)
{
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* "pid (comm) S ...": the state follows the last ')' (comm may hold any). */
	const char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

static void check_limits(struct run *r)
{
	struct opts *o = r->o;
	uint64_t now = mono_ns();
	if (o->npids && now - r->pids_checked_ns >= 100000000ull) {
		/* -p: like perf, stop once every named process has exited
		 * (looked at every 100 ms: it reads /proc). */
		r->pids_checked_ns = now;
		size_t alive = 0;
		for (size_t i = 0; i < o->npids; i++)
			alive += !process_gone(o->pids[i]);
		if (!alive) {
			r->stop = 1;
			r->stop_reason = o->npids == 1 ? "the process exited" : "the processes exited";
		}
	}
	if (o->duration_ns && now - r->start_ns >= o->duration_ns) {
		r->stop = 1;
		r->stop_reason = "duration reached";
	}
	if (o->max_size) {
		struct trec_writer_stats ws;
		trec_writer_stats(r->w, &ws);
		if (r->bytes_done + ws.file_bytes >= o->max_size) {
			r->stop = 1;
			r->stop_reason = "--max-size reached";
		}
	}
}

static int want_switch(struct run *r)
{
	struct opts *o = r->o;
	if (o->switch_ns && mono_ns() - r->file_start_ns >= o->switch_ns)
		return 1;
	if (o->switch_size) {
		struct trec_writer_stats ws;
		trec_writer_stats(r->w, &ws);
		return ws.file_bytes >= o->switch_size;
	}
	return 0;
}

/* Starts CMD stopped at a pipe read, so it is a target before it runs. */
/* In the error word the child sends: the failure was becoming the user. */
#define AS_USER_FAILED 0x40000000

static int spawn(struct run *r, int *go_fd, int *err_fd, struct trec_err *err)
{
	int go[2], ep[2];
	if (pipe2(go, O_CLOEXEC) || pipe2(ep, O_CLOEXEC))
		return trec_errf(err, -errno, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return trec_errf(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(go[1]);
		close(ep[0]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* trec went away before starting us */
		signal(SIGPIPE, SIG_DFL);
		int e;
		if (r->o->as_user && (e = -as_user_apply(&r->o->user)) != 0) {
			e |= AS_USER_FAILED;
			if (write(ep[1], &e, sizeof(e)) < 0)
				_exit(127);
			_exit(127);
		}
		if (r->o->as_user)
			execvpe(r->o->cmd[0], r->o->cmd, r->o->user.envp);
		else
			execvp(r->o->cmd[0], r->o->cmd);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	r->child = pid;
	*go_fd = go[1];
	*err_fd = ep[0];
	return 0;
}

static int release(struct run *r, int go_fd, int err_fd, struct trec_err *err)
{
	ssize_t w = write(go_fd, "g", 1);
	close(go_fd);
	int e = 0;
	ssize_t n = read(err_fd, &e, sizeof(e));
	close(err_fd);
	if (w != 1)
		return trec_errf(err, -EPIPE, "could not start '%s'", r->o->cmd[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(r->child, NULL, 0);
		r->child = 0;
		if (e & AS_USER_FAILED)
			return trec_errf(err, -(e & ~AS_USER_FAILED), "--as-user: cannot become %s (uid %u): %s",
					 r->o->user.name[0] ? r->o->user.name : "the user", (unsigned)r->o->user.uid,
					 strerror(e & ~AS_USER_FAILED));
		if (e == ENOENT)
			return trec_errf(err, -ENOENT, "command not found: '%s' (check the name and $PATH)", r->o->cmd[0]);
		return trec_errf(err, -e, "cannot run '%s': %s", r->o->cmd[0], strerror(e));
	}
	return 0;
}

/* The file execvp will run for `name`: itself when it has a '/', else the
 * first executable regular file of that name along $PATH. 0 or -ENOENT. */
static int command_path(const char *name, char *out, size_t len)
{
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return 0;
	}
	const char *path = getenv("PATH");
	return probe_path_in_env(name, path && *path ? path : "/usr/local/bin:/usr/bin:/bin", out, len);
}

static void reap(struct run *r)
{
	if (!r->child || r->child_done)
		return;
	int st;
	pid_t p = waitpid(r->child, &st, WNOHANG);
	if (p == r->child) {
		r->child_done = 1;
		r->child_status = st;
		r->stop = 1;
		r->stop_reason = "command exited";
	}
}

static int loop(struct run *r, struct trec_err *err)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ep < 0 || sfd < 0 || tfd < 0) {
		int e = -errno;
		if (ep >= 0)
			close(ep);
		if (sfd >= 0)
			close(sfd);
		if (tfd >= 0)
			close(tfd);
		return trec_errf(err, e, "setting up the event loop: %s", strerror(-e));
	}
	/* 20 ms: the longest a record waits in a ring when producers do not
	 * wake us (they do, past TREC_WAKEUP_BYTES). */
	struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } };
	timerfd_settime(tfd, 0, &its, NULL);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	ev.data.u32 = 1;
	for (uint32_t i = 0; i < consumer_nrings(r->con); i++)
		epoll_ctl(ep, EPOLL_CTL_ADD, consumer_ring_fd(r->con, i), &ev);
	ev.events = EPOLLIN;
	ev.data.u32 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u32 = 3;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	const int *sbfds;
	size_t nsb;
	sideband_fds(r->sb, &sbfds, &nsb);
	ev.data.u32 = 4;
	for (size_t i = 0; i < nsb; i++)
		epoll_ctl(ep, EPOLL_CTL_ADD, sbfds[i], &ev);
	/* The unwinder's wake-up calls: the side-band drain below answers them. */
	ev.data.u32 = 5;
	if (unwind_kick_fd(r->uw) >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, unwind_kick_fd(r->uw), &ev);

	struct sideband_cb cb = { .ctx = r, .task = on_task, .map = on_map };
	uint64_t last_loss = mono_ns(), last_prog = 0;
	int e = 0;
	while (!r->stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, 100);
		if (n < 0 && errno != EINTR) {
			e = trec_errf(err, -errno, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 2) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGCHLD)
						reap(r);
					else {
						r->stop = 1;
						r->stop_reason = si.ssi_signo == SIGINT ? "interrupted" : "terminated";
					}
				}
			} else if (evs[i].data.u32 == 3) {
				uint64_t ticks;
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					ticks = 0;
			} else if (evs[i].data.u32 == 5) {
				unwind_kick_consume(r->uw);
			}
		}
		e = consumer_drain(r->con);
		if (e < 0)
			break;
		e = sideband_drain(r->sb, &cb);
		if (e < 0)
			break;
		e = 0;
		reap(r);
		uint64_t now = mono_ns();
		if (now - last_loss >= 1000000000ull) {
			e = flush_losses(r);
			/* Hand what a second gathered to the file: a recorder killed
			 * now loses at most that second. */
			if (!e)
				e = trec_writer_seal(r->w);
			if (e)
				break;
			last_loss = now;
		}
		if (now - last_prog >= 500000000ull) {
			progress(r);
			last_prog = now;
		}
		check_limits(r);
		if (!r->stop && want_switch(r)) {
			e = switch_output(r, err);
			if (e)
				break;
		}
	}
	if (e < 0 && !err->code) {
		const char *we = r->w ? trec_writer_error(r->w) : NULL;
		trec_errf(err, e, "%s", we ? we : strerror(-e));
	}
	close(ep);
	close(sfd);
	close(tfd);
	return e < 0 ? e : 0;
}

/* One line on how user stacks were walked, and why any frame was not. */
static void unwind_summary(struct run *r)
{
	struct unwind_stats s;
	unwind_stats(r->uw, &s);
	const uint64_t *k = s.kernel;
	if (!k[TREC_UW_ST_STACKS])
		return;
	fprintf(stderr, "  user stacks: %llu, %.1f%% walked to the outermost frame by .eh_frame rules; "
			"%llu binaries compiled (%.1f MiB of %.0f MiB)\n",
		(unsigned long long)k[TREC_UW_ST_STACKS],
		100.0 * (double)k[TREC_UW_ST_COMPLETE] / (double)k[TREC_UW_ST_STACKS], (unsigned long long)s.tables,
		(double)s.rows * sizeof(struct trec_uw_row) / 1048576.0,
		(double)s.rows_capacity * sizeof(struct trec_uw_row) / 1048576.0);
	static const struct {
		int idx;
		const char *what;
	} fb[] = {
		{ TREC_UW_FB_NO_PROC, "process not loaded yet" },
		{ TREC_UW_FB_NO_MAPPING, "outside file mappings (JIT?)" },
		{ TREC_UW_FB_PENDING, "table not loaded yet" },
		{ TREC_UW_FB_BUDGET, "table past --unwind-mem" },
		{ TREC_UW_FB_NO_TABLE, "no unwind info" },
		{ TREC_UW_FB_NO_RULE, "no rule" },
		{ TREC_UW_FB_UNSUPPORTED, "unsupported rule" },
	};
	int any = 0;
	for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++) {
		if (!k[fb[i].idx])
			continue;
		fprintf(stderr, "%s%llu %s", any ? ", " : "  frames walked by frame pointer: ",
			(unsigned long long)k[fb[i].idx], fb[i].what);
		any = 1;
	}
	if (any)
		fputs(" (trec info)\n", stderr);
}

static void summary(struct run *r, double secs)
{
	if (r->o->quiet)
		return;
	struct consumer_stats cs;
	consumer_stats(r->con, &cs);
	char hb[32];
	uint64_t bytes = r->bytes_done;
	fprintf(stderr, "%strec record: %s: %llu events in %.2f s, %s%s",
		r->prog.shown ? "\r\033[K" : "", r->files > 1 ? "last file" : r->path,
		(unsigned long long)cs.events, secs, cli_human_bytes(bytes, hb, sizeof(hb)),
		r->files > 1 ? " in all files" : "");
	if (cs.events)
		fprintf(stderr, " (%.2f bytes/event)", (double)bytes / (double)cs.events);
	fprintf(stderr, ", %llu lost%s\n", (unsigned long long)(cs.lost_ring + cs.lost_writer),
		cs.lost_ring + cs.lost_writer ? " (see trec info)" : "");
	for (size_t i = 0; i < r->o->plan.n; i++) {
		const struct plan_event *pe = &r->o->plan.ev[i];
		uint64_t got = consumer_type_events(r->con, pe->schema.id);
		uint64_t lost = consumer_type_lost(r->con, pe->schema.id);
		if (!got && !lost && r->o->plan.n > 20)
			continue; /* a long glob: list what fired */
		fprintf(stderr, "  %-40s %12llu", pe->full, (unsigned long long)got);
		if (lost)
			fprintf(stderr, "  (%llu lost)", (unsigned long long)lost);
		fputc('\n', stderr);
	}
	const struct trec_schema *extra[2] = { r->o->profile ? &r->o->sample_schema : NULL,
					       r->o->offcpu ? &r->o->offcpu_schema : NULL };
	for (int i = 0; i < 2; i++) {
		if (!extra[i])
			continue;
		uint32_t t = extra[i]->id;
		fprintf(stderr, "  %-40s %12llu", extra[i]->name, (unsigned long long)consumer_type_events(r->con, t));
		if (consumer_type_lost(r->con, t))
			fprintf(stderr, "  (%llu lost)", (unsigned long long)consumer_type_lost(r->con, t));
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < r->o->probes.n; i++) {
		const struct trec_schema *ps = &r->o->probes.ev[i].schema;
		uint64_t got = consumer_type_events(r->con, ps->id), lost = consumer_type_lost(r->con, ps->id);
		if (!got && !lost && r->o->probes.n > 20)
			continue; /* a long glob: list what fired */
		fprintf(stderr, "  %-40s %12llu", ps->name, (unsigned long long)got);
		if (lost)
			fprintf(stderr, "  (%llu lost)", (unsigned long long)lost);
		fputc('\n', stderr);
	}
	if (cs.lost_stacks)
		fprintf(stderr, "  %llu events kept without (part of) their stack (counted as stack loss)\n",
			(unsigned long long)cs.lost_stacks);
	if (r->dsos)
		fprintf(stderr, "  symbols: %u binaries (%llu functions%s)%s, %llu kernel symbols%s\n",
			r->symstats.dsos, (unsigned long long)r->symstats.syms,
			r->symstats.debugfiles ? ", some from debug files" : "",
			r->symstats.dsos_failed ? " (some unreadable: their frames show as dso+offset)" : "",
			(unsigned long long)r->symstats.ksyms,
			r->symstats.ksyms_failed ? " (/proc/kallsyms unreadable: kernel frames stay addresses)" : "");
	if (r->uw)
		unwind_summary(r);
	if (sideband_lost(r->sb))
		fprintf(stderr, "  process side-band: %llu records lost\n", (unsigned long long)sideband_lost(r->sb));
	if (tp_capture_targets_full(r->cap))
		fprintf(stderr, "  %llu new processes were not followed: the target table (65536) was full\n",
			(unsigned long long)tp_capture_targets_full(r->cap));
	if (r->stop_reason && r->child == 0)
		fprintf(stderr, "  stopped: %s\n", r->stop_reason);
}

static int run_record(struct opts *o)
{
	const struct cli_cmd *c = &record_cmd;
	struct run r = { .o = o, .child_status = 0 };
	struct trec_err err = { 0 };
	struct tp_spec *specs = NULL;
	int rc = CLI_EXIT_ERROR, go_fd = -1, err_fd = -1;
	int e;
	r.filtering = o->npids || (o->cmd && !o->all); /* -a -- CMD: everything, while CMD runs */
	r.start_ns = mono_ns();

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		cli_err(c, "this kernel has no BTF (/sys/kernel/btf/vmlinux): trec's BPF programs need "
			   "CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2020 have it)");
		return CLI_EXIT_ERROR;
	}
	/* Block the signals the loop reads from its signalfd; the command
	 * gets the default dispositions back before exec. */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	/* An inherited SIG_IGN (background jobs of a script) would discard
	 * these before the signalfd sees them: `kill -INT` must still stop us. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(SIGPIPE, SIG_IGN);

	const char *out = o->output;
	char first[4200];
	if (o->switch_size || o->switch_ns) {
		rotated_name(&r, first, sizeof(first));
		out = first;
	}
	e = open_output(&r, out, &err);
	if (e)
		goto fail;

	specs = plan_specs(&o->plan);
	if (!specs) {
		e = -ENOMEM;
		goto fail_errno;
	}
	uint32_t max_type = (uint32_t)o->plan.n + (o->profile ? 1 : 0) + (o->offcpu ? 1 : 0) + (uint32_t)o->probes.n;
	if ((o->profile || o->stacks || o->offcpu) && !o->fp_only) {
		struct unwind_opts uo = { .sz = sizeof(uo), .budget = o->unwind_mem };
		struct trec_err ue = { 0 };
		if (unwind_new(&r.uw, &uo, &ue) < 0) {
			if (ue.code == -EINVAL) {
				err = ue;
				e = ue.code;
				goto fail;
			}
			/* Stacks still come, by frame pointers: say so, go on. */
			cli_warn(c, "%s; user stacks will be walked by frame pointers only", ue.msg);
		}
	}
	struct tp_capture_opts co = { .sz = sizeof(co), .ring_bytes = o->ring_bytes, .filter_pids = r.filtering,
				      .with_stacks = o->stacks, .max_type = max_type, .unwind = r.uw };
	e = tp_capture_open(&r.cap, &co, specs, o->plan.n, &err);
	if (e)
		goto fail;
	if (o->probes.n) {
		struct probe_attach_opts pao = { .sz = sizeof(pao), .filter_pids = r.filtering, .with_stacks = o->stacks };
		e = probe_attach_open(&r.pa, r.cap, &o->probes, &pao, &err);
		if (e)
			goto fail;
	}
	if (o->cmd) {
		sigprocmask(SIG_SETMASK, &old, NULL); /* the child inherits a clean mask */
		e = spawn(&r, &go_fd, &err_fd, &err);
		sigprocmask(SIG_BLOCK, &mask, NULL);
		if (e)
			goto fail_specs;
	}
	for (size_t i = 0; i <= o->npids; i++) {
		pid_t t = i < o->npids ? o->pids[i] : r.child;
		if (t > 0 && (e = tp_capture_add_target(r.cap, (uint32_t)t)) < 0) {
			trec_errf(&err, e, "adding target %d: %s", (int)t, strerror(-e));
			goto fail_specs;
		}
	}
	e = buildid_cache_new(&r.bic);
	if (!e && (o->profile || o->stacks || o->offcpu)) {
		struct dso_tracker_opts dto = { .sz = sizeof(dto), .debug_dirs = o->debug_dirs,
						.ndebug_dirs = o->ndebug_dirs, .symfs = o->symfs };
		e = dso_tracker_new_opts(&r.dsos, &dto);
	}
	if (e)
		goto fail_errno;
	/* Build-ids are read from the files (the MMAP2 record's device and
	 * inode prove which file), not asked of the kernel: while any event
	 * has attr.build_id set, perf 6.1's `perf record` on the same host
	 * aborts in its build-id code (seen on Linux 6.18). A recorder must not
	 * break the other tools of a production host. */
	struct sideband_opts so = { .sz = sizeof(so), .exec_maps_only = 1, .bic = r.bic, .no_kernel_build_ids = 1 };
	e = sideband_open(&r.sb, &so, &err);
	if (e)
		goto fail_specs;
	e = consumer_new(&r.con, r.cap, r.w, max_type);
	if (e) {
		trec_errf(&err, e, "setting up the ring buffer consumer: %s", strerror(-e));
		goto fail_specs;
	}
	consumer_set_dsos(r.con, r.dsos);
	/* Before the snapshot: its mappings are the first the loader sees. */
	if (r.uw) {
		struct tp_shared_fds sh;
		tp_capture_shared(r.cap, &sh);
		if ((e = unwind_start(r.uw, r.filtering ? sh.targets : -1, &err)))
			goto fail_specs;
	}
	/* The side-band runs from before the snapshot: a process that starts
	 * while /proc is read or the programs load is in one or the other
	 * (in both is fine: a mapping reported twice is one). */
	sideband_enable(r.sb);
	e = write_preamble(&r, &err);
	if (e)
		goto fail_specs;
	e = tp_capture_attach(r.cap, &err);
	if (e)
		goto fail_specs;
	if (o->profile) {
		struct profile_opts po = { .sz = sizeof(po), .freq = o->freq, .clock = o->clock,
					   .type = o->sample_schema.id, .filter_pids = r.filtering };
		e = profile_open(&r.prof, r.cap, &po, &err);
		if (e)
			goto fail_specs;
	}
	if (o->offcpu) {
		struct offcpu_opts oo = { .sz = sizeof(oo), .type = o->offcpu_schema.id,
					  .min_ns = o->offcpu_min_ns, .filter_pids = r.filtering };
		e = offcpu_open(&r.off, r.cap, &oo, &err);
		if (e)
			goto fail_specs;
	}
	if (r.pa) {
		e = probe_attach_start(r.pa, &err);
		if (e)
			goto fail_specs;
	}
	r.start_ns = mono_ns();
	if (o->cmd && r.uw) {
		/* The command's tables before it runs: a program that does all its
		 * work in its first millisecond still has whole stacks. */
		char prog[4096];
		if (command_path(o->cmd[0], prog, sizeof(prog)) == 0) {
			unwind_preload(r.uw, prog);
			unwind_sync(r.uw);
		}
	}
	if (o->cmd) {
		e = release(&r, go_fd, err_fd, &err);
		go_fd = err_fd = -1;
		if (e) {
			rc = 127;
			goto fail_specs;
		}
	}
	if (!o->quiet && isatty(2))
		fprintf(stderr, "trec record: recording %zu tracepoint%s and %zu probe%s into %s; Ctrl-C to stop\n",
			o->plan.n, o->plan.n == 1 ? "" : "s", o->probes.n, o->probes.n == 1 ? "" : "s", r.path);

	e = loop(&r, &err);

	/* Stop the probes first, then take everything they left behind. */
	tp_capture_detach(r.cap);
	profile_detach(r.prof);
	offcpu_detach(r.off);
	probe_attach_detach(r.pa);
	sideband_disable(r.sb);
	int e2 = consumer_drain(r.con);
	struct sideband_cb cb = { .ctx = &r, .task = on_task, .map = on_map };
	if (e2 >= 0)
		e2 = sideband_drain(r.sb, &cb);
	if (e2 >= 0)
		e2 = flush_losses(&r);
	if (!e && e2 < 0) {
		e = e2;
		const char *we = trec_writer_error(r.w);
		trec_errf(&err, e, "%s", we ? we : strerror(-e));
	}
	if (!e) {
		e = write_symbols(&r, &err);
	}
	double secs = (double)(mono_ns() - r.start_ns) / 1e9;
	struct trec_err cerr = { 0 };
	int ce = closer_join(&r, &cerr);
	if (!e && ce) {
		e = ce;
		err = cerr;
	}
	ce = close_output(&r, &cerr);
	if (!e && ce) {
		e = ce;
		err = cerr;
	}
	if (r.child && !r.child_done) {
		/* We stopped first (Ctrl-C, --duration): end the command too. */
		kill(r.child, SIGTERM);
		waitpid(r.child, &r.child_status, 0);
		r.child_done = 1;
	}
	summary(&r, secs);
	if (e) {
		cli_err(c, "%s", err.msg[0] ? err.msg : strerror(-e));
		cli_err(c, "what was written before the error is in %s and reads normally", r.path);
		rc = CLI_EXIT_ERROR;
	} else if (o->cmd) {
		rc = WIFEXITED(r.child_status) ? WEXITSTATUS(r.child_status)
					       : WIFSIGNALED(r.child_status) ? 128 + WTERMSIG(r.child_status) : 1;
	} else {
		rc = CLI_EXIT_OK;
	}
	goto out;

fail_errno:
	trec_errf(&err, e, "%s", strerror(-e));
	goto fail;
fail_specs:
fail:
	cli_err(c, "%s", err.msg[0] ? err.msg : strerror(-e));
	if (r.child && !r.child_done) {
		if (go_fd >= 0)
			close(go_fd); /* the child reads EOF and exits without running */
		go_fd = -1;
		waitpid(r.child, NULL, 0);
	}
	if (r.w) {
		/* Nothing was recorded: do not leave an empty trace behind. */
		trec_writer_abandon(r.w);
		r.w = NULL;
		unlink(r.path);
	}
out:
	closer_join(&r, NULL); /* a rotated file still closing (after an error) */
	if (go_fd >= 0)
		close(go_fd);
	if (err_fd >= 0)
		close(err_fd);
	consumer_free(r.con);
	profile_close(r.prof);
	offcpu_close(r.off);
	probe_attach_close(r.pa);
	sideband_close(r.sb);
	tp_capture_close(r.cap);
	buildid_cache_free(r.bic);
	dso_tracker_free(r.dsos);
	unwind_free(r.uw);
	free(specs);
	return rc;
}

static int parse_pids(const char *arg, struct opts *o)
{
	char *dup = strdup(arg), *save = NULL;
	if (!dup)
		return -ENOMEM;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		errno = 0;
		long v = strtol(t, &end, 10);
		if (errno || *end || v <= 0 || v > 4194304) {
			cli_usage_error(&record_cmd, "-p: '%s' is not a process id", t);
			free(dup);
			return -EINVAL;
		}
		pid_t *n = realloc(o->pids, (o->npids + 1) * sizeof(*n));
		if (!n) {
			free(dup);
			return -ENOMEM;
		}
		o->pids = n;
		struct trec_err pe = { 0 };
		if (procfs_pid_exists((pid_t)v, &pe) < 0) {
			cli_err(&record_cmd, "%s", pe.msg);
			free(dup);
			return -ESRCH;
		}
		/* -p takes a thread id too (perf does): trace its process, once. */
		int tgid = procfs_tgid((pid_t)v);
		pid_t p = tgid > 0 ? tgid : (pid_t)v;
		int dup_pid = 0;
		for (size_t k = 0; k < o->npids; k++)
			dup_pid |= o->pids[k] == p;
		if (!dup_pid)
			o->pids[o->npids++] = p;
	}
	free(dup);
	return 0;
}

static void probe_warn(void *ctx, const char *msg)
{
	cli_warn(ctx, "%s", msg);
}

int cmd_record(int argc, char **argv)
{
	const struct cli_cmd *c = &record_cmd;
	enum { O_FILTER = 256, O_DURATION, O_MAX_SIZE, O_SWITCH, O_OFFCPU_MIN, O_ARG, O_AS_USER, O_CALL_GRAPH,
	       O_UNWIND_MEM, O_DEBUG_DIR, O_SYMFS };
	static const struct option lo[] = {
		{ "event", required_argument, 0, 'e' }, { "filter", required_argument, 0, O_FILTER },
		{ "all-cpus", no_argument, 0, 'a' }, { "pid", required_argument, 0, 'p' },
		{ "output", required_argument, 0, 'o' }, { "force", no_argument, 0, 'f' },
		{ "duration", required_argument, 0, O_DURATION }, { "max-size", required_argument, 0, O_MAX_SIZE },
		{ "switch-output", required_argument, 0, O_SWITCH },
		{ "buffer-size", required_argument, 0, 'm' }, { "mmap-pages", required_argument, 0, 'm' },
		{ "compression-level", required_argument, 0, 'z' }, { "quiet", no_argument, 0, 'q' },
		{ "freq", required_argument, 0, 'F' }, { "call-graph", required_argument, 0, O_CALL_GRAPH },
		{ "unwind-mem", required_argument, 0, O_UNWIND_MEM },
		{ "debug-dir", required_argument, 0, O_DEBUG_DIR }, { "symfs", required_argument, 0, O_SYMFS },
		{ "offcpu-min", required_argument, 0, O_OFFCPU_MIN }, { "arg", required_argument, 0, O_ARG },
		{ "as-user", optional_argument, 0, O_AS_USER },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct opts o = { .output = CLI_DEFAULT_INPUT, .ring_bytes = 8u << 20, .level = 1, .argc = argc, .argv = argv,
			  .offcpu_min_ns = 1000 };
	probe_set_init(&o.probes);
	struct trec_err err = { 0 };
	int rc = CLI_EXIT_USAGE, ch, have_plan = 0;

	/* "+": stop at the first non-option, so `trec record -- cmd -x` and
	 * `trec record cmd -x` both leave -x to the command. */
	while ((ch = getopt_long(argc, argv, "+e:ap:o:fm:z:qhF:g", lo, NULL)) != -1) {
		if (ch == 'e' && (!strcmp(optarg, "cpu-clock") || !strcmp(optarg, "cycles") ||
				  !strcmp(optarg, "cpu-cycles"))) {
			o.profile = 1;
			o.clock = strcmp(optarg, "cpu-clock") ? PROFILE_CYCLES : PROFILE_CPU_CLOCK;
			o.last_e_probe = 0;
			continue;
		}
		if (ch == 'e' && !strcmp(optarg, "offcpu")) {
			o.offcpu = 1;
			o.last_e_probe = 0;
			continue;
		}
		if (ch == 'e' && probe_spec_kind(optarg)) {
			if (probe_set_add(&o.probes, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				goto out;
			}
			o.last_e_probe = 1;
			continue;
		}
		if (ch == O_ARG) {
			if (!o.last_e_probe) {
				cli_usage_error(c, "--arg '%s' must follow the probe -e it applies to (u:, usdt:, k:, fentry:)",
						optarg);
				goto out;
			}
			if (probe_set_arg(&o.probes, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				goto out;
			}
			continue;
		}
		if (ch == O_FILTER && o.last_e_probe) {
			cli_usage_error(c, "--filter '%s': filters apply to tracepoints; probe events (u:, usdt:, k:, "
					   "fentry:) take none yet",
					optarg);
			goto out;
		}
		if (ch == 'e')
			o.last_e_probe = 0;
		if (!have_plan && (ch == 'e' || ch == O_FILTER)) {
			if (plan_init(&o.plan, &err)) {
				cli_err(c, "%s", err.msg);
				return CLI_EXIT_ERROR;
			}
			have_plan = 1;
		}
		switch (ch) {
		case 'e':
			if (plan_add(&o.plan, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				rc = err.code == -ENOENT || err.code == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
				goto out;
			}
			break;
		case O_FILTER:
			if (plan_filter(&o.plan, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				goto out;
			}
			break;
		case 'a': o.all = 1; break;
		case 'p': {
			int pe = parse_pids(optarg, &o);
			if (pe) {
				rc = pe == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
				goto out;
			}
			break;
		}
		case 'o': o.output = optarg; break;
		case 'f': o.force = 1; break;
		case O_DURATION:
			if (parse_duration(optarg, &o.duration_ns) || !o.duration_ns) {
				cli_usage_error(c, "--duration: '%s' is not a duration (10, 1.5, 500ms, 2m)", optarg);
				goto out;
			}
			break;
		case O_MAX_SIZE:
			if (parse_size(optarg, &o.max_size) || !o.max_size) {
				cli_usage_error(c, "--max-size: '%s' is not a size (100M, 2G)", optarg);
				goto out;
			}
			break;
		case O_SWITCH:
			/* A size has a byte suffix or none; a time ends in s/m/h. */
			if (parse_size(optarg, &o.switch_size) || !o.switch_size) {
				o.switch_size = 0;
				if (parse_duration(optarg, &o.switch_ns) || !o.switch_ns) {
					cli_usage_error(c, "--switch-output: '%s' is neither a size (100M) nor a time (30s)", optarg);
					goto out;
				}
			}
			break;
		case 'm':
			if (parse_size(optarg, &o.ring_bytes) || o.ring_bytes < 4096 || o.ring_bytes > (1ull << 30) ||
			    (o.ring_bytes & (o.ring_bytes - 1))) {
				cli_usage_error(c, "-m: '%s' must be a power of two between 4K and 1G (e.g. 8M)", optarg);
				goto out;
			}
			break;
		case 'z': {
			uint64_t v;
			if (cli_parse_u64(c, "-z", optarg, 1, 19, &v))
				goto out;
			o.level = (int)v;
			break;
		}
		case 'q': o.quiet = 1; break;
		case 'g': o.stacks = 1; break;
		case O_CALL_GRAPH: {
			/* perf's MODE[,SIZE]: the size of a dwarf stack copy means
			 * nothing here (no stack is copied) and is accepted. */
			size_t ml = strcspn(optarg, ",");
			if (ml == 2 && !strncmp(optarg, "fp", 2)) {
				o.fp_only = 1;
			} else if (ml == 5 && !strncmp(optarg, "dwarf", 5)) {
				o.fp_only = 0;
			} else {
				cli_usage_error(c, "--call-graph: '%s' is not a mode: dwarf (.eh_frame rules, the "
						   "default) or fp (frame pointers)%s", optarg,
						!strncmp(optarg, "lbr", 3) ? "; lbr needs a hardware PMU trec does not use" : "");
				goto out;
			}
			o.stacks = 1;
			break;
		}
		case O_DEBUG_DIR:
		case O_SYMFS: {
			struct stat dst;
			if (stat(optarg, &dst) || !S_ISDIR(dst.st_mode)) {
				cli_usage_error(c, "%s: '%s' is not a directory", ch == O_SYMFS ? "--symfs" : "--debug-dir",
						optarg);
				goto out;
			}
			if (ch == O_SYMFS) {
				o.symfs = optarg;
				break;
			}
			const char **nd = realloc(o.debug_dirs, (o.ndebug_dirs + 1) * sizeof(*nd));
			if (!nd) {
				rc = CLI_EXIT_ERROR;
				goto out;
			}
			o.debug_dirs = nd;
			o.debug_dirs[o.ndebug_dirs++] = optarg;
			break;
		}
		case O_UNWIND_MEM:
			if (parse_size(optarg, &o.unwind_mem) || o.unwind_mem < 8192 || o.unwind_mem > (16ull << 30)) {
				cli_usage_error(c, "--unwind-mem: '%s' is not a size between 8K and 16G (e.g. 64M)", optarg);
				goto out;
			}
			break;
		case O_AS_USER:
			o.as_user = 1;
			o.as_user_spec = optarg;
			break;
		case O_OFFCPU_MIN:
			if (parse_duration(optarg, &o.offcpu_min_ns)) {
				cli_usage_error(c, "--offcpu-min: '%s' is not a duration (1us, 10ms)", optarg);
				goto out;
			}
			break;
		case 'F': {
			uint64_t max = profile_max_freq();
			if (cli_parse_u64(c, "-F", optarg, 1, max, &o.freq))
				goto out; /* the message gives the range: kernel.perf_event_max_sample_rate */
			o.profile = 1;
			break;
		}
		case 'h':
			cli_help(c);
			rc = CLI_EXIT_OK;
			goto out;
		default:
			rc = cli_bad_option(c);
			goto out;
		}
	}
	if (optind < argc)
		o.cmd = argv + optind;
	if (o.cmd && o.npids) {
		cli_usage_error(c, "a command cannot be combined with -p (-a -- CMD records everything while CMD runs)");
		goto out;
	}
	if (o.as_user && !o.cmd) {
		cli_usage_error(c, "--as-user is for the command trec starts: give it after --");
		goto out;
	}
	if (o.as_user && as_user_resolve(&o.user, o.as_user_spec, &err)) {
		cli_usage_error(c, "%s", err.msg);
		goto out;
	}
	if (o.npids && o.all) {
		cli_usage_error(c, "-p and -a exclude each other");
		goto out;
	}
	if (o.profile && !o.freq)
		o.freq = 99; /* as the BCC tools: off the beat of 100 Hz timers */
	if (!have_plan) {
		if (plan_init(&o.plan, &err)) {
			cli_err(c, "%s", err.msg);
			rc = CLI_EXIT_ERROR;
			goto out;
		}
		have_plan = 1;
		if (!o.profile && !o.offcpu && !o.probes.nspecs && plan_add(&o.plan, "raw_syscalls:sys_enter", &err)) {
			cli_err(c, "%s", err.msg);
			rc = CLI_EXIT_ERROR;
			goto out;
		}
	}
	if (o.profile) {
		static const struct trec_field period = { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 };
		static char probe[96];
		snprintf(probe, sizeof(probe), "perf_event:%s:F=%llu",
			 o.clock == PROFILE_CYCLES ? "hardware:cycles" : "software:cpu-clock",
			 (unsigned long long)o.freq);
		o.sample_schema = (struct trec_schema){
			.id = (uint32_t)o.plan.n + 1, .name = o.clock == PROFILE_CYCLES ? "cycles" : "cpu-clock",
			.probe = probe, .fixed_size = 8, .nfields = 1, .fields = &period,
		};
	}
	if (o.offcpu) {
		static const struct trec_field delta = { "delta_ns", "u64", TREC_F_UINT, 0, 0, 8, 1 };
		static char probe[96];
		snprintf(probe, sizeof(probe), "tp_btf:sched_switch:offcpu:min_ns=%llu",
			 (unsigned long long)o.offcpu_min_ns);
		o.offcpu_schema = (struct trec_schema){
			.id = (uint32_t)o.plan.n + 1 + (o.profile ? 1 : 0), .name = "offcpu", .probe = probe,
			.fixed_size = 8, .nfields = 1, .fields = &delta,
		};
	}
	if (o.probes.nspecs) {
		struct probe_resolve_opts pro = {
			.sz = sizeof(pro), .first_type = (uint32_t)o.plan.n + 1 + (o.profile ? 1 : 0) + (o.offcpu ? 1 : 0),
			.pids = o.pids, .npids = o.npids, .tracefs = o.plan.root,
			.warn = probe_warn, .warn_ctx = (void *)c,
		};
		if (probe_set_resolve(&o.probes, &pro, &err)) {
			cli_err(c, "%s", err.msg);
			rc = CLI_EXIT_ERROR;
			goto out;
		}
	}
	rc = run_record(&o);
out:
	probe_set_free(&o.probes);
	if (have_plan)
		plan_free(&o.plan);
	free(o.pids);
	free(o.debug_dirs);
	as_user_free(&o.user);
	return rc;
}
