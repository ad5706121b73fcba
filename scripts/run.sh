#!/usr/bin/env bash
# Runs Bazaar: prepares a local Postgres unless DATABASE_URL is set, then
# `bazaar serve` (which creates the database and migrates it).
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
exec cargo run --release --locked --bin bazaar -- serve "$@"
