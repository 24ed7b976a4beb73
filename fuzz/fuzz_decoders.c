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

/*
 * Applies decoded SYMEXT records to tables made to pair with them (the
 * fuzzer cannot forge a CRC-32C digest, so each record's digest is set to
 * its table's), so that the merge runs on hostile names and functions.
 * Only records of at most 4096 symbols get a table.
 */
static void extend_own_tables(struct trec_dso_symext *x, uint32_t n, struct tarena *a)
{
	struct trec_dso_syms *d = tarena_alloc(a, (n ? n : 1) * sizeof(*d));
	if (!d)
		return;
	for (uint32_t i = 0; i < n; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		if (x[i].nsyms > 4096)
			continue;
		struct trec_sym *s = tarena_alloc(a, (x[i].nsyms ? x[i].nsyms : 1) * sizeof(*s));
		if (!s)
			return;
		for (uint32_t k = 0; k < x[i].nsyms; k++)
			s[k] = (struct trec_sym){ .addr = (uint64_t)k * 16, .size = 16, .name = "f" };
		d[i] = (struct trec_dso_syms){ .build_id_len = x[i].build_id_len, .path = x[i].path,
					       .nsyms = x[i].nsyms, .syms = s };
		memcpy(d[i].build_id, x[i].build_id, x[i].build_id_len);
		x[i].digest = trec_dso_syms_digest(&d[i], NULL, d[i].nsyms);
	}
	size_t unmatched;
	struct trec_err e;
	trec_dso_syms_extend(d, n, x, n, a, &unmatched, &e);
}

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
	case TREC_BLK_TASKCTX: trec_task_ctx_decode(p, n, count, &a, (struct trec_task_ctx **)&out, &e); break;
	case TREC_BLK_MAPS: trec_map_decode(p, n, count, &a, (struct trec_map **)&out, &e); break;
	case TREC_BLK_SYMS: trec_dso_syms_decode(p, n, count, &a, (struct trec_dso_syms **)&out, &e); break;
	case TREC_BLK_KSYMS: trec_ksym_decode(p, n, count, &a, (struct trec_ksym **)&out, &e); break;
	case TREC_BLK_LOSS: trec_loss_decode(p, n, count, &a, (struct trec_loss **)&out, &e); break;
	case TREC_BLK_SYMEXT: {
		struct trec_dso_symext *x = NULL;
		if (trec_dso_symext_decode(p, n, count, &a, &x, &e) == 0)
			extend_own_tables(x, count, &a);
		break;
	}
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
