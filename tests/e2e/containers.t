#!/usr/bin/env bash
# Binaries as the traced process sees them, and debug files at record time
# (docs/SYMBOLS.md "Containers", "Debug files at record time").
#
# A sample program with a known call tree (main -> ctr_outer -> ctr_inner
# -> ctr_leaf, frame pointers kept) runs from a path that exists only
# inside an `unshare -m` mount namespace: a tmpfs mounted over a host
# directory that holds, at the same path, a decoy binary with other
# function names. Its frames must be named from the container's file (never
# the decoy's, never left as ctrapp+0x...): while it runs, when it exits long
# before the recording ends, and under -a for a fixed time. Then a program
# spending its time in libc, called from main: libc6-dbg's debug file names
# __libc_start_call_main, which Debian's stripped libc.so.6 does not have.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, mount namespaces)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
for tool in python3 unshare clang; do
	command -v $tool >/dev/null || skip_all "$tool not installed"
done

plan 19

W=$TAP_TMP
MNT=$W/mnt # the tmpfs goes here, inside the namespaces only
mkdir -p "$MNT"

# ---- the programs --------------------------------------------------------------------------
# clang keeps the frame pointer in leaf functions too (GCC 12 here does not:
# MACHINE-NOTES), so every sample has the whole chain.
CFLAGS=(-O1 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline -fno-optimize-sibling-calls)
cat >"$W/ctr.c" <<'EOF'
#include <stdlib.h>
#include <time.h>
static volatile unsigned long sink;
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
__attribute__((noinline)) void ctr_leaf(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i * 7;
}
__attribute__((noinline)) void ctr_inner(void) { ctr_leaf(200000); sink++; }
__attribute__((noinline)) void ctr_outer(void) { ctr_inner(); sink++; }
int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, t0 = now();
	while (now() - t0 < secs)
		ctr_outer();
	return 0;
}
EOF
# The decoy: the host's file at the container's path, other names.
sed 's/ctr_/decoy_/g' "$W/ctr.c" >"$W/decoy.c"
cat >"$W/libcloop.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
#include <time.h>
static char buf[1 << 20];
int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0;; i++) {
		memset(buf, (int)i, sizeof(buf)); /* libc's time, called from main */
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9 >= secs)
			break;
	}
	return buf[12] == 1;
}
EOF
built=1
for p in ctr decoy libcloop; do
	clang "${CFLAGS[@]}" -o "$W/$p" "$W/$p.c" 2>>"$W/cc.err" || built=0
done
cp "$W/decoy" "$MNT/ctrapp"
check "the sample programs build with clang" '[ $built -eq 1 ]'

# The command a container runs: its own mount namespace (unshare -m makes
# mounts private), a tmpfs over $MNT hiding the decoy, our program as ctrapp.
ctr_cmd() { # SECONDS
	echo "mount -t tmpfs none '$MNT' && cp '$W/ctr' '$MNT/ctrapp' && exec '$MNT/ctrapp' $1"
}

# Folded stacks of comm "ctrapp": samples with the whole chain, samples in
# all, unnamed ctrapp frames, decoy names (anywhere).
summarize() { # FOLDED
	python3 - "$1" <<'PY'
import sys
chain = "main;ctr_outer;ctr_inner;ctr_leaf"
full = total = unnamed = decoy = 0
for line in open(sys.argv[1]):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    n = int(n)
    frames = stack.split(";")
    if any("decoy_" in f for f in frames):
        decoy += n
    if frames[0] != "ctrapp":
        continue
    total += n
    if chain in stack:
        full += n
    unnamed += n if any(f.startswith("ctrapp+0x") for f in frames[1:]) else 0
print(full, total, unnamed, decoy)
PY
}

# full chain in >= 90% of ctrapp's samples, at least `min` of them, no ctrapp
# frame unnamed, no decoy name.
named_ok() { # "FULL TOTAL UNNAMED DECOY" MIN
	set -- $1 "$2"
	[ "$2" -ge "$5" ] && [ $(($1 * 10)) -ge $(($2 * 9)) ] && [ "$3" -eq 0 ] && [ "$4" -eq 0 ]
}

no_mount_left() { ! grep -q " $MNT " /proc/self/mountinfo; }

# ---- 1. a container's program, while it runs ---------------------------------------------------
T=$W/ctr.data
run "$TREC" record -q -F 999 -o "$T" -- unshare -m sh -c "$(ctr_cmd 1)"
check "record -F 999 -- unshare -m sh -c '... ctrapp 1' exits 0" '[ $RC -eq 0 ]'
run "$TREC" report --folded -i "$T"
echo "$OUT" >"$W/ctr.folded"
check "report --folded exits 0" '[ $RC -eq 0 ] && [ -s "$W/ctr.folded" ]'
s=$(summarize "$W/ctr.folded")
check "ctrapp's frames named from the container's file: main;ctr_outer;ctr_inner;ctr_leaf (full, samples, unnamed, decoy: $s)" \
	'named_ok "$s" 150'
check "no mount is left behind" 'no_mount_left'
check "the host still has the decoy at that path" 'cmp -s "$W/decoy" "$MNT/ctrapp"'

# ---- 2. exited long before the recording ends ---------------------------------------------------
T=$W/exited.data
run "$TREC" record -q -F 999 -o "$T" -- sh -c "unshare -m sh -c \"$(ctr_cmd 0.5)\"; sleep 2"
check "record -- sh -c 'unshare ... ctrapp 0.5; sleep 2' exits 0" '[ $RC -eq 0 ]'
run "$TREC" report --folded -i "$T"
echo "$OUT" >"$W/exited.folded"
s=$(summarize "$W/exited.folded")
check "its namespace gone for 2 s, ctrapp is still named (full, samples, unnamed, decoy: $s)" \
	'[ $RC -eq 0 ] && named_ok "$s" 75'
check "no mount is left behind" 'no_mount_left'

# ---- 3. system-wide for a fixed time ---------------------------------------------------------------
T=$W/all.data
# The container starts once the recorder is surely attached, and is gone
# well before it stops.
# (Starting -a takes about 0.9 s here: BPF, the /proc snapshot of every
# process, a file open per distinct binary.)
(sleep 2.5; unshare -m sh -c "$(ctr_cmd 0.7)") >"$W/bg.out" 2>&1 &
BG=$!
run "$TREC" record -q -a -F 999 --duration 6 -o "$T"
wait $BG
bg_rc=$?
check "record -a -F 999 --duration 6 exits 0, and so does the container" '[ $RC -eq 0 ] && [ $bg_rc -eq 0 ]'
run "$TREC" report --folded -i "$T"
echo "$OUT" >"$W/all.folded"
s=$(summarize "$W/all.folded")
check "system-wide, ctrapp is named (full, samples, unnamed, decoy: $s)" '[ $RC -eq 0 ] && named_ok "$s" 75'
check "no mount is left behind" 'no_mount_left'

# ---- 4. debug files at record time ------------------------------------------------------------------
LIBC=$(ldd "$W/libcloop" | awk '/libc.so.6/ { print $3 }')
BID=$(readelf -n "$LIBC" 2>/dev/null | awk '/Build ID/ { print $3 }')
DBG=/usr/lib/debug/.build-id/${BID:0:2}/${BID:2}.debug
T=$W/libc.data
run "$TREC" record -q -F 999 -o "$T" -- "$W/libcloop" 1
check "record -F 999 -- libcloop 1 exits 0" '[ $RC -eq 0 ]'
run "$TREC" report --folded -i "$T"
echo "$OUT" >"$W/libc.folded"
if [ -n "$BID" ] && [ -r "$DBG" ]; then
	check "libc6-dbg's debug file names __libc_start_call_main under main" \
		'grep -q "^libcloop;.*__libc_start_call_main;main" "$W/libc.folded"'
	check "no libc frame is left as libc.so.6+0x... in libcloop's stacks" \
		'! grep "^libcloop;" "$W/libc.folded" | grep -q "libc.so.6+0x"'
elif [ "${CI:-}" = true ]; then
	not_ok "no debug file for $LIBC ($DBG) although the set-up installs libc6-dbg"
	not_ok "no debug file: libc frames cannot be checked"
else
	ok "# SKIP no debug file for $LIBC ($DBG): apt-get install libc6-dbg"
	ok "# SKIP no debug file for $LIBC"
fi
# Without a debug file (an empty --debug-dir replaces /usr/lib/debug),
# libc's static functions are left as offsets, as before.
if "$TREC" record --help 2>&1 | grep -q -- "--debug-dir"; then
	mkdir -p "$W/empty"
	T=$W/nodebug.data
	run "$TREC" record -q -F 999 --debug-dir "$W/empty" -o "$T" -- "$W/libcloop" 1
	check "record --debug-dir EMPTY exits 0" '[ $RC -eq 0 ]'
	run "$TREC" report --folded -i "$T"
	echo "$OUT" >"$W/nodebug.folded"
	check "without a debug file: no __libc_start_call_main, libc.so.6+0x... under main instead" \
		'! grep -q "__libc_start_call_main" "$W/nodebug.folded" && grep -q "^libcloop;.*libc.so.6+0x[0-9a-f]*;main" "$W/nodebug.folded"'
else
	ok "# SKIP trec record has no --debug-dir yet (test_rec_debuginfo checks the empty directory)"
	ok "# SKIP trec record has no --debug-dir yet"
fi

# ---- 5. the trace alone names them -------------------------------------------------------------------
rm -f "$W/ctr" "$W/libcloop"
run "$TREC" report --folded -i "$W/exited.data"
s=$(echo "$OUT" >"$W/again.folded"; summarize "$W/again.folded")
check "with the binaries deleted, the exited container's trace still names ctrapp ($s)" '[ $RC -eq 0 ] && named_ok "$s" 75'
check "and libc's static function, from the trace alone" \
	'[ -z "$BID" ] || [ ! -r "$DBG" ] || "$TREC" report --folded -i "$W/libc.data" | grep -q "__libc_start_call_main"'
