/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "probe_kernel.h"
#include "tracefs.h"

int probe_kernel_has_kprobes(const char *sysfs, const char *tracefs)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/bus/event_source/devices/kprobe/type", sysfs ? sysfs : "/sys");
	if (access(p, F_OK) == 0)
		return 1;
	if (!tracefs)
		return 0;
	/* Kernels before 4.17 (no kprobe PMU) create kprobes here; libbpf
	 * falls back to it. */
	snprintf(p, sizeof(p), "%s/kprobe_events", tracefs);
	return access(p, F_OK) == 0;
}

int probe_kernel_has_func(const char *kallsyms, const char *func)
{
	FILE *f = fopen(kallsyms ? kallsyms : "/proc/kallsyms", "re");
	if (!f)
		return -errno;
	char line[600];
	int found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "ffffffff816b8230 T vfs_read\t[module]" */
		char *sp = strchr(line, ' ');
		if (!sp || !sp[1] || sp[2] != ' ' || !strchr("tTwW", sp[1]))
			continue;
		char *name = sp + 3;
		size_t n = strcspn(name, "\t\n");
		found = n == strlen(func) && !strncmp(name, func, n);
	}
	fclose(f);
	return found;
}

int probe_kernel_btf_nargs(const char *func)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return -errno ? -errno : -ENOENT;
	int r = -ENOENT;
	int id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, (unsigned)id);
		const struct btf_type *proto = t ? btf__type_by_id(btf, t->type) : NULL;
		if (proto && btf_is_func_proto(proto))
			r = btf_vlen(proto);
	}
	btf__free(btf);
	return r;
}

/* Functions whose tracepoint has another name. */
static const struct {
	const char *func, *tp;
} known[] = {
	{ "schedule", "sched:sched_switch" },
	{ "__schedule", "sched:sched_switch" },
	{ "finish_task_switch", "sched:sched_switch" },
	{ "try_to_wake_up", "sched:sched_wakeup" },
	{ "wake_up_process", "sched:sched_wakeup" },
	{ "wake_up_new_task", "sched:sched_wakeup_new" },
	{ "do_exit", "sched:sched_process_exit" },
	{ "kernel_clone", "sched:sched_process_fork" },
	{ "copy_process", "sched:sched_process_fork" },
	{ "_do_fork", "sched:sched_process_fork" },
	{ "bprm_execve", "sched:sched_process_exec" },
	{ "do_execveat_common", "sched:sched_process_exec" },
	{ "handle_mm_fault", "exceptions:page_fault_user" },
	{ "do_user_addr_fault", "exceptions:page_fault_user" },
	{ "submit_bio", "block:block_bio_queue" },
	{ "submit_bio_noacct", "block:block_bio_queue" },
	{ "blk_mq_start_request", "block:block_rq_issue" },
	{ "blk_mq_end_request", "block:block_rq_complete" },
	{ "blk_update_request", "block:block_rq_complete" },
	{ "tcp_set_state", "sock:inet_sock_set_state" },
	{ "inet_csk_accept", "sock:inet_sock_set_state" },
	{ "tcp_v4_connect", "sock:inet_sock_set_state" },
	{ "tcp_v6_connect", "sock:inet_sock_set_state" },
	{ "__kmalloc", "kmem:kmalloc" },
	{ "kmem_cache_alloc", "kmem:kmem_cache_alloc" },
	{ "__alloc_pages", "kmem:mm_page_alloc" },
	{ "do_signal", "signal:signal_deliver" },
	{ "__send_signal", "signal:signal_generate" },
};

/* Prefixes of the functions that serve a system call. */
static const char *const syscall_prefixes[] = {
	"__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__se_sys_", "__do_sys_", "ksys_", "do_sys_",
	"sys_", "vfs_", "do_",
};

static int have(const struct tp_list *l, const char *full)
{
	return tp_list_contains(l, full);
}

static void suggest(const struct tp_list *l, const char *func, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].func, func) && have(l, known[i].tp)) {
			snprintf(buf, len, "the nearest tracepoint is %s (-e %s)", known[i].tp, known[i].tp);
			return;
		}
	/* A tracepoint of the very name, in any group. */
	const char *best = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const char *c = strchr(l->names[i], ':');
		if (c && !strcmp(c + 1, func)) {
			best = l->names[i];
			break;
		}
	}
	if (best) {
		snprintf(buf, len, "the tracepoint %s has the same name (-e %s)", best, best);
		return;
	}
	/* vfs_read, do_sys_openat2, __x64_sys_write: the system call's own. */
	for (size_t i = 0; i < sizeof(syscall_prefixes) / sizeof(syscall_prefixes[0]); i++) {
		size_t n = strlen(syscall_prefixes[i]);
		if (strncmp(func, syscall_prefixes[i], n) || !func[n])
			continue;
		char tp[600];
		snprintf(tp, sizeof(tp), "syscalls:sys_enter_%s", func + n);
		if (have(l, tp)) {
			snprintf(buf, len, "the nearest tracepoints are syscalls:sys_enter_%s and sys_exit_%s (-e %s)",
				 func + n, func + n, tp);
			return;
		}
	}
	/* A tracepoint whose name holds the function's: the shortest. */
	for (size_t i = 0; i < l->n; i++) {
		const char *c = strchr(l->names[i], ':');
		if (c && strstr(c + 1, func) && (!best || strlen(l->names[i]) < strlen(best)))
			best = l->names[i];
	}
	if (!best) {
		const char *near[1];
		if (tracefs_suggest(l, func, near, 1) == 1)
			best = near[0];
	}
	if (best)
		snprintf(buf, len, "the nearest tracepoint may be %s (-e %s)", best, best);
	else
		snprintf(buf, len, "`trec list` shows the tracepoints this kernel offers");
}

void probe_kernel_advice(const char *tracefs, const char *func, char *buf, size_t len)
{
	struct tp_list l;
	memset(&l, 0, sizeof(l));
	if (!tracefs || tracefs_list(tracefs, NULL, &l, NULL)) {
		snprintf(buf, len, "`trec list` shows the tracepoints this kernel offers");
		tp_list_free(&l);
		return;
	}
	suggest(&l, func, buf, len);
	tp_list_free(&l);
}
