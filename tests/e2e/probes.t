#!/usr/bin/env bash
# Dynamic probes end to end, on samples/probed (known calls, arguments,
# return values, USDT probes and durations, recursion): exact hit counts
# and argument sums of uprobes, uretprobes and USDT probes, strings read
# with --arg, a USDT semaphore, entry/return pairs and their latencies,
# stacks with -g, a libc uprobe that records only the traced process under
# -- CMD and -p, zero loss on a tight loop, `trec list` of a binary and of
# a process, the kprobe/fentry errors on kernels without them, and no BPF
# program left loaded afterwards.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "probes need root, and CI runs as root"; exit 1; }
	skip_all "probes need root (BPF, uprobes)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 47

P=$(realpath "$TREC_BUILD/samples/probed")
STORM=$TREC_BUILD/samples/syscall_storm

# Facts about a trace's `script --json` lines, by a Python expression over
# `ev` (the events, decoded) and the helpers below; prints the result.
jq_py() { # FILE EXPR
	python3 - "$1" "$2" "$P" <<'PY'
import json, sys
P = sys.argv[3]
ev = [json.loads(l) for l in open(sys.argv[1])]
def of(name):
    return [e for e in ev if e["event"] == name]
def u(f): return of("uprobe:%s:%s" % (P, f))
def ur(f): return of("uretprobe:%s:%s" % (P, f))
def usdt(n): return of("usdt:%s:trec_sample:%s" % (P, n))
def fsum(es, k): return sum(e["fields"][k] for e in es)
def pairs(f):
    """Entry/return pairs per thread, innermost first: (duration ns, arg0, ret)."""
    stacks, out = {}, []
    for e in sorted(u(f) + ur(f), key=lambda e: e["time_ns"]):
        s = stacks.setdefault(e["tid"], [])
        if e["event"].startswith("uprobe:"):
            s.append(e)
        else:
            b = s.pop()
            out.append((e["time_ns"] - b["time_ns"], b["fields"]["arg0"], e["fields"]["ret"]))
    return out
print(eval(sys.argv[2]))
PY
}

# ---- uprobes, uretprobes, USDT on samples/probed ----------------------------------
N=1000
T=$TAP_TMP/p.data
run "$TREC" record -q -o "$T" -e "u:$P:add6" -e "ur:$P:add6" -e "u:$P:delta" -e "ur:$P:delta" \
	-e "usdt:$P:trec_sample:*" -e "u:$P:greet" --arg arg0:str -e "ur:$P:greet" \
	-e "u:$P:recurse" -e "ur:$P:recurse" -e "u:$P:sleep_us" -e "ur:$P:sleep_us" -- "$P" $N
check "record uprobes, uretprobes and USDT -- probed $N exits 0" '[ $RC -eq 0 ]'
check "the semaphore-guarded USDT probe ran, because trec set its semaphore" '[[ $OUT == *"rounds=$N guarded=$N"* ]]'
run "$TREC" script --json -i "$T"
echo "$OUT" >"$TAP_TMP/p.json"
J=$TAP_TMP/p.json
check "script --json reads it" '[ $RC -eq 0 ] && [ -s "$J" ]'

counts=$(jq_py "$J" '[len(u("add6")), len(ur("add6")), len(u("delta")), len(ur("delta")), len(u("greet")), len(ur("greet")), len(u("recurse")), len(ur("recurse")), len(u("sleep_us")), len(ur("sleep_us"))]')
check "exact hits: add6, delta $N each, greet 6, recurse 8, sleep_us 13, entries and returns ($counts)" \
	'[ "$counts" = "[$N, $N, $N, $N, 6, 6, 8, 8, 13, 13]" ]'
counts=$(jq_py "$J" '[len(usdt(n)) for n in ("tick", "mixed", "guarded", "named")]')
check "exact USDT hits: tick, mixed, guarded $N, named 6 ($counts)" '[ "$counts" = "[$N, $N, $N, 6]" ]'
S=$((N * (N - 1) / 2))
sums=$(jq_py "$J" '[fsum(u("add6"), "arg%d" % i) for i in range(6)] + [fsum(ur("add6"), "ret")]')
check "add6: exact sums of arg0..arg5 and of the return values ($sums)" \
	'[ "$sums" = "[$S, $((2 * S)), $((3 * S)), $((4 * S)), $((5 * S)), $((6 * S)), $((21 * S))]" ]'
v=$(jq_py "$J" '(fsum(ur("delta"), "ret"), min(e["fields"]["ret"] for e in ur("delta")))')
check "delta: negative return values come back signed (sum, min: $v)" '[ "$v" = "(-$S, -$((N - 1)))" ]'
v=$(jq_py "$J" '(fsum(usdt("tick"), "arg0"), fsum(usdt("tick"), "arg1"))')
check "USDT tick: exact sums of i and i*i ($v)" '[ "$v" = "($S, $(((N - 1) * N * (2 * N - 1) / 6)))" ]'
v=$(jq_py "$J" '" ".join(sorted(set("%d,%d" % (e["fields"]["arg0"], e["fields"]["arg1"]) for e in usdt("mixed"))))')
check "USDT mixed: int8 -3 and uint16 65535 decoded by their size and sign ($v)" '[ "$v" = "-3,65535" ]'
v=$(jq_py "$J" '(fsum(usdt("mixed"), "arg2"), fsum(usdt("mixed"), "arg3"))')
check "USDT mixed: int32 -i and int64 i*10^12 sums ($v)" '[ "$v" = "(-$S, ${S}000000000000)" ]'
v=$(jq_py "$J" '" ".join(",".join(sorted(x[0]["fields"])) for x in (usdt("mixed"), u("add6"), ur("add6")))')
check "fields by name: USDT arg0..arg3, uprobe arg0..arg5, uretprobe ret ($v)" \
	'[ "$v" = "arg0,arg1,arg2,arg3 arg0,arg1,arg2,arg3,arg4,arg5 ret" ]'
v=$(jq_py "$J" '" ".join(sorted(e["fields"]["arg0_str"] for e in u("greet")))')
check "--arg arg0:str: greet's names read as strings ($v)" '[ "$v" = "alpha alpha alpha beta beta gamma" ]'
v=$(jq_py "$J" '(fsum(ur("greet"), "ret"), fsum(usdt("named"), "arg1"), [e["fields"]["arg0"] for e in u("greet")] == [e["fields"]["arg0"] for e in usdt("named")])')
check "greet returns and the USDT probe inside it agree: lengths 28, same pointers ($v)" '[ "$v" = "(28, 28, True)" ]'
v=$(jq_py "$J" '" ".join(sorted(set("%s/%s" % (e["pid"] == e["tid"], e["comm"]) for e in ev)))')
check "every event carries the sample's pid (= tid) and comm ($v)" '[ "$v" = "True/probed" ]'
run "$TREC" script -i "$T"
check "script text shows the fields by name" \
	'[[ $OUT == *"uprobe:$P:add6: arg0=999 arg1=1998"* && $OUT == *"uretprobe:$P:delta: ret=-999"* && $OUT == *"trec_sample:mixed: arg0=-3 arg1=65535"* && $OUT == *"arg0_str=gamma"* ]]'

# ---- entry/return pairs: recursion and durations ---------------------------------
v=$(jq_py "$J" 'sorted((a, r) for d, a, r in pairs("recurse"))')
check "recurse: entries pair with their own returns through the recursion ($v)" \
	'[ "$v" = "[(0, 0), (0, 0), (1, 1), (1, 1), (2, 2), (2, 2), (3, 3), (3, 3)]" ]'
v=$(jq_py "$J" 'all((1400000 << a) <= d < (1400000 << a) + 200000000 for d, a, r in pairs("recurse"))')
check "recurse(d) lasts at least 1.4 ms << d, as the sample sleeps ($v)" '[ "$v" = True ]'
v=$(jq_py "$J" 'sorted(a for d, a, r in pairs("sleep_us") if 1000 * a <= d < 1000 * a + 200000000)')
check "sleep_us: 4 x 1400, 2 x 2800, 3 x 3000, 2 x 5600, 2 x 12000 us, each at least that long ($v)" \
	'[ "$v" = "[1400, 1400, 1400, 1400, 2800, 2800, 3000, 3000, 3000, 5600, 5600, 12000, 12000]" ]'
# The report's histogram holds exactly the pairs computed here, and with
# the sample's durations (1.4, 2.8, 5.6, 11.2 ms: mid-bucket) one pair of
# each per bucket per call, unless a sleep overran by a third.
want=$(jq_py "$J" 'sorted(__import__("collections").Counter(1 << ((d // 1000).bit_length() - 1) for d, a, r in pairs("recurse")).items())')
run "$TREC" report --latency u:probed:recurse --json -i "$T"
v=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([(b["lo"], b["count"]) for b in d["rows"][0]["histogram"]["buckets"]])' "$OUT" 2>&1)
check "report --latency u:probed:recurse: the log2 buckets of the recorded pairs ($v)" '[ "$v" = "$want" ]'
# The sample's truth: each depth twice, in its nominal bucket, or the next
# one when a sleep overran on a loaded machine (never a lower one).
v=$(jq_py "$J" 'sorted(((1 << ((d // 1000).bit_length() - 1)) // (1024 << a)) for d, a, r in pairs("recurse"))')
check "... 1-2, 2-4, 4-8 and 8-16 ms for depths 0-3 (a bucket higher for an overrun sleep): $v" \
	'[[ "$v" =~ ^\[([12],\ ){7}[12]\]$ ]] && [ "$(jq_py "$J" "len(pairs(\"recurse\"))")" = 8 ]'
run "$TREC" info --json -i "$T"
# No probe event lost. Process side-band records (system-wide: every
# process start on the host) are another matter, counted as untyped losses.
check "no probe event lost, and the probe string says where it attached" \
	'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert sum(t[\"lost\"] for t in d[\"event_types\"]) == 0; p=[t[\"probe\"] for t in d[\"event_types\"] if t[\"name\"] == \"uprobe:'"$P"':add6\"]; assert p and p[0].startswith(\"uprobe:'"$P"':0x\"), p" "$OUT"'

# ---- -g: user stacks of uprobes, uretprobes and USDT ---------------------------------
T=$TAP_TMP/g.data
run "$TREC" record -q -g -o "$T" -e "u:$P:recurse" -e "ur:$P:recurse" -e "usdt:$P:trec_sample:tick" -- "$P" 3
check "record -g with probes exits 0" '[ $RC -eq 0 ]'
# Events whose stack ends (leaf side) in exactly these frames, summed over
# folded lines: what lies beyond main (libc's start code) may differ
# between events, e.g. for the first ones, taken before the recorder had
# read the process's mappings (walked by frame pointers).
ending() {
	awk -v want="$2" '{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s)
		if (s == want || substr(s, length(s) - length(want)) == ";" want) t += n }
		END { print t + 0 }' <<<"$1"
}
run "$TREC" report --folded --event "uprobe:$P:recurse" -i "$T"
check "entry stacks name every caller, the immediate one included (main;rounds;recurse x4)" \
	'[ "$(ending "$OUT" "main;rounds;recurse")" = 2 ] && [ "$(ending "$OUT" "main;rounds;recurse;recurse;recurse;recurse")" = 2 ]'
run "$TREC" report --folded --event "uretprobe:$P:recurse" -i "$T"
check "return stacks are the caller's (main;rounds for the outermost)" \
	'[ "$(ending "$OUT" "main;rounds")" = 2 ] && [ "$(ending "$OUT" "main;rounds;recurse;recurse;recurse")" = 2 ]'
run "$TREC" report --folded --event "usdt:$P:trec_sample:tick" -i "$T"
check "USDT stacks: the probe site's function (main;rounds 3)" '[ "$(ending "$OUT" "main;rounds")" = 3 ]'

# ---- a libc uprobe records only the traced process -------------------------------------
"$STORM" -s 4 >/dev/null &
OTHER=$!
T=$TAP_TMP/libc.data
run "$TREC" record -q -o "$T" -e u:libc:syscall -- "$STORM" -n 5000
check "record -e u:libc:syscall -- syscall_storm -n 5000 exits 0" '[ $RC -eq 0 ]'
"$TREC" script --json -i "$T" >"$TAP_TMP/libc.json"
v=$(python3 - "$TAP_TMP/libc.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(len(ev), len(set(e["pid"] for e in ev)), ",".join(set(e["comm"] for e in ev)), sum(e["fields"]["arg0"] for e in ev),
      ",".join(set(e["event"].rsplit(":", 1)[1] for e in ev)), all("/libc" in e["event"] for e in ev))
PY
)
check "exactly 5000 syscall() calls, all of one process, SYS_getppid each; none of the other storm ($v)" \
	'[ "$v" = "5000 1 syscall_storm 550000 syscall True" ]'

# -p: the process's own libc and binary, found through its mappings. The
# sample starts once the last probe (the guarded USDT one) has raised its
# semaphore: every probe before it is attached by then.
"$P" -W 7 >"$TAP_TMP/w.out" &
WP=$!
for _ in $(seq 50); do grep -q ready "$TAP_TMP/w.out" && break; sleep 0.1; done
T=$TAP_TMP/pid.data
"$TREC" record -q -o "$T" -p $WP -e u:libc:nanosleep -e u:probed:add6 -e usdt:probed:guarded --duration 60 \
	2>"$TAP_TMP/pid.err" &
RP=$!
wait $WP
WRC=$?
kill -INT $RP
wait $RP
RC=$?
check "record -p PID -e u:libc:nanosleep -e u:probed:add6 -e usdt:probed:guarded exits 0 on SIGINT" \
	'[ $RC -eq 0 ] && [ $WRC -eq 0 ]'
"$TREC" script --json -i "$T" >"$TAP_TMP/pid.json"
v=$(python3 - "$TAP_TMP/pid.json" "$WP" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
other = sum(e["pid"] != int(sys.argv[2]) for e in ev)
print(*(sum(e["event"].endswith(x) for e in ev) for x in (":nanosleep", ":add6", ":guarded")), other)
PY
)
check "-p: 13 nanosleep calls (3 + 2 + 8), 7 add6, 7 guarded, nothing from any other process ($v)" '[ "$v" = "13 7 7 0" ]'
kill $OTHER 2>/dev/null
wait $OTHER 2>/dev/null

# ---- zero loss on a tight loop -------------------------------------------------------------
T=$TAP_TMP/loop.data
run "$TREC" record -q -o "$T" -e "u:$P:bench_target" -- "$P" -l 500000
check "500000 calls of bench_target under a uprobe exit 0" '[ $RC -eq 0 ]'
run "$TREC" info --json -i "$T"
check "all 500000 recorded, none lost" \
	'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"events\"] == 500000 and d[\"lost\"] == 0, (d[\"events\"], d[\"lost\"])" "$OUT"'

# ---- trec list ------------------------------------------------------------------------------
run "$TREC" list "$P"
check "list PATH: functions and USDT probes under the names -e records" \
	'[ $RC -eq 0 ] && [[ $OUT == *"uprobe:$P:add6"* && $OUT == *"uprobe:$P:recurse"* && $OUT == *"usdt:$P:trec_sample:mixed    [USDT probe: 4 args, 1 site, semaphore]"* ]]'
run "$TREC" list --json "usdt:$P"
check "list --json usdt:PATH: USDT probes only, with argument counts" \
	'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert sorted((x[\"probe\"], x[\"args\"]) for x in d) == [(\"guarded\",1),(\"mixed\",4),(\"named\",2),(\"tick\",2)], d" "$OUT"'
run "$TREC" list 'u:libc:mallo?'
check "list u:libc:GLOB: libc's functions through the ld.so cache" \
	'[ $RC -eq 0 ] && [[ $OUT =~ ^uprobe:/[^:]*libc[^:]*:malloc$ ]]'
"$P" -w 1 >"$TAP_TMP/w2.out" &
WP=$!
for _ in $(seq 50); do grep -q ready "$TAP_TMP/w2.out" && break; sleep 0.1; done
run "$TREC" list -p $WP 'add6'
check "list -p PID GLOB: the process's binary" '[ $RC -eq 0 ] && [ "$OUT" = "uprobe:$P:add6" ]'
"$TREC" list -p $WP --json >"$TAP_TMP/list.json"
RC=$?
check "list -p PID --json: its libc's functions and its USDT probes too" \
	'[ $RC -eq 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); n=set(x[\"name\"].rsplit(\":\",1)[1] for x in d); assert {\"malloc\",\"add6\",\"tick\"} <= n, len(d)" "$TAP_TMP/list.json"'
kill -USR1 $WP
wait $WP
run "$TREC" list "$P" nosuch_fn
check "list PATH GLOB that matches nothing: exit 1, says so" '[ $RC -eq 1 ] && [[ $ERR == *"matches nosuch_fn"* ]]'

# ---- errors: before anything is recorded, no file left behind ----------------------------
T=$TAP_TMP/err.data
run "$TREC" record -q -o "$T" -e "u:$P:add7" -- "$P" 1
check "an unknown function: exit 1, closest names, no file" \
	'[ $RC -eq 1 ] && [[ $ERR == *"no function '"'"'add7'"'"'"*"did you mean add6"* ]] && [ ! -e "$T" ]'
run "$TREC" record -q -o "$T" --arg arg0:str -e "u:$P:add6" -- "$P" 1
check "--arg before any probe -e: usage error (2)" '[ $RC -eq 2 ] && [ ! -e "$T" ]'
run "$TREC" record -q -o "$T" -e "u:$P:add6" --filter 'arg0 > 1' -- "$P" 1
check "--filter after a probe -e: usage error (2)" '[ $RC -eq 2 ] && [[ $ERR == *"tracepoints"* ]] && [ ! -e "$T" ]'
run "$TREC" record -q -o "$T" -e "usdt:$P:trec_sample:nope" -- "$P" 1
check "an unknown USDT probe: exit 1, names what the binary has" '[ $RC -eq 1 ] && [[ $ERR == *"trec_sample:"* ]] && [ ! -e "$T" ]'

# Kernel probes: on kernels without kprobes (no kprobe PMU) the error names
# the feature and the nearest tracepoint; elsewhere they record.
if [ -e /sys/bus/event_source/devices/kprobe ]; then
	run "$TREC" record -q -o "$T" -e k:vfs_read -e kr:vfs_read -- cat /etc/hostname
	check "k:vfs_read, kr:vfs_read record" '[ $RC -eq 0 ] && [ "$("$TREC" info --json -i "$T" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"events\"] > 0)")" = True ]'
	rm -f "$T"
	check "(kprobe error message: not applicable, this kernel has kprobes)" 'true'
else
	run "$TREC" record -q -o "$T" -e k:vfs_read -- cat /etc/hostname
	check "k:vfs_read without kprobes: exit 1, no file" '[ $RC -eq 1 ] && [ ! -e "$T" ]'
	check "... the message names kprobe and the nearest tracepoint" \
		'[[ $ERR == *"kprobe"* && $ERR == *"CONFIG_KPROBES"* && $ERR == *"syscalls:sys_enter_read"* ]]'
fi
run "$TREC" record -q -o "$T" -e fentry:vfs_read -e fexit:vfs_read -- cat /etc/hostname
if [ $RC -eq 0 ]; then
	check "fentry/fexit record where the kernel allows them" '[ -s "$T" ]'
	check "(fentry error message: not applicable, this kernel loads fentry programs)" 'true'
	rm -f "$T"
else
	check "fentry:vfs_read refused: exit 1, no file" '[ $RC -eq 1 ] && [ ! -e "$T" ]'
	check "... the message names fentry and the nearest tracepoint" \
		'[[ $ERR == *"fentry"* && $ERR == *"syscalls:sys_enter_read"* ]]'
fi
run "$TREC" record -q -o "$T" -e kr:schedule -- true
check "kr:schedule: suggests sched:sched_switch, or records" \
	'[ $RC -eq 0 ] || [[ $ERR == *"sched:sched_switch"* ]]'

# ---- nothing left behind -------------------------------------------------------------------------
# The kernel frees a program a little after the last descriptor closes
# (deferred work), so the count may take a moment to reach 0: wait up to 5 s.
for _ in $(seq 50); do
	v=$(bpftool prog list 2>/dev/null | grep -cE 'name trec_(uprobe|uretprobe|usdt|kprobe|kretprobe|fentry|fexit)\b')
	[ "$v" = 0 ] && break
	sleep 0.1
done
check "no probe program is still loaded (links gone with them): $v" '[ "$v" = 0 ]'
