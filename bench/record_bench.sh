#!/usr/bin/env bash
# The recorder benchmark: samples/syscall_storm runs for a fixed time
#   1. untraced,
#   2. under `perf record -e raw_syscalls:sys_enter -a -z`,
#   3. under the bare BPF consumer (bench/bare_consumer: the least a BPF
#      program + ring buffer can do; the limit of the approach), once through
#      the tracefs tracepoint and once through the BTF raw tracepoint, the
#      two ways trec takes (raw_syscalls go the raw way by default),
#   4. under `trec record -e raw_syscalls:sys_enter -a`,
#   5. under `trec record --overwrite` (the flight recorder: the window in
#      memory, nothing written without a trigger; it should cost less),
# each RUNS times (median reported), and prints one table: workload calls/s,
# events recorded and lost, recorder CPU seconds and peak RSS, file bytes,
# bytes per event, and the trec/perf and trec/bare ratios.
#
#   STORM_SECONDS=S (default 3)  RUNS=N (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
secs=${STORM_SECONDS:-3}
runs=${RUNS:-3}
dir=$(mktemp -d /tmp/trec-rbench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "record_bench: needs root (BPF and perf system-wide); skipped"
	exit 0
fi
command -v perf >/dev/null || { echo "record_bench: perf is not installed (linux-perf)"; exit 1; }

storm() { "$B/samples/syscall_storm" -s "$secs" | sed 's/.*calls_per_sec=//'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Starts a recorder under runstat, runs the storm, stops the recorder with
# SIGINT, and leaves "rate cpu_s maxrss_kb" in $dir/$1.N.
measure() { # NAME OUTFILE CMD...
	local name=$1 out=$2
	shift 2
	for i in $(seq "$runs"); do
		rm -f "$out"
		"$B/bench/runstat" "$dir/$name.stat" "$@" >"$dir/$name.log" 2>&1 &
		local rp=$!
		sleep 1 # BPF load, attach, /proc snapshot
		local rate
		rate=$(storm)
		sleep 0.3
		kill -INT "$rp"
		wait "$rp" || true
		local cpu rss
		cpu=$(sed 's/.*cpu_s=\([^ ]*\).*/\1/' "$dir/$name.stat")
		rss=$(sed 's/.*maxrss_kb=\([^ ]*\).*/\1/' "$dir/$name.stat")
		echo "$rate $cpu $rss $(stat -c %s "$out" 2>/dev/null || echo 0)" >"$dir/$name.$i"
		cp "$out" "$dir/$name.file" 2>/dev/null || true
		cp "$dir/$name.log" "$dir/$name.log.$i"
	done
}

# Median of column $2 over runs of $1.
col() { cat "$dir/$1".[0-9]* | awk -v c="$2" '{print $c}' | median; }

echo "## recorder: syscall storm for ${secs}s per run, $runs runs, medians"
for i in $(seq "$runs"); do storm >"$dir/none.$i"; done
none=$(cat "$dir"/none.[0-9]* | median)

measure perf "$dir/perf.data" perf record -q -e raw_syscalls:sys_enter -a -z -o "$dir/perf.data"
perf_stats=$(perf report -i "$dir/perf.file" --stats 2>/dev/null || true)
perf_events=$(echo "$perf_stats" | awk '/SAMPLE events:/ {print $3; exit}')
perf_lost=$(echo "$perf_stats" | awk '/LOST_SAMPLES events:/ {print $3; exit} /LOST events:/ {l=$3} END {if (l=="") l=0; print l}' | head -1)

measure bare "$dir/bare.raw" "$B/bench/bare_consumer" -o "$dir/bare.raw"
bare_events=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$dir/bare.log.$runs")
bare_lost=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' "$dir/bare.log.$runs")
measure barer "$dir/barer.raw" "$B/bench/bare_consumer" -r -o "$dir/barer.raw"
barer_events=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$dir/barer.log.$runs")
barer_lost=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' "$dir/barer.log.$runs")

measure trec "$dir/trec.data" "$B/trec" record -q -a -e raw_syscalls:sys_enter -o "$dir/trec.data"
read -r trec_events trec_lost < <("$B/trec" info --json -i "$dir/trec.file" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["lost"])')

# The flight recorder: no trigger, so no file; events and losses from its summary.
measure flight "$dir/flight.none" "$B/trec" record --overwrite -a -e raw_syscalls:sys_enter -o "$dir/flight"
flight_events=$(sed -n 's/.*: \([0-9]*\) events in .*/\1/p' "$dir/flight.log.$runs" | tail -1)
flight_lost=$(sed -n 's/.*, \([0-9]*\) lost.*/\1/p' "$dir/flight.log.$runs" | head -1)

row() { # name rate events lost cpu rss bytes
	local bpe="-"
	[ "${3:-0}" -gt 0 ] 2>/dev/null && bpe=$(awk -v b="$7" -v e="$3" 'BEGIN {printf "%.2f", b / e}')
	printf "%-34s %12s %12s %9s %8s %10s %12s %8s\n" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$bpe"
}
echo
printf "%-34s %12s %12s %9s %8s %10s %12s %8s\n" "" "calls/s" "events" "lost" "cpu s" "peak KB" "file bytes" "B/event"
row "untraced" "$none" "-" "-" "-" "-" "-"
row "perf record -a -z" "$(col perf 1)" "${perf_events:-?}" "${perf_lost:-?}" "$(col perf 2)" "$(col perf 3)" "$(col perf 4)"
row "bare BPF, tracepoint" "$(col bare 1)" "$bare_events" "$bare_lost" "$(col bare 2)" "$(col bare 3)" "$(col bare 4)"
row "bare BPF, raw tp_btf (limit)" "$(col barer 1)" "$barer_events" "$barer_lost" "$(col barer 2)" "$(col barer 3)" "$(col barer 4)"
row "trec record -a" "$(col trec 1)" "$trec_events" "$trec_lost" "$(col trec 2)" "$(col trec 3)" "$(col trec 4)"
row "trec record --overwrite -a" "$(col flight 1)" "${flight_events:-?}" "${flight_lost:-?}" "$(col flight 2)" "$(col flight 3)" "$(col flight 4)"
echo "(events, lost and file bytes of the last run; the others are medians)"
awk -v t="$(col trec 1)" -v p="$(col perf 1)" -v b="$(col barer 1)" -v bt="$(col bare 1)" -v n="$none" 'BEGIN {
	printf "trec/perf workload throughput: %.2fx   trec/bare (raw tp_btf, the limit): %.0f%%   trec/bare tracepoint: %.0f%%   trec/untraced: %.0f%%\n", t / p, 100 * t / b, 100 * t / bt, 100 * t / n }'
