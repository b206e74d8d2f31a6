// Reranks through the deployment's replicas with the failover client (components/client/failover.ts):
// requests are spread over the healthy replicas; a connection error, 5xx or 429 moves on to another. The request is
// the Cohere client's rerank shape (a single endpoint also works with cohere-ai's CohereClientV2,
// the server root as base URL).
import { FailoverReranker } from "../../components/client/failover.ts";

const key = process.env.RERANKER_API_KEY ?? "";
const endpoints = JSON.parse(process.env.RERANKER_ENDPOINTS || "[]") as string[];
if (!endpoints.length && process.env.RERANKER_ENDPOINT) endpoints.push(process.env.RERANKER_ENDPOINT);
const documents = JSON.parse(process.env.DOCUMENTS ?? "[]") as string[];
// RERANKER_STRATEGY=ordered: replica 0 first, the others as fallbacks (the demo uses it to show a failover).
const strategy = process.env.RERANKER_STRATEGY === "ordered" ? "ordered" : "spread";
const client = new FailoverReranker({ endpoints, apiKey: key, strategy, onFailover: (e, why) => console.error(`replica ${e} failed (${why}); trying another`) });
try {
  const res = await client.rerank({ model: process.env.RERANKER_MODEL ?? "BAAI/bge-reranker-base", query: process.env.QUERY ?? "", documents });
  console.log(JSON.stringify(res.results.map((r) => ({ index: r.index, score: r.relevanceScore, text: documents[r.index] }))));
} catch (e) {
  console.error(`rerank failed: ${String((e as Error).message).split(key).join("***")}`);
  process.exit(1);
}
