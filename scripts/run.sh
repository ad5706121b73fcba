#!/usr/bin/env bash
# Runs Bazaar: prepares a local Postgres unless DATABASE_URL is set, then
# `bazaar serve` (which creates the database and migrates it, serves the
# API and runs the workers). Kafka and Elasticsearch stay off unless
# KAFKA_BROKERS / ELASTICSEARCH_URL are set.
# Without BAZAAR_JWT_SECRET a development secret is made once and kept in
# .bazaar/dev-jwt-secret; mint tokens with `bazaar token` (printed below).
# Extra arguments go to `bazaar serve`, e.g. `scripts/run.sh --http-addr 0.0.0.0:8080`.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

if [ -z "${DATABASE_URL:-}" ]; then
    ensure_postgres
    export DATABASE_URL="$PG_SERVER_URL/bazaar"
fi
if [ -z "${BAZAAR_JWT_SECRET:-}" ]; then
    secret_file="$REPO_ROOT/.bazaar/dev-jwt-secret"
    if [ ! -s "$secret_file" ]; then
        mkdir -p "$(dirname "$secret_file")"
        (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$secret_file")
    fi
    BAZAAR_JWT_SECRET=$(cat "$secret_file")
    export BAZAAR_JWT_SECRET
    echo "run.sh: development JWT secret in .bazaar/dev-jwt-secret; an admin token:" >&2
    echo "run.sh:   BAZAAR_JWT_SECRET=\$(cat .bazaar/dev-jwt-secret) cargo run --release --bin bazaar -- token --sub ops --role admin" >&2
fi
exec cargo run --release --locked --bin bazaar -- serve "$@"
