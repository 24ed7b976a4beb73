/* SPDX-License-Identifier: MIT */
/*
 * The symbolizer's state, shared by its parts: symbolize.c (the indexes
 * and the lookups) and symbolize_ext.c (fuller tables from --symfs and
 * --debug-dir). Not for other modules: symbolize.h is the interface.
 */
#ifndef TREC_REPORT_SYMBOLIZE_INT_H
#define TREC_REPORT_SYMBOLIZE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "symbolize.h"

struct umap {
	uint64_t start, end; /* [start, end) */
	uint64_t pgoff;
	uint64_t ts;
	uint64_t max_end;    /* max end of this and earlier maps of the epoch */
	uint32_t epoch;      /* index into s->epochs */
	uint32_t seq;        /* file order: of two maps with one ts, the later wins */
	int anon;
	const struct trec_dso_syms *syms; /* its symbol table, or NULL */
	const char *name;    /* basename of the path, or "[anon]" */
	const struct trec_map *rec; /* the reader's record: path, build-id */
};

struct epoch {
	uint64_t begin;     /* first ts it covers */
	uint64_t fork_ts;   /* has_parent: the parent's space as of this ts */
	uint32_t parent;    /* has_parent: parent pid */
	int has_parent;
	int first_of_proc;  /* began before anything the file saw (begin 0) */
	uint32_t first, n;  /* maps[first .. first + n), by start */
	uint64_t snap_ts;   /* first_of_proc: ts of its earliest maps */
};

struct proc {
	uint32_t pid;
	uint32_t first_epoch, nepochs;
	uint32_t first_change, nchange;
	const struct trec_dso_syms *jit; /* /tmp/perf-PID.map, or NULL */
	const char *jit_name;
};

struct kent {
	uint64_t addr;
	const char *name;
	const char *dso; /* "[kernel.kallsyms]" or "[module]" */
};

struct symbolizer {
	struct proc *procs;
	uint32_t nprocs;
	struct epoch *epochs;
	uint32_t nepochs;
	struct umap *maps;
	uint32_t nmaps;
	uint64_t *change;
	uint32_t nchange;
	struct kent *ksyms;
	uint32_t nksyms;
	struct tarena strings; /* module names in brackets, messages */
	uint32_t last_proc;    /* lookups come in runs of one pid */
	int demangle;          /* show demangled names where the trace has them */
	size_t mem;
	/* tables read from --symfs / --debug-dir, one arena each */
	struct tarena *ext_arenas;
	uint32_t next_arenas, cap_arenas;
	struct symbolizer_ext_stats ext;
};


/* For every mapped file (s->maps still in file order): its table from
 * the directories, when one there is fuller (symbolize_ext.c). 0 or
 * -ENOMEM with err set. */
int sym_resolve_external(struct symbolizer *s, const struct trec_map *m, size_t nm,
			 const struct symbolizer_opts *o, struct trec_err *err);

#endif
