/* SPDX-License-Identifier: MIT */
/*
 * record/tracefs.c: format parsing on real format texts (copied from a
 * 6.18 kernel) and on broken ones (every truncation, byte flips, each
 * malformed construct), syscall string arguments, suggestions, listing and
 * loading from a fake tracefs tree, and -- when tracefs is mounted -- from
 * the real one: every format this kernel has must parse and validate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"
#include "tracefs.h"

/* ---- fixtures: real format files ----------------------------------------- */

#define COMMON_FIELDS                                                                                  \
	"format:\n"                                                                                    \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"                         \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"                         \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"                 \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"                                     \
	"\n"

/* events/sched/sched_switch/format */
static const char fmt_sched_switch[] =
	"name: sched_switch\n"
	"ID: 372\n" COMMON_FIELDS
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d "
	"next_prio=%d\", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | "
	"0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - "
	"1)) ? __print_flags(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | "
	"0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1), \"|\", { 0x00000001, \"S\" }, { "
	"0x00000002, \"D\" }, { 0x00000004, \"T\" }, { 0x00000008, \"t\" }, { 0x00000010, \"X\" }, { 0x00000020, "
	"\"Z\" }, { 0x00000040, \"P\" }, { 0x00000080, \"I\" }) : \"R\", REC->prev_state & (((0x00000000 | "
	"0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? "
	"\"+\" : \"\", REC->next_comm, REC->next_pid, REC->next_prio\n";

/* events/syscalls/sys_enter_openat/format */
static const char fmt_openat[] =
	"name: sys_enter_openat\n"
	"ID: 782\n" COMMON_FIELDS
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx\", ((unsigned "
	"long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned "
	"long)(REC->mode))\n";

/* events/block/block_rq_issue/format */
static const char fmt_block_rq_issue[] =
	"name: block_rq_issue\n"
	"ID: 2104\n" COMMON_FIELDS
	"\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int bytes;\toffset:28;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned short ioprio;\toffset:32;\tsize:2;\tsigned:0;\n"
	"\tfield:char rwbs[10];\toffset:34;\tsize:10;\tsigned:0;\n"
	"\tfield:char comm[16];\toffset:44;\tsize:16;\tsigned:0;\n"
	"\tfield:__data_loc char[] cmd;\toffset:60;\tsize:4;\tsigned:0;\n"
	"\n"
	"print fmt: \"%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]\", ((unsigned int) ((REC->dev) >> 20)), "
	"((unsigned int) ((REC->dev) & ((1U << 20) - 1))), REC->rwbs, REC->bytes, __get_str(cmd), (unsigned long "
	"long)REC->sector, REC->nr_sector, __print_symbolic((((REC->ioprio) >> 13) & (8 - 1)), { "
	"IOPRIO_CLASS_NONE, \"none\" }, { IOPRIO_CLASS_RT, \"rt\" }, { IOPRIO_CLASS_BE, \"be\" }, { "
	"IOPRIO_CLASS_IDLE, \"idle\" }, { IOPRIO_CLASS_INVALID, \"invalid\"}), (((REC->ioprio) >> 3) & ((1 << 10) "
	"- 1)), ((REC->ioprio) & ((1 << 3) - 1)), REC->comm\n";

/* events/raw_syscalls/sys_enter/format */
static const char fmt_raw_sys_enter[] =
	"name: sys_enter\n"
	"ID: 443\n" COMMON_FIELDS
	"\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n"
	"\n"
	"print fmt: \"NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)\", REC->id, REC->args[0], REC->args[1], "
	"REC->args[2], REC->args[3], REC->args[4], REC->args[5]\n";

/* events/ftrace/print/format: a flexible array at the end. */
static const char fmt_ftrace_print[] =
	"name: print\n"
	"ID: 5\n" COMMON_FIELDS
	"\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n"
	"\n"
	"print fmt: \"%ps: %s\", (void *)REC->ip, REC->buf\n";

/* events/syscalls/sys_enter_write/format: `const char * buf` is data. */
static const char fmt_write[] =
	"name: sys_enter_write\n"
	"ID: 840\n" COMMON_FIELDS
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * buf;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx\", ((unsigned long)(REC->fd)), ((unsigned "
	"long)(REC->buf)), ((unsigned long)(REC->count))\n";

/* events/syscalls/sys_enter_mount/format: input strings spelled `char *`. */
static const char fmt_mount[] =
	"name: sys_enter_mount\n"
	"ID: 940\n" COMMON_FIELDS
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:char * dev_name;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:char * dir_name;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:char * type;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long flags;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\tfield:void * data;\toffset:48;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"dev_name: 0x%08lx, dir_name: 0x%08lx, type: 0x%08lx, flags: 0x%08lx, data: 0x%08lx\", "
	"((unsigned long)(REC->dev_name)), ((unsigned long)(REC->dir_name)), ((unsigned long)(REC->type)), "
	"((unsigned long)(REC->flags)), ((unsigned long)(REC->data))\n";

/* events/syscalls/sys_enter_sethostname/format: (name, len), not a C string. */
static const char fmt_sethostname[] =
	"name: sys_enter_sethostname\n"
	"ID: 281\n" COMMON_FIELDS
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:char * name;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:int len;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"name: 0x%08lx, len: 0x%08lx\", ((unsigned long)(REC->name)), ((unsigned long)(REC->len))\n";

struct fixture {
	const char *group, *name, *text;
};

static const struct fixture fixtures[] = {
	{ "sched", "sched_switch", fmt_sched_switch },
	{ "syscalls", "sys_enter_openat", fmt_openat },
	{ "block", "block_rq_issue", fmt_block_rq_issue },
	{ "raw_syscalls", "sys_enter", fmt_raw_sys_enter },
	{ "ftrace", "print", fmt_ftrace_print },
	{ "syscalls", "sys_enter_write", fmt_write },
	{ "syscalls", "sys_enter_mount", fmt_mount },
	{ "syscalls", "sys_enter_sethostname", fmt_sethostname },
};
#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* ---- helpers --------------------------------------------------------------- */

struct want_field {
	const char *name, *ctype;
	uint32_t kind, offset, elem_size, count;
};

static const struct want_field common[] = {
	{ "common_type", "unsigned short", TREC_F_UINT, 0, 2, 1 },
	{ "common_flags", "unsigned char", TREC_F_UINT, 2, 1, 1 },
	{ "common_preempt_count", "unsigned char", TREC_F_UINT, 3, 1, 1 },
	{ "common_pid", "int", TREC_F_INT, 4, 4, 1 },
};

static int parse(const char *text, const char *group, const char *name, struct tp_format *f,
		 struct trec_err *err)
{
	return tracefs_format_parse(text, strlen(text), group, name, f, err);
}

static void check_field(const struct trec_field *got, const struct want_field *w)
{
	assert_string_equal(got->name, w->name);
	assert_string_equal(got->ctype, w->ctype);
	assert_int_equal(got->kind, w->kind);
	assert_int_equal(got->offset, w->offset);
	assert_int_equal(got->elem_size, w->elem_size);
	assert_int_equal(got->count, w->count);
	assert_int_equal(got->flags, 0);
}

/* The common header, then the tracepoint's own fields. */
static void check_fields(const struct tp_format *f, const struct want_field *w, size_t n)
{
	assert_int_equal(f->schema.nfields, 4 + n);
	for (size_t i = 0; i < 4; i++)
		check_field(&f->schema.fields[i], &common[i]);
	for (size_t i = 0; i < n; i++)
		check_field(&f->schema.fields[4 + i], &w[i]);
}

static void check_valid(const struct tp_format *f)
{
	struct trec_schema s = f->schema;
	struct trec_err err = { 0 };
	assert_int_equal(f->schema.id, 0);
	s.id = 1;
	int r = trec_schema_validate(&s, &err);
	if (r)
		fail_msg("%s: %s", s.name, err.msg);
}

/* A parse that must fail with -EINVAL and a message containing want. */
static void expect_error(const char *text, size_t len, const char *want)
{
	struct tp_format f;
	struct trec_err err = { 0 };
	int r = tracefs_format_parse(text, len, "g", "ev", &f, &err);
	if (r != -EINVAL)
		fail_msg("expected -EINVAL for text:\n%.*s\ngot %d (%s)", (int)len, text, r, err.msg);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_null(f.mem);
	assert_int_equal(f.schema.nfields, 0);
}

/* ---- real formats ----------------------------------------------------------- */

static void test_sched_switch(void **state)
{
	static const struct want_field w[] = {
		{ "prev_comm", "char[16]", TREC_F_CHARS, 8, 1, 16 },
		{ "prev_pid", "pid_t", TREC_F_INT, 24, 4, 1 },
		{ "prev_prio", "int", TREC_F_INT, 28, 4, 1 },
		{ "prev_state", "long", TREC_F_INT, 32, 8, 1 },
		{ "next_comm", "char[16]", TREC_F_CHARS, 40, 1, 16 },
		{ "next_pid", "pid_t", TREC_F_INT, 56, 4, 1 },
		{ "next_prio", "int", TREC_F_INT, 60, 4, 1 },
	};
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(parse(fmt_sched_switch, "sched", "sched_switch", &f, &err), 0);
	assert_int_equal(f.id, 372);
	assert_string_equal(f.group, "sched");
	assert_string_equal(f.name, "sched_switch");
	assert_string_equal(f.schema.name, "sched:sched_switch");
	assert_string_equal(f.schema.probe, "tracepoint:sched:sched_switch");
	assert_int_equal(f.schema.fixed_size, 64);
	assert_int_equal(f.text_len, strlen(fmt_sched_switch));
	assert_string_equal(f.text, fmt_sched_switch);
	assert_null(f.tail_name);
	assert_int_equal(f.nstr_args, 0);
	check_fields(&f, w, sizeof(w) / sizeof(w[0]));
	check_valid(&f);
	tp_format_free(&f);
	assert_null(f.mem);
	tp_format_free(&f); /* twice is harmless */
}

static void test_openat(void **state)
{
	static const struct want_field w[] = {
		{ "__syscall_nr", "int", TREC_F_INT, 8, 4, 1 },
		{ "dfd", "int", TREC_F_UINT, 16, 8, 1 }, /* the kernel widens args to 8 bytes, signed:0 */
		{ "filename", "const char *", TREC_F_HEX, 24, 8, 1 },
		{ "flags", "int", TREC_F_UINT, 32, 8, 1 },
		{ "mode", "umode_t", TREC_F_UINT, 40, 8, 1 },
	};
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(parse(fmt_openat, "syscalls", "sys_enter_openat", &f, &err), 0);
	assert_int_equal(f.id, 782);
	assert_int_equal(f.schema.fixed_size, 48);
	check_fields(&f, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(f.nstr_args, 1);
	assert_int_equal(f.str_args[0].offset, 24);
	assert_string_equal(f.str_args[0].name, "filename");
	check_valid(&f);
	tp_format_free(&f);
}

static void test_block_rq_issue(void **state)
{
	static const struct want_field w[] = {
		{ "dev", "dev_t", TREC_F_UINT, 8, 4, 1 },
		{ "sector", "sector_t", TREC_F_UINT, 16, 8, 1 },
		{ "nr_sector", "unsigned int", TREC_F_UINT, 24, 4, 1 },
		{ "bytes", "unsigned int", TREC_F_UINT, 28, 4, 1 },
		{ "ioprio", "unsigned short", TREC_F_UINT, 32, 2, 1 },
		{ "rwbs", "char[10]", TREC_F_CHARS, 34, 1, 10 },
		{ "comm", "char[16]", TREC_F_CHARS, 44, 1, 16 },
		{ "cmd", "__data_loc char[]", TREC_F_DATA_LOC, 60, 4, 1 },
	};
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(parse(fmt_block_rq_issue, "block", "block_rq_issue", &f, &err), 0);
	assert_int_equal(f.id, 2104);
	assert_int_equal(f.schema.fixed_size, 64);
	check_fields(&f, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(f.nstr_args, 0);
	check_valid(&f);
	tp_format_free(&f);
}

static void test_raw_sys_enter(void **state)
{
	static const struct want_field w[] = {
		{ "id", "long", TREC_F_INT, 8, 8, 1 },
		{ "args", "unsigned long[6]", TREC_F_UINT, 16, 8, 6 },
	};
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(parse(fmt_raw_sys_enter, "raw_syscalls", "sys_enter", &f, &err), 0);
	assert_int_equal(f.id, 443);
	assert_int_equal(f.schema.fixed_size, 64);
	check_fields(&f, w, sizeof(w) / sizeof(w[0]));
	/* Not syscalls:sys_enter_*: no string arguments even if one matched. */
	assert_int_equal(f.nstr_args, 0);
	check_valid(&f);
	tp_format_free(&f);
}

static void test_flexible_tail(void **state)
{
	static const struct want_field w[] = {
		{ "ip", "unsigned long", TREC_F_UINT, 8, 8, 1 },
	};
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(parse(fmt_ftrace_print, "ftrace", "print", &f, &err), 0);
	check_fields(&f, w, 1);
	assert_int_equal(f.schema.fixed_size, 16);
	assert_string_equal(f.tail_name, "buf");
	assert_int_equal(f.tail_offset, 16);
	check_valid(&f);
	tp_format_free(&f);
}

/* ---- synthetic formats: every kind mapping ---------------------------------- */

#define HDR "name: ev\nID: 7\nformat:\n"
#define FMT_END "\nprint fmt: \"x\"\n"

static void test_kind_mapping(void **state)
{
	static const char text[] = HDR
		"\tfield:__rel_loc char[] rel;\toffset:0;\tsize:4;\tsigned:0;\n"
		"\tfield:void *ptr4;\toffset:4;\tsize:4;\tsigned:1;\n"          /* pointer: hex whatever signed says */
		"\tfield:struct foo blob;\toffset:8;\tsize:12;\tsigned:0;\n"    /* odd size: bytes */
		"\tfield:char comm[TASK_COMM_LEN];\toffset:20;\tsize:16;\tsigned:0;\n" /* macro length */
		"\tfield:u8 opaque[NLEN];\toffset:36;\tsize:6;\tsigned:0;\n"    /* unknown length, not char */
		"\tfield:unsigned char mac[6];\toffset:42;\tsize:6;\tsigned:0;\n"
		"\tfield:s16 vals[4];\toffset:48;\tsize:8;\tsigned:1;\n"
		"\tfield:void * ptrs[2];\toffset:56;\tsize:16;\tsigned:0;\n"
		"\tfield:struct pair pairs[2];\toffset:72;\tsize:6;\tsigned:0;\n" /* 3-byte elements: bytes */
		"\tfield:__data_loc cpumask_t mask;\toffset:80;\tsize:4;\tsigned:0;\n"
		"\tfield:u32 old;\toffset:84;\tsize:4;\n"                       /* no signed: (old kernels) */
		"\tfield:s8 x;\toffset:88;\tsize:1;\tsigned:1;\tfuture:abc;\n"  /* unknown key: ignored */
		"\tfield:u8 grid[2][3];\toffset:89;\tsize:6;\tsigned:0;\n"
		"\tfield:u8 tail[];\toffset:96;\tsize:0;\tsigned:0;\n"
		FMT_END;
	static const struct trec_field w[] = {
		{ "rel", "__rel_loc char[]", TREC_F_REL_LOC, 0, 0, 4, 1 },
		{ "ptr4", "void *", TREC_F_HEX, 0, 4, 4, 1 },
		{ "blob", "struct foo", TREC_F_BYTES, 0, 8, 1, 12 },
		{ "comm", "char[TASK_COMM_LEN]", TREC_F_CHARS, 0, 20, 1, 16 },
		{ "opaque", "u8[NLEN]", TREC_F_BYTES, 0, 36, 1, 6 },
		{ "mac", "unsigned char[6]", TREC_F_UINT, 0, 42, 1, 6 },
		{ "vals", "s16[4]", TREC_F_INT, 0, 48, 2, 4 },
		{ "ptrs", "void *[2]", TREC_F_HEX, 0, 56, 8, 2 },
		{ "pairs", "struct pair[2]", TREC_F_BYTES, 0, 72, 1, 6 },
		{ "mask", "__data_loc cpumask_t", TREC_F_DATA_LOC, 0, 80, 4, 1 },
		{ "old", "u32", TREC_F_UINT, 0, 84, 4, 1 },
		{ "x", "s8", TREC_F_INT, 0, 88, 1, 1 },
		{ "grid", "u8[2][3]", TREC_F_UINT, 0, 89, 1, 6 },
	};
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	int r = parse(text, "g", "ev", &f, &err);
	if (r)
		fail_msg("%s", err.msg);
	assert_int_equal(f.id, 7);
	assert_int_equal(f.schema.nfields, sizeof(w) / sizeof(w[0]));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		const struct trec_field *g = &f.schema.fields[i];
		assert_string_equal(g->name, w[i].name);
		assert_string_equal(g->ctype, w[i].ctype);
		assert_int_equal(g->kind, w[i].kind);
		assert_int_equal(g->offset, w[i].offset);
		assert_int_equal(g->elem_size, w[i].elem_size);
		assert_int_equal(g->count, w[i].count);
	}
	assert_int_equal(f.schema.fixed_size, 95);
	assert_string_equal(f.tail_name, "tail");
	assert_int_equal(f.tail_offset, 96);
	check_valid(&f);
	tp_format_free(&f);
}

/* Not NUL-terminated input: the parser must stay within len. */
static void test_unterminated_buffer(void **state)
{
	size_t n = strlen(fmt_sched_switch);
	char *copy = malloc(n);
	struct tp_format f;
	(void)state;

	assert_non_null(copy);
	memcpy(copy, fmt_sched_switch, n);
	assert_int_equal(tracefs_format_parse(copy, n, "sched", "sched_switch", &f, NULL), 0);
	assert_int_equal(f.text[n], 0);
	tp_format_free(&f);
	free(copy);
}

/* ---- syscall string arguments ------------------------------------------------ */

static void test_str_args(void **state)
{
	struct tp_format f;
	(void)state;

	/* write's buf is `const char *` but data, not a path. */
	assert_int_equal(parse(fmt_write, "syscalls", "sys_enter_write", &f, NULL), 0);
	assert_int_equal(f.nstr_args, 0);
	tp_format_free(&f);

	/* mount spells its input strings `char *`. */
	assert_int_equal(parse(fmt_mount, "syscalls", "sys_enter_mount", &f, NULL), 0);
	assert_int_equal(f.nstr_args, 3);
	assert_string_equal(f.str_args[0].name, "dev_name");
	assert_int_equal(f.str_args[0].offset, 16);
	assert_string_equal(f.str_args[1].name, "dir_name");
	assert_int_equal(f.str_args[1].offset, 24);
	assert_string_equal(f.str_args[2].name, "type");
	assert_int_equal(f.str_args[2].offset, 32);
	tp_format_free(&f);

	/* sethostname's name has a length, no NUL. */
	assert_int_equal(parse(fmt_sethostname, "syscalls", "sys_enter_sethostname", &f, NULL), 0);
	assert_int_equal(f.nstr_args, 0);
	tp_format_free(&f);

	assert_true(tracefs_is_str_arg_name("pathname"));
	assert_true(tracefs_is_str_arg_name("dev_name"));
	assert_false(tracefs_is_str_arg_name("buf"));
	assert_false(tracefs_is_str_arg_name("argv"));
	assert_false(tracefs_is_str_arg_name(NULL));
}

/* Eight string pointers: at most six reported; sys_exit_* and other groups
 * report none. */
#define MANY_STR_FIELDS                                                                           \
	COMMON_FIELDS                                                                                  \
	"\tfield:const char * filename;\toffset:8;\tsize:8;\tsigned:0;\n"                              \
	"\tfield:const char * pathname;\toffset:16;\tsize:8;\tsigned:0;\n"                             \
	"\tfield:const char * oldname;\toffset:24;\tsize:8;\tsigned:0;\n"                              \
	"\tfield:const char *newname;\toffset:32;\tsize:8;\tsigned:0;\n"                               \
	"\tfield:const  char  * path;\toffset:40;\tsize:8;\tsigned:0;\n"                               \
	"\tfield:const char * const * name;\toffset:48;\tsize:8;\tsigned:0;\n" /* argv-like: no */     \
	"\tfield:char * special;\toffset:56;\tsize:8;\tsigned:0;\n"                                    \
	"\tfield:const char * dev_name;\toffset:64;\tsize:8;\tsigned:0;\n"                             \
	"\tfield:const char * dir_name;\toffset:72;\tsize:8;\tsigned:0;\n" FMT_END

/* Eight string pointers: at most six reported; sys_exit_* and other groups
 * report none. */
static void test_str_args_limits(void **state)
{
	static const char enter[] = "name: sys_enter_many\nID: 9\n" MANY_STR_FIELDS;
	static const char exit_[] = "name: sys_exit_many\nID: 10\n" MANY_STR_FIELDS;
	static const char *want[] = { "filename", "pathname", "oldname", "newname", "path", "special" };
	struct tp_format f;
	(void)state;

	assert_int_equal(parse(enter, "syscalls", "sys_enter_many", &f, NULL), 0);
	assert_int_equal(f.nstr_args, TP_MAX_STR_ARGS);
	for (int i = 0; i < TP_MAX_STR_ARGS; i++)
		assert_string_equal(f.str_args[i].name, want[i]);
	assert_int_equal(f.str_args[5].offset, 56);
	tp_format_free(&f);

	assert_int_equal(parse(exit_, "syscalls", "sys_exit_many", &f, NULL), 0);
	assert_int_equal(f.nstr_args, 0);
	tp_format_free(&f);
	assert_int_equal(parse(enter, "mygroup", "sys_enter_many", &f, NULL), 0);
	assert_int_equal(f.nstr_args, 0);
	tp_format_free(&f);
}

/* ---- malformed input ---------------------------------------------------------- */

static void test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "ends before the 'format:' line" },
		{ "hello world\n", "line 1: expected 'name:', 'ID:' or 'format:'" },
		{ "name: other\nID: 1\nformat:\n", "line 1: name 'other' does not match" },
		{ "name: ev\nname: ev\n", "line 2: second 'name:'" },
		{ "name: ev\nID: -1\nformat:\n", "line 2: ID '-1' is not a number" },
		{ "name: ev\nID: 99999999999\nformat:\n", "ID '99999999999' is not a number" },
		{ "name: ev\nID: 70000\nformat:\n", "ID '70000' is not a number in 0..65535" },
		{ "name: ev\nID: 0x10\nformat:\n", "is not a number" },
		{ "name: ev\nformat:\n", "line 2: no 'ID:' line" },
		{ "ID: 3\nformat:\n", "no 'name:' line" },
		{ HDR, "ends before the 'print fmt:' line" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n", "line 4: the text ends before the 'print fmt:'" },
		{ HDR FMT_END, "no fields" },
		{ HDR "\tfield:int a\toffset:0\tsize:4\tsigned:1\n" FMT_END, "line 4: field declaration" },
		{ HDR "\tfield:int a;\toffset:0\tsize:4\tsigned:1\n" FMT_END, "line 4: field 'a': 'offset:0" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\tsigned:1\n" FMT_END, "'signed:1' has no ';'" },
		{ HDR "\tfield:int a;\toffset 0;\tsize:4;\n" FMT_END, "expected key:value" },
		{ HDR "\tfield:int a;\tsize:4;\n" FMT_END, "lacks offset:" },
		{ HDR "\tfield:int a;\toffset:0;\n" FMT_END, "lacks size:" },
		{ HDR "\tfield:int a;\toffset:0;\toffset:0;\tsize:4;\n" FMT_END, "second 'offset:'" },
		{ HDR "\tfield:int a;\toffset:4294967296;\tsize:4;\n" FMT_END, "offset '4294967296' is not a number" },
		{ HDR "\tfield:int a;\toffset:99999;\tsize:4;\n" FMT_END, "offset '99999' is not a number in 0..65535" },
		{ HDR "\tfield:int a;\toffset:65535;\tsize:4;\n" FMT_END, "ends past 65535" },
		{ HDR "\tfield:int a;\toffset:-8;\tsize:4;\n" FMT_END, "offset '-8' is not a number" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:-4;\n" FMT_END, "size '-4' is not a number" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:;\n" FMT_END, "size '' is not a number" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\tsigned:2;\n" FMT_END, "signed '2' is not a number in 0..1" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:0;\n" FMT_END, "field 'a' has size 0" },
		{ HDR "\tfield:char c[16];\toffset:0;\tsize:10;\n" FMT_END, "size 10 does not match its 16 chars" },
		{ HDR "\tfield:u32 v[3];\toffset:0;\tsize:10;\n" FMT_END, "size 10 is not a multiple of its 3" },
		{ HDR "\tfield:u32 v[0];\toffset:0;\tsize:4;\n" FMT_END, "not a multiple of its 0" },
		{ HDR "\tfield:__data_loc char[] s;\toffset:0;\tsize:8;\n" FMT_END, "location word is 4 bytes" },
		{ HDR "\tfield:__data_loc char[] s[2];\toffset:0;\tsize:4;\n" FMT_END, "has array dimensions" },
		{ HDR "\tfield:int ;\toffset:0;\tsize:4;\n" FMT_END, "field 'int' has no type" },
		{ HDR "\tfield:int 9a;\toffset:0;\tsize:4;\n" FMT_END, "no field name" },
		{ HDR "\tfield:a;\toffset:0;\tsize:4;\n" FMT_END, "field 'a' has no type" },
		{ HDR "\tfield:int a];\toffset:0;\tsize:4;\n" FMT_END, "unbalanced ']'" },
		{ HDR "\tfield:int a[x;\toffset:0;\tsize:4;\n" FMT_END, "field 'x': unexpected '[' in type 'int a['" },
		{ HDR "\tfield:int (*fn)(void);\toffset:0;\tsize:8;\n" FMT_END, "no field name" },
		{ HDR "\tfield:int -x;\toffset:0;\tsize:4;\n" FMT_END, "unexpected '-' in type" },
		{ HDR "\tfield:int a[2]x];\toffset:0;\tsize:8;\n" FMT_END, "malformed array dimensions" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\n\tfield:int b;\toffset:2;\tsize:4;\n" FMT_END, "overlaps" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\n\tfield:int a;\toffset:4;\tsize:4;\n" FMT_END, "duplicate" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\n\tfield:u8 t[];\toffset:4;\tsize:0;\n"
		      "\tfield:u8 u[];\toffset:4;\tsize:0;\n" FMT_END, "line 6: second flexible array 'u'" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\n\tfield:u8 t[];\toffset:2;\tsize:0;\n" FMT_END,
		  "inside the fixed part" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\n\tjunk\n" FMT_END, "line 5: expected 'field:' or 'print fmt:'" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\n\nprint fmt: \"x\"", "line 6: the 'print fmt:' line has no end" },
		{ HDR "\tfield:int a;\toffset:0;\tsize:4;\x01\n" FMT_END, "line 4: control byte 0x01" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, strlen(cases[i].text), cases[i].want);

	/* A NUL inside the text (the length says there is more). */
	static const char nul[] = HDR "\tfield:int a;\0offset:0;\tsize:4;\n" FMT_END;
	expect_error(nul, sizeof(nul) - 1, "line 4: control byte 0x00");

	/* Messages name the tracepoint. */
	struct tp_format f;
	struct trec_err err = { 0 };
	assert_int_equal(tracefs_format_parse("x", 1, "grp", "evt", &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "format of grp:evt, line 1:"));

	/* Bad arguments. */
	assert_int_equal(tracefs_format_parse(NULL, 0, "g", "n", &f, NULL), -EINVAL);
	assert_int_equal(tracefs_format_parse("", 0, NULL, "n", &f, NULL), -EINVAL);
	assert_int_equal(tracefs_format_parse("", 0, "g", "n", NULL, NULL), -EINVAL);
}

static void test_too_many_fields(void **state)
{
	size_t cap = 64 * 1024, n = 0;
	char *t = malloc(cap);
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n, HDR);
	for (int i = 0; i < 1100 && n + 64 < cap; i++)
		n += (size_t)snprintf(t + n, cap - n, "\tfield:u8 f%d;\toffset:%d;\tsize:1;\n", i, i);
	n += (size_t)snprintf(t + n, cap - n, FMT_END);
	assert_int_equal(tracefs_format_parse(t, n, "g", "ev", &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "more than 1024 fields"));
	free(t);
}

static void test_oversized_text(void **state)
{
	size_t n = TRACEFS_FORMAT_MAX + 1;
	char *t = malloc(n);
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_non_null(t);
	memset(t, '\n', n);
	assert_int_equal(tracefs_format_parse(t, n, "g", "ev", &f, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "65536"));
	free(t);
}

/* Every proper prefix of every fixture is an error (the last line's
 * newline is required), and none crashes. */
static void test_truncations(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFIXTURES; k++) {
		const struct fixture *fx = &fixtures[k];
		size_t n = strlen(fx->text);
		for (size_t len = 0; len < n; len++) {
			/* A heap copy of exactly len bytes, so ASan catches any overread. */
			char *copy = malloc(len ? len : 1);
			struct tp_format f;
			struct trec_err err = { 0 };
			assert_non_null(copy);
			memcpy(copy, fx->text, len);
			int r = tracefs_format_parse(copy, len, fx->group, fx->name, &f, &err);
			if (r != -EINVAL)
				fail_msg("%s:%s cut at %zu: %d", fx->group, fx->name, len, r);
			assert_true(err.msg[0] != 0);
			free(copy);
		}
		struct tp_format f;
		assert_int_equal(tracefs_format_parse(fx->text, n, fx->group, fx->name, &f, NULL), 0);
		check_valid(&f);
		tp_format_free(&f);
	}
}

/* xorshift: deterministic garbage. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Byte flips, insertions of format-significant characters, and random
 * bytes: either an error with a message or a schema that validates. */
static void test_mutations(void **state)
{
	static const char specials[] = ";:[]*\n\t 0123456789-_";
	int ok = 0, bad = 0;
	(void)state;

	for (int iter = 0; iter < 20000; iter++) {
		const struct fixture *fx = &fixtures[rnd() % NFIXTURES];
		size_t n = strlen(fx->text);
		char *t = malloc(n);
		assert_non_null(t);
		memcpy(t, fx->text, n);
		int edits = 1 + (int)(rnd() % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = rnd() % n;
			switch (rnd() % 3) {
			case 0: t[at] = (char)rnd(); break;
			case 1: t[at] = specials[rnd() % (sizeof(specials) - 1)]; break;
			default: t[at] ^= (char)(1u << (rnd() % 8)); break;
			}
		}
		struct tp_format f;
		struct trec_err err = { 0 };
		int r = tracefs_format_parse(t, n, fx->group, fx->name, &f, &err);
		if (r) {
			assert_int_equal(r, -EINVAL);
			assert_true(err.msg[0] != 0);
			bad++;
		} else {
			check_valid(&f);
			assert_true(f.schema.nfields > 0);
			ok++;
			tp_format_free(&f);
		}
		free(t);
	}
	/* Both outcomes happen: mutations inside print fmt are harmless. */
	assert_true(ok > 0);
	assert_true(bad > 0);

	/* Pure random bytes. */
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = rnd() % 512;
		char *t = malloc(n ? n : 1);
		assert_non_null(t);
		for (size_t i = 0; i < n; i++)
			t[i] = (char)rnd();
		struct tp_format f;
		assert_int_equal(tracefs_format_parse(t, n, "g", "ev", &f, NULL), -EINVAL);
		free(t);
	}
}

/* ---- names and suggestions ------------------------------------------------ */

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(tracefs_edit_distance("", ""), 0);
	assert_int_equal(tracefs_edit_distance("", "abc"), 3);
	assert_int_equal(tracefs_edit_distance("abc", ""), 3);
	assert_int_equal(tracefs_edit_distance("abc", "abc"), 0);
	assert_int_equal(tracefs_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(tracefs_edit_distance("sched_swtich", "sched_switch"), 1); /* transposition */
	assert_int_equal(tracefs_edit_distance("sched_swich", "sched_switch"), 1);
	char a[300], b[300];
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = 0;
	memcpy(b, a, sizeof(b));
	b[200] = 'b'; /* past the 128 bytes compared */
	assert_int_equal(tracefs_edit_distance(a, b), 0);
}

static char *names_fixture[] = {
	"block:block_rq_issue", "irq:irq_handler_entry", "irq:irq_handler_exit", "sched:sched_process_exec",
	"sched:sched_process_exit", "sched:sched_switch", "sched:sched_wakeup", "syscalls:sys_enter_open",
	"syscalls:sys_enter_openat", "syscalls:sys_exit_openat",
};

static void fixture_list(struct tp_list *l)
{
	memset(l, 0, sizeof(*l));
	l->names = names_fixture;
	l->n = sizeof(names_fixture) / sizeof(names_fixture[0]);
}

static void test_suggest(void **state)
{
	struct tp_list l;
	const char *out[16];
	(void)state;
	fixture_list(&l);

	assert_int_equal(tracefs_suggest(&l, "sched:sched_swich", out, 3), 1);
	assert_string_equal(out[0], "sched:sched_switch");
	/* Name alone, transposed letters. */
	assert_int_equal(tracefs_suggest(&l, "sched_swtich", out, 3), 1);
	assert_string_equal(out[0], "sched:sched_switch");
	/* Right name, wrong group. */
	assert_true(tracefs_suggest(&l, "sched:irq_handler_entry", out, 3) >= 1);
	assert_string_equal(out[0], "irq:irq_handler_entry");
	/* Several candidates, closest first, ties in list order. */
	size_t n = tracefs_suggest(&l, "syscalls:sys_enter_openatt", out, 3);
	assert_true(n >= 2);
	assert_string_equal(out[0], "syscalls:sys_enter_openat");
	assert_string_equal(out[1], "syscalls:sys_enter_open");
	/* k bounds the answer. */
	assert_int_equal(tracefs_suggest(&l, "irq:irq_handler_ex", out, 1), 1);
	assert_string_equal(out[0], "irq:irq_handler_exit");
	assert_int_equal(tracefs_suggest(&l, "irq:irq_handler_ex", out, 0), 0);
	/* Nothing close. */
	assert_int_equal(tracefs_suggest(&l, "zzzzzzzzzzzz", out, 3), 0);
	assert_int_equal(tracefs_suggest(&l, "net:netif_rx", out, 3), 0);
	assert_int_equal(tracefs_suggest(NULL, "x", out, 3), 0);

	assert_true(tp_list_contains(&l, "sched:sched_switch"));
	assert_false(tp_list_contains(&l, "sched:sched_swi"));
}

static void test_split(void **state)
{
	char g[64], n[64];
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(tracefs_split("sched:sched_switch", g, sizeof(g), n, sizeof(n), &err), 0);
	assert_string_equal(g, "sched");
	assert_string_equal(n, "sched_switch");
	assert_int_equal(tracefs_split("sched/sched_switch", g, sizeof(g), n, sizeof(n), &err), 0);
	assert_string_equal(n, "sched_switch");

	static const char *bad[] = { "sched_switch", ":x", "x:", "x:..", "..:x", "a:b c", "a:b/c", "a:b:c", "a:b\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = 0;
		if (tracefs_split(bad[i], g, sizeof(g), n, sizeof(n), &err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(err.msg[0] != 0);
	}
	assert_int_equal(tracefs_split("abc:defgh", g, 3, n, sizeof(n), NULL), -ENAMETOOLONG);
}

/* ---- a fake tracefs tree -------------------------------------------------- */

static char fake_root[64];

static void write_file(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static void add_event(const char *group, const char *name, const char *text, size_t n)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/events/%s", fake_root, group);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/events/%s/enable", fake_root, group);
	write_file(p, "0\n", 2);
	snprintf(p, sizeof(p), "%s/events/%s/%s", fake_root, group, name);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/events/%s/%s/format", fake_root, group, name);
	write_file(p, text, n);
}

static int setup_fake(void **state)
{
	char p[128];
	(void)state;
	snprintf(fake_root, sizeof(fake_root), "/tmp/trec-tracefs-XXXXXX");
	if (!mkdtemp(fake_root))
		return -1;
	snprintf(p, sizeof(p), "%s/events", fake_root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/events/header_page", fake_root);
	write_file(p, "x", 1);
	add_event("sched", "sched_switch", fmt_sched_switch, strlen(fmt_sched_switch));
	add_event("block", "block_rq_issue", fmt_block_rq_issue, strlen(fmt_block_rq_issue));
	add_event("syscalls", "sys_enter_openat", fmt_openat, strlen(fmt_openat));
	add_event("syscalls", "sys_enter_write", fmt_write, strlen(fmt_write));
	add_event("ftrace", "print", fmt_ftrace_print, strlen(fmt_ftrace_print));
	/* A format naming another tracepoint, a broken one, an oversized one. */
	add_event("bad", "mismatch", fmt_write, strlen(fmt_write));
	add_event("bad", "broken", "name: broken\nID: x\n", 19);
	char *big = malloc(TRACEFS_FORMAT_MAX + 100);
	if (!big)
		return -1;
	memset(big, ' ', TRACEFS_FORMAT_MAX + 100);
	add_event("bad", "huge", big, TRACEFS_FORMAT_MAX + 100);
	free(big);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown_fake(void **state)
{
	(void)state;
	return nftw(fake_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_fake_list(void **state)
{
	struct tp_list l;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(tracefs_list(fake_root, NULL, &l, &err), 0);
	static const char *all[] = {
		"bad:broken", "bad:huge", "bad:mismatch", "block:block_rq_issue", "sched:sched_switch",
		"syscalls:sys_enter_openat", "syscalls:sys_enter_write",
	};
	assert_int_equal(l.n, sizeof(all) / sizeof(all[0])); /* no ftrace:print, no files */
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.names[i], all[i]);
	tp_list_free(&l);

	assert_int_equal(tracefs_list(fake_root, "syscalls:sys_enter_*", &l, &err), 0);
	assert_int_equal(l.n, 2);
	tp_list_free(&l);
	assert_int_equal(tracefs_list(fake_root, "*switch*", &l, &err), 0); /* name alone */
	assert_int_equal(l.n, 1);
	assert_string_equal(l.names[0], "sched:sched_switch");
	tp_list_free(&l);
	assert_int_equal(tracefs_list(fake_root, "", &l, &err), 0);
	assert_int_equal(l.n, 7);
	tp_list_free(&l);

	assert_int_equal(tracefs_list(fake_root, "net:*", &l, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no tracepoint matches 'net:*'"));
	tp_list_free(&l);
	assert_int_equal(tracefs_list(fake_root, "sched:sched_swich", &l, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "did you mean sched:sched_switch?"));
	tp_list_free(&l);

	assert_int_equal(tracefs_list("/nonexistent-trec", NULL, &l, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "mount -t tracefs nodev /sys/kernel/tracing"));
	tp_list_free(&l);
}

static void test_fake_load(void **state)
{
	struct tp_format f;
	struct trec_err err = { 0 };
	(void)state;

	assert_int_equal(tracefs_format_load(fake_root, "block", "block_rq_issue", &f, &err), 0);
	assert_int_equal(f.id, 2104);
	assert_string_equal(f.text, fmt_block_rq_issue);
	check_valid(&f);
	tp_format_free(&f);

	assert_int_equal(tracefs_format_load(fake_root, "sched", "sched_swich", &f, &err), -ENOENT);
	assert_string_equal(err.msg, "unknown tracepoint 'sched:sched_swich'; did you mean sched:sched_switch?");
	assert_int_equal(tracefs_format_load(fake_root, "nosuch", "thing_at_all", &f, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "unknown tracepoint 'nosuch:thing_at_all' (no "));

	assert_int_equal(tracefs_format_load(fake_root, "bad", "mismatch", &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "does not match"));
	assert_int_equal(tracefs_format_load(fake_root, "bad", "broken", &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "line 2: ID 'x'"));
	assert_int_equal(tracefs_format_load(fake_root, "bad", "huge", &f, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "larger than 65536 bytes"));

	/* Path tricks never reach the filesystem. */
	assert_int_equal(tracefs_format_load(fake_root, "..", "events", &f, &err), -EINVAL);
	assert_int_equal(tracefs_format_load(fake_root, "sched", "a/b", &f, &err), -EINVAL);
	assert_int_equal(tracefs_format_load(fake_root, "sched", "", &f, &err), -EINVAL);
	assert_null(f.mem);
}

/* ---- the real tracefs ------------------------------------------------------ */

static char real_root[4096];

static int have_tracefs(void) { return tracefs_root(real_root, sizeof(real_root), NULL) == 0; }

static void test_real_root(void **state)
{
	char small[4];
	struct trec_err err = { 0 };
	(void)state;
	if (tracefs_root(real_root, sizeof(real_root), &err)) {
		/* No tracefs here: the message must say how to fix it. */
		assert_true(strstr(err.msg, "mount -t tracefs nodev /sys/kernel/tracing") ||
			    strstr(err.msg, "permission denied"));
		skip();
	}
	char p[4200];
	struct stat st;
	snprintf(p, sizeof(p), "%s/events", real_root);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(tracefs_root(small, sizeof(small), &err), -ENAMETOOLONG);
}

static void test_real_list(void **state)
{
	struct tp_list l;
	struct trec_err err = { 0 };
	(void)state;
	if (!have_tracefs())
		skip();

	assert_int_equal(tracefs_list(NULL, "sched:*", &l, &err), 0);
	assert_true(tp_list_contains(&l, "sched:sched_switch"));
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(strncmp(l.names[i], "sched:", 6), 0);
		if (i)
			assert_true(strcmp(l.names[i - 1], l.names[i]) < 0);
	}
	tp_list_free(&l);

	assert_int_equal(tracefs_list(NULL, "*:*switch*", &l, &err), 0);
	assert_true(tp_list_contains(&l, "sched:sched_switch"));
	tp_list_free(&l);

	if (tracefs_list(NULL, "syscalls:sys_enter_open*", &l, &err) == 0) {
		assert_true(tp_list_contains(&l, "syscalls:sys_enter_openat"));
		for (size_t i = 0; i < l.n; i++)
			assert_int_equal(strncmp(l.names[i], "syscalls:sys_enter_open", 23), 0);
	}
	tp_list_free(&l);

	assert_int_equal(tracefs_list(NULL, "nosuchgroup:*", &l, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no tracepoint matches 'nosuchgroup:*'"));
	tp_list_free(&l);

	struct tp_format f;
	assert_int_equal(tracefs_format_load(NULL, "sched", "sched_swich", &f, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "did you mean sched:sched_switch"));
}

/* The id file next to format holds the same number as the ID: line. */
static uint32_t read_id_file(const char *full)
{
	char g[256], n[256], p[4800], buf[32] = { 0 };
	if (tracefs_split(full, g, sizeof(g), n, sizeof(n), NULL))
		return UINT32_MAX;
	snprintf(p, sizeof(p), "%s/events/%s/%s/id", real_root, g, n);
	FILE *fp = fopen(p, "r");
	if (!fp)
		return UINT32_MAX;
	size_t got = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[got] = 0;
	return (uint32_t)strtoul(buf, NULL, 10);
}

static void test_real_all_formats(void **state)
{
	struct tp_list l;
	struct trec_err err = { 0 };
	size_t failed = 0, str = 0, tails = 0;
	(void)state;
	if (!have_tracefs())
		skip();

	assert_int_equal(tracefs_list(NULL, NULL, &l, &err), 0);
	assert_true(l.n > 100);
	for (size_t i = 0; i < l.n; i++) {
		char g[256], n[256];
		struct tp_format f;
		assert_int_equal(tracefs_split(l.names[i], g, sizeof(g), n, sizeof(n), &err), 0);
		if (tracefs_format_load(NULL, g, n, &f, &err)) {
			print_message("FAILED %s: %s\n", l.names[i], err.msg);
			failed++;
			continue;
		}
		check_valid(&f);
		assert_string_equal(f.schema.name, l.names[i]);
		assert_int_equal(f.id, read_id_file(l.names[i]));
		assert_true(f.nstr_args <= TP_MAX_STR_ARGS);
		str += f.nstr_args > 0;
		tails += f.tail_name != NULL;
		tp_format_free(&f);
	}
	print_message("parsed %zu tracepoint formats (%zu with string args, %zu with a flexible tail), "
		      "%zu failed\n", l.n, str, tails, failed);
	if (tp_list_contains(&l, "syscalls:sys_enter_openat"))
		assert_true(str > 0);
	tp_list_free(&l);
	assert_int_equal(failed, 0);

	/* ftrace's own events are not listed but parse too. */
	static const char *ftrace[] = { "print", "function", "bprint", "raw_data", "funcgraph_entry" };
	for (size_t i = 0; i < sizeof(ftrace) / sizeof(ftrace[0]); i++) {
		struct tp_format f;
		int r = tracefs_format_load(NULL, "ftrace", ftrace[i], &f, &err);
		if (r == -ENOENT)
			continue;
		if (r)
			fail_msg("ftrace:%s: %s", ftrace[i], err.msg);
		check_valid(&f);
		tp_format_free(&f);
	}
}

static void test_real_matches_fixture(void **state)
{
	struct tp_format real, fx;
	(void)state;
	if (!have_tracefs())
		skip();
	/* The layouts the fixtures assume are this kernel's (ids vary). */
	assert_int_equal(tracefs_format_load(NULL, "sched", "sched_switch", &real, NULL), 0);
	assert_int_equal(parse(fmt_sched_switch, "sched", "sched_switch", &fx, NULL), 0);
	assert_int_equal(real.schema.nfields, fx.schema.nfields);
	for (uint32_t i = 0; i < fx.schema.nfields; i++) {
		assert_string_equal(real.schema.fields[i].name, fx.schema.fields[i].name);
		assert_int_equal(real.schema.fields[i].offset, fx.schema.fields[i].offset);
		assert_int_equal(real.schema.fields[i].kind, fx.schema.fields[i].kind);
	}
	tp_format_free(&real);
	tp_format_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_switch),
		cmocka_unit_test(test_openat),
		cmocka_unit_test(test_block_rq_issue),
		cmocka_unit_test(test_raw_sys_enter),
		cmocka_unit_test(test_flexible_tail),
		cmocka_unit_test(test_kind_mapping),
		cmocka_unit_test(test_unterminated_buffer),
		cmocka_unit_test(test_str_args),
		cmocka_unit_test(test_str_args_limits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_oversized_text),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_fake_list, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_load, setup_fake, teardown_fake),
		cmocka_unit_test(test_real_root),
		cmocka_unit_test(test_real_list),
		cmocka_unit_test(test_real_all_formats),
		cmocka_unit_test(test_real_matches_fixture),
	};
	return cmocka_run_group_tests_name("rec_tracefs", tests, NULL, NULL);
}
