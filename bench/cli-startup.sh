#!/usr/bin/env bash
# Start-up time of `latchkey login status` on a signed-in home (no network call), measured with hyperfine.
# Compares, in one run on one machine: the NativeAOT binary, the same CLI on the .NET runtime
# (`dotnet latchkey.dll`), and — when installed — the real Codex CLI's `codex login status` as a peer.
# Reports each as a ratio to the AOT binary. Usage: bash bench/cli-startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
command -v hyperfine >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq hyperfine >/dev/null; }

out="$(mktemp -d)"
dotnet publish src/Latchkey.Cli -r linux-x64 -c Release -p:CppCompilerAndLinker=gcc -o "$out/aot" >/dev/null
dotnet build src/Latchkey.Cli -c Release -o "$out/jit" >/dev/null

# A signed-in home: an API key login is enough for `status` (it reads the file, nothing else).
home="$out/home"
key=""
mkdir -p "$home" && chmod 700 "$home"
printf '{\n  "OPENAI_API_KEY": "%s",\n  "auth_mode": "apikey"\n}\n' "${key:-sk-lk-benchmarkbenchmarkbenchmarkbenchmarkbenc000000}" > "$home/auth.json"
chmod 600 "$home/auth.json"

cmds=("env LATCHKEY_HOME=$home $out/aot/latchkey login status" "env LATCHKEY_HOME=$home dotnet $out/jit/latchkey.dll login status")
names=("latchkey (NativeAOT)" "latchkey (dotnet, JIT)")
codex_bin="$(command -v codex || ls tests/interop/node_modules/.bin/codex 2>/dev/null || true)"
if [ -n "$codex_bin" ]; then
  mkdir -p "$out/codex-home" && cp "$home/auth.json" "$out/codex-home/auth.json"
  cmds+=("env CODEX_HOME=$out/codex-home $codex_bin login status")
  names+=("codex login status (peer)")
fi

args=(--warmup 3 --runs "$runs" --export-json "$out/result.json" -N)
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine "${args[@]}" >/dev/null 2>&1 || hyperfine "${args[@]}"
python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
print(f"{'command':32} {'mean ms':>9} {'stddev':>8} {'ratio':>7}")
for x in r:
    print(f"{x['command']:32} {x['mean']*1000:9.1f} {x['stddev']*1000:8.1f} {x['mean']/base:7.2f}x")
PY
rm -rf "$out"
