// A failover rerank client for consumers of a deployment with several replicas (the stack outputs
// `endpoints` and `apiKey`). No dependencies but fetch (Node >= 18):
//
//   import { FailoverReranker } from "vast-reranker/components/client/failover.ts";
//   const rr = new FailoverReranker({ endpoints, apiKey });
//   const { results } = await rr.rerank({ model, query, documents, topN: 3 }); // Cohere's rerank shape
//
// - Spreads requests over the healthy replicas (strategy "spread", the default: power-of-two-choices
//   on the requests this client has in flight, see choice.ts); strategy "ordered" sends each request
//   to the first healthy replica in `endpoints` order (a primary with fallbacks).
// - Retries another replica on a connection error, a timeout, a response cut off mid-body, a 5xx or
//   a 429 (that replica is overloaded; another may not be).
// - Never retries another 4xx (bad key, bad request): the same request fails the same way elsewhere.
// - A failed replica is skipped for `cooldownMs` (default 30 s), then tried again; when every
//   replica is cooling down, they are tried anyway (oldest failure first) rather than failing at once.
// - Each request tries each replica at most once.
import { chooseReplica, isCooling, type ReplicaStrategy } from "./choice.ts";

/** The Cohere TS client's rerank request (CohereClientV2.rerank), as far as vLLM serves it. */
export interface RerankRequest {
  model: string;
  query: string;
  documents: Array<string | { text: string }>;
  topN?: number;
  maxTokensPerDoc?: number;
}

/** Cohere's V2 rerank response shape (camelCase), plus which replica answered. */
export interface RerankResponse {
  id?: string;
  results: Array<{ index: number; relevanceScore: number; document?: { text: string } }>;
  meta?: Record<string, unknown>;
  /** Base URL of the replica that answered. */
  endpoint: string;
}

export interface FailoverRerankerOptions {
  endpoints: string[];
  apiKey: string;
  /** "spread" (default): power-of-two-choices over healthy replicas; "ordered": the first healthy one. */
  strategy?: ReplicaStrategy;
  /** How long a failed replica is skipped (ms). Default 30 000. */
  cooldownMs?: number;
  /** Per-attempt deadline (ms), headers and body. Default 30 000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Called on each failed attempt (never with the key). */
  onFailover?: (endpoint: string, reason: string) => void;
  /** Uniform in [0, 1) for the spread draws. Default Math.random; a seeded one makes runs reproducible. */
  random?: () => number;
}

/** What the client knows about one replica. */
export interface ReplicaState {
  endpoint: string;
  /** Requests in flight to it from this client. */
  outstanding: number;
  /** Skipped until its cool-down after a failure ends. */
  cooling: boolean;
}

/** A 4xx answer other than 429: not retried on another replica. */
export class RerankRequestError extends Error {
  readonly status: number;
  readonly endpoint: string;
  constructor(endpoint: string, status: number, body: string) {
    super(`rerank refused by ${endpoint}: HTTP ${status} ${body.slice(0, 300)}`);
    this.name = "RerankRequestError";
    this.status = status;
    this.endpoint = endpoint;
  }
}

/** Every replica failed (connection errors, timeouts, 5xx or 429). */
export class AllReplicasFailedError extends Error {
  readonly failures: Array<{ endpoint: string; reason: string }>;
  constructor(failures: Array<{ endpoint: string; reason: string }>) {
    super(`every replica failed: ${failures.map((f) => `${f.endpoint}: ${f.reason}`).join("; ")}`);
    this.name = "AllReplicasFailedError";
    this.failures = failures;
  }
}

export class FailoverReranker {
  private readonly endpoints: string[];
  private readonly failedAt = new Map<string, number>();
  private readonly outstanding = new Map<string, number>();
  private readonly o: FailoverRerankerOptions;

  constructor(o: FailoverRerankerOptions) {
    this.o = o;
    if (!o.endpoints.length) throw new Error("FailoverReranker needs at least one endpoint");
    if (o.strategy !== undefined && o.strategy !== "spread" && o.strategy !== "ordered") throw new Error(`FailoverReranker strategy must be "spread" or "ordered" (got ${JSON.stringify(o.strategy)})`);
    this.endpoints = [...new Set(o.endpoints.map((e) => e.replace(/\/+$/, "")))];
  }

  /** Each replica's in-flight requests and whether it is cooling down, in `endpoints` order. */
  replicas(now = Date.now()): ReplicaState[] {
    const cool = this.o.cooldownMs ?? 30_000;
    return this.endpoints.map((endpoint) => ({ endpoint, outstanding: this.outstanding.get(endpoint) ?? 0, cooling: isCooling({ endpoint, outstanding: 0, failedAt: this.failedAt.get(endpoint) }, now, cool) }));
  }

  /** The replica for this request's next attempt (undefined: every replica was tried). */
  private next(tried: ReadonlySet<string>): string | undefined {
    const views = this.endpoints.map((endpoint) => ({ endpoint, outstanding: this.outstanding.get(endpoint) ?? 0, failedAt: this.failedAt.get(endpoint) }));
    return chooseReplica(views, { strategy: this.o.strategy ?? "spread", now: Date.now(), cooldownMs: this.o.cooldownMs ?? 30_000, random: this.o.random ?? Math.random, exclude: tried });
  }

  async rerank(req: RerankRequest): Promise<RerankResponse> {
    const body = JSON.stringify({
      model: req.model, query: req.query, documents: req.documents.map((d) => (typeof d === "string" ? d : d.text)),
      ...(req.topN !== undefined ? { top_n: req.topN } : {}),
      ...(req.maxTokensPerDoc !== undefined ? { max_tokens_per_doc: req.maxTokensPerDoc } : {}),
    });
    const failures: Array<{ endpoint: string; reason: string }> = [];
    const tried = new Set<string>();
    for (let endpoint = this.next(tried); endpoint !== undefined; endpoint = this.next(tried)) {
      tried.add(endpoint);
      let status: number;
      let text: string;
      this.outstanding.set(endpoint, (this.outstanding.get(endpoint) ?? 0) + 1);
      try {
        const res = await (this.o.fetch ?? fetch)(`${endpoint}/v1/rerank`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${this.o.apiKey}` },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
        });
        status = res.status;
        text = await res.text(); // a replica dying mid-body fails here, as a connection error
      } catch (e) {
        this.fail(endpoint, `connection: ${this.redact((e as Error).message)}${(e as { cause?: Error }).cause ? ` (${this.redact(String((e as { cause?: Error }).cause?.message))})` : ""}`, failures);
        continue;
      } finally {
        this.outstanding.set(endpoint, (this.outstanding.get(endpoint) ?? 1) - 1);
      }
      if (status >= 400 && status < 500 && status !== 429) throw new RerankRequestError(endpoint, status, this.redact(text));
      if (status < 200 || status >= 300) {
        this.fail(endpoint, `HTTP ${status}`, failures);
        continue;
      }
      let parsed: { id?: string; results?: Array<{ index: number; relevance_score: number; document?: { text: string } }>; usage?: Record<string, unknown> };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        this.fail(endpoint, "unparsable response body", failures);
        continue;
      }
      this.failedAt.delete(endpoint);
      return {
        id: parsed.id,
        results: (parsed.results ?? []).map((r) => ({ index: r.index, relevanceScore: r.relevance_score, ...(r.document ? { document: r.document } : {}) })),
        meta: parsed.usage ? { billedUnits: parsed.usage } : undefined,
        endpoint,
      };
    }
    throw new AllReplicasFailedError(failures);
  }

  private fail(endpoint: string, reason: string, failures: Array<{ endpoint: string; reason: string }>): void {
    this.failedAt.set(endpoint, Date.now());
    failures.push({ endpoint, reason });
    this.o.onFailover?.(endpoint, reason);
  }

  private redact(s: string): string {
    return this.o.apiKey ? s.split(this.o.apiKey).join("***") : s;
  }
}
