#!/usr/bin/env bash
# Load benchmark of `airlock serve` over loopback: `POST /v1/actions` with a
# mix of allowed and denied shell commands (crates/airlock-server/benches/
# gate-actions.lua), driven by wrk at several connection counts. Each answer
# is a durable decision: its audit entry is committed before it is sent.
#
#   scripts/bench-gate.sh                        # SQLite in a fresh data dir
#   scripts/bench-gate.sh --database-url 'postgres://postgres@127.0.0.1:5432/test?schema=airlock_bench'
#   scripts/bench-gate.sh --connections "1 16 64" --duration 10s --decision-batch 1
#
# Needs wrk (Debian: apt-get install wrk) and a release build:
#   cargo build --release -p airlock-cli
# The binary is $AIRLOCK_BIN, else $CARGO_TARGET_DIR/release/airlock, else
# target/release/airlock. With `airlock audit verify` available, the run's
# audit log is verified at the end.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
database_url=""
connections="16 64 256"
duration="10s"
wrk_threads=1
decision_batch=""
port=18787
while [[ $# -gt 0 ]]; do
  case "$1" in
    --database-url) database_url="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --wrk-threads) wrk_threads="$2"; shift 2 ;;
    --decision-batch) decision_batch="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

bin="${AIRLOCK_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/airlock}"
[[ -x "$bin" ]] || { echo "no release binary at $bin: cargo build --release -p airlock-cli" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 2; }

state="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$state"
}
trap cleanup EXIT

export AIRLOCK_DATA_DIR="$state/data"
unset AIRLOCK_TENANT AIRLOCK_CONFIG
if [[ -n "$database_url" ]]; then export AIRLOCK_DATABASE_URL="$database_url"; else unset AIRLOCK_DATABASE_URL; fi

cd "$state"
"$bin" tenants add default --format json >/dev/null
token="$("$bin" agents add bench-agent --operator bench --format json | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[[ -n "$token" ]] || { echo "could not register the agent" >&2; exit 1; }
export AIRLOCK_TOKEN="$token"

serve_args=(serve --listen "127.0.0.1:$port")
[[ -n "$decision_batch" ]] && serve_args+=(--decision-batch "$decision_batch")
"$bin" "${serve_args[@]}" 2>"$state/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "serving on" "$state/serve.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "serving on" "$state/serve.log" || { cat "$state/serve.log" >&2; exit 1; }

store="sqlite"; [[ -n "$database_url" ]] && store="postgres"
echo "store=$store decision_batch=${decision_batch:-default} duration=$duration wrk_threads=$wrk_threads cores=$(nproc)"
# Warm-up: first connections, the agent's identity recorded once.
wrk -t1 -c4 -d2s -s "$here/crates/airlock-server/benches/gate-actions.lua" "http://127.0.0.1:$port" >/dev/null
answered=0
for c in $connections; do
  t=$wrk_threads; (( t > c )) && t=$c
  out="$(wrk -t"$t" -c"$c" -d"$duration" --timeout 10s -s "$here/crates/airlock-server/benches/gate-actions.lua" "http://127.0.0.1:$port")"
  line="$(grep '^RESULT' <<<"$out")"
  echo "connections=$c ${line#RESULT }"
done

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
if "$bin" audit --help >/dev/null 2>&1; then
  "$bin" audit verify >/dev/null && echo "audit log verified"
fi
