#!/usr/bin/env bash
# trec info and trec script on synthetic traces (build/tools/trec-synth):
# JSON that parses and agrees with itself, event counts that match, time
# order, --limit and --time, a cut file, recovery, a corrupt block.
# check's expressions are single-quoted on purpose: tap.sh evals them after
# the command ran, so they read RC/OUT/ERR and the variables set here.
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SYNTH=$TREC_TOOLS/trec-synth
[ -x "$SYNTH" ] || skip_all "trec-synth not built ($SYNTH)"
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 32

N=20000
T=$TAP_TMP/t.data

run "$SYNTH" -o "$T" -n $N
check "trec-synth writes a trace" '[ $RC -eq 0 ] && [ -s "$T" ]'

run "$TREC" info -i "$T"
check "info exits 0" '[ $RC -eq 0 ]'
check "info text shows events, state and blocks" \
	'[[ $OUT == *"events        $N"* && $OUT == *"state         complete"* && $OUT == *"blocks"* ]]'

run "$TREC" info --json -i "$T"
check "info --json exits 0" '[ $RC -eq 0 ]'
echo "$OUT" >"$TAP_TMP/info.json"
run python3 - "$TAP_TMP/info.json" "$T" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
need = ["events", "lost", "file_bytes", "first_ns", "last_ns", "truncated", "truncated_at",
        "event_types", "blocks", "metadata", "version"]
missing = [k for k in need if k not in d]
assert not missing, "missing keys %s" % missing
assert d["version"] == "1.2", d["version"]
assert d["truncated"] is False and d["truncated_at"] is None, (d["truncated"], d["truncated_at"])
assert d["file_bytes"] == os.path.getsize(sys.argv[2])
assert d["first_ns"] <= d["last_ns"]
for t in d["event_types"]:
    assert {"name", "id", "count"} <= set(t), t
for b in d["blocks"]:
    assert {"kind", "count", "comp_bytes", "raw_bytes"} <= set(b), b
assert isinstance(d["metadata"], dict) and d["metadata"], d["metadata"]
print(d["events"], sum(t["count"] for t in d["event_types"]), d["lost"], d["first_ns"])
PY
check "info --json parses and has every documented member" '[ $RC -eq 0 ]'
read -r ev_total ev_types lost first_ns <<<"$OUT"
check "info --json counts the $N events, per type too" '[ "$ev_total" = $N ] && [ "$ev_types" = $N ]'

run "$TREC" script --json -i "$T"
check "script --json exits 0" '[ $RC -eq 0 ]'
echo "$OUT" >"$TAP_TMP/script.jsonl"
run python3 - "$TAP_TMP/script.jsonl" <<'PY'
import json, sys
n, last, named, stacks, common = 0, 0, 0, 0, 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    for k in ("time_ns", "cpu", "pid", "tid", "comm", "event", "fields"):
        assert k in e, "line %d lacks %s: %s" % (n + 1, k, line)
    assert e["time_ns"] >= last, "line %d goes back in time" % (n + 1)
    assert "stack_id" not in e or e["stack_id"] > 0
    assert isinstance(e["fields"], dict), line
    common += "common_pid" in e["fields"]
    last = e["time_ns"]
    named += e["comm"] is not None
    stacks += "stack_id" in e
    n += 1
assert common, "JSON fields keep tracefs common_* fields"
print(n, named, stacks)
PY
check "every script --json line parses, in time order, with the documented members" '[ $RC -eq 0 ]'
read -r js_lines js_named js_stacks <<<"$OUT"
check "script --json prints as many events as info counts" '[ "$js_lines" = "$ev_total" ]'
check "script resolves thread names from task records" '[ "$js_named" = "$js_lines" ]'
check "script --json gives stack ids where events have them" '[ "${js_stacks:-0}" -gt 0 ]'

run "$TREC" script -i "$T"
check "script (text) exits 0" '[ $RC -eq 0 ]'
# An event with a stack is followed by its frames (a tab, then
# ADDR SYM+OFF (DSO), as perf script prints them) and a blank line.
check "script (text): events with stacks are followed by frame lines and a blank line" \
	'[ "$(printf "%s\n" "$OUT" | grep -cE "^ *[0-9]+\.[0-9]{6} ")" = $N ] &&
	 printf "%s\n" "$OUT" | grep -qE "^	 *[0-9a-f]+ .* \(.+\)$" &&
	 [ "$(printf "%s\n" "$OUT" | grep -c "^$")" -gt 0 ]'
run "$TREC" script -G -i "$T"
check "script -G prints one line per event" '[ "$(printf "%s\n" "$OUT" | wc -l)" = $N ]'
first_line=$(printf "%s\n" "$OUT" | head -n 1)
check "a text line reads TIME [CPU] PID/TID COMM EVENT: FIELDS, common_* hidden" \
	'[[ $first_line =~ ^\ *[0-9]+\.[0-9]{6}\ \[[0-9]{3}\]\ +[0-9]+/[0-9]+\ .+\ [a-z_-]+:[a-z_-]+:\  ]] &&
	 [[ $OUT != *common_pid* ]]'
check "strings print bare, like perf (prev_comm=bash style)" '[[ $OUT =~ prev_comm=[a-z] ]]'

run "$TREC" script -G -i "$T" --limit 7
check "--limit 7 prints 7 events" '[ $RC -eq 0 ] && [ "$(printf "%s\n" "$OUT" | wc -l)" = 7 ]'

# --time counts from the first event: compare with the JSON timestamps.
run "$TREC" script --json -i "$T" --time 0.001,0.002
echo "$OUT" >"$TAP_TMP/window.jsonl"
run python3 - "$TAP_TMP/script.jsonl" "$TAP_TMP/window.jsonl" "$first_ns" <<'PY'
import json, sys
first = int(sys.argv[3])
lo, hi = first + 1000000, first + 2000000
want = [l for l in open(sys.argv[1]) if lo <= json.loads(l)["time_ns"] <= hi]
got = open(sys.argv[2]).read().splitlines(True)
assert want and got == want, "%d events expected, %d printed" % (len(want), len(got))
PY
check "--time 0.001,0.002 prints exactly the events of that millisecond" '[ $RC -eq 0 ]'

# ---- a cut file: what a killed recorder leaves ------------------------------------
C=$TAP_TMP/cut.data
run "$SYNTH" -o "$C" -n $N --no-footer
check "trec-synth --no-footer writes a trace without its footer" '[ $RC -eq 0 ]'
run "$TREC" info --json -i "$C"
echo "$OUT" >"$TAP_TMP/cut.json"
run python3 - "$TAP_TMP/cut.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["truncated"] is True and isinstance(d["truncated_at"], int), d
print(d["events"])
PY
check "info --json on a cut file says truncated, and where" '[ $RC -eq 0 ]'
cut_events=$OUT
run "$TREC" script -G -i "$C"
check "script on a cut file exits 0, saying once on stderr that it is truncated" \
	'[ $RC -eq 0 ] && [ "$(grep -c "is truncated at offset" <<<"$ERR")" = 1 ] && [[ $ERR == *"$C"* ]]'
check "script on a cut file prints the events info counts" \
	'[ "$(printf "%s\n" "$OUT" | grep -c .)" = "$cut_events" ]'

run "$TREC" recover "$C"
check "recover repairs the cut file and says what it did" \
	'[ $RC -eq 0 ] && [[ $OUT == *"kept "*" blocks"* && $OUT == *"wrote index"* ]]'
run "$TREC" info --json -i "$C"
echo "$OUT" >"$TAP_TMP/rec.json"
run python3 - "$TAP_TMP/rec.json" "$cut_events" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["truncated"] is False and d["events"] == int(sys.argv[2]), d
PY
check "after recover the file is whole with the same events" '[ $RC -eq 0 ]'
run "$TREC" recover "$C"
check "recover on a whole file does nothing and says so" \
	'[ $RC -eq 0 ] && [[ $OUT == *"already whole"* ]]'

# ---- a corrupt block ------------------------------------------------------------
X=$TAP_TMP/corrupt.data
cp "$T" "$X"
size=$(stat -c %s "$X")
# Bytes in the middle of the file belong to some events block's payload.
printf '\377\377\377\377\377\377\377\377' | dd of="$X" bs=1 seek=$((size / 2)) conv=notrunc status=none
run "$TREC" script -i "$X"
check "script stops at a corrupt block: exit 1, names the file, suggests --ignore-corrupt" \
	'[ $RC -eq 1 ] && [[ $ERR == *"$X"* && $ERR == *"--ignore-corrupt"* ]]'
run "$TREC" script -G -i "$X" --ignore-corrupt
n_ok=$(printf "%s\n" "$OUT" | grep -c .)
check "--ignore-corrupt skips the block, warns, and prints the rest" \
	'[ $RC -eq 0 ] && [ "$n_ok" -gt 0 ] && [ "$n_ok" -lt $N ] && [[ $ERR == *warning* ]]'

# ---- output errors ------------------------------------------------------------------
run bash -c "'$TREC' script -i '$T' >/dev/full"
check "a failed write (disk full) exits 1 with a message" '[ $RC -eq 1 ] && [[ $ERR == *"writing output"* ]]'

# ---- formatting on several threads: the same bytes ---------------------------------------
# 20000 events make three batches of the pool (8192 each).
# (-G: stacks are named on the reading thread, without the pool)
for fmt in -G "-G --json" ""; do
	TREC_THREADS=1 "$TREC" script $fmt -i "$T" >"$TAP_TMP/one.out"
	TREC_THREADS=4 "$TREC" script $fmt -i "$T" >"$TAP_TMP/four.out"
	check "script ${fmt:-text}: one thread and four give the same bytes" \
		'[ -s "$TAP_TMP/one.out" ] && cmp -s "$TAP_TMP/one.out" "$TAP_TMP/four.out"'
done
TREC_THREADS=4 "$TREC" script -G --limit 10000 -i "$T" >"$TAP_TMP/lim.out"
check "--limit with the pool: exactly that many lines" '[ "$(wc -l <"$TAP_TMP/lim.out")" = 10000 ]'
