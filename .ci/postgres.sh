# shellcheck shell=bash
# Sourced by .ci/run: starts a throwaway PostgreSQL server for custodia-store's PostgreSQL suite and exports
# CUSTODIA_PG_URL. Installs PostgreSQL with apt-get when no `initdb` is found (a clean CI machine has none).
# The server lives in a fresh temporary directory, listens only on 127.0.0.1 on a free port from 54329 up,
# trusts local connections, and is stopped and deleted by `custodia_pg_stop` (also registered on EXIT).
#
#   source .ci/postgres.sh
#   custodia_pg_start
#   cargo test -p custodia-store --features postgres-tests
#   custodia_pg_stop
#
# Safe under `set -euo pipefail`. PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` user (created by the Debian package) through `runuser`.

CUSTODIA_PG_DIR="${CUSTODIA_PG_DIR:-}"
CUSTODIA_PG_BIN="${CUSTODIA_PG_BIN:-}"

# Prints the directory holding initdb, pg_ctl and postgres: the newest /usr/lib/postgresql/*/bin (where
# Debian and Ubuntu put them), else wherever initdb is on PATH. Prints nothing if there is none.
custodia_pg_find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    printf '%s\n' "$dir"
    return 0
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
  fi
}

# Runs a command as the server's owner: `postgres` when we are root, ourselves otherwise.
custodia_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

custodia_pg_install() {
  echo "custodia_pg: no initdb found; installing PostgreSQL with apt-get" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "custodia_pg: installing PostgreSQL needs root" >&2
    return 1
  fi
  # The package's own default cluster (if its post-install starts one) listens on 5432 and does not
  # matter: the suite gets its own server below.
  DEBIAN_FRONTEND=noninteractive apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
}

# Is something listening on 127.0.0.1:$1?
custodia_pg_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

custodia_pg_start() {
  CUSTODIA_PG_BIN=$(custodia_pg_find_bin)
  if [ -z "$CUSTODIA_PG_BIN" ]; then
    custodia_pg_install
    CUSTODIA_PG_BIN=$(custodia_pg_find_bin)
  fi
  if [ -z "$CUSTODIA_PG_BIN" ]; then
    echo "custodia_pg: PostgreSQL is still missing after the install" >&2
    return 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "custodia_pg: running as root but there is no postgres user to run the server" >&2
    return 1
  fi

  local port=54329
  while custodia_pg_port_busy "$port"; do
    port=$((port + 1))
    if [ "$port" -gt 54399 ]; then
      echo "custodia_pg: no free port in 54329..54399" >&2
      return 1
    fi
  done

  CUSTODIA_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/custodia-pg.XXXXXX")
  # mktemp -d makes the directory private to us; the server's owner must own it (0700 is what it wants).
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$CUSTODIA_PG_DIR"
  fi
  trap custodia_pg_stop EXIT

  custodia_pg_as_owner "$CUSTODIA_PG_BIN/initdb" --pgdata="$CUSTODIA_PG_DIR/data" --username=postgres \
    --auth-local=trust --auth-host=trust --encoding=UTF8 --no-locale >"$CUSTODIA_PG_DIR/initdb.log" 2>&1 || {
    cat "$CUSTODIA_PG_DIR/initdb.log" >&2
    return 1
  }
  # A throwaway server: durability settings off (the suite tests custodia's locking, not the server's
  # fsync), the socket in our own directory, TCP on loopback only.
  custodia_pg_as_owner "$CUSTODIA_PG_BIN/pg_ctl" --pgdata="$CUSTODIA_PG_DIR/data" --log="$CUSTODIA_PG_DIR/server.log" \
    --wait --timeout=60 \
    -o "-p $port -k $CUSTODIA_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || {
    cat "$CUSTODIA_PG_DIR/server.log" >&2 || true
    return 1
  }
  export CUSTODIA_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "custodia_pg: PostgreSQL $("$CUSTODIA_PG_BIN/postgres" --version | awk '{print $3}') on port $port ($CUSTODIA_PG_DIR)" >&2
}

# Stops the server and deletes its directory. Idempotent, and never fails (it runs from the EXIT trap).
custodia_pg_stop() {
  if [ -n "${CUSTODIA_PG_DIR:-}" ] && [ -d "$CUSTODIA_PG_DIR" ]; then
    if [ -n "${CUSTODIA_PG_BIN:-}" ] && [ -f "$CUSTODIA_PG_DIR/data/postmaster.pid" ]; then
      custodia_pg_as_owner "$CUSTODIA_PG_BIN/pg_ctl" --pgdata="$CUSTODIA_PG_DIR/data" --mode=fast --wait \
        stop >/dev/null 2>&1 || true
    fi
    rm -rf "$CUSTODIA_PG_DIR"
  fi
  CUSTODIA_PG_DIR=""
  unset CUSTODIA_PG_URL
}
