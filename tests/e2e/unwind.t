#!/usr/bin/env bash
# User stacks without frame pointers, checked against programs whose stacks
# are known exactly (samples/nofp: gcc/g++ -O2 -fomit-frame-pointer, the
# call tree and CPU split in their headers), unstripped and stripped (names
# then from their debug files, --debug-dir), and a JIT (node --perf-basic-prof).
#
# For each of nofp_c, nofp_c.stripped, nofp_cxx, nofp_cxx.stripped:
#   - CPU samples (1.5 s of CPU): at least 98% of the samples have the whole
#     stack, from _start through libc's two start frames to main; the CPU
#     split of the four paths within 5 points of 40/25/20/15; at least 98%
#     of each path's samples show exactly the path the source has (C++: with
#     libstdc++'s sort frames between sort_path and its lambda); the deep
#     path has exactly 40 recursion frames;
#   - off-CPU (-e offcpu, 10 x 30 ms nanosleeps at depth 40): the blocked
#     time is attributed to the whole designed stack, at least the sleep and
#     at most 35% over (waking up waits for a CPU on a loaded machine);
#   - -g on syscalls:sys_enter_getppid: exactly 500 events, all with the
#     whole designed stack.
# node: JS function names from /tmp/perf-PID.map appear below native node
# frames, in stacks that reach _start.
#
# With frame pointers alone (trec before its .eh_frame unwinder) nearly all
# of these points fail. The off-CPU and getppid points also need the
# program's tables loaded by its first blocking or system call, which the
# programs make right after they start.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "unwinding tests need root, and CI runs as root"; exit 1; }
	skip_all "unwinding tests need root (BPF, perf events)"
fi
for f in nofp_c nofp_c.stripped nofp_c.debug nofp_cxx nofp_cxx.stripped nofp_cxx.debug libnofp_leaf.so \
	libnofp_leaf.so.debug; do
	if [ ! -e "$SAMPLES/$f" ]; then
		[ "${CI:-}" = true ] && { plan 1; not_ok "$SAMPLES/$f is missing (make samples)"; exit 1; }
		skip_all "$SAMPLES/$f is missing: make samples"
	fi
done
for t in python3 c++filt readelf; do
	if ! command -v "$t" >/dev/null; then
		[ "${CI:-}" = true ] && { plan 1; not_ok "$t is not installed"; exit 1; }
		skip_all "$t is not installed"
	fi
done

plan 43

CPU_S=1.5        # CPU seconds per CPU recording: ~1500 samples at 999 Hz
SLEEPS=10 SLEEP_MS=30 DEPTH=40
CALLS=500

# Debug files by build-id, the layout of /usr/lib/debug: the stripped
# programs and the stripped library are named from these.
DBG=$TAP_TMP/debug
for f in nofp_c.debug nofp_cxx.debug libnofp_leaf.so.debug; do
	id=$(readelf -n "$SAMPLES/$f" 2>/dev/null | awk '/Build ID:/ {print $3; exit}')
	mkdir -p "$DBG/.build-id/${id:0:2}"
	ln -s "$SAMPLES/$f" "$DBG/.build-id/${id:0:2}/${id:2}.debug"
done

# The checks, on folded stacks (trec report --folded): MODE LANG FILE [ARGS].
# Frames are demangled with c++filt; kernel frames (_[k]) are left out.
CHECK=$TAP_TMP/check.py
cat >"$CHECK" <<'PY'
import re, subprocess, sys

mode, lang, path = sys.argv[1], sys.argv[2], sys.argv[3]
args = [int(a) for a in sys.argv[4:]]
DEPTH = 40

rows = []  # (comm, user frames, count)
for line in open(path):
    line = line.rstrip("\n")
    if not line:
        continue
    stack, n = line.rsplit(" ", 1)
    frames = stack.split(";")
    rows.append((frames[0], [f for f in frames[1:] if not f.endswith("_[k]")], int(n)))

mangled = sorted({f for _, fr, _ in rows for f in fr if f.startswith("_Z")})
demangled = {}
if mangled:
    out = subprocess.run(["c++filt"], input="\n".join(mangled) + "\n", capture_output=True, text=True,
                         check=True).stdout.split("\n")
    demangled = dict(zip(mangled, out))

def token(f):
    """A frame as the checks name it: C names as they are; C++ names
    demangled, without parameters; every libstdc++ frame is 'std', the sort
    lambda is 'lambda'."""
    f = demangled.get(f, f)
    if re.match(r"^(?:[\w:]+ )?std::", f):
        return "std"
    if "{lambda(" in f:
        return "lambda"
    return f.split("(", 1)[0]

def whole(fr):
    """The whole start of a stack: _start, libc's __libc_start_main and
    __libc_start_call_main (two frames, whatever their names), then main."""
    return len(fr) >= 4 and fr[0] == "_start" and fr[3] == "main"

if lang == "c":
    RUN, SPIN = "run_cpu", "spin"
    PATHS = {
        "a": ["branch_a", "branch_a1"],
        "b": ["branch_b"],
        "c": ["branch_c", "branch_c1", "nofp_leaf_c2", "leaf_c3", "leaf_c4"],
        "deep": ["deep_recurse"] * DEPTH,
    }
    MARK = {"a": "branch_a", "b": "branch_b", "c": "branch_c", "deep": "deep_recurse"}
    OFF = ["main", "run_block"] + ["block_deep"] * DEPTH + ["block_leaf"]
    SYS = ["main", "run_syscalls", "sys_outer", "sys_inner"]
    OWN = re.compile(r"^(main|run_\w+|branch_\w+|spin|deep_recurse|block_\w+|sys_\w+|nofp_leaf_c2|leaf_c\d)$")
else:
    RUN, SPIN = "nofp::run_cpu", "nofp::spin"
    PATHS = {
        "a": ["nofp::work::dispatch", "nofp::work::IntTask::run", "nofp::work::Accum<unsigned long>::churn"],
        "b": ["nofp::work::dispatch", "nofp::work::FloatTask::run", "nofp::work::Accum<double>::churn"],
        "c": None,  # nofp::sorting::sort_path, one or more std frames, lambda
        "deep": ["nofp::deep::recurse"] * DEPTH,
    }
    MARK = {"a": "nofp::work::IntTask::run", "b": "nofp::work::FloatTask::run", "c": "nofp::sorting::sort_path",
            "deep": "nofp::deep::recurse"}
    OFF = ["main", "nofp::blocking::run"] + ["nofp::blocking::block_deep"] * DEPTH + ["nofp::blocking::block_leaf"]
    SYS = ["main", "nofp::sys::run", "nofp::sys::outer", "nofp::sys::inner"]
    OWN = re.compile(r"^(main|nofp::.*|lambda)$")
SHARE = {"a": 40, "b": 25, "c": 20, "deep": 15}

def exact(path, tail):
    """tail: the tokens after main. Exactly main > run > path > spin?"""
    if not tail or tail[0] != RUN or tail[-1] != SPIN:
        return False
    mid = tail[1:-1]
    if PATHS[path] is not None:
        return mid == PATHS[path]
    # the sort: sort_path, then only libstdc++ frames (at least one), then the lambda
    return (len(mid) >= 3 and mid[0] == "nofp::sorting::sort_path" and mid[-1] == "lambda"
            and all(t == "std" for t in mid[1:-1]))

def blocked_on(fr, prefix):
    """Whole stack, then exactly PREFIX, then only frames outside the program (libc)."""
    if not whole(fr):
        return False
    toks = [token(f) for f in fr[3:]]
    return toks[:len(prefix)] == prefix and not any(OWN.match(t) for t in toks[len(prefix):])

rows = [r for r in rows if r[0].startswith("nofp_")]
total = sum(n for _, _, n in rows)

if mode == "cpu-whole":
    good = sum(n for _, fr, n in rows if whole(fr))
    print("%d of %d samples (%.1f%%) reach _start through main" % (good, total, 100.0 * good / max(total, 1)))
    sys.exit(0 if total >= 1000 and good >= 0.98 * total else 1)

if mode == "cpu-split":
    inc = {p: 0 for p in SHARE}
    for _, fr, n in rows:
        toks = {token(f) for f in fr}
        for p in SHARE:
            if MARK[p] in toks:
                inc[p] += n
    share = {p: 100.0 * inc[p] / max(total, 1) for p in SHARE}
    print("split %s of %d samples (want 40/25/20/15)" %
          ("/".join("%.1f" % share[p] for p in SHARE), total))
    sys.exit(0 if total >= 1000 and all(abs(share[p] - SHARE[p]) <= 5 for p in SHARE) else 1)

if mode in ("cpu-paths", "cpu-deep"):
    paths = ["deep"] if mode == "cpu-deep" else ["a", "b", "c"]
    ok, msg = True, []
    for p in paths:
        inpath = good = deeper = 0
        for _, fr, n in rows:
            toks = [token(f) for f in fr]
            if MARK[p] not in toks:
                continue
            inpath += n
            if whole(fr) and exact(p, toks[4:]):
                good += n
            if p == "deep" and toks.count(MARK[p]) > DEPTH:
                deeper += n
        msg.append("%s: %d of %d exact" % (p, good, inpath))
        if p == "deep":
            msg[-1] += " (%d deeper than %d)" % (deeper, DEPTH)
        ok = ok and inpath >= 0.5 * SHARE[p] / 100 * total and good >= 0.98 * inpath and not deeper
    print(", ".join(msg))
    sys.exit(0 if ok and total >= 1000 else 1)

if mode == "offcpu":
    want = args[0] * args[1] * 1000  # microseconds
    got = sum(n for _, fr, n in rows if blocked_on(fr, OFF))
    print("%d us blocked on the designed stack (of %d us in all), want %d us" % (got, total, want))
    sys.exit(0 if 0.97 * want <= got <= 1.35 * want else 1)

if mode == "sys-count":
    print("%d events, want %d" % (total, args[0]))
    sys.exit(0 if total == args[0] else 1)

if mode == "sys-stacks":
    got = sum(n for _, fr, n in rows if blocked_on(fr, SYS))
    print("%d of %d events with the designed stack" % (got, total))
    sys.exit(0 if got == total == args[0] else 1)
sys.exit("unknown mode " + mode)
PY

# ---- the four programs ---------------------------------------------------------------------
for prog in nofp_c nofp_c.stripped nofp_cxx nofp_cxx.stripped; do
	lang=${prog%%.*}
	lang=${lang#nofp_}
	T=$TAP_TMP/$prog.cpu
	run "$TREC" record -q -F 999 -o "$T" -- "$SAMPLES/$prog" -c "$CPU_S" -d "$DEPTH"
	check "$prog: record -F 999 exits 0" '[ $RC -eq 0 ]'
	"$TREC" report --folded --debug-dir "$DBG" -i "$T" >"$T.folded" 2>"$T.err"
	run python3 "$CHECK" cpu-whole "$lang" "$T.folded"
	check "$prog: >= 98% of samples have whole stacks, _start to main ($OUT)" '[ $RC -eq 0 ]'
	run python3 "$CHECK" cpu-split "$lang" "$T.folded"
	check "$prog: CPU split within 5 points of 40/25/20/15 ($OUT)" '[ $RC -eq 0 ]'
	run python3 "$CHECK" cpu-paths "$lang" "$T.folded"
	check "$prog: >= 98% of each path's samples show exactly its frames ($OUT)" '[ $RC -eq 0 ]'
	run python3 "$CHECK" cpu-deep "$lang" "$T.folded"
	check "$prog: the deep path is exactly $DEPTH frames deep ($OUT)" '[ $RC -eq 0 ]'

	T=$TAP_TMP/$prog.off
	run "$TREC" record -q -e offcpu -o "$T" -- "$SAMPLES/$prog" -s "$SLEEPS,$SLEEP_MS" -d "$DEPTH"
	check "$prog: record -e offcpu exits 0" '[ $RC -eq 0 ]'
	"$TREC" report --folded --offcpu --debug-dir "$DBG" -i "$T" >"$T.folded" 2>"$T.err"
	run python3 "$CHECK" offcpu "$lang" "$T.folded" "$SLEEPS" "$SLEEP_MS"
	check "$prog: off-CPU time on the $DEPTH-deep stack: at least the sleep, at most 35% over ($OUT)" '[ $RC -eq 0 ]'

	T=$TAP_TMP/$prog.sys
	run "$TREC" record -q -g -e syscalls:sys_enter_getppid -o "$T" -- "$SAMPLES/$prog" -k "$CALLS"
	check "$prog: record -g -e syscalls:sys_enter_getppid exits 0" '[ $RC -eq 0 ]'
	"$TREC" report --folded --event syscalls:sys_enter_getppid --debug-dir "$DBG" -i "$T" >"$T.folded" 2>"$T.err"
	run python3 "$CHECK" sys-count "$lang" "$T.folded" "$CALLS"
	check "$prog: exactly $CALLS getppid events ($OUT)" '[ $RC -eq 0 ]'
	run python3 "$CHECK" sys-stacks "$lang" "$T.folded" "$CALLS"
	check "$prog: every getppid stack is whole: _start ... main > run > outer > inner ($OUT)" '[ $RC -eq 0 ]'
done

# ---- JIT: node --perf-basic-prof -------------------------------------------------------------
if ! command -v node >/dev/null; then
	for d in "record node" "JS names" "JS under native frames"; do
		if [ "${CI:-}" = true ]; then not_ok "node: $d: node is not installed"; else ok "node: $d # SKIP node is not installed"; fi
	done
	exit 0
fi
JS=$TAP_TMP/jit.js
cat >"$JS" <<'JS'
'use strict';
function hotLeafAlpha(n) {
	let x = 1;
	for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003;
	return x;
}
function middleBeta(n) {
	return hotLeafAlpha(n) ^ 1;
}
function outerGamma(ms) {
	const end = Date.now() + ms;
	let s = 0;
	while (Date.now() < end) s += middleBeta(100000);
	return s;
}
outerGamma(1500);
JS
T=$TAP_TMP/node
cd "$TAP_TMP" || exit 1 # node --perf-basic-prof also writes isolate-*-v8.log in the current directory
run "$TREC" record -q -F 999 -o "$T" -- node --perf-basic-prof "$JS"
check "node --perf-basic-prof: record -F 999 exits 0" '[ $RC -eq 0 ]'
"$TREC" report --folded --show-pid -i "$T" >"$T.folded" 2>"$T.err"
# node leaves its map behind: remove the ones of this recording
sed -n 's/^node-\([0-9]*\);.*/\1/p' "$T.folded" | sort -u | while read -r pid; do
	rm -f "/tmp/perf-$pid.map"
done
cat >"$TAP_TMP/node.py" <<'PY'
import re, subprocess, sys
mode = sys.argv[1]
JSNAME = re.compile(r"(hotLeafAlpha|middleBeta|outerGamma)")
rows = []
for line in open(sys.argv[2]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    fr = stack.split(";")
    rows.append(([f for f in fr[1:] if not f.endswith("_[k]")], int(n)))
total = sum(n for _, n in rows)
js = [(fr, n) for fr, n in rows if any(JSNAME.search(f) for f in fr)]
njs = sum(n for _, n in js)
if mode == "names":
    print("%d of %d samples in the script's functions" % (njs, total))
    sys.exit(0 if njs >= 0.5 * total and total >= 500 else 1)

def unnamed_node(f):
    return f.startswith("node+0x") or f == "[node]"

def below_native(fr):
    """_start (or an unnamed frame of the node executable) and libc's two
    start frames, then node's main (in node 20 a jump to node::Start, so
    node::Start itself), then named native frames of node and V8, nothing
    unknown, then the JS frames."""
    if len(fr) < 5 or not (fr[0] == "_start" or unnamed_node(fr[0])):
        return False
    if not (fr[3].split("(", 1)[0] in ("main", "node::Start", "_ZN4node5StartEiPPc") or unnamed_node(fr[3])):
        return False
    first_js = next(i for i, f in enumerate(fr) if JSNAME.search(f))
    native = fr[3:first_js]
    return (any(re.match(r"^(_ZN4node|_ZN2v8|node::|v8::|Builtins_)", f) for f in native)
            and not any("[unknown]" in f for f in fr[:first_js]))

good = sum(n for fr, n in js if below_native(fr))
print("%d of %d samples with JS frames reach _start through native node frames" % (good, njs))
sys.exit(0 if njs >= 500 and good >= 0.95 * njs else 1)
PY
run python3 "$TAP_TMP/node.py" names "$T.folded"
check "node: JS function names from /tmp/perf-PID.map name most samples ($OUT)" '[ $RC -eq 0 ]'
run python3 "$TAP_TMP/node.py" native "$T.folded"
check "node: >= 95% of them sit below native node frames, from _start ($OUT)" '[ $RC -eq 0 ]'
