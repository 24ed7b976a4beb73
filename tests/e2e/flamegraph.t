#!/usr/bin/env bash
# trec flamegraph end to end: the SVG of folded stacks with known counts
# (well-formed for xmllint, every width proportional to its count, the
# script's entry points, the same bytes every time), the same SVG opened
# in headless Chromium (no script error, a screenshot whose pixels show the
# frames, search and zoom driven through the URL), the options, differential
# graphs of folded files and of traces, perf script collapsed exactly as
# expected for each fixture shape and option (tests/data/flamegraph/
# SHAPE@OPTS.folded), a live perf recording, and the errors.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"
command -v xmllint >/dev/null || skip_all "xmllint not installed (libxml2-utils)"
DATA=$E2E_ROOT/tests/data/flamegraph
SYNTH=$TREC_TOOLS/trec-synth
cd "$TAP_TMP" || exit 1

CORPUS=$E2E_ROOT/tests/corpus/flamegraph
plan 55

skip() { ok "$1 # SKIP $2"; }

# ---- the SVG of known counts ---------------------------------------------------------
run "$TREC" flamegraph --help
check "--help exits 0 and names the options" \
	'[ $RC -eq 0 ] && [[ $OUT == *--minwidth* && $OUT == *--collapse-perf* && $OUT == *--diff* ]]'

run "$TREC" flamegraph -o known.svg "$DATA/known.folded"
check "known.folded -> SVG, exit 0, nothing on stderr" '[ $RC -eq 0 ] && [ -s known.svg ] && [ -z "$ERR" ]'
run xmllint --noout known.svg
check "the SVG is well-formed XML (xmllint)" '[ $RC -eq 0 ]'

# Every frame: title NAME (N samples, P%), rect width = N * 1180 / total,
# fg:w = N, children inside their parent.
cat >frames.py <<'PY'
import sys, re, xml.etree.ElementTree as ET
NS = {"s": "http://www.w3.org/2000/svg"}
FG = "{http://github.com/jonhoo/inferno}"
def frames(path):
    root = ET.parse(path).getroot()
    out = []
    for g in root.find("s:g[@id='frames']", NS).findall("s:g", NS):
        title = g.find("s:title", NS).text
        m = re.match(r"^(.*) \(([\d,]+) (\w+), ([\d.]+)%(?:; ([-+][\d.]+)%)?\)$", title)
        r = g.find("s:rect", NS)
        out.append(dict(name=m.group(1), n=int(m.group(2).replace(",", "")), pct=float(m.group(4)),
                        delta=m.group(5), x=float(r.get("x")), y=float(r.get("y")),
                        w=float(r.get("width")), h=float(r.get("height")), fill=r.get("fill"),
                        fx=int(r.get(FG + "x")), fw=int(r.get(FG + "w")),
                        label=g.find("s:text", NS).text or ""))
    return root, out
PY
run python3 - known.svg <<'PY'
import sys; sys.path.insert(0, ".")
from frames import frames
root, fr = frames(sys.argv[1])
total = fr[0]["n"]
assert fr[0]["name"] == "all" and total == 100, fr[0]
want = {"app": 70, "main": 70, "a": 60, "b": 60, "d": 10, "entry_SYSCALL_64_[k]": 10,
        "schedule_[k]": 10, "worker": 30, "c": 30}
seen = {}
for f in fr:
    assert abs(f["w"] - f["n"] * 1180.0 / total) < 0.006, f
    assert abs(f["x"] - (10 + f["fx"] * 1180.0 / total)) < 0.006, f
    assert f["fw"] == f["n"] and abs(f["pct"] - 100.0 * f["n"] / total) < 0.006, f
    seen[f["name"]] = seen.get(f["name"], 0) + f["n"]
want["main"] = 100
assert all(seen.get(k) == v for k, v in want.items()), seen
assert len(fr) == 11, len(fr)
# Tools that scan for "<title>" with a regex see the frames and nothing else.
assert open(sys.argv[1]).read().count("<title>") == len(fr)
print("%d frames, widths proportional" % len(fr))
PY
check "every rect width is its count x 1180 px / total, at its offset ($OUT)" '[ $RC -eq 0 ]'
check "the zoom and search script and its entry points are in the SVG" \
	'grep -q "onload=\"init(evt)\"" known.svg && grep -q "^function zoom(" known.svg &&
	 grep -q "^function search(" known.svg && grep -q "<text id=\"search\"" known.svg &&
	 grep -q "<text id=\"unzoom\" class=\"hide\"" known.svg'

"$TREC" flamegraph "$DATA/known.folded" >again.svg 2>/dev/null
tac "$DATA/known.folded" | "$TREC" flamegraph >stdin.svg 2>/dev/null
check "same input, same bytes: twice, and from stdin in another order" \
	'cmp -s known.svg again.svg && cmp -s known.svg stdin.svg'
run "$TREC_REPORT" flamegraph -o report.svg "$DATA/known.folded"
check "the analysis-only build draws the same SVG" '[ $RC -eq 0 ] && cmp -s known.svg report.svg'

# ---- in a browser ---------------------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
chrome() { # OUTFILE ARGS... : headless Chromium with a private profile; console on stderr
	local out=$1
	shift
	HOME=$TAP_TMP timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--force-device-scale-factor=1 --no-first-run --user-data-dir="$TAP_TMP/chrome" \
		--enable-logging=stderr --v=0 "$@" >"$out" 2>>"$TAP_TMP/console.log"
}
height=$(sed -n 's/^<svg version="1.1" width="1200" height="\([0-9.]*\)".*/\1/p' known.svg)
if [ -z "$CHROMIUM" ]; then
	for d in "screenshot" "screenshot pixels" "search" "zoom" "no script error"; do
		if [ "${CI:-}" = true ]; then
			not_ok "browser: $d (chromium is not installed; scripts/setup-deps.sh installs it)"
		else
			skip "browser: $d" "chromium not installed (scripts/setup-deps.sh installs it)"
		fi
	done
else
	chrome /dev/null --window-size=1200,"$height" --screenshot="$TAP_TMP/shot.png" "file://$TAP_TMP/known.svg"
	check "Chromium renders the SVG to a screenshot" '[ -s shot.png ]'
	# The PNG decoded by hand (zlib + row filters): frame rects are drawn in
	# the hot palette at their place, the background is not.
	run python3 - shot.png known.svg <<'PY'
import sys, struct, zlib
sys.path.insert(0, ".")
from frames import frames
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev, i = [], bytearray(stride), 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
px = lambda x, y: tuple(rows[int(y)][int(x) * bpp:int(x) * bpp + 3])
hot = lambda c: c[0] >= 200 and c[2] <= 60
_, fr = frames(sys.argv[2])
for f in fr:
    if f["w"] < 4: continue
    # the rect's last row, below the label's glyphs: mostly frame color
    row = [px(f["x"] + f["w"] * (k + 0.5) / 5, f["y"] + f["h"] - 1) for k in range(5)]
    assert sum(map(hot, row)) >= 3, (f["name"], row)
assert not hot(px(600, 5)), px(600, 5)
count = sum(1 for y in range(h) for x in range(0, w, 4) if hot(px(x, y)))
print("%dx%d screenshot, %d hot-palette pixels sampled" % (w, h, count))
assert count > 2000, count
PY
	check "the screenshot's pixels show every frame in the hot palette where the SVG puts it ($OUT)" '[ $RC -eq 0 ]'
	chrome search.html "file://$TAP_TMP/known.svg?s=%5E(a%7Cc)%24" --dump-dom
	check "search from the URL (s=^(a|c)\$): two frames highlighted, 'Matched: 90.0%'" \
		'grep -q "<text id=\"matched\"[^>]*>Matched: 90.0%</text>" search.html &&
		 [ "$(grep -c "fill=\"rgb(230,0,230)\" rx" search.html)" -eq 2 ]'
	# Zoom into "a" through the x/y of its rect's center.
	read -r zx zy < <(python3 -c '
import sys; sys.path.insert(0, ".")
from frames import frames
f = [f for f in frames("known.svg")[1] if f["name"] == "a"][0]
print(f["x"] + f["w"] / 2, f["y"] + f["h"] / 2)')
	chrome zoom.html "file://$TAP_TMP/known.svg?x=$zx&y=$zy" --dump-dom
	check "zoom from the URL: a spans the width, b too, d and worker hidden, ancestors dimmed" \
		'grep -q "<title>a (60 samples, 60.00%)</title><rect x=\"10.00\" y=\"[0-9.]*\" width=\"1180.00\"" zoom.html &&
		 grep -q "<title>b (60 samples, 60.00%)</title><rect x=\"10.00\" y=\"[0-9.]*\" width=\"1180.00\"" zoom.html &&
		 grep -q "<g style=\"display: none;\"><title>d (" zoom.html &&
		 grep -q "<g style=\"display: none;\"><title>worker (" zoom.html &&
		 grep -q "<g class=\"parent\"><title>app (" zoom.html &&
		 grep -q "<text id=\"unzoom\" class=\"\"" zoom.html'
	check "no script error in the browser console" \
		'! grep -Eiq "uncaught|CONSOLE.*error" console.log'
fi

# ---- names that need escaping -----------------------------------------------------------
run "$TREC" flamegraph -o escape.svg "$DATA/escape.folded"
check "names with < & \" and bytes that are not UTF-8 give well-formed XML" \
	'[ $RC -eq 0 ] && xmllint --noout escape.svg &&
	 grep -q "<title>std::vector&lt;int&gt;::push_back (5 samples\|<title>std::vector&lt;int&gt;::push_back(int const&amp;) (5" escape.svg &&
	 grep -q "<title>bad??bytes (3 samples" escape.svg && grep -q "<title>ctl?char (2" escape.svg'

# ---- options --------------------------------------------------------------------------------
run "$TREC" flamegraph --title "My <title>" --subtitle "sub" --countname bytes --nametype "Where:" \
	--width 800 --height 20 --fonttype "DejaVu Sans" --fontsize 10 "$DATA/known.folded"
printf "%s\n" "$OUT" >opts.svg
check "--title/--subtitle/--countname/--nametype/--width/--height/--fonttype/--fontsize" \
	'[ $RC -eq 0 ] && xmllint --noout opts.svg && grep -q ">My &lt;title&gt;</text>" opts.svg &&
	 grep -q "id=\"subtitle\"[^>]*>sub<" opts.svg && grep -q "<title>a (60 bytes, 60.00%)" opts.svg &&
	 grep -q "fg:label=\"Where:\"" opts.svg && grep -q "^<svg version=\"1.1\" width=\"800\"" opts.svg &&
	 grep -q "height=\"19\"" opts.svg && grep -q "font-family:DejaVu Sans; font-size:10px" opts.svg'
run "$TREC" flamegraph --inverted "$DATA/known.folded"
check "--inverted: an icicle graph, root at the top" \
	'[ $RC -eq 0 ] && [[ $OUT == *">Icicle Graph</text>"* ]] &&
	 python3 -c "import sys; sys.path.insert(0, \".\")
from frames import frames
import io; open(\"inv.svg\", \"w\").write(sys.stdin.read())
fr = frames(\"inv.svg\")[1]; y = {f[\"name\"]: f[\"y\"] for f in fr}
assert y[\"all\"] < y[\"app\"] < y[\"main\"] < y[\"a\"] < y[\"b\"]" <<<"$OUT"'
run "$TREC" flamegraph --reverse "$DATA/known.folded"
check "--reverse: leaves at the root (b, schedule_[k] and c are the first row)" \
	'[ $RC -eq 0 ] && printf "%s\n" "$OUT" >rev.svg && python3 -c "import sys; sys.path.insert(0, \".\")
from frames import frames
fr = frames(\"rev.svg\")[1]; y0 = fr[1][\"y\"]
assert sorted(f[\"name\"] for f in fr if f[\"y\"] == y0) == [\"b\", \"c\", \"schedule_[k]\"]"'
printf 'z;late 1\na;early 1\nz;late 1\n' >chart.folded
run "$TREC" flamegraph --flamechart chart.folded
check "--flamechart: input order, only neighbours merge (z, a, z)" \
	'[ $RC -eq 0 ] && [[ $OUT == *">Flame Chart</text>"* ]] && [ "$(grep -c "<title>z (1 samples" <<<"$OUT")" -eq 2 ] &&
	 [ "$(grep -o "<title>[az] (" <<<"$OUT" | tr -d "\n")" = "<title>z (<title>a (<title>z (" ]'
run "$TREC" flamegraph --minwidth 50% "$DATA/known.folded"
check "--minwidth 50%: narrower frames pruned, the count in an SVG comment" \
	'[ $RC -eq 0 ] && [[ $OUT == *"<!-- 5 frames drawn; 6 frames narrower than 50% of the total pruned"* ]] &&
	 [[ $OUT != *"<title>worker ("* ]]'
run "$TREC" flamegraph --colors mem --bgcolors grey "$DATA/known.folded"
check "--colors mem --bgcolors grey" \
	'[ $RC -eq 0 ] && [[ $OUT == *"stop-color=\"#f8f8f8\""* ]] && ! grep -q "<title>[^(]*(.*fill=\"rgb([1-9]" <<<"$OUT"'
"$TREC" flamegraph --hash "$DATA/known.folded" >h1.svg
printf 'other;main 5\n' | "$TREC" flamegraph --hash >h2.svg
check "--hash: a name has the same color in every graph" \
	'[ "$(grep -o "<title>main (70.*fill=\"[^\"]*\"" h1.svg | sed "s/.*fill=//")" = \
	   "$(grep -o "<title>main (5 .*fill=\"[^\"]*\"" h2.svg | sed "s/.*fill=//")" ]'
(mkdir cp && cd cp && "$TREC" flamegraph --cp "$DATA/known.folded" >cp1.svg &&
	printf 'x;worker 1\n' | "$TREC" flamegraph --cp >cp2.svg) 2>/dev/null
check "--cp: palette.map written and reused (worker keeps its color)" \
	'grep -q "^worker->rgb(" cp/palette.map && [ "$(grep -c . cp/palette.map)" -eq 10 ] &&
	 c=$(sed -n "s/^worker->//p" cp/palette.map) && grep -q "<title>worker (1 .*fill=\"$c\"" cp/cp2.svg'
run "$TREC" flamegraph --colors java --cp-file "$TAP_TMP/pal.map" "$DATA/known.folded"
check "--colors java: kernel frames orange; --cp-file FILE" \
	'[ $RC -eq 0 ] && grep -q "^schedule_\[k\]->rgb([0-9]*,[0-9]*,0)$" pal.map'

# ---- differential ----------------------------------------------------------------------
run "$TREC" flamegraph --diff "$DATA/before.folded" "$DATA/after.folded"
printf "%s\n" "$OUT" >diff.svg
check "--diff: widths of AFTER, deltas in the titles, red grew, blue shrank, white same" \
	'[ $RC -eq 0 ] && xmllint --noout diff.svg &&
	 grep -q "<title>render (60 samples, 60.00%; +30.00%)</title><rect[^>]*fill=\"rgb(255,0,0)\"" diff.svg &&
	 grep -q "<title>parse (20 samples, 20.00%; -30.00%)</title><rect[^>]*fill=\"rgb(0,0,255)\"" diff.svg &&
	 grep -q "<title>io (20 samples, 20.00%; +20.00%)</title><rect[^>]*fill=\"rgb(255," diff.svg &&
	 grep -q "<title>main (100 samples, 100.00%; 0.00%)</title><rect[^>]*fill=\"rgb(255,255,255)\"" diff.svg &&
	 ! grep -q "<title>gc (" diff.svg'
check "--diff: the subtitle says how to read it" \
	'grep -q "id=\"subtitle\"[^>]*>before.folded -&gt; after.folded: widths show after.folded; red: more in after.folded, blue: less</text>" diff.svg'
run "$TREC" flamegraph --diff --negate "$DATA/before.folded" "$DATA/after.folded"
check "--negate swaps the hues" \
	'[ $RC -eq 0 ] && grep -q "<title>render (60 samples, 60.00%; -30.00%)</title><rect[^>]*fill=\"rgb(0,0,255)\"" <<<"$OUT"'
awk '{ $NF = $NF * 10; print }' "$DATA/before.folded" >before10.folded
run "$TREC" flamegraph --diff before10.folded "$DATA/after.folded"
check "a BEFORE of 10 times the samples: render shrank 300 -> 60" \
	'[ $RC -eq 0 ] && grep -q "<title>render (60 samples, 60.00%; -240.00%)" <<<"$OUT"'
run "$TREC" flamegraph --diff -n before10.folded "$DATA/after.folded"
check "--normalize scales BEFORE to AFTER's total: render grew 30 -> 60" \
	'[ $RC -eq 0 ] && grep -q "<title>render (60 samples, 60.00%; +30.00%)" <<<"$OUT"'
printf 'app;main 0x7f001234 5\n' >b.folded
printf 'app;main 0x7f00abcd 5\n' >a.folded
run "$TREC" flamegraph --diff -s b.folded a.folded
check "--strip-hex: stacks that differ only in addresses compare equal" \
	'[ $RC -eq 0 ] && grep -q "<title>main 0x... (5 samples, 100.00%; 0.00%)" <<<"$OUT"'
"$TREC" flamegraph --diff "$DATA/before.folded" "$DATA/after.folded" 2>/dev/null | cmp -s - diff.svg
check "--diff output is the same every time" '[ $? -eq 0 ]'
paste -d' ' <(sed 's/ [0-9]*$//' "$DATA/before.folded") <(sed 's/.* //' "$DATA/before.folded") \
	<(sed 's/.* //' "$DATA/before.folded") >twocol.folded
run "$TREC" flamegraph twocol.folded
check "two-count folded lines (difffolded.pl output) draw a differential graph" \
	'[ $RC -eq 0 ] && grep -q "<title>parse (50 samples, 50.00%; 0.00%)" <<<"$OUT"'

# ---- fractional counts (flamegraph.pl reads "a;b 0.5") ----------------------------------
printf 'a;b 0.5\na;c 1.25\nd 2\n' >frac.folded
run "$TREC" flamegraph frac.folded
printf "%s\n" "$OUT" >frac.svg
run python3 - frac.svg <<'PY'
import sys, re, xml.etree.ElementTree as ET
NS = {"s": "http://www.w3.org/2000/svg"}
FG = "{http://github.com/jonhoo/inferno}"
root = ET.parse(sys.argv[1]).getroot()
fr = {}
for g in root.find("s:g[@id='frames']", NS).findall("s:g", NS):
    t = g.find("s:title", NS).text
    r = g.find("s:rect", NS)
    fr[t.split(" (")[0]] = (t, float(r.get("width")), r.get(FG + "x"), r.get(FG + "w"))
assert fr["all"][0] == "all (3.75 samples, 100%)", fr["all"]
assert fr["b"][0] == "b (0.5 samples, 13.33%)" and fr["b"][3] == "0.5", fr["b"]
assert fr["c"][0] == "c (1.25 samples, 33.33%)" and fr["c"][2:] == ("0.5", "1.25"), fr["c"]
assert fr["a"][3] == "1.75" and fr["d"][2:] == ("1.75", "2"), (fr["a"], fr["d"])
for k, n in (("b", 0.5), ("c", 1.25), ("d", 2), ("a", 1.75)):
    assert abs(fr[k][1] - n * 1180 / 3.75) < 0.01, (k, fr[k])
PY
check "fractional counts: titles, fg:x/fg:w exact (0.5, 1.25), widths in proportion" '[ $RC -eq 0 ]'
printf 'a;b 3\na;c 2.5\n' >f1.folded
printf 'a;b 3.0\na;c 2.50\n' >f2.folded
"$TREC" flamegraph f1.folded >f1.svg 2>/dev/null
"$TREC" flamegraph f2.folded >f2.svg 2>/dev/null
check "3.0 is 3 and 2.50 is 2.5: the same SVG bytes" 'cmp -s f1.svg f2.svg && grep -q "c (2.5 samples" f1.svg'
printf 'a 0.1234567894\nb 0.1234567895\nc 7.\n' >round.folded
run "$TREC" flamegraph round.folded
check "past 9 decimals, rounded half up; '7.' is 7" \
	'[ $RC -eq 0 ] && [[ $OUT == *"<title>a (0.123456789 samples"* && $OUT == *"<title>b (0.12345679 samples"* && $OUT == *"<title>c (7 samples"* ]]'
printf 'a;b 1.5 2.5\na;c 2 1\n' >fdiff.folded
run "$TREC" flamegraph fdiff.folded
check "differential lines with fractions: widths of AFTER, deltas in percent" \
	'[ $RC -eq 0 ] && [[ $OUT == *"<title>b (2.5 samples, 71.43%; +28.57%)"* && $OUT == *"fg:w=\"2.5\""* ]]'
printf 'a;b .5\na;c 1\n' >dot.folded
run "$TREC" flamegraph dot.folded
check "'.5' is not a count (flamegraph.pl wants a digit first): the line is ignored, with a warning" \
	'[ $RC -eq 0 ] && [[ $ERR == *"dot.folded: 1 lines ignored"* && $OUT != *"<title>b "* ]]'

# ---- traces ------------------------------------------------------------------------------
if [ -x "$SYNTH" ]; then
	"$SYNTH" -o t1.data -n 20000 --seed 1 >/dev/null 2>&1
	"$SYNTH" -o t2.data -n 20000 --seed 2 >/dev/null 2>&1
	run "$TREC" flamegraph t1.data
	printf "%s\n" "$OUT" >t1.svg
	"$TREC" report --folded -i t1.data >t1.folded 2>/dev/null
	"$TREC" flamegraph t1.folded >t1f.svg 2>/dev/null
	check "a trace as input: the same SVG as its trec report --folded" \
		'[ $RC -eq 0 ] && [ -s t1.folded ] && cmp -s t1.svg t1f.svg'
	run "$TREC" flamegraph --diff t1.data t2.data
	printf "%s\n" "$OUT" >tdiff.svg
	"$TREC" report --folded -i t2.data >t2.folded 2>/dev/null
	"$TREC" flamegraph --diff t1.folded t2.folded >fdiff.svg 2>/dev/null
	check "--diff of two traces: the same as --diff of their folded stacks" \
		'[ $RC -eq 0 ] && xmllint --noout tdiff.svg && grep -q "; [-+]\?[0-9.]*%)</title>" tdiff.svg &&
		 [ "$(grep -v "id=\"subtitle\"" tdiff.svg)" = "$(grep -v "id=\"subtitle\"" fdiff.svg)" ]'
	run "$TREC" flamegraph --no-kernel --pid t1.data
	check "trace options (--no-kernel, --pid) are passed on" \
		'[ $RC -eq 0 ] && ! grep -q "_\[k\] (" <<<"$OUT" && grep -q "<title>[^ ]*-[0-9][0-9]* (" <<<"$OUT"'
else
	skip "a trace as input" "trec-synth not built"
	skip "--diff of two traces" "trec-synth not built"
	skip "trace options" "trec-synth not built"
fi

# ---- perf script ------------------------------------------------------------------------
# (The collapser's corpus, stackcollapse-perf.pl's output for each capture
# and option, is tests/e2e/collapse_perf.t.)
run "$TREC" flamegraph --collapse-perf "$CORPUS/events.txt"
check "several events: the first is kept, and a warning says which and how to choose" \
	'[[ $ERR == *"events.txt: kept event cpu-clock:ppp, left out 1 samples of other events (the first: page-faults:u); choose with --event-filter EVENT"* ]]'
"$TREC" flamegraph --collapse-perf - <"$CORPUS/kernel-user.txt" 2>/dev/null | "$TREC" flamegraph >piped.svg 2>/dev/null
run "$TREC" flamegraph --from-perf "$CORPUS/kernel-user.txt" -o oneshot.svg
check "--from-perf FILE: the same SVG as --collapse-perf FILE | trec flamegraph" \
	'[ $RC -eq 0 ] && [ -s oneshot.svg ] && cmp -s piped.svg oneshot.svg'
run "$TREC" flamegraph --from-perf "$CORPUS/kernel-user.txt" --kernel --colors java
check "--from-perf takes the collapse options (--kernel) and the graph's (--colors); counts are periods" \
	'[ $RC -eq 0 ] && grep -q "<title>schedule_\[k\] (1,001,001 samples[^>]*><rect[^>]*fill=\"rgb([0-9]*,[0-9]*,0)\"" <<<"$OUT"'

if [ "$(id -u)" -eq 0 ] && command -v perf >/dev/null; then
	# perf 6.1's build-id code aborts on some states of ~/.debug, which
	# parallel perf runs leave behind: a build-id directory of its own,
	# and five tries for its other aborts.
	mkdir -p perf-buildids
	for _ in 1 2 3 4 5; do
		perf --buildid-dir perf-buildids record -q -N -F 999 -g -o perf.data -- "$TREC_BUILD/samples/cpu_split" 1 \
			>/dev/null 2>&1 && break
	done
	perf --buildid-dir perf-buildids script -i perf.data 2>/dev/null >perf.txt
	run "$TREC" flamegraph --collapse-perf perf.txt
	printf "%s\n" "$OUT" >perf.folded
	run python3 - perf.folded <<'PY'
import sys
inc = {"hot_a": 0, "hot_b": 0, "hot_c": 0}
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    fr = stack.split(";")
    if fr[0] != "cpu_split": continue
    for k in inc:
        if k in fr: inc[k] += int(n)
s = sum(inc.values())
assert s > 300, inc
share = [100.0 * inc[k] / s for k in ("hot_a", "hot_b", "hot_c")]
print("%.0f/%.0f/%.0f of %d" % (share[0], share[1], share[2], s))
assert all(abs(a - b) <= 8 for a, b in zip(share, (60, 30, 10))), share
PY
	check "real perf script of cpu_split: main;work;hot_a;hot_a_inner;spin, split 60/30/10 ($OUT)" \
		'[ $RC -eq 0 ] && grep -q "^cpu_split;.*main;work;hot_a;hot_a_inner;spin [0-9]*$" perf.folded'
elif [ "${CI:-}" = true ]; then
	not_ok "real perf script of cpu_split (CI runs as root with perf: scripts/setup-deps.sh)"
else
	skip "real perf script of cpu_split" "needs root and perf"
fi

# ---- errors -------------------------------------------------------------------------------
run "$TREC" flamegraph "$TAP_TMP/missing.folded"
check "a missing input: exit 1, the file named" '[ $RC -eq 1 ] && [[ $ERR == *"missing.folded: No such file"* ]]'
run "$TREC" flamegraph "$TAP_TMP"
check "a directory: exit 1, says so" '[ $RC -eq 1 ] && [[ $ERR == *"is a directory"* ]]'
printf 'no counts here\nnor here\n' >bad.folded
run "$TREC" flamegraph bad.folded
check "no stack counts: exit 1, the lines ignored counted, a placeholder SVG" \
	'[ $RC -eq 1 ] && [[ $ERR == *"bad.folded: 2 lines ignored"*"(the first: line 1)"* && $ERR == *"no stack counts"* ]] &&
	 [[ $OUT == *"no stack counts found"* ]]'
printf 'a;b 3\nbroken\n' >half.folded
run "$TREC" flamegraph half.folded
check "a bad line among good ones: a warning with its line number, exit 0" \
	'[ $RC -eq 0 ] && [[ $ERR == *"half.folded: 1 lines ignored"*"(the first: line 2)"* ]]'
run "$TREC" flamegraph --colors pink "$DATA/known.folded"
check "an unknown palette: exit 2, the palettes listed" '[ $RC -eq 2 ] && [[ $ERR == *"unknown palette"*"aqua"* ]]'
run "$TREC" flamegraph --minwidth 2px "$DATA/known.folded"
check "a bad --minwidth: exit 2" '[ $RC -eq 2 ] && [[ $ERR == *"--minwidth"* ]]'
run "$TREC" flamegraph --width abc "$DATA/known.folded"
check "--width abc: exit 2" '[ $RC -eq 2 ] && [[ $ERR == *"--width: '"'"'abc'"'"' is not a number"* ]]'
run "$TREC" flamegraph --diff "$DATA/before.folded"
check "--diff with one input: exit 2" '[ $RC -eq 2 ] && [[ $ERR == *"--diff takes two inputs"* ]]'
run "$TREC" flamegraph --collapse-perf "$DATA/known.folded"
check "not perf script output: a warning that says so" \
	'[ $RC -eq 0 ] && [[ $ERR == *"no samples found"* ]]'
run "$TREC" flamegraph -o "$TAP_TMP/nodir/x.svg" "$DATA/known.folded"
check "-o into a missing directory: exit 1" '[ $RC -eq 1 ] && [[ $ERR == *"nodir/x.svg"* ]]'
run "$TREC" flamegraph --bogus
check "an unknown option: exit 2 with the usage" '[ $RC -eq 2 ] && [[ $ERR == *"usage: trec flamegraph"* ]]'
if command -v script >/dev/null; then
	# script(1) gives the command a terminal for stdin and stdout.
	run script -qec "$TREC flamegraph $DATA/known.folded" /dev/null </dev/null
	check "an SVG for a terminal: exit 2, says to redirect" '[ $RC -eq 2 ] && [[ $OUT == *"redirect stdout"* ]]'
	run script -qec "$TREC flamegraph -o $TAP_TMP/x.svg" /dev/null </dev/null
	check "no input and stdin a terminal: exit 2 rather than a silent wait" \
		'[ $RC -eq 2 ] && [[ $OUT == *"no input: name a file"* ]]'
else
	skip "an SVG for a terminal" "script(1) not installed"
	skip "no input and stdin a terminal" "script(1) not installed"
fi
