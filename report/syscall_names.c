/* SPDX-License-Identifier: MIT */
#include <stddef.h>
#include <string.h>

#include "syscall_names.h"

static const char *const x86_64_names[] = {
#include "syscalls_x86_64.h"
};

const char *syscall_name(const char *machine, int64_t nr)
{
	if (!machine || strcmp(machine, "x86_64"))
		return NULL;
	if (nr < 0 || (size_t)nr >= sizeof(x86_64_names) / sizeof(x86_64_names[0]))
		return NULL;
	return x86_64_names[nr];
}
