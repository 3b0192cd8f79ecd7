#!/usr/bin/env bash
# PostgreSQL job: a throwaway server from Debian's package, the example book loaded into it,
# then the PostgreSQL tests (fit from the database, forecast, write the forecast back, a
# killed write). Runnable standalone from the repository root: bash .ci/jobs/postgres.sh
# The server listens on 127.0.0.1 on a free port, lives in a temporary folder and is stopped
# on exit (trap), whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
[ -x "$PY" ] || PY="$(command -v python3)"
export CI="${CI:-}"

pg_bin() {  # the newest installed server's bin folder
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
BIN="$(pg_bin)"
"$PY" -c "import adbc_driver_postgresql" 2>/dev/null || "$PY" -m pip install -q -e '.[sql]'

# the server must not run as root: use the package's postgres user when we are root
RUN=()
if [ "$(id -u)" = 0 ]; then RUN=(runuser -u postgres --); fi
DATA="$(mktemp -d /tmp/channelsim-pg.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_hex(12))')"
cleanup() {
  "${RUN[@]}" "$BIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT

echo "$PASSWORD" >"$DATA/pw" && chmod 600 "$DATA/pw"
[ "$(id -u)" = 0 ] && chown postgres "$DATA/pw"
"${RUN[@]}" "$BIN/initdb" -D "$DATA/db" -U channelsim --pwfile="$DATA/pw" \
  --auth-host=scram-sha-256 --auth-local=trust -E UTF8 >/dev/null
rm -f "$DATA/pw"
"${RUN[@]}" "$BIN/pg_ctl" -D "$DATA/db" -l "$DATA/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off" start >/dev/null
"${RUN[@]}" "$BIN/createdb" -h "$DATA" -p "$PORT" -U channelsim channelsim  # socket: trust
echo "postgres: server $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

# the URL reaches the tests only through the environment (never a command line)
export CHANNELSIM_TEST_PG_URL="postgresql://channelsim:$PASSWORD@127.0.0.1:$PORT/channelsim"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -m channelsim example --sql env:CHANNELSIM_TEST_PG_URL
"$PY" -m pytest -q -m postgres tests/test_sql_postgres.py -p no:cacheprovider
