/* SPDX-License-Identifier: MIT */
/*
 * trec record: the command line of the recorder. Parses the flags into a
 * struct rec_opts (the events into a plan and a probe set), runs a
 * recording session (record/session.h), shows the progress line and the
 * summary, and turns the outcome into an exit code: the command's status
 * with -- CMD, 127 when the command could not be run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "as_user.h"
#include "bpf_profile.h"
#include "cli_util.h"
#include "plan.h"
#include "probe_spec.h"
#include "probes.h"
#include "procfs.h"
#include "record_cmds.h"
#include "session.h"
#include "unwind_abi.h"
#include "units.h"

static const struct cli_cmd record_cmd = {
	.name = "record",
	.synopsis = "[-e EVENT [--filter EXPR | --arg argN:str]]... [-a | -p PID[,PID...] | [--] CMD [ARGS...]] [-o FILE]",
	.summary = "capture CPU samples, tracepoints, probes and process history into a trace file",
	.options =
		"  -e, --event EVENT        tracepoint GROUP:NAME, or a glob (sched:*, syscalls:sys_enter_open*);\n"
		"                           repeatable. Without any -e: a CPU profile, as perf record's:\n"
		"                           cpu-clock samples with kernel and user stacks at -F (999 Hz)\n"
		"      --filter EXPR        keep only events of the preceding -e matching EXPR, evaluated in BPF\n"
		"                           (docs/FILTERS.md), e.g. 'prev_pid > 0 && next_comm == \"bash\"'\n"
		"  -e u:PATH:FUNC           uprobe: user function entry, arg0..arg5 (FUNC+OFF, 0xADDR, globs;\n"
		"                           PATH a file or a library name: u:libc:malloc); ur:PATH:FUNC its return\n"
		"  -e usdt:PATH:PROV:NAME   USDT probe, arguments arg0..argN (globs on PROV and NAME)\n"
		"  -e k:FUNC, kr:FUNC       kprobe / kretprobe on a kernel function; fentry:FUNC, fexit:FUNC\n"
		"                           the same through BPF trampolines (docs/PROBES.md)\n"
		"      --arg argN:str       record argument N of the preceding probe -e as a string\n"
		"  -a, --all-cpus           system-wide (the default without -p or a command); with a\n"
		"                           command: everything, for as long as the command runs\n"
		"  -p, --pid PID[,PID...]   existing processes, all their threads and later children;\n"
		"                           the recording stops when they have all exited\n"
		"  -G, --cgroup PATH        only tasks in this cgroup v2 subtree (PATH relative to the v2\n"
		"                           root, or under its mount; repeatable; with -p or a command:\n"
		"                           those tasks, while in it)\n"
		"  -o, --output FILE        output file (default trec.data; never overwritten without -f)\n"
		"  -f, --force              replace an existing output file\n"
		"      --duration SECS      stop after this long (10, 1.5, 500ms, 2m)\n"
		"      --max-size SIZE      stop when the file reaches SIZE (100M, 2G)\n"
		"      --switch-output SIZE|TIME  start a new file (OUTPUT.<time>) every SIZE bytes or TIME\n"
		"      --overwrite          flight recorder: keep only the last --window in memory, write\n"
		"                           nothing until a trigger, then a complete file OUTPUT.<N>.<time>\n"
		"                           of the window (triggers: SIGUSR2, --control's snapshot,\n"
		"                           --snapshot-on); the recording goes on after each snapshot\n"
		"      --window TIME        how far back a snapshot reaches (default 30s)\n"
		"      --window-size SIZE   memory for the window's records (default 64M; the oldest\n"
		"                           go first when it is full, whatever --window says)\n"
		"      --post TIME          a snapshot also holds this long after its trigger (default 0)\n"
		"      --snapshot-interval TIME  ignore triggers closer than TIME to the last (default 1s)\n"
		"      --snapshot-on EVENT[:FILTER]  a snapshot when a recorded event passes FILTER\n"
		"                           (--filter's language), e.g. 'syscalls:sys_enter_close:fd == 7'\n"
		"      --control fifo:CTL[,ACK]  read commands from FIFO CTL: snapshot, stop, ping;\n"
		"                           each answered \"ack\" on FIFO ACK when done\n"
		"  -F, --freq HZ            sample on-CPU stacks HZ times a second on every CPU (cpu-clock;\n"
		"                           default 999, lowered to kernel.perf_event_max_sample_rate when\n"
		"                           that is less; -e cycles uses the PMU)\n"
		"  -g                       record kernel and user stacks with every event (CPU samples\n"
		"                           always have them; -g alone, without -e, is the CPU profile)\n"
		"      --call-graph MODE    -g, walking user stacks by MODE: dwarf (the default: rules\n"
		"                           compiled from each binary's .eh_frame, in BPF; frame pointers\n"
		"                           where no rule covers a frame; no stack memory is copied) or fp\n"
		"                           (frame pointers only); for -F and offcpu stacks too\n"
		"      --unwind-mem SIZE    kernel memory for the compiled unwind rules (default 32M;\n"
		"                           binaries past it are walked by frame pointers, counted)\n"
		"      --debug-dir DIR      separate debug files (.build-id/NN/REST.debug, debuglink) for\n"
		"                           the function names of stripped binaries; repeatable; replaces\n"
		"                           the default /usr/lib/debug\n"
		"      --symfs DIR          look for the traced binaries' symbols under DIR first\n"
		"  -e offcpu                time blocked threads spend off CPU, with the stacks where they\n"
		"                           blocked (trec report weighs these stacks by that time, in us)\n"
		"      --offcpu-min DUR     report only blocks at least this long (default 1us)\n"
		"  -m, --buffer-size SIZE   each event ring's size (a power of two); alone, one ring per\n"
		"                           CPU of SIZE, as perf's per-CPU buffer. Default: by --memory\n"
		"      --memory SIZE        bound for the whole recorder: rings, side-band, writer queue,\n"
		"                           unwinder, flight recorder (default 256M); rings of at most 8M\n"
		"                           per CPU, neighbouring CPUs sharing one when there are many\n"
		"                           (docs/RECORD.md, Memory)\n"
		"      --rings N            force N event rings (a test and bench knob; N > CPUs leaves\n"
		"                           the extra rings idle)\n"
		"  -v, --verbose            print the memory figures at start\n"
		"  -z, --compression-level N  zstd level, 1 (fast, default) to 19\n"
		"  -q, --quiet              no progress line, no summary\n"
		"      --as-user[=USER]     run the command as the user who ran sudo (SUDO_UID,\n"
		"                           SUDO_GID, their groups, HOME/USER/LOGNAME/SHELL), or as\n"
		"                           USER; the recorder keeps root's capabilities. Without\n"
		"                           it the command runs as trec does (root under sudo)\n"
		"  -h, --help               this help\n"
		"\n"
		"With CMD (after -- or as the first argument that is not an option, as perf takes it),\n"
		"trec starts CMD, traces it and every descendant, stops when it exits and\n"
		"exits with its status. Loss is never silent: records the BPF side could not reserve and\n"
		"records the writer could not take are counted per CPU and event and written as loss records.\n",
};

/* The flags: what the session takes, and what only the command line needs. */
struct opts {
	struct rec_opts ro;
	struct plan plan;        /* -e tracepoints, --filter */
	struct probe_set probes; /* u:, ur:, usdt:, k:, kr:, fentry:, fexit: */
	int last_e_probe;        /* the latest -e was a probe: --filter cannot follow it */
	int quiet;
	pid_t *pids;
	size_t npids;
	struct cgroup_set cgroups; /* -G */
	const char **debug_dirs; /* --debug-dir, in order; NULL: the default */
	size_t ndebug_dirs;
	/* --as-user[=USER]: the command runs as this user */
	int as_user;
	const char *as_user_spec; /* NULL: sudo's caller */
	struct as_user user;
};

/* ---- messages ----------------------------------------------------------- */

/* What the engines print (lib/errors.h): warnings as ours, debug output
 * (libbpf's own account of a failure) only when TREC_BPF_DEBUG is set,
 * and never with TREC_BPF_QUIET. */
static enum trec_print_level log_level = TREC_INFO;

static int record_print(enum trec_print_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return 0;
	if (level == TREC_WARN)
		fprintf(stderr, "trec %s: warning: ", record_cmd.name);
	return vfprintf(stderr, fmt, ap);
}

static enum trec_print_level env_log_level(void)
{
	return getenv("TREC_BPF_DEBUG") && !getenv("TREC_BPF_QUIET") ? TREC_DEBUG : TREC_INFO;
}

struct ui {
	int quiet;
	int shown; /* a progress line is on the terminal */
};

static void on_progress(void *ctx, const struct rec_stats *st)
{
	struct ui *ui = ctx;
	if (ui->quiet || !isatty(2))
		return;
	/* Ratio: the events already in the file, at their average size as the
	 * BPF side produced them, against the bytes they took. */
	double avg = st->events ? (double)st->raw_bytes / (double)st->events : 0.0;
	double raw = avg * (double)st->file_events;
	char hb[32];
	fprintf(stderr, "\r\033[K[%6.1fs] %llu events (%.0f/s), %s written, ratio %.1fx, lost %llu", st->secs,
		(unsigned long long)st->events, st->secs > 0 ? (double)st->events / st->secs : 0.0,
		cli_human_bytes(st->bytes, hb, sizeof(hb)), st->file_bytes ? raw / (double)st->file_bytes : 0.0,
		(unsigned long long)(st->lost_ring + st->lost_writer));
	ui->shown = 1;
}

static void on_file_done(void *ctx, const char *path)
{
	struct ui *ui = ctx;
	if (!ui->quiet)
		fprintf(stderr, "%strec record: wrote %s\n", ui->shown ? "\r\033[K" : "", path);
}

/* One line on how user stacks were walked, and why any frame was not. */
static void unwind_summary(const struct unwind_stats *s)
{
	const uint64_t *k = s->kernel;
	if (!k[TREC_UW_ST_STACKS])
		return;
	fprintf(stderr, "  user stacks: %llu, %.1f%% walked to the outermost frame by .eh_frame rules; "
			"%llu binaries compiled (%.1f MiB of %.0f MiB)\n",
		(unsigned long long)k[TREC_UW_ST_STACKS],
		100.0 * (double)k[TREC_UW_ST_COMPLETE] / (double)k[TREC_UW_ST_STACKS], (unsigned long long)s->tables,
		(double)s->rows * sizeof(struct trec_uw_row) / 1048576.0,
		(double)s->rows_capacity * sizeof(struct trec_uw_row) / 1048576.0);
	static const struct {
		int idx;
		const char *what;
	} fb[] = {
		{ TREC_UW_FB_NO_PROC, "process not loaded yet" },
		{ TREC_UW_FB_NO_MAPPING, "outside file mappings (JIT?)" },
		{ TREC_UW_FB_PENDING, "table not loaded yet" },
		{ TREC_UW_FB_BUDGET, "table past --unwind-mem" },
		{ TREC_UW_FB_NO_TABLE, "no unwind info" },
		{ TREC_UW_FB_NO_RULE, "no rule" },
		{ TREC_UW_FB_UNSUPPORTED, "unsupported rule" },
	};
	int any = 0;
	for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++) {
		if (!k[fb[i].idx])
			continue;
		fprintf(stderr, "%s%llu %s", any ? ", " : "  frames walked by frame pointer: ",
			(unsigned long long)k[fb[i].idx], fb[i].what);
		any = 1;
	}
	if (any)
		fputs(" (trec info)\n", stderr);
}

static void summary(const struct ui *ui, const struct rec_stats *st)
{
	char hb[32];
	uint64_t lost = st->lost_ring + st->lost_writer;
	fprintf(stderr, "%strec record: %s: %llu events in %.2f s, %s%s", ui->shown ? "\r\033[K" : "",
		st->overwrite ? "flight recorder" : st->files > 1 ? "last file" : st->path,
		(unsigned long long)st->events, st->secs,
		cli_human_bytes(st->bytes, hb, sizeof(hb)), st->files > 1 ? " in all files" : "");
	if (st->events)
		fprintf(stderr, " (%.2f bytes/event)", (double)st->bytes / (double)st->events);
	fprintf(stderr, ", %llu lost%s\n", (unsigned long long)lost, lost ? " (see trec info)" : "");
	size_t ntp = 0, nprobe = 0;
	for (size_t i = 0; i < st->ntypes; i++) {
		ntp += st->types[i].kind == REC_TYPE_TRACEPOINT;
		nprobe += st->types[i].kind == REC_TYPE_PROBE;
	}
	for (size_t i = 0; i < st->ntypes; i++) {
		const struct rec_type_stats *t = &st->types[i];
		size_t of_kind = t->kind == REC_TYPE_TRACEPOINT ? ntp : t->kind == REC_TYPE_PROBE ? nprobe : 0;
		if (!t->name || (!t->events && !t->lost && of_kind > 20))
			continue; /* a long glob: list what fired */
		fprintf(stderr, "  %-40s %12llu", t->name, (unsigned long long)t->events);
		if (t->lost)
			fprintf(stderr, "  (%llu lost)", (unsigned long long)t->lost);
		fputc('\n', stderr);
	}
	if (st->lost_stacks)
		fprintf(stderr, "  %llu events kept without (part of) their stack (counted as stack loss)\n",
			(unsigned long long)st->lost_stacks);
	if (st->symbols)
		fprintf(stderr, "  symbols: %u binaries (%llu functions%s)%s, %llu kernel symbols%s\n", st->sym.dsos,
			(unsigned long long)st->sym.syms, st->sym.debugfiles ? ", some from debug files" : "",
			st->sym.dsos_failed ? " (some unreadable: their frames show as dso+offset)" : "",
			(unsigned long long)st->sym.ksyms,
			st->sym.ksyms_failed ? " (/proc/kallsyms unreadable: kernel frames stay addresses)" : "");
	if (st->unwinding)
		unwind_summary(&st->unwind);
	if (st->sideband_lost)
		fprintf(stderr, "  process side-band: %llu records lost\n", (unsigned long long)st->sideband_lost);
	if (st->targets_full)
		fprintf(stderr, "  %llu new processes were not followed: the target table (65536) was full\n",
			(unsigned long long)st->targets_full);
	if (st->overwrite)
		fprintf(stderr, "  flight recorder: %llu snapshot%s, %llu trigger%s ignored (--snapshot-interval), "
				"%s in memory at the end\n",
			(unsigned long long)st->snapshots, st->snapshots == 1 ? "" : "s",
			(unsigned long long)st->triggers_ignored, st->triggers_ignored == 1 ? "" : "s",
			cli_human_bytes(st->flight_bytes, hb, sizeof(hb)));
	if (st->stop_reason && !st->has_command)
		fprintf(stderr, "  stopped: %s\n", st->stop_reason);
}

/* ---- the run ------------------------------------------------------------ */

static int exit_status(int wstatus)
{
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 1;
}

/* What the recording takes, for the line shown when it starts: "CPU
 * samples at 999 Hz, 2 tracepoints". */
static void recording_what(const struct opts *o, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = 0;
	if (o->ro.profile)
		k += (size_t)snprintf(buf + k, len - k, "%s samples at %llu Hz",
				      o->ro.clock == PROFILE_CYCLES ? "cycles" : "CPU", (unsigned long long)o->ro.freq);
	if (o->ro.offcpu && k < len)
		k += (size_t)snprintf(buf + k, len - k, "%soff-CPU time", k ? ", " : "");
	if (o->plan.n && k < len)
		k += (size_t)snprintf(buf + k, len - k, "%s%zu tracepoint%s", k ? ", " : "", o->plan.n,
				      o->plan.n == 1 ? "" : "s");
	if (o->probes.n && k < len)
		snprintf(buf + k, len - k, "%s%zu probe%s", k ? ", " : "", o->probes.n, o->probes.n == 1 ? "" : "s");
}

static int run_record(struct opts *o, int argc, char **argv)
{
	const struct cli_cmd *c = &record_cmd;
	/* The dispatcher named us "trec record" in argv[0]; the command line
	 * in the file should read as typed: trec record ARGS... */
	char **cmdline = calloc((size_t)argc + 2, sizeof(*cmdline));
	if (!cmdline) {
		cli_err(c, "%s", strerror(ENOMEM));
		return CLI_EXIT_ERROR;
	}
	cmdline[0] = "trec";
	cmdline[1] = "record";
	for (int i = 1; i < argc; i++)
		cmdline[i + 1] = argv[i];
	struct ui ui = { .quiet = o->quiet };
	struct rec_opts *ro = &o->ro;
	ro->sz = sizeof(*ro);
	ro->plan = &o->plan;
	ro->probes = &o->probes;
	ro->pids = o->pids;
	ro->npids = o->npids;
	ro->debug_dirs = o->debug_dirs;
	ro->ndebug_dirs = o->ndebug_dirs;
	ro->as_user = o->as_user ? &o->user : NULL;
	ro->cmdline = cmdline;
	ro->cmdline_n = argc + 1;
	ro->on_progress = on_progress;
	ro->on_file_done = on_file_done;
	ro->cb_ctx = &ui;

	log_level = env_log_level();
	trec_print_fn_t old_print = trec_set_print(record_print);
	struct rec_session *s = NULL;
	struct trec_err err = { 0 };
	int rc = CLI_EXIT_ERROR;
	int e = rec_session_new(ro, &s, &err);
	if (!e && (e = rec_session_start(s, &err)) && rec_session_command_failed(s))
		rc = 127;
	if (e) {
		cli_err(c, "%s", err.msg[0] ? err.msg : strerror(-e));
		goto out;
	}
	if (!o->quiet && isatty(2)) {
		char what[160];
		recording_what(o, what, sizeof(what));
		fprintf(stderr, "trec record: recording %s into %s; Ctrl-C to stop\n", what, rec_session_path(s));
	}

	e = rec_session_run(s, &err);
	struct trec_err serr = { 0 };
	int se = rec_session_stop(s, &serr);
	if (!e && se) {
		e = se;
		err = serr;
	}
	struct rec_stats st;
	rec_session_stats(s, &st);
	if (!o->quiet)
		summary(&ui, &st);
	if (e) {
		cli_err(c, "%s", err.msg[0] ? err.msg : strerror(-e));
		cli_err(c, "what was written before the error is in %s and reads normally", st.path);
		rc = CLI_EXIT_ERROR;
	} else {
		rc = o->ro.cmd ? exit_status(st.command_status) : CLI_EXIT_OK;
	}
out:
	rec_session_free(s);
	trec_set_print(old_print);
	free(cmdline);
	return rc;
}

static int parse_pids(const char *arg, struct opts *o)
{
	char *dup = strdup(arg), *save = NULL;
	if (!dup)
		return -ENOMEM;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		errno = 0;
		long v = strtol(t, &end, 10);
		if (errno || *end || v <= 0 || v > 4194304) {
			cli_usage_error(&record_cmd, "-p: '%s' is not a process id", t);
			free(dup);
			return -EINVAL;
		}
		pid_t *n = realloc(o->pids, (o->npids + 1) * sizeof(*n));
		if (!n) {
			free(dup);
			return -ENOMEM;
		}
		o->pids = n;
		struct trec_err pe = { 0 };
		if (procfs_pid_exists((pid_t)v, &pe) < 0) {
			cli_err(&record_cmd, "%s", pe.msg);
			free(dup);
			return -ESRCH;
		}
		/* -p takes a thread id too (perf does): trace its process, once. */
		int tgid = procfs_tgid((pid_t)v);
		pid_t p = tgid > 0 ? tgid : (pid_t)v;
		int dup_pid = 0;
		for (size_t k = 0; k < o->npids; k++)
			dup_pid |= o->pids[k] == p;
		if (!dup_pid)
			o->pids[o->npids++] = p;
	}
	free(dup);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	const struct cli_cmd *c = &record_cmd;
	enum { O_FILTER = 256, O_DURATION, O_MAX_SIZE, O_SWITCH, O_OFFCPU_MIN, O_ARG, O_AS_USER, O_CALL_GRAPH,
	       O_UNWIND_MEM, O_DEBUG_DIR, O_SYMFS, O_OVERWRITE, O_WINDOW, O_WINDOW_SIZE, O_POST, O_SNAP_INTERVAL,
	       O_SNAP_ON, O_CONTROL, O_MEMORY, O_RINGS };
	static const struct option lo[] = {
		{ "event", required_argument, 0, 'e' }, { "filter", required_argument, 0, O_FILTER },
		{ "all-cpus", no_argument, 0, 'a' }, { "pid", required_argument, 0, 'p' },
		{ "cgroup", required_argument, 0, 'G' },
		{ "output", required_argument, 0, 'o' }, { "force", no_argument, 0, 'f' },
		{ "duration", required_argument, 0, O_DURATION }, { "max-size", required_argument, 0, O_MAX_SIZE },
		{ "switch-output", required_argument, 0, O_SWITCH },
		{ "buffer-size", required_argument, 0, 'm' }, { "mmap-pages", required_argument, 0, 'm' },
		{ "compression-level", required_argument, 0, 'z' }, { "quiet", no_argument, 0, 'q' },
		{ "freq", required_argument, 0, 'F' }, { "call-graph", required_argument, 0, O_CALL_GRAPH },
		{ "unwind-mem", required_argument, 0, O_UNWIND_MEM },
		{ "debug-dir", required_argument, 0, O_DEBUG_DIR }, { "symfs", required_argument, 0, O_SYMFS },
		{ "offcpu-min", required_argument, 0, O_OFFCPU_MIN }, { "arg", required_argument, 0, O_ARG },
		{ "as-user", optional_argument, 0, O_AS_USER },
		{ "overwrite", no_argument, 0, O_OVERWRITE }, { "window", required_argument, 0, O_WINDOW },
		{ "window-size", required_argument, 0, O_WINDOW_SIZE }, { "post", required_argument, 0, O_POST },
		{ "snapshot-interval", required_argument, 0, O_SNAP_INTERVAL },
		{ "snapshot-on", required_argument, 0, O_SNAP_ON }, { "control", required_argument, 0, O_CONTROL },
		{ "memory", required_argument, 0, O_MEMORY }, { "rings", required_argument, 0, O_RINGS },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct opts o = { .ro = { .output = CLI_DEFAULT_INPUT, .level = 1,
				  .offcpu_min_ns = 1000, .snapshot_interval_ns = 1000000000ull } };
	probe_set_init(&o.probes);
	struct trec_err err = { 0 };
	int rc = CLI_EXIT_USAGE, ch, have_plan = 0;

	/* "+": stop at the first non-option, so `trec record -- cmd -x` and
	 * `trec record cmd -x` both leave -x to the command. */
	while ((ch = getopt_long(argc, argv, "+e:ap:G:o:fm:z:qvhF:g", lo, NULL)) != -1) {
		if (ch == 'e' && (!strcmp(optarg, "cpu-clock") || !strcmp(optarg, "cycles") ||
				  !strcmp(optarg, "cpu-cycles"))) {
			o.ro.profile = 1;
			o.ro.clock = strcmp(optarg, "cpu-clock") ? PROFILE_CYCLES : PROFILE_CPU_CLOCK;
			o.last_e_probe = 0;
			continue;
		}
		if (ch == 'e' && !strcmp(optarg, "offcpu")) {
			o.ro.offcpu = 1;
			o.last_e_probe = 0;
			continue;
		}
		if (ch == 'e' && probe_spec_kind(optarg)) {
			if (probe_set_add(&o.probes, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				goto out;
			}
			o.last_e_probe = 1;
			continue;
		}
		if (ch == O_ARG) {
			if (!o.last_e_probe) {
				cli_usage_error(c, "--arg '%s' must follow the probe -e it applies to (u:, usdt:, k:, fentry:)",
						optarg);
				goto out;
			}
			if (probe_set_arg(&o.probes, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				goto out;
			}
			continue;
		}
		if (ch == O_FILTER && o.last_e_probe) {
			cli_usage_error(c, "--filter '%s': filters apply to tracepoints; probe events (u:, usdt:, k:, "
					   "fentry:) take none yet",
					optarg);
			goto out;
		}
		if (ch == 'e')
			o.last_e_probe = 0;
		if (!have_plan && (ch == 'e' || ch == O_FILTER)) {
			if (plan_init(&o.plan, &err)) {
				cli_err(c, "%s", err.msg);
				return CLI_EXIT_ERROR;
			}
			have_plan = 1;
		}
		switch (ch) {
		case 'e':
			if (plan_add(&o.plan, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				rc = err.code == -ENOENT || err.code == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
				goto out;
			}
			break;
		case O_FILTER:
			if (plan_filter(&o.plan, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				goto out;
			}
			break;
		case 'a': o.ro.all = 1; break;
		case 'p': {
			int pe = parse_pids(optarg, &o);
			if (pe) {
				rc = pe == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
				goto out;
			}
			break;
		}
		case 'G':
			if (cgroup_set_add(&o.cgroups, optarg, &err)) {
				cli_err(c, "%s", err.msg);
				rc = err.code == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
				goto out;
			}
			o.ro.cgroups = &o.cgroups;
			break;
		case 'o': o.ro.output = optarg; break;
		case 'f': o.ro.force = 1; break;
		case O_DURATION:
			if (parse_duration(optarg, &o.ro.duration_ns) || !o.ro.duration_ns) {
				cli_usage_error(c, "--duration: '%s' is not a duration (10, 1.5, 500ms, 2m)", optarg);
				goto out;
			}
			break;
		case O_MAX_SIZE:
			if (parse_size(optarg, &o.ro.max_size) || !o.ro.max_size) {
				cli_usage_error(c, "--max-size: '%s' is not a size (100M, 2G)", optarg);
				goto out;
			}
			break;
		case O_SWITCH:
			/* A size has a byte suffix or none; a time ends in s/m/h. */
			if (parse_size(optarg, &o.ro.switch_size) || !o.ro.switch_size) {
				o.ro.switch_size = 0;
				if (parse_duration(optarg, &o.ro.switch_ns) || !o.ro.switch_ns) {
					cli_usage_error(c, "--switch-output: '%s' is neither a size (100M) nor a time (30s)", optarg);
					goto out;
				}
			}
			break;
		case 'm':
			if (parse_size(optarg, &o.ro.ring_bytes) || o.ro.ring_bytes < 4096 || o.ro.ring_bytes > (1ull << 30) ||
			    (o.ro.ring_bytes & (o.ro.ring_bytes - 1))) {
				cli_usage_error(c, "-m: '%s' must be a power of two between 4K and 1G (e.g. 8M)", optarg);
				goto out;
			}
			break;
		case 'z': {
			uint64_t v;
			if (cli_parse_u64(c, "-z", optarg, 1, 19, &v))
				goto out;
			o.ro.level = (int)v;
			break;
		}
		case 'q': o.quiet = 1; break;
		case 'v': o.ro.verbose = 1; break;
		case O_MEMORY:
			if (parse_size(optarg, &o.ro.memory) || o.ro.memory < (8ull << 20) || o.ro.memory > (1ull << 40)) {
				cli_usage_error(c, "--memory: '%s' is not a size between 8M and 1T (e.g. 512M)", optarg);
				goto out;
			}
			break;
		case O_RINGS: {
			uint64_t v;
			if (cli_parse_u64(c, "--rings", optarg, 1, 4096, &v))
				goto out;
			o.ro.rings = (uint32_t)v;
			break;
		}
		case 'g': o.ro.stacks = 1; break;
		case O_CALL_GRAPH: {
			/* perf's MODE[,SIZE]: the size of a dwarf stack copy means
			 * nothing here (no stack is copied) and is accepted. */
			size_t ml = strcspn(optarg, ",");
			if (ml == 2 && !strncmp(optarg, "fp", 2)) {
				o.ro.fp_only = 1;
			} else if (ml == 5 && !strncmp(optarg, "dwarf", 5)) {
				o.ro.fp_only = 0;
			} else {
				cli_usage_error(c, "--call-graph: '%s' is not a mode: dwarf (.eh_frame rules, the "
						   "default) or fp (frame pointers)%s", optarg,
						!strncmp(optarg, "lbr", 3) ? "; lbr needs a hardware PMU trec does not use" : "");
				goto out;
			}
			o.ro.stacks = 1;
			break;
		}
		case O_DEBUG_DIR:
		case O_SYMFS: {
			struct stat dst;
			if (stat(optarg, &dst) || !S_ISDIR(dst.st_mode)) {
				cli_usage_error(c, "%s: '%s' is not a directory", ch == O_SYMFS ? "--symfs" : "--debug-dir",
						optarg);
				goto out;
			}
			if (ch == O_SYMFS) {
				o.ro.symfs = optarg;
				break;
			}
			const char **nd = realloc(o.debug_dirs, (o.ndebug_dirs + 1) * sizeof(*nd));
			if (!nd) {
				rc = CLI_EXIT_ERROR;
				goto out;
			}
			o.debug_dirs = nd;
			o.debug_dirs[o.ndebug_dirs++] = optarg;
			break;
		}
		case O_UNWIND_MEM:
			if (parse_size(optarg, &o.ro.unwind_mem) || o.ro.unwind_mem < 8192 || o.ro.unwind_mem > (16ull << 30)) {
				cli_usage_error(c, "--unwind-mem: '%s' is not a size between 8K and 16G (e.g. 64M)", optarg);
				goto out;
			}
			break;
		case O_OVERWRITE: o.ro.overwrite = 1; break;
		case O_WINDOW:
		case O_POST:
		case O_SNAP_INTERVAL: {
			const char *name = ch == O_WINDOW ? "--window" : ch == O_POST ? "--post" : "--snapshot-interval";
			uint64_t *v = ch == O_WINDOW ? &o.ro.window_ns : ch == O_POST ? &o.ro.post_ns
										   : &o.ro.snapshot_interval_ns;
			if (parse_duration(optarg, v) || (ch == O_WINDOW && !*v)) {
				cli_usage_error(c, "%s: '%s' is not a duration (30s, 500ms, 2m)", name, optarg);
				goto out;
			}
			break;
		}
		case O_WINDOW_SIZE:
			if (parse_size(optarg, &o.ro.window_bytes) || o.ro.window_bytes < (1u << 20) ||
			    o.ro.window_bytes > (64ull << 30)) {
				cli_usage_error(c, "--window-size: '%s' is not a size between 1M and 64G (e.g. 256M)", optarg);
				goto out;
			}
			break;
		case O_SNAP_ON: o.ro.snapshot_on = optarg; break;
		case O_CONTROL: o.ro.control = optarg; break;
		case O_AS_USER:
			o.as_user = 1;
			o.as_user_spec = optarg;
			break;
		case O_OFFCPU_MIN:
			if (parse_duration(optarg, &o.ro.offcpu_min_ns)) {
				cli_usage_error(c, "--offcpu-min: '%s' is not a duration (1us, 10ms)", optarg);
				goto out;
			}
			break;
		case 'F': {
			uint64_t max = profile_max_freq();
			if (cli_parse_u64(c, "-F", optarg, 1, max, &o.ro.freq))
				goto out; /* the message gives the range: kernel.perf_event_max_sample_rate */
			o.ro.profile = 1;
			break;
		}
		case 'h':
			cli_help(c);
			rc = CLI_EXIT_OK;
			goto out;
		default:
			rc = cli_bad_option(c);
			goto out;
		}
	}
	if (optind < argc)
		o.ro.cmd = argv + optind;
	if (o.ro.cmd && o.npids) {
		cli_usage_error(c, "a command cannot be combined with -p (-a -- CMD records everything while CMD runs)");
		goto out;
	}
	if (o.as_user && !o.ro.cmd) {
		cli_usage_error(c, "--as-user is for the command trec starts: give it after --");
		goto out;
	}
	if (o.as_user && as_user_resolve(&o.user, o.as_user_spec, &err)) {
		cli_usage_error(c, "%s", err.msg);
		goto out;
	}
	if (!o.ro.overwrite && (o.ro.window_ns || o.ro.window_bytes || o.ro.post_ns || o.ro.snapshot_on)) {
		cli_usage_error(c, "--window, --window-size, --post and --snapshot-on are for --overwrite");
		goto out;
	}
	if (o.ro.overwrite && (o.ro.switch_size || o.ro.switch_ns)) {
		cli_usage_error(c, "--overwrite writes one file per snapshot: it excludes --switch-output");
		goto out;
	}
	if (o.npids && o.ro.all) {
		cli_usage_error(c, "-p and -a exclude each other");
		goto out;
	}
	if (!have_plan) {
		if (plan_init(&o.plan, &err)) {
			cli_err(c, "%s", err.msg);
			rc = CLI_EXIT_ERROR;
			goto out;
		}
		have_plan = 1;
	}
	/* No event named: a CPU profile, as perf record's default (cpu-clock
	 * here: it works in VMs, where most PMUs are missing). */
	if (!o.plan.n && !o.ro.profile && !o.ro.offcpu && !o.probes.nspecs) {
		o.ro.profile = 1;
		o.ro.clock = PROFILE_CPU_CLOCK;
	}
	if (o.ro.profile && !o.ro.freq) {
		uint64_t max = profile_max_freq();
		o.ro.freq = REC_DEFAULT_FREQ < max ? REC_DEFAULT_FREQ : max;
		if (o.ro.freq < REC_DEFAULT_FREQ && !o.quiet)
			cli_warn(c, "sampling at %llu Hz, not the default %u: kernel.perf_event_max_sample_rate is %llu",
				 (unsigned long long)o.ro.freq, REC_DEFAULT_FREQ, (unsigned long long)max);
	}
	rc = run_record(&o, argc, argv);
out:
	probe_set_free(&o.probes);
	if (have_plan)
		plan_free(&o.plan);
	free(o.pids);
	cgroup_set_free(&o.cgroups);
	free(o.debug_dirs);
	as_user_free(&o.user);
	return rc;
}
