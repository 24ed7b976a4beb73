/* SPDX-License-Identifier: MIT */
/*
 * The recording session (session.h). The run, in order: open the output
 * (0600, never silently over an existing file), load BPF, start the
 * side-band, take the /proc snapshot, attach, release the command, then
 * loop: drain rings and side-band, account losses, check the stop
 * conditions. At the end: detach, drain what is left, write the loss
 * totals, close the file with its index. What goes into each file is
 * session_file.c's; the struct both share is in session_int.h.
 */
#include "session_int.h"

/* ---- options --------------------------------------------------------------- */

/* As libbpf's OPTS_VALID: a caller built against a newer rec_opts may
 * only have set fields this build knows; anything past them must be 0. */
static int opts_valid(const struct rec_opts *o, struct trec_err *err)
{
	if (!o || o->sz < offsetof(struct rec_opts, probes))
		return trec_errf(err, -EINVAL, "rec_session_new: no options (sz %zu)", o ? o->sz : 0);
	const unsigned char *p = (const unsigned char *)o;
	for (size_t i = sizeof(*o); i < o->sz; i++)
		if (p[i])
			return trec_errf(err, -EINVAL, "rec_session_new: option byte %zu is set, but this recorder "
						       "knows only %zu bytes of options", i, sizeof(*o));
	if (!o->plan)
		return trec_errf(err, -EINVAL, "rec_session_new: no plan of events");
	if (!o->output)
		return trec_errf(err, -EINVAL, "rec_session_new: no output file");
	return 0;
}

static void probe_warn(void *ctx, const char *msg)
{
	trec_print(TREC_WARN, "%s\n", msg);
}

static void types_init(struct rec_session *s)
{
	static const struct trec_field period = { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 };
	static const struct trec_field delta = { "delta_ns", "u64", TREC_F_UINT, 0, 0, 8, 1 };
	const struct rec_opts *o = &s->o;
	plan_types(o->plan, o->profile, o->offcpu, 0, &s->types);
	if (o->profile) {
		snprintf(s->sample_probe, sizeof(s->sample_probe), "perf_event:%s:F=%llu",
			 o->clock == PROFILE_CYCLES ? "hardware:cycles" : "software:cpu-clock",
			 (unsigned long long)o->freq);
		s->sample_schema = (struct trec_schema){
			.id = s->types.samples, .name = o->clock == PROFILE_CYCLES ? "cycles" : "cpu-clock",
			.probe = s->sample_probe, .fixed_size = 8, .nfields = 1, .fields = &period,
		};
	}
	if (o->offcpu) {
		snprintf(s->offcpu_probe, sizeof(s->offcpu_probe), "tp_btf:sched_switch:offcpu:min_ns=%llu",
			 (unsigned long long)o->offcpu_min_ns);
		s->offcpu_schema = (struct trec_schema){
			.id = s->types.offcpu, .name = "offcpu", .probe = s->offcpu_probe,
			.fixed_size = 8, .nfields = 1, .fields = &delta,
		};
	}
}

/* The names and kinds of every type, for the statistics. */
static int type_stats_init(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	s->ntypes = s->types.max;
	s->tstats = calloc(s->ntypes ? s->ntypes : 1, sizeof(*s->tstats));
	if (!s->tstats)
		return trec_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < o->plan->n; i++) {
		const struct plan_event *pe = &o->plan->ev[i];
		s->tstats[pe->schema.id - 1] = (struct rec_type_stats){ .name = pe->full, .id = pe->schema.id,
								  .kind = REC_TYPE_TRACEPOINT };
	}
	const struct trec_schema *extra[2] = { o->profile ? &s->sample_schema : NULL,
					       o->offcpu ? &s->offcpu_schema : NULL };
	for (int i = 0; i < 2; i++)
		if (extra[i])
			s->tstats[extra[i]->id - 1] = (struct rec_type_stats){ .name = extra[i]->name, .id = extra[i]->id,
									      .kind = REC_TYPE_SAMPLES };
	for (size_t i = 0; o->probes && i < o->probes->n; i++) {
		const struct trec_schema *ps = &o->probes->ev[i].schema;
		s->tstats[ps->id - 1] = (struct rec_type_stats){ .name = ps->name, .id = ps->id, .kind = REC_TYPE_PROBE };
	}
	return 0;
}

/* --overwrite: the memory, and the trigger on events. */
static int flight_setup(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	if (!o->overwrite) {
		if (o->snapshot_on || o->post_ns || o->window_ns || o->window_bytes)
			return trec_errf(err, -EINVAL, "--snapshot-on, --post and --window are for --overwrite");
		return 0;
	}
	if (o->switch_size || o->switch_ns)
		return trec_errf(err, -EINVAL, "--overwrite writes a file per snapshot; it excludes --switch-output");
	if (o->snapshot_on) {
		int e = flight_trigger_compile(&s->trig, o->snapshot_on, o->plan, o->probes, err);
		if (e)
			return e;
	}
	struct flight_opts fo = { .sz = sizeof(fo), .window_ns = o->window_ns, .max_bytes = o->window_bytes };
	if (flight_new(&s->fl, &fo))
		return trec_errf(err, -ENOMEM, "out of memory");
	return 0;
}

int rec_session_new(const struct rec_opts *opts, struct rec_session **out, struct trec_err *err)
{
	*out = NULL;
	int e = opts_valid(opts, err);
	if (e)
		return e;
	struct rec_session *s = calloc(1, sizeof(*s));
	if (!s)
		return trec_errf(err, -ENOMEM, "out of memory");
	memcpy(&s->o, opts, opts->sz < sizeof(s->o) ? opts->sz : sizeof(s->o));
	s->o.sz = sizeof(s->o);
	struct rec_opts *o = &s->o;
	if (!o->level)
		o->level = 1;
	if (o->profile && !o->freq)
		o->freq = REC_DEFAULT_FREQ;
	s->child.go_fd = s->child.err_fd = -1;
	s->filtering = o->npids || (o->cmd && !o->all); /* -a -- CMD: everything, while CMD runs */
	rec_bpf_log_install();

	types_init(s);
	if (o->probes && o->probes->nspecs) {
		struct probe_resolve_opts pro = {
			.sz = sizeof(pro), .first_type = s->types.first_probe, .pids = o->pids, .npids = o->npids,
			.tracefs = o->plan->root, .warn = probe_warn,
		};
		if ((e = probe_set_resolve(o->probes, &pro, err)))
			goto fail;
	}
	plan_types(o->plan, o->profile, o->offcpu, o->probes ? o->probes->n : 0, &s->types);
	if ((e = type_stats_init(s, err)))
		goto fail;
	if (!(s->tctx = taskctx_new(NULL))) {
		e = trec_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = flight_setup(s, err)))
		goto fail;
	if ((e = session_plan_memory(s, err)))
		goto fail;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		e = trec_errf(err, -ENOTSUP, "this kernel has no BTF (/sys/kernel/btf/vmlinux): trec's BPF programs "
					     "need CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2020 have it)");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	rec_session_free(s);
	return e;
}

/* ---- --overwrite: snapshots ------------------------------------------------- */

static void trigger(struct rec_session *s, uint64_t ts, const char *what, int ack);

static int snap_task(void *ctx, const struct trec_task *t)
{
	struct rec_session *s = ctx;
	return trec_writer_add_task(s->w, t);
}

static int snap_map(void *ctx, const struct trec_map *m)
{
	struct rec_session *s = ctx;
	return trec_writer_add_map(s->w, m);
}

static int snap_record(void *ctx, uint32_t cpu, const void *rec, size_t size)
{
	struct rec_session *s = ctx;
	/* The rings go on filling while the window is written: drain them
	 * now and then (into memory held apart, flight_hold). */
	if (!(++s->snap_replayed & 0x3fff)) {
		int e = consumer_drain(s->con);
		if (e < 0)
			return e;
	}
	return consumer_replay(s->con, cpu, rec, size);
}

static int snap_loss(void *ctx, const struct trec_loss *l)
{
	struct rec_session *s = ctx;
	return trec_writer_add_loss(s->w, l);
}

static int flight_loss(void *ctx, const struct trec_loss *l)
{
	struct rec_session *s = ctx;
	return flight_add_loss(s->fl, l);
}

static int write_snapshot_meta(struct rec_session *s, uint64_t from, uint64_t to)
{
	char seq[32], span[64];
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)s->snapshots + 1);
	snprintf(span, sizeof(span), "%llu-%llu", (unsigned long long)from, (unsigned long long)to);
	int e = session_write_meta_str(s->w, "record.snapshot.seq", seq, strlen(seq), 0);
	if (!e)
		e = session_write_meta_str(s->w, "record.snapshot.trigger", s->trig_what, strlen(s->trig_what), 0);
	if (!e)
		e = session_write_meta_str(s->w, "record.snapshot.window_ns", span, strlen(span), 0);
	return e;
}

/* The pending snapshot as a complete file, the way --switch-output makes
 * each of its files: header records and a /proc snapshot (session_write_preamble),
 * the side-band kept, the window's records with their stacks, losses,
 * symbols; then closed, with its index, before the trigger is answered. */
static int write_snapshot(struct rec_session *s, struct trec_err *err)
{
	uint64_t to = s->trig_deadline;
	uint64_t from = flight_window_start(s->fl, s->trig_ns);
	int acks = s->trig_acks;
	s->trig_ns = 0;
	s->trig_acks = 0;
	char path[4200];
	rotation_snapshot_name(&s->rot, s->snapshots + 1, path, sizeof(path));
	int e = rotation_join(&s->rot, err);
	if (!e)
		e = session_open_output(s, path, err);
	if (e)
		goto out;
	struct sideband_cb cb = { .ctx = s, .task = snap_task, .map = snap_map };
	e = session_write_preamble(s, err);
	if (!e)
		e = write_snapshot_meta(s, from, to);
	if (!e)
		e = flight_replay_sideband(s->fl, to, &cb);
	/* The history to the file first: a snapshot cut short names its
	 * processes. */
	if (!e)
		e = trec_writer_seal(s->w);
	consumer_set_writer(s->con, s->w);
	flight_hold(s->fl);
	if (!e)
		e = flight_replay(s->fl, from, to, snap_record, s);
	flight_release(s->fl);
	if (!e)
		e = session_flush_losses(s);
	if (!e)
		e = flight_replay_losses(s->fl, from, snap_loss, s);
	if (e < 0 && !err->code) {
		const char *we = trec_writer_error(s->w);
		trec_errf(err, e, "writing %s: %s", s->path, we ? we : strerror(-e));
	}
	if (!e)
		e = session_write_symbols(s, err);
	consumer_set_writer(s->con, NULL);
	struct trec_err ce = { 0 };
	int cr = session_close_output(s, &ce);
	if (cr && !e) {
		*err = ce;
		e = cr;
	}
	if (!e) {
		s->snapshots++;
		if (s->o.on_file_done)
			s->o.on_file_done(s->o.cb_ctx, path);
	}
out:
	while (acks-- > 0)
		control_ack(s->ctl, e ? err->msg : NULL);
	return e;
}

/* Control commands waiting in the FIFO. */
static void control_commands(struct rec_session *s)
{
	enum control_cmd cmd;
	while ((cmd = control_next(s->ctl)) != CONTROL_NONE) {
		if (cmd == CONTROL_STOP) {
			s->stop = 1;
			s->stop_reason = "stop command (--control)";
			control_ack(s->ctl, NULL);
		} else if (!s->fl) {
			control_ack(s->ctl, "snapshot needs --overwrite");
		} else {
			trigger(s, mono_ns(), "control", 1);
		}
	}
}

/* ---- start ------------------------------------------------------------------- */

static void signals_mask(const struct rec_session *s, sigset_t *mask)
{
	sigemptyset(mask);
	if (s->fl)
		sigaddset(mask, SIGUSR2); /* perf's --switch-output=signal: a snapshot */
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGHUP);
}

/* The BPF programs, in the order they share maps: the tracepoint capture
 * owns the rings, loss counters and target set; the probes use them. */
static int load_programs(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	int e;
	s->specs = plan_specs(o->plan);
	if (!s->specs)
		return trec_errf(err, -ENOMEM, "%s", strerror(ENOMEM));
	if ((o->profile || o->stacks || o->offcpu) && !o->fp_only) {
		struct unwind_opts uo = { .sz = sizeof(uo), .budget = o->unwind_mem };
		struct trec_err ue = { 0 };
		if (unwind_new(&s->uw, &uo, &ue) < 0) {
			if (ue.code == -EINVAL) {
				*err = ue;
				return ue.code;
			}
			/* Stacks still come, by frame pointers: say so, go on. */
			trec_print(TREC_WARN, "%s; user stacks will be walked by frame pointers only\n", ue.msg);
		}
	}
	session_memory_unwinder(s);
	struct tp_capture_opts co = { .sz = sizeof(co), .ring_bytes = s->mem.ring_bytes, .filter_pids = s->filtering,
				      .cgroups = o->cgroups, .with_stacks = o->stacks, .max_type = s->types.max, .unwind = s->uw,
				      .profile = o->profile, .profile_type = s->types.samples,
				      .nrings = s->mem.nrings, .cpus_per_ring = s->mem.cpus_per_ring };
	e = tp_capture_open(&s->cap, &co, s->specs, o->plan->n, err);
	if (e)
		return e;
	taskctx_set_map(s->tctx, tp_capture_task_ctx_fd(s->cap));
	if (o->probes && o->probes->n) {
		struct probe_attach_opts pao = { .sz = sizeof(pao), .filter_pids = s->filtering, .with_stacks = o->stacks,
						 .cgroups = o->cgroups };
		e = probe_attach_open(&s->pa, s->cap, o->probes, &pao, err);
	}
	return e;
}

/* The command, paused, and the -p processes: targets before anything runs. */
static int add_targets(struct rec_session *s, const sigset_t *blocked, const sigset_t *old, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	int e;
	if (o->cmd) {
		sigprocmask(SIG_SETMASK, old, NULL); /* the child inherits a clean mask */
		e = child_spawn(&s->child, o->cmd, o->as_user, err);
		sigprocmask(SIG_BLOCK, blocked, NULL);
		if (e)
			return e;
		s->has_child = 1;
	}
	if (!s->filtering)
		return 0; /* everything is traced: the programs never look at targets */
	for (size_t i = 0; i <= o->npids; i++) {
		pid_t t = i < o->npids ? o->pids[i] : s->child.pid;
		if (t > 0 && (e = tp_capture_add_target(s->cap, (uint32_t)t)) < 0)
			return trec_errf(err, e, "adding target %d: %s", (int)t, strerror(-e));
	}
	return 0;
}

/* A trigger at ts: a snapshot of the window before it, written once
 * --post has passed. One that comes while a snapshot waits joins it. */
static void trigger(struct rec_session *s, uint64_t ts, const char *what, int ack)
{
	if (!s->fl)
		return;
	if (s->trig_ns) {
		s->trig_acks += ack;
		/* The rings are drained in turn, so a match read later in the
		 * same drain may have happened first: the snapshot is of the
		 * first (it is written only after the drain). */
		if (ts < s->trig_ns) {
			s->trig_ns = s->last_trig_ns = ts;
			s->trig_deadline = ts + s->o.post_ns;
			s->trig_what = what;
		}
		return;
	}
	/* An event's time can be before the last trigger's (the CPUs' rings
	 * are drained in turn): it is too soon too. */
	if (s->last_trig_ns && ts < s->last_trig_ns + s->o.snapshot_interval_ns) {
		s->triggers_ignored++;
		if (ack)
			control_ack(s->ctl, "too soon after the last snapshot (--snapshot-interval)");
		return;
	}
	s->trig_ns = ts;
	s->trig_deadline = ts + s->o.post_ns;
	s->trig_what = what;
	s->trig_acks = ack;
	s->last_trig_ns = ts;
}

/* --overwrite: the consumer's records go to memory; --snapshot-on
 * looks at each on the way. */
static int flight_sink(void *ctx, uint32_t cpu, const void *rec, size_t size)
{
	struct rec_session *s = ctx;
	uint64_t when;
	int m = s->trig.type ? flight_trigger_match(&s->trig, rec, size, &when) : 0;
	if (m < 0)
		return m;
	if (m)
		trigger(s, when, "event", 0);
	return flight_add_record(s->fl, cpu, rec, size);
}

static void fire_event(void *ctx, uint64_t when_ns)
{
	trigger(ctx, when_ns, "event", 0);
}

/* Every ring has been read up to read_to: a latency trigger pairs what
 * came before it, in time order (flight_trigger_settle). */
static int settle_triggers(struct rec_session *s, uint64_t read_to)
{
	s->settled_ns = read_to;
	if (!s->fl || !s->trig.entry_type)
		return 0;
	int r = flight_trigger_settle(&s->trig, read_to, fire_event, s);
	return r < 0 ? r : 0;
}

/* Build-ids, symbols and the side-band, then the consumer. */
static int start_sideband(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	int e = buildid_cache_new(&s->bic);
	if (!e && (o->profile || o->stacks || o->offcpu)) {
		struct dso_tracker_opts dto = { .sz = sizeof(dto), .debug_dirs = (const char **)o->debug_dirs,
						.ndebug_dirs = o->ndebug_dirs, .symfs = o->symfs };
		e = dso_tracker_new_opts(&s->dsos, &dto);
	}
	if (e)
		return trec_errf(err, e, "%s", strerror(-e));
	/* Build-ids are read from the files (the MMAP2 record's device and
	 * inode prove which file), not asked of the kernel: while any event
	 * has attr.build_id set, perf 6.1's `perf record` on the same host
	 * aborts in its build-id code (seen on Linux 6.18). A recorder must not
	 * break the other tools of a production host. */
	struct sideband_opts so = { .sz = sizeof(so), .exec_maps_only = 1, .bic = s->bic, .no_kernel_build_ids = 1,
				    .pages_per_cpu = s->mem.sb_pages };
	e = sideband_open(&s->sb, &so, err);
	if (e)
		return e;
	e = consumer_new(&s->con, s->cap, s->w, s->types.max);
	if (e)
		return trec_errf(err, e, "setting up the ring buffer consumer: %s", strerror(-e));
	consumer_set_dsos(s->con, s->dsos);
	if (s->fl)
		consumer_set_sink(s->con, flight_sink, s);
	if (s->fl)
		consumer_set_loss_sink(s->con, flight_loss, s);
	/* Before the snapshot: its mappings are the first the loader sees. */
	if (s->uw) {
		struct unwind_hook_progs hooks;
		if ((e = tp_capture_unwind_hooks(s->cap, &hooks)) ||
		    (e = unwind_start(s->uw, &hooks, -1, err)))
			return e < 0 && !(err && err->code) ? trec_errf(err, e, "%s", strerror(-e)) : e;
	}
	/* The side-band runs from before the snapshot: a process that starts
	 * while /proc is read or the programs load is in one or the other
	 * (in both is fine: a mapping reported twice is one). */
	sideband_enable(s->sb);
	return 0;
}

static int attach_programs(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	int e = tp_capture_attach(s->cap, err);
	if (e)
		return e;
	if (o->profile) {
		struct profile_opts po = { .sz = sizeof(po), .freq = o->freq, .clock = o->clock };
		if ((e = profile_open(&s->prof, s->cap, &po, err)))
			return e;
	}
	if (o->offcpu) {
		struct offcpu_opts oo = { .sz = sizeof(oo), .type = s->types.offcpu,
					  .min_ns = o->offcpu_min_ns, .filter_pids = s->filtering,
					  .cgroups = o->cgroups };
		if ((e = offcpu_open(&s->off, s->cap, &oo, err)))
			return e;
	}
	return s->pa ? probe_attach_start(s->pa, err) : 0;
}

int rec_session_start(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	if (s->started)
		return trec_errf(err, -EALREADY, "the recording was started already");
	s->started = 1;
	s->start_ns = mono_ns();
	/* Block the signals the loop reads from its signalfd; the command
	 * gets the default dispositions back before exec. */
	sigset_t mask, old;
	signals_mask(s, &mask);
	/* An inherited SIG_IGN (background jobs of a script) would discard
	 * these before the signalfd sees them: `kill -INT` must still stop us. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(SIGPIPE, SIG_IGN);

	struct rotation_opts ro = { .sz = sizeof(ro), .base = o->output, .switch_size = o->switch_size,
				    .switch_ns = o->switch_ns, .max_size = o->max_size };
	rotation_init(&s->rot, &ro);
	char first[4200];
	rotation_next_name(&s->rot, first, sizeof(first));
	int e = 0;
	if (o->control)
		e = control_open(&s->ctl, o->control, err);
	if (e)
		goto fail;
	if (s->fl)
		snprintf(s->path, sizeof(s->path), "%s.N.<time>", o->output); /* what the files will be */
	else
		e = session_open_output(s, first, err);
	if (!e)
		e = load_programs(s, err);
	if (!e)
		e = add_targets(s, &mask, &old, err);
	if (!e)
		e = start_sideband(s, err);
	if (!e)
		e = session_write_preamble(s, err);
	if (!e)
		e = attach_programs(s, err);
	if (e)
		goto fail;
	s->start_ns = mono_ns();
	if (o->cmd && s->uw) {
		/* The command's tables before it runs: a program that does all its
		 * work in its first millisecond still has whole stacks. */
		char prog[4096];
		if (child_command_path(o->cmd[0], prog, sizeof(prog)) == 0) {
			unwind_preload(s->uw, prog);
			unwind_sync(s->uw);
		}
	}
	if (o->cmd && (e = child_release(&s->child, err))) {
		s->command_failed = 1;
		goto fail;
	}
	return 0;
fail:
	child_abort(&s->child);
	if (s->w) {
		/* Nothing was recorded: do not leave an empty trace behind. */
		trec_writer_abandon(s->w);
		s->w = NULL;
		unlink(s->path);
	}
	s->stopped = 1; /* nothing to stop */
	return e;
}

/* ---- the loop ---------------------------------------------------------------- */

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

static void check_limits(struct rec_session *s)
{
	const struct rec_opts *o = &s->o;
	uint64_t now = mono_ns();
	if (o->npids && now - s->pids_checked_ns >= 100000000ull) {
		/* -p: like perf, stop once every named process has exited
		 * (looked at every 100 ms: it reads /proc). */
		s->pids_checked_ns = now;
		size_t alive = 0;
		for (size_t i = 0; i < o->npids; i++)
			alive += !process_gone(o->pids[i]);
		if (!alive) {
			s->stop = 1;
			s->stop_reason = o->npids == 1 ? "the process exited" : "the processes exited";
		}
	}
	if (o->duration_ns && now - s->start_ns >= o->duration_ns) {
		s->stop = 1;
		s->stop_reason = "duration reached";
	}
	if (rotation_limit_reached(&s->rot, s->w)) {
		s->stop = 1;
		s->stop_reason = "--max-size reached";
	}
}

static void reap(struct rec_session *s)
{
	if (!s->has_child || !s->child.pid || s->child.done)
		return;
	if (child_reap(&s->child)) {
		s->stop = 1;
		s->stop_reason = "command exited";
	}
}

enum { EV_RING = 1, EV_SIGNAL, EV_TIMER, EV_SIDEBAND, EV_UNWIND, EV_CONTROL };

#define TICK_FAST_NS 20000000ull
#define TICK_SLOW_NS 100000000ull
#define TICK_QUIET_NS 500000000ull /* no side-band record for this long: slow tick */
/* How long a BPF program may take between its timestamp and its commit
 * (it can be preempted) before a latency trigger settles past it. */
#define SETTLE_SLACK_NS 10000000ull

static void set_tick(int tfd, uint64_t ns)
{
	struct timespec t = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	struct itimerspec its = { t, t };
	timerfd_settime(tfd, 0, &its, NULL);
}

static int loop(struct rec_session *s, struct trec_err *err)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	sigset_t mask;
	signals_mask(s, &mask);
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
	/* The tick: the longest a record waits in a ring when producers do
	 * not wake us (they do, past TREC_WAKEUP_BYTES), and the longest a new
	 * mapping waits to have its file opened. 20 ms while processes come
	 * and go (a short-lived process must still be alive when its
	 * mappings are read); once the side-band has been quiet for a while,
	 * 100 ms, as a wake-up costs more than a tick's worth of records. */
	int fast = 1;
	uint64_t sb_last = mono_ns();
	set_tick(tfd, TICK_FAST_NS);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	ev.data.u32 = EV_RING;
	for (uint32_t i = 0; i < consumer_nrings(s->con); i++)
		epoll_ctl(ep, EPOLL_CTL_ADD, consumer_ring_fd(s->con, i), &ev);
	ev.events = EPOLLIN;
	ev.data.u32 = EV_SIGNAL;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u32 = EV_TIMER;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	const int *sbfds;
	size_t nsb;
	sideband_fds(s->sb, &sbfds, &nsb);
	ev.data.u32 = EV_SIDEBAND;
	for (size_t i = 0; i < nsb; i++)
		epoll_ctl(ep, EPOLL_CTL_ADD, sbfds[i], &ev);
	/* The unwinder's wake-up calls: the side-band drain below answers them. */
	ev.data.u32 = EV_UNWIND;
	if (unwind_kick_fd(s->uw) >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, unwind_kick_fd(s->uw), &ev);
	ev.data.u32 = EV_CONTROL;
	if (control_fd(s->ctl) >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, control_fd(s->ctl), &ev);

	struct sideband_cb cb = { .ctx = s, .task = session_on_task, .map = session_on_map, .pid_wanted = session_pid_wanted };
	uint64_t last_loss = mono_ns(), last_prog = 0;
	int e = 0;
	while (!s->stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, 100);
		if (n < 0 && errno != EINTR) {
			e = trec_errf(err, -errno, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGCHLD)
						reap(s);
					else if (si.ssi_signo == SIGUSR2)
						trigger(s, mono_ns(), "signal", 0);
					else {
						s->stop = 1;
						s->stop_reason = si.ssi_signo == SIGINT ? "interrupted" : "terminated";
					}
				}
			} else if (evs[i].data.u32 == EV_TIMER) {
				uint64_t ticks;
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					ticks = 0;
			} else if (evs[i].data.u32 == EV_UNWIND) {
				unwind_kick_consume(s->uw);
			} else if (evs[i].data.u32 == EV_CONTROL) {
				control_commands(s);
			}
		}
		/* A record timed before the drain began is in its ring by now,
		 * unless its program was preempted for longer than the slack. */
		uint64_t drain_start = mono_ns();
		e = consumer_drain(s->con);
		if (e >= 0 && drain_start > SETTLE_SLACK_NS)
			e = settle_triggers(s, drain_start - SETTLE_SLACK_NS);
		if (e < 0)
			break;
		e = sideband_drain(s->sb, &cb);
		if (e < 0)
			break;
		int sb_busy = e > 0;
		unwind_flush(s->uw);
		e = 0;
		reap(s);
		uint64_t now = mono_ns();
		if (sb_busy)
			sb_last = now;
		if (fast != (now - sb_last < TICK_QUIET_NS)) {
			fast = !fast;
			set_tick(tfd, fast ? TICK_FAST_NS : TICK_SLOW_NS);
		}
		if (now - last_loss >= 1000000000ull) {
			e = session_flush_losses(s);
			/* Hand what a second gathered to the file: a recorder killed
			 * now loses at most that second. */
			if (!e && s->w)
				e = trec_writer_seal(s->w);
			if (e)
				break;
			last_loss = now;
		}
		if (s->fl) {
			/* A pending snapshot keeps what its window needs; so does
			 * one that a record not settled yet may still fire. */
			flight_expire(s->fl, s->trig_ns ? s->trig_ns : s->settled_ns);
			if (s->trig_ns && now >= s->trig_deadline && (e = write_snapshot(s, err)))
				break;
		}
		if (now - last_prog >= 500000000ull) {
			if (s->o.on_progress) {
				struct rec_stats st;
				rec_session_stats(s, &st);
				s->o.on_progress(s->o.cb_ctx, &st);
			}
			last_prog = now;
		}
		check_limits(s);
		if (!s->stop && rotation_due(&s->rot, s->w, mono_ns())) {
			e = session_switch_output(s, err);
			if (e)
				break;
		}
	}
	if (e < 0 && !err->code) {
		const char *we = s->w ? trec_writer_error(s->w) : NULL;
		trec_errf(err, e, "%s", we ? we : strerror(-e));
	}
	close(ep);
	close(sfd);
	close(tfd);
	return e < 0 ? e : 0;
}

int rec_session_run(struct rec_session *s, struct trec_err *err)
{
	if (!s->started || s->stopped)
		return trec_errf(err, -EINVAL, "the recording is not running");
	int e = loop(s, err);
	if (e)
		s->run_failed = 1;
	return e;
}

/* ---- stop -------------------------------------------------------------------- */

int rec_session_stop(struct rec_session *s, struct trec_err *err)
{
	if (!s->started || s->stopped)
		return 0;
	s->stopped = 1;
	/* Stop the probes first, then take everything they left behind. */
	tp_capture_detach(s->cap);
	profile_detach(s->prof);
	offcpu_detach(s->off);
	probe_attach_detach(s->pa);
	sideband_disable(s->sb);
	int e = 0;
	int e2 = consumer_drain(s->con);
	struct sideband_cb cb = { .ctx = s, .task = session_on_task, .map = session_on_map, .pid_wanted = session_pid_wanted };
	if (e2 >= 0)
		e2 = settle_triggers(s, UINT64_MAX);
	if (e2 >= 0)
		e2 = sideband_drain(s->sb, &cb);
	unwind_flush(s->uw);
	if (e2 >= 0)
		e2 = session_flush_losses(s);
	if (e2 >= 0 && s->trig_ns && !s->run_failed) {
		/* A snapshot still waiting for its --post: what there is. */
		e = write_snapshot(s, err);
		e2 = 0;
	}
	if (e2 < 0) {
		e = e2;
		const char *we = s->w ? trec_writer_error(s->w) : NULL;
		trec_errf(err, e, "%s", we ? we : strerror(-e));
	}
	if (!e && !s->run_failed)
		e = session_write_symbols(s, err);
	s->secs_ns = mono_ns() - s->start_ns;
	struct trec_err cerr = { 0 };
	int ce = rotation_join(&s->rot, &cerr);
	if (!e && ce) {
		e = ce;
		*err = cerr;
	}
	ce = session_close_output(s, &cerr);
	if (!e && ce) {
		e = ce;
		*err = cerr;
	}
	/* We stopped first (Ctrl-C, --duration): end the command too. */
	child_terminate(&s->child);
	return e;
}

/* ---- statistics and the end -------------------------------------------------- */

void rec_session_stats(struct rec_session *s, struct rec_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->secs = (double)(s->stopped ? s->secs_ns : mono_ns() - s->start_ns) / 1e9;
	st->path = s->path;
	st->files = s->rot.files;
	st->bytes = rotation_bytes(&s->rot, s->w);
	if (s->w) {
		struct trec_writer_stats ws;
		trec_writer_stats(s->w, &ws);
		st->file_events = ws.events_written;
		st->file_bytes = ws.file_bytes;
	}
	if (s->con) {
		struct consumer_stats cs;
		consumer_stats(s->con, &cs);
		st->events = cs.events;
		st->raw_bytes = cs.bytes;
		st->lost_ring = cs.lost_ring;
		st->lost_writer = cs.lost_writer;
		st->lost_stacks = cs.lost_stacks;
		for (size_t i = 0; i < s->ntypes; i++) {
			s->tstats[i].events = consumer_type_events(s->con, s->tstats[i].id);
			s->tstats[i].lost = consumer_type_lost(s->con, s->tstats[i].id);
		}
	}
	st->types = s->tstats;
	st->ntypes = s->ntypes;
	st->symbols = s->dsos != NULL;
	st->sym = s->symstats;
	st->unwinding = s->uw != NULL;
	if (s->uw)
		unwind_stats(s->uw, &st->unwind);
	st->sideband_lost = s->sb ? sideband_lost(s->sb) : 0;
	st->targets_full = s->cap ? tp_capture_targets_full(s->cap) : 0;
	st->stop_reason = s->stop_reason;
	st->overwrite = s->fl != NULL;
	st->snapshots = s->snapshots;
	st->triggers_ignored = s->triggers_ignored;
	if (s->fl) {
		struct flight_stats fs;
		flight_stats(s->fl, &fs);
		st->flight_bytes = fs.bytes;
		st->flight_dropped = fs.dropped;
	}
	st->has_command = s->has_child && s->child.pid;
	st->command_status = s->child.status;
}

const char *rec_session_path(const struct rec_session *s)
{
	return s->path;
}

bool rec_session_command_failed(const struct rec_session *s)
{
	return s->command_failed;
}

void rec_session_free(struct rec_session *s)
{
	if (!s)
		return;
	if (s->started && !s->stopped) {
		/* Freed without stop: no complete file is promised. */
		child_terminate(&s->child);
		if (s->w)
			trec_writer_abandon(s->w);
		s->w = NULL;
	}
	rotation_join(&s->rot, NULL); /* a rotated file still closing (after an error) */
	child_close(&s->child);
	consumer_free(s->con);
	profile_close(s->prof);
	offcpu_close(s->off);
	probe_attach_close(s->pa);
	sideband_close(s->sb);
	tp_capture_close(s->cap);
	buildid_cache_free(s->bic);
	dso_tracker_free(s->dsos);
	unwind_free(s->uw);
	taskctx_free(s->tctx);
	flight_free(s->fl);
	flight_trigger_free(&s->trig);
	control_close(s->ctl);
	free(s->specs);
	free(s->tstats);
	free(s);
}
