/* SPDX-License-Identifier: MIT */
/*
 * Recording metadata: what the report, run later on another machine,
 * needs to know about the host and the recording (docs/METADATA.md lists
 * every key). Values that cannot be read are left out rather than faked;
 * the keys below are always present.
 */
#ifndef TREC_RECORD_HOSTMETA_H
#define TREC_RECORD_HOSTMETA_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "records.h"

#ifndef TREC_VERSION
#define TREC_VERSION "unknown"
#endif

/* Longest trec.cmdline value; the meta codec caps strings at 4096. */
#define HOSTMETA_CMDLINE_MAX 4000

/* Fills *kv with *n entries; the array and every string live in arena a
 * (the caller owns it and frees it after writing the metadata).
 * start_ns: record.start_ns, CLOCK_MONOTONIC; 0 = now. */
int hostmeta_collect(struct tarena *a, int argc, char *const argv[], uint64_t start_ns,
		     struct trec_meta_kv **kv, size_t *n, struct trec_err *err);

/* argv joined with spaces, each argument quoted for a POSIX shell where
 * it needs it ('...', or $'...' with \xNN for control bytes and invalid
 * UTF-8, so the value is valid UTF-8 text); cut at max bytes (on a
 * character boundary) with "..." appended. NULL on allocation failure. */
char *hostmeta_cmdline(struct tarena *a, int argc, char *const argv[], size_t max);

/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the monotonic/realtime/
 * monotonic reading with the smallest gap over a few tries; *uncertainty_ns
 * (may be NULL) gets half that gap. */
int64_t hostmeta_realtime_offset(uint64_t *uncertainty_ns);

/* Looks a key up in an array (tests, and the recorder's own summary). */
const struct trec_meta_kv *hostmeta_find(const struct trec_meta_kv *kv, size_t n, const char *key);

#endif
