#!/usr/bin/env bash
# The layer check (docs/ARCHITECTURE.md): every #include "x.h" in a layer's
# sources must name a header of that layer or of a layer below it:
#
#   lib/         libc only: no trace format, no outside library
#   format/      lib/
#   flamegraph/  lib/
#   report/      format/, lib/
#   record/      format/, lib/, bpf/ (and the generated skeletons)
#   cli/         everything; the only code that parses argv
#
# The Makefile's per-layer include paths make most wrong includes fail to
# compile; this also catches a header reached through a path given for
# another reason, and lib/ including an outside library. Known debts are
# listed in scripts/layers-debt.txt ("FILE -> HEADER-DIR/HEADER", one per
# line) and must only shrink: a debt that no longer exists fails too, so
# the list stays true.
#
#   scripts/check-layers.sh        exit 1 on a new violation or a stale debt
set -o pipefail
cd "$(dirname "$0")/.."

declare -A ALLOW=(
	[lib]="lib"
	[format]="format lib"
	[flamegraph]="flamegraph lib"
	[report]="report format lib"
	[record]="record format lib bpf"
)
# Where each quoted header lives (a name in two layers is itself an error).
declare -A HOME_OF
dup=0
for d in lib format flamegraph report record bpf cli; do
	for h in "$d"/*.h; do
		[ -e "$h" ] || continue
		b=${h##*/}
		if [ -n "${HOME_OF[$b]:-}" ]; then
			echo "check-layers: $b is in both ${HOME_OF[$b]}/ and $d/: header names must be unique" >&2
			dup=1
		fi
		HOME_OF[$b]=$d
	done
done

debt_file=scripts/layers-debt.txt
declare -A DEBT SEEN
if [ -f "$debt_file" ]; then
	while read -r line; do
		case $line in '' | '#'*) continue ;; esac
		DEBT[$line]=1
	done <"$debt_file"
fi

bad=0
for layer in "${!ALLOW[@]}"; do
	for f in "$layer"/*.c "$layer"/*.h; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			case $inc in
			*.skel.h) home=bpf ;;
			vmlinux.h) home=bpf ;;
			*) home=${HOME_OF[$inc]:-} ;;
			esac
			# A quoted header not in any layer (a generated table, say) is
			# the Makefile's business.
			[ -n "$home" ] || continue
			case " ${ALLOW[$layer]} " in *" $home "*) continue ;; esac
			key="$f -> $home/$inc"
			if [ -n "${DEBT[$key]:-}" ]; then
				SEEN[$key]=1
				continue
			fi
			echo "check-layers: $f includes $home/$inc: $layer/ may use only ${ALLOW[$layer]// /, }" >&2
			bad=1
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
done

# Only cli/ parses argv: no getopt outside it (the engines take option
# structs). A debt line for this reads "FILE -> argv".
for layer in "${!ALLOW[@]}"; do
	for f in $(grep -l -E '\bgetopt(_long)?[[:space:]]*\(' "$layer"/*.c 2>/dev/null); do
		key="$f -> argv"
		if [ -n "${DEBT[$key]:-}" ]; then
			SEEN[$key]=1
			continue
		fi
		echo "check-layers: $f parses argv (getopt): only cli/ does" >&2
		bad=1
	done
done

# lib/ depends on libc alone.
while IFS=: read -r f _ inc; do
	echo "check-layers: $f includes $inc: lib/ depends on libc only" >&2
	bad=1
done < <(grep -Hn -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(zstd|zlib|lzma|libelf|gelf|bpf/|elfutils/|libiberty/|cmocka|ncurses|curses|protobuf-c/|libunwind|dwarf)' lib/*.[ch] 2>/dev/null)

stale=0
for key in "${!DEBT[@]}"; do
	if [ -z "${SEEN[$key]:-}" ]; then
		echo "check-layers: stale debt in $debt_file (fixed? remove the line): $key" >&2
		stale=1
	fi
done

n=${#DEBT[@]}
if [ $bad -eq 0 ] && [ $stale -eq 0 ] && [ $dup -eq 0 ]; then
	echo "check-layers: ok ($n known debts in $debt_file)"
	exit 0
fi
exit 1
