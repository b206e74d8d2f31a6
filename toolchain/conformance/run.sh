#!/usr/bin/env bash
# Pulumi's language-host conformance suite (pulumi-test-language, served pkg/v3 at PULUMI_VERSION)
# against our own Node.js language host (toolchain/langhost, built here from this tree's source).
# Test-only: not part of scripts/toolchain.sh; `npm test` runs a 4-test subset of it
# (tests/toolchain/pulumiSuite.test.ts). README.md here: what runs, results.
#
#   toolchain/conformance/run.sh                      the l1-* tests (default)
#   toolchain/conformance/run.sh --run '^l[123]-'     a regexp of test names; --skip REGEXP too
#   toolchain/conformance/run.sh --all                every test of the suite
#   toolchain/conformance/run.sh -j 2                 tests at once (default 1; 2 cores shared)
#   toolchain/conformance/run.sh --list               the suite's test names
#   toolchain/conformance/run.sh --keep               keep each test project's node_modules (about
#                                                     70 MB a test; removed after each test by default)
#
# Prints PASS/FAIL per test and a summary; exits 0 when every result matches
# expected-failures.txt (known failures, each with its reason), 1 otherwise. Everything it writes
# goes to $VR_CONFORMANCE_DIR (default: $TMPDIR/vr-conformance-<hash of this checkout's path>):
# bin/ (the two binaries) and work/ (projects, SDKs, state, logs; emptied at the start of each run;
# $VR_CONFORMANCE_WORK overrides it).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BASE="${VR_CONFORMANCE_DIR:-${TMPDIR:-/tmp}/vr-conformance-$(printf '%s' "$ROOT" | sha1sum | cut -c1-10)}"
BUILD="$BASE/bin"
. "$ROOT/toolchain/versions.env"
# shellcheck disable=SC1091
. "$ROOT/scripts/env.sh"

run='^l1-'
skip=''
jobs=1
list=0
keep=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run) run="$2"; shift 2 ;;
    --skip) skip="$2"; shift 2 ;;
    --all) run='.'; shift ;;
    -j) jobs="$2"; shift 2 ;;
    --list) list=1; shift ;;
    --keep) keep=(-keep); shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "conformance: error: $*" >&2; exit 1; }
command -v go >/dev/null || die "Go is needed (the suite is Go code from the served pkg/v3)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (run scripts/setup-node.sh)"

# The suite, the host and the core SDK are one Pulumi release.
grep -Eq "^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION$" "$HERE/go.mod" ||
  die "toolchain/conformance/go.mod does not require pkg/v3 v$PULUMI_VERSION (toolchain/versions.env)"
core="$(readlink -f "$ROOT/node_modules/@pulumi/pulumi")"
core_version="$(node -p "require('$core/package.json').version")"
[ "$core_version" = "$PULUMI_VERSION" ] || die "node_modules/@pulumi/pulumi is $core_version, not $PULUMI_VERSION"

gobuild() { # <module dir> <output> <ldflags>
  (cd "$1" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
    nice -n 10 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$3" -o "$2" .)
}
t0=$SECONDS
mkdir -p "$BUILD"
# Our host exactly as scripts/toolchain.sh builds it, but from this tree and into $BASE/bin: the
# toolchain's own binaries in .cache/pulumi are left alone.
gobuild "$ROOT/toolchain/langhost" "$BUILD/pulumi-language-nodejs" \
  "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
gobuild "$HERE" "$BUILD/conformance" "-s -w"
echo "conformance: built our language host and the suite runner in $((SECONDS - t0))s" >&2

if [ "$list" = 1 ]; then exec "$BUILD/conformance" -list; fi

work="${VR_CONFORMANCE_WORK:-$BASE/work}"
# npm: the generated projects install @pulumi/pulumi (packed from node_modules), typescript and
# @types/node from the registry; prefer the local npm cache, skip audit and fund requests.
export npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
exec nice -n 10 "$BUILD/conformance" -host "$BUILD/pulumi-language-nodejs" -core "$core" \
  -core-version "$core_version" -work "$work" -run "$run" -skip "$skip" -j "$jobs" \
  -expect "$HERE/expected-failures.txt" "${keep[@]}"
