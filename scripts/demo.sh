#!/usr/bin/env bash
# The README demo: a fresh clone → local Vast emulator → `pulumi up` of the local stack → outputs →
# a Cohere-client rerank of the guide's example → teardown (unless --keep).
# --real-vllm: the emulator's instances run the real vLLM server (CPU build, tiny generated model)
# instead of the fast stand-in; the first run installs it (scripts/setup-vllm.sh, several GB).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
keep=0
runtime=standin
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    --real-vllm) runtime=vllm ;;
    *) echo "usage: npm run demo [-- --keep] [-- --real-vllm]" >&2; exit 2 ;;
  esac
done

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
export VAST_POLL_FIRST_MS=500 VAST_POLL_CAP_MS=2000
cd "$demo/project"
teardown() {
  cd "$demo/project"
  echo "== pulumi destroy"
  pulumi destroy --yes --stack local --non-interactive --suppress-progress | tail -n 4 || true
  pulumi stack rm local --yes --non-interactive >/dev/null 2>&1 || true
  kill "$emu_pid" 2>/dev/null || true
  wait "$emu_pid" 2>/dev/null || true
}
if [ "$keep" = 0 ]; then trap teardown EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; fi

pulumi stack select --create local --non-interactive >/dev/null
pulumi config set vast:apiUrl "$VAST_API_URL" --stack local
pulumi config set --secret vast:apiKey "$VAST_API_KEY" --stack local
# Real vLLM on CPU loads and compiles the model in about a minute (more on a busy machine).
if [ "$runtime" = vllm ]; then pulumi config set vast-reranker:probeTimeoutSeconds 600 --stack local; fi
echo "== pulumi up (stack local)"
pulumi up --yes --stack local --non-interactive --suppress-progress
echo "== outputs"
pulumi stack output --stack local
echo "== the guide's example through the Cohere client (CohereClientV2, base URL = server root)"
out="$(pulumi stack output --json --show-secrets --stack local)"
RERANKER_ENDPOINT="$(node -e 'console.log(JSON.parse(process.argv[1]).cohereBaseUrl)' "$out")" \
RERANKER_API_KEY="$(node -e 'console.log(JSON.parse(process.argv[1]).apiKey)' "$out")" \
RERANKER_MODEL="BAAI/bge-reranker-base" QUERY="What is Deep Learning?" \
DOCUMENTS='["Deep learning is a subset of machine learning that uses neural networks with many layers","The weather is nice today","Deep learning enables computers to learn from large amounts of data","I like pizza"]' \
  node "$root/examples/consumer/rerank.ts" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s)) console.log(`Score: ${r.score.toFixed(6)} | ${r.text.slice(0, 60)}...`);
    });'
if [ "$keep" = 1 ]; then
  cat <<MSG
== kept running: emulator pid $emu_pid at $VAST_API_URL, stack "local" in $demo/state
   tear down: cd $demo/project && PULUMI_BACKEND_URL=file://$demo/state PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE pulumi destroy --yes --stack local; kill $emu_pid
MSG
fi
