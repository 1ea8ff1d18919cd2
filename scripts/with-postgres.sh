#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster, then stops and removes the cluster.
#   scripts/with-postgres.sh .venv/bin/pytest
# The cluster listens on a Unix socket only (no TCP port to collide with), with fsync off
# because its data is thrown away. As root, initdb and pg_ctl run as the `postgres` user
# through runuser, in a directory that user owns.
#
# PGDATA_KEEP=/some/dir keeps the cluster instead: created there on first use (fsync off as well),
# started for the command and stopped after it, but never removed, so a large seeded data set
# (bench/run_scale.py at 1M learners) is built once and benchmarked many times.
# Remove the directory by hand when done.
set -euo pipefail

bindir=""
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  if [ -x "$candidate/initdb" ]; then bindir=$candidate; break; fi
done
if [ -z "$bindir" ]; then
  if [ "${CI:-}" = "true" ]; then echo "ERROR: PostgreSQL server binaries not found." >&2; exit 1; fi
  echo "WARNING: PostgreSQL not installed; skipping the PostgreSQL run." >&2
  exit 0
fi

keep=${PGDATA_KEEP:-}
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  dir=$(cd "$keep" && pwd)
else
  dir=$(mktemp -d /tmp/cecourse-pg.XXXXXX)
fi
chmod 755 "$dir"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
fi

stop() {
  if [ -n "$keep" ]; then
    # A clean stop: the kept cluster starts again without recovery.
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  else
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi
}
trap stop EXIT

if [ ! -f "$dir/data/PG_VERSION" ]; then
  "${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
# A kept cluster holds millions of rows: more memory for caching and index builds, and checkpoints
# spaced out so that a bulk load is not written twice over.
large=()
if [ -n "$keep" ]; then
  large=(-c shared_buffers=2GB -c maintenance_work_mem=512MB -c work_mem=32MB -c max_wal_size=16GB
    -c checkpoint_timeout=30min -c wal_level=minimal -c max_wal_senders=0 -c effective_cache_size=8GB)
fi
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${large[*]}"

if [ -n "$keep" ]; then
  # The kept cluster holds the data set in the database DATABASE_URL names.
  "${as_pg[@]}" "$bindir/psql" -h "$dir" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'cecourse'" \
    | grep -q 1 || "${as_pg[@]}" "$bindir/createdb" -h "$dir" -U postgres cecourse
fi

socket=${dir//\//%2F}
export DATABASE_URL="postgres://postgres@${socket}/cecourse"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on $dir"
"$@"
