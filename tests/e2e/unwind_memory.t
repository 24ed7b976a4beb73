#!/usr/bin/env bash
# The unwinder's memory bound, on a process with hundreds of binaries: one
# process loads 300 distinct shared libraries (copies of one library, each
# with its own build-id, so each is a table of its own). With the default
# budget every table is loaded and nothing is over; the per-process mapping
# limit (256) is counted, not silent. With --unwind-mem 64K the rows never
# pass the budget, the binaries that did not fit are counted, and trec info
# says so. Memory figures themselves are measured by bench/unwind_bench.sh.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "unwinding needs root, and CI runs as root"; exit 1; }
	skip_all "unwinding needs root (BPF, perf events)"
fi
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v perl >/dev/null || skip_all "perl not installed"
CC=${CC:-cc}
command -v "$CC" >/dev/null || skip_all "no C compiler ($CC)"
HELPER=$TREC_TOOLS/dlopen_many
[ -x "$HELPER" ] || skip_all "$HELPER not built (make tools)"

plan 9

N=300
LIBS=$TAP_TMP/libs
mkdir -p "$LIBS"
cat >"$TAP_TMP/lib.c" <<'EOF'
static int __attribute__((noinline)) step(int x) { return x * 3 + 1; }
int work(int x) { for (int i = 0; i < 1000; i++) x = step(x); return x; }
EOF
# One library with a recognisable build-id, then N copies with that id
# rewritten: N distinct build-ids, N distinct tables for the loader.
PATTERN=a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5
"$CC" -shared -fPIC -O2 -Wl,--build-id=0x$PATTERN -o "$TAP_TMP/base.so" "$TAP_TMP/lib.c"
check "the test library builds" '[ -s "$TAP_TMP/base.so" ]'
perl -e '
	my ($src, $dir, $n) = @ARGV;
	open(my $in, "<:raw", $src) or die "$src: $!";
	local $/; my $img = <$in>;
	my $pat = "\xa5" x 20;
	index($img, $pat) >= 0 or die "build-id pattern not found";
	for my $i (1 .. $n) {
		my $copy = $img;
		my $id = pack("N", $i) . ("\x5a" x 16);
		$copy =~ s/\Q$pat\E/$id/;
		open(my $out, ">:raw", sprintf("%s/lib%03d.so", $dir, $i)) or die $!;
		print $out $copy;
	}' "$TAP_TMP/base.so" "$LIBS" "$N"
check "$N libraries with distinct build-ids" '[ "$(ls "$LIBS" | wc -l)" -eq $N ]'

T=$TAP_TMP/many.data
run "$TREC" record -q -F 199 -o "$T" -- "$HELPER" "$LIBS" 1
check "record -- dlopen_many ($N libraries) exits 0" '[ $RC -eq 0 ] && grep -q "$N libraries loaded" <<<"$ERR"'

# unwind.* metadata: what the loader did.
meta() {
	"$TREC" info --json -i "$1" | python3 -c '
import json, sys
m = json.load(sys.stdin)["metadata"]
print(" ".join("%s=%s" % (k[len("unwind."):], v) for k, v in m.items() if k.startswith("unwind.")))'
}
M=$(meta "$T")
get() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$M"; }
check "every library's table loaded, none over the default budget ($M)" \
	'[ "$(get tables)" -ge $N ] && [ "$(get tables_over_budget)" -eq 0 ] && [ "$(get rows)" -le "$(get rows_capacity)" ]'
check "mappings past the per-process limit of 256 are counted, not silent" \
	'[ "$(get mappings_dropped)" -ge $((N - 256)) ]'

# A budget far below what the libraries need.
T2=$TAP_TMP/small.data
run "$TREC" record -q -F 199 --unwind-mem 64K -o "$T2" -- "$HELPER" "$LIBS" 1
check "record --unwind-mem 64K exits 0" '[ $RC -eq 0 ]'
M=$(meta "$T2")
check "rows stay within 64 KiB (8192 rows) and the binaries that did not fit are counted ($M)" \
	'[ "$(get rows_capacity)" -eq 8192 ] && [ "$(get rows)" -le 8192 ] && [ "$(get tables_over_budget)" -gt 0 ]'
run "$TREC" info -i "$T2"
check "trec info says binaries did not fit --unwind-mem" 'grep -q "did not fit --unwind-mem" <<<"$OUT"'
run "$TREC" record -q -F 99 --unwind-mem 1K -o "$TAP_TMP/bad.data" -- true
check "--unwind-mem below 8K is a usage error naming the option" '[ $RC -eq 2 ] && grep -q -- "--unwind-mem" <<<"$ERR"'
