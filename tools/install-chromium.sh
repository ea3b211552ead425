#!/usr/bin/env bash
# Installs Debian's Chromium for the report's browser test when it is missing. The test drives it
# with playwright-core (no browser download). Does nothing when a chromium binary is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${MFMIG_CHROMIUM:-}" ]; then
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no apt-get here; install Chromium yourself and set MFMIG_CHROMIUM to its path" >&2
  exit 1
fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
command -v chromium
