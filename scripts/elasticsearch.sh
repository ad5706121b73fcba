# Sourced by the other scripts: makes sure noida-db, a local server that
# speaks the Elasticsearch 8.x REST API, is installed, and exports
# NOIDA_DB_BIN for the live search tests (each test starts its own server
# on a free port with a temporary data directory, and stops it at the end).
#
# Order of preference: $NOIDA_DB_BIN if the caller set it; the binary in
# the repository's .local/noida virtual environment; else that environment
# is created and noida-db installed into it, pinned and hash-checked from
# scripts/noida-requirements.txt (once per clone, a few seconds).
#
# noida-db is not Lucene: scoring and analyzers are approximations. The
# live tests run against a real cluster instead when ELASTICSEARCH_URL is
# set (the restart test always uses a server it can stop: noida-db).

noida_works() {
    [ -x "$1" ] && "$1" version >/dev/null 2>&1
}

# The server binary inside the wheel (the `noida-db` entry point is a Python
# wrapper that would leave the binary running if the wrapper were killed).
noida_binary_of() {
    "$1/bin/python" -c 'from importlib.resources import files; print(files("noida_db").joinpath("noida-db"))'
}

# Python's venv and pip (Debian ships them apart from python3).
python_venv_if_missing() {
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        echo "elasticsearch.sh: installing python3-venv" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
    fi
}

ensure_noida() {
    if [ -n "${NOIDA_DB_BIN:-}" ]; then
        noida_works "$NOIDA_DB_BIN" && return 0
        echo "elasticsearch.sh: NOIDA_DB_BIN=$NOIDA_DB_BIN does not run" >&2
        return 1
    fi
    local root venv bin
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    venv="$root/.local/noida"
    if [ -x "$venv/bin/python" ]; then
        bin=$(noida_binary_of "$venv" 2>/dev/null || true)
    fi
    if ! noida_works "${bin:-}"; then
        echo "elasticsearch.sh: installing noida-db into .local/noida" >&2
        python_venv_if_missing
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            --require-hashes --no-deps -r "$root/scripts/noida-requirements.txt"
        bin=$(noida_binary_of "$venv")
        chmod +x "$bin"
    fi
    if ! noida_works "$bin"; then
        echo "elasticsearch.sh: noida-db is not runnable at $bin" >&2
        return 1
    fi
    export NOIDA_DB_BIN="$bin"
}
