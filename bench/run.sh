#!/usr/bin/env bash
# make bench: builds optimized and prints the format's throughput and size
# figures. Every figure is measured in this run; nothing is quoted.
#
#   BENCH_EVENTS=N  events per stream (default 4000000)
#   BENCH_DIR=DIR   where the trace files go (default: a fresh dir in /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${BENCH_EVENTS:-4000000}
dir=${BENCH_DIR:-$(mktemp -d /tmp/trec-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT

scripts/setup-deps.sh
make -s -j2 bench-bins

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)"
echo
echo "## event codec alone (bench/bench_events.c): encode + zstd, decode; one core"
build/bench/bench_events -n "$n" -x
echo
echo "## whole format (bench/bench_format.c): writer to a file, reader back"
build/bench/bench_format -n "$n" -d "$dir"
echo
echo "## recorder (bench/record_bench.sh): syscall storm under perf, the bare BPF consumer and trec"
bench/record_bench.sh
echo
echo "## event rings (bench/rings_bench.sh): the consumer's cost per ring, loss of one storming CPU per-CPU vs shared"
bench/rings_bench.sh
echo
echo "## profiling (bench/profile_bench.sh): perf record -F 999 -a -g vs trec, then perf script vs trec report --folded"
bench/profile_bench.sh
echo
echo "## analysis (bench/report_bench.sh): perf report / perf script vs trec report / trec script on the same workload"
bench/report_bench.sh
echo; bench/uprobe_bench.sh # a tight loop on a probed function: untraced, perf probe + perf record, trec
echo; echo "## flame graphs (bench/flame_bench.sh): render ~200k folded stacks, collapse perf script output"; bench/flame_bench.sh
echo; echo "## unwinding without frame pointers (bench/unwind_bench.sh): xz, nofp_cxx, python3 under perf -g, perf --call-graph dwarf, trec"; bench/unwind_bench.sh
