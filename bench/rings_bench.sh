#!/usr/bin/env bash
# The ring benchmark (docs/RECORD.md, Memory): what each event ring costs
# the consumer, and what sharing rings does to loss, on any machine
# (--rings N binds several rings per CPU when N > CPUs, the extra ones
# idle, as on a big host whose other CPUs are quiet).
#
#   1. Consumer cost per ring: `trec record -a -e syscalls:sys_enter_getppid
#      --rings N -m 1M` for N = CPUs, 64, 128, 256; over WINDOW seconds after
#      it started, the recorder's CPU time (every thread's schedstat) and its
#      voluntary context switches (wake-ups), idle and while
#      samples/syscall_storm makes STORM_CALLS calls pinned to CPU 0.
#      Per ring: the difference to N = CPUs over the extra rings.
#   2. Loss when one CPU storms while the others idle: STORM_CALLS getppid
#      calls pinned to CPU 0 under a ring per CPU of S and under one ring of
#      CPUs x S shared by all (the same memory), for S = 256K and 1M.
#
#   WINDOW=S (default 3)  STORM_CALLS=N (default 3000000)  RUNS=N (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
B=build
win=${WINDOW:-3}
calls=${STORM_CALLS:-3000000}
runs=${RUNS:-3}
dir=$(mktemp -d /tmp/trec-ringbench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
ncpu=$(nproc)

if [ "$(id -u)" -ne 0 ]; then
	echo "rings_bench: needs root (BPF); skipped"
	exit 0
fi
command -v taskset >/dev/null || { echo "rings_bench: taskset (util-linux) is not installed"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Sum of every thread's run time (ns) and voluntary switches of PID.
cost() { # PID -> "ns switches"
	local ns=0 sw=0 t
	for t in /proc/"$1"/task/*; do
		ns=$((ns + $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)))
		sw=$((sw + $(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null || echo 0)))
	done
	echo "$ns $sw"
}

# Starts a recorder with ARGS, waits for it to run, measures WINDOW seconds
# (with the storm when STORM=1), stops it; prints "cpu_ms wakeups lost".
window() { # STORM ARGS...
	local storm=$1
	shift
	"$B/trec" record -q -f -a -e syscalls:sys_enter_getppid -o "$dir/w.data" "$@" 2>"$dir/w.err" &
	local rp=$!
	sleep 1.5 # BPF load, attach, /proc snapshot
	local a b
	a=$(cost "$rp")
	if [ "$storm" = 1 ]; then
		taskset -c 0 "$B/samples/syscall_storm" -n "$calls" >/dev/null
		sleep 0.2
	else
		sleep "$win"
	fi
	b=$(cost "$rp")
	kill -INT "$rp"
	wait "$rp" || true
	local lost
	lost=$("$B/trec" info --json -i "$dir/w.data" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lost"])')
	echo "$a $b" | awk -v l="$lost" '{printf "%.1f %d %d\n", ($3 - $1) / 1e6, $4 - $2, l}'
}

# RUNS windows of one configuration into FILE, one line each.
measure() { # FILE STORM ARGS...
	local f=$1
	shift
	for _ in $(seq "$runs"); do window "$@"; done >"$f"
}
# Median of column C of FILE.
med() { awk -v c="$2" '{print $c}' "$1" | median; }

echo "rings_bench: $ncpu CPUs, ${win}s idle windows, $calls-call storms pinned to CPU 0, median of $runs"
echo
echo "1. Consumer cost per ring (-m 1M each; rings past $ncpu are idle)"
printf '%-7s %14s %14s %14s %14s %10s\n' rings idle_cpu_ms/s idle_wakeups/s storm_cpu_ms storm_wakeups storm_lost
declare -A icpu iwake scpu swake
for n in "$ncpu" 64 128 256; do
	measure "$dir/idle" 0 --rings "$n" -m 1M
	measure "$dir/storm" 1 --rings "$n" -m 1M
	icpu[$n]=$(med "$dir/idle" 1) iwake[$n]=$(med "$dir/idle" 2)
	scpu[$n]=$(med "$dir/storm" 1) swake[$n]=$(med "$dir/storm" 2) slost=$(med "$dir/storm" 3)
	awk -v n="$n" -v ic="${icpu[$n]}" -v iw="${iwake[$n]}" -v sc="${scpu[$n]}" -v sw="${swake[$n]}" \
		-v l="$slost" -v w="$win" 'BEGIN { printf "%-7s %14.2f %14.1f %14.1f %14d %10d\n", n, ic / w, iw / w, sc, sw, l }'
done
echo
echo "   per extra ring, against $ncpu rings:"
for n in 64 128 256; do
	awk -v n="$n" -v c="$ncpu" -v ic="${icpu[$n]}" -v ic0="${icpu[$ncpu]}" -v sc="${scpu[$n]}" \
		-v sc0="${scpu[$ncpu]}" -v sw="${swake[$n]}" -v sw0="${swake[$ncpu]}" -v w="$win" \
		'BEGIN { printf "   %3d rings: idle %.4f ms CPU/s per ring; storm %.4f ms CPU, %.3f wake-ups per ring\n",
			n, (ic - ic0) / w / (n - c), (sc - sc0) / (n - c), (sw - sw0) / (n - c) }'
done
echo
echo "2. Loss when CPU 0 storms ($calls calls) and the others idle: events lost"
printf '%-10s %22s %22s\n' "ring S" "a ring per CPU of S" "1 ring of ${ncpu}xS"
for s in 256 1024; do
	measure "$dir/per" 1 --rings "$ncpu" -m "${s}K"
	measure "$dir/shared" 1 --rings 1 -m "$((s * ncpu))K"
	per=$(med "$dir/per" 3) shared=$(med "$dir/shared" 3)
	printf '%-10s %22d %22d\n' "${s}K" "$per" "$shared"
done
