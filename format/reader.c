/* SPDX-License-Identifier: MIT */
/*
 * Trace reader: see reader.h for the contract.
 *
 * Nothing read from the file is trusted before a check vouches for it:
 * the header and every block header carry a CRC; a payload is checked
 * against its CRC before zstd sees it; zstd must produce exactly the raw
 * length the header declared (itself bounded); and the kind's decoder
 * bounds every count and length it reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"
#include "buf.h"
#include "opts.h"
#include "reader.h"
#include "reader_int.h"

#define SCAN_CHUNK 65536

static void warn(struct trec_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct trec_reader *r, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* Bounded: a file with a million bad blocks must not grow this without end. */
	if (r->warnings.len > 64 * 1024)
		return;
	if (r->warnings.len)
		r->warnings.len--; /* drop the previous NUL */
	tbuf_put(&r->warnings, line, (size_t)n);
	tbuf_put(&r->warnings, "\n", 2);
}

const char *trec_reader_warnings(const struct trec_reader *r)
{
	return r->warnings.len ? (const char *)r->warnings.data : "";
}

static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -ENODATA;
		done += (size_t)k;
	}
	return 0;
}

static int add_block(struct trec_reader *r, uint64_t off, const struct trec_block_header *h)
{
	if (r->info.nblocks == r->blocks_cap) {
		uint32_t cap = r->blocks_cap ? r->blocks_cap * 2 : 64;
		void *p = realloc(r->blocks, cap * sizeof(*r->blocks));
		if (!p)
			return -ENOMEM;
		r->blocks = p;
		r->blocks_cap = cap;
	}
	r->blocks[r->info.nblocks++] = (struct trec_block_info){ .offset = off, .h = *h };
	return 0;
}

static const char *kind_name(unsigned k)
{
	return trec_block_kind_name(k);
}

/* ---- finding blocks ------------------------------------------------------ */

/* Reads, checks and decompresses the payload of the block at `off` whose
 * header is `h`, into r->raw. */
static int load_payload(struct trec_reader *r, uint32_t bi, uint64_t off,
			const struct trec_block_header *h, struct trec_err *err)
{
	uint64_t poff = off + TREC_BLOCK_HEADER_SIZE;
	if (poff + h->comp_len > r->info.file_bytes)
		return trec_errf(err, -EBADMSG, "%s: block %u (%s) at offset %llu: payload runs past the end of the file",
				 r->path, bi, kind_name(h->kind), (unsigned long long)off);
	tbuf_reset(&r->io);
	if (tbuf_reserve(&r->io, h->comp_len ? h->comp_len : 1))
		return trec_errf(err, -ENOMEM, "%s: out of memory", r->path);
	int rc = pread_full(r->fd, r->io.data, h->comp_len, poff);
	if (rc < 0)
		return trec_errf(err, rc, "%s: reading block %u at offset %llu: %s", r->path, bi,
				 (unsigned long long)off, strerror(-rc));
	r->stats.bytes_read += h->comp_len;
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* (Fuzzing builds skip this so mutated payloads reach the decoders.) */
	if (crc32c(0, r->io.data, h->comp_len) != h->payload_crc)
		return trec_errf(err, -EBADMSG, "%s: block %u (%s) at offset %llu: payload checksum mismatch (corrupt data)",
				 r->path, bi, kind_name(h->kind), (unsigned long long)off);
#endif
	tbuf_reset(&r->raw);
	if (tbuf_reserve(&r->raw, h->raw_len ? h->raw_len : 1))
		return trec_errf(err, -ENOMEM, "%s: out of memory", r->path);
	if (h->flags & TREC_BLKF_ZSTD) {
		rc = trec_payload_decompress(r->zd, r->io.data, h->comp_len, r->raw.data, h->raw_len);
		if (rc < 0)
			return trec_errf(err, rc, "%s: block %u (%s) at offset %llu: zstd payload does not decompress to %u bytes",
					 r->path, bi, kind_name(h->kind), (unsigned long long)off, h->raw_len);
		r->stats.blocks_decompressed++;
	} else if (h->comp_len) {
		memcpy(r->raw.data, r->io.data, h->comp_len);
	}
	r->raw.len = h->raw_len;
	return 0;
}

static int same_header(const struct trec_block_header *a, const struct trec_block_header *b)
{
	return a->kind == b->kind && a->flags == b->flags && a->comp_len == b->comp_len &&
	       a->raw_len == b->raw_len && a->count == b->count && a->stream == b->stream &&
	       a->first_ts == b->first_ts && a->last_ts == b->last_ts && a->payload_crc == b->payload_crc;
}

/* Loads block i: re-reads its header (an index entry is a claim, the header
 * is the checked truth) and its payload. */
int reader_load_block(struct trec_reader *r, uint32_t i, struct trec_err *err)
{
	struct trec_block_info *b = &r->blocks[i];
	uint8_t hb[TREC_BLOCK_HEADER_SIZE];
	int rc = pread_full(r->fd, hb, sizeof(hb), b->offset);
	if (rc < 0)
		return trec_errf(err, rc == -ENODATA ? -EBADMSG : rc, "%s: reading block %u header at offset %llu: %s",
				 r->path, i, (unsigned long long)b->offset, strerror(-rc));
	struct trec_block_header h;
	struct trec_err e2 = { 0 };
	rc = trec_block_header_unpack(hb, b->offset, &h, &e2);
	if (rc < 0)
		return trec_errf(err, rc, "%s: block %u: %s", r->path, i, e2.msg);
	if (!same_header(&h, &b->h))
		return trec_errf(err, -EBADMSG, "%s: block %u at offset %llu does not match the footer index",
				 r->path, i, (unsigned long long)b->offset);
	return load_payload(r, i, b->offset, &h, err);
}

void reader_mark_bad(struct trec_reader *r, uint32_t i, const char *why)
{
	if (!r->blocks[i].bad) {
		r->blocks[i].bad = 1;
		r->info.corrupt_blocks++;
		warn(r, "skipped %s", why);
	}
}

/* True when bytes [off, size) are all zero: a tail that a crash left
 * allocated but never written (delayed allocation after power loss). */
static int zero_tail(struct trec_reader *r, uint64_t off)
{
	uint8_t buf[4096];
	while (off < r->info.file_bytes) {
		size_t n = r->info.file_bytes - off < sizeof(buf) ? (size_t)(r->info.file_bytes - off) : sizeof(buf);
		if (pread_full(r->fd, buf, n, off) < 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return 0;
		off += n;
	}
	return 1;
}

/* Finds the next offset > off holding a block header with a valid CRC. */
static uint64_t resync(struct trec_reader *r, uint64_t off)
{
	static const uint8_t magic[4] = { 'T', 'B', 'L', 'K' };
	uint8_t *buf = malloc(SCAN_CHUNK + TREC_BLOCK_HEADER_SIZE);
	if (!buf)
		return r->info.file_bytes;
	uint64_t pos = off + 1;
	while (pos + TREC_BLOCK_HEADER_SIZE <= r->info.file_bytes) {
		size_t want = SCAN_CHUNK + TREC_BLOCK_HEADER_SIZE;
		if (r->info.file_bytes - pos < want)
			want = (size_t)(r->info.file_bytes - pos);
		if (pread_full(r->fd, buf, want, pos) < 0)
			break;
		for (size_t i = 0; i + TREC_BLOCK_HEADER_SIZE <= want; i++) {
			if (memcmp(buf + i, magic, 4) != 0)
				continue;
			struct trec_block_header h;
			if (trec_block_header_unpack(buf + i, pos + i, &h, NULL) == 0) {
				free(buf);
				return pos + i;
			}
		}
		if (want < SCAN_CHUNK + TREC_BLOCK_HEADER_SIZE)
			break;
		pos += SCAN_CHUNK;
	}
	free(buf);
	return r->info.file_bytes;
}

static void set_truncated(struct trec_reader *r, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_truncated(struct trec_reader *r, uint64_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->truncation, sizeof(r->truncation), fmt, ap);
	va_end(ap);
	r->info.truncated = 1;
	r->info.truncated_at = at;
	r->info.truncation = r->truncation;
}

/* Walks block headers from the start of the file. */
static int scan_blocks(struct trec_reader *r, struct trec_err *err)
{
	uint64_t off = TREC_FILE_HEADER_SIZE, size = r->info.file_bytes;
	while (off < size) {
		uint8_t hb[TREC_BLOCK_HEADER_SIZE];
		if (size - off == TREC_TRAILER_SIZE) {
			struct trec_trailer t;
			uint8_t tb[TREC_TRAILER_SIZE];
			if (pread_full(r->fd, tb, sizeof(tb), off) == 0 && trec_trailer_unpack(tb, &t) == 0)
				return 0; /* a clean end; the index was skipped on purpose */
		}
		if (size - off < TREC_BLOCK_HEADER_SIZE) {
			set_truncated(r, off, "%llu stray bytes at offset %llu where a block header should start",
				      (unsigned long long)(size - off), (unsigned long long)off);
			return 0;
		}
		int rc = pread_full(r->fd, hb, sizeof(hb), off);
		if (rc < 0)
			return trec_errf(err, rc, "%s: reading offset %llu: %s", r->path,
					 (unsigned long long)off, strerror(-rc));
		struct trec_block_header h;
		struct trec_err e2 = { 0 };
		if (trec_block_header_unpack(hb, off, &h, &e2) < 0) {
			if (zero_tail(r, off)) {
				set_truncated(r, off, "zero-filled tail from offset %llu (data never written before a crash)",
					      (unsigned long long)off);
				return 0;
			}
			/* The ordinal it would have had: the reader's block numbers. */
			if (!r->o.ignore_corrupt)
				return trec_errf(err, -EBADMSG, "%s: block %u: %s (use --ignore-corrupt to skip bad blocks)",
						 r->path, r->info.nblocks, e2.msg);
			uint64_t next = resync(r, off);
			r->info.corrupt_blocks++;
			warn(r, "skipped %llu corrupt bytes at offset %llu: %s", (unsigned long long)(next - off),
			     (unsigned long long)off, e2.msg);
			off = next;
			continue;
		}
		if (h.comp_len > size - off - TREC_BLOCK_HEADER_SIZE) {
			set_truncated(r, off, "block at offset %llu (%s) is incomplete: needs %u payload bytes, file has %llu",
				      (unsigned long long)off, kind_name(h.kind), h.comp_len,
				      (unsigned long long)(size - off - TREC_BLOCK_HEADER_SIZE));
			return 0;
		}
		if (h.kind != TREC_BLK_INDEX) {
			rc = add_block(r, off, &h);
			if (rc < 0)
				return trec_errf(err, rc, "%s: out of memory", r->path);
		}
		off += TREC_BLOCK_HEADER_SIZE + h.comp_len;
	}
	set_truncated(r, off, "no footer index after the last complete block at offset %llu "
			      "(recorder killed or still writing; `trec recover` rewrites it)",
		      (unsigned long long)off);
	return 0;
}

/* Why index entry x cannot describe a block lying in [prev_end, limit)
 * (the end of the previous entry's block, the index block's offset), or
 * NULL when it can. Written so that no sum of file values can wrap. */
static const char *index_entry_problem(const struct trec_index_entry *x, uint64_t prev_end, uint64_t limit)
{
	if (x->kind == 0 || x->kind > 0xffff)
		return "has an invalid kind";
	if (x->comp_len > TREC_MAX_BLOCK_COMP || x->raw_len > TREC_MAX_BLOCK_RAW)
		return "exceeds the block size limit";
	if (x->offset < prev_end)
		return "overlaps the block before it";
	/* Checked as a difference: offset + length could wrap past 2^64. */
	if (x->offset > limit || TREC_BLOCK_HEADER_SIZE + (uint64_t)x->comp_len > limit - x->offset)
		return "ends past the blocks";
	if (x->first_ts > x->last_ts)
		return "has its first timestamp after its last";
	return NULL;
}

/* Uses the footer index if the trailer and the index block check out.
 * Returns 1 when used, 0 to fall back to scanning. */
static int read_index(struct trec_reader *r)
{
	uint64_t size = r->info.file_bytes;
	if (size < TREC_FILE_HEADER_SIZE + TREC_BLOCK_HEADER_SIZE + TREC_TRAILER_SIZE)
		return 0;
	uint8_t tb[TREC_TRAILER_SIZE];
	struct trec_trailer t;
	if (pread_full(r->fd, tb, sizeof(tb), size - TREC_TRAILER_SIZE) < 0 || trec_trailer_unpack(tb, &t) < 0)
		return 0;
	if (t.index_offset < TREC_FILE_HEADER_SIZE || t.index_len < TREC_BLOCK_HEADER_SIZE ||
	    t.index_offset > size - TREC_TRAILER_SIZE || t.index_len != size - TREC_TRAILER_SIZE - t.index_offset) {
		warn(r, "footer trailer points outside the file or not at the block before it "
			"(index at offset %llu, %llu bytes); reading blocks one by one",
		     (unsigned long long)t.index_offset, (unsigned long long)t.index_len);
		return 0;
	}
	uint8_t hb[TREC_BLOCK_HEADER_SIZE];
	struct trec_block_header h;
	struct trec_err e = { 0 };
	if (pread_full(r->fd, hb, sizeof(hb), t.index_offset) < 0 ||
	    trec_block_header_unpack(hb, t.index_offset, &h, &e) < 0 || h.kind != TREC_BLK_INDEX ||
	    TREC_BLOCK_HEADER_SIZE + (uint64_t)h.comp_len != t.index_len) {
		warn(r, "footer index block at offset %llu is damaged; reading blocks one by one",
		     (unsigned long long)t.index_offset);
		return 0;
	}
	if (load_payload(r, 0, t.index_offset, &h, &e) < 0 ||
	    trec_index_decode(r->raw.data, r->raw.len, h.count, &r->arena, &r->index, &e) < 0) {
		warn(r, "footer index block at offset %llu unusable (%s); reading blocks one by one",
		     (unsigned long long)t.index_offset, e.msg);
		return 0;
	}
	/* Entries must tile the file between header and index, in order. */
	uint64_t prev_end = TREC_FILE_HEADER_SIZE;
	for (uint32_t i = 0; i < r->index.nentries; i++) {
		const struct trec_index_entry *x = &r->index.entries[i];
		const char *why = index_entry_problem(x, prev_end, t.index_offset);
		if (why) {
			warn(r, "footer index entry %u (%s block at offset %llu, %u bytes) %s; reading blocks one by one",
			     i, kind_name(x->kind), (unsigned long long)x->offset, x->comp_len, why);
			r->info.nblocks = 0;
			return 0;
		}
		prev_end = x->offset + TREC_BLOCK_HEADER_SIZE + x->comp_len;
		struct trec_block_header bh = {
			.kind = (uint16_t)x->kind, .comp_len = x->comp_len, .raw_len = x->raw_len,
			.count = x->count, .stream = x->stream, .first_ts = x->first_ts, .last_ts = x->last_ts,
		};
		if (add_block(r, x->offset, &bh) < 0) {
			r->info.nblocks = 0;
			return 0;
		}
	}
	/* Flags and payload CRC are not in the index: take them from the headers
	 * lazily? No: read all headers now; 48 bytes each, and they are the
	 * checked truth that load_block compares against. */
	for (uint32_t i = 0; i < r->info.nblocks; i++) {
		struct trec_block_info *b = &r->blocks[i];
		struct trec_block_header fh;
		if (pread_full(r->fd, hb, sizeof(hb), b->offset) < 0 ||
		    trec_block_header_unpack(hb, b->offset, &fh, NULL) < 0 || fh.kind != b->h.kind ||
		    fh.comp_len != b->h.comp_len || fh.raw_len != b->h.raw_len || fh.count != b->h.count ||
		    fh.first_ts != b->h.first_ts || fh.last_ts != b->h.last_ts || fh.stream != b->h.stream) {
			if (r->o.ignore_corrupt) {
				reader_mark_bad(r, i, "a block whose header disagrees with the footer index");
				char msg[200];
				snprintf(msg, sizeof(msg), "block %u (%s) at offset %llu", i, kind_name(b->h.kind),
					 (unsigned long long)b->offset);
				warn(r, "  (%s)", msg);
				continue;
			}
			warn(r, "block %u header at offset %llu disagrees with the footer index; reading blocks one by one",
			     i, (unsigned long long)b->offset);
			r->info.nblocks = 0;
			return 0;
		}
		b->h = fh;
	}
	r->have_index = 1;
	return 1;
}

int trec_reader_open(struct trec_reader **out, const char *path, const struct trec_reader_opts *opts,
		     struct trec_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return trec_errf(err, -errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return trec_errf(err, -e, "cannot stat %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return trec_errf(err, -EINVAL, "%s is not a regular file", path);
	}
	struct trec_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return trec_errf(err, -ENOMEM, "out of memory");
	}
	r->fd = fd;
	r->path = strdup(path);
	if (opts_copy(&r->o, sizeof(r->o), opts, opts ? opts->sz : 0)) {
		free(r->path);
		free(r);
		close(fd);
		return trec_errf(err, -EINVAL, "%s: reader options this build does not know are set", path);
	}
	r->info.file_bytes = (uint64_t)st.st_size;
	tbuf_init(&r->warnings);
	tbuf_init(&r->io);
	tbuf_init(&r->raw);
	tarena_init(&r->arena);
	r->zd = ZSTD_createDCtx();
	if (!r->path || !r->zd) {
		trec_reader_close(r);
		return trec_errf(err, -ENOMEM, "out of memory");
	}
	int rc;
	if (r->info.file_bytes < TREC_FILE_HEADER_SIZE) {
		if (r->info.file_bytes)
			rc = trec_errf(err, -EBADMSG, "%s: too short for a trace (%llu bytes; the header alone is %u)",
				       path, (unsigned long long)r->info.file_bytes, TREC_FILE_HEADER_SIZE);
		else
			rc = trec_errf(err, -EBADMSG, "%s: empty file (the recorder wrote nothing)", path);
		goto fail;
	}
	uint8_t hb[TREC_FILE_HEADER_SIZE];
	rc = pread_full(fd, hb, sizeof(hb), 0);
	if (rc < 0) {
		trec_errf(err, rc, "%s: reading header: %s", path, strerror(-rc));
		goto fail;
	}
	struct trec_err e2 = { 0 };
	rc = trec_file_header_unpack(hb, &r->info.header, &e2);
	if (rc < 0) {
		trec_errf(err, rc, "%s: %s", path, e2.msg);
		goto fail;
	}
	{
		const uint16_t one = 1;
		int host = *(const uint8_t *)&one ? TREC_ORDER_LITTLE : TREC_ORDER_BIG;
		r->swap = r->info.header.byte_order != host;
	}
	if (r->o.no_index || !read_index(r)) {
		r->info.nblocks = 0;
		rc = scan_blocks(r, err);
		if (rc < 0)
			goto fail;
		if (r->info.truncated)
			warn(r, "file truncated at offset %llu: %s", (unsigned long long)r->info.truncated_at,
			     r->truncation);
	}
	r->info.has_index = r->have_index;
	*out = r;
	return 0;
fail:
	trec_reader_close(r);
	return rc;
}

static void cache_free(struct kind_cache *c)
{
	free(c->items);
	c->items = NULL;
}

void trec_reader_close(struct trec_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->blocks);
	tbuf_free(&r->warnings);
	tbuf_free(&r->io);
	tbuf_free(&r->raw);
	tarena_free(&r->arena);
	struct kind_cache *cs[] = { &r->meta, &r->schema, &r->stacks, &r->tasks, &r->maps,
				    &r->syms, &r->ksyms, &r->loss, &r->symext, &r->taskctx };
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		cache_free(cs[i]);
	free(r->schema_by_id);
	free(r->schema_list);
	free(r->totals.types);
	ZSTD_freeDCtx(r->zd);
	free(r);
}

const struct trec_file_info *trec_reader_info(const struct trec_reader *r)
{
	return &r->info;
}

const struct trec_block_info *trec_reader_block(const struct trec_reader *r, uint32_t i)
{
	return i < r->info.nblocks ? &r->blocks[i] : NULL;
}

int trec_reader_swap(const struct trec_reader *r)
{
	return r->swap;
}

void trec_reader_stats(const struct trec_reader *r, struct trec_reader_stats *st)
{
	*st = r->stats;
}

int trec_reader_block_payload(struct trec_reader *r, uint32_t i, const void **raw, size_t *len,
			      struct trec_err *err)
{
	if (i >= r->info.nblocks)
		return trec_errf(err, -EINVAL, "no block %u", i);
	int rc = reader_load_block(r, i, err);
	if (rc < 0)
		return rc;
	*raw = r->raw.data;
	*len = r->raw.len;
	return 0;
}

/* ---- small kinds -------------------------------------------------------- */

typedef int (*decode_fn)(const void *p, size_t len, uint32_t count, struct tarena *a, void **out,
			 struct trec_err *err);

#define ADAPT(name, type, fn)                                                                       \
	static int name(const void *p, size_t len, uint32_t count, struct tarena *a, void **out,    \
			struct trec_err *err)                                                       \
	{                                                                                           \
		type *o = NULL;                                                                     \
		int rc = fn(p, len, count, a, &o, err);                                             \
		*out = o;                                                                           \
		return rc;                                                                          \
	}
ADAPT(dec_meta, struct trec_meta_kv, trec_meta_decode)
ADAPT(dec_schema, struct trec_schema, trec_schema_decode)
ADAPT(dec_stack, struct trec_stack, trec_stack_decode)
ADAPT(dec_task, struct trec_task, trec_task_decode)
ADAPT(dec_taskctx, struct trec_task_ctx, trec_task_ctx_decode)
ADAPT(dec_map, struct trec_map, trec_map_decode)
ADAPT(dec_syms, struct trec_dso_syms, trec_dso_syms_decode)
ADAPT(dec_symext, struct trec_dso_symext, trec_dso_symext_decode)
ADAPT(dec_ksym, struct trec_ksym, trec_ksym_decode)
ADAPT(dec_loss, struct trec_loss, trec_loss_decode)
#undef ADAPT

/* Decodes every block of `kind` and concatenates their records. A bad
 * block fails the load, or is skipped with a warning under ignore_corrupt. */
static int load_kind(struct trec_reader *r, struct kind_cache *c, unsigned kind, size_t elem,
		     decode_fn dec, struct trec_err *err)
{
	if (c->loaded)
		return c->status ? trec_errf(err, c->status, "%s: %s blocks could not be read", r->path,
					     kind_name(kind))
				 : 0;
	c->loaded = 1;
	size_t cap = 0;
	for (uint32_t i = 0; i < r->info.nblocks; i++) {
		struct trec_block_info *b = &r->blocks[i];
		if (b->h.kind != kind || b->bad)
			continue;
		struct trec_err e = { 0 };
		void *items = NULL;
		int rc = reader_load_block(r, i, &e);
		if (rc == 0) {
			rc = dec(r->raw.data, r->raw.len, b->h.count, &r->arena, &items, &e);
			if (rc < 0) {
				char m[sizeof(e.msg)];
				snprintf(m, sizeof(m), "%s", e.msg);
				trec_errf(&e, rc, "%s: block %u (%s) at offset %llu: %s", r->path, i, kind_name(kind),
					  (unsigned long long)b->offset, m);
			}
		}
		if (rc == -ENOMEM) {
			c->status = rc;
			return trec_errf(err, rc, "%s: out of memory", r->path);
		}
		if (rc < 0) {
			if (!r->o.ignore_corrupt) {
				c->status = rc;
				return trec_errf(err, rc, "%s (use --ignore-corrupt to skip bad blocks)", e.msg);
			}
			reader_mark_bad(r, i, e.msg);
			continue;
		}
		if (c->n + b->h.count > cap) {
			size_t ncap = cap ? cap * 2 : 64;
			while (ncap < c->n + b->h.count)
				ncap *= 2;
			void *p = realloc(c->items, ncap * elem);
			if (!p) {
				c->status = -ENOMEM;
				return trec_errf(err, -ENOMEM, "%s: out of memory", r->path);
			}
			c->items = p;
			cap = ncap;
		}
		if (b->h.count)
			memcpy((char *)c->items + c->n * elem, items, b->h.count * elem);
		c->n += b->h.count;
	}
	return 0;
}

int trec_reader_meta(struct trec_reader *r, const struct trec_meta_kv **kv, size_t *n,
		     struct trec_err *err)
{
	int rc = load_kind(r, &r->meta, TREC_BLK_META, sizeof(**kv), dec_meta, err);
	*kv = r->meta.items;
	*n = r->meta.n;
	return rc;
}

const struct trec_meta_kv *trec_reader_meta_get(struct trec_reader *r, const char *key)
{
	const struct trec_meta_kv *kv;
	size_t n;
	trec_reader_meta(r, &kv, &n, NULL);
	/* The last value of a key wins: a recorder may update one at stop. */
	for (size_t i = n; i-- > 0;)
		if (!strcmp(kv[i].key, key))
			return &kv[i];
	return NULL;
}

int trec_reader_schemas(struct trec_reader *r, const struct trec_schema ***s, size_t *n,
			struct trec_err *err)
{
	int first = !r->schema.loaded;
	int rc = load_kind(r, &r->schema, TREC_BLK_SCHEMA, sizeof(struct trec_schema), dec_schema, err);
	if (first && !rc) {
		r->schema_by_id = calloc(TREC_MAX_TYPE_ID + 1, sizeof(*r->schema_by_id));
		r->schema_list = calloc(r->schema.n ? r->schema.n : 1, sizeof(*r->schema_list));
		if (!r->schema_by_id || !r->schema_list) {
			r->schema.status = -ENOMEM;
			rc = trec_errf(err, -ENOMEM, "out of memory");
		} else {
			struct trec_schema *all = r->schema.items;
			size_t k = 0;
			for (size_t i = 0; i < r->schema.n; i++) {
				if (r->schema_by_id[all[i].id]) {
					warn(r, "event type %u is described twice; keeping the first", all[i].id);
					continue;
				}
				r->schema_by_id[all[i].id] = &all[i];
				r->schema_list[k++] = &all[i];
			}
			r->schema.n = k;
		}
	}
	*s = r->schema_list;
	*n = r->schema_list ? r->schema.n : 0;
	return rc;
}

const struct trec_schema *trec_reader_schema(struct trec_reader *r, uint32_t type)
{
	if (!r->schema_by_id) {
		const struct trec_schema **s;
		size_t n;
		if (trec_reader_schemas(r, &s, &n, NULL) < 0 || !r->schema_by_id)
			return NULL;
	}
	return type <= TREC_MAX_TYPE_ID ? r->schema_by_id[type] : NULL;
}

static int cmp_stack_id(const void *a, const void *b)
{
	const struct trec_stack *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int trec_reader_stacks(struct trec_reader *r, size_t *n, struct trec_err *err)
{
	int first = !r->stacks.loaded;
	int rc = load_kind(r, &r->stacks, TREC_BLK_STACKS, sizeof(struct trec_stack), dec_stack, err);
	if (first && !rc && r->stacks.n)
		qsort(r->stacks.items, r->stacks.n, sizeof(struct trec_stack), cmp_stack_id);
	*n = rc ? 0 : r->stacks.n;
	return rc;
}

const struct trec_stack *trec_reader_stack(struct trec_reader *r, uint32_t id)
{
	size_t n;
	if (trec_reader_stacks(r, &n, NULL) < 0)
		return NULL;
	const struct trec_stack *s = r->stacks.items;
	size_t lo = 0, hi = r->stacks.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->stacks.n && s[lo].id == id ? &s[lo] : NULL;
}

#define LOADER(fname, field, kind, type, dec)                                                        \
	int fname(struct trec_reader *r, const type **out, size_t *n, struct trec_err *err)          \
	{                                                                                           \
		int rc = load_kind(r, &r->field, kind, sizeof(type), dec, err);                     \
		*out = r->field.items;                                                              \
		*n = r->field.n;                                                                    \
		return rc;                                                                          \
	}
LOADER(trec_reader_tasks, tasks, TREC_BLK_TASKS, struct trec_task, dec_task)
LOADER(trec_reader_task_ctx, taskctx, TREC_BLK_TASKCTX, struct trec_task_ctx, dec_taskctx)
LOADER(trec_reader_maps, maps, TREC_BLK_MAPS, struct trec_map, dec_map)
LOADER(trec_reader_ksyms, ksyms, TREC_BLK_KSYMS, struct trec_ksym, dec_ksym)
LOADER(trec_reader_losses, loss, TREC_BLK_LOSS, struct trec_loss, dec_loss)
#undef LOADER

/*
 * SYMS tables with their SYMEXT records applied (demangled names, unnamed
 * FDE functions), once, on the first call. A file before format 1.1 has
 * no SYMEXT blocks: its tables are as SYMS holds them.
 */
int trec_reader_dso_syms(struct trec_reader *r, const struct trec_dso_syms **out, size_t *n,
			 struct trec_err *err)
{
	int first = !r->syms.loaded;
	int rc = load_kind(r, &r->syms, TREC_BLK_SYMS, sizeof(struct trec_dso_syms), dec_syms, err);
	if (first && !rc) {
		rc = load_kind(r, &r->symext, TREC_BLK_SYMEXT, sizeof(struct trec_dso_symext), dec_symext, err);
		size_t unmatched = 0;
		if (!rc)
			rc = trec_dso_syms_extend(r->syms.items, r->syms.n, r->symext.items, r->symext.n, &r->arena,
						  &unmatched, err);
		if (rc)
			r->syms.status = rc; /* later calls fail the same way */
		else if (unmatched)
			warn(r, "%zu symbol table extensions (symext) match no symbol table; ignored", unmatched);
	}
	*out = r->syms.items;
	*n = r->syms.n;
	return rc;
}

/* ---- totals ------------------------------------------------------------------ */

static int cmp_type_count(const void *a, const void *b)
{
	const struct trec_type_count *x = a, *y = b;
	return x->type < y->type ? -1 : x->type > y->type;
}

int trec_reader_totals(struct trec_reader *r, const struct trec_totals **t, struct trec_err *err)
{
	*t = &r->totals;
	if (r->totals_done)
		return 0;
	struct trec_totals *tt = &r->totals;
	memset(tt, 0, sizeof(*tt));
	for (uint32_t i = 0; i < r->info.nblocks; i++) {
		const struct trec_block_header *h = &r->blocks[i].h;
		if (h->kind != TREC_BLK_EVENTS || !h->count)
			continue;
		if (!tt->first_ts || h->first_ts < tt->first_ts)
			tt->first_ts = h->first_ts;
		if (h->last_ts > tt->last_ts)
			tt->last_ts = h->last_ts;
	}
	if (r->have_index) {
		tt->events = r->index.events;
		tt->lost = r->index.lost;
		tt->ntypes = r->index.ntypes;
		tt->types = calloc(tt->ntypes ? tt->ntypes : 1, sizeof(*tt->types));
		if (!tt->types)
			return trec_errf(err, -ENOMEM, "out of memory");
		if (tt->ntypes)
			memcpy(tt->types, r->index.types, tt->ntypes * sizeof(*tt->types));
		r->totals_done = 1;
		return 0;
	}
	/* No index: count by decoding. Memory: one counter per type id. */
	uint64_t *per = calloc(TREC_MAX_TYPE_ID + 1, sizeof(*per));
	if (!per)
		return trec_errf(err, -ENOMEM, "out of memory");
	struct trec_iter_opts io = { .sz = sizeof(io), .unordered = 1 };
	struct trec_event_iter *it;
	int rc = trec_event_iter_new(r, &io, &it);
	if (rc < 0) {
		free(per);
		return trec_errf(err, rc, "out of memory");
	}
	struct trec_event ev;
	while ((rc = trec_event_iter_next(it, &ev, err)) == 1) {
		tt->events++;
		per[ev.type <= TREC_MAX_TYPE_ID ? ev.type : 0]++;
	}
	trec_event_iter_free(it);
	if (rc == 0) {
		const struct trec_loss *l;
		size_t nl;
		rc = trec_reader_losses(r, &l, &nl, err);
		for (size_t i = 0; rc == 0 && i < nl; i++)
			if (l[i].reason != TREC_LOSS_STACK) /* the event itself was kept */
				tt->lost += l[i].count;
	}
	if (rc == 0) {
		for (uint32_t k = 0; k <= TREC_MAX_TYPE_ID; k++)
			tt->ntypes += per[k] != 0;
		tt->types = calloc(tt->ntypes ? tt->ntypes : 1, sizeof(*tt->types));
		if (!tt->types)
			rc = trec_errf(err, -ENOMEM, "out of memory");
		else {
			tt->ntypes = 0;
			for (uint32_t k = 0; k <= TREC_MAX_TYPE_ID; k++)
				if (per[k])
					tt->types[tt->ntypes++] = (struct trec_type_count){ k, per[k] };
			qsort(tt->types, tt->ntypes, sizeof(*tt->types), cmp_type_count);
		}
	}
	free(per);
	if (rc < 0)
		return rc;
	r->totals_done = 1;
	return 0;
}
