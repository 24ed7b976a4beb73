#!/usr/bin/env bash
# The output corpus: every view (report's modes, --json, --csv, script,
# info, the flame graph SVG) on the committed traces of tests/corpus/traces,
# compared byte for byte -- stdout, stderr and exit status -- with what was
# printed before (tests/corpus/expected, written by tests/corpus/regen.sh).
# Both binaries: the full trec and the analysis-only build. A refactoring
# that changes one byte of output fails here; a change of output that is
# meant regenerates the corpus in the same commit.
source "$(dirname "$0")/tap.sh"
cd "$E2E_ROOT"
export TZ=UTC LC_ALL=C

mapfile -t VIEWS < <(grep -v '^\s*\(#\|$\)' tests/corpus/views)
plan $((2 * ${#VIEWS[@]}))
for bin in "$TREC" "$TREC_REPORT"; do
	label=trec
	[ "$bin" = "$TREC_REPORT" ] && label="trec (analysis only)"
	for line in "${VIEWS[@]}"; do
		read -r name trace args <<<"$line"
		exp=tests/corpus/expected/$name
		rc=0
		# shellcheck disable=SC2086 # ARGS are split on purpose
		"$bin" $args -i "tests/corpus/traces/$trace" >"$TAP_TMP/out" 2>"$TAP_TMP/err" || rc=$?
		if [ ! -f "$exp" ]; then
			not_ok "$label $name: no expected output ($exp): run tests/corpus/regen.sh"
		elif cmp -s "$TAP_TMP/out" "$exp" && cmp -s "$TAP_TMP/err" "$exp.err" && [ "$rc" = "$(cat "$exp.rc")" ]; then
			ok "$label $name: trec $args"
		else
			not_ok "$label $name: trec $args"
			diag "exit status $rc, expected $(cat "$exp.rc")" \
				"stdout: $(diff "$exp" "$TAP_TMP/out" | head -8)" \
				"stderr: $(diff "$exp.err" "$TAP_TMP/err" | head -4)"
		fi
	done
done
