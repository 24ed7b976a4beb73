/* SPDX-License-Identifier: MIT */
/*
 * The recording session's insides, shared by its modules: session.c (the
 * run: start, loop, snapshots, stop) and session_file.c (what goes into
 * each file: the process history as it comes, the preamble, losses,
 * symbols, the close and the switch to the next file). Nothing outside
 * record/session*.c includes this.
 */
#ifndef TREC_RECORD_SESSION_INT_H
#define TREC_RECORD_SESSION_INT_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bpf_log.h"
#include "bpf_offcpu.h"
#include "bpf_probes.h"
#include "bpf_profile.h"
#include "child.h"
#include "consumer.h"
#include "control.h"
#include "flight.h"
#include "hostmeta.h"
#include "memplan.h"
#include "procfs.h"
#include "rotation.h"
#include "session.h"
#include "sideband.h"
#include "taskctx.h"
#include "writer.h"

struct rec_session {
	struct rec_opts o;
	struct plan_types types;
	struct trec_schema sample_schema; /* -F, -e cpu-clock, -e cycles */
	struct trec_schema offcpu_schema; /* -e offcpu */
	char sample_probe[96], offcpu_probe[96];
	struct rec_type_stats *tstats;    /* by id - 1 */
	size_t ntypes;
	int filtering;                    /* only the targets (-p, the command) and their children */

	struct trec_writer *w;
	char path[4096];
	struct rotation rot;
	struct tp_spec *specs;
	struct tp_capture *cap;
	struct profile *prof;
	struct offcpu *off;
	struct probe_attach *pa;
	struct consumer *con;
	struct sideband *sb;
	struct buildid_cache *bic;
	struct dso_tracker *dsos;
	struct dso_write_stats symstats;
	struct memplan mem;                /* rings, side-band, writer: how much of each */
	struct unwind *uw;                 /* NULL: user stacks by frame pointers */
	struct taskctx *tctx;              /* tasks' cgroups and namespace pids */
	int snapshotting;                  /* write_preamble's /proc snapshot is running */
	struct unwind_stats uw_written;    /* what earlier files were told (--switch-output) */
	struct child child;
	int has_child;
	/* --overwrite (flight.h) and --control (control.h) */
	struct flight *fl;
	struct flight_trigger trig;
	struct control *ctl;
	uint64_t trig_ns;        /* a pending snapshot's trigger time; 0: none */
	uint64_t trig_deadline;  /* trig_ns + --post: when it is written */
	const char *trig_what;   /* what fired it (metadata) */
	int trig_acks;           /* control commands waiting for it */
	uint64_t last_trig_ns;
	uint64_t settled_ns;     /* triggers fired by records before this are known */
	uint64_t snapshots, triggers_ignored;
	uint64_t snap_replayed;  /* records the current snapshot replayed */
	int command_failed;

	uint64_t start_ns;
	uint64_t secs_ns;         /* the recording's length, frozen at stop */
	uint64_t pids_checked_ns; /* -p: when the targets were last looked for */
	uint64_t sideband_lost_seen;
	uint64_t kstacks_written, ustacks_written; /* stack_loss.* told to earlier files */
	int stop;
	const char *stop_reason;
	int started, run_failed, stopped;
};

static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* session_mem.c: the memory plan (memplan.h), its print and metadata */
int session_plan_memory(struct rec_session *s, struct trec_err *err);
void session_memory_unwinder(struct rec_session *s);
int session_write_memory_meta(struct rec_session *s);

/* session_file.c */
int session_on_task(void *ctx, const struct trec_task *t);
int session_on_map(void *ctx, const struct trec_map *m);
int session_pid_wanted(void *ctx, uint32_t pid);
int session_open_output(struct rec_session *s, const char *path, struct trec_err *err);
int session_write_preamble(struct rec_session *s, struct trec_err *err);
int session_flush_losses(struct rec_session *s);
int session_write_symbols(struct rec_session *s, struct trec_err *err);
int session_close_output(struct rec_session *s, struct trec_err *err);
int session_switch_output(struct rec_session *s, struct trec_err *err);
int session_write_meta_str(struct trec_writer *w, const char *key, const char *val, size_t len, int bytes);

#endif
