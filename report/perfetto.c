/* SPDX-License-Identifier: MIT */
/*
 * The Perfetto encoder (perfetto.h). Field numbers below are Perfetto's
 * (protos/perfetto/trace/...); docs/perfetto/trec_perfetto.proto repeats
 * every one we write. One packet is built at a time in a tbuf and handed
 * to the outbuf as field 1 of Trace.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm_table.h"
#include "event_fmt.h"
#include "ktab.h"
#include "outbuf.h"
#include "pbwrite.h"
#include "perfetto.h"
#include "pf_stacks.h"
#include "reader.h"
#include "symbolize.h"
#include "syscall_names.h"

/* Trace */
#define F_TRACE_PACKET 1
/* TracePacket */
#define F_PKT_FTRACE_EVENTS 1
#define F_PKT_CLOCK_SNAPSHOT 6
#define F_PKT_TIMESTAMP 8
#define F_PKT_SEQ_ID 10 /* trusted_packet_sequence_id */
#define F_PKT_TRACK_EVENT 11
#define F_PKT_INTERNED_DATA 12
#define F_PKT_SEQ_FLAGS 13
#define F_PKT_SYSTEM_INFO 45
#define F_PKT_TRACK_DESCRIPTOR 60
#define F_PKT_PERF_SAMPLE 66
#define SEQ_INCREMENTAL_STATE_CLEARED 1
#define SEQ_NEEDS_INCREMENTAL_STATE 2
/* ClockSnapshot, ClockSnapshot.Clock; BuiltinClocks */
#define F_CS_CLOCKS 1
#define F_CLK_ID 1
#define F_CLK_TS 2
#define CLOCK_REALTIME_ID 1
#define CLOCK_MONOTONIC_ID 3
#define CLOCK_BOOTTIME_ID 6
/* SystemInfo, Utsname */
#define F_SI_UTSNAME 1
#define F_UTS_SYSNAME 1
#define F_UTS_VERSION 2
#define F_UTS_RELEASE 3
#define F_UTS_MACHINE 4
/* TrackDescriptor, ProcessDescriptor, ThreadDescriptor */
#define F_TD_UUID 1
#define F_TD_NAME 2
#define F_TD_PROCESS 3
#define F_TD_THREAD 4
#define F_TD_PARENT 5
#define F_PD_PID 1
#define F_PD_NAME 6
#define F_THD_PID 1
#define F_THD_TID 2
#define F_THD_NAME 5
/* TrackEvent */
#define F_TE_DEBUG 4
#define F_TE_TYPE 9
#define F_TE_TRACK 11
#define F_TE_CATEGORIES 22
#define F_TE_NAME 23
#define TE_SLICE_BEGIN 1
#define TE_SLICE_END 2
#define TE_INSTANT 3
/* DebugAnnotation */
#define F_DA_UINT 3
#define F_DA_INT 4
#define F_DA_STRING 6
#define F_DA_POINTER 7
#define F_DA_NAME 10
/* FtraceEventBundle, FtraceEvent, SchedSwitchFtraceEvent */
#define F_FB_CPU 1
#define F_FB_EVENT 2
#define F_FE_TS 1
#define F_FE_PID 2
#define F_FE_SCHED_SWITCH 4
/* PerfSample; Profiling.CpuMode */
#define F_PS_CPU 1
#define F_PS_PID 2
#define F_PS_TID 3
#define F_PS_CALLSTACK 4
#define F_PS_CPU_MODE 5
#define MODE_KERNEL 1
#define MODE_USER 2
#define SEQ_ID 1
#define MAX_CHANS 200

enum role { R_INSTANT, R_SAMPLE, R_SWITCH, R_START, R_END };

/* What the converter does with each type of the file being read. */
struct tinfo {
	uint8_t role;
	uint32_t chan;               /* pairs: which opens an end may close */
	const char *name;            /* slice name (NULL: from the event) */
	const struct trec_field *id; /* raw_syscalls: the number */
};

/* A system call entered and not yet left, per thread. */
struct pending {
	struct trec_event ev; /* ev.data points to buf */
	uint8_t *buf;
	uint32_t cap;
	int64_t nr;           /* raw_syscalls: the number; else -1 */
	const char *name;     /* syscalls:sys_enter_NAME: NAME */
	uint32_t host;
	int used;
};

struct sw_fields {
	const struct trec_field *prev_comm, *prev_pid, *prev_prio, *prev_state, *next_comm, *next_pid,
		*next_prio;
};

struct perfetto {
	struct perfetto_opts o;
	struct outbuf ob, *out;
	struct tbuf pkt, intern, tmp;
	struct pbw w;
	int started;                 /* the first packet (clears the sequence) was written */
	struct ktab tracks;          /* (host, kind, id) -> v[0] uuid */
	struct ktab chans;           /* pair channel names */
	struct ktab open;            /* (host, tid, chan) -> v[0] open slices */
	struct ktab pend_idx;        /* (host, tid) -> index in pend */
	struct pending *pend;
	uint32_t npend, pcap;
	struct pf_stacks stacks;     /* interned callstacks */
	struct perfetto_stats st;
	/* the file being read */
	uint32_t host;
	struct rfile *f;
	struct tinfo *ti;
	uint32_t nti;
	struct sw_fields sw;
	struct symbolizer *sym;
	const char *machine;
	struct trec_loss *loss;
	size_t nloss, iloss;
	struct comm_cache cc;
};

/* ---- packets ---------------------------------------------------------------- */

static void pkt_begin(struct perfetto *p, uint64_t ts)
{
	tbuf_reset(&p->pkt);
	pbw_init(&p->w, &p->pkt);
	pbw_begin(&p->w, F_TRACE_PACKET);
	pbw_uint(&p->w, F_PKT_TIMESTAMP, ts);
	pbw_uint(&p->w, F_PKT_SEQ_ID, SEQ_ID);
	if (!p->started) {
		pbw_uint(&p->w, F_PKT_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
		p->started = 1;
	}
}

static int pkt_end(struct perfetto *p, struct trec_err *err)
{
	pbw_end(&p->w);
	int rc = pbw_error(&p->w);
	if (rc < 0)
		return trec_errf(err, rc, "perfetto: encoding a packet failed");
	outbuf_put(p->out, p->pkt.data, p->pkt.len);
	if (p->out->err)
		return trec_errf(err, -p->out->err, "perfetto: writing the output: %s", strerror(p->out->err));
	p->st.packets++;
	return 0;
}

/* ---- tracks ----------------------------------------------------------------- */

/* TK_CHAN + c: the slices of channel c > 0 of a thread. */
enum tkind { TK_PROCESS = 1, TK_THREAD = 2, TK_CPU = 3, TK_CHAN = 4 };

/* Track uuids: unique per input (host index), kind and id; 0 is Perfetto's
 * global track, never produced here. */
static uint64_t track_uuid(uint32_t host, enum tkind k, uint32_t id)
{
	return ((uint64_t)(host + 1) << 40) | ((uint64_t)k << 32) | id;
}

/* 1 when the track is new (its descriptor must be written), 0 when known;
 * *e (when asked) is its entry: v[0] free for the caller. */
static int track_get(struct perfetto *p, enum tkind k, uint32_t id, struct kent **e, int *rc)
{
	uint32_t key[3] = { p->host, k, id }, eid;
	*rc = ktab_get(&p->tracks, key, sizeof(key), &eid);
	if (e)
		*e = *rc >= 0 ? &p->tracks.e[eid] : NULL;
	return *rc == 1;
}

static int track_new(struct perfetto *p, enum tkind k, uint32_t id, int *rc)
{
	return track_get(p, k, id, NULL, rc);
}

/* Names as Perfetto shows them: printable ASCII (comms may hold any byte;
 * string fields must be valid UTF-8 for protobuf readers). */
static const char *clean(struct perfetto *p, const char *s, size_t n)
{
	tbuf_reset(&p->tmp);
	for (size_t i = 0; s && i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		tbuf_put_u8(&p->tmp, c < 0x20 || c >= 0x7f ? '?' : c);
	}
	tbuf_put_u8(&p->tmp, 0);
	return p->tmp.oom ? "" : (const char *)p->tmp.data;
}

static int cpu_track(struct perfetto *p, uint32_t cpu, uint64_t ts, uint64_t *uuid, struct trec_err *err)
{
	int rc;
	*uuid = track_uuid(p->host, TK_CPU, cpu);
	if (!track_new(p, TK_CPU, cpu, &rc))
		return rc < 0 ? trec_errf(err, rc, "out of memory") : 0;
	char name[320];
	if (p->host)
		snprintf(name, sizeof(name), "%s CPU %u events", p->f->host, cpu);
	else
		snprintf(name, sizeof(name), "CPU %u events", cpu);
	pkt_begin(p, ts);
	pbw_begin(&p->w, F_PKT_TRACK_DESCRIPTOR);
	pbw_uint(&p->w, F_TD_UUID, *uuid);
	pbw_string(&p->w, F_TD_NAME, clean(p, name, sizeof(name)));
	pbw_end(&p->w);
	p->st.cpus++;
	return pkt_end(p, err);
}

static int process_desc(struct perfetto *p, uint32_t pid, const char *comm, uint64_t ts, struct trec_err *err)
{
	pkt_begin(p, ts);
	pbw_begin(&p->w, F_PKT_TRACK_DESCRIPTOR);
	pbw_uint(&p->w, F_TD_UUID, track_uuid(p->host, TK_PROCESS, pid));
	pbw_begin(&p->w, F_TD_PROCESS);
	pbw_int(&p->w, F_PD_PID, pid);
	if (comm)
		pbw_string(&p->w, F_PD_NAME, clean(p, comm, 64));
	pbw_end(&p->w);
	pbw_end(&p->w);
	return pkt_end(p, err);
}

/*
 * The thread's track (and its process's, first). Names change (exec,
 * prctl): when a thread's comm differs from the one its descriptor gave,
 * the descriptor is written again (the process's too for its main
 * thread), and Perfetto shows the latest.
 */
static int thread_track(struct perfetto *p, uint32_t pid, uint32_t tid, uint64_t ts, uint64_t *uuid,
			struct trec_err *err)
{
	int rc;
	uint64_t puuid = track_uuid(p->host, TK_PROCESS, pid);
	*uuid = track_uuid(p->host, TK_THREAD, tid);
	if (track_new(p, TK_PROCESS, pid, &rc)) {
		p->st.processes++;
		if ((rc = process_desc(p, pid, comm_table_lookup(&p->f->ct, pid, pid, ts), ts, err)) < 0)
			return rc;
	} else if (rc < 0) {
		return trec_errf(err, rc, "out of memory");
	}
	struct kent *e;
	int fresh = track_get(p, TK_THREAD, tid, &e, &rc);
	if (rc < 0)
		return trec_errf(err, rc, "out of memory");
	const char *comm = comm_table_lookup_cached(&p->f->ct, &p->cc, pid, tid, ts);
	if (!fresh && (!comm || (uintptr_t)comm == e->v[0]))
		return 0;
	int renamed = !fresh && e->v[0];
	e->v[0] = (uintptr_t)comm;
	if (renamed && tid == pid && (rc = process_desc(p, pid, comm, ts, err)) < 0)
		return rc;
	pkt_begin(p, ts);
	pbw_begin(&p->w, F_PKT_TRACK_DESCRIPTOR);
	pbw_uint(&p->w, F_TD_UUID, *uuid);
	pbw_uint(&p->w, F_TD_PARENT, puuid);
	pbw_begin(&p->w, F_TD_THREAD);
	pbw_int(&p->w, F_THD_PID, pid);
	pbw_int(&p->w, F_THD_TID, tid);
	if (comm)
		pbw_string(&p->w, F_THD_NAME, clean(p, comm, 64));
	pbw_end(&p->w);
	pbw_end(&p->w);
	p->st.threads += fresh;
	return pkt_end(p, err);
}

/* The track of an event: its thread's, or its CPU's for tid 0 (the idle
 * task has one per CPU, so it is no thread of its own). */
static int event_track(struct perfetto *p, const struct trec_event *ev, uint64_t *uuid, struct trec_err *err)
{
	if (!ev->tid)
		return cpu_track(p, ev->cpu, ev->ts, uuid, err);
	return thread_track(p, ev->pid, ev->tid, ev->ts, uuid, err);
}

/* ---- fields as debug annotations --------------------------------------------- */

static void arg_str(struct perfetto *p, const char *name, const char *v, size_t n)
{
	pbw_begin(&p->w, F_TE_DEBUG);
	pbw_string(&p->w, F_DA_NAME, name);
	pbw_string(&p->w, F_DA_STRING, clean(p, v, n));
	pbw_end(&p->w);
}

/* Arrays and bytes as the text of `trec script` shows them. */
static void arg_text(struct perfetto *p, const struct trec_field *fl, const struct trec_event *ev, int swap)
{
	char buf[512];
	size_t n = 0;
	buf[0] = 0;
	if (fl->kind == TREC_F_BYTES) {
		for (uint32_t i = 0; i < fl->count && n + 3 < sizeof(buf); i++) {
			uint32_t off = fl->offset + i;
			if (off >= ev->size)
				break;
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%02x", ((const uint8_t *)ev->data)[off]);
		}
	} else {
		n += (size_t)snprintf(buf, sizeof(buf), "[");
		for (uint32_t i = 0; i < fl->count && n + 24 < sizeof(buf); i++) {
			uint64_t u;
			int64_t s;
			const char *sep = i ? ", " : "";
			if (fl->kind == TREC_F_INT && trec_field_get_i64(fl, ev->data, ev->size, i, swap, &s) == 0)
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld", sep, (long long)s);
			else if (fl->kind == TREC_F_HEX && trec_field_get_u64(fl, ev->data, ev->size, i, swap, &u) == 0)
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s0x%llx", sep, (unsigned long long)u);
			else if (trec_field_get_u64(fl, ev->data, ev->size, i, swap, &u) == 0)
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%llu", sep, (unsigned long long)u);
			else
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s?", sep);
		}
		if (n + 2 < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "]");
	}
	arg_str(p, fl->name, buf, n);
}

/* Every field but tracefs's common_* header, as `trec script` shows. */
static void put_args(struct perfetto *p, const struct trec_event *ev)
{
	const struct trec_schema *s = rfile_schema(p->f, ev->type);
	int swap = p->f->swap;
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nfields; i++) {
		const struct trec_field *fl = &s->fields[i];
		if (evfmt_is_common(fl))
			continue;
		int isstr = fl->kind == TREC_F_CHARS || fl->kind == TREC_F_DATA_LOC || fl->kind == TREC_F_REL_LOC;
		if (isstr) {
			const char *str;
			uint32_t len;
			if (trec_field_get_str(fl, ev->data, ev->size, swap, &str, &len) == 0)
				arg_str(p, fl->name, str, len);
			continue;
		}
		if (fl->count != 1 || fl->kind == TREC_F_BYTES) {
			arg_text(p, fl, ev, swap);
			continue;
		}
		uint64_t u;
		int64_t v;
		if (fl->kind == TREC_F_INT) {
			if (trec_field_get_i64(fl, ev->data, ev->size, 0, swap, &v) < 0)
				continue;
			pbw_begin(&p->w, F_TE_DEBUG);
			pbw_string(&p->w, F_DA_NAME, fl->name);
			pbw_int(&p->w, F_DA_INT, v);
			pbw_end(&p->w);
		} else {
			if (trec_field_get_u64(fl, ev->data, ev->size, 0, swap, &u) < 0)
				continue;
			pbw_begin(&p->w, F_TE_DEBUG);
			pbw_string(&p->w, F_DA_NAME, fl->name);
			pbw_uint(&p->w, fl->kind == TREC_F_HEX ? F_DA_POINTER : F_DA_UINT, u);
			pbw_end(&p->w);
		}
	}
}

/* ---- track events: instants and slices ---------------------------------------- */

static const char *event_name(struct perfetto *p, const struct trec_event *ev, char *buf, size_t len)
{
	const struct trec_schema *s = rfile_schema(p->f, ev->type);
	if (s)
		return s->name;
	snprintf(buf, len, "type:%u", ev->type);
	return buf;
}

/*
 * Slices of one thread nest on its track (Perfetto's END closes the latest
 * open slice of the track), but slices of different channels may cross:
 * the uretprobe of a function fires inside the uretprobe system call that
 * returns from it. So system calls go on the thread's track and every
 * other channel (uprobes, each --pair) on a track of its own, a child of
 * the thread's track, named by the channel.
 */
static int chan_track(struct perfetto *p, const struct trec_event *ev, uint32_t chan, uint64_t *uuid,
		      struct trec_err *err)
{
	uint64_t tuuid;
	int rc = event_track(p, ev, &tuuid, err);
	if (rc < 0 || !chan) {
		*uuid = tuuid;
		return rc;
	}
	uint32_t id = ev->tid ? ev->tid : ev->cpu | 0x80000000u;
	*uuid = track_uuid(p->host, TK_CHAN + chan, id);
	if (!track_new(p, TK_CHAN + chan, id, &rc))
		return rc < 0 ? trec_errf(err, rc, "out of memory") : 0;
	const struct kent *e = &p->chans.e[chan];
	pkt_begin(p, ev->ts);
	pbw_begin(&p->w, F_PKT_TRACK_DESCRIPTOR);
	pbw_uint(&p->w, F_TD_UUID, *uuid);
	pbw_uint(&p->w, F_TD_PARENT, tuuid);
	pbw_string(&p->w, F_TD_NAME, clean(p, e->key, e->len));
	pbw_end(&p->w);
	return pkt_end(p, err);
}

static int emit_track_event(struct perfetto *p, const struct trec_event *ev, int type, const char *name,
			    uint32_t chan, struct trec_err *err)
{
	uint64_t uuid;
	int rc = chan_track(p, ev, chan, &uuid, err);
	if (rc < 0)
		return rc;
	pkt_begin(p, ev->ts);
	pbw_begin(&p->w, F_PKT_TRACK_EVENT);
	pbw_uint(&p->w, F_TE_TYPE, (uint64_t)type);
	pbw_uint(&p->w, F_TE_TRACK, uuid);
	if (name)
		pbw_string(&p->w, F_TE_NAME, name);
	put_args(p, ev);
	pbw_end(&p->w);
	return pkt_end(p, err);
}

/* Open slices of (thread, channel): ends close only what began in the
 * trace, so a pair cut by the trace's start leaves nothing dangling. */
static int open_count(struct perfetto *p, uint32_t tid, uint32_t chan, uint64_t **cnt, struct trec_err *err)
{
	uint32_t key[3] = { p->host, tid, chan }, eid;
	int rc = ktab_get(&p->open, key, sizeof(key), &eid);
	if (rc < 0)
		return trec_errf(err, rc, "out of memory");
	*cnt = &p->open.e[eid].v[0];
	return 0;
}

/* The name of a system call slice. */
static const char *sys_name(struct perfetto *p, const struct pending *q, char *buf, size_t len)
{
	if (q->name)
		return q->name;
	const char *name = syscall_name(p->machine, q->nr);
	if (name)
		return name;
	snprintf(buf, len, "syscall_%lld", (long long)q->nr);
	return buf;
}

static int pending_of(struct perfetto *p, uint32_t tid, struct pending **q, struct trec_err *err)
{
	uint32_t key[2] = { p->host, tid }, eid;
	int rc = ktab_get(&p->pend_idx, key, sizeof(key), &eid);
	if (rc < 0)
		return trec_errf(err, rc, "out of memory");
	if (rc == 1) {
		if (p->npend == p->pcap) {
			uint32_t cap = p->pcap ? p->pcap * 2 : 64;
			struct pending *n = realloc(p->pend, cap * sizeof(*n));
			if (!n)
				return trec_errf(err, -ENOMEM, "out of memory");
			p->pend = n;
			p->pcap = cap;
		}
		memset(&p->pend[p->npend], 0, sizeof(*p->pend));
		p->pend_idx.e[eid].v[0] = p->npend++;
	}
	*q = &p->pend[p->pend_idx.e[eid].v[0]];
	return 0;
}

/*
 * System calls do not nest: an enter is held until the exit of the same
 * call on its thread, and the slice is written then (BEGIN at the enter's
 * time with its fields, END with the exit's): Perfetto sorts packets by
 * time. As `trec report --latency syscalls` pairs them: an exit of another
 * call (the enter lost its exit, or a call that returns elsewhere, like
 * the uretprobe trampoline's) drops both; an enter that follows an enter
 * drops the first. Calls still open when the trace ends (exit_group, a
 * sleep) are slices without an end, which Perfetto shows as not ended.
 */
static int sys_start(struct perfetto *p, const struct tinfo *t, const struct trec_event *ev, struct trec_err *err)
{
	struct pending *q;
	int rc = pending_of(p, ev->tid, &q, err);
	if (rc < 0)
		return rc;
	if (q->used)
		p->st.unmatched_starts++;
	if (ev->size > q->cap) {
		uint8_t *b = realloc(q->buf, ev->size);
		if (!b)
			return trec_errf(err, -ENOMEM, "out of memory");
		q->buf = b;
		q->cap = ev->size;
	}
	if (ev->size)
		memcpy(q->buf, ev->data, ev->size);
	q->ev = *ev;
	q->ev.data = q->buf;
	q->nr = -1;
	q->name = t->name;
	q->host = p->host;
	if (t->id)
		trec_field_get_i64(t->id, ev->data, ev->size, 0, p->f->swap, &q->nr);
	q->used = 1;
	return 0;
}

static int sys_end(struct perfetto *p, const struct tinfo *t, const struct trec_event *ev, struct trec_err *err)
{
	struct pending *q;
	int rc = pending_of(p, ev->tid, &q, err);
	if (rc < 0)
		return rc;
	if (!q->used) {
		p->st.unmatched_ends++;
		return 0;
	}
	q->used = 0;
	int64_t nr = -1;
	if (t->id)
		trec_field_get_i64(t->id, ev->data, ev->size, 0, p->f->swap, &nr);
	if (t->id ? nr != q->nr : !q->name || !t->name || strcmp(q->name, t->name)) {
		p->st.unmatched_starts++;
		p->st.unmatched_ends++;
		return 0;
	}
	char buf[64];
	if ((rc = emit_track_event(p, &q->ev, TE_SLICE_BEGIN, sys_name(p, q, buf, sizeof(buf)), 0, err)) < 0)
		return rc;
	p->st.slices++;
	p->st.slice_ends++;
	return emit_track_event(p, ev, TE_SLICE_END, NULL, 0, err);
}

/* The calls of this file still open: slices without an end. */
static int sys_flush(struct perfetto *p, struct trec_err *err)
{
	char buf[64];
	for (uint32_t i = 0; i < p->npend; i++) {
		struct pending *q = &p->pend[i];
		if (!q->used || q->host != p->host)
			continue;
		q->used = 0;
		int rc = emit_track_event(p, &q->ev, TE_SLICE_BEGIN, sys_name(p, q, buf, sizeof(buf)), 0, err);
		if (rc < 0)
			return rc;
		p->st.slices++;
	}
	return 0;
}

static int on_start(struct perfetto *p, const struct tinfo *t, const struct trec_event *ev, struct trec_err *err)
{
	if (t->chan == 0)
		return sys_start(p, t, ev, err);
	uint64_t *cnt = NULL;
	int rc = open_count(p, ev->tid, t->chan, &cnt, err);
	if (rc < 0)
		return rc;
	(*cnt)++;
	p->st.slices++;
	return emit_track_event(p, ev, TE_SLICE_BEGIN, t->name, t->chan, err);
}

static int on_end(struct perfetto *p, const struct tinfo *t, const struct trec_event *ev, struct trec_err *err)
{
	if (t->chan == 0)
		return sys_end(p, t, ev, err);
	uint64_t *cnt = NULL;
	int rc = open_count(p, ev->tid, t->chan, &cnt, err);
	if (rc < 0)
		return rc;
	if (!*cnt) {
		p->st.unmatched_ends++;
		return 0;
	}
	(*cnt)--;
	p->st.slice_ends++;
	return emit_track_event(p, ev, TE_SLICE_END, NULL, t->chan, err);
}

/* ---- sched_switch as ftrace ---------------------------------------------------- */

static void put_i(struct perfetto *p, uint32_t field, const struct trec_field *fl, const struct trec_event *ev)
{
	int64_t v;
	if (fl && trec_field_get_i64(fl, ev->data, ev->size, 0, p->f->swap, &v) == 0)
		pbw_int(&p->w, field, v);
}

static void put_s(struct perfetto *p, uint32_t field, const struct trec_field *fl, const struct trec_event *ev)
{
	const char *s;
	uint32_t len;
	if (fl && trec_field_get_str(fl, ev->data, ev->size, p->f->swap, &s, &len) == 0)
		pbw_string(&p->w, field, clean(p, s, len));
}

static int on_switch(struct perfetto *p, const struct trec_event *ev, struct trec_err *err)
{
	uint64_t uuid;
	int rc;
	/* The thread's descriptor ties its tid to its process in Perfetto. */
	if (ev->tid && (rc = thread_track(p, ev->pid, ev->tid, ev->ts, &uuid, err)) < 0)
		return rc;
	pkt_begin(p, ev->ts);
	pbw_begin(&p->w, F_PKT_FTRACE_EVENTS);
	pbw_uint(&p->w, F_FB_CPU, ev->cpu);
	pbw_begin(&p->w, F_FB_EVENT);
	pbw_uint(&p->w, F_FE_TS, ev->ts);
	pbw_uint(&p->w, F_FE_PID, ev->tid);
	pbw_begin(&p->w, F_FE_SCHED_SWITCH);
	put_s(p, 1, p->sw.prev_comm, ev);
	put_i(p, 2, p->sw.prev_pid, ev);
	put_i(p, 3, p->sw.prev_prio, ev);
	put_i(p, 4, p->sw.prev_state, ev);
	put_s(p, 5, p->sw.next_comm, ev);
	put_i(p, 6, p->sw.next_pid, ev);
	put_i(p, 7, p->sw.next_prio, ev);
	pbw_end(&p->w);
	pbw_end(&p->w);
	pbw_end(&p->w);
	p->st.switches++;
	return pkt_end(p, err);
}

static int on_sample(struct perfetto *p, const struct trec_event *ev, struct trec_err *err)
{
	uint64_t uuid, cs;
	int kernel, rc;
	if (ev->tid && (rc = thread_track(p, ev->pid, ev->tid, ev->ts, &uuid, err)) < 0)
		return rc;
	tbuf_reset(&p->intern);
	if ((rc = pf_stacks_get(&p->stacks, &p->intern, p->sym, p->f->r, p->host, ev, &cs, &kernel)) < 0)
		return trec_errf(err, rc, "perfetto: interning a callstack: out of memory");
	pkt_begin(p, ev->ts);
	pbw_uint(&p->w, F_PKT_SEQ_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
	if (p->intern.len)
		pbw_bytes(&p->w, F_PKT_INTERNED_DATA, p->intern.data, p->intern.len);
	pbw_begin(&p->w, F_PKT_PERF_SAMPLE);
	pbw_uint(&p->w, F_PS_CPU, ev->cpu);
	pbw_uint(&p->w, F_PS_PID, ev->pid);
	pbw_uint(&p->w, F_PS_TID, ev->tid);
	if (cs)
		pbw_uint(&p->w, F_PS_CALLSTACK, cs);
	pbw_uint(&p->w, F_PS_CPU_MODE, kernel ? MODE_KERNEL : MODE_USER);
	pbw_end(&p->w);
	p->st.samples++;
	return pkt_end(p, err);
}

/* ---- losses ------------------------------------------------------------------------ */

static const char *loss_reason(uint32_t r)
{
	switch (r) {
	case TREC_LOSS_RINGBUF: return "ring buffer full";
	case TREC_LOSS_STACK: return "stack not captured";
	case TREC_LOSS_WRITER: return "writer behind";
	default: return "other";
	}
}

static int emit_loss(struct perfetto *p, const struct trec_loss *l, struct trec_err *err)
{
	uint64_t uuid;
	int rc = cpu_track(p, l->cpu, l->ts, &uuid, err);
	if (rc < 0)
		return rc;
	char name[64];
	snprintf(name, sizeof(name), "lost %llu events", (unsigned long long)l->count);
	const struct trec_schema *s = l->type ? rfile_schema(p->f, l->type) : NULL;
	pkt_begin(p, l->ts);
	pbw_begin(&p->w, F_PKT_TRACK_EVENT);
	pbw_uint(&p->w, F_TE_TYPE, TE_INSTANT);
	pbw_uint(&p->w, F_TE_TRACK, uuid);
	pbw_string(&p->w, F_TE_NAME, name);
	pbw_begin(&p->w, F_TE_DEBUG);
	pbw_string(&p->w, F_DA_NAME, "count");
	pbw_uint(&p->w, F_DA_UINT, l->count);
	pbw_end(&p->w);
	arg_str(p, "reason", loss_reason(l->reason), 64);
	if (s)
		arg_str(p, "event", s->name, 256);
	pbw_end(&p->w);
	p->st.losses++;
	return pkt_end(p, err);
}

/* Losses in the time window up to `ts`, merged into the event stream. */
static int flush_losses(struct perfetto *p, uint64_t ts, struct trec_err *err)
{
	for (; p->iloss < p->nloss && p->loss[p->iloss].ts <= ts; p->iloss++) {
		const struct trec_loss *l = &p->loss[p->iloss];
		if (l->ts < p->f->f.start_ts || l->ts > p->f->f.end_ts)
			continue;
		int rc = emit_loss(p, l, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int loss_cmp(const void *a, const void *b)
{
	const struct trec_loss *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* ---- the file's header packets ------------------------------------------------------ */

static int emit_header(struct perfetto *p, struct trec_err *err)
{
	const struct trec_meta_kv *start = trec_reader_meta_get(p->f->r, "record.start_ns");
	const struct trec_meta_kv *off = trec_reader_meta_get(p->f->r, "clock.realtime_offset_ns");
	uint64_t t0 = start && start->type == TREC_META_U64 ? start->v.u64 : 0;
	int rc;
	if (p->host == 0 && t0) {
		/* The trace's timestamps are CLOCK_MONOTONIC ns, written as the
		 * default clock so every packet (track events, samples, ftrace)
		 * shares one domain; the snapshot ties it to the wall clock. */
		pkt_begin(p, t0);
		pbw_begin(&p->w, F_PKT_CLOCK_SNAPSHOT);
		pbw_begin(&p->w, F_CS_CLOCKS);
		pbw_uint(&p->w, F_CLK_ID, CLOCK_BOOTTIME_ID);
		pbw_uint(&p->w, F_CLK_TS, t0);
		pbw_end(&p->w);
		pbw_begin(&p->w, F_CS_CLOCKS);
		pbw_uint(&p->w, F_CLK_ID, CLOCK_MONOTONIC_ID);
		pbw_uint(&p->w, F_CLK_TS, t0);
		pbw_end(&p->w);
		if (off && off->type == TREC_META_I64) {
			pbw_begin(&p->w, F_CS_CLOCKS);
			pbw_uint(&p->w, F_CLK_ID, CLOCK_REALTIME_ID);
			pbw_uint(&p->w, F_CLK_TS, (uint64_t)((int64_t)t0 + off->v.i64));
			pbw_end(&p->w);
		}
		pbw_end(&p->w);
		if ((rc = pkt_end(p, err)) < 0)
			return rc;
	}
	const char *rel = rfile_meta_str(p->f, "kernel.release");
	if (p->host == 0 && rel) {
		/* Perfetto decodes sched_switch's prev_state by kernel version. */
		const char *ver = rfile_meta_str(p->f, "kernel.version");
		pkt_begin(p, t0);
		pbw_begin(&p->w, F_PKT_SYSTEM_INFO);
		pbw_begin(&p->w, F_SI_UTSNAME);
		pbw_string(&p->w, F_UTS_SYSNAME, "Linux");
		if (ver)
			pbw_string(&p->w, F_UTS_VERSION, clean(p, ver, 256));
		pbw_string(&p->w, F_UTS_RELEASE, clean(p, rel, 256));
		if (p->machine)
			pbw_string(&p->w, F_UTS_MACHINE, clean(p, p->machine, 64));
		pbw_end(&p->w);
		pbw_end(&p->w);
		if ((rc = pkt_end(p, err)) < 0)
			return rc;
	}
	return 0;
}

/* ---- the sink ----------------------------------------------------------------------- */

/* Channels: "syscalls" is id 0 (made first, in perfetto_new). */
static int chan_id(struct perfetto *p, const char *name, uint32_t *id)
{
	if (ktab_get(&p->chans, name, (uint32_t)strlen(name), id) < 0)
		return -ENOMEM;
	if (*id >= MAX_CHANS)
		*id = MAX_CHANS - 1; /* the last track takes the rest: slices may then cross */
	return 0;
}

/* What a type is to the converter; the types of pairs first. */
static int classify(struct perfetto *p, const struct trec_schema *s, struct tinfo *t)
{
	const char *n = s->name;
	t->role = R_INSTANT;
	for (size_t i = 0; i < p->o.npairs; i++) {
		const char *spec = p->o.pairs[i], *comma = strchr(spec, ',');
		char a[256];
		if (!comma || (size_t)(comma - spec) >= sizeof(a))
			continue;
		memcpy(a, spec, (size_t)(comma - spec));
		a[comma - spec] = 0;
		int isa = !fnmatch(a, n, 0), isb = !fnmatch(comma + 1, n, 0);
		if (!isa && !isb)
			continue;
		t->role = isa ? R_START : R_END;
		t->name = p->o.pairs[i];
		return chan_id(p, spec, &t->chan);
	}
	const struct trec_field *value;
	if (convert_type_kind(s, &value) == CONVERT_CPU) {
		t->role = R_SAMPLE;
	} else if (!strcmp(n, "sched:sched_switch")) {
		t->role = R_SWITCH;
	} else if (!strcmp(n, "raw_syscalls:sys_enter") || !strcmp(n, "raw_syscalls:sys_exit")) {
		t->role = !strcmp(n + 13, "sys_enter") ? R_START : R_END;
		if (!(t->id = trec_schema_field(s, "id")))
			t->role = R_INSTANT;
		return t->role == R_INSTANT ? 0 : chan_id(p, "syscalls", &t->chan);
	} else if (!strncmp(n, "syscalls:sys_enter_", 19) || !strncmp(n, "syscalls:sys_exit_", 18)) {
		int enter = n[14] == 'n';
		t->role = enter ? R_START : R_END;
		t->name = n + (enter ? 19 : 18);
		return chan_id(p, "syscalls", &t->chan);
	} else if (!strncmp(n, "uprobe:", 7) || !strncmp(n, "uretprobe:", 10)) {
		int ret = n[1] == 'r';
		const char *rest = n + (ret ? 10 : 7), *colon = strrchr(rest, ':');
		if (!colon || !colon[1])
			return 0;
		t->role = ret ? R_END : R_START;
		t->name = colon + 1;
		return chan_id(p, "uprobes", &t->chan);
	}
	return 0;
}

static int pf_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct perfetto *p = ctx;
	int rc;
	p->f = f;
	p->host = f->index;
	p->machine = rfile_meta_str(f, "machine");
	memset(&p->cc, 0, sizeof(p->cc));
	memset(&p->sw, 0, sizeof(p->sw));
	*ordered = 1;
	free(p->ti);
	p->nti = f->ntypes;
	p->ti = calloc(f->ntypes ? f->ntypes : 1, sizeof(*p->ti));
	if (!p->ti)
		return trec_errf(err, -ENOMEM, "out of memory");
	int samples = 0;
	for (uint32_t i = 0; i < f->ntypes; i++) {
		const struct trec_schema *s = f->by_id[i];
		need[i] = 1;
		if (!s)
			continue;
		if (classify(p, s, &p->ti[i]) < 0)
			return trec_errf(err, -ENOMEM, "out of memory");
		samples |= p->ti[i].role == R_SAMPLE;
		if (p->ti[i].role == R_SWITCH) {
			p->sw.prev_comm = trec_schema_field(s, "prev_comm");
			p->sw.prev_pid = trec_schema_field(s, "prev_pid");
			p->sw.prev_prio = trec_schema_field(s, "prev_prio");
			p->sw.prev_state = trec_schema_field(s, "prev_state");
			p->sw.next_comm = trec_schema_field(s, "next_comm");
			p->sw.next_pid = trec_schema_field(s, "next_pid");
			p->sw.next_prio = trec_schema_field(s, "next_prio");
		}
	}
	if (samples && (rc = convert_symbolizer(f, &p->o.conv, &p->sym, err)) < 0)
		return rc;
	const struct trec_loss *l;
	size_t nl;
	if ((rc = trec_reader_losses(f->r, &l, &nl, err)) < 0)
		return rc;
	p->nloss = p->iloss = 0;
	if (nl) {
		free(p->loss);
		if (!(p->loss = malloc(nl * sizeof(*l))))
			return trec_errf(err, -ENOMEM, "out of memory");
		memcpy(p->loss, l, nl * sizeof(*l));
		qsort(p->loss, nl, sizeof(*l), loss_cmp);
		p->nloss = nl;
	}
	if ((rc = emit_header(p, err)) < 0)
		return rc;
	return 1;
}

static int pf_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	struct perfetto *p = ctx;
	(void)f;
	int rc = flush_losses(p, ev->ts, err);
	if (rc < 0)
		return rc;
	const struct tinfo *t = ev->type < p->nti ? &p->ti[ev->type] : NULL;
	char buf[32];
	switch (t ? t->role : R_INSTANT) {
	case R_SAMPLE:
		return on_sample(p, ev, err);
	case R_SWITCH:
		return on_switch(p, ev, err);
	case R_START:
		return on_start(p, t, ev, err);
	case R_END:
		return on_end(p, t, ev, err);
	default:
		p->st.instants++;
		return emit_track_event(p, ev, TE_INSTANT, event_name(p, ev, buf, sizeof(buf)), 0, err);
	}
}

static int pf_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	struct perfetto *p = ctx;
	(void)f;
	int rc = flush_losses(p, UINT64_MAX, err);
	if (rc == 0)
		rc = sys_flush(p, err);
	symbolizer_free(p->sym);
	p->sym = NULL;
	return rc;
}

struct pass_sink perfetto_sink(struct perfetto *p)
{
	return (struct pass_sink){ .ctx = p, .begin = pf_begin, .event = pf_event, .end = pf_end };
}

int perfetto_new(struct perfetto **out, FILE *f, const struct perfetto_opts *opts, struct trec_err *err)
{
	struct perfetto *p = calloc(1, sizeof(*p));
	*out = p;
	if (!p)
		return trec_errf(err, -ENOMEM, "out of memory");
	p->o = *opts;
	p->out = &p->ob;
	if (outbuf_init(&p->ob, f, 0) < 0)
		return trec_errf(err, -ENOMEM, "out of memory");
	tbuf_init(&p->pkt);
	tbuf_init(&p->intern);
	tbuf_init(&p->tmp);
	ktab_init(&p->tracks);
	ktab_init(&p->chans);
	ktab_init(&p->open);
	ktab_init(&p->pend_idx);
	uint32_t sys;
	if (pf_stacks_init(&p->stacks, opts->conv.no_kernel, opts->conv.no_user) < 0 || chan_id(p, "syscalls", &sys) < 0)
		return trec_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < opts->npairs; i++) {
		const char *s = opts->pairs[i], *c = strchr(s, ',');
		if (!c || c == s || !c[1] || strchr(c + 1, ',') || (size_t)(c - s) >= 256)
			return trec_errf(err, -EINVAL, "--pair %s: expected 'START,END' (two event names, globs allowed)",
					 s);
	}
	return 0;
}

int perfetto_finish(struct perfetto *p, struct trec_err *err)
{
	int rc = outbuf_flush(p->out);
	if (rc < 0 || p->out->err)
		return trec_errf(err, -EIO, "writing the output: %s", strerror(p->out->err ? p->out->err : -rc));
	if (!p->st.samples && !p->st.slices && !p->st.switches && !p->st.instants && !p->st.losses)
		return trec_errf(err, -ENODATA, "no events to convert (none in the trace, or none the filters keep)");
	return 0;
}

void perfetto_stats(const struct perfetto *p, struct perfetto_stats *st)
{
	*st = p->st;
	st->callstacks = p->stacks.ncallstacks;
}

void perfetto_free(struct perfetto *p)
{
	if (!p)
		return;
	tbuf_free(&p->pkt);
	tbuf_free(&p->intern);
	tbuf_free(&p->tmp);
	ktab_free(&p->tracks);
	ktab_free(&p->chans);
	ktab_free(&p->open);
	ktab_free(&p->pend_idx);
	for (uint32_t i = 0; i < p->npend; i++)
		free(p->pend[i].buf);
	free(p->pend);
	pf_stacks_free(&p->stacks);
	outbuf_free(&p->ob);
	symbolizer_free(p->sym);
	free(p->ti);
	free(p->loss);
	free(p);
}
