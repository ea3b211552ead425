#!/usr/bin/env bash
# Installs, from Debian's packages, what the tests use beside Node when it is missing: Chromium for
# the report's browser test (driven with playwright-core, no browser download), the sqlite3 shell
# that the corpus tests compare mfmig with, and zsh and fish for the completion test. Does nothing
# when all of them are present. Then it makes sure the PostgreSQL server of the tests is up.
set -euo pipefail
bash "$(dirname "$0")/start-postgres.sh"
missing=()
if ! command -v chromium >/dev/null 2>&1 && [ -z "${MFMIG_CHROMIUM:-}" ]; then missing+=(chromium); fi
if [ ! -x /usr/bin/sqlite3 ]; then missing+=(sqlite3); fi
if ! command -v zsh >/dev/null 2>&1; then missing+=(zsh); fi
if ! command -v fish >/dev/null 2>&1; then missing+=(fish); fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-tools: no apt-get here; install ${missing[*]} yourself (set MFMIG_CHROMIUM to a Chromium binary)" >&2
  exit 1
fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
echo "install-test-tools: installed ${missing[*]}"
