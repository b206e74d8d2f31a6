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
#  * A `pulumi` already on PATH that is not ours is used as is (normal machines with internet; the
#    engine downloads provider plugins itself). VAST_RERANKER_BUILD_PULUMI=1 forces our build.
#  * Otherwise everything is built with Go from the Go module proxy through the wrapper modules
#    under toolchain/ (versions in toolchain/versions.env) into .cache/pulumi/:
#      bin/pulumi                         github.com/pulumi/pulumi/pkg/v3/cmd/pulumi (toolchain/cli)
#      bin/pulumi-language-nodejs         github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
#                                         (toolchain/langhost)
#      build/pulumi-resource-command      github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
#                                         (toolchain/command)
#      build/pulumi-resource-random       toolchain/random (Terraform random provider + TF bridge)
#      bin/pulumi-resource-pulumi-nodejs  -> node_modules/@pulumi/pulumi/ (dynamic providers)
#    The two provider plugins are installed into home/plugins/resource-<name>-v<ver>/.
#    The language host and command provider modules are untagged (pseudo-versions only); if
#    ../shared/goproxy exists next to the repository (a file:// module proxy folder holding them),
#    the build puts it in front of GOPROXY. A second run only checks stamps and takes about a second.
#
# Sourcing .cache/pulumi/env.sh sets PATH, PULUMI_HOME=<repo>/.cache/pulumi/home,
# PULUMI_SKIP_UPDATE_CHECK and (built mode) PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION.
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

# ---- helpers ------------------------------------------------------------------------------

# version_ge A B: true when dotted version A >= B.
version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

go_usable() {
  command -v go >/dev/null 2>&1 || return 1
  local v
  v="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"
  v="${v%%[!0-9.]*}"
  version_ge "$v" "$GO_MIN_VERSION"
}

no_go_message() {
  local have="none" why="no Pulumi CLI on PATH"
  [ "${VAST_RERANKER_BUILD_PULUMI:-0}" = 1 ] && why="VAST_RERANKER_BUILD_PULUMI=1 asks for an offline build"
  command -v go >/dev/null 2>&1 && have="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || echo unknown)"
  cat >&2 <<EOF
toolchain: error: $why, and Go >= $GO_MIN_VERSION is needed to build one offline
  (found: $have).
  Either install the Pulumi CLI (https://www.pulumi.com/docs/install/, e.g.
  'curl -fsSL https://get.pulumi.com | sh') and re-run this script — it will then use it —
  or install Go >= $GO_MIN_VERSION (https://go.dev/dl/) and re-run to build the CLI from the
  Go module proxy.
EOF
  exit 1
}

# Which `pulumi` is on PATH, if any, that is not our own build.
ambient_pulumi() {
  local p real
  p="$(command -v pulumi 2>/dev/null)" || return 1
  real="$(readlink -f "$p" 2>/dev/null || echo "$p")"
  case "$real" in "$OUT"/*) return 1 ;; esac
  echo "$p"
}

# Upstream main packages and the modules they live in (built through the wrapper modules).
CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
LANGHOST_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LANGHOST_PKG=$LANGHOST_MOD
COMMAND_MOD=github.com/pulumi/pulumi-command/provider
COMMAND_PKG=$COMMAND_MOD/cmd/pulumi-resource-command
PULUMI_VFLAG="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
COMMAND_VFLAG="-X $COMMAND_MOD/pkg/version.Version=$COMMAND_PLUGIN_VERSION"

# Module proxy for the untagged modules: a file:// proxy folder next to the repository, in front
# of the usual GOPROXY. Only the go commands of this script see it. Without the folder the normal
# proxy is used (the public proxy.golang.org serves these pseudo-versions; the one here refuses them).
LOCAL_GOPROXY="$ROOT/../shared/goproxy"
UNTAGGED_MODULES="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs,$COMMAND_MOD"
go_proxy_env() {
  local base
  base="$(GOTOOLCHAIN=local go env GOPROXY)"
  if [ -d "$LOCAL_GOPROXY" ]; then
    GO_PROXY_SETTING="file://$(cd "$LOCAL_GOPROXY" && pwd),$base"
    GO_NOSUMDB_SETTING="$(GOTOOLCHAIN=local go env GONOSUMDB)"
    GO_NOSUMDB_SETTING="${GO_NOSUMDB_SETTING:+$GO_NOSUMDB_SETTING,}$UNTAGGED_MODULES"
  else
    GO_PROXY_SETTING="$base"
    GO_NOSUMDB_SETTING="$(GOTOOLCHAIN=local go env GONOSUMDB)"
  fi
}

# gocmd <dir> <go args...>: run go in a module with this script's proxy settings.
gocmd() {
  local dir="$1"
  shift
  (cd "$dir" && GOTOOLCHAIN=local GOPROXY="$GO_PROXY_SETTING" GONOSUMDB="$GO_NOSUMDB_SETTING" go "$@")
}

# Explain a failed download of one of the untagged modules.
untagged_hint() {
  local logfile="$1"
  grep -Eq "pulumi-language-nodejs/v3@v3\.0\.0-|pulumi-command/provider@v0\.0\.0-" "$logfile" || return 0
  if [ -d "$LOCAL_GOPROXY" ]; then
    log "hint: the untagged modules ($UNTAGGED_MODULES) come from the proxy folder" \
      "$LOCAL_GOPROXY; check that it holds $LANGHOST_MOD@$LANGHOST_MODULE_VERSION and" \
      "$COMMAND_MOD@$COMMAND_PROVIDER_MODULE_VERSION"
  else
    log "hint: $LOCAL_GOPROXY does not exist, so the untagged modules were asked from the normal" \
      "proxy ($GO_PROXY_SETTING). It must serve the pseudo-versions $LANGHOST_MOD@$LANGHOST_MODULE_VERSION" \
      "and $COMMAND_MOD@$COMMAND_PROVIDER_MODULE_VERSION: proxy.golang.org does; a mirror that refuses" \
      "pseudo-versions does not - then provide a file:// proxy folder holding them at that path" \
      "(see toolchain/README.md)"
  fi
}

# go_build <module dir> <output file> <package> <ldflags>
go_build() {
  local dir="$1" out="$2" pkg="$3" ldflags="$4" name tmp
  name="$(basename "$out")"
  tmp="$out.tmp.$$"
  mkdir -p "$(dirname "$out")" "$LOGS"
  log "building $name from $pkg (log: ${LOGS#"$ROOT"/}/$name.log) ..."
  local start=$SECONDS
  if ! GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false" \
      gocmd "$dir" build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$tmp" "$pkg" \
      >"$LOGS/$name.log" 2>&1; then
    rm -f "$tmp"
    tail -n 30 "$LOGS/$name.log" >&2
    untagged_hint "$LOGS/$name.log"
    die "go build of $name failed (module ${dir#"$ROOT"/})"
  fi
  mv -f "$tmp" "$out"
  log "built $name in $((SECONDS - start))s ($(du -m "$out" | cut -f1) MiB)"
}

# check_upstream <binary> <main package> <module> <version>: the Go build info embedded in the
# binary (`go version -m`) names that upstream main package (`path`) and its module at that version
# (`mod`; a main package built from a dependency of a wrapper module is recorded like `go install`).
check_upstream() {
  local bin="$1" pkg="$2" mod="$3" ver="$4" info got
  info="$(GOTOOLCHAIN=local go version -m "$bin" 2>/dev/null)" || die "go version -m ${bin#"$ROOT"/} failed"
  got="$(printf '%s\n' "$info" | awk '$1=="path"{p=$2} $1=="mod"{m=$2" "$3} END{print p" ("m")"}')"
  [ "$got" = "$pkg ($mod $ver)" ] ||
    die "${bin#"$ROOT"/} is not upstream $pkg ($mod $ver); go version -m says: $got"
}

check_all_upstream() {
  check_upstream "$BIN/pulumi" "$CLI_PKG" github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION"
  check_upstream "$BIN/pulumi-language-nodejs" "$LANGHOST_PKG" "$LANGHOST_MOD" "$LANGHOST_MODULE_VERSION"
  check_upstream "$BUILD/pulumi-resource-command" "$COMMAND_PKG" "$COMMAND_MOD" "$COMMAND_PROVIDER_MODULE_VERSION"
}

# A stamp is the hash of everything that determines a binary: the wrapper module's files (whose
# pins check_pins compares with versions.env), package, ldflags, Go.
stamp_of() {
  local dir="$1" pkg="$2" ldflags="$3"
  {
    echo "$pkg" "$ldflags"
    GOTOOLCHAIN=local go env GOVERSION GOOS GOARCH
    find "$dir" -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print0 | sort -z | xargs -0 cat
  } | sha256sum | cut -d' ' -f1
}

# ensure_built <module dir> <output file> <package> <ldflags>: build unless the stamp matches.
ensure_built() {
  local s
  s="$(stamp_of "$1" "$3" "$4")"
  if ! up_to_date "$2" "$s"; then
    go_build "$@"
    echo "$s" >"$2.stamp"
  fi
}

# up_to_date <binary> <stamp>
up_to_date() {
  [ "$FORCE" = 0 ] && [ -x "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]
}

# require_pin <go.mod> <module> <version>: the go.mod must require exactly that version.
require_pin() {
  local gomod="$1" mod="$2" ver="$3"
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?$mod[[:space:]]+$ver([[:space:]]|$)" "$gomod" ||
    grep -Eq "=>[[:space:]]*$mod[[:space:]]+$ver([[:space:]]|$)" "$gomod" ||
    die "${gomod#"$ROOT"/} does not pin $mod $ver (toolchain/versions.env); run scripts/toolchain.sh --sync-modules"
}

check_pins() {
  require_pin "$TC/cli/go.mod" github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION"
  require_pin "$TC/cli/go.mod" github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION"
  require_pin "$TC/langhost/go.mod" "$LANGHOST_MOD" "$LANGHOST_MODULE_VERSION"
  require_pin "$TC/langhost/go.mod" github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_VERSION"
  require_pin "$TC/langhost/go.mod" github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_VERSION"
  require_pin "$TC/command/go.mod" "$COMMAND_MOD" "$COMMAND_PROVIDER_MODULE_VERSION"
  require_pin "$TC/random/go.mod" github.com/pulumi/pulumi-terraform-bridge/v3 "v$TF_BRIDGE_VERSION"
  require_pin "$TC/random/go.mod" github.com/pulumi/pulumi/pkg/v3 "v$TF_BRIDGE_PULUMI_VERSION"
  require_pin "$TC/random/go.mod" github.com/pulumi/terraform-plugin-sdk/v2 "$TF_PLUGIN_SDK_FORK_VERSION"
  require_pin "$TC/random/shim/go.mod" github.com/terraform-providers/terraform-provider-random "$TF_PROVIDER_RANDOM_VERSION"
}

# The npm SDK packages request their plugin by exact version; warn early on a mismatch. The npm
# @pulumi/pulumi SDK should be the same release as the CLI and language host.
check_npm_plugin_versions() {
  local name want have pj
  pj="$ROOT/node_modules/@pulumi/pulumi/package.json"
  if [ -f "$pj" ]; then
    have="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n1)"
    [ "$have" = "$PULUMI_VERSION" ] ||
      log "warning: node_modules/@pulumi/pulumi is $have but the CLI and language host are $PULUMI_VERSION (run npm ci)"
  fi
  for name in random command; do
    pj="$ROOT/node_modules/@pulumi/$name/package.json"
    [ -f "$pj" ] || continue
    want="$( [ "$name" = random ] && echo "$RANDOM_PLUGIN_VERSION" || echo "$COMMAND_PLUGIN_VERSION")"
    have="$(sed -n '/"pulumi"[[:space:]]*:/,/}/s/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n1)"
    if [ -n "$have" ] && [ "$have" != "$want" ]; then
      log "warning: node_modules/@pulumi/$name wants plugin $have but toolchain/versions.env builds $want"
    fi
  done
}

write_env() {
  local mode="$1" path_line acquisition_line
  mkdir -p "$OUT" "$HOME_DIR"
  if [ "$mode" = built ]; then
    path_line="export PATH=\"$BIN:\$PATH\""
    acquisition_line="export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  else
    path_line="# PATH unchanged: using the Pulumi CLI found on PATH ($(ambient_pulumi || true))"
    acquisition_line="# plugins are downloaded by the CLI on first use (machine with internet)"
  fi
  cat >"$ENV_FILE.tmp" <<EOF
# Generated by scripts/toolchain.sh ($mode mode) - do not edit; re-run the script instead.
$path_line
export PULUMI_HOME="$HOME_DIR"
export PULUMI_SKIP_UPDATE_CHECK=true
$acquisition_line
export VAST_RERANKER_PULUMI_MODE=$mode
EOF
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
}

print_env() {
  [ -f "$ENV_FILE" ] || die "$ENV_FILE does not exist yet; run scripts/toolchain.sh first"
  echo "# source ${ENV_FILE#"$ROOT"/} or eval these:"
  grep '^export ' "$ENV_FILE"
}

# install_plugin <name> <version> <binary>: register a provider in the project-local plugin cache.
install_plugin() {
  local name="$1" ver="$2" bin="$3" dir
  dir="$HOME_DIR/plugins/resource-$name-v$ver"
  mkdir -p "$dir"
  rm -f "$dir.partial" "$dir.lock"
  if ! cmp -s "$bin" "$dir/pulumi-resource-$name"; then
    ln -f "$bin" "$dir/pulumi-resource-$name.tmp" 2>/dev/null || cp -f "$bin" "$dir/pulumi-resource-$name.tmp"
    mv -f "$dir/pulumi-resource-$name.tmp" "$dir/pulumi-resource-$name"
    log "registered resource plugin $name v$ver in ${dir#"$ROOT"/}"
  fi
}

# new_wrapper <dir> <module name> [replace...]: start a wrapper go.mod from scratch, so that its
# build list is exactly what the upstream requirements select (`go get` raises the go line).
new_wrapper() {
  local dir="$1" name="$2" r
  shift 2
  printf 'module %s\n\ngo 1.21\n' "$name" >"$dir/go.mod"
  rm -f "$dir/go.sum"
  for r in "$@"; do gocmd "$dir" mod edit -replace "$r"; done
}

sync_modules() {
  command -v go >/dev/null || die "go is required for --sync-modules"
  go_proxy_env
  export GOTOOLCHAIN=local
  # Same replace as upstream's pkg and language host go.mod (only matters for Windows).
  local clip="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"
  new_wrapper "$TC/cli" vast-reranker/toolchain/cli "$clip"
  gocmd "$TC/cli" get -tool "$CLI_PKG@v$PULUMI_VERSION"
  gocmd "$TC/cli" get "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
  gocmd "$TC/cli" mod tidy
  new_wrapper "$TC/langhost" vast-reranker/toolchain/langhost "$clip"
  # All three at once: the host's own go.mod asks for pkg v3.243.0, which the proxy here refuses.
  gocmd "$TC/langhost" get "$LANGHOST_MOD@$LANGHOST_MODULE_VERSION" \
    "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
  gocmd "$TC/langhost" mod edit -tool "$LANGHOST_PKG"
  gocmd "$TC/langhost" mod tidy
  # Only the provider: its other requirements stay what its own go.mod asks for (no replaces).
  new_wrapper "$TC/command" vast-reranker/toolchain/command
  gocmd "$TC/command" get -tool "$COMMAND_PKG@$COMMAND_PROVIDER_MODULE_VERSION"
  gocmd "$TC/command" mod tidy
  local d
  for d in cli langhost command; do gocmd "$TC/$d" mod edit -toolchain=none; done
  (cd "$TC/random/shim" && export GOPROXY="$GO_PROXY_SETTING" &&
    go get "github.com/terraform-providers/terraform-provider-random@$TF_PROVIDER_RANDOM_VERSION" && go mod tidy)
  (cd "$TC/random" && export GOPROXY="$GO_PROXY_SETTING" &&
    go mod edit -replace "github.com/hashicorp/terraform-plugin-sdk/v2=github.com/pulumi/terraform-plugin-sdk/v2@$TF_PLUGIN_SDK_FORK_VERSION" &&
    go get "github.com/pulumi/pulumi-terraform-bridge/v3@v$TF_BRIDGE_VERSION" \
      "github.com/pulumi/pulumi/pkg/v3@v$TF_BRIDGE_PULUMI_VERSION" \
      "github.com/pulumi/pulumi/sdk/v3@v$TF_BRIDGE_PULUMI_VERSION" &&
    # -e: a test-only import inside the bridge refers to a package newer sdk versions dropped.
    go mod tidy -e)
  check_pins
  log "go.mod/go.sum files under toolchain/ now match toolchain/versions.env"
}

build_all() {
  go_usable || no_go_message
  check_pins
  check_npm_plugin_versions
  go_proxy_env
  [ -d "$LOCAL_GOPROXY" ] ||
    log "note: no module proxy folder at $LOCAL_GOPROXY; the untagged language host and command" \
      "provider modules must come from the normal proxy ($GO_PROXY_SETTING)"

  # Upstream main packages, built in our wrapper modules (go.mod/go.sum only).
  ensure_built "$TC/cli" "$BIN/pulumi" "$CLI_PKG" "-s -w $PULUMI_VFLAG"
  ensure_built "$TC/langhost" "$BIN/pulumi-language-nodejs" "$LANGHOST_PKG" "-s -w $PULUMI_VFLAG"
  ensure_built "$TC/command" "$BUILD/pulumi-resource-command" "$COMMAND_PKG" "-s -w $COMMAND_VFLAG"
  # Own main.go around the upstream Terraform provider and the bridge (see toolchain/README.md).
  ensure_built "$TC/random" "$BUILD/pulumi-resource-random" . "-s -w -X main.Version=$RANDOM_PLUGIN_VERSION"
  check_all_upstream
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
    check_all_upstream
    log "verify: go version -m: pulumi, pulumi-language-nodejs and pulumi-resource-command are the upstream main packages"
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
    "$ROOT/node_modules/@pulumi/pulumi/package.json" 2>/dev/null | head -n1)"
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
