// The readiness probe checks the Cohere client's rerank without loading the SDK (it is on the path
// from /health 200 to `pulumi up` done): it sends the request the client sends and judges the answer
// as the client reads it. This holds the two equal: the real cohere-ai client's request, recorded by
// a local server, against the probe's (components/readiness/routes.ts cohereRerankRoute).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CohereClientV2 } from "cohere-ai";
import { cohereRerankRoute } from "../../components/readiness/routes.ts";
import { GUIDE_DOCUMENTS, GUIDE_QUERY, GUIDE_RELEVANT, judgeRerank } from "../../components/readiness/verdicts.ts";

const KEY = "c0ffee".repeat(10) + "beef";
const MODEL = "BAAI/bge-reranker-base";
// vLLM's /v2/rerank answer shape (Cohere's V2), relevant documents 0 and 2 first.
const ANSWER = {
  id: "rerank-1", model: MODEL, usage: { total_tokens: 42 },
  results: [0, 2, 3, 1].map((index, rank) => ({ index, relevance_score: [0.98, 0.97, 0.03, 0.02][rank], document: { text: GUIDE_DOCUMENTS[index] } })),
};

let server: Server;
let base = "";
const seen: Array<{ method?: string; path?: string; headers: IncomingMessage["headers"]; body: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c));
    req.on("end", () => {
      seen.push({ method: req.method, path: req.url, headers: req.headers, body: JSON.parse(raw || "null") });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(ANSWER));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("the probe's Cohere check is the Cohere client's request", () => {
  it("method, path, key and body as cohere-ai's CohereClientV2.rerank sends them (base URL = the server root)", async () => {
    const co = new CohereClientV2({ token: KEY, environment: base, maxRetries: 0 });
    const sdk = await co.rerank({ model: MODEL, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS });
    const sent = seen.at(-1);
    const probe = cohereRerankRoute(MODEL, GUIDE_QUERY, GUIDE_DOCUMENTS);
    expect({ method: sent?.method, path: sent?.path }).toEqual({ method: probe.method, path: probe.path });
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.headers["content-type"]).toMatch(/^application\/json/);
    expect(sent?.body).toEqual(probe.body);
    // The same answer, as the client reads it and as the probe judges it: the same order.
    const viaSdk = judgeRerank(sdk, GUIDE_DOCUMENTS.length, GUIDE_RELEVANT);
    const viaProbe = judgeRerank(ANSWER, GUIDE_DOCUMENTS.length, GUIDE_RELEVANT);
    expect(viaProbe.ok).toBe(true);
    expect(viaProbe).toEqual(viaSdk);
  });
});
