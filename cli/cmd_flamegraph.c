/* SPDX-License-Identifier: MIT */
/*
 * trec flamegraph: FlameGraph's three scripts in one command.
 *
 *   trec flamegraph [FOLDED|TRACE...] > out.svg     flamegraph.pl
 *   trec flamegraph --diff BEFORE AFTER > diff.svg  difffolded.pl | flamegraph.pl
 *   trec flamegraph --collapse-perf FILE > folded   stackcollapse-perf.pl
 *   trec flamegraph --from-perf FILE > out.svg      both, in one pass
 *
 * Options and files may come in any order (getopt_long permutes), so
 * FlameGraph's `--collapse-perf --pid perf.txt` reads as it is typed.
 *
 * The work is in the library (flamegraph.h, collapse_perf.h); this file
 * reads options, opens inputs and outputs, and turns results into
 * messages and exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "collapse_perf.h"
#include "commands.h"
#include "flame_input.h"
#include "flamegraph.h"
#include "outbuf.h"
#include "perf_inline.h"

static const struct cli_cmd fg_cmd = {
	.name = "flamegraph",
	.synopsis = "[options] [FOLDED|TRACE...] > out.svg\n"
		    "       trec flamegraph --diff [options] BEFORE AFTER > diff.svg\n"
		    "       trec flamegraph --collapse-perf [--pid|--tid] [--kernel] [--jit] [--all]\n"
		    "                       [--addrs] [--event-filter EVENT] [--srcline]\n"
		    "                       [--inline [--context]] [FILE...] > out.folded\n"
		    "       trec flamegraph --from-perf [collapse options] [options] [FILE...] > out.svg",
	.summary = "Interactive SVG flame graphs from folded stacks (FlameGraph's format, stdin when\n"
		   "no file is named) or from trec traces; differential graphs of two profiles; and\n"
		   "perf script output collapsed to folded stacks (stackcollapse-perf.pl's rules).\n"
		   "docs/FLAMEGRAPH.md describes every option.",
	.options =
		"  -o, --output FILE     write to FILE instead of stdout\n"
		"graph (as flamegraph.pl):\n"
		"      --title TEXT      title (default \"Flame Graph\", \"Icicle Graph\", \"Flame Chart\")\n"
		"      --subtitle TEXT   second line under the title\n"
		"      --width PX        image width (default 1200)\n"
		"      --height PX       height of one frame (default 16)\n"
		"      --minwidth PX     leave out frames narrower than PX pixels (default 0.1), or\n"
		"                        than a share of the total with a % (0.5%); 0 keeps all\n"
		"      --countname NAME  what the counts are (default samples)\n"
		"      --nametype TEXT   label before a hovered name (default \"Function:\")\n"
		"      --colors NAME     palette: hot (default), mem, io, wakeup, java, js, perl, red,\n"
		"                        green, blue, aqua, yellow, purple, orange\n"
		"      --bgcolors COLOR  background: yellow, blue, green, grey or #rrggbb\n"
		"      --hash            color by name: a function keeps its color in every graph\n"
		"      --cp              consistent palette: colors kept in ./palette.map across runs\n"
		"      --cp-file FILE    --cp with the palette in FILE\n"
		"      --reverse         reverse stacks (leaf first) before merging\n"
		"      --inverted        icicle graph: root at the top\n"
		"      --flamechart      x is input order (time), stacks are not sorted\n"
		"      --negate          differential: swap red and blue\n"
		"      --fonttype FONT   font family (default Verdana)\n"
		"      --fontsize PT     font size (default 12)\n"
		"      --fontwidth R     average glyph width per font size, to fit labels (default 0.59)\n"
		"differential:\n"
		"      --diff            two inputs, BEFORE and AFTER (folded files or traces): widths\n"
		"                        show AFTER, red frames grew, blue shrank\n"
		"  -n, --normalize       scale BEFORE to AFTER's total first\n"
		"  -s, --strip-hex       compare stacks with 0x... addresses blanked\n"
		"perf script input (as stackcollapse-perf.pl; FILEs in any order, none or -: stdin):\n"
		"      --collapse-perf   print the stacks folded, counts weighted by the periods\n"
		"      --from-perf       collapse and draw in one go\n"
		"      --pid             first frame comm-PID (perf script -F +pid)\n"
		"      --tid             first frame comm-PID/TID\n"
		"      --kernel          _[k] after kernel frames\n"
		"      --jit             _[j] after JIT frames (/tmp/perf-PID.map)\n"
		"      --all             --kernel and --jit\n"
		"      --addrs           unknown symbols as [dso <addr>] instead of [dso]\n"
		"      --event-filter EVENT  only samples of EVENT as perf prints it (default: the\n"
		"                        first event seen); --event is the same\n"
		"      --srcline         input from perf script -F+srcline: source lines after frames\n"
		"      --inline          inlined frames from addr2line (binutils) on the binaries\n"
		"      --context         with --inline: :file:line after each name\n"
		"trace input (as trec report --folded):\n"
		"      --event NAME      the stacked events of type NAME (default cpu-clock)\n"
		"      --offcpu          off-CPU time (microseconds) instead of samples\n"
		"      --no-kernel       leave out kernel frames\n"
		"      --pid, --tid      first frame comm-PID, comm-PID/TID\n"
		"      --symfs DIR, --debug-dir DIR  fuller symbols (docs/CLI.md)\n"
		"      --no-demangle     C++ and Rust names as the binary spells them (--demangle,\n"
		"                        the default: as perf shows them)\n"
		"  -h, --help            show this help\n",
};

/* Warnings from folding a trace, in this command's name. */
static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	cli_warn(&fg_cmd, "%s", msg);
}

struct fg_args {
	struct flame_opts fo;
	struct flame_input_opts in;
	struct perf_collapse_opts pc;
	const char *output;
	int collapse_perf, from_perf;
	const char *perf_input; /* --collapse-perf=FILE, --from-perf=FILE */
	int inline_frames, context;
	int diff;
	int cp;
};

enum {
	OPT_TITLE = 256, OPT_SUBTITLE, OPT_WIDTH, OPT_HEIGHT, OPT_MINWIDTH, OPT_COUNTNAME,
	OPT_NAMETYPE, OPT_COLORS, OPT_BGCOLORS, OPT_HASH, OPT_CP, OPT_CP_FILE, OPT_REVERSE,
	OPT_INVERTED, OPT_FLAMECHART, OPT_NEGATE, OPT_FONTTYPE, OPT_FONTSIZE, OPT_FONTWIDTH,
	OPT_DIFF, OPT_COLLAPSE, OPT_FROM_PERF, OPT_PID, OPT_TID, OPT_KERNEL, OPT_JIT, OPT_ALL,
	OPT_ADDRS, OPT_EVENT, OPT_OFFCPU, OPT_NO_KERNEL, OPT_SYMFS, OPT_DEBUG_DIR, OPT_INLINE,
	OPT_CONTEXT, OPT_SRCLINE, OPT_DEMANGLE, OPT_NO_DEMANGLE,
};

/* "1.5" -> 1.5 within [min, max]; a usage error otherwise. */
static int parse_real(const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (!*arg || *end || errno || !(v >= min && v <= max)) {
		cli_usage_error(&fg_cmd, "%s: '%s' is not a number from %g to %g", opt, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_px(const char *opt, const char *arg, uint64_t max, unsigned *out)
{
	uint64_t v;
	if (cli_parse_u64(&fg_cmd, opt, arg, 1, max, &v))
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Returns 0 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct fg_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
		{ "countname", required_argument, NULL, OPT_COUNTNAME },
		{ "nametype", required_argument, NULL, OPT_NAMETYPE },
		{ "colors", required_argument, NULL, OPT_COLORS },
		{ "color", required_argument, NULL, OPT_COLORS },
		{ "bgcolors", required_argument, NULL, OPT_BGCOLORS },
		{ "hash", no_argument, NULL, OPT_HASH },
		{ "cp", no_argument, NULL, OPT_CP },
		{ "cp-file", required_argument, NULL, OPT_CP_FILE },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "inverted", no_argument, NULL, OPT_INVERTED },
		{ "flamechart", no_argument, NULL, OPT_FLAMECHART },
		{ "negate", no_argument, NULL, OPT_NEGATE },
		{ "fonttype", required_argument, NULL, OPT_FONTTYPE },
		{ "fontsize", required_argument, NULL, OPT_FONTSIZE },
		{ "fontwidth", required_argument, NULL, OPT_FONTWIDTH },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "normalize", no_argument, NULL, 'n' },
		{ "strip-hex", no_argument, NULL, 's' },
		/* The file may follow as an argument anywhere (FlameGraph's
		 * `--collapse-perf --pid perf.txt`); =FILE still works. */
		{ "collapse-perf", optional_argument, NULL, OPT_COLLAPSE },
		{ "from-perf", optional_argument, NULL, OPT_FROM_PERF },
		{ "pid", no_argument, NULL, OPT_PID },
		{ "tid", no_argument, NULL, OPT_TID },
		{ "kernel", no_argument, NULL, OPT_KERNEL },
		{ "jit", no_argument, NULL, OPT_JIT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "addrs", no_argument, NULL, OPT_ADDRS },
		{ "event", required_argument, NULL, OPT_EVENT },
		{ "event-filter", required_argument, NULL, OPT_EVENT },
		{ "offcpu", no_argument, NULL, OPT_OFFCPU },
		{ "no-kernel", no_argument, NULL, OPT_NO_KERNEL },
		{ "symfs", required_argument, NULL, OPT_SYMFS },
		{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
		{ "demangle", no_argument, NULL, OPT_DEMANGLE },
		{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE },
		{ "inline", no_argument, NULL, OPT_INLINE },
		{ "context", no_argument, NULL, OPT_CONTEXT },
		{ "srcline", no_argument, NULL, OPT_SRCLINE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(a, 0, sizeof(*a));
	a->fo.sz = sizeof(a->fo);
	a->pc.sz = sizeof(a->pc);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:nsh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case OPT_TITLE: a->fo.title = optarg; break;
		case OPT_SUBTITLE: a->fo.subtitle = optarg; break;
		case OPT_WIDTH:
			if (parse_px("--width", optarg, 1000000, &a->fo.width))
				return CLI_EXIT_USAGE;
			break;
		case OPT_HEIGHT:
			if (parse_px("--height", optarg, 1000, &a->fo.frame_height))
				return CLI_EXIT_USAGE;
			break;
		case OPT_MINWIDTH: a->fo.min_width = optarg; break;
		case OPT_COUNTNAME: a->fo.countname = optarg; break;
		case OPT_NAMETYPE: a->fo.nametype = optarg; break;
		case OPT_COLORS: a->fo.colors = optarg; break;
		case OPT_BGCOLORS: a->fo.bgcolors = optarg; break;
		case OPT_HASH: a->fo.hash = 1; break;
		case OPT_CP: a->cp = 1; break;
		case OPT_CP_FILE: a->fo.palette_file = optarg; break;
		case OPT_REVERSE: a->fo.reverse = 1; break;
		case OPT_INVERTED: a->fo.inverted = 1; break;
		case OPT_FLAMECHART: a->fo.flamechart = 1; break;
		case OPT_NEGATE: a->fo.negate = 1; break;
		case OPT_FONTTYPE: a->fo.fonttype = optarg; break;
		case OPT_FONTSIZE:
			if (parse_real("--fontsize", optarg, 0.1, 200, &a->fo.fontsize))
				return CLI_EXIT_USAGE;
			break;
		case OPT_FONTWIDTH:
			if (parse_real("--fontwidth", optarg, 0.01, 10, &a->fo.fontwidth))
				return CLI_EXIT_USAGE;
			break;
		case OPT_DIFF: a->diff = 1; break;
		case 'n': a->fo.normalize = 1; break;
		case 's': a->in.strip_hex = 1; break;
		case OPT_COLLAPSE:
		case OPT_FROM_PERF:
			*(c == OPT_COLLAPSE ? &a->collapse_perf : &a->from_perf) = 1;
			if (optarg)
				a->perf_input = optarg;
			break;
		case OPT_PID: a->pc.with_pid = a->in.with_pid = 1; break;
		case OPT_TID: a->pc.with_tid = a->in.with_tid = 1; break;
		case OPT_KERNEL: a->pc.kernel = 1; break;
		case OPT_JIT: a->pc.jit = 1; break;
		case OPT_ALL: a->pc.kernel = a->pc.jit = 1; break;
		case OPT_ADDRS: a->pc.addrs = 1; break;
		case OPT_EVENT:
			if (!optarg[0])
				return cli_usage_error(&fg_cmd, "--event: empty name");
			a->pc.event = a->in.event = optarg;
			break;
		case OPT_OFFCPU: a->in.offcpu = 1; break;
		case OPT_NO_KERNEL: a->in.no_kernel = 1; break;
		case OPT_SYMFS: a->in.symfs = optarg; break;
		case OPT_DEBUG_DIR: a->in.debug_dir = optarg; break;
		case OPT_DEMANGLE: a->in.no_demangle = 0; break;
		case OPT_NO_DEMANGLE: a->in.no_demangle = 1; break;
		case OPT_INLINE: a->inline_frames = 1; break;
		case OPT_CONTEXT: a->context = 1; break;
		case OPT_SRCLINE: a->pc.srcline = 1; break;
		case 'h':
			cli_help(&fg_cmd);
			return -1;
		default:
			return cli_bad_option(&fg_cmd);
		}
	}
	if (a->cp && !a->fo.palette_file)
		a->fo.palette_file = "palette.map";
	int modes = a->collapse_perf + a->from_perf + a->diff;
	if (modes > 1)
		return cli_usage_error(&fg_cmd, "--diff, --collapse-perf and --from-perf exclude each other");
	int npos = argc - optind;
	if ((a->inline_frames || a->context || a->pc.srcline) && !a->collapse_perf && !a->from_perf)
		return cli_usage_error(&fg_cmd, "--%s reads perf script text: add --collapse-perf or "
						"--from-perf", a->pc.srcline ? "srcline" : a->inline_frames ? "inline" : "context");
	if (a->context && !a->inline_frames)
		cli_warn(&fg_cmd, "--context does nothing without --inline (for perf script "
				  "-F+srcline output, use --srcline)");
	if (a->diff && npos != 2)
		return cli_usage_error(&fg_cmd, "--diff takes two inputs, BEFORE and AFTER (%d given)",
				       npos);
	if (a->output && !a->output[0])
		return cli_usage_error(&fg_cmd, "-o: empty file name");
	return 0;
}

/* ---- output ---------------------------------------------------------------------- */

struct sink {
	FILE *f;
	const char *path; /* NULL: stdout */
};

static int sink_open(struct sink *s, const char *path)
{
	s->path = path;
	if (!path) {
		s->f = stdout;
		return 0;
	}
	s->f = fopen(path, "w");
	if (!s->f) {
		cli_err(&fg_cmd, "%s: %s", path, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

/* Closes the output; on failure a half-written file is removed. */
static int sink_close(struct sink *s, int failed)
{
	int rc = 0;
	if (s->path) {
		if (fclose(s->f) && !failed) {
			cli_err(&fg_cmd, "%s: %s", s->path, strerror(errno));
			failed = rc = CLI_EXIT_ERROR;
		}
		if (failed)
			unlink(s->path);
	} else if (fflush(stdout) && !failed && errno != EPIPE) {
		cli_err(&fg_cmd, "writing to stdout: %s", strerror(errno));
		rc = CLI_EXIT_ERROR;
	}
	return rc;
}

/* ---- perf script ----------------------------------------------------------------- */

static void collapse_warnings(const char *const *inputs, const struct perf_collapse_stats *st)
{
	const char *name = inputs[0];
	if (st->filtered)
		cli_warn(&fg_cmd, "%s: kept event %s, left out %llu samples of other events (the "
				  "first: %s); choose with --event-filter EVENT",
			 name, st->event, (unsigned long long)st->filtered, st->other_event);
	if (st->unrecognized)
		cli_warn(&fg_cmd, "%s: %llu lines are not perf script samples (the first: line %llu)",
			 inputs[st->first_unrecognized_input], (unsigned long long)st->unrecognized,
			 (unsigned long long)st->first_unrecognized);
	if (!st->samples)
		cli_warn(&fg_cmd, "%s: no samples found: is it perf script output (with -g for stacks)?",
			 name);
}

/* Runs the collapser over the inputs, one stream ("-": stdin). Returns 0
 * or an exit code. */
static int collapse(const struct fg_args *args, int n, char **inputs, struct perf_collapse **out)
{
	struct fg_args a = *args;
	struct trec_err err = { 0 };
	struct perf_inline *pi = NULL;
	if (a.inline_frames) {
		if (perf_inline_new(&pi, a.context)) {
			cli_err(&fg_cmd, "out of memory");
			return CLI_EXIT_ERROR;
		}
		a.pc.inline_fn = perf_inline_resolve;
		a.pc.inline_ctx = pi;
	}
	struct perf_collapse *c;
	int rc = perf_collapse_new(&c, &a.pc, &err);
	if (rc) {
		cli_err(&fg_cmd, "%s", trec_errmsg(&err, rc));
		perf_inline_free(pi);
		return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
	}
	const char *names[256];
	for (int i = 0; i < n && !rc; i++) {
		int fd = 0;
		names[i] = inputs[i];
		if (strcmp(inputs[i], "-")) {
			fd = open(inputs[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				cli_err(&fg_cmd, "%s: %s", inputs[i], strerror(errno));
				rc = CLI_EXIT_ERROR;
				break;
			}
		} else {
			names[i] = "<stdin>";
		}
		rc = perf_collapse_fd(c, fd, names[i], &err);
		if (fd)
			close(fd);
		if (rc) {
			if (rc == -ENOENT && a.inline_frames)
				cli_err(&fg_cmd, "%s (--inline runs addr2line and nm: install binutils)",
					trec_errmsg(&err, rc));
			else
				cli_err(&fg_cmd, "%s", trec_errmsg(&err, rc));
			rc = CLI_EXIT_ERROR;
		}
	}
	if (!rc && perf_collapse_end(c)) {
		cli_err(&fg_cmd, "out of memory");
		rc = CLI_EXIT_ERROR;
	}
	perf_inline_free(pi);
	if (rc) {
		perf_collapse_free(c);
		return rc;
	}
	struct perf_collapse_stats st;
	perf_collapse_get_stats(c, &st);
	collapse_warnings(names, &st);
	*out = c;
	return 0;
}

/* The perf script inputs: --collapse-perf=FILE, else the arguments, else
 * stdin. */
static char **perf_inputs(const struct fg_args *a, int *n, char **pos)
{
	static char *one[1];
	static char dash[] = "-";
	if (a->perf_input) {
		one[0] = (char *)a->perf_input;
		*n = 1;
		return one;
	}
	if (!*n) {
		one[0] = dash;
		*n = 1;
		return one;
	}
	return pos;
}

static int run_collapse(const struct fg_args *a, int npos, char **pos)
{
	struct perf_collapse *c;
	char **in = perf_inputs(a, &npos, pos);
	int rc = collapse(a, npos, in, &c);
	if (rc)
		return rc;
	struct sink s;
	rc = sink_open(&s, a->output);
	if (rc) {
		perf_collapse_free(c);
		return rc;
	}
	struct outbuf o;
	if (outbuf_init(&o, s.f, 0)) {
		cli_err(&fg_cmd, "out of memory");
		perf_collapse_free(c);
		sink_close(&s, 1);
		return CLI_EXIT_ERROR;
	}
	rc = perf_collapse_emit(c, outbuf_folded_line, &o);
	if (!rc)
		rc = outbuf_flush(&o);
	outbuf_free(&o);
	perf_collapse_free(c);
	if (rc && rc != -EPIPE)
		cli_err(&fg_cmd, "writing %s: %s", a->output ? a->output : "to stdout", strerror(-rc));
	int crc = sink_close(&s, rc != 0);
	return rc && rc != -EPIPE ? CLI_EXIT_ERROR : crc;
}

/* ---- graphs ---------------------------------------------------------------------- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s && s[1] ? s + 1 : p;
}

static void folded_warnings(const char *path, const struct flame_input_stats *st, int diff)
{
	const struct folded_stats *fs = &st->folded;
	if (st->is_trace) {
		if (!st->trace_stacks)
			cli_warn(&fg_cmd, "%s: no stacks of the chosen events in this trace", path);
		return;
	}
	if (fs->ignored)
		cli_warn(&fg_cmd, "%s: %llu lines ignored: not 'stack count'%s (the first: line %llu)",
			 path, (unsigned long long)fs->ignored,
			 diff ? " with one count" : "",
			 (unsigned long long)fs->first_ignored);
}

/* The default subtitle of a differential graph says how to read it. */
static void diff_subtitle(char *buf, size_t len, const struct fg_args *a, char **argv)
{
	const char *before = base_name(argv[0]), *after = base_name(argv[1]);
	snprintf(buf, len, "%s -> %s: widths show %s; red: %s in %s, blue: %s%s", before, after, after,
		 a->fo.negate ? "less" : "more", after, a->fo.negate ? "more" : "less",
		 a->fo.normalize ? " (before scaled to the same total)" : "");
}

static int draw(const struct fg_args *args, int npos, char **pos)
{
	struct fg_args a = *args;
	char subtitle[512];
	if (a.diff && !a.fo.subtitle) {
		diff_subtitle(subtitle, sizeof(subtitle), &a, pos);
		a.fo.subtitle = subtitle;
	}
	struct trec_err err = { 0 };
	struct flame *f;
	int rc = flame_new(&f, &a.fo, &err);
	if (rc) {
		cli_err(&fg_cmd, "%s", trec_errmsg(&err, rc));
		return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
	}
	/* Inputs are read before the output is opened: a bad input leaves no
	 * half-written file behind. */
	if (a.from_perf) {
		struct perf_collapse *c;
		char **in = perf_inputs(&a, &npos, pos);
		rc = collapse(&a, npos, in, &c);
		if (rc) {
			flame_free(f);
			return rc;
		}
		/* An error adding a stack (overflow, memory) is kept by the
		 * flame and reported by flame_write_svg below. */
		perf_collapse_emit(c, flame_add_cb, f);
		perf_collapse_free(c);
	} else {
		static char dash[] = "-";
		static char *stdin_only[] = { dash };
		if (!npos) {
			npos = 1;
			pos = stdin_only;
		}
		for (int i = 0; i < npos && !rc; i++) {
			enum folded_mode mode = !a.diff ? FOLDED_AS_IS
					      : i == 0  ? FOLDED_AS_BEFORE
							: FOLDED_AS_AFTER;
			struct flame_input_stats st;
			rc = flame_input_add(f, pos[i], mode, &a.in, &st, &err);
			if (rc) {
				cli_err(&fg_cmd, "%s", trec_errmsg(&err, rc));
				flame_free(f);
				return CLI_EXIT_ERROR;
			}
			folded_warnings(pos[i], &st, a.diff);
		}
	}
	struct sink s;
	rc = sink_open(&s, a.output);
	if (rc) {
		flame_free(f);
		return rc;
	}
	rc = flame_write_svg(f, s.f, &err);
	flame_free(f);
	int exit_rc = 0;
	if (rc == -ENODATA) {
		cli_err(&fg_cmd, "no stack counts found in the input; the SVG says so");
		exit_rc = CLI_EXIT_ERROR;
	} else if (rc == -EPIPE) {
		exit_rc = 0; /* the reader went away: not our error */
	} else if (rc) {
		cli_err(&fg_cmd, "%s", trec_errmsg(&err, rc));
		exit_rc = CLI_EXIT_ERROR;
	}
	int crc = sink_close(&s, rc && rc != -ENODATA);
	return exit_rc ? exit_rc : crc;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct fg_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	a.in.warn = warn_cb;
	int npos = argc - optind;
	int perf = a.collapse_perf || a.from_perf;
	if (perf && a.perf_input && npos)
		return cli_usage_error(&fg_cmd, "unexpected argument '%s': --%s=FILE names the input",
				       argv[optind], a.collapse_perf ? "collapse-perf" : "from-perf");
	if (perf && npos > 256)
		return cli_usage_error(&fg_cmd, "at most 256 perf script inputs (%d given)", npos);
	/* Said before anything is read: a bare `trec flamegraph` at a prompt
	 * would otherwise wait for stdin in silence. */
	int reads_stdin = !npos && !a.perf_input;
	for (int i = 0; i < npos; i++)
		reads_stdin |= !strcmp(argv[optind + i], "-");
	if (a.perf_input && !strcmp(a.perf_input, "-"))
		reads_stdin = 1;
	if (reads_stdin && isatty(0))
		return cli_usage_error(&fg_cmd, "no input: name a file, or pipe %s into stdin",
				       perf ? "perf script output" : "folded stacks");
	if (!a.collapse_perf && !a.output && isatty(1))
		return cli_usage_error(&fg_cmd, "the SVG would go to the terminal: redirect stdout "
						"(> out.svg) or use -o FILE");
	if (a.collapse_perf)
		return run_collapse(&a, npos, argv + optind);
	return draw(&a, npos, argv + optind);
}
