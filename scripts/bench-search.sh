#!/usr/bin/env bash
# Latency of the Postgres search fallback in a scratch database: seeds
# BENCH_ORDERS order documents (default 100,000) through the search
# projection's write, then times each kind of search BENCH_RUNS times
# (default 200) and prints p50/p95/p99 per kind as JSON lines.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

ensure_postgres
psql "$PG_SERVER_URL/postgres" -qc 'drop database if exists bazaar_bench_search' \
    -c 'create database bazaar_bench_search'
DATABASE_URL="$PG_SERVER_URL/bazaar_bench_search" \
    cargo bench --locked -q -p bazaar-projections --bench search 2>&1 | grep -E '^\{|seeded'
