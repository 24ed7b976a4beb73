/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the text symbol parsers (record/ksyms.c,
 * record/ksym_named.c) on arbitrary bytes. Byte 0 picks the parser (bit 0:
 * perf map; else bit 1: the kernel's "%pS" names, one line of the input per
 * address asked; else kallsyms); the rest is the file, fed through a memfd
 * (kallsyms reads an fd in chunks) or fmemopen (a perf map is read line by
 * line).
 *
 * Beyond "no crash, no leak, no hang": kallsyms symbols come out in
 * address order with non-NULL names and modules, and their kernel subset
 * is sorted too; perf map symbols are strictly increasing, non-empty and
 * do not wrap; an error is one of the documented codes with a message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ksym_named.h"
#include "ksyms.h"

static void fuzz_kallsyms(const uint8_t *data, size_t size)
{
	int fd = memfd_create("kallsyms", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	lseek(fd, 0, SEEK_SET);

	struct tarena a;
	struct trec_err err = { 0 };
	struct trec_ksym *k = NULL;
	size_t n = 0;
	tarena_init(&a);
	int rc = ksyms_parse_kallsyms(fd, "fuzz", &a, &k, &n, &err);
	close(fd);
	if (rc) {
		if (rc != -ENODATA && rc != -EPERM && rc != -E2BIG && rc != -ENOMEM && rc != -EIO)
			__builtin_trap();
		if (!err.msg[0])
			__builtin_trap();
	} else {
		uint64_t ips[4];
		for (size_t i = 0; i < n; i++) {
			if (!k[i].name || !k[i].module || (i && k[i - 1].addr > k[i].addr))
				__builtin_trap();
		}
		/* A few addresses around the symbols found. */
		for (size_t j = 0; j < 4; j++)
			ips[j] = n ? k[(j * 7919) % n].addr + j : j;
		struct trec_ksym *sub = NULL;
		size_t nsub = 0;
		if (ksyms_kernel_subset(k, n, ips, 4, &a, &sub, &nsub) == 0) {
			for (size_t i = 1; i < nsub; i++)
				if (sub[i - 1].addr > sub[i].addr)
					__builtin_trap();
		}
	}
	tarena_free(&a);
}

static void fuzz_perfmap(const uint8_t *data, size_t size)
{
	if (!size)
		return;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return;
	struct tarena a;
	struct trec_dso_syms d = { 0 };
	tarena_init(&a);
	int rc = ksyms_parse_perfmap(f, &a, &d);
	fclose(f);
	if (rc) {
		if (rc != -ENOMEM && rc != -EIO)
			__builtin_trap();
	} else {
		for (uint32_t i = 0; i < d.nsyms; i++) {
			const struct trec_sym *s = &d.syms[i];
			if (!s->name || !s->size || s->size > UINT64_MAX - s->addr)
				__builtin_trap();
			if (i && d.syms[i - 1].addr >= s->addr)
				__builtin_trap();
		}
	}
	tarena_free(&a);
}

/* The kernel's answers, from the input: each address asked gets the next
 * line (cut to the text size, as bpf_snprintf cuts), and the input wraps. */
struct lines {
	const uint8_t *p;
	size_t n, at;
};

static int name_from_lines(void *ctx, const uint64_t *addrs, size_t n, char *texts, size_t cap, size_t *lens)
{
	struct lines *l = ctx;
	(void)addrs;
	for (size_t i = 0; i < n; i++) {
		if (l->at >= l->n)
			l->at = 0;
		const uint8_t *s = l->p + l->at;
		const uint8_t *nl = memchr(s, '\n', l->n - l->at);
		size_t len = nl ? (size_t)(nl - s) : l->n - l->at;
		l->at += len + 1;
		size_t keep = len < cap ? len : cap - 1;
		memcpy(texts + i * cap, s, keep);
		texts[i * cap + keep] = '\0';
		lens[i] = len;
	}
	return 0;
}

static void fuzz_named(const uint8_t *data, size_t size)
{
	struct ksym_pS p;
	int rc = ksym_parse_pS((const char *)data, size, &p);
	if (rc && rc != -ENOENT && rc != -EINVAL)
		__builtin_trap();
	if (!rc && (!p.name_len || p.name + p.name_len > (const char *)data + size))
		__builtin_trap();
	if (!size)
		return;

	struct lines l = { .p = data, .n = size };
	struct ksym_namer nm = { .name = name_from_lines, .ctx = &l, .batch = 3, .text_cap = 64 };
	uint64_t ips[6];
	for (size_t j = 0; j < 6; j++)
		ips[j] = 0xffffffff81000000ull + (uint64_t)data[j % size] * 0x100 + j;
	struct tarena a;
	tarena_init(&a);
	struct trec_ksym *k = NULL;
	size_t n = 0;
	rc = ksym_named_subset(&nm, ips, 6, &a, &k, &n);
	if (rc) {
		if (rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM)
			__builtin_trap();
	} else {
		for (size_t i = 0; i < n; i++)
			if (!k[i].name || !k[i].module || (i && k[i - 1].addr >= k[i].addr))
				__builtin_trap();
	}
	tarena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_perfmap(data + 1, size - 1);
	else if (data[0] & 2)
		fuzz_named(data + 1, size - 1);
	else
		fuzz_kallsyms(data + 1, size - 1);
	return 0;
}
