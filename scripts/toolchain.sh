#!/usr/bin/env bash
# Offline Pulumi toolchain: makes `pulumi`, the nodejs language host and the two provider plugins
# used by this project (random 4.21.2, command 1.2.1) available without get.pulumi.com or GitHub.
#
#   scripts/toolchain.sh                 ensure the toolchain, write .cache/pulumi/env.sh, print exports
#   scripts/toolchain.sh --verify        ... then check the binaries with `go version -m` and run a
#                                        throw-away `pulumi up`/`destroy` with both providers
#   scripts/toolchain.sh --print-env     only print the exports (after a previous run)
#   scripts/toolchain.sh --force         rebuild everything even if up to date
#   scripts/toolchain.sh --sync-modules  rewrite toolchain/*/go.mod+go.sum from toolchain/versions.env
#
# Modes:
#  * A `pulumi` already on PATH that is not ours is used as is, with Pulumi's own language host and
#    plugins and the user's own PULUMI_HOME (normal machines with internet; the engine downloads
#    provider plugins itself). VAST_RERANKER_BUILD_PULUMI=1 forces our build.
#  * Otherwise everything is built with Go, only from modules the Go module proxy serves, through the
#    modules under toolchain/ (versions in toolchain/versions.env) into .cache/pulumi/:
#      bin/pulumi                         github.com/pulumi/pulumi/pkg/v3/cmd/pulumi, upstream (toolchain/cli)
#      bin/pulumi-language-nodejs         our own Node.js language host on sdk/v3 (toolchain/langhost)
#      build/pulumi-resource-command      our own command:local stand-in on sdk/v3 (toolchain/command)
#      build/pulumi-resource-random       upstream Terraform random provider + TF bridge (toolchain/random)
#      bin/pulumi-resource-pulumi-nodejs  -> node_modules/@pulumi/pulumi/ (dynamic providers)
#    The two provider plugins are installed into home/plugins/resource-<name>-v<ver>/, a project-local
#    PULUMI_HOME used only in this mode. A second run only checks stamps and takes about a second.
#
# Sourcing .cache/pulumi/env.sh sets PULUMI_SKIP_UPDATE_CHECK and, in built mode only, PATH,
# PULUMI_HOME=<repo>/.cache/pulumi/home and PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC="$ROOT/toolchain"
OUT="$ROOT/.cache/pulumi"
BIN="$OUT/bin"
BUILD="$OUT/build"
HOME_DIR="$OUT/home"
LOGS="$OUT/logs"
ENV_FILE="$OUT/env.sh"

# shellcheck disable=SC1091
. "$TC/versions.env"

MODE=ensure
FORCE=0
VERIFY=0
for arg in "$@"; do
  case "$arg" in
    --verify) VERIFY=1 ;;
    --force) FORCE=1 ;;
    --print-env) MODE=print ;;
    --sync-modules) MODE=sync ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "toolchain.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

log() { echo "toolchain: $*" >&2; }
die() { echo "toolchain: error: $*" >&2; exit 1; }

# shellcheck source=../toolchain/functions.sh
. "$TC/functions.sh"

build_all() {
  go_usable || no_go_message
  check_pins
  check_npm_plugin_versions
  go_proxy_env

  # The upstream CLI, built in its wrapper module (go.mod/go.sum only).
  ensure_built "$TC/cli" "$BIN/pulumi" "$CLI_PKG" "-s -w $PULUMI_VFLAG"
  # Our own language host and command provider (see toolchain/README.md for why).
  ensure_built "$TC/langhost" "$BIN/pulumi-language-nodejs" . "-s -w $PULUMI_VFLAG"
  ensure_built "$TC/command" "$BUILD/pulumi-resource-command" . "-s -w $COMMAND_VFLAG"
  # Own main.go around the upstream Terraform provider and the bridge (see toolchain/README.md).
  ensure_built "$TC/random" "$BUILD/pulumi-resource-random" . "-s -w -X main.Version=$RANDOM_PLUGIN_VERSION"
  check_builds
  [ "$("$BIN/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ] ||
    die "$BIN/pulumi reports version '$("$BIN/pulumi" version 2>/dev/null)', expected v$PULUMI_VERSION"

  # Bundled plugins shipped by the npm SDK: resolved next to the `pulumi` executable.
  local f
  for f in pulumi-resource-pulumi-nodejs pulumi-analyzer-policy; do
    if [ -e "$ROOT/node_modules/@pulumi/pulumi/$f" ]; then
      ln -sfn "$ROOT/node_modules/@pulumi/pulumi/$f" "$BIN/$f"
    elif [ "$f" = pulumi-resource-pulumi-nodejs ]; then
      log "warning: node_modules/@pulumi/pulumi/$f not found (run npm ci); dynamic providers need it"
    fi
  done

  install_plugin random "$RANDOM_PLUGIN_VERSION" "$BUILD/pulumi-resource-random"
  install_plugin command "$COMMAND_PLUGIN_VERSION" "$BUILD/pulumi-resource-command"
}

verify() {
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  local node_dir="$ROOT/.cache/node/node_modules/node/bin"
  [ -x "$node_dir/node" ] && export PATH="$PATH:$node_dir"
  command -v node >/dev/null || die "--verify needs node on PATH"
  [ -d "$ROOT/node_modules/@pulumi/random" ] && [ -d "$ROOT/node_modules/@pulumi/command" ] ||
    die "--verify needs node_modules with @pulumi/random and @pulumi/command (run npm ci)"
  local tmp
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/vr-pulumi-verify.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/prog" "$tmp/state"
  ln -s "$ROOT/node_modules" "$tmp/prog/node_modules"
  printf 'name: toolchain-verify\nruntime: nodejs\n' >"$tmp/prog/Pulumi.yaml"
  printf '{"name":"toolchain-verify","main":"index.ts"}\n' >"$tmp/prog/package.json"
  cat >"$tmp/prog/index.ts" <<'EOF'
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
const k = new random.RandomBytes("k", { length: 32 });
const c = new command.local.Command("c", { create: "echo hi" });
export const keyLength = k.hex.apply((h) => h.length);
export const stdout = c.stdout;
EOF
  if [ "${VAST_RERANKER_PULUMI_MODE:-}" = built ]; then
    check_builds
    log "verify: go version -m: pulumi is upstream's CLI; the language host and command provider are ours, on sdk/v3 v$PULUMI_VERSION"
  fi
  log "verify: pulumi $(pulumi version) at $(command -v pulumi); PULUMI_HOME=$PULUMI_HOME"
  (
    cd "$tmp/prog"
    export PULUMI_CONFIG_PASSPHRASE=test
    pulumi login --non-interactive "file://$tmp/state" >/dev/null
    pulumi stack init t --non-interactive >/dev/null 2>&1
    pulumi up --yes --skip-preview --non-interactive >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log" >&2; exit 1; }
    out="$(pulumi stack output stdout --non-interactive)"
    len="$(pulumi stack output keyLength --show-secrets --non-interactive)"
    [ "$out" = hi ] || { echo "unexpected stdout output '$out'" >&2; exit 1; }
    [ "$len" = 64 ] || { echo "unexpected keyLength output '$len'" >&2; exit 1; }
    pulumi destroy --yes --skip-preview --non-interactive >"$tmp/destroy.log" 2>&1 || { cat "$tmp/destroy.log" >&2; exit 1; }
    pulumi stack rm t --yes --non-interactive >/dev/null
  ) || die "verification failed (see output above)"
  log "verify: OK (pulumi up + destroy with random.RandomBytes and command.local.Command, no plugin downloads)"
}

# ---- main ---------------------------------------------------------------------------------

case "$MODE" in
  print) print_env; exit 0 ;;
  sync) sync_modules; exit 0 ;;
esac

if [ "${VAST_RERANKER_BUILD_PULUMI:-0}" != 1 ] && amb="$(ambient_pulumi)"; then
  amb_version="$("$amb" version 2>/dev/null || echo unknown)"
  log "using the Pulumi CLI on PATH: $amb ($amb_version)"
  sdk_version="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
    "$ROOT/node_modules/@pulumi/pulumi/package.json" 2>/dev/null | head -n1 || true)"
  if [ -n "$sdk_version" ] && ! version_ge "${amb_version#v}" "$sdk_version" 2>/dev/null; then
    log "warning: that CLI ($amb_version) is older than the @pulumi/pulumi SDK ($sdk_version); upgrade it" \
      "or use VAST_RERANKER_BUILD_PULUMI=1"
  fi
  write_env ambient
else
  build_all
  write_env built
  log "offline toolchain ready: $BIN/pulumi ($("$BIN/pulumi" version))"
fi

[ "$VERIFY" = 1 ] && verify
print_env
