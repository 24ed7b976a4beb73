/* SPDX-License-Identifier: MIT */
/*
 * The bare consumer for the recorder benchmark: loads bench/bare_tp.bpf.c,
 * drains its ring every 10 ms and writes the raw records to a file with
 * plain buffered writes. Nothing else: no encoding, no compression, no
 * side-band. Stops on SIGINT/SIGTERM or after -d SECONDS.
 *
 *   bare_consumer -o FILE [-d SECONDS] [-r]
 *   -r: the BTF raw tracepoint program instead of the tracefs one
 * Prints: events=N lost=M bytes=B
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bare_tp.skel.h"

static volatile sig_atomic_t stop;
static FILE *out;
static unsigned long long events, bytes;

static void on_signal(int sig) { (void)sig; stop = 1; }

static int on_rec(void *ctx, void *data, size_t size)
{
	(void)ctx;
	fwrite(data, 1, size, out);
	events++;
	bytes += size;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	double secs = 0;
	int c, raw = 0;
	while ((c = getopt(argc, argv, "o:d:r")) != -1) {
		if (c == 'r')
			raw = 1;
		else if (c == 'o')
			path = optarg;
		else if (c == 'd')
			secs = atof(optarg);
		else
			return 2;
	}
	if (!path) {
		fprintf(stderr, "usage: bare_consumer -o FILE [-d SECONDS] [-r]\n");
		return 2;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	struct bare_tp *s = bare_tp__open();
	if (!s)
		return 1;
	s->rodata->self_tgid = (unsigned)getpid();
	struct bpf_program *prog = bpf_object__find_program_by_name(s->obj, raw ? "bare_sys_enter_btf" : "bare_sys_enter");
	if (!prog) {
		fprintf(stderr, "bare_consumer: no %s program on this architecture\n", raw ? "raw" : "tracepoint");
		return 1;
	}
	bpf_program__set_autoload(prog, true);
	if (bare_tp__load(s) || bare_tp__attach(s)) {
		fprintf(stderr, "bare_consumer: cannot load/attach: %s\n", strerror(errno));
		return 1;
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(s->maps.ring), on_rec, NULL, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		usleep(10000);
		ring_buffer__consume(rb);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (secs > 0 && (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) * 1e-9 >= secs)
			break;
	}
	bare_tp__detach(s);
	ring_buffer__consume(rb);
	fclose(out);
	printf("events=%llu lost=%llu bytes=%llu\n", events, (unsigned long long)s->bss->lost, bytes);
	ring_buffer__free(rb);
	bare_tp__destroy(s);
	return 0;
}
