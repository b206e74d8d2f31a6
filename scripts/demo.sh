#!/usr/bin/env bash
# The README demo: a fresh clone → local Vast emulator → `pulumi up` of the local stack → outputs →
# a Cohere-client rerank of the guide's example → teardown (unless --keep).
# --real-vllm: the emulator's instances run the real vLLM server (CPU build, tiny generated model)
# instead of the fast stand-in; the first run installs it (scripts/setup-vllm.sh, several GB).
# --replicas N: N verified replicas on distinct machines; the rerank goes through the failover client
# (components/client/failover.ts), and with N > 1 the demo kills replica 0's server to show failover.
# --serverless: vast-reranker:mode serverless (a Vast Serverless endpoint in the emulator's control plane,
# workers running Vast's own worker); the rerank goes through Vast's own Python client and through ours.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keep=0
runtime=standin
replicas=1
serverless=0
usage() { echo "usage: npm run demo [-- --keep] [-- --real-vllm] [-- --replicas N] [-- --serverless]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --real-vllm) runtime=vllm ;;
    --serverless) serverless=1 ;;
    --replicas) [ $# -ge 2 ] || usage; replicas="$2"; shift ;;
    --replicas=*) replicas="${1#--replicas=}" ;;
    *) usage ;;
  esac
  shift
done
case "$replicas" in ''|*[!0-9]*) usage ;; esac

# shellcheck disable=SC1091
. scripts/prepare.sh
if [ "$runtime" = vllm ]; then bash scripts/setup-vllm.sh; fi

demo="$root/.cache/demo"
rm -rf "$demo/project"
mkdir -p "$demo/project" "$demo/state"
# A throwaway copy of the program (sources symlinked) so the demo never edits committed stack files.
for f in Pulumi.yaml package.json; do cp "$f" "$demo/project/"; done
cp Pulumi.local.yaml "$demo/project/"
for f in index.ts components node_modules examples; do ln -s "$root/$f" "$demo/project/$f"; done

# Every process the demo starts (emulator, instance servers, pulumi and its plugins) carries this tag;
# the teardown kills by PID whatever still does (the same sweep the tests use).
VR_TEST_RUN="$(node -e 'console.log(require("crypto").randomBytes(8).toString("hex"))')"
export VR_TEST_RUN
stage=starting # starting → deploying → done; --keep keeps things only once the demo got to done
child=
emu_pid=
# Runs a long command in the background so SIGTERM/SIGINT reach the script while it runs.
run() { "$@" & child=$!; local rc=0; wait "$child" || rc=$?; child=; return "$rc"; }
stop_child() {
  [ -n "$child" ] || return 0
  # pulumi cancels on the first SIGINT and waits for in-flight provider calls; the second one exits.
  kill -INT "$child" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$child" 2>/dev/null || break; sleep 0.2; done
  kill -INT "$child" 2>/dev/null || true; sleep 2; kill -KILL "$child" 2>/dev/null || true
  wait "$child" 2>/dev/null || true
  child=
}
teardown() {
  local rc=$?
  stop_child
  if [ "$keep" = 1 ] && [ "$stage" = done ]; then return "$rc"; fi
  if [ "$stage" != starting ]; then
    cd "$demo/project"
    pulumi cancel --yes --stack local --non-interactive >/dev/null 2>&1 || true # a lock left by a stopped up
    echo "== pulumi destroy"
    pulumi destroy --yes --stack local --non-interactive --suppress-progress | tail -n 4 || true
    pulumi stack rm local --yes --force --non-interactive >/dev/null 2>&1 || true
  fi
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  node "$root/tests/setup/processSweep.ts" "$VR_TEST_RUN" || true
  [ "$rc" = 0 ] || echo "demo failed (exit $rc); emulator log: $demo/emulator.log" >&2
  return "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== starting the Vast.ai emulator (instance runtime: $runtime)"
node emulator/main.ts --runtime "$runtime" --loading-ms 3000 --model-load-ms 3000 >"$demo/emulator.out" 2>"$demo/emulator.log" &
emu_pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$demo/emulator.out")" -ge 2 ] && break; sleep 0.1; done
VAST_API_URL="$(sed -n 's/^VAST_API_URL=//p' "$demo/emulator.out")"
VAST_API_KEY="$(sed -n 's/^VAST_API_KEY=//p' "$demo/emulator.out")"
[ -n "$VAST_API_URL" ] || { echo "emulator did not start; see $demo/emulator.log" >&2; exit 1; }
export VAST_API_URL VAST_API_KEY
echo "   $VAST_API_URL (pid $emu_pid)"

export PULUMI_BACKEND_URL="file://$demo/state" PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-demo}"
export VAST_TEST_POLL_FLOOR_MS=500 VAST_TEST_POLL_CAP_MS=2000
cd "$demo/project"
stage=deploying

pulumi stack select --create local --non-interactive >/dev/null
pulumi config set vast:apiUrl "$VAST_API_URL" --stack local
pulumi config set --secret vast:apiKey "$VAST_API_KEY" --stack local
# Real vLLM on CPU loads and compiles the model in about a minute (more on a busy machine).
if [ "$runtime" = vllm ]; then
  export VAST_TEST_WAIT_SCALE=10 # CPU vLLM loads slower than the GPU hosts the stall policy expects
  pulumi config set vast-reranker:bootTimeoutSeconds 600 --stack local
  pulumi config set vast-reranker:probeTimeoutSeconds 600 --stack local
fi
pulumi config set vast-reranker:replicas "$replicas" --stack local
if [ "$serverless" = 1 ]; then pulumi config set vast-reranker:mode serverless --stack local; fi
echo "== pulumi up (stack local)"
run pulumi up --yes --stack local --non-interactive --suppress-progress
echo "== outputs"
pulumi stack output --stack local
out="$(pulumi stack output --json --show-secrets --stack local)"
rerank() {
  RERANKER_ENDPOINTS="$(node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]).endpoints))' "$out")" \
  RERANKER_API_KEY="$(node -e 'console.log(JSON.parse(process.argv[1]).apiKey)' "$out")" \
  RERANKER_MODEL="BAAI/bge-reranker-base" QUERY="What is Deep Learning?" \
  DOCUMENTS='["Deep learning is a subset of machine learning that uses neural networks with many layers","The weather is nice today","Deep learning enables computers to learn from large amounts of data","I like pizza"]' \
    node "$root/examples/consumer/rerank.ts" | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        for (const r of JSON.parse(s)) console.log(`Score: ${r.score.toFixed(6)} | ${r.text.slice(0, 60)}...`);
      });'
}
if [ "$serverless" = 1 ]; then
  get() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$out" "$1"; }
  echo "== the guide's example through Vast's own Python client (vastai.serverless.client), holding only the endpoint's key"
  ENDPOINT_NAME="$(get endpointName)" ENDPOINT_ID="$(get endpointId)" ENDPOINT_KEY="$(get endpointKey)" VAST_URL="$VAST_API_URL" \
    "$root/.cache/vastai-venv/bin/python" "$root/examples/serverless/rerank.py"
  echo "== the same through our TypeScript client (components/client/serverless.ts)"
  ROUTE_URL="$(get routeUrl)" ENDPOINT_NAME="$(get endpointName)" ENDPOINT_KEY="$(get endpointKey)" CA_URL="$VAST_API_URL/static/jvastai_root.cer" \
    node "$root/examples/serverless/rerank.ts"
  echo "== the endpoint's workers (Vast's get_endpoint_workers)"
  "$root/.cache/vastai-venv/bin/vastai" --url "$VAST_API_URL" --api-key "$VAST_API_KEY" --raw get endpt-workers "$(get endpointId)" 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{for(const w of JSON.parse(s))console.log(`   worker ${w.id}: ${w.status}, perf ${Number(w.measured_perf).toFixed(0)}`)})' || true
  stage=done
  exit 0
fi
echo "== the guide's example through the failover client (Cohere's rerank request shape) over $replicas replica(s)"
rerank
if [ "$replicas" -gt 1 ]; then
  first="$(node -e 'console.log(JSON.parse(process.argv[1]).replicas[0].instanceId)' "$out")"
  echo "== replica 0 (instance $first) loses its host: the emulator's offline fault; the client, asked to try replica 0 first (ordered), fails over"
  curl -fsS -X POST -H "authorization: Bearer $VAST_API_KEY" -H 'content-type: application/json' \
    -d "{\"kind\":\"offline_after_running\",\"instanceId\":$first}" "$VAST_API_URL/_emulator/faults" >/dev/null || echo "   (could not inject the fault)"
  sleep 1
  RERANKER_STRATEGY=ordered rerank
  echo "== pulumi refresh reports it; the next pulumi up replaces it while the others serve (vast-reranker:replaceOrder)"
fi
stage=done
if [ "$keep" = 1 ]; then
  cat <<MSG
== kept running: emulator pid $emu_pid at $VAST_API_URL, stack "local" in $demo/state
   tear down: cd $demo/project && PULUMI_BACKEND_URL=file://$demo/state PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE pulumi destroy --yes --stack local; kill $emu_pid
MSG
fi
