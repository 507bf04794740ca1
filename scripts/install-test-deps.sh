#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: PostgreSQL server binaries, Node.js and npm,
# and the npm packages of the interop test. Safe to run again; skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# Browser tests drive Debian's Chromium through its matching chromedriver (Selenium, offline).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# Keyring tests run against a real Secret Service: gnome-keyring in a headless D-Bus session, through libsecret.
command -v dbus-run-session >/dev/null 2>&1 || need_apt+=(dbus)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need_apt+=(gnome-keyring)
ls /usr/lib/*/libsecret-1.so.0 >/dev/null 2>&1 || need_apt+=(libsecret-1-0)
# The man page test checks `latchkey manpage` with groff's warnings on.
command -v groff >/dev/null 2>&1 || need_apt+=(groff-base)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing: ${need_apt[*]}. Install them (sudo apt-get install ${need_apt[*]}) and run again." >&2
    exit 1
  fi
  echo "Installing ${need_apt[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -d tests/interop/node_modules ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules ]; then
  npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
fi
