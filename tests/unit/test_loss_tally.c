/* SPDX-License-Identifier: MIT */
/* Loss records by reason (report/loss_tally.h), and trec info showing them
 * on a hand-made trace: events lost per reason, stack loss kept apart and
 * split by side, per type, in text and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "loss_tally.h"
#include "scratch.h"
#include "tracegen.h"
#include "writer.h"

enum { T_CLOCK = 1, T_SWITCH = 2 };

static const struct trec_field f_u64[] = { { "period", "u64", TREC_F_UINT, 0, 0, 8, 1 } };
static const struct trec_schema schemas[] = {
	{ T_CLOCK, "cpu-clock", "perf_event:software:cpu-clock", 0, 8, 1, f_u64 },
	{ T_SWITCH, "sched:sched_switch", "tracepoint:sched:sched_switch", 0, 8, 1, f_u64 },
};

/* Two CPUs' records, as the recorder flushes them: per CPU, type, reason. */
static const struct trec_loss losses[] = {
	{ 10, 0, T_CLOCK, TREC_LOSS_STACK, 3 },    { 10, 1, T_CLOCK, TREC_LOSS_STACK, 2 },
	{ 10, 0, T_SWITCH, TREC_LOSS_RINGBUF, 7 }, { 20, 1, T_SWITCH, TREC_LOSS_RINGBUF, 1 },
	{ 20, 0, T_SWITCH, TREC_LOSS_WRITER, 4 },  { 20, 1, T_SWITCH, TREC_LOSS_STACK, 1 },
	{ 30, 0, 0, TREC_LOSS_OTHER, 5 },
};
#define NLOSSES (sizeof(losses) / sizeof(losses[0]))

static void test_tally(void **state)
{
	(void)state;
	struct loss_tally t;
	assert_int_equal(loss_tally_build(&t, losses, NLOSSES), 0);
	assert_int_equal(t.by_reason[TREC_LOSS_RINGBUF], 8);
	assert_int_equal(t.by_reason[TREC_LOSS_WRITER], 4);
	assert_int_equal(t.by_reason[TREC_LOSS_OTHER], 5);
	assert_int_equal(t.by_reason[TREC_LOSS_STACK], 6);
	assert_int_equal(t.events_lost, 17); /* stack loss loses no event */
	assert_int_equal(t.ntypes, 3);
	assert_int_equal(loss_tally_type(&t, T_CLOCK)->by_reason[TREC_LOSS_STACK], 5);
	assert_int_equal(loss_tally_type_lost(&t, T_CLOCK), 0);
	assert_int_equal(loss_tally_type_lost(&t, T_SWITCH), 12);
	assert_int_equal(loss_tally_type(&t, T_SWITCH)->by_reason[TREC_LOSS_STACK], 1);
	assert_int_equal(loss_tally_type_lost(&t, 0), 5);
	assert_null(loss_tally_type(&t, 99));
	assert_int_equal(loss_tally_type_lost(&t, 99), 0);
	assert_false(t.has_sides);
	const struct trec_meta_kv kv[] = {
		{ .key = "host.name", .type = TREC_META_STR, .v.str = { "h", 1 } },
		{ .key = "stack_loss.kernel", .type = TREC_META_U64, .v.u64 = 1 },
		{ .key = "stack_loss.user", .type = TREC_META_U64, .v.u64 = 5 },
	};
	loss_tally_sides(&t, kv, 3);
	assert_true(t.has_sides);
	assert_int_equal(t.stack_kernel, 1);
	assert_int_equal(t.stack_user, 5);
	loss_tally_free(&t);

	assert_int_equal(loss_tally_build(&t, NULL, 0), 0);
	assert_int_equal(t.ntypes, 0);
	assert_null(loss_tally_type(&t, T_CLOCK));
	loss_tally_free(&t);
	assert_string_equal(loss_reason_key(TREC_LOSS_STACK), "stack");
	assert_string_equal(loss_reason_key(TREC_LOSS_RINGBUF), "ring_buffer");
}

static char *info(const char *path, int json, char **err)
{
	char *argv[] = { (char *)"trec info", (char *)"-i", (char *)path, (char *)"--json", NULL };
	char *out = NULL;
	assert_int_equal(run_captured(scratch_root(), cmd_info, json ? 4 : 3, argv, &out, err), 0);
	return out;
}

static void test_info(void **state)
{
	(void)state;
	scratch_make("loss_tally");
	const char *path = scratch_path("l.data");
	struct trec_writer *w = tg_open(path, schemas, 2);
	uint64_t one = 1;
	tg_event(w, 5, 0, 100, 100, T_CLOCK, 0, &one, 8);
	for (size_t i = 0; i < NLOSSES; i++)
		assert_int_equal(trec_writer_add_loss(w, &losses[i]), 0);
	const struct trec_meta_kv kv[] = {
		{ .key = "stack_loss.kernel", .type = TREC_META_U64, .v.u64 = 1 },
		{ .key = "stack_loss.user", .type = TREC_META_U64, .v.u64 = 5 },
	};
	assert_int_equal(trec_writer_add_meta(w, kv, 2), 0);
	tg_close(w);

	char *err = NULL, *out = info(path, 0, &err);
	assert_non_null(strstr(out, "\nlost          17\n"
				    "                         8  ring buffer full: BPF could not reserve (events lost)\n"
				    "                         4  writer behind: queue full, disk slow (events lost)\n"
				    "                         5  other: the process side-band's records (lost)\n"
				    "stack loss    6 events kept without (part of) their stack\n"
				    "                         1  kernel side not captured\n"
				    "                         5  user side not captured\n"));
	assert_non_null(strstr(out, "     id        events          lost    stack lost  name"));
	assert_non_null(strstr(out, "      1             1             0             5  cpu-clock"));
	assert_non_null(strstr(out, "      2             0            12             1  sched:sched_switch"));
	assert_non_null(strstr(out, "      -             -             5             -  (side-band and other records)"));
	free(out);
	free(err);

	out = info(path, 1, &err);
	assert_non_null(strstr(out, "\"losses\": {\n    \"ring_buffer\": 8,\n    \"writer\": 4,\n    \"other\": 5,\n"
				    "    \"stack\": 6,\n    \"stack_kernel\": 1,\n    \"stack_user\": 5\n  }"));
	assert_non_null(strstr(out, "\"name\": \"cpu-clock\",\n      \"probe\": \"perf_event:software:cpu-clock\",\n"
				    "      \"fields\": 1,\n      \"count\": 1,\n      \"lost\": 0,\n      \"stack_lost\": 5"));
	free(out);
	free(err);
	scratch_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
