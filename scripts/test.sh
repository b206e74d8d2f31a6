#!/usr/bin/env bash
# The one test command (npm test): installs what a fresh machine lacks, then type-checks, lints
# and runs every test (unit, emulator, provider, real Pulumi engine). Idempotent; fast when warm.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
t0=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }

step "Node 22"
bash scripts/setup-node.sh
# shellcheck disable=SC1091
. scripts/env.sh

step "npm dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "Python stand-in venv"
bash scripts/setup-python.sh

step "Pulumi toolchain"
bash scripts/toolchain.sh
. scripts/env.sh
# Prove no plugin is ever downloaded.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

step "typecheck"
npx tsc --noEmit -p tsconfig.json

step "lint"
npx eslint .

step "tests"
npx vitest run "$@"
step "done"
