/* SPDX-License-Identifier: MIT */
/*
 * lib/gzwrite: what it writes is read back by real inflaters -- gzip -dc
 * and Python's zlib (gzip module) -- byte for byte: empty input, one
 * byte, ~100 MB of incompressible bytes, highly repetitive data, and
 * text-like data with matches at every distance; the CRC-32 against its
 * published check value; sizes bounded (stored fallback) and small
 * (matches found).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gzwrite.h"

static char dir[] = "/tmp/trec-gzwrite-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(len ? (size_t)len : 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Compresses in, has `gzip -dc` and Python's gzip module inflate it and
 * checks both give in back. Returns the compressed size. */
static size_t round_trip(const uint8_t *in, size_t n)
{
	struct tbuf gz;
	tbuf_init(&gz);
	assert_int_equal(gz_compress(in, n, &gz), 0);
	char gzpath[64], out[64], cmd[512];
	snprintf(gzpath, sizeof(gzpath), "%s/x.gz", dir);
	snprintf(out, sizeof(out), "%s/x.out", dir);
	write_file(gzpath, gz.data, gz.len);
	size_t gzlen = gz.len;
	tbuf_free(&gz);

	for (size_t r = 0; r < 2; r++) {
		unlink(out);
		if (r == 0)
			snprintf(cmd, sizeof(cmd), "gzip -t '%s' && gzip -dc '%s' > '%s'", gzpath, gzpath, out);
		else
			snprintf(cmd, sizeof(cmd), "python3 -c 'import gzip,sys; open(sys.argv[2],\"wb\").write("
				 "gzip.decompress(open(sys.argv[1],\"rb\").read()))' '%s' '%s'", gzpath, out);
		if (system(cmd) != 0)
			fail_msg("inflating failed: %s", cmd);
		size_t m;
		uint8_t *back = read_file(out, &m);
		assert_int_equal(m, n);
		if (n)
			assert_memory_equal(back, in, n);
		free(back);
	}
	return gzlen;
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(gz_crc32(0, "123456789", 9), 0xCBF43926u); /* the check value */
	assert_int_equal(gz_crc32(gz_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
	assert_int_equal(gz_crc32(0, "", 0), 0);
}

static void test_empty_and_one(void **state)
{
	(void)state;
	assert_true(round_trip((const uint8_t *)"", 0) <= 20);
	assert_true(round_trip((const uint8_t *)"x", 1) <= 21);
	uint8_t b = 0xff;
	round_trip(&b, 1);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_incompressible(void **state)
{
	(void)state;
	size_t n = 100u << 20;
	n += 12345; /* not a multiple of the block size */
	uint8_t *p = malloc(n);
	assert_non_null(p);
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = next();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
	size_t gz = round_trip(p, n);
	/* stored blocks: 5 bytes per 64 KiB, plus header and trailer */
	assert_true(gz <= n + 5 * (n / 65535 + 1) + 18);
	free(p);
}

static void test_repetitive(void **state)
{
	(void)state;
	size_t n = 10u << 20;
	uint8_t *p = malloc(n);
	assert_non_null(p);
	memset(p, 0, n);
	size_t gz = round_trip(p, n);
	assert_true(gz < n / 100); /* 258-byte matches: ~1/120 in fixed codes */
	for (size_t i = 0; i < n; i++)
		p[i] = "abcabd"[i % 6];
	gz = round_trip(p, n);
	assert_true(gz < n / 100);
	free(p);
}

/* Words from a small vocabulary: matches at many lengths and distances,
 * across the 64 KiB chunks, near the 32 KiB window's edge. */
static void test_text(void **state)
{
	(void)state;
	static const char *const words[] = { "cpu_split", "hot_a_inner", "libc.so.6", "main", "work",
					     "[kernel.kallsyms]", "0x", "\n", " ", "do_syscall_64", "(", ")" };
	size_t n = 3u << 20, len = 0;
	uint8_t *p = malloc(n + 64);
	assert_non_null(p);
	while (len < n) {
		const char *w = words[next() % 12];
		size_t l = strlen(w);
		memcpy(p + len, w, l);
		len += l;
		if (next() % 7 == 0)
			len += (size_t)snprintf((char *)p + len, 24, "%x", (unsigned)(next() & 0xfffff));
	}
	size_t gz = round_trip(p, len);
	assert_true(gz < len / 2);
	/* Every length and distance code: a 40000-byte random block repeated,
	 * then pieces of it copied at random lengths from random distances. */
	n = 1u << 20;
	for (size_t i = 0; i < 40000; i++)
		p[i] = (uint8_t)next();
	for (len = 40000; len < n;) {
		size_t l = 3 + next() % 300, d = 1 + next() % 32768;
		if (len + l > n)
			l = n - len;
		for (size_t i = 0; i < l; i++, len++)
			p[len] = p[len - d];
	}
	round_trip(p, n);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_empty_and_one),
		cmocka_unit_test(test_incompressible),
		cmocka_unit_test(test_repetitive),
		cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
