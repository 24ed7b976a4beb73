/* SPDX-License-Identifier: MIT */
/*
 * Callstacks for Perfetto's PerfSample (perfetto.h): each event's stack,
 * symbolized, as interned entries of the packet sequence's InternedData
 * (protos/perfetto/trace/interned_data/interned_data.proto and
 * profiling/profile_common.proto):
 *   function_names (5)  InternedString: the frame's text, as trec report
 *                       names it (sym_format)
 *   mapping_paths (17)  InternedString: the file's base name
 *   mappings (19)       Mapping{iid, path_string_ids}: one per file name
 *   frames (6)          Frame{iid, function_name_id, mapping_id, rel_pc}:
 *                       one per (function, mapping), as folded stacks merge
 *                       frames per function; rel_pc: the file offset of a
 *                       frame no symbol names, else 0
 *   callstacks (7)      Callstack{iid, frame_ids}: root first ("bottom
 *                       frame first"; trace processor makes the first the
 *                       root of its callsite tree)
 * Every entry is written once per conversion (the sequence is never
 * cleared after its first packet); iids start at 1. A stack is symbolized
 * once per (input, pid, address-space generation, stack id).
 */
#ifndef TREC_REPORT_PF_STACKS_H
#define TREC_REPORT_PF_STACKS_H

#include <stdint.h>

#include "buf.h"
#include "events.h"
#include "ktab.h"

struct symbolizer;
struct trec_reader;

struct pf_stacks {
	struct ktab strs, maps, frames, stacks, by_ev;
	struct tbuf tmp;   /* a name made printable */
	uint64_t *fid;     /* frame ids of one stack */
	uint64_t ncallstacks;
	int no_kernel, no_user;
};

/* 0 or -ENOMEM. */
int pf_stacks_init(struct pf_stacks *s, int no_kernel, int no_user);
void pf_stacks_free(struct pf_stacks *s);
/*
 * The callstack iid of ev (0: it has no stack, or no symbolizer), its
 * entries not yet written appended to `intern` as fields of InternedData;
 * *kernel: the sample's leaf is a kernel frame. `host` tells inputs apart.
 * 0 or -ENOMEM.
 */
int pf_stacks_get(struct pf_stacks *s, struct tbuf *intern, struct symbolizer *sym, struct trec_reader *r,
		  uint32_t host, const struct trec_event *ev, uint64_t *iid, int *kernel);

#endif
