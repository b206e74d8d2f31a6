#!/usr/bin/env bash
# The one test command (npm test): installs what a fresh machine lacks, then type-checks, lints
# and runs every test (unit, emulator, provider, real Pulumi engine). Idempotent; fast when warm.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
t0=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - t0 ))"; }

step "install what is missing: Node 22, npm deps, stand-in venv, Pulumi toolchain"
VR_VERBOSE=1 . scripts/prepare.sh
step "install what is missing: the real vLLM server (CPU build) and its tiny model"
bash scripts/setup-vllm.sh
# Offline build (CI): prove no plugin is ever downloaded. With a system pulumi the engine may fetch them.
if [ "${VAST_RERANKER_PULUMI_MODE:-}" = built ]; then export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true; fi

step "typecheck"
npx tsc --noEmit -p tsconfig.json

step "lint"
npx eslint .

step "tests"
results=".cache/vitest-results.json"
rc=0
# In the background so that SIGTERM/SIGINT to this script reach vitest (which then stops its workers
# and, through them, every emulator, instance server and pulumi process the tests started).
# Every process of the run carries VR_TEST_RUN; whatever is left at the end is killed by PID.
VR_TEST_RUN="$(node -e 'console.log(require("crypto").randomBytes(8).toString("hex"))')"
export VR_TEST_RUN
sweep() { node tests/setup/processSweep.ts "$VR_TEST_RUN" || true; }
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" &
vitest_pid=$!
trap 'kill -TERM "$vitest_pid" 2>/dev/null; wait "$vitest_pid"; sweep; exit 143' TERM
trap 'kill -INT "$vitest_pid" 2>/dev/null; wait "$vitest_pid"; sweep; exit 130' INT
wait "$vitest_pid" || rc=$?
trap - TERM INT
sweep
# One plain closing line that any CI reader understands.
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);' "$results" || true
step "done"
exit "$rc"
