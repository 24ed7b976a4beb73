/* SPDX-License-Identifier: MIT */
/* Interned callstacks for Perfetto's PerfSample (pf_stacks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbwrite.h"
#include "pf_stacks.h"
#include "reader.h"
#include "symbolize.h"

/* InternedData and its entries (InternedString, Mapping, Frame, Callstack) */
#define F_ID_FUNCTION_NAMES 5
#define F_ID_FRAMES 6
#define F_ID_CALLSTACKS 7
#define F_ID_MAPPING_PATHS 17
#define F_ID_MAPPINGS 19
#define F_IS_IID 1
#define F_IS_STR 2
#define F_MAP_IID 1
#define F_MAP_PATHS 7
#define F_FR_IID 1
#define F_FR_NAME 2
#define F_FR_MAPPING 3
#define F_FR_REL_PC 4
#define F_CSK_IID 1
#define F_CSK_FRAMES 2

#define MAX_FRAMES 1024

int pf_stacks_init(struct pf_stacks *p, int no_kernel, int no_user)
{
	memset(p, 0, sizeof(*p));
	p->no_kernel = no_kernel;
	p->no_user = no_user;
	ktab_init(&p->strs);
	ktab_init(&p->maps);
	ktab_init(&p->frames);
	ktab_init(&p->stacks);
	ktab_init(&p->by_ev);
	tbuf_init(&p->tmp);
	p->fid = malloc(MAX_FRAMES * sizeof(*p->fid));
	return p->fid ? 0 : -ENOMEM;
}

void pf_stacks_free(struct pf_stacks *p)
{
	ktab_free(&p->strs);
	ktab_free(&p->maps);
	ktab_free(&p->frames);
	ktab_free(&p->stacks);
	ktab_free(&p->by_ev);
	tbuf_free(&p->tmp);
	free(p->fid);
	p->fid = NULL;
}

/* Names as protobuf strings must be (valid UTF-8): printable ASCII, the
 * rest as '?'. */
static const char *clean(struct pf_stacks *p, const char *s, size_t n)
{
	tbuf_reset(&p->tmp);
	for (size_t i = 0; s && i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		tbuf_put_u8(&p->tmp, c < 0x20 || c >= 0x7f ? '?' : c);
	}
	tbuf_put_u8(&p->tmp, 0);
	return p->tmp.oom ? "" : (const char *)p->tmp.data;
}

/* An interned string of one index (function names or mapping paths): its
 * iid, and its InternedString entry appended to p->intern when new. */
static int intern_str(struct pf_stacks *p, struct tbuf *intern, uint32_t field, const char *s, uint64_t *iid)
{
	char key[600];
	int n = snprintf(key, sizeof(key), "%u:%s", field, s);
	uint32_t eid;
	int rc = ktab_get(&p->strs, key, (uint32_t)(n < (int)sizeof(key) ? n : (int)sizeof(key) - 1), &eid);
	if (rc < 0)
		return rc;
	*iid = (uint64_t)eid + 1;
	if (rc == 1) {
		struct pbw w;
		pbw_init(&w, intern);
		pbw_begin(&w, field);
		pbw_uint(&w, F_IS_IID, *iid);
		pbw_string(&w, F_IS_STR, s);
		pbw_end(&w);
		if ((rc = pbw_error(&w)) < 0)
			return rc;
	}
	return 0;
}

static int intern_mapping(struct pf_stacks *p, struct tbuf *intern, const char *dso, uint64_t *iid)
{
	uint32_t eid;
	int rc = ktab_get(&p->maps, dso, (uint32_t)strlen(dso), &eid);
	if (rc < 0)
		return rc;
	*iid = (uint64_t)eid + 1;
	if (rc == 1) {
		uint64_t path;
		if ((rc = intern_str(p, intern, F_ID_MAPPING_PATHS, dso, &path)) < 0)
			return rc;
		struct pbw w;
		pbw_init(&w, intern);
		pbw_begin(&w, F_ID_MAPPINGS);
		pbw_uint(&w, F_MAP_IID, *iid);
		pbw_uint(&w, F_MAP_PATHS, path);
		pbw_end(&w);
		if ((rc = pbw_error(&w)) < 0)
			return rc;
	}
	return 0;
}

/* A frame per (function text, mapping): frames are merged per function,
 * as trec's folded stacks are. rel_pc: the file offset for a frame no
 * symbol names (its text already says it), else 0. */
static int intern_frame(struct pf_stacks *p, struct tbuf *intern, const struct sym_result *r, uint64_t *iid)
{
	char text[512];
	sym_format(r, text, sizeof(text));
	const char *dso = r->dso ? r->dso : "[unknown]";
	uint64_t name, map;
	int rc = intern_str(p, intern, F_ID_FUNCTION_NAMES, clean(p, text, sizeof(text)), &name);
	if (rc < 0 || (rc = intern_mapping(p, intern, clean(p, dso, 256), &map)) < 0)
		return rc;
	uint64_t key[2] = { name, map };
	uint32_t eid;
	if ((rc = ktab_get(&p->frames, key, sizeof(key), &eid)) < 0)
		return rc;
	*iid = (uint64_t)eid + 1;
	if (rc == 1) {
		struct pbw w;
		pbw_init(&w, intern);
		pbw_begin(&w, F_ID_FRAMES);
		pbw_uint(&w, F_FR_IID, *iid);
		pbw_uint(&w, F_FR_NAME, name);
		pbw_uint(&w, F_FR_MAPPING, map);
		pbw_uint(&w, F_FR_REL_PC, r->found || !r->dso ? 0 : r->offset);
		pbw_end(&w);
		if ((rc = pbw_error(&w)) < 0)
			return rc;
	}
	return 0;
}

/* Symbolized once per (input, pid, address-space generation, stack id),
 * interned once per distinct frame list. */
int pf_stacks_get(struct pf_stacks *p, struct tbuf *intern, struct symbolizer *sym, struct trec_reader *rd,
		  uint32_t host, const struct trec_event *ev, uint64_t *iid, int *kernel)
{
	*iid = 0;
	*kernel = 0;
	const struct trec_stack *st = ev->stack_id ? trec_reader_stack(rd, ev->stack_id) : NULL;
	if (!st || !sym)
		return 0;
	*kernel = st->nkernel > 0 && !p->no_kernel;
	uint32_t key[4] = { host, ev->pid, symbolizer_generation(sym, ev->pid, ev->ts), ev->stack_id }, eid;
	int rc = ktab_get(&p->by_ev, key, sizeof(key), &eid);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		*iid = p->by_ev.e[eid].v[0];
		return 0;
	}
	size_t n = (size_t)st->nkernel + st->nuser, k = 0;
	if (n > MAX_FRAMES)
		n = MAX_FRAMES;
	/* Root first (Perfetto's "bottom frame first"): trec's are leaf first. */
	for (size_t i = n; i-- > 0;) {
		int kern = i < st->nkernel;
		if (!st->ips[i] || (kern && p->no_kernel) || (!kern && p->no_user))
			continue;
		struct sym_result r;
		symbolize_frame(sym, ev->pid, ev->ts, st->ips[i], kern, sym_frame_is_return(i, st->nkernel), &r);
		if ((rc = intern_frame(p, intern, &r, &p->fid[k])) < 0)
			return rc;
		k++;
	}
	uint32_t sid;
	if ((rc = ktab_get(&p->stacks, p->fid, (uint32_t)(k * sizeof(uint64_t)), &sid)) < 0)
		return rc;
	*iid = (uint64_t)sid + 1;
	p->by_ev.e[eid].v[0] = *iid;
	if (rc == 1) {
		struct pbw w;
		pbw_init(&w, intern);
		pbw_begin(&w, F_ID_CALLSTACKS);
		pbw_uint(&w, F_CSK_IID, *iid);
		/* proto2 repeated uint64 without [packed]: one tag per id */
		for (size_t i = 0; i < k; i++)
			pbw_uint(&w, F_CSK_FRAMES, p->fid[i]);
		pbw_end(&w);
		if ((rc = pbw_error(&w)) < 0)
			return rc;
		p->ncallstacks++;
	}
	return 0;
}

