/* SPDX-License-Identifier: MIT */
/*
 * The event filter options on the command line (--pid, --tid, --comm,
 * --cpu, --event, --time) into a struct evfilter_opts (report/evfilter.h),
 * with usage errors that name the command.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter_args.h"
/* Appends a copy of the list items of `arg` ("a,b,c"), each at most 255 bytes. */
static int add_strings(char ***list, size_t *n, const struct cli_cmd *cmd, const char *opt, const char *arg)
{
	switch (evfilter_add_list(list, n, arg)) {
	case 0:
		return 0;
	case -EINVAL:
		return cli_usage_error(cmd, "%s: '%s': %s", opt, arg, "empty value");
	case -ENAMETOOLONG:
		return cli_usage_error(cmd, "%s: '%s': %s", opt, arg, "a value is longer than 255 bytes");
	case -E2BIG:
		return cli_usage_error(cmd, "%s: more than %d values", opt, EVF_MAX_VALUES);
	default:
		return cli_usage_error(cmd, "%s: out of memory", opt);
	}
}

static int add_ids(uint32_t **list, size_t *n, const struct cli_cmd *cmd, const char *opt, const char *arg)
{
	char **s = NULL;
	size_t ns = 0;
	int rc = add_strings(&s, &ns, cmd, opt, arg);
	for (size_t i = 0; i < ns && !rc; i++) {
		uint64_t v;
		if (cli_parse_u64(cmd, opt, s[i], 0, UINT32_MAX, &v)) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		uint32_t *l = realloc(*list, (*n + 1) * sizeof(*l));
		if (!l) {
			rc = cli_usage_error(cmd, "%s: out of memory", opt);
			break;
		}
		*list = l;
		l[(*n)++] = (uint32_t)v;
	}
	for (size_t i = 0; i < ns; i++)
		free(s[i]);
	free(s);
	return rc;
}

static int add_cpus(struct evfilter_opts *o, const struct cli_cmd *cmd, const char *arg)
{
	char **s = NULL;
	size_t ns = 0;
	int rc = add_strings(&s, &ns, cmd, "--cpu", arg);
	if (!rc && !o->cpus && !(o->cpus = calloc(EVF_MAX_CPUS, 1)))
		rc = cli_usage_error(cmd, "--cpu: out of memory");
	for (size_t i = 0; i < ns && !rc; i++) {
		uint64_t lo, hi;
		char *dash = strchr(s[i], '-');
		if (dash)
			*dash = 0;
		if (cli_parse_u64(cmd, "--cpu", s[i], 0, EVF_MAX_CPUS - 1, &lo) ||
		    cli_parse_u64(cmd, "--cpu", dash ? dash + 1 : s[i], 0, EVF_MAX_CPUS - 1, &hi)) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (hi < lo) {
			rc = cli_usage_error(cmd, "--cpu: range %llu-%llu runs backwards", (unsigned long long)lo,
					     (unsigned long long)hi);
			break;
		}
		for (uint64_t c = lo; c <= hi; c++)
			o->cpus[c] = 1;
	}
	for (size_t i = 0; i < ns; i++)
		free(s[i]);
	free(s);
	return rc;
}

/* "HH:MM:SS[.frac]" or "YYYY-MM-DD[T ]HH:MM:SS[.frac]" in local time. The
 * date-less form is completed from `day` (a wall time in ns) later: here
 * it is kept as seconds into the day, negative-flagged by date == 0. */
static int parse_wall(const char *s, int *has_date, struct tm *tm, uint64_t *frac_ns)
{
	memset(tm, 0, sizeof(*tm));
	int n = 0, y, mo, d, h, mi, sec;
	*has_date = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && (s[n] == 'T' || s[n] == ' ')) {
		*has_date = 1;
		tm->tm_year = y - 1900;
		tm->tm_mon = mo - 1;
		tm->tm_mday = d;
		s += n + 1;
		if (mo < 1 || mo > 12 || d < 1 || d > 31)
			return -1;
	}
	n = 0;
	if (sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return -1;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = sec;
	s += n;
	*frac_ns = 0;
	if (*s == '.') {
		uint64_t scale = 100000000;
		for (s++; isdigit((unsigned char)*s); s++) {
			*frac_ns += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	return *s ? -1 : 0;
}

static int parse_time_end(struct evf_time *t, const struct cli_cmd *cmd, const char *opt, const char *s)
{
	memset(t, 0, sizeof(*t)); /* a later --time replaces an earlier one whole */
	t->set = 1;
	if (strchr(s, ':')) {
		struct tm tm;
		int has_date;
		uint64_t frac;
		if (parse_wall(s, &has_date, &tm, &frac))
			return cli_usage_error(cmd, "%s: '%s' is not HH:MM:SS[.frac] or YYYY-MM-DDTHH:MM:SS[.frac]",
					       opt, s);
		t->wall = has_date ? 1 : 2; /* 2: time of day, date from the trace */
		if (has_date) {
			tm.tm_isdst = -1;
			time_t secs = mktime(&tm);
			if (secs == (time_t)-1 || secs < 0)
				return cli_usage_error(cmd, "%s: '%s' is not a time after 1970", opt, s);
			t->ns = (uint64_t)secs * 1000000000ull + frac;
		} else {
			t->ns = ((uint64_t)tm.tm_hour * 3600 + (uint64_t)tm.tm_min * 60 + (uint64_t)tm.tm_sec) *
					1000000000ull +
				frac;
		}
		return 0;
	}
	return cli_parse_seconds_ns(cmd, opt, s, &t->ns) ? CLI_EXIT_USAGE : 0;
}

static int parse_time(struct evfilter_opts *o, const struct cli_cmd *cmd, const char *arg)
{
	const char *comma = strchr(arg, ',');
	char start[64];
	size_t slen = comma ? (size_t)(comma - arg) : strlen(arg);
	if (slen >= sizeof(start))
		return cli_usage_error(cmd, "--time: '%s': START is too long", arg);
	memcpy(start, arg, slen);
	start[slen] = 0;
	memset(&o->start, 0, sizeof(o->start));
	memset(&o->end, 0, sizeof(o->end));
	if (slen && parse_time_end(&o->start, cmd, "--time START", start))
		return CLI_EXIT_USAGE;
	if (comma && comma[1] && parse_time_end(&o->end, cmd, "--time END", comma + 1))
		return CLI_EXIT_USAGE;
	if (!comma || (!o->start.set && !o->end.set))
		return cli_usage_error(cmd, "--time: '%s' should be START,END (e.g. 1.5,3 or 10:00:00,10:00:05)",
				       arg);
	if (o->start.set && o->end.set && o->start.wall == o->end.wall && o->end.ns < o->start.ns)
		return cli_usage_error(cmd, "--time: END (%s) is before START (%s)", comma + 1, start);
	return 0;
}

int evfilter_parse(struct evfilter_opts *o, const struct cli_cmd *cmd, int opt, const char *arg)
{
	o->any = 1;
	switch (opt) {
	case EVF_OPT_PID:
		return add_ids(&o->pids, &o->npids, cmd, "--pid", arg);
	case EVF_OPT_TID:
		return add_ids(&o->tids, &o->ntids, cmd, "--tid", arg);
	case EVF_OPT_COMM:
		return add_strings(&o->comms, &o->ncomms, cmd, "--comm", arg);
	case EVF_OPT_CPU:
		return add_cpus(o, cmd, arg);
	case EVF_OPT_EVENT:
		return add_strings(&o->events, &o->nevents, cmd, "--event", arg);
	case EVF_OPT_TIME:
		return parse_time(o, cmd, arg);
	case EVF_OPT_CGROUP:
		return add_strings(&o->cgroups, &o->ncgroups, cmd, "--cgroup", arg);
	default:
		return cli_usage_error(cmd, "internal: unknown filter option %d", opt);
	}
}
