/* SPDX-License-Identifier: MIT */
/*
 * The unwind-table loader (record/unwind.c) against the real kernel maps:
 * what it writes for a process (its executable mappings, sorted, with the
 * table of each binary), the rows it loads (read back from the kernel and
 * checked against a function whose rule is known), how it follows forks,
 * execs and exits that arrive out of order, and what happens past the
 * memory budget.
 *
 * Needs root (BPF maps and the fork/exec followers): without it every test
 * is skipped with the reason; as root, a failure to create the maps fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "buildid.h"
#include "records.h"
#include "unwind.h"
#include "unwind_abi.h"

static struct unwind *new_chunked_or_skip(uint64_t budget, uint32_t chunk_shift)
{
	if (geteuid() != 0) {
		print_message("unwind loader tests need root (BPF maps)\n");
		skip();
	}
	struct unwind_opts o = { .sz = sizeof(o), .budget = budget, .chunk_shift = chunk_shift };
	struct unwind *uw = NULL;
	struct trec_err err = { 0 };
	int r = unwind_new(&uw, &o, &err);
	if (r)
		fail_msg("unwind_new: %s", err.msg);
	r = unwind_start(uw, NULL, -1, &err);
	if (r)
		fail_msg("unwind_start: %s", err.msg);
	return uw;
}

static struct unwind *new_or_skip(uint64_t budget)
{
	return new_chunked_or_skip(budget, 0);
}

struct self_map {
	uint64_t start, end, pgoff;
	char path[512];
};

/* Our executable file mappings, from /proc/self/maps. */
static size_t self_exec_maps(struct self_map *out, size_t cap)
{
	FILE *f = fopen("/proc/self/maps", "re");
	assert_non_null(f);
	char line[1024];
	size_t n = 0;
	while (n < cap && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		char perms[8], path[512] = "";
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %511[^\n]", &lo, &hi, perms, &off, path) < 4)
			continue;
		if (perms[2] != 'x' || path[0] != '/')
			continue;
		out[n] = (struct self_map){ lo, hi, off, "" };
		snprintf(out[n].path, sizeof(out[n].path), "%s", path);
		n++;
	}
	fclose(f);
	return n;
}

static void feed_map(struct unwind *uw, uint32_t pid, uint64_t ts, uint64_t start, uint64_t end, uint64_t pgoff,
		     const char *path)
{
	struct trec_map m = { .ts = ts, .pid = pid, .prot = PROT_READ | PROT_EXEC, .start = start,
			      .len = end - start, .pgoff = pgoff, .path = path };
	int l = buildid_read_path(NULL, path, m.build_id);
	m.build_id_len = l > 0 ? (uint8_t)l : 0;
	unwind_on_map(uw, &m, -1);
}

static void feed_task(struct unwind *uw, uint32_t kind, uint32_t pid, uint32_t ppid, uint64_t ts)
{
	struct trec_task t = { .ts = ts, .kind = kind, .pid = pid, .tid = pid, .ppid = ppid, .ptid = ppid,
			       .comm = "", .filename = "" };
	unwind_on_task(uw, &t);
}

static int read_proc(struct unwind *uw, uint32_t pid, struct trec_uw_proc *p)
{
	return bpf_map_lookup_elem(unwind_map_fd(uw, "uw_procs"), &pid, p);
}

static struct trec_uw_table read_table(struct unwind *uw, uint32_t id)
{
	struct trec_uw_table t = { 0 };
	assert_int_equal(bpf_map_lookup_elem(unwind_map_fd(uw, "uw_tables"), &id, &t), 0);
	return t;
}

/* Row i as the kernel sees it: through the outer map to its chunk. */
static struct trec_uw_row row_at(struct unwind *uw, uint32_t i)
{
	uint32_t sh = unwind_chunk_shift(uw), c = i >> sh, o = i & ((1u << sh) - 1), id = 0;
	assert_int_equal(bpf_map_lookup_elem(unwind_map_fd(uw, "uw_rows"), &c, &id), 0);
	int fd = bpf_map_get_fd_by_id(id);
	assert_true(fd >= 0);
	struct trec_uw_row r;
	assert_int_equal(bpf_map_lookup_elem(fd, &o, &r), 0);
	close(fd);
	return r;
}

/* The rule of the row covering file offset `off` in a table. */
static uint32_t rule_at(struct unwind *uw, const struct trec_uw_table *t, uint64_t off)
{
	uint32_t lo = t->first, hi = t->first + t->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct trec_uw_row r = row_at(uw, mid);
		if (r.pc <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	assert_true(lo > t->first);
	return row_at(uw, lo - 1).rule;
}

/* Our own process: every executable mapping lands sorted, each binary gets a
 * ready table, and libc's rows say what a function's first instruction
 * needs (the return address at rsp: CFA = rsp + 8, rbp untouched). */
static void own_process(uint32_t chunk_shift)
{
	struct unwind *uw = new_chunked_or_skip(0, chunk_shift);
	struct self_map maps[64];
	size_t n = self_exec_maps(maps, 64);
	assert_true(n >= 2);
	uint32_t pid = (uint32_t)getpid();
	for (size_t i = 0; i < n; i++)
		feed_map(uw, pid, 100 + i, maps[i].start, maps[i].end, maps[i].pgoff, maps[i].path);
	unwind_sync(uw);

	struct trec_uw_proc p;
	assert_int_equal(read_proc(uw, pid, &p), 0);
	assert_int_equal(p.n, n);
	for (uint32_t i = 1; i < p.n; i++)
		assert_true(p.maps[i - 1].start + p.maps[i - 1].len <= p.maps[i].start);

	/* getppid's entry: find its mapping and table. */
	void *fn = dlsym(RTLD_DEFAULT, "getppid");
	assert_non_null(fn);
	uint64_t addr = (uint64_t)(uintptr_t)fn;
	int found = 0;
	for (uint32_t i = 0; i < p.n; i++) {
		const struct trec_uw_map *m = &p.maps[i];
		if (addr < m->start || addr - m->start >= m->len)
			continue;
		found = 1;
		struct trec_uw_table t = read_table(uw, m->table);
		assert_int_equal(t.state, TREC_UW_TABLE_READY);
		assert_true(t.count > 1000); /* libc has thousands of rows */
		uint32_t rule = rule_at(uw, &t, addr - m->sub);
		assert_int_equal(TREC_UW_KIND(rule), TREC_UW_CFA_RSP);
		assert_int_equal(TREC_UW_CFA_OFF(rule), 8);
		assert_int_equal(TREC_UW_RBP_HOW(rule), TREC_UW_RBP_SAME);
	}
	assert_true(found);
	struct unwind_stats st;
	unwind_stats(uw, &st);
	assert_true(st.tables >= 2);
	assert_true(st.rows > 1000);
	assert_int_equal(st.procs_full, 0);
	/* Chunks are allocated as the rows need them, none ahead. */
	uint64_t chunk = 1ull << unwind_chunk_shift(uw);
	assert_int_equal(st.rows_allocated % chunk, 0);
	assert_true(st.rows_allocated >= st.rows);
	assert_true(st.rows_allocated < st.rows + chunk + 2 * 64 * st.tables);
	assert_true(st.rows_allocated < st.rows_capacity);
	unwind_free(uw);
}

static void test_own_process(void **state)
{
	(void)state;
	own_process(0);
}

/* The same with 1024-row chunks: libc's table spans dozens of them, and
 * each lookup above goes through the kernel's outer map to its chunk. */
static void test_own_process_small_chunks(void **state)
{
	(void)state;
	own_process(10);
}

/* A mapping over an older one replaces it; one older than what is there is
 * ignored (side-band rings deliver out of order). */
static void test_overlap_and_order(void **state)
{
	(void)state;
	struct unwind *uw = new_or_skip(0);
	const uint32_t pid = 4100001; /* no such process: tables stay empty */
	feed_map(uw, pid, 10, 0x10000, 0x20000, 0, "/nonexistent/a");
	feed_map(uw, pid, 30, 0x18000, 0x30000, 0, "/nonexistent/b"); /* replaces a */
	feed_map(uw, pid, 20, 0x1c000, 0x1d000, 0, "/nonexistent/c"); /* older than b: ignored */
	feed_map(uw, pid, 40, 0x40000, 0x41000, 0x3000, "/nonexistent/d");
	unwind_sync(uw);
	struct trec_uw_proc p;
	assert_int_equal(read_proc(uw, pid, &p), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.maps[0].start, 0x18000);
	assert_int_equal(p.maps[0].len, 0x18000);
	assert_int_equal(p.maps[1].start, 0x40000);
	assert_int_equal(p.maps[1].sub, 0x40000 - 0x3000);
	unwind_free(uw);
}

/* A fork copies what the parent had before it; an exec keeps only what
 * came after it; an exit removes the process. */
static void test_fork_exec_exit(void **state)
{
	(void)state;
	struct unwind *uw = new_or_skip(0);
	const uint32_t parent = 4100011, child = 4100012;
	feed_map(uw, parent, 10, 0x10000, 0x11000, 0, "/nonexistent/p1");
	feed_map(uw, parent, 30, 0x20000, 0x21000, 0, "/nonexistent/p2"); /* after the fork */
	feed_map(uw, child, 25, 0x50000, 0x51000, 0, "/nonexistent/new"); /* the child's new image */
	feed_task(uw, TREC_TASK_FORK, child, parent, 15);
	feed_task(uw, TREC_TASK_EXEC, child, 0, 20); /* arrives after the map of ts 25 */
	unwind_sync(uw);
	struct trec_uw_proc p;
	assert_int_equal(read_proc(uw, child, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.maps[0].start, 0x50000);
	assert_int_equal(read_proc(uw, parent, &p), 0);
	assert_int_equal(p.n, 2);

	feed_task(uw, TREC_TASK_EXIT, child, 0, 50);
	unwind_sync(uw);
	assert_int_not_equal(read_proc(uw, child, &p), 0);
	/* A fork without an exec sees the parent as it was at the fork. */
	const uint32_t child2 = 4100013;
	feed_task(uw, TREC_TASK_FORK, child2, parent, 20);
	unwind_sync(uw);
	assert_int_equal(read_proc(uw, child2, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.maps[0].start, 0x10000);
	unwind_free(uw);
}

/* Past the budget a table is never loaded: its state says so, and the
 * loader counts it. 8 KiB holds 1024 rows, far less than libc's. */
static void test_budget(void **state)
{
	(void)state;
	struct unwind *uw = new_or_skip(8192);
	struct self_map maps[64];
	size_t n = self_exec_maps(maps, 64);
	uint32_t pid = (uint32_t)getpid();
	const char *libc = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strstr(maps[i].path, "/libc.so")) {
			feed_map(uw, pid, 1, maps[i].start, maps[i].end, maps[i].pgoff, maps[i].path);
			libc = maps[i].path;
		}
	}
	assert_non_null(libc);
	unwind_sync(uw);
	struct trec_uw_proc p;
	assert_int_equal(read_proc(uw, pid, &p), 0);
	assert_int_equal(p.n, 1);
	struct trec_uw_table t = read_table(uw, p.maps[0].table);
	assert_int_equal(t.state, TREC_UW_TABLE_BUDGET);
	struct unwind_stats st;
	unwind_stats(uw, &st);
	assert_int_equal(st.tables_budget, 1);
	assert_int_equal(st.rows, 0);
	assert_int_equal(st.rows_capacity, 1024);
	unwind_free(uw);
}

/* Bad budgets are refused with a message naming the option. */
static void test_bad_budget(void **state)
{
	(void)state;
	struct unwind_opts o = { .sz = sizeof(o), .budget = 100 };
	struct unwind *uw = NULL;
	struct trec_err err = { 0 };
	assert_int_equal(unwind_new(&uw, &o, &err), -EINVAL);
	assert_null(uw);
	assert_non_null(strstr(err.msg, "--unwind-mem"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_process),
		cmocka_unit_test(test_own_process_small_chunks),
		cmocka_unit_test(test_overlap_and_order),
		cmocka_unit_test(test_fork_exec_exit),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_bad_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
