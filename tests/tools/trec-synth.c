/* SPDX-License-Identifier: MIT */
/* trec-synth: writes a deterministic synthetic trace (see tests/lib/synth.h)
 * for tests, benchmarks and the demo. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: trec-synth -o FILE [-n EVENTS] [--profile mixed|syscalls] [--seed N]\n"
		   "                  [--cpus N] [-z LEVEL] [-f] [--no-footer]\n"
		   "  --no-footer  leave the file as a killed recorder would (no index)\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, 0, 'o' }, { "events", required_argument, 0, 'n' },
		{ "profile", required_argument, 0, 'p' }, { "seed", required_argument, 0, 's' },
		{ "cpus", required_argument, 0, 'c' }, { "compression-level", required_argument, 0, 'z' },
		{ "force", no_argument, 0, 'f' }, { "no-footer", no_argument, 0, 'N' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *out = NULL;
	struct synth_opts so = { .events = 100000 };
	struct trec_writer_opts wo = { .sz = sizeof(wo) };
	int force = 0, no_footer = 0, c;
	while ((c = getopt_long(argc, argv, "o:n:z:fh", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'n': so.events = strtoull(optarg, NULL, 0); break;
		case 'p':
			if (!strcmp(optarg, "syscalls"))
				so.profile = SYNTH_SYSCALLS;
			else if (strcmp(optarg, "mixed")) {
				fprintf(stderr, "trec-synth: unknown profile '%s'\n", optarg);
				return 2;
			}
			break;
		case 's': so.seed = strtoull(optarg, NULL, 0); break;
		case 'c': so.ncpus = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'z': wo.level = atoi(optarg); break;
		case 'f': force = 1; break;
		case 'N': no_footer = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!out || optind != argc) {
		usage(stderr);
		return 2;
	}
	struct trec_writer *w;
	struct trec_err e = { 0 };
	int r = trec_writer_open(&w, out, force, &wo, &e);
	if (r < 0) {
		fprintf(stderr, "trec-synth: %s\n", trec_errmsg(&e, r));
		return 1;
	}
	struct synth s;
	r = synth_init(&s, &so);
	if (!r)
		r = synth_write(&s, w);
	synth_free(&s);
	if (r < 0) {
		fprintf(stderr, "trec-synth: writing %s: %s\n", out, trec_writer_error(w) ? trec_writer_error(w) : strerror(-r));
		trec_writer_abandon(w);
		return 1;
	}
	if (no_footer) {
		r = trec_writer_flush(w);
		trec_writer_abandon(w);
	} else {
		r = trec_writer_close(w, &e);
	}
	if (r < 0) {
		fprintf(stderr, "trec-synth: %s\n", trec_errmsg(&e, r));
		return 1;
	}
	return 0;
}
