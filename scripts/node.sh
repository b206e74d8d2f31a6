#!/usr/bin/env bash
# Runs a project TypeScript program with Node >= 22 (installed locally if the machine's is older).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup-node.sh" >/dev/null
# shellcheck disable=SC1091
. "$root/scripts/env.sh"
exec node "$@"
