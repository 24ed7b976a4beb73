/* SPDX-License-Identifier: MIT */
/*
 * Option structs, libbpf style. An engine that takes settings takes a
 * struct whose first member is `size_t sz`, set by the caller to
 * sizeof(the struct it was built with). Fields added at the end later
 * keep old callers working: the engine reads only what the caller's
 * struct has, and a newer caller's struct may be larger only if what this
 * build does not know is left zero.
 *
 *   struct x_opts o = { .sz = sizeof(o), .level = 3 };
 *   x_new(&o, ...);
 *
 *   OPTS_HAS(o, level)          the caller's struct has the field
 *   OPTS_GET(o, level, 1)       the field, or a fallback when it has not
 *   opts_copy(&mine, sizeof(mine), o, o ? o->sz : 0)
 *                               the caller's options into this build's
 *                               struct (the rest zero); -EINVAL when the
 *                               caller set bytes this build does not know
 */
#ifndef TREC_OPTS_H
#define TREC_OPTS_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define OPTS_HAS(opts, field)                                                                            \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* Copies src (the caller's options, src_sz bytes by its own account; 0
 * when the caller left sz unset: then the whole struct is taken, as
 * before sz existed) into dst (dst_size bytes), zeroing what src lacks,
 * and sets dst's sz to dst_size. 0, or -EINVAL when src is larger than
 * dst and a byte past dst_size is set (an option this build lacks). */
static inline int opts_copy(void *dst, size_t dst_size, const void *src, size_t src_sz)
{
	memset(dst, 0, dst_size);
	if (src) {
		for (size_t i = dst_size; i < src_sz; i++)
			if (((const unsigned char *)src)[i])
				return -EINVAL;
		memcpy(dst, src, src_sz && src_sz < dst_size ? src_sz : dst_size);
	}
	size_t sz = dst_size;
	memcpy(dst, &sz, sizeof(sz)); /* every option struct starts with size_t sz */
	return 0;
}

#endif
