#!/usr/bin/env bash
# Writes expected/NAME.folded for every case in ./cases with FlameGraph's
# stackcollapse-perf.pl (not part of trec: give the path of a checkout's):
#
#   tests/corpus/flamegraph/regen.sh ~/FlameGraph/stackcollapse-perf.pl
#
# Only for new cases or a newer script: the expected output is the
# script's, never trec's.
set -euo pipefail
script=${1:?usage: regen.sh PATH/TO/stackcollapse-perf.pl}
cd "$(dirname "$0")"
mkdir -p expected
export LC_ALL=C
grep -v '^\s*\(#\|$\)' cases | while read -r name capture opts; do
	# shellcheck disable=SC2086 # the options are split on purpose
	perl "$script" $opts "$capture.txt" >"expected/$name.folded" 2>/dev/null
done
echo "regen.sh: $(grep -cv '^\s*\(#\|$\)' cases) cases written to expected/"
