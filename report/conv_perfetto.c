/* SPDX-License-Identifier: MIT */
/*
 * --to perfetto: the converter interface (convert.h) over the Perfetto
 * encoder (perfetto.h), which streams its packets during the pass.
 */
#include <errno.h>
#include <stdlib.h>

#include "convert.h"
#include "perfetto.h"

static int pf_create(void **state, const struct convert_opts *o, struct trec_err *err)
{
	struct perfetto_opts po = { .sz = sizeof(po), .conv = *o, .pairs = o->pairs, .npairs = o->npairs };
	struct perfetto *p;
	int rc = perfetto_new(&p, o->out, &po, err);
	*state = p;
	return rc;
}

static struct pass_sink pf_sink(void *state) { return perfetto_sink(state); }

static int pf_finish(void *state, struct source *src, FILE *out, struct trec_err *err)
{
	(void)src, (void)out;
	return perfetto_finish(state, err);
}

static void pf_free(void *state) { perfetto_free(state); }

const struct converter_ops convert_perfetto = {
	.name = "perfetto",
	.what = "Perfetto's protobuf trace (ui.perfetto.dev, trace_processor)",
	.ext = ".perfetto-trace",
	.binary = 1,
	.create = pf_create,
	.sink = pf_sink,
	.finish = pf_finish,
	.free = pf_free,
};
