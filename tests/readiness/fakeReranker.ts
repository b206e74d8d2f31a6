// A small local HTTP server in vLLM's shapes for probe tests. Knobs: which routes require the key
// (all but /health,/ping,/version = "secure"; /v1,/v2 only = "stock" vLLM), /health behaviour,
// a wrong ranking, and a leak of the Authorization header into an error body.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeOptions {
  key: string;
  auth: "secure" | "stock";
  health?: "ok" | "503" | "401";
  wrongRanking?: boolean;
  leakKeyOnScore?: boolean;
}

const UNAUTHORIZED = '{"error":"Unauthorized"}';
const PUBLIC = new Set(["/health", "/ping", "/version"]);

function relevance(query: string, doc: string, wrong: boolean): number {
  const words = (s: string) => new Set(s.toLowerCase().match(/[a-z]+/g) ?? []);
  const q = words(query);
  const overlap = [...words(doc)].filter((w) => q.has(w)).length;
  const s = 1 / (1 + Math.exp(-(overlap * 3 - 5)));
  return wrong ? 1 - s : s;
}

export function fakeHandler(o: FakeOptions, log: RequestLog[] = []): http.RequestListener {
  return (req, res) => {
    log.push({ at: Date.now(), method: req.method ?? "", path: req.url ?? "" });
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0];
      const send = (status: number, body: unknown, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(typeof body === "string" ? body : JSON.stringify(body));
      };
      const auth = req.headers.authorization ?? "";
      const keyed = auth.replace(/^bearer\s+/i, "") === o.key || req.headers["x-api-key"] === o.key;
      const guarded = o.auth === "secure" ? !PUBLIC.has(path) : /^\/(v1|v2)(\/|$)/.test(path);
      if (path === "/health") {
        if (o.health === "503") return send(503, "");
        if (o.health === "401") return send(401, UNAUTHORIZED);
      }
      if (guarded && !keyed) return send(401, UNAUTHORIZED);
      const body = raw ? JSON.parse(raw) : {};
      const post = req.method === "POST";
      if (post && ["/rerank", "/v1/rerank", "/v2/rerank", "/invocations"].includes(path)) {
        const docs: string[] = body.documents;
        const results = docs.map((d, index) => ({ index, document: { text: d, multi_modal: null }, relevance_score: relevance(body.query, d, !!o.wrongRanking) }));
        results.sort((a, b) => b.relevance_score - a.relevance_score);
        return send(200, { id: "score-0", model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 }, results });
      }
      if (post && ["/score", "/v1/score"].includes(path)) {
        if (o.leakKeyOnScore) return send(500, { error: { message: `internal error for request with authorization=${auth}`, code: 500 } });
        const docs: string[] = body.text_2;
        return send(200, { id: "score-1", object: "list", created: 0, model: body.model, data: docs.map((d, index) => ({ index, object: "score", score: relevance(body.text_1, d, !!o.wrongRanking) })) });
      }
      if (post && ["/pooling", "/classify", "/tokenize", "/detokenize"].includes(path)) return send(200, { ok: true });
      if (path === "/ping" || path === "/health") return send(200, "");
      if (req.method === "GET") {
        if (path === "/version") return send(200, { version: "0.30.0" });
        if (path === "/v1/models") return send(200, { object: "list", data: [{ id: "BAAI/bge-reranker-base", max_model_len: 512 }] });
        if (path === "/load") return send(200, { server_load: 0 });
        if (path === "/metrics") return send(200, "vllm:num_requests_running 0\n", "text/plain");
      }
      return send(404, { detail: "Not Found" });
    });
  };
}

export interface RequestLog {
  at: number;
  method: string;
  path: string;
}

export interface Fake {
  port: number;
  /** Every request received, with its arrival time (ms since epoch). */
  log: RequestLog[];
  close: () => Promise<void>;
}

/** Serves on `port` (0 = any). */
export function startFake(o: FakeOptions, port = 0): Promise<Fake> {
  const log: RequestLog[] = [];
  const server = http.createServer(fakeHandler(o, log));
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => resolve({
      port: (server.address() as AddressInfo).port,
      log,
      close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
    }));
  });
}

/** A port nothing listens on right now (connection refused). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
