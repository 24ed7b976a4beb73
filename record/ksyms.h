/* SPDX-License-Identifier: MIT */
/*
 * Text symbol lists, parsed from an open file (libc only): the kernel's
 * /proc/kallsyms and a JIT's /tmp/perf-PID.map, whose formats and rules
 * symtab.h describes (symtab_read_kallsyms, symtab_read_perfmap open the
 * files and call these). Input is untrusted: every line is bounded, a
 * malformed one is skipped, and nothing here crashes on any bytes.
 */
#ifndef TREC_RECORD_KSYMS_H
#define TREC_RECORD_KSYMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "errors.h"
#include "records.h"
#include "symtab.h" /* the limits: SYMTAB_MAX_SYMS, SYMTAB_MAX_NAME, ... */

/*
 * Text symbols of kallsyms read from fd to its end (path only names it in
 * messages), sorted as symtab_read_kallsyms returns them; names point into
 * arena chunks. 0, or a negative errno with err set: -ENODATA (no text
 * symbol), -EPERM (all addresses hidden), -E2BIG, -EIO, -ENOMEM, -EINVAL.
 */
int ksyms_parse_kallsyms(int fd, const char *path, struct tarena *a, struct trec_ksym **out, size_t *n,
			 struct trec_err *err);

/*
 * The symbols of `all` (sorted, as symtab_read_kallsyms returns them) that
 * cover the kernel addresses ips[0..nips): for each address the symbols
 * at the greatest address <= ip (all its aliases), and the next symbol
 * after them, which bounds the covering one's extent for a reader (kallsyms
 * has no sizes). Deduplicated and sorted; addresses below the first symbol
 * are skipped. Names are copied into the arena. 0 or -ENOMEM/-EINVAL.
 */
int ksyms_kernel_subset(const struct trec_ksym *all, size_t n, const uint64_t *ips, size_t nips,
			struct tarena *a, struct trec_ksym **out, size_t *nout);

/*
 * The lines of a perf map read from f into out->syms/nsyms (sorted, the
 * latest line per address; the rest of *out untouched), in the arena.
 * Malformed and overlong lines are skipped; at most SYMTAB_MAX_SYMS lines
 * and 256 MiB are read. 0, -EIO (read error), -ENOMEM or -EINVAL.
 */
int ksyms_parse_perfmap(FILE *f, struct tarena *a, struct trec_dso_syms *out);

#endif
