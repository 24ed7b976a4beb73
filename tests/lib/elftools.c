/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elftools.h"

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
