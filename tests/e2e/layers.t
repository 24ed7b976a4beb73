#!/usr/bin/env bash
# The layers hold (docs/ARCHITECTURE.md): scripts/check-layers.sh finds no
# include across them but the listed debts, no stale debt, no argv parsing
# outside cli/, and lib/ on libc alone. Also checks that the checker
# itself catches a crossing, on a scratch copy of the tree's layout.
source "$(dirname "$0")/tap.sh"
plan 3
run "$E2E_ROOT/scripts/check-layers.sh"
check "check-layers: no include crosses the layers but the known debts" '[ $RC -eq 0 ]'

# A copy with one wrong include and one stale debt must fail, naming both.
mkdir -p "$TAP_TMP/t/scripts"
cp "$E2E_ROOT/scripts/check-layers.sh" "$TAP_TMP/t/scripts/"
for d in lib format flamegraph report record bpf cli; do
	mkdir -p "$TAP_TMP/t/$d"
	cp "$E2E_ROOT/$d"/*.h "$TAP_TMP/t/$d/" 2>/dev/null || true
done
cp "$E2E_ROOT/scripts/layers-debt.txt" "$TAP_TMP/t/scripts/"
printf '#include "reader.h"\nint f(void);\n' >"$TAP_TMP/t/lib/bad.c"
echo "flamegraph/gone.c -> report/fold.h" >>"$TAP_TMP/t/scripts/layers-debt.txt"
run "$TAP_TMP/t/scripts/check-layers.sh"
check "a lib/ file including format/reader.h fails, named" \
	'[ $RC -ne 0 ] && [[ $ERR == *"lib/bad.c includes format/reader.h"* ]]'
check "a debt that no longer exists fails as stale" '[[ $ERR == *"stale debt"*"flamegraph/gone.c"* ]]'
