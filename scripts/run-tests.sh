#!/usr/bin/env bash
# The whole test run behind `make check`:
#   1. scripts/setup-deps.sh (silent when nothing is missing)
#   2. build everything and the analysis-only trec with warnings as errors
#   3. prove: unit tests (cmocka, TAP) and end-to-end scripts (tests/e2e/*.t)
#   4. the same again built with AddressSanitizer + UBSan (build/asan)
#   5. a 20 s libFuzzer smoke run per fuzz target (eleven targets, the shared sources compiled once: the suite stays well inside CI's time), if there are any
# and ends with one line, "N passed, M failed", counting test points (a
# failed build, a test file that died, or a fuzz crash counts as a failure).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
LOGDIR=$ROOT/build/test-logs
passed=0
failed=0

# Each failed point with the diagnostics under it, per file, from the TAP
# copies scripts/tap-capture.sh keeps (bounded: 30 lines a file).
show_failures() {
	local tap shown=0
	for tap in "$LOGDIR"/tap-*/*.tap; do
		grep -q '^not ok' "$tap" || continue
		if [ $shown -eq 0 ]; then
			step "failed test points"
			shown=1
		fi
		echo "--- ${tap#"$LOGDIR"/}"
		awk '/^not ok/ { keep = 1; print; next }
		     /^(ok|1\.\.)/ { keep = 0 }
		     keep && /^#/ { print }' "$tap" | head -n 30
	done
}

finish() {
	show_failures
	echo "$passed passed, $failed failed"
	if [ "$failed" -gt 0 ] || [ $((passed + failed)) -eq 0 ]; then
		exit 1
	fi
	exit 0
}

step() { printf '\n==> %s\n' "$*"; }

if ! scripts/setup-deps.sh; then
	echo "run-tests: installing dependencies failed" >&2
	failed=$((failed + 1))
	finish
fi

# A failed build stops the run: the tests would only repeat it.
build() {
	step "make $*"
	if ! make --no-print-directory "$@"; then
		echo "run-tests: 'make $*' failed" >&2
		failed=$((failed + 1))
		finish
	fi
}

# Runs prove on the given files and adds its test points to the counts.
# prove's summary has "Files=.., Tests=T" and, per failing file,
# "FILE (Wstat: W Tests: N Failed: F)" followed by reasons: F failed points,
# or 1 for a file that died or broke its plan with no failed point of its own.
run_prove() {
	local label=$1
	shift
	[ $# -gt 0 ] || return 0
	mkdir -p "$LOGDIR"
	local log=$LOGDIR/prove-$label.log
	export TREC_TAP_DIR=$LOGDIR/tap-$label
	rm -rf "$TREC_TAP_DIR"
	mkdir -p "$TREC_TAP_DIR"
	step "prove ($label): $# test files"
	# Bounded, so a hung test cannot eat the whole CI budget.
	timeout 1200 prove -j2 -e "$ROOT/scripts/tap-capture.sh" "$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local counts
	counts=$(awk '
		# Per failing file: its failed points, plus planned points it never
		# ran (as prove counts "Failed 7/8"), and at least 1 if it died or
		# broke its plan without a failed point of its own.
		function settle() {
			if (!open) return
			extra += planned > ran ? planned - ran : 0
			if (f == 0 && planned <= ran && (w != 0 || perr)) extra += 1
			rfails += f
			open = 0
		}
		/^Files=[0-9]+, Tests=[0-9]+/ {
			settle()
			t = $0; sub(/.*Tests=/, "", t); sub(/,.*/, "", t); tests = t; seen = 1
			next
		}
		/\(Wstat: [0-9]+.* Tests: [0-9]+ Failed: [0-9]+\)/ {
			settle()
			open = 1; perr = 0; planned = 0; ran = 0
			f = $0; sub(/.*Failed: /, "", f); sub(/\).*/, "", f); f += 0
			w = $0; sub(/.*Wstat: /, "", w); sub(/ .*/, "", w); w += 0
			next
		}
		open && /^[[:space:]]+Parse errors:/ { perr = 1 }
		open && /You planned [0-9]+ tests but ran [0-9]+/ {
			p = $0; sub(/.*You planned /, "", p); r = p
			sub(/ .*/, "", p); sub(/.* but ran /, "", r); sub(/[^0-9].*/, "", r)
			planned = p + 0; ran = r + 0
		}
		END {
			settle()
			if (!seen) { print "0 1"; exit }   # prove itself failed or timed out
			# Tests= counts the points that ran, skips and TODOs included.
			print tests - rfails, rfails + extra
		}' "$log")
	local p f
	read -r p f <<<"$counts"
	# prove failing with nothing counted (a file it could not execute,
	# a timeout) is still a failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "-- $label: $p passed, $f failed"
}

shopt -s nullglob
export CMOCKA_MESSAGE_OUTPUT=TAP

# ---- normal build ---------------------------------------------------------------
build WERROR=1 -j2
build WERROR=1 report

export TREC=$ROOT/build/trec TREC_REPORT=$ROOT/build/report/trec
export TREC_BUILD=$ROOT/build TREC_TOOLS=$ROOT/build/tools
run_prove tests build/tests/test_* tests/e2e/*.t

# ---- sanitizers -----------------------------------------------------------------
build SAN=1 WERROR=1 -j2
build SAN=1 WERROR=1 report
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The end-to-end scripts run again on the sanitized commands: they are the
# only tests of the CLI code.
export TREC=$ROOT/build/asan/trec TREC_REPORT=$ROOT/build/asan/report/trec
export TREC_BUILD=$ROOT/build/asan TREC_TOOLS=$ROOT/build/asan/tools
run_prove asan build/asan/tests/test_* tests/e2e/*.t
unset ASAN_OPTIONS UBSAN_OPTIONS

# ---- fuzz smoke -----------------------------------------------------------------
fuzz_targets=(fuzz/fuzz_*.c)
if [ ${#fuzz_targets[@]} -gt 0 ]; then
	step "fuzz smoke: ${#fuzz_targets[@]} targets, 20 s each"
	mkdir -p "$LOGDIR"
	scripts/fuzz.sh 20 2>&1 | tee "$LOGDIR/fuzz.log"
	ok=$(grep -c '^== .*: ok$' "$LOGDIR/fuzz.log" || true)
	passed=$((passed + ok))
	failed=$((failed + ${#fuzz_targets[@]} - ok))
fi

echo
finish
