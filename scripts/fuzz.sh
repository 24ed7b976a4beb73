#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c target with libFuzzer + ASan + UBSan and runs
# each for SECONDS (default 30) on a scratch copy of its seed corpus
# fuzz/corpus/<name>/, so runs never grow the committed seeds.
#
#   scripts/fuzz.sh [SECONDS]
#
# Exits non-zero if any target fails to build or finds a crash; the
# crashing input is kept in build/fuzz/ and its path printed.
set -euo pipefail

cd "$(dirname "$0")/.."
secs=${1:-30}
case $secs in
'' | *[!0-9]*)
	echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2
	exit 2
	;;
esac

shopt -s nullglob
targets=(fuzz/fuzz_*.c)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets (fuzz/fuzz_*.c); nothing to do"
	exit 0
fi

CLANG=${CLANG:-clang}
out=build/fuzz
mkdir -p "$out"
# The fuzz targets call the analysis half: lib/, the format, the report's
# engines, the flame graph renderer and the perf-script collapser, and the
# analysis commands of cli/ (not main or the recorder's commands). The
# report needs the generated system call names (make builds them into
# build/gen). fuzz_cfi's CFI compiler (record/cfi.c, cfi_insn.c) and fuzz_ksyms's text
# symbol parsers (record/ksyms.c, ksym_named.c) and fuzz_tp_format's format file parser
# (record/tp_format.c) and fuzz_control's command lines (record/control.c) need nothing
# else from record/.
format_srcs=(lib/*.c format/*.c report/*.c flamegraph/*.c record/cfi.c record/cfi_insn.c record/ksyms.c record/ksym_named.c record/tp_format.c record/control.c)
for f in cli/*.c; do
	case $f in cli/main.c | cli/cmd_record.c | cli/cmd_list.c) ;; *) format_srcs+=("$f") ;; esac
done
make --no-print-directory -s build/gen/syscalls_x86_64.h
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: checksums are not enforced, so
# mutated payloads reach the decoders instead of failing the CRC.
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
cflags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -Wno-macro-redefined -Ilib -Iformat -Iflamegraph -Ireport -Icli -Ibuild/gen -Irecord -Ibpf)

# The shared sources once, on every CPU, with coverage but without
# libFuzzer's main (fuzzer-no-link); each target then only links them.
# Compiling them again for each of the targets was most of the smoke run.
objdir=$out/obj
mkdir -p "$objdir"
objcflags=("${cflags[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=fuzzer-no-link,address,undefined}")
export CLANG objdir
if ! printf '%s\n' "${format_srcs[@]}" |
	xargs -P "$(nproc)" -I{} sh -c 'src=$1; shift; exec "$CLANG" "$@" -c -o "$objdir/$(echo "$src" | tr / _).o" "$src"' sh {} \
		"${objcflags[@]}"; then
	echo "fuzz.sh: building the shared sources failed" >&2
	exit 1
fi
objs=()
for f in "${format_srcs[@]}"; do
	objs+=("$objdir/$(echo "$f" | tr / _).o")
done

failed=0
for src in "${targets[@]}"; do
	name=$(basename "$src" .c)
	bin=$out/$name
	echo "== $name: building"
	if ! "$CLANG" "${cflags[@]}" -o "$bin" "$src" "${objs[@]}" -lzstd -lm -pthread; then
		echo "fuzz.sh: $name: build failed" >&2
		failed=$((failed + 1))
		continue
	fi

	seeds=fuzz/corpus/$name
	mkdir -p "$seeds"
	work=$out/corpus-$name
	rm -rf "$work"
	mkdir -p "$work"
	cp -R "$seeds/." "$work/" 2>/dev/null || true

	echo "== $name: running ${secs}s on $(find "$work" -type f | wc -l) seeds"
	log=$out/$name.log
	rc=0
	# -artifact_prefix keeps crash-*/leak-*/timeout-* files in build/fuzz/.
	(cd "$out" && ./"$name" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="./$name-" \
		"corpus-$name") >"$log" 2>&1 || rc=$?

	# libFuzzer's last status line ("#N DONE cov: .. ft: .. corp: .. exec/s: ..")
	# and its final stats give executions and coverage.
	grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true
	grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz.sh: $name FAILED (exit $rc); from $log:" >&2
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 >&2 || true
		for a in "$out/$name"-crash-* "$out/$name"-leak-* "$out/$name"-timeout-* "$out/$name"-oom-*; do
			echo "fuzz.sh: crashing input kept: $a (replay: $bin $a)" >&2
		done
	else
		echo "== $name: ok"
	fi
done

exit $((failed > 0))
