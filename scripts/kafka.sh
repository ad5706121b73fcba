# Sourced by the other scripts: makes sure Tansu, the Apache-Kafka-compatible
# broker the relay tests start (one broker per test, on a free port), is
# installed, and exports TANSU_BIN for the tests.
#
# Order of preference: $TANSU_BIN if the caller set it; the binary cargo
# installs into ~/.cargo/bin; else it is built and installed there with
# `cargo install tansu --locked --features dynostore,postgres` (about 7.5
# minutes on 2 cores, once per machine: without --locked it does not
# compile, without dynostore its memory:// storage is missing).

tansu_works() {
    "$1" --version >/dev/null 2>&1
}

ensure_tansu() {
    if [ -n "${TANSU_BIN:-}" ]; then
        tansu_works "$TANSU_BIN" && return 0
        echo "kafka.sh: TANSU_BIN=$TANSU_BIN does not run" >&2
        return 1
    fi
    local bin="${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
    if ! tansu_works "$bin"; then
        echo "kafka.sh: installing tansu (about 7.5 minutes on 2 cores)" >&2
        cargo install tansu --locked --features dynostore,postgres
    fi
    if ! tansu_works "$bin"; then
        echo "kafka.sh: tansu is not runnable at $bin" >&2
        return 1
    fi
    export TANSU_BIN="$bin"
}
