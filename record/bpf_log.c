/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdarg.h>

#include <bpf/libbpf.h>

#include "bpf_log.h"
#include "errors.h"

static int forward(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	trec_vprint(TREC_DEBUG, fmt, ap);
	return 0;
}

static void install(void)
{
	libbpf_set_print(forward);
}

void rec_bpf_log_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install);
}
