#!/usr/bin/env bash
# Rewrites tests/corpus/expected/ from the views list with the trec given
# (default build/trec). Only for a change of output that is meant: the
# corpus is what proves a refactoring changed no byte (tests/e2e/corpus.t).
set -euo pipefail
cd "$(dirname "$0")/../.."
TREC=${1:-build/trec}
export TZ=UTC LC_ALL=C
mkdir -p tests/corpus/expected
while read -r name trace args; do
	case $name in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2086 # ARGS are split on purpose
	rc=0
	"$TREC" $args -i "tests/corpus/traces/$trace" >"tests/corpus/expected/$name" \
		2>"tests/corpus/expected/$name.err" || rc=$?
	echo "$rc" >"tests/corpus/expected/$name.rc"
done <tests/corpus/views
echo "regen: $(ls tests/corpus/expected | grep -vc '\.\(rc\|err\)$') views written"
