/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the tracefs format file parser (record/tp_format.c)
 * on arbitrary bytes. The input is the whole format file; its tracepoint
 * is syscalls:sys_enter_openat when the bytes mention sys_enter (so the
 * syscall string argument search runs), else sched:sched_switch.
 *
 * Beyond "no crash, no leak, no hang": a parsed format has fields that
 * lie inside TRACEFS_RECORD_MAX with names, and string arguments that are
 * fields of it; an error is -EINVAL or -ENOMEM with a message.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tp_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sys = memmem(data, size, "sys_enter", 9) != NULL;
	struct tp_format f;
	struct trec_err err = { 0 };
	int rc = tracefs_format_parse((const char *)data, size, sys ? "syscalls" : "sched",
				      sys ? "sys_enter_openat" : "sched_switch", &f, &err);
	if (rc) {
		if ((rc != -EINVAL && rc != -ENOMEM) || !err.msg[0])
			__builtin_trap();
		return 0;
	}
	for (uint32_t i = 0; i < f.schema.nfields; i++) {
		const struct trec_field *fl = &f.schema.fields[i];
		if (!fl->name || (uint64_t)fl->offset + (uint64_t)fl->elem_size * fl->count > TRACEFS_RECORD_MAX)
			__builtin_trap();
	}
	if (f.nstr_args > TP_MAX_STR_ARGS)
		__builtin_trap();
	for (uint32_t i = 0; i < f.nstr_args; i++)
		if (!f.str_args[i].name || f.str_args[i].offset >= TRACEFS_RECORD_MAX)
			__builtin_trap();
	tp_format_free(&f);
	return 0;
}
