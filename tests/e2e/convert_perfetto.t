#!/usr/bin/env bash
# trec convert --to perfetto on a real recording: probed (known calls:
# add6 x N, recurse(3) x2 = 8 nested calls, USDT tick x N) then cpu_split
# (CPU samples), with system calls, sched_switch, uprobes and a USDT probe.
# The file is read by protoc, with docs/perfetto/trec_perfetto.proto and
# raw; tests/e2e/data/perfetto_count.py counts the decoded packets, which
# must equal the trace's own numbers: samples = trec info's cpu-clock
# count, switches = its sched_switch count, syscall slices = the pairs of
# `trec report --latency syscalls`, uprobe slices = probed's known calls.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, uprobes)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v python3 >/dev/null || skip_all "python3 not installed"
if ! command -v protoc >/dev/null; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "protoc missing under CI (scripts/setup-deps.sh installs it)"; exit 1; }
	skip_all "protoc not installed: apt-get install protobuf-compiler"
fi

P=$TREC_BUILD/samples/probed
CS=$TREC_BUILD/samples/cpu_split
{ [ -x "$P" ] && [ -x "$CS" ]; } || skip_all "samples not built ($P, $CS)"
PROTO_DIR=$E2E_ROOT/docs/perfetto
COUNT=$E2E_ROOT/tests/e2e/data/perfetto_count.py

plan 27

N=50
T=$TAP_TMP/t.trec
PF=$TAP_TMP/t.perfetto-trace
run "$TREC" record -q -o "$T" -F 499 -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -e sched:sched_switch \
	-e "u:$P:add6" -e "ur:$P:add6" -e "u:$P:recurse" -e "ur:$P:recurse" -e "usdt:$P:trec_sample:tick" \
	-- sh -c "$P $N && $CS 0.5"
check "record syscalls, sched_switch, uprobes, USDT and -F 499 of probed $N then cpu_split 0.5 exits 0" '[ $RC -eq 0 ]'

# The trace's own numbers.
type_count() { "$TREC" info -i "$T" | awk -v n="$1" '$3 == n { print $2; exit }'; }
samples=$(type_count cpu-clock)
switches=$(type_count sched:sched_switch)
sys_pairs=$("$TREC" report -i "$T" --latency syscalls --json |
	python3 -c 'import json, sys; print(sum(r["count"] for r in json.load(sys.stdin)["rows"]))')
top_leaf=$("$TREC" report -i "$T" --folded |
	awk '{ n = split($0, a, ";"); sub(/ [0-9]+$/, "", a[n]); c[a[n]] += $NF } END { for (k in c) print c[k], k }' |
	sort -rn | awk 'NR == 1 { print $2 }')
check "the trace has CPU samples ($samples), switches ($switches) and syscall pairs ($sys_pairs)" \
	'[ "${samples:-0}" -gt 50 ] && [ "${switches:-0}" -gt 0 ] && [ "${sys_pairs:-0}" -gt 0 ]'

run "$TREC" convert --to perfetto -i "$T" -o "$PF"
check "convert --to perfetto exits 0, quietly, and writes a file" '[ $RC -eq 0 ] && [ -z "$ERR" ] && [ -s "$PF" ]'

run protoc -I"$PROTO_DIR" --decode=perfetto.protos.Trace trec_perfetto.proto <"$PF"
check "protoc --decode=perfetto.protos.Trace with docs/perfetto/trec_perfetto.proto reads it" \
	'[ $RC -eq 0 ] && [ -z "$ERR" ] && [[ $OUT == packet* ]]'
printf "%s\n" "$OUT" >"$TAP_TMP/decoded"
python3 "$COUNT" <"$TAP_TMP/decoded" >"$TAP_TMP/counts"
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$TAP_TMP/counts"; }
packets=$(val packets)

run protoc --decode_raw <"$PF"
check "protoc --decode_raw reads it: one field-1 message per packet ($packets)" \
	'[ $RC -eq 0 ] && [ -z "$ERR" ] && [ "$(printf "%s\n" "$OUT" | grep -c "^1 {")" = "$packets" ]'

check "every interned callstack, frame and name is defined before use; one packet sequence" \
	'[ "$(val bad_refs)" = 0 ] && [ "$(val bad_seq)" = 0 ]'
check "PerfSample packets = trec info's cpu-clock samples ($samples)" '[ "$(val samples)" = "$samples" ]'
check "the most frequent leaf of the interned callstacks is trec report's ($top_leaf): cpu_split's spin" \
	'[ "$(val top_leaf)" = "$top_leaf" ] && [ "$top_leaf" = spin ]'
check "sched_switch ftrace events = trec info's ($switches)" '[ "$(val switches)" = "$switches" ]'
check "syscall slices ended on thread tracks = the pairs of report --latency syscalls ($sys_pairs)" \
	'[ "$(val ends_thread)" = "$sys_pairs" ]'
check "syscall slices do not nest (depth 1); no end without a begin" \
	'[ "$(val depth:thread)" = 1 ] && [ "$(val unbalanced)" = 0 ]'
check "uprobe slices: add6 begins $N times, recurse 8 times" \
	'[ "$(val begins:add6)" = $N ] && [ "$(val begins:recurse)" = 8 ]'
check "uprobe slices end $((N + 8)) times, on the threads' uprobes tracks" '[ "$(val ends_child)" = $((N + 8)) ]'
check "recurse(3) nests 4 deep on the uprobes track" '[ "$(val depth:uprobes)" = 4 ]'
check "the USDT probe: $N instants, each with its arguments as args (arg0, arg1)" \
	'[ "$(val "instants:usdt:$P:trec_sample:tick")" = $N ] && [ "$(val args:arg0)" = $N ] && [ "$(val args:arg1)" = $N ]'
check "thread tracks are named after the threads (probed, cpu_split)" \
	'grep -q "^thread:[0-9]* probed$" "$TAP_TMP/counts" && grep -q "^thread:[0-9]* cpu_split$" "$TAP_TMP/counts"'
check "a ClockSnapshot ties the trace clock to MONOTONIC and REALTIME" \
	'grep -qx "clock:6" "$TAP_TMP/counts" && grep -qx "clock:3" "$TAP_TMP/counts" && grep -qx "clock:1" "$TAP_TMP/counts"'
check "process descriptors and SystemInfo (the kernel release, for prev_state) are written" \
	'grep -q "process_name: \"probed\"" "$TAP_TMP/decoded" && grep -q "release: \"$(uname -r)\"" "$TAP_TMP/decoded"'

# The analysis-only binary writes the same bytes.
run "$TREC_REPORT" convert --to perfetto -i "$T" -o "$TAP_TMP/r.perfetto-trace"
check "the analysis-only build writes the same file" '[ $RC -eq 0 ] && cmp -s "$PF" "$TAP_TMP/r.perfetto-trace"'

# Filters apply.
run "$TREC" convert --to perfetto -i "$T" -o "$TAP_TMP/u.pf" --event 'uprobe:*,uretprobe:*'
protoc -I"$PROTO_DIR" --decode=perfetto.protos.Trace trec_perfetto.proto <"$TAP_TMP/u.pf" | python3 "$COUNT" >"$TAP_TMP/counts"
check "--event 'uprobe:*,uretprobe:*': only the $((N + 8)) uprobe slices" \
	'[ $RC -eq 0 ] && [ "$(val ends_child)" = $((N + 8)) ] && [ "$(val samples)" = 0 ] && [ "$(val ends_thread)" = 0 ] &&
	 [ "$(val switches)" = 0 ]'
cs_samples=$("$TREC" report -i "$T" --folded --comm cpu_split | awk '{ s += $NF } END { print s + 0 }')
run "$TREC" convert --to perfetto -i "$T" -o "$TAP_TMP/c.pf" --comm cpu_split --event cpu-clock
protoc -I"$PROTO_DIR" --decode=perfetto.protos.Trace trec_perfetto.proto <"$TAP_TMP/c.pf" | python3 "$COUNT" >"$TAP_TMP/counts"
check "--comm cpu_split --event cpu-clock: its $cs_samples samples only" \
	'[ $RC -eq 0 ] && [ "$cs_samples" -gt 0 ] && [ "$(val samples)" = "$cs_samples" ] && [ "$(val begins:add6)" = "" ]'
run "$TREC" convert --to perfetto -i "$T" -o "$TAP_TMP/k.pf" --event cpu-clock --no-kernel
protoc -I"$PROTO_DIR" --decode=perfetto.protos.Trace trec_perfetto.proto <"$TAP_TMP/k.pf" >"$TAP_TMP/k.txt"
check "--no-kernel: no kernel frames in the interned names" \
	'[ $RC -eq 0 ] && grep -q "str: \"spin\"" "$TAP_TMP/k.txt" && ! grep -q "kallsyms" "$TAP_TMP/k.txt"'

# --pair A,B: slices as trec report --latency A,B pairs them.
PA="usdt:$P:trec_sample:tick" PB=raw_syscalls:sys_enter
pair_n=$("$TREC" report -i "$T" --latency "$PA,$PB" --json |
	python3 -c 'import json, sys; print(sum(r["count"] for r in json.load(sys.stdin)["rows"]))')
run "$TREC" convert --to perfetto -i "$T" -o "$TAP_TMP/p.pf" --pair "$PA,$PB" --event "$PA,$PB"
protoc -I"$PROTO_DIR" --decode=perfetto.protos.Trace trec_perfetto.proto <"$TAP_TMP/p.pf" | python3 "$COUNT" >"$TAP_TMP/counts"
# Every tick begins a slice ($N); the ends close the latest open one, as
# report --latency pairs them; the starts no end closed stay open.
check "--pair tick,sys_enter: $N slices begun, as many ended as report --latency pairs ($pair_n)" \
	'[ $RC -eq 0 ] && [ "${pair_n:-0}" -gt 0 ] && [ "$(val "begins:$PA,$PB")" = "$N" ] &&
	 [ "$(val ends_child)" = "$pair_n" ] && [ "$(val unbalanced)" = 0 ]'
run "$TREC" convert --to pprof -i "$T" -o "$TAP_TMP/p.pb" --pair "$PA,$PB"
check "--pair with --to pprof: exit 2, it is for perfetto" '[ $RC -eq 2 ] && [[ $ERR == *"--to perfetto"* ]]'

# Errors.
run "$TREC" convert --to perfetto -i "$T" -o "$TAP_TMP/none.pf" --pid 1
check "nothing to convert (--pid 1): exit 1 with a message, no file" \
	'[ $RC -eq 1 ] && [[ $ERR == *"no events"* ]] && [ ! -e "$TAP_TMP/none.pf" ]'
run "$TREC" convert --to perfetto -i "$TAP_TMP/missing.trec" -o "$TAP_TMP/m.pf"
check "a missing trace: exit 1" '[ $RC -eq 1 ] && [ -n "$ERR" ] && [ ! -e "$TAP_TMP/m.pf" ]'
run "$TREC" convert --to perfetto -i "$T" -o "$TAP_TMP/x.pf" --time 1000,2000
check "a window past the end: exit 1, nothing to convert" '[ $RC -eq 1 ] && [ ! -e "$TAP_TMP/x.pf" ]'
