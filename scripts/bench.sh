#!/usr/bin/env bash
# npm run bench [-- --quick] [flags of scripts/bench.ts]: Node 22, the stand-in's venv and the offline
# Pulumi toolchain (installed if missing, as npm test does), then the benchmark. See docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-node.sh >/dev/null
# shellcheck disable=SC1091
. scripts/env.sh
[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund >/dev/null
bash scripts/setup-python.sh >/dev/null
bash scripts/toolchain.sh >/dev/null
# shellcheck disable=SC1091
. scripts/env.sh
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
exec node scripts/bench.ts "$@"
