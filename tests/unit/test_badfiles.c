/* SPDX-License-Identifier: MIT */
/*
 * Hand-made hostile files: every block is framed correctly, with header and
 * payload checksums that hold, so the CRCs let it through and only the
 * absurd value inside is wrong (test_file.c covers what the CRCs catch:
 * truncation, bit flips, wrong magic, newer versions).
 *
 * Each case checks that the reader (and the commands on top of it) answers
 * with a negative errno and a message saying what is wrong and where (file,
 * block index and kind, byte offset), or with the documented partial result
 * (a warning, frames shown as [unknown], a field shown as '?'); never a
 * crash, an over-read (run it under ASan: make SAN=1) or an allocation sized
 * by a count nobody checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"
#include "buf.h"
#include "commands.h"
#include "reader.h"
#include "scratch.h"
#include "symbolize.h"

/* A named symbol: the fields a table of raw names fills. */
#define SYM(a, s, n) { .addr = (a), .size = (s), .name = (n) }

static ZSTD_CCtx *zc;

static int setup(void **state)
{
	scratch_make("badfiles");
	zc = ZSTD_createCCtx();
	assert_non_null(zc);
	return 0;
}

static int teardown(void **state)
{
	ZSTD_freeCCtx(zc);
	return scratch_remove();
}


/* ---- building files by hand ------------------------------------------------------------- */

#define FB_MAX_BLOCKS 16

/* A file under construction: its bytes and where each block went. */
struct fb {
	struct tbuf b;
	uint32_t n;
	uint64_t off[FB_MAX_BLOCKS];
	struct trec_block_header h[FB_MAX_BLOCKS];
};

static uint8_t host_order(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one ? TREC_ORDER_LITTLE : TREC_ORDER_BIG;
}

static void fb_begin(struct fb *f)
{
	memset(f, 0, sizeof(*f));
	tbuf_init(&f->b);
	struct trec_file_header fh = { .major = TREC_VERSION_MAJOR, .minor = TREC_VERSION_MINOR,
				       .byte_order = host_order(), .created_ns = 1 };
	uint8_t hb[TREC_FILE_HEADER_SIZE];
	trec_file_header_pack(&fh, hb);
	tbuf_put(&f->b, hb, sizeof(hb));
}

/* Appends a block whose header says exactly *h (lengths included, however
 * absurd), followed by `n` payload bytes. Both CRCs are computed, so only
 * the values themselves can be wrong. Returns the block's offset. */
static uint64_t fb_put(struct fb *f, struct trec_block_header *h, const void *payload, size_t n)
{
	assert_true(f->n < FB_MAX_BLOCKS);
	h->payload_crc = crc32c(0, payload, n);
	uint8_t hb[TREC_BLOCK_HEADER_SIZE];
	trec_block_header_pack(h, hb);
	uint64_t off = f->b.len;
	tbuf_put(&f->b, hb, sizeof(hb));
	tbuf_put(&f->b, payload, n);
	assert_false(f->b.oom);
	f->off[f->n] = off;
	f->h[f->n++] = *h;
	return off;
}

/* A correctly framed block holding `raw` (zstd-compressed when that helps,
 * as the writer does); `h` gives kind, count, stream and time range. */
static uint64_t fb_block(struct fb *f, struct trec_block_header h, const void *raw, size_t n)
{
	struct tbuf scratch;
	const void *payload;
	tbuf_init(&scratch);
	assert_int_equal(trec_block_seal(zc, 1, &h, n ? raw : "", n, &scratch, &payload), 0);
	uint64_t off = fb_put(f, &h, payload, h.comp_len);
	tbuf_free(&scratch);
	return off;
}

static uint64_t fb_kind(struct fb *f, uint16_t kind, uint32_t count, const struct tbuf *raw)
{
	return fb_block(f, (struct trec_block_header){ .kind = kind, .count = count }, raw->data, raw->len);
}

/* The index entries that describe the blocks written so far. */
static void fb_entries(const struct fb *f, struct trec_index_entry *x)
{
	for (uint32_t i = 0; i < f->n; i++)
		x[i] = (struct trec_index_entry){ .offset = f->off[i], .kind = f->h[i].kind,
						  .stream = f->h[i].stream, .count = f->h[i].count,
						  .comp_len = f->h[i].comp_len, .raw_len = f->h[i].raw_len,
						  .first_ts = f->h[i].first_ts, .last_ts = f->h[i].last_ts };
}

/* Footer: an index block of `count` entries (the header's claim) holding
 * `payload`, then the trailer pointing at it (at `trailer_off` when not 0). */
static void fb_footer_raw(struct fb *f, uint32_t count, const struct tbuf *payload, uint64_t trailer_off)
{
	struct trec_block_header h = { .kind = TREC_BLK_INDEX, .count = count, .flags = 0,
				       .comp_len = (uint32_t)payload->len, .raw_len = (uint32_t)payload->len };
	uint8_t hb[TREC_BLOCK_HEADER_SIZE];
	h.payload_crc = crc32c(0, payload->data, payload->len);
	trec_block_header_pack(&h, hb);
	uint64_t ioff = f->b.len;
	tbuf_put(&f->b, hb, sizeof(hb));
	tbuf_put(&f->b, payload->data, payload->len);
	struct trec_trailer t = { .index_offset = trailer_off ? trailer_off : ioff,
				  .index_len = TREC_BLOCK_HEADER_SIZE + payload->len };
	uint8_t tb[TREC_TRAILER_SIZE];
	trec_trailer_pack(&t, tb);
	tbuf_put(&f->b, tb, sizeof(tb));
}

/* Footer listing `x` (n entries) as the index. */
static void fb_footer_entries(struct fb *f, struct trec_index_entry *x, uint32_t n)
{
	struct trec_index ix = { .nentries = n, .entries = x };
	struct tbuf p;
	tbuf_init(&p);
	assert_int_equal(trec_index_encode(&p, &ix), 0);
	fb_footer_raw(f, n, &p, 0);
	tbuf_free(&p);
}

/* Writes the file and frees the builder; returns its path. */
static const char *fb_write(struct fb *f, const char *name)
{
	const char *path = scratch_path(name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f->b.data, 1, f->b.len, fp), f->b.len);
	assert_int_equal(fclose(fp), 0);
	tbuf_free(&f->b);
	return path;
}

/* One metadata record, the first block of most files below. */
static void good_meta(struct tbuf *p)
{
	struct trec_meta_kv kv = { .key = "host.name", .type = TREC_META_STR, .v.str = { "badhost", 7 } };
	assert_int_equal(trec_meta_encode(p, &kv, 1), 0);
}

static uint64_t fb_good_meta(struct fb *f)
{
	struct tbuf p;
	tbuf_init(&p);
	good_meta(&p);
	uint64_t off = fb_kind(f, TREC_BLK_META, 1, &p);
	tbuf_free(&p);
	return off;
}

/* ---- checking what the reader says ------------------------------------------------------- */

/* Fails unless msg holds sub; shows both. */
#define assert_msg_has(msg, sub)                                                                    \
	do {                                                                                        \
		if (!strstr((msg), (sub)))                                                          \
			fail_msg("message\n  \"%s\"\nlacks\n  \"%s\"", (msg), (sub));               \
	} while (0)

/* "PATH: block I (KIND) at offset OFF: ": how every block error starts. */
static const char *where(const char *path, uint32_t bi, const char *kind, uint64_t off)
{
	static char w[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(w[k], sizeof(w[k]), "%s: block %u (%s) at offset %llu: ", path, bi, kind, (unsigned long long)off);
	return w[k];
}

static void show(const char *what, const char *msg)
{
	if (getenv("TREC_TEST_SHOW"))
		print_message("%s: %s\n", what, msg);
}

static struct trec_reader *open_ok(const char *path, int ignore_corrupt)
{
	struct trec_reader_opts ro = { .sz = sizeof(ro), .ignore_corrupt = ignore_corrupt };
	struct trec_reader *r;
	struct trec_err e = { 0 };
	int rc = trec_reader_open(&r, path, &ro, &e);
	if (rc)
		fail_msg("opening %s: %d %s", path, rc, e.msg);
	return r;
}

/* Opening must fail with `code`; returns the message (static). */
static const char *open_fails(const char *path, int code)
{
	static struct trec_err e;
	struct trec_reader *r = NULL;
	memset(&e, 0, sizeof(e));
	int rc = trec_reader_open(&r, path, NULL, &e);
	if (rc != code)
		fail_msg("opening %s: got %d, want %d (%s)", path, rc, code, e.msg);
	assert_null(r);
	assert_int_equal(e.code, code);
	show("open", e.msg);
	return e.msg;
}

/* Loads every record of `kind` through the reader's loader for it. */
static int load(struct trec_reader *r, unsigned kind, size_t *n, struct trec_err *e)
{
	const void *p;
	const struct trec_schema **s;
	*n = 0;
	switch (kind) {
	case TREC_BLK_META:
		return trec_reader_meta(r, (const struct trec_meta_kv **)&p, n, e);
	case TREC_BLK_SCHEMA:
		return trec_reader_schemas(r, &s, n, e);
	case TREC_BLK_STACKS:
		return trec_reader_stacks(r, n, e);
	case TREC_BLK_TASKS:
		return trec_reader_tasks(r, (const struct trec_task **)&p, n, e);
	case TREC_BLK_MAPS:
		return trec_reader_maps(r, (const struct trec_map **)&p, n, e);
	case TREC_BLK_SYMS:
	case TREC_BLK_SYMEXT: /* extensions are applied as the tables load */
		return trec_reader_dso_syms(r, (const struct trec_dso_syms **)&p, n, e);
	case TREC_BLK_KSYMS:
		return trec_reader_ksyms(r, (const struct trec_ksym **)&p, n, e);
	case TREC_BLK_LOSS:
		return trec_reader_losses(r, (const struct trec_loss **)&p, n, e);
	default: {
		/* events: iterate them all */
		struct trec_event_iter *it;
		struct trec_event ev;
		int rc = trec_event_iter_new(r, NULL, &it);
		if (rc)
			return rc;
		while ((rc = trec_event_iter_next(it, &ev, e)) == 1)
			(*n)++;
		trec_event_iter_free(it);
		return rc;
	}
	}
}

/* Loading `kind` from the file at `path` fails with -EBADMSG and a message
 * that starts with where(path, bi, ...) and names `what`. */
static void load_fails(const char *path, unsigned kind, uint32_t bi, uint64_t off, const char *what)
{
	struct trec_reader *r = open_ok(path, 0);
	struct trec_err e = { 0 };
	size_t n;
	int rc = load(r, kind, &n, &e);
	if (rc != -EBADMSG)
		fail_msg("loading %s blocks of %s: got %d (%s), want -EBADMSG", trec_block_kind_name(kind), path, rc,
			 e.msg);
	show(trec_block_kind_name(kind), e.msg);
	const char *w = where(path, bi, trec_block_kind_name(kind), off);
	if (strncmp(e.msg, w, strlen(w)))
		fail_msg("message\n  \"%s\"\ndoes not start with\n  \"%s\"", e.msg, w);
	assert_msg_has(e.msg, what);
	/* A second call gives the same verdict, from the cache. */
	struct trec_err e2 = { 0 };
	assert_int_equal(load(r, kind, &n, &e2), -EBADMSG);
	trec_reader_close(r);

	/* With --ignore-corrupt the block is skipped, counted and warned about. */
	r = open_ok(path, 1);
	assert_int_equal(load(r, kind, &n, &e), 0);
	assert_int_equal(trec_reader_info(r)->corrupt_blocks, 1);
	assert_msg_has(trec_reader_warnings(r), w);
	trec_reader_close(r);
}

/* ---- running a command ---------------------------------------------------------------------- */


struct run {
	int rc;
	char *out, *err;
};

/* Runs cmd (argv NULL-terminated) with stdout and stderr captured. */
static struct run run_cmd(int (*cmd)(int, char **), const char *name, ...)
{
	char *argv[16];
	int argc = 0;
	argv[argc++] = (char *)name;
	va_list ap;
	va_start(ap, name);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 15;)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	struct run r;
	r.rc = run_captured(scratch_root(), cmd, argc, argv, &r.out, &r.err);
	show(name, r.err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- block headers with absurd lengths ------------------------------------------------------ */

/* A second block whose header claims `comp_len`/`raw_len`, then 16 bytes. */
static const char *bad_lengths_file(const char *name, uint32_t comp_len, uint32_t raw_len, uint64_t *off)
{
	struct fb f;
	fb_begin(&f);
	fb_good_meta(&f);
	uint8_t junk[16] = { 0 };
	struct trec_block_header h = { .kind = TREC_BLK_META, .flags = TREC_BLKF_ZSTD, .count = 1,
				       .comp_len = comp_len, .raw_len = raw_len };
	*off = fb_put(&f, &h, junk, sizeof(junk));
	return fb_write(&f, name);
}

static void test_lengths_over_limit(void **state)
{
	static const struct {
		uint32_t comp, raw;
	} cases[] = {
		{ 16, 0xfffffff0u },                 /* raw_len near 4 GiB */
		{ 0xfffffff0u, 16 },                 /* comp_len near 4 GiB */
		{ TREC_MAX_BLOCK_COMP + 1, 16 },     /* one byte over the format's limit */
		{ 16, TREC_MAX_BLOCK_RAW + 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t off;
		const char *path = bad_lengths_file("limits.data", cases[i].comp, cases[i].raw, &off);
		const char *msg = open_fails(path, -EBADMSG);
		char want[600];
		snprintf(want, sizeof(want),
			 "%s: block 1: block at offset %llu: payload of %u bytes (%u raw) exceeds the 64 MiB limit",
			 path, (unsigned long long)off, cases[i].comp, cases[i].raw);
		assert_msg_has(msg, want);

		/* Skipped under --ignore-corrupt: the block before it still reads. */
		struct trec_reader *r = open_ok(path, 1);
		assert_int_equal(trec_reader_info(r)->corrupt_blocks, 1);
		assert_msg_has(trec_reader_warnings(r), "exceeds the 64 MiB limit");
		const struct trec_meta_kv *kv = trec_reader_meta_get(r, "host.name");
		assert_non_null(kv);
		assert_string_equal(kv->v.str.ptr, "badhost");
		trec_reader_close(r);
	}
}

/* A payload longer than the rest of the file: the file is cut there
 * (FORMAT.md: every complete block before it reads, the cut is reported). */
static void test_payload_past_end_of_file(void **state)
{
	uint64_t off;
	const char *path = bad_lengths_file("pastend.data", 1u << 20, 1u << 20, &off);
	struct trec_reader *r = open_ok(path, 0);
	const struct trec_file_info *fi = trec_reader_info(r);
	assert_true(fi->truncated);
	assert_int_equal(fi->truncated_at, off);
	assert_int_equal(fi->nblocks, 1);
	char want[200];
	snprintf(want, sizeof(want), "block at offset %llu (meta) is incomplete: needs 1048576 payload bytes, file has 16",
		 (unsigned long long)off);
	assert_msg_has(fi->truncation, want);
	assert_msg_has(trec_reader_warnings(r), want);
	assert_non_null(trec_reader_meta_get(r, "host.name"));
	trec_reader_close(r);
}

/* zstd must produce exactly raw_len bytes, from a frame that says so. */
static void test_raw_len_disagrees_with_zstd(void **state)
{
	struct tbuf raw, z;
	tbuf_init(&raw);
	tbuf_init(&z);
	for (int i = 0; i < 20; i++)
		good_meta(&raw);
	assert_int_equal(trec_payload_compress(zc, 1, raw.data, raw.len, &z), 0);

	const int64_t deltas[] = { +1, -1, +1000 };
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		struct fb f;
		fb_begin(&f);
		struct trec_block_header h = { .kind = TREC_BLK_META, .flags = TREC_BLKF_ZSTD, .count = 20,
					       .comp_len = (uint32_t)z.len,
					       .raw_len = (uint32_t)((int64_t)raw.len + deltas[i]) };
		fb_put(&f, &h, z.data, z.len);
		const char *path = fb_write(&f, "rawlen.data");
		char what[100];
		snprintf(what, sizeof(what), "zstd payload does not decompress to %u bytes", h.raw_len);
		load_fails(path, TREC_BLK_META, 0, TREC_FILE_HEADER_SIZE, what);
	}

	/* A frame that does not declare its size: refused, not guessed at. */
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(c);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0)));
	uint8_t frame[4096];
	ZSTD_outBuffer ob = { frame, sizeof(frame), 0 };
	ZSTD_inBuffer ib = { raw.data, raw.len, 0 };
	assert_int_equal(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end), 0);
	ZSTD_freeCCtx(c);
	assert_int_equal(ZSTD_getFrameContentSize(frame, ob.pos), ZSTD_CONTENTSIZE_UNKNOWN);
	struct fb f;
	fb_begin(&f);
	struct trec_block_header h = { .kind = TREC_BLK_META, .flags = TREC_BLKF_ZSTD, .count = 20,
				       .comp_len = (uint32_t)ob.pos, .raw_len = (uint32_t)raw.len };
	fb_put(&f, &h, frame, ob.pos);
	char what[100];
	snprintf(what, sizeof(what), "zstd payload does not decompress to %zu bytes", raw.len);
	load_fails(fb_write(&f, "nosize.data"), TREC_BLK_META, 0, TREC_FILE_HEADER_SIZE, what);

	/* Stored (not compressed) with two different lengths: refused at the header. */
	fb_begin(&f);
	h = (struct trec_block_header){ .kind = TREC_BLK_META, .count = 20, .comp_len = (uint32_t)raw.len,
					.raw_len = (uint32_t)raw.len + 8 };
	fb_put(&f, &h, raw.data, raw.len);
	const char *msg = open_fails(fb_write(&f, "stored.data"), -EBADMSG);
	assert_msg_has(msg, "block 0: block at offset 64: stored payload with different raw");
	tbuf_free(&raw);
	tbuf_free(&z);
}

static void test_time_range_reversed(void **state)
{
	struct fb f;
	fb_begin(&f);
	fb_good_meta(&f);
	struct trec_block_header h = { .kind = TREC_BLK_LOSS, .first_ts = 2000, .last_ts = 1000 };
	uint64_t off = fb_put(&f, &h, "", 0);
	const char *path = fb_write(&f, "reversed.data");
	char want[600];
	snprintf(want, sizeof(want), "%s: block 1: block at offset %llu: first timestamp 2000 after last 1000", path,
		 (unsigned long long)off);
	assert_msg_has(open_fails(path, -EBADMSG), want);
}

/* ---- counts and lengths that do not fit the payload ----------------------------------------- */

struct bad_payload {
	const char *name;
	uint16_t kind;
	uint32_t count;
	uint8_t bytes[24];
	size_t len;
	const char *what; /* what the message must say */
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

/*
 * Each a hand-made payload, valid up to one absurd value. Bytes are
 * varints unless said otherwise; docs/format-records.md gives the layouts.
 */
static const struct bad_payload bad_payloads[] = {
	/* record counts no payload of this size can hold */
	{ "meta count", TREC_BLK_META, UINT32_MAX, B(1, 'k', 1, 5, 0, 0), "meta: 4294967295 records cannot fit in 6 bytes" },
	{ "schema count", TREC_BLK_SCHEMA, UINT32_MAX, B(0, 0, 0, 0, 0, 0),
	  "schema: 4294967295 records cannot fit in 6 bytes" },
	{ "stacks count", TREC_BLK_STACKS, UINT32_MAX, B(2, 0, 0, 2, 0, 0),
	  "stacks: 4294967295 records cannot fit in 6 bytes" },
	{ "tasks count", TREC_BLK_TASKS, UINT32_MAX, B(0, 1, 1, 0, 0, 0), "tasks: 4294967295 records cannot fit in 6 bytes" },
	{ "maps count", TREC_BLK_MAPS, UINT32_MAX, B(0, 0, 0, 0, 0, 0), "maps: 4294967295 records cannot fit in 6 bytes" },
	{ "syms count", TREC_BLK_SYMS, UINT32_MAX, B(0, 0, 0, 0, 0, 0), "syms: 4294967295 records cannot fit in 6 bytes" },
	{ "ksyms count", TREC_BLK_KSYMS, UINT32_MAX, B(0, 'T', 0, 0, 0, 0),
	  "ksyms: 4294967295 records cannot fit in 6 bytes" },
	{ "loss count", TREC_BLK_LOSS, UINT32_MAX, B(0, 0, 0, 1, 0, 0), "loss: 4294967295 records cannot fit in 6 bytes" },
	{ "events count", TREC_BLK_EVENTS, UINT32_MAX, B(0, 0),
	  "events payload: 4294967295 events exceed the limit of 1048576" },
	{ "events count at the limit", TREC_BLK_EVENTS, 1u << 20, B(0, 0),
	  "events payload: holds 0 events, block header says 1048576" },
	/* one type claiming a million 1 MiB events: refused before anything is sized by it */
	{ "events sizes", TREC_BLK_EVENTS, 1u << 20, B(0x80, 0x80, 0x40, 1, 7, 0x80, 0x80, 0x40, 0x80, 0x80, 0x40, 0, 0),
	  "events payload: type 7: decoded payloads exceed 67108864 bytes" },
	/* a record count that fits, and a record that says it holds more */
	{ "events type count", TREC_BLK_EVENTS, 2, B(2, 200, 1), "events payload: 200 types for 2 events" },

	/* lengths of strings and arrays past the payload's end or over their limit */
	/* key "k" of 1000 bytes: varint 0xe8 0x07 */
	{ "meta key", TREC_BLK_META, 1, B(0xe8, 0x07, 'a', 'b', 'c'), "meta record 0: key of 1000 bytes runs past the end" },
	{ "meta string", TREC_BLK_META, 1, B(1, 'k', 4, 0x88, 0x27, 'x'),
	  "meta record 0: string value of 5000 bytes exceeds 4096" },
	{ "meta bytes", TREC_BLK_META, 1, B(1, 'k', 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20),
	  "meta record 0: bytes value of 1099511627776 bytes exceeds 67108864" },
	{ "meta bytes past end", TREC_BLK_META, 1, B(1, 'k', 5, 100, 'x'),
	  "meta record 0: bytes value of 100 bytes runs past the end" },
	{ "meta type", TREC_BLK_META, 1, B(1, 'k', 9, 0), "meta record 0 (\"k\"): unknown value type 9" },
	/* tasks: ts 0, kind SNAPSHOT, pid 1, tid 0, present = comm; comm of 300 bytes */
	{ "task comm", TREC_BLK_TASKS, 1, B(0, 1, 1, 0, 0x08, 0xac, 0x02, 'x'),
	  "tasks record 0: comm of 300 bytes exceeds 15" },
	{ "task filename", TREC_BLK_TASKS, 1, B(0, 4, 1, 0, 0x10, 50, '/', 'b'),
	  "tasks record 0: filename of 50 bytes runs past the end" },
	{ "task kind", TREC_BLK_TASKS, 1, B(0, 77, 1, 0, 0), "tasks record 0: unknown kind 77" },
	/* maps: ts, pid, prot, flags, start, len, pgoff, same = 0, build-id, path */
	{ "map build-id", TREC_BLK_MAPS, 1, B(0, 2, 5, 2, 0, 1, 0, 0, 200, 1, 2, 3),
	  "maps record 0: build-id of 200 bytes exceeds 64" },
	{ "map build-id past end", TREC_BLK_MAPS, 1, B(0, 2, 5, 2, 0, 1, 0, 0, 20, 1, 2, 3),
	  "maps record 0: build-id runs past the end" },
	{ "map path", TREC_BLK_MAPS, 1, B(0, 2, 5, 2, 0, 1, 0, 0, 0, 40, '/', 'l', 'i', 'b'),
	  "maps record 0: path of 40 bytes runs past the end" },
	{ "map flags", TREC_BLK_MAPS, 1, B(0, 2, 5, 2, 0, 1, 0, 0x80, 0, 0), "maps record 0: unknown flag bits 0x80" },
	/* stacks: id delta, nkernel, nuser, frames */
	{ "stack depth", TREC_BLK_STACKS, 1, B(2, 0x88, 0x27, 0, 1, 1),
	  "stacks record 0 (id 1): 5000 kernel + 0 user frames exceeds 1024" },
	{ "stack frames", TREC_BLK_STACKS, 1, B(2, 0, 100, 1, 1, 1),
	  "stacks record 0 (id 1): 100 frames cannot fit in 3 bytes" },
	{ "stack id 0", TREC_BLK_STACKS, 1, B(0, 0, 0), "stacks record 0: id out of range 1..4294967295" },
	/* syms: build-id length, build-id, path, load_bias, nsyms, symbols (addr, size, name) */
	{ "symbols of one DSO", TREC_BLK_SYMS, 1, B(0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0),
	  "syms record 0 (): 2147483648 symbols cannot fit in 3 bytes" },
	{ "sym name", TREC_BLK_SYMS, 1, B(0, 0, 0, 1, 16, 4, 60, 'm', 'a', 'i', 'n'),
	  "syms record 0: symbol name of 60 bytes runs past the end" },
	{ "syms build-id", TREC_BLK_SYMS, 1, B(65, 0, 0, 0), "syms record 0: build-id of 65 bytes exceeds 64" },
	/* symext: build-id length, build-id, path, nsyms, digest (4 bytes), names, functions */
	{ "symext count", TREC_BLK_SYMEXT, UINT32_MAX, B(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	  "symext: 4294967295 records cannot fit in 10 bytes" },
	{ "symext names", TREC_BLK_SYMEXT, 1, B(0, 0, 1, 0, 0, 0, 0, 5, 0, 1, 'a'),
	  "symext record 0: 5 names for 1 symbols in 3 bytes" },
	{ "symext name index", TREC_BLK_SYMEXT, 1, B(0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 'a', 0),
	  "symext record 0 name 0: symbol index past the 1 symbols" },
	{ "symext demangled name", TREC_BLK_SYMEXT, 1, B(0, 0, 1, 0, 0, 0, 0, 1, 0, 60, 'x'),
	  "symext record 0: demangled name of 60 bytes runs past the end" },
	{ "symext function count", TREC_BLK_SYMEXT, 1, B(0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0),
	  "symext record 0: 2147483648 functions cannot fit in 2 bytes" },
	{ "symext function size", TREC_BLK_SYMEXT, 1, B(0, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0),
	  "symext record 0 function 0: size 0 is 0 or runs past 2^64" },
	/* ksyms: addr, type letter, name, module */
	{ "ksym name", TREC_BLK_KSYMS, 1, B(1, 'T', 30, 'x', 0), "ksyms record 0: name runs past the end" },
	{ "ksym module", TREC_BLK_KSYMS, 1, B(1, 'T', 1, 'x', 30, 'e', 'x', 't'),
	  "ksyms record 0 (x): module runs past the end" },
	{ "loss reason", TREC_BLK_LOSS, 1, B(0, 0, 0, 9, 1), "loss record 0: unknown reason 9" },
	/* a count too small for the bytes: what is left over is an error too */
	{ "trailing bytes", TREC_BLK_LOSS, 1, B(0, 0, 0, 1, 1, 0, 0, 0, 1, 1),
	  "loss: 5 bytes of trailing garbage after 1 records" },
};

static void test_bad_payloads(void **state)
{
	for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
		const struct bad_payload *c = &bad_payloads[i];
		struct fb f;
		fb_begin(&f);
		/* After a good block, so the index and offset are not the first ones. */
		fb_good_meta(&f);
		struct trec_block_header h = { .kind = c->kind, .count = c->count, .first_ts = 1, .last_ts = 1 };
		uint64_t off = fb_block(&f, h, c->bytes, c->len);
		struct trec_index_entry x[FB_MAX_BLOCKS];
		fb_entries(&f, x);
		fb_footer_entries(&f, x, f.n);
		const char *path = fb_write(&f, "payload.data");
		show("case", c->name);
		load_fails(path, c->kind, 1, off, c->what);
	}
}

/* ---- schemas ------------------------------------------------------------------------------ */

/* One schema record: id, name, probe "", flags 0, fixed_size, nfields, then `fields` bytes. */
static void put_schema(struct tbuf *p, uint32_t id, uint64_t fixed, uint64_t nfields, const uint8_t *fields,
		       size_t flen)
{
	tbuf_put_uvarint(p, id);
	tbuf_put_str(p, "t:x");
	tbuf_put_str(p, "");
	tbuf_put_uvarint(p, 0);
	tbuf_put_uvarint(p, fixed);
	tbuf_put_uvarint(p, nfields);
	tbuf_put(p, fields, flen);
}

/* A field: name, ctype "", kind, flags 0, offset delta, elem_size, count. */
static size_t field(uint8_t *out, const char *name, unsigned kind, int64_t doff, uint64_t elem, uint64_t count)
{
	struct tbuf b;
	tbuf_init(&b);
	tbuf_put_str(&b, name);
	tbuf_put_str(&b, "");
	tbuf_put_uvarint(&b, kind);
	tbuf_put_uvarint(&b, 0);
	tbuf_put_svarint(&b, doff);
	tbuf_put_uvarint(&b, elem);
	tbuf_put_uvarint(&b, count);
	memcpy(out, b.data, b.len);
	size_t n = b.len;
	tbuf_free(&b);
	return n;
}

static void schema_fails(const char *name, uint32_t id, uint64_t fixed, uint64_t nfields, const uint8_t *fields,
			 size_t flen, const char *what)
{
	struct tbuf p;
	tbuf_init(&p);
	put_schema(&p, id, fixed, nfields, fields, flen);
	struct fb f;
	fb_begin(&f);
	fb_good_meta(&f);
	uint64_t off = fb_kind(&f, TREC_BLK_SCHEMA, 1, &p);
	tbuf_free(&p);
	show("case", name);
	load_fails(fb_write(&f, "schema.data"), TREC_BLK_SCHEMA, 1, off, what);
}

static void test_bad_schemas(void **state)
{
	uint8_t fl[512];
	size_t n;

	schema_fails("field count over the limit", 5, 8, 5000, NULL, 0, "schema record 0: 5000 fields exceed 1024");
	n = field(fl, "a", TREC_F_UINT, 0, 8, 1);
	schema_fails("field count over the payload", 5, 8, 1000, fl, n,
		     "schema record 0: 1000 fields cannot fit in 8 bytes");
	/* A u64 at offset 8 of an 8-byte payload. */
	n = field(fl, "a", TREC_F_UINT, 8, 8, 1);
	schema_fails("field past fixed size", 5, 8, 1, fl, n,
		     "schema record 0: schema 5 \"t:x\": field \"a\" [8, 16) exceeds fixed size 8");
	/* An array whose elements times count overruns the payload. */
	n = field(fl, "a", TREC_F_UINT, 0, 8, 1u << 20);
	schema_fails("array past fixed size", 5, 64, 1, fl, n,
		     "schema record 0: schema 5 \"t:x\": field \"a\" [0, 8388608) exceeds fixed size 64");
	/* An offset delta that lands below 0, and one past 2^32. */
	n = field(fl, "a", TREC_F_UINT, -1, 8, 1);
	schema_fails("negative offset", 5, 64, 1, fl, n, "schema record 0: field \"a\" offset out of range");
	n = field(fl, "a", TREC_F_UINT, (int64_t)1 << 33, 8, 1);
	schema_fails("offset over 4 GiB", 5, 64, 1, fl, n, "schema record 0: field \"a\" offset out of range");
	/* Sizes over 1 MiB are refused while decoding, before any arithmetic. */
	n = field(fl, "a", TREC_F_BYTES, 0, (uint64_t)1 << 40, 1);
	schema_fails("huge element", 5, 64, 1, fl, n, "schema record 0: field \"a\" truncated or out of range");
	schema_fails("huge fixed size", 5, (uint64_t)1 << 31, 0, NULL, 0,
		     "schema record 0: schema 5 \"t:x\": fixed size 2147483648 exceeds 1048576");
	/* Two fields over the same bytes. */
	n = field(fl, "a", TREC_F_UINT, 0, 8, 1);
	n += field(fl + n, "b", TREC_F_UINT, -4, 4, 1);
	schema_fails("overlap", 5, 16, 2, fl, n, "schema record 0: schema 5 \"t:x\": field \"b\" at 4 overlaps \"a\" at 0");
	/* A __data_loc that is not one u32. */
	n = field(fl, "s", TREC_F_DATA_LOC, 0, 4, 2);
	schema_fails("data_loc array", 5, 16, 1, fl, n, "dynamic field \"s\" must be one u32 (is 2 x 4 bytes)");
	schema_fails("type id 0", 0, 8, 0, NULL, 0, "schema record 0: schema \"t:x\": id 0 outside 1..65535");
	schema_fails("type id over 65535", 70000, 8, 0, NULL, 0, "id 70000 outside 1..65535");
}

/* ---- events: strings out of range, types without a schema --------------------------------- */

enum { T_OPEN = 5, T_ORPHAN = 9 };

static const struct trec_field open_fields[] = {
	{ "filename", "__data_loc char[]", TREC_F_DATA_LOC, 0, 0, 4, 1 },
	{ "path", "__rel_loc char[]", TREC_F_REL_LOC, 0, 4, 4, 1 },
	{ "flags", "int", TREC_F_INT, 0, 8, 4, 1 },
};
static const struct trec_schema open_schema = { T_OPEN, "test:open", "tracepoint:test:open", 0, 12, 3, open_fields };
static const struct trec_field orphan_fields[] = { { "v", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema orphan_schema = { T_ORPHAN, "test:orphan", "", 0, 8, 1, orphan_fields };

/* An events block of the given events, encoded by the project's codec. */
static uint64_t fb_events(struct fb *f, const struct trec_event *evs, size_t n)
{
	struct trec_layout lo[2];
	assert_int_equal(trec_layout_build(&open_schema, &lo[0]), 0);
	assert_int_equal(trec_layout_build(&orphan_schema, &lo[1]), 0);
	const struct trec_layout *by_id[T_ORPHAN + 1] = { [T_OPEN] = &lo[0], [T_ORPHAN] = &lo[1] };
	struct trec_layout_table lt = { T_ORPHAN + 1, by_id };
	struct trec_evbuf *eb = trec_evbuf_new();
	assert_non_null(eb);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(trec_evbuf_add(eb, &evs[i]), 0);
	struct tbuf p;
	tbuf_init(&p);
	struct trec_err e = { 0 };
	assert_int_equal(trec_events_encode(eb, &lt, &p, &e), 0);
	struct trec_block_header h = { .kind = TREC_BLK_EVENTS, .count = (uint32_t)n,
				       .first_ts = trec_evbuf_first_ts(eb), .last_ts = trec_evbuf_last_ts(eb) };
	uint64_t off = fb_block(f, h, p.data, p.len);
	tbuf_free(&p);
	trec_evbuf_free(eb);
	trec_layout_free(&lo[0]);
	trec_layout_free(&lo[1]);
	return off;
}

static uint64_t fb_schema(struct fb *f, const struct trec_schema *s)
{
	struct tbuf p;
	tbuf_init(&p);
	assert_int_equal(trec_schema_encode(&p, s, 1), 0);
	uint64_t off = fb_kind(f, TREC_BLK_SCHEMA, 1, &p);
	tbuf_free(&p);
	return off;
}

/* open_schema's payload: filename and path as __data_loc / __rel_loc u32s
 * (len << 16 | offset), flags, then the tail. */
static void open_payload(uint8_t *out, uint32_t data_loc, uint32_t rel_loc, const char *tail, size_t tlen)
{
	memcpy(out, &data_loc, 4);
	memcpy(out + 4, &rel_loc, 4);
	int32_t flags = 0x241;
	memcpy(out + 8, &flags, 4);
	memcpy(out + 12, tail, tlen);
}

static void test_strings_out_of_range(void **state)
{
	uint8_t good[20], far[20], long_[20], rel[20];
	/* "/etc" at 12..16 for both: rel_loc counts from the end of its u32 (at 8) */
	open_payload(good, 5u << 16 | 12, 5u << 16 | 4, "/etc", 5);
	open_payload(far, 5u << 16 | 0xfff0, 5u << 16 | 4, "/etc", 5);   /* offset past the event */
	open_payload(long_, 0xfff0u << 16 | 12, 5u << 16 | 4, "/etc", 5); /* length past the event */
	open_payload(rel, 5u << 16 | 12, 5u << 16 | 0xfffc, "/etc", 5);   /* rel offset past the event */
	const struct trec_event evs[] = {
		{ .ts = 100, .pid = 1, .tid = 1, .type = T_OPEN, .size = 17, .data = good },
		{ .ts = 101, .pid = 1, .tid = 1, .type = T_OPEN, .size = 17, .data = far },
		{ .ts = 102, .pid = 1, .tid = 1, .type = T_OPEN, .size = 17, .data = long_ },
		{ .ts = 103, .pid = 1, .tid = 1, .type = T_OPEN, .size = 17, .data = rel },
	};
	struct fb f;
	fb_begin(&f);
	fb_schema(&f, &open_schema);
	fb_events(&f, evs, 4);
	const char *path = fb_write(&f, "strings.data");

	/* The reader: each bad location is an -ERANGE for that field alone. */
	struct trec_reader *r = open_ok(path, 0);
	const struct trec_schema *s = trec_reader_schema(r, T_OPEN);
	assert_non_null(s);
	struct trec_event_iter *it;
	assert_int_equal(trec_event_iter_new(r, NULL, &it), 0);
	struct trec_event ev;
	struct trec_err e = { 0 };
	const int want_fn[] = { 0, -ERANGE, -ERANGE, 0 }, want_path[] = { 0, 0, 0, -ERANGE };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(trec_event_iter_next(it, &ev, &e), 1);
		const char *str;
		uint32_t len;
		int rc = trec_field_get_str(&s->fields[0], ev.data, ev.size, 0, &str, &len);
		assert_int_equal(rc, want_fn[i]);
		if (!rc)
			assert_memory_equal(str, "/etc", 5);
		assert_int_equal(trec_field_get_str(&s->fields[1], ev.data, ev.size, 0, &str, &len), want_path[i]);
		int64_t flags;
		assert_int_equal(trec_field_get_i64(&s->fields[2], ev.data, ev.size, 0, 0, &flags), 0);
		assert_int_equal(flags, 0x241);
	}
	assert_int_equal(trec_event_iter_next(it, &ev, &e), 0);
	trec_event_iter_free(it);
	trec_reader_close(r);

	/* trec script: '?' for the field it cannot read, the rest as usual. */
	struct run rn = run_cmd(cmd_script, "script", "-i", path, NULL);
	assert_int_equal(rn.rc, 0);
	assert_msg_has(rn.out, "test:open: filename=/etc path=/etc flags=577\n");
	assert_msg_has(rn.out, "test:open: filename=? path=/etc flags=577\n");
	assert_msg_has(rn.out, "test:open: filename=/etc path=? flags=577\n");
	run_free(&rn);
}

/* Events of a type no schema describes decode (blocks are self-describing)
 * and print by type number and size. */
static void test_event_without_schema(void **state)
{
	uint64_t v = 42;
	const struct trec_event evs[] = {
		{ .ts = 100, .pid = 3, .tid = 3, .type = T_ORPHAN, .size = 8, .data = &v },
	};
	struct fb f;
	fb_begin(&f);
	fb_schema(&f, &open_schema);
	fb_events(&f, evs, 1);
	const char *path = fb_write(&f, "orphan.data");
	struct trec_reader *r = open_ok(path, 0);
	assert_null(trec_reader_schema(r, T_ORPHAN));
	size_t n;
	struct trec_err e = { 0 };
	assert_int_equal(load(r, TREC_BLK_EVENTS, &n, &e), 0);
	assert_int_equal(n, 1);
	trec_reader_close(r);

	struct run rn = run_cmd(cmd_script, "script", "-i", path, NULL);
	assert_int_equal(rn.rc, 0);
	assert_msg_has(rn.out, " type:9: size=8\n");
	run_free(&rn);
}

/* ---- stacks pointing at ids nobody defined ----------------------------------------------- */

static const struct trec_field clock_fields[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema clock_schema = { 1, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1,
						 clock_fields };

/* cpu-clock samples with stacks 1 and 42; the stacks block is `stacks`. */
static const char *stacks_file(const char *name, const struct tbuf *stacks, uint32_t nstacks, uint64_t *stacks_off)
{
	struct fb f;
	fb_begin(&f);
	fb_schema(&f, &clock_schema);
	*stacks_off = fb_kind(&f, TREC_BLK_STACKS, nstacks, stacks);
	/* events by hand through the codec: 2 events on stack 1, 3 on stack 42 */
	struct trec_layout lo;
	assert_int_equal(trec_layout_build(&clock_schema, &lo), 0);
	const struct trec_layout *by_id[2] = { NULL, &lo };
	struct trec_layout_table lt = { 2, by_id };
	struct trec_evbuf *eb = trec_evbuf_new();
	uint64_t period = 1;
	for (uint32_t i = 0; i < 5; i++) {
		struct trec_event ev = { .ts = 100 + i, .pid = 7, .tid = 8, .type = 1, .stack_id = i < 2 ? 1 : 42,
					 .size = 8, .data = &period };
		assert_int_equal(trec_evbuf_add(eb, &ev), 0);
	}
	struct tbuf p;
	tbuf_init(&p);
	struct trec_err e = { 0 };
	assert_int_equal(trec_events_encode(eb, &lt, &p, &e), 0);
	fb_block(&f, (struct trec_block_header){ .kind = TREC_BLK_EVENTS, .count = 5, .first_ts = 100, .last_ts = 104 },
		 p.data, p.len);
	tbuf_free(&p);
	trec_evbuf_free(eb);
	trec_layout_free(&lo);
	struct trec_index_entry x[FB_MAX_BLOCKS];
	fb_entries(&f, x);
	fb_footer_entries(&f, x, f.n);
	return fb_write(&f, name);
}

static void test_missing_stack_ids(void **state)
{
	/* Stack 1 (one kernel frame) exists; events also point at 42, which does not. */
	const uint64_t ips[] = { 0xffffffff81000000ull };
	struct trec_stack st = { .id = 1, .nkernel = 1, .ips = ips };
	struct tbuf p;
	tbuf_init(&p);
	assert_int_equal(trec_stack_encode(&p, &st, 1), 0);
	uint64_t soff;
	const char *path = stacks_file("nostack.data", &p, 1, &soff);
	tbuf_free(&p);

	struct trec_reader *r = open_ok(path, 0);
	assert_non_null(trec_reader_stack(r, 1));
	assert_null(trec_reader_stack(r, 42));
	assert_null(trec_reader_stack(r, 0));
	assert_null(trec_reader_stack(r, UINT32_MAX));
	size_t n;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_stacks(r, &n, &e), 0);
	assert_int_equal(n, 1);
	trec_reader_close(r);

	/* The report's documented partial result: [unknown] frames, counted in a warning. */
	struct run rn = run_cmd(cmd_report, "report", "--folded", "-i", path, NULL);
	assert_int_equal(rn.rc, 0);
	assert_msg_has(rn.out, ":8;[unknown] 3\n");
	assert_msg_has(rn.out, ":8;[unknown]_[k] 2\n"); /* stack 1's kernel frame: no ksyms to name it */
	assert_msg_has(rn.err, "3 events refer to stacks missing from");
	run_free(&rn);
}

/* A stacks block that does not decode is an error naming it, not every
 * stack silently "missing". */
static void test_stacks_block_unreadable(void **state)
{
	struct tbuf p;
	tbuf_init(&p);
	const uint8_t bad[] = { 2, 0, 100, 1, 1, 1 }; /* id 1: 100 user frames in 3 bytes */
	tbuf_put(&p, bad, sizeof(bad));
	uint64_t soff;
	const char *path = stacks_file("badstacks.data", &p, 1, &soff);
	tbuf_free(&p);

	struct trec_reader *r = open_ok(path, 0);
	size_t n;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_stacks(r, &n, &e), -EBADMSG);
	char want[600];
	snprintf(want, sizeof(want), "%sstacks record 0 (id 1): 100 frames cannot fit in 3 bytes",
		 where(path, 1, "stacks", soff));
	assert_msg_has(e.msg, want);
	assert_null(trec_reader_stack(r, 1));
	trec_reader_close(r);

	struct run rn = run_cmd(cmd_report, "report", "--folded", "-i", path, NULL);
	assert_int_equal(rn.rc, 1);
	assert_msg_has(rn.err, want);
	assert_string_equal(rn.out, "");
	run_free(&rn);

	/* With --ignore-corrupt: skipped with a warning, the stacks shown as [unknown]. */
	rn = run_cmd(cmd_report, "report", "--folded", "--ignore-corrupt", "-i", path, NULL);
	assert_int_equal(rn.rc, 0);
	assert_msg_has(rn.out, ":8;[unknown] 5\n");
	assert_msg_has(rn.err, "5 events refer to stacks missing from");
	run_free(&rn);
}

/* ---- symbols out of range -------------------------------------------------------------------- */

static void test_symbol_addresses_overflow(void **state)
{
	/* syms: no build-id, path "", bias 0, 2 symbols: addr 2^64-16, then +32 */
	struct tbuf p;
	tbuf_init(&p);
	tbuf_put_u8(&p, 0);
	tbuf_put_str(&p, "");
	tbuf_put_uvarint(&p, 0);
	tbuf_put_uvarint(&p, 2);
	tbuf_put_uvarint(&p, UINT64_MAX - 15);
	tbuf_put_uvarint(&p, 0);
	tbuf_put_str(&p, "top");
	tbuf_put_uvarint(&p, 32);
	tbuf_put_uvarint(&p, 0);
	tbuf_put_str(&p, "wraps");
	struct fb f;
	fb_begin(&f);
	uint64_t off = fb_kind(&f, TREC_BLK_SYMS, 1, &p);
	load_fails(fb_write(&f, "symwrap.data"), TREC_BLK_SYMS, 0, off, "syms record 0 symbol 1: address overflows");

	/* ksyms: the same, kernel side */
	tbuf_reset(&p);
	tbuf_put_uvarint(&p, UINT64_MAX - 15);
	tbuf_put_u8(&p, 'T');
	tbuf_put_str(&p, "top");
	tbuf_put_uvarint(&p, 0);
	tbuf_put_uvarint(&p, 32);
	tbuf_put_u8(&p, 'T');
	tbuf_put_str(&p, "wraps");
	tbuf_put_uvarint(&p, 0);
	fb_begin(&f);
	off = fb_kind(&f, TREC_BLK_KSYMS, 2, &p);
	load_fails(fb_write(&f, "ksymwrap.data"), TREC_BLK_KSYMS, 0, off, "ksyms record 1: address overflows");
	tbuf_free(&p);
}

#define LIB_START 0x7f0000000000ull

/*
 * Valid encodings of absurd tables: symbols far outside their DSO, a
 * symbol whose size reaches to the end of the address space, a load bias
 * that wraps every lookup, kernel symbols at 0 and at the last address.
 * The file says what it says: lookups must not crash or overflow (UBSan),
 * and give the answer those tables imply.
 */
static void test_symbols_absurd_but_valid(void **state)
{
	struct fb f;
	fb_begin(&f);
	struct tbuf p;
	tbuf_init(&p);
	struct trec_task t = { .ts = 1, .kind = TREC_TASK_SNAPSHOT, .pid = 100, .tid = 100, .comm = "app", .filename = "" };
	assert_int_equal(trec_task_encode(&p, &t, 1), 0);
	fb_kind(&f, TREC_BLK_TASKS, 1, &p);

	/* three libraries of pid 100, one page each; build-ids 0xa1, 0xa2, 0xa3 */
	struct trec_map m[3];
	const char *paths[3] = { "/lib/far.so", "/lib/huge.so", "/lib/bias.so" };
	for (int i = 0; i < 3; i++) {
		m[i] = (struct trec_map){ .ts = 1, .pid = 100, .prot = 5, .flags = 2,
					  .start = LIB_START + (uint64_t)i * 0x10000, .len = 0x1000, .path = paths[i],
					  .build_id_len = 20 };
		memset(m[i].build_id, 0xa1 + i, 20);
	}
	tbuf_reset(&p);
	assert_int_equal(trec_map_encode(&p, m, 3), 0);
	fb_kind(&f, TREC_BLK_MAPS, 3, &p);

	const struct trec_sym far[] = { SYM(1ull << 60, 16, "far_away"), SYM(UINT64_MAX, 1, "last_byte") };
	const struct trec_sym huge[] = { SYM(0x10, UINT64_MAX, "everything") };
	const struct trec_sym bias[] = { SYM(0x100, 0x100, "wrapped") };
	struct trec_dso_syms d[3] = {
		{ .build_id_len = 20, .path = paths[0], .nsyms = 2, .syms = far },
		{ .build_id_len = 20, .path = paths[1], .nsyms = 1, .syms = huge },
		/* bias chosen so that file offset + bias wraps past 2^64 to land on 0x100.. */
		{ .build_id_len = 20, .path = paths[2], .load_bias = UINT64_MAX - 0xff, .nsyms = 1, .syms = bias },
	};
	for (int i = 0; i < 3; i++)
		memset(d[i].build_id, 0xa1 + i, 20);
	tbuf_reset(&p);
	assert_int_equal(trec_dso_syms_encode(&p, d, 3), 0);
	fb_kind(&f, TREC_BLK_SYMS, 3, &p);

	const struct trec_ksym ks[] = { { 0, 'T', "at_zero", "" }, { UINT64_MAX, 'T', "at_top", "mod" } };
	tbuf_reset(&p);
	assert_int_equal(trec_ksym_encode(&p, ks, 2), 0);
	fb_kind(&f, TREC_BLK_KSYMS, 2, &p);
	tbuf_free(&p);
	struct trec_index_entry x[FB_MAX_BLOCKS];
	fb_entries(&f, x);
	fb_footer_entries(&f, x, f.n);
	const char *path = fb_write(&f, "symabsurd.data");

	struct trec_reader *r = open_ok(path, 0);
	struct symbolizer *s;
	struct trec_err e = { 0 };
	assert_int_equal(symbolizer_new(r, NULL, &s, &e), 0);
	struct sym_result res;
	char buf[256];

	/* far.so: no symbol lies inside the mapping: DSO + offset, unnamed */
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x10, 0, &res), 0);
	assert_false(res.found);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "far.so+0x10");
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0xfff, 0, &res), 0);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "far.so+0xfff");

	/* huge.so: "everything" claims every address from 0x10 on, as the file says */
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x10000 + 0x800, 0, &res), 0);
	assert_true(res.found);
	assert_string_equal(res.name, "everything");
	assert_int_equal(res.offset, 0x7f0);
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x10000 + 0x8, 0, &res), 0);
	assert_false(res.found);

	/* bias.so: file offset 0x200 + bias wraps to 0x100, the symbol's start */
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x20000 + 0x200, 0, &res), 0);
	assert_true(res.found);
	assert_string_equal(res.name, "wrapped");
	assert_int_equal(res.offset, 0);

	/* kernel: the symbol at 0 reaches up to the one at the last address */
	assert_int_equal(symbolize(s, 0, 0, 0x1234, 1, &res), 0);
	assert_string_equal(res.name, "at_zero");
	assert_int_equal(res.offset, 0x1234);
	assert_int_equal(symbolize(s, 0, 0, UINT64_MAX, 1, &res), 0);
	assert_string_equal(res.name, "at_top");
	assert_string_equal(res.dso, "[mod]");
	assert_int_equal(res.offset, 0);

	/* outside every mapping */
	assert_int_equal(symbolize(s, 100, 10, 0x1000, 0, &res), -ENOENT);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "[unknown]");
	symbolizer_free(s);
	trec_reader_close(r);
}

/*
 * SYMEXT records that decode but do not fit: one that pairs with no table
 * (its digest is another table's) is ignored with a warning; unnamed
 * functions that overlap each other and the named symbols, up to the end
 * of the address space, are looked up as the file says, without a crash.
 */

/* A file of one process mapping /lib/x.so, its SYMS table (one named
 * symbol), and a SYMEXT block made from `ext`; returns its path. */
static const char *symext_file(const char *name, const struct trec_sym *ext, uint32_t next)
{
	struct fb f;
	fb_begin(&f);
	struct tbuf p;
	tbuf_init(&p);
	struct trec_task t = { .ts = 1, .kind = TREC_TASK_SNAPSHOT, .pid = 100, .tid = 100, .comm = "app", .filename = "" };
	assert_int_equal(trec_task_encode(&p, &t, 1), 0);
	fb_kind(&f, TREC_BLK_TASKS, 1, &p);
	struct trec_map m = { .ts = 1, .pid = 100, .prot = 5, .flags = 2, .start = LIB_START, .len = 0x10000,
			      .path = "/lib/x.so", .build_id_len = 20 };
	memset(m.build_id, 0xb1, 20);
	tbuf_reset(&p);
	assert_int_equal(trec_map_encode(&p, &m, 1), 0);
	fb_kind(&f, TREC_BLK_MAPS, 1, &p);

	const struct trec_sym named[] = { SYM(0x1000, 0x100, "_Z4realv") };
	struct trec_dso_syms d = { .build_id_len = 20, .path = m.path, .nsyms = 1, .syms = named };
	memset(d.build_id, 0xb1, 20);
	tbuf_reset(&p);
	assert_int_equal(trec_dso_syms_encode(&p, &d, 1), 0);
	fb_kind(&f, TREC_BLK_SYMS, 1, &p);

	d.syms = ext;
	d.nsyms = next;
	tbuf_reset(&p);
	assert_int_equal(trec_dso_symext_encode(&p, &d, 1), 0);
	fb_kind(&f, TREC_BLK_SYMEXT, 1, &p);
	tbuf_free(&p);
	struct trec_index_entry x[FB_MAX_BLOCKS];
	fb_entries(&f, x);
	fb_footer_entries(&f, x, f.n);
	return fb_write(&f, name);
}

static void test_symext_mismatched_and_absurd(void **state)
{
	/* an extension written for another table under the same key */
	const struct trec_sym other[] = { { .addr = 0x1000, .size = 0x100, .name = "_Z5otherv", .demangled = "other()" } };
	const char *path = symext_file("symext_other.data", other, 1);
	struct trec_reader *r = open_ok(path, 0);
	const struct trec_dso_syms *got;
	size_t n;
	struct trec_err e = { 0 };
	assert_int_equal(trec_reader_dso_syms(r, &got, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].nsyms, 1);
	assert_string_equal(got[0].syms[0].name, "_Z4realv");
	assert_null(got[0].syms[0].demangled);
	assert_msg_has(trec_reader_warnings(r), "1 symbol table extensions (symext) match no symbol table; ignored");
	trec_reader_close(r);

	/* an extension of the real table, absurd but valid: a function over
	 * the whole address space from 0, one inside the named symbol, one at
	 * the last address */
	const struct trec_sym absurd[] = {
		{ .addr = 0x1000, .size = 0x100, .name = "_Z4realv", .demangled = "real" },
		{ .addr = 0, .size = UINT64_MAX, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = 0x1010, .size = 8, .name = "", .flags = TREC_SYM_FDE },
		{ .addr = UINT64_MAX, .size = 1, .name = "", .flags = TREC_SYM_FDE },
	};
	path = symext_file("symext_absurd.data", absurd, 4);
	r = open_ok(path, 0);
	struct symbolizer *s;
	assert_int_equal(symbolizer_new(r, NULL, &s, &e), 0);
	assert_string_equal(trec_reader_warnings(r), "");
	struct sym_result res;
	char buf[256];
	/* before the named symbol: the function from 0 holds it */
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x800, 0, &res), 0);
	assert_true(res.fde);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "x.so+0x0");
	/* the named symbol's start; inside it, the nested function the file
	 * says starts at 0x1010 */
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x1000, 0, &res), 0);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "real");
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x1014, 0, &res), 0);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "x.so+0x1010");
	/* past both: the symbol at the greatest address below (the nested
	 * function) does not reach, so nothing names it */
	assert_int_equal(symbolize(s, 100, 10, LIB_START + 0x2000, 0, &res), 0);
	assert_false(res.found);
	assert_false(res.fde);
	assert_string_equal(sym_format(&res, buf, sizeof(buf)), "x.so+0x2000");
	symbolizer_free(s);
	trec_reader_close(r);
}

/* ---- the footer index -------------------------------------------------------------------- */

/* meta, schema, events: a small whole file whose blocks the tests below
 * describe wrongly in the index. */
static void index_base(struct fb *f)
{
	uint64_t v = 1;
	const struct trec_event ev = { .ts = 100, .pid = 3, .tid = 3, .type = T_ORPHAN, .size = 8, .data = &v };
	fb_begin(f);
	fb_good_meta(f);
	fb_schema(f, &orphan_schema);
	fb_events(f, &ev, 1);
}

/* The file still reads in full, by walking its blocks, with a warning. */
static void falls_back(const char *path, const char *warning)
{
	struct trec_reader *r = open_ok(path, 0);
	const struct trec_file_info *fi = trec_reader_info(r);
	show("index", trec_reader_warnings(r));
	assert_false(fi->has_index);
	assert_false(fi->truncated);
	assert_int_equal(fi->nblocks, 3);
	assert_msg_has(trec_reader_warnings(r), warning);
	size_t n;
	struct trec_err e = { 0 };
	assert_int_equal(load(r, TREC_BLK_EVENTS, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_non_null(trec_reader_meta_get(r, "host.name"));
	trec_reader_close(r);
}

static void test_index_bad_entries(void **state)
{
	struct fb f;
	struct trec_index_entry x[FB_MAX_BLOCKS];
	char want[300];

	/* An entry past the end of the file. */
	index_base(&f);
	fb_entries(&f, x);
	x[2].offset = 1ull << 40;
	fb_footer_entries(&f, x, 3);
	snprintf(want, sizeof(want), "footer index entry 2 (events block at offset %llu, %u bytes) ends past the blocks",
		 1ull << 40, x[2].comp_len);
	falls_back(fb_write(&f, "ix-far.data"), want);

	/* An offset so large that offset + length wraps around 2^64. */
	index_base(&f);
	fb_entries(&f, x);
	x[2].offset = UINT64_MAX - 16;
	fb_footer_entries(&f, x, 3);
	snprintf(want, sizeof(want), "footer index entry 2 (events block at offset %llu, %u bytes) ends past the blocks",
		 (unsigned long long)(UINT64_MAX - 16), x[2].comp_len);
	falls_back(fb_write(&f, "ix-wrap.data"), want);

	/* Entries out of order: the second one starts inside the first. */
	index_base(&f);
	fb_entries(&f, x);
	x[1].offset = x[0].offset + 8;
	fb_footer_entries(&f, x, 3);
	snprintf(want, sizeof(want),
		 "footer index entry 1 (schema block at offset %llu, %u bytes) overlaps the block before it",
		 (unsigned long long)x[1].offset, x[1].comp_len);
	falls_back(fb_write(&f, "ix-overlap.data"), want);

	/* An entry naming a block of another kind than the one at its offset. */
	index_base(&f);
	fb_entries(&f, x);
	x[0].kind = TREC_BLK_STACKS;
	fb_footer_entries(&f, x, 3);
	falls_back(fb_write(&f, "ix-kind.data"), "block 0 header at offset 64 disagrees with the footer index");

	/* A time range backwards. */
	index_base(&f);
	fb_entries(&f, x);
	x[2].first_ts = 200;
	x[2].last_ts = 100;
	fb_footer_entries(&f, x, 3);
	falls_back(fb_write(&f, "ix-time.data"), "footer index entry 2 (events block at offset");

}

static void test_index_bad_block(void **state)
{
	struct fb f;
	struct trec_index_entry x[FB_MAX_BLOCKS];
	char want[300];

	/* A count of entries no index payload of that size holds. */
	index_base(&f);
	fb_entries(&f, x);
	struct trec_index ix = { .nentries = 3, .entries = x };
	struct tbuf p;
	tbuf_init(&p);
	assert_int_equal(trec_index_encode(&p, &ix), 0);
	uint64_t ioff = f.b.len;
	fb_footer_raw(&f, UINT32_MAX, &p, 0);
	snprintf(want, sizeof(want),
		 "footer index block at offset %llu unusable (index: 4294967295 entries cannot fit in %zu bytes)",
		 (unsigned long long)ioff, p.len);
	falls_back(fb_write(&f, "ix-count.data"), want);

	/* Type counts beyond the payload: entries, then ntypes = 2^31 */
	index_base(&f);
	fb_entries(&f, x);
	tbuf_reset(&p);
	ix.ntypes = 0;
	assert_int_equal(trec_index_encode(&p, &ix), 0);
	/* the encoding ends with ntypes 0, events 0, lost 0: replace them */
	p.len -= 3;
	tbuf_put_uvarint(&p, 1u << 31);
	tbuf_put_uvarint(&p, 0);
	tbuf_put_uvarint(&p, 0);
	ioff = f.b.len;
	fb_footer_raw(&f, 3, &p, 0);
	snprintf(want, sizeof(want),
		 "footer index block at offset %llu unusable (index: 2147483648 type counts cannot fit in 2 bytes)",
		 (unsigned long long)ioff);
	falls_back(fb_write(&f, "ix-types.data"), want);

	/* A trailer pointing past the file. */
	index_base(&f);
	fb_entries(&f, x);
	tbuf_reset(&p);
	assert_int_equal(trec_index_encode(&p, &ix), 0);
	fb_footer_raw(&f, 3, &p, 1ull << 40);
	falls_back(fb_write(&f, "ix-trailer.data"),
		   "footer trailer points outside the file or not at the block before it (index at offset 1099511627776");

	/* A trailer pointing at a block that is not the index (the events block). */
	index_base(&f);
	uint64_t evoff = f.off[2];
	fb_entries(&f, x);
	tbuf_reset(&p);
	assert_int_equal(trec_index_encode(&p, &ix), 0);
	fb_footer_raw(&f, 3, &p, evoff);
	snprintf(want, sizeof(want), "not at the block before it (index at offset %llu, ", (unsigned long long)evoff);
	falls_back(fb_write(&f, "ix-notindex.data"), want);
	tbuf_free(&p);
}

/* ---- the commands, end to end ------------------------------------------------------------ */

static void test_commands_fail_clearly(void **state)
{
	/* A schema block claiming 2^32 - 1 types: every command needs the schemas. */
	const struct bad_payload *c = &bad_payloads[1];
	assert_int_equal(c->kind, TREC_BLK_SCHEMA);
	struct fb f;
	fb_begin(&f);
	fb_good_meta(&f);
	uint64_t off = fb_block(&f, (struct trec_block_header){ .kind = c->kind, .count = c->count }, c->bytes, c->len);
	struct trec_index_entry x[FB_MAX_BLOCKS];
	fb_entries(&f, x);
	fb_footer_entries(&f, x, f.n);
	const char *path = fb_write(&f, "cmds.data");
	char want[600];
	snprintf(want, sizeof(want), "%s%s", where(path, 1, "schema", off), c->what);

	struct run rn = run_cmd(cmd_info, "info", "-i", path, NULL);
	assert_int_equal(rn.rc, 1);
	assert_msg_has(rn.err, want);
	run_free(&rn);
	rn = run_cmd(cmd_script, "script", "-i", path, NULL);
	assert_int_equal(rn.rc, 1);
	assert_msg_has(rn.err, want);
	run_free(&rn);
	rn = run_cmd(cmd_report, "report", "-i", path, NULL);
	assert_int_equal(rn.rc, 1);
	assert_msg_has(rn.err, want);
	run_free(&rn);

	/* A header over the limits: refused when the file is opened. */
	uint64_t off2;
	path = bad_lengths_file("cmds2.data", 0xfffffff0u, 16, &off2);
	snprintf(want, sizeof(want), "block 1: block at offset %llu: payload of 4294967280 bytes", (unsigned long long)off2);
	int (*cmds[])(int, char **) = { cmd_info, cmd_script, cmd_report };
	for (int i = 0; i < 3; i++) {
		rn = run_cmd(cmds[i], "cmd", "-i", path, NULL);
		assert_int_equal(rn.rc, 1);
		assert_msg_has(rn.err, want);
		/* one bad block: the advice is --ignore-corrupt, not "is it a trace?" */
		assert_msg_has(rn.err, "--ignore-corrupt");
		assert_null(strstr(rn.err, "is it a trace"));
		run_free(&rn);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths_over_limit),
		cmocka_unit_test(test_payload_past_end_of_file),
		cmocka_unit_test(test_raw_len_disagrees_with_zstd),
		cmocka_unit_test(test_time_range_reversed),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_bad_schemas),
		cmocka_unit_test(test_strings_out_of_range),
		cmocka_unit_test(test_event_without_schema),
		cmocka_unit_test(test_missing_stack_ids),
		cmocka_unit_test(test_stacks_block_unreadable),
		cmocka_unit_test(test_symbol_addresses_overflow),
		cmocka_unit_test(test_symbols_absurd_but_valid),
		cmocka_unit_test(test_symext_mismatched_and_absurd),
		cmocka_unit_test(test_index_bad_entries),
		cmocka_unit_test(test_index_bad_block),
		cmocka_unit_test(test_commands_fail_clearly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
