#!/usr/bin/env bash
# prove's exec wrapper in scripts/run-tests.sh: runs one test file and keeps
# a copy of its TAP stream in $TREC_TAP_DIR, so the run can end by printing
# each failed point with its diagnostics (prove shows only which numbers
# failed, and CI logs are read from the tail).
set -o pipefail
dir=${TREC_TAP_DIR:?TREC_TAP_DIR is not set}
name=$(printf '%s' "$1" | tr '/' '_')
"$@" | tee "$dir/$name.tap"
