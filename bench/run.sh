#!/usr/bin/env bash
# Latchkey side by side with node oidc-provider (installed here from npm, its store in memory), in one run:
# refresh grants at 16 and 64 chains, code + PKCE exchange, device-flow approval → tokens, userinfo and /api/v1/me
# with a bearer, the gateway (load, and its overhead over calling the upstream directly), on SQLite and — when
# LATCHKEY_TEST_POSTGRES names a server — PostgreSQL; a growth run (1k / 100k / 1M stored grants) and the server's
# cold start, JIT build vs ReadyToRun publish. Servers on CPU 0, the load generator (a C# closed-loop client, one
# connection per virtual client, each holding its own newest refresh token) on CPU 1. Loopback only.
# Writes the table into bench/README.md with the commit measured, and artifacts/bench/results.md.
# Usage: bash bench/run.sh [--quick] [--only refresh,code,device,bearer,gateway,growth,cold] [--trace TEXT | --perf TEXT]
#   --quick: 8 s per measurement (else 20 s; every measurement is bounded by its time).
#   --trace: profile the measurements whose "work | server" contains TEXT with dotnet-trace (installed as a NuGet tool
#   into artifacts/), sampled thread stacks, into artifacts/bench/*.nettrace; summary with `dotnet-trace report F topN`.
#   --perf: the same windows with `perf record -g` at 999 Hz (where the CPU goes: kernel, OpenSSL and SQLite included),
#   into artifacts/bench/*.perf.data, with its system calls and context switches counted in *.stat.txt (divide by the
#   requests in progress.log); the servers write perf maps (/tmp/perf-PID.map) for their JIT-compiled code, so read it
#   on this machine: `perf report -i F --no-children --sort dso,sym`.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0; only=""; trace=""; perf_match=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    --trace) trace="$2"; shift ;;
    --perf) perf_match="$2"; shift ;;
    *) echo "usage: bash bench/run.sh [--quick] [--only sections] [--trace TEXT | --perf TEXT]" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
npm ci --prefix bench --no-audit --no-fund --loglevel=error >/dev/null
dotnet build tests/Latchkey.EndToEnd.Tests -c Release -v q -nologo >/dev/null
out="artifacts/bench"
rm -rf "$out" && mkdir -p "$out"
# The shipped server as an operator would publish it, precompiled (ReadyToRun) to cut JIT time at start-up.
dotnet publish src/Latchkey.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/server-r2r" -v q -nologo >/dev/null

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src tests bench/oidc-provider.mjs || echo '+uncommitted')"
cpus=$(nproc)
model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
per=$([ "$quick" = 1 ] && echo 8 || echo 20)
header="Measured on commit \`$commit\`, $(date -u +%Y-%m-%d), $([ "$quick" = 1 ] && echo quick || echo full) run ($per s per measurement after a warm-up), $cpus × $model; servers pinned to CPU 0, load generator to CPU 1; oidc-provider $(node -p "require('./bench/node_modules/oidc-provider/package.json').version") on node $(node --version), in-memory store."

# PostgreSQL: the cluster named by LATCHKEY_TEST_POSTGRES, or else (when the server binaries are installed) a throwaway
# cluster of our own with PostgreSQL's durable defaults (fsync and synchronous_commit on), stopped on exit. The test
# suite's cluster runs with fsync off, which would flatter PostgreSQL beside SQLite's synchronous=FULL; the table's
# header says which settings the measured cluster had.
# (The newest installed version's bin directory, as scripts/test-postgres.sh picks it; the trap is set before the start,
# so a start that fails half-way is stopped too.)
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "${LATCHKEY_TEST_POSTGRES:-}" ] && [ -x "$pgbin/initdb" ]; then
  export LATCHKEY_TEST_PGPORT=54339 LATCHKEY_TEST_PGDATA=/tmp/latchkey-bench-pg LATCHKEY_TEST_PG_DURABLE=1
  trap 'bash scripts/test-postgres.sh stop' EXIT
  LATCHKEY_TEST_POSTGRES="$(bash scripts/test-postgres.sh start)"; export LATCHKEY_TEST_POSTGRES
fi

tool=""
if [ -n "$trace" ]; then
  [ -x artifacts/tools/dotnet-trace ] || dotnet tool install dotnet-trace --tool-path artifacts/tools >/dev/null
  tool="$PWD/artifacts/tools/dotnet-trace"
elif [ -n "$perf_match" ]; then
  tool="$(command -v perf)" || { echo "--perf needs perf (apt install linux-perf)" >&2; exit 2; }
  trace="$perf_match"
  # Names for JIT-compiled code, and one mapping of it (with W^X's double mapping perf cannot attribute the samples).
  export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
fi

server_cpus=0; load_cpus=1
[ "$cpus" -lt 2 ] && { server_cpus=""; load_cpus=0; }
LATCHKEY_BENCH=1 LATCHKEY_BENCH_QUICK="$quick" LATCHKEY_BENCH_ONLY="${only:-refresh,code,device,bearer,gateway,growth,cold}" \
LATCHKEY_BENCH_SERVER_CPUS="$server_cpus" LATCHKEY_BENCH_SERVER_DLL="$PWD/$out/server-r2r/Latchkey.Server.dll" \
LATCHKEY_BENCH_TRACE="$tool" LATCHKEY_BENCH_TRACE_MATCH="$trace" LATCHKEY_BENCH_HEADER="$header" LATCHKEY_BENCH_README="$([ -z "$only$trace" ] && echo "$PWD/bench/README.md")" \
  taskset -c "$load_cpus" dotnet test tests/Latchkey.EndToEnd.Tests -c Release --no-build \
  --filter "FullyQualifiedName~SideBySideBenchmark" > "$out/test.log" 2>&1 || { cat "$out/test.log"; exit 1; }
cat "$out/results.md"
