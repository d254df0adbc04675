#!/usr/bin/env bash
# Start PostgreSQL and Redis on loopback for the tests (installing them from the
# distribution's packages when missing). Prints the two URLs as shell assignments:
#   eval "$(.ci/services.sh)"
# Idempotent: servers already running on these ports are reused.
set -euo pipefail
PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63799}"
PG_DIR="${PG_DIR:-/tmp/partnerbot-pg}"

need=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >&2
fi
PG_BIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"

as_postgres() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

if ! "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q; then
    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        mkdir -p "$PG_DIR"
        [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
        as_postgres "$PG_BIN/initdb -D $PG_DIR -U postgres --auth=trust -E UTF8 >/dev/null"
    fi
    as_postgres "$PG_BIN/pg_ctl -D $PG_DIR -l $PG_DIR/log -w -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300' start >/dev/null"
fi
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
echo "export PARTNERBOT_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres"
echo "export PARTNERBOT_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
