/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "filter.h"
#include "plan.h"

int plan_tracefs_root(char *buf, size_t len, struct trec_err *err)
{
	int r = tracefs_root(buf, len, err);
	if (r != -ENOENT || geteuid() != 0)
		return r;
	/* Not mounted (minimal systems, containers): mount it where the
	 * kernel documents it, as perf does, and look again. */
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
		return r;
	if (err)
		memset(err, 0, sizeof(*err));
	return tracefs_root(buf, len, err);
}

int plan_init(struct plan *p, struct trec_err *err)
{
	memset(p, 0, sizeof(*p));
	return plan_tracefs_root(p->root, sizeof(p->root), err);
}

static void event_free(struct plan_event *e)
{
	tp_format_free(&e->fmt);
	free(e->fields);
	if (e->field_names)
		for (uint32_t i = 0; i < TREC_MAX_STR_ARGS + 1; i++)
			free(e->field_names[i]);
	free(e->field_names);
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		event_free(&p->ev[i]);
	free(p->ev);
	memset(p, 0, sizeof(*p));
}

/*
 * The schema the file carries: the tracepoint's fields, and for syscall
 * string arguments a __data_loc string per argument ("filename_str") and
 * a mask of the ones cut at TREC_STR_MAX bytes, laid out as the BPF side
 * writes them (trec_bpf.h).
 */
static int build_schema(struct plan_event *e, uint32_t id, struct trec_err *err)
{
	const struct trec_schema *s = &e->fmt.schema;
	uint32_t nstr = e->fmt.nstr_args;
	if (nstr > TREC_MAX_STR_ARGS)
		nstr = TREC_MAX_STR_ARGS;
	if (nstr && s->fixed_size > TREC_STR_FIXED_MAX)
		nstr = 0; /* never the case for syscalls; keep the BPF bound honest */
	uint32_t nf = s->nfields + (nstr ? nstr + 1 : 0);
	e->fields = calloc(nf ? nf : 1, sizeof(*e->fields));
	e->field_names = calloc(TREC_MAX_STR_ARGS + 1, sizeof(char *));
	if (!e->fields || !e->field_names)
		return trec_errf(err, -ENOMEM, "out of memory");
	memcpy(e->fields, s->fields, s->nfields * sizeof(*e->fields));
	e->schema = *s;
	e->schema.id = id;
	e->schema.fields = e->fields;
	e->schema.nfields = nf;
	memset(&e->cfg, 0, sizeof(e->cfg));
	e->cfg.fixed_size = s->fixed_size;
	e->cfg.tp_id = e->fmt.id;
	for (uint32_t i = 0; i < s->nfields; i++) {
		const struct trec_field *f = &s->fields[i];
		if (f->kind != TREC_F_DATA_LOC && f->kind != TREC_F_REL_LOC)
			continue;
		if (e->cfg.ndyn == TREC_MAX_DYN_FIELDS)
			return trec_errf(err, -E2BIG, "%s has more than %d dynamic fields; trec cannot size its records",
					 e->full, TREC_MAX_DYN_FIELDS);
		e->cfg.dyn_off[e->cfg.ndyn] = (uint16_t)f->offset;
		e->cfg.dyn_rel[e->cfg.ndyn] = f->kind == TREC_F_REL_LOC;
		e->cfg.ndyn++;
	}
	if (!nstr)
		return 0;
	e->cfg.nstr = (uint16_t)nstr;
	uint32_t at = s->fixed_size;
	for (uint32_t i = 0; i < nstr; i++) {
		char name[300];
		snprintf(name, sizeof(name), "%s_str", e->fmt.str_args[i].name);
		e->field_names[i] = strdup(name);
		if (!e->field_names[i])
			return trec_errf(err, -ENOMEM, "out of memory");
		e->cfg.str_ptr_off[i] = (uint16_t)e->fmt.str_args[i].offset;
		e->fields[s->nfields + i] = (struct trec_field){
			.name = e->field_names[i], .ctype = "__data_loc char[]", .kind = TREC_F_DATA_LOC,
			.flags = TREC_FIELDF_TRUNCATED_MARK, .offset = at + 4 * i, .elem_size = 4, .count = 1,
		};
	}
	e->field_names[nstr] = strdup("__trec_str_truncated");
	if (!e->field_names[nstr])
		return trec_errf(err, -ENOMEM, "out of memory");
	e->fields[s->nfields + nstr] = (struct trec_field){
		.name = e->field_names[nstr], .ctype = "u32", .kind = TREC_F_HEX,
		.offset = at + 4 * nstr, .elem_size = 4, .count = 1,
	};
	e->schema.fixed_size = at + TREC_STR_SLOTS(nstr);
	return trec_schema_validate(&e->schema, err);
}

static int add_one(struct plan *p, const char *full, struct trec_err *err)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->ev[i].full, full))
			return 0; /* named twice (e.g. by two globs): once is enough */
	if (p->n == PLAN_MAX_EVENTS)
		return trec_errf(err, -E2BIG, "more than %d tracepoints selected; narrow the -e globs",
				 PLAN_MAX_EVENTS);
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void *n = realloc(p->ev, cap * sizeof(*p->ev));
		if (!n)
			return trec_errf(err, -ENOMEM, "out of memory");
		p->ev = n;
		p->cap = cap;
	}
	struct plan_event *e = &p->ev[p->n];
	memset(e, 0, sizeof(*e));
	int r = tracefs_split(full, e->group, sizeof(e->group), e->name, sizeof(e->name), err);
	if (r)
		return r;
	snprintf(e->full, sizeof(e->full), "%s:%s", e->group, e->name);
	r = tracefs_format_load(p->root, e->group, e->name, &e->fmt, err);
	if (!r)
		r = build_schema(e, (uint32_t)p->n + 1, err);
	if (r) {
		event_free(e);
		return r;
	}
	p->n++;
	return 0;
}

int plan_add(struct plan *p, const char *spec, struct trec_err *err)
{
	p->last_first = p->n;
	if (!strpbrk(spec, "*?["))
		return add_one(p, spec, err);
	struct tp_list l;
	int r = tracefs_list(p->root, spec, &l, err);
	for (size_t i = 0; !r && i < l.n; i++)
		r = add_one(p, l.names[i], err);
	tp_list_free(&l);
	return r;
}

int plan_filter(struct plan *p, const char *expr, struct trec_err *err)
{
	if (p->last_first >= p->n)
		return trec_errf(err, -EINVAL, "--filter '%s' must follow the -e it applies to", expr);
	for (size_t i = p->last_first; i < p->n; i++) {
		struct plan_event *e = &p->ev[i];
		struct trec_err fe = { 0 };
		int r = trec_filter_compile(expr, &e->schema, &e->filter, &fe);
		if (r)
			return trec_errf(err, r, "%s: %s", e->full, fe.msg);
		e->has_filter = 1;
		e->filter_text = expr;
	}
	return 0;
}

struct tp_spec *plan_specs(const struct plan *p)
{
	struct tp_spec *s = calloc(p->n ? p->n : 1, sizeof(*s));
	if (!s)
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_event *e = &p->ev[i];
		s[i] = (struct tp_spec){
			.group = e->group, .name = e->name, .type = e->schema.id, .cfg = e->cfg,
			.filter = e->has_filter ? &e->filter : NULL, .schema = &e->schema,
		};
	}
	return s;
}

void plan_types(const struct plan *p, int samples, int offcpu, size_t nprobes, struct plan_types *out)
{
	uint32_t next = (uint32_t)p->n + 1;
	out->samples = samples ? next++ : 0;
	out->offcpu = offcpu ? next++ : 0;
	out->first_probe = next;
	out->max = next - 1 + (uint32_t)nprobes;
}
