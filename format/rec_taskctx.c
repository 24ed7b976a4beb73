/* SPDX-License-Identifier: MIT */
/*
 * TASKCTX block (format 1.2): cgroup paths, and each task's cgroup and
 * pids in its innermost pid namespace. A 1.0/1.1 reader skips the kind.
 * Per record:
 *   svarint ts - previous record's ts (wrapping)
 *   uvarint kind (1 CGROUP, 2 TASK)
 *   CGROUP: uvarint cgroup_id (nonzero)
 *           str     path (1..TREC_MAX_NAME bytes, starts with '/')
 *   TASK:   uvarint pid
 *           svarint tid - pid
 *           uvarint cgroup_id (0: unknown)
 *           uvarint nspid (0: unknown)
 *           svarint nstid - nspid
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "taskctx"
#define MIN_BYTES 4 /* ts, kind, id, an empty-string length or pid */

static int valid(const struct trec_task_ctx *e)
{
	if (e->kind == TREC_TCTX_TASK)
		return 1;
	return e->kind == TREC_TCTX_CGROUP && e->cgroup_id && e->path && e->path[0] == '/' &&
	       strnlen(e->path, (size_t)TREC_MAX_NAME + 1) <= TREC_MAX_NAME;
}

int trec_task_ctx_encode(struct tbuf *out, const struct trec_task_ctx *t, size_t n)
{
	if (n && !t)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!valid(&t[i]))
			return -EINVAL;
	uint64_t prev_ts = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trec_task_ctx *e = &t[i];
		tbuf_put_svarint(out, (int64_t)(e->ts - prev_ts));
		prev_ts = e->ts;
		tbuf_put_uvarint(out, e->kind);
		if (e->kind == TREC_TCTX_CGROUP) {
			tbuf_put_uvarint(out, e->cgroup_id);
			tbuf_put_str(out, e->path);
			continue;
		}
		tbuf_put_uvarint(out, e->pid);
		tbuf_put_svarint(out, (int64_t)e->tid - (int64_t)e->pid);
		tbuf_put_uvarint(out, e->cgroup_id);
		tbuf_put_uvarint(out, e->nspid);
		tbuf_put_svarint(out, (int64_t)e->nstid - (int64_t)e->nspid);
	}
	return out->oom ? -ENOMEM : 0;
}

int trec_task_ctx_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
			 struct trec_task_ctx **out, struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_task_ctx), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_task_ctx *t = recs;
	uint64_t prev_ts = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct trec_task_ctx *e = &t[i];
		prev_ts = e->ts = prev_ts + (uint64_t)tcur_svarint(&c);
		e->kind = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->path = "";
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		if (e->kind == TREC_TCTX_CGROUP) {
			e->cgroup_id = tcur_uvarint(&c);
			if (c.err)
				return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
			if (!e->cgroup_id)
				return trec_errf(err, -EBADMSG, KIND " record %u: cgroup id 0", i);
			if ((rc = rec_get_str(KIND, &c, a, TREC_MAX_NAME, &e->path, NULL, i, "cgroup path", err)))
				return rc;
			if (e->path[0] != '/')
				return trec_errf(err, -EBADMSG, KIND " record %u: cgroup path does not start with '/'",
						 i);
			continue;
		}
		if (e->kind != TREC_TCTX_TASK)
			return trec_errf(err, -EBADMSG, KIND " record %u: unknown kind %u", i, e->kind);
		e->pid = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		int64_t dtid = tcur_svarint(&c);
		e->cgroup_id = tcur_uvarint(&c);
		e->nspid = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		int64_t dns = tcur_svarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		if (rec_add_u32(e->pid, dtid, &e->tid))
			return trec_errf(err, -EBADMSG, KIND " record %u: tid out of range", i);
		if (rec_add_u32(e->nspid, dns, &e->nstid))
			return trec_errf(err, -EBADMSG, KIND " record %u: namespace tid out of range", i);
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = t;
	return 0;
}
