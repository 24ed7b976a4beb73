/* SPDX-License-Identifier: MIT */
/*
 * What goes into each file of a recording (session_int.h): the process
 * history as the side-band delivers it, the preamble (metadata, formats,
 * the /proc snapshot), the loss records, the unwinder's statistics and
 * stack losses, the symbols, the close with its index, and the switch to
 * the next file for --switch-output.
 */
#include "session_int.h"

/* ---- what goes into each file ---------------------------------------------- */

int session_on_task(void *ctx, const struct trec_task *t)
{
	struct rec_session *s = ctx;
	if (s->filtering && !tp_capture_is_target(s->cap, t->pid))
		return 0;
	unwind_on_task(s->uw, t);
	if (!s->w) /* --overwrite: into memory until a snapshot (its /proc snapshot is taken anew) */
		return s->snapshotting ? 0 : flight_add_task(s->fl, t);
	int e = trec_writer_add_task(s->w, t);
	if (!e)
		e = taskctx_on_task(s->tctx, s->w, t);
	return e == -EAGAIN ? 0 : e;
}

int session_pid_wanted(void *ctx, uint32_t pid)
{
	struct rec_session *s = ctx;
	return !s->filtering || tp_capture_is_target(s->cap, pid);
}

int session_on_map(void *ctx, const struct trec_map *m)
{
	struct rec_session *s = ctx;
	if (s->filtering && !tp_capture_is_target(s->cap, m->pid))
		return 0;
	if (s->dsos) {
		int de = dso_tracker_map(s->dsos, m);
		if (de)
			return de;
	}
	/* The command, paused before its exec, still has our mappings: its
	 * tables would only delay the ones of the program it is about to be. */
	if (s->uw && !(s->snapshotting && s->has_child && m->pid == (uint32_t)s->child.pid)) {
		/* The file as the tracker just opened it (the process may be
		 * gone by the time the loader thread gets to it). */
		int fd = s->dsos && unwind_wants_file(s->uw, m) ? dso_tracker_fd(s->dsos, m) : -1;
		unwind_on_map(s->uw, m, fd);
	}
	if (!s->w)
		return s->snapshotting ? 0 : flight_add_map(s->fl, m);
	int e = trec_writer_add_map(s->w, m);
	return e == -EAGAIN ? 0 : e;
}

int session_write_meta_str(struct trec_writer *w, const char *key, const char *val, size_t len, int bytes)
{
	struct trec_meta_kv kv = { .key = key, .type = bytes ? TREC_META_BYTES : TREC_META_STR,
				   .v.str = { val, (uint32_t)len } };
	return trec_writer_add_meta(w, &kv, 1);
}

/* Metadata and schemas: host, command line, target, tracepoint formats
 * and filters, then every event type. */
static int session_write_header_records(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	struct tarena a;
	tarena_init(&a);
	struct trec_meta_kv *kv = NULL;
	size_t n = 0;
	int e = hostmeta_collect(&a, o->cmdline_n, o->cmdline, s->start_ns, &kv, &n, err);
	if (!e)
		e = trec_writer_add_meta(s->w, kv, n);
	tarena_free(&a);
	const char *target = o->cmd && o->all ? "system-wide while a command ran"
			     : o->cmd	      ? "command"
			     : o->npids	      ? "pids"
					      : "system-wide";
	if (!e)
		e = session_write_meta_str(s->w, "record.target", target, strlen(target), 0);
	if (!e)
		e = session_write_memory_meta(s);
	for (uint32_t i = 0; !e && o->cgroups && i < o->cgroups->n; i++) {
		/* -G: one key per subtree, record.cgroup.0, .1, ... */
		char key[32];
		snprintf(key, sizeof(key), "record.cgroup.%u", i);
		e = session_write_meta_str(s->w, key, o->cgroups->paths[i], strlen(o->cgroups->paths[i]), 0);
	}
	for (size_t i = 0; !e && i < o->plan->n; i++) {
		const struct plan_event *pe = &o->plan->ev[i];
		char key[600];
		snprintf(key, sizeof(key), "tracefs.format.%s", pe->full);
		/* Format texts can pass the 4 KiB string limit: keep them as bytes. */
		e = session_write_meta_str(s->w, key, pe->fmt.text, pe->fmt.text_len, pe->fmt.text_len >= 4096);
		if (!e && pe->has_filter) {
			snprintf(key, sizeof(key), "record.filter.%s", pe->full);
			e = session_write_meta_str(s->w, key, pe->filter_text, strlen(pe->filter_text), 0);
		}
	}
	for (size_t i = 0; !e && i < o->plan->n; i++)
		e = trec_writer_add_schema(s->w, &o->plan->ev[i].schema);
	if (!e && o->profile)
		e = trec_writer_add_schema(s->w, &s->sample_schema);
	if (!e && o->offcpu)
		e = trec_writer_add_schema(s->w, &s->offcpu_schema);
	for (size_t i = 0; !e && o->probes && i < o->probes->n; i++)
		e = trec_writer_add_schema(s->w, &o->probes->ev[i].schema);
	return e;
}

/* Metadata, schemas and the /proc snapshot: what makes a file (also each
 * file of --switch-output) readable on its own. */
int session_write_preamble(struct rec_session *s, struct trec_err *err)
{
	const struct rec_opts *o = &s->o;
	/* --overwrite starts with no file: only the tracker and unwinder
	 * learn the mappings. */
	int e = s->w ? session_write_header_records(s, err) : 0;
	if (e)
		return err->code ? e : trec_errf(err, e, "writing the header records of %s: %s", s->path, strerror(-e));

	/* The snapshot covers the initial targets (-p, or the paused command);
	 * later descendants come from the side-band. */
	pid_t *pids = NULL;
	size_t npids = 0;
	if (s->filtering) {
		pids = calloc(o->npids + 1, sizeof(*pids));
		if (!pids)
			return trec_errf(err, -ENOMEM, "out of memory");
		if (o->npids)
			memcpy(pids, o->pids, o->npids * sizeof(*pids));
		npids = o->npids;
		if (s->has_child && s->child.pid)
			pids[npids++] = s->child.pid;
	}
	struct procfs_opts po = { .sz = sizeof(po), .ts = mono_ns(), .pids = pids, .npids = npids,
				  .exec_maps_only = 1, .bic = s->bic };
	struct sideband_cb cb = { .ctx = s, .task = session_on_task, .map = session_on_map };
	struct trec_err pe = { 0 };
	s->snapshotting = 1;
	e = procfs_snapshot(&po, &cb, NULL, &pe);
	s->snapshotting = 0;
	unwind_flush(s->uw);
	free(pids);
	/* A target that exits before the snapshot is not an error: its
	 * history comes from the side-band. */
	if (e && e != -ESRCH)
		return trec_errf(err, e, "/proc snapshot: %s", pe.msg);
	return 0;
}

int session_open_output(struct rec_session *s, const char *path, struct trec_err *err)
{
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* A snapshot is written from memory: waiting for the compressor loses
	 * nothing there, where dropping would. */
	struct trec_writer_opts wo = { .sz = sizeof(wo), .level = s->o.level, .nonblocking = !s->fl,
				       .block_bytes = s->mem.block_bytes };
	int e = trec_writer_open(&s->w, path, s->o.force, &wo, err);
	if (e)
		return e;
	rotation_opened(&s->rot, mono_ns());
	taskctx_new_file(s->tctx);
	return 0;
}

/* Loss records for the side-band too: holes in process history are losses. */
int session_flush_losses(struct rec_session *s)
{
	uint64_t now = mono_ns();
	int e = consumer_flush_losses(s->con, now); /* --overwrite: into memory (flight_loss) */
	uint64_t sl = sideband_lost(s->sb);
	if (!e && sl > s->sideband_lost_seen) {
		struct trec_loss l = { .ts = now, .reason = TREC_LOSS_OTHER, .count = sl - s->sideband_lost_seen };
		e = s->fl ? flight_add_loss(s->fl, &l) : trec_writer_add_loss(s->w, &l);
		if (!e)
			s->sideband_lost_seen = sl;
	}
	return e;
}

/* How this file's user stacks were walked: the unwinder's counters since
 * the previous file, as "unwind.*" metadata (trec info shows them). */
static int session_write_unwind_stats(struct rec_session *s)
{
	if (!s->uw)
		return 0;
	struct unwind_stats now, d;
	unwind_stats(s->uw, &now);
	d = now;
	const struct unwind_stats *w = &s->uw_written;
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
		e = trec_writer_add_meta(s->w, kv, n);
	tarena_free(&a);
	if (!e)
		s->uw_written = now;
	return e;
}

/* Which side of this file's stacks was not captured, as "stack_loss.*"
 * metadata: the loss records (reason "stack") count the events, per CPU
 * and type; these split them by side, for trec info. Written by every
 * file that records stacks, zeros too, so that "none" reads as none. */
static int session_write_stack_loss(struct rec_session *s)
{
	const struct rec_opts *o = &s->o;
	if (!o->profile && !o->stacks && !o->offcpu)
		return 0;
	struct consumer_stats cs;
	consumer_stats(s->con, &cs);
	struct trec_meta_kv kv[2] = {
		{ .key = "stack_loss.kernel", .type = TREC_META_U64, .v.u64 = cs.lost_kstacks - s->kstacks_written },
		{ .key = "stack_loss.user", .type = TREC_META_U64, .v.u64 = cs.lost_ustacks - s->ustacks_written },
	};
	int e = trec_writer_add_meta(s->w, kv, 2);
	if (!e) {
		s->kstacks_written = cs.lost_kstacks;
		s->ustacks_written = cs.lost_ustacks;
	}
	return e;
}

/* Symbol tables of what this file's stacks use (kernel and DSOs). */
int session_write_symbols(struct rec_session *s, struct trec_err *err)
{
	if (!s->w)
		return 0; /* --overwrite between snapshots */
	int ue = session_write_unwind_stats(s);
	if (!ue)
		ue = session_write_stack_loss(s);
	if (ue)
		return trec_errf(err, ue, "writing the unwinder's and stack loss counters: %s", strerror(-ue));
	if (!s->dsos)
		return 0;
	struct dso_write_stats st;
	int e = dso_tracker_write(s->dsos, s->w, &st, err);
	s->symstats.dsos += st.dsos;
	s->symstats.dsos_failed += st.dsos_failed;
	s->symstats.syms += st.syms;
	s->symstats.ksyms += st.ksyms;
	s->symstats.perfmaps += st.perfmaps;
	s->symstats.debugfiles += st.debugfiles;
	s->symstats.ksyms_failed |= st.ksyms_failed;
	dso_tracker_reset_used(s->dsos);
	return e;
}

int session_close_output(struct rec_session *s, struct trec_err *err)
{
	if (!s->w)
		return 0; /* a rotation that could not open the next file */
	int e = trec_writer_close(s->w, err);
	s->w = NULL;
	rotation_closed(&s->rot, s->path);
	return e;
}

/* --switch-output: the rest of this file, then the next one. */
int session_switch_output(struct rec_session *s, struct trec_err *err)
{
	/* Drain first: what the rings hold belongs to the file being closed. */
	int e = consumer_drain(s->con);
	if (e >= 0)
		e = session_flush_losses(s);
	struct trec_writer *old = s->w;
	char oldpath[4096];
	snprintf(oldpath, sizeof(oldpath), "%s", s->path);
	char next[4200];
	rotation_next_name(&s->rot, next, sizeof(next));
	if (e < 0)
		return trec_errf(err, e, "writing %s: %s", s->path,
				 trec_writer_error(old) ? trec_writer_error(old) : strerror(-e));
	e = session_write_symbols(s, err);
	if (!e)
		e = rotation_join(&s->rot, err); /* the file before: at most one closing at a time */
	if (e)
		return e;
	/* The next file takes the events from here on; the old one closes on
	 * its own thread meanwhile. */
	s->w = NULL;
	e = session_open_output(s, next, err);
	if (!e)
		e = session_write_preamble(s, err);
	if (!e)
		consumer_set_writer(s->con, s->w);
	struct trec_err ce = { 0 };
	int cr = rotation_close_behind(&s->rot, old, oldpath, &ce);
	if (cr && !e) {
		*err = ce;
		e = cr;
	}
	if (!e && s->o.on_file_done)
		s->o.on_file_done(s->o.cb_ctx, oldpath);
	return e;
}
