#!/usr/bin/env bash
# Frame names end to end (docs/SYMBOLS.md: demangling, functions without
# symbols). Programs in tests/e2e/data/names are built here and recorded
# by trec and by perf; from the files alone:
#  - C++ -O2 (namespaces, a class template, a clone suffix), Rust with the
#    legacy and the v0 mangling: the hot functions trec names are exactly
#    the ones `perf report` names, demangled by default and raw with
#    --no-demangle (both tools);
#  - the analysis-only build, JSON, the SVG and trec flamegraph name them
#    the same way; a file without the format 1.1 blocks still reads, with
#    raw names;
#  - a stripped library whose hot code is three static functions: each
#    is one frame, named libhot.so+OFFSET with OFFSET its start (the
#    unstripped copy's symbol), not one per instruction; liblzma as
#    Debian ships it: every leaf in it is an FDE's start or a symbol.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

DATA=$E2E_ROOT/tests/e2e/data/names
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, perf events)"
fi
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 20

W=$TAP_TMP/w
mkdir -p "$W"
cd "$W" || exit 1
skip() { ok "$1 # SKIP $2"; }

# perf 6.1's build-id code aborts ("assertion failed at util/build-id.c",
# "stack smashing detected") on some states of ~/.debug, which parallel
# perf runs leave behind: this test's perf has a build-id directory of its
# own. Three tries for its other aborts.
PERF_BIDS=$TAP_TMP/perf-buildids
mkdir -p "$PERF_BIDS"
perf_record() {
	local out=$1
	shift
	for _ in 1 2 3; do
		perf --buildid-dir "$PERF_BIDS" record -q -N -F 999 -o "$out" -- "$@" >/dev/null 2>&1 && return 0
	done
	return 1
}

# The user-space functions with at least 5% of the samples, one per line,
# sorted: from `perf report` (PERF FILE [perf options]) or from trec's
# folded stacks (TREC FILE [trec options]) by their leaf frame.
hot_set() {
	local tool=$1 file=$2
	shift 2
	if [ "$tool" = perf ]; then
		perf --buildid-dir "$PERF_BIDS" report -i "$file" --stdio --sort sym -q "$@" 2>/dev/null >"$file.report"
		python3 - "$file.report" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"\s*([0-9.]+)%\s+\[(.)\]\s+(.*\S)\s*$", line)
    if m and m.group(2) == "." and float(m.group(1)) >= 5:
        print(m.group(3))
PY
	else
		"$TREC" report --folded -i "$file" "$@" >"$file.folded" 2>/dev/null
		python3 - "$file.folded" <<'PY'
import collections, sys
leaf, total = collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    total += int(n)
    f = stack.split(";")[-1]
    if not f.endswith("_[k]"):
        leaf[f] += int(n)
for f, n in leaf.items():
    if total and 100.0 * n / total >= 5:
        print(f)
PY
	fi | sort
}

# "NAME; NAME" of a sorted set, for messages.
joined() { tr '\n' ';' <<<"$1"; }

have_perf=0
command -v perf >/dev/null && have_perf=1

# ---- C++ ----------------------------------------------------------------------------------------

CXX_HOT=$'app::Worker<int>::run\napp::detail::mix'
CXX_RAW=$'_ZN3app6WorkerIiE3runERKSt6vectorIiSaIiEE.isra.0\n_ZN3app6detail3mixEdi'
if command -v g++ >/dev/null && g++ -std=c++17 -O2 -o app "$DATA/app.cpp"; then
	run "$TREC" record -q -F 999 -o app.trec -- ./app 1.5
	check "C++ -O2: trec record exits 0" '[ $RC -eq 0 ] && [ -s app.trec ]'
	TREC_SET=$(hot_set trec app.trec)
	TREC_RAW=$(hot_set trec app.trec --no-demangle)
	if [ $have_perf = 1 ] && perf_record app.perf ./app 1.5; then
		PERF_SET=$(hot_set perf app.perf)
		PERF_RAW=$(hot_set perf app.perf --no-demangle)
		check "C++: trec names the hot functions as perf report does ($(joined "$TREC_SET") vs $(joined "$PERF_SET"))" \
			'[ "$TREC_SET" = "$PERF_SET" ] && [ "$TREC_SET" = "$CXX_HOT" ]'
		check "C++: --no-demangle gives perf --no-demangle's raw names ($(joined "$TREC_RAW"))" \
			'[ "$TREC_RAW" = "$PERF_RAW" ] && [ "$TREC_RAW" = "$CXX_RAW" ]'
	else
		skip "C++: trec names the hot functions as perf report does" "perf missing or failed"
		skip "C++: --no-demangle gives perf --no-demangle's raw names" "perf missing or failed"
	fi
	check "C++: the hot functions, demangled, and --demangle is the default ($(joined "$TREC_SET"))" \
		'[ "$TREC_SET" = "$CXX_HOT" ] && [ "$(hot_set trec app.trec --no-demangle --demangle)" = "$CXX_HOT" ]'

	run "$TREC_REPORT" report --folded -i app.trec
	"$TREC" report --folded -i app.trec >full.folded 2>/dev/null
	check "analysis-only build: the same folded stacks, demangled, with no demangler in it" \
		'[ $RC -eq 0 ] && [ "$OUT" = "$(cat full.folded)" ] && grep -q "app::detail::mix" <<<"$OUT" &&
		 ! nm "$TREC_REPORT" 2>/dev/null | grep -q cplus_demangle'

	run "$TREC" report --top --json -i app.trec
	echo "$OUT" >top.json
	run python3 - top.json <<'PY'
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
assert "app::Worker<int>::run" in text and "app::detail::mix" in text, text[:400]
assert "_ZN3app" not in text
PY
	check "--top --json: demangled names" '[ $RC -eq 0 ]'

	"$TREC" flamegraph -o app.svg app.trec 2>/dev/null
	"$TREC" flamegraph --no-demangle -o app-raw.svg app.trec 2>/dev/null
	check "trec flamegraph: demangled in the SVG, raw with --no-demangle" \
		'grep -q "app::Worker&lt;int&gt;::run" app.svg && grep -q "app::detail::mix" app.svg &&
		 ! grep -q "_ZN3app6detail3mixEdi" app.svg && grep -q "_ZN3app6detail3mixEdi" app-raw.svg &&
		 ! grep -q "app::detail::mix" app-raw.svg'

	# The same trace as format 1.0 wrote it: no symext blocks (nor index,
	# so the reader walks the blocks), minor version 0.
	run python3 - app.trec old.trec <<'PY'
import struct, sys
def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
    return c ^ 0xffffffff
d = open(sys.argv[1], "rb").read()
head = bytearray(d[:64])
head[10:12] = struct.pack("<H", 0)
head[60:64] = struct.pack("<I", crc32c(head[:60]))
out, off, dropped = [bytes(head)], 64, 0
while off + 48 <= len(d) and d[off:off + 4] == b"TBLK":
    kind, = struct.unpack_from("<H", d, off + 4)
    comp, = struct.unpack_from("<I", d, off + 8)
    if kind in (10, 11):
        dropped += kind == 11
    else:
        out.append(d[off:off + 48 + comp])
    off += 48 + comp
assert dropped >= 1, "no symext block in the trace"
open(sys.argv[2], "wb").write(b"".join(out))
PY
	run "$TREC" report --folded -i old.trec
	check "a file without symext blocks (format 1.0) reads, with raw names" \
		'[ $RC -eq 0 ] && grep -q "_ZN3app6detail3mixEdi" <<<"$OUT" && ! grep -q "app::detail::mix" <<<"$OUT"'
	run "$TREC" info -i app.trec
	check "trec info lists the symext blocks" '[ $RC -eq 0 ] && grep -Eq "^ *symext +1 " <<<"$OUT"'
else
	for t in "trec record exits 0" "as perf report" "perf --no-demangle" "demangled by default" \
		"analysis-only build" "--top --json" "trec flamegraph" "format 1.0 file" "trec info"; do
		skip "C++: $t" "g++ missing or failed"
	done
fi

# ---- Rust: legacy and v0 mangling ------------------------------------------------------------------

rust_case() {
	local name=$1 flags=$2 want=$3 want_raw_prefix=$4
	# shellcheck disable=SC2086 # flags are words
	if ! command -v rustc >/dev/null ||
		! rustc -O --crate-name "$name" $flags -o "$name" "$DATA/engine.rs" 2>rustc.err; then
		skip "Rust $name: trec record exits 0" "rustc missing or failed: $(head -c 200 rustc.err 2>/dev/null)"
		skip "Rust $name: names as perf report" "rustc missing or failed"
		skip "Rust $name: raw names" "rustc missing or failed"
		return
	fi
	run "$TREC" record -q -F 999 -o "$name.trec" -- "./$name" 1.5
	check "Rust $name: trec record exits 0" '[ $RC -eq 0 ]'
	TREC_SET=$(hot_set trec "$name.trec")
	TREC_RAW=$(hot_set trec "$name.trec" --no-demangle)
	WANT=$want
	if [ $have_perf = 1 ] && perf_record "$name.perf" "./$name" 1.5; then
		PERF_SET=$(hot_set perf "$name.perf")
		PERF_RAW=$(hot_set perf "$name.perf" --no-demangle)
		check "Rust $name: names as perf report ($(joined "$TREC_SET") vs $(joined "$PERF_SET"))" \
			'[ "$TREC_SET" = "$PERF_SET" ] && [ "$TREC_SET" = "$WANT" ]'
		check "Rust $name: --no-demangle as perf's ($(joined "$TREC_RAW"))" \
			'[ "$TREC_RAW" = "$PERF_RAW" ] && [ "$(grep -c "^$want_raw_prefix" <<<"$TREC_RAW")" -eq 2 ]'
	else
		check "Rust $name: names ($(joined "$TREC_SET")); perf missing or failed" '[ "$TREC_SET" = "$WANT" ]'
		check "Rust $name: raw names with --no-demangle" \
			'[ "$(grep -c "^$want_raw_prefix" <<<"$TREC_RAW")" -eq 2 ]'
	fi
}
rust_case rs_legacy "" $'rs_legacy::engine::Grid<T>::checksum\nrs_legacy::engine::spin' _ZN9rs_legacy6engine
rust_case rs_v0 "-C symbol-mangling-version=v0" $'<rs_v0::engine::Grid<u32>>::checksum\nrs_v0::engine::spin' _RNv

# ---- a stripped library: static functions named by their FDEs -------------------------------------

if gcc -O2 -fPIC -shared -o libhot.so.full "$DATA/libhot.c" &&
	strip --strip-all -o libhot.so libhot.so.full &&
	gcc -O2 -o hotmain "$DATA/hotmain.c" -L. -l:libhot.so -Wl,-rpath,"$W"; then
	run "$TREC" record -q -F 999 -o hot.trec -- ./hotmain 2
	check "stripped library: trec record exits 0, no .symtab in it" \
		'[ $RC -eq 0 ] && ! readelf -S libhot.so | grep -q "\.symtab"'
	# what each static function must be called: its start in the file
	for f in hot_alpha hot_beta hot_gamma; do
		printf '%s libhot.so+0x%x\n' "$f" "0x$(nm libhot.so.full | awk -v f="$f" '$3 == f {print $1}')"
	done >expect.txt
	"$TREC" report --folded -i hot.trec >hot.folded 2>/dev/null
	run python3 - hot.folded expect.txt <<'PY'
import collections, sys
want = dict(l.split() for l in open(sys.argv[2]))
leaf, total = collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    f = stack.split(";")[-1]
    if f.startswith("libhot.so+"):
        leaf[f] += int(n)
        total += int(n)
print("libhot.so leaves:", dict(leaf))
assert set(leaf) == set(want.values()), "leaves %s, functions %s" % (sorted(leaf), want)
share = {fn: 100.0 * leaf[want[fn]] / total for fn in want}
for fn, pct in (("hot_alpha", 60), ("hot_beta", 30), ("hot_gamma", 10)):
    assert abs(share[fn] - pct) <= 10, "%s: %.1f%%, expected about %d%%" % (fn, share[fn], pct)
PY
	check "stripped library: 3 static functions, 3 distinct leaves, each named by its start ($OUT)" '[ $RC -eq 0 ]'
	check "stripped library: the exported caller is named from .dynsym" 'grep -q ";hot_run;libhot.so+0x" hot.folded'
else
	for t in "trec record" "3 static functions" "exported caller"; do
		skip "stripped library: $t" "gcc, strip or the build failed"
	done
fi

LZMA=$(ldd "$(command -v xz 2>/dev/null || echo /nonexistent)" 2>/dev/null | awk '/liblzma/ {print $3}')
if [ -n "$LZMA" ] && [ -r "$LZMA" ] && ! readelf -S "$LZMA" | grep -q '\.symtab'; then
	seq 1 2500000 >blob
	run "$TREC" record -q -F 999 -o xz.trec -- xz -T1 -3 -k -f blob
	check "xz with Debian's stripped liblzma: trec record exits 0" '[ $RC -eq 0 ]'
	"$TREC" report --folded -i xz.trec >xz.folded 2>/dev/null
	readelf --debug-dump=frames "$LZMA" 2>/dev/null | sed -n 's/.* FDE .*pc=\([0-9a-f]*\)\.\..*/\1/p' >fdes.txt
	readelf -lW "$LZMA" | awk '$1 == "LOAD" && / E / {print $2, $3; exit}' >bias.txt
	nm -D --defined-only "$LZMA" | awk '{print $3}' >dynsyms.txt
	run python3 - xz.folded fdes.txt bias.txt dynsyms.txt "$(basename "$(readlink -f "$LZMA")")" <<'PY'
import collections, sys
fdes = {int(x, 16) for x in open(sys.argv[2]).read().split()}
off, vaddr = (int(x, 16) for x in open(sys.argv[3]).read().split())
dyn = set(open(sys.argv[4]).read().split())
base = sys.argv[5]
leaf = collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    fr = stack.split(";")
    # the innermost frame in liblzma
    for f in reversed(fr):
        if f.startswith(base + "+0x") or f in dyn:
            leaf[f] += int(n)
            break
bad = []
for f in leaf:
    if f.startswith(base + "+0x"):
        start = int(f[len(base) + 3:], 16) + vaddr - off  # file offset to address
        if start not in fdes:
            bad.append(f)
unnamed = [f for f in leaf if f.startswith(base)]
print("%d distinct liblzma frames (%d unnamed) over %d samples, %d FDEs"
      % (len(leaf), len(unnamed), sum(leaf.values()), len(fdes)))
assert sum(leaf.values()) > 200, "few samples in liblzma"
assert not bad, "not an FDE start: %s" % bad[:5]
assert len(unnamed) <= 60, "too many distinct unnamed frames: %d" % len(unnamed)
PY
	check "liblzma: every unnamed frame is an FDE's start, few distinct ones ($OUT)" '[ $RC -eq 0 ]'
else
	skip "xz with Debian's stripped liblzma: trec record exits 0" "no xz linked with a stripped liblzma"
	skip "liblzma: every unnamed frame is an FDE's start" "no xz linked with a stripped liblzma"
fi
