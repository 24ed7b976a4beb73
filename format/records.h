/* SPDX-License-Identifier: MIT */
/*
 * The small block kinds: metadata, stacks, tasks, mappings, DSO symbols
 * and their extensions, kernel symbols, loss records and the footer index.
 * Each kind has its own encoder/decoder pair in its own file
 * (format/rec_<kind>.c): an encoder appends the payload of one block to a
 * tbuf; a decoder parses exactly `count` records (the block header's
 * record count) from a payload, validating every length against hard
 * limits before it allocates, and places every string and array in the
 * caller's arena.
 *
 * Decoders return 0, or -EBADMSG with a message naming the record index
 * and what was wrong ("stack 3: 2000 frames exceeds 1024").
 */
#ifndef TREC_RECORDS_H
#define TREC_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "trec_format.h"

/* ---- metadata: typed key/values ----------------------------------------- */

enum trec_meta_type {
	TREC_META_U64 = 1,
	TREC_META_I64 = 2,
	TREC_META_F64 = 3,
	TREC_META_STR = 4,   /* UTF-8 text, no NUL inside */
	TREC_META_BYTES = 5, /* opaque */
};

struct trec_meta_kv {
	const char *key; /* e.g. "host.name", "kernel.release", "trec.cmdline" */
	uint32_t type;   /* enum trec_meta_type */
	union {
		uint64_t u64;
		int64_t i64;
		double f64;
		struct {
			const char *ptr; /* STR: NUL-terminated after decode */
			uint32_t len;
		} str; /* STR and BYTES */
	} v;
};

int trec_meta_encode(struct tbuf *out, const struct trec_meta_kv *kv, size_t n);
int trec_meta_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		     struct trec_meta_kv **out, struct trec_err *err);

/* ---- stacks: deduplicated, referred to by id ---------------------------- */

struct trec_stack {
	uint32_t id;        /* 1.. ; 0 means "no stack" in events */
	uint16_t nkernel;   /* kernel frames come first in ips[] */
	uint16_t nuser;     /* then user frames */
	const uint64_t *ips; /* nkernel + nuser addresses, leaf first */
};

int trec_stack_encode(struct tbuf *out, const struct trec_stack *s, size_t n);
int trec_stack_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		      struct trec_stack **out, struct trec_err *err);

/* ---- tasks: process/thread history -------------------------------------- */

enum trec_task_kind {
	TREC_TASK_SNAPSHOT = 1, /* existed when recording started (from /proc) */
	TREC_TASK_FORK = 2,     /* pid/tid created by ppid/ptid (process or thread) */
	TREC_TASK_COMM = 3,     /* comm changed (prctl, exec) */
	TREC_TASK_EXEC = 4,     /* exec of `filename` */
	TREC_TASK_EXIT = 5,     /* tid exited; exit_code for the thread group leader */
};

struct trec_task {
	uint64_t ts;
	uint32_t kind;  /* enum trec_task_kind */
	uint32_t pid;   /* thread group id */
	uint32_t tid;
	uint32_t ppid;  /* FORK: parent's pid; SNAPSHOT: parent pid from /proc */
	uint32_t ptid;  /* FORK: parent thread */
	int32_t exit_code;
	const char *comm;     /* up to 15 chars + NUL; "" when unknown */
	const char *filename; /* EXEC: path; SNAPSHOT: exe path if known; else "" */
};

int trec_task_encode(struct tbuf *out, const struct trec_task *t, size_t n);
int trec_task_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		     struct trec_task **out, struct trec_err *err);

/* ---- task context: cgroups and namespace pids (TASKCTX, kind 12, 1.2) ----- */

enum trec_tctx_kind {
	TREC_TCTX_CGROUP = 1, /* cgroup v2 `cgroup_id` is at `path` */
	TREC_TCTX_TASK = 2,   /* from ts on, thread pid/tid is in cgroup `cgroup_id`, and is
			       * nspid/nstid in its innermost pid namespace */
};

struct trec_task_ctx {
	uint64_t ts;
	uint32_t kind;        /* enum trec_tctx_kind */
	uint32_t pid, tid;    /* TASK */
	uint32_t nspid, nstid; /* TASK: 0 when unknown */
	uint64_t cgroup_id;   /* CGROUP: nonzero; TASK: 0 when unknown */
	const char *path;     /* CGROUP: relative to the v2 root, starting with '/'; else "" */
};

int trec_task_ctx_encode(struct tbuf *out, const struct trec_task_ctx *t, size_t n);
int trec_task_ctx_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
			 struct trec_task_ctx **out, struct trec_err *err);

/* ---- mappings ------------------------------------------------------------- */

struct trec_map {
	uint64_t ts;
	uint32_t pid;
	uint32_t prot;   /* PROT_* */
	uint32_t flags;  /* MAP_* */
	uint64_t start;
	uint64_t len;
	uint64_t pgoff;  /* file offset in bytes */
	uint8_t build_id_len; /* 0 when unknown */
	uint8_t build_id[TREC_MAX_BUILD_ID];
	const char *path; /* "" for anonymous */
};

int trec_map_encode(struct tbuf *out, const struct trec_map *m, size_t n);
int trec_map_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		    struct trec_map **out, struct trec_err *err);

/* ---- DSO symbols: one table per DSO, keyed by build-id -------------------- */

/* A function with no symbol, known from its .eh_frame FDE: name is "". */
#define TREC_SYM_FDE 0x1u

struct trec_sym {
	uint64_t addr; /* ELF virtual address (st_value; an FDE's initial location) */
	uint64_t size;
	const char *name;      /* as in the binary (mangled); "" for TREC_SYM_FDE */
	const char *demangled; /* the demangled name when it differs from name, else NULL */
	uint32_t flags;        /* TREC_SYM_* */
};

struct trec_dso_syms {
	uint8_t build_id_len;
	uint8_t build_id[TREC_MAX_BUILD_ID];
	const char *path;
	uint64_t load_bias; /* lowest PT_LOAD p_vaddr - p_offset adjustment, as the recorder computed it */
	uint32_t nsyms;
	const struct trec_sym *syms; /* sorted by addr after decode */
};

/*
 * A table is stored in two block kinds. SYMS (kind 7) holds its named
 * symbols (no TREC_SYM_FDE entry) with their raw names, as every reader
 * of format 1.x knows them. SYMEXT (kind 11, format 1.1) adds to one SYMS
 * record what older readers may skip: demangled names and the unnamed
 * FDE functions. A table with neither needs no SYMEXT record.
 *
 * One SYMS block holds `n` DSO tables; the block's record count is n. The
 * encoder writes the named symbols only; the decoder's have flags 0 and no
 * demangled name.
 */
int trec_dso_syms_encode(struct tbuf *out, const struct trec_dso_syms *d, size_t n);
int trec_dso_syms_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
			 struct trec_dso_syms **out, struct trec_err *err);

/*
 * The named symbols of d in the order the SYMS encoder writes them (by
 * address, ties in input order): *order gets a malloc'ed array of *n
 * indexes into d->syms (NULL when *n is 0). 0 or -ENOMEM.
 */
int trec_dso_syms_named_order(const struct trec_dso_syms *d, uint32_t **order, uint32_t *n);

/*
 * What pairs a SYMEXT record with its SYMS record: CRC-32C over the named
 * symbols in that order, each as addr (u64le), size (u64le), the name's
 * bytes and one 0 byte (docs/format-records.md). order as above; NULL
 * means d->syms[0..n) in place (a decoded table).
 */
uint32_t trec_dso_syms_digest(const struct trec_dso_syms *d, const uint32_t *order, uint32_t n);

/* ---- DSO symbol extensions (SYMEXT, kind 11) ------------------------------- */

struct trec_symext_name {
	uint32_t index;        /* of the symbol in its SYMS record */
	const char *demangled; /* non-empty */
};

struct trec_symext_func {
	uint64_t addr, size; /* an unnamed function [addr, addr + size), size >= 1 */
};

struct trec_dso_symext {
	/* the SYMS record extended: same build-id and path, nsyms symbols,
	 * trec_dso_syms_digest() == digest */
	uint8_t build_id_len;
	uint8_t build_id[TREC_MAX_BUILD_ID];
	const char *path;
	uint32_t nsyms;
	uint32_t digest;
	uint32_t nnames;
	const struct trec_symext_name *names; /* increasing index */
	uint32_t nfuncs;
	const struct trec_symext_func *funcs; /* increasing addr */
};

/*
 * One SYMEXT record per table of d (n of them, the block's record count):
 * demangled names of its named symbols and its TREC_SYM_FDE entries, keyed
 * to the SYMS record trec_dso_syms_encode writes for the same table.
 */
int trec_dso_symext_encode(struct tbuf *out, const struct trec_dso_syms *d, size_t n);
int trec_dso_symext_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
			   struct trec_dso_symext **out, struct trec_err *err);

/*
 * Applies extension records x[0..nx) to decoded tables d[0..n) (both in
 * file order): each record extends the first table not yet extended that
 * it pairs with (build-id, path, nsyms, digest); that table's syms become
 * a new array in a with the demangled names set and the FDE functions
 * merged in by address (a named symbol first at one address). A record
 * that pairs with no table is skipped and counted in *unmatched.
 * 0, -ENOMEM, or -E2BIG when a table would exceed 2^32 - 1 symbols.
 */
int trec_dso_syms_extend(struct trec_dso_syms *d, size_t n, const struct trec_dso_symext *x, size_t nx,
			 struct tarena *a, size_t *unmatched, struct trec_err *err);

/* ---- kernel symbols -------------------------------------------------------- */

struct trec_ksym {
	uint64_t addr;
	char type;          /* kallsyms type letter */
	const char *name;
	const char *module; /* "" for vmlinux */
};

int trec_ksym_encode(struct tbuf *out, const struct trec_ksym *k, size_t n);
int trec_ksym_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		     struct trec_ksym **out, struct trec_err *err);

/* ---- loss records ---------------------------------------------------------- */

enum trec_loss_reason {
	TREC_LOSS_RINGBUF = 1,   /* BPF ring buffer reserve failed */
	TREC_LOSS_STACK = 2,     /* stack could not be captured */
	TREC_LOSS_WRITER = 3,    /* user space could not keep up (queue full) */
	TREC_LOSS_OTHER = 4,
};

struct trec_loss {
	uint64_t ts;      /* end of the interval the count covers */
	uint32_t cpu;
	uint32_t type;    /* event type id; 0 = not attributable to a type */
	uint32_t reason;  /* enum trec_loss_reason */
	uint64_t count;
};

int trec_loss_encode(struct tbuf *out, const struct trec_loss *l, size_t n);
int trec_loss_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		     struct trec_loss **out, struct trec_err *err);

/* ---- footer index ------------------------------------------------------------ */

struct trec_index_entry {
	uint64_t offset;   /* of the block header */
	uint32_t kind;
	uint32_t stream;
	uint32_t count;
	uint32_t comp_len;
	uint32_t raw_len;
	uint64_t first_ts;
	uint64_t last_ts;
};

struct trec_type_count {
	uint32_t type;
	uint64_t count;
};

/* Totals the writer knew at close, so `trec info` need not decode events. */
struct trec_index {
	uint32_t nentries;
	struct trec_index_entry *entries;
	uint32_t ntypes;
	struct trec_type_count *types; /* events per type */
	uint64_t events;               /* total events */
	uint64_t lost;                 /* total of all loss records */
};

/* Index block record count = nentries. */
int trec_index_encode(struct tbuf *out, const struct trec_index *ix);
int trec_index_decode(const void *p, size_t len, uint32_t count, struct tarena *a,
		      struct trec_index *out, struct trec_err *err);

#endif
