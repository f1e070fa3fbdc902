#!/usr/bin/env bash
# Side-by-side: taizhang against SQLite (and hledger / ledger-cli when installed) on the same generated
# files. Checks that every tool finds the same totals, then prints a Markdown table of medians and ratios.
#
#   bench/compare.sh [ROWS…]        default: 100000 1000000
#
# Measured: import (taizhang: parse, validate, hash-chain, index, committed durably as one batch; SQLite: bare .import
# into a table with a primary key; the two run in turn, so that both meet the same load on the host), the three reports as whole processes (taizhang report …; SQLite:
# SELECT … GROUP BY over the loaded rows), and taizhang's peak RSS while importing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=("${@:-100000 1000000}")
[ $# -eq 0 ] && ROWS=(100000 1000000)
RUNS=${RUNS:-3}
# The scaling line divides one median by another, so each one's noise counts twice: it takes more runs.
SCALING_RUNS=${SCALING_RUNS:-$((2 * RUNS + 1))}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin taizhang --example gen
tz=target/release/taizhang
gen=target/release/examples/gen

# Median of the wall-clock seconds of RUNS runs of a command; a setup command runs before each.
median() {
  local setup=$1; shift
  local times=()
  for _ in $(seq "$RUNS"); do
    eval "$setup"
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

# The medians of two commands run in turn (A, B, A, B …) as many times as the first argument says, each
# after its setup: the host's load drifts over a run, and turns expose both to the same drift.
paired_medians() {
  local runs=$1 setup_a=$2 cmd_a=$3 setup_b=$4 cmd_b=$5
  local a=() b=()
  for _ in $(seq "$runs"); do
    a+=("$(median_of_one "$setup_a" "$cmd_a")")
    b+=("$(median_of_one "$setup_b" "$cmd_b")")
  done
  echo "$(middle "${a[@]}") $(middle "${b[@]}")"
}

median_of_one() {
  eval "$1"
  local start end
  start=$(date +%s.%N)
  eval "$2" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

middle() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }

ratio() { printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }

sqlite_load() {
  rm -f "$work/s.db"
  sqlite3 "$work/s.db" "CREATE TABLE payments(voucher_no TEXT PRIMARY KEY, date TEXT, fund TEXT, function_code TEXT, expense_type TEXT, amount TEXT, project_code TEXT, contract_no TEXT, bond_code TEXT, purpose TEXT, payee TEXT);"
  sync
}

# The timed import commands for the generated folder of N rows.
import_of() { echo "$tz --ledger '$work/t.ledger' import -q '$work/data-$1'"; }
load_of() { echo "sqlite3 '$work/s.db' '.mode csv' '.import --skip 1 $work/data-$1/payments.csv payments'"; }
# `sync` before each timed import: the previous run's writes must not be flushed during this one.
tz_fresh="rm -f '$work/t.ledger'; $tz --ledger '$work/t.ledger' init -q; sync"

echo "| rows | step | taizhang (s) | SQLite (s) | ratio taizhang/SQLite |"
echo "|---:|---|---:|---:|---:|"
for n in "${ROWS[@]}"; do
  data="$work/data-$n"
  "$gen" "$data" "$n" 42 >/dev/null
  read -r t_import s_import < <(paired_medians "$RUNS" "$tz_fresh" "$(import_of "$n")" sqlite_load "$(load_of "$n")")
  echo "| $n | import | $t_import | $s_import | $(ratio "$t_import" "$s_import") |"

  # The last runs left both loaded; reports read them.
  t_t7=$(median : "$tz" --ledger "$work/t.ledger" report table7 --year 2023 --format json)
  s_t7=$(median : sqlite3 "$work/s.db" "SELECT function_code, expense_type, sum(CAST(round(amount*100) AS INTEGER)) FROM payments WHERE fund='gov_fund' GROUP BY substr(date,1,4), function_code, expense_type;")
  echo "| $n | report table7 | $t_t7 | $s_t7 | $(ratio "$t_t7" "$s_t7") |"
  t_bu=$(median : "$tz" --ledger "$work/t.ledger" report bond-use --quarter 2023Q2 --format json)
  s_bu=$(median : sqlite3 "$work/s.db" "SELECT bond_code, project_code, purpose, sum(CAST(round(amount*100) AS INTEGER)) FROM payments WHERE bond_code <> '' AND date <= '2023-06-30' GROUP BY bond_code, project_code, purpose;")
  echo "| $n | report bond-use | $t_bu | $s_bu | $(ratio "$t_bu" "$s_bu") |"
  t_pr=$(median : "$tz" --ledger "$work/t.ledger" report procurement --year 2022 --format json)
  s_pr=$(median : sqlite3 "$work/s.db" "SELECT contract_no, sum(CAST(round(amount*100) AS INTEGER)) FROM payments WHERE contract_no <> '' GROUP BY contract_no;")
  echo "| $n | report procurement | $t_pr | $s_pr | $(ratio "$t_pr" "$s_pr") |"

  # Same totals: every gov_fund payment of 2023, in fen.
  t_total=$("$tz" --ledger "$work/t.ledger" report table7 --year 2023 --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["expense"].replace(".",""))' | sed 's/^0*//')
  s_total=$(sqlite3 "$work/s.db" "SELECT sum(CAST(round(amount*100) AS INTEGER)) FROM payments WHERE date LIKE '2023%';")
  if [ "$t_total" != "$s_total" ]; then echo "totals differ at $n rows: taizhang $t_total, SQLite $s_total" >&2; exit 1; fi
  agree="taizhang = SQLite"

  if command -v hledger >/dev/null || command -v ledger >/dev/null; then
    awk -F, 'NR>1 && $2 ~ /^2023/ {printf "%s * %s\n    expenses:%s  %s CNY\n    assets:bank\n\n", $2, $1, $4, $6}' "$data/payments.csv" > "$work/j.journal"
    for tool in hledger ledger; do
      command -v "$tool" >/dev/null || continue
      t=$(median : "$tool" -f "$work/j.journal" balance expenses)
      total=$("$tool" -f "$work/j.journal" balance expenses --flat 2>/dev/null | tail -1 | tr -dc '0-9')
      [ "$total" = "$t_total" ] && agree="$agree = $tool" || { echo "$tool total $total differs from $t_total" >&2; exit 1; }
      echo "| $n | $tool balance (2023 only) | $t_t7 | $t | $(ratio "$t_t7" "$t") (taizhang/$tool) |"
    done
  fi
  rm -f "$work/t.ledger"; $tz --ledger "$work/t.ledger" init -q
  rss=$( { /usr/bin/time -f '%M' "$tz" --ledger "$work/t.ledger" import -q "$data" >/dev/null; } 2>&1 | tail -1)
  echo "| $n | taizhang peak RSS while importing | $((rss / 1024)) MB | | |"
  echo "| $n | totals agree | $agree | | |"
done
# Scaling: each size's import time against the smallest size's, beside the ratio of their rows. The two
# sizes are imported in turn (small, large, small, large …), as the two tools are above: medians taken
# minutes apart met different loads on the host, which moved even SQLite's own ratio by ±25 %.
first=${ROWS[0]}
for n in "${ROWS[@]:1}"; do
  read -r t_first t_n < <(paired_medians "$SCALING_RUNS" "$tz_fresh" "$(import_of "$first")" "$tz_fresh" "$(import_of "$n")")
  read -r s_first s_n < <(paired_medians "$SCALING_RUNS" sqlite_load "$(load_of "$first")" sqlite_load "$(load_of "$n")")
  echo "| $first → $n | import time × | $(ratio "$t_n" "$t_first")× for $(ratio "$n" "$first")× the rows | $(ratio "$s_n" "$s_first")× (SQLite's own) | |"
done
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); runs per median: $RUNS ($SCALING_RUNS for the scaling line)"
