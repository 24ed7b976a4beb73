/* SPDX-License-Identifier: MIT */
/*
 * --to pprof: a gzipped profile.proto (in progress).
 */
#include <errno.h>
#include <stdlib.h>

#include "convert.h"

static int pp_create(void **state, const struct convert_opts *o, struct trec_err *err)
{
	(void)o;
	*state = NULL;
	return trec_errf(err, -ENOSYS, "not written yet");
}
static struct pass_sink pp_sink(void *state) { return (struct pass_sink){ .ctx = state }; }
static int pp_finish(void *state, struct source *src, FILE *out, struct trec_err *err)
{
	(void)state, (void)src, (void)out;
	return trec_errf(err, -ENOSYS, "not written yet");
}
static void pp_free(void *state) { free(state); }

const struct converter_ops convert_pprof = {
	.name = "pprof",
	.what = "gzipped profile.proto (go tool pprof, Pyroscope, Parca, speedscope)",
	.ext = ".pb.gz",
	.binary = 1,
	.create = pp_create,
	.sink = pp_sink,
	.finish = pp_finish,
	.free = pp_free,
};
