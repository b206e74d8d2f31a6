// The consumers' failover client (components/client/failover.ts) against local HTTP replicas: one
// that dies mid-response, one that answers 5xx, one that refuses (4xx), one that is down.
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AllReplicasFailedError, FailoverReranker, RerankRequestError } from "../../components/client/failover.ts";

const KEY = "k".repeat(64);
type Mode = "ok" | "die-mid-body" | "503" | "400";
const servers: Server[] = [];

/** A replica; `mode()` decides each answer; counts requests. */
async function replica(mode: () => Mode): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => { body += d; });
    req.on("end", () => {
      hits++;
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      const { documents, top_n: topN } = JSON.parse(body) as { documents: string[]; top_n?: number };
      const m = mode();
      if (m === "503") return void res.writeHead(503).end("overloaded");
      if (m === "400") return void res.writeHead(400, { "content-type": "application/json" }).end('{"error":"bad model"}');
      const payload = JSON.stringify({ id: "rerank-1", results: documents.map((_, index) => ({ index, relevance_score: 1 - index / 10, document: { text: documents[index] } })).slice(0, topN ?? documents.length), usage: { total_tokens: 7 } });
      if (m === "die-mid-body") {
        // Headers and half the body, then the process "dies": the socket is destroyed mid-stream.
        res.writeHead(200, { "content-type": "application/json", "content-length": String(payload.length) });
        res.write(payload.slice(0, payload.length >> 1));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(payload);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
});

const REQ = { model: "BAAI/bge-reranker-base", query: "What is deep learning?", documents: ["Deep learning is ML", { text: "I like pizza" }], topN: 2 };

describe("FailoverReranker", () => {
  it("reranks through the first healthy replica in Cohere's shape", async () => {
    const a = await replica(() => "ok");
    const b = await replica(() => "ok");
    const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY });
    const res = await rr.rerank(REQ);
    expect(res.endpoint).toBe(a.url);
    expect(res.results).toEqual([{ index: 0, relevanceScore: 1, document: { text: "Deep learning is ML" } }, { index: 1, relevanceScore: 0.9, document: { text: "I like pizza" } }]);
    expect([a.hits(), b.hits()]).toEqual([1, 0]);
  });

  it("a replica that dies mid-stream: the request is answered by another, and the dead one is skipped for a while", async () => {
    let aMode: Mode = "ok";
    const a = await replica(() => aMode);
    const b = await replica(() => "ok");
    const reasons: string[] = [];
    const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY, cooldownMs: 60_000, onFailover: (_e, r) => reasons.push(r) });
    expect((await rr.rerank(REQ)).endpoint).toBe(a.url);
    aMode = "die-mid-body";
    const res = await rr.rerank(REQ);
    expect(res.endpoint).toBe(b.url);
    expect(res.results).toHaveLength(2);
    expect(reasons[0]).toMatch(/^connection:/);
    expect(reasons.join(" ")).not.toContain(KEY);
    // Remembered: the next requests go straight to b, a is not hit again during the cooldown.
    const aHits = a.hits();
    for (let i = 0; i < 3; i++) expect((await rr.rerank(REQ)).endpoint).toBe(b.url);
    expect(a.hits()).toBe(aHits);
    expect(rr.order()).toEqual([b.url, a.url]);
  });

  it("a replica that is down entirely (connection refused) and one that answers 5xx are both skipped", async () => {
    const down = await replica(() => "ok");
    const downUrl = down.url;
    await down.close();
    const five = await replica(() => "503");
    const ok = await replica(() => "ok");
    const rr = new FailoverReranker({ endpoints: [downUrl, five.url, ok.url], apiKey: KEY });
    expect((await rr.rerank(REQ)).endpoint).toBe(ok.url);
    expect(five.hits()).toBe(1);
  });

  it("never retries a 4xx on another replica", async () => {
    const bad = await replica(() => "400");
    const ok = await replica(() => "ok");
    const rr = new FailoverReranker({ endpoints: [bad.url, ok.url], apiKey: KEY });
    const err = await rr.rerank(REQ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RerankRequestError);
    expect((err as RerankRequestError).status).toBe(400);
    expect(ok.hits()).toBe(0);
  });

  it("every replica failing is one error naming each; after the cooldown a recovered replica serves again", async () => {
    let mode: Mode = "503";
    const a = await replica(() => mode);
    const b = await replica(() => "503");
    const rr = new FailoverReranker({ endpoints: [a.url, b.url], apiKey: KEY, cooldownMs: 50 });
    const err = await rr.rerank(REQ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllReplicasFailedError);
    expect((err as AllReplicasFailedError).failures.map((f) => f.endpoint)).toEqual([a.url, b.url]);
    mode = "ok";
    await new Promise((r) => setTimeout(r, 80));
    expect((await rr.rerank(REQ)).endpoint).toBe(a.url);
  });
});
