#!/usr/bin/env bash
# Self-contained build of the server for one Linux machine: no .NET install needed where it runs.
#   bash scripts/publish-server.sh [output-dir] [runtime]     (defaults: out/latchkey-server, linux-x64)
# Run it with:  <output-dir>/Latchkey.Server --data-dir /var/lib/latchkey   (see docs/operations.md)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/latchkey-server}"
rid="${2:-linux-x64}"
dotnet publish src/Latchkey.Server -c Release -r "$rid" --self-contained true -p:UseAppHost=true -o "$out" >&2
echo "$out/Latchkey.Server"
