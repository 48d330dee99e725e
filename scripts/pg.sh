#!/usr/bin/env bash
# A local PostgreSQL for article-recs: the second warehouse target and the serving store.
#
#   scripts/pg.sh up       start it (initdb on first use), create role and database; idempotent
#   scripts/pg.sh down     stop it (fast shutdown); idempotent
#   scripts/pg.sh status   exit 0 when our server is up and answering, else 1
#   scripts/pg.sh psql     a superuser psql on the server's private socket (extra args are passed on)
#
# Settings (environment, same names as profiles.yml and article_recs.serving.connection):
#   ARTICLE_RECS_PG_PORT      port on 127.0.0.1 (default 55432)
#   ARTICLE_RECS_PG_USER      login role the project uses (default article_recs; gets CREATEDB)
#   ARTICLE_RECS_PG_PASSWORD  its password. Set: loopback logins need it (scram-sha-256).
#                             Unset or empty: that role may log in from 127.0.0.1 without one (trust).
#   ARTICLE_RECS_PG_DATABASE  database created for it (default article_recs)
#   ARTICLE_RECS_PG_ROOT      folder of the cluster (default <project>/.pg, gitignored): data/, log/, run/
#   ARTICLE_RECS_PG_BIN       PostgreSQL binaries (default /usr/lib/postgresql/15/bin; make system-deps)
#
# The server listens on 127.0.0.1 only; its unix socket lives in $ARTICLE_RECS_PG_ROOT/run (mode 0700), which
# only the cluster's OS user can use. initdb refuses to run as root: as root (CI) the cluster belongs to the
# `postgres` OS user and every server command runs through `runuser -u postgres --`; as anyone else the cluster
# belongs to you. Tuned for a throwaway dev/CI server (fsync off): rebuild it from the data, never keep
# anything precious in it.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${ARTICLE_RECS_PG_PORT:-55432}"
ROLE="${ARTICLE_RECS_PG_USER:-article_recs}"
DATABASE="${ARTICLE_RECS_PG_DATABASE:-article_recs}"
ROOT="${ARTICLE_RECS_PG_ROOT:-$PROJECT_DIR/.pg}"
DATA="$ROOT/data"
RUN="$ROOT/run"
LOGDIR="$ROOT/log"
LOG="$LOGDIR/postgres.log"
SUPERUSER=postgres

die() { echo "pg: $*" >&2; exit 1; }

find_bin() {
    if [ -n "${ARTICLE_RECS_PG_BIN:-}" ]; then echo "$ARTICLE_RECS_PG_BIN"; return; fi
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
    die "PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin); run: make system-deps"
}
BIN="$(find_bin)"

# The OS user that owns the cluster: ourselves, or `postgres` when we are root.
if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
    if [ -d "$DATA" ] && [ "$(stat -c %U "$DATA")" != root ]; then OWNER="$(stat -c %U "$DATA")"; fi
    id "$OWNER" >/dev/null 2>&1 || die "running as root needs the '$OWNER' OS user (apt-get install postgresql creates it)"
    as_owner() { runuser -u "$OWNER" -- "$@"; }
else
    OWNER="$(id -un)"
    as_owner() { "$@"; }
fi

running() { as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
running_port() { sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true; }
superuser_psql() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U "$SUPERUSER" -d postgres "$@"
}

prepare_dirs() {
    mkdir -p "$ROOT"
    if [ "$(id -u)" -eq 0 ]; then
        install -d -o "$OWNER" -g "$(id -gn "$OWNER")" -m 0700 "$DATA" "$RUN"
        install -d -o "$OWNER" -g "$(id -gn "$OWNER")" -m 0755 "$LOGDIR"
        as_owner test -w "$DATA" || die "the '$OWNER' OS user cannot reach $DATA (a parent folder is private?);" \
            "set ARTICLE_RECS_PG_ROOT to a folder it can reach, e.g. /tmp/article_recs_pg"
    else
        install -d -m 0700 "$DATA" "$RUN"
        install -d -m 0755 "$LOGDIR"
    fi
}

write_config() {
    # Settings the project manages: rewritten on every `up`, so changing the env and re-running `up` applies.
    as_owner tee "$DATA/article_recs.conf" >/dev/null <<EOF
# Managed by scripts/pg.sh (rewritten by every 'pg.sh up'): local dev/CI server for article-recs.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
unix_socket_permissions = 0700
max_connections = 60
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
# throwaway data: trade durability for speed
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
log_connections = off
log_line_prefix = '%m [%p] %q%u@%d '
timezone = 'UTC'
EOF
    grep -q "^include_if_exists 'article_recs.conf'" "$DATA/postgresql.conf" \
        || echo "include_if_exists 'article_recs.conf'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null

    local role_line
    if [ -n "${ARTICLE_RECS_PG_PASSWORD:-}" ]; then
        role_line="host    all  $ROLE  127.0.0.1/32  scram-sha-256"
    else
        role_line="host    all  $ROLE  127.0.0.1/32  trust   # no ARTICLE_RECS_PG_PASSWORD: loopback trust"
    fi
    as_owner tee "$DATA/pg_hba.conf" >/dev/null <<EOF
# Managed by scripts/pg.sh (rewritten by every 'pg.sh up').
# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all  all  trust   # socket dir $RUN is 0700: only the cluster's OS user
$role_line
host    all  all  127.0.0.1/32  scram-sha-256
EOF
}

ensure_role_and_database() {
    # The password travels through the environment and psql's \getenv, never on a command line.
    superuser_psql <<'SQL'
\getenv role ARTICLE_RECS_PG_ROLE
\getenv database ARTICLE_RECS_PG_DB
\getenv password ARTICLE_RECS_PG_PASSWORD
select format('create role %I login createdb', :'role')
where not exists (select from pg_roles where rolname = :'role') \gexec
select :'password' <> '' as has_password \gset
\if :has_password
alter role :"role" with login createdb password :'password';
\else
alter role :"role" with login createdb password null;
\endif
select format('create database %I owner %I', :'database', :'role')
where not exists (select from pg_database where datname = :'database') \gexec
SQL
}

cmd_up() {
    [ -x "$BIN/initdb" ] || die "no initdb in $BIN; run: make system-deps"
    prepare_dirs
    if [ ! -s "$DATA/PG_VERSION" ]; then
        echo "pg: initdb $DATA (owner $OWNER)"
        as_owner "$BIN/initdb" -D "$DATA" -U "$SUPERUSER" --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --no-locale >"$LOGDIR/initdb.log" 2>&1 \
            || { cat "$LOGDIR/initdb.log" >&2; die "initdb failed"; }
    fi
    write_config
    if running; then
        local port; port="$(running_port)"
        [ "$port" = "$PORT" ] || die "already running on port $port, not $PORT: run 'make pg-down' first"
        as_owner "$BIN/pg_ctl" -D "$DATA" reload >/dev/null
    else
        if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; then
            die "another server already answers on 127.0.0.1:$PORT; set ARTICLE_RECS_PG_PORT to a free port"
        fi
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null \
            || { tail -n 20 "$LOG" >&2; die "server did not start (log: $LOG)"; }
    fi
    ARTICLE_RECS_PG_ROLE="$ROLE" ARTICLE_RECS_PG_DB="$DATABASE" ARTICLE_RECS_PG_PASSWORD="${ARTICLE_RECS_PG_PASSWORD:-}" \
        ensure_role_and_database
    echo "pg: up on 127.0.0.1:$PORT (database $DATABASE, role $ROLE; data $DATA)"
}

cmd_down() {
    if [ -s "$DATA/PG_VERSION" ] && running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        echo "pg: stopped (data kept in $DATA)"
    else
        echo "pg: not running"
    fi
}

cmd_status() {
    if [ -s "$DATA/PG_VERSION" ] && running && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$(running_port)"; then
        echo "pg: up on 127.0.0.1:$(running_port) (data $DATA)"
    else
        echo "pg: not running"
        return 1
    fi
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    psql) shift; superuser_psql "$@" ;;
    *) echo "usage: $0 up|down|status|psql [psql args]" >&2; exit 2 ;;
esac
