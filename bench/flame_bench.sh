#!/usr/bin/env bash
# Flame graph benchmark (docs/FLAMEGRAPH.md): time and peak memory of
#  1. rendering a folded file of ~200k distinct stacks (depth up to 48,
#     ~77 MB, made by a deterministic generator below) with
#     `trec flamegraph`, sorted as collapsers write it and shuffled;
#  2. collapsing perf script output (`trec flamegraph --collapse-perf`):
#     a real `perf record -a -g` of this machine's workload (root only),
#     repeated to ~30 MB, and a synthetic ~200 MB file.
# flamegraph.pl and stackcollapse-perf.pl are not installed (trec does not
# vendor them): their figures, measured once on the same kind of input,
# are quoted from the issue for comparison and marked as such. `perf
# script` itself, which produces the collapser's input, runs here.
#
#   FLAME_BENCH_STACKS=N  distinct stacks in the render input (default 200000)
#   FLAME_BENCH_RUNS=N    runs per measurement, the best time kept (default 3)
#   TREC_BUILD=DIR        where trec and bench/runstat are (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${TREC_BUILD:-build}
T=$B/trec
[ -x "$T" ] || T=$B/report/trec
RUNSTAT=$B/bench/runstat
nstacks=${FLAME_BENCH_STACKS:-200000}
dir=$(mktemp -d /tmp/trec-fbench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# Wall seconds (the best of FLAME_BENCH_RUNS runs, default 3: this machine
# is shared, and the best run is the one least disturbed) and peak RSS.
runs=${FLAME_BENCH_RUNS:-3}
measure() { # NAME OUT CMD...
	local name=$1 out=$2 t0 t1 w status i
	shift 2
	wall="" rss_mb=0
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s.%N)
		"$RUNSTAT" "$dir/$name.stat" "$@" >"$out" 2>"$dir/$name.err"
		t1=$(date +%s.%N)
		status=$(sed -n 's/.*status=\([^ ]*\).*/\1/p' "$dir/$name.stat")
		if [ "$status" != 0 ]; then
			echo "flame_bench: $name failed (status $status):" >&2
			cat "$dir/$name.err" >&2
			exit 1
		fi
		w=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
		wall=$(awk -v a="$wall" -v b="$w" 'BEGIN { if (a == "" || b + 0 < a + 0) print b; else print a }')
		rss_mb=$(sed -n 's/.*maxrss_kb=\([^ ]*\).*/\1/p' "$dir/$name.stat" |
			awk -v m="$rss_mb" '{r = $1 / 1024; printf "%.0f", (r > m ? r : m)}')
	done
}
mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%.1f", b / 1e6}'; } # MB = 10^6 bytes

# ---- 1. render ---------------------------------------------------------------------
# Stacks are random walks down a call tree whose fan-out is fixed by the
# node (so walks share prefixes, as real profiles do), 8 processes, depth
# 4 to 48, names like a C++ profile's. Same seed, same file.
python3 - "$nstacks" "$dir/big.folded" <<'PY'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20240601)
words = ["alloc", "parse", "render", "flush", "lookup", "encode", "decode", "update", "read",
         "write", "commit", "schedule", "dispatch", "handle", "visit", "compute", "merge", "sort"]
mods = ["net", "db", "ui", "io", "core", "util", "http", "json", "sql", "cache", "fs", "rpc"]
names = []
for i in range(30000):
    names.append("%s::%s_%d" % (rng.choice(mods), rng.choice(words), i))
comms = ["server", "worker-%d" % 1, "worker-%d" % 2, "db-writer", "http-accept", "gc", "cron", "logger"]
stacks = {}
while len(stacks) < n:
    ci = rng.randrange(len(comms))
    path = [comms[ci]]
    node = ci * 7919 + 1
    depth = min(47, 3 + int(rng.expovariate(1 / 10.0)))
    for d in range(depth):
        fan = 1 + node % 4
        pick = min(int(rng.expovariate(1.2)), fan - 1)
        node = (node * 1000003 + pick * 7 + d) % 2305843009213693951
        path.append(names[node % len(names)])
    key = ";".join(path)
    stacks[key] = stacks.get(key, 0) + 1 + int(rng.expovariate(0.05))
with open(out, "w") as f:
    for k in sorted(stacks):
        f.write("%s %d\n" % (k, stacks[k]))
PY
python3 -c "
import random, sys
lines = open(sys.argv[1]).readlines()
random.Random(7).shuffle(lines)
open(sys.argv[2], 'w').writelines(lines)" "$dir/big.folded" "$dir/shuffled.folded"
depth=$(awk '{n = gsub(/;/, ";"); if (n + 1 > m) m = n + 1} END {print m}' "$dir/big.folded")
echo "## render: $(wc -l <"$dir/big.folded") distinct stacks, depth up to $depth, $(mb "$dir/big.folded") MB"
size=$(mb "$dir/big.folded")
measure render "$dir/out.svg" "$T" flamegraph "$dir/big.folded"
awk -v s="$size" -v w="$wall" -v r="$rss_mb" 'BEGIN {printf "sorted input:   trec flamegraph %.3f s (%.0f MB/s), peak %d MB\n", w, s / w, r}'
echo "  SVG $(mb "$dir/out.svg") MB: $(grep -c '^<g><title>' "$dir/out.svg") frames drawn, $(sed -n 's/.*; \([0-9]*\) frames narrower.*/\1/p' "$dir/out.svg") narrower than 0.1 px pruned"
measure shuffled "$dir/out2.svg" "$T" flamegraph "$dir/shuffled.folded"
awk -v s="$size" -v w="$wall" -v r="$rss_mb" 'BEGIN {printf "shuffled input: trec flamegraph %.3f s (%.0f MB/s), peak %d MB\n", w, s / w, r}'
cmp -s "$dir/out.svg" "$dir/out2.svg" && echo "  same SVG bytes from sorted and shuffled input"
echo "reference (issue, not run here): flamegraph.pl 21 s and 1.7 GB on such a file; inferno 38 MB/s"

# ---- 2. collapse -------------------------------------------------------------------
echo
if [ "$(id -u)" -ne 0 ] || ! command -v perf >/dev/null || [ ! -x "$B/samples/cpu_split" ]; then
	echo "collapse of a real recording skipped (needs root, perf and $B/samples/cpu_split)"
elif ! perf record -q -F 999 -a -g -o "$dir/perf.data" -- "$B/samples/cpu_split" 3 >"$dir/perf.log" 2>&1; then
	echo "collapse of a real recording skipped: perf record failed ($(tail -n 1 "$dir/perf.log"))"
else
	t0=$(date +%s.%N)
	perf script -i "$dir/perf.data" >"$dir/one.txt" 2>/dev/null
	t1=$(date +%s.%N)
	one=$(mb "$dir/one.txt")
	awk -v a="$t0" -v b="$t1" -v s="$one" \
		'BEGIN {printf "perf script (run here): %.1f MB of text in %.2f s, %.0f MB/s\n", s, b - a, s / (b - a)}'
	: >"$dir/real.txt"
	while [ "$(stat -c %s "$dir/real.txt")" -lt 31457280 ]; do cat "$dir/one.txt" >>"$dir/real.txt"; done
	measure collapse_real "$dir/real.folded" "$T" flamegraph --collapse-perf "$dir/real.txt"
	awk -v s="$(mb "$dir/real.txt")" -v w="$wall" -v r="$rss_mb" -v n="$(wc -l <"$dir/real.folded")" \
		'BEGIN {printf "collapse, real perf script x N: %.1f MB in %.3f s = %.0f MB/s, peak %d MB, %d stacks\n", s, w, s / w, r, n}'
fi
python3 - "$dir/synth.txt" <<'PY'
import random, sys
rng = random.Random(99)
syms = ["spin", "hot_a_inner", "hot_a", "hot_b", "hot_c", "work", "main", "__libc_start_call_main",
        "std::vector<int>::push_back(int const&)", "[unknown]", "do_syscall_64", "schedule"]
dsos = ["/usr/bin/app", "/usr/lib/x86_64-linux-gnu/libc.so.6", "[kernel.kallsyms]", "/tmp/perf-42.map"]
samples = []
for i in range(4000):
    depth = rng.randint(3, 30)
    lines = ["app %d/%d [%03d] %d.%06d: 1001001 cpu-clock:ppp: " % (100 + i % 7, 100 + i % 13, i % 4, 1000 + i, i)]
    for d in range(depth):
        lines.append("\t%16x %s+0x%x (%s)" % (rng.getrandbits(48), rng.choice(syms), rng.randrange(4096), rng.choice(dsos)))
    samples.append("\n".join(lines) + "\n\n")
block = "".join(samples)
with open(sys.argv[1], "w") as f:
    size = 0
    while size < 200 * 1048576:
        f.write(block)
        size += len(block)
PY
measure collapse_synth "$dir/synth.folded" "$T" flamegraph --collapse-perf "$dir/synth.txt"
awk -v s="$(mb "$dir/synth.txt")" -v w="$wall" -v r="$rss_mb" \
	'BEGIN {printf "collapse, synthetic perf script: %.1f MB in %.3f s = %.0f MB/s, peak %d MB\n", s, w, s / w, r}'
measure collapse_render "$dir/synth.svg" "$T" flamegraph --from-perf "$dir/synth.txt"
awk -v s="$(mb "$dir/synth.txt")" -v w="$wall" \
	'BEGIN {printf "collapse + render in one call (--from-perf): %.3f s = %.0f MB/s\n", w, s / w}'
echo "reference (issue, not run here): stackcollapse-perf.pl 47 MB/s; inferno 182 MB/s"
