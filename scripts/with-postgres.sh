#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster, then stops and removes the cluster.
#   scripts/with-postgres.sh .venv/bin/pytest
# The cluster listens on a Unix socket only (no TCP port to collide with), with fsync off
# because its data is thrown away. As root, initdb and pg_ctl run as the `postgres` user
# through runuser, in a directory that user owns.
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

dir=$(mktemp -d /tmp/cecourse-pg.XXXXXX)
chmod 755 "$dir"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
fi

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"

socket=${dir//\//%2F}
export DATABASE_URL="postgres://postgres@${socket}/cecourse"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on $dir"
"$@"
