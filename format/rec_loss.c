/* SPDX-License-Identifier: MIT */
/*
 * LOSS block: loss records. Per record:
 *   svarint ts - previous record's ts (wrapping)
 *   uvarint cpu, uvarint type, uvarint reason (1..4), uvarint count
 */
#include <errno.h>

#include "rec_common.h"
#include "records.h"

#define KIND "loss"
#define MIN_BYTES 5

static int valid_reason(uint32_t r) { return r >= TREC_LOSS_RINGBUF && r <= TREC_LOSS_OTHER; }

int trec_loss_encode(struct tbuf *out, const struct trec_loss *l, size_t n)
{
	if (n && !l)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!valid_reason(l[i].reason))
			return -EINVAL;
	uint64_t prev_ts = 0;
	for (size_t i = 0; i < n; i++) {
		tbuf_put_svarint(out, (int64_t)(l[i].ts - prev_ts));
		prev_ts = l[i].ts;
		tbuf_put_uvarint(out, l[i].cpu);
		tbuf_put_uvarint(out, l[i].type);
		tbuf_put_uvarint(out, l[i].reason);
		tbuf_put_uvarint(out, l[i].count);
	}
	return out->oom ? -ENOMEM : 0;
}

int trec_loss_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_loss **out,
		     struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_loss), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_loss *l = recs;

	uint64_t prev_ts = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct trec_loss *e = &l[i];
		prev_ts = e->ts = prev_ts + (uint64_t)tcur_svarint(&c);
		e->cpu = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->type = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->reason = (uint32_t)tcur_uvarint_max(&c, UINT32_MAX);
		e->count = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed", i);
		if (!valid_reason(e->reason))
			return trec_errf(err, -EBADMSG, KIND " record %u: unknown reason %u", i, e->reason);
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = l;
	return 0;
}
