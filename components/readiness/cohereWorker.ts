// The probe's Cohere check in a worker thread (run.ts): the Cohere SDK is the heaviest module the
// probe loads (≈ 0.2 s of CPU), so it loads on another core while the main thread waits for
// /health and runs the other checks. One request in, one answer out; the key stays in this process.
import { parentPort } from "node:worker_threads";
import { CohereClientV2 } from "cohere-ai";

export interface CohereRequest {
  endpoint: string;
  apiKey: string;
  model: string;
  query: string;
  documents: string[];
  timeoutMs: number;
}

parentPort?.once("message", (r: CohereRequest) => {
  // The Cohere client joins "v2/rerank" onto baseUrl, so the base is the server root.
  const co = new CohereClientV2({ token: r.apiKey, baseUrl: r.endpoint, maxRetries: 0, timeoutInSeconds: r.timeoutMs / 1000 });
  co.rerank({ model: r.model, query: r.query, documents: r.documents }).then(
    (res) => parentPort?.postMessage({ res: JSON.parse(JSON.stringify(res)) as unknown }),
    (e: unknown) => parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
});
