#!/usr/bin/env bash
# A private PostgreSQL server for this checkout, for `make run` and `make test`.
#
#   scripts/dev-postgres.sh start   # start it if needed; prints its URL on stdout
#   scripts/dev-postgres.sh stop
#   scripts/dev-postgres.sh url
#   scripts/dev-postgres.sh status          # exit 0 when it runs
#   scripts/dev-postgres.sh database NAME   # start, create NAME if missing, print its URL
#
# Data lives in .dev/pg of the checkout (or, when the checkout is unreadable for the
# `postgres` user that root must run the server as, in /var/tmp). The server listens
# on 127.0.0.1:$DEV_PG_PORT only (by default a port from 55000-55999 derived from the
# checkout's path, so two checkouts on one machine never collide), with trust
# authentication: it is a development server, never a production one. PostgreSQL is installed from Debian's
# packages when it is missing and we are root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
checkout_hash=$(printf '%s' "$root" | sha256sum | cut -c1-12)
port=${DEV_PG_PORT:-$((55000 + 0x${checkout_hash:0:4} % 1000))}
action=${1:-start}

log() { echo "dev-postgres: $*" >&2; }

find_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir; return
    fi
    return 1
}

install_postgres() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        log "PostgreSQL server binaries (initdb, pg_ctl) are missing."
        log "Install them with: sudo apt-get install postgresql"
        log "or set DATABASE_URL / TEST_DATABASE_URL to a server you already run."
        exit 1
    fi
    log "installing PostgreSQL from Debian's packages (once)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
}

bindir=$(find_bindir) || { install_postgres; bindir=$(find_bindir); }

# As root, the server must run as the unprivileged `postgres` user (initdb refuses
# root), and that user must be able to reach the data directory.
as_postgres() { "$@"; }
base=$root/.dev/pg
if [ "$(id -u)" -eq 0 ]; then
    as_postgres() { runuser -u postgres -- "$@"; }
    mkdir -p "$root/.dev"
    if ! runuser -u postgres -- test -x "$root/.dev"; then
        base=/var/tmp/batch-service-dev-pg/$checkout_hash
    fi
fi
data=$base/data
sock=$base/run
url="postgres://postgres@127.0.0.1:$port/postgres"

running() { as_postgres "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$action" in
    url)
        echo "$url"
        ;;
    status)
        [ -d "$data" ] && running
        ;;
    stop)
        if [ -d "$data" ] && running; then
            as_postgres "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2
        fi
        ;;
    start)
        mkdir -p "$base"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$base"
        if [ ! -f "$data/PG_VERSION" ]; then
            log "creating a cluster in $data"
            as_postgres "$bindir/initdb" -D "$data" -U postgres --auth=trust \
                --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        fi
        if ! running; then
            as_postgres mkdir -p "$sock"
            log "starting PostgreSQL on 127.0.0.1:$port"
            # max_wal_size: `make bench` checkpoints before each run, and a run writes
            # more WAL than the default 1 GB allows before the next checkpoint, which
            # then lands inside whichever case runs at that moment (its fsyncs stall
            # commits for a few hundred ms).
            as_postgres "$bindir/pg_ctl" -D "$data" -l "$base/postgres.log" -w -t 60 \
                -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c max_wal_size=8GB" \
                start >/dev/null || { log "it did not start; see $base/postgres.log"; exit 1; }
        fi
        echo "$url"
        ;;
    database)
        name=${2:?usage: $0 database NAME}
        "$0" start >/dev/null
        exists=$("$bindir/psql" "$url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")
        [ "$exists" = 1 ] || "$bindir/psql" "$url" -qc "CREATE DATABASE \"$name\"" >&2
        echo "${url%/postgres}/$name"
        ;;
    *)
        echo "usage: $0 start|stop|status|url|database NAME" >&2
        exit 2
        ;;
esac
