/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_probe.h"
#include "json.h"
#include "outbuf.h"
#include "probe_list.h"
#include "probe_path.h"
#include "probe_spec.h"

int probe_list_is_binary(const char *arg)
{
	return strchr(arg, '/') || !strncmp(arg, "u:", 2) || !strncmp(arg, "uprobe:", 7) ||
	       !strncmp(arg, "usdt:", 5);
}

struct lister {
	struct outbuf ob;
	struct json j;
	int json;
	const char *glob;
	int funcs, usdt;
	size_t shown;
};

static int wanted(const struct lister *l, const char *name)
{
	return !l->glob || !fnmatch(l->glob, name, 0);
}

static void list_file(struct lister *l, const char *path, const struct elf_probe_info *info)
{
	if (l->funcs) {
		for (size_t i = 0; i < info->nfuncs; i++) {
			const struct elf_func *f = &info->funcs[i];
			if ((i && !strcmp(f->name, info->funcs[i - 1].name)) || !wanted(l, f->name))
				continue;
			l->shown++;
			if (l->json) {
				json_obj_begin(&l->j);
				json_kv_str(&l->j, "type", "function");
				json_key(&l->j, "name");
				char name[PROBE_PATH_MAX + PROBE_NAME_MAX + 16];
				snprintf(name, sizeof(name), "uprobe:%s:%s", path, f->name);
				json_str(&l->j, name);
				json_kv_str(&l->j, "path", path);
				json_kv_str(&l->j, "function", f->name);
				char a[32];
				snprintf(a, sizeof(a), "0x%" PRIx64, f->addr);
				json_kv_str(&l->j, "address", a);
				json_kv_u64(&l->j, "size", f->size);
				json_key(&l->j, "ifunc");
				json_bool(&l->j, f->ifunc);
				json_obj_end(&l->j);
			} else {
				outbuf_printf(&l->ob, "uprobe:%s:%s%s\n", path, f->name,
					      f->ifunc ? "    [IFUNC resolver]" : "");
			}
		}
	}
	if (!l->usdt)
		return;
	for (size_t i = 0; i < info->nnotes; i++) {
		const struct usdt_note *n = &info->notes[i];
		uint32_t sites, nargs;
		if (!wanted(l, n->name) || !elf_probe_usdt_first(info, i, &sites, &nargs))
			continue;
		l->shown++;
		if (l->json) {
			char name[PROBE_PATH_MAX + 2 * PROBE_NAME_MAX + 16];
			snprintf(name, sizeof(name), "usdt:%s:%s:%s", path, n->provider, n->name);
			json_obj_begin(&l->j);
			json_kv_str(&l->j, "type", "usdt");
			json_kv_str(&l->j, "name", name);
			json_kv_str(&l->j, "path", path);
			json_kv_str(&l->j, "provider", n->provider);
			json_kv_str(&l->j, "probe", n->name);
			json_kv_u64(&l->j, "args", nargs);
			json_kv_u64(&l->j, "sites", sites);
			json_key(&l->j, "semaphore");
			json_bool(&l->j, n->semaphore != 0);
			json_obj_end(&l->j);
		} else {
			outbuf_printf(&l->ob, "usdt:%s:%s:%s    [USDT probe: %u arg%s, %u site%s%s]\n", path, n->provider,
				      n->name, nargs, nargs == 1 ? "" : "s", sites, sites == 1 ? "" : "s",
				      n->semaphore ? ", semaphore" : "");
		}
	}
}

static int list_one(struct lister *l, const char *path, struct trec_err *err)
{
	struct elf_probe_info info;
	int r = elf_probe_read(path, ELF_PROBE_FUNCS | ELF_PROBE_USDT, &info, err);
	if (r)
		return r;
	list_file(l, path, &info);
	elf_probe_free(&info);
	return 0;
}

/* u:NAME[:GLOB] / usdt:NAME[:GLOB] / PATH */
static int parse_target(const char *t, struct lister *l, char *name, size_t len)
{
	const char *body = t;
	l->funcs = l->usdt = 1;
	if (!strncmp(t, "u:", 2) || !strncmp(t, "uprobe:", 7)) {
		l->usdt = 0;
		body = strchr(t, ':') + 1;
	} else if (!strncmp(t, "usdt:", 5)) {
		l->funcs = 0;
		body = t + 5;
	}
	if (body != t) {
		const char *c = strrchr(body, ':');
		if (c && !l->glob) {
			l->glob = c + 1;
			if ((size_t)(c - body) >= len)
				return -ENAMETOOLONG;
			memcpy(name, body, (size_t)(c - body));
			name[c - body] = '\0';
			return *name ? 0 : -EINVAL;
		}
	}
	if (strlen(body) >= len)
		return -ENAMETOOLONG;
	strcpy(name, body);
	return *name ? 0 : -EINVAL;
}

int probe_list_run(const struct probe_list_opts *o, void (*warn)(void *ctx, const char *msg), void *warn_ctx,
		   struct trec_err *err)
{
	struct lister l = { .json = o->json, .glob = o->glob && *o->glob ? o->glob : NULL, .funcs = 1, .usdt = 1 };
	if (outbuf_init(&l.ob, stdout, 1 << 16))
		return trec_errf(err, -ENOMEM, "out of memory");
	json_init(&l.j, &l.ob, 0);
	if (l.json)
		json_arr_begin(&l.j);
	int r = 0;
	if (o->pid > 0) {
		char **paths;
		size_t n;
		r = probe_path_mapped_files(NULL, o->pid, &paths, &n, err);
		for (size_t i = 0; !r && i < n; i++) {
			struct trec_err fe = { 0 };
			if (list_one(&l, paths[i], &fe) && warn)
				warn(warn_ctx, fe.msg);
		}
		if (!r)
			probe_path_free_list(paths, n);
	} else {
		char name[PROBE_PATH_MAX], path[PROBE_PATH_MAX];
		r = parse_target(o->target, &l, name, sizeof(name));
		if (r)
			r = trec_errf(err, r, "'%s': expected PATH, u:NAME[:GLOB] or usdt:NAME[:GLOB]", o->target);
		struct probe_path_opts po = { .sz = sizeof(po) };
		if (!r)
			r = probe_path_resolve(name, &po, path, sizeof(path), err);
		if (!r)
			r = list_one(&l, path, err);
	}
	if (l.json) {
		json_arr_end(&l.j);
		json_newline(&l.j);
	}
	if (!r && !l.shown)
		r = trec_errf(err, -ENOENT, "no %s%s%s", l.funcs && l.usdt ? "function or USDT probe" : l.funcs ? "function" : "USDT probe",
			      l.glob ? " matches " : " found", l.glob ? l.glob : "");
	int fr = outbuf_flush(&l.ob);
	outbuf_free(&l.ob);
	if (!r && fr)
		r = trec_errf(err, -EIO, "writing the listing: %s", strerror(errno));
	return r;
}
