/* SPDX-License-Identifier: MIT */
/* System call names by number, for traces of x86-64 machines (the table is
 * generated at build time from the kernel's uapi header). */
#ifndef TREC_REPORT_SYSCALL_NAMES_H
#define TREC_REPORT_SYSCALL_NAMES_H

#include <stdint.h>

/* The name of syscall `nr` on `machine` (metadata "machine"), or NULL. */
const char *syscall_name(const char *machine, int64_t nr);

#endif
