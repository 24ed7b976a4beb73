/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elftools.h"
#include "records.h"

int tu_run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

int tu_have_tool(const char *name)
{
	return tu_run("command -v %s >/dev/null 2>&1", name) == 0;
}

int tu_readelf_build_id(const char *path, uint8_t *id, size_t max)
{
	char cmd[4200], line[512];
	int n = 0;
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *s = strstr(line, "Build ID: ");
		if (!s || n)
			continue;
		s += strlen("Build ID: ");
		unsigned v;
		while ((size_t)n < max && s[0] && s[1] && s[0] != '\n' && sscanf(s, "%2x", &v) == 1) {
			id[n++] = (uint8_t)v;
			s += 2;
		}
	}
	pclose(p);
	return n;
}

size_t tu_nm_functions(const char *path, struct tu_nmsym *v, size_t cap)
{
	char cmd[4200], line[1024];
	size_t n = 0;
	snprintf(cmd, sizeof(cmd), "nm -S --defined-only '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p) && n < cap) {
		struct tu_nmsym s = { 0 };
		char t;
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %255s", &s.addr, &s.size, &t, s.name) == 4 ||
		    (s.size = 0, sscanf(line, "%" SCNx64 " %c %255s", &s.addr, &t, s.name) == 3)) {
			if (strchr("tTwWi", t)) {
				s.type = t;
				v[n++] = s;
			}
		}
	}
	pclose(p);
	return n;
}

uint64_t tu_readelf_load_bias(const char *path, int *found)
{
	char cmd[4200], line[512], type[32], fl[8];
	uint64_t off, va, pa, fs, ms, bias = 0;
	*found = 0;
	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		char f1[4] = "", f2[4] = "", f3[4] = "";
		int k = sscanf(line, " %31s %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %3s %3s %3s",
			       type, &off, &va, &pa, &fs, &ms, f1, f2, f3);
		if (k < 7 || strcmp(type, "LOAD") || *found)
			continue;
		snprintf(fl, sizeof(fl), "%s%s%s", f1, f2, f3);
		if (strchr(fl, 'E')) {
			bias = va - off;
			*found = 1;
		}
	}
	pclose(p);
	return bias;
}

size_t tu_readelf_fdes(const char *path, uint64_t (*v)[2], size_t cap)
{
	char cmd[4200], line[512];
	size_t n = 0;
	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		const char *pc = strstr(line, " FDE ") ? strstr(line, "pc=") : NULL;
		if (pc && n < cap && sscanf(pc, "pc=%" SCNx64 "..%" SCNx64, &v[n][0], &v[n][1]) == 2)
			n++;
	}
	pclose(p);
	return n;
}

uint64_t tu_readelf_section_size(const char *path, const char *name)
{
	char cmd[4200], line[512], nm[64];
	uint64_t size = 0, addr, off, sz;
	snprintf(cmd, sizeof(cmd), "readelf -SW '%s' 2>/dev/null | sed 's/^ *\\[ *[0-9]*\\]//'", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, " %63s %*s %" SCNx64 " %" SCNx64 " %" SCNx64, nm, &addr, &off, &sz) == 4 &&
		    strcmp(nm, name) == 0)
			size = sz;
	pclose(p);
	return size;
}

/* ---- the ELF test programs ------------------------------------------------------------ */

const char tu_prog_src[] =
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <stdint.h>\n"
	"#include <inttypes.h>\n"
	"static int trec_local_fn(int x) { return x * 3 + 1; }\n"
	"int trec_global_fn(int x) { return trec_local_fn(x) + 2; }\n"
	"int trec_alias_long_target_name(int x) { return x ^ 0x55; }\n"
	"int trec_al(int x) __attribute__((alias(\"trec_alias_long_target_name\")));\n"
	"static int trec_lc(int x) { return x - 7; }\n"
	"int trec_global_alias_of_local(int x) __attribute__((alias(\"trec_lc\")));\n"
	"__asm__(\".text\\n.p2align 4\\n.globl trec_nosize\\n.type trec_nosize,@function\\n"
	"trec_nosize:\\n ret\\n.p2align 6\\n.globl trec_after\\n.type trec_after,@function\\n"
	"trec_after:\\n ret\\n.size trec_after, 1\\n\");\n"
	"void trec_nosize(void); void trec_after(void);\n"
	"static void report(const char *name, const void *fn) {\n"
	"  uintptr_t a = (uintptr_t)fn + 2;\n"
	"  char line[4096]; FILE *f = fopen(\"/proc/self/maps\", \"r\");\n"
	"  while (f && fgets(line, sizeof line, f)) {\n"
	"    unsigned long s, e, off;\n"
	"    if (sscanf(line, \"%lx-%lx %*s %lx\", &s, &e, &off) == 3 && a >= s && a < e)\n"
	"      printf(\"%s %lx %lx %lx\\n\", name, (unsigned long)a, s, off);\n"
	"  }\n"
	"  if (f) fclose(f);\n"
	"}\n"
	"int main(int argc, char **argv) {\n"
	"  if (argc > 1) {\n"
	"    report(\"trec_global_fn\", (const void *)trec_global_fn);\n"
	"    report(\"trec_local_fn\", (const void *)trec_local_fn);\n"
	"    report(\"main\", (const void *)main);\n"
	"    if (!strcmp(argv[1], \"libc\")) report(\"printf\", (const void *)printf);\n"
	"    return 0;\n"
	"  }\n"
	"  trec_nosize(); trec_after();\n"
	"  return trec_global_fn(argc) + trec_al(argc) + trec_lc(argc) == 0;\n"
	"}\n";

const char tu_lib_src[] =
	"static int es_lib_static(int x) { return x * 5 + 3; }\n"
	"int es_lib_work(int x) { return es_lib_static(x) + 1; }\n"
	"int es_lib_other(int x) { return x - 1; }\n";

const char tu_labels_asm[] = "\t.text\n"
			    "\t.globl sized_fn\n\t.type sized_fn, @function\n"
			    "sized_fn:\n\tnop\ninner_target:\n\tnop\n\tret\n"
			    "\t.size sized_fn, .-sized_fn\n"
			    "\t.globl asm_entry\n"
			    "asm_entry:\n\tnop\n\tnop\n.Lloop:\n\tnop\n\tret\n"
			    "\t.globl after_fn\n\t.type after_fn, @function\n"
			    "after_fn:\n\tret\n\t.size after_fn, .-after_fn\n"
			    "\t.section .note.GNU-stack,\"\",@progbits\n";

static const struct trec_sym *labels_sym(const struct trec_dso_syms *d, const char *name)
{
	for (uint32_t i = 0; i < d->nsyms; i++)
		if (!strcmp(d->syms[i].name, name))
			return &d->syms[i];
	return NULL;
}

/* The symbol with the greatest addr <= a, if a is inside it. */
static const struct trec_sym *labels_at(const struct trec_dso_syms *d, uint64_t a)
{
	const struct trec_sym *best = NULL;
	for (uint32_t i = 0; i < d->nsyms; i++)
		if (d->syms[i].addr <= a && (!best || d->syms[i].addr > best->addr))
			best = &d->syms[i];
	return best && a < best->addr + best->size ? best : NULL;
}

const char *tu_labels_check(const struct trec_dso_syms *d)
{
	const struct trec_sym *fn = labels_sym(d, "sized_fn"), *entry = labels_sym(d, "asm_entry"),
			      *after = labels_sym(d, "after_fn");
	if (!fn || !entry || !after)
		return "sized_fn, asm_entry or after_fn missing";
	if (labels_sym(d, "inner_target") || labels_sym(d, ".Lloop"))
		return "a label inside a function, or an assembler local, was kept";
	if (fn->size != 3 || labels_at(d, fn->addr + 1) != fn)
		return "sized_fn is not 3 bytes, whole";
	if (entry->addr + entry->size != after->addr || labels_at(d, entry->addr + 2) != entry)
		return "asm_entry does not reach after_fn";
	return NULL;
}

const char tu_lib2_src[] =
	"static int es2_static(int x) { return x * 7 + 3; }\n"
	"static int es2_static_b(int x) { return x * 9 + 2; }\n"
	"int es2_work(int x) { return es2_static(x) + es2_static_b(x); }\n";

int tu_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) == 0 ? 0 : -1;
}

void *tu_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	char *p = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (p && got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(p);
			p = NULL;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!p)
		return NULL;
	p[got] = 0;
	*len = got;
	return p;
}

int tu_build_prog(const char *dir, const char *out, const char *cflags)
{
	char src[4200];
	snprintf(src, sizeof(src), "%s/prog.c", dir);
	if (access(src, R_OK) != 0 && tu_write_file(src, tu_prog_src, strlen(tu_prog_src)))
		return -1;
	return tu_run("cc -O1 -g -fno-inline %s -o '%s' '%s'", cflags, out, src);
}
