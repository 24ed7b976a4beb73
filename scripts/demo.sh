#!/usr/bin/env bash
# `make demo`: set up, build, record a real trace on this machine and read
# it back.
#
# The recording: system-wide context switches and process exec/exit, plus
# every syscall (with file names for openat) of a small workload trec
# starts itself: samples/forktree (a fork/exec tree) and samples/open_files.
# Then: trec info (what the file holds), trec script (events in time
# order), and a look at one process's opens. Recording needs root (BPF);
# without it the demo says so and shows the analysis side on a synthetic
# trace instead.
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
	echo "==> $TREC record -f -o $trace -e 'sched:sched_switch' -e 'sched:sched_process_*' -e syscalls:sys_enter_openat -e raw_syscalls:sys_enter -- sh -c 'forktree 2 3; open_files ...'"
	"$TREC" record -f -o "$trace" \
		-e 'sched:sched_switch' -e 'sched:sched_process_*' \
		-e syscalls:sys_enter_openat -e raw_syscalls:sys_enter \
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
echo "==> the same file read by the analysis-only build (libc + libzstd): build/report/trec info"
build/report/trec info -i "$trace" | grep -E '^(events|lost|duration) '

echo
echo "demo: done. The trace is $trace; try '$TREC script -i $trace | less'."
