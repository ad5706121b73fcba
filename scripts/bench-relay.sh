#!/usr/bin/env bash
# Kafka relay throughput to a local broker: writes a backlog of events into
# a scratch database, starts Tansu (in-memory storage) on a free port, and
# times the relay publishing the whole backlog (idempotent producer,
# acks=all, checkpoint after every batch's delivery reports).
# Usage: scripts/bench-relay.sh [events]   (batch size: BENCH_BATCH, default 1000)
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
# shellcheck source=scripts/kafka.sh
. scripts/kafka.sh

EVENTS=${1:-50000}
ensure_postgres
ensure_tansu
psql "$PG_SERVER_URL/postgres" -qc 'drop database if exists bazaar_bench_relay'

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$TANSU_BIN" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$log" 2>&1 &
tansu_pid=$!
trap 'kill "$tansu_pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

echo "bench-relay.sh: $EVENTS events, tansu on 127.0.0.1:$port"
result=$(DATABASE_URL="$PG_SERVER_URL/bazaar_bench_relay" KAFKA_BROKERS="127.0.0.1:$port" BENCH_EVENTS="$EVENTS" \
    cargo bench --locked -q -p bazaar-projections --bench relay 2>/dev/null | grep '^{')
echo "$result"
echo "$result" | python3 -c "
import json, sys
r = json.loads(sys.stdin.read())
print(f\"relay: {r['per_second']:.0f} events/s ({r['events']} events in {r['seconds']:.2f} s, batches of {r['batch']})\")
"
