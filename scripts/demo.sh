#!/usr/bin/env bash
# `make demo`: set up, build, record a real trace on this machine and read
# it back.
#
# Two recordings of workloads trec starts itself (so everything recorded
# is theirs):
#  1. tracepoints: context switches, process exec/fork/exit and every
#     syscall (with file names for openat) of samples/forktree (a fork/exec
#     tree), samples/open_files and a short syscall storm; then trec info,
#     trec script and a look at the files opened;
#     and trec report: the per-process summary and system call latency;
#  2. a CPU and off-CPU profile with stacks of samples/cpu_split (60/30/10
#     in three functions) and samples/blocker (sleeps and a pipe read); then
#     trec report --top (top functions), --folded (flame graph input) and
#     --flamegraph (interactive SVG flame graphs), all from the file alone.
# Recording needs root (BPF); without it the demo says so and shows the
# analysis side on a synthetic trace instead.
set -euo pipefail

cd "$(dirname "$0")/.."

scripts/setup-deps.sh
echo "==> building"
make --no-print-directory -j2
make --no-print-directory report

TREC=build/trec
out=build/demo
mkdir -p "$out"
trace=$out/trec.data

if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	echo
	echo "==> $TREC record -f -o $trace -e 'sched:sched_switch' -e 'sched:sched_process_*' -e syscalls:sys_enter_openat -e 'raw_syscalls:*' -- sh -c 'forktree 2 3; open_files ...'"
	"$TREC" record -f -o "$trace" \
		-e 'sched:sched_switch' -e 'sched:sched_process_*' \
		-e syscalls:sys_enter_openat -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit \
		-- sh -c "build/samples/forktree 2 3 >/dev/null; build/samples/open_files /etc/hostname /etc/os-release /nonexistent >/dev/null; build/samples/syscall_storm -n 100000"
else
	echo
	echo "demo: recording needs root and a kernel with BTF; showing the analysis side on a synthetic trace"
	build/tools/trec-synth -f -o "$trace" -n 200000
fi

echo
echo "==> $TREC info -i $trace"
"$TREC" info -i "$trace"

echo
echo "==> $TREC script -i $trace --limit 15"
"$TREC" script -i "$trace" --limit 15

echo
echo "==> the files open_files opened (trec script --json, filtered with python3)"
"$TREC" script -i "$trace" --json | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["comm"] == "open_files" and "filename_str" in e["fields"]:
        print("  %s %s" % (e["comm"], e["fields"]["filename_str"]))
' || true

echo
echo "==> $TREC report -i $trace   (summary, then one row per process)"
"$TREC" report -i "$trace" | head -30

if "$TREC" info --json -i "$trace" | grep -q '"raw_syscalls:sys_exit"'; then
	echo
	echo "==> $TREC report -i $trace --latency syscalls --limit 1   (system call latency, offline)"
	"$TREC" report -i "$trace" --latency syscalls --limit 1 | sed -n '/^# --latency/,$p' | head -24
fi

echo
echo "==> the same file read by the analysis-only build (libc + libzstd): build/report/trec info"
build/report/trec info -i "$trace" | grep -E '^(events|lost|duration) '

prof=$out/profile.data
if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	echo
	echo "==> $TREC record -f -o $prof -F 999 -e offcpu --offcpu-min 1ms -- sh -c 'cpu_split 2; blocker'"
	"$TREC" record -f -o "$prof" -F 999 -e offcpu --offcpu-min 1ms \
		-- sh -c "build/samples/cpu_split 2; build/samples/blocker"
	echo
	echo "==> $TREC report --top -i $prof --limit 8   (on-CPU samples: top functions per process; first lines)"
	"$TREC" report --top -i "$prof" --limit 8 | head -30
	echo
	echo "==> $TREC report --folded -i $prof   (the heaviest stacks, FlameGraph's format)"
	"$TREC" report --folded -i "$prof" | sort -t' ' -k2 -nr | head -4
	echo
	echo "==> $TREC report --folded --offcpu -i $prof   (microseconds blocked, by stack)"
	"$TREC" report --folded --offcpu -i "$prof" | sort -t' ' -k2 -nr | head -3
	echo
	echo "==> $TREC report --flamegraph $out/cpu.svg -i $prof; the same with --offcpu into $out/offcpu.svg"
	"$TREC" report --flamegraph "$out/cpu.svg" -i "$prof"
	"$TREC" report --flamegraph "$out/offcpu.svg" --offcpu -i "$prof"
	ls -l "$out/cpu.svg" "$out/offcpu.svg"
	echo "(open them in a browser: hover, click to zoom, Ctrl-F to search)"

	# Debian's own xz and liblzma: no frame pointers, stripped.
	xzp=$out/xz.data
	head -c $((6 << 20)) /dev/urandom >"$out/random.bin"
	echo
	echo "==> $TREC record -f -o $xzp -F 999 -- xz -9 -T1 (Debian's: no frame pointers, stripped liblzma)"
	"$TREC" record -f -o "$xzp" -F 999 -- xz -9 -k -c -T1 "$out/random.bin" >/dev/null
	echo
	echo "==> $TREC info -i $xzp   (how its user stacks were walked)"
	"$TREC" info -i "$xzp" | sed -n '/^user stacks/,/^$/p'
	echo
	echo "==> $TREC report --folded -i $xzp   (whole stacks from _start; unnamed liblzma functions by their start)"
	"$TREC" report --folded -i "$xzp" | sort -t' ' -k2 -nr | head -2
	"$TREC" report --flamegraph "$out/xz.svg" -i "$xzp"
	ls -l "$out/xz.svg"
	rm -f "$out/random.bin"
fi

echo
echo "demo: done. Traces in $out/; try '$TREC script -i $trace | less' or '$TREC report -i $prof'."
