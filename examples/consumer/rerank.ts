// Reranks through the Cohere client against the vLLM endpoint (server root as base URL).
import { CohereClientV2 } from "cohere-ai";

const endpoint = process.env.RERANKER_ENDPOINT ?? "";
const key = process.env.RERANKER_API_KEY ?? "";
const documents = JSON.parse(process.env.DOCUMENTS ?? "[]") as string[];
const co = new CohereClientV2({ token: key, baseUrl: endpoint });
try {
  const res = await co.rerank({ model: process.env.RERANKER_MODEL ?? "BAAI/bge-reranker-base", query: process.env.QUERY ?? "", documents });
  console.log(JSON.stringify(res.results.map((r) => ({ index: r.index, score: r.relevanceScore, text: documents[r.index] }))));
} catch (e) {
  console.error(`rerank failed: ${String((e as Error).message).split(key).join("***")}`);
  process.exit(1);
}
