/* SPDX-License-Identifier: MIT */
/* File header, block headers and trailer: pack/unpack with their CRCs. */
#include <errno.h>
#include <string.h>
#include <zstd.h>

#include "block.h"
#include "buf.h"

/* Fuzzing builds accept any header CRC so mutations reach the fields behind it. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define crc_ok(stored, computed) ((void)(stored), (void)(computed), 1)
#else
#define crc_ok(stored, computed) ((stored) == (computed))
#endif

/*
 * File header (64 bytes):
 *   0  magic "TRECDATA"      8  major u16   10 minor u16   12 header size u16
 *   14 byte order u8         15 reserved    16 flags u64   24 created_ns u64
 *   32 file_id[16]           48 reserved (12 bytes, zero)  60 crc32c of bytes 0..59
 */
void trec_file_header_pack(const struct trec_file_header *h, uint8_t out[TREC_FILE_HEADER_SIZE])
{
	memset(out, 0, TREC_FILE_HEADER_SIZE);
	memcpy(out, TREC_MAGIC, TREC_MAGIC_LEN);
	st16(out + 8, h->major);
	st16(out + 10, h->minor);
	st16(out + 12, TREC_FILE_HEADER_SIZE);
	out[14] = h->byte_order;
	st64(out + 16, h->flags);
	st64(out + 24, h->created_ns);
	memcpy(out + 32, h->file_id, 16);
	st32(out + 60, crc32c(0, out, 60));
}

int trec_file_header_unpack(const uint8_t in[TREC_FILE_HEADER_SIZE], struct trec_file_header *h,
			    struct trec_err *err)
{
	if (memcmp(in, TREC_MAGIC, TREC_MAGIC_LEN) != 0)
		return trec_errf(err, -EBADMSG, "not a trec trace file (bad magic at offset 0)");
	h->major = le16(in + 8);
	h->minor = le16(in + 10);
	/* A newer major may lay the header out differently: check it before the CRC. */
	if (h->major > TREC_VERSION_MAJOR)
		return trec_errf(err, -EPROTONOSUPPORT,
				 "trace format version %u.%u is newer than this trec reads (%u.x): "
				 "upgrade trec to read it",
				 h->major, h->minor, TREC_VERSION_MAJOR);
	if (h->major == 0)
		return trec_errf(err, -EBADMSG, "file header: version 0.%u is not a released format", h->minor);
	if (!crc_ok(le32(in + 60), crc32c(0, in, 60)))
		return trec_errf(err, -EBADMSG, "file header (offset 0): checksum mismatch");
	if (le16(in + 12) != TREC_FILE_HEADER_SIZE)
		return trec_errf(err, -EBADMSG, "file header: size %u, expected %u", le16(in + 12),
				 TREC_FILE_HEADER_SIZE);
	h->byte_order = in[14];
	if (h->byte_order != TREC_ORDER_LITTLE && h->byte_order != TREC_ORDER_BIG)
		return trec_errf(err, -EBADMSG, "file header: unknown byte order %u", h->byte_order);
	h->flags = le64(in + 16);
	h->created_ns = le64(in + 24);
	memcpy(h->file_id, in + 32, 16);
	return 0;
}

/*
 * Block header (48 bytes):
 *   0  magic "TBLK" u32   4  kind u16   6  flags u16   8  comp_len u32  12 raw_len u32
 *   16 count u32          20 stream u32 24 first_ts u64 32 last_ts u64
 *   40 payload crc32c     44 crc32c of bytes 0..43
 */
void trec_block_header_pack(const struct trec_block_header *h, uint8_t out[TREC_BLOCK_HEADER_SIZE])
{
	st32(out, TREC_BLOCK_MAGIC);
	st16(out + 4, h->kind);
	st16(out + 6, h->flags);
	st32(out + 8, h->comp_len);
	st32(out + 12, h->raw_len);
	st32(out + 16, h->count);
	st32(out + 20, h->stream);
	st64(out + 24, h->first_ts);
	st64(out + 32, h->last_ts);
	st32(out + 40, h->payload_crc);
	st32(out + 44, crc32c(0, out, 44));
}

int trec_block_header_unpack(const uint8_t in[TREC_BLOCK_HEADER_SIZE], uint64_t offset,
			     struct trec_block_header *h, struct trec_err *err)
{
	if (le32(in) != TREC_BLOCK_MAGIC)
		return trec_errf(err, -EBADMSG, "block at offset %llu: bad block magic",
				 (unsigned long long)offset);
	if (!crc_ok(le32(in + 44), crc32c(0, in, 44)))
		return trec_errf(err, -EBADMSG, "block at offset %llu: header checksum mismatch",
				 (unsigned long long)offset);
	h->kind = le16(in + 4);
	h->flags = le16(in + 6);
	h->comp_len = le32(in + 8);
	h->raw_len = le32(in + 12);
	h->count = le32(in + 16);
	h->stream = le32(in + 20);
	h->first_ts = le64(in + 24);
	h->last_ts = le64(in + 32);
	h->payload_crc = le32(in + 40);
	/* Unknown kinds from a newer minor version are fine: readers skip them. */
	if (h->kind == 0)
		return trec_errf(err, -EBADMSG, "block at offset %llu: kind 0 is invalid",
				 (unsigned long long)offset);
	if (h->comp_len > TREC_MAX_BLOCK_COMP || h->raw_len > TREC_MAX_BLOCK_RAW)
		return trec_errf(err, -EBADMSG,
				 "block at offset %llu: payload of %u bytes (%u raw) exceeds the %u MiB limit",
				 (unsigned long long)offset, h->comp_len, h->raw_len,
				 TREC_MAX_BLOCK_RAW >> 20);
	if (!(h->flags & TREC_BLKF_ZSTD) && h->comp_len != h->raw_len)
		return trec_errf(err, -EBADMSG,
				 "block at offset %llu: stored payload with different raw (%u) and stored (%u) sizes",
				 (unsigned long long)offset, h->raw_len, h->comp_len);
	if (h->first_ts > h->last_ts)
		return trec_errf(err, -EBADMSG, "block at offset %llu: first timestamp %llu after last %llu",
				 (unsigned long long)offset, (unsigned long long)h->first_ts,
				 (unsigned long long)h->last_ts);
	return 0;
}

/* Trailer (32 bytes): magic "TRECEND!", index offset u64, index length u64,
 * reserved u32, crc32c of bytes 0..27. */
void trec_trailer_pack(const struct trec_trailer *t, uint8_t out[TREC_TRAILER_SIZE])
{
	memset(out, 0, TREC_TRAILER_SIZE);
	memcpy(out, TREC_TRAILER_MAGIC, 8);
	st64(out + 8, t->index_offset);
	st64(out + 16, t->index_len);
	st32(out + 28, crc32c(0, out, 28));
}

int trec_trailer_unpack(const uint8_t in[TREC_TRAILER_SIZE], struct trec_trailer *t)
{
	if (memcmp(in, TREC_TRAILER_MAGIC, 8) != 0 || !crc_ok(le32(in + 28), crc32c(0, in, 28)))
		return -EBADMSG;
	t->index_offset = le64(in + 8);
	t->index_len = le64(in + 16);
	return 0;
}

int trec_payload_compress(void *zcctx, int level, const void *src, size_t n, struct tbuf *out)
{
	size_t bound = ZSTD_compressBound(n);
	if (tbuf_reserve(out, bound))
		return -ENOMEM;
	size_t r = ZSTD_compressCCtx(zcctx, out->data + out->len, bound, src, n, level);
	if (ZSTD_isError(r))
		return -EIO;
	out->len += r;
	return 0;
}

int trec_payload_decompress(void *zdctx, const void *src, size_t n, void *dst, size_t raw_len)
{
	/* The frame must declare exactly raw_len bytes: a frame claiming more is
	 * refused before any work, and one producing fewer is caught below. */
	unsigned long long fsize = ZSTD_getFrameContentSize(src, n);
	if (fsize != raw_len)
		return -EBADMSG;
	size_t r = ZSTD_decompressDCtx(zdctx, dst, raw_len, src, n);
	if (ZSTD_isError(r) || r != raw_len)
		return -EBADMSG;
	return 0;
}

int trec_block_seal(void *zcctx, int level, struct trec_block_header *h, const void *raw, size_t n,
		    struct tbuf *scratch, const void **payload)
{
	if (n > TREC_MAX_BLOCK_RAW)
		return -E2BIG;
	h->raw_len = h->comp_len = (uint32_t)n;
	h->flags &= (uint16_t)~TREC_BLKF_ZSTD;
	*payload = raw;
	tbuf_reset(scratch);
	/* Stored raw when zstd does not help (tiny or incompressible payloads). */
	if (n && trec_payload_compress(zcctx, level, raw, n, scratch) == 0 && scratch->len < n) {
		*payload = scratch->data;
		h->comp_len = (uint32_t)scratch->len;
		h->flags |= TREC_BLKF_ZSTD;
	}
	h->payload_crc = crc32c(0, *payload, h->comp_len);
	return 0;
}
