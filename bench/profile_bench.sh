#!/usr/bin/env bash
# The profiling benchmark: a busy workload (two samples/cpu_split, one per
# CPU, for a fixed time) profiled at 999 Hz with stacks by
# `perf record -F 999 -a -g` and by `trec record -F 999 -a -g`, then the
# time and memory to fold the stacks: `perf script` against
# `trec report --folded`. Prints workload slowdown, recorder CPU, bytes per
# sample, lost samples, and the folding ratios; then trec convert (pprof,
# perf-script) speed and output size beside perf script on perf's file.
#
#   PROFILE_SECONDS=S (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
secs=${PROFILE_SECONDS:-10}
dir=$(mktemp -d /tmp/trec-pbench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
if [ "$(id -u)" -ne 0 ]; then
	echo "profile_bench: needs root; skipped"
	exit 0
fi

workload() { # prints the summed loops of two cpu_split instances
	"$B/samples/cpu_split" "$secs" >"$dir/w1" &
	local a=$!
	"$B/samples/cpu_split" "$secs" >"$dir/w2" &
	local b=$!
	wait $a $b
	cat "$dir/w1" "$dir/w2" | sed -n 's/.*loops=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}'
}

# Runs the workload under a recorder (via runstat, stopped with SIGINT).
under() { # NAME CMD...
	local name=$1
	shift
	"$B/bench/runstat" "$dir/$name.stat" "$@" >"$dir/$name.log" 2>&1 &
	local rp=$!
	sleep 1
	workload >"$dir/$name.loops"
	sleep 0.3
	kill -INT $rp
	wait $rp || true
}
stat_of() { sed -n "s/.*$2=\\([^ ]*\\).*/\\1/p" "$dir/$1.stat"; }

timed() { # NAME CMD... : wall seconds of CMD with output discarded, via runstat
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$B/bench/runstat" "$dir/$name.stat" "$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'
}

echo "## profiling: 2 x cpu_split for ${secs}s, 999 Hz with stacks"
none=$(workload)
under perf perf record -q -F 999 -a -g -o "$dir/perf.data"
under trec "$B/trec" record -q -F 999 -a -g -o "$dir/trec.data"

perf_samples=$(perf report -i "$dir/perf.data" --stats 2>/dev/null | awk '/SAMPLE events:/ {print $3; exit}')
perf_lost=$(perf report -i "$dir/perf.data" --stats 2>/dev/null | awk '/LOST/ {l += $3} END {print l + 0}')
read -r trec_samples trec_lost < <("$B/trec" info --json -i "$dir/trec.data" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["lost"])')
perf_bytes=$(stat -c %s "$dir/perf.data")
trec_bytes=$(stat -c %s "$dir/trec.data")

printf "%-26s %14s %10s %9s %8s %12s %10s\n" "" "workload loops" "slowdown" "samples" "lost" "file bytes" "B/sample"
printf "%-26s %14s %10s %9s %8s %12s %10s\n" "untraced" "$none" "-" "-" "-" "-" "-"
for r in perf trec; do
	loops=$(cat "$dir/$r.loops")
	s=${r}_samples b=${r}_bytes l=${r}_lost
	printf "%-26s %14s %9.1f%% %9s %8s %12s %10.1f\n" "$r record -F 999 -a -g" "$loops" \
		"$(awk -v n="$none" -v l="$loops" 'BEGIN {print 100 * (n - l) / n}')" "${!s}" "${!l}" "${!b}" \
		"$(awk -v b="${!b}" -v s="${!s}" 'BEGIN {print b / s}')"
done
echo "recorder CPU: perf $(stat_of perf cpu_s) s, trec $(stat_of trec cpu_s) s; peak RSS: perf $(stat_of perf maxrss_kb) KB, trec $(stat_of trec maxrss_kb) KB"
awk -v p="$perf_bytes" -v ps="$perf_samples" -v t="$trec_bytes" -v ts="$trec_samples" 'BEGIN {
	printf "bytes per sample: trec/perf = %.2f (perf keeps no symbols in the file; trec does)\n", (t / ts) / (p / ps) }'

echo
echo "## folding the stacks"
pt=$(timed pscript perf script -i "$dir/perf.data")
tt=$(timed tfold "$B/trec" report --folded -i "$dir/trec.data")
printf "%-34s %8s s %10s KB peak\n" "perf script" "$pt" "$(stat_of pscript maxrss_kb)"
printf "%-34s %8s s %10s KB peak\n" "trec report --folded" "$tt" "$(stat_of tfold maxrss_kb)"
awk -v p="$pt" -v t="$tt" -v ps="$perf_samples" -v ts="$trec_samples" 'BEGIN {
	printf "per sample: trec report --folded is %.1fx faster than perf script\n", (p / ps) / (t / ts) }'

echo
echo "## converting (trec convert) beside perf script on perf's file"
perf script -i "$dir/perf.data" >"$dir/perf.txt" 2>/dev/null || true
printf "%-34s %8s s %12s bytes %14s\n" "perf script" "$pt" "$(stat -c %s "$dir/perf.txt")" \
	"$(awk -v t="$pt" -v n="$perf_samples" 'BEGIN {printf "%.0f samples/s", n / t}')"
for to in pprof perf-script; do
	t=$(timed "conv-$to" "$B/trec" convert --to "$to" -i "$dir/trec.data" -o "$dir/out.$to")
	printf "%-34s %8s s %12s bytes %14s\n" "trec convert --to $to" "$t" "$(stat -c %s "$dir/out.$to")" \
		"$(awk -v t="$t" -v n="$trec_samples" 'BEGIN {printf "%.0f events/s", n / t}')"
done
