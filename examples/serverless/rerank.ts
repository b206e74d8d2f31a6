// Rerank through a vast-reranker serverless endpoint with our small TypeScript client
// (components/client/serverless.ts: what Vast's client does, route → signed envelope → TLS worker).
//   ROUTE_URL=$(pulumi stack output routeUrl) ENDPOINT_NAME=$(pulumi stack output endpointName) \
//   ENDPOINT_KEY=$(pulumi stack output --show-secrets endpointKey) node examples/serverless/rerank.ts
// CA_URL: Vast's root certificate (default https://console.vast.ai/static/jvastai_root.cer; the
// emulator serves its own at <emulator>/static/jvastai_root.cer).
import { ServerlessRerankClient } from "../../components/client/serverless.ts";

const env = (k: string) => process.env[k] ?? (() => { throw new Error(`set ${k}`); })();
const client = new ServerlessRerankClient({ routeUrl: env("ROUTE_URL"), endpointName: env("ENDPOINT_NAME"), endpointKey: env("ENDPOINT_KEY"), caUrl: process.env.CA_URL });
try {
  const r = await client.request("/v1/rerank", {
    model: process.env.MODEL ?? "BAAI/bge-reranker-base",
    query: "What is Deep Learning?",
    documents: [
      "Deep learning is a subset of machine learning that uses neural networks with many layers",
      "The weather is nice today",
      "Deep learning enables computers to learn from large amounts of data",
      "I like pizza",
    ],
  });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  const results = (r.body as { results: Array<{ index: number; relevance_score: number; document: { text: string } }> }).results;
  console.log(JSON.stringify(results.map((x) => ({ index: x.index, score: x.relevance_score, text: x.document.text }))));
} finally {
  await client.close();
}
