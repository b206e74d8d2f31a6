// Local HTTP replicas for the consumer clients' and the load test's tests: each answers POST …/rerank in vLLM's shape
// (the Cohere path /v2/rerank too), or fails as `mode()` says, optionally after a delay; counts hits.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Mode = "ok" | "die-mid-body" | "503" | "429" | "400";

export interface LocalReplica {
  url: string;
  hits: () => number;
  paths: string[];
  /** Stops listening and cuts every open connection (in-flight requests die mid-way). */
  close: () => Promise<void>;
}

const open: Server[] = [];

/** A replica answering with `key` required; `delayMs` before each answer (a slow GPU). */
export async function localReplica(key: string, mode: () => Mode = () => "ok", delayMs = 0): Promise<LocalReplica> {
  let hits = 0;
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => { body += d; });
    req.on("end", () => {
      hits++;
      paths.push(req.url ?? "");
      const answer = () => {
        if (req.headers.authorization !== `Bearer ${key}`) return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"Unauthorized"}');
        const { documents, top_n: topN } = JSON.parse(body) as { documents: string[]; top_n?: number };
        const m = mode();
        if (m === "503") return void res.writeHead(503).end("overloaded");
        if (m === "429") return void res.writeHead(429, { "content-type": "application/json" }).end('{"error":"too many requests"}');
        if (m === "400") return void res.writeHead(400, { "content-type": "application/json" }).end('{"error":"bad model"}');
        const results = documents.map((_, index) => ({ index, relevance_score: 1 - index / 10, document: { text: documents[index] } })).slice(0, topN ?? documents.length);
        const payload = JSON.stringify({ id: "rerank-1", results, usage: { total_tokens: 7 } });
        if (m === "die-mid-body") {
          // Headers and half the body, then the process "dies": the socket is destroyed mid-stream.
          res.writeHead(200, { "content-type": "application/json", "content-length": String(payload.length) });
          res.write(payload.slice(0, payload.length >> 1));
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(payload);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  open.push(server);
  const close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    if (!server.listening) return r();
    server.close(() => r());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits, paths, close };
}

/** Closes every replica this module started (afterEach). */
export async function closeReplicas(): Promise<void> {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    if (s.listening) await new Promise<void>((r) => s.close(() => r()));
  }
}
