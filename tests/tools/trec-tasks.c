/* SPDX-License-Identifier: MIT */
/*
 * Prints a trace's process history (its task records), one per line:
 *
 *   TS_NS KIND PID TID PPID COMM FILENAME
 *
 * KIND is snapshot, fork, comm, exec or exit. Benchmarks and tests use it
 * for what `trec script` does not print, e.g. when a workload exec'd.
 *
 *   trec-tasks FILE
 */
#include <inttypes.h>
#include <stdio.h>

#include "reader.h"
#include "records.h"

static const char *kind_name(uint32_t k)
{
	switch (k) {
	case TREC_TASK_SNAPSHOT: return "snapshot";
	case TREC_TASK_FORK: return "fork";
	case TREC_TASK_COMM: return "comm";
	case TREC_TASK_EXEC: return "exec";
	case TREC_TASK_EXIT: return "exit";
	default: return "unknown";
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: trec-tasks FILE\n");
		return 2;
	}
	struct trec_reader *r;
	struct trec_err err = { 0 };
	if (trec_reader_open(&r, argv[1], NULL, &err)) {
		fprintf(stderr, "trec-tasks: %s\n", err.msg);
		return 1;
	}
	const struct trec_task *t;
	size_t n;
	if (trec_reader_tasks(r, &t, &n, &err) < 0) {
		fprintf(stderr, "trec-tasks: %s\n", err.msg);
		trec_reader_close(r);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%" PRIu64 " %s %u %u %u %s %s\n", t[i].ts, kind_name(t[i].kind), t[i].pid, t[i].tid, t[i].ppid,
		       t[i].comm[0] ? t[i].comm : "-", t[i].filename[0] ? t[i].filename : "-");
	trec_reader_close(r);
	return 0;
}
