/* SPDX-License-Identifier: MIT */
/*
 * On-disk constants of the trec trace file. docs/FORMAT.md is the spec;
 * this header only names the numbers it uses. Every multi-byte integer in
 * a header, a trailer or a record is little-endian unless FORMAT.md says
 * otherwise (event payloads keep the byte order of the recording host,
 * named in the file header).
 */
#ifndef TREC_FORMAT_H
#define TREC_FORMAT_H

#include <stdint.h>

#define TREC_MAGIC "TRECDATA"          /* 8 bytes, no NUL */
#define TREC_MAGIC_LEN 8
#define TREC_VERSION_MAJOR 1
#define TREC_VERSION_MINOR 2 /* 1.1: SYMEXT blocks; 1.2: TASKCTX blocks */

#define TREC_FILE_HEADER_SIZE 64
#define TREC_BLOCK_HEADER_SIZE 48
#define TREC_TRAILER_SIZE 32

#define TREC_BLOCK_MAGIC 0x4b4c4254u   /* "TBLK" read as LE u32 */
#define TREC_TRAILER_MAGIC "TRECEND!"  /* 8 bytes */

/* Byte order of event payloads (file header byte 'byte_order'). */
enum trec_byte_order {
	TREC_ORDER_LITTLE = 1,
	TREC_ORDER_BIG = 2,
};

/* Block kinds. Numbers are part of the format: never renumber. */
enum trec_block_kind {
	TREC_BLK_META = 1,    /* typed key/value metadata */
	TREC_BLK_SCHEMA = 2,  /* event type descriptions */
	TREC_BLK_EVENTS = 3,  /* columnar events of one stream (CPU) */
	TREC_BLK_STACKS = 4,  /* deduplicated stack table entries */
	TREC_BLK_TASKS = 5,   /* process/thread history: comm, exec, fork, exit */
	TREC_BLK_MAPS = 6,    /* memory mappings with build-ids */
	TREC_BLK_SYMS = 7,    /* function symbols of DSOs, keyed by build-id */
	TREC_BLK_KSYMS = 8,   /* kernel symbols (kallsyms snapshot) */
	TREC_BLK_LOSS = 9,    /* loss records */
	TREC_BLK_INDEX = 10,  /* footer index: written once, at clean close */
	TREC_BLK_SYMEXT = 11, /* 1.1: demangled names and unnamed (FDE) functions of SYMS tables */
	TREC_BLK_TASKCTX = 12, /* 1.2: cgroup paths; each task's cgroup and namespace pids */
	TREC_BLK_KIND_MAX = 12,
};

/* Block header flags. */
#define TREC_BLKF_ZSTD 0x0001u /* payload is one zstd frame (else stored raw) */

/* Hard limits a reader enforces before trusting any length in a file. */
#define TREC_MAX_BLOCK_RAW (64u << 20)   /* decompressed payload */
#define TREC_MAX_BLOCK_COMP (64u << 20)  /* compressed payload */
#define TREC_MAX_NAME 4096               /* any string in a record */
#define TREC_MAX_FIELDS 1024             /* fields of one event type */
#define TREC_MAX_EVENT_SIZE (1u << 20)   /* payload of one event */
#define TREC_MAX_STACK_DEPTH 1024        /* frames in one stack */
#define TREC_MAX_BUILD_ID 64

const char *trec_block_kind_name(unsigned kind);

#endif
