#!/usr/bin/env bash
# The interactive report (trec report on a terminal) driven in tmux on a
# real recording: samples/cpu_split (CPU split 60/30/10 in hot_a, hot_b,
# hot_c, all through spin) then samples/blocker (off-CPU: 300 ms in
# sleep_here, 200 ms in wait_pipe), with CPU samples, off-CPU time and
# nanosleep tracepoints with stacks. Keys are sent with send-keys and the
# screen read with capture-pane: the split on screen within 5 points, the
# callers and callees of an opened function, search, the comm, pid, DSO
# and time filters, the three views, a resize, help and quit; and text
# where there is no terminal (a pipe), with --stdio, and for a trace
# without stacks. Every tmux session runs on a private server that is gone
# at the end, and so is every process started in it.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, perf events)"
fi
if ! command -v tmux >/dev/null; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "tmux is missing (scripts/setup-deps.sh installs it)"; exit 1; }
	skip_all "tmux not installed (scripts/setup-deps.sh installs it)"
fi
command -v python3 >/dev/null || skip_all "python3 not installed"
# A build without ncurses has no TUI: it says so (and prints text).
if "$TREC" report --tui -i /dev/null 2>&1 </dev/null | grep -q "has no interactive report"; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "this build has no TUI: libncurses-dev is missing"; exit 1; }
	skip_all "this build has no interactive report (built without ncurses)"
fi

plan 32

SOCK=trec-tui-$$
tm() { env -u TMUX tmux -L "$SOCK" -f /dev/null "$@"; }
PANES=()
# The server's socket file stays behind when it exits: removed too.
trap 'tm kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; rm -rf "$TAP_TMP"' EXIT
S=tui
SCREEN=$TAP_TMP/screen

# A session running CMD... on a 160x50 terminal; its process id is kept.
start() {
	local name=$1
	shift
	tm new-session -d -s "$name" -x 160 -y 50 "$@" || return 1
	PANES+=("$(tm display-message -p -t "$name" '#{pane_pid}')")
}
grab() { tm capture-pane -p -t "${1:-$S}" >"$SCREEN" 2>/dev/null; }
# Waits (at most 30 s: a bound, not a timing check) until the screen holds PATTERN.
wait_for() {
	local i
	for i in $(seq 300); do
		grab "${2:-$S}" && grep -q -- "$1" "$SCREEN" && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() {
	local i
	for i in $(seq 300); do
		grab "${2:-$S}" && ! grep -q -- "$1" "$SCREEN" && return 0
		sleep 0.1
	done
	return 1
}
keys() { tm send-keys -t "$S" "$@"; }
# A prompt's key, its text replaced by TEXT, and Enter.
answer() {
	keys "$1"
	sleep 0.2
	keys C-u
	[ -n "$2" ] && tm send-keys -t "$S" -l "$2"
	keys Enter
}

# The screen's rows as "kind name total self count dso" (kind f: a
# function of the list, n: a frame of a tree, with its indentation).
cat >"$TAP_TMP/rows.py" <<'PY'
import re, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a reader that stops early (grep -q)
func = re.compile(r"^([-+ ]) +([0-9.]+)% +([0-9.]+)% +(\S+) +(\S+) +\[(.)\] (.+)$")
node = re.compile(r"^( +)([-+ ]) +([0-9.]+)% +(\S+)  (\S+)  (.*)$")
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = func.match(line)
    if m:
        print("f", m.group(7), m.group(2), m.group(3), m.group(4), m.group(5))
        continue
    m = node.match(line)
    if m:
        print("n", m.group(5), m.group(3), len(m.group(1)), m.group(4), m.group(6))
PY
rows() { python3 "$TAP_TMP/rows.py" "$SCREEN"; }
# A function row's total (field 3), self (4) or count (5).
field() { rows | awk -v n="$1" -v f="$2" '$1 == "f" && $2 == n { print $f; exit }'; }
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(a != "" && d <= t && -d <= t) }'; }
# "300.2ms" / "1.02s" / "800.0us" in ms.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) print n; else if (v ~ /us$/) print n / 1000;
	else if (v ~ /ns$/) print n / 1e6; else if (v ~ /s$/) print n * 1000; else print -1 }'; }

# ---- the recording -----------------------------------------------------------------------
T=$TAP_TMP/t.data
run "$TREC" record -q -F 999 -e offcpu -g -e syscalls:sys_enter_nanosleep -o "$T" -- \
	sh -c "'$SAMPLES/cpu_split' -c 2 && '$SAMPLES/blocker'"
check "record cpu_split then blocker with samples, off-CPU time and nanosleep stacks" '[ $RC -eq 0 ]'
run "$TREC" report --summary --json -i "$T"
BLOCKER=$(printf '%s' "$OUT" | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
# the parent: the blocker that slept (its child only writes the pipe)
print(min(r["pid"] for r in rows if r.get("comm") == "blocker"))')
check "the trace names the blocker process ($BLOCKER)" '[ -n "$BLOCKER" ]'

# ---- the CPU view ---------------------------------------------------------------------------
start "$S" sh -c "'$TREC' report -i '$T'; echo TUI-EXIT=\$?; exec sleep 60"
wait_for "^view 1/3: cpu-clock"
check "trec report on a terminal opens the browser on the CPU view" \
	'grep -q "^view 1/3: cpu-clock (CPU samples)" "$SCREEN" && grep -q "Total *Self *Samples *Shared Object *Symbol" "$SCREEN"'
ALL=$(sed -n 's/^view 1\/3: cpu-clock (CPU samples): \([0-9]*\) samples.*/\1/p' "$SCREEN")

answer t cpu_split
wait_for "^filters: comm cpu_split"
a=$(field hot_a 3) b=$(field hot_b 3) c=$(field hot_c 3) spin=$(field spin 4) main=$(field main 3)
check "comm filter: hot_a/hot_b/hot_c total $a/$b/$c% on screen, 60/30/10 within 5 points" \
	'near "$a" 60 5 && near "$b" 30 5 && near "$c" 10 5'
check "spin holds the samples itself (self $spin%), main is under all ($main%)" \
	'near "$spin" 100 10 && near "$main" 100 3'
check "the comm filter keeps part of the samples: the view line says of how many" \
	'grep -q "^view 1/3: cpu-clock (CPU samples): [0-9]* samples (of $ALL: " "$SCREEN"'

answer / hot_a_inner
wait_for "search 'hot_a_inner'"
check "search lists only the matching function" \
	'[ "$(rows | awk "\$1 == \"f\"" | cut -d" " -f2 | tr "\n" " ")" = "hot_a_inner " ]'
inner=$(field hot_a_inner 3)
keys Enter
wait_for "callers of hot_a_inner"
OUT=$(grep -v '^ *$' "$SCREEN" | head -16 | cut -c1-90) # shown if it fails: what the screen held
check "Enter opens hot_a_inner ($inner%): its callers and callees" \
	'grep -q "^ *- callers of hot_a_inner" "$SCREEN" && grep -q "^ *[-+] callees of hot_a_inner" "$SCREEN"'
run python3 - "$SCREEN" "$inner" <<'PY'
import re, subprocess, sys
rows = subprocess.run(["python3", sys.argv[1].rsplit("/", 1)[0] + "/rows.py", sys.argv[1]],
                      capture_output=True, text=True).stdout.split("\n")
nodes = [r.split(" ") for r in rows if r.startswith("n ")]
names = [n[1] for n in nodes]
inner = float(sys.argv[2])
# callers: hot_a, then work inside it, then main inside that
i = names.index("hot_a")
assert names[i + 1] == "work" and names[i + 2] == "main", names
assert int(nodes[i][3]) < int(nodes[i + 1][3]) < int(nodes[i + 2][3]), nodes
assert abs(float(nodes[i][2]) - inner) < 0.02, (nodes[i], inner)
# callees: spin, with (almost) all of it
s = names.index("spin")
assert s > i + 2 and abs(float(nodes[s][2]) - inner) <= 1.0, (nodes[s], inner)
print("callers hot_a<work<main at %s%%, callee spin at %s%%" % (nodes[i][2], nodes[s][2]))
PY
check "callers nest hot_a > work > main at hot_a_inner's total; the callee is spin ($OUT)" '[ $RC -eq 0 ]'
keys -
wait_gone "callers of hot_a_inner"
check "- closes it again" '! grep -q "callees of" "$SCREEN" && rows | grep -q "^f hot_a_inner "'
answer / ""
wait_gone "search 'hot_a_inner'"
check "an empty search lists every function again" '[ -n "$(field hot_b 3)" ]'

keys s
wait_for "sort: self"
check "s sorts by self: spin first" '[ "$(rows | awk "\$1 == \"f\" { print \$2; exit }")" = spin ]'
keys s
wait_for "sort: total"

# ---- off-CPU time and the per-event view -----------------------------------------------------------
keys v
wait_for "^view 2/3: offcpu (off-CPU time)"
answer t blocker
wait_for "^filters: comm blocker"
sleep_ms=$(ms "$(field sleep_here 5)") pipe_ms=$(ms "$(field wait_pipe 5)")
check "v: off-CPU view; sleep_here ${sleep_ms} ms (300 slept), wait_pipe ${pipe_ms} ms (200 waited)" \
	'awk -v s="$sleep_ms" -v p="$pipe_ms" "BEGIN { exit !(s >= 291 && s <= 405 && p >= 194 && p <= 270) }"'
answer p "$BLOCKER"
wait_for "pid $BLOCKER"
check "pid filter: the parent's sleep_here stays, the child's nanosleep in libc goes" \
	'[ -n "$(field sleep_here 3)" ] && [ -z "$(field clock_nanosleep@@GLIBC_2.17 3)" ]'
keys v
wait_for "^view 3/3: syscalls:sys_enter_nanosleep (events): 3 events"
check "the tracepoint's view: 3 nanosleeps, all in sleep_here" \
	'near "$(field sleep_here 3)" 100 0.01 && [ "$(field sleep_here 5)" = 3 ]'
answer d libc.so.6
wait_for "dso libc.so.6"
keys v
wait_for "^view 1/3"
answer p ""
answer t ""
wait_for "^filters: dso libc.so.6"
check "the DSO filter lists only libc's functions, whatever the view" \
	'[ -n "$(rows | awk "\$1 == \"f\"")" ] && [ -z "$(rows | awk "\$1 == \"f\" && \$6 != \"libc.so.6\"")" ]'

# ---- the time window -------------------------------------------------------------------------------
keys x
wait_for "^filters: none"
answer T 0,1
wait_for "time 0,1 s"
inwin=$(sed -n 's/^view 1\/3: cpu-clock (CPU samples): \([0-9]*\) samples.*/\1/p' "$SCREEN")
check "T 0,1: the first second's samples ($inwin of $ALL), cpu_split's functions in them" \
	'[ "$inwin" -gt 0 ] && [ "$inwin" -lt "$ALL" ] && [ -n "$(field hot_a 3)" ]'
answer T ""
wait_for "^view 1/3: cpu-clock (CPU samples): $ALL samples"
check "an empty window brings back every sample" 'grep -q "^filters: none" "$SCREEN"'

# ---- resize, help, quit -------------------------------------------------------------------------
keys E
wait_for "callers of"
tm resize-window -t "$S" -x 100 -y 30
wait_for "^Enter open/close"
check "after a resize to 100x30: 30 rows, none wider than 100, the list between head and status" \
	'[ "$(wc -l <"$SCREEN")" -eq 30 ] && [ "$(awk "length > 100" "$SCREEN" | wc -l)" -eq 0 ] &&
	 grep -q "^view 1/3" "$SCREEN" && tail -n1 "$SCREEN" | grep -q "^Enter open/close" && rows | grep -q "^f "'
keys h
wait_for "^The interactive report"
check "h shows the keys" 'grep -q "search: functions whose name holds the text" "$SCREEN"'
keys j
wait_for "^view 1/3"
check "any key goes back" 'grep -q "^Enter open/close" "$SCREEN"'
keys q
wait_for "TUI-EXIT="
check "q quits, exit 0, and the terminal is given back" \
	'grep -q "^TUI-EXIT=0" "$SCREEN" && ! grep -q "^view 1/" "$SCREEN"'
tm kill-session -t "$S" 2>/dev/null

# ---- text where there is no terminal, or when asked -----------------------------------------------
"$TREC" report -i "$T" 2>"$TAP_TMP/err" | cat >"$TAP_TMP/piped"
check "trec report | cat prints text (no terminal codes), naming the processes" \
	'[ -s "$TAP_TMP/piped" ] && ! grep -q $'"'"'\x1b'"'"' "$TAP_TMP/piped" && grep -q cpu_split "$TAP_TMP/piped"'
run "$TREC" report --tui -i "$T" </dev/null
check "--tui without a terminal is a usage error" '[ $RC -eq 2 ] && [[ $ERR == *"--tui needs a terminal"* ]]'
run "$TREC" report --tui --top -i "$T"
check "--tui with another view is a usage error" '[ $RC -eq 2 ] && [[ $ERR == *"--tui is the interactive report"* ]]'

start stdio sh -c "'$TREC' report --stdio -i '$T'; echo STDIO-EXIT=\$?; exec sleep 60"
wait_for "STDIO-EXIT=" stdio
check "--stdio on a terminal prints text and exits" \
	'grep -q "STDIO-EXIT=0" "$SCREEN" && grep -q "^# by total" "$SCREEN" && ! grep -q "^view 1/" "$SCREEN"'
tm kill-session -t stdio 2>/dev/null

start nostack sh -c "'$TREC' report -i '$E2E_ROOT/tests/corpus/traces/syscalls.data'; echo NOSTACK-EXIT=\$?; exec sleep 60"
wait_for "NOSTACK-EXIT=" nostack
check "a trace without stacks prints text on a terminal" \
	'grep -q "NOSTACK-EXIT=0" "$SCREEN" && ! grep -q "^view 1/" "$SCREEN"'
tm kill-session -t nostack 2>/dev/null

start nostack2 sh -c "'$TREC' report --tui -i '$E2E_ROOT/tests/corpus/traces/syscalls.data'; echo NOSTACK-EXIT=\$?; exec sleep 60"
wait_for "NOSTACK-EXIT=" nostack2
check "--tui on a trace without stacks says so (exit 1)" \
	'grep -q "NOSTACK-EXIT=1" "$SCREEN" && grep -q "has no events with stacks to browse" "$SCREEN"'
tm kill-session -t nostack2 2>/dev/null

# ---- the analysis-only build, off-CPU first ----------------------------------------------------------
S=report
start "$S" sh -c "'$TREC_REPORT' report --tui --offcpu --no-kernel -i '$T'; echo TUI-EXIT=\$?; exec sleep 60"
wait_for "^view 2/3: offcpu"
check "the analysis-only trec opens it too; --tui --offcpu starts there, --no-kernel drops kernel rows" \
	'rows | grep -q "^f sleep_here " && [ -z "$(rows | awk "\$1 == \"f\" && \$6 == \"[kernel.kallsyms]\"")" ]'
keys C-c
wait_for "TUI-EXIT="
check "Ctrl-C quits too, exit 0" 'grep -q "^TUI-EXIT=0" "$SCREEN"'
tm kill-session -t "$S" 2>/dev/null

# ---- nothing left behind ----------------------------------------------------------------------------
alive() {
	local p n=0
	for p in "${PANES[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	echo $n
}
# A killed session's processes get their SIGHUP as it goes: a moment to exit.
for i in $(seq 50); do [ "$(alive)" -eq 0 ] && break; sleep 0.1; done
left=$(alive)
for p in "${PANES[@]}"; do kill -0 "$p" 2>/dev/null && diag "still running: $(ps -o pid=,args= -p "$p")"; done
check "no session left on the private tmux server" '! tm ls >/dev/null 2>&1'
check "every process started in tmux is gone (${#PANES[@]} panes)" '[ "$left" -eq 0 ] && [ "${#PANES[@]}" -eq 5 ]'
