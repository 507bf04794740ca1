#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster on 127.0.0.1 for the test suite (used by scripts/test.sh).
#   scripts/test-postgres.sh start   -> prints the admin connection string on stdout
#   scripts/test-postgres.sh stop
# The test cluster trades durability for speed (fsync, synchronous_commit and full_page_writes off): nothing in it
# outlives the run. LATCHKEY_TEST_PG_DURABLE=1 keeps PostgreSQL's durable defaults instead (bench/run.sh uses it, so
# PostgreSQL's figures there commit to disk as SQLite's do).
set -euo pipefail
PGPORT="${LATCHKEY_TEST_PGPORT:-54329}"
PGDATA_DIR="${LATCHKEY_TEST_PGDATA:-/tmp/latchkey-test-pg}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

relaxed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${LATCHKEY_TEST_PG_DURABLE:-0}" = 1 ] && relaxed=""

case "${1:-}" in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$PGDATA_DIR"; mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA_DIR"
    # Throwaway cluster on loopback only: trust auth is acceptable because nothing but this machine can reach it.
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -l "$PGDATA_DIR/server.log" \
      -o "-h 127.0.0.1 -p $PGPORT -k $PGDATA_DIR $relaxed -c max_connections=300" start >/dev/null
    echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres"
    ;;
  stop)
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null || true; fi
    rm -rf "$PGDATA_DIR"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
