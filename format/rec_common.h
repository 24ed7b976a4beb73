/* SPDX-License-Identifier: MIT */
/*
 * Decoder plumbing shared by the block codecs in format/ (rec_*.c and the
 * SCHEMA codec in schema.c). Internal to format/: not part of the public
 * API, and no header outside format/ includes it.
 *
 * Every decoder has the same shape: rec_begin() checks the payload against
 * the record count and allocates the records, the codec parses `count`
 * records from the cursor, and rec_end() rejects what is left over. `kind`
 * is the block kind's name ("maps", "tasks", ...) that starts every error
 * message, so all kinds report problems in the same words.
 */
#ifndef TREC_REC_COMMON_H
#define TREC_REC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"

/*
 * Checks the payload (p may be NULL only when len is 0), rejects a count
 * that cannot fit in len bytes when every record takes at least min_bytes
 * (so a hostile count cannot make us allocate more than the payload
 * justifies), allocates count zeroed records of rec_size bytes from the
 * arena into *recs (NULL when count is 0) and points c at the payload.
 * Returns 0, -EINVAL, -EBADMSG or -ENOMEM.
 */
int rec_begin(const char *kind, const void *p, size_t len, uint32_t count, size_t min_bytes, size_t rec_size,
	      struct tarena *a, void **recs, struct tcur *c, struct trec_err *err);

/* After the last record: bytes left over mean the count or a length lied.
 * Returns 0 or -EBADMSG. */
int rec_end(const char *kind, const struct tcur *c, uint32_t count, struct trec_err *err);

/*
 * A length-prefixed string of at most max bytes, copied into the arena
 * with a NUL appended; its length goes to *len when len is non-NULL (for
 * values that may hold NULs). i and what name the record and the field in
 * error messages. Returns 0, -EBADMSG or -ENOMEM.
 */
int rec_get_str(const char *kind, struct tcur *c, struct tarena *a, size_t max, const char **out,
		uint32_t *len, uint32_t i, const char *what, struct trec_err *err);

/* Applies a delta-coded u32 field: v + d must land in [0, UINT32_MAX].
 * Returns 0 with *out set, or -1 (the caller words the error). Inline: it
 * runs once or twice per record. */
static inline int rec_add_u32(int64_t v, int64_t d, uint32_t *out)
{
	if (d < -v || d > (int64_t)UINT32_MAX - v)
		return -1;
	*out = (uint32_t)(v + d);
	return 0;
}

/* The arena ran dry: the message every decoder uses. Returns -ENOMEM. */
int rec_oom(const char *kind, struct trec_err *err);

#endif
