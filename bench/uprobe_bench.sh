#!/usr/bin/env bash
# The uprobe benchmark: samples/probed -l CALLS, a tight loop calling one
# function (bench_target) CALLS times, run
#   1. untraced,
#   2. under perf: `perf probe -x BIN bench_target` and
#      `perf record -e GROUP:EVENT -- BIN -l CALLS` (8 MiB buffer, as trec's),
#   3. under `trec record -e u:BIN:bench_target -- BIN -l CALLS`,
# each RUNS times (median). Prints calls/s, the cost of one probe hit (the
# traced loop's time per call minus the untraced one's), events recorded
# and lost, and trec's per-hit cost against perf's. The perf probe is
# deleted again on every exit path.
#
#   UPROBE_CALLS=N (default 1000000)  RUNS=N (default 3)  TREC_BUILD=DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${TREC_BUILD:-build}
calls=${UPROBE_CALLS:-1000000}
runs=${RUNS:-3}
BIN=$(realpath "$B/samples/probed")
GROUP=trecbench$$
dir=$(mktemp -d /tmp/trec-ubench.XXXXXX)
cleanup() {
	perf probe -q -d "$GROUP:*" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "uprobe_bench: needs root (uprobes); skipped"
	exit 0
fi
command -v perf >/dev/null || { echo "uprobe_bench: perf is not installed (linux-perf)"; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate_of() { sed -n 's/.*calls_per_sec=\([0-9.]*\).*/\1/p' "$1"; }

# Runs CMD (which runs the loop) RUNS times; the loop's rates, one per line.
measure() { # NAME CMD...
	local name=$1
	shift
	for i in $(seq "$runs"); do
		"$@" >"$dir/$name.out.$i" 2>"$dir/$name.err.$i"
		rate_of "$dir/$name.out.$i"
	done >"$dir/$name.rates"
	median <"$dir/$name.rates"
}

perf probe -q -x "$BIN" -a "$GROUP:hit=bench_target" >/dev/null
echo "## uprobes: samples/probed -l $calls (one call of bench_target per loop), $runs runs, medians"
none=$(measure none "$BIN" -l "$calls")
perf_rate=$(measure perf perf record -q -m 8M -e "$GROUP:hit" -o "$dir/perf.data" -- "$BIN" -l "$calls")
perf_stats=$(perf report -i "$dir/perf.data" --stats 2>/dev/null || true)
# the probe's own count (the last SAMPLE line: after the aggregate one)
perf_events=$(echo "$perf_stats" | awk '/SAMPLE events:/ {n = $3} END {print n}')
perf_lost=$(echo "$perf_stats" | awk '/LOST_SAMPLES events:/ {s += $3} /LOST events:/ {s += $3} END {print s + 0}')
perf probe -q -d "$GROUP:*" >/dev/null
trec_rate=$(measure trec "$B/trec" record -q -f -e "u:$BIN:bench_target" -o "$dir/trec.data" -- "$BIN" -l "$calls")
read -r trec_events trec_lost < <("$B/trec" info --json -i "$dir/trec.data" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["lost"])')

# ns per hit: what tracing added to each loop iteration
hit_ns() { awk -v n="$none" -v t="$1" 'BEGIN {printf "%.0f", 1e9 / t - 1e9 / n}'; }
printf "%-34s %14s %12s %10s %8s\n" "" "calls/s" "ns per hit" "events" "lost"
printf "%-34s %14.0f %12s %10s %8s\n" "untraced" "$none" "-" "-" "-"
printf "%-34s %14.0f %12s %10s %8s\n" "perf probe -x + perf record" "$perf_rate" "$(hit_ns "$perf_rate")" \
	"${perf_events:-?}" "$perf_lost"
printf "%-34s %14.0f %12s %10s %8s\n" "trec record -e u:BIN:FUNC" "$trec_rate" "$(hit_ns "$trec_rate")" \
	"$trec_events" "$trec_lost"
awk -v p="$(hit_ns "$perf_rate")" -v t="$(hit_ns "$trec_rate")" 'BEGIN {
	printf "per-hit cost: trec/perf = %.2f (below 1: trec adds less to each call)\n", t / p }'
