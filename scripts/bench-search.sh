#!/usr/bin/env bash
# Search benchmarks in scratch databases (projections/benches/search.rs).
#
# BENCH_MODES (comma-separated, default postgres,elasticsearch):
#   postgres       seeds BENCH_ORDERS order documents (default 100,000) through
#                  the search projection's write, then times each kind of
#                  search BENCH_RUNS times (default 200; the deep page after
#                  BENCH_DEEP_PAGES pages, default 500) on the Postgres
#                  fallback: p50/p95/p99 per kind, as JSON lines;
#   elasticsearch  the same documents copied by the indexer's rebuild into an
#                  Elasticsearch API server, the same searches timed there
#                  (BENCH_ES_RUNS times each, default BENCH_RUNS);
#                  With BENCH_REUSE set, the database of an earlier run
#                  and its documents are kept and searched again.
#   lag            commit-to-searchable lag at BENCH_LAG_RATES orders/s
#                  (default 100,1000), BENCH_SECONDS each (default 10), with
#                  every projection and the indexer running in process.
#
# Elasticsearch is ELASTICSEARCH_URL when set; otherwise a noida-db server
# (scripts/elasticsearch.sh installs it) started here on a free port with a
# temporary data directory, stopped at the end.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
# shellcheck source=scripts/elasticsearch.sh
. scripts/elasticsearch.sh

modes=${BENCH_MODES:-postgres,elasticsearch}
ensure_postgres

noida_pid=
noida_dir=
stop_noida() {
    if [ -n "$noida_pid" ]; then
        kill -TERM "$noida_pid" 2>/dev/null || true
        wait "$noida_pid" 2>/dev/null || true
    fi
    if [ -n "$noida_dir" ]; then rm -rf "$noida_dir"; fi
}
trap stop_noida EXIT

if [[ ",$modes," =~ ,(elasticsearch|lag), ]] && [ -z "${ELASTICSEARCH_URL:-}" ]; then
    ensure_noida
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    noida_dir=$(mktemp -d)
    "$NOIDA_DB_BIN" start --only elasticsearch --host 127.0.0.1 --data-dir "$noida_dir/data" \
        --elasticsearch-port "$port" >"$noida_dir/log" 2>&1 &
    noida_pid=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/" >/dev/null && break
        sleep 0.2
    done
    export ELASTICSEARCH_URL="http://127.0.0.1:$port"
fi

# the searches and the lag each in a database of their own, new for each
# run unless BENCH_REUSE is set (then the documents seeded by an earlier run
# are searched again: compare two builds on the same data)
run() {
    local database=$1 bench_modes=$2
    local kept=
    if [ -n "${BENCH_REUSE:-}" ] && [ "$bench_modes" != lag ]; then
        kept=$(psql "$PG_SERVER_URL/postgres" -Atc "select 1 from pg_database where datname = '$database'")
    fi
    if [ -z "$kept" ]; then
        psql "$PG_SERVER_URL/postgres" -qc "drop database if exists $database" \
            -c "create database $database"
    fi
    DATABASE_URL="$PG_SERVER_URL/$database" BENCH_MODES=$bench_modes \
        cargo bench --locked -q -p bazaar-projections --bench search 2>&1 |
        grep -E '^\{|seeded|indexed|panicked'
}
searches=$(tr ',' '\n' <<<"$modes" | grep -v '^lag$' | paste -sd, || true)
if [ -n "$searches" ]; then run bazaar_bench_search "$searches"; fi
if [[ ",$modes," == *,lag,* ]]; then run bazaar_bench_search_lag lag; fi
