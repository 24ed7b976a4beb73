#!/usr/bin/env bash
# `make demo`: set up, build, and show trec at work on a trace.
#
# The trace is synthetic for now (build/tools/trec-synth writes one with
# realistic event types: syscalls, context switches, opens with file
# names, sampled stacks). When `trec record` exists it replaces the
# synthetic trace here: the demo will record the machine itself.
set -euo pipefail

cd "$(dirname "$0")/.."

scripts/setup-deps.sh
echo "==> building"
make --no-print-directory -j2
make --no-print-directory report

TREC=build/trec
SYNTH=build/tools/trec-synth
out=build/demo
mkdir -p "$out"
trace=$out/trec.data

if [ ! -x "$SYNTH" ]; then
	echo "demo: $SYNTH was not built, so there is no trace to show; skipping the analysis part"
	exit 0
fi

echo
echo "==> $SYNTH -o $trace -n 200000  (a synthetic trace: 200000 events on 2 CPUs)"
"$SYNTH" -f -o "$trace" -n 200000

echo
echo "==> $TREC info -i $trace"
"$TREC" info -i "$trace"

echo
echo "==> $TREC script -i $trace --limit 20"
"$TREC" script -i "$trace" --limit 20

echo
echo "==> $TREC script -i $trace --json --limit 2"
"$TREC" script -i "$trace" --json --limit 2

# A recorder that is killed leaves a file without its footer: trec still
# reads every complete block, and `trec recover` makes it whole again.
cut=$out/cut.data
"$SYNTH" -f -o "$cut" -n 50000 --no-footer
echo
echo "==> a trace whose recorder was killed: $TREC info -i $cut (state line)"
"$TREC" info -i "$cut" | grep -E '^(state|events) ' || true
echo
echo "==> $TREC recover $cut"
"$TREC" recover "$cut"
"$TREC" info -i "$cut" | grep -E '^(state|events) ' || true

echo
echo "demo: done. The traces are in $out/; try '$TREC script -i $trace | less'."
