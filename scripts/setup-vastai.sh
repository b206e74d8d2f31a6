#!/usr/bin/env bash
# Create (or reuse) .cache/vastai-venv: PyPI `vastai` (Vast's official CLI, SDK and serverless
# worker/client) at the version pinned in tests/vastai/requirements.lock, every dependency pinned.
# Idempotent: a stamp holds the lock's hash; a warm run takes well under a second.
# Prints the venv's python path as its last stdout line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/vastai-venv"
lock="$root/tests/vastai/requirements.lock"
stamp="$venv/.vast-reranker.sha256"
py="${PYTHON:-python3}"

if bad="$(grep -vnE '^(#.*|[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+)?$' "$lock")"; then
  echo "setup-vastai: tests/vastai/requirements.lock: every line must be name==version from PyPI; fix:"$'\n'"$bad" >&2
  exit 1
fi
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"
  exit 0
fi
rm -rf "$venv"
mkdir -p "$root/.cache"
"$py" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps -r "$lock" >&2
# Prove the parts the tests use import before stamping.
"$venv/bin/python" -c 'import vastai, vastai.sdk, vastai.serverless.server, vastai.serverless.client' >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
