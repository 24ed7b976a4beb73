/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the text symbol parsers (record/ksyms.c) on arbitrary
 * bytes. Byte 0 picks the parser (bit 0: perf map, else kallsyms); the
 * rest is the file, fed through a memfd (kallsyms reads an fd in chunks)
 * or fmemopen (a perf map is read line by line).
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_perfmap(data + 1, size - 1);
	else
		fuzz_kallsyms(data + 1, size - 1);
	return 0;
}
