# Functions of scripts/toolchain.sh (sourced by it; not run on its own): Go checks and proxy
# settings, build + stamp + build-info checks, pins against versions.env, the npm plugin versions,
# env.sh, plugin install and --sync-modules. Uses the variables toolchain.sh sets (ROOT, TC, OUT,
# BIN, BUILD, HOME_DIR, LOGS, ENV_FILE, FORCE and those of versions.env) and its log/die.
# shellcheck shell=bash disable=SC2154

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
  # Our own build, also when the checkout or its .cache is reached through a symlink.
  case "$real" in "$OUT"/* | "$(readlink -f "$OUT" 2>/dev/null || echo "$OUT")"/*) return 1 ;; esac
  echo "$p"
}

# The upstream main package built in toolchain/cli, and our own main packages (module paths).
CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
LANGHOST_PKG=vast-reranker/toolchain/langhost
COMMAND_PKG=vast-reranker/toolchain/command
PULUMI_VFLAG="-X $SDK_MOD/go/common/version.Version=v$PULUMI_VERSION"
COMMAND_VFLAG="-X main.Version=$COMMAND_PLUGIN_VERSION"

# Only the usual module proxy: every module the build needs is a tagged or cached version it serves.
go_proxy_env() {
  GO_PROXY_SETTING="$(GOTOOLCHAIN=local go env GOPROXY)"
  GO_NOSUMDB_SETTING="$(GOTOOLCHAIN=local go env GONOSUMDB)"
}

# gocmd <dir> <go args...>: run go in a module with this script's proxy settings.
gocmd() {
  local dir="$1"
  shift
  (cd "$dir" && GOTOOLCHAIN=local GOPROXY="$GO_PROXY_SETTING" GONOSUMDB="$GO_NOSUMDB_SETTING" go "$@")
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
    die "go build of $name failed (module ${dir#"$ROOT"/})"
  fi
  mv -f "$tmp" "$out"
  log "built $name in $((SECONDS - start))s ($(du -m "$out" | cut -f1) MiB)"
}

# build_info <binary>: "<main package path> (<main module> <version>)" and, after it, the sdk/v3
# version it was built with, from the Go build info embedded in the binary (`go version -m`).
build_info() {
  local info
  info="$(GOTOOLCHAIN=local go version -m "$1" 2>/dev/null)" || die "go version -m ${1#"$ROOT"/} failed"
  printf '%s\n' "$info" | awk -v sdk="$SDK_MOD" '$1=="path"{p=$2} $1=="mod"{m=$2" "$3} $1=="dep"&&$2==sdk{s=$3}
    END{print p" ("m") sdk "s}'
}

# check_build <binary> <expected build_info line>
check_build() {
  local got
  got="$(build_info "$1")"
  [ "$got" = "$2" ] || die "${1#"$ROOT"/}: expected '$2', go version -m says '$got'"
}

# The CLI is Pulumi's own main package at PULUMI_VERSION; the language host and the command
# provider are our own main packages, built on sdk/v3 of the same release.
check_builds() {
  check_build "$BIN/pulumi" "$CLI_PKG (github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION) sdk v$PULUMI_VERSION"
  check_build "$BIN/pulumi-language-nodejs" "$LANGHOST_PKG ($LANGHOST_PKG (devel)) sdk v$PULUMI_VERSION"
  check_build "$BUILD/pulumi-resource-command" "$COMMAND_PKG ($COMMAND_PKG (devel)) sdk v$PULUMI_VERSION"
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
  require_pin "$TC/langhost/go.mod" "$SDK_MOD" "v$PULUMI_VERSION"
  require_pin "$TC/command/go.mod" "$SDK_MOD" "v$PULUMI_VERSION"
  require_pin "$TC/random/go.mod" github.com/pulumi/pulumi-terraform-bridge/v3 "v$TF_BRIDGE_VERSION"
  require_pin "$TC/random/go.mod" github.com/pulumi/pulumi/pkg/v3 "v$TF_BRIDGE_PULUMI_VERSION"
  require_pin "$TC/random/go.mod" github.com/pulumi/terraform-plugin-sdk/v2 "$TF_PLUGIN_SDK_FORK_VERSION"
  require_pin "$TC/random/shim/go.mod" github.com/terraform-providers/terraform-provider-random "$TF_PROVIDER_RANDOM_VERSION"
}

# The npm SDK packages request their plugin by exact version, and the npm @pulumi/pulumi SDK is the
# release of the CLI and of the sdk/v3 under our language host: refuse to build on a mismatch.
check_npm_plugin_versions() {
  local name want have pj
  pj="$ROOT/node_modules/@pulumi/pulumi/package.json"
  if [ -f "$pj" ]; then
    have="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n1)"
    [ "$have" = "$PULUMI_VERSION" ] ||
      die "node_modules/@pulumi/pulumi is $have but toolchain/versions.env builds the CLI and language host at $PULUMI_VERSION (run npm ci, or move PULUMI_VERSION and package.json together)"
  fi
  for name in random command; do
    pj="$ROOT/node_modules/@pulumi/$name/package.json"
    [ -f "$pj" ] || continue
    want="$( [ "$name" = random ] && echo "$RANDOM_PLUGIN_VERSION" || echo "$COMMAND_PLUGIN_VERSION")"
    have="$(sed -n '/"pulumi"[[:space:]]*:/,/}/s/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n1)"
    if [ -n "$have" ] && [ "$have" != "$want" ]; then
      die "node_modules/@pulumi/$name wants plugin $have but toolchain/versions.env builds $want (the engine matches plugin versions exactly)"
    fi
  done
}

write_env() {
  local mode="$1" path_line acquisition_line
  mkdir -p "$OUT" "$HOME_DIR"
  local home_line
  if [ "$mode" = built ]; then
    path_line="export PATH=\"$BIN:\$PATH\""
    home_line="export PULUMI_HOME=\"$HOME_DIR\""
    acquisition_line="export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  else
    # Pulumi's own host and plugins, untouched: the project-local home holding our stand-ins is not
    # used, and a PULUMI_HOME exported by an earlier built-mode env.sh is dropped.
    path_line="# PATH unchanged: using the Pulumi CLI found on PATH ($(ambient_pulumi || true))"
    home_line="if [ \"\${PULUMI_HOME:-}\" = \"$HOME_DIR\" ]; then unset PULUMI_HOME; fi"
    acquisition_line="# plugins are downloaded by the CLI on first use (machine with internet)"
  fi
  cat >"$ENV_FILE.tmp" <<EOF
# Generated by scripts/toolchain.sh ($mode mode) - do not edit; re-run the script instead.
$path_line
$home_line
export PULUMI_SKIP_UPDATE_CHECK=true
$acquisition_line
export VAST_RERANKER_PULUMI_MODE=$mode
EOF
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
}

print_env() {
  [ -f "$ENV_FILE" ] || die "$ENV_FILE does not exist yet; run scripts/toolchain.sh first"
  echo "# source ${ENV_FILE#"$ROOT"/} or eval these:"
  grep -v '^#' "$ENV_FILE"
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
  # Our own host and command provider: on sdk/v3 of the CLI's release, the rest as tidy selects.
  local d
  for d in langhost command; do
    new_wrapper "$TC/$d" "vast-reranker/toolchain/$d"
    gocmd "$TC/$d" get "$SDK_MOD@v$PULUMI_VERSION"
    gocmd "$TC/$d" mod tidy
  done
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
