/* SPDX-License-Identifier: MIT */
/*
 * Fixed-size framing: the file header, block headers and the trailer that
 * points at the footer index. These are the only parts of a file read
 * before a checksum has vouched for them, so each carries its own CRC.
 */
#ifndef TREC_BLOCK_H
#define TREC_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "trec_format.h"

struct trec_file_header {
	uint16_t major, minor;
	uint8_t byte_order;   /* enum trec_byte_order: of event payloads */
	uint64_t flags;
	uint64_t created_ns;  /* CLOCK_REALTIME when the file was created */
	uint8_t file_id[16];  /* random; ties rotated files of one recording together */
};

void trec_file_header_pack(const struct trec_file_header *h, uint8_t out[TREC_FILE_HEADER_SIZE]);
/* -EBADMSG (not a trace / corrupt header) or -EPROTONOSUPPORT (newer major). */
int trec_file_header_unpack(const uint8_t in[TREC_FILE_HEADER_SIZE], struct trec_file_header *h,
			    struct trec_err *err);

struct trec_block_header {
	uint16_t kind;      /* enum trec_block_kind */
	uint16_t flags;     /* TREC_BLKF_* */
	uint32_t comp_len;  /* payload bytes in the file */
	uint32_t raw_len;   /* payload bytes after decompression */
	uint32_t count;     /* records in the payload */
	uint32_t stream;    /* events: CPU; others: 0 */
	uint64_t first_ts;  /* smallest timestamp of the records; 0 if none */
	uint64_t last_ts;   /* largest */
	uint32_t payload_crc; /* crc32c of the comp_len payload bytes */
};

void trec_block_header_pack(const struct trec_block_header *h, uint8_t out[TREC_BLOCK_HEADER_SIZE]);
/* Checks magic, header CRC, kind and length limits. -EBADMSG otherwise;
 * `offset` only feeds the message. */
int trec_block_header_unpack(const uint8_t in[TREC_BLOCK_HEADER_SIZE], uint64_t offset,
			     struct trec_block_header *h, struct trec_err *err);

struct trec_trailer {
	uint64_t index_offset; /* of the index block's header */
	uint64_t index_len;    /* header + payload bytes of the index block */
};

void trec_trailer_pack(const struct trec_trailer *t, uint8_t out[TREC_TRAILER_SIZE]);
int trec_trailer_unpack(const uint8_t in[TREC_TRAILER_SIZE], struct trec_trailer *t);

/* Payload compression. compress: appends to out; level as zstd. */
struct tbuf;
int trec_payload_compress(void *zcctx, int level, const void *src, size_t n, struct tbuf *out);
/* Fills the lengths, flags and CRC of `h` for payload `raw`, compressing it
 * into `scratch` when that makes it smaller; *payload points at the bytes
 * to write after the header (raw or scratch->data). */
int trec_block_seal(void *zcctx, int level, struct trec_block_header *h, const void *raw, size_t n,
		    struct tbuf *scratch, const void **payload);
/* Decompresses exactly raw_len bytes into dst or fails with -EBADMSG. */
int trec_payload_decompress(void *zdctx, const void *src, size_t n, void *dst, size_t raw_len);

#endif
