#!/usr/bin/env bash
# Cgroups and containers (docs/CONTAINERS.md): trec record -G limits every
# program to cgroup v2 subtrees, the side-band says which cgroup each task
# was in and which pids it has in its own pid namespace, and the report
# groups (--by cgroup), filters (--cgroup) and names containers by them.
#
# The test makes its own cgroups under the v2 hierarchy found in
# /proc/mounts (at /sys/fs/cgroup/unified on a hybrid host):
#   a/, a/sub/  inside -G a (a subtree: its descendant counts too)
#   b/          outside it
#   docker-<64 hex>.scope/  named as docker's systemd driver names a
#               container; its process runs in a new pid namespace
#               (unshare -p -f), where it is pid 1
# and runs syscall_storm in each (it prints exactly how many getppid calls
# it made: a few thousand, a different number each, in about a
# millisecond). The counts per cgroup must be exact, and nothing from
# outside may be recorded under -G. Every process is gone long before the
# recorder drains its side-band: its cgroup and namespace pids are the ones
# the kernel hooks kept at its exec.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, cgroups)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
for tool in python3 unshare; do
	command -v $tool >/dev/null || skip_all "$tool not installed"
done
V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$V2" ] || skip_all "no cgroup v2 hierarchy in /proc/mounts"

plan 33

HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
NAME=trec-e2e-$$
CG=$V2/$NAME
REL=/$NAME # as the trace names it: relative to the v2 root
CTR=docker-$HEX.scope
# Every process the test starts has exited before cleanup (the recordings
# wait for their command); a cgroup with none left is removed by rmdir.
cleanup() {
	for d in "$CG/a/sub" "$CG/a" "$CG/b" "$CG/$CTR" "$CG"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rm -rf "$TAP_TMP"
}
trap cleanup EXIT
mkdir -p "$CG/a/sub" "$CG/b" "$CG/$CTR"

W=$TAP_TMP
# The recorded command: one syscall_storm per cgroup, one after another,
# each moved into its cgroup by its subshell before the exec (as container
# runtimes do), printing its calls to NAME.out and its pid to NAME.pid.
cat >"$W/work.sh" <<'EOF'
#!/bin/bash
S=$1 CG=$2 OUT=$3 CTR=$4
run_in() { # CGROUP NAME [unshare]
	(
		[ -n "$1" ] && echo $BASHPID >"$1/cgroup.procs"
		echo $BASHPID >"$OUT/$2.pid"
		if [ -n "$3" ]; then
			exec unshare -p -f "$S" -n $((3000 + RANDOM % 1000)) >"$OUT/$2.out"
		fi
		exec "$S" -n $((3000 + RANDOM % 1000)) >"$OUT/$2.out"
	)
}
run_in "$CG/a" a
run_in "$CG/a/sub" sub
run_in "$CG/b" b
run_in "" outside
run_in "$CG/$CTR" ctr unshare
EOF
chmod +x "$W/work.sh"
calls() { sed -n 's/^calls=\([0-9]*\).*/\1/p' "$W/$1.out"; }

# Counts events of a trace's `script --json` output with a Python predicate.
jcount() { # FILE PREDICATE
	python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
pred = eval("lambda e: " + sys.argv[2])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if pred(e):
        n += 1
print(n)
PY
}
# Events of one group of `report --by cgroup --json` (0 when absent).
group_events() { # JSONFILE CGROUP
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(r["events"] for r in d["rows"] if r["cgroup"] == sys.argv[2]))
PY
}

# ---- without -G: every cgroup, counted exactly -------------------------------------------
T=$W/all.data
run "$TREC" record -q -a -e syscalls:sys_enter_getppid -o "$T" -- "$W/work.sh" "$SAMPLES/syscall_storm" "$CG" "$W" "$CTR"
check "record -a with the workload succeeds" '[ $RC -eq 0 ] && [ -s "$T" ]'
A=$(calls a) SUB=$(calls sub) B=$(calls b) C=$(calls ctr)
check "every workload ran" '[ -n "$A" ] && [ -n "$SUB" ] && [ -n "$B" ] && [ -n "$C" ] && [ "$A" -gt 0 ]'
# Each subshell makes a getppid call of its own before the exec: counts are
# of syscall_storm's events. Other sessions' processes are recorded too (-a),
# so every check is about this test's own cgroups and pids.
run "$TREC" report --by cgroup --comm syscall_storm --json -i "$T"
echo "$OUT" >"$W/by.json"
check "report --by cgroup succeeds" '[ $RC -eq 0 ]'
check "cgroup a: exactly its process's calls ($A)" '[ "$(group_events "$W/by.json" "$REL/a")" = "$A" ]'
check "cgroup a/sub: exactly its calls ($SUB)" '[ "$(group_events "$W/by.json" "$REL/a/sub")" = "$SUB" ]'
check "cgroup b: exactly its calls ($B)" '[ "$(group_events "$W/by.json" "$REL/b")" = "$B" ]'
check "the container's cgroup: exactly its calls ($C)" '[ "$(group_events "$W/by.json" "$REL/$CTR")" = "$C" ]'
check "the container's row names it, as docker ps shortens ids" \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=[r for r in d[\"rows\"] if r[\"cgroup\"]==sys.argv[2]]; sys.exit(not(r and r[0][\"container\"]==\"docker:0123456789ab\"))" "$W/by.json" "$REL/$CTR"'
run "$TREC" report --by cgroup --comm syscall_storm -i "$T"
check "the text table has cgroup and container columns" \
	'echo "$OUT" | grep -q "^cgroup  *container" && echo "$OUT" | grep -q "^$REL/a/sub  *$SUB " &&
	 echo "$OUT" | grep -q " docker:0123456789ab  *$C "'
run "$TREC" report --by cgroup --cgroup "$REL/a*" --comm syscall_storm --json -i "$T"
echo "$OUT" >"$W/glob.json"
check "--cgroup GLOB keeps a and a/sub only" \
	'[ $RC -eq 0 ] && [ "$(group_events "$W/glob.json" "$REL/a")" = "$A" ] &&
	 [ "$(group_events "$W/glob.json" "$REL/a/sub")" = "$SUB" ] &&
	 python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(len(d[\"rows\"]) != 2)" "$W/glob.json"'
run "$TREC" report --cgroup "/no-such-cgroup" -i "$T"
check "--cgroup matching nothing leaves no events" '[ $RC -eq 0 ] && ! echo "$OUT" | grep -q syscall_storm'
run "$TREC" report --by cgroup --latency syscalls -i "$T"
check "--by cgroup is refused where it does not apply" '[ $RC -eq 2 ] && echo "$ERR" | grep -q "summary"'

# ---- the container's pid namespace -----------------------------------------------------------
run "$TREC" script --json -i "$T"
echo "$OUT" >"$W/all.json"
CPID=$(python3 -c "import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e.get('cgroup')==sys.argv[2]: print(e['pid']); break" "$W/all.json" "$REL/$CTR")
check "the container's process has a host pid other than 1" '[ -n "$CPID" ] && [ "$CPID" != 1 ]'
check "each of its calls: host pid $CPID, namespace pid and tid 1 ($C)" \
	'[ "$(jcount "$W/all.json" "e[\"pid\"]==$CPID and e[\"comm\"]==\"syscall_storm\" and e.get(\"nspid\")==1 and e.get(\"nstid\")==1")" = "$C" ]'
check "a process in the host namespace: namespace pid = pid" \
	'[ "$(jcount "$W/all.json" "e[\"pid\"]==$(cat "$W/b.pid") and e[\"comm\"]==\"syscall_storm\" and e[\"nspid\"]==e[\"pid\"]")" = "$B" ]'
run "$TREC" script -i "$T"
check "script text shows both pids of the container's process" \
	'[ "$(echo "$OUT" | grep -c "  *$CPID/$CPID (1/1) syscall_storm ")" = "$C" ]'
check "script text adds nothing for processes in the host namespace" \
	'! echo "$OUT" | grep -E "  *($(cat "$W/a.pid")|$(cat "$W/b.pid")|$(cat "$W/outside.pid"))/" | grep -q " ([0-9]*/[0-9?]*) "'
run "$TREC" info -i "$T"
check "info lists the taskctx blocks" 'echo "$OUT" | grep -q "^  taskctx "'

# ---- -G: only the subtree ----------------------------------------------------------------------
T=$W/g.data
run "$TREC" record -q -a -G "$NAME/a" -e syscalls:sys_enter_getppid -o "$T" -- "$W/work.sh" \
	"$SAMPLES/syscall_storm" "$CG" "$W" "$CTR"
check "record -G succeeds" '[ $RC -eq 0 ] && [ -s "$T" ]'
A=$(calls a) SUB=$(calls sub)
run "$TREC" script --json -i "$T"
echo "$OUT" >"$W/g.json"
check "-G: syscall_storm's calls, exactly $A in a + $SUB in a/sub" \
	'[ "$(jcount "$W/g.json" "e[\"comm\"]==\"syscall_storm\"")" = "$((A + SUB))" ]'
check "-G: every event is from a process in a or a/sub" \
	'[ "$(jcount "$W/g.json" "e[\"pid\"] not in ($(cat "$W/a.pid"), $(cat "$W/sub.pid"))")" = 0 ]'
check "-G: none from b, the container or outside" \
	'[ "$(jcount "$W/g.json" "e[\"pid\"] in ($(cat "$W/b.pid"), $(cat "$W/outside.pid"), $(cat "$W/ctr.pid"))")" = 0 ]'
check "-G: the descendant's calls are in" \
	'[ "$(jcount "$W/g.json" "e[\"pid\"]==$(cat "$W/sub.pid") and e[\"comm\"]==\"syscall_storm\"")" = "$SUB" ]'

# CPU samples under -G: only a's busy loop, never b's, though both ran at once.
cat >"$W/busy.sh" <<'EOF'
#!/bin/bash
S=$1 CG=$2 OUT=$3
(echo $BASHPID >"$CG/a/cgroup.procs"; echo $BASHPID >"$OUT/busy_a.pid"; exec "$S" 0.5 >/dev/null) &
(echo $BASHPID >"$CG/b/cgroup.procs"; echo $BASHPID >"$OUT/busy_b.pid"; exec "$S" 0.5 >/dev/null) &
wait
EOF
chmod +x "$W/busy.sh"
T=$W/prof.data
run "$TREC" record -q -a -G "$CG/a" -F 499 -e cpu-clock -o "$T" -- "$W/busy.sh" "$SAMPLES/cpu_split" "$CG" "$W"
check "record -G with cpu-clock succeeds" '[ $RC -eq 0 ]'
run "$TREC" script --json -i "$T"
echo "$OUT" >"$W/prof.json"
check "-G samples: a's loop was sampled" '[ "$(jcount "$W/prof.json" "e[\"pid\"]==$(cat "$W/busy_a.pid")")" -gt 20 ]'
check "-G samples: all from a's loop" \
	'[ "$(jcount "$W/prof.json" "e[\"pid\"]!=$(cat "$W/busy_a.pid")")" = 0 ]'

# Probes and off-CPU time under -G: probed's add6 and USDT tick fire once
# per round and it sleeps (nanosleep) every round; a's copy runs 40 rounds,
# b's 25. Only a's may be recorded, all of them.
P=$SAMPLES/probed
cat >"$W/probes.sh" <<'EOF'
#!/bin/bash
P=$1 CG=$2 OUT=$3
(echo $BASHPID >"$CG/a/cgroup.procs"; echo $BASHPID >"$OUT/probed_a.pid"; exec "$P" 40 >/dev/null)
(echo $BASHPID >"$CG/b/cgroup.procs"; echo $BASHPID >"$OUT/probed_b.pid"; exec "$P" 25 >/dev/null)
EOF
chmod +x "$W/probes.sh"
T=$W/probes.data
run "$TREC" record -q -a -G "$NAME/a" -e "u:$P:add6" -e "usdt:$P:trec_sample:tick" -e offcpu -o "$T" -- \
	"$W/probes.sh" "$P" "$CG" "$W"
check "record -G with a uprobe, a USDT probe and off-CPU time succeeds" '[ $RC -eq 0 ]'
run "$TREC" script --json -i "$T"
echo "$OUT" >"$W/probes.json"
PA=$(cat "$W/probed_a.pid")
check "-G uprobe: a's 40 add6 calls, exactly" \
	'[ "$(jcount "$W/probes.json" "e[\"pid\"]==$PA and e[\"event\"].endswith(\":add6\")")" = 40 ]'
check "-G USDT: a's 40 ticks, exactly" \
	'[ "$(jcount "$W/probes.json" "e[\"pid\"]==$PA and e[\"event\"].endswith(\":tick\")")" = 40 ]'
check "-G off-CPU: a's sleeps are there" \
	'[ "$(jcount "$W/probes.json" "e[\"pid\"]==$PA and e[\"event\"]==\"offcpu\"")" -gt 0 ]'
check "-G probes and off-CPU: nothing from any other process" \
	'[ "$(jcount "$W/probes.json" "e[\"pid\"]!=$PA")" = 0 ]'

# ---- errors ------------------------------------------------------------------------------------
run "$TREC" record -q -a -G "$NAME/no-such" -o "$W/x.data" -- true
check "-G with a missing cgroup: a usage error naming it" '[ $RC -eq 2 ] && echo "$ERR" | grep -q "no-such"'
run "$TREC" record -q -a -G "$NAME/$(realpath --relative-to="$CG" /tmp)" -o "$W/x.data" -- true
check "-G outside the v2 hierarchy: a usage error" '[ $RC -eq 2 ] && echo "$ERR" | grep -q "not a cgroup"'
