# Sourced by test.sh, demo.sh and bench.sh: installs what a fresh machine lacks (Node 22, npm deps,
# the stand-in's Python venv, Vast's own vastai package, the offline Pulumi toolchain) and puts it on PATH.
# shellcheck shell=bash
VR_PREPARE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vr_quiet() { if [ "${VR_VERBOSE:-0}" = 1 ]; then "$@"; else "$@" >/dev/null; fi; }
vr_quiet bash "$VR_PREPARE_ROOT/scripts/setup-node.sh"
# shellcheck disable=SC1091
. "$VR_PREPARE_ROOT/scripts/env.sh"
# npm ci only when the lockfile's content differs from what was installed (a stamp of its hash): a
# newer mtime alone (a fresh checkout, a git worktree) must not wipe a good node_modules.
vr_lock_hash="$(sha256sum "$VR_PREPARE_ROOT/package-lock.json" | cut -d' ' -f1)"
vr_lock_stamp="$VR_PREPARE_ROOT/node_modules/.vast-reranker-lock.sha256"
if [ ! -d "$VR_PREPARE_ROOT/node_modules" ] || [ "$(cat "$vr_lock_stamp" 2>/dev/null)" != "$vr_lock_hash" ]; then
  (cd "$VR_PREPARE_ROOT" && vr_quiet npm ci --no-audit --no-fund)
  echo "$vr_lock_hash" >"$vr_lock_stamp"
fi
vr_quiet bash "$VR_PREPARE_ROOT/scripts/setup-python.sh"
vr_quiet bash "$VR_PREPARE_ROOT/scripts/setup-vastai.sh"
vr_quiet bash "$VR_PREPARE_ROOT/scripts/toolchain.sh"
# shellcheck disable=SC1091
. "$VR_PREPARE_ROOT/scripts/env.sh"
