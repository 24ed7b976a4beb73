#!/usr/bin/env bash
# The unwinding benchmark: three workloads whose code keeps no frame
# pointers -- Debian's xz -9 -T1 (liblzma), samples/nofp/nofp_cxx (g++ -O2,
# libstdc++ frames between user frames) and Debian's python3 running a
# pure-Python loop -- each profiled at the same frequency by
#
#   perf record -g                     (frame pointers)
#   perf record --call-graph dwarf     (8 KiB of user stack per sample, unwound later by libdw)
#   trec record                        (trec's default: whatever its recorder does today)
#
# and run untraced, RUNS times each in this invocation, interleaved. One
# table of medians, then the goals as PASS/FAIL. Every figure is measured
# in this run; a figure that cannot be measured is printed as such.
#
#   bench/unwind_bench.sh [BUILD_DIR]   (or TREC_BUILD=DIR; default build)
#   RUNS=N (default 3)  UNWIND_HZ=F (default 999)  UNWIND_XZ_MB=M (default 20: ~9 s)
#   UNWIND_CXX_ROUNDS=R (default 2000: ~8 s)  UNWIND_PY_LOOPS=L (default 1300: ~8 s)
# Workloads of several seconds, as profiles are taken: a recorder's fixed
# start-up cost (loading and verifying its programs) is then a small part.
#   UNWIND_WORKLOADS="xz cxx py" (a subset to run)
#
# Definitions (all per workload process, i.e. samples whose comm is the
# workload's; the wrapper shell and the recorder's own samples are left out):
# - reach %: samples whose stack reaches the program's start: the root-most
#   user frame is _start, __libc_start_main (perf: __libc_start_main_impl)
#   or __libc_start_call_main, or it is an unnamed frame of the workload's
#   executable (a stripped _start) followed by one of those. Computed on
#   folded stacks: perf script | trec flamegraph --collapse-perf, and
#   trec report --folded.
# - B/sample: trace file size / samples in it.
# - rec CPU s: user+sys of the recorder alone: CPU of the recorder and
#   everything it waited for (bench/runstat, from wait4's rusage) minus the
#   workload's own (bash's `time` around the workload, inside the recorder).
#   perf's includes its end-of-run build-id pass (its default).
# - BPF ns: trec only. With sysctl kernel.bpf_stats_enabled=1 (restored
#   afterwards), run_time_ns / run_cnt summed over the recorder's perf_event
#   programs, read from /proc/PID/fdinfo of the recorder (the counters
#   bpftool prog show prints) once, by the workload's wrapper shell right
#   after the workload ends, while the recorder still holds its programs.
#   (Polled while the workload ran, the reading itself -- a process every
#   fraction of a second on a 2-core machine -- slowed the workload by a
#   few percent, in trec's runs only.) run_cnt counts every sample on every
#   CPU, the ones the target filter drops included.
# - fold s: wall seconds from the trace to folded stacks: perf script
#   (with --show-task-events, for the exec time below) plus the collapse,
#   against trec report --folded (with --debug-dir /usr/lib/debug when it
#   exists: perf reads that directory by itself).
# - 1st full ms: from the exec of the workload binary to the first sample of
#   it whose stack reaches the start (as above). The exec time is perf's
#   PERF_RECORD_COMM exec record; for trec, the exec record of the trace's
#   process history (tools/trec-tasks prints it; trec script does not), and
#   the first such sample is found by bisecting trec report --time.
# - slowdown: the workload's wall time traced / untraced - 1 (medians); the
#   goal uses it. (CPU): the same with the workload's user+sys CPU time,
#   steadier on a busy machine but blind to what runs in interrupts.
#   At -F 999 the recorders' cost is a fraction of a percent, below the
#   run-to-run noise of an 8 s workload; so the cost per sample is also
#   measured where it shows: nofp_cxx at UNWIND_HZ_HIGH (default 10000)
#   samples a second, RUNS_HIGH (default 5) times each, untraced, perf -g
#   and trec interleaved: ns per sample = (wall - untraced wall) / samples,
#   medians. That is the workload's slowdown per sample, interrupts
#   included, and the goal is judged on it too.
# perf runs with its defaults (no -z, default buffer) but -N: it does not copy
# the binaries into its build-id cache (trec keeps no such cache), a private
# one (--buildid-dir: perf 6.1 aborts on some states of ~/.debug); its
# losses are shown.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-${TREC_BUILD:-build}}
RUNS=${RUNS:-3}
HZ=${UNWIND_HZ:-999}
XZ_MB=${UNWIND_XZ_MB:-20}
CXX_ROUNDS=${UNWIND_CXX_ROUNDS:-2000}
HZ_HIGH=${UNWIND_HZ_HIGH:-10000}
RUNS_HIGH=${RUNS_HIGH:-5}
PY_LOOPS=${UNWIND_PY_LOOPS:-1300}

if [ "$(id -u)" -ne 0 ]; then
	echo "unwind_bench: needs root; skipped"
	exit 0
fi
B=$(cd "$B" && pwd)
for f in "$B/trec" "$B/bench/runstat" "$B/tools/trec-tasks" "$B/samples/nofp_cxx" /usr/bin/xz /usr/bin/python3; do
	[ -x "$f" ] || { echo "unwind_bench: $f is missing (make bench-bins, or build it into $B)" >&2; exit 1; }
done
command -v perf >/dev/null || { echo "unwind_bench: perf is not installed (linux-perf)" >&2; exit 1; }
DEBUG_ARGS=()
[ -d /usr/lib/debug/.build-id ] && DEBUG_ARGS=(--debug-dir /usr/lib/debug)

dir=$(mktemp -d /tmp/trec-ubench.XXXXXX)
stats_old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -q -w kernel.bpf_stats_enabled="$stats_old" || true
	rm -rf "$dir"
}
trap cleanup EXIT
sysctl -q -w kernel.bpf_stats_enabled=1

# ---- workloads -------------------------------------------------------------------------------
head -c $((XZ_MB * 1024 * 1024)) /dev/urandom >"$dir/input.bin"
cat >"$dir/loop.py" <<EOF
def leaf(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s

def middle(k):
    return sum(leaf(20000) for _ in range(k))

def main(loops):
    t = 0
    for _ in range(loops):
        t += middle(10)
    return t

main($PY_LOOPS)
EOF
read -r -a WORKLOADS <<<"${UNWIND_WORKLOADS:-xz cxx py}"
declare -A COMM EXE LABEL
COMM[xz]=xz EXE[xz]=xz LABEL[xz]="xz -9 -T1 (${XZ_MB} MB)"
COMM[cxx]=nofp_cxx EXE[cxx]=nofp_cxx LABEL[cxx]="nofp_cxx -n $CXX_ROUNDS"
COMM[py]=python3 EXE[py]=$(basename "$(readlink -f /usr/bin/python3)") LABEL[py]="python3 loop.py"
wl_cmd() { # WORKLOAD: sets CMD
	case $1 in
	xz) CMD=(/usr/bin/xz -9 -T1 -c "$dir/input.bin") ;;
	cxx) CMD=("$B/samples/nofp_cxx" -n "$CXX_ROUNDS") ;;
	py) CMD=(/usr/bin/python3 -E "$dir/loop.py") ;;
	esac
}
# The workload inside bash's `time`: wall, user and system seconds into $WL_TIMES.
# shellcheck disable=SC2016
# The workload runs on the last CPU, untraced and under every recorder
# alike: a workload that migrates runs on cold caches, and on a 2-core
# machine that noise was larger than the differences measured.
export WL_CPU=$(($(nproc) - 1))
# Then, when $WL_BPF is set, the BPF run time of the perf_event programs
# (type 7) its parent -- the recorder -- holds: "run_time_ns run_cnt".
WRAP='TIMEFORMAT="%R %U %S"; { time taskset -c "$WL_CPU" "$@" >/dev/null 2>&1; } 2>"$WL_TIMES"
[ -z "${WL_BPF:-}" ] || awk '"'"'function flush() { if (p == 7) { t += rt; c += rc } p = rt = rc = 0 }
	FNR == 1 { flush() } /^prog_type:/ { p = $2 } /^run_time_ns:/ { rt = $2 } /^run_cnt:/ { rc = $2 }
	END { flush(); if (c) print t, c }'"'"' /proc/$PPID/fdinfo/* >"$WL_BPF" 2>/dev/null'

# ---- the analysis of folded stacks and perf script text ---------------------------------------
cat >"$dir/an.py" <<'PY'
import re, sys
START = {"_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main"}

def name(f):
    return f.split("@", 1)[0]  # trec shows versioned .dynsym names: __libc_start_main@@GLIBC_2.34

def reaches(user, exe):
    """user: user frames, root first."""
    if not user:
        return False
    if name(user[0]) in START:
        return True
    unnamed = user[0] == "[%s]" % exe or user[0].startswith(exe + "+0x")
    return unnamed and len(user) > 1 and name(user[1]) in START

def folded(path, comm, exe):
    good = total = 0
    for line in open(path):
        stack, n = line.rstrip("\n").rsplit(" ", 1)
        fr = stack.split(";")
        if fr[0] != comm:
            continue
        total += int(n)
        if reaches([f for f in fr[1:] if not f.endswith("_[k]")], exe):
            good += int(n)
    return good, total

def perf_first(path, comm, exe):
    """ms from the exec of COMM to its first sample that reaches the start."""
    exec_t, pid, t, user, hit = None, None, None, [], None
    head = re.compile(r"^\s*(.*?)\s+(\d+)\s+(?:\[\d+\]\s+)?(\d+\.\d+):\s+(.*)$")
    frame = re.compile(r"^\s+[0-9a-f]+\s+(.*)\s+\(([^()]*)\)$")
    def done():
        return exec_t is not None and t is not None and reaches(user[::-1], exe)
    for line in open(path, errors="replace"):
        if not line.strip():
            if pid is not None and done():
                hit = t
                break
            t, user = None, []
            continue
        m = head.match(line) if not line[0].isspace() else None
        if m:
            rest = m.group(4)
            if "PERF_RECORD_COMM exec:" in rest and rest.split("exec: ", 1)[1].startswith(comm + ":"):
                exec_t, pid = float(m.group(3)), m.group(2)
            elif pid is not None and m.group(2) == pid and "PERF_RECORD" not in rest:
                t, user = float(m.group(3)), []
            continue
        f = frame.match(line)
        if f and t is not None and "kernel.kallsyms" not in f.group(2):
            sym = re.sub(r"\+0x[0-9a-f]+$", "", f.group(1))
            if sym == "[unknown]":
                sym = "[%s]" % f.group(2).rsplit("/", 1)[-1]
            user.append(sym)
    if hit is None and pid is not None and done():
        hit = t
    if exec_t is None:
        return "no-exec"
    return "never" if hit is None else "%.1f" % ((hit - exec_t) * 1000)

cmd = sys.argv[1]
if cmd == "reach":
    print("%d %d" % folded(sys.argv[2], sys.argv[3], sys.argv[4]))
elif cmd == "perf-first":
    print(perf_first(sys.argv[2], sys.argv[3], sys.argv[4]))
elif cmd == "median":  # values on stdin; "never" counts as infinite, other words are left out
    words = sys.stdin.read().split()
    v = sorted(float("inf") if x == "never" else float(x) for x in words
               if x == "never" or re.match(r"^-?[0-9.]+$", x))
    if not v:
        print("/".join(sorted(set(words))) or "-")
    else:
        m = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
        print("never" if m == float("inf") else "%g" % m)
PY
an() { python3 "$dir/an.py" "$@"; }
stat_of() { sed -n "s/.*$2=\\([^ ]*\\).*/\\1/p" "$1"; }
now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }

# One measurement: WORKLOAD TOOL RUN. Appends "key=value" lines to $dir/r.WORKLOAD.TOOL.
measure() {
	local w=$1 tool=$2 r=$3 base="$dir/$1.$2.$3" try st t0 t1
	local out="$dir/r.$w.$tool"
	wl_cmd "$w"
	export WL_TIMES="$base.times"
	case $tool in
	none)
		bash -c "$WRAP" wl "${CMD[@]}"
		awk '{print "wall=" $1; print "wl_cpu=" $2 + $3}' "$WL_TIMES" >>"$out"
		return
		;;
	perf-fp) REC=(perf --buildid-dir "$dir/perf-buildids" record -q -N -F "$HZ" -g -o "$base.data") ;;
	perf-dwarf) REC=(perf --buildid-dir "$dir/perf-buildids" record -q -N -F "$HZ" --call-graph dwarf -o "$base.data") ;;
	trec) REC=("$B/trec" record -q -F "$HZ" -o "$base.data") ;;
	esac
	# perf 6.1 aborts now and then here at the end of a recording ("stack
	# smashing detected", or an assertion in util/build-id.c): run again,
	# up to 5 times, and say so.
	for try in 1 2 3 4 5; do
		rm -f "$base.data" "$base.bpf"
		# set again each time: another process on the machine may have reset it
		[ "$tool" = trec ] && sysctl -q -w kernel.bpf_stats_enabled=1
		WL_BPF=
		[ "$tool" = trec ] && WL_BPF="$base.bpf"
		WL_BPF=$WL_BPF "$B/bench/runstat" "$base.stat" "${REC[@]}" -- bash -c "$WRAP" wl "${CMD[@]}" >"$base.log" 2>&1 || true
		if [ "$tool" = trec ] && [ "$(sysctl -n kernel.bpf_stats_enabled)" != 1 ]; then
			echo "unwind_bench: kernel.bpf_stats_enabled was reset during the $w run by another process" >&2
		fi
		st=$(stat_of "$base.stat" status)
		[ "$st" = 0 ] && [ -s "$base.data" ] && break
		echo "unwind_bench: $tool on $w exited with status $st (try $try): $(tail -1 "$base.log")" >&2
		echo "retry=1" >>"$out"
	done
	[ "$st" = 0 ] || { echo "run=failed" >>"$out"; return; }
	local wall user sys
	read -r wall user sys <"$WL_TIMES"
	local rec_cpu
	rec_cpu=$(awk -v a="$(stat_of "$base.stat" cpu_s)" -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", a - u - s}')
	local bytes samples lost fold_s fold_cpu first reach bpf="n/a"
	bytes=$(stat -c %s "$base.data")
	if [ "$tool" = trec ]; then
		read -r samples lost < <("$B/trec" info --json -i "$base.data" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(sum(t["count"] for t in d["event_types"] if t["name"] == "cpu-clock"), d["lost"])')
		t0=$(now)
		"$B/bench/runstat" "$base.rstat" "$B/trec" report --folded "${DEBUG_ARGS[@]}" -i "$base.data" >"$base.folded" 2>/dev/null
		t1=$(now)
		fold_s=$(fsub "$t1" "$t0")
		fold_cpu=$(stat_of "$base.rstat" cpu_s)
		if [ -s "$base.bpf" ]; then
			bpf=$(awk '{printf "%.0f", $1 / $2}' "$base.bpf")
			echo "bpf_per_rec=$(awk -v s="$samples" '{printf "%.0f", s ? $1 / s : 0}' "$base.bpf")" >>"$out"
			echo "rec_share=$(awk -v s="$samples" '{printf "%.1f", 100 * s / $2}' "$base.bpf")" >>"$out"
		fi
		first=$(trec_first "$w" "$base.data")
	else
		samples=$(perf --buildid-dir "$dir/perf-buildids" report -i "$base.data" --stats 2>/dev/null | awk '/SAMPLE events:/ {print $3; exit}')
		lost=$(perf --buildid-dir "$dir/perf-buildids" report -i "$base.data" --stats 2>/dev/null | awk '/LOST/ && /events:/ {l += $3} END {print l + 0}')
		t0=$(now)
		"$B/bench/runstat" "$base.sstat" perf --buildid-dir "$dir/perf-buildids" script --show-task-events -i "$base.data" >"$base.txt" 2>/dev/null
		"$B/bench/runstat" "$base.cstat" "$B/trec" flamegraph --kernel --collapse-perf "$base.txt" \
			>"$base.folded" 2>/dev/null
		t1=$(now)
		fold_s=$(fsub "$t1" "$t0")
		fold_cpu=$(awk -v a="$(stat_of "$base.sstat" cpu_s)" -v b="$(stat_of "$base.cstat" cpu_s)" 'BEGIN {print a + b}')
		first=$(an perf-first "$base.txt" "${COMM[$w]}" "${EXE[$w]}")
	fi
	reach=$(an reach "$base.folded" "${COMM[$w]}" "${EXE[$w]}")
	{
		echo "wall=$wall"
		echo "wl_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
		echo "rec_cpu=$rec_cpu"
		echo "samples=$samples"
		echo "lost=$lost"
		echo "bps=$(awk -v b="$bytes" -v s="$samples" 'BEGIN {printf "%.1f", s ? b / s : 0}')"
		echo "reach=$(echo "$reach" | awk '{printf "%.1f", $2 ? 100 * $1 / $2 : 0}')"
		echo "fold_s=$fold_s"
		echo "fold_cpu=$fold_cpu"
		echo "bpf=$bpf"
		echo "first=$first"
	} >>"$out"
	rm -f "$base.data" "$base.txt" "$base.folded"
}

# trec: ms from the workload's exec (the trace's process history, printed
# by tools/trec-tasks) to its first sample that reaches the start, by
# bisecting the end of trec report --time over 0.5 ms steps.
trec_first() {
	local w=$1 data=$2 first_ns dur_ns exec_ns lo hi mid
	wl_cmd "$w"
	read -r first_ns dur_ns < <("$B/trec" info --json -i "$data" | python3 -c 'import json,sys
d = json.load(sys.stdin); print(d["first_ns"], d["duration_ns"])')
	exec_ns=$("$B/tools/trec-tasks" "$data" | awk -v c="${COMM[$w]}" '$2 == "exec" && $6 == c { print $1; exit }')
	[ -n "$exec_ns" ] || { echo no-exec; return; }
	reached() { # END_NS (relative to the first event): any reaching sample up to it?
		local end
		end=$(awk -v n="$1" 'BEGIN {printf "%.6f", n / 1e9}')
		"$B/trec" report --folded "${DEBUG_ARGS[@]}" --comm "${COMM[$w]}" --time ",$end" -i "$data" \
			>"$data.part" 2>/dev/null || true
		[ -s "$data.part" ] && [ "$(an reach "$data.part" "${COMM[$w]}" "${EXE[$w]}" | cut -d' ' -f1)" -gt 0 ]
	}
	lo=$((exec_ns - first_ns)) hi=$dur_ns
	reached "$hi" || { echo never; return; }
	while [ $((hi - lo)) -gt 500000 ]; do
		mid=$(((lo + hi) / 2))
		if reached "$mid"; then hi=$mid; else lo=$mid; fi
	done
	awk -v h="$hi" -v e="$((exec_ns - first_ns))" 'BEGIN {printf "%.1f", (h - e) / 1e6}'
}

med() { # FILE KEY: median of KEY's values over the runs
	sed -n "s/^$2=//p" "$1" 2>/dev/null | an median
}

echo "## unwinding without frame pointers: ${RUNS} runs of each, medians; -F $HZ; $(nproc) cores, kernel $(uname -r)"
echo "## perf $(perf version 2>/dev/null | awk '{print $3}'), trec $("$B/trec" --version | awk '{print $2}')"
TOOLS=(none perf-fp perf-dwarf trec)
for w in "${WORKLOADS[@]}"; do # once untraced first, not measured: page cache, CPU frequency
	wl_cmd "$w"
	"${CMD[@]}" >/dev/null 2>&1
done
for r in $(seq "$RUNS"); do
	for w in "${WORKLOADS[@]}"; do
		# each round starts with another tool, so that none always runs
		# right after the same one (perf dwarf's big files, for instance)
		for i in 0 1 2 3; do
			measure "$w" "${TOOLS[$(((i + r) % 4))]}" "$r"
		done
	done
done

ROW="%-24s %-23s %7s %9s %8s %7s %7s %8s %11s %9s %9s %6s\n"
# shellcheck disable=SC2059
printf "\n$ROW" workload recorder "reach %" "B/sample" "rec CPU" "BPF ns" "fold s" samples "1st full ms" \
	"slowdown" "(CPU)" lost
declare -A M
for w in "${WORKLOADS[@]}"; do
	M[$w.none.wall]=$(med "$dir/r.$w.none" wall)
	M[$w.none.wl_cpu]=$(med "$dir/r.$w.none" wl_cpu)
	# shellcheck disable=SC2059
	printf "$ROW" "${LABEL[$w]}" "untraced: ${M[$w.none.wall]} s" - - - - - - - - - -
	for tool in perf-fp perf-dwarf trec; do
		f="$dir/r.$w.$tool"
		for k in wall wl_cpu rec_cpu samples lost bps reach fold_s fold_cpu bpf first; do
			M[$w.$tool.$k]=$(med "$f" $k)
		done
		for k in wall wl_cpu; do
			M[$w.$tool.slow_$k]=$(awk -v t="${M[$w.$tool.$k]}" -v n="${M[$w.none.$k]}" \
				'BEGIN {if (t + 0 > 0 && n + 0 > 0) printf "%.1f%%", 100 * (t / n - 1); else print "-"}')
		done
		case $tool in
		perf-fp) name="perf record -g" ;;
		perf-dwarf) name="perf --call-graph dwarf" ;;
		trec) name="trec record" ;;
		esac
		# shellcheck disable=SC2059
		printf "$ROW" "" "$name" "${M[$w.$tool.reach]}" "${M[$w.$tool.bps]}" "${M[$w.$tool.rec_cpu]}" \
			"${M[$w.$tool.bpf]}" "${M[$w.$tool.fold_s]}" "${M[$w.$tool.samples]}" "${M[$w.$tool.first]}" \
			"${M[$w.$tool.slow_wall]}" "${M[$w.$tool.slow_wl_cpu]}" "${M[$w.$tool.lost]}"
	done
done

line="trec BPF time per sample in the file (run_time_ns / samples recorded; run_cnt also counts samples the target filter drops):"
for w in "${WORKLOADS[@]}"; do
	line+=" ${COMM[$w]} $(med "$dir/r.$w.trec" bpf_per_rec) ns ($(med "$dir/r.$w.trec" rec_share)% of runs recorded);"
done
echo "${line%;}"
retries=$(cat "$dir"/r.* | grep -c '^retry=' || true)
failed=$(cat "$dir"/r.* | grep -c '^run=failed' || true)
[ "$retries" -eq 0 ] && [ "$failed" -eq 0 ] ||
	echo "recordings run again after the recorder failed: $retries; given up after 5 tries: $failed (left out of the medians)"

# ---- cost per sample, at a frequency where it shows ----------------------------------------------
# nofp_cxx (a fixed amount of CPU work) for ~2 s at $HZ_HIGH Hz: untraced,
# perf -g and trec, interleaved; wall seconds and samples per run.
high_run() { # TOOL RUN: appends "wall samples" to $dir/h.TOOL
	local tool=$1 base="$dir/high.$1.$2" cmd=("$B/samples/nofp_cxx" -n 500)
	export WL_TIMES="$base.times" WL_BPF=
	case $tool in
	none) bash -c "$WRAP" wl "${cmd[@]}" ;;
	perf-fp) perf --buildid-dir "$dir/perf-buildids" record -q -N -F "$HZ_HIGH" -g -o "$base.data" -- \
		bash -c "$WRAP" wl "${cmd[@]}" >/dev/null 2>&1 || true ;;
	trec) "$B/trec" record -q -f -F "$HZ_HIGH" -o "$base.data" -- bash -c "$WRAP" wl "${cmd[@]}" >/dev/null 2>&1 || true ;;
	esac
	local wall n=0
	read -r wall _ <"$WL_TIMES"
	case $tool in
	perf-fp) n=$(perf --buildid-dir "$dir/perf-buildids" report -i "$base.data" --stats --comm nofp_cxx 2>/dev/null |
		awk '/SAMPLE events:/ {print $3; exit}') ;;
	trec) n=$("$B/trec" report --summary --json --comm nofp_cxx -i "$base.data" 2>/dev/null |
		python3 -c 'import json,sys; print(sum(r.get("samples", 0) for r in json.load(sys.stdin)["rows"]))') ;;
	esac
	echo "$wall ${n:-0}" >>"$dir/h.$tool"
	rm -f "$base.data"
}
if [[ " ${WORKLOADS[*]} " == *" cxx "* ]] && [ "$RUNS_HIGH" -gt 0 ]; then
	# No BPF time is read here: the statistics (two clock reads per program
	# run) would be counted as trec's cost per sample.
	sysctl -q -w kernel.bpf_stats_enabled="$stats_old"
	for r in $(seq "$RUNS_HIGH"); do
		for i in 0 1 2; do
			t=(none perf-fp trec)
			high_run "${t[$(((i + r) % 3))]}" "$r"
		done
	done
	hw() { awk '{print $1}' "$dir/h.$1" | an median; }
	hn() { awk '{print $2}' "$dir/h.$1" | an median; }
	nsps() { awk -v w="$(hw "$1")" -v u="$(hw none)" -v n="$(hn "$1")" 'BEGIN {if (n > 0) printf "%.0f", (w - u) * 1e9 / n; else print "-"}'; }
	NS_PERF=$(nsps perf-fp) NS_TREC=$(nsps trec)
	echo
	echo "## cost per sample: nofp_cxx -n 500 at -F $HZ_HIGH, $RUNS_HIGH runs each, medians (wall - untraced wall) / samples"
	printf "  untraced %s s; perf record -g: %s s, %s samples, %s ns/sample; trec record: %s s, %s samples, %s ns/sample\n" \
		"$(hw none)" "$(hw perf-fp)" "$(hn perf-fp)" "$NS_PERF" "$(hw trec)" "$(hn trec)" "$NS_TREC"
fi

# ---- goals ----------------------------------------------------------------------------------
echo
echo "## goals, as value / target ratios (n/a: not measured)"
verdict() { # RATIO [ge]: PASS when <= 1 (with ge: when >= 1)
	awk -v r="$1" -v ge="${2:-}" 'BEGIN {if (r == "" || r == "-") print "n/a"
		else if (ge ? r + 0 >= 1 : r + 0 <= 1) print "PASS"; else print "FAIL"}'
}
fsum() { # A B SCALE: (A + B) * SCALE, or - when A or B was not measured
	awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN {if (a == "-" || b == "-" || a == "" || b == "") print "-"; else print (a + b) * k}'
}
ratio() { # NUM DEN
	awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.3f", a / b}'
}
for w in "${WORKLOADS[@]}"; do
	rr=$(ratio "${M[$w.trec.reach]}" 98)
	printf "%-66s %-46s %s\n" "trec reaches the start in >= 98% of samples: ${COMM[$w]}" \
		"${M[$w.trec.reach]}% (x/98 = $rr, needs >= 1)" "$(verdict "$rr" ge)"
done
for w in "${WORKLOADS[@]}"; do
	r1=$(ratio "${M[$w.trec.bps]}" 30)
	r2=$(ratio "${M[$w.trec.bps]}" "$(fsum "${M[$w.perf-dwarf.bps]}" 0 0.01)")
	v1=$(verdict "$r1") v2=$(verdict "$r2")
	case $v1$v2 in
	*n/a*) v=n/a ;;
	PASSPASS) v=PASS ;;
	*) v=FAIL ;;
	esac
	printf "%-66s %-46s %s\n" "trec B/sample <= 30 and <= perf dwarf's / 100: ${COMM[$w]}" \
		"${M[$w.trec.bps]} B (x/30 = $r1, x/(dwarf/100) = $r2; <= 1)" "$v"
done
for w in "${WORKLOADS[@]}"; do
	t=$(fsum "${M[$w.trec.rec_cpu]}" "${M[$w.trec.fold_cpu]}" 1)
	p=$(fsum "${M[$w.perf-dwarf.rec_cpu]}" "${M[$w.perf-dwarf.fold_cpu]}" 1)
	rr=$(ratio "$t" "$(fsum "$p" 0 0.2)")
	printf "%-66s %-46s %s\n" "trec record+report CPU <= perf dwarf record+script / 5: ${COMM[$w]}" \
		"${t} s vs ${p} s (x/(p/5) = $rr; <= 1)" "$(verdict "$rr")"
done
for w in "${WORKLOADS[@]}"; do
	ts=${M[$w.trec.slow_wall]%\%} ps=${M[$w.perf-fp.slow_wall]%\%}
	# slowdowns can be 0 or negative (noise): compare wall times instead
	rr=$(ratio "${M[$w.trec.wall]}" "${M[$w.perf-fp.wall]}")
	printf "%-66s %-46s %s\n" "trec slowdown <= perf -g's: ${COMM[$w]}" "${ts}% vs ${ps}% (wall x/perf = $rr; <= 1)" \
		"$(verdict "$rr")"
done
if [ -n "${NS_TREC:-}" ]; then
	rr=$(awk -v t="$NS_TREC" -v p="$NS_PERF" 'BEGIN {if (t == "-" || p == "-") print "-"; else if (p <= 0) print (t <= p ? 1 : 99); else printf "%.3f", t / p}')
	printf "%-66s %-46s %s\n" "trec slowdown per sample <= perf -g's (-F $HZ_HIGH): nofp_cxx" \
		"${NS_TREC} ns vs ${NS_PERF} ns (x/perf = $rr; <= 1)" "$(verdict "$rr")"
fi
