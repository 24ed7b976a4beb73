/* SPDX-License-Identifier: MIT */
/*
 * What a cgroup v2 path says about the container or service that owns it.
 * These are heuristics: they read the names container runtimes and
 * systemd give their cgroups by convention (docs/CONTAINERS.md lists the
 * patterns), not anything the kernel guarantees. A path that matches no
 * pattern yields nothing rather than a guess.
 *
 *   docker         /docker/<64 hex>                  (cgroupfs driver)
 *                  /system.slice/docker-<64 hex>.scope (systemd driver)
 *   containerd CRI .../cri-containerd-<64 hex>.scope; /kubepods/.../pod<uid>/<64 hex>
 *   CRI-O          .../crio-<64 hex>.scope (and crio-conmon-<hex>.scope: its monitor)
 *   podman         .../libpod-<64 hex>.scope (and libpod-conmon-<hex>.scope)
 *   kubernetes pod .../kubepods-<qos>-pod<uid, '_' for '-'>.slice; /kubepods/<qos>/pod<uid>
 *   systemd        the innermost *.service or *.scope unit (when no container matched)
 */
#ifndef TREC_REPORT_CONTAINER_H
#define TREC_REPORT_CONTAINER_H

#include <stddef.h>

struct container_info {
	char runtime[16]; /* "docker", "containerd", "crio", "podman", "systemd"; "" */
	char id[65];      /* container id (64 hex) or systemd unit name; "" */
	char pod[40];     /* kubernetes pod uid (with '-'); "" */
};

/* Fills *ci from `path` (NUL-terminated, any length: only its last
 * components are looked at). Returns 1 when anything was recognised. */
int container_from_cgroup(const char *path, struct container_info *ci);

/* "docker:0123456789ab" (a container id shortened to 12, as `docker ps`),
 * "systemd:foo.service", or "" into buf. */
void container_label(const struct container_info *ci, char *buf, size_t len);

#endif
