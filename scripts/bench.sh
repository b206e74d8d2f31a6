#!/usr/bin/env bash
# npm run bench [-- --quick] [flags of tools/bench/bench.ts]: Node 22, the stand-in's venv and the offline
# Pulumi toolchain (installed if missing, as npm test does), then the benchmark. See docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck disable=SC1091
. scripts/prepare.sh
exec node tools/bench/bench.ts "$@"
