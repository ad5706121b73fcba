#!/usr/bin/env bash
# The API contract check: runs schemathesis with every check against a
# `bazaar serve` started here on a scratch database of a real Postgres,
# with an admin token, and fails on any finding. scripts/test.sh runs it;
# run it alone with `scripts/schemathesis.sh` (it builds the binary).
#
# schemathesis is installed once per clone into .local/schemathesis, a
# Python virtual environment, pinned with every dependency and
# hash-checked (scripts/schemathesis-requirements.txt). Its settings, and
# the small allow-list of checks that are wrong about documented, deliberate
# behaviour (each with its reason), are in scripts/schemathesis.toml.
#
# Environment: PG_SERVER_URL (a server URL without a database; prepared
# by scripts/postgres.sh when unset), SCHEMATHESIS_EXAMPLES (examples per
# operation, default 30), BAZAAR_BIN (a built `bazaar`; built when unset).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
# shellcheck source=scripts/elasticsearch.sh
. scripts/elasticsearch.sh

ST_VENV="$REPO_ROOT/.local/schemathesis"

ensure_schemathesis() {
    if [ -x "$ST_VENV/bin/schemathesis" ] \
        && "$ST_VENV/bin/pip" install --dry-run --quiet --disable-pip-version-check \
            --require-hashes --no-deps --no-index \
            -r scripts/schemathesis-requirements.txt >/dev/null 2>&1; then
        return 0
    fi
    echo "schemathesis.sh: installing schemathesis into .local/schemathesis" >&2
    python_venv_if_missing
    rm -rf "$ST_VENV"
    python3 -m venv "$ST_VENV"
    "$ST_VENV/bin/pip" install --quiet --disable-pip-version-check \
        --require-hashes --no-deps -r scripts/schemathesis-requirements.txt
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ -z "${PG_SERVER_URL:-}" ]; then
    ensure_postgres
fi
ensure_schemathesis
if [ -z "${BAZAAR_BIN:-}" ] || [ ! -x "$BAZAAR_BIN" ]; then
    cargo build --locked -q -p bazaar-cli --bin bazaar
    BAZAAR_BIN="$REPO_ROOT/target/debug/bazaar"
fi

db="bazaar_schemathesis_$$"
port=$(free_port)
workdir=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    psql "$PG_SERVER_URL/postgres" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap cleanup EXIT
psql "$PG_SERVER_URL/postgres" -qc "create database $db" >/dev/null

BAZAAR_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BAZAAR_JWT_SECRET
# the per-principal rate limit is off: one admin token makes every request
# (429 is documented on every operation all the same); a made-up but valid
# `min_position` waits 50 ms, not the default 5 s, before its 503
DATABASE_URL="$PG_SERVER_URL/$db" BAZAAR_HTTP_ADDR="127.0.0.1:$port" \
    BAZAAR_RATE_LIMIT_PER_SECOND=0 BAZAAR_READ_WAIT_MS=50 RUST_LOG=warn \
    "$BAZAAR_BIN" serve >"$workdir/server.log" 2>&1 &
server=$!
token=$("$BAZAAR_BIN" token --sub schemathesis --role admin --ttl-minutes 60)
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
    curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$workdir/server.log" >&2; exit 1; }
    sleep 0.5
done

status=0
# one worker: with two threads, Python 3.11's AST constructor (hypothesis
# parses its filter lambdas) races and a run can fail with "AST constructor
# recursion depth mismatch", an error of the tool, not of the API (CPython
# issue 106905)
"$ST_VENV/bin/schemathesis" --config-file scripts/schemathesis.toml run \
    --checks all \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
    --seed "${SCHEMATHESIS_SEED:-17}" \
    --workers 1 \
    --header "Authorization: Bearer $token" \
    --report junit --report-junit-path "$workdir/junit.xml" \
    "$base/openapi.json" || status=$?
if grep -q 'panicked\|request failed: internal error' "$workdir/server.log"; then
    echo "schemathesis.sh: the server logged a panic or an internal error:" >&2
    grep 'panicked\|request failed: internal error' "$workdir/server.log" | head -20 >&2
    status=1
fi
# one closing line the suite's summary counts
# (an operation with a finding or an error counts as failed)
count() { grep -o "$1=\"[0-9]*\"" "$workdir/junit.xml" 2>/dev/null | head -1 | grep -o '[0-9]*' || echo 0; }
tests=$(count tests)
failed=$(($(count failures) + $(count errors)))
echo "schemathesis: $((tests - failed)) passed, $failed failed"
exit "$status"
