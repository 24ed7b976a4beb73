/* SPDX-License-Identifier: MIT */
/*
 * The kernel symbols a trace's kernel stacks need, built from the kernel's
 * own names for those addresses ("%pS" text: "name+0xOFF/0xSIZE [module]")
 * instead of from all of /proc/kallsyms. libc only: the naming itself is a
 * callback (ksym_bpf.c runs it in BPF; tests give a table), so this file is
 * unit-tested and fuzzed on its own. The text is untrusted like any input:
 * every field is bounded and checked, and a text that does not parse makes
 * the caller fall back to kallsyms rather than guess.
 */
#ifndef TREC_RECORD_KSYM_NAMED_H
#define TREC_RECORD_KSYM_NAMED_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "records.h"

/* One "%pS" text, parsed. name and module point into the text. */
struct ksym_pS {
	const char *name;
	size_t name_len;
	const char *module; /* NULL for vmlinux */
	size_t module_len;
	uint64_t off, size;
};

/*
 * Parses text[0..len) as the kernel prints "%pS": "name+0xOFF/0xSIZE",
 * optionally followed by " [module]" (or " [module buildid]"). 0; -ENOENT
 * for a bare address (no symbol covers it); -EINVAL for anything else.
 */
int ksym_parse_pS(const char *text, size_t len, struct ksym_pS *out);

/*
 * Names addrs[0..n) (n <= the batch the caller asked for): texts[i] gets
 * the "%pS" text of addrs[i], NUL-terminated within text_cap bytes, and
 * lens[i] its length (>= text_cap when it was cut). 0 or a negative errno.
 */
typedef int (*ksym_name_fn)(void *ctx, const uint64_t *addrs, size_t n, char *texts, size_t text_cap,
			    size_t *lens);

struct ksym_namer {
	ksym_name_fn name;
	void *ctx;
	size_t batch;    /* addresses per call, >= 1 */
	size_t text_cap; /* bytes per text, >= 2 */
};

/*
 * The symbols covering ips[0..nips) (any order, duplicates fine): for each
 * covered address its symbol (start = ip - OFF), and the symbol that starts
 * where it ends (start + SIZE), named too, so a reader can bound the first
 * (kallsyms has no sizes; the trace format bounds a symbol by the next).
 * Where nothing starts at that end, an entry with an empty name marks it.
 * Addresses no symbol covers are left out. Sorted by address, one entry per
 * address, names copied into the arena, type 't'.
 *
 * 0; -E2BIG when a name was cut or more than SYMTAB_MAX_SYMS would result;
 * -EINVAL for a text that does not parse; -ENOMEM; or the namer's error.
 * On any error the caller reads kallsyms instead.
 */
int ksym_named_subset(const struct ksym_namer *nm, const uint64_t *ips, size_t nips, struct tarena *a,
		      struct trec_ksym **out, size_t *nout);

#endif
