/* SPDX-License-Identifier: MIT */
/*
 * A trace's loss records summed by reason, in all and per event type, for
 * trec info. Reasons (format/records.h): the BPF side could not reserve
 * ring space (the event is lost), the writer could not keep up (lost),
 * other (the process side-band's records, lost), and stack: the event was
 * kept without (part of) its stack. The recorder also says which side of
 * those stacks was missing, per file, in metadata (stack_loss.kernel,
 * stack_loss.user); loss_tally_sides reads them.
 */
#ifndef TREC_REPORT_LOSS_TALLY_H
#define TREC_REPORT_LOSS_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

#define LOSS_REASONS (TREC_LOSS_OTHER + 1) /* index: enum trec_loss_reason; [0] unused */

struct loss_type_row {
	uint32_t type; /* 0: not attributable to a type (the side-band) */
	uint64_t by_reason[LOSS_REASONS];
};

struct loss_tally {
	uint64_t by_reason[LOSS_REASONS];
	uint64_t events_lost;        /* every reason but stack: events that are not in the file */
	struct loss_type_row *types; /* sorted by type id */
	size_t ntypes;
	/* stack_loss.* metadata, summed; has_sides 0 when the file has none
	 * (a recorder before it, or no stacks recorded) */
	int has_sides;
	uint64_t stack_kernel, stack_user;
};

/* Sums n loss records. 0 or -ENOMEM (t is then empty; free it anyway). */
int loss_tally_build(struct loss_tally *t, const struct trec_loss *l, size_t n);
/* Adds the per-side stack loss counts of the file's metadata (kv, n). */
void loss_tally_sides(struct loss_tally *t, const struct trec_meta_kv *kv, size_t n);
/* The row of one type; NULL when it lost nothing. */
const struct loss_type_row *loss_tally_type(const struct loss_tally *t, uint32_t type);
/* Events of a type lost (all reasons but stack). */
uint64_t loss_tally_type_lost(const struct loss_tally *t, uint32_t type);
void loss_tally_free(struct loss_tally *t);

/* The JSON member name of a reason: "ring_buffer", "stack", "writer", "other". */
const char *loss_reason_key(uint32_t reason);
/* What a reason means, for text. */
const char *loss_reason_text(uint32_t reason);

#endif
