#!/usr/bin/env bash
# Create (or reuse) the Python venv at .cache/venv with the vLLM stand-in's requirements.
# Idempotent and fast when nothing changed: a stamp holds the hash of the requirements file.
# Prints the venv's python path as its last stdout line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv"
req="$root/requirements-standin.txt"
stamp="$venv/.requirements-standin.sha256"
py="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$root/.cache"
  "$py" -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2
# Prove the imports work before stamping.
"$venv/bin/python" -c 'import starlette, uvicorn, requests, cohere' >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
