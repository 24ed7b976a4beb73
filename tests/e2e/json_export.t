#!/usr/bin/env bash
# docs/JSON.md's DuckDB queries on `trec script --json` of a real recording
# (samples/probed: system calls and a USDT probe with known calls), run by
# DuckDB's engine (its Node.js package, installed by scripts/setup-deps.sh
# into /opt/trec-duckdb), with answers checked against the trace: events per
# type = trec info's counts, failed calls = the exits with ret < 0, the
# latency pairs = trec report --latency syscalls, the probe's arguments.
# check's expressions are single-quoted on purpose (tap.sh evals them).
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/tap.sh
source "$(dirname "$0")/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "recording needs root, and CI runs as root"; exit 1; }
	skip_all "recording needs root (BPF, USDT)"
fi
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v python3 >/dev/null || skip_all "python3 not installed"
DUCKDB_DIR=${TREC_DUCKDB_DIR:-/opt/trec-duckdb}
if ! command -v node >/dev/null || [ ! -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ]; then
	[ "${CI:-}" = true ] && { plan 1; not_ok "DuckDB's node package missing under CI (scripts/setup-deps.sh)"; exit 1; }
	skip_all "DuckDB not installed: npm install --prefix $DUCKDB_DIR @duckdb/node-api (scripts/setup-deps.sh)"
fi
P=$TREC_BUILD/samples/probed
[ -x "$P" ] || skip_all "samples not built ($P)"

plan 9

N=40
T=$TAP_TMP/t.trec
J=$TAP_TMP/events.jsonl
run "$TREC" record -q -o "$T" -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -e "usdt:$P:trec_sample:tick" -- "$P" $N
check "record system calls and USDT tick of probed $N exits 0" '[ $RC -eq 0 ]'
"$TREC" script --json -i "$T" >"$J"
events=$("$TREC" info -i "$T" | awk '$1 == "events" { print $2; exit }')
check "script --json writes one line per event ($events)" '[ "$(wc -l <"$J")" = "$events" ]'

# cd: the queries name the file as docs/JSON.md does.
cd "$TAP_TMP" || exit 1
DUCK=(env "NODE_PATH=$DUCKDB_DIR/node_modules" node "$E2E_ROOT/tests/e2e/data/duckdb_query.js")

# events per type
run "${DUCK[@]}" "SELECT event, count(*) AS n FROM read_json('events.jsonl', sample_size = -1)
           GROUP BY event ORDER BY n DESC"
got=$(printf "%s\n" "$OUT" | python3 -c 'import json, sys; print(" ".join(sorted("%s=%s" % (r["event"], r["n"]) for r in json.loads(sys.stdin.read()))))')
want=$("$TREC" info -i "$T" | awk '/^ +id +events/ { on = 1; next } on && NF >= 3 { print $3 "=" $2 } on && NF < 3 { exit }' | sort | tr '\n' ' ' | sed 's/ $//')
check "events per type = trec info's ($want)" '[ $RC -eq 0 ] && [ "$got" = "$want" ]'

# failed system calls
run "${DUCK[@]}" "SELECT comm, fields.id AS nr, count(*) AS failures
           FROM read_json('events.jsonl', sample_size = -1)
           WHERE event = 'raw_syscalls:sys_exit' AND fields.ret < 0
           GROUP BY ALL ORDER BY failures DESC"
got=$(printf "%s\n" "$OUT" | python3 -c 'import json, sys; print(sum(int(r["failures"]) for r in json.loads(sys.stdin.read())))')
want=$(python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) for e in [json.loads(l)] if e["event"] == "raw_syscalls:sys_exit" and e["fields"]["ret"] < 0))' "$J")
check "failed system calls = the exits with ret < 0 ($want)" '[ $RC -eq 0 ] && [ "$got" = "$want" ]'

# system call latency
run "${DUCK[@]}" "
WITH s AS (
  SELECT tid, event, time_ns, fields.id AS nr
  FROM read_json('events.jsonl', sample_size = -1)
  WHERE event IN ('raw_syscalls:sys_enter', 'raw_syscalls:sys_exit')),
p AS (
  SELECT *, lead(event) OVER w AS next_event, lead(time_ns) OVER w AS next_ns, lead(nr) OVER w AS next_nr
  FROM s WINDOW w AS (PARTITION BY tid ORDER BY time_ns))
SELECT nr, count(*) AS calls, round(avg(next_ns - time_ns) / 1000, 1) AS avg_us
FROM p
WHERE event = 'raw_syscalls:sys_enter' AND next_event = 'raw_syscalls:sys_exit' AND next_nr = nr
GROUP BY nr ORDER BY calls DESC"
got=$(printf "%s\n" "$OUT" | python3 -c 'import json, sys; print(sum(int(r["calls"]) for r in json.loads(sys.stdin.read())))')
want=$("$TREC" report -i "$T" --latency syscalls --json |
	python3 -c 'import json, sys; print(sum(r["count"] for r in json.load(sys.stdin)["rows"]))')
check "the latency query pairs as many calls as report --latency syscalls ($want)" \
	'[ $RC -eq 0 ] && [ "$got" = "$want" ] && [ "$want" -gt 0 ]'
# probed's sleep_us(3000) x3 and sleep_us(12000) x2, and recurse's 8 sleeps
# of >= 1.4 ms, are clock_nanosleep (230 on x86-64)
if [ "$(uname -m)" = x86_64 ]; then
	sleeps=$(printf "%s\n" "$OUT" | python3 -c 'import json, sys
print(" ".join("%s:%s" % (r["calls"], r["avg_us"]) for r in json.loads(sys.stdin.read()) if r["nr"] == "230"))')
	check "clock_nanosleep: probed's 5 sleeps plus recurse's 8, >= 1.4 ms on average ($sleeps)" \
		'python3 -c "import sys; c, a = sys.argv[1].split(\":\"); sys.exit(not (int(c) == 13 and float(a) >= 1400))" "$sleeps"'
else
	ok "# SKIP clock_nanosleep's number is x86-64's"
fi

# wall-clock times
OFF=$("$TREC" info -i "$T" | awk '$1 == "clock.realtime_offset_ns" { print $2 }')
run "${DUCK[@]}" "SELECT make_timestamp((time_ns + $OFF) // 1000) AS at, comm, event
           FROM read_json('events.jsonl', sample_size = -1) LIMIT 10"
first=$(head -1 "$J" | python3 -c 'import datetime, json, sys
e = json.loads(sys.stdin.read())
t = datetime.datetime.fromtimestamp((e["time_ns"] + int(sys.argv[1])) // 1000 / 1e6, datetime.timezone.utc)
# as DuckDB spells it: the fraction without trailing zeros (nor the point)
print(t.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip("."))' "$OFF")
check "wall-clock times: the first row is the first event's ($first)" \
	'[ $RC -eq 0 ] && [ "$(printf "%s\n" "$OUT" | python3 -c "import json, sys; print(json.loads(sys.stdin.read())[0][\"at\"])")" = "$first" ]'

# several hosts: one file each
cp events.jsonl web1.jsonl && cp events.jsonl web2.jsonl
run "${DUCK[@]}" "SELECT filename, event, count(*) FROM read_json(['web1.jsonl', 'web2.jsonl'],
           filename = true, sample_size = -1) GROUP BY ALL"
check "several files: rows told apart by file name" \
	'[ $RC -eq 0 ] && [[ $OUT == *web1.jsonl* ]] && [[ $OUT == *web2.jsonl* ]]'

# the USDT probe's arguments, as fields.arg0/arg1
run "${DUCK[@]}" "SELECT fields.arg0 AS i, fields.arg1 AS sq FROM read_json('events.jsonl', sample_size = -1)
           WHERE event LIKE 'usdt:%:trec_sample:tick' ORDER BY time_ns"
check "USDT tick(i, i*i) for i = 0..$((N - 1)) as fields.arg0 and fields.arg1" \
	'[ $RC -eq 0 ] && printf "%s\n" "$OUT" | python3 -c "import json, sys
r = json.loads(sys.stdin.read()); n = int(sys.argv[1])
sys.exit(not ([(int(x[\"i\"]), int(x[\"sq\"])) for x in r] == [(i, i * i) for i in range(n)]))" $N'
