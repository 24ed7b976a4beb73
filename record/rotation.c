/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rotation.h"

void rotation_init(struct rotation *r, const struct rotation_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->o = *o;
}

static uint64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The local time to the millisecond: 20240131235959123. */
static void time_stamp(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	char stamp[64];
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	snprintf(buf, len, "%s%03ld", stamp, ts.tv_nsec / 1000000);
}

void rotation_next_name(const struct rotation *r, char *buf, size_t len)
{
	if (!r->o.switch_size && !r->o.switch_ns) {
		snprintf(buf, len, "%s", r->o.base);
		return;
	}
	char stamp[80];
	time_stamp(stamp, sizeof(stamp));
	snprintf(buf, len, "%s.%s", r->o.base, stamp);
}

void rotation_snapshot_name(const struct rotation *r, uint64_t seq, char *buf, size_t len)
{
	char stamp[80];
	time_stamp(stamp, sizeof(stamp));
	snprintf(buf, len, "%s.%04llu.%s", r->o.base, (unsigned long long)seq, stamp);
}

void rotation_opened(struct rotation *r, uint64_t now_ns)
{
	r->files++;
	r->file_start_ns = now_ns;
}

static uint64_t current_bytes(struct trec_writer *w)
{
	if (!w)
		return 0;
	struct trec_writer_stats ws;
	trec_writer_stats(w, &ws);
	return ws.file_bytes;
}

int rotation_due(const struct rotation *r, struct trec_writer *w, uint64_t now_ns)
{
	if (r->o.switch_ns && now_ns - r->file_start_ns >= r->o.switch_ns)
		return 1;
	return r->o.switch_size && current_bytes(w) >= r->o.switch_size;
}

int rotation_limit_reached(const struct rotation *r, struct trec_writer *w)
{
	return r->o.max_size && rotation_bytes(r, w) >= r->o.max_size;
}

uint64_t rotation_bytes(const struct rotation *r, struct trec_writer *w)
{
	return r->bytes_done + current_bytes(w);
}

void rotation_closed(struct rotation *r, const char *path)
{
	r->bytes_done += file_size(path);
}

static void *closer_main(void *arg)
{
	struct rotation *r = arg;
	r->closer.rc = trec_writer_close(r->closer.w, &r->closer.err);
	r->closer.w = NULL;
	r->closer.bytes = file_size(r->closer.path);
	return NULL;
}

int rotation_close_behind(struct rotation *r, struct trec_writer *old, const char *path, struct trec_err *err)
{
	r->closer.w = old;
	snprintf(r->closer.path, sizeof(r->closer.path), "%s", path);
	memset(&r->closer.err, 0, sizeof(r->closer.err));
	if (pthread_create(&r->closer.th, NULL, closer_main, r) == 0) {
		r->closer.active = 1;
		return 0;
	}
	closer_main(r); /* no thread: close here */
	r->bytes_done += r->closer.bytes;
	if (r->closer.rc && err)
		*err = r->closer.err;
	return r->closer.rc;
}

int rotation_join(struct rotation *r, struct trec_err *err)
{
	if (!r->closer.active)
		return 0;
	pthread_join(r->closer.th, NULL);
	r->closer.active = 0;
	r->bytes_done += r->closer.bytes;
	if (r->closer.rc && err)
		*err = r->closer.err;
	return r->closer.rc;
}
