/* SPDX-License-Identifier: MIT */
/*
 * The recorder: one recording session, from its options to closed trace
 * files. No argv here: the caller (cli/cmd_record.c) turns flags into a
 * struct rec_opts, prints what it wants of the statistics and maps errors
 * to exit codes.
 *
 *   rec_session_new()   checks the options, resolves the probes, gives
 *                       every event its type id (plan.h); loads nothing
 *   rec_session_start() opens the output, loads the BPF programs, starts
 *                       the side-band, takes the /proc snapshot, attaches,
 *                       releases the command (-- CMD)
 *   rec_session_run()   drains rings and side-band into the file until the
 *                       command exits, --duration, SIGINT/SIGTERM/SIGHUP,
 *                       -p's processes exit or --max-size
 *   rec_session_stop()  detaches, drains what is left, writes symbols and
 *                       loss totals, closes the file(s), ends the command
 *   rec_session_free()
 *
 * After a failed start nothing is left behind (no empty trace, no paused
 * command). After a failed run, stop still closes the file: what was
 * written reads normally.
 *
 * The session blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD (its loop reads
 * them from a signalfd) from start on and leaves them blocked: a signal
 * that arrives while it stops must not kill the process before it reports.
 *
 * Errors: negative errno and a struct trec_err naming what failed. Notes
 * that are not errors (a fallback taken) go to trec_print(TREC_WARN);
 * libbpf's own messages go to trec_print(TREC_DEBUG).
 */
#ifndef TREC_RECORD_SESSION_H
#define TREC_RECORD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "as_user.h"
#include "cgroups.h"
#include "dsos.h"
#include "errors.h"
#include "plan.h"
#include "probes.h"
#include "unwind.h"

struct rec_stats;

/* CPU samples per second and CPU when -F is not given: a millisecond's
 * resolution, off the beat of 1000, 250 and 100 Hz timer ticks (so a
 * periodic task is not always or never caught), at a quarter of perf's
 * 4000 Hz sampling cost. */
#define REC_DEFAULT_FREQ 999u

struct rec_opts {
	size_t sz; /* sizeof(struct rec_opts): fields past it are taken as 0 */
	/* What to record: the tracepoints (-e, --filter; required) and the
	 * dynamic probes (-e u:..., k:...; may be NULL), built by the caller
	 * and alive as long as the session. The session resolves the probes. */
	struct plan *plan;
	struct probe_set *probes;
	/* CPU sampling (-F, -e cpu-clock, -e cycles) */
	int profile;
	int clock;         /* enum profile_clock */
	uint64_t freq;     /* 0: REC_DEFAULT_FREQ */
	/* off-CPU time (-e offcpu) */
	int offcpu;
	uint64_t offcpu_min_ns;
	/* stacks */
	int stacks;        /* -g */
	int fp_only;       /* --call-graph fp */
	uint64_t unwind_mem;           /* --unwind-mem; 0: the default */
	const char *const *debug_dirs; /* --debug-dir; NULL: the default */
	size_t ndebug_dirs;
	const char *symfs;             /* --symfs */
	/* whom */
	int all;             /* -a */
	const pid_t *pids;   /* -p, thread group ids */
	size_t npids;
	char *const *cmd;    /* -- CMD ARGS..., NULL-terminated; NULL: none */
	const struct as_user *as_user; /* --as-user; NULL: the command runs as we do */
	/* the output */
	const char *output;  /* -o */
	int force;           /* -f */
	int level;           /* -z; 0: 1 */
	uint64_t ring_bytes; /* -m, per ring; 0: by the memory rule */
	uint64_t duration_ns, max_size, switch_size, switch_ns;
	/* The command line as typed, for the file's metadata. */
	char *const *cmdline;
	int cmdline_n;
	/* Called about twice a second while running (may be NULL). */
	void (*on_progress)(void *ctx, const struct rec_stats *st);
	/* Called when --switch-output finished writing a file (may be NULL). */
	void (*on_file_done)(void *ctx, const char *path);
	void *cb_ctx;
	/* -G: only tasks in these cgroup subtrees (alive as long as the
	 * session); NULL: any. */
	const struct cgroup_set *cgroups;
	/* --overwrite: the flight recorder (flight.h). Nothing is written
	 * until a trigger (SIGUSR2, the control FIFO's "snapshot", an event
	 * passing snapshot_on); each snapshot is a complete file named
	 * OUTPUT.<seq>.<local time> holding the window before the trigger
	 * and post_ns after it. */
	int overwrite;
	uint64_t window_ns;            /* --window; 0: FLIGHT_DEFAULT_WINDOW_NS */
	uint64_t window_bytes;         /* --window-size; 0: FLIGHT_DEFAULT_BYTES */
	uint64_t post_ns;              /* --post */
	uint64_t snapshot_interval_ns; /* triggers closer than this to the last one are ignored */
	const char *snapshot_on;       /* --snapshot-on EVENT[:FILTER]; NULL: none */
	const char *control;           /* --control fifo:CTL[,ACK]; NULL: none */
	/* Memory (record/memplan.h): --memory bounds the whole recorder (0: the
	 * default); --rings forces the number of event rings (0: the rule). */
	uint64_t memory;
	uint32_t rings;
	int verbose;                   /* -v: print the memory plan at start */
	size_t :0;
};

/* Events and losses of one event type. */
struct rec_type_stats {
	const char *name;
	uint32_t id;
	enum { REC_TYPE_TRACEPOINT, REC_TYPE_SAMPLES, REC_TYPE_PROBE } kind;
	uint64_t events, lost;
};

struct rec_stats {
	double secs;            /* since the recording started (frozen at stop) */
	const char *path;       /* the current (at the end: the last) file */
	uint64_t files;         /* files opened */
	uint64_t bytes;         /* in every file (at the end: closed ones) */
	uint64_t events;        /* records written */
	uint64_t raw_bytes;     /* their size as the BPF side produced them */
	uint64_t file_events;   /* events already in blocks of the current file */
	uint64_t file_bytes;    /* bytes of the current file */
	uint64_t lost_ring, lost_writer, lost_stacks;
	struct rec_type_stats *types; /* every event type, by id (owned by the session) */
	size_t ntypes;
	int symbols;            /* symbol tables were written (stacks recorded) */
	struct dso_write_stats sym;
	int unwinding;          /* user stacks walked with unwind tables */
	struct unwind_stats unwind;
	uint64_t sideband_lost; /* process history records the kernel dropped */
	uint64_t targets_full;  /* new processes not followed */
	const char *stop_reason; /* NULL: not stopped by a condition */
	int overwrite;          /* --overwrite: the fields below count */
	uint64_t snapshots;     /* snapshot files written */
	uint64_t triggers_ignored; /* closer than the minimum interval to the last */
	uint64_t flight_bytes;  /* records held in memory now */
	uint64_t flight_dropped; /* records that left the window unwritten */
	int has_command;        /* -- CMD */
	int command_status;     /* its wait status, once it ended */
};

struct rec_session;

int rec_session_new(const struct rec_opts *opts, struct rec_session **out, struct trec_err *err);
int rec_session_start(struct rec_session *s, struct trec_err *err);
int rec_session_run(struct rec_session *s, struct trec_err *err);
int rec_session_stop(struct rec_session *s, struct trec_err *err);
/* Statistics so far (after stop: final); pointers stay valid until free. */
void rec_session_stats(struct rec_session *s, struct rec_stats *st);
/* The file being written (after stop: the last one). */
const char *rec_session_path(const struct rec_session *s);
/* Whether start failed because the command could not be run (exec, or
 * --as-user), not the recorder. */
bool rec_session_command_failed(const struct rec_session *s);
void rec_session_free(struct rec_session *s);

#endif
