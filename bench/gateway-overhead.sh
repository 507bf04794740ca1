#!/usr/bin/env bash
# Latency the model gateway adds over calling the upstream directly (p50/p99), measured in one run: the real server
# binary in front of a loopback upstream, requests alternating between the direct and the gateway path.
# Usage: bash bench/gateway-overhead.sh [requests-per-path]   (default 1000). Figures: artifacts/gateway-overhead.txt
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Latchkey.EndToEnd.Tests -c Release >/dev/null
LATCHKEY_BENCH=1 LATCHKEY_BENCH_RUNS="${1:-1000}" dotnet test tests/Latchkey.EndToEnd.Tests -c Release --no-build \
  --filter "FullyQualifiedName~GatewayOverheadBenchmark" >/dev/null
cat artifacts/gateway-overhead.txt
