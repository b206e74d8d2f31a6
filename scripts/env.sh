# Sourced by the project's scripts: Node >= 22 first on PATH, the offline Pulumi toolchain if built,
# and a project-local Pulumi home so a user's ~/.pulumi is never touched.
# Usage: source scripts/env.sh   (after scripts/setup-node.sh and scripts/toolchain.sh have run)
VR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VR_ROOT
if [ -x "$VR_ROOT/.cache/node/node_modules/node/bin/node" ]; then
  export PATH="$VR_ROOT/.cache/node/node_modules/node/bin:$PATH"
fi
if [ -f "$VR_ROOT/.cache/pulumi/env.sh" ]; then
  # shellcheck disable=SC1091
  . "$VR_ROOT/.cache/pulumi/env.sh"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
