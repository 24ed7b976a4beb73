/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols named by the kernel (record/ksym_named.c, ksym_bpf.c):
 * the "%pS" text parser on good and hostile text, the subset built through
 * a namer that answers from a known table (covering symbols, their ends,
 * end marks, batches, cut names), and, as root, the BPF namer against
 * /proc/kallsyms on this very kernel: the same names at the same offsets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksym_bpf.h"
#include "ksym_named.h"
#include "ksyms.h"
#include "symtab.h"

static int parse(const char *t, struct ksym_pS *p)
{
	return ksym_parse_pS(t, strlen(t), p);
}

static void test_parse_pS(void **state)
{
	(void)state;
	struct ksym_pS p;
	assert_int_equal(parse("schedule+0x0/0x90", &p), 0);
	assert_int_equal(p.name_len, 8);
	assert_memory_equal(p.name, "schedule", 8);
	assert_null(p.module);
	assert_int_equal(p.off, 0);
	assert_int_equal(p.size, 0x90);

	assert_int_equal(parse("mod_fn.cold+0x1f/0x2a0 [my_mod]", &p), 0);
	assert_memory_equal(p.name, "mod_fn.cold", p.name_len);
	assert_int_equal(p.module_len, 6);
	assert_memory_equal(p.module, "my_mod", 6);
	assert_int_equal(p.off, 0x1f);
	assert_int_equal(p.size, 0x2a0);

	/* %pSb's build id after the module name is not part of it */
	assert_int_equal(parse("f+0x1/0x2 [m 0123456789abcdef]", &p), 0);
	assert_memory_equal(p.module, "m", 1);
	assert_int_equal(p.module_len, 1);
	/* a '+' in a name: the last one separates the offset */
	assert_int_equal(parse("a+b+0x4/0x8", &p), 0);
	assert_int_equal(p.name_len, 3);

	assert_int_equal(parse("0xffffffff81000000", &p), -ENOENT);
	const char *bad[] = { "", "schedule", "schedule+0x0", "schedule/0x90", "+0x0/0x90", "s+0/0x90",
			      "s+0x/0x90", "s+0x0/0x", "s+0x0/0x90 ", "s+0x0/0x90 [", "s+0x0/0x90 []",
			      "s+0x0/0x90[m]", "a b+0x0/0x9", "s+0x00000000000000001/0x2", "s+0xg/0x2",
			      "s+0x1/0x2 [ m]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse(bad[i], &p) != -EINVAL)
			fail_msg("\"%s\" parsed", bad[i]);
	/* a NUL inside the text is hostile, never a shorter name */
	assert_int_equal(ksym_parse_pS("f+0x1/0x2\0x", 11, &p), -EINVAL);
}

/* A kernel of a few symbols, with a gap after "gapped" and a module. */
struct fsym {
	uint64_t addr, size;
	const char *name, *module;
};
static const struct fsym fake[] = {
	{ 0xffffffff81000000, 0x100, "first", NULL },
	{ 0xffffffff81000100, 0x80, "second", NULL },
	{ 0xffffffff81000180, 0x80, "third", NULL },
	{ 0xffffffff81000200, 0x40, "gapped", NULL },
	{ 0xffffffff81001000, 0x100, "after_gap", NULL },
	{ 0xffffffffc0000000, 0x50, "mod_a", "mymod" },
	{ 0xffffffffc0000050, 0x30, "mod_b", "mymod" },
};

struct fake_ctx {
	size_t calls, asked, cut_at; /* cut_at: a name this long or longer is cut */
};

static int fake_name(void *vctx, const uint64_t *addrs, size_t n, char *texts, size_t cap, size_t *lens)
{
	struct fake_ctx *c = vctx;
	c->calls++;
	c->asked += n;
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		int len = snprintf(buf, sizeof(buf), "0x%" PRIx64, addrs[i]);
		for (size_t k = 0; k < sizeof(fake) / sizeof(*fake); k++) {
			const struct fsym *f = &fake[k];
			if (addrs[i] < f->addr || addrs[i] >= f->addr + f->size)
				continue;
			len = snprintf(buf, sizeof(buf), "%s+0x%" PRIx64 "/0x%" PRIx64 "%s%s%s", f->name,
				       addrs[i] - f->addr, f->size, f->module ? " [" : "", f->module ? f->module : "",
				       f->module ? "]" : "");
		}
		lens[i] = (size_t)len;
		snprintf(texts + i * cap, cap, "%s", buf);
	}
	return 0;
}

static const struct trec_ksym *at(const struct trec_ksym *k, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (k[i].addr == addr)
			return &k[i];
	return NULL;
}

static void test_subset_fake(void **state)
{
	(void)state;
	struct fake_ctx c = { 0 };
	struct ksym_namer nm = { .name = fake_name, .ctx = &c, .batch = 2, .text_cap = 64 };
	uint64_t ips[] = {
		0xffffffff81000104, /* second */
		0xffffffff81000010, /* first */
		0xffffffff81000104, /* again */
		0xffffffff81000120, /* second, elsewhere */
		0xffffffff81000210, /* gapped: nothing starts at its end */
		0xffffffff81000800, /* in the gap: no symbol */
		0xffffffffc0000060, /* mod_b, the module's last */
	};
	struct tarena a;
	tarena_init(&a);
	struct trec_ksym *k = NULL;
	size_t n = 0;
	assert_int_equal(ksym_named_subset(&nm, ips, sizeof(ips) / sizeof(*ips), &a, &k, &n), 0);
	for (size_t i = 1; i < n; i++)
		assert_true(k[i - 1].addr < k[i].addr);
	/* first, second, third (second's end), gapped, gapped's end mark,
	 * mod_b, mod_b's end mark */
	assert_int_equal(n, 7);
	assert_string_equal(at(k, n, 0xffffffff81000000)->name, "first");
	assert_string_equal(at(k, n, 0xffffffff81000100)->name, "second");
	assert_string_equal(at(k, n, 0xffffffff81000180)->name, "third");
	assert_string_equal(at(k, n, 0xffffffff81000200)->name, "gapped");
	assert_string_equal(at(k, n, 0xffffffff81000240)->name, "");
	assert_string_equal(at(k, n, 0xffffffffc0000050)->name, "mod_b");
	assert_string_equal(at(k, n, 0xffffffffc0000050)->module, "mymod");
	assert_string_equal(at(k, n, 0xffffffffc0000080)->name, "");
	assert_string_equal(at(k, n, 0xffffffff81000000)->module, "");
	/* 6 distinct addresses, then the ends not already known: 3 */
	assert_int_equal(c.asked, 6 + 3);
	assert_int_equal(c.calls, 3 + 2);

	/* nothing covered: an empty result */
	uint64_t none = 0xffffffff81000800;
	assert_int_equal(ksym_named_subset(&nm, &none, 1, &a, &k, &n), 0);
	assert_int_equal(n, 0);

	/* a name longer than the text: the caller must fall back */
	nm.text_cap = 8;
	assert_int_equal(ksym_named_subset(&nm, ips, 2, &a, &k, &n), -E2BIG);
	nm.text_cap = 64;
	assert_int_equal(ksym_named_subset(NULL, ips, 2, &a, &k, &n), -EINVAL);
	nm.batch = 0;
	assert_int_equal(ksym_named_subset(&nm, ips, 2, &a, &k, &n), -EINVAL);
	tarena_free(&a);
}

/* The kernel's own names, against /proc/kallsyms read the old way. */
static void test_bpf_vs_kallsyms(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: naming kernel addresses through BPF needs root\n");
		skip();
	}
	struct tarena a;
	tarena_init(&a);
	struct trec_ksym *all = NULL, *sub = NULL, *named = NULL;
	size_t n = 0, nsub = 0, nnamed = 0;
	struct trec_err err = { 0 };
	if (symtab_read_kallsyms("/proc/kallsyms", &a, &all, &n, &err))
		fail_msg("%s", err.msg);
	/* Every 997th text symbol, a few bytes in, and some module ones. */
	uint64_t ips[512];
	size_t nips = 0;
	for (size_t i = 0; i < n && nips < 400; i += 997)
		ips[nips++] = all[i].addr + (i % 7);
	/* Modules' symbols; not the kernel's own pseudo-modules (ftrace
	 * trampolines, BPF programs), which come and go. */
	for (size_t i = n; i-- > 0 && nips < 440;)
		if (all[i].module[0] && strncmp(all[i].module, "__builtin", 9) && strcmp(all[i].module, "bpf") &&
		    (i % 3) == 0)
			ips[nips++] = all[i].addr + 1;
	int r = ksym_bpf_subset(ips, nips, &a, &named, &nnamed);
	if (r)
		fail_msg("ksym_bpf_subset: %s (this kernel has syscall programs, bpf_loop and bpf_snprintf)",
			 strerror(-r));
	assert_int_equal(ksyms_kernel_subset(all, n, ips, nips, &a, &sub, &nsub), 0);
	print_message("%zu addresses: %zu symbols named through BPF, %zu from kallsyms\n", nips, nnamed, nsub);
	size_t checked = 0;
	for (size_t j = 0; j < nips; j++) {
		/* the covering entry of each, from both */
		size_t i = nsub;
		while (i > 0 && sub[i - 1].addr > ips[j])
			i--;
		size_t b = nnamed;
		while (b > 0 && named[b - 1].addr > ips[j])
			b--;
		if (!i)
			continue; /* below every symbol (kallsyms skipped it too) */
		assert_true(b > 0);
		const struct trec_ksym *ks = &sub[i - 1], *bs = &named[b - 1];
		assert_int_equal(bs->addr, ks->addr);
		/* the same name, or an alias at the same address */
		int alias = !strcmp(bs->name, ks->name);
		for (size_t k = 0; !alias && k < n; k++)
			alias = all[k].addr == bs->addr && !strcmp(all[k].name, bs->name);
		if (!alias)
			fail_msg("0x%" PRIx64 ": BPF says %s, kallsyms %s", ips[j], bs->name, ks->name);
		assert_string_equal(bs->module, ks->module);
		checked++;
	}
	assert_true(checked >= nips / 2);
	tarena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pS),
		cmocka_unit_test(test_subset_fake),
		cmocka_unit_test(test_bpf_vs_kallsyms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
