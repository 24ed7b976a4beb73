/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsos.h"
#include "symtab.h"

struct dso {
	char *path;
	uint8_t build_id[TREC_MAX_BUILD_ID];
	uint8_t build_id_len;
	uint32_t pid;        /* a process that mapped it (for /proc/PID/map_files) */
	uint64_t start, end; /* that mapping */
	int used;
};

struct pmap {
	uint64_t start, end;
	uint32_t dso;
};

/* Every file mapping a process had during the recording (exec included:
 * user frames are resolved at the end, when the side-band has caught up,
 * and a frame is credited to every mapping that ever covered it). */
struct proc {
	uint32_t pid;
	struct pmap *maps;
	uint32_t n, cap;
	int unmapped_ips; /* user frames outside every file mapping: JIT code? */
};

struct dso_tracker {
	struct dso *dsos;
	uint32_t ndsos, dsos_cap;
	struct proc *procs; /* open addressing on pid; pid 0 = empty */
	uint32_t procs_cap, nprocs;
	uint64_t *kips;     /* open addressing set of kernel addresses; 0 = empty */
	uint64_t kips_cap, nkips;
	struct pending { uint32_t pid; uint64_t ip; } *pend; /* user frames of new stacks */
	size_t npend, pend_cap;
};

int dso_tracker_new(struct dso_tracker **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void dso_tracker_free(struct dso_tracker *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->ndsos; i++)
		free(t->dsos[i].path);
	for (uint32_t i = 0; i < t->procs_cap; i++)
		free(t->procs[i].maps);
	free(t->dsos);
	free(t->procs);
	free(t->kips);
	free(t->pend);
	free(t);
}

static uint32_t hash32(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

static struct proc *proc_find(struct dso_tracker *t, uint32_t pid, int create)
{
	if (t->procs_cap) {
		for (uint32_t i = hash32(pid) & (t->procs_cap - 1);; i = (i + 1) & (t->procs_cap - 1)) {
			if (t->procs[i].pid == pid)
				return &t->procs[i];
			if (!t->procs[i].pid)
				break;
		}
	}
	if (!create)
		return NULL;
	if ((t->nprocs + 1) * 2 > t->procs_cap) {
		uint32_t cap = t->procs_cap ? t->procs_cap * 2 : 64;
		struct proc *n = calloc(cap, sizeof(*n));
		if (!n)
			return NULL;
		for (uint32_t i = 0; i < t->procs_cap; i++) {
			if (!t->procs[i].pid)
				continue;
			uint32_t j = hash32(t->procs[i].pid) & (cap - 1);
			while (n[j].pid)
				j = (j + 1) & (cap - 1);
			n[j] = t->procs[i];
		}
		free(t->procs);
		t->procs = n;
		t->procs_cap = cap;
	}
	uint32_t j = hash32(pid) & (t->procs_cap - 1);
	while (t->procs[j].pid)
		j = (j + 1) & (t->procs_cap - 1);
	t->procs[j].pid = pid;
	t->nprocs++;
	return &t->procs[j];
}

/* The DSO of a mapping: the same build-id (or, without one, the same
 * path) is one DSO, whatever process maps it. */
static int dso_index(struct dso_tracker *t, const struct trec_map *m, uint32_t *idx)
{
	for (uint32_t i = 0; i < t->ndsos; i++) {
		const struct dso *d = &t->dsos[i];
		if (m->build_id_len ? d->build_id_len == m->build_id_len &&
					      !memcmp(d->build_id, m->build_id, m->build_id_len)
				    : !d->build_id_len && !strcmp(d->path, m->path)) {
			*idx = i;
			return 0;
		}
	}
	if (t->ndsos == t->dsos_cap) {
		uint32_t cap = t->dsos_cap ? t->dsos_cap * 2 : 64;
		struct dso *n = realloc(t->dsos, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->dsos = n;
		t->dsos_cap = cap;
	}
	struct dso *d = &t->dsos[t->ndsos];
	memset(d, 0, sizeof(*d));
	d->path = strdup(m->path);
	if (!d->path)
		return -ENOMEM;
	d->build_id_len = m->build_id_len > TREC_MAX_BUILD_ID ? TREC_MAX_BUILD_ID : m->build_id_len;
	memcpy(d->build_id, m->build_id, d->build_id_len);
	d->pid = m->pid;
	d->start = m->start;
	d->end = m->start + m->len;
	*idx = t->ndsos++;
	return 0;
}

int dso_tracker_map(struct dso_tracker *t, const struct trec_map *m)
{
	/* Only files can be symbolized from the file system ([vdso] and
	 * anonymous memory cannot). */
	if (m->path[0] != '/' || !m->len)
		return 0;
	uint32_t di;
	int r = dso_index(t, m, &di);
	if (r)
		return r;
	struct proc *p = proc_find(t, m->pid, 1);
	if (!p)
		return -ENOMEM;
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		struct pmap *n = realloc(p->maps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->maps = n;
		p->cap = cap;
	}
	uint64_t end = m->start + m->len;
	for (uint32_t k = 0; k < p->n; k++)
		if (p->maps[k].start == m->start && p->maps[k].end == end && p->maps[k].dso == di)
			return 0; /* the snapshot and the side-band may both report it */
	p->maps[p->n++] = (struct pmap){ m->start, end, di };
	return 0;
}

static int kip_add(struct dso_tracker *t, uint64_t ip)
{
	if (!ip)
		return 0;
	if ((t->nkips + 1) * 2 > t->kips_cap) {
		uint64_t cap = t->kips_cap ? t->kips_cap * 2 : 1024;
		uint64_t *n = calloc(cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (uint64_t i = 0; i < t->kips_cap; i++) {
			if (!t->kips[i])
				continue;
			uint64_t j = hash32(t->kips[i]) & (cap - 1);
			while (n[j])
				j = (j + 1) & (cap - 1);
			n[j] = t->kips[i];
		}
		free(t->kips);
		t->kips = n;
		t->kips_cap = cap;
	}
	uint64_t j = hash32(ip) & (t->kips_cap - 1);
	for (; t->kips[j]; j = (j + 1) & (t->kips_cap - 1))
		if (t->kips[j] == ip)
			return 0;
	t->kips[j] = ip;
	t->nkips++;
	return 0;
}

int dso_tracker_stack(struct dso_tracker *t, uint32_t pid, const uint64_t *ips, uint16_t nkernel,
		      uint16_t nuser)
{
	for (uint16_t i = 0; i < nkernel; i++) {
		int r = kip_add(t, ips[i]);
		if (r)
			return r;
	}
	for (uint16_t i = 0; i < nuser; i++) {
		uint64_t ip = ips[nkernel + i];
		if (!ip)
			continue;
		if (t->npend == t->pend_cap) {
			size_t cap = t->pend_cap ? t->pend_cap * 2 : 1024;
			struct pending *n = realloc(t->pend, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			t->pend = n;
			t->pend_cap = cap;
		}
		t->pend[t->npend++] = (struct pending){ pid, ip };
	}
	return 0;
}

/* Marks the DSOs under the user frames noted so far. */
static int resolve_user_frames(struct dso_tracker *t)
{
	for (size_t i = 0; i < t->npend; i++) {
		struct proc *p = proc_find(t, t->pend[i].pid, 1);
		if (!p)
			return -ENOMEM;
		uint64_t ip = t->pend[i].ip;
		int found = 0;
		for (uint32_t k = 0; k < p->n; k++) {
			if (ip >= p->maps[k].start && ip < p->maps[k].end) {
				t->dsos[p->maps[k].dso].used = 1;
				found = 1;
			}
		}
		if (!found)
			p->unmapped_ips = 1;
	}
	t->npend = 0;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The exact file a process mapped, when it is still around; else the path. */
static int open_dso(const struct dso *d)
{
	char mf[128];
	snprintf(mf, sizeof(mf), "/proc/%u/map_files/%llx-%llx", d->pid, (unsigned long long)d->start,
		 (unsigned long long)d->end);
	int fd = open(mf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(d->path, O_RDONLY | O_CLOEXEC);
	return fd;
}

static int write_kernel(struct dso_tracker *t, struct trec_writer *w, struct dso_write_stats *st,
			struct trec_err *err)
{
	if (!t->nkips)
		return 0;
	struct tarena a;
	tarena_init(&a);
	struct trec_ksym *all = NULL, *sub = NULL;
	size_t n = 0, nsub = 0;
	uint64_t *ips = malloc(t->nkips * sizeof(*ips));
	int r = ips ? 0 : -ENOMEM;
	if (!r) {
		size_t k = 0;
		for (uint64_t i = 0; i < t->kips_cap; i++)
			if (t->kips[i])
				ips[k++] = t->kips[i];
		qsort(ips, k, sizeof(*ips), cmp_u64);
		r = symtab_read_kallsyms("/proc/kallsyms", &a, &all, &n, err);
	}
	if (!r)
		r = symtab_kernel_subset(all, n, ips, t->nkips, &a, &sub, &nsub);
	if (!r && nsub)
		r = trec_writer_add_ksyms(w, sub, nsub);
	if (!r)
		st->ksyms += nsub;
	free(ips);
	tarena_free(&a);
	/* Without kallsyms (kptr_restrict, no root) kernel frames stay
	 * addresses; that is a warning, not a failed recording. */
	if (r && r != -ENOMEM) {
		st->ksyms_failed = 1;
		r = 0;
	}
	return r;
}

void dso_tracker_reset_used(struct dso_tracker *t)
{
	for (uint32_t i = 0; i < t->ndsos; i++)
		t->dsos[i].used = 0;
	for (uint32_t i = 0; i < t->procs_cap; i++)
		t->procs[i].unmapped_ips = 0;
	if (t->kips)
		memset(t->kips, 0, t->kips_cap * sizeof(*t->kips));
	t->nkips = 0;
	t->npend = 0;
}

int dso_tracker_write(struct dso_tracker *t, struct trec_writer *w, struct dso_write_stats *st,
		      struct trec_err *err)
{
	memset(st, 0, sizeof(*st));
	int r = resolve_user_frames(t);
	if (r)
		return trec_errf(err, r, "out of memory");
	struct symtab_cache *cache;
	r = symtab_cache_new(&cache);
	if (r)
		return trec_errf(err, r, "out of memory");
	for (uint32_t i = 0; !r && i < t->ndsos; i++) {
		const struct dso *d = &t->dsos[i];
		if (!d->used)
			continue;
		int fd = open_dso(d);
		const struct trec_dso_syms *syms = NULL;
		int got = fd >= 0 ? symtab_cache_get(cache, d->path, fd, &syms) : -errno;
		if (fd >= 0)
			close(fd);
		if (got < 0 || !syms) {
			st->dsos_failed++; /* the report names its frames dso+offset */
			continue;
		}
		if (got == 0)
			continue; /* the same table under another path: written once */
		r = trec_writer_add_dso_syms(w, syms);
		st->dsos++;
		st->syms += syms->nsyms;
	}
	symtab_cache_free(cache);
	if (!r)
		r = write_kernel(t, w, st, err);
	for (uint32_t i = 0; !r && i < t->procs_cap; i++) {
		struct proc *p = &t->procs[i];
		if (!p->pid || !p->unmapped_ips)
			continue;
		struct tarena a;
		tarena_init(&a);
		struct trec_dso_syms jit;
		if (symtab_read_perfmap((int)p->pid, &a, &jit, NULL) == 0) {
			r = trec_writer_add_dso_syms(w, &jit);
			st->perfmaps++;
		}
		tarena_free(&a);
	}
	if (r && !(err && err->code))
		trec_errf(err, r, "writing symbol tables: %s", strerror(-r));
	return r;
}
