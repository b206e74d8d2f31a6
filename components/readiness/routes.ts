// The routes the auth matrix probes: every route docs/vllm-api.md §1 lists for a reranker, plus
// path and Host-header tricks that a careless guard would let through. Pure data.

export interface ProbeRoute {
  method: "GET" | "POST";
  path: string;
  /** Sent as JSON; small but valid, so that an open route answers 2xx rather than 400. */
  body?: unknown;
  /** Raw Host header (the CVE-2026-48746 trick); the label names it. */
  host?: string;
  label: string;
  /** Tricks are sent without a key only: with a key they would just be 404s. */
  trick?: boolean;
}

const route = (method: "GET" | "POST", path: string, body?: unknown): ProbeRoute => ({ method, path, body, label: `${method} ${path}` });

export function authRoutes(model: string): ProbeRoute[] {
  const rerank = { model, query: "ping", documents: ["pong"] };
  const score = { model, text_1: "ping", text_2: ["pong"] };
  return [
    route("GET", "/health"),
    route("GET", "/ping"),
    route("POST", "/ping"),
    route("GET", "/version"),
    route("GET", "/v1/models"),
    route("GET", "/load"),
    route("GET", "/metrics"),
    route("POST", "/rerank", rerank),
    route("POST", "/v1/rerank", rerank),
    route("POST", "/v2/rerank", rerank),
    route("POST", "/score", score),
    route("POST", "/v1/score", score),
    route("POST", "/invocations", rerank), // SageMaker dispatcher: a rerank body reaches the rerank handler
    route("POST", "/pooling", { model, input: "ping" }),
    route("POST", "/classify", { model, input: "ping" }),
    route("POST", "/tokenize", { model, prompt: "ping" }),
    route("POST", "/detokenize", { model, tokens: [0] }),
  ];
}

/** Requests that must be refused without a key however the path or Host is spelled. */
export function trickRoutes(model: string, endpointHost: string): ProbeRoute[] {
  const rerank = { model, query: "ping", documents: ["pong"] };
  const t = (method: "GET" | "POST", path: string, body?: unknown, host?: string): ProbeRoute => ({
    method, path, body, host, trick: true, label: host ? `${method} ${path} [Host: ${host}]` : `${method} ${path}`,
  });
  return [
    t("POST", "//rerank", rerank),
    t("POST", "/rerank/", rerank),
    t("POST", "/health/../rerank", rerank),
    t("GET", "/v1/models", undefined, "localhost/v1/models?"),
    t("POST", "/rerank", rerank, `${endpointHost}/health?`),
  ];
}

/**
 * The request Cohere's TypeScript client sends for `CohereClientV2.rerank` with the server root as its
 * base URL (cohere-ai 8.1: POST <base>/v2/rerank, Bearer key, JSON body): the probe sends exactly this
 * and judges the answer as the client would read it, without loading the SDK (≈ 0.3 s of CPU on the
 * path from /health 200 to `pulumi up` done). tests/readiness/cohereWire.test.ts records the real
 * client's request and holds the two equal.
 */
export function cohereRerankRoute(model: string, query: string, documents: string[]): ProbeRoute {
  return { method: "POST", path: "/v2/rerank", body: { model, query, documents }, label: "Cohere client POST /v2/rerank" };
}
