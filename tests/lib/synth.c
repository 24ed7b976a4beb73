/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

enum { T_SYS_ENTER = 1, T_SCHED_SWITCH = 2, T_OPENAT = 3, T_CPU_CLOCK = 4 };

static uint64_t rnd(struct synth *s)
{
	/* xorshift64*: fast, deterministic, good enough for test data */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct synth *s, uint32_t n)
{
	return (uint32_t)((rnd(s) >> 32) % n);
}

int synth_init(struct synth *s, const struct synth_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	if (!s->o.ncpus)
		s->o.ncpus = 2;
	if (!s->o.seed)
		s->o.seed = 1;
	if (!s->o.nstacks)
		s->o.nstacks = 64;
	s->rng = s->o.seed * 0x9e3779b97f4a7c15ull | 1;
	s->ts = 1000000000ull * 3600; /* an hour after boot */
	s->stacks = calloc(s->o.nstacks, sizeof(*s->stacks));
	if (!s->stacks)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->o.nstacks; i++) {
		uint32_t nk = below(s, 12), nu = 1 + below(s, 40);
		uint64_t *st = calloc(1 + nk + nu, sizeof(*st));
		if (!st)
			return -ENOMEM;
		st[0] = nk | (uint64_t)nu << 16;
		for (uint32_t k = 0; k < nk; k++)
			st[1 + k] = 0xffffffff81000000ull + below(s, 1 << 24);
		for (uint32_t k = 0; k < nu; k++)
			st[1 + nk + k] = 0x555555554000ull + below(s, 1 << 20);
		st[1] ^= (uint64_t)i << 32; /* distinct by construction */
		s->stacks[i] = st;
	}
	return 0;
}

void synth_free(struct synth *s)
{
	if (s->stacks)
		for (uint32_t i = 0; i < s->o.nstacks; i++)
			free(s->stacks[i]);
	free(s->stacks);
	s->stacks = NULL;
}

uint32_t synth_ntypes(const struct synth *s)
{
	return s->o.profile == SYNTH_SYSCALLS ? 1 : 4;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* tracefs common header: type, flags, preempt count, pid */
static void common(uint8_t *p, uint16_t type, uint32_t pid, uint8_t flags)
{
	put16(p, type);
	p[2] = flags;
	p[3] = 0;
	put32(p + 4, pid);
}

static const char *const comms[] = { "bash", "sshd", "postgres", "nginx", "kworker/0:1", "trec" };
static const char *const paths[] = { "/etc/passwd", "/usr/lib/x86_64-linux-gnu/libc.so.6",
				     "/proc/self/stat", "/var/lib/postgresql/15/main/base/16384/2619",
				     "/tmp/x" };

void synth_next(struct synth *s, struct trec_event *ev)
{
	uint64_t r = rnd(s);
	/* Strictly increasing: ~300 ns apart with jitter, like a busy tracepoint. */
	s->ts += 150 + (r & 0xff) + ((r >> 8 & 0x3f) == 0 ? (r >> 16 & 0xffff) : 0);
	if ((r >> 40 & 0x1f) == 0)
		s->cpu = below(s, s->o.ncpus);
	memset(ev, 0, sizeof(*ev));
	ev->ts = s->ts;
	ev->cpu = s->cpu;
	ev->data = s->buf;
	memset(s->buf, 0, 64);
	uint32_t kind = s->o.profile == SYNTH_SYSCALLS ? 0 : below(s, 16);
	uint32_t pid = s->o.profile == SYNTH_SYSCALLS ? 4242 : 1000 + below(s, 6);
	ev->pid = pid;
	ev->tid = pid + (kind == 1 ? 1 : 0);
	if (kind < 10) { /* raw_syscalls:sys_enter */
		ev->type = T_SYS_ENTER;
		ev->size = 64;
		common(s->buf, T_SYS_ENTER, ev->tid, 1);
		int64_t nr = s->o.profile == SYNTH_SYSCALLS ? 39 /* getpid */ : (int64_t)below(s, 8);
		put64(s->buf + 8, (uint64_t)nr);
		put64(s->buf + 16, 3);
		put64(s->buf + 24, 0x7ffd12345000ull + (s->made & 0xf) * 64);
		put64(s->buf + 32, 4096);
	} else if (kind < 13) { /* sched:sched_switch */
		ev->type = T_SCHED_SWITCH;
		ev->size = 64;
		common(s->buf, T_SCHED_SWITCH, ev->tid, 0);
		const char *a = comms[below(s, 6)], *b = comms[below(s, 6)];
		memcpy(s->buf + 8, a, strlen(a));
		put32(s->buf + 24, ev->tid);
		put32(s->buf + 28, 120);
		put64(s->buf + 32, below(s, 3));
		memcpy(s->buf + 40, b, strlen(b));
		put32(s->buf + 56, 1000 + below(s, 6));
		put32(s->buf + 60, 120);
		ev->stack_id = below(s, 2) ? 1 + below(s, s->o.nstacks) : 0;
	} else if (kind < 14) { /* syscalls:sys_enter_openat with captured filename */
		ev->type = T_OPENAT;
		const char *p = paths[below(s, 5)];
		uint32_t len = (uint32_t)strlen(p) + 1;
		common(s->buf, T_OPENAT, ev->tid, 0);
		put32(s->buf + 8, 257);
		put64(s->buf + 16, (uint64_t)-100);
		put64(s->buf + 24, 0x55555556a000ull + below(s, 4096));
		put64(s->buf + 32, 0x80000);
		put64(s->buf + 40, 0);
		put32(s->buf + 48, len << 16 | 52);
		memcpy(s->buf + 52, p, len);
		ev->size = 52 + len;
	} else { /* cpu-clock sample */
		ev->type = T_CPU_CLOCK;
		ev->size = 8;
		put64(s->buf, 10101010);
		ev->stack_id = 1 + below(s, s->o.nstacks);
	}
	s->made++;
}

static const struct trec_field f_sys_enter[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_HEX, 0, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 0, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "id", "long", TREC_F_INT, 0, 8, 8, 1 },
	{ "args", "unsigned long[6]", TREC_F_HEX, 0, 16, 8, 6 },
};
static const struct trec_field f_switch[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_HEX, 0, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 0, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "prev_comm", "char[16]", TREC_F_CHARS, 0, 8, 1, 16 },
	{ "prev_pid", "pid_t", TREC_F_INT, 0, 24, 4, 1 },
	{ "prev_prio", "int", TREC_F_INT, 0, 28, 4, 1 },
	{ "prev_state", "long", TREC_F_INT, 0, 32, 8, 1 },
	{ "next_comm", "char[16]", TREC_F_CHARS, 0, 40, 1, 16 },
	{ "next_pid", "pid_t", TREC_F_INT, 0, 56, 4, 1 },
	{ "next_prio", "int", TREC_F_INT, 0, 60, 4, 1 },
};
static const struct trec_field f_openat[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_HEX, 0, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 0, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 0, 4, 4, 1 },
	{ "__syscall_nr", "int", TREC_F_INT, 0, 8, 4, 1 },
	{ "dfd", "int", TREC_F_INT, 0, 16, 8, 1 },
	{ "filename", "const char *", TREC_F_HEX, 0, 24, 8, 1 },
	{ "flags", "int", TREC_F_HEX, 0, 32, 8, 1 },
	{ "mode", "umode_t", TREC_F_UINT, 0, 40, 8, 1 },
	{ "filename_str", "__data_loc char[]", TREC_F_DATA_LOC, 0, 48, 4, 1 },
};
static const struct trec_field f_clock[] = {
	{ "period", "u64", TREC_F_UINT, 0, 0, 8, 1 },
};

static const struct trec_schema schemas[] = {
	{ T_SYS_ENTER, "raw_syscalls:sys_enter", "tracepoint:raw_syscalls:sys_enter", 0, 64, 6, f_sys_enter },
	{ T_SCHED_SWITCH, "sched:sched_switch", "tracepoint:sched:sched_switch", 0, 64, 11, f_switch },
	{ T_OPENAT, "syscalls:sys_enter_openat", "tracepoint:syscalls:sys_enter_openat", 0, 52, 10, f_openat },
	{ T_CPU_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1, f_clock },
};

int synth_write_side(struct synth *s, struct trec_writer *w)
{
	struct trec_meta_kv kv[] = {
		{ .key = "host.name", .type = TREC_META_STR, .v.str = { "synth-host", 10 } },
		{ .key = "kernel.release", .type = TREC_META_STR, .v.str = { "6.18.0-synthetic", 16 } },
		{ .key = "trec.cmdline", .type = TREC_META_STR, .v.str = { "trec-synth", 10 } },
		{ .key = "cpu.count", .type = TREC_META_U64, .v.u64 = s->o.ncpus },
		{ .key = "clock.realtime_offset_ns", .type = TREC_META_I64, .v.i64 = 1763700000000000000ll },
		{ .key = "synth.seed", .type = TREC_META_U64, .v.u64 = s->o.seed },
	};
	int r = trec_writer_add_meta(w, kv, sizeof(kv) / sizeof(kv[0]));
	for (uint32_t i = 0; !r && i < synth_ntypes(s); i++)
		r = trec_writer_add_schema(w, &schemas[i]);
	if (r || s->o.profile == SYNTH_SYSCALLS) {
		if (!r) {
			struct trec_task t = { .ts = s->ts, .kind = TREC_TASK_SNAPSHOT, .pid = 4242, .tid = 4242,
					       .ppid = 1, .comm = "storm", .filename = "/usr/bin/storm" };
			r = trec_writer_add_task(w, &t);
		}
		return r;
	}
	for (uint32_t i = 0; !r && i < 6; i++) {
		struct trec_task t = { .ts = s->ts, .kind = TREC_TASK_SNAPSHOT, .pid = 1000 + i, .tid = 1000 + i,
				       .ppid = 1, .comm = comms[i], .filename = "/usr/bin/x" };
		r = trec_writer_add_task(w, &t);
		t.tid++;
		t.kind = TREC_TASK_FORK;
		t.ptid = t.pid;
		t.ts++;
		if (!r)
			r = trec_writer_add_task(w, &t);
		struct trec_map m = { .ts = s->ts, .pid = 1000 + i, .prot = 5, .flags = 2, .start = 0x555555554000ull,
				      .len = 1 << 20, .pgoff = 0, .build_id_len = 20, .path = "/usr/bin/x" };
		for (int k = 0; k < 20; k++)
			m.build_id[k] = (uint8_t)(k * 7 + 1);
		if (!r)
			r = trec_writer_add_map(w, &m);
	}
	struct trec_sym syms[64];
	char names[64][32];
	for (uint32_t i = 0; i < 64; i++) {
		snprintf(names[i], sizeof(names[i]), "function_%02u", i);
		syms[i] = (struct trec_sym){ .addr = 0x1000 + i * 0x4000, .size = 0x4000, .name = names[i] };
	}
	struct trec_dso_syms d = { .build_id_len = 20, .path = "/usr/bin/x", .nsyms = 64, .syms = syms };
	for (int k = 0; k < 20; k++)
		d.build_id[k] = (uint8_t)(k * 7 + 1);
	if (!r)
		r = trec_writer_add_dso_syms(w, &d);
	struct trec_ksym ks[32];
	char knames[32][32];
	for (uint32_t i = 0; i < 32; i++) {
		snprintf(knames[i], sizeof(knames[i]), "kfunc_%02u", i);
		ks[i] = (struct trec_ksym){ .addr = 0xffffffff81000000ull + i * 0x80000, .type = 'T',
					    .name = knames[i], .module = i > 28 ? "ext4" : "" };
	}
	if (!r)
		r = trec_writer_add_ksyms(w, ks, 32);
	for (uint32_t i = 0; !r && i < s->o.nstacks; i++) {
		uint64_t *st = s->stacks[i];
		uint32_t id;
		r = trec_writer_add_stack(w, st + 1, (uint16_t)(st[0] & 0xffff), (uint16_t)(st[0] >> 16), &id);
		if (!r && id != i + 1)
			r = -EPROTO;
	}
	return r;
}

int synth_write(struct synth *s, struct trec_writer *w)
{
	int r = synth_write_side(s, w);
	struct trec_event ev;
	for (uint64_t i = 0; !r && i < s->o.events; i++) {
		synth_next(s, &ev);
		r = trec_writer_add_event(w, &ev);
		if (!r && s->o.profile == SYNTH_MIXED && i % 100000 == 99999) {
			struct trec_loss l = { .ts = ev.ts, .cpu = ev.cpu, .type = T_SYS_ENTER,
					       .reason = TREC_LOSS_RINGBUF, .count = 7 };
			r = trec_writer_add_loss(w, &l);
		}
	}
	return r;
}
