#!/usr/bin/env bash
# Starts a private PostgreSQL server for the tests (its own data directory and port, owned by
# the `postgres` system user) and prints the URL to export as KINDLING_TEST_POSTGRES.
#   scripts/postgres.sh start   → prints postgres://…
#   scripts/postgres.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${KINDLING_PG_DATA:-/tmp/kindling-pg}
PORT=${KINDLING_PG_PORT:-55432}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA"
      as_pg "$PGBIN/initdb" -D "$DATA" -U kindling --auth=trust >/dev/null
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    fi
    psql "postgres://kindling@127.0.0.1:$PORT/postgres" -qtc "SELECT 1" >/dev/null
    echo "postgres://kindling@127.0.0.1:$PORT/kindling"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
