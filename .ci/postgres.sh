# A throwaway PostgreSQL 15 cluster for the store's tests. Source this file, then:
#   pg_start   # starts it on a free loopback port, exports PANCAKE_TEST_POSTGRES_URL
#   pg_stop    # stops it by its postmaster pid and removes its directory (safe to call twice)
# initdb refuses to run as root: as root the cluster runs as the `postgres` user.
# Without Debian's PostgreSQL 15 server, pg_start says so and the PostgreSQL tests are skipped.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DIR=""
PG_PID=""

_pg_as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    echo "postgres: no PostgreSQL 15 server in $PG_BIN (apt-get install postgresql-15); the PostgreSQL store tests will be skipped" >&2
    return 0
  fi
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    echo "postgres: running as root and there is no 'postgres' user to run initdb; the PostgreSQL store tests will be skipped" >&2
    return 0
  fi
  PG_DIR="$(mktemp -d /tmp/pancake-pg.XXXXXX)"
  if [ "$(id -u)" = "0" ]; then chown postgres "$PG_DIR"; fi
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    echo "postgres: initdb failed (see below); the PostgreSQL store tests will be skipped" >&2
    cat "$PG_DIR/initdb.log" >&2
    rm -rf "$PG_DIR"; PG_DIR=""
    return 0
  fi
  if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
    echo "postgres: the server did not start (see below); the PostgreSQL store tests will be skipped" >&2
    cat "$PG_DIR/server.log" >&2 || true
    pg_stop
    return 0
  fi
  PG_PID="$(head -n 1 "$PG_DIR/data/postmaster.pid")"
  export PANCAKE_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "postgres: throwaway PostgreSQL 15 (pid $PG_PID) on 127.0.0.1:$port"
}

pg_stop() {
  if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
    kill -INT "$PG_PID" 2>/dev/null || true     # fast shutdown, by the postmaster's own pid
    for _ in $(seq 1 100); do
      kill -0 "$PG_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PG_PID" 2>/dev/null; then kill -QUIT "$PG_PID" 2>/dev/null || true; fi
  fi
  PG_PID=""
  if [ -n "$PG_DIR" ]; then rm -rf "$PG_DIR"; PG_DIR=""; fi
  unset PANCAKE_TEST_POSTGRES_URL
}
