#!/usr/bin/env bash
# The front command and the shared option handling: help, version, typos,
# bad flags, missing files, exit codes, and the analysis-only build.
# check's expressions are single-quoted on purpose: tap.sh evals them after
# the command ran, so they read RC/OUT/ERR and the variables set here.
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

plan 30

run "$TREC" --help
check "trec --help exits 0" '[ $RC -eq 0 ]'
check "trec --help lists the commands" \
	'[[ $OUT == *"usage: trec <command>"* && $OUT == *info* && $OUT == *script* && $OUT == *recover* ]]'

run "$TREC" -h
check "trec -h is trec --help" '[ $RC -eq 0 ] && [[ $OUT == *"usage: trec <command>"* ]]'

run "$TREC" help
check "trec help lists the commands" '[ $RC -eq 0 ] && [[ $OUT == *"commands:"* ]]'

run "$TREC"
check "bare trec lists the commands on stderr and exits 2" \
	'[ $RC -eq 2 ] && [[ $ERR == *"commands:"* ]]'

run "$TREC" --version
check "trec --version prints 'trec VERSION'" '[ $RC -eq 0 ] && [[ $OUT == "trec "?* ]]'

run "$TREC" help info
check "trec help info shows info's usage" '[ $RC -eq 0 ] && [[ $OUT == *"usage: trec info"* ]]'

for cmd in info script recover; do
	run "$TREC" "$cmd" --help
	check "trec $cmd --help exits 0 with usage and options" \
		'[ $RC -eq 0 ] && [[ $OUT == *"usage: trec $cmd"* && $OUT == *"--help"* ]]'
done

run "$TREC" script -h
check "trec script -h is --help" '[ $RC -eq 0 ] && [[ $OUT == *"usage: trec script"* ]]'

run "$TREC" ifno
check "a typo exits 2 and suggests the command" \
	'[ $RC -eq 2 ] && [[ $ERR == *"not a trec command"* && $ERR == *"Did you mean '"'"'info'"'"'"* ]]'

run "$TREC" scrpit
check "a swapped-letters typo suggests script" '[ $RC -eq 2 ] && [[ $ERR == *"'"'"'script'"'"'"* ]]'

run "$TREC" frobnicate
check "an unrelated word exits 2 without a wild guess" \
	'[ $RC -eq 2 ] && [[ $ERR == *"not a trec command"* && $ERR != *"Did you mean"* ]]'

run "$TREC" help nosuch
check "trec help of an unknown command exits 2" '[ $RC -eq 2 ] && [[ $ERR == *"nosuch"* ]]'

run "$TREC" --bogus
check "an option before any command exits 2" '[ $RC -eq 2 ]'

run "$TREC" info --bogus
check "a bad flag exits 2 and points at --help" \
	'[ $RC -eq 2 ] && [[ $ERR == *"--bogus"* && $ERR == *"trec info --help"* ]]'

run "$TREC" script --limit abc
check "a bad number names the option and the value" \
	'[ $RC -eq 2 ] && [[ $ERR == *"trec script: --limit: '"'"'abc'"'"' is not a number"* ]]'

run "$TREC" script --limit -1
check "a negative count is rejected" '[ $RC -eq 2 ] && [[ $ERR == *"--limit"* ]]'

run "$TREC" script --time 5
check "--time without a comma is a usage error" '[ $RC -eq 2 ] && [[ $ERR == *"START,END"* ]]'

run "$TREC" script --time 3,1
check "--time with END before START is a usage error" '[ $RC -eq 2 ] && [[ $ERR == *"before START"* ]]'

missing=$TAP_TMP/no/such.data
run "$TREC" info -i "$missing"
check "a missing file exits 1 and names the file" '[ $RC -eq 1 ] && [[ $ERR == *"$missing"* ]]'

run bash -c "cd '$TAP_TMP' && exec '$TREC' script"
check "the default input is trec.data, named when missing" \
	'[ $RC -eq 1 ] && [[ $ERR == *"trec.data"* && $ERR == *"-i FILE"* ]]'

echo "this is not a trace, just some text that is long enough for a header......" >"$TAP_TMP/text.data"
run "$TREC" info "$TAP_TMP/text.data"
check "a file that is not a trace exits 1 and names the file" \
	'[ $RC -eq 1 ] && [[ $ERR == *"$TAP_TMP/text.data"* ]]'

run "$TREC" recover
check "trec recover without a file exits 2" '[ $RC -eq 2 ] && [[ $ERR == *"usage: trec recover"* ]]'

run "$TREC" info a.data b.data
check "two input files are a usage error" '[ $RC -eq 2 ]'

# ---- the analysis-only build ----------------------------------------------------
check "the analysis-only trec exists ($TREC_REPORT)" '[ -x "$TREC_REPORT" ]'

run ldd "$TREC_REPORT"
check "the analysis-only trec links neither libbpf nor libelf" \
	'[ $RC -eq 0 ] && [[ $OUT != *libbpf* && $OUT != *libelf* ]]'

run "$TREC_REPORT" record
check "analysis-only 'trec record' exits 2 and says how to get the recorder" \
	'[ $RC -eq 2 ] && [[ $ERR == *"built without the recorder (make report); build with make"* ]]'

run "$TREC_REPORT" list
check "analysis-only 'trec list' says the same" \
	'[ $RC -eq 2 ] && [[ $ERR == *"built without the recorder"* ]]'
