#!/usr/bin/env bash
# trec flamegraph --collapse-perf against stackcollapse-perf.pl: every case
# of the corpus tests/corpus/flamegraph/cases (real perf 6.1 captures of
# cpu-clock, task-clock, page-faults, mixed events, pid/tid forms, Go, JS,
# Java, Rust, srcline; hand-written cycles+instructions, Java agent,
# MirageOS, NUMA and odd shapes) printed byte for byte as the script
# printed it (expected/, written by regen.sh with the script), with the
# options before and after the file; FlameGraph's argument order; several
# files as one stream; counts that are the sums of the periods; and
# --inline / --context through a real addr2line on a binary built here.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

CORPUS=$E2E_ROOT/tests/corpus/flamegraph
cd "$TAP_TMP" || exit 1
mapfile -t CASES < <(grep -v '^\s*\(#\|$\)' "$CORPUS/cases")
plan $((${#CASES[@]} + 16))

# ---- the corpus -----------------------------------------------------------------------
i=0
for line in "${CASES[@]}"; do
	read -r name capture opts <<<"$line"
	exp=$CORPUS/expected/$name.folded
	# Options before the file for even cases, after it for odd ones.
	# shellcheck disable=SC2086 # the options are split on purpose
	if ((i++ % 2)); then
		run "$TREC" flamegraph --collapse-perf "$CORPUS/$capture.txt" $opts
	else
		run "$TREC" flamegraph --collapse-perf $opts "$CORPUS/$capture.txt"
	fi
	if [ ! -f "$exp" ]; then
		not_ok "$name: no expected output: run tests/corpus/flamegraph/regen.sh"
	else
		check "$name: $capture.txt ${opts:-(no options)}: stackcollapse-perf.pl's bytes" \
			'[ $RC -eq 0 ] && [ "$OUT" = "$(cat "$exp")" ]'
	fi
done

# ---- arguments as FlameGraph's docs type them -------------------------------------------
exp=$(cat "$CORPUS/expected/go-pid-tid@pid.folded")
run "$TREC" flamegraph --collapse-perf --pid "$CORPUS/go-pid-tid.txt"
check "--collapse-perf --pid FILE (the option between, as in FlameGraph's docs)" '[ $RC -eq 0 ] && [ "$OUT" = "$exp" ]'
run "$TREC" flamegraph --pid "$CORPUS/go-pid-tid.txt" --collapse-perf
check "--pid FILE --collapse-perf" '[ $RC -eq 0 ] && [ "$OUT" = "$exp" ]'
run "$TREC" flamegraph --collapse-perf="$CORPUS/go-pid-tid.txt" --pid
check "--collapse-perf=FILE" '[ $RC -eq 0 ] && [ "$OUT" = "$exp" ]'
run bash -c "'$TREC' flamegraph --collapse-perf --pid <'$CORPUS/go-pid-tid.txt'"
check "no file: stdin" '[ $RC -eq 0 ] && [ "$OUT" = "$exp" ]'
run bash -c "'$TREC' flamegraph --pid --collapse-perf - <'$CORPUS/go-pid-tid.txt'"
check "- : stdin" '[ $RC -eq 0 ] && [ "$OUT" = "$exp" ]'
run "$TREC" flamegraph --collapse-perf="$CORPUS/go-pid-tid.txt" "$CORPUS/rust.txt"
check "--collapse-perf=FILE and another file: exit 2" '[ $RC -eq 2 ] && [[ $ERR == *"unexpected argument"* ]]'

# Several files are one stream, as Perl's <> reads them.
cat "$CORPUS/rust.txt" "$CORPUS/node-jit.txt" >both.txt
"$TREC" flamegraph --collapse-perf --all both.txt >both.folded 2>/dev/null
run "$TREC" flamegraph --collapse-perf "$CORPUS/rust.txt" --all "$CORPUS/node-jit.txt"
check "two files: the folded stacks of the two concatenated" \
	'[ $RC -eq 0 ] && [ -s both.folded ] && [ "$OUT" = "$(cat both.folded)" ]'

# ---- counts are sums of periods -----------------------------------------------------------
# The header's period field, summed per sample with awk alone: the same total.
want=$(awk '/^[^ \t].* page-faults: *$/ { p = $(NF - 1) } /^$/ && p != "" { s += p; p = "" } END { print s }' \
	"$CORPUS/page-faults.txt")
run "$TREC" flamegraph --collapse-perf "$CORPUS/page-faults.txt"
got=$(printf "%s\n" "$OUT" | awk '{ s += $NF } END { print s }')
check "page-faults: the counts add up to the periods perf printed ($want), not the sample count" \
	'[ $RC -eq 0 ] && [ "$got" = "$want" ] && [ "$want" -gt "$(grep -c page-faults: "$CORPUS/page-faults.txt")" ]'
run "$TREC" flamegraph --collapse-perf "$CORPUS/cpu-clock-page-faults.txt"
check "mixed events: the first (page-faults) is kept, a warning names the other and --event-filter" \
	'[ $RC -eq 0 ] && [[ $ERR == *"kept event page-faults, left out 51 samples of other events (the first: cpu-clock); choose with --event-filter"* ]]'

# --from-perf draws what --collapse-perf prints.
"$TREC" flamegraph --collapse-perf --kernel "$CORPUS/numa.txt" 2>/dev/null | "$TREC" flamegraph >piped.svg 2>/dev/null
run "$TREC" flamegraph "$CORPUS/numa.txt" --from-perf --kernel -o oneshot.svg
check "--from-perf FILE --kernel: the SVG of --collapse-perf | trec flamegraph" \
	'[ $RC -eq 0 ] && [ -s oneshot.svg ] && cmp -s piped.svg oneshot.svg'

# ---- option errors --------------------------------------------------------------------------
run "$TREC" flamegraph --srcline "$CORPUS/rust.txt"
check "--srcline without --collapse-perf: exit 2" '[ $RC -eq 2 ] && [[ $ERR == *"--collapse-perf"* ]]'
run "$TREC" flamegraph --collapse-perf --context "$CORPUS/rust.txt"
check "--context without --inline: the script's output, and a warning" \
	'[ $RC -eq 0 ] && [ "$OUT" = "$(cat "$CORPUS/expected/rust.folded")" ] && [[ $ERR == *"--context does nothing without --inline"* ]]'
run env PATH=/nonexistent "$TREC" flamegraph --collapse-perf --inline "$CORPUS/rust.txt"
check "--inline without addr2line: exit 1, says to install binutils" \
	'[ $RC -eq 1 ] && [[ $ERR == *"binutils"* ]]'

# ---- --inline and --context on a binary built here --------------------------------------
CC=${CC:-gcc}
cat >inl.c <<'C'
#include <stdlib.h>
static volatile double sink;
static inline __attribute__((always_inline)) double kernel_step(double x, long n)
{
	for (long i = 0; i < n; i++) {
		x = x * 1.0000001 + 0.5;
		if (x > 1e9)
			x = 0;
	}
	return x;
}
__attribute__((noinline)) static void busy(long n) { sink = kernel_step(sink, n); }
int main(int argc, char **argv) { long n = argc > 1 ? atol(argv[1]) : 200000000; for (;;) busy(n); }
C
if [ "$(id -u)" -ne 0 ] || ! command -v perf >/dev/null || ! command -v addr2line >/dev/null ||
	! "$CC" -O2 -g -fno-omit-frame-pointer -o inl inl.c 2>/dev/null; then
	why="needs root, perf, addr2line and a C compiler"
	if [ "${CI:-}" = true ]; then
		for d in "--inline" "--inline --context" "--inline cache"; do not_ok "$d ($why: scripts/setup-deps.sh)"; done
	else
		for d in "--inline" "--inline --context" "--inline cache"; do ok "$d # SKIP $why"; done
	fi
	exit 0
fi
mkdir -p bid
# perf 6.1's build-id code aborts on some states of ~/.debug: a directory of its own, and tries.
for _ in 1 2 3 4 5; do
	timeout 20 perf --buildid-dir bid record -q -N -g -e cpu-clock -F 499 -o inl.data -- timeout 1 ./inl >/dev/null 2>&1
	[ -s inl.data ] && break
done
perf --buildid-dir bid script -i inl.data 2>/dev/null >inl.txt
run "$TREC" flamegraph --collapse-perf inl.txt --inline
# addr2line -i names the inlined kernel_step inside busy: "busy;kernel_step"
# (perf itself shows busy only); no sample is lost either way.
total_plain=$("$TREC" flamegraph --collapse-perf inl.txt 2>/dev/null | awk '{ s += $NF } END { print s }')
total_inl=$(printf "%s\n" "$OUT" | awk '{ s += $NF } END { print s }')
check "--inline: addr2line's inlined frame under its caller (busy;kernel_step), no sample lost" \
	'[ $RC -eq 0 ] && grep -q "^inl;.*;busy;kernel_step [0-9]*$" <<<"$OUT" && [ "$total_inl" = "$total_plain" ]'
run "$TREC" flamegraph --collapse-perf --inline --context inl.txt
check "--inline --context: file:line after each name (busy:inl.c:N;kernel_step:inl.c:N)" \
	'[ $RC -eq 0 ] && grep -q ";busy:inl.c:[0-9]*;kernel_step:inl.c:[0-9]* [0-9]*$" <<<"$OUT"'
# One addr2line per distinct address and dso: as many runs as distinct pairs.
pairs=$(awk '$NF !~ /kernel|\[/ && /^\t/ { print $1, $NF }' inl.txt | sort -u | wc -l)
mkdir -p shim
printf '#!/bin/sh\necho x >>%s/a2l.count\nexec %s "$@"\n' "$TAP_TMP" "$(command -v addr2line)" >shim/addr2line
chmod +x shim/addr2line
rm -f a2l.count
PATH=$TAP_TMP/shim:$PATH "$TREC" flamegraph --collapse-perf --inline inl.txt >/dev/null 2>&1
runs=$(wc -l <a2l.count 2>/dev/null || echo 0)
check "--inline runs addr2line once per distinct (address, dso): $runs runs, at most $pairs pairs" \
	'[ "$runs" -ge 1 ] && [ "$runs" -le "$pairs" ]'
