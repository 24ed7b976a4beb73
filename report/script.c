/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm_table.h"
#include "event_fmt.h"
#include "fmtpool.h"
#include "json.h"
#include "print_fmt.h"
#include "script.h"
#include "script_stack.h"
#include "source.h"

static void put_event_name(struct outbuf *o, const struct trec_schema *s, uint32_t type)
{
	if (s) {
		outbuf_puts(o, s->name);
	} else {
		outbuf_put(o, "type:", 5);
		outbuf_u64(o, type);
	}
}

static void print_text(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s,
		       const struct evwho *who, int swap)
{
	outbuf_u64_pad(o, ev->ts / 1000000000u, 5);
	outbuf_putc(o, '.');
	outbuf_u64_zpad(o, ev->ts % 1000000000u / 1000u, 6);
	outbuf_put(o, " [", 2);
	outbuf_u64_zpad(o, ev->cpu, 3);
	outbuf_put(o, "] ", 2);
	outbuf_u64_pad(o, ev->pid, 7);
	outbuf_putc(o, '/');
	outbuf_u64(o, ev->tid);
	/* A thread in another pid namespace (a container): its own pids too. */
	if (who->nspid && (who->nspid != ev->pid || (who->nstid && who->nstid != ev->tid))) {
		outbuf_put(o, " (", 2);
		outbuf_u64(o, who->nspid);
		outbuf_putc(o, '/');
		if (who->nstid)
			outbuf_u64(o, who->nstid);
		else
			outbuf_putc(o, '?');
		outbuf_putc(o, ')');
	}
	outbuf_putc(o, ' ');
	evfmt_comm_text(o, who->comm, ev->tid);
	outbuf_putc(o, ' ');
	put_event_name(o, s, ev->type);
	outbuf_putc(o, ':');
	evfmt_text(o, s, ev, swap);
	outbuf_putc(o, '\n');
}

/* An event's stack as the main thread names it (the symbolizer is not
 * shared with the formatter threads): NULL when stacks are not shown. */
struct stack_view {
	struct symbolizer *sym;
	const struct trec_stack *st; /* NULL: the file lacks it */
	int no_kernel, no_user;
};

static void print_json(struct json *j, const struct trec_event *ev, const struct trec_schema *s,
		       const struct evwho *who, int swap, const struct stack_view *sv)
{
	json_obj_begin(j);
	json_kv_u64(j, "time_ns", ev->ts);
	json_kv_u64(j, "cpu", ev->cpu);
	json_kv_u64(j, "pid", ev->pid);
	json_kv_u64(j, "tid", ev->tid);
	/* Only what the trace knows (format 1.2 recordings). */
	if (who->nspid)
		json_kv_u64(j, "nspid", who->nspid);
	if (who->nstid)
		json_kv_u64(j, "nstid", who->nstid);
	if (who->cgroup) {
		json_key(j, "cgroup");
		json_str(j, who->cgroup);
	}
	json_key(j, "comm");
	json_str(j, who->comm); /* null when unknown */
	json_key(j, "event");
	if (s) {
		json_str(j, s->name);
	} else {
		char name[24];
		snprintf(name, sizeof(name), "type:%u", ev->type);
		json_str(j, name);
	}
	if (!s)
		json_kv_u64(j, "size", ev->size);
	json_key(j, "fields");
	evfmt_json(j, s, ev, swap);
	if (ev->stack_id)
		json_kv_u64(j, "stack_id", ev->stack_id);
	if (sv) {
		json_key(j, "frames");
		script_stack_json(j, sv->sym, ev, sv->st, sv->no_kernel, sv->no_user);
	}
	json_obj_end(j);
	json_newline(j);
}


/* The formatters run on the pool's threads (fmtpool.h). */
struct fmt_ctx {
	int swap;
};

static void pool_text(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s,
		      const struct evwho *who, const void *ctx)
{
	print_text(o, ev, s, who, ((const struct fmt_ctx *)ctx)->swap);
}

static void pool_json(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s,
		      const struct evwho *who, const void *ctx)
{
	struct json j;
	json_init(&j, o, 0);
	print_json(&j, ev, s, who, ((const struct fmt_ctx *)ctx)->swap, NULL);
}

/*
 * Text shows a field in hex where its tracepoint's print fmt does
 * (print_fmt.h): the text view formats such types through a copy of their
 * schema with those integer fields marked TREC_F_HEX. The file's schema
 * is left alone, so JSON keeps the numbers. Copies of every file stay
 * until script_free: the formatter threads may still hold events that
 * point to them.
 */
struct shown {
	struct shown *next;
	struct trec_schema s;
	struct trec_field f[]; /* s.nfields */
};

struct shown_table {
	struct shown_table *next;
	const struct trec_schema **by_id; /* NULL where the file's own applies */
	uint32_t n;
};

struct script {
	struct script_opts o;
	struct fmt_ctx fc;
	struct fmtpool *pool;
	struct json j;
	struct comm_cache cc;
	struct tctx_cache tc;
	uint64_t printed;
	struct shown *copies;
	struct shown_table *tables; /* the current file's first */
	struct symbolizer *sym;     /* the current file's, when it has stacks to show */
	struct trec_reader *r;
};

struct hex_mark {
	const struct trec_schema *s;
	uint8_t *hex; /* per field */
	int any;
};

static void mark_hex(void *ctx, const char *name, size_t len)
{
	struct hex_mark *m = ctx;
	for (uint32_t i = 0; i < m->s->nfields; i++) {
		const struct trec_field *f = &m->s->fields[i];
		if ((f->kind == TREC_F_INT || f->kind == TREC_F_UINT) && strlen(f->name) == len &&
		    !memcmp(f->name, name, len)) {
			m->hex[i] = 1;
			m->any = 1;
		}
	}
}

/* The text view's schema of s: a copy with hex fields, or NULL when the
 * file's own shows it as its print fmt does. -ENOMEM. */
static int shown_schema(struct script *sc, struct rfile *f, const struct trec_schema *s,
			const struct trec_schema **out)
{
	*out = NULL;
	char key[300];
	if (snprintf(key, sizeof(key), "tracefs.format.%s", s->name) >= (int)sizeof(key) || !s->nfields)
		return 0;
	const struct trec_meta_kv *kv = trec_reader_meta_get(f->r, key);
	if (!kv || (kv->type != TREC_META_STR && kv->type != TREC_META_BYTES)) /* BYTES: over 4 KiB */
		return 0;
	uint8_t *hex = calloc(s->nfields, 1);
	if (!hex)
		return -ENOMEM;
	struct hex_mark m = { .s = s, .hex = hex };
	/* A format the parser cannot follow leaves the fields as they are. */
	print_fmt_hex_fields(kv->v.str.ptr, kv->v.str.len, mark_hex, &m, NULL);
	struct shown *c = m.any ? malloc(sizeof(*c) + s->nfields * sizeof(c->f[0])) : NULL;
	if (c) {
		c->s = *s;
		memcpy(c->f, s->fields, s->nfields * sizeof(c->f[0]));
		for (uint32_t i = 0; i < s->nfields; i++)
			if (hex[i])
				c->f[i].kind = TREC_F_HEX;
		c->s.fields = c->f;
		c->next = sc->copies;
		sc->copies = c;
		*out = &c->s;
	}
	free(hex);
	return m.any && !c ? -ENOMEM : 0;
}

/* The text view's schemas of f, by type id. */
static int shown_table(struct script *sc, struct rfile *f)
{
	struct shown_table *t = calloc(1, sizeof(*t));
	if (!t || !(t->by_id = calloc(f->ntypes ? f->ntypes : 1, sizeof(*t->by_id)))) {
		free(t);
		return -ENOMEM;
	}
	t->n = f->ntypes;
	t->next = sc->tables;
	sc->tables = t;
	for (uint32_t id = 0; id < f->ntypes; id++)
		if (f->by_id[id] && shown_schema(sc, f, f->by_id[id], &t->by_id[id]) < 0)
			return -ENOMEM;
	return 0;
}

int script_new(struct script **out, const struct script_opts *o, struct trec_err *err)
{
	struct script *s = calloc(1, sizeof(*s));
	*out = s;
	if (!s)
		return trec_errf(err, -ENOMEM, "out of memory");
	s->o = *o;
	json_init(&s->j, o->out, 0);
	return 0;
}

void script_free(struct script *s)
{
	if (!s)
		return;
	fmtpool_free(s->pool);
	symbolizer_free(s->sym);
	while (s->copies) {
		struct shown *c = s->copies;
		s->copies = c->next;
		free(c);
	}
	while (s->tables) {
		struct shown_table *t = s->tables;
		s->tables = t->next;
		free(t->by_id);
		free(t);
	}
	free(s);
}

uint64_t script_printed(const struct script *s)
{
	return s->printed;
}

static int script_begin(void *ctx, struct rfile *f, uint8_t *need, int *ordered, struct trec_err *err)
{
	struct script *s = ctx;
	memset(need, 1, f->ntypes ? f->ntypes : 1); /* every field is printed */
	if (!s->o.json && shown_table(s, f) < 0)
		return trec_errf(err, -ENOMEM, "out of memory for the event formats of %s", f->path);
	*ordered = 1;
	memset(&s->cc, 0, sizeof(s->cc));
	memset(&s->tc, 0, sizeof(s->tc));
	s->fc.swap = f->swap;
	symbolizer_free(s->sym);
	s->sym = NULL;
	s->r = f->r;
	size_t nstacks = 0;
	if (!s->o.hide_stacks) {
		/* Loaded up front: an unreadable stacks block is an error naming
		 * it, not every stack shown as unknown. */
		int rc = trec_reader_stacks(f->r, &nstacks, err);
		if (rc < 0)
			return rc;
	}
	if (nstacks) {
		struct symbolizer_opts so = { .sz = sizeof(so), .symfs = s->o.symfs, .debug_dir = s->o.debug_dir,
					      .no_demangle = s->o.no_demangle };
		int rc = symbolizer_new(f->r, &so, &s->sym, err);
		if (rc < 0)
			return rc;
		/* Frames are named here, in order: no formatter threads. */
		if (s->pool) {
			int e = fmtpool_finish(s->pool);
			fmtpool_free(s->pool);
			s->pool = NULL;
			if (e == -ENOMEM)
				return trec_errf(err, -ENOMEM, "out of memory formatting events");
		}
	}
	if (!s->pool && !s->sym && s->o.threads > 1 &&
	    fmtpool_new(&s->pool, s->o.threads, s->o.json ? pool_json : pool_text, &s->fc, s->o.out) < 0) {
		fmtpool_free(s->pool);
		s->pool = NULL; /* no threads or no memory for them: format here */
	}
	return 1;
}

/* (Inline in script_run's loop: the call per event cost as much as the
 * lookups in it.) */
static inline __attribute__((always_inline)) int script_one(struct script *s, struct rfile *f,
							     const struct trec_event *ev, struct trec_err *err)
{
	const struct trec_schema *sc = rfile_schema(f, ev->type);
	if (!s->o.json && ev->type < s->tables->n && s->tables->by_id[ev->type])
		sc = s->tables->by_id[ev->type];
	struct evwho who = { .comm = comm_table_lookup_cached(&f->ct, &s->cc, ev->pid, ev->tid, ev->ts) };
	struct tctx_info ti;
	if (tctx_table_lookup_cached(&f->tt, &s->tc, ev->pid, ev->tid, ev->ts, &ti)) {
		who.cgroup = ti.cgroup;
		who.nspid = ti.nspid;
		who.nstid = ti.nstid;
	}
	if (s->pool) {
		int e = fmtpool_add(s->pool, ev, sc, &who);
		if (e == -ENOMEM)
			return trec_errf(err, -ENOMEM, "out of memory formatting events");
		if (e)
			return PASS_STOP; /* the output failed: out->err says why */
	} else if (s->o.json) {
		struct stack_view sv = { s->sym, NULL, s->o.no_kernel, s->o.no_user };
		if (s->sym && ev->stack_id)
			sv.st = trec_reader_stack(s->r, ev->stack_id);
		print_json(&s->j, ev, sc, &who, f->swap, s->sym && ev->stack_id ? &sv : NULL);
	} else {
		print_text(s->o.out, ev, sc, &who, f->swap);
		if (s->sym && ev->stack_id)
			script_stack_text(s->o.out, s->sym, ev, trec_reader_stack(s->r, ev->stack_id), s->o.no_kernel,
					  s->o.no_user);
	}
	s->printed++;
	return s->o.out->err || (s->o.limit && s->printed >= s->o.limit) ? PASS_STOP : 0;
}

static int script_event(void *ctx, struct rfile *f, const struct trec_event *ev, struct trec_err *err)
{
	return script_one(ctx, f, ev, err);
}

PASS_DEFINE_RUN(script_run, script_one)

static int script_end(void *ctx, struct rfile *f, struct trec_err *err)
{
	(void)ctx;
	(void)f;
	(void)err;
	return 0;
}

struct pass_sink script_sink(struct script *s)
{
	return (struct pass_sink){ .ctx = s, .begin = script_begin, .event = script_event, .run = script_run,
				   .end = script_end };
}

int script_finish(struct script *s, struct trec_err *err)
{
	if (s->pool && fmtpool_finish(s->pool) == -ENOMEM && !s->o.out->err)
		return trec_errf(err, -ENOMEM, "out of memory formatting events");
	return 0;
}
