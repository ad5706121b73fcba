#!/usr/bin/env bash
# Append throughput of the event store against raw Postgres, in one run:
#   1. pgbench: single-row INSERT transactions into a copy of the events
#      table (same columns, defaults, identity and indexes, no triggers);
#   2. pgbench: the same INSERTs into `events` itself (hash-chain and
#      append-only triggers included);
#   3. the Rust bench: 32 in-process writers appending single-event commits
#      through PgEventStore (`append`) and through CqrsFramework (`command`).
# Usage: scripts/bench-append.sh [seconds]   (writers: BENCH_WRITERS, default 32)
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

SECONDS_PER_RUN=${1:-10}
WRITERS=${BENCH_WRITERS:-32}
ensure_postgres
DB="$PG_SERVER_URL/bazaar_bench"
psql "$PG_SERVER_URL/postgres" -qc 'drop database if exists bazaar_bench' -c 'create database bazaar_bench'
cargo build --release --locked --bin bazaar -p bazaar-cli -q
DATABASE_URL="$DB" target/release/bazaar migrate >/dev/null
psql "$DB" -qc 'create table bench_raw_events (like events including defaults including identity including indexes including constraints)'

script=$(mktemp)
insert_into() {
    cat > "$script" <<SQL
insert into $1 (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, event_id)
values ('BenchCounter', gen_random_uuid()::text, 1, 'Incremented', '1.0', '{"Incremented": {"by": 1}}',
        '{"actor": "system:bench", "command_id": "0193", "correlation_id": "0193", "causation_id": "0193"}', gen_random_uuid());
SQL
    pgbench -n -c "$WRITERS" -j 2 -T "$SECONDS_PER_RUN" -f "$script" "$DB" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}'
}
raw=$(insert_into bench_raw_events)
echo "pgbench raw insert (no triggers), $WRITERS clients: $raw tps"
guarded=$(insert_into events)
echo "pgbench insert into events (triggers), $WRITERS clients: $guarded tps"
rm -f "$script"

results=$(DATABASE_URL="$DB" BENCH_WRITERS="$WRITERS" BENCH_SECONDS="$SECONDS_PER_RUN" \
    cargo bench --locked -q -p bazaar-event-store --bench append 2>/dev/null | grep '^{')
echo "$results"
echo "$results" | python3 -c "
import json, sys
raw = float('$raw')
for line in sys.stdin:
    r = json.loads(line)
    print(f\"{r['mode']:>8}: {r['per_second']:.0f}/s = {100 * r['per_second'] / raw:.0f}% of raw pgbench inserts (p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms)\")
"
