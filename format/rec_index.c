/* SPDX-License-Identifier: MIT */
/*
 * INDEX block: the footer index. Payload:
 *   nentries (the block's record count) entries, each:
 *     svarint offset - expected offset, where the expected offset is where
 *             the previous entry's block ends (offset + TREC_BLOCK_HEADER_SIZE
 *             + comp_len) and TREC_FILE_HEADER_SIZE for entry 0: blocks are
 *             contiguous, so this is 0 for every block of a normal file
 *     uvarint kind (any value: readers skip kinds they do not know)
 *     uvarint stream, uvarint count
 *     uvarint comp_len (<= TREC_MAX_BLOCK_COMP)
 *     svarint raw_len - comp_len (raw_len <= TREC_MAX_BLOCK_RAW)
 *     svarint first_ts - previous entry's first_ts (wrapping)
 *     svarint last_ts - first_ts (wrapping)
 *   uvarint ntypes, then per type: svarint type - previous type, uvarint count
 *   uvarint events, uvarint lost
 */
#include <errno.h>
#include <inttypes.h>

#include "rec_common.h"
#include "records.h"

#define KIND "index"
#define ENTRY_MIN_BYTES 8
#define TYPE_MIN_BYTES 2

int trec_index_encode(struct tbuf *out, const struct trec_index *ix)
{
	if (!ix || (ix->nentries && !ix->entries) || (ix->ntypes && !ix->types))
		return -EINVAL;
	for (uint32_t i = 0; i < ix->nentries; i++)
		if (ix->entries[i].comp_len > TREC_MAX_BLOCK_COMP || ix->entries[i].raw_len > TREC_MAX_BLOCK_RAW)
			return -EINVAL;
	uint64_t expect = TREC_FILE_HEADER_SIZE, prev_ts = 0;
	for (uint32_t i = 0; i < ix->nentries; i++) {
		const struct trec_index_entry *e = &ix->entries[i];
		tbuf_put_svarint(out, (int64_t)(e->offset - expect));
		tbuf_put_uvarint(out, e->kind);
		tbuf_put_uvarint(out, e->stream);
		tbuf_put_uvarint(out, e->count);
		tbuf_put_uvarint(out, e->comp_len);
		tbuf_put_svarint(out, (int64_t)e->raw_len - (int64_t)e->comp_len);
		tbuf_put_svarint(out, (int64_t)(e->first_ts - prev_ts));
		tbuf_put_svarint(out, (int64_t)(e->last_ts - e->first_ts));
		expect = e->offset + TREC_BLOCK_HEADER_SIZE + e->comp_len;
		prev_ts = e->first_ts;
	}
	tbuf_put_uvarint(out, ix->ntypes);
	uint32_t prev_type = 0;
	for (uint32_t i = 0; i < ix->ntypes; i++) {
		tbuf_put_svarint(out, (int64_t)ix->types[i].type - (int64_t)prev_type);
		tbuf_put_uvarint(out, ix->types[i].count);
		prev_type = ix->types[i].type;
	}
	tbuf_put_uvarint(out, ix->events);
	tbuf_put_uvarint(out, ix->lost);
	return out->oom ? -ENOMEM : 0;
}

static int get_entry(struct tcur *c, struct trec_index_entry *e, uint64_t *expect, uint64_t *prev_ts, uint32_t i,
		     struct trec_err *err)
{
	e->offset = *expect + (uint64_t)tcur_svarint(c);
	e->kind = (uint32_t)tcur_uvarint_max(c, UINT32_MAX);
	e->stream = (uint32_t)tcur_uvarint_max(c, UINT32_MAX);
	e->count = (uint32_t)tcur_uvarint_max(c, UINT32_MAX);
	e->comp_len = (uint32_t)tcur_uvarint_max(c, TREC_MAX_BLOCK_COMP);
	int64_t draw = tcur_svarint(c);
	e->first_ts = *prev_ts + (uint64_t)tcur_svarint(c);
	e->last_ts = e->first_ts + (uint64_t)tcur_svarint(c);
	if (c->err)
		return trec_errf(err, -EBADMSG, KIND " record %u: truncated, malformed or past the limits", i);
	if (rec_add_u32(e->comp_len, draw, &e->raw_len) || e->raw_len > TREC_MAX_BLOCK_RAW)
		return trec_errf(err, -EBADMSG, KIND " record %u: raw length out of range 0..%u", i,
				 TREC_MAX_BLOCK_RAW);
	*expect = e->offset + TREC_BLOCK_HEADER_SIZE + e->comp_len;
	*prev_ts = e->first_ts;
	return 0;
}

/* Not rec_begin()/rec_end(): the count is of entries, the payload goes on
 * after them with the type counts and totals, and the messages say so
 * ("entries", "after the totals"). */
int trec_index_decode(const void *p, size_t len, uint32_t count, struct tarena *a, struct trec_index *out,
		      struct trec_err *err)
{
	struct tcur c;
	*out = (struct trec_index){ 0 };
	if (!p && len)
		return trec_errf(err, -EINVAL, KIND ": NULL payload");
	if (count > len / ENTRY_MIN_BYTES)
		return trec_errf(err, -EBADMSG, KIND ": %u entries cannot fit in %zu bytes", count, len);
	struct trec_index_entry *ent = NULL;
	if (count && !(ent = tarena_alloc(a, (size_t)count * sizeof(*ent))))
		return rec_oom(KIND, err);
	tcur_init(&c, len ? p : "", len);

	uint64_t expect = TREC_FILE_HEADER_SIZE, prev_ts = 0;
	for (uint32_t i = 0; i < count; i++) {
		int r = get_entry(&c, &ent[i], &expect, &prev_ts, i, err);
		if (r)
			return r;
	}

	uint64_t nt = tcur_uvarint(&c);
	if (c.err)
		return trec_errf(err, -EBADMSG, KIND ": truncated before type counts");
	if (nt > UINT32_MAX || nt > tcur_left(&c) / TYPE_MIN_BYTES)
		return trec_errf(err, -EBADMSG, KIND ": %" PRIu64 " type counts cannot fit in %zu bytes", nt,
				 tcur_left(&c));
	struct trec_type_count *tc = NULL;
	if (nt && !(tc = tarena_alloc(a, (size_t)nt * sizeof(*tc))))
		return rec_oom(KIND, err);
	uint32_t prev_type = 0;
	for (uint32_t i = 0; i < nt; i++) {
		int64_t d = tcur_svarint(&c);
		tc[i].count = tcur_uvarint(&c);
		if (c.err)
			return trec_errf(err, -EBADMSG, KIND ": type count %u truncated or malformed", i);
		if (rec_add_u32(prev_type, d, &tc[i].type))
			return trec_errf(err, -EBADMSG, KIND ": type count %u: type out of range", i);
		prev_type = tc[i].type;
	}
	uint64_t events = tcur_uvarint(&c), lost = tcur_uvarint(&c);
	if (c.err)
		return trec_errf(err, -EBADMSG, KIND ": truncated before totals");
	if (tcur_left(&c))
		return trec_errf(err, -EBADMSG, KIND ": %zu bytes of trailing garbage after the totals",
				 tcur_left(&c));
	out->nentries = count;
	out->entries = ent;
	out->ntypes = (uint32_t)nt;
	out->types = tc;
	out->events = events;
	out->lost = lost;
	return 0;
}
