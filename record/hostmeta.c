/* SPDX-License-Identifier: MIT */
/*
 * Host and recording metadata. Every string that comes from the system
 * (hostname, kernel version, boot id) is made valid UTF-8 text without
 * control characters first: the meta codec stores STR values as text, and
 * a hostile hostname must not break the report's JSON output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hostmeta.h"
#include "procfs.h"

#define OFFSET_TRIES 7
#define MAX_KEYS 16

/* ---- text helpers ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (left bytes available), 0 if
 * it is not one: overlong forms, surrogates and > U+10FFFF are invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (left < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

static int is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

/* Copy of s into the arena without trailing whitespace, with control
 * bytes and invalid UTF-8 replaced by '?'. */
static const char *clean_text(struct tarena *a, const char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		n--;
	char *o = tarena_strndup(a, s, n);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq((const unsigned char *)o + i, n - i);
		if (!k || (k == 1 && is_ctl((unsigned char)o[i]))) {
			o[i++] = '?';
			continue;
		}
		i += k;
	}
	return o;
}

/* ---- command line ---------------------------------------------------------- */

static int shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) != NULL;
}

static void quote_arg(struct tbuf *b, const char *arg)
{
	const unsigned char *p = (const unsigned char *)arg;
	size_t n = strlen(arg);
	int plain = n > 0, text = 1;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (!k || (k == 1 && is_ctl(p[i])))
			text = 0;
		if (k != 1 || !shell_safe(p[i]))
			plain = 0;
		i += k ? k : 1;
	}
	if (plain) {
		tbuf_put(b, arg, n);
		return;
	}
	if (text) { /* '...', with ' as '\'' */
		tbuf_put_u8(b, '\'');
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\'')
				tbuf_put(b, "'\\''", 4);
			else
				tbuf_put_u8(b, p[i]);
		}
		tbuf_put_u8(b, '\'');
		return;
	}
	/* $'...': bash/zsh/ksh ANSI-C quoting, the only way to write control
	 * bytes and invalid UTF-8 as text that reads back to the same bytes. */
	tbuf_put(b, "$'", 2);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (k > 1) {
			tbuf_put(b, p + i, k);
			i += k;
			continue;
		}
		if (k == 1 && p[i] == '\\') {
			tbuf_put(b, "\\\\", 2);
		} else if (k == 1 && p[i] == '\'') {
			tbuf_put(b, "\\'", 2);
		} else if (k == 1 && !is_ctl(p[i])) {
			tbuf_put_u8(b, p[i]);
		} else {
			char hx[5];
			snprintf(hx, sizeof(hx), "\\x%02x", p[i]);
			tbuf_put(b, hx, 4);
		}
		i++;
	}
	tbuf_put_u8(b, '\'');
}

char *hostmeta_cmdline(struct tarena *a, int argc, char *const argv[], size_t max)
{
	struct tbuf b;
	char *out;

	if (max < 4)
		max = 4;
	tbuf_init(&b);
	for (int i = 0; i < argc && argv && argv[i]; i++) {
		if (i)
			tbuf_put_u8(&b, ' ');
		quote_arg(&b, argv[i]);
		if (b.len > max) /* enough to know it must be cut */
			break;
	}
	if (b.oom) {
		tbuf_free(&b);
		return NULL;
	}
	size_t len = b.len;
	if (len > max) {
		len = max - 3;
		/* back up to a character boundary: the text is valid UTF-8 */
		while (len && (b.data[len] & 0xc0) == 0x80)
			len--;
	}
	out = tarena_alloc(a, len + 4);
	if (out) {
		if (len)
			memcpy(out, b.data, len);
		if (len < b.len)
			memcpy(out + len, "...", 4);
		else
			out[len] = 0;
	}
	tbuf_free(&b);
	return out;
}

/* ---- clocks ------------------------------------------------------------------ */

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int64_t hostmeta_realtime_offset(uint64_t *uncertainty_ns)
{
	int64_t best_gap = INT64_MAX, offset = 0;

	/* The realtime reading lies between the two monotonic ones; the
	 * tighter the sandwich, the better we know which monotonic instant it
	 * matches (preemption or an SMI makes some tries useless). */
	for (int i = 0; i < OFFSET_TRIES; i++) {
		struct timespec m1, r, m2;
		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		int64_t gap = ts_ns(&m2) - ts_ns(&m1);
		if (gap < best_gap) {
			best_gap = gap;
			offset = ts_ns(&r) - (ts_ns(&m1) + gap / 2);
		}
	}
	if (uncertainty_ns)
		*uncertainty_ns = (uint64_t)(best_gap / 2 + 1);
	return offset;
}

/* ---- collection ---------------------------------------------------------------- */

struct kvs {
	struct tarena *a;
	struct trec_meta_kv *kv;
	size_t n;
	int oom;
};

static void put_str(struct kvs *k, const char *key, const char *val)
{
	if (!val) {
		k->oom = 1;
		return;
	}
	struct trec_meta_kv *e = &k->kv[k->n++];
	e->key = key;
	e->type = TREC_META_STR;
	e->v.str.ptr = val;
	e->v.str.len = (uint32_t)strlen(val);
}

static void put_u64(struct kvs *k, const char *key, uint64_t v)
{
	struct trec_meta_kv *e = &k->kv[k->n++];
	e->key = key;
	e->type = TREC_META_U64;
	e->v.u64 = v;
}

static void put_i64(struct kvs *k, const char *key, int64_t v)
{
	struct trec_meta_kv *e = &k->kv[k->n++];
	e->key = key;
	e->type = TREC_META_I64;
	e->v.i64 = v;
}

static uint64_t possible_cpus(void)
{
	int *cpus = NULL;
	size_t n = 0;
	if (procfs_cpu_list("/sys/devices/system/cpu/possible", &cpus, &n) == 0 && n) {
		free(cpus);
		return n;
	}
	free(cpus);
	long c = sysconf(_SC_NPROCESSORS_CONF);
	return c > 0 ? (uint64_t)c : 0;
}

static int read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int hostmeta_collect(struct tarena *a, int argc, char *const argv[], uint64_t start_ns,
		     struct trec_meta_kv **kv, size_t *n, struct trec_err *err)
{
	struct kvs k = { .a = a };
	struct utsname u;
	char line[256];
	uint64_t unc;

	if (!a || !kv || !n)
		return trec_errf(err, -EINVAL, "hostmeta_collect: missing arguments");
	*kv = NULL;
	*n = 0;
	k.kv = tarena_alloc(a, MAX_KEYS * sizeof(*k.kv));
	if (!k.kv)
		return trec_errf(err, -ENOMEM, "collecting metadata: out of memory");
	if (uname(&u) < 0)
		return trec_errf(err, -errno, "uname: %s", strerror(errno));
	if (!start_ns) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		start_ns = (uint64_t)ts_ns(&t);
	}

	put_str(&k, "host.name", clean_text(a, u.nodename));
	put_str(&k, "kernel.release", clean_text(a, u.release));
	put_str(&k, "kernel.version", clean_text(a, u.version));
	put_str(&k, "machine", clean_text(a, u.machine));
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	put_u64(&k, "cpu.count", online > 0 ? (uint64_t)online : 0);
	put_u64(&k, "cpu.possible", possible_cpus());
	/* boot.id tells whether two traces came from the same boot, i.e.
	 * whether their monotonic timestamps are comparable. */
	if (read_line("/proc/sys/kernel/random/boot_id", line, sizeof(line)) == 0)
		put_str(&k, "boot.id", clean_text(a, line));
	put_str(&k, "trec.version", clean_text(a, TREC_VERSION));
	put_str(&k, "trec.cmdline", hostmeta_cmdline(a, argc, argv, HOSTMETA_CMDLINE_MAX));
	put_str(&k, "clock.id", "CLOCK_MONOTONIC");
	put_i64(&k, "clock.realtime_offset_ns", hostmeta_realtime_offset(&unc));
	put_u64(&k, "clock.realtime_offset_err_ns", unc);
	put_u64(&k, "record.start_ns", start_ns);

	if (k.oom)
		return trec_errf(err, -ENOMEM, "collecting metadata: out of memory");
	*kv = k.kv;
	*n = k.n;
	return 0;
}

const struct trec_meta_kv *hostmeta_find(const struct trec_meta_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; kv && i < n; i++)
		if (kv[i].key && strcmp(kv[i].key, key) == 0)
			return &kv[i];
	return NULL;
}
