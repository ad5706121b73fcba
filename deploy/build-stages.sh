#!/usr/bin/env bash
# The container image's build stages as a script, so they can be run and
# checked where no Docker engine is.
#
#   deploy/build-stages.sh build OUT
#       The Dockerfile's builder stage runs exactly this: the release build
#       of the bazaar binary (same cargo flags as its `cargo chef cook`),
#       then the binary and the healthcheck laid out under OUT as they
#       appear in the image's root (OUT/usr/local/bin/…).
#
#   deploy/build-stages.sh sync [DOCKERFILE]
#       Checks that deploy/Dockerfile (or DOCKERFILE) still says what this script assumes:
#       the same cargo flags for its dependency cache, this script as its
#       build step, the staged paths, the user, entrypoint and healthcheck.
#
#   deploy/build-stages.sh check [--release]
#       What CI runs after the tests: `sync`, then stages a binary into
#       a scratch root, checks that it needs no shared library the runtime
#       image lacks, then runs it as the image does: as the non-root user,
#       from an empty directory (no repository files: the migrations must
#       be embedded), with a clean environment. `bazaar migrate` on a
#       scratch database, `bazaar api`, the image's healthcheck until it
#       passes, SIGTERM and a clean exit.
#       Without --release it stages the debug binary the test build left in
#       target/debug (no extra compile: CI runs it after `cargo test`); with
#       --release it first runs the builder stage's own build, the faithful
#       mirror: about 11 minutes of CPU from a cold target directory
#       (measured: 648 s user, 33 s system), too much for every CI run.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"

# What the Dockerfile must agree with (check_dockerfile reads it).
# No default features: the image ships the server without the tools
# (`bazaar simulate`, `bazaar bench`: see cli/Cargo.toml).
CARGO_FLAGS=(--release --locked -p bazaar-cli --no-default-features --bin bazaar)
BIN=usr/local/bin/bazaar
HEALTHCHECK=usr/local/bin/bazaar-healthcheck
RUNTIME_UID=10001
# Shared libraries Debian slim provides (libc6, libgcc-s1, zlib1g).
RUNTIME_LIBS="linux-vdso ld-linux-x86-64 ld-linux-aarch64 libc libm libgcc_s libz libpthread libdl librt"
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_ROOT/target}

say() { echo "build-stages: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# The builder stage: release build, then the image's files under $1.
build() {
    local out=$1
    cargo build "${CARGO_FLAGS[@]}"
    stage "$TARGET_DIR/release/bazaar" "$out"
}

# Lays out the binary and the healthcheck as the image has them.
stage() {
    local binary=$1 out=$2
    install -D -m 0755 "$binary" "$out/$BIN"
    install -D -m 0755 deploy/healthcheck.sh "$out/$HEALTHCHECK"
}

# The Dockerfile ($1, default deploy/Dockerfile) must contain each of
# these lines (or line parts).
check_dockerfile() {
    local dockerfile=${1:-deploy/Dockerfile} expected
    local lines=(
        "RUN cargo chef cook ${CARGO_FLAGS[*]} --recipe-path recipe.json"
        "RUN deploy/build-stages.sh build /out"
        "COPY --from=builder /out/ /"
        "useradd --system --uid $RUNTIME_UID --gid $RUNTIME_UID"
        "USER $RUNTIME_UID:$RUNTIME_UID"
        "ENTRYPOINT [\"/usr/bin/tini\", \"--\", \"/$BIN\"]"
        "CMD [\"/$HEALTHCHECK\"]"
    )
    for expected in "${lines[@]}"; do
        grep -qF -- "$expected" "$dockerfile" ||
            fail "$dockerfile no longer contains: $expected (keep it and this script in step)"
    done
    say "Dockerfile and script agree (${#lines[@]} lines)"
}

# Every shared library the binary needs must be one the runtime image has.
check_libraries() {
    local binary=$1 lib name missing=()
    while read -r lib; do
        name=${lib%%.so*}
        [[ " $RUNTIME_LIBS " == *" $name "* ]] || missing+=("$lib")
    done < <(ldd "$binary" | awk '{print $1}' | xargs -n1 basename)
    [ ${#missing[@]} -eq 0 ] || fail "the binary needs libraries the runtime image lacks: ${missing[*]}"
    say "shared libraries: all in the runtime image"
}

# The prefix that runs a command as the image's user (when root; otherwise
# as the current, already non-root, user) with a clean environment; every
# part execs the next, so a background job's pid is the command's own.
runtime_prefix() {
    RUNTIME=()
    if [ "$(id -u)" = 0 ]; then
        RUNTIME=(setpriv --reuid="$RUNTIME_UID" --regid="$RUNTIME_UID" --clear-groups --)
    fi
    RUNTIME+=(env -i PATH=/usr/bin:/bin HOME=/nonexistent)
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs the staged root $1 as the image would, against a scratch database.
smoke() {
    local root=$1 empty=$2 port url pid status
    # shellcheck source=scripts/postgres.sh
    . scripts/postgres.sh
    ensure_postgres
    url="$PG_SERVER_URL/bazaar_image_check_$$"
    port=$(free_port)
    # the API refuses to start without a JWT key, as the image would
    local secret
    secret=$(head -c 48 /dev/urandom | base64 -w0)
    local settings=(DATABASE_URL="$url" BAZAAR_HTTP_ADDR="127.0.0.1:$port" BAZAAR_LOG_FORMAT=json
        BAZAAR_JWT_SECRET="$secret")
    runtime_prefix
    cd "$empty"
    "${RUNTIME[@]}" "/$root/$BIN" --version >/dev/null || fail "bazaar --version"
    "${RUNTIME[@]}" "/$root/$BIN" migrate --help >/dev/null || fail "bazaar migrate --help"
    "${RUNTIME[@]}" "${settings[@]}" "/$root/$BIN" migrate >/dev/null || fail "bazaar migrate (embedded migrations)"
    if "${RUNTIME[@]}" BAZAAR_HTTP_ADDR="0.0.0.0:$port" timeout 5 "/$root/$HEALTHCHECK" 2>/dev/null; then
        fail "the healthcheck passed with no server listening"
    fi
    "${RUNTIME[@]}" "${settings[@]}" "/$root/$BIN" api >"$empty/../api.log" 2>&1 &
    pid=$!
    status=1
    for _ in $(seq 1 60); do
        if "${RUNTIME[@]}" BAZAAR_HTTP_ADDR="0.0.0.0:$port" timeout 5 "/$root/$HEALTHCHECK" 2>/dev/null; then
            status=0
            break
        fi
        sleep 0.5
    done
    kill -TERM "$pid" 2>/dev/null || true
    local exit_code=0
    wait "$pid" || exit_code=$?
    cd "$REPO_ROOT"
    psql "$PG_SERVER_URL/postgres" -qc "drop database if exists bazaar_image_check_$$ with (force)" >/dev/null
    [ "$status" = 0 ] || { cat "$empty/../api.log" >&2; fail "the healthcheck never passed"; }
    [ "$exit_code" = 0 ] || fail "bazaar api exited with $exit_code on SIGTERM"
    say "as uid $RUNTIME_UID from an empty directory: --version, migrate, api, healthcheck, SIGTERM: ok"
}

check() {
    local binary
    check_dockerfile
    if [ "${1:-}" = --release ]; then
        cargo build "${CARGO_FLAGS[@]}"
        binary=$TARGET_DIR/release/bazaar
    else
        binary=$TARGET_DIR/debug/bazaar
        [ -x "$binary" ] || fail "$binary missing: run cargo test (or use --release)"
    fi
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    chmod 755 "$WORK"
    stage "$binary" "$WORK/root"
    mkdir -m 755 "$WORK/empty"
    check_libraries "$WORK/root/$BIN"
    smoke "${WORK#/}/root" "$WORK/empty"
}

case "${1:-}" in
    build) [ $# -eq 2 ] || fail "usage: $0 build OUT"; build "$2" ;;
    sync) check_dockerfile "${2:-}" ;;
    check) shift; check "$@" ;;
    *) fail "usage: $0 build OUT | sync [DOCKERFILE] | check [--release]" ;;
esac
