#!/usr/bin/env bash
# CPU profiling end to end: record samples/cpu_split (60/30/10 in named,
# nested functions) with -F, delete the binary, and check from the file
# alone that every frame of the program is named and that the split holds
# within 5 percentage points; stacks on tracepoints (-g) named the same way.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "profiling needs root, and CI runs as root"; exit 1; }
	skip_all "profiling needs root (BPF, perf events)"
fi
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 15

BIN=$TAP_TMP/bin
mkdir -p "$BIN"
cp "$SAMPLES/cpu_split" "$BIN/cpu_split"
T=$TAP_TMP/split.data
# Two seconds of CPU time, however busy the machine: ~2000 samples.
run "$TREC" record -q -F 999 -o "$T" -- "$BIN/cpu_split" -c 2
check "record -F 999 -- cpu_split -c 2 exits 0" '[ $RC -eq 0 ]'
rm -f "$BIN/cpu_split" # the report must not need the binary

run "$TREC" report --folded -i "$T"
echo "$OUT" >"$TAP_TMP/split.folded"
check "report --folded exits 0 without the binary" '[ $RC -eq 0 ] && [ -s "$TAP_TMP/split.folded" ]'
run python3 - "$TAP_TMP/split.folded" <<'PY'
import sys
inc = {"hot_a": 0, "hot_b": 0, "hot_c": 0}
unnamed = 0
total = 0
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    if frames[0] != "cpu_split":
        continue
    n = int(n)
    total += n
    for f in inc:
        if f in frames:
            inc[f] += n
    # Every frame of the program itself is named: none is "cpu_split+0x...".
    unnamed += sum(n for f in frames[1:] if f.startswith("cpu_split+0x"))
s = sum(inc.values())
assert s > 1000, "only %d samples in hot_a/b/c (of %d)" % (s, total)
share = {f: 100.0 * v / s for f, v in inc.items()}
print("split %.1f/%.1f/%.1f of %d samples" % (share["hot_a"], share["hot_b"], share["hot_c"], s))
assert unnamed == 0, "%d samples with unnamed cpu_split frames" % unnamed
for f, want in (("hot_a", 60), ("hot_b", 30), ("hot_c", 10)):
    assert abs(share[f] - want) <= 5, "%s: %.1f%% vs %d%%" % (f, share[f], want)
PY
check "every cpu_split frame named, split 60/30/10 within 5 points ($OUT)" '[ $RC -eq 0 ]'
check "nested frames in order: main;work;hot_a;hot_a_inner;spin" \
	'grep -q "main;work;hot_a;hot_a_inner;spin" "$TAP_TMP/split.folded"'

# ---- straight to a flame graph ----------------------------------------------------------
run "$TREC" report --flamegraph "$TAP_TMP/split.svg" -i "$T"
check "report --flamegraph writes a well-formed SVG" '[ $RC -eq 0 ] && xmllint --noout "$TAP_TMP/split.svg"'
got=$(python3 - "$TAP_TMP/split.svg" "$TAP_TMP/split.folded" <<'PY'
import re, sys
svg = open(sys.argv[1]).read()
title = re.search(r'<text id="title"[^>]*>([^<]*)<', svg).group(1)
sub = re.search(r'<text id="subtitle"[^>]*>([^<]*)<', svg).group(1)
total = sum(int(l.rsplit(" ", 1)[1]) for l in open(sys.argv[2]))
m = re.search(r"<title>all \(([0-9,]+) samples", svg)
allv = int(m.group(1).replace(",", "")) if m else -1
ok = title.startswith("CPU samples: ") and "cpu_split -c 2" in sub and " s from " in sub and allv == total
print("ok" if ok else (title, sub, allv, total))
PY
)
check "its title names the host, the subtitle the command and time span; all = the folded total ($got)" '[ "$got" = ok ]'

run "$TREC" report --folded --show-pid -i "$T"
check "--pid prefixes comm-PID" '[ $RC -eq 0 ] && [[ $OUT =~ cpu_split-[0-9]+\; ]]'

run "$TREC" report --top -i "$T"
check "report shows the top functions (spin, hot_a)" '[ $RC -eq 0 ] && [[ $OUT == *spin* && $OUT == *hot_a* ]]'

# trec script prints each sample's frames under it, as perf script does:
# leaf first, the sample's function at the top, main below; -G hides them.
run "$TREC" script -i "$TAP_TMP/split.data"
check "script: a cpu_split sample's frames, spin then hot_a_inner, hot_a, work, main, each SYM+0xOFF (/PATH/cpu_split)" \
	'[ $RC -eq 0 ] && python3 -c "
import re, sys
blocks = sys.stdin.read().split(\"\\n\\n\")
want = [\"spin\", \"hot_a_inner\", \"hot_a\", \"work\", \"main\"]
ok = 0
for b in blocks:
    lines = b.strip(\"\\n\").split(\"\\n\")
    if not lines or \" cpu_split \" not in lines[0]:
        continue
    fr = [re.match(r\"^\\t *[0-9a-f]+ (\\S+)\\+0x[0-9a-f]+ \\((\\S+)\\)$\", l) for l in lines[1:]]
    names = [m.group(1) for m in fr if m and m.group(2).endswith(\"/cpu_split\")]
    ok += names[:5] == want
sys.exit(0 if ok > 50 else 1)
" <<<"$OUT"'
run "$TREC" script -G -i "$TAP_TMP/split.data"
check "script -G: one line per event, no frames" '[ $RC -eq 0 ] && ! grep -q "^	" <<<"$OUT" && [ -n "$OUT" ]'
run "$TREC" script --json --no-kernel -i "$TAP_TMP/split.data"
check "script --json: frames with sym, offset, dso; --no-kernel leaves kernel frames out" \
	'[ $RC -eq 0 ] && python3 -c "
import json, sys
n = 0
for line in sys.stdin:
    e = json.loads(line)
    if e[\"comm\"] != \"cpu_split\" or \"frames\" not in e:
        continue
    fr = e[\"frames\"]
    assert all(not f[\"kernel\"] for f in fr), fr
    n += [f[\"sym\"] for f in fr[:5]] == [\"spin\", \"hot_a_inner\", \"hot_a\", \"work\", \"main\"] and fr[0][\"dso\"].endswith(\"/cpu_split\")
sys.exit(0 if n > 50 else 1)
" <<<"$OUT"'

T=$TAP_TMP/g.data
run "$TREC" record -q -g -e syscalls:sys_enter_openat -o "$T" -- "$SAMPLES/open_files" /etc/passwd /etc/hostname
check "record -g openat" '[ $RC -eq 0 ]'
run "$TREC" report --folded --event syscalls:sys_enter_openat -i "$T"
# open_files runs for a millisecond or two: its first events may come
# before the recorder has read its mappings, and are then walked by frame
# pointers (docs/SYMBOLS.md). Check the kernel path and the libc function.
check "openat stacks: kernel frames named (_[k]), the libc function named" \
	'[ $RC -eq 0 ] && [[ $OUT == *"open_files;"*";openat;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k]"* ]]'

# ---- off-CPU time: samples/blocker sleeps 300 ms in sleep_here, waits 200 ms in wait_pipe
T=$TAP_TMP/off.data
run "$TREC" record -q -e offcpu -o "$T" -- "$SAMPLES/blocker"
check "record -e offcpu -- blocker exits 0" '[ $RC -eq 0 ]'
"$TREC" report --folded --offcpu -i "$T" >"$TAP_TMP/off.folded"
run python3 - "$TAP_TMP/off.folded" <<'PY'
import sys
us = {"sleep_here": 0, "wait_pipe": 0}
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    for f in us:
        if f in frames:
            us[f] += int(n)
print("sleep_here %d us, wait_pipe %d us" % (us["sleep_here"], us["wait_pipe"]))
# Off-CPU time can only exceed the sleep (waking up waits for a CPU, which
# takes longer on a loaded machine), so the bound below is tight and the
# one above is loose; a count twice over would still fail it.
for f, want in (("sleep_here", 300000), ("wait_pipe", 200000)):
    assert 0.97 * want <= us[f] <= 1.35 * want, us
PY
check "off-CPU time per blocking function: at least the sleep, at most 35% over ($OUT)" '[ $RC -eq 0 ]'
