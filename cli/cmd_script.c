/* SPDX-License-Identifier: MIT */
/*
 * trec script: every event in time order, one line each, as text or JSON
 * lines. The loop is the hot path of the whole analysis side: it formats
 * straight into one output buffer and allocates nothing per event.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "comm_table.h"
#include "commands.h"
#include "event_fmt.h"
#include "filter_args.h"
#include "fmtpool.h"
#include "json.h"
#include "outbuf.h"
#include "reader.h"
#include "source.h"

static const struct cli_cmd script_cmd = {
	.name = "script",
	.synopsis = "[-i FILE] [--json] [--ignore-corrupt] [--time START,END] [--limit N]",
	.summary = "Print every event in time order, one per line:\n"
		   "  TIME [CPU] PID/TID COMM EVENT: FIELD=VALUE ...\n"
		   "TIME is the event's timestamp in seconds (6 decimals) on the recording clock.",
	.options = "  -i, --input FILE      trace to read (default trec.data; a lone FILE works too)\n"
		   "      --json            one JSON object per line (JSON lines) instead of text\n"
		   "      --ignore-corrupt  skip blocks that fail their checks instead of stopping\n"
		   "      --time START,END  only events from START to END seconds after the first\n"
		   "                        event (decimals allowed; '2.5,' and ',10' leave a side open),\n"
		   "                        or wall-clock times as trec report takes them (docs/REPORT.md)\n"
		   "      --limit N         stop after N events\n"
		   "  -h, --help            show this help\n",
};

struct script_opts {
	const char *input;
	int json;
	int ignore_corrupt;
	struct evfilter_opts time;   /* --time (the shared filter's parser) */
	uint64_t limit;              /* 0 = no limit */
};

/* Schemas by type id, so the per-event lookup is an index. */
struct schema_map {
	uint32_t n;
	const struct trec_schema **by_id;
};

static int parse_args(int argc, char **argv, struct script_opts *o)
{
	enum { OPT_JSON = 256, OPT_IGNORE, OPT_TIME, OPT_LIMIT };
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "ignore-corrupt", no_argument, NULL, OPT_IGNORE },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opt_i = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			opt_i = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_IGNORE:
			o->ignore_corrupt = 1;
			break;
		case OPT_TIME:
			if (evfilter_parse(&o->time, &script_cmd, EVF_OPT_TIME, optarg))
				return CLI_EXIT_USAGE;
			break;
		case OPT_LIMIT:
			if (cli_parse_u64(&script_cmd, "--limit", optarg, 1, UINT64_MAX, &o->limit))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			cli_help(&script_cmd);
			return -1;
		default:
			return cli_bad_option(&script_cmd);
		}
	}
	return cli_input_path(&script_cmd, opt_i, argc, argv, optind, &o->input);
}

static int schema_map_build(struct trec_reader *r, struct schema_map *m, struct trec_err *err)
{
	const struct trec_schema **s;
	size_t n;
	int rc = trec_reader_schemas(r, &s, &n, err);
	if (rc < 0)
		return rc;
	uint32_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i]->id > max)
			max = s[i]->id;
	m->n = n ? max + 1 : 0;
	m->by_id = m->n ? calloc(m->n, sizeof(*m->by_id)) : NULL;
	if (m->n && !m->by_id)
		return trec_errf(err, -ENOMEM, "out of memory for %zu event types", n);
	for (size_t i = 0; i < n; i++)
		m->by_id[s[i]->id] = s[i];
	return 0;
}

static inline const struct trec_schema *schema_of(const struct schema_map *m, uint32_t type)
{
	return type < m->n ? m->by_id[type] : NULL;
}


/* comm for text: as is, but anything unprintable (prctl allows any byte)
 * shown as '?' so it cannot break the line. */
static void put_comm_text(struct outbuf *o, const char *comm, uint32_t tid)
{
	if (comm) {
		/* comm is at most 15 bytes (TASK_COMM_LEN): one reservation for
		 * the name and its padding to 16 columns. */
		size_t len = strnlen(comm, 64);
		char *d = outbuf_room(o, len > 16 ? len : 16);
		size_t i = 0;
		for (; i < len; i++) {
			unsigned char ch = (unsigned char)comm[i];
			d[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
		}
		for (; i < 16; i++)
			d[i] = ' ';
		o->len += i;
		return;
	}
	/* perf's spelling for a thread whose name is unknown. */
	char tmp[16];
	int k = snprintf(tmp, sizeof(tmp), ":%u", tid);
	outbuf_put(o, tmp, (size_t)k);
	for (size_t n = (size_t)k; n < 16; n++)
		outbuf_putc(o, ' ');
}

static void put_event_name(struct outbuf *o, const struct trec_schema *s, uint32_t type)
{
	if (s) {
		outbuf_puts(o, s->name);
	} else {
		outbuf_put(o, "type:", 5);
		outbuf_u64(o, type);
	}
}

static void print_text(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s,
		       const char *comm, int swap)
{
	outbuf_u64_pad(o, ev->ts / 1000000000u, 5);
	outbuf_putc(o, '.');
	outbuf_u64_zpad(o, ev->ts % 1000000000u / 1000u, 6);
	outbuf_put(o, " [", 2);
	outbuf_u64_zpad(o, ev->cpu, 3);
	outbuf_put(o, "] ", 2);
	outbuf_u64_pad(o, ev->pid, 7);
	outbuf_putc(o, '/');
	outbuf_u64(o, ev->tid);
	outbuf_putc(o, ' ');
	put_comm_text(o, comm, ev->tid);
	outbuf_putc(o, ' ');
	put_event_name(o, s, ev->type);
	outbuf_putc(o, ':');
	evfmt_text(o, s, ev, swap);
	outbuf_putc(o, '\n');
}

static void print_json(struct json *j, const struct trec_event *ev, const struct trec_schema *s,
		       const char *comm, int swap)
{
	json_obj_begin(j);
	json_kv_u64(j, "time_ns", ev->ts);
	json_kv_u64(j, "cpu", ev->cpu);
	json_kv_u64(j, "pid", ev->pid);
	json_kv_u64(j, "tid", ev->tid);
	json_key(j, "comm");
	json_str(j, comm); /* null when unknown */
	json_key(j, "event");
	if (s) {
		json_str(j, s->name);
	} else {
		char name[24];
		snprintf(name, sizeof(name), "type:%u", ev->type);
		json_str(j, name);
	}
	if (!s)
		json_kv_u64(j, "size", ev->size);
	json_key(j, "fields");
	evfmt_json(j, s, ev, swap);
	if (ev->stack_id)
		json_kv_u64(j, "stack_id", ev->stack_id);
	json_obj_end(j);
	json_newline(j);
}


/* The formatters run on the pool's threads (fmtpool.h). */
struct fmt_ctx {
	int swap;
};

static void pool_text(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s, const char *comm,
		      const void *ctx)
{
	print_text(o, ev, s, comm, ((const struct fmt_ctx *)ctx)->swap);
}

static void pool_json(struct outbuf *o, const struct trec_event *ev, const struct trec_schema *s, const char *comm,
		      const void *ctx)
{
	struct json j;
	json_init(&j, o, 0);
	print_json(&j, ev, s, comm, ((const struct fmt_ctx *)ctx)->swap);
}

int cmd_script(int argc, char **argv)
{
	struct script_opts so;
	int rc = parse_args(argc, argv, &so);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;

	struct trec_reader *r;
	if (cli_open_trace(&script_cmd, so.input, so.ignore_corrupt, &r))
		return CLI_EXIT_ERROR;

	int ret = CLI_EXIT_ERROR;
	struct trec_err err = { 0 };
	struct schema_map sm = { 0 };
	struct comm_table ct = { 0 };
	struct trec_event_iter *it = NULL;
	struct fmtpool *pool = NULL;
	struct evfilter window = { 0 };
	struct outbuf out = { 0 };
	struct json j;
	const struct trec_file_info *fi = trec_reader_info(r);
	int swap = trec_reader_swap(r);

	if (fi->truncated)
		cli_err(&script_cmd, "%s is truncated at offset %llu: %s; showing complete blocks",
			so.input, (unsigned long long)fi->truncated_at,
			fi->truncation ? fi->truncation : "no footer index");

	rc = schema_map_build(r, &sm, &err);
	if (rc < 0) {
		cli_file_error(&script_cmd, so.input, CLI_AT_READ, rc, trec_errmsg(&err, rc));
		goto out;
	}
	const struct trec_task *tasks;
	size_t ntasks;
	rc = trec_reader_tasks(r, &tasks, &ntasks, &err);
	if (rc < 0) {
		cli_file_error(&script_cmd, so.input, CLI_AT_READ, rc, trec_errmsg(&err, rc));
		goto out;
	}
	if (comm_table_build(&ct, tasks, ntasks) < 0) {
		cli_err(&script_cmd, "out of memory for %zu task records of %s", ntasks, so.input);
		goto out;
	}

	struct trec_iter_opts io = { .sz = sizeof(io) };
	int read_error = 0;
	if ((rc = evfilter_bind(&window, &so.time, r, so.input, &read_error, &err)) < 0) {
		cli_source_error(&script_cmd, so.input, read_error ? SOURCE_AT_READ : SOURCE_AT_NONE, rc, &err);
		goto out;
	}
	evfilter_iter_opts(&window, &io);
	/* The iterator skips what starts too early; the loop below stops at
	 * the first event past the end (time order). */
	uint64_t end_ts = window.end_ts;
	rc = trec_event_iter_new(r, &io, &it);
	if (rc < 0) {
		cli_file_error(&script_cmd, so.input, CLI_AT_READ, rc, trec_errmsg(NULL, rc));
		goto out;
	}

	if (outbuf_init(&out, stdout, 0) < 0) {
		cli_err(&script_cmd, "out of memory for the output buffer");
		goto out;
	}
	json_init(&j, &out, 0);

	uint64_t total = 0;
	const struct trec_totals *tot;
	if (fi->has_index && !so.time.any &&
	    trec_reader_totals(r, &tot, NULL) == 0)
		total = so.limit && so.limit < tot->events ? so.limit : tot->events;
	struct cli_progress prog;
	cli_progress_init(&prog, &script_cmd, "events", total);

	/* Formatting is most of the work: spread it over the CPUs when there
	 * are several (fmtpool.h); the output is the same either way. */
	struct fmt_ctx fc = { .swap = swap };
	unsigned nthreads = fmtpool_threads();
	if (nthreads > 1 && fmtpool_new(&pool, nthreads, so.json ? pool_json : pool_text, &fc, &out) < 0) {
		fmtpool_free(pool);
		pool = NULL; /* no threads or no memory for them: format here */
	}
	uint64_t printed = 0;
	struct comm_cache cc = { 0 };
	struct trec_event ev;
	while (!out.err && (!so.limit || printed < so.limit)) {
		rc = trec_event_iter_next(it, &ev, &err);
		if (rc <= 0)
			break;
		if (ev.ts > end_ts)
			break; /* time order: nothing later can qualify */
		const struct trec_schema *s = schema_of(&sm, ev.type);
		const char *comm = comm_table_lookup_cached(&ct, &cc, ev.pid, ev.tid, ev.ts);
		if (pool) {
			int e = fmtpool_add(pool, &ev, s, comm);
			if (e == -ENOMEM) {
				cli_err(&script_cmd, "out of memory formatting events");
				goto out;
			}
			if (e)
				break; /* the output failed: out.err says why */
		} else if (so.json) {
			print_json(&j, &ev, s, comm, swap);
		} else {
			print_text(&out, &ev, s, comm, swap);
		}
		printed++;
		cli_progress_update(&prog, printed);
	}
	if (pool && fmtpool_finish(pool) == -ENOMEM && !out.err) {
		cli_progress_done(&prog);
		cli_err(&script_cmd, "out of memory formatting events");
		goto out;
	}
	cli_progress_done(&prog);
	outbuf_flush(&out);

	if (out.err) {
		/* A reader that went away (| head) is not worth a message. */
		if (out.err != EPIPE)
			cli_err(&script_cmd, "writing output: %s", strerror(out.err));
		goto out;
	}
	if (rc < 0) {
		/* What came before the bad block is printed; now say why it stops. */
		cli_file_error(&script_cmd, so.input, CLI_AT_READ, rc, trec_errmsg(&err, rc));
		goto out;
	}
	cli_reader_warnings(&script_cmd, r);
	ret = CLI_EXIT_OK;
out:
	fmtpool_free(pool);
	evfilter_free(&window);
	evfilter_opts_free(&so.time);
	outbuf_free(&out);
	if (it)
		trec_event_iter_free(it);
	comm_table_free(&ct);
	free(sm.by_id);
	trec_reader_close(r);
	return ret;
}
