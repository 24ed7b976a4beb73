/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: block payload decoders fed directly, past the CRC and
 * zstd layers the reader puts in front of them. Input: one byte choosing
 * the block kind, four bytes of record count (LE), then the payload.
 */
#include <stdint.h>
#include <string.h>

#include "events.h"
#include "records.h"
#include "schema.h"
#include "trec_format.h"

static struct trec_evblock evb;
static int evb_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	unsigned kind = data[0] % (TREC_BLK_KIND_MAX + 1);
	uint32_t count = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
			 (uint32_t)data[4] << 24;
	const uint8_t *p = data + 5;
	size_t n = size - 5;
	struct tarena a;
	tarena_init(&a);
	struct trec_err e;
	void *out = NULL;
	switch (kind) {
	case TREC_BLK_META: trec_meta_decode(p, n, count, &a, (struct trec_meta_kv **)&out, &e); break;
	case TREC_BLK_SCHEMA: {
		struct trec_schema *s = NULL;
		if (trec_schema_decode(p, n, count, &a, &s, &e) == 0) {
			for (uint32_t i = 0; i < count; i++) {
				struct trec_layout l;
				if (trec_layout_build(&s[i], &l) == 0)
					trec_layout_free(&l);
			}
		}
		break;
	}
	case TREC_BLK_EVENTS:
		if (!evb_ready) {
			trec_evblock_init(&evb);
			evb_ready = 1;
		}
		trec_events_decode(p, n, count, &evb, &e);
		break;
	case TREC_BLK_STACKS: trec_stack_decode(p, n, count, &a, (struct trec_stack **)&out, &e); break;
	case TREC_BLK_TASKS: trec_task_decode(p, n, count, &a, (struct trec_task **)&out, &e); break;
	case TREC_BLK_MAPS: trec_map_decode(p, n, count, &a, (struct trec_map **)&out, &e); break;
	case TREC_BLK_SYMS: trec_dso_syms_decode(p, n, count, &a, (struct trec_dso_syms **)&out, &e); break;
	case TREC_BLK_KSYMS: trec_ksym_decode(p, n, count, &a, (struct trec_ksym **)&out, &e); break;
	case TREC_BLK_LOSS: trec_loss_decode(p, n, count, &a, (struct trec_loss **)&out, &e); break;
	case TREC_BLK_INDEX: {
		struct trec_index ix;
		trec_index_decode(p, n, count, &a, &ix, &e);
		break;
	}
	default: break;
	}
	tarena_free(&a);
	return 0;
}
