// A small rerank client for a serverless deployment (vast-reranker:mode = serverless), for consumers
// who do not run Python. It does what Vast's own client does (vastai.serverless.client): ask the
// engine's /route/ for a worker with the endpoint's key, then POST the envelope {auth_data, payload}
// to that worker over TLS trusting Vast's root certificate, with the key as Bearer and ?api_key=; on
// a connection error, 408, 429 or 5xx, ask the route again. Needs only undici.
//
//   import { ServerlessRerankClient } from "vast-reranker/components/client/serverless.ts";
//   const rr = new ServerlessRerankClient({ routeUrl, endpointName, endpointKey, caUrl });
//   const { body } = await rr.request("/v1/rerank", { model, query, documents });
import { Agent } from "undici";

export interface ServerlessClientOptions {
  /** Stack output routeUrl (https://run.vast.ai/route/ on Vast). */
  routeUrl: string;
  /** Stack output endpointName. */
  endpointName: string;
  /** Stack output endpointKey (secret). */
  endpointKey: string;
  /** Vast's root certificate (PEM), or where to download it; default Vast's own URL. */
  caPem?: string;
  caUrl?: string;
  /** Overall deadline per request, including waiting for a worker (default 300 s). */
  timeoutMs?: number;
}

export interface WorkerReply {
  status: number;
  body: unknown;
  /** The worker that answered. */
  worker: string;
  /** The route's signed auth data that was used (what a worker checks). */
  authData: Record<string, unknown>;
}

export const VAST_ROOT_CERT_URL = "https://console.vast.ai/static/jvastai_root.cer";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryable = (s: number) => s === 408 || s === 429 || s >= 500;

export class ServerlessRerankClient {
  private agent: Promise<Agent> | null = null;
  private opts: ServerlessClientOptions;

  constructor(opts: ServerlessClientOptions) {
    this.opts = opts;
  }

  /** The TLS agent trusting Vast's root certificate (downloaded once, as Vast's client does). */
  private tls(): Promise<Agent> {
    this.agent ??= (async () => {
      let ca = this.opts.caPem;
      if (!ca) {
        const r = await fetch(this.opts.caUrl ?? VAST_ROOT_CERT_URL);
        if (!r.ok) throw new Error(`cannot download Vast's root certificate: HTTP ${r.status}`);
        ca = await r.text();
      }
      return new Agent({ connect: { ca } });
    })();
    return this.agent;
  }

  private async post(url: string, body: unknown, key: string | undefined, dispatcher?: Agent): Promise<{ status: number; text: string }> {
    const u = new URL(url);
    if (key) u.searchParams.set("api_key", key);
    const { request } = await import("undici");
    const r = await request(u, {
      method: "POST", body: JSON.stringify(body), dispatcher, headersTimeout: 120_000, bodyTimeout: 120_000,
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    });
    return { status: r.statusCode, text: await r.body.text() };
  }

  /** Asks the route until a worker is ready; returns its signed auth data. */
  async route(deadline: number, cost = 100): Promise<Record<string, unknown>> {
    let idx = 0;
    for (let attempt = 1; ; attempt++) {
      const r = await this.post(this.opts.routeUrl, { endpoint: this.opts.endpointName, api_key: this.opts.endpointKey, cost, request_idx: idx, replay_timeout: 60 }, this.opts.endpointKey).catch(() => undefined);
      if (r && (r.status === 401 || r.status === 400)) throw new Error(`route refused: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      const auth = r && r.status === 200 ? (JSON.parse(r.text) as Record<string, unknown>) : {};
      if (typeof auth.request_idx === "number") idx = auth.request_idx;
      if (typeof auth.url === "string") return auth;
      if (Date.now() > deadline) throw new Error(`no worker ready for endpoint ${this.opts.endpointName} before the deadline`);
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
    }
  }

  /** POSTs `payload` to `path` (/v1/rerank or /v1/score) on a worker the route picks. */
  async request(path: string, payload: unknown, cost = 100): Promise<WorkerReply> {
    const deadline = Date.now() + (this.opts.timeoutMs ?? 300_000);
    const tls = await this.tls();
    for (;;) {
      const auth = await this.route(deadline, cost);
      const worker = auth.url as string;
      const r = await this.post(`${worker}${path}`, { auth_data: auth, payload, session_id: null }, this.opts.endpointKey, tls).catch(() => undefined);
      if (r && !retryable(r.status)) {
        let body: unknown = r.text;
        try {
          body = JSON.parse(r.text);
        } catch {
          /* not JSON */
        }
        return { status: r.status, body, worker, authData: auth };
      }
      if (Date.now() > deadline) throw new Error(`${path}: no worker answered before the deadline (last: ${r ? `HTTP ${r.status}` : "connection failed"})`);
      await sleep(500); // the worker went away or is busy: route again
    }
  }

  /** Sends raw bytes to a worker (the readiness probe's refusal checks). */
  async rawWorkerPost(url: string, body: unknown, key: string | undefined): Promise<number> {
    return (await this.post(url, body, key, await this.tls())).status;
  }

  async close(): Promise<void> {
    if (this.agent) await (await this.agent).close();
  }
}
