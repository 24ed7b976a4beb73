/* SPDX-License-Identifier: MIT */
#include "script_stack.h"

/* Names never break a line: control bytes as '?'. */
static void put_clean(struct outbuf *o, const char *p)
{
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		outbuf_putc(o, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
	}
}

static void put_addr16(struct outbuf *o, uint64_t ip)
{
	static const char digits[] = "0123456789abcdef";
	char buf[16];
	int n = 0;
	do {
		buf[n++] = digits[ip & 15];
		ip >>= 4;
	} while (ip);
	for (int i = n; i < 16; i++)
		outbuf_putc(o, ' ');
	while (n)
		outbuf_putc(o, buf[--n]);
}

/* The file as perf script shows it: the mapped file's path as the
 * process saw it, else the symbolizer's name ([kernel.kallsyms], [anon],
 * perf-PID.map). */
static const char *dso_shown(const struct sym_result *res)
{
	if (res->map && res->map->path && res->map->path[0] == '/')
		return res->map->path;
	return res->dso ? res->dso : "[unknown]";
}

/* Frame i of st, named into *res: 0 when it is left out (a null address,
 * or a side not shown). */
static int name_frame(struct symbolizer *sym, const struct trec_event *ev, const struct trec_stack *st, size_t i,
		      int no_kernel, int no_user, struct sym_result *res)
{
	size_t nk = st->nkernel;
	int kernel = i < nk;
	if (!st->ips[i] || (kernel && no_kernel) || (!kernel && no_user))
		return 0;
	*res = (struct sym_result){ 0 };
	symbolize_frame(sym, ev->pid, ev->ts, st->ips[i], kernel, sym_frame_is_return(i, nk), res);
	return 1;
}

void script_stack_text(struct outbuf *o, struct symbolizer *sym, const struct trec_event *ev,
		       const struct trec_stack *st, int no_kernel, int no_user)
{
	if (!st) {
		outbuf_puts(o, "\t               0 [unknown] ([unknown])\n\n");
		return;
	}
	size_t n = (size_t)st->nkernel + st->nuser;
	for (size_t i = 0; i < n; i++) {
		struct sym_result res;
		if (!name_frame(sym, ev, st, i, no_kernel, no_user, &res))
			continue;
		outbuf_putc(o, '\t');
		put_addr16(o, st->ips[i]);
		outbuf_putc(o, ' ');
		if (res.found && res.name) {
			put_clean(o, res.name);
			outbuf_putc(o, '+');
			outbuf_hex(o, res.offset); /* 0x... */
		} else {
			outbuf_puts(o, "[unknown]");
		}
		outbuf_put(o, " (", 2);
		put_clean(o, dso_shown(&res));
		outbuf_put(o, ")\n", 2);
	}
	outbuf_putc(o, '\n');
}

void script_stack_json(struct json *j, struct symbolizer *sym, const struct trec_event *ev,
		       const struct trec_stack *st, int no_kernel, int no_user)
{
	json_arr_begin(j);
	size_t n = st ? (size_t)st->nkernel + st->nuser : 0;
	for (size_t i = 0; i < n; i++) {
		struct sym_result res;
		if (!name_frame(sym, ev, st, i, no_kernel, no_user, &res))
			continue;
		json_obj_begin(j);
		json_kv_u64(j, "ip", st->ips[i]);
		json_key(j, "sym");
		if (res.found && res.name)
			json_str(j, res.name);
		else
			json_null(j);
		json_kv_u64(j, "offset", res.offset);
		json_key(j, "dso");
		if (res.dso)
			json_str(j, dso_shown(&res));
		else
			json_null(j);
		json_key(j, "kernel");
		json_bool(j, i < st->nkernel);
		json_obj_end(j);
	}
	json_arr_end(j);
}
