#!/usr/bin/env bash
# Runs the whole test suite against a real Postgres: formatting, lints, then
# every test of the workspace. Prepares a local Postgres unless
# PG_SERVER_URL (a server URL without a database) is set; each test gets a
# fresh database on that server.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

ensure_postgres
export DATABASE_URL="$PG_SERVER_URL/postgres"
echo "test.sh: using $PG_SERVER_URL"

cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked --workspace
