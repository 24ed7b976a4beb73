/* SPDX-License-Identifier: MIT */
/*
 * trec: the front command. `trec <command> [args]` runs one subcommand,
 * git-style. The same source builds two binaries: the full trec, and
 * with -DTREC_ANALYSIS_ONLY the analysis-only one (`make report`) that
 * links no libbpf/libelf, for machines that only read traces.
 */
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#ifndef TREC_ANALYSIS_ONLY
#include "record_cmds.h"
#endif

#ifndef TREC_VERSION
#define TREC_VERSION "unknown"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "info", cmd_info, "describe a trace: metadata, event types, blocks, time span, losses" },
	{ "script", cmd_script, "print every event in time order, as text or JSON lines" },
	{ "recover", cmd_recover, "repair a cut trace in place: drop the partial tail, add an index" },
	{ "report", cmd_report, "summaries, histograms, latency and profiles of one or more traces" },
	{ "flamegraph", cmd_flamegraph, "interactive SVG flame graphs from folded stacks, traces or perf script" },
	{ "convert", cmd_convert, "traces into pprof, perf script text and other formats tools read" },
#ifndef TREC_ANALYSIS_ONLY
	/* The recorder's commands; the analysis-only build answers for them
	 * below instead. */
	{ "record", cmd_record, "capture tracepoints, probes, CPU samples and process history" },
	{ "list", cmd_list, "list the tracepoints, or a binary's functions and USDT probes" },
#endif
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

#ifdef TREC_ANALYSIS_ONLY
/* Commands of the full build that this one leaves out on purpose: named
 * so the user learns why, rather than reading "unknown command". */
static const char *const recorder_commands[] = { "record", "list" };
#define NRECORDER (sizeof(recorder_commands) / sizeof(recorder_commands[0]))
#endif

static void list_commands(FILE *f)
{
	fprintf(f, "usage: trec <command> [options]\n\n"
		   "trec records BPF events into one self-describing trace file and analyses it.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
#ifdef TREC_ANALYSIS_ONLY
	fprintf(f, "\nThis trec is the analysis-only build: record and list need the full build (make).\n");
#endif
	fprintf(f, "\n'trec help <command>' or 'trec <command> --help' shows a command's options;\n"
		   "'trec --version' the version. docs/CLI.md describes every command.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Optimal string alignment distance (Levenshtein plus swapping two
 * neighbours): "ifno" is one step from "info". Names here are short. */
static size_t edit_distance(const char *a, const char *b)
{
	enum { MAXLEN = 32 };
	size_t la = strlen(a), lb = strlen(b);
	if (la >= MAXLEN || lb >= MAXLEN)
		return la > lb ? la : lb;
	size_t d[MAXLEN + 1][MAXLEN + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t k = 0; k <= lb; k++)
		d[0][k] = k;
	for (size_t i = 1; i <= la; i++) {
		for (size_t k = 1; k <= lb; k++) {
			size_t cost = a[i - 1] != b[k - 1];
			size_t v = d[i - 1][k] + 1;
			if (d[i][k - 1] + 1 < v)
				v = d[i][k - 1] + 1;
			if (d[i - 1][k - 1] + cost < v)
				v = d[i - 1][k - 1] + cost;
			if (i > 1 && k > 1 && a[i - 1] == b[k - 2] && a[i - 2] == b[k - 1] &&
			    d[i - 2][k - 2] + 1 < v)
				v = d[i - 2][k - 2] + 1;
			d[i][k] = v;
		}
	}
	return d[la][lb];
}

/* The closest command name, if close enough to be a plausible typo (or
 * the start of a name: "scr"). */
static const char *suggest(const char *name)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *c = commands[i].name;
		size_t d = strncmp(c, name, strlen(name)) == 0 ? 1 : edit_distance(name, c);
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	size_t len = strlen(name);
	size_t limit = len <= 3 ? 1 : 2;
	return best && best_d <= limit ? best : NULL;
}

static int unknown_command(const char *name)
{
#ifdef TREC_ANALYSIS_ONLY
	for (size_t i = 0; i < NRECORDER; i++) {
		if (!strcmp(name, recorder_commands[i])) {
			fprintf(stderr, "trec %s: this trec was built without the recorder (make report); "
					"build with make\n", name);
			return CLI_EXIT_USAGE;
		}
	}
#endif
	fprintf(stderr, "trec: '%s' is not a trec command.", name);
	const char *s = suggest(name);
	if (s)
		fprintf(stderr, " Did you mean '%s'?", s);
	fprintf(stderr, "\nRun 'trec --help' for the list of commands.\n");
	return CLI_EXIT_USAGE;
}

static int run(const struct command *c, int argc, char **argv)
{
	/* argv[0] becomes "trec CMD": getopt's messages then name the command. */
	char prog[64];
	snprintf(prog, sizeof(prog), "trec %s", c->name);
	argv[0] = prog;
	return c->fn(argc, argv);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		/* No command is a usage error, but a helpful one. */
		list_commands(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    (!strcmp(cmd, "help") && argc == 2)) {
		list_commands(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("trec " TREC_VERSION "\n");
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "help")) {
		/* `trec help CMD` is `trec CMD --help`. */
		const struct command *c = find_command(argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		char help[] = "--help";
		char *hv[] = { argv[2], help, NULL };
		return run(c, 2, hv);
	}
	if (cmd[0] == '-') {
		fprintf(stderr, "trec: unknown option '%s' (options go after the command: "
				"trec <command> [options])\nRun 'trec --help' for the list of commands.\n",
			cmd);
		return CLI_EXIT_USAGE;
	}
	const struct command *c = find_command(cmd);
	if (!c)
		return unknown_command(cmd);
	return run(c, argc - 1, argv + 1);
}
