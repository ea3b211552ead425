#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use is up: MFMIG_TEST_PG_URL, or the machine's own
# server on 127.0.0.1:5432. A Debian cluster that is down is started; anything else is reported.
set -euo pipefail
url="${MFMIG_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
ready() { pg_isready -d "$url" -q >/dev/null 2>&1; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "start-postgres: the PostgreSQL client tools are not installed (Debian: apt-get install -y postgresql); the PostgreSQL tests need a server" >&2
  exit 1
fi
ready && exit 0
if [ -z "${MFMIG_TEST_PG_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do
    ready && { echo "start-postgres: started the local PostgreSQL server"; exit 0; }
    sleep 1
  done
fi
echo "start-postgres: no PostgreSQL server answers at the test URL; start one, or set MFMIG_TEST_PG_URL" >&2
exit 1
