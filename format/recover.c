/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"
#include "buf.h"
#include "reader.h"
#include "recover.h"
#include "writer.h"

static int pwrite_full(int fd, const void *p, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = pwrite(fd, (const char *)p + done, n - done, (off_t)(off + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)k;
	}
	return 0;
}

/* Builds the footer for the blocks `r` found and checked. */
static int build_index(struct trec_reader *r, struct trec_index *ix, struct trec_recover_result *res,
		       uint64_t *end, struct trec_err *err)
{
	const struct trec_file_info *fi = trec_reader_info(r);
	ix->entries = calloc(fi->nblocks ? fi->nblocks : 1, sizeof(*ix->entries));
	if (!ix->entries)
		return trec_errf(err, -ENOMEM, "out of memory");
	*end = TREC_FILE_HEADER_SIZE;
	for (uint32_t i = 0; i < fi->nblocks; i++) {
		const struct trec_block_info *b = trec_reader_block(r, i);
		uint64_t bend = b->offset + TREC_BLOCK_HEADER_SIZE + b->h.comp_len;
		if (bend > *end)
			*end = bend;
		/* Checked payload (CRC, zstd, length) or left out of the index. */
		const void *raw;
		size_t len;
		if (trec_reader_block_payload(r, i, &raw, &len, NULL) < 0) {
			res->blocks_bad++;
			continue;
		}
		ix->entries[ix->nentries++] = (struct trec_index_entry){
			.offset = b->offset, .kind = b->h.kind, .stream = b->h.stream, .count = b->h.count,
			.comp_len = b->h.comp_len, .raw_len = b->h.raw_len,
			.first_ts = b->h.first_ts, .last_ts = b->h.last_ts,
		};
	}
	res->blocks_kept = ix->nentries;
	/* Totals by decoding: the recorder's own counts died with it. Bad event
	 * blocks are skipped (the reader was opened with ignore_corrupt). */
	const struct trec_totals *t;
	int rc = trec_reader_totals(r, &t, err);
	if (rc < 0)
		return rc;
	ix->events = t->events;
	ix->lost = t->lost;
	ix->ntypes = t->ntypes;
	ix->types = t->types;
	return 0;
}

int trec_recover(const char *path, struct trec_recover_result *res, struct trec_err *err)
{
	memset(res, 0, sizeof(*res));
	struct trec_reader *r;
	struct trec_reader_opts ro = { .sz = sizeof(ro) };
	int rc = trec_reader_open(&r, path, &ro, err);
	if (rc == 0) {
		const struct trec_file_info *fi = trec_reader_info(r);
		res->old_size = res->new_size = fi->file_bytes;
		res->was_whole = fi->has_index && !fi->truncated;
		res->blocks_kept = fi->nblocks;
		trec_reader_close(r);
		if (res->was_whole)
			return 0;
	}
	/* Walk the blocks themselves, keeping what checks out. */
	ro.ignore_corrupt = 1;
	ro.no_index = 1;
	rc = trec_reader_open(&r, path, &ro, err);
	if (rc < 0)
		return rc;
	res->old_size = trec_reader_info(r)->file_bytes;
	struct trec_index ix = { 0 };
	uint64_t end = 0;
	rc = build_index(r, &ix, res, &end, err);
	res->blocks_bad += trec_reader_info(r)->corrupt_blocks;
	if (rc < 0)
		goto out;

	struct tbuf raw, scratch;
	tbuf_init(&raw);
	tbuf_init(&scratch);
	rc = trec_index_encode(&raw, &ix);
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	struct trec_block_header h = { .kind = TREC_BLK_INDEX, .count = ix.nentries };
	const void *payload = NULL;
	if (!rc && !zc)
		rc = -ENOMEM;
	if (!rc)
		rc = trec_block_seal(zc, TREC_DEFAULT_LEVEL, &h, raw.data, raw.len, &scratch, &payload);
	int fd = -1;
	if (!rc) {
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			rc = -errno;
	}
	/* Order matters for a crash during recovery: cut first, then index,
	 * then trailer; at every step the file reads as before or better. */
	if (!rc && ftruncate(fd, (off_t)end) < 0)
		rc = -errno;
	uint8_t hb[TREC_BLOCK_HEADER_SIZE], tb[TREC_TRAILER_SIZE];
	if (!rc) {
		trec_block_header_pack(&h, hb);
		rc = pwrite_full(fd, hb, sizeof(hb), end);
	}
	if (!rc)
		rc = pwrite_full(fd, payload, h.comp_len, end + sizeof(hb));
	if (!rc) {
		struct trec_trailer t = { .index_offset = end, .index_len = sizeof(hb) + h.comp_len };
		trec_trailer_pack(&t, tb);
		rc = pwrite_full(fd, tb, sizeof(tb), end + t.index_len);
		res->new_size = end + t.index_len + sizeof(tb);
	}
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = -errno;
	if (rc < 0)
		trec_errf(err, rc, "recovering %s: %s", path, strerror(-rc));
	res->cut_at = end;
	ZSTD_freeCCtx(zc);
	tbuf_free(&raw);
	tbuf_free(&scratch);
out:
	free(ix.entries);
	trec_reader_close(r);
	return rc;
}
