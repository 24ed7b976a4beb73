/* SPDX-License-Identifier: MIT */
/*
 * Separate debug files at record time (debuginfo.h): where to look, how a
 * candidate proves it belongs to the binary, and the table it gives.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildid.h"
#include "debuginfo.h"
#include "mapfile.h"
#include "symtab.h"

/* The section is a name (at most NAME_MAX), padding to 4 and a CRC: a few
 * hundred bytes; anything much larger is not a debuglink. */
#define LINK_SECTION_MAX (DEBUGINFO_MAX_LINK_NAME + 1 + 3 + 4)
#define MAX_SECTIONS 65536
#define CRC_CHUNK (64u << 10)

/* ---- CRC-32 ---------------------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t debuginfo_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!crc_table[1])
		crc_init(); /* idempotent: a race writes the same values */
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int debuginfo_file_crc32(int fd, uint32_t *crc)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > DEBUGINFO_MAX_CRC_BYTES)
		return -EFBIG;
	uint8_t *buf = malloc(CRC_CHUNK);
	if (!buf)
		return -ENOMEM;
	uint32_t c = 0;
	uint64_t off = 0;
	int rc = 0;
	/* Up to the size seen above: a file growing under us is not read
	 * without end. */
	while (off < (uint64_t)st.st_size) {
		size_t want = (uint64_t)st.st_size - off < CRC_CHUNK ? (size_t)((uint64_t)st.st_size - off) : CRC_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO; /* cut while we read */
			break;
		}
		c = debuginfo_crc32(c, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	if (!rc)
		*crc = c;
	return rc;
}

/* ---- .gnu_debuglink ------------------------------------------------------------- */

/* A name that, joined to a directory, stays a file in that directory. */
static int plain_name(const char *s, size_t n)
{
	if (n == 0 || n > DEBUGINFO_MAX_LINK_NAME || memchr(s, '/', n))
		return 0;
	return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* name, NUL, padding to 4, CRC in the file's byte order. */
static int parse_link(const uint8_t *p, size_t size, int big_endian, char *name, uint32_t *crc)
{
	size_t n = strnlen((const char *)p, size);
	if (n == size || !plain_name((const char *)p, n))
		return 0;
	size_t off = (n + 1 + 3) & ~(size_t)3;
	if (off > size || size - off < 4)
		return 0;
	const uint8_t *c = p + off;
	*crc = big_endian ? (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3]
			  : (uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 | (uint32_t)c[1] << 8 | c[0];
	memcpy(name, p, n);
	name[n] = 0;
	return 1;
}

static int find_link(Elf *e, char *name, uint32_t *crc)
{
	size_t shstrndx;
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh) || elf_getshdrstrndx(e, &shstrndx) != 0)
		return 0;
	Elf_Scn *scn = NULL;
	for (size_t i = 0; i < MAX_SECTIONS && (scn = elf_nextscn(e, scn)) != NULL; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || (sh.sh_flags & SHF_COMPRESSED))
			continue;
		const char *sn = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sn || strcmp(sn, ".gnu_debuglink") != 0)
			continue;
		if (sh.sh_size < 8 || sh.sh_size > LINK_SECTION_MAX)
			return 0;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size)
			return 0;
		return parse_link(d->d_buf, d->d_size, eh.e_ident[EI_DATA] == ELFDATA2MSB, name, crc);
	}
	return 0;
}

int debuginfo_read_link(int fd, char name[DEBUGINFO_MAX_LINK_NAME + 1], uint32_t *crc)
{
	if (fd < 0 || !name || !crc)
		return -EINVAL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	/* ELF_C_READ: pread on demand, no mmap (a file cut under us is a
	 * read error, not SIGBUS). */
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return 0;
	int r = elf_kind(e) == ELF_K_ELF ? find_link(e, name, crc) : 0;
	elf_end(e);
	return r;
}

/* ---- the search ------------------------------------------------------------------ */

enum cand_kind {
	CAND_BUILD_ID, /* found by build-id: must carry it */
	CAND_LINK,     /* found by the debuglink name: build-id, or CRC without */
	CAND_COPY,     /* a copy of the binary under the symfs: build-id */
};

struct search {
	const struct debuginfo_opts *o;
	const struct debuginfo_target *t;
	struct debuginfo_result *res;
	const char *dirs[DEBUGINFO_MAX_DIRS];
	size_t ndirs;
	const char *symfs;  /* NULL: none */
	uint8_t bid[BUILDID_MAX];
	int bid_len;        /* the binary's; 0: none */
	dev_t dev;          /* the binary itself is no candidate */
	ino_t ino;
	int have_link;
	char link[DEBUGINFO_MAX_LINK_NAME + 1];
	uint32_t link_crc;
	char dir[DEBUGINFO_MAX_PATH]; /* the binary's directory; "" when unusable */
	unsigned skip;      /* matching files to pass over (debuginfo_read goes on
			     * past one that is not fuller) */
	char path[DEBUGINFO_MAX_PATH];
};

/* Absolute, and no component empty, "." or "..": joined to a directory,
 * it stays under that directory (lexically). */
static int clean_abs_path(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *c = p + 1;;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!slash)
			return 1;
		c = slash + 1;
	}
}

/* The directory of a mapping path, when it may be joined to others. */
static void binary_dir(const char *path, char *dir, size_t cap)
{
	dir[0] = 0;
	if (!mapfile_path_usable(path))
		return;
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path);
	if (n == 0 || n >= cap)
		return; /* a binary in "/" has no directory to join */
	memcpy(dir, path, n);
	dir[n] = 0;
	if (!clean_abs_path(dir))
		dir[0] = 0;
}

/* s->path = the parts joined; 0, or -ENAMETOOLONG. */
static int join(struct search *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int join(struct search *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->path, sizeof(s->path), fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof(s->path) ? -ENAMETOOLONG : 0;
}


/* 1 when the open candidate belongs to the binary. */
static int matches(struct search *s, int fd, enum cand_kind kind)
{
	uint8_t id[BUILDID_MAX];
	int n = buildid_read_fd(fd, id);
	if (s->bid_len > 0)
		return n == s->bid_len && memcmp(id, s->bid, (size_t)n) == 0;
	if (n > 0 || kind != CAND_LINK || !s->have_link)
		return 0; /* nothing to check a copy or a build-id tree against */
	uint32_t crc;
	return debuginfo_file_crc32(fd, &crc) == 0 && crc == s->link_crc;
}

/*
 * Tries s->path (inside rootfd when >= 0, else on the host). Returns the
 * fd of a match, -ENOENT to go on, -E2BIG when the candidate budget is
 * spent.
 */
static int try_path(struct search *s, int rootfd, enum cand_kind kind)
{
	struct stat st;
	if (s->res->candidates >= DEBUGINFO_MAX_CANDIDATES)
		return -E2BIG;
	s->res->candidates++;
	/* Inside the process's root, or a host path under the user's own
	 * directories (symlinks in them are theirs). */
	int fd = rootfd >= 0 ? mapfile_open_in_root(rootfd, s->path) : mapfile_open_regular(s->path);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino) {
		close(fd); /* the binary itself (a debuglink naming its own file) */
		return -ENOENT;
	}
	if (!matches(s, fd, kind)) {
		s->res->mismatched++;
		close(fd);
		return -ENOENT;
	}
	if (s->skip) {
		s->skip--;
		close(fd);
		return -ENOENT;
	}
	snprintf(s->res->path, sizeof(s->res->path), "%s", s->path);
	return fd;
}

/* Goes on to the next candidate unless this one ended the search. */
#define TRY(s, rootfd, kind)                                  \
	do {                                                  \
		int fd_ = try_path((s), (rootfd), (kind));    \
		if (fd_ != -ENOENT)                           \
			return fd_;                           \
	} while (0)

static int by_build_id(struct search *s, const char *prefix)
{
	char hex[2 * BUILDID_MAX + 1];
	if (s->bid_len < 2)
		return -ENOENT;
	buildid_hex(s->bid, (size_t)s->bid_len, hex);
	for (size_t i = 0; i < s->ndirs; i++) {
		if (join(s, "%s%s/.build-id/%.2s/%s.debug", prefix, s->dirs[i], hex, hex + 2) == 0)
			TRY(s, -1, CAND_BUILD_ID);
	}
	return -ENOENT;
}

static int by_link(struct search *s, const char *prefix)
{
	if (!s->have_link || !s->dir[0])
		return -ENOENT;
	if (!*prefix && s->t->rootfd >= 0) {
		/* next to the binary, as its process sees it */
		if (join(s, "%s/%s", s->dir, s->link) == 0)
			TRY(s, s->t->rootfd, CAND_LINK);
		if (join(s, "%s/.debug/%s", s->dir, s->link) == 0)
			TRY(s, s->t->rootfd, CAND_LINK);
	} else if (*prefix) {
		if (join(s, "%s%s/%s", prefix, s->dir, s->link) == 0)
			TRY(s, -1, CAND_LINK);
		if (join(s, "%s%s/.debug/%s", prefix, s->dir, s->link) == 0)
			TRY(s, -1, CAND_LINK);
	}
	for (size_t i = 0; i < s->ndirs; i++) {
		if (join(s, "%s%s%s/%s", prefix, s->dirs[i], s->dir, s->link) == 0)
			TRY(s, -1, CAND_LINK);
	}
	return -ENOENT;
}

static int symfs_copy(struct search *s)
{
	if (!s->symfs || !mapfile_path_usable(s->t->path) || !clean_abs_path(s->t->path) || s->bid_len <= 0)
		return -ENOENT;
	if (join(s, "%s%s", s->symfs, s->t->path) == 0)
		TRY(s, -1, CAND_COPY);
	return -ENOENT;
}

static int setup(struct search *s, const struct debuginfo_opts *o, const struct debuginfo_target *t,
		 struct debuginfo_result *res)
{
	static const char *const default_dirs[] = { DEBUGINFO_DEFAULT_DIR };
	struct stat st;

	memset(res, 0, sizeof(*res));
	if (!t || t->fd < 0 || (o && o->sz < sizeof(size_t)))
		return -EINVAL;
	s->o = o;
	s->t = t;
	s->res = res;
	const char *const *dirs = default_dirs;
	size_t nd = 1;
	if (o && o->sz >= offsetof(struct debuginfo_opts, ndebug_dirs) + sizeof(o->ndebug_dirs) &&
	    o->debug_dirs) {
		dirs = o->debug_dirs;
		nd = o->ndebug_dirs;
	}
	for (size_t i = 0; i < nd && s->ndirs < DEBUGINFO_MAX_DIRS; i++)
		if (dirs[i] && dirs[i][0])
			s->dirs[s->ndirs++] = dirs[i];
	if (o && o->sz >= offsetof(struct debuginfo_opts, symfs) + sizeof(o->symfs) && o->symfs && o->symfs[0])
		s->symfs = o->symfs;
	if (fstat(t->fd, &st) < 0)
		return -errno;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->bid_len = buildid_read_fd(t->fd, s->bid);
	if (s->bid_len < 0)
		s->bid_len = 0;
	s->have_link = debuginfo_read_link(t->fd, s->link, &s->link_crc) > 0;
	binary_dir(t->path ? t->path : "", s->dir, sizeof(s->dir));
	return 0;
}

/* The (skip+1)-th matching file, in the order of debuginfo.h. */
static int find_nth(const struct debuginfo_opts *o, const struct debuginfo_target *t,
		    struct debuginfo_result *res, unsigned skip)
{
	struct search *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int fd = setup(s, o, t, res);
	s->skip = skip;
	if (fd == 0)
		fd = s->symfs ? by_build_id(s, s->symfs) : -ENOENT;
	if (fd == -ENOENT && s->symfs)
		fd = by_link(s, s->symfs);
	if (fd == -ENOENT)
		fd = symfs_copy(s);
	if (fd == -ENOENT)
		fd = by_build_id(s, "");
	if (fd == -ENOENT)
		fd = by_link(s, "");
	if (fd == -E2BIG)
		fd = -ENOENT; /* the budget is spent: as if nothing were there */
	free(s);
	return fd;
}

int debuginfo_find(const struct debuginfo_opts *o, const struct debuginfo_target *t,
		   struct debuginfo_result *res)
{
	struct debuginfo_result scratch;
	return find_nth(o, t, res ? res : &scratch, 0);
}

/* Symbols with a name: a table may also hold unnamed entries for the
 * functions only its .eh_frame knows, which a debug file (whose .eh_frame
 * is emptied) lacks; those must not make a stripped table look fuller. */
static uint32_t named(const struct trec_dso_syms *d)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < d->nsyms; i++)
		n += d->syms[i].name && d->syms[i].name[0];
	return n;
}

/* Reads the (k+1)-th matching file: 1 when it is fuller than t's table,
 * 0 when not (or none, *res says), -ENOENT when there is no such file. */
static int read_match(const struct debuginfo_opts *o, const struct debuginfo_target *t, struct tarena *a,
		      struct trec_dso_syms *out, struct debuginfo_result *res, unsigned k, struct trec_err *err)
{
	int fd = find_nth(o, t, res, k);
	if (fd == -ENOMEM)
		return trec_errf(err, fd, "looking for the debug file of %s: out of memory", t->path);
	if (fd < 0)
		return -ENOENT;
	struct trec_err e = { 0 };
	int r = symtab_read_elf(res->path, fd, a, out, &e);
	close(fd);
	if (r == -ENOMEM)
		return trec_errf(err, r, "%s", e.msg);
	if (r || named(out) <= named(t->syms)) {
		res->unreadable += r != 0;
		memset(out, 0, sizeof(*out));
		return 0;
	}
	/* The debug file's own bias is not trusted; its symbols are at the
	 * binary's addresses, and the table is the binary's, by build-id. */
	out->load_bias = t->syms->load_bias;
	out->build_id_len = t->syms->build_id_len;
	memcpy(out->build_id, t->syms->build_id, sizeof(out->build_id));
	out->path = t->syms->path;
	return 1;
}

int debuginfo_read(const struct debuginfo_opts *o, const struct debuginfo_target *t, struct tarena *a,
		   struct trec_dso_syms *out, struct debuginfo_result *res, struct trec_err *err)
{
	struct debuginfo_result scratch;
	if (!res)
		res = &scratch;
	if (!out || !a || !t || !t->syms)
		return trec_errf(err, -EINVAL, "debuginfo_read: no binary table given");
	memset(out, 0, sizeof(*out));
	/* The first matching file is usually the one; one that is not
	 * fuller (a stripped copy under the symfs) lets the next one try. */
	uint32_t unreadable = 0;
	int r = 0;
	for (unsigned k = 0; k < DEBUGINFO_MAX_MATCHES; k++) {
		r = read_match(o, t, a, out, res, k, err); /* res is this search's */
		unreadable += res->unreadable;
		if (r)
			break;
	}
	res->unreadable = unreadable;
	if (r != 1)
		res->path[0] = 0; /* no debug file used */
	return r == -ENOENT ? 0 : r;
}
