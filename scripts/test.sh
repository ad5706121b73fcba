#!/usr/bin/env bash
# Runs the whole test suite against a real Postgres and a real
# Kafka-compatible broker: formatting, lints (also of the `otel` feature),
# the deploy/ checks (scripts/check-deploy.sh), cargo deny
# (scripts/deny.sh, deny.toml), then every test of the
# workspace, the image's build stage on the binary they built
# (deploy/build-stages.sh check) and the `otel` feature's tests. Prepares
# a local Postgres unless PG_SERVER_URL (a server URL without a database)
# is set; each test gets a fresh database on that server. Makes sure
# Tansu is installed (TANSU_BIN); the Kafka relay tests start their own
# broker per test and fail if it cannot be found. Likewise noida-db
# (NOIDA_DB_BIN, scripts/elasticsearch.sh), the Elasticsearch API server the
# live search tests start per test; with ELASTICSEARCH_URL set they run
# against that cluster instead. Last, the API contract check
# (scripts/schemathesis.sh): schemathesis, pinned in a local virtual
# environment, with every check against a `bazaar serve` on a scratch
# database; any finding fails the run.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
# shellcheck source=scripts/kafka.sh
. scripts/kafka.sh
# shellcheck source=scripts/elasticsearch.sh
. scripts/elasticsearch.sh

ensure_postgres
export DATABASE_URL="$PG_SERVER_URL/postgres"
echo "test.sh: using $PG_SERVER_URL"
ensure_tansu
echo "test.sh: using $TANSU_BIN"
ensure_noida
echo "test.sh: using $NOIDA_DB_BIN${ELASTICSEARCH_URL:+ (live search tests: $ELASTICSEARCH_URL)}"

cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
# the OpenTelemetry export is off by default: keep its code compiling and clean
cargo clippy --locked -p bazaar-runtime -p bazaar-cli --features bazaar-cli/otel --all-targets -- -D warnings
# deploy/: YAML, compose, Kubernetes schemas, Dockerfile (and proof each check bites)
scripts/check-deploy.sh --self-test
# cargo deny: licenses, bans, sources; advisories when the RustSec
# database can be had (scripts/deny.sh says when it cannot)
scripts/deny.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
# the image's build stage, run on the binary the tests just built
deploy/build-stages.sh check 2>&1 | tee -a "$log" || status=$?
# trace ids in JSON logs and a real OTLP export (feature otel)
cargo test --locked -p bazaar-runtime --features otel --lib -- telemetry 2>&1 | tee -a "$log" || status=$?
cargo test --locked -p bazaar-cli --features otel --test cli -- otel 2>&1 | tee -a "$log" || status=$?
# the OpenAPI document is the contract: schemathesis against a real server
BAZAAR_BIN="$REPO_ROOT/target/debug/bazaar" scripts/schemathesis.sh 2>&1 | tee -a "$log" || status=$?
# one closing line for the whole run (cargo prints one per test binary,
# the contract check one `schemathesis: N passed, N failed`)
sum() { grep -E '^(test result:|schemathesis:)' "$log" | grep -Eo "[0-9]+ $1" | awk '{n += $1} END {print n + 0}'; }
# how much the build left, to see how close a run comes to a full disk
echo "test.sh: target/ holds $(du -sh target 2>/dev/null | cut -f1)"
echo "total: $(sum passed) passed, $(sum failed) failed, $(sum ignored) skipped"
exit "$status"
