#!/usr/bin/env bash
# Runs every test: installs what is missing, starts a throwaway PostgreSQL cluster on 127.0.0.1 (unless
# LATCHKEY_TEST_POSTGRES already names one), runs the solution's tests, stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

started_pg=""
if [ -z "${LATCHKEY_TEST_POSTGRES:-}" ]; then
  LATCHKEY_TEST_POSTGRES="$(bash scripts/test-postgres.sh start)"
  export LATCHKEY_TEST_POSTGRES
  started_pg=1
fi
cleanup() { if [ -n "$started_pg" ]; then bash scripts/test-postgres.sh stop || true; fi; }
trap cleanup EXIT

log="$(mktemp)"
set +e
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  # A private D-Bus session with an unlocked, throwaway gnome-keyring: the keyring store is tested for real.
  # Its own XDG_DATA_HOME means a fresh keyring with a known password every run (an existing login keyring with
  # another password would stay locked, and libsecret would wait on a prompt no one can answer).
  keyring_data="$(mktemp -d)"
  XDG_DATA_HOME="$keyring_data" dbus-run-session -- bash -c 'printf "latchkey-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec dotnet test Latchkey.slnx --configuration Release --logger "console;verbosity=normal" "$@"' bash "$@" 2>&1 | grep --line-buffered -v "dbus-daemon\[" | tee "$log"
  status=${PIPESTATUS[0]}
  rm -rf "$keyring_data"
else
  dotnet test Latchkey.slnx --configuration Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
fi
set -e

# One closing line over all test projects, e.g. "tests: 230 passed, 0 failed, 0 skipped" (each project's
# normal-verbosity summary has lines "     Passed: N", "     Failed: N", "    Skipped: N").
awk '/^ +Passed: +[0-9]+ *$/ { p += $2 } /^ +Failed: +[0-9]+ *$/ { f += $2 } /^ +Skipped: +[0-9]+ *$/ { s += $2 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
