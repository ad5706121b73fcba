#!/usr/bin/env bash
# Hash-chain verification speed in a scratch database: seeds BENCH_EVENTS
# events (default 1,000,000; streams of BENCH_STREAM_LEN, default 10), then
# times `verify_all` over the whole store and the signing of a checkpoint
# (every chain below the horizon recomputed, heads digested, signed),
# BENCH_RUNS times each (default 3), in events per second. The seeded
# database is kept and reused by the next run with the same BENCH_EVENTS;
# BENCH_FRESH=1 reseeds.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

ensure_postgres
db="bazaar_bench_audit_${BENCH_EVENTS:-1000000}"
if [ "${BENCH_FRESH:-0}" = 1 ]; then
    psql "$PG_SERVER_URL/postgres" -qc "drop database if exists $db"
fi
psql "$PG_SERVER_URL/postgres" -Atqc "select 1 from pg_database where datname = '$db'" | grep -q 1 \
    || psql "$PG_SERVER_URL/postgres" -qc "create database $db"
DATABASE_URL="$PG_SERVER_URL/$db" \
    cargo bench --locked -q -p bazaar-event-store --bench verify 2>&1 | grep -E '^\{|seeded|reusing'
