#!/usr/bin/env bash
# The web workspace under load (issue 16, "Speed"): a ledger of 1,000,000 generated payments served by
# `taizhang serve`; 50 concurrent clients for 20 s on loopback, split over three request kinds — the
# table-7 API, the journal's first page, an entry's page (a random one each request) — while a
# 100,000-row import is posted through the API; then the same kinds of request against hledger-web
# serving the same payments (where it is installed; it has no import API, so it is read without one).
# Prints a Markdown table: requests, p50, p99 and errors per kind and server.
#
#   bench/web.sh [ROWS]             default 1000000; IMPORT_ROWS=100000 DURATION=20s CLIENTS=50
#   HLEDGER=0 bench/web.sh          without the hledger-web side
#
# Needs wrk and curl (apt-get install wrk curl; hledger-web for the comparison). Sends traffic only
# to 127.0.0.1, bounded by DURATION; everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
IMPORT_ROWS=${IMPORT_ROWS:-100000}
DURATION=${DURATION:-20s}
CLIENTS=${CLIENTS:-50}
HLEDGER=${HLEDGER:-1}
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/web.sh needs $tool (apt-get install $tool)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet --bin taizhang --example gen
tz=target/release/taizhang
gen=target/release/examples/gen

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits (at most 10 minutes: hledger-web reads a million transactions first) for a 2xx/3xx answer.
wait_up() {
  local url=$1 pid=$2
  for _ in $(seq 6000); do
    kill -0 "$pid" 2>/dev/null || { echo "the server for $url ended before answering" >&2; exit 1; }
    case $(curl -s -o /dev/null -w '%{http_code}' "$url" || true) in 2*|3*) return ;; esac
    sleep 0.1
  done
  echo "no answer from $url within 10 minutes" >&2
  exit 1
}

echo "generating $ROWS payments and a further $IMPORT_ROWS to import under load…" >&2
"$gen" "$work/base" "$ROWS" 42 >/dev/null
"$gen" "$work/extra" "$IMPORT_ROWS" 42 >/dev/null
# Same bonds and contracts (same seed: already in the ledger, skipped); new voucher numbers.
sed -i '2,$ s/^PAY/PBY/' "$work/extra/payments.csv"

ledger="$work/bench.ledger"
"$tz" --ledger "$ledger" init -q --unit 基准测试单位
echo "importing $ROWS payments…" >&2
# The generated contracts are overpaid many times over: the warnings go to a file, not the screen.
"$tz" --ledger "$ledger" import -q "$work/base" 2>"$work/import-warnings.txt"
echo 'bench-口令-2026' | "$tz" --ledger "$ledger" user add 基准 --role maker --password-stdin -q
token=$("$tz" --ledger "$ledger" user token 基准 -q 2>/dev/null)

port=$(free_port)
base="http://127.0.0.1:$port"
"$tz" --ledger "$ledger" serve -q --listen "127.0.0.1:$port" &
pids+=($!)
wait_up "$base/login" "${pids[-1]}"
head_seq=$(curl -sf -H "Authorization: Bearer $token" "$base/api/entries?limit=1" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["entries"][0]["seq"])')

# wrk scripts: the bearer token on every request, an entry chosen at random, and a closing line of
# "requests p50_ms p99_ms errors" (errors: connect, read, write, timeouts and non-2xx/3xx answers).
cat >"$work/common.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.1f %.1f %d\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
cat >"$work/random.lua" <<'LUA'
dofile(os.getenv("COMMON"))
local head = tonumber(os.getenv("HEAD_SEQ"))
local pattern = os.getenv("PATTERN")
function init(args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end
function request()
  return wrk.format("GET", string.format(pattern, math.random(1, head)))
end
LUA

# Runs the three kinds at once (CLIENTS split over them) against one server; prints table rows.
#   load NAME BASE_URL TABLE7_PATH JOURNAL_PATH ENTRY_PATTERN (printf, %d = 1..HEAD) HEAD
load() {
  local server=$1 url=$2 t7=$3 journal=$4 entry=$5 head=$6
  local each=$((CLIENTS / 3)) out="$work/wrk-$1"
  export COMMON="$work/common.lua" HEAD_SEQ=$head PATTERN=$entry TOKEN=${TOKEN:-none}
  wrk -t1 -c"$each" -d"$DURATION" --timeout 10s -s "$work/common.lua" "$url$t7" >"$out-t7" &
  local a=$!
  wrk -t1 -c"$each" -d"$DURATION" --timeout 10s -s "$work/common.lua" "$url$journal" >"$out-journal" &
  local b=$!
  wrk -t1 -c"$((CLIENTS - 2 * each))" -d"$DURATION" --timeout 10s -s "$work/random.lua" "$url/" >"$out-entry" &
  local c=$!
  wait "$a" "$b" "$c"
  local kind path n p50 p99 errors
  for kind in t7 journal entry; do
    case $kind in t7) path=$t7 ;; journal) path=$journal ;; entry) path=$entry ;; esac
    read -r _ n p50 p99 errors < <(grep '^RESULT' "$out-$kind")
    # No answer at all within DURATION: wrk has no latencies to rank (it prints zeros).
    [ "$n" = 0 ] && { p50="no answer in $DURATION"; p99=—; }
    echo "| $server | \`$path\` | $n | $p50 | $p99 | $errors |"
  done
}

echo "| server | request | requests in $DURATION | p50 (ms) | p99 (ms) | errors |"
echo "|---|---|---:|---:|---:|---:|"
# The import goes in as the load starts; its own time is printed after the table.
(
  curl -s -o "$work/import.json" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $token" \
    -F "files=@$work/extra/bonds.csv" -F "files=@$work/extra/contracts.csv" \
    -F "files=@$work/extra/payments.csv" "$base/api/import" >"$work/import.status"
) &
import_pid=$!
TOKEN=$token load taizhang "$base" "/api/reports/table7?year=2023" "/entries" "/entries/%d" "$head_seq"
wait "$import_pid"
read -r import_status import_seconds <"$work/import.status"
# The import must have overlapped the load and posted every row, or the run does not count.
after=$(curl -sf -H "Authorization: Bearer $token" "$base/api/entries?limit=1" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["entries"][0]["seq"])')
import_note="import of $IMPORT_ROWS rows during the load: HTTP $import_status in ${import_seconds} s, $((after - head_seq)) entries added"
kill "${pids[-1]}"

if [ "$HLEDGER" = 1 ] && command -v hledger-web >/dev/null; then
  # The same payments as a hledger journal: the voucher as the transaction's code, the function code
  # as the expense account (table 7's rows), so that the requests below ask hledger-web the same things.
  awk -F, 'NR > 1 { printf "%s * (%s) %s\n    expenses:%s  %s CNY\n    assets:bank\n\n", $2, $1, $11, $4, $6 }' \
    "$work/base/payments.csv" >"$work/bench.journal"
  hport=$(free_port)
  hbase="http://127.0.0.1:$hport"
  echo "hledger-web reading $ROWS transactions…" >&2
  hledger-web --serve --host 127.0.0.1 --port "$hport" -f "$work/bench.journal" >/dev/null 2>&1 &
  pids+=($!)
  wait_up "$hbase/accountnames" "${pids[-1]}"
  # Its nearest equivalents: account balances as JSON (table 7's sums), the journal view (it has no
  # paging: one day's transactions), and a transaction found by its code (it has no entry page).
  TOKEN=none load hledger-web "$hbase" "/accounts" "/journal?q=date:2024-12-28" \
    "/journal?q=code:PAY%09d" "$((ROWS - 1))"
  kill "${pids[-1]}"
else
  echo "| hledger-web | not run (HLEDGER=0 or not installed) | | | | |"
fi
echo
echo "$import_note; $ROWS payments in the ledger, entries up to seq $head_seq before the import."
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $CLIENTS clients for $DURATION, wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}')"
