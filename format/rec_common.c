/* SPDX-License-Identifier: MIT */
/*
 * The decoder prologue, epilogue and string reader every block codec
 * shares; see rec_common.h. Tests match the messages below word for word,
 * and readers of a damaged file see them, so they are part of the format's
 * behaviour: change them only on purpose.
 */
#include <errno.h>
#include <inttypes.h>

#include "rec_common.h"

int rec_oom(const char *kind, struct trec_err *err)
{
	return trec_errf(err, -ENOMEM, "%s: out of memory", kind);
}

int rec_begin(const char *kind, const void *p, size_t len, uint32_t count, size_t min_bytes, size_t rec_size,
	      struct tarena *a, void **recs, struct tcur *c, struct trec_err *err)
{
	*recs = NULL;
	if (!p && len)
		return trec_errf(err, -EINVAL, "%s: NULL payload", kind);
	if (count > len / min_bytes)
		return trec_errf(err, -EBADMSG, "%s: %u records cannot fit in %zu bytes", kind, count, len);
	/* count <= len / min_bytes, so this product cannot overflow. */
	if (count && !(*recs = tarena_alloc(a, (size_t)count * rec_size)))
		return rec_oom(kind, err);
	/* An empty payload may come as NULL; the cursor still needs a base. */
	tcur_init(c, len ? p : "", len);
	return 0;
}

int rec_end(const char *kind, const struct tcur *c, uint32_t count, struct trec_err *err)
{
	if (tcur_left(c))
		return trec_errf(err, -EBADMSG, "%s: %zu bytes of trailing garbage after %u records", kind,
				 tcur_left(c), count);
	return 0;
}

int rec_get_str(const char *kind, struct tcur *c, struct tarena *a, size_t max, const char **out,
		uint32_t *len, uint32_t i, const char *what, struct trec_err *err)
{
	uint64_t n = tcur_uvarint(c);
	if (c->err)
		return trec_errf(err, -EBADMSG, "%s record %u: truncated before %s", kind, i, what);
	if (n > max)
		return trec_errf(err, -EBADMSG, "%s record %u: %s of %" PRIu64 " bytes exceeds %zu", kind, i, what,
				 n, max);
	const uint8_t *p = tcur_take(c, (size_t)n);
	if (!p)
		return trec_errf(err, -EBADMSG, "%s record %u: %s of %" PRIu64 " bytes runs past the end", kind, i,
				 what, n);
	char *d = tarena_strndup(a, (const char *)p, (size_t)n);
	if (!d)
		return rec_oom(kind, err);
	*out = d;
	if (len)
		*len = (uint32_t)n; /* n <= max, and every caller's max fits a u32 */
	return 0;
}
