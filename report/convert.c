/* SPDX-License-Identifier: MIT */
/*
 * The table of converters (convert.h) and what they share: the symbolizer
 * of each input file, set up with the user's symbol search.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "reader.h"
#include "schema.h"
#include "symbolize.h"

/* One row per format, in the order `trec convert --help` lists them. */
static const struct converter_ops *const table[] = {
	&convert_pprof,
	&convert_perf_script,
	&convert_perfetto,
};

const struct converter_ops *const *converters(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct converter_ops *converter_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i]->name, name))
			return table[i];
	return NULL;
}

void convert_warn(const struct convert_opts *o, const char *fmt, ...)
{
	if (!o->warn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->warn_ctx, msg);
}

/* What the search under --symfs/--debug-dir found, one warning per kind
 * of problem (the same sentences as trec report's). */
static void ext_notes(const struct convert_opts *o, const struct symbolizer *s, const char *path)
{
	struct symbolizer_ext_stats st;
	symbolizer_ext_stats(s, &st);
	const char *where = o->symfs && o->debug_dir ? "--symfs/--debug-dir" : o->symfs ? "--symfs" : "--debug-dir";
	if (st.mismatched)
		convert_warn(o, "%s: %u file%s under %s ignored: not the build the trace recorded (%s)", path,
			     st.mismatched, st.mismatched == 1 ? "" : "s", where,
			     st.mismatch_msg ? st.mismatch_msg : "build-id differs");
	if (st.unreadable)
		convert_warn(o, "%s: %u file%s under %s ignored: not readable as ELF (%s)", path, st.unreadable,
			     st.unreadable == 1 ? "" : "s", where, st.unreadable_msg ? st.unreadable_msg : "?");
	if (st.no_bias)
		convert_warn(o, "%s: %u debug file%s under %s not used: where the code was loaded is unknown (%s)",
			     path, st.no_bias, st.no_bias == 1 ? "" : "s", where,
			     st.no_bias_path ? st.no_bias_path : "?");
	if (st.dsos && !st.found)
		convert_warn(o, "%s: %s: no symbol file found for any of the %u mapped files", path, where, st.dsos);
}

int convert_symbolizer(struct rfile *f, const struct convert_opts *o, struct symbolizer **out,
		       struct trec_err *err)
{
	*out = NULL;
	/* Loaded up front: an unreadable stacks block is an error naming it,
	 * not every stack shown as [unknown] as if the file lacked it. */
	size_t nstacks;
	int rc = trec_reader_stacks(f->r, &nstacks, err);
	if (rc < 0)
		return rc;
	struct symbolizer_opts so = { .sz = sizeof(so), .symfs = o->symfs, .debug_dir = o->debug_dir,
				      .no_demangle = o->no_demangle };
	rc = symbolizer_new(f->r, &so, out, err);
	if (rc < 0)
		return rc;
	if (o->symfs || o->debug_dir)
		ext_notes(o, *out, f->path);
	return 0;
}

enum convert_kind convert_type_kind(const struct trec_schema *s, const struct trec_field **value)
{
	*value = NULL;
	const char *want = NULL;
	enum convert_kind k = CONVERT_OTHER;
	if (!strcmp(s->name, "cpu-clock") || !strcmp(s->name, "cycles")) {
		want = "period";
		k = CONVERT_CPU;
	} else if (!strcmp(s->name, "offcpu")) {
		want = "delta_ns";
		k = CONVERT_OFFCPU;
	}
	if (!want)
		return CONVERT_OTHER;
	const struct trec_field *f = trec_schema_field(s, want);
	if (!f || (f->kind != TREC_F_INT && f->kind != TREC_F_UINT && f->kind != TREC_F_HEX))
		return CONVERT_OTHER;
	*value = f;
	return k;
}
