# Sourced by the other scripts: makes sure a Postgres server is reachable and
# sets PG_SERVER_URL (a URL without a database name).
#
# Order of preference: the server at $PG_SERVER_URL if the caller set it; the
# local server on 127.0.0.1:5432 (started if its cluster is stopped); else a
# private trust-auth cluster under .local/pgdata on port 55432, installing
# PostgreSQL from Debian's packages first if it is missing.

PRIVATE_PORT=55432

pg_can_connect() {
    psql "$1/postgres" -Atqc 'select 1' >/dev/null 2>&1
}

pg_install_if_missing() {
    if ! command -v psql >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        echo "postgres.sh: installing PostgreSQL" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq postgresql postgresql-contrib >/dev/null
    fi
}

pg_start_system_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    local version
    version=$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main" && $3 == 5432 {print $1; exit}')
    [ -n "$version" ] || return 1
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do
        pg_can_connect "postgres://postgres@127.0.0.1:5432" && return 0
        sleep 1
    done
    return 1
}

pg_start_private_cluster() {
    local bin data owner run
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    data="$REPO_ROOT/.local/pgdata"
    owner=$(id -un)
    run=()
    if [ "$(id -u)" = 0 ]; then owner=postgres; run=(runuser -u postgres --); fi
    mkdir -p "$data" && chown "$owner" "$REPO_ROOT/.local" "$data" && chmod 700 "$data"
    if [ ! -f "$data/PG_VERSION" ]; then
        "${run[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >/dev/null
    fi
    if ! pg_can_connect "postgres://postgres@127.0.0.1:$PRIVATE_PORT"; then
        "${run[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
            -o "-p $PRIVATE_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    fi
    pg_can_connect "postgres://postgres@127.0.0.1:$PRIVATE_PORT"
}

ensure_postgres() {
    if [ -n "${PG_SERVER_URL:-}" ]; then
        pg_can_connect "$PG_SERVER_URL" && return 0
        echo "postgres.sh: cannot connect to PG_SERVER_URL=$PG_SERVER_URL" >&2
        return 1
    fi
    if pg_can_connect "postgres://postgres@127.0.0.1:5432" || pg_start_system_cluster; then
        PG_SERVER_URL="postgres://postgres@127.0.0.1:5432"
        return 0
    fi
    pg_install_if_missing
    if pg_start_system_cluster; then
        PG_SERVER_URL="postgres://postgres@127.0.0.1:5432"
    elif pg_start_private_cluster; then
        PG_SERVER_URL="postgres://postgres@127.0.0.1:$PRIVATE_PORT"
    else
        echo "postgres.sh: no PostgreSQL server could be reached or started" >&2
        return 1
    fi
}
