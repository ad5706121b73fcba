#!/usr/bin/env bash
# Projection benchmarks in a scratch database: commit-to-visible lag under a
# steady command load (default 1,000 commands/s for 20 s), then the rebuild
# rate of the orders read model over 1,000,000 events beside a raw
# INSERT … SELECT copy of the same rows. BENCH_MODES=rebuild_all instead
# rebuilds every read model over a log of real checkouts (stock, splits,
# escrows and orders).
# Settings: BENCH_RATE, BENCH_SECONDS, BENCH_EVENTS, BENCH_MODES (lag,rebuild
# or rebuild_all).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

ensure_postgres
psql "$PG_SERVER_URL/postgres" -qc 'drop database if exists bazaar_bench_projections' \
    -c 'create database bazaar_bench_projections'
DATABASE_URL="$PG_SERVER_URL/bazaar_bench_projections" \
    cargo bench --locked -q -p bazaar-projections --bench projections 2>&1 | grep -E '^\{|seeded'
