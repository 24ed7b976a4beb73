/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_probes.h"
#include "elf_probe.h"
#include "probe_abi.h"
#include "probe_kernel.h"
#include "probe_path.h"
#include "probes.h"
#include "tracefs.h"

void probe_set_init(struct probe_set *ps)
{
	memset(ps, 0, sizeof(*ps));
	tarena_init(&ps->arena);
}

void probe_set_free(struct probe_set *ps)
{
	free(ps->specs);
	free(ps->ev);
	tarena_free(&ps->arena);
	memset(ps, 0, sizeof(*ps));
}

int probe_set_add(struct probe_set *ps, const char *spec, struct trec_err *err)
{
	if (ps->nspecs == ps->capspecs) {
		size_t cap = ps->capspecs ? ps->capspecs * 2 : 4;
		void *n = realloc(ps->specs, cap * sizeof(*ps->specs));
		if (!n)
			return trec_errf(err, -ENOMEM, "out of memory");
		ps->specs = n;
		ps->capspecs = cap;
	}
	int r = probe_spec_parse(spec, &ps->specs[ps->nspecs], err);
	if (!r)
		ps->nspecs++;
	return r;
}

int probe_set_arg(struct probe_set *ps, const char *arg, struct trec_err *err)
{
	if (!ps->nspecs)
		return trec_errf(err, -EINVAL, "--arg '%s' must follow the probe -e it applies to (u:, usdt:, k:, fentry:)",
				 arg);
	return probe_spec_arg(&ps->specs[ps->nspecs - 1], arg, err);
}

uint64_t probe_event_cookie(const struct probe_event *e)
{
	return PROBE_COOKIE(e->schema.id, e->strmask, e->nvals, e->ck_flags);
}

size_t probe_set_attachments(const struct probe_set *ps)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++)
		n += ps->ev[i].kind == PROBE_UPROBE || ps->ev[i].kind == PROBE_URETPROBE ? ps->ev[i].noffsets
		     : ps->ev[i].kind == PROBE_USDT					 ? ps->ev[i].sites
											 : 1;
	return n;
}

/* ---- schemas ------------------------------------------------------------ */

static const char *value_name(struct tarena *a, int kind, uint32_t i)
{
	if (probe_kind_is_return(kind)) {
		if (i == 0)
			return "ret";
		i--; /* fexit: the arguments follow the return value */
	}
	char buf[16];
	snprintf(buf, sizeof(buf), "arg%u", i);
	return tarena_strdup(a, buf);
}

/* Fields per probe_abi.h: the values, then for strings their data_loc
 * slots and the truncation mask. */
static int build_schema(struct tarena *a, struct probe_event *e, struct trec_err *err)
{
	uint32_t nstr = (uint32_t)__builtin_popcount(e->strmask);
	uint32_t nf = e->nvals + (nstr ? nstr + 1 : 0);
	struct trec_field *f = tarena_alloc(a, (nf ? nf : 1) * sizeof(*f));
	if (!f)
		return trec_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < e->nvals; i++) {
		int is_ret = probe_kind_is_return(e->kind) && i == 0;
		int is_signed = is_ret || e->kind == PROBE_USDT;
		f[i] = (struct trec_field){ .name = value_name(a, e->kind, i), .ctype = is_signed ? "s64" : "u64",
					    .kind = is_signed ? TREC_F_INT : TREC_F_UINT, .offset = 8 * i,
					    .elem_size = 8, .count = 1 };
		if (!f[i].name)
			return trec_errf(err, -ENOMEM, "out of memory");
	}
	uint32_t k = 0, at = 8 * e->nvals;
	for (uint32_t i = 0; i < e->nvals && nstr; i++) {
		if (!(e->strmask >> i & 1))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "%s_str", f[i].name);
		f[e->nvals + k] = (struct trec_field){ .name = tarena_strdup(a, name), .ctype = "__data_loc char[]",
						       .kind = TREC_F_DATA_LOC, .flags = TREC_FIELDF_TRUNCATED_MARK,
						       .offset = at + 4 * k, .elem_size = 4, .count = 1 };
		if (!f[e->nvals + k].name)
			return trec_errf(err, -ENOMEM, "out of memory");
		k++;
	}
	if (nstr)
		f[e->nvals + nstr] = (struct trec_field){ .name = "__trec_str_truncated", .ctype = "u32",
							  .kind = TREC_F_HEX, .offset = at + 4 * nstr, .elem_size = 4,
							  .count = 1 };
	e->schema.fields = f;
	e->schema.nfields = nf;
	e->schema.fixed_size = at + (nstr ? 4 * nstr + 4 : 0);
	return trec_schema_validate(&e->schema, err);
}

/* ---- events ------------------------------------------------------------- */

struct resolver {
	struct probe_set *ps;
	const struct probe_resolve_opts *o;
	uint32_t next_type;
	struct elf_cache {
		char *path;
		struct elf_probe_info info;
	} *elves; /* each file read once, however many specs name it */
	size_t nelves;
	char *tracefs;
};

static void warnf(struct resolver *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct resolver *rs, const char *fmt, ...)
{
	if (!rs->o->warn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs->o->warn(rs->o->warn_ctx, msg);
}

static struct probe_event *find_event(struct probe_set *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->ev[i].schema.name, name))
			return &ps->ev[i];
	return NULL;
}

/*
 * A new event named `name` (or the existing one: the same probe named
 * twice, by two -e or two globs, is one event type, if both ask for the
 * same --arg strings). *fresh says which.
 */
static struct probe_event *new_event(struct resolver *rs, const struct probe_spec *sp, const char *name,
				     const char *probe, int *fresh, struct trec_err *err)
{
	struct probe_set *ps = rs->ps;
	struct probe_event *e = find_event(ps, name);
	*fresh = !e;
	if (e) {
		if (e->strmask != sp->strmask) {
			trec_errf(err, -EINVAL, "%s is named twice with different --arg strings; name it once", name);
			return NULL;
		}
		return e;
	}
	if (ps->n == PROBES_MAX_EVENTS) {
		trec_errf(err, -E2BIG, "more than %d probes selected; narrow the globs", PROBES_MAX_EVENTS);
		return NULL;
	}
	if (rs->next_type > TREC_MAX_TYPE_ID) {
		trec_errf(err, -E2BIG, "more than %u event types", TREC_MAX_TYPE_ID);
		return NULL;
	}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		void *n = realloc(ps->ev, cap * sizeof(*ps->ev));
		if (!n) {
			trec_errf(err, -ENOMEM, "out of memory");
			return NULL;
		}
		ps->ev = n;
		ps->cap = cap;
	}
	e = &ps->ev[ps->n];
	memset(e, 0, sizeof(*e));
	e->kind = sp->kind;
	e->strmask = sp->strmask;
	e->schema.id = rs->next_type;
	e->schema.name = tarena_strdup(&ps->arena, name);
	e->schema.probe = tarena_strdup(&ps->arena, probe);
	if (!e->schema.name || !e->schema.probe) {
		trec_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	return e;
}

/* Commits the event new_event returned: its schema, its type id. */
static int finish_event(struct resolver *rs, struct probe_event *e, struct trec_err *err)
{
	if (e->strmask >> e->nvals)
		return trec_errf(err, -EINVAL, "%s: --arg names argument %d, but the probe has %u", e->schema.name,
				 31 - __builtin_clz(e->strmask), e->nvals);
	int r = build_schema(&rs->ps->arena, e, err);
	if (r)
		return r;
	rs->ps->n++;
	rs->next_type++;
	return 0;
}

static const struct elf_probe_info *load_elf(struct resolver *rs, const char *path, struct trec_err *err)
{
	for (size_t i = 0; i < rs->nelves; i++)
		if (!strcmp(rs->elves[i].path, path))
			return &rs->elves[i].info;
	void *n = realloc(rs->elves, (rs->nelves + 1) * sizeof(*rs->elves));
	if (!n) {
		trec_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	rs->elves = n;
	struct elf_cache *c = &rs->elves[rs->nelves];
	if (!(c->path = strdup(path))) {
		trec_errf(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (elf_probe_read(path, ELF_PROBE_FUNCS | ELF_PROBE_USDT, &c->info, err)) {
		free(c->path);
		return NULL;
	}
	rs->nelves++;
	return &c->info;
}

/* " (did you mean a, b?)" from the closest function names, or "". */
static void closest_funcs(const struct elf_probe_info *info, const char *name, char *buf, size_t len)
{
	const char *best[3] = { 0 };
	unsigned dist[3] = { UINT_MAX, UINT_MAX, UINT_MAX };
	size_t nl = strlen(name);
	for (size_t i = 0; i < info->nfuncs; i++) {
		const char *f = info->funcs[i].name;
		if (i && !strcmp(f, info->funcs[i - 1].name))
			continue;
		size_t fl = strlen(f);
		if ((fl > nl ? fl - nl : nl - fl) > 3)
			continue;
		unsigned d = tracefs_edit_distance(name, f);
		for (int k = 0; k < 3; k++)
			if (d < dist[k]) {
				for (int m = 2; m > k; m--) {
					dist[m] = dist[m - 1];
					best[m] = best[m - 1];
				}
				dist[k] = d;
				best[k] = f;
				break;
			}
	}
	buf[0] = '\0';
	unsigned limit = nl < 6 ? 1 : 3;
	size_t at = 0;
	for (int k = 0; k < 3 && best[k] && dist[k] <= limit; k++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", k ? ", " : " (did you mean ", best[k]);
	if (at && at < len)
		snprintf(buf + at, len - at, "?)");
}

/* ---- uprobes ------------------------------------------------------------ */

/* The uprobe event `label` of file `path` at file offsets offs[0..n):
 * named KIND:PATH:LABEL, attached at offsets[0] (its probe string). */
static int add_uprobe_event(struct resolver *rs, const struct probe_spec *sp, const char *path, const char *label,
			    uint64_t *offs, uint32_t n, int at_entry, struct trec_err *err)
{
	char ename[PROBE_PATH_MAX + PROBE_NAME_MAX + 64], probe[sizeof(ename)];
	snprintf(ename, sizeof(ename), "%s:%s:%s", probe_kind_name(sp->kind), path, label);
	snprintf(probe, sizeof(probe), "%s:%s:0x%" PRIx64, probe_kind_name(sp->kind), path, offs[0]);
	int fresh;
	struct probe_event *e = new_event(rs, sp, ename, probe, &fresh, err);
	if (!e)
		return err ? err->code : -ENOMEM;
	if (!fresh)
		return 0;
	e->path = tarena_strdup(&rs->ps->arena, path);
	e->func = tarena_strdup(&rs->ps->arena, label);
	if (!e->path || !e->func)
		return trec_errf(err, -ENOMEM, "out of memory");
	e->offsets = offs;
	e->noffsets = n;
	e->nvals = sp->kind == PROBE_URETPROBE ? 1 : PROBE_REG_ARGS;
	/* the return-address trick of probe.bpf.h: entry probes only */
	e->ck_flags = sp->kind == PROBE_UPROBE && at_entry ? PROBE_CK_AT_ENTRY : 0;
	return finish_event(rs, e, err);
}

/* Adds the uprobe event for function `name` (every address it has). */
static int add_function(struct resolver *rs, const struct probe_spec *sp, const char *path,
			const struct elf_probe_info *info, const char *name, const uint64_t *only_addrs,
			size_t nonly, struct trec_err *err)
{
	size_t first, cnt = elf_probe_find(info, name, &first);
	if (!cnt) {
		char near[600];
		closest_funcs(info, name, near, sizeof(near));
		return trec_errf(err, -ENOENT, "%s has no function '%s'%s; `trec list %s` shows its functions", path,
				 name, near, path);
	}
	char label[PROBE_NAME_MAX + 32];
	if (sp->has_off)
		snprintf(label, sizeof(label), "%s+0x%" PRIx64, name, sp->off);
	else
		snprintf(label, sizeof(label), "%s", name);
	uint64_t *offs = tarena_alloc(&rs->ps->arena, cnt * sizeof(*offs));
	if (!offs)
		return trec_errf(err, -ENOMEM, "out of memory");
	uint32_t n = 0;
	for (size_t i = first; i < first + cnt; i++) {
		const struct elf_func *f = &info->funcs[i];
		int keep = !only_addrs;
		for (size_t k = 0; k < nonly && !keep; k++)
			keep = only_addrs[k] == f->addr;
		if (!keep)
			continue;
		if (sp->has_off && f->size && sp->off >= f->size)
			return trec_errf(err, -ERANGE, "%s: +0x%" PRIx64 " is past the end of %s (%" PRIu64 " bytes)",
					 path, sp->off, name, f->size);
		uint64_t off;
		if (elf_probe_offset(info, f->addr + sp->off, &off))
			return trec_errf(err, -ERANGE, "%s: %s at 0x%" PRIx64 " is not in an executable segment", path,
					 label, f->addr + sp->off);
		if (f->ifunc && !sp->has_off)
			warnf(rs,
			      "%s in %s is an indirect function (IFUNC): the probe is on its resolver, which runs "
			      "when the function is first bound, not on calls; probe the implementation instead "
			      "(`trec list %s` shows the candidates)",
			      name, path, path);
		offs[n++] = off;
	}
	return add_uprobe_event(rs, sp, path, label, offs, n, sp->off == 0, err);
}

static int add_address(struct resolver *rs, const struct probe_spec *sp, const char *path,
		       const struct elf_probe_info *info, struct trec_err *err)
{
	uint64_t off;
	if (elf_probe_offset(info, sp->addr, &off))
		return trec_errf(err, -ERANGE, "%s: 0x%" PRIx64 " is not in an executable segment (give the address "
				 "as `nm` or `objdump -d` show it)", path, sp->addr);
	const struct elf_func *f = elf_probe_func_at(info, sp->addr);
	char label[32];
	snprintf(label, sizeof(label), "0x%" PRIx64, sp->addr);
	uint64_t *offs = tarena_alloc(&rs->ps->arena, sizeof(*offs));
	if (!offs)
		return trec_errf(err, -ENOMEM, "out of memory");
	offs[0] = off;
	return add_uprobe_event(rs, sp, path, label, offs, 1, f && f->addr == sp->addr, err);
}

/* Which of two names of one address a glob's event is named by: the
 * shorter (malloc over __libc_malloc), then the first in byte order. */
static int better_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la != lb ? la < lb : strcmp(a, b) < 0;
}

static int cmp_addr_idx(const void *pa, const void *pb, void *arg)
{
	const struct elf_func *f = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	return f[a].addr < f[b].addr ? -1 : f[a].addr > f[b].addr ? 1 : (a > b) - (a < b);
}

/* A glob: one event per matching function. An address with several
 * matching names (aliases) gets one event, under its best name: two
 * probes on one address would record every call twice. */
static int add_glob(struct resolver *rs, const struct probe_spec *sp, const char *path,
		    const struct elf_probe_info *info, struct trec_err *err)
{
	size_t *m = malloc((info->nfuncs ? info->nfuncs : 1) * sizeof(*m));
	uint8_t *chosen = calloc(info->nfuncs ? info->nfuncs : 1, 1);
	if (!m || !chosen) {
		free(m);
		free(chosen);
		return trec_errf(err, -ENOMEM, "out of memory");
	}
	size_t nm = 0;
	for (size_t i = 0; i < info->nfuncs; i++)
		if (!fnmatch(sp->func, info->funcs[i].name, 0))
			m[nm++] = i;
	qsort_r(m, nm, sizeof(*m), cmp_addr_idx, info->funcs);
	for (size_t i = 0; i < nm;) {
		size_t best = m[i], k = i + 1;
		for (; k < nm && info->funcs[m[k]].addr == info->funcs[best].addr; k++)
			if (better_name(info->funcs[m[k]].name, info->funcs[best].name))
				best = m[k];
		chosen[best] = 1;
		i = k;
	}
	int r = 0;
	size_t events = 0;
	for (size_t i = 0; !r && i < info->nfuncs; i++) {
		if (!chosen[i])
			continue;
		/* the chosen addresses of this name (it may have several) */
		size_t k = i;
		uint64_t addrs[64];
		size_t na = 0;
		for (; k < info->nfuncs && !strcmp(info->funcs[k].name, info->funcs[i].name); k++)
			if (chosen[k] && na < 64)
				addrs[na++] = info->funcs[k].addr;
		r = add_function(rs, sp, path, info, info->funcs[i].name, addrs, na, err);
		events++;
		i = k - 1;
	}
	free(m);
	free(chosen);
	if (!r && !events)
		return trec_errf(err, -ENOENT, "no function of %s matches '%s'; `trec list %s` shows its functions",
				 path, sp->func, path);
	if (!r && events > 100)
		warnf(rs, "'%s' matched %zu functions of %s: every call of each is recorded", sp->func, events, path);
	return r;
}

/* ---- USDT --------------------------------------------------------------- */

static int usdt_matches(const struct probe_spec *sp, const struct usdt_note *n)
{
	if (sp->provider[0] && fnmatch(sp->provider, n->provider, 0))
		return 0;
	return !fnmatch(sp->func, n->name, 0);
}

static int add_usdt(struct resolver *rs, const struct probe_spec *sp, const char *path,
		    const struct elf_probe_info *info, struct trec_err *err)
{
	size_t events = 0;
	for (size_t i = 0; i < info->nnotes; i++) {
		const struct usdt_note *n = &info->notes[i];
		if (!usdt_matches(sp, n))
			continue;
		/* the first site of this provider:name makes the event */
		uint32_t nargs, sites;
		if (!elf_probe_usdt_first(info, i, &sites, &nargs))
			continue;
		if (nargs > PROBE_MAX_VALS) {
			warnf(rs, "usdt:%s:%s:%s has %u arguments; the first %d are recorded", path, n->provider, n->name,
			      nargs, PROBE_MAX_VALS);
			nargs = PROBE_MAX_VALS;
		}
		char ename[PROBE_PATH_MAX + 2 * PROBE_NAME_MAX + 16];
		snprintf(ename, sizeof(ename), "usdt:%s:%s:%s", path, n->provider, n->name);
		int fresh;
		struct probe_event *e = new_event(rs, sp, ename, ename, &fresh, err);
		if (!e)
			return err ? err->code : -ENOMEM;
		events++;
		if (!fresh)
			continue;
		e->path = tarena_strdup(&rs->ps->arena, path);
		e->provider = tarena_strdup(&rs->ps->arena, n->provider);
		e->func = tarena_strdup(&rs->ps->arena, n->name);
		if (!e->path || !e->provider || !e->func)
			return trec_errf(err, -ENOMEM, "out of memory");
		e->nvals = nargs;
		e->sites = sites;
		int r = finish_event(rs, e, err);
		if (r)
			return r;
	}
	if (!events) {
		if (!info->nnotes)
			return trec_errf(err, -ENOENT, "%s has no USDT probes (no .note.stapsdt section)", path);
		return trec_errf(err, -ENOENT, "%s has no USDT probe %s%s%s (it has %s:%s%s); `trec list %s` lists them",
				 path, sp->provider, sp->provider[0] ? ":" : "", sp->func, info->notes[0].provider,
				 info->notes[0].name, info->nnotes > 1 ? ", ..." : "", path);
	}
	return 0;
}

static int resolve_user(struct resolver *rs, const struct probe_spec *sp, struct trec_err *err)
{
	char path[PROBE_PATH_MAX];
	struct probe_path_opts po = { .sz = sizeof(po), .pids = rs->o->pids, .npids = rs->o->npids };
	int r = probe_path_resolve(sp->path, &po, path, sizeof(path), err);
	if (r)
		return r;
	const struct elf_probe_info *info = load_elf(rs, path, err);
	if (!info)
		return err ? err->code : -ENOMEM;
	if (sp->kind == PROBE_USDT)
		return add_usdt(rs, sp, path, info, err);
	if (sp->has_addr)
		return add_address(rs, sp, path, info, err);
	if (sp->glob)
		return add_glob(rs, sp, path, info, err);
	return add_function(rs, sp, path, info, sp->func, NULL, 0, err);
}

/* ---- kernel probes -------------------------------------------------------- */

static int resolve_kernel(struct resolver *rs, const struct probe_spec *sp, struct trec_err *err)
{
	const char *kind = probe_kind_name(sp->kind);
	char advice[512];
	int is_kprobe = sp->kind == PROBE_KPROBE || sp->kind == PROBE_KRETPROBE;
	int nargs = PROBE_REG_ARGS;
	if (is_kprobe && !probe_kernel_has_kprobes(NULL, rs->tracefs)) {
		probe_kernel_advice(rs->tracefs, sp->func, advice, sizeof(advice));
		return trec_errf(err, -EOPNOTSUPP,
				 "%s:%s: this kernel has no kprobe support (built without CONFIG_KPROBES: no kprobe "
				 "PMU, no kprobe_events); %s",
				 kind, sp->func, advice);
	}
	if (is_kprobe && probe_kernel_has_func(NULL, sp->func) == 0) {
		probe_kernel_advice(rs->tracefs, sp->func, advice, sizeof(advice));
		return trec_errf(err, -ENOENT, "%s:%s: the kernel has no function %s (not in /proc/kallsyms); %s", kind,
				 sp->func, sp->func, advice);
	}
	if (!is_kprobe) {
		nargs = probe_kernel_btf_nargs(sp->func);
		if (nargs < 0) {
			probe_kernel_advice(rs->tracefs, sp->func, advice, sizeof(advice));
			return trec_errf(err, nargs,
					 "%s:%s: %s needs the function in the kernel's BTF, which has no %s (inlined, "
					 "or no BTF); %s",
					 kind, sp->func, kind, sp->func, advice);
		}
		if (nargs > PROBE_REG_ARGS)
			nargs = PROBE_REG_ARGS;
		int r = probe_fentry_try(sp->func, sp->kind == PROBE_FEXIT);
		if (r) {
			probe_kernel_advice(rs->tracefs, sp->func, advice, sizeof(advice));
			return trec_errf(err, r,
					 "%s:%s: this kernel refused the %s program (%s): fentry/fexit need BPF "
					 "trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, x86-64 or arm64) and "
					 "a kernel that lets BPF attach there; %s",
					 kind, sp->func, kind, strerror(-r), advice);
		}
	}
	char name[PROBE_NAME_MAX + 64];
	if (sp->has_off)
		snprintf(name, sizeof(name), "%s:%s+0x%" PRIx64, kind, sp->func, sp->off);
	else
		snprintf(name, sizeof(name), "%s:%s", kind, sp->func);
	int fresh;
	struct probe_event *e = new_event(rs, sp, name, name, &fresh, err);
	if (!e)
		return err ? err->code : -ENOMEM;
	if (!fresh)
		return 0;
	if (!(e->func = tarena_strdup(&rs->ps->arena, sp->func)))
		return trec_errf(err, -ENOMEM, "out of memory");
	e->kprobe_offset = sp->off;
	e->nvals = sp->kind == PROBE_KRETPROBE ? 1 : sp->kind == PROBE_FEXIT ? 1 + (uint32_t)nargs
			  : sp->kind == PROBE_FENTRY ? (uint32_t)nargs : PROBE_REG_ARGS;
	return finish_event(rs, e, err);
}

int probe_set_resolve(struct probe_set *ps, const struct probe_resolve_opts *o, struct trec_err *err)
{
	struct resolver rs = { .ps = ps, .o = o, .next_type = o->first_type ? o->first_type : 1 };
	if (o->tracefs && !(rs.tracefs = strdup(o->tracefs)))
		return trec_errf(err, -ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; !r && i < ps->nspecs; i++)
		r = probe_kind_is_user(ps->specs[i].kind) ? resolve_user(&rs, &ps->specs[i], err)
							  : resolve_kernel(&rs, &ps->specs[i], err);
	for (size_t i = 0; i < rs.nelves; i++) {
		elf_probe_free(&rs.elves[i].info);
		free(rs.elves[i].path);
	}
	free(rs.elves);
	free(rs.tracefs);
	return r;
}
