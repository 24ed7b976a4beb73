/* SPDX-License-Identifier: MIT */
/*
 * Streaming writer: see writer.h for the contract.
 *
 * Threads: the caller (one thread) adds records and seals buffers into a
 * bounded queue; the compressor thread encodes, compresses and appends each
 * queued block. Only the queue and counters are shared, under `lock`.
 * Layouts are published once per type id before any event of that type is
 * queued, and never change, so the compressor reads them without a lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"
#include "buf.h"
#include "opts.h"
#include "reader.h"
#include "writer.h"

#define MAX_STREAMS 8192u        /* CPUs; a stream per CPU */
#define BATCH_RECORDS 4096u      /* small-kind records per block */
#define KSYMS_PER_BLOCK 65536u

/* A sealed block waiting for the compressor. */
struct pending {
	uint16_t kind;
	uint32_t stream;
	uint32_t count;
	uint64_t first_ts, last_ts;
	struct trec_evbuf *ev; /* events: encoded by the compressor */
	struct tbuf raw;       /* other kinds: payload already encoded */
};

/* Records of one small kind gathered until they fill a block. Items are
 * deep copies (strings and arrays in `arena`). */
struct batch {
	uint16_t kind;
	size_t elem;
	size_t n, cap;
	void *items;
	struct tarena arena;
	uint64_t first_ts, last_ts;
	int (*encode)(struct tbuf *out, const void *items, size_t n);
};

struct stack_slot {
	uint64_t hash;
	uint32_t id;
	uint16_t nk, nu;
	const uint64_t *ips;
};

struct trec_writer {
	int fd;
	char *path;
	struct trec_writer_opts o;

	/* caller side */
	struct trec_evbuf **streams;
	uint32_t nstreams;
	struct trec_layout **layouts; /* by type id; [TREC_MAX_TYPE_ID + 1] */
	uint64_t *type_counts;        /* by type id */
	struct batch meta, schema, stacks, tasks, maps, syms, ksyms, loss, symext, taskctx;
	struct stack_slot *stab;      /* open-addressing table of distinct stacks */
	uint32_t stab_cap, nstacks;
	struct tarena stack_arena;
	uint64_t events, lost;

	/* shared, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cv_work, cv_space, cv_idle;
	struct pending **queue;
	unsigned qhead, qlen, qcap;
	unsigned in_flight;
	struct trec_evbuf **pool; /* spare evbufs */
	unsigned npool, pool_cap;
	int stop;
	int err;                  /* sticky negative errno */
	char errmsg[512];
	uint64_t blocks, raw_bytes, file_bytes, events_dropped, events_written;
	size_t mem_queued;
	size_t mem_peak;
	pthread_t thread;
	int thread_started;

	/* compressor side (the thread, or the caller when inline) */
	ZSTD_CCtx *zc;
	struct tbuf enc, comp;
	struct trec_layout_table lt;
	struct trec_index_entry *index;
	uint32_t nindex, index_cap;
	uint64_t good_end; /* end of the last completely written block */
};

/* ------------------------------------------------------------------------ */

static int set_error(struct trec_writer *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Caller holds w->lock or is the only thread. */
static int set_error(struct trec_writer *w, int code, const char *fmt, ...)
{
	if (!w->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
		va_end(ap);
		w->err = code;
	}
	return w->err;
}

const char *trec_writer_error(struct trec_writer *w)
{
	return w->err ? w->errmsg : NULL;
}

static int write_all(int fd, const struct iovec *iov, int n)
{
	struct iovec v[4];
	memcpy(v, iov, sizeof(*iov) * (size_t)n);
	int i = 0;
	while (i < n) {
		ssize_t r = writev(fd, v + i, n - i);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		size_t left = (size_t)r;
		while (i < n && left >= v[i].iov_len)
			left -= v[i++].iov_len;
		if (i < n) {
			v[i].iov_base = (char *)v[i].iov_base + left;
			v[i].iov_len -= left;
		}
	}
	return 0;
}

/* Compresses `raw` and appends one block at good_end. Compressor side. */
static int emit_block(struct trec_writer *w, uint16_t kind, uint32_t stream, uint32_t count,
		      uint64_t first_ts, uint64_t last_ts, const struct tbuf *raw)
{
	struct trec_block_header h = {
		.kind = kind, .stream = stream, .count = count, .first_ts = first_ts, .last_ts = last_ts,
	};
	const void *payload;
	int r = trec_block_seal(w->zc, w->o.level, &h, raw->data, raw->len, &w->comp, &payload);
	if (r < 0)
		return r;
	uint8_t hb[TREC_BLOCK_HEADER_SIZE];
	trec_block_header_pack(&h, hb);
	struct iovec iov[2] = { { hb, sizeof(hb) }, { (void *)payload, h.comp_len } };
	r = write_all(w->fd, iov, h.comp_len ? 2 : 1);
	if (r < 0) {
		/* Drop the partial block so the file still ends on a block boundary. */
		if (ftruncate(w->fd, (off_t)w->good_end) == 0)
			lseek(w->fd, (off_t)w->good_end, SEEK_SET);
		return r;
	}
	if (w->nindex == w->index_cap) {
		uint32_t cap = w->index_cap ? w->index_cap * 2 : 256;
		void *p = realloc(w->index, cap * sizeof(*w->index));
		if (!p)
			return -ENOMEM;
		w->index = p;
		w->index_cap = cap;
	}
	w->index[w->nindex++] = (struct trec_index_entry){
		.offset = w->good_end, .kind = kind, .stream = stream, .count = count,
		.comp_len = h.comp_len, .raw_len = h.raw_len, .first_ts = first_ts, .last_ts = last_ts,
	};
	w->good_end += sizeof(hb) + h.comp_len;
	return 0;
}

/* Encodes (events) and writes one pending block. Compressor side. */
static int process(struct trec_writer *w, struct pending *p, char *msg, size_t msglen)
{
	const struct tbuf *raw = &p->raw;
	if (p->ev) {
		struct trec_err e = { 0 };
		tbuf_reset(&w->enc);
		int r = trec_events_encode(p->ev, &w->lt, &w->enc, &e);
		if (r < 0) {
			snprintf(msg, msglen, "%s", trec_errmsg(&e, r));
			return r;
		}
		raw = &w->enc;
	}
	int r = emit_block(w, p->kind, p->stream, p->count, p->first_ts, p->last_ts, raw);
	if (r < 0)
		snprintf(msg, msglen, "writing %s block to %s: %s", trec_block_kind_name(p->kind), w->path,
			 strerror(-r));
	else {
		pthread_mutex_lock(&w->lock);
		w->blocks++;
		if (p->kind == TREC_BLK_EVENTS)
			w->events_written += p->count;
		w->raw_bytes += raw->len;
		w->file_bytes = w->good_end;
		pthread_mutex_unlock(&w->lock);
	}
	return r;
}

static size_t pending_mem(const struct pending *p)
{
	return p->ev ? trec_evbuf_bytes(p->ev) : p->raw.cap;
}

/* Returns the pending block's buffers to the pool and frees it. Lock held. */
static void retire(struct trec_writer *w, struct pending *p)
{
	w->mem_queued -= pending_mem(p);
	if (p->ev) {
		trec_evbuf_reset(p->ev);
		if (w->npool < w->pool_cap)
			w->pool[w->npool++] = p->ev;
		else
			trec_evbuf_free(p->ev);
	}
	tbuf_free(&p->raw);
	free(p);
}

static void *compressor_main(void *arg)
{
	struct trec_writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->qlen && !w->stop)
			pthread_cond_wait(&w->cv_work, &w->lock);
		if (!w->qlen)
			break;
		struct pending *p = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % w->qcap;
		w->qlen--;
		w->in_flight++;
		int failed = w->err != 0;
		pthread_mutex_unlock(&w->lock);

		char msg[400] = "";
		int r = failed ? 0 : process(w, p, msg, sizeof(msg));

		pthread_mutex_lock(&w->lock);
		if (failed && p->kind == TREC_BLK_EVENTS)
			w->events_dropped += p->count;
		if (r < 0) {
			set_error(w, r, "%s", msg);
			if (p->kind == TREC_BLK_EVENTS)
				w->events_dropped += p->count;
		}
		retire(w, p);
		w->in_flight--;
		pthread_cond_broadcast(&w->cv_space);
		if (!w->qlen && !w->in_flight)
			pthread_cond_broadcast(&w->cv_idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Hands a sealed block to the compressor (or processes it inline). */
static int enqueue(struct trec_writer *w, struct pending *p, int may_block)
{
	if (w->o.inline_compress) {
		char msg[400] = "";
		int r = w->err ? w->err : process(w, p, msg, sizeof(msg));
		if (r < 0 && !w->err)
			set_error(w, r, "%s", msg);
		if (r < 0 && p->kind == TREC_BLK_EVENTS)
			w->events_dropped += p->count;
		w->mem_queued += pending_mem(p);
		retire(w, p);
		return w->err;
	}
	pthread_mutex_lock(&w->lock);
	while (w->qlen == w->qcap && !w->err) {
		if (!may_block) {
			pthread_mutex_unlock(&w->lock);
			return -EAGAIN;
		}
		pthread_cond_wait(&w->cv_space, &w->lock);
	}
	int err = w->err;
	if (!err) {
		w->queue[(w->qhead + w->qlen) % w->qcap] = p;
		w->qlen++;
		w->mem_queued += pending_mem(p);
		pthread_cond_signal(&w->cv_work);
	}
	pthread_mutex_unlock(&w->lock);
	if (err) {
		pthread_mutex_lock(&w->lock);
		if (p->kind == TREC_BLK_EVENTS)
			w->events_dropped += p->count;
		w->mem_queued += pending_mem(p);
		retire(w, p);
		pthread_mutex_unlock(&w->lock);
	}
	return err;
}

/* ---- small-kind batches ------------------------------------------------- */

static int batch_push(struct batch *b, const void *item, uint64_t ts, int has_ts)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *p = realloc(b->items, cap * b->elem);
		if (!p)
			return -ENOMEM;
		b->items = p;
		b->cap = cap;
	}
	memcpy((char *)b->items + b->n * b->elem, item, b->elem);
	if (has_ts) {
		if (!b->n || ts < b->first_ts)
			b->first_ts = ts;
		if (!b->n || ts > b->last_ts)
			b->last_ts = ts;
	}
	b->n++;
	return 0;
}

static int seal_batch(struct trec_writer *w, struct batch *b)
{
	if (!b->n)
		return w->err;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->kind = b->kind;
	p->count = (uint32_t)b->n;
	p->first_ts = b->first_ts;
	p->last_ts = b->last_ts;
	int r = b->encode(&p->raw, b->items, b->n);
	b->n = 0;
	b->first_ts = b->last_ts = 0;
	tarena_free(&b->arena);
	if (r < 0) {
		tbuf_free(&p->raw);
		free(p);
		return r;
	}
	return enqueue(w, p, 1);
}

static char *arena_str(struct tarena *a, const char *s)
{
	return tarena_strdup(a, s ? s : "");
}

/* Encode adapters: the record encoders take typed arrays. */
static int enc_meta(struct tbuf *o, const void *v, size_t n) { return trec_meta_encode(o, v, n); }
static int enc_stack(struct tbuf *o, const void *v, size_t n) { return trec_stack_encode(o, v, n); }
static int enc_task(struct tbuf *o, const void *v, size_t n) { return trec_task_encode(o, v, n); }
static int enc_taskctx(struct tbuf *o, const void *v, size_t n) { return trec_task_ctx_encode(o, v, n); }
static int enc_map(struct tbuf *o, const void *v, size_t n) { return trec_map_encode(o, v, n); }
static int enc_syms(struct tbuf *o, const void *v, size_t n) { return trec_dso_syms_encode(o, v, n); }
static int enc_symext(struct tbuf *o, const void *v, size_t n) { return trec_dso_symext_encode(o, v, n); }
static int enc_ksym(struct tbuf *o, const void *v, size_t n) { return trec_ksym_encode(o, v, n); }
static int enc_loss(struct tbuf *o, const void *v, size_t n) { return trec_loss_encode(o, v, n); }
static int enc_schema(struct tbuf *o, const void *v, size_t n) { return trec_schema_encode(o, v, n); }

static void batch_init(struct batch *b, uint16_t kind, size_t elem,
		       int (*encode)(struct tbuf *, const void *, size_t))
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->elem = elem;
	b->encode = encode;
	tarena_init(&b->arena);
}

static void batch_free(struct batch *b)
{
	free(b->items);
	tarena_free(&b->arena);
}

/* ---- open / close -------------------------------------------------------- */

static int host_order(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one ? TREC_ORDER_LITTLE : TREC_ORDER_BIG;
}

int trec_writer_fdopen(struct trec_writer **out, int fd, const char *name,
		       const struct trec_writer_opts *opts, struct trec_err *err)
{
	*out = NULL;
	struct trec_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return trec_errf(err, -ENOMEM, "%s: out of memory", name);
	}
	w->fd = fd;
	w->path = strdup(name ? name : "(trace)");
	if (opts_copy(&w->o, sizeof(w->o), opts, opts ? opts->sz : 0)) {
		free(w->path);
		free(w);
		close(fd);
		return trec_errf(err, -EINVAL, "%s: writer options this build does not know are set", name);
	}
	if (!w->o.level)
		w->o.level = TREC_DEFAULT_LEVEL;
	if (w->o.level < ZSTD_minCLevel() || w->o.level > ZSTD_maxCLevel()) {
		int lvl = w->o.level;
		free(w->path);
		free(w);
		close(fd);
		return trec_errf(err, -EINVAL, "compression level %d is outside zstd's %d..%d", lvl,
				 ZSTD_minCLevel(), ZSTD_maxCLevel());
	}
	if (!w->o.block_bytes)
		w->o.block_bytes = 1u << 20;
	if (w->o.block_bytes > TREC_MAX_DECODED_PAYLOAD / 2)
		w->o.block_bytes = TREC_MAX_DECODED_PAYLOAD / 2;
	if (!w->o.queue_blocks)
		w->o.queue_blocks = 8;
	if (!w->o.byte_order)
		w->o.byte_order = (uint8_t)host_order();

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cv_work, NULL);
	pthread_cond_init(&w->cv_space, NULL);
	pthread_cond_init(&w->cv_idle, NULL);
	tbuf_init(&w->enc);
	tbuf_init(&w->comp);
	tarena_init(&w->stack_arena);
	batch_init(&w->meta, TREC_BLK_META, sizeof(struct trec_meta_kv), enc_meta);
	batch_init(&w->schema, TREC_BLK_SCHEMA, sizeof(struct trec_schema), enc_schema);
	batch_init(&w->stacks, TREC_BLK_STACKS, sizeof(struct trec_stack), enc_stack);
	batch_init(&w->tasks, TREC_BLK_TASKS, sizeof(struct trec_task), enc_task);
	batch_init(&w->maps, TREC_BLK_MAPS, sizeof(struct trec_map), enc_map);
	batch_init(&w->syms, TREC_BLK_SYMS, sizeof(struct trec_dso_syms), enc_syms);
	batch_init(&w->ksyms, TREC_BLK_KSYMS, sizeof(struct trec_ksym), enc_ksym);
	batch_init(&w->loss, TREC_BLK_LOSS, sizeof(struct trec_loss), enc_loss);
	batch_init(&w->symext, TREC_BLK_SYMEXT, sizeof(struct trec_dso_syms), enc_symext);
	batch_init(&w->taskctx, TREC_BLK_TASKCTX, sizeof(struct trec_task_ctx), enc_taskctx);

	w->qcap = w->o.queue_blocks;
	w->pool_cap = w->o.queue_blocks + 2;
	w->queue = calloc(w->qcap, sizeof(*w->queue));
	w->pool = calloc(w->pool_cap, sizeof(*w->pool));
	w->layouts = calloc(TREC_MAX_TYPE_ID + 1, sizeof(*w->layouts));
	w->type_counts = calloc(TREC_MAX_TYPE_ID + 1, sizeof(*w->type_counts));
	w->zc = ZSTD_createCCtx();
	w->lt.n = TREC_MAX_TYPE_ID + 1;
	w->lt.by_id = (const struct trec_layout **)w->layouts;
	if (!w->queue || !w->pool || !w->layouts || !w->type_counts || !w->zc) {
		trec_writer_abandon(w);
		return trec_errf(err, -ENOMEM, "%s: out of memory", name);
	}

	struct trec_file_header fh = {
		.major = TREC_VERSION_MAJOR, .minor = TREC_VERSION_MINOR,
		.byte_order = w->o.byte_order, .created_ns = w->o.created_ns,
	};
	if (!fh.created_ns) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		fh.created_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	if (getrandom(fh.file_id, sizeof(fh.file_id), 0) != (ssize_t)sizeof(fh.file_id))
		memcpy(fh.file_id, &fh.created_ns, sizeof(fh.created_ns));
	uint8_t hb[TREC_FILE_HEADER_SIZE];
	trec_file_header_pack(&fh, hb);
	struct iovec iov = { hb, sizeof(hb) };
	int r = write_all(fd, &iov, 1);
	if (r < 0) {
		trec_errf(err, r, "writing header of %s: %s", w->path, strerror(-r));
		trec_writer_abandon(w);
		return r;
	}
	w->good_end = w->file_bytes = sizeof(hb);

	if (!w->o.inline_compress) {
		r = -pthread_create(&w->thread, NULL, compressor_main, w);
		if (r) {
			trec_errf(err, r, "%s: cannot start compressor thread: %s", w->path, strerror(-r));
			trec_writer_abandon(w);
			return r;
		}
		w->thread_started = 1;
	}
	*out = w;
	return 0;
}

int trec_writer_open(struct trec_writer **out, const char *path, int force,
		     const struct trec_writer_opts *opts, struct trec_err *err)
{
	*out = NULL;
	if (force) {
		/* Replace, never write through: a symlink or file at path is removed
		 * and a new file created in its place. */
		if (unlink(path) < 0 && errno != ENOENT)
			return trec_errf(err, -errno, "cannot replace %s: %s", path, strerror(errno));
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		if (e == EEXIST)
			return trec_errf(err, -e, "%s already exists: use -f to overwrite it, or -o to name another file",
					 path);
		return trec_errf(err, -e, "cannot create %s: %s", path, strerror(e));
	}
	return trec_writer_fdopen(out, fd, path, opts, err);
}

static int seal_stream(struct trec_writer *w, uint32_t s, int may_block)
{
	struct trec_evbuf *b = w->streams[s];
	if (!b || !trec_evbuf_count(b))
		return 0;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->kind = TREC_BLK_EVENTS;
	p->stream = s;
	p->count = trec_evbuf_count(b);
	p->first_ts = trec_evbuf_first_ts(b);
	p->last_ts = trec_evbuf_last_ts(b);
	p->ev = b;
	/* A fresh buffer for the stream, recycled from a written block if possible. */
	struct trec_evbuf *nb = NULL;
	if (!w->o.inline_compress)
		pthread_mutex_lock(&w->lock);
	if (w->npool)
		nb = w->pool[--w->npool];
	if (!w->o.inline_compress)
		pthread_mutex_unlock(&w->lock);
	if (!nb)
		nb = trec_evbuf_new();
	if (!nb) {
		free(p);
		return -ENOMEM;
	}
	int r = enqueue(w, p, may_block);
	if (r == -EAGAIN) {
		/* Keep the full buffer; the caller decides what to drop. */
		free(p);
		if (!w->o.inline_compress)
			pthread_mutex_lock(&w->lock);
		if (w->npool < w->pool_cap)
			w->pool[w->npool++] = nb;
		else
			trec_evbuf_free(nb);
		if (!w->o.inline_compress)
			pthread_mutex_unlock(&w->lock);
		return r;
	}
	w->streams[s] = nb;
	return r;
}

/* Schemas and metadata go out before the events that need them. */
static int seal_headers(struct trec_writer *w)
{
	int r = seal_batch(w, &w->meta);
	if (!r)
		r = seal_batch(w, &w->schema);
	return r;
}

int trec_writer_seal(struct trec_writer *w)
{
	int r = seal_headers(w);
	for (uint32_t s = 0; !r && s < w->nstreams; s++) {
		r = seal_stream(w, s, !w->o.nonblocking);
		if (r == -EAGAIN)
			r = 0; /* the queue is full: the buffer stays open, nothing is lost */
	}
	struct batch *bs[] = { &w->stacks, &w->tasks, &w->taskctx, &w->maps, &w->syms, &w->symext, &w->ksyms, &w->loss };
	for (size_t i = 0; !r && i < sizeof(bs) / sizeof(bs[0]); i++)
		r = seal_batch(w, bs[i]);
	return r ? r : w->err;
}

int trec_writer_flush(struct trec_writer *w)
{
	int r = seal_headers(w);
	for (uint32_t s = 0; !r && s < w->nstreams; s++)
		r = seal_stream(w, s, 1);
	struct batch *bs[] = { &w->stacks, &w->tasks, &w->taskctx, &w->maps, &w->syms, &w->symext, &w->ksyms, &w->loss };
	for (size_t i = 0; !r && i < sizeof(bs) / sizeof(bs[0]); i++)
		r = seal_batch(w, bs[i]);
	if (!w->o.inline_compress) {
		pthread_mutex_lock(&w->lock);
		while ((w->qlen || w->in_flight) && !w->err)
			pthread_cond_wait(&w->cv_idle, &w->lock);
		if (!r)
			r = w->err;
		pthread_mutex_unlock(&w->lock);
	}
	return r ? r : w->err;
}

static void stop_thread(struct trec_writer *w)
{
	if (!w->thread_started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv_work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->thread_started = 0;
}

static void writer_free(struct trec_writer *w)
{
	for (uint32_t s = 0; s < w->nstreams; s++)
		trec_evbuf_free(w->streams[s]);
	free(w->streams);
	for (unsigned i = 0; i < w->qlen; i++) {
		struct pending *p = w->queue[(w->qhead + i) % w->qcap];
		trec_evbuf_free(p->ev);
		tbuf_free(&p->raw);
		free(p);
	}
	for (unsigned i = 0; i < w->npool; i++)
		trec_evbuf_free(w->pool[i]);
	free(w->queue);
	free(w->pool);
	if (w->layouts) {
		for (uint32_t i = 0; i <= TREC_MAX_TYPE_ID; i++) {
			if (w->layouts[i]) {
				trec_layout_free(w->layouts[i]);
				free(w->layouts[i]);
			}
		}
	}
	free(w->layouts);
	free(w->type_counts);
	struct batch *bs[] = { &w->meta, &w->schema, &w->stacks, &w->tasks, &w->maps,
			       &w->syms, &w->symext, &w->ksyms, &w->loss, &w->taskctx };
	for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++)
		batch_free(bs[i]);
	free(w->stab);
	tarena_free(&w->stack_arena);
	ZSTD_freeCCtx(w->zc);
	tbuf_free(&w->enc);
	tbuf_free(&w->comp);
	free(w->index);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cv_work);
	pthread_cond_destroy(&w->cv_space);
	pthread_cond_destroy(&w->cv_idle);
	free(w->path);
	free(w);
}

void trec_writer_abandon(struct trec_writer *w)
{
	if (!w)
		return;
	stop_thread(w);
	if (w->fd >= 0)
		close(w->fd);
	writer_free(w);
}

/* Totals of what reached the file, counted by reading it back: used when
 * blocks were dropped after a write error, so the index never claims
 * events the file does not hold. */
static int totals_from_file(struct trec_writer *w, struct trec_index *ix)
{
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", w->fd);
	struct trec_reader_opts ro = { .sz = sizeof(ro), .ignore_corrupt = 1, .no_index = 1 };
	struct trec_reader *r;
	int rc = trec_reader_open(&r, fdpath, &ro, NULL);
	if (rc < 0)
		return rc;
	const struct trec_totals *t;
	rc = trec_reader_totals(r, &t, NULL);
	if (!rc) {
		ix->events = t->events;
		ix->lost = t->lost;
		ix->ntypes = t->ntypes;
		ix->types = calloc(t->ntypes ? t->ntypes : 1, sizeof(*ix->types));
		if (!ix->types)
			rc = -ENOMEM;
		else if (t->ntypes)
			memcpy(ix->types, t->types, t->ntypes * sizeof(*ix->types));
	}
	trec_reader_close(r);
	return rc;
}

static int write_footer(struct trec_writer *w)
{
	struct trec_index ix = {
		.nentries = w->nindex, .entries = w->index, .events = w->events, .lost = w->lost,
	};
	if (w->events_dropped || w->err) {
		int rc = totals_from_file(w, &ix);
		if (rc < 0)
			return rc;
	} else {
		uint32_t ntypes = 0;
		for (uint32_t t = 0; t <= TREC_MAX_TYPE_ID; t++)
			ntypes += w->type_counts[t] != 0;
		ix.types = calloc(ntypes ? ntypes : 1, sizeof(*ix.types));
		if (!ix.types)
			return -ENOMEM;
		for (uint32_t t = 0; t <= TREC_MAX_TYPE_ID; t++)
			if (w->type_counts[t])
				ix.types[ix.ntypes++] = (struct trec_type_count){ t, w->type_counts[t] };
	}
	tbuf_reset(&w->enc);
	int r = trec_index_encode(&w->enc, &ix);
	free(ix.types);
	if (r < 0)
		return r;
	uint64_t at = w->good_end;
	uint32_t nindex = w->nindex;
	r = emit_block(w, TREC_BLK_INDEX, 0, nindex, 0, 0, &w->enc);
	if (r < 0)
		return r;
	struct trec_trailer t = { .index_offset = at, .index_len = w->good_end - at };
	uint8_t tb[TREC_TRAILER_SIZE];
	trec_trailer_pack(&t, tb);
	struct iovec iov = { tb, sizeof(tb) };
	r = write_all(w->fd, &iov, 1);
	if (r < 0) {
		if (ftruncate(w->fd, (off_t)w->good_end) < 0)
			return r;
		return r;
	}
	w->good_end += sizeof(tb);
	return 0;
}

int trec_writer_close(struct trec_writer *w, struct trec_err *err)
{
	int r = trec_writer_flush(w);
	stop_thread(w);
	/* Even after a write error (disk full) the blocks already written are
	 * whole: try to end the file with an index over them. */
	int fr = write_footer(w);
	if (!r && fr < 0)
		set_error(w, fr, "writing the footer index of %s: %s", w->path, strerror(-fr));
	if (fsync(w->fd) < 0 && errno != EINVAL && !w->err)
		set_error(w, -errno, "syncing %s: %s", w->path, strerror(errno));
	if (close(w->fd) < 0 && !w->err)
		set_error(w, -errno, "closing %s: %s", w->path, strerror(errno));
	w->fd = -1;
	if (!r)
		r = w->err;
	if (r < 0) {
		if (w->err)
			trec_errf(err, r, "%s", w->errmsg);
		else
			trec_errf(err, r, "%s: %s", w->path, strerror(-r));
	}
	writer_free(w);
	return r;
}

/* ---- adding records ------------------------------------------------------- */

int trec_writer_add_meta(struct trec_writer *w, const struct trec_meta_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct trec_meta_kv c = kv[i];
		c.key = arena_str(&w->meta.arena, kv[i].key);
		if (!c.key)
			return -ENOMEM;
		if (c.type == TREC_META_STR || c.type == TREC_META_BYTES) {
			char *s = tarena_alloc(&w->meta.arena, (size_t)c.v.str.len + 1);
			if (!s)
				return -ENOMEM;
			if (c.v.str.len)
				memcpy(s, kv[i].v.str.ptr, c.v.str.len);
			c.v.str.ptr = s;
		}
		int r = batch_push(&w->meta, &c, 0, 0);
		if (r)
			return r;
	}
	return w->err;
}

int trec_writer_add_schema(struct trec_writer *w, const struct trec_schema *s)
{
	int r = trec_schema_validate(s, NULL);
	if (r)
		return r;
	if (w->layouts[s->id])
		return -EEXIST;
	struct tarena *a = &w->schema.arena;
	struct trec_schema c = *s;
	struct trec_field *f = tarena_alloc(a, sizeof(*f) * (s->nfields ? s->nfields : 1));
	c.name = arena_str(a, s->name);
	c.probe = arena_str(a, s->probe);
	if (!f || !c.name || !c.probe)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nfields; i++) {
		f[i] = s->fields[i];
		f[i].name = arena_str(a, s->fields[i].name);
		f[i].ctype = arena_str(a, s->fields[i].ctype);
		if (!f[i].name || !f[i].ctype)
			return -ENOMEM;
	}
	c.fields = f;
	struct trec_layout *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	r = trec_layout_build(s, l);
	if (r) {
		free(l);
		return r;
	}
	r = batch_push(&w->schema, &c, 0, 0);
	if (r) {
		trec_layout_free(l);
		free(l);
		return r;
	}
	/* Published before any event of the type can be queued (queue lock orders it). */
	w->layouts[s->id] = l;
	return w->err;
}

int trec_writer_add_event(struct trec_writer *w, const struct trec_event *ev)
{
	int err = __atomic_load_n(&w->err, __ATOMIC_RELAXED);
	if (__builtin_expect(err != 0, 0))
		return err;
	if (ev->cpu >= MAX_STREAMS || ev->type > TREC_MAX_TYPE_ID || !w->layouts[ev->type])
		return -EINVAL;
	if (__builtin_expect(w->meta.n || w->schema.n, 0)) {
		int r = seal_headers(w);
		if (r)
			return r;
	}
	if (__builtin_expect(ev->cpu >= w->nstreams, 0)) {
		uint32_t n = ev->cpu + 1;
		struct trec_evbuf **s = realloc(w->streams, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		for (uint32_t i = w->nstreams; i < n; i++)
			s[i] = NULL;
		w->streams = s;
		w->nstreams = n;
	}
	struct trec_evbuf *b = w->streams[ev->cpu];
	if (__builtin_expect(!b, 0)) {
		b = w->streams[ev->cpu] = trec_evbuf_new();
		if (!b)
			return -ENOMEM;
	}
	if (trec_evbuf_bytes(b) >= w->o.block_bytes) {
		int r = seal_stream(w, ev->cpu, !w->o.nonblocking);
		if (r)
			return r;
		b = w->streams[ev->cpu];
	}
	int r = trec_evbuf_add(b, ev);
	if (r)
		return r;
	w->events++;
	w->type_counts[ev->type]++;
	return 0;
}

static uint64_t hash_stack(const uint64_t *ips, uint32_t n, uint16_t nk)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n << 16) ^ nk;
	for (uint32_t i = 0; i < n; i++) {
		h ^= ips[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h | 1; /* 0 marks an empty slot */
}

static int stab_grow(struct trec_writer *w)
{
	uint32_t cap = w->stab_cap ? w->stab_cap * 2 : 1024;
	struct stack_slot *t = calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < w->stab_cap; i++) {
		struct stack_slot *s = &w->stab[i];
		if (!s->hash)
			continue;
		uint32_t j = (uint32_t)s->hash & (cap - 1);
		while (t[j].hash)
			j = (j + 1) & (cap - 1);
		t[j] = *s;
	}
	free(w->stab);
	w->stab = t;
	w->stab_cap = cap;
	return 0;
}

int trec_writer_add_stack(struct trec_writer *w, const uint64_t *ips, uint16_t nkernel,
			  uint16_t nuser, uint32_t *id)
{
	uint32_t n = (uint32_t)nkernel + nuser;
	if (n > TREC_MAX_STACK_DEPTH)
		return -E2BIG;
	if ((w->nstacks + 1) * 2 > w->stab_cap) {
		int r = stab_grow(w);
		if (r)
			return r;
	}
	uint64_t h = hash_stack(ips, n, nkernel);
	uint32_t j = (uint32_t)h & (w->stab_cap - 1);
	for (; w->stab[j].hash; j = (j + 1) & (w->stab_cap - 1)) {
		struct stack_slot *s = &w->stab[j];
		if (s->hash == h && s->nk == nkernel && s->nu == nuser &&
		    !memcmp(s->ips, ips, n * sizeof(*ips))) {
			*id = s->id;
			return 0;
		}
	}
	uint64_t *copy = tarena_alloc(&w->stack_arena, n * sizeof(*ips) + 1);
	if (!copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, ips, n * sizeof(*ips));
	struct stack_slot *s = &w->stab[j];
	*s = (struct stack_slot){ .hash = h, .id = ++w->nstacks, .nk = nkernel, .nu = nuser, .ips = copy };
	struct trec_stack st = { .id = s->id, .nkernel = nkernel, .nuser = nuser, .ips = copy };
	int r = batch_push(&w->stacks, &st, 0, 0);
	if (r)
		return r;
	*id = s->id;
	if (w->stacks.n >= BATCH_RECORDS)
		return seal_batch(w, &w->stacks);
	return w->err;
}

int trec_writer_add_task(struct trec_writer *w, const struct trec_task *t)
{
	struct trec_task c = *t;
	c.comm = arena_str(&w->tasks.arena, t->comm);
	c.filename = arena_str(&w->tasks.arena, t->filename);
	if (!c.comm || !c.filename)
		return -ENOMEM;
	int r = batch_push(&w->tasks, &c, t->ts, 1);
	if (!r && w->tasks.n >= BATCH_RECORDS)
		r = seal_batch(w, &w->tasks);
	return r ? r : w->err;
}

int trec_writer_add_task_ctx(struct trec_writer *w, const struct trec_task_ctx *t)
{
	struct trec_task_ctx c = *t;
	c.path = arena_str(&w->taskctx.arena, t->path);
	if (!c.path)
		return -ENOMEM;
	int r = batch_push(&w->taskctx, &c, t->ts, 1);
	if (!r && w->taskctx.n >= BATCH_RECORDS)
		r = seal_batch(w, &w->taskctx);
	return r ? r : w->err;
}

int trec_writer_add_map(struct trec_writer *w, const struct trec_map *m)
{
	struct trec_map c = *m;
	c.path = arena_str(&w->maps.arena, m->path);
	if (!c.path)
		return -ENOMEM;
	int r = batch_push(&w->maps, &c, m->ts, 1);
	if (!r && w->maps.n >= BATCH_RECORDS)
		r = seal_batch(w, &w->maps);
	return r ? r : w->err;
}

/* A deep copy of d in a: with `all`, every symbol with its demangled name
 * and flags (for SYMEXT); else the named symbols with their raw names only
 * (what SYMS stores; the order of the named ones is kept, so both kinds
 * see them in the same order). */
static int copy_table(struct tarena *a, const struct trec_dso_syms *d, int all, struct trec_dso_syms *c)
{
	*c = *d;
	struct trec_sym *s = tarena_alloc(a, sizeof(*s) * (d->nsyms ? d->nsyms : 1));
	c->path = arena_str(a, d->path);
	if (!s || !c->path)
		return -ENOMEM;
	uint32_t k = 0;
	for (uint32_t i = 0; i < d->nsyms; i++) {
		const struct trec_sym *from = &d->syms[i];
		if (!all && (from->flags & TREC_SYM_FDE))
			continue;
		s[k] = all ? *from : (struct trec_sym){ .addr = from->addr, .size = from->size };
		s[k].name = arena_str(a, from->name);
		if (!s[k].name || (all && from->demangled && !(s[k].demangled = arena_str(a, from->demangled))))
			return -ENOMEM;
		k++;
	}
	c->syms = s;
	c->nsyms = k;
	return 0;
}

/* Whether d has anything SYMS cannot hold. */
static int needs_symext(const struct trec_dso_syms *d)
{
	for (uint32_t i = 0; i < d->nsyms; i++)
		if ((d->syms[i].flags & TREC_SYM_FDE) || (d->syms[i].demangled && d->syms[i].demangled[0]))
			return 1;
	return 0;
}

int trec_writer_add_dso_syms(struct trec_writer *w, const struct trec_dso_syms *d)
{
	struct trec_dso_syms c;
	if (copy_table(&w->syms.arena, d, 0, &c))
		return -ENOMEM;
	int r = batch_push(&w->syms, &c, 0, 0);
	if (!r && needs_symext(d)) {
		if (copy_table(&w->symext.arena, d, 1, &c))
			return -ENOMEM;
		r = batch_push(&w->symext, &c, 0, 0);
	}
	/* Symbol tables are big: one block per few DSOs keeps blocks near 1 MiB. */
	if (!r && w->syms.arena.used >= w->o.block_bytes)
		r = seal_batch(w, &w->syms);
	if (!r && w->symext.arena.used >= w->o.block_bytes)
		r = seal_batch(w, &w->symext);
	return r ? r : w->err;
}

int trec_writer_add_ksyms(struct trec_writer *w, const struct trec_ksym *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct trec_ksym c = k[i];
		c.name = arena_str(&w->ksyms.arena, k[i].name);
		c.module = arena_str(&w->ksyms.arena, k[i].module);
		if (!c.name || !c.module)
			return -ENOMEM;
		int r = batch_push(&w->ksyms, &c, 0, 0);
		if (!r && w->ksyms.n >= KSYMS_PER_BLOCK)
			r = seal_batch(w, &w->ksyms);
		if (r)
			return r;
	}
	return w->err;
}

int trec_writer_add_loss(struct trec_writer *w, const struct trec_loss *l)
{
	int r = batch_push(&w->loss, l, l->ts, 1);
	if (r)
		return r;
	if (l->reason != TREC_LOSS_STACK) /* the event itself was kept */
		w->lost += l->count;
	if (w->loss.n >= BATCH_RECORDS)
		r = seal_batch(w, &w->loss);
	return r ? r : w->err;
}

void trec_writer_stats(struct trec_writer *w, struct trec_writer_stats *st)
{
	size_t held = 0;
	for (uint32_t s = 0; s < w->nstreams; s++)
		if (w->streams[s])
			held += trec_evbuf_bytes(w->streams[s]);
	if (!w->o.inline_compress)
		pthread_mutex_lock(&w->lock);
	st->events = w->events;
	st->lost = w->lost;
	st->blocks = w->blocks;
	st->raw_bytes = w->raw_bytes;
	st->file_bytes = w->file_bytes;
	st->stacks = w->nstacks;
	st->events_dropped = w->events_dropped;
	st->events_written = w->events_written;
	st->mem_bytes = held + w->mem_queued;
	if (st->mem_bytes > w->mem_peak)
		w->mem_peak = st->mem_bytes;
	st->mem_peak = w->mem_peak;
	if (!w->o.inline_compress)
		pthread_mutex_unlock(&w->lock);
}
