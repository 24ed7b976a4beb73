#!/usr/bin/env bash
# trec convert, read by the real clients:
#  - --to pprof through go tool pprof: -traces gives exactly trec report
#    --folded's stacks and counts, -raw has every sample with its pid, tid,
#    comm, host and event labels, -top names the known top function;
#    off-CPU time and other events (system calls with stacks) in their own
#    columns with the trace's exact totals; two traces from two hosts make
#    one profile with both host labels;
#  - --to perf-script through trec flamegraph --collapse-perf (the
#    stackcollapse-perf.pl rules): exactly trec report --folded's stacks,
#    names tidied as stackcollapse-perf tidies them;
#  - both through speedscope (its npm release, local files, headless
#    Chromium): the known top function and its share of the samples;
#  - the known CPU split of samples/nofp_cxx (40/25/20/15) as pprof shows it;
#  - the command's errors, and -o never left half written.
# Committed traces (tests/corpus/traces) need no root; the recorded ones do.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"
STACKS=$E2E_ROOT/tests/e2e/data/convert/stacks.py
CORPUS=$E2E_ROOT/tests/corpus/traces
SAMPLES=$TREC_BUILD/samples
export HOME=$TAP_TMP # go tool pprof and Chromium keep state under $HOME
cd "$TAP_TMP" || exit 1

# A client that is missing: a failure under CI, else a skip naming the install.
missing() { # DESC REASON
	if [ "${CI:-}" = true ]; then not_ok "$1 ($2)"; else ok "$1 # SKIP $2"; fi
}
HAVE_GO=0
command -v go >/dev/null && go tool pprof -h >/dev/null 2>&1 && HAVE_GO=1
SS_DIR=${TREC_SPEEDSCOPE_DIR:-/opt/trec-speedscope}/node_modules/speedscope/dist/release
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
HAVE_SS=0
[ -f "$SS_DIR/index.html" ] && [ -n "$CHROMIUM" ] && HAVE_SS=1
GO_WHY="go tool pprof missing: apt-get install golang-go (scripts/setup-deps.sh)"
SS_WHY="speedscope or chromium missing: scripts/setup-deps.sh installs them"

# speedscope loads a local profile the way its own CLI does: a script file
# calling speedscope.loadFileFromBase64, named by #localProfilePath (a
# file:// page cannot fetch a #profileURL). The sandwich view's table is
# in the DOM: "self% total% name" rows.
speedscope() { # PROFILE OUT
	local js try
	js=$TAP_TMP/$(basename "$1").js
	printf 'speedscope.loadFileFromBase64("%s", "%s")\n' "$(basename "$1")" "$(base64 -w0 "$1")" >"$js"
	# A loaded machine (the suite runs two files at once) can leave the
	# virtual time budget short of a rendered table: then once more, longer.
	for try in 8000 30000; do
		timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
			--user-data-dir="$TAP_TMP/chrome" --window-size=1200,3000 --virtual-time-budget=$try \
			--dump-dom "file://$SS_DIR/index.html#localProfilePath=$js&view=sandwich" >"$2.html" 2>/dev/null
		python3 "$STACKS" speedscope "$2.html" >"$2"
		[ -s "$2" ] && break
	done
}

total() { awk '{ s += $NF } END { print s + 0 }' "$@"; }

# ---- the command line ------------------------------------------------------------------------
run "$TREC_REPORT" convert -i "$CORPUS/profile.data" -o x
check "no --to: usage error naming the formats" '[ $RC -eq 2 ] && [[ $ERR == *"--to pprof"* ]] && [ ! -e x ]'
run "$TREC_REPORT" convert --to svg -i "$CORPUS/profile.data" -o x
check "unknown format: exit 2, the formats listed" '[ $RC -eq 2 ] && [[ $ERR == *"there are: pprof, perf-script"* ]]'
run "$TREC_REPORT" convert --to pprof -i "$CORPUS/profile.data"
check "no -o: usage error" '[ $RC -eq 2 ] && [[ $ERR == *"-o FILE"* ]]'
echo "keep me" >kept
run "$TREC_REPORT" convert --to pprof -i "$CORPUS/syscalls.data" -o kept
check "a trace without stacks: exit 1, says what to record, -o left as it was" \
	'[ $RC -eq 1 ] && [[ $ERR == *"no events with stacks"* ]] && [ "$(cat kept)" = "keep me" ] &&
	 [ -z "$(ls kept.tmp* 2>/dev/null)" ]'
run "$TREC_REPORT" convert --to pprof -i "$CORPUS/profile.data" --event nope -o x
check "--event matching nothing: usage error listing the types" '[ $RC -eq 2 ] && [[ $ERR == *"cpu-clock"* ]]'
run "$TREC_REPORT" convert --to pprof -i nosuch.data -o x
check "a missing trace: exit 1, names it" '[ $RC -eq 1 ] && [[ $ERR == *nosuch.data* ]] && [ ! -e x ]'
run "$TREC_REPORT" convert --help
check "--help lists the formats and the filters" '[ $RC -eq 0 ] && [[ $OUT == *perf-script* ]] && [[ $OUT == *--comm* ]]'

# ---- committed traces: columns, labels, several hosts ------------------------------------
"$TREC" convert --to pprof -i "$CORPUS/profile.data" -o full.pb.gz
"$TREC_REPORT" convert --to pprof -i "$CORPUS/profile.data" -o report.pb.gz
check "the analysis-only build writes the same bytes" 'cmp -s full.pb.gz report.pb.gz'
"$TREC" convert --to perf-script -i "$CORPUS/profile.data" -o full.txt
"$TREC_REPORT" convert --to perf-script -i "$CORPUS/profile.data" -o - >report.txt
check "perf-script: the same bytes from both builds, and to stdout" 'cmp -s full.txt report.txt'
check "gzip reads the pprof file" 'gzip -t full.pb.gz'

if [ $HAVE_GO = 1 ]; then
	"$TREC" report --folded -i "$CORPUS/profile.data" >profile.folded
	go tool pprof -traces -sample_index=samples full.pb.gz >profile.traces 2>/dev/null
	python3 "$STACKS" pprof-traces profile.traces >profile.pp
	check "pprof -traces: exactly report --folded's stacks and counts ($(total profile.folded) samples)" \
		'[ -s profile.pp ] && diff <(sed "s/_\[k\]//g" profile.folded) profile.pp >/dev/null'
	run go tool pprof -raw full.pb.gz
	check "pprof -raw: samples/count and cpu/nanoseconds, cpu the default; labels pid, tid, comm, host, event" \
		'[[ $OUT == *"samples/count cpu/nanoseconds[dflt]"* ]] && [[ $OUT == *"host:[vm]"* ]] &&
		 [[ $OUT == *"event:[cpu-clock]"* ]] && [[ $OUT == *"pid:["* ]] && [[ $OUT == *"tid:["* ]] &&
		 [[ $OUT == *"comm:["* ]] && [[ $OUT == *"PeriodType: cpu nanoseconds"* ]]'
	check "pprof -raw: mappings with paths and build-ids, the executable first" \
		'printf "%s\n" "$OUT" | sed -n "/^Mappings/,\$p" | grep -Eq "^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ /[^ ]+/nofp_cxx [0-9a-f]{40}"'

	# Off-CPU time: one column in ns, the trace's exact sum of delta_ns.
	"$TREC" convert --to pprof -i "$CORPUS/offcpu.data" -o off.pb.gz
	want=$("$TREC" script --json -i "$CORPUS/offcpu.data" | python3 -c '
import json, sys
print(sum(json.loads(l)["fields"]["delta_ns"] for l in sys.stdin if "\"stack_id\"" in l))' 2>/dev/null)
	run go tool pprof -raw off.pb.gz
	got=$(printf "%s\n" "$OUT" | sed -n "/^Samples:/,/^Locations/p" | awk '/^ +[0-9]+: / { s += $1 } END { print s + 0 }')
	check "off-CPU: one off_cpu/nanoseconds column summing to the trace's delta_ns ($want)" \
		'[[ $OUT == *"off_cpu/nanoseconds[dflt]"* ]] && [ "$got" = "$want" ]'

	# Several traces, two hosts: one profile, samples of each under its host.
	"$TREC" convert --to pprof -i "$CORPUS/profile.data" -i "$CORPUS/synth.data" -o two.pb.gz
	"$TREC" report --folded -i "$CORPUS/synth.data" >synth.folded
	run go tool pprof -raw -sample_index=samples two.pb.gz
	vm=$(printf "%s\n" "$OUT" | sed -n "/^Samples:/,/^Locations/p" | awk '/^ +[0-9]+( +[0-9]+)*: / { n = $1 } /host:\[vm\]/ { s += n } END { print s + 0 }')
	sy=$(printf "%s\n" "$OUT" | sed -n "/^Samples:/,/^Locations/p" | awk '/^ +[0-9]+( +[0-9]+)*: / { n = $1 } /host:\[synth-host\]/ { s += n } END { print s + 0 }')
	check "two traces, two hosts: host:[vm] $(total profile.folded) samples, host:[synth-host] $(total synth.folded)" \
		'[ "$vm" = "$(total profile.folded)" ] && [ "$sy" = "$(total synth.folded)" ]'
	# Other events with stacks: events/count, labelled with their type.
	"$TREC" convert --to pprof -i "$CORPUS/gstack.data" -o ev.pb.gz
	want=$("$TREC" script --json -i "$CORPUS/gstack.data" | grep -c '"stack_id"')
	run go tool pprof -raw ev.pb.gz
	got=$(printf "%s\n" "$OUT" | sed -n "/^Samples:/,/^Locations/p" | awk '/^ +[0-9]+: / { s += $1 } END { print s + 0 }')
	check "other events: events/count, each sample's event label, $want events" \
		'[[ $OUT == *"events/count[dflt]"* ]] && [[ $OUT == *"event:[syscalls:"* ]] && [ "$got" = "$want" ]'
else
	for d in "pprof -traces equals report --folded" "pprof -raw columns and labels" "pprof -raw mappings" \
		"off-CPU column" "two hosts" "other events"; do
		missing "$d" "$GO_WHY"
	done
fi

"$TREC" report --folded -i "$CORPUS/profile.data" >profile.folded
# The collapser weighs samples by their period (stackcollapse-perf.pl does);
# report --folded counts samples: the periods are left out of the headers.
unweighted() { sed -E 's/^([^\t].*: +)[0-9]+ ([^ ]+: *)$/\1\2/' "$1"; }
unweighted full.txt | "$TREC" flamegraph --collapse-perf --kernel >profile.coll 2>/dev/null
python3 "$STACKS" perf-tidy profile.folded >profile.tidy
# (stackcollapse-perf marks every frame of a "[...]" DSO as kernel, [vdso]
# too: the comparison leaves the _[k] marks out.)
nok() { sed 's/_\[k\]//g' "$@"; }
check "perf-script collapsed by trec flamegraph --collapse-perf: report --folded's stacks, names tidied" \
	'[ -s profile.coll ] && diff <(nok profile.tidy) <(nok profile.coll) >/dev/null'
check "perf-script header: comm pid/tid [cpu] secs.usecs: period event:" \
	'head -1 full.txt | grep -Eq "^[^ ].* +[0-9]+/[0-9]+ +\[[0-9]{3}\] +[0-9]+\.[0-9]{6}: +[0-9]+ cpu-clock: $" &&
	 sed -n 2p full.txt | grep -Pq "^\t +[0-9a-f]+ .+ \(.+\)$"'

# Off-CPU in perf-script: the period is the off-CPU time in ns (perf's offcpu-time).
"$TREC" convert --to perf-script -i "$CORPUS/offcpu.data" -o off.txt
want=$("$TREC" script --json -i "$CORPUS/offcpu.data" | python3 -c '
import json, sys
print(sum(json.loads(l)["fields"]["delta_ns"] for l in sys.stdin if "\"stack_id\"" in l))')
got=$(awk '/^[^\t].* offcpu: $/ { s += $(NF - 1) } END { printf "%d", s }' off.txt)
check "perf-script, off-CPU: periods sum to the trace's delta_ns ($want)" '[ "$got" = "$want" ]'

# ---- a recorded program with a known split ------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { not_ok "recording needs root, and CI runs as root"; plan "$TAP_N"; exit 1; }
	plan "$TAP_N"
	echo "# SKIP the recorded-program tests need root (BPF, perf events)"
	exit 0
fi
if [ ! -x "$SAMPLES/nofp_cxx" ]; then
	[ "${CI:-}" = true ] && { not_ok "$SAMPLES/nofp_cxx is missing (make samples)"; plan "$TAP_N"; exit 1; }
	plan "$TAP_N"
	echo "# SKIP $SAMPLES/nofp_cxx is missing: make samples"
	exit 0
fi
T=$TAP_TMP/cxx.data
run "$TREC" record -q -F 999 -o "$T" -- "$SAMPLES/nofp_cxx" -c 2
check "record -F 999 nofp_cxx -c 2" '[ $RC -eq 0 ]'
"$TREC" report --folded -i "$T" >cxx.folded
"$TREC" convert --to pprof -i "$T" -o cxx.pb.gz
"$TREC" convert --to perf-script -i "$T" -o cxx.txt
"$TREC" convert --to perf-script --comm nofp_cxx -i "$T" -o cxx-only.txt
n=$(total cxx.folded)
if [ $HAVE_GO = 1 ]; then
	go tool pprof -traces -sample_index=samples cxx.pb.gz >cxx.traces 2>/dev/null
	python3 "$STACKS" pprof-traces cxx.traces >cxx.pp
	check "nofp_cxx: pprof -traces is exactly report --folded ($n samples, demangled C++ names)" \
		'[ -s cxx.pp ] && diff <(sed "s/_\[k\]//g" cxx.folded) cxx.pp >/dev/null && grep -q "nofp::work::IntTask::run" cxx.pp'
	split=""
	for f in nofp::work::IntTask::run nofp::work::FloatTask::run nofp::sorting::sort_path nofp::deep::recurse; do
		split="$split $(python3 "$STACKS" share cxx.pp "$f")"
	done
	check "nofp_cxx: the known split 40/25/20/15 within 5 points, as pprof shows it ($split)" \
		'python3 -c "import sys; g=[float(x) for x in sys.argv[1:]]; sys.exit(0 if all(abs(a-b) <= 5 for a, b in zip(g, [40, 25, 20, 15])) else 1)" $split'
	run go tool pprof -top -sample_index=samples cxx.pb.gz
	check "nofp_cxx: pprof -top's first row is nofp::spin" \
		'printf "%s\n" "$OUT" | grep -A1 "flat  flat%" | tail -1 | grep -q "nofp::spin$"'
	run go tool pprof -raw cxx.pb.gz
	got=$(printf "%s\n" "$OUT" | sed -n "/^Samples:/,/^Locations/p" | awk '/^ +[0-9]+ +[0-9]+: / { s += $1 } END { print s + 0 }')
	check "nofp_cxx: pprof -raw holds every sample ($got of $n) with comm:[nofp_cxx] and host:[$(hostname)]" \
		'[ "$got" = "$n" ] && [[ $OUT == *"comm:[nofp_cxx]"* ]] && [[ $OUT == *"host:[$(hostname)]"* ]]'
else
	for d in "nofp_cxx: pprof -traces" "nofp_cxx: split" "nofp_cxx: -top" "nofp_cxx: -raw"; do missing "$d" "$GO_WHY"; done
fi
unweighted cxx.txt | "$TREC" flamegraph --collapse-perf --kernel >cxx.coll 2>/dev/null
python3 "$STACKS" perf-tidy cxx.folded >cxx.tidy
check "nofp_cxx: perf-script collapsed equals report --folded ($n samples), kernel frames marked" \
	'[ -s cxx.coll ] && diff <(nok cxx.tidy) <(nok cxx.coll) >/dev/null &&
	 [ "$(grep -c "_\[k\]" cxx.tidy)" -le "$(grep -c "_\[k\]" cxx.coll)" ]'

if [ $HAVE_SS = 1 ]; then
	want=$(python3 "$STACKS" share cxx.folded nofp::work::IntTask::run)
	speedscope cxx.pb.gz ss-pprof
	check "speedscope imports the pprof file: top self nofp::spin, IntTask::run ${want}% of the total" \
		'head -1 ss-pprof | grep -q " nofp::spin$" &&
		 python3 -c "import sys; r=[l.split(\" \",2) for l in open(\"ss-pprof\")]; t=[float(x[1]) for x in r if x[2].strip()==\"nofp::work::IntTask::run\"]; sys.exit(0 if t and abs(t[0]-float(sys.argv[1]))<0.01 else 1)" "$want"'
	"$TREC" report --folded --comm nofp_cxx -i "$T" >cxx-only.folded
	want=$(python3 "$STACKS" share cxx-only.folded nofp::work::IntTask::run)
	speedscope cxx-only.txt ss-perf
	# speedscope weighs perf script samples by their timestamps (the time
	# to the next sample), not one each: the share matches to a point.
	check "speedscope imports the perf-script text: top self nofp::spin, IntTask::run ${want}% (+-1) of the total" \
		'head -1 ss-perf | grep -q " nofp::spin$" &&
		 python3 -c "import sys; r=[l.split(\" \",2) for l in open(\"ss-perf\")]; t=[float(x[1]) for x in r if x[2].strip()==\"nofp::work::IntTask::run\"]; sys.exit(0 if t and abs(t[0]-float(sys.argv[1]))<1 else 1)" "$want"'
else
	missing "speedscope: pprof" "$SS_WHY"
	missing "speedscope: perf-script" "$SS_WHY"
fi
plan "$TAP_N"
