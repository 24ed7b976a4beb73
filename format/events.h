/* SPDX-License-Identifier: MIT */
/*
 * The columnar event codec: the payload of a TREC_BLK_EVENTS block.
 *
 * Events of one stream (one CPU) gather in a trec_evbuf as rows. Sealing
 * the block sorts them by timestamp (a no-op when they arrived in order)
 * and writes each field as its own column: timestamps and integers as
 * zigzag deltas in varints, a column whose values are all equal as one
 * value, strings and padding as raw bytes. zstd then squeezes the columns.
 * docs/FORMAT.md gives the byte layout.
 */
#ifndef TREC_EVENTS_H
#define TREC_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errors.h"
#include "schema.h"

/* One event, as the writer takes it and the reader hands it out. */
struct trec_event {
	uint64_t ts;       /* ns on the recording clock (metadata "clock.*" tells which) */
	uint32_t cpu;
	uint32_t pid;      /* thread group id */
	uint32_t tid;
	uint32_t type;     /* schema id */
	uint32_t stack_id; /* 0 = no stack */
	uint32_t size;     /* payload bytes, >= the type's fixed_size */
	const void *data;  /* payload */
};

/* Hard limits (also enforced by the decoder). */
#define TREC_MAX_BLOCK_EVENTS (1u << 20)
#define TREC_MAX_DECODED_PAYLOAD (64u << 20)

/* Column layouts by type id, as the encoder needs them. */
struct trec_layout_table {
	uint32_t n;                  /* by_id has n slots */
	const struct trec_layout **by_id; /* by_id[type] or NULL */
};

struct trec_evbuf;

struct trec_evbuf *trec_evbuf_new(void);
void trec_evbuf_free(struct trec_evbuf *b);
void trec_evbuf_reset(struct trec_evbuf *b);
/* Copies the event and its payload. 0, -ENOMEM, or -E2BIG past the limits. */
int trec_evbuf_add(struct trec_evbuf *b, const struct trec_event *ev);
uint32_t trec_evbuf_count(const struct trec_evbuf *b);
/* Bytes of rows held: what the writer compares with its block size. */
size_t trec_evbuf_bytes(const struct trec_evbuf *b);
uint64_t trec_evbuf_first_ts(const struct trec_evbuf *b); /* smallest ts */
uint64_t trec_evbuf_last_ts(const struct trec_evbuf *b);  /* largest ts */

/*
 * Encodes the buffered events (sorting them by ts first) as one events
 * payload appended to `out`. Every event's type must have a layout and a
 * payload of at least its fixed_size: else -EINVAL naming the event.
 */
int trec_events_encode(struct trec_evbuf *b, const struct trec_layout_table *lt,
		       struct tbuf *out, struct trec_err *err);

/* Decoded events of one block, struct-of-arrays. Reused across blocks. */
struct trec_evblock {
	uint32_t n;
	uint64_t *ts;
	uint32_t *cpu, *pid, *tid, *type, *stack_id, *size;
	uint32_t *data_off; /* payload of event i = payload + data_off[i] */
	uint8_t *payload;
	size_t payload_len;
	/* storage, owned */
	void *mem;
	size_t mem_cap;
	/* [zero_lo, zero_hi): bytes of mem known to be zero (the payload
	 * region of a decode that decoded no payload), so the next such decode
	 * clears only what is not: a summary or a stack view reads no payload
	 * at all, and clearing every block's cost them a sixth of their time. */
	size_t zero_lo, zero_hi;
};

void trec_evblock_init(struct trec_evblock *b);
void trec_evblock_free(struct trec_evblock *b);

/*
 * Decodes an events payload holding exactly `count` events. Never reads
 * outside [p, p+len) and never allocates more than the limits above,
 * whatever the payload says: a malformed payload gives -EBADMSG and a
 * message naming the column and the event index.
 */
int trec_events_decode(const void *p, size_t len, uint32_t count, struct trec_evblock *out,
		       struct trec_err *err);
/* The same, but the payload columns of the types with skip[id] set (for
 * id < nskip) are stepped over, not decoded: those events keep their size
 * and their payload reads as zeros. For analyses that need only the event
 * headers of some types. */
int trec_events_decode_skip(const void *p, size_t len, uint32_t count, struct trec_evblock *out,
			    const uint8_t *skip, uint32_t nskip, struct trec_err *err);

static inline void trec_evblock_get(const struct trec_evblock *b, uint32_t i, struct trec_event *ev)
{
	ev->ts = b->ts[i];
	ev->cpu = b->cpu[i];
	ev->pid = b->pid[i];
	ev->tid = b->tid[i];
	ev->type = b->type[i];
	ev->stack_id = b->stack_id[i];
	ev->size = b->size[i];
	ev->data = b->payload + b->data_off[i];
}

#endif
