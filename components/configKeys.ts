// The `vast-reranker:*` keys the program reads. Pulumi passes every key of the project's namespace
// to the program and ignores the ones nobody reads, so `vast-reranker:mode serverless` on a stack
// without that key, or a typo such as `vast-reranker:replica 3`, would deploy something else in
// silence: an unknown key fails instead, naming the closest known one. Pure; no Pulumi here.

/** Every key Pulumi.yaml declares (tests/unit/configKeys.test.ts checks the two agree). */
export const KNOWN_KEYS = [
  "model", "servedModelName", "image", "maxModelLen", "dtype", "extraArgs", "env", "hardened",
  "filter", "gpuRamGb", "gpuNames", "minReliability", "maxPricePerHour", "minCudaVersion", "regions", "offerType",
  "replacePaused", "bidPricePerHour", "rankBy", "diskGb", "replicas", "minReadyReplicas", "race", "replaceOrder",
  "maxAttempts", "bootTimeoutSeconds", "probeTimeoutSeconds", "probeExpectOpen", "labelPrefix", "apiKeyRotation",
  "mode", "endpointName", "minLoad", "targetUtil", "coldMult", "coldWorkers", "maxWorkers", "maxQueueTime",
  "targetQueueTime", "inactivityTimeout",
] as const;


/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}

/** The known key closest to `name`: by edit distance; ties go to a prefix match, then the same length. */
export function closestKey(name: string, known: readonly string[] = KNOWN_KEYS): string {
  let best = known[0];
  let bestScore = Infinity;
  for (const k of known) {
    const prefix = k.toLowerCase().startsWith(name.toLowerCase()) || name.toLowerCase().startsWith(k.toLowerCase());
    const score = editDistance(name, k) - (prefix ? 0.5 : 0) + Math.abs(k.length - name.length) * 0.01;
    if (score < bestScore) [best, bestScore] = [k, score];
  }
  return best;
}

/**
 * One problem per `vast-reranker:*` key in `configKeys` (full names, e.g. "vast-reranker:replica")
 * that the program does not read. Keys of other namespaces (vast:apiKey, pulumi:…) are not ours.
 */
export function unknownKeyProblems(configKeys: Iterable<string>, known: readonly string[] = KNOWN_KEYS): string[] {
  const out: string[] = [];
  for (const full of configKeys) {
    if (!full.startsWith("vast-reranker:")) continue;
    const name = full.slice("vast-reranker:".length);
    if (known.includes(name)) continue;
    const near = closestKey(name, known);
    out.push(`${full} is not a vast-reranker setting; did you mean vast-reranker:${near}? Fix it with: pulumi config rm ${full} && pulumi config set vast-reranker:${near} <value> (every key: Pulumi.yaml)`);
  }
  return out;
}
