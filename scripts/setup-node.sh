#!/usr/bin/env bash
# Ensures Node >= 22.19 (needed by @pulumi/pulumi 3.270, undici 8, vitest 5). Machines that ship an
# older Node get a real Node 22 binary from the npm registry (package node@22) in .cache/node.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
NODE_PIN="22.23.3"
ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null; }
if command -v node >/dev/null && ok node; then
  echo "node $(node -v) at $(command -v node) is new enough"
  exit 0
fi
local_node="$root/.cache/node/node_modules/node/bin/node"
if [ -x "$local_node" ] && ok "$local_node"; then
  echo "node $("$local_node" -v) (project-local) at $local_node"
  exit 0
fi
command -v npm >/dev/null || { echo "error: neither Node >= 22.19 nor npm is installed; install Node 22 from https://nodejs.org" >&2; exit 1; }
echo "installing node@$NODE_PIN from the npm registry into .cache/node (machine has $(node -v 2>/dev/null || echo none))"
mkdir -p "$root/.cache/node"
(cd "$root/.cache/node" && npm install --no-save --no-audit --no-fund --prefix . "node@$NODE_PIN" >/dev/null)
# npm may skip the package's preinstall script (install-scripts policy); it only links the binary.
if [ ! -x "$local_node" ]; then
  bin="$(find "$root/.cache/node/node_modules" -path '*node-linux-*/bin/node' -type f | head -n1)"
  [ -n "$bin" ] || { echo "error: node@$NODE_PIN installed no binary" >&2; exit 1; }
  mkdir -p "$(dirname "$local_node")" && ln -sf "$bin" "$local_node"
fi
ok "$local_node" || { echo "error: $local_node is not Node >= 22.19" >&2; exit 1; }
echo "node $("$local_node" -v) at $local_node"
