# shellcheck shell=bash
# Sourced by .ci/run: starts a throwaway PostgreSQL server for custodia-store's PostgreSQL suite. Installs
# PostgreSQL with apt-get when no `initdb` is found (a clean CI machine has none). The server lives in a fresh
# temporary directory, listens only on 127.0.0.1 on a free port from 54329 up, and is stopped and deleted by
# `custodia_pg_stop` (also registered on EXIT).
#
# It speaks TLS only, as a brokerage's server should: the script makes a throwaway CA with openssl, a server
# certificate for `localhost` signed by it, and a second, unrelated CA; TCP connections without TLS are
# rejected (pg_hba `hostnossl … reject`), and only the server's own Unix socket takes plaintext (for the
# tests' raw SQL). It exports:
#
#   CUSTODIA_PG_URL         postgresql://postgres@localhost:PORT/postgres?sslmode=verify-full&sslrootcert=CA
#   CUSTODIA_PG_CA          the CA file; CUSTODIA_PG_OTHER_CA an unrelated CA (a certificate check must fail)
#   CUSTODIA_PG_PORT        the port
#   CUSTODIA_PG_SOCKET_URL  key-value string for the Unix socket (plaintext, trusted): raw SQL in tests
#   CUSTODIA_PG_CRASH       a script that crashes the server (`pg_ctl stop -m immediate`) and starts it again
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
  custodia_pg_make_certificates "$CUSTODIA_PG_DIR/tls" || return 1
  # TLS or nothing over TCP; the Unix socket (in our own directory) is for the tests' raw SQL.
  cat >"$CUSTODIA_PG_DIR/data/pg_hba.conf" <<'HBA'
local     all all                trust
hostssl   all all 127.0.0.1/32   trust
hostnossl all all 127.0.0.1/32   reject
HBA
  # A throwaway server: fsync and full-page writes off (the suite tests custodia's locking, not the disk;
  # a server crash kills processes, not the kernel, so what was written survives it). synchronous_commit
  # stays on: an acknowledged commit must be in the WAL for the server-crash test to count it.
  local options="-p $port -k $CUSTODIA_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
  options="$options -c max_connections=200 -c ssl=on -c ssl_cert_file=$CUSTODIA_PG_DIR/tls/server.pem"
  options="$options -c ssl_key_file=$CUSTODIA_PG_DIR/tls/server.key"
  printf '%s\n' "$options" >"$CUSTODIA_PG_DIR/options"
  custodia_pg_as_owner "$CUSTODIA_PG_BIN/pg_ctl" --pgdata="$CUSTODIA_PG_DIR/data" --log="$CUSTODIA_PG_DIR/server.log" \
    --wait --timeout=60 -o "$options" start >/dev/null || {
    cat "$CUSTODIA_PG_DIR/server.log" >&2 || true
    return 1
  }
  # The crash a test asks for: every server process killed at once (no shutdown checkpoint, as on a
  # power cut of the server alone), then the server started again, which replays its WAL.
  cat >"$CUSTODIA_PG_DIR/crash.sh" <<CRASH
#!/usr/bin/env bash
set -euo pipefail
as_owner() { if [ "\$(id -u)" -eq 0 ]; then runuser -u postgres -- "\$@"; else "\$@"; fi; }
as_owner "$CUSTODIA_PG_BIN/pg_ctl" --pgdata="$CUSTODIA_PG_DIR/data" --mode=immediate --wait stop >/dev/null
as_owner "$CUSTODIA_PG_BIN/pg_ctl" --pgdata="$CUSTODIA_PG_DIR/data" --log="$CUSTODIA_PG_DIR/server.log" \\
  --wait --timeout=60 -o "\$(cat "$CUSTODIA_PG_DIR/options")" start >/dev/null
CRASH
  chmod 755 "$CUSTODIA_PG_DIR/crash.sh"
  export CUSTODIA_PG_URL="postgresql://postgres@localhost:$port/postgres?sslmode=verify-full&sslrootcert=$CUSTODIA_PG_DIR/tls/ca.pem"
  export CUSTODIA_PG_CA="$CUSTODIA_PG_DIR/tls/ca.pem"
  export CUSTODIA_PG_OTHER_CA="$CUSTODIA_PG_DIR/tls/other-ca.pem"
  export CUSTODIA_PG_PORT="$port"
  export CUSTODIA_PG_SOCKET_URL="host=$CUSTODIA_PG_DIR port=$port user=postgres dbname=postgres"
  export CUSTODIA_PG_CRASH="$CUSTODIA_PG_DIR/crash.sh"
  echo "custodia_pg: PostgreSQL $("$CUSTODIA_PG_BIN/postgres" --version | awk '{print $3}') on port $port, TLS only ($CUSTODIA_PG_DIR)" >&2
}

# Makes a throwaway CA, a server certificate for DNS name `localhost` (only: a client that checks the name
# and connects to 127.0.0.1 must refuse it) signed by that CA, and an unrelated second CA, in directory $1.
custodia_pg_make_certificates() {
  local dir=$1
  mkdir -p "$dir"
  if ! command -v openssl >/dev/null 2>&1; then
    echo "custodia_pg: openssl is needed to make the test CA" >&2
    return 1
  fi
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=custodia test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=unrelated CA" -keyout "$dir/other-ca.key" -out "$dir/other-ca.pem" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
      -keyout "$dir/server.key" -out "$dir/server.csr"
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
      >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
      -extfile "$dir/server.ext" -out "$dir/server.pem"
  } >"$dir/openssl.log" 2>&1 || {
    cat "$dir/openssl.log" >&2
    return 1
  }
  chmod 600 "$dir/server.key"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir/server.key" "$dir/server.pem"
  fi
  chmod 644 "$dir/ca.pem" "$dir/other-ca.pem" "$dir/server.pem"
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
  unset CUSTODIA_PG_URL CUSTODIA_PG_CA CUSTODIA_PG_OTHER_CA CUSTODIA_PG_PORT CUSTODIA_PG_SOCKET_URL CUSTODIA_PG_CRASH
}
