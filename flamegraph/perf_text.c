/* SPDX-License-Identifier: MIT */
/*
 * stackcollapse-perf.pl's three regular expressions as direct scans. Each
 * function's comment says how Perl's backtracking settles the pattern, so
 * that the scan is the same function of the line, odd lines included.
 */
#include <string.h>

#include "perf_text.h"

/*
 * /^(\S.+?)\s+(\d+)[/]*(\d+)*\s+/ (the script writes [/] as \/)
 *
 * The comm is lazy: Perl tries comm ends from the left, and an end must
 * sit on a blank. Every end inside one run of blanks leads to the same
 * digits, so each run is tried once, from its first blank (but the comm
 * is at least two bytes: \S then .+?). After the run: the pid digits; if
 * a blank follows them the match is made with no tid. Otherwise '/'s and
 * digits (the tid) must be followed by a blank; giving digits back to
 * other groups never helps, since a blank would then face a digit.
 */
int perf_header_match(const char *s, size_t n, struct perf_header *h)
{
	if (n < 2 || perf_is_space(s[0]))
		return 0;
	size_t i = 1;
	while (i < n) {
		if (!perf_is_space(s[i])) {
			i++;
			continue;
		}
		size_t run = i, b = i;
		while (b < n && perf_is_space(s[b]))
			b++;
		i = b;
		size_t comm_end = run < 2 ? 2 : run;
		if (comm_end >= b || b >= n || !perf_is_digit(s[b]))
			continue;
		size_t d = b;
		while (d < n && perf_is_digit(s[d]))
			d++;
		size_t t = d;
		while (t < n && s[t] == '/')
			t++;
		size_t te = t;
		while (te < n && perf_is_digit(s[te]))
			te++;
		if (te >= n || !perf_is_space(s[te]))
			continue;
		h->comm = (struct perf_span){ s, comm_end };
		h->pid = (struct perf_span){ s + b, d - b };
		h->tid = te > t ? (struct perf_span){ s + t, te - t } : (struct perf_span){ s + te, 0 };
		return 1;
	}
	return 0;
}

/*
 * /:\s*(\d+)*\s+(\S+):\s*$/
 *
 * After the ':' only blanks may follow, so it is the last non-blank byte;
 * (\S+) follows a blank, so it is the whole last field less that ':'.
 * Before the field: blanks, then either a ':' directly, or digits (the
 * period, all of the run: it must be preceded by blanks and a ':') then
 * blanks and the ':'.
 */
int perf_event_match(const char *s, size_t n, struct perf_event_field *e)
{
	size_t end = n;
	while (end && perf_is_space(s[end - 1]))
		end--;
	if (end < 2 || s[end - 1] != ':')
		return 0;
	size_t k = end - 1;
	while (k && !perf_is_space(s[k - 1]))
		k--;
	if (k == end - 1 || k == 0)
		return 0;
	size_t w = k;
	while (w && perf_is_space(s[w - 1]))
		w--;
	size_t p = w;
	while (p && perf_is_digit(s[p - 1]))
		p--;
	size_t q = p;
	if (p < w)
		while (q && perf_is_space(s[q - 1]))
			q--;
	if (q == 0 || s[q - 1] != ':')
		return 0;
	e->period = (struct perf_span){ s + p, w - p };
	e->event = (struct perf_span){ s + k, end - 1 - k };
	return 1;
}

/*
 * /^\s*(\w+)\s*(.+) \((.*)\)/
 *
 * (.*) is greedy: the dso ends at the line's last ')'. (.+) is greedy: the
 * symbol ends at the last " (" that leaves room for that ')'. The symbol
 * starts after the address and its blanks; if that leaves it empty, Perl
 * gives blanks back, then address bytes, one at a time, until the symbol
 * has one byte.
 */
int perf_frame_match(const char *s, size_t n, struct perf_frame *f)
{
	size_t i0 = 0;
	while (i0 < n && perf_is_space(s[i0]))
		i0++;
	size_t we = i0;
	while (we < n && perf_is_word(s[we]))
		we++;
	if (we == i0)
		return 0;
	const char *rp = memrchr(s, ')', n);
	if (!rp || rp - s < 3)
		return 0;
	size_t r = (size_t)(rp - s), q = 0;
	int found = 0;
	for (size_t k = r - 1; k-- > 0;) {
		if (s[k] == ' ' && s[k + 1] == '(') {
			q = k;
			found = 1;
			break;
		}
	}
	if (!found || q < 1)
		return 0;
	size_t v = we;
	while (v < n && perf_is_space(s[v]))
		v++;
	size_t st = v < q - 1 ? v : q - 1;
	if (st < i0 + 1)
		return 0;
	f->pc = (struct perf_span){ s + i0, (st < we ? st : we) - i0 };
	f->func = (struct perf_span){ s + st, q - st };
	f->mod = (struct perf_span){ s + q + 2, r - (q + 2) };
	return 1;
}
