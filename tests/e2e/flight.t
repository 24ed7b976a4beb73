#!/usr/bin/env bash
# The flight recorder (trec record --overwrite, docs/RECORD.md): a workload
# emits a numbered sequence (samples/flight_seq: number n is close(1000000 +
# n), seen by syscalls:sys_enter_close as fd), triggers fire at known
# numbers, and each snapshot must hold exactly the numbers of its window:
# contiguous, none lost, none twice. Then the memory bound over a long
# storm (VmRSS sampled), and SIGKILL while a snapshot is being written.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

SAMPLES=$TREC_BUILD/samples
if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF); run as root"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v python3 >/dev/null || skip_all "python3 not installed"

plan 26

# System-wide, so only fds no process has: 1000000 + n for n up to 10^9
# (close(-1) elsewhere on the host is fd 4294967295).
SEQ=(-a -e syscalls:sys_enter_close --filter "fd>=1000000&&fd<=1001000000")
info_field() { # FILE FIELD
	"$TREC" info --json -i "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
# "FIRST LAST COUNT DISTINCT" of the sequence numbers in a trace.
numbers() {
	# JSON: the text form prints fd in hex, as the tracepoint's print fmt does
	"$TREC" script --json -i "$1" | python3 -c 'import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("comm") == "flight_seq" and "fd" in e.get("fields", {}):
        print(e["fields"]["fd"] - 1000000)' |
		sort -n | awk 'NR == 1 { f = $1 } { l = $1; c++; if (!($1 in seen)) d++; seen[$1] = 1 }
			END { print f + 0, l + 0, c + 0, d + 0 }'
}
# Starts a recorder in DIR with a control FIFO and waits until its loop
# answers "ping": REC is its pid; fd 3 reads its answers.
start() { # DIR ARGS...
	local d=$1
	shift
	mkdir -p "$d"
	mkfifo "$d/ctl" "$d/ack"
	exec 3<>"$d/ack"
	"$TREC" record --overwrite --control "fifo:$d/ctl,$d/ack" -o "$d/snap" "$@" 2>"$d/rec.err" &
	REC=$!
	echo ping >"$d/ctl"
	read -r -t 60 ANSWER <&3
}
command_() { # DIR COMMAND: sends it, waits for the answer (ANSWER)
	ANSWER=""
	echo "$2" >"$1/ctl"
	read -r -t 60 ANSWER <&3
}
stop() { # DIR
	command_ "$1" stop
	wait $REC
	RC=$?
	exec 3<&-
}
snaps() { ls "$1"/snap.* 2>/dev/null; }
# Waits until DIR holds N complete snapshots (SIGUSR2 has no answer).
wait_snaps() { # DIR N
	for _ in $(seq 300); do
		[ "$(grep -c '^trec record: wrote' "$1/rec.err")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- an event trigger at a known number -------------------------------------------------------
D=$TAP_TMP/event
start "$D" "${SEQ[@]}" --snapshot-on 'syscalls:sys_enter_close:fd == 1000500'
check "the recorder answers ping on its ACK FIFO" '[ "$ANSWER" = ack ]'
"$SAMPLES/flight_seq" 1 1000 >/dev/null
sleep 0.5
stop "$D"
S=$(snaps "$D")
read -r f l c d <<<"$(numbers "$S")"
check "--snapshot-on fd == 1000500 (--post 0): one snapshot, exactly 1..500 ($f..$l, $c numbers, $d distinct)" \
	'[ $RC -eq 0 ] && [ "$(echo "$S" | wc -l)" = 1 ] && [ "$f $l $c $d" = "1 500 500 500" ]'
check "the snapshot is named OUTPUT.0001.<time> and is complete" \
	'[[ $S =~ /snap\.0001\.[0-9]{17}$ ]] && [ "$(info_field "$S" truncated)" = False ] && [ "$(info_field "$S" has_index)" = True ]'
run "$TREC" info -i "$S"
check "its metadata names the trigger and the sequence number" \
	'[[ $OUT == *"record.snapshot.trigger"*event* ]] && [[ $OUT == *"record.snapshot.seq"*1* ]]'
run "$TREC" report --json -i "$S"
check "its process history names the workload" '[[ $OUT == *flight_seq* ]]'
check "the recorder says so and stops on the stop command" \
	'grep -q "flight recorder: 1 snapshot" "$D/rec.err" && grep -q "stopped: stop command" "$D/rec.err"'

# ---- a probe as typed with -e, its return value ------------------------------------------------
# probed's delta(i, 2i) returns -i for i = 0..99: the trigger at -50.
D=$TAP_TMP/probe
mkdir -p "$D"
run "$TREC" record --overwrite -o "$D/snap" -e "ur:$SAMPLES/probed:delta" \
	--snapshot-on "ur:$SAMPLES/probed:delta:ret == -50" -- "$SAMPLES/probed" 100
rets=$("$TREC" script -i "$(snaps "$D")" | sed -n 's/.*: ret=\(-*[0-9]*\)$/\1/p' | tr '\n' ' ')
check "--snapshot-on ur:PATH:delta:ret == -50: exactly the returns 0..-50, in order" \
	'[ $RC -eq 0 ] && [ "$rets" = "$(seq 0 -1 -50 | tr "\n" " ")" ]'

# ---- a latency trigger: a return probe's time since its entry -------------------------------
# probed calls sleep_us(3000) three times, then sleep_us(12000) twice: the
# first call over 10 ms fires; the second comes within --snapshot-interval.
D=$TAP_TMP/lat
mkdir -p "$D"
run "$TREC" record --overwrite -o "$D/snap" -e "u:$SAMPLES/probed:sleep_us" -e "ur:$SAMPLES/probed:sleep_us" \
	--snapshot-on "ur:$SAMPLES/probed:sleep_us:latency > 10000000" -- "$SAMPLES/probed" 10
S=$(snaps "$D")
lat=$("$TREC" script --json -i "$S" 2>/dev/null | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
ents = [e["time_ns"] for e in ev if e["event"].startswith("uprobe:")]
rets = [e["time_ns"] for e in ev if e["event"].startswith("uretprobe:")]
lat = [(r - e) / 1e6 for e, r in zip(ents, rets)]
print(len(ents), len(rets), "slow" if lat and lat[-1] >= 12 and all(x < 10 for x in lat[:-1]) else lat)')
to=$("$TREC" info --json -i "$S" | python3 -c 'import json,sys; m=json.load(sys.stdin)["metadata"]; print(m["record.snapshot.window_ns"].split("-")[1])')
last=$("$TREC" script --json -i "$S" 2>/dev/null | python3 -c '
import json, sys
print([json.loads(l)["time_ns"] for l in sys.stdin if "uretprobe:" in l][-1])')
check "--snapshot-on ur:...:sleep_us:latency > 10 ms: one snapshot, ending at the first 12 ms call's return ($lat; $to vs $last)" \
	'[ $RC -eq 0 ] && [ "$(snaps "$D" | wc -w)" = 1 ] && [ "$lat" = "4 4 slow" ] && [ "$to" = "$last" ]'

# ---- CPU samples with stacks: the snapshot carries their symbols ---------------------------
# cpu_split burns CPU for 4 s; a snapshot of the last 2 s, then the binary
# is removed: the report must name its functions from the snapshot alone.
D=$TAP_TMP/stacks
mkdir -p "$D/bin"
cp "$SAMPLES/cpu_split" "$D/bin/cpu_split"
start "$D" --window 2s -F 499 -- "$D/bin/cpu_split" 4
sleep 3
command_ "$D" snapshot
wait $REC
exec 3<&-
rm -f "$D/bin/cpu_split"
S=$(snaps "$D")
dur=$(info_field "$S" duration_ns)
check "a 2 s window of a 4 s profile: samples over at most 2 s ($dur ns)" \
	'[ "$ANSWER" = ack ] && [ "$(info_field "$S" events)" -gt 50 ] && [ "$dur" -le 2000000000 ]'
run "$TREC" report --top -i "$S"
check "its stacks are named from the snapshot's own symbol tables (hot_a, hot_b, main)" \
	'[[ $OUT == *hot_a* ]] && [[ $OUT == *hot_b* ]] && [[ $OUT == *main* ]]'

# ---- --post: the trigger at 500, the window runs on ---------------------------------------
D=$TAP_TMP/post
start "$D" "${SEQ[@]}" --post 2s --snapshot-on 'syscalls:sys_enter_close:fd == 1000500'
"$SAMPLES/flight_seq" 1 1000 >/dev/null
wait_snaps "$D" 1
"$SAMPLES/flight_seq" 1001 1100 >/dev/null
stop "$D"
read -r f l c d <<<"$(numbers "$(snaps "$D")")"
check "--post 2s: the numbers after the trigger too, exactly 1..1000 ($f..$l, $c, $d distinct), not the later 1001.." \
	'[ "$f $l $c $d" = "1 1000 1000 1000" ]'

# ---- two snapshots by SIGUSR2, a time window ------------------------------------------------
# 1..1000 happen more than --window before the first trigger; 1001..2000
# just before it. Then 2001..2500 more than --window after, and the second.
D=$TAP_TMP/signal
start "$D" "${SEQ[@]}" --window 3s
"$SAMPLES/flight_seq" 1 1000 >/dev/null
sleep 4.5
"$SAMPLES/flight_seq" 1001 2000 $REC >/dev/null
wait_snaps "$D" 1
sleep 4.5
"$SAMPLES/flight_seq" 2001 2500 $REC >/dev/null
wait_snaps "$D" 2
stop "$D"
mapfile -t SS < <(snaps "$D")
read -r f l c d <<<"$(numbers "${SS[0]}")"
check "SIGUSR2 at 2000, --window 3s: the first snapshot holds exactly 1001..2000 ($f..$l, $c, $d distinct)" \
	'[ ${#SS[@]} = 2 ] && [ "$f $l $c $d" = "1001 2000 1000 1000" ]'
read -r f l c d <<<"$(numbers "${SS[1]}")"
check "the second, at 2500: exactly 2001..2500 ($f..$l, $c, $d distinct)" '[ "$f $l $c $d" = "2001 2500 500 500" ]'
check "numbered 0001 and 0002, the recording went on between them" \
	'[[ ${SS[0]} == */snap.0001.* ]] && [[ ${SS[1]} == */snap.0002.* ]] && grep -q "flight recorder: 2 snapshots" "$D/rec.err"'

# ---- the byte cap: the oldest go, what stays is whole ---------------------------------------
# 300000 numbers (about 14 MB in memory) against --window-size 1M.
D=$TAP_TMP/cap
start "$D" "${SEQ[@]}" --window-size 1M -m 32M
"$SAMPLES/flight_seq" 1 300000 >/dev/null
sleep 0.5
command_ "$D" snapshot
A1=$ANSWER
stop "$D"
read -r f l c d <<<"$(numbers "$(snaps "$D")")"
check "the control FIFO's snapshot is answered \"ack\" once written" '[ "$A1" = ack ]'
check "--window-size 1M: the newest numbers, contiguous up to 300000 ($f..$l, $c, $d distinct)" \
	'[ "$l" = 300000 ] && [ "$f" -gt 1 ] && [ $((l - f + 1)) = "$c" ] && [ "$c" = "$d" ] && [ "$c" -gt 5000 ]'
check "nothing was lost on the way" '[ "$(info_field "$(snaps "$D")" lost)" = 0 ]'

# ---- the minimum interval, and commands that are not ones ------------------------------------
D=$TAP_TMP/interval
start "$D" "${SEQ[@]}" --snapshot-interval 1h
"$SAMPLES/flight_seq" 1 10 >/dev/null
sleep 0.3
command_ "$D" snapshot
A1=$ANSWER
command_ "$D" snapshot
A2=$ANSWER
command_ "$D" frobnicate
A3=$ANSWER
stop "$D"
check "--snapshot-interval 1h: the second snapshot is refused, one file (answers: $A1 / $A2)" \
	'[ "$A1" = ack ] && [[ $A2 == error:*interval* ]] && [ "$(snaps "$D" | wc -l)" = 1 ] && grep -q "1 trigger ignored" "$D/rec.err"'
check "an unknown command is answered with an error" '[[ $A3 == "error: unknown command"*frobnicate* ]]'

# ---- usage errors ---------------------------------------------------------------------------
run "$TREC" record --overwrite --snapshot-on 'sched:sched_switch' -e syscalls:sys_enter_close -o "$TAP_TMP/x" -- true
check "--snapshot-on an event not recorded: exit 1 naming it" \
	'[ $RC -eq 1 ] && [[ $ERR == *"sched:sched_switch"*"-e"* ]]'
run "$TREC" record --window 3s -o "$TAP_TMP/x" -- true
check "--window without --overwrite: exit 2" '[ $RC -eq 2 ] && [[ $ERR == *--overwrite* ]]'

# ---- memory over a long storm ----------------------------------------------------------------
# 8 s of getppid at full speed (tens of millions of records, GBs in all)
# against --window-size 8M: resident memory stays within the window, the
# rings (2 x 1M here) and 8 MiB for the rest, sampled every 200 ms.
# AddressSanitizer keeps freed chunks in its quarantine (up to 256 MB).
D=$TAP_TMP/storm
start "$D" -a -e syscalls:sys_enter_getppid --window-size 8M -m 1M
base=$(awk '/^VmRSS/ { print $2 }' "/proc/$REC/status")
"$SAMPLES/syscall_storm" -s 8 >"$D/storm.out" &
SP=$!
peak=0
while kill -0 $SP 2>/dev/null; do
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$REC/status" 2>/dev/null)
	[ "${rss:-0}" -gt "$peak" ] && peak=$rss
	sleep 0.2
done
wait $SP
BOUND_KB=$((base + (8 + 2 + 8) * 1024))
[[ $TREC == */asan/* ]] && BOUND_KB=$((base + 512 * 1024))
command_ "$D" snapshot
stop "$D"
calls=$(sed -n 's/^calls=\([0-9]*\).*/\1/p' "$D/storm.out")
check "the storm made far more records than the window holds ($calls calls)" '[ "${calls:-0}" -gt 2000000 ]'
check "peak VmRSS ${peak} kB stays within ${BOUND_KB} kB (${base} kB before the storm + 18 MiB)" \
	'[ "$peak" -gt 0 ] && [ "$peak" -le "$BOUND_KB" ]'
check "and the snapshot at the end holds the window's records" \
	'[ "$(info_field "$(snaps "$D")" events)" -gt 10000 ]'

# ---- SIGKILL while a snapshot is written --------------------------------------------------------
# A big window (2,000,000 numbers) of a command (so that the snapshot's
# /proc part is one small process); the recorder is killed as soon as the
# snapshot file passes 64 KiB, into its records. What is left reads, or
# trec recover makes it whole; the numbers in it are each there once.
D=$TAP_TMP/killed
start "$D" -e syscalls:sys_enter_close --filter 'fd>=1000000&&fd<=1001000000' -m 64M --window-size 512M -- \
	sh -c "while [ ! -e '$TAP_TMP/killed/go' ]; do sleep 0.05; done
	       '$SAMPLES/flight_seq' 1 2000000 >/dev/null
	       touch '$TAP_TMP/killed/done'
	       while [ ! -e '$TAP_TMP/killed/end' ]; do sleep 0.05; done"
touch "$D/go"
for _ in $(seq 600); do [ -e "$D/done" ] && break; sleep 0.1; done
sleep 0.5
kill -USR2 $REC
for _ in $(seq 4000); do
	S=$(snaps "$D")
	[ -n "$S" ] && [ "$(stat -c %s "$S")" -gt 65536 ] && break
	sleep 0.002
done
kill -9 $REC
wait $REC 2>/dev/null
touch "$D/end"
exec 3<&-
S=$(snaps "$D")
cut=$(info_field "$S" truncated)
run "$TREC" recover "$S"
rrc=$RC
read -r f l c d <<<"$(numbers "$S")"
check "killed mid-snapshot (cut short: $cut): trec recover leaves a complete file ($(info_field "$S" events) events)" \
	'[ -n "$S" ] && [ $rrc -eq 0 ] && [ "$(info_field "$S" truncated)" = False ] && [ "$(info_field "$S" has_index)" = True ]'
check "whose numbers are each there once, within 1..2000000 ($f..$l, $c, $d distinct)" \
	'[ "$c" -gt 0 ] && [ "$c" = "$d" ] && [ "$f" -ge 1 ] && [ "$l" -le 2000000 ]'
