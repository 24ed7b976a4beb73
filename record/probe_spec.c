/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_abi.h"
#include "probe_spec.h"

static const struct {
	const char *prefix;
	int kind;
} prefixes[] = {
	{ "u:", PROBE_UPROBE },       { "uprobe:", PROBE_UPROBE },       { "ur:", PROBE_URETPROBE },
	{ "uretprobe:", PROBE_URETPROBE }, { "usdt:", PROBE_USDT },       { "k:", PROBE_KPROBE },
	{ "kprobe:", PROBE_KPROBE },  { "kr:", PROBE_KRETPROBE },        { "kretprobe:", PROBE_KRETPROBE },
	{ "fentry:", PROBE_FENTRY },  { "fexit:", PROBE_FEXIT },
};

static const char *const kind_names[] = {
	[PROBE_UPROBE] = "uprobe", [PROBE_URETPROBE] = "uretprobe", [PROBE_USDT] = "usdt",
	[PROBE_KPROBE] = "kprobe", [PROBE_KRETPROBE] = "kretprobe", [PROBE_FENTRY] = "fentry",
	[PROBE_FEXIT] = "fexit",
};

const char *probe_kind_name(int kind)
{
	return kind >= PROBE_UPROBE && kind <= PROBE_KIND_MAX ? kind_names[kind] : "?";
}

int probe_kind_is_user(int kind)
{
	return kind == PROBE_UPROBE || kind == PROBE_URETPROBE || kind == PROBE_USDT;
}

int probe_kind_is_return(int kind)
{
	return kind == PROBE_URETPROBE || kind == PROBE_KRETPROBE || kind == PROBE_FEXIT;
}

/* Length of the kind prefix of s (0: none). */
static size_t prefix_len(const char *s, int *kind)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].prefix);
		if (!strncmp(s, prefixes[i].prefix, n)) {
			*kind = prefixes[i].kind;
			return n;
		}
	}
	return 0;
}

int probe_spec_kind(const char *s)
{
	int kind = 0;
	return prefix_len(s, &kind) ? kind : 0;
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Symbol and probe names: what compilers emit (C, C++ mangled, GCC's
 * .cold/.isra suffixes, versioned names) plus glob characters. */
static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.$@*?[]!-", *s))
			return 0;
	return 1;
}

/* An unsigned number, decimal or 0x-hex, to the end of s. */
static int parse_num(const char *s, uint64_t *v)
{
	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

static int copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* FUNC of a function probe: NAME, NAME+OFF, 0xADDR or a glob. */
static int parse_func(const char *s, struct probe_spec *sp, int allow_addr, const char *spec,
		      struct trec_err *err)
{
	if (allow_addr && (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))) {
		if (parse_num(s, &sp->addr) || !sp->addr)
			return trec_errf(err, -EINVAL, "-e '%s': '%s' is not an address (0x hex digits)", spec, s);
		sp->has_addr = 1;
		return 0;
	}
	const char *plus = strchr(s, '+');
	size_t n = plus ? (size_t)(plus - s) : strlen(s);
	if (copy(sp->func, sizeof(sp->func), s, n))
		return trec_errf(err, -EINVAL, "-e '%s': the function name is longer than %d bytes", spec,
				 PROBE_NAME_MAX - 1);
	if (!valid_name(sp->func))
		return trec_errf(err, -EINVAL, "-e '%s': '%s' is not a function name", spec, sp->func);
	sp->glob = has_glob(sp->func);
	if (plus) {
		if (sp->glob)
			return trec_errf(err, -EINVAL, "-e '%s': +OFFSET needs one function, not a glob", spec);
		if (parse_num(plus + 1, &sp->off))
			return trec_errf(err, -EINVAL, "-e '%s': '%s' is not an offset (decimal or 0x hex)", spec,
					 plus + 1);
		sp->has_off = 1;
	}
	return 0;
}

/* Splits "PATH:REST" at the last ':' of s (PATH may hold ':'). */
static const char *split_last(const char *s)
{
	return strrchr(s, ':');
}

static int parse_user(const char *body, struct probe_spec *sp, const char *spec, struct trec_err *err)
{
	const char *form = sp->kind == PROBE_USDT ? "usdt:PATH:PROVIDER:NAME or usdt:PATH:NAME"
			   : sp->kind == PROBE_UPROBE ? "u:PATH:FUNC (FUNC, FUNC+OFF, 0xADDR or a glob)"
						      : "ur:PATH:FUNC";
	const char *c = split_last(body);
	if (!c || c == body || !c[1])
		return trec_errf(err, -EINVAL, "-e '%s': expected %s", spec, form);
	const char *path_end = c;
	if (sp->kind == PROBE_USDT) {
		if (copy(sp->func, sizeof(sp->func), c + 1, strlen(c + 1)) || !valid_name(sp->func))
			return trec_errf(err, -EINVAL, "-e '%s': '%s' is not a USDT probe name", spec, c + 1);
		/* A second ':' before the name: PATH:PROVIDER:NAME. Paths
		 * start with '/' or are bare names, so a provider is never
		 * mistaken for a path part unless the path holds ':' itself. */
		const char *p = NULL;
		for (const char *q = c - 1; q >= body; q--)
			if (*q == ':') {
				p = q;
				break;
			}
		if (p) {
			if (p == body || copy(sp->provider, sizeof(sp->provider), p + 1, (size_t)(c - p - 1)) ||
			    !valid_name(sp->provider))
				return trec_errf(err, -EINVAL, "-e '%s': expected %s", spec, form);
			path_end = p;
		}
		sp->glob = has_glob(sp->func) || has_glob(sp->provider);
	} else {
		int r = parse_func(c + 1, sp, 1, spec, err);
		if (r)
			return r;
		if (sp->kind == PROBE_URETPROBE && sp->has_off)
			return trec_errf(err, -EINVAL,
					 "-e '%s': a return probe fires when the function returns; +OFFSET "
					 "belongs to u: (entry) probes",
					 spec);
	}
	if (copy(sp->path, sizeof(sp->path), body, (size_t)(path_end - body)))
		return trec_errf(err, -EINVAL, "-e '%s': the path is longer than %d bytes", spec, PROBE_PATH_MAX - 1);
	if (!sp->path[0])
		return trec_errf(err, -EINVAL, "-e '%s': expected %s", spec, form);
	return 0;
}

static int parse_kernel(const char *body, struct probe_spec *sp, const char *spec, struct trec_err *err)
{
	const char *name = probe_kind_name(sp->kind);
	if (strchr(body, ':'))
		return trec_errf(err, -EINVAL, "-e '%s': expected %s:FUNC (module-qualified names are not supported)",
				 spec, name);
	int r = parse_func(body, sp, 0, spec, err);
	if (r)
		return r;
	if (sp->glob)
		return trec_errf(err, -EINVAL,
				 "-e '%s': globs are for user functions and USDT probes; name kernel functions one "
				 "by one",
				 spec);
	if (sp->has_off && sp->kind != PROBE_KPROBE)
		return trec_errf(err, -EINVAL, "-e '%s': +OFFSET is for k: (kprobe) probes only", spec);
	return 0;
}

int probe_spec_parse(const char *s, struct probe_spec *out, struct trec_err *err)
{
	memset(out, 0, sizeof(*out));
	size_t n = prefix_len(s, &out->kind);
	if (!n)
		return trec_errf(err, -EINVAL, "-e '%s': not a probe (u:, ur:, usdt:, k:, kr:, fentry:, fexit:)", s);
	const char *body = s + n;
	if (!*body)
		return trec_errf(err, -EINVAL, "-e '%s': nothing after the probe kind", s);
	return probe_kind_is_user(out->kind) ? parse_user(body, out, s, err) : parse_kernel(body, out, s, err);
}

/* One "argN:str". */
static int apply_arg(struct probe_spec *sp, const char *a, size_t len, struct trec_err *err)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return trec_errf(err, -EINVAL, "--arg '%.*s': expected argN:str", (int)len, a);
	memcpy(buf, a, len);
	buf[len] = '\0';
	unsigned idx;
	char type[8];
	int used = 0;
	if (sscanf(buf, "arg%u:%7[a-z]%n", &idx, type, &used) != 2 || (size_t)used != len ||
	    !isdigit((unsigned char)buf[3]))
		return trec_errf(err, -EINVAL, "--arg '%s': expected argN:str (e.g. arg0:str)", buf);
	if (strcmp(type, "str"))
		return trec_errf(err, -EINVAL, "--arg '%s': unknown type '%s' (arguments are integers; str reads one as a string)",
				 buf, type);
	if (idx >= PROBE_MAX_STRS)
		return trec_errf(err, -EINVAL, "--arg '%s': arg0 to arg%d can be read as strings", buf,
				 PROBE_MAX_STRS - 1);
	sp->strmask |= 1u << idx;
	return 0;
}

int probe_spec_arg(struct probe_spec *sp, const char *arg, struct trec_err *err)
{
	if (probe_kind_is_return(sp->kind))
		return trec_errf(err, -EINVAL, "--arg '%s': a %s probe records the return value, not arguments", arg,
				 probe_kind_name(sp->kind));
	/* All or nothing: a bad item leaves the spec as it was. */
	struct probe_spec tmp_mask = { .kind = sp->kind, .strmask = sp->strmask };
	const char *p = arg;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int r = apply_arg(&tmp_mask, p, len, err);
		if (r)
			return r;
		if (!comma)
			break;
		p = comma + 1;
	}
	sp->strmask = tmp_mask.strmask;
	return 0;
}
