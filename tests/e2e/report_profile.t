#!/usr/bin/env bash
# trec report on synthetic traces (build/tools/trec-synth, "mixed" profile:
# cpu-clock samples with stacks, mappings, DSO symbols, kernel symbols):
# folded stacks that account for every sample, sorted and distinct, the
# --pid/--tid/--no-kernel/--no-user shapes, the top-functions view and its
# JSON, the analysis-only build, and the usual errors.
# check's expressions are single-quoted on purpose: tap.sh evals them after
# the command ran, so they read RC/OUT/ERR and the variables set here.
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SYNTH=$TREC_TOOLS/trec-synth
[ -x "$SYNTH" ] || skip_all "trec-synth not built ($SYNTH)"
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 22

N=20000
T=$TAP_TMP/t.data
run "$SYNTH" -o "$T" -n $N
check "trec-synth writes a trace" '[ $RC -eq 0 ] && [ -s "$T" ]'

# The samples the file holds, from trec script.
run "$TREC" script -i "$T"
samples=$(printf "%s\n" "$OUT" | grep -c " cpu-clock:")
check "the trace has cpu-clock samples" '[ "$samples" -gt 0 ]'

run "$TREC" report --folded -i "$T"
check "report --folded exits 0" '[ $RC -eq 0 ] && [ -z "$ERR" ]'
printf "%s\n" "$OUT" >"$TAP_TMP/folded"
sum=$(awk '{ s += $NF } END { print s }' "$TAP_TMP/folded")
check "the counts add up to the cpu-clock samples ($samples)" '[ "$sum" = "$samples" ]'
check "every line is comm;frames... COUNT" \
	'! grep -Evq "^[^; ]+(;[^;]+)* [0-9]+$" "$TAP_TMP/folded"'
check "lines are sorted and distinct" \
	'sed "s/ [0-9]*$//" "$TAP_TMP/folded" | LC_ALL=C sort -c -u'
# kfunc_29..31 are the synthetic ext4 module's symbols.
check "user frames are named from the file's tables, kernel frames (modules too) end in _[k]" \
	'grep -q ";function_[0-9]*;" "$TAP_TMP/folded" && grep -q ";kfunc_[0-9]*_\[k\]" "$TAP_TMP/folded" &&
	 grep -q ";kfunc_29_\[k\]" "$TAP_TMP/folded"'

run "$TREC" report --folded --show-pid -i "$T"
check "--pid: every line starts comm-PID" \
	'[ $RC -eq 0 ] && ! printf "%s\n" "$OUT" | grep -Evq "^[^;]+-1[0-9]{3}[; ]"'
run "$TREC" report --folded --show-tid -i "$T"
check "--tid: every line starts comm-PID/TID" \
	'[ $RC -eq 0 ] && ! printf "%s\n" "$OUT" | grep -Evq "^[^;]+-1[0-9]{3}/1[0-9]{3}[; ]"'
run "$TREC" report --folded --no-kernel -i "$T"
check "--no-kernel: no kernel frames, same total" \
	'[ $RC -eq 0 ] && [[ $OUT != *"_[k]"* ]] && [ "$(awk "{ s += \$NF } END { print s }" <<<"$OUT")" = "$samples" ]'
run "$TREC" report --folded --no-user -i "$T"
check "--no-user: no user frames, same total" \
	'[ $RC -eq 0 ] && [[ $OUT != *function_* ]] && [ "$(awk "{ s += \$NF } END { print s }" <<<"$OUT")" = "$samples" ]'

run "$TREC" report --folded --event sched:sched_switch -i "$T"
switch_stacks=$("$TREC" script --json -i "$T" | grep '"sched:sched_switch"' | grep -c '"stack_id"')
check "--event picks another type by name" \
	'[ $RC -eq 0 ] && [ "$(awk "{ s += \$NF } END { print s }" <<<"$OUT")" = "$switch_stacks" ]'

run "$TREC_REPORT" report --folded -i "$T"
check "the analysis-only build prints the same folded stacks" \
	'[ $RC -eq 0 ] && [ "$OUT" = "$(cat "$TAP_TMP/folded")" ]'

run "$TREC" report --top -i "$T" --limit 5
check "the top-functions view has a header and both lists per comm/pid" \
	'[ $RC -eq 0 ] && [[ $OUT == "# Events: cpu-clock   Samples: $samples "* ]] &&
	 [ "$(grep -c "^# by self" <<<"$OUT")" = "$(grep -c "^# by total" <<<"$OUT")" ] &&
	 [ "$(grep -c "^# by self" <<<"$OUT")" -gt 0 ]'

run "$TREC" report --top --json -i "$T" --limit 5
printf "%s\n" "$OUT" >"$TAP_TMP/top.json"
run python3 - "$TAP_TMP/top.json" "$samples" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["events"] == ["cpu-clock"] and d["unit"] == "samples", d["events"]
assert d["total"] == int(sys.argv[2]), (d["total"], sys.argv[2])
assert sum(g["total"] for g in d["groups"]) == d["total"]
for g in d["groups"]:
    for lst, col in (("by_self", "self"), ("by_total", "total")):
        rows = g[lst]
        assert 0 < len(rows) <= 5, (g["comm"], lst, len(rows))
        vals = [r[col] for r in rows]
        assert vals == sorted(vals, reverse=True), vals
        for r in rows:
            assert {"symbol", "dso", "kernel", "self", "total", "self_pct", "total_pct"} <= set(r), r
            assert r["self"] <= r["total"] <= g["total"], r
    assert g["by_total"][0]["total"] <= g["total"]
PY
check "report --json parses; lists sorted, limited, consistent with the totals" '[ $RC -eq 0 ]'

# ---- files with nothing or too little -------------------------------------------------
S=$TAP_TMP/sys.data
run "$SYNTH" -o "$S" -n 2000 --profile syscalls
run "$TREC" report --folded -i "$S"
check "a trace without stacks: empty output, a warning, exit 0" \
	'[ $RC -eq 0 ] && [ -z "$OUT" ] && [[ $ERR == *"no selected events with stacks"* ]]'

C=$TAP_TMP/cut.data
run "$SYNTH" -o "$C" -n $N --no-footer
run "$TREC" report --folded -i "$C"
check "a cut file: exit 0, says it is truncated, folds the complete blocks" \
	'[ $RC -eq 0 ] && [[ $ERR == *"is truncated at offset"* ]] && [ -n "$OUT" ]'

# ---- errors -----------------------------------------------------------------------------
run "$TREC" report --folded --event no:such -i "$T"
check "an unknown --event exits 2 naming the types the file has" \
	'[ $RC -eq 2 ] && [[ $ERR == *"--event no:such: no event type"* && $ERR == *cpu-clock* ]]'
run "$TREC" report --top --offcpu -i "$T"
check "--offcpu on a trace without offcpu events exits 2" '[ $RC -eq 2 ] && [[ $ERR == *offcpu* ]]'
run "$TREC" report --folded --json -i "$T"
check "--folded with --json is a usage error" '[ $RC -eq 2 ] && [[ $ERR == *"usage: trec report"* ]]'
run "$TREC" report --help
check "report --help exits 0 and describes --folded" '[ $RC -eq 0 ] && [[ $OUT == *"--folded"* ]]'
run bash -c "'$TREC' report --folded -i '$T' >/dev/full"
check "a failed write (disk full) exits 1 with a message" '[ $RC -eq 1 ] && [[ $ERR == *"writing output"* ]]'
