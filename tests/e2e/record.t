#!/usr/bin/env bash
# trec record for real, on the samples/ programs whose behaviour is known:
# exact syscall counts, captured file names, every pid and comm of a
# fork/exec tree (including processes that exited), nothing from other
# processes under -- CMD, the command's exit status, mode 0600, refusal to
# overwrite, and clear errors for unknown tracepoints.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF); run as root"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 52

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

# ---- syscall storm: exact count, only the command's events -------------------
T=$TAP_TMP/storm.data
run "$TREC" record -q -e raw_syscalls:sys_enter -o "$T" -- "$SAMPLES/syscall_storm" -n 200000
check "record -- syscall_storm exits 0" '[ $RC -eq 0 ]'
check "the storm reports its calls" '[[ $OUT == *"calls=200000"* ]]'
check "trace file is mode 0600" '[ "$(stat -c %a "$T")" = 600 ]'
run "$TREC" script --json -i "$T"
echo "$OUT" >"$TAP_TMP/storm.json"
check "script --json reads the trace" '[ $RC -eq 0 ] && [ -s "$TAP_TMP/storm.json" ]'
STORM_PID=$(python3 -c '
import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["comm"]=="syscall_storm": print(e["pid"]); break' "$TAP_TMP/storm.json")
check "the storm's events carry its comm" '[ -n "$STORM_PID" ]'
n=$(jcount "$TAP_TMP/storm.json" "e['pid'] == $STORM_PID and e['fields']['id'] == 110")
check "exactly 200000 getppid entries from the storm (got $n)" '[ "$n" = 200000 ]'
n=$(jcount "$TAP_TMP/storm.json" "e['fields']['common_type'] != $(sed -n 's/^ID: //p' /sys/kernel/tracing/events/raw_syscalls/sys_enter/format) or e['fields']['common_pid'] != e['tid']")
check "common_type and common_pid are restored in every event (bad: $n)" '[ "$n" = 0 ]'
n=$(jcount "$TAP_TMP/storm.json" "e['pid'] != $STORM_PID")
check "no event of any other process under -- CMD (got $n)" '[ "$n" = 0 ]'
run "$TREC" info --json -i "$T"
check "info: nothing lost, not truncated" \
	'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"lost\"]==0 and not d[\"truncated\"], d" "$OUT"'

# ---- overwrite protection ---------------------------------------------------------
run "$TREC" record -q -e raw_syscalls:sys_enter -o "$T" -- true
check "an existing file is refused without -f" '[ $RC -ne 0 ] && [[ $ERR == *"-f"* ]]'
check "the refused file is untouched" '[ -s "$T" ] && "$TREC" info -i "$T" >/dev/null'
run "$TREC" record -q -f -e raw_syscalls:sys_enter -o "$T" -- true
check "-f replaces it" '[ $RC -eq 0 ]'

# ---- exit status and command errors -------------------------------------------------
run "$TREC" record -q -e raw_syscalls:sys_enter -o "$TAP_TMP/exit.data" -- sh -c 'exit 3'
check "the command's exit status is trec's" '[ $RC -eq 3 ]'
run "$TREC" record -q -e raw_syscalls:sys_enter -o "$TAP_TMP/nocmd.data" -- /nonexistent/cmd
check "a missing command is named" '[ $RC -eq 127 ] && [[ $ERR == *"/nonexistent/cmd"* ]]'
check "and leaves no trace file" '[ ! -e "$TAP_TMP/nocmd.data" ]'

# ---- file names of openat -----------------------------------------------------------
T=$TAP_TMP/open.data
run "$TREC" record -q -e syscalls:sys_enter_openat -o "$T" -- "$SAMPLES/open_files" /etc/hostname /nonexistent/trec-e2e /etc/passwd
check "record open_files" '[ $RC -eq 0 ]'
run "$TREC" script --json -i "$T"
echo "$OUT" >"$TAP_TMP/open.json"
for f in /etc/hostname /nonexistent/trec-e2e /etc/passwd; do
	n=$(jcount "$TAP_TMP/open.json" "e['comm'] == 'open_files' and e['fields'].get('filename_str') == '$f'")
	check "openat of $f captured with its name (got $n)" '[ "$n" = 1 ]'
done

# ---- fork/exec tree: every pid and comm --------------------------------------------
T=$TAP_TMP/tree.data
run "$TREC" record -q -e raw_syscalls:sys_enter -o "$T" -- "$SAMPLES/forktree" 2 3
check "record forktree exits 0" '[ $RC -eq 0 ]'
echo "$OUT" >"$TAP_TMP/tree.out"
run "$TREC" script --json -i "$T"
echo "$OUT" >"$TAP_TMP/tree.json"
run python3 - "$TAP_TMP/tree.out" "$TAP_TMP/tree.json" <<'PY'
import json, re, sys
want = set()
for line in open(sys.argv[1]):
    m = re.match(r"node pid=(\d+) ppid=\d+ level=-?\d+ comm=(\S+)", line)
    if m:
        want.add((int(m.group(1)), m.group(2)))
seen = set()
pids = set()
for line in open(sys.argv[2]):
    e = json.loads(line)
    seen.add((e["pid"], e["comm"]))
    pids.add(e["pid"])
# 1 + 3 + 9 processes; 9 leaves exec and rename once more.
assert len(want) == 1 + 3 + 9 + 9, "forktree printed %d nodes" % len(want)
missing = sorted(want - seen)
assert not missing, "pid/comm pairs missing from the trace: %s" % missing
extra = pids - {p for p, _ in want}
assert not extra, "events of pids outside the tree: %s" % sorted(extra)
print("all %d pid/comm pairs found" % len(want))
PY
check "every pid and comm of the tree is in the trace, nothing else" '[ $RC -eq 0 ]'

# ---- raw_syscalls: the BTF fast path and the general path agree ---------------------
# By default raw_syscalls:sys_enter/sys_exit run as tp_btf programs that
# rebuild the tracefs record themselves; a --filter sends them through the
# general tracepoint program. Both must give the storm's known arguments,
# native (getppid, 110) and 32-bit compat (int $0x80: getppid, 64), and its
# parent's pid (trec) as every return value.
for mode in fast general; do
	F=()
	[ $mode = general ] && F=(--filter 'id >= 0')
	T=$TAP_TMP/args-$mode.data
	run "$TREC" record -q -e raw_syscalls:sys_enter "${F[@]}" -e raw_syscalls:sys_exit "${F[@]}" -o "$T" \
		-- "$SAMPLES/syscall_storm" -n 500 -a
	check "$mode path: record the storm with known arguments" '[ $RC -eq 0 ] && [[ $OUT == *"compat_calls=500"* ]]'
	"$TREC" script --json -i "$T" >"$TAP_TMP/args-$mode.json"
	got=$(python3 - "$TAP_TMP/args-$mode.json" <<'PY'
import json, sys
native = compat = exits = 0
rets = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["comm"] != "syscall_storm":
        continue
    f = e["fields"]
    if e["event"] == "raw_syscalls:sys_enter":
        if f["id"] == 110 and f["args"] == [101, 102, 103, 104, 105, 106]:
            native += 1
        if f["id"] == 64 and f["args"][:5] == [201, 202, 203, 204, 205]:
            compat += 1
    elif f["id"] in (110, 64):
        exits += 1
        rets.add(f["ret"])
print(native, compat, exits, "ok" if len(rets) == 1 and min(rets) > 1 else sorted(rets)[:5])
PY
)
	check "$mode path: 500 native and 500 compat entries with their arguments, 1000 exits returning the parent pid (got $got)" \
		'[ "$got" = "500 500 1000 ok" ]'
done

# ---- errors and list ------------------------------------------------------------------
run "$TREC" record -q -e sched:sched_swich -o "$TAP_TMP/typo.data" -- true
check "an unknown tracepoint suggests the right one" '[ $RC -ne 0 ] && [[ $ERR == *"sched:sched_switch"* ]]'
run "$TREC" list 'sched:*'
check "list sched:* shows sched_switch" '[ $RC -eq 0 ] && [[ $OUT == *"sched:sched_switch"* ]]'
run "$TREC" record -q --duration 0.3 -e sched:sched_switch -o "$TAP_TMP/sys.data"
check "system-wide with --duration stops by itself" '[ $RC -eq 0 ] && "$TREC" info -i "$TAP_TMP/sys.data" >/dev/null'

# ---- loss accounting: a ring far too small for a storm ------------------------------
T=$TAP_TMP/loss.data
N=300000
run "$TREC" record -q -m 8K -e raw_syscalls:sys_enter -o "$T" -- "$SAMPLES/syscall_storm" -n $N
check "record with an 8K ring exits 0" '[ $RC -eq 0 ]'
run "$TREC" info --json -i "$T"
echo "$OUT" >"$TAP_TMP/loss.json"
read -r EV LOST <<<"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["events"], d["lost"])' "$TAP_TMP/loss.json")"
check "events were lost ($LOST) and counted" '[ "$LOST" -gt 0 ]'
# The storm makes N getppid calls plus a few dozen for start-up and exit.
check "produced = recorded + lost ($EV + $LOST vs $N)" '[ $((EV + LOST)) -ge $N ] && [ $((EV + LOST)) -le $((N + 200)) ]'

# ---- -p: an existing process ---------------------------------------------------------
"$SAMPLES/syscall_storm" -s 3 >/dev/null &
SP=$!
run "$TREC" record -q -p $SP --duration 1 -e raw_syscalls:sys_enter -o "$TAP_TMP/pid.data"
check "record -p PID --duration 1 exits 0" '[ $RC -eq 0 ]'
# Text output and awk: a million JSON lines through Python would dominate the run.
"$TREC" script -i "$TAP_TMP/pid.data" | awk -v p=$SP '{ split($3, a, "/"); if (a[1] == p) n++; else m++ } END { print n + 0, m + 0 }' >"$TAP_TMP/pid.count"
read -r n m <"$TAP_TMP/pid.count"
check "-p records that process ($n events) and no other ($m)" '[ "$n" -gt 1000 ] && [ "$m" = 0 ]'
kill $SP 2>/dev/null
wait $SP 2>/dev/null

# ---- -a -- CMD: everything, for as long as the command runs (perf's -a -- sleep N) ------
"$SAMPLES/syscall_storm" -s 3 >/dev/null &
BG=$!
run "$TREC" record -q -a -e raw_syscalls:sys_enter -o "$TAP_TMP/allcmd.data" -- sh -c 'sleep 0.5; exit 4'
check "-a -- CMD stops when the command exits, with its exit status" '[ $RC -eq 4 ]'
"$TREC" script -i "$TAP_TMP/allcmd.data" | awk -v p=$BG '{ split($3, a, "/"); if (a[1] == p) n++ } END { print n + 0 }' >"$TAP_TMP/allcmd.count"
read -r n <"$TAP_TMP/allcmd.count"
check "-a -- CMD records other processes too ($n events of a storm it did not start)" '[ "$n" -gt 1000 ]'
kill $BG 2>/dev/null
wait $BG 2>/dev/null

# ---- --switch-output: nothing lost or doubled between files ---------------------------
N=1000000
mkdir -p "$TAP_TMP/sw"
run "$TREC" record -q --switch-output 100ms -e raw_syscalls:sys_enter -o "$TAP_TMP/sw/t.data" -- "$SAMPLES/syscall_storm" -n $N
check "record --switch-output exits 0" '[ $RC -eq 0 ]'
NF=$(find "$TAP_TMP/sw" -name 't.data.*' | wc -l)
check "several files were written ($NF)" '[ "$NF" -ge 2 ]'
total=0
lost=0
for f in "$TAP_TMP"/sw/t.data.*; do
	c=$("$TREC" script -i "$f" | awk '$4 == "syscall_storm" && $6 == "id=110" { n++ } END { print n + 0 }')
	l=$("$TREC" info --json -i "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lost"])')
	total=$((total + c))
	lost=$((lost + l))
done
# No call twice (total <= N), none missing unaccounted (total + lost >= N);
# a lost event may be one of the storm's few dozen start-up calls.
check "the files hold every getppid once, or count it lost ($total + $lost lost vs $N)" \
	'[ $total -le $N ] && [ $((total + lost)) -ge $N ] && [ $((total + lost)) -le $((N + 200)) ]'

# ---- disk full: a small tmpfs ------------------------------------------------------------
FULL=$TAP_TMP/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=192k tmpfs "$FULL" 2>/dev/null; then
	run "$TREC" record -q -e raw_syscalls:sys_enter -o "$FULL/t.data" -- "$SAMPLES/syscall_storm" -n 3000000
	check "disk full: non-zero exit naming the file and the cause" \
		'[ $RC -ne 0 ] && [[ $ERR == *"$FULL/t.data"* && $ERR == *"No space left on device"* ]]'
	run "$TREC" info --json -i "$FULL/t.data"
	check "disk full: what was written reads back" \
		'[ $RC -eq 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"events\"] > 1000, d" "$OUT"'
	umount "$FULL"
else
	not_ok "mount a small tmpfs for the disk-full test (root is required and was checked)"
	not_ok "disk full: what was written reads back"
fi

# ---- --filter, evaluated in BPF ------------------------------------------------------------
T=$TAP_TMP/filter.data
run "$TREC" record -q -e raw_syscalls:sys_enter --filter 'id == 110' -o "$T" -- "$SAMPLES/syscall_storm" -n 50000
check "record with --filter 'id == 110' exits 0" '[ $RC -eq 0 ]'
"$TREC" script -i "$T" | awk '{ if ($6 == "id=110") y++; else n++ } END { print y + 0, n + 0 }' >"$TAP_TMP/filter.count"
read -r y n <"$TAP_TMP/filter.count"
check "the filter kept exactly the 50000 getppid calls ($y) and nothing else ($n)" '[ "$y" = 50000 ] && [ "$n" = 0 ]'
T=$TAP_TMP/sfilter.data
run "$TREC" record -q -e syscalls:sys_enter_openat --filter 'filename_str == "/etc/pass*"' -o "$T" -- "$SAMPLES/open_files" /etc/hostname /etc/passwd /etc/hostname
"$TREC" script --json -i "$T" >"$TAP_TMP/sfilter.json"
n=$(jcount "$TAP_TMP/sfilter.json" "e['fields']['filename_str'] == '/etc/passwd'")
m=$(wc -l <"$TAP_TMP/sfilter.json")
check "a string prefix filter on a syscall path keeps only /etc/passwd ($n of $m)" '[ "$n" = 1 ] && [ "$m" = 1 ]'

# ---- --max-size ---------------------------------------------------------------------------------
T=$TAP_TMP/max.data
run "$TREC" record -q --max-size 64K -e sched:sched_switch -e raw_syscalls:sys_enter -o "$T" -- "$SAMPLES/syscall_storm" -s 30
check "--max-size stops the recording long before the 30 s command ends" '[ -s "$T" ] && "$TREC" info -i "$T" >/dev/null'
check "and the file is near the limit ($(stat -c %s "$T") bytes)" '[ "$(stat -c %s "$T")" -lt $((2 * 1024 * 1024)) ]'

# ---- without privileges: a clear message, no file ----------------------------------------------
run setpriv --reuid=65534 --regid=65534 --clear-groups "$TREC" record -q -o "$TAP_TMP/nobody.data" -- true
check "as an unprivileged user: exit 1 saying root is needed, and no file" \
	'[ $RC -eq 1 ] && [[ $ERR == *root* ]] && [ ! -e "$TAP_TMP/nobody.data" ]'

# ---- SIGINT from outside (as a user's Ctrl-C or a script's kill) --------------------------
T=$TAP_TMP/int.data
"$TREC" record -q -a -e raw_syscalls:sys_enter -o "$T" 2>"$TAP_TMP/int.err" &
RP=$!
sleep 1.5
kill -INT $RP
wait $RP
RC=$?
check "SIGINT stops a system-wide recording with exit 0" '[ $RC -eq 0 ]'
run "$TREC" info --json -i "$T"
check "and the file is complete (index written)" \
	'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert not d[\"truncated\"] and d[\"events\"] > 0, d" "$OUT"'

# ---- CPU sampling with stacks (-F), stacks on tracepoints (-g) ----------------------------
T=$TAP_TMP/prof.data
run "$TREC" record -q -F 499 -o "$T" -- "$SAMPLES/syscall_storm" -s 1
check "record -F 499 -- storm exits 0" '[ $RC -eq 0 ]'
"$TREC" script --json -i "$T" >"$TAP_TMP/prof.json"
n=$(jcount "$TAP_TMP/prof.json" "e['event'] == 'cpu-clock' and e.get('stack_id', 0) > 0")
m=$(wc -l <"$TAP_TMP/prof.json")
# 499 Hz over the CPU time the storm got (it says how much: on a loaded
# machine that is less than its 1 s), each sample with a stack.
want=$(echo "$OUT" | sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' | awk '{ printf "%d %d", $1 * 499 * 0.75, $1 * 499 * 1.15 + 5 }')
read -r lo hi <<<"$want"
check "cpu-clock samples of the storm, all with stacks ($n of $m; $lo-$hi for its CPU time)" \
	'[ -n "$lo" ] && [ "$n" -ge "$lo" ] && [ "$n" -le "$hi" ] && [ "$n" = "$m" ]'
T=$TAP_TMP/g.data
run "$TREC" record -q -g -e syscalls:sys_enter_openat -o "$T" -- "$SAMPLES/open_files" /etc/passwd
"$TREC" script --json -i "$T" >"$TAP_TMP/g.json"
n=$(jcount "$TAP_TMP/g.json" "e.get('stack_id', 0) == 0")
m=$(wc -l <"$TAP_TMP/g.json")
check "-g: every openat event carries a stack ($m events, $n without)" '[ $RC -eq 0 ] && [ "$m" -gt 0 ] && [ "$n" = 0 ]'
run "$TREC" record -q -e cycles -o "$TAP_TMP/cycles.data" -- true
check "-e cycles without a PMU: exit 1 with a message naming cpu-clock" \
	'[ $RC -eq 1 ] && [[ $ERR == *cpu-clock* ]] || grep -q . /sys/bus/event_source/devices/cpu/events/cpu-cycles 2>/dev/null'
