/* SPDX-License-Identifier: MIT */
/*
 * TASKS block: process/thread history. Per record:
 *   svarint ts - previous record's ts (wrapping; records are time-ordered,
 *           so this is small and non-negative, but any order round-trips)
 *   uvarint kind (1..5)
 *   uvarint pid
 *   svarint tid - pid (0 for a process's main thread)
 *   u8      present: which of the optional fields follow (bit set = the
 *           value is nonzero / non-empty; absent fields decode as 0 / "")
 *             0x01 ppid      uvarint
 *             0x02 ptid      svarint ptid - ppid
 *             0x04 exit_code svarint
 *             0x08 comm      str, <= 15 bytes
 *             0x10 filename  str, <= TREC_MAX_NAME bytes
 * The mask keeps every field of every record lossless while a COMM or EXIT
 * record costs 5-6 bytes plus its string.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "rec_common.h"
#include "records.h"

#define KIND "tasks"
#define MIN_BYTES 5      /* ts, kind, pid, tid, present */
#define COMM_MAX 15      /* TASK_COMM_LEN - 1 */

enum {
	HAS_PPID = 0x01,
	HAS_PTID = 0x02,
	HAS_EXIT = 0x04,
	HAS_COMM = 0x08,
	HAS_FILE = 0x10,
	HAS_ALL = 0x1f,
};

static int valid_kind(uint32_t k) { return k >= TREC_TASK_SNAPSHOT && k <= TREC_TASK_EXIT; }

int trec_task_encode(struct tbuf *out, const struct trec_task *t, size_t n)
{
	if (n && !t)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!valid_kind(t[i].kind) || (t[i].comm && strnlen(t[i].comm, COMM_MAX + 1) > COMM_MAX) ||
		    (t[i].filename && strnlen(t[i].filename, (size_t)TREC_MAX_NAME + 1) > TREC_MAX_NAME))
			return -EINVAL;
	uint64_t prev_ts = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trec_task *e = &t[i];
		uint8_t has = (e->ppid ? HAS_PPID : 0) | (e->ptid ? HAS_PTID : 0) | (e->exit_code ? HAS_EXIT : 0) |
			      (e->comm && e->comm[0] ? HAS_COMM : 0) | (e->filename && e->filename[0] ? HAS_FILE : 0);
		tbuf_put_svarint(out, (int64_t)(e->ts - prev_ts));
		prev_ts = e->ts;
		tbuf_put_uvarint(out, e->kind);
		tbuf_put_uvarint(out, e->pid);
		tbuf_put_svarint(out, (int64_t)e->tid - (int64_t)e->pid);
		tbuf_put_u8(out, has);
		if (has & HAS_PPID)
			tbuf_put_uvarint(out, e->ppid);
		if (has & HAS_PTID)
			tbuf_put_svarint(out, (int64_t)e->ptid - (int64_t)e->ppid);
		if (has & HAS_EXIT)
			tbuf_put_svarint(out, e->exit_code);
		if (has & HAS_COMM)
			tbuf_put_str(out, e->comm);
		if (has & HAS_FILE)
			tbuf_put_str(out, e->filename);
	}
	return out->oom ? -ENOMEM : 0;
}

int trec_task_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_task **out,
		     struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_task), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_task *t = recs;

	uint64_t prev_ts = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct trec_task *e = &t[i];
		int r;
		prev_ts = e->ts = prev_ts + (uint64_t)tcur_svarint(&c);
		e->kind = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->pid = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		int64_t dtid = tcur_svarint(&c);
		uint8_t has = tcur_u8(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		if (!valid_kind(e->kind))
			return trec_errf(err, -EBADMSG, KIND " record %u: unknown kind %u", i, e->kind);
		if (rec_add_u32(e->pid, dtid, &e->tid))
			return trec_errf(err, -EBADMSG, KIND " record %u: tid out of range", i);
		if (has & ~HAS_ALL)
			return trec_errf(err, -EBADMSG, KIND " record %u: unknown field bits 0x%02x", i,
					 has & ~HAS_ALL);
		if (has & HAS_PPID)
			e->ppid = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		if (has & HAS_PTID) {
			int64_t d = tcur_svarint(&c);
			if (!c.err && rec_add_u32(e->ppid, d, &e->ptid))
				return trec_errf(err, -EBADMSG, KIND " record %u: ptid out of range", i);
		}
		if (has & HAS_EXIT) {
			int64_t x = tcur_svarint(&c);
			if (x < INT32_MIN || x > INT32_MAX)
				return trec_errf(err, -EBADMSG, KIND " record %u: exit code %" PRId64 " out of range", i,
						 x);
			e->exit_code = (int32_t)x;
		}
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		e->comm = e->filename = "";
		if ((has & HAS_COMM) && (r = rec_get_str(KIND, &c, a, COMM_MAX, &e->comm, NULL, i, "comm", err)))
			return r;
		if ((has & HAS_FILE) &&
		    (r = rec_get_str(KIND, &c, a, TREC_MAX_NAME, &e->filename, NULL, i, "filename", err)))
			return r;
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = t;
	return 0;
}
