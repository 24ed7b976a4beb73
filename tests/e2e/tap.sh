# shellcheck shell=bash
# TAP helpers for the end-to-end scripts (tests/e2e/*.t), sourced, not run.
#
#   plan N                 the plan line; print it first
#   run CMD...             runs CMD (time-limited) and sets RC, OUT, ERR
#   check DESC EXPR        ok if `eval EXPR` succeeds; on failure prints the
#                          last command's exit code, stdout and stderr as TAP
#                          diagnostics
#   ok DESC / not_ok DESC  direct results
#   skip_all REASON        "1..0 # SKIP REASON" and exit
#
# Binaries come from the environment scripts/run-tests.sh sets (TREC,
# TREC_REPORT, TREC_BUILD, TREC_TOOLS), defaulting to the normal build,
# so a test also runs alone: `prove -e '' tests/e2e/cli.t`.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${TREC_BUILD:=$E2E_ROOT/build}"
: "${TREC:=$TREC_BUILD/trec}"
: "${TREC_REPORT:=$TREC_BUILD/report/trec}"
: "${TREC_TOOLS:=$TREC_BUILD/tools}"
export TREC TREC_REPORT TREC_BUILD TREC_TOOLS

TAP_N=0
TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/trec-e2e.XXXXXX")
trap 'rm -rf "$TAP_TMP"' EXIT
RC=0 OUT="" ERR=""

plan() { echo "1..$1"; }

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

# Diagnostics go to stdout as "# " lines: TAP comments.
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

not_ok() {
	TAP_N=$((TAP_N + 1))
	echo "not ok $TAP_N - $1"
}

run() {
	timeout 300 "$@" >"$TAP_TMP/.out" 2>"$TAP_TMP/.err"
	RC=$?
	OUT=$(cat "$TAP_TMP/.out")
	ERR=$(cat "$TAP_TMP/.err")
}

check() {
	local desc=$1 expr=$2
	if eval "$expr"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "expected: $expr" "exit code: $RC" "stdout: ${OUT:0:800}" "stderr: ${ERR:0:800}"
	fi
}
