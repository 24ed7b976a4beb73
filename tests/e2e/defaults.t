#!/usr/bin/env bash
# The defaults a perf user expects (issue 15), on real recordings of the
# samples/ programs:
#   - trec record CMD ARGS (no -e, no --), -g alone, -a alone: a CPU profile
#     (cpu-clock samples with stacks at the default 999 Hz);
#   - trec report without a view: the top functions of a profile, with
#     cpu_split's known hottest function first; the summary of tracepoints;
#   - off-CPU events alone fold weighted by their time, in microseconds;
#   - --plot draws every histogram the view prints;
#   - trec script shows in hex what the tracepoint's print fmt shows in hex;
#   - trec info's losses by reason, with the stack loss sides a recording
#     with stacks writes.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, perf events)"
fi
command -v python3 >/dev/null || skip_all "python3 not installed"
export TZ=UTC

plan 26

# `trec info --json` member or event type count: jq-like, in python.
info_json() { "$TREC" info --json -i "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

# ---- record without -e: a CPU profile, perf-style command line -----------------------------------
T=$TAP_TMP/prof.data
# No --: the first argument that is not an option starts the command, and
# -c 1 is the command's (one second of CPU time, ~1000 samples).
run "$TREC" record -q -o "$T" "$SAMPLES/cpu_split" -c 1
check "record -o X ./cpu_split -c 1 (no -e, no --) exits 0, -c went to the command" \
	'[ $RC -eq 0 ] && [[ $OUT == *"loops="* ]]'
types=$(info_json "$T" '" ".join("%s=%d" % (t["name"], t["count"]) for t in d["event_types"])')
probe=$(info_json "$T" 'd["event_types"][0]["probe"]')
check "it recorded cpu-clock samples only ($types), at 999 Hz ($probe)" \
	'[[ $types =~ ^cpu-clock=[0-9]+$ ]] && [ "${types#cpu-clock=}" -gt 200 ] && [[ $probe == *":F=999" ]]'
"$TREC" report --folded -i "$T" >"$TAP_TMP/prof.folded"
check "with stacks: cpu_split's samples fold through main, work and spin" \
	'grep -q "^cpu_split;.*;main;work;hot_a;hot_a_inner;spin [0-9]*$" "$TAP_TMP/prof.folded"'

# ---- report without a view on a profile: the top functions ---------------------------------------
run "$TREC" report -i "$T"
echo "$OUT" >"$TAP_TMP/prof.top"
first=$(awk '/^# cpu_split  pid/ { g = 1 } g && /^# by self/ { getline; getline; print $NF; exit }' "$TAP_TMP/prof.top")
check "report (no view) prints the top functions, cpu_split's hottest self function first ($first)" \
	'[ $RC -eq 0 ] && [[ $OUT == "# Events: cpu-clock   Samples: "* ]] && [ "$first" = spin ]'
order=$(awk '/^# cpu_split  pid/ { g = 1 } g && /^# by total/ { t = 1 } t && /\] hot_[abc]$/ { printf "%s ", $NF }' "$TAP_TMP/prof.top")
check "by total, the 60/30/10 split in order: hot_a, hot_b, hot_c ($order)" '[ "$order" = "hot_a hot_b hot_c " ]'
run "$TREC" report --top -i "$T"
check "it is exactly --top" '[ "$OUT" = "$(cat "$TAP_TMP/prof.top")" ]'
run "$TREC" report --json -i "$T"
check "report --json (no view) is the top functions' JSON" \
	'[ $RC -eq 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"events\"] == [\"cpu-clock\"] and d[\"unit\"] == \"samples\" and d[\"groups\"][0][\"by_self\"][0][\"symbol\"] == \"spin\", d" "$OUT"'
run "$TREC" report --summary -i "$T"
check "report --summary still gives a profile's summary" \
	'[ $RC -eq 0 ] && [[ $OUT == "# trace $T"* && $OUT == *"cpu-clock"* ]]'

# ---- -g alone, and -a alone ------------------------------------------------------------------------
G=$TAP_TMP/g.data
run "$TREC" record -q -g -o "$G" -- "$SAMPLES/cpu_split" -c 0.3
types=$(info_json "$G" '" ".join(t["name"] for t in d["event_types"])')
check "record -g without -e: cpu-clock samples, no tracepoint ($types)" '[ $RC -eq 0 ] && [ "$types" = cpu-clock ]'
A=$TAP_TMP/a.data
"$SAMPLES/cpu_split" 2 >/dev/null &
busy=$!
run "$TREC" record -q -a --duration 1 -o "$A"
wait "$busy"
types=$(info_json "$A" '" ".join(t["name"] for t in d["event_types"])')
target=$(info_json "$A" 'd["metadata"]["record.target"]')
check "record -a without -e or a command: a system-wide CPU profile ($types, $target)" \
	'[ $RC -eq 0 ] && [ "$types" = cpu-clock ] && [ "$target" = system-wide ]'
run "$TREC" report --folded -i "$A"
check "it caught the busy cpu_split running beside it" '[ $RC -eq 0 ] && [[ $OUT == *"cpu_split;"*"spin "* ]]'

# ---- report without a view on tracepoints: the summary ---------------------------------------------
S=$TAP_TMP/sys.data
run "$TREC" record -q -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o "$S" -- "$SAMPLES/sleeps" 5 10 20
run "$TREC" report -i "$S"
check "report (no view) on a trace of tracepoints prints the summary" \
	'[ $RC -eq 0 ] && [[ $OUT == "# trace $S"* && $OUT == *"syscalls"* && $OUT == *"sleeps"* ]] && [[ $OUT != *"# Events:"* ]]'
run "$TREC" report --json -i "$S"
check "and --json is the summary's" \
	'[ $RC -eq 0 ] && python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"by\"] == \"pid\" and d[\"rows\"], d" "$OUT"'
M=$TAP_TMP/mixed.data
run "$TREC" record -q -F 999 -e raw_syscalls:sys_enter -o "$M" -- "$SAMPLES/cpu_split" -c 0.3
run "$TREC" report -i "$M"
check "samples and tracepoints together: a profile (top functions)" '[ $RC -eq 0 ] && [[ $OUT == "# Events: cpu-clock "* ]]'
run "$TREC" report --event 'raw_syscalls:*' -i "$M"
check "--event naming only the tracepoints: their summary" '[ $RC -eq 0 ] && [[ $OUT == "# trace $M"* ]]'

# ---- off-CPU alone: folded and drawn by time -------------------------------------------------------
# samples/blocker sleeps 300 ms in sleep_here and waits 200 ms in wait_pipe.
O=$TAP_TMP/off.data
run "$TREC" record -q -e offcpu -o "$O" -- "$SAMPLES/blocker"
check "record -e offcpu -- blocker exits 0" '[ $RC -eq 0 ]'
"$TREC" report --folded -i "$O" >"$TAP_TMP/off.folded"
run python3 - "$TAP_TMP/off.folded" <<'PY'
import sys
us = {"sleep_here": 0, "wait_pipe": 0}
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    for f in us:
        if f in stack.split(";"):
            us[f] += int(n)
print("sleep_here %d us, wait_pipe %d us" % (us["sleep_here"], us["wait_pipe"]))
# Weighted by time, in us: at least the sleep; a count of switches (1 and 3)
# or nanoseconds would be off by orders of magnitude.
for f, want in (("sleep_here", 300000), ("wait_pipe", 200000)):
    assert 0.97 * want <= us[f] <= 2 * want, us
PY
check "report --folded without --offcpu weighs off-CPU stacks by time in us ($OUT)" '[ $RC -eq 0 ]'
check "the same lines as --offcpu" '[ "$("$TREC" report --folded --offcpu -i "$O")" = "$(cat "$TAP_TMP/off.folded")" ]'
run "$TREC" report --flamegraph "$TAP_TMP/off.svg" -i "$O"
check "its flame graph is titled Off-CPU time and counts us" \
	'[ $RC -eq 0 ] && grep -q "Off-CPU time: " "$TAP_TMP/off.svg" && grep -q "<title>all ([0-9,]* us, 100%)</title>" "$TAP_TMP/off.svg"'
run "$TREC" report -i "$O"
check "report (no view): the top functions in us off-CPU" '[ $RC -eq 0 ] && [[ $OUT == "# Events: offcpu   Off-CPU us: "* ]]'

# ---- --plot: a plot per histogram ---------------------------------------------------------------------
P=$TAP_TMP/plots/lat.svg
mkdir -p "$TAP_TMP/plots"
run "$TREC" report -i "$S" --latency syscalls --plot "$P"
hists=$(grep -c '^## ' <<<"$OUT")
scripts=$(find "$TAP_TMP/plots" -name '*.gp' | wc -l)
check "--plot writes a plot per histogram printed ($hists histograms, $scripts scripts)" \
	'[ $RC -eq 0 ] && [ "$hists" -ge 3 ] && [ "$scripts" -eq "$hists" ] && [ -s "$P.gp" ] && [ -s "$TAP_TMP/plots/lat-$hists.svg.gp" ]'
if command -v gnuplot >/dev/null; then
	svgs=0
	for f in "$TAP_TMP"/plots/*.svg; do xmllint --noout "$f" && svgs=$((svgs + 1)); done
	check "and gnuplot drew each as SVG ($svgs)" '[ "$svgs" -eq "$hists" ]'
else
	[ "${CI:-}" = true ] && not_ok "gnuplot is missing although setup installs it" || ok "# SKIP gnuplot not installed"
fi

# ---- script: hex where the print fmt says ---------------------------------------------------------------
# sys_enter_openat prints "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx".
H=$TAP_TMP/open.data
run "$TREC" record -q -e syscalls:sys_enter_openat -o "$H" -- "$SAMPLES/open_files" /etc/hostname
run "$TREC" script -i "$H"
# The dynamic loader opens its cache with O_RDONLY|O_CLOEXEC (0x80000)
# relative to the working directory (AT_FDCWD, -100).
line=$(grep 'filename_str=/etc/ld.so.cache' <<<"$OUT" | head -1)
check "script prints openat's dfd, flags and mode in hex ($line)" \
	'[[ $line == *" dfd=0xffffff9c filename=0x"*" flags=0x80000 mode=0x0 "* ]]'
run "$TREC" script --json -i "$H"
got=$(python3 -c '
import json, sys
for l in sys.stdin:
    f = json.loads(l)["fields"]
    if f.get("filename_str") == "/etc/ld.so.cache":
        print(type(f["flags"]).__name__, f["flags"], f["dfd"], f["mode"])
        break' <<<"$OUT")
check "JSON keeps them numbers ($got)" '[ "$got" = "int $((0x80000)) $((0xffffff9c)) 0" ]'

# ---- info: losses by reason -----------------------------------------------------------------------------
losses=$(info_json "$T" '" ".join("%s=%s" % (k, v) for k, v in d["losses"].items())')
check "info --json of a recording with stacks: losses by reason, stack loss sides told ($losses)" \
	'[ "$losses" = "ring_buffer=0 writer=0 other=0 stack=0 stack_kernel=0 stack_user=0" ]'
losses=$(info_json "$S" 'd["losses"]["stack_kernel"]')
check "one without stacks does not tell sides ($losses)" '[ "$losses" = None ]'
