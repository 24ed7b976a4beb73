#!/usr/bin/env bash
# Rings shared by several CPUs (docs/RECORD.md, Memory): --rings 1 puts
# every CPU's records into one ring, --rings 8 leaves rings idle. Two
# getppid storms of known counts, pinned to different CPUs, must come out
# exact per process, each on its own CPU (the CPU comes from the record,
# not the ring), in time order; -v prints the memory figures and `trec
# info --json` keeps them.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v taskset >/dev/null || skip_all "taskset (util-linux) not installed"

plan 9

# Two CPUs when there are (one when not: the counts still must hold).
CPU_A=0 CPU_B=0
[ "$(nproc)" -ge 2 ] && CPU_B=1
STORMS="taskset -c $CPU_A $SAMPLES/syscall_storm -n 60000 & taskset -c $CPU_B $SAMPLES/syscall_storm -n 40000 & wait"

# "A B ORDERED PIDS": events of the 60000 storm and of the 40000 storm
# (told apart by count), whether each ran on its one CPU, whether time
# never went back, and how many storm processes there were.
tally() {
	"$TREC" script --json -i "$1" | python3 -c 'import json, sys
from collections import Counter, defaultdict
n = Counter(); cpus = defaultdict(set); last = 0; ordered = True
for line in sys.stdin:
    e = json.loads(line)
    if e.get("comm") != "syscall_storm" or e["event"] != "syscalls:sys_enter_getppid":
        continue
    n[e["pid"]] += 1; cpus[e["pid"]].add(e["cpu"])
    ordered = ordered and e["time_ns"] >= last; last = e["time_ns"]
big = [p for p in n if n[p] == 60000]; small = [p for p in n if n[p] == 40000]
ok = len(big) == 1 and len(small) == 1 and cpus[big[0]] == {int(sys.argv[1])} and cpus[small[0]] == {int(sys.argv[2])}
print(len(big), len(small), "cpus-ok" if ok else "cpus-bad:%s" % dict(cpus), "ordered" if ordered else "unordered", len(n))' "$CPU_A" "$CPU_B"
}
meta() { # FILE KEY
	"$TREC" info --json -i "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"].get(sys.argv[1], "none"))' "$2"
}

# ---- one ring for every CPU ---------------------------------------------------------------------
T=$TAP_TMP/one.data
run "$TREC" record -v --rings 1 -e syscalls:sys_enter_getppid -o "$T" -- sh -c "$STORMS"
check "record --rings 1 -v exits 0 and prints the memory figures: one ring for every CPU" \
	'[ $RC -eq 0 ] && [[ $ERR == *"trec record: memory "*" of 256 MiB: 1 ring x 8 MiB for "* ]]'
check "nothing was lost" '[[ $ERR == *" 0 lost"* ]]'
got=$(tally "$T")
check "both storms exact (60000 and 40000), each on its own CPU ($CPU_A, $CPU_B), in time order ($got)" \
	'[ "$got" = "1 1 cpus-ok ordered 2" ]'
rings=$(meta "$T" record.memory.rings) per=$(meta "$T" record.memory.cpus_per_ring) ncpu=$(meta "$T" record.memory.cpus)
total=$(meta "$T" record.memory.total) ring=$(meta "$T" record.memory.ring_bytes)
check "info --json: record.memory.rings=1, cpus_per_ring=cpus ($rings, $per, $ncpu), total $total > the ring" \
	'[ "$rings" = 1 ] && [ "$per" = "$ncpu" ] && [ "$ring" = 8388608 ] && [ "$total" -gt "$ring" ]'
run "$TREC" info -i "$T"
check "info's text names the memory: rings, size, CPUs per ring" \
	'[[ $OUT == *"recorder memory "*" MiB of 256.0 MiB: 1 ring x 8.0 MiB for "*" CPUs ("*" per ring)"* ]]'

# ---- more rings than CPUs: the extra ones stay idle ---------------------------------------------
T=$TAP_TMP/many.data
run "$TREC" record -q --rings 8 -m 4M -e syscalls:sys_enter_getppid -o "$T" -- sh -c "$STORMS"
got=$(tally "$T")
check "--rings 8 -m 4M: both storms exact, each on its own CPU, in time order ($got)" \
	'[ $RC -eq 0 ] && [ "$got" = "1 1 cpus-ok ordered 2" ]'
rings=$(meta "$T" record.memory.rings) ring=$(meta "$T" record.memory.ring_bytes)
check "info --json: 8 rings of 4 MiB ($rings, $ring)" '[ "$rings" = 8 ] && [ "$ring" = 4194304 ]'

# ---- the default: a ring per CPU, the figures in the file -----------------------------------------
T=$TAP_TMP/default.data
run "$TREC" record -q -e syscalls:sys_enter_getppid -o "$T" -- "$SAMPLES/syscall_storm" -n 1000
rings=$(meta "$T" record.memory.rings) ncpu=$(meta "$T" record.memory.cpus) budget=$(meta "$T" record.memory.budget)
check "default: one ring per CPU ($rings for $ncpu), under the 256 MiB budget ($budget)" \
	'[ $RC -eq 0 ] && [ "$rings" = "$ncpu" ] && [ "$budget" = 268435456 ]'
run "$TREC" record -q --memory 1M -e syscalls:sys_enter_getppid -o "$TAP_TMP/x.data" -- true
check "--memory below 8M is a usage error naming it" '[ $RC -eq 2 ] && [[ $ERR == *"--memory"* ]]'
