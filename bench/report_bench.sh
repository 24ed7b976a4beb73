#!/usr/bin/env bash
# The analysis benchmark: the same workload (samples/syscall_storm, every
# raw_syscalls enter and exit) recorded by perf and by trec, then
#   perf report --stdio --sort pid   vs  trec report (per-pid summary)
#   perf script                      vs  trec script
# timed (wall and CPU seconds) with peak RSS, per event and as ratios; and
# trec report's peak RSS at 1M and at 10M events (memory must stay flat);
# and the interactive report (trec report on a terminal, in tmux) on 10M
# events recorded with stacks (-g): the time to its first screen.
#
#   CALLS=N (default 1500000: about 3M events)   RUNS=N (default 3, medians)
#   TUI_CALLS=N (default 5000000: about 10M events with stacks)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
calls=${CALLS:-1500000}
runs=${RUNS:-3}
dir=$(mktemp -d /tmp/trec-repbench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "report_bench: needs root (recording the workload); skipped"
	exit 0
fi
command -v perf >/dev/null || { echo "report_bench: perf is not installed (linux-perf)"; exit 1; }

EV=(-e raw_syscalls:sys_enter -e raw_syscalls:sys_exit)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

# Runs CMD RUNS times with stdout to /dev/null; prints "wall cpu maxrss_kb" medians.
measure() {
	local w=() c=() m=()
	for _ in $(seq "$runs"); do
		local t0 t1
		t0=$(now)
		"$B/bench/runstat" "$dir/stat" "$@" >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; return 1; }
		t1=$(now)
		w+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
		c+=("$(sed 's/.*cpu_s=\([^ ]*\).*/\1/' "$dir/stat")")
		m+=("$(sed 's/.*maxrss_kb=\([^ ]*\).*/\1/' "$dir/stat")")
	done
	echo "$(printf '%s\n' "${w[@]}" | median) $(printf '%s\n' "${c[@]}" | median) $(printf '%s\n' "${m[@]}" | median)"
}

row() { # name events wall cpu rss
	awk -v n="$1" -v e="$2" -v w="$3" -v c="$4" -v m="$5" 'BEGIN {
		printf "%-42s %10d %8.2f %8.2f %10d %10.1f\n", n, e, w, c, m, (w > 0 ? e / w / 1e6 : 0) }'
}

# One comparison: the storm recorded by perf and by trec in the given way.
compare() { # LABEL SYSTEM_WIDE(0/1)
	local label=$1 wide=$2
	if [ "$wide" = 1 ]; then
		# As the recorder benchmark records: system-wide, perf with -z.
		perf record -q "${EV[@]}" -a -z -o "$dir/perf.data" -- "$B/samples/syscall_storm" -n "$calls" >/dev/null 2>&1
		"$B/trec" record -q -a "${EV[@]}" -o "$dir/trec.data" -f -- "$B/samples/syscall_storm" -n "$calls" >/dev/null
	else
		perf record -q "${EV[@]}" -o "$dir/perf.data" -- "$B/samples/syscall_storm" -n "$calls" >/dev/null 2>&1
		"$B/trec" record -q "${EV[@]}" -o "$dir/trec.data" -f -- "$B/samples/syscall_storm" -n "$calls" >/dev/null
	fi
	local pe te
	pe=$(perf report -i "$dir/perf.data" --stats 2>/dev/null | awk '/SAMPLE events:/ {print $3; exit}')
	te=$("$B/trec" info --json -i "$dir/trec.data" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
	local pr_w pr_c pr_m ps_w ps_c ps_m tr_w tr_c tr_m ts_w ts_c ts_m tl_w tl_c tl_m
	read -r pr_w pr_c pr_m < <(measure perf report -i "$dir/perf.data" --stdio --sort pid)
	read -r ps_w ps_c ps_m < <(measure perf script -i "$dir/perf.data")
	read -r tr_w tr_c tr_m < <(measure "$B/trec" report -i "$dir/trec.data")
	read -r ts_w ts_c ts_m < <(measure "$B/trec" script -i "$dir/trec.data")
	read -r tl_w tl_c tl_m < <(measure "$B/trec" report -i "$dir/trec.data" --latency syscalls --by pid)
	echo "## $label: syscall_storm -n $calls, raw_syscalls enter+exit; $runs runs, medians"
	printf "%-42s %10s %8s %8s %10s %10s\n" "" "events" "wall s" "cpu s" "peak KB" "M ev/s"
	row "perf report --stdio --sort pid" "$pe" "$pr_w" "$pr_c" "$pr_m"
	row "trec report (per-pid summary)" "$te" "$tr_w" "$tr_c" "$tr_m"
	row "trec report --latency syscalls --by pid" "$te" "$tl_w" "$tl_c" "$tl_m"
	row "perf script" "$pe" "$ps_w" "$ps_c" "$ps_m"
	row "trec script" "$te" "$ts_w" "$ts_c" "$ts_m"
	awk -v pe="$pe" -v te="$te" -v prw="$pr_w" -v trw="$tr_w" -v prm="$pr_m" -v trm="$tr_m" \
		-v psw="$ps_w" -v tsw="$ts_w" -v tlw="$tl_w" 'BEGIN {
		pr = prw / pe; tr = trw / te; ps = psw / pe; ts = tsw / te; tl = tlw / te
		printf "per event: trec report %.1fx faster than perf report (--latency syscalls: %.1fx), %.0fx less memory; trec script %.1fx faster than perf script\n",
			pr / tr, pr / tl, prm / trm, ps / ts }'
	echo
}

compare "perf.data of the command alone (perf record -- CMD)" 0
compare "system-wide, perf with -z (as bench/record_bench.sh records)" 1

# Flat memory: 1M and 10M events (500k and 5M storm calls, enter+exit).
for n in 500000 5000000; do
	"$B/trec" record -q "${EV[@]}" -o "$dir/m$n.data" -- "$B/samples/syscall_storm" -n "$n" >/dev/null
	ev=$("$B/trec" info --json -i "$dir/m$n.data" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
	read -r w c m < <(runs=1 measure "$B/trec" report -i "$dir/m$n.data")
	read -r lw lc lm < <(runs=1 measure "$B/trec" report -i "$dir/m$n.data" --latency syscalls)
	printf "trec report at %9d events: %6.2f s, peak %6d KB; --latency syscalls: %6.2f s, peak %6d KB\n" "$ev" "$w" "$m" "$lw" "$lm"
	rm -f "$dir/m$n.data"
done

# The interactive report on the storm recorded with stacks: the wall time
# from starting it in tmux until its first screen shows (tmux's start
# included), and the CPU and memory it used (runstat; after that it only
# waits for keys, and q ends it).
tui_first_screen() {
	local n=$1 sock=trec-bench-$$ t0 t1 ev
	"$B/trec" record -q -g "${EV[@]}" -o "$dir/g.data" -- "$B/samples/syscall_storm" -n "$n" >/dev/null
	ev=$("$B/trec" info --json -i "$dir/g.data" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
	rm -f "$dir/tui.stat"
	t0=$(now)
	tmux -L "$sock" -f /dev/null new-session -d -s tui -x 160 -y 50 \
		"$B/bench/runstat" "$dir/tui.stat" "$B/trec" report -i "$dir/g.data"
	for _ in $(seq 3000); do
		tmux -L "$sock" capture-pane -p -t tui 2>/dev/null | grep -q '^view 1/' && break
		sleep 0.01
	done
	t1=$(now)
	tmux -L "$sock" send-keys -t tui q
	for _ in $(seq 500); do [ -s "$dir/tui.stat" ] && break; sleep 0.01; done
	tmux -L "$sock" kill-server >/dev/null 2>&1 || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
	awk -v e="$ev" -v a="$t0" -v b="$t1" -v c="$(sed 's/.*cpu_s=\([^ ]*\).*/\1/' "$dir/tui.stat")" \
		-v m="$(sed 's/.*maxrss_kb=\([^ ]*\).*/\1/' "$dir/tui.stat")" 'BEGIN {
		printf "trec report (interactive) at %9d events with stacks: first screen after %.2f s, %.2f s CPU, peak %d KB\n", e, b - a, c, m }'
	rm -f "$dir/g.data"
}
if command -v tmux >/dev/null; then
	tui_first_screen "${TUI_CALLS:-5000000}"
else
	echo "trec report (interactive): tmux is not installed (scripts/setup-deps.sh); skipped"
fi
