/* SPDX-License-Identifier: MIT */
/*
 * Container and pod names from cgroup paths (container.h): heuristics.
 */
#include <stdio.h>
#include <string.h>

#include "container.h"

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A component that is exactly `prefix` + 64 hex + `suffix`: the id into out. */
static int hex_id(const char *c, size_t len, const char *prefix, const char *suffix, char out[65])
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	if (len != pl + 64 + sl || strncmp(c, prefix, pl) || strncmp(c + pl + 64, suffix, sl) || !is_hex(c + pl, 64))
		return 0;
	memcpy(out, c + pl, 64);
	out[64] = 0;
	return 1;
}

/* A pod uid (36 chars, 8-4-4-4-12 hex, with '-' or '_') at c: into out with '-'. */
static int pod_uid(const char *c, size_t len, char out[40])
{
	if (len < 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c[i] != '-' && c[i] != '_' : !is_hex(c + i, 1))
			return 0;
	}
	for (size_t i = 0; i < 36; i++)
		out[i] = c[i] == '_' ? '-' : c[i];
	out[36] = 0;
	return 1;
}

static int ends_with(const char *c, size_t len, const char *suf)
{
	size_t sl = strlen(suf);
	return len > sl && !strncmp(c + len - sl, suf, sl);
}

/* One path component: sets what it names. */
static void component(const char *c, size_t len, const char *parent, size_t plen, struct container_info *ci)
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} scopes[] = {
		{ "docker-", ".scope", "docker" },   { "cri-containerd-", ".scope", "containerd" },
		{ "crio-", ".scope", "crio" },       { "crio-", "", "crio" },
		{ "libpod-", ".scope", "podman" },   { "libpod-", "", "podman" },
	};
	char id[65];
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (hex_id(c, len, scopes[i].prefix, scopes[i].suffix, id)) {
			snprintf(ci->runtime, sizeof(ci->runtime), "%s", scopes[i].runtime);
			memcpy(ci->id, id, sizeof(id));
			return;
		}
	/* A bare 64-hex id: docker's cgroupfs driver (/docker/<id>) or a pod's
	 * container under the kubelet's cgroupfs driver (/kubepods/.../pod<uid>/<id>). */
	if (hex_id(c, len, "", "", id)) {
		int docker = plen == 6 && !strncmp(parent, "docker", 6);
		int pod = plen > 3 && !strncmp(parent, "pod", 3);
		if (docker || pod) {
			snprintf(ci->runtime, sizeof(ci->runtime), "%s", docker ? "docker" : "containerd");
			memcpy(ci->id, id, sizeof(id));
		}
		return;
	}
	/* Pods: "kubepods-burstable-pod<uid>.slice" or "pod<uid>". */
	const char *p = NULL;
	if (!strncmp(c, "kubepods", 8) && ends_with(c, len, ".slice")) {
		for (size_t i = 0; i + 4 <= len; i++)
			if (!strncmp(c + i, "-pod", 4))
				p = c + i + 4;
	} else if (len == 39 && !strncmp(c, "pod", 3)) {
		p = c + 3;
	}
	if (p && pod_uid(p, len - (size_t)(p - c), ci->pod))
		return;
	/* systemd units: the innermost one wins, unless a container did. */
	if (!ci->id[0] || !strcmp(ci->runtime, "systemd")) {
		if ((ends_with(c, len, ".service") || ends_with(c, len, ".scope")) && len < sizeof(ci->id)) {
			snprintf(ci->runtime, sizeof(ci->runtime), "systemd");
			memcpy(ci->id, c, len);
			ci->id[len] = 0;
		}
	}
}

int container_from_cgroup(const char *path, struct container_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	const char *prev = "";
	size_t prevlen = 0;
	for (const char *c = path; *c;) {
		while (*c == '/')
			c++;
		size_t len = strcspn(c, "/");
		if (!len)
			break;
		/* A container found stays: what is below it (e.g. a nested
		 * init.scope) belongs to it. */
		if (!ci->id[0] || !strcmp(ci->runtime, "systemd"))
			component(c, len, prev, prevlen, ci);
		prev = c;
		prevlen = len;
		c += len;
	}
	return ci->runtime[0] || ci->pod[0];
}

void container_label(const struct container_info *ci, char *buf, size_t len)
{
	if (!ci->runtime[0]) {
		if (len)
			buf[0] = 0;
		return;
	}
	int shorten = strcmp(ci->runtime, "systemd") != 0;
	snprintf(buf, len, "%s:%.*s", ci->runtime, shorten ? 12 : 64, ci->id);
}
