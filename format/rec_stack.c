/* SPDX-License-Identifier: MIT */
/*
 * STACKS block: deduplicated stacks. Per record:
 *   svarint id - previous id (ids are handed out 1, 2, 3...: one byte)
 *   uvarint nkernel, uvarint nuser
 *   nkernel + nuser svarint ips, each the zigzag delta from the previous
 *   frame of the same stack
 * The "previous frame" starts at 0 for the first kernel frame and again
 * for the first user frame: a delta across the kernel/user boundary would
 * cost more than the absolute address. Frames within one DSO are close, so
 * most deltas take 2-4 bytes instead of 8.
 * Limits: id >= 1, nkernel + nuser <= TREC_MAX_STACK_DEPTH.
 */
#include <errno.h>
#include <inttypes.h>

#include "rec_common.h"
#include "records.h"

#define KIND "stacks"
#define MIN_BYTES 3 /* id, nkernel, nuser */

static void put_ips(struct tbuf *out, const uint64_t *ips, uint32_t n)
{
	uint64_t prev = 0;
	for (uint32_t k = 0; k < n; k++) {
		/* Wrapping difference, read back as signed: exact for any pair. */
		tbuf_put_svarint(out, (int64_t)(ips[k] - prev));
		prev = ips[k];
	}
}

int trec_stack_encode(struct tbuf *out, const struct trec_stack *s, size_t n)
{
	if (n && !s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint32_t depth = (uint32_t)s[i].nkernel + s[i].nuser;
		if (!s[i].id || depth > TREC_MAX_STACK_DEPTH || (depth && !s[i].ips))
			return -EINVAL;
	}
	uint32_t prev_id = 0;
	for (size_t i = 0; i < n; i++) {
		tbuf_put_svarint(out, (int64_t)s[i].id - (int64_t)prev_id);
		prev_id = s[i].id;
		tbuf_put_uvarint(out, s[i].nkernel);
		tbuf_put_uvarint(out, s[i].nuser);
		put_ips(out, s[i].ips, s[i].nkernel);
		put_ips(out, s[i].ips + s[i].nkernel, s[i].nuser);
	}
	return out->oom ? -ENOMEM : 0;
}

static void get_ips(struct tcur *c, uint64_t *ips, uint32_t n)
{
	uint64_t prev = 0;
	for (uint32_t k = 0; k < n; k++)
		prev = ips[k] = prev + (uint64_t)tcur_svarint(c);
}

int trec_stack_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_stack **out,
		      struct trec_err *err)
{
	struct tcur c;
	void *recs;
	*out = NULL;
	int rc = rec_begin(KIND, p, len, count, MIN_BYTES, sizeof(struct trec_stack), a, &recs, &c, err);
	if (rc)
		return rc;
	struct trec_stack *st = recs;

	int64_t prev_id = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct trec_stack *s = &st[i];
		int64_t d = tcur_svarint(&c);
		uint64_t nk = tcur_uvarint(&c), nu = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND " record %u: truncated or malformed header", i);
		if (d < 1 - prev_id || d > (int64_t)UINT32_MAX - prev_id)
			return trec_errf(err, -EBADMSG, KIND " record %u: id out of range 1..%" PRIu32, i, UINT32_MAX);
		s->id = (uint32_t)(prev_id + d);
		prev_id = s->id;
		if (nk > TREC_MAX_STACK_DEPTH || nu > TREC_MAX_STACK_DEPTH || nk + nu > TREC_MAX_STACK_DEPTH)
			return trec_errf(err, -EBADMSG, KIND " record %u (id %u): %" PRIu64 " kernel + %" PRIu64
					 " user frames exceeds %u", i, s->id, nk, nu, TREC_MAX_STACK_DEPTH);
		uint32_t depth = (uint32_t)(nk + nu);
		if (depth > tcur_left(&c)) /* every frame takes at least one byte */
			return trec_errf(err, -EBADMSG, KIND " record %u (id %u): %u frames cannot fit in %zu bytes", i,
					 s->id, depth, tcur_left(&c));
		s->nkernel = (uint16_t)nk;
		s->nuser = (uint16_t)nu;
		if (depth) {
			uint64_t *ips = tarena_alloc(a, (size_t)depth * sizeof(*ips));
			if (!ips)
				return rec_oom(KIND, err);
			get_ips(&c, ips, s->nkernel);
			get_ips(&c, ips + s->nkernel, s->nuser);
			if (c.err)
				return trec_errf(err, -EBADMSG, KIND " record %u (id %u): frames truncated or malformed",
						 i, s->id);
			s->ips = ips;
		}
	}
	if ((rc = rec_end(KIND, &c, count, err)))
		return rc;
	*out = st;
	return 0;
}
