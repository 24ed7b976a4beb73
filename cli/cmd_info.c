/* SPDX-License-Identifier: MIT */
/*
 * trec info: what a trace file holds, without printing its events.
 * Reads headers, the footer index and the small kinds; decodes event
 * blocks only when the file has no index (a cut file) to count them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "json.h"
#include "loss_tally.h"
#include "outbuf.h"
#include "reader.h"
#include "trace_opts.h"

static const struct cli_cmd info_cmd = {
	.name = "info",
	.synopsis = "[-i FILE] [--json] [--ignore-corrupt]",
	.summary = "Describe a trace file: header, metadata, event types and counts, blocks and\n"
		   "compression, time span, losses, and whether the file is whole or was cut short.",
	.options = "  -i, --input FILE      trace to read (default trec.data; a lone FILE works too)\n"
		   "      --json            print one JSON object (docs/CLI.md lists its members)\n"
		   "      --ignore-corrupt  skip blocks that fail their checks instead of stopping\n"
		   "  -h, --help            show this help\n",
};

struct kind_stat {
	uint64_t blocks, records, comp, raw;
};

/* Everything the report shows, gathered before anything is printed so a
 * failure halfway prints nothing half-formed. */
struct info {
	const char *path;
	struct trec_reader *r;
	const struct trec_file_info *fi;
	const struct trec_meta_kv *meta;
	size_t nmeta;
	const struct trec_schema **schemas;
	size_t nschemas;
	const struct trec_totals *tot;
	const struct trec_loss *losses;
	size_t nlosses;
	struct loss_tally lt; /* the losses by reason, in all and per type */
	struct kind_stat kinds[TREC_BLK_KIND_MAX + 1]; /* [0]: unknown kinds */
	struct kind_stat all;
};

static int parse_args(int argc, char **argv, const char **input, int *json, int *ignore)
{
	static const struct option longopts[] = { CLI_TRACE_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct cli_trace_opts t = { 0 };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		enum cli_opt_result r = cli_trace_opt(&t, &info_cmd, c, optarg);
		if (r == CLI_OPT_NOT_MINE)
			return cli_bad_option(&info_cmd);
		if (r != CLI_OPT_TAKEN)
			return r == CLI_OPT_HELP_SHOWN ? -1 : CLI_EXIT_USAGE;
	}
	*json = t.json;
	*ignore = t.ignore_corrupt;
	return cli_trace_input(&t, &info_cmd, argc, argv, optind, input);
}

static int gather(struct info *in)
{
	struct trec_err err = { 0 };
	int rc;

	in->fi = trec_reader_info(in->r);
	for (uint32_t i = 0; i < in->fi->nblocks; i++) {
		const struct trec_block_info *b = trec_reader_block(in->r, i);
		if (!b)
			continue;
		unsigned k = b->h.kind <= TREC_BLK_KIND_MAX ? b->h.kind : 0;
		struct kind_stat *ks = &in->kinds[k];
		ks->blocks++;
		ks->records += b->h.count;
		ks->comp += b->h.comp_len;
		ks->raw += b->h.raw_len;
		in->all.blocks++;
		in->all.records += b->h.count;
		in->all.comp += b->h.comp_len;
		in->all.raw += b->h.raw_len;
	}
	if ((rc = trec_reader_meta(in->r, &in->meta, &in->nmeta, &err)) < 0 ||
	    (rc = trec_reader_schemas(in->r, &in->schemas, &in->nschemas, &err)) < 0 ||
	    (rc = trec_reader_totals(in->r, &in->tot, &err)) < 0 ||
	    (rc = trec_reader_losses(in->r, &in->losses, &in->nlosses, &err)) < 0) {
		cli_file_error(&info_cmd, in->path, CLI_AT_READ, rc, trec_errmsg(&err, rc));
		return -1;
	}
	if (loss_tally_build(&in->lt, in->losses, in->nlosses) < 0) {
		cli_err(&info_cmd, "out of memory");
		return -1;
	}
	loss_tally_sides(&in->lt, in->meta, in->nmeta);
	/* Reading may have found more bad blocks (ignore_corrupt). */
	in->fi = trec_reader_info(in->r);
	return 0;
}

static uint64_t type_count(const struct trec_totals *t, uint32_t type)
{
	for (uint32_t i = 0; i < t->ntypes; i++)
		if (t->types[i].type == type)
			return t->types[i].count;
	return 0;
}

/* Events of one type lost (all reasons but missing stacks, which lose no
 * event), as the totals count them; type 0 is what no type owns, such as
 * the process side-band's records. */
static uint64_t type_lost(const struct info *in, uint32_t type)
{
	return loss_tally_type_lost(&in->lt, type);
}

/* Events of one type kept without (part of) their stack. */
static uint64_t type_stack_lost(const struct info *in, uint32_t type)
{
	const struct loss_type_row *r = loss_tally_type(&in->lt, type);
	return r ? r->by_reason[TREC_LOSS_STACK] : 0;
}

/* The order reasons are shown in: what loses events, then what loses stacks. */
static const uint32_t reason_order[] = { TREC_LOSS_RINGBUF, TREC_LOSS_WRITER, TREC_LOSS_OTHER, TREC_LOSS_STACK };

/* Under the "lost" line: each reason's count, and the stack loss with the
 * side that was missing (the recorder's stack_loss.* metadata). */
static void print_losses_text(struct outbuf *o, const struct info *in)
{
	const struct loss_tally *lt = &in->lt;
	for (size_t i = 0; i < 3; i++) {
		uint32_t r = reason_order[i];
		if (lt->by_reason[r])
			outbuf_printf(o, "              %12" PRIu64 "  %s\n", lt->by_reason[r], loss_reason_text(r));
	}
	uint64_t st = lt->by_reason[TREC_LOSS_STACK];
	if (!st)
		return;
	outbuf_printf(o, "stack loss    %" PRIu64 " events kept without (part of) their stack\n", st);
	if (lt->has_sides) {
		outbuf_printf(o, "              %12" PRIu64 "  kernel side not captured\n", lt->stack_kernel);
		outbuf_printf(o, "              %12" PRIu64 "  user side not captured\n", lt->stack_user);
	}
}

static const struct trec_schema *schema_by_id(const struct info *in, uint32_t id)
{
	for (size_t i = 0; i < in->nschemas; i++)
		if (in->schemas[i]->id == id)
			return in->schemas[i];
	return NULL;
}

static const char *byte_order_name(uint8_t bo)
{
	return bo == TREC_ORDER_LITTLE ? "little-endian" : bo == TREC_ORDER_BIG ? "big-endian" : "unknown";
}

static void format_utc(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	if (!ns || !gmtime_r(&s, &tm)) {
		snprintf(buf, len, "unknown");
		return;
	}
	char tmp[32];
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03u UTC", tmp, (unsigned)(ns % 1000000000u / 1000000u));
}

/* Seconds with nanosecond digits, as "1234.567890123". */
static void put_secs(struct outbuf *o, uint64_t ns)
{
	outbuf_u64(o, ns / 1000000000u);
	outbuf_putc(o, '.');
	outbuf_u64_zpad(o, ns % 1000000000u, 9);
}

/* Metadata strings are UTF-8 by contract but come from the recording
 * host: keep control bytes from reaching the terminal. */
static void put_text_safe(struct outbuf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		outbuf_putc(o, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

static void put_hex(struct outbuf *o, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		outbuf_putc(o, hex[p[i] >> 4]);
		outbuf_putc(o, hex[p[i] & 15]);
	}
}

static void put_meta_value_text(struct outbuf *o, const struct trec_meta_kv *kv)
{
	switch (kv->type) {
	case TREC_META_U64:
		outbuf_u64(o, kv->v.u64);
		break;
	case TREC_META_I64:
		outbuf_i64(o, kv->v.i64);
		break;
	case TREC_META_F64:
		outbuf_printf(o, "%.17g", kv->v.f64);
		break;
	case TREC_META_STR:
		/* Multi-line or long values (tracefs format texts) would swamp
		 * the table: say what they are; --json prints them whole. */
		if (kv->v.str.len > 400 || memchr(kv->v.str.ptr, '\n', kv->v.str.len)) {
			outbuf_printf(o, "(%u bytes of text; trec info --json shows it)", kv->v.str.len);
			break;
		}
		put_text_safe(o, kv->v.str.ptr, kv->v.str.len);
		break;
	case TREC_META_BYTES:
		if (kv->v.str.len > 32) {
			outbuf_printf(o, "(%u bytes; trec info --json shows them)", kv->v.str.len);
			break;
		}
		outbuf_puts(o, "0x");
		put_hex(o, (const uint8_t *)kv->v.str.ptr, kv->v.str.len);
		break;
	default:
		outbuf_printf(o, "(value of unknown type %u)", kv->type);
	}
}

/* Types to list: every described type, then counted types with no schema. */
static void print_types_text(struct outbuf *o, const struct info *in)
{
	outbuf_puts(o, "\nevent types\n");
	if (!in->nschemas && !in->tot->ntypes) {
		outbuf_puts(o, "  (none)\n");
		return;
	}
	/* The lost column only when something was lost: the common case
	 * stays narrow. */
	int lost_col = in->tot->lost > 0, stack_col = in->lt.by_reason[TREC_LOSS_STACK] > 0;
	outbuf_printf(o, "  %5s  %12s", "id", "events");
	if (lost_col)
		outbuf_printf(o, "  %12s", "lost");
	if (stack_col)
		outbuf_printf(o, "  %12s", "stack lost");
	outbuf_printf(o, "  %-32s %s\n", "name", "probe");
	for (size_t i = 0; i < in->nschemas; i++) {
		const struct trec_schema *s = in->schemas[i];
		outbuf_printf(o, "  %5u  %12" PRIu64, s->id, type_count(in->tot, s->id));
		if (lost_col)
			outbuf_printf(o, "  %12" PRIu64, type_lost(in, s->id));
		if (stack_col)
			outbuf_printf(o, "  %12" PRIu64, type_stack_lost(in, s->id));
		outbuf_printf(o, "  %-32s %s\n", s->name, s->probe && s->probe[0] ? s->probe : "-");
	}
	for (uint32_t i = 0; i < in->tot->ntypes; i++) {
		const struct trec_type_count *tc = &in->tot->types[i];
		if (schema_by_id(in, tc->type))
			continue;
		outbuf_printf(o, "  %5u  %12" PRIu64, tc->type, tc->count);
		if (lost_col)
			outbuf_printf(o, "  %12" PRIu64, type_lost(in, tc->type));
		if (stack_col)
			outbuf_printf(o, "  %12" PRIu64, type_stack_lost(in, tc->type));
		outbuf_printf(o, "  %-32s %s\n", "(no schema in file)", "-");
	}
	uint64_t untyped = type_lost(in, 0);
	if (untyped)
		outbuf_printf(o, "  %5s  %12s  %12" PRIu64 "%s  %-32s %s\n", "-", "-", untyped,
			      stack_col ? "             -" : "", "(side-band and other records)", "-");
}

static void print_kind_row(struct outbuf *o, const char *name, const struct kind_stat *k)
{
	char c[32], r[32];
	outbuf_printf(o, "  %-8s %7" PRIu64 " %10" PRIu64 " %12s %12s", name, k->blocks, k->records,
		      cli_human_bytes(k->comp, c, sizeof(c)), cli_human_bytes(k->raw, r, sizeof(r)));
	if (k->comp)
		outbuf_printf(o, " %6.1fx\n", (double)k->raw / (double)k->comp);
	else
		outbuf_puts(o, "      -\n");
}

/* A u64 metadata value (the last one written wins), or 0. */
static uint64_t meta_u64(const struct info *in, const char *key)
{
	for (size_t i = in->nmeta; i-- > 0;)
		if (!strcmp(in->meta[i].key, key))
			return in->meta[i].type == TREC_META_U64 ? in->meta[i].v.u64 : 0;
	return 0;
}

/* How the recorder walked user stacks ("unwind.*" metadata): the share
 * that reached the outermost frame by .eh_frame rules, and every reason a
 * frame was walked by its frame pointer instead, so a short stack is never
 * a silent one. */
static void print_unwind_text(struct outbuf *o, const struct info *in)
{
	uint64_t stacks = meta_u64(in, "unwind.stacks");
	if (!stacks)
		return;
	uint64_t complete = meta_u64(in, "unwind.stacks_complete"), frames = meta_u64(in, "unwind.frames");
	outbuf_printf(o, "user stacks   %" PRIu64 " walked by .eh_frame rules, %" PRIu64 " (%.1f%%) to the "
			 "outermost frame; %.1f frames each\n",
		      stacks, complete, 100.0 * (double)complete / (double)stacks, (double)frames / (double)stacks);
	static const struct {
		const char *key, *what;
	} fb[] = {
		{ "unwind.fallback.process_not_loaded", "process mappings not loaded yet" },
		{ "unwind.fallback.no_file_mapping", "address in no file mapping (JIT code?)" },
		{ "unwind.fallback.table_not_loaded_yet", "binary's table not loaded yet" },
		{ "unwind.fallback.table_over_budget", "binary's table past --unwind-mem" },
		{ "unwind.fallback.no_unwind_info", "binary without unwind information" },
		{ "unwind.fallback.no_rule", "no rule covers the address" },
		{ "unwind.fallback.unsupported_rule", "rule the unwinder cannot evaluate" },
		{ "unwind.end.depth_limit", "stacks cut at 127 frames" },
		{ "unwind.end.unreadable_stack", "stacks ended at unreadable memory" },
		{ "unwind.end.frame_chain_broken", "stacks ended where no rule or frame pointer led on" },
	};
	int any = 0;
	for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++) {
		uint64_t v = meta_u64(in, fb[i].key);
		if (!v)
			continue;
		if (!any && i < 7)
			outbuf_puts(o, "              frames walked by frame pointer instead:\n");
		outbuf_printf(o, "              %12" PRIu64 "  %s\n", v, fb[i].what);
		any = 1;
	}
	uint64_t over = meta_u64(in, "unwind.tables_over_budget");
	if (over)
		outbuf_printf(o, "              %" PRIu64 " binaries did not fit --unwind-mem\n", over);
}

/* What the recorder held in memory ("record.memory.*" metadata, the
 * rule of docs/RECORD.md): the total against its bound and how the event
 * rings were shared out. */
static void print_memory_text(struct outbuf *o, const struct info *in)
{
	uint64_t rings = meta_u64(in, "record.memory.rings"), ncpus = meta_u64(in, "record.memory.cpus");
	if (!rings)
		return;
	char tot[32], bud[32], ring[32], sb[32], wr[32], uw[32] = "none", fl[32] = "none";
	uint64_t uwb = meta_u64(in, "record.memory.unwind_bytes"), flb = meta_u64(in, "record.memory.flight_bytes");
	outbuf_printf(o, "recorder memory %s of %s: %" PRIu64 " ring%s x %s for %" PRIu64 " CPUs (%" PRIu64
			 " per ring)\n",
		      cli_human_bytes(meta_u64(in, "record.memory.total"), tot, sizeof(tot)),
		      cli_human_bytes(meta_u64(in, "record.memory.budget"), bud, sizeof(bud)), rings,
		      rings == 1 ? "" : "s", cli_human_bytes(meta_u64(in, "record.memory.ring_bytes"), ring, sizeof(ring)),
		      ncpus, meta_u64(in, "record.memory.cpus_per_ring"));
	outbuf_printf(o, "              side-band %s, writer %s, unwinder %s, flight recorder %s\n",
		      cli_human_bytes(meta_u64(in, "record.memory.sideband_bytes"), sb, sizeof(sb)),
		      cli_human_bytes(meta_u64(in, "record.memory.writer_bytes"), wr, sizeof(wr)),
		      uwb ? cli_human_bytes(uwb, uw, sizeof(uw)) : uw, flb ? cli_human_bytes(flb, fl, sizeof(fl)) : fl);
}

static void print_text(struct outbuf *o, const struct info *in)
{
	const struct trec_file_info *fi = in->fi;
	const struct trec_file_header *h = &fi->header;
	const struct trec_totals *t = in->tot;
	char b1[64];

	outbuf_printf(o, "file          %s\n", in->path);
	outbuf_printf(o, "size          %s (%" PRIu64 " bytes)\n",
		      cli_human_bytes(fi->file_bytes, b1, sizeof(b1)), fi->file_bytes);
	outbuf_printf(o, "format        %u.%u, event payloads %s\n", h->major, h->minor,
		      byte_order_name(h->byte_order));
	format_utc(h->created_ns, b1, sizeof(b1));
	outbuf_printf(o, "created       %s\n", b1);
	outbuf_puts(o, "file id       ");
	put_hex(o, h->file_id, sizeof(h->file_id));
	outbuf_putc(o, '\n');
	if (fi->truncated)
		outbuf_printf(o, "state         TRUNCATED at offset %" PRIu64 ": %s\n"
				 "              complete blocks before it are shown; "
				 "`trec recover %s` adds an index\n",
			      fi->truncated_at, fi->truncation ? fi->truncation : "no footer", in->path);
	else
		outbuf_printf(o, "state         complete (%s)\n",
			      fi->has_index ? "footer index present" : "no index, read block by block");
	outbuf_printf(o, "events        %" PRIu64, t->events);
	if (t->events)
		outbuf_printf(o, " (%.1f bytes/event)", (double)fi->file_bytes / (double)t->events);
	outbuf_printf(o, "\nlost          %" PRIu64 "\n", t->lost);
	print_losses_text(o, in);
	if (t->events) {
		outbuf_puts(o, "first event   ");
		put_secs(o, t->first_ts);
		outbuf_puts(o, " s\nlast event    ");
		put_secs(o, t->last_ts);
		outbuf_puts(o, " s\nduration      ");
		put_secs(o, t->last_ts - t->first_ts);
		outbuf_puts(o, " s\n");
	}
	print_unwind_text(o, in);
	print_memory_text(o, in);

	outbuf_puts(o, "\nmetadata\n");
	if (!in->nmeta)
		outbuf_puts(o, "  (none)\n");
	for (size_t i = 0; i < in->nmeta; i++) {
		outbuf_printf(o, "  %-24s ", in->meta[i].key);
		put_meta_value_text(o, &in->meta[i]);
		outbuf_putc(o, '\n');
	}

	print_types_text(o, in);

	outbuf_puts(o, "\nblocks\n");
	outbuf_printf(o, "  %-8s %7s %10s %12s %12s %7s\n", "kind", "blocks", "records", "compressed",
		      "raw", "ratio");
	for (unsigned k = 1; k <= TREC_BLK_KIND_MAX; k++)
		if (in->kinds[k].blocks)
			print_kind_row(o, trec_block_kind_name(k), &in->kinds[k]);
	if (in->kinds[0].blocks)
		print_kind_row(o, "unknown", &in->kinds[0]);
	print_kind_row(o, "total", &in->all);

	const char *w = trec_reader_warnings(in->r);
	if (fi->corrupt_blocks)
		outbuf_printf(o, "\ncorrupt blocks skipped: %u\n", fi->corrupt_blocks);
	if (w && *w) {
		outbuf_puts(o, "\nwarnings\n");
		while (*w) {
			const char *nl = strchr(w, '\n');
			size_t len = nl ? (size_t)(nl - w) : strlen(w);
			if (len) {
				outbuf_puts(o, "  ");
				put_text_safe(o, w, len);
				outbuf_putc(o, '\n');
			}
			w += len + (nl ? 1 : 0);
		}
	}
}

static void json_meta_value(struct json *j, const struct trec_meta_kv *kv)
{
	switch (kv->type) {
	case TREC_META_U64:
		json_u64(j, kv->v.u64);
		break;
	case TREC_META_I64:
		json_i64(j, kv->v.i64);
		break;
	case TREC_META_F64:
		json_double(j, kv->v.f64);
		break;
	case TREC_META_STR:
		json_strn(j, kv->v.str.ptr, kv->v.str.len);
		break;
	case TREC_META_BYTES:
		json_hexbytes(j, kv->v.str.ptr, kv->v.str.len);
		break;
	default:
		json_null(j);
	}
}

static void print_json(struct outbuf *o, const struct info *in)
{
	const struct trec_file_info *fi = in->fi;
	const struct trec_totals *t = in->tot;
	struct json j;
	char ver[16];

	json_init(&j, o, 1);
	json_obj_begin(&j);
	json_kv_str(&j, "file", in->path);
	snprintf(ver, sizeof(ver), "%u.%u", fi->header.major, fi->header.minor);
	json_kv_str(&j, "version", ver);
	json_kv_str(&j, "byte_order", fi->header.byte_order == TREC_ORDER_LITTLE ? "little"
				      : fi->header.byte_order == TREC_ORDER_BIG  ? "big"
										 : "unknown");
	json_kv_u64(&j, "created_ns", fi->header.created_ns);
	json_key(&j, "file_id");
	json_hexbytes(&j, fi->header.file_id, sizeof(fi->header.file_id));
	json_kv_u64(&j, "file_bytes", fi->file_bytes);
	json_key(&j, "has_index");
	json_bool(&j, fi->has_index);
	json_key(&j, "truncated");
	json_bool(&j, fi->truncated);
	json_key(&j, "truncated_at");
	if (fi->truncated)
		json_u64(&j, fi->truncated_at);
	else
		json_null(&j);
	json_key(&j, "truncation");
	json_str(&j, fi->truncated ? fi->truncation : NULL);
	json_kv_u64(&j, "events", t->events);
	json_kv_u64(&j, "lost", t->lost);
	json_key(&j, "bytes_per_event");
	if (t->events)
		json_double(&j, (double)fi->file_bytes / (double)t->events);
	else
		json_null(&j);
	const char *span[] = { "first_ns", "last_ns", "duration_ns" };
	uint64_t vals[] = { t->first_ts, t->last_ts, t->last_ts - t->first_ts };
	for (int i = 0; i < 3; i++) {
		json_key(&j, span[i]);
		if (t->events)
			json_u64(&j, vals[i]);
		else
			json_null(&j);
	}

	json_key(&j, "metadata");
	json_obj_begin(&j);
	for (size_t i = 0; i < in->nmeta; i++) {
		json_key(&j, in->meta[i].key);
		json_meta_value(&j, &in->meta[i]);
	}
	json_obj_end(&j);

	json_key(&j, "event_types");
	json_arr_begin(&j);
	for (size_t i = 0; i < in->nschemas; i++) {
		const struct trec_schema *s = in->schemas[i];
		json_obj_begin(&j);
		json_kv_u64(&j, "id", s->id);
		json_kv_str(&j, "name", s->name);
		json_kv_str(&j, "probe", s->probe);
		json_kv_u64(&j, "fields", s->nfields);
		json_kv_u64(&j, "count", type_count(t, s->id));
		json_kv_u64(&j, "lost", type_lost(in, s->id));
		json_kv_u64(&j, "stack_lost", type_stack_lost(in, s->id));
		json_obj_end(&j);
	}
	for (uint32_t i = 0; i < t->ntypes; i++) {
		if (schema_by_id(in, t->types[i].type))
			continue;
		json_obj_begin(&j);
		json_kv_u64(&j, "id", t->types[i].type);
		json_key(&j, "name");
		json_null(&j);
		json_key(&j, "probe");
		json_null(&j);
		json_kv_u64(&j, "fields", 0);
		json_kv_u64(&j, "count", t->types[i].count);
		json_kv_u64(&j, "lost", type_lost(in, t->types[i].type));
		json_kv_u64(&j, "stack_lost", type_stack_lost(in, t->types[i].type));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	/* Losses no event type owns (the process side-band's). */
	json_kv_u64(&j, "lost_untyped", type_lost(in, 0));
	/* Every loss record's count by reason; the stack loss split by side
	 * where the recorder said (null: it did not). */
	json_key(&j, "losses");
	json_obj_begin(&j);
	for (size_t i = 0; i < sizeof(reason_order) / sizeof(reason_order[0]); i++)
		json_kv_u64(&j, loss_reason_key(reason_order[i]), in->lt.by_reason[reason_order[i]]);
	json_key(&j, "stack_kernel");
	if (in->lt.has_sides)
		json_u64(&j, in->lt.stack_kernel);
	else
		json_null(&j);
	json_key(&j, "stack_user");
	if (in->lt.has_sides)
		json_u64(&j, in->lt.stack_user);
	else
		json_null(&j);
	json_obj_end(&j);

	json_key(&j, "blocks");
	json_arr_begin(&j);
	for (unsigned k = 0; k <= TREC_BLK_KIND_MAX; k++) {
		const struct kind_stat *ks = &in->kinds[k];
		if (!ks->blocks)
			continue;
		json_obj_begin(&j);
		json_kv_str(&j, "kind", k ? trec_block_kind_name(k) : "unknown");
		json_kv_u64(&j, "count", ks->blocks);
		json_kv_u64(&j, "records", ks->records);
		json_kv_u64(&j, "comp_bytes", ks->comp);
		json_kv_u64(&j, "raw_bytes", ks->raw);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_kv_u64(&j, "corrupt_blocks", fi->corrupt_blocks);
	json_key(&j, "warnings");
	json_arr_begin(&j);
	const char *w = trec_reader_warnings(in->r);
	while (w && *w) {
		const char *nl = strchr(w, '\n');
		size_t len = nl ? (size_t)(nl - w) : strlen(w);
		if (len)
			json_strn(&j, w, len);
		w += len + (nl ? 1 : 0);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_newline(&j);
}

int cmd_info(int argc, char **argv)
{
	const char *input = NULL;
	int json = 0, ignore = 0;
	int rc = parse_args(argc, argv, &input, &json, &ignore);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;

	struct info in = { .path = input };
	if (cli_open_trace(&info_cmd, input, ignore, &in.r))
		return CLI_EXIT_ERROR;
	int ret = CLI_EXIT_ERROR;
	if (gather(&in) == 0) {
		struct outbuf o;
		if (outbuf_init(&o, stdout, 64 << 10) < 0) {
			cli_err(&info_cmd, "out of memory");
		} else {
			if (json)
				print_json(&o, &in);
			else
				print_text(&o, &in);
			outbuf_flush(&o);
			if (o.err)
				cli_err(&info_cmd, "writing output: %s", strerror(o.err));
			else
				ret = CLI_EXIT_OK;
			outbuf_free(&o);
		}
	}
	loss_tally_free(&in.lt);
	trec_reader_close(in.r);
	return ret;
}
