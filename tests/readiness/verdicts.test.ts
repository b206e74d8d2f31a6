import { describe, expect, it } from "vitest";
import {
  classifyUnauthenticated, describeHealth, GUIDE_DOCUMENTS, GUIDE_RELEVANT, healthAction, judgeAuthMatrix,
  judgeRerank, judgeScore, openRoutesHint, type AuthObservation,
} from "../../components/readiness/verdicts.ts";
import { authRoutes, trickRoutes } from "../../components/readiness/routes.ts";
import { failureDetails, failureReason, parseProbeEnv, scrubSecrets, snippet } from "../../components/readiness/report.ts";

const N = GUIDE_DOCUMENTS.length;
// The guide's scores, in vLLM's /rerank shape (sorted), and /score shape (input order).
const GUIDE_SCORES = [0.999512, 0.000037, 0.17627, 0.000037];
const rerankBody = (order: number[], scores = GUIDE_SCORES) => ({
  id: "score-b03bc1b9d3684578", model: "BAAI/bge-reranker-base", usage: { prompt_tokens: 80, total_tokens: 80 },
  results: order.map((i) => ({ index: i, document: { text: GUIDE_DOCUMENTS[i], multi_modal: null }, relevance_score: scores[i] })),
});
const scoreBody = (scores = GUIDE_SCORES) => ({ id: "score-1", object: "list", created: 1, model: "m", data: scores.map((s, i) => ({ index: i, object: "score", score: s })) });

describe("judgeRerank", () => {
  it("accepts the guide's ranking (vLLM shape) and the Cohere client's camelCase", () => {
    const v = judgeRerank(rerankBody([0, 2, 1, 3]), N, GUIDE_RELEVANT);
    expect(v).toMatchObject({ ok: true, problems: [], results: 4, topIndex: 0, topScore: 0.999512 });
    const cohere = { results: [0, 2, 3, 1].map((i) => ({ index: i, relevanceScore: GUIDE_SCORES[i] })) };
    expect(judgeRerank(cohere, N, GUIDE_RELEVANT).ok).toBe(true);
  });

  it.each([
    ["unsorted", rerankBody([2, 0, 1, 3]), /not sorted/],
    ["irrelevant on top", rerankBody([1, 0, 2, 3], [0.5, 0.9, 0.4, 0.1]), /relevant documents \[0,2\] not ranked first/],
    ["irrelevant second", rerankBody([0, 1, 2, 3], [0.9, 0.8, 0.4, 0.1]), /not ranked first: order is \[0,1,2,3\]/],
    ["missing results", rerankBody([0, 2]), /2 results for 4 documents/],
    ["duplicate index", rerankBody([0, 0, 2, 3]), /duplicate/],
    ["index out of range", { results: [{ index: 4, relevance_score: 1 }] }, /not a document index 0\.\.3/],
    ["score not a number", { results: [{ index: 0, relevance_score: "1" }] }, /is not a number/],
    ["no results", { detail: "x" }, /no results array/],
    ["not an object", "oops", /no results array/],
  ])("rejects %s", (_name, body, why) => {
    const v = judgeRerank(body, N, GUIDE_RELEVANT);
    expect(v.ok).toBe(false);
    expect(v.problems.join("; ")).toMatch(why);
  });
});

describe("judgeScore", () => {
  it("accepts one score per document in input order", () => {
    expect(judgeScore(scoreBody(), N, GUIDE_RELEVANT)).toMatchObject({ ok: true, scores: GUIDE_SCORES, topIndex: 0, results: 4 });
    const legacy = { data: GUIDE_SCORES.map((s, i) => ({ index: i, score: [s] })) }; // Nov-2024 shape
    expect(judgeScore(legacy, N, GUIDE_RELEVANT).ok).toBe(true);
  });

  it.each([
    ["sorted instead of input order", { data: [0, 2, 1, 3].map((i) => ({ index: i, score: GUIDE_SCORES[i] })) }, /not in input order/],
    ["too few", scoreBody([0.9, 0.1]), /2 scores for 4 documents/],
    ["non-numeric", { data: [{ index: 0, score: null }] }, /is not a number/],
    ["wrong top", scoreBody([0.1, 0.9, 0.2, 0.1]), /highest score is document 1/],
    ["no data", {}, /no data array/],
  ])("rejects %s", (_name, body, why) => {
    const v = judgeScore(body, N, GUIDE_RELEVANT);
    expect(v.ok).toBe(false);
    expect(v.problems.join("; ")).toMatch(why);
  });
});

describe("auth matrix", () => {
  const routes = authRoutes("m");
  const matrix = (statusOf: (path: string, cred: "none" | "wrong" | "right") => number | undefined): AuthObservation[] =>
    routes.flatMap((r) => (["none", "wrong", "right"] as const).map((credential) => ({ label: r.label, path: r.path, credential, status: statusOf(r.path, credential) })));
  const PUBLIC = new Set(["/health", "/ping", "/version"]);
  const STOCK_GUARDED = ["/v1", "/v2"];

  it("covers every route docs/vllm-api.md §1 lists, with methods", () => {
    expect(routes.map((r) => r.label)).toEqual([
      "GET /health", "GET /ping", "POST /ping", "GET /version", "GET /v1/models", "GET /load", "GET /metrics",
      "POST /rerank", "POST /v1/rerank", "POST /v2/rerank", "POST /score", "POST /v1/score", "POST /invocations",
      "POST /pooling", "POST /classify", "POST /tokenize", "POST /detokenize",
    ]);
    expect(trickRoutes("m", "1.2.3.4:5").map((r) => r.label)).toContain("POST /rerank [Host: 1.2.3.4:5/health?]");
  });

  it("classifies statuses: 2xx open, 401/403/404 closed, anything else unexpected", () => {
    expect([200, 204, 401, 403, 404, 400, 405, 307, 500, undefined].map(classifyUnauthenticated)).toEqual(
      ["open", "open", "closed", "closed", "closed", "unexpected", "unexpected", "unexpected", "unexpected", "unexpected"]);
  });

  it("passes a guarded deployment (404 counts as closed; public routes exempt)", () => {
    const v = judgeAuthMatrix(matrix((p, c) => (PUBLIC.has(p) || c === "right" ? 200 : p === "/classify" ? 404 : 401)));
    expect(v).toMatchObject({ ok: true, open: [], unexpected: [], keyRejected: [], routesChecked: 17, requests: 51 });
  });

  it("names every open route of stock vLLM, and the hint names hardened=false", () => {
    const v = judgeAuthMatrix(matrix((p, c) => (c !== "right" && STOCK_GUARDED.some((g) => p.startsWith(g)) ? 401 : 200)));
    expect(v.ok).toBe(false);
    expect(v.open).toEqual(["GET /load", "GET /metrics", "POST /rerank", "POST /score", "POST /invocations", "POST /pooling", "POST /classify", "POST /tokenize", "POST /detokenize"]);
    const reason = failureReason([{ name: "auth", ok: false, problems: v.problems }], false);
    expect(reason).toBe(`readiness failed: routes open without a key: ${v.open.join(", ")} — ${openRoutesHint(false)}`);
    expect(reason).toContain("hardened=false");
  });

  it("an open route counts when only the WRONG key gets through", () => {
    const v = judgeAuthMatrix(matrix((p, c) => (PUBLIC.has(p) || c !== "none" ? 200 : 401)));
    expect(v.open).toContain("POST /rerank");
  });

  it("reports 400/500/errors without a key as unexpected, and a refused right key", () => {
    const v = judgeAuthMatrix(matrix((p, c) => {
      if (p === "/tokenize" && c === "none") return 400;
      if (p === "/pooling" && c === "wrong") return undefined;
      if (p === "/metrics" && c === "right") return 401;
      return PUBLIC.has(p) || c === "right" ? 200 : 401;
    }));
    expect(v.unexpected).toEqual(["POST /pooling (error: no response with a wrong key)", "POST /tokenize (400 with no key)"]);
    expect(v.keyRejected).toEqual(["GET /metrics (401)"]);
    expect(v.problems).toHaveLength(2);
  });

  it("tolerates open routes with PROBE_EXPECT_OPEN (all, or a list)", () => {
    const obs = matrix((p, c) => (c !== "right" && STOCK_GUARDED.some((g) => p.startsWith(g)) ? 401 : 200));
    expect(judgeAuthMatrix(obs, true)).toMatchObject({ ok: true, open: [] });
    expect(judgeAuthMatrix(obs, true).tolerated).toContain("POST /rerank");
    const some = judgeAuthMatrix(obs, ["/metrics", "GET /load"]);
    expect(some.open).not.toContain("GET /metrics");
    expect(some.open).toContain("POST /rerank");
  });

  it("reports tricks apart from real routes", () => {
    const obs: AuthObservation[] = [
      { label: "POST /rerank", path: "/rerank", credential: "none", status: 401 },
      { label: "POST /rerank/", path: "/rerank/", credential: "none", status: 307, trick: true },
      { label: "GET /v1/models [Host: localhost/v1/models?]", path: "/v1/models", credential: "none", status: 200, trick: true },
      { label: "POST //rerank", path: "//rerank", credential: "none", status: 404, trick: true },
    ];
    const v = judgeAuthMatrix(obs);
    expect(v.open).toEqual([]);
    expect(v.tricks).toEqual(["POST /rerank/ (307)", "GET /v1/models [Host: localhost/v1/models?] (200)"]);
    expect(failureReason([{ name: "auth", ok: false, problems: v.problems }], true)).toMatch(/^readiness failed: auth: path or Host tricks/);
  });
});

describe("/health wait policy", () => {
  it("ready on 200; waits on refused/5xx/404 by the poll interval, clipped to the deadline", () => {
    expect(healthAction({ status: 200 }, 5, 1000, 250)).toEqual({ kind: "ready" });
    expect(healthAction({ error: "ECONNREFUSED" }, 0, 1000, 250)).toEqual({ kind: "wait", delayMs: 250 });
    expect(healthAction({ status: 503 }, 900, 1000, 250)).toEqual({ kind: "wait", delayMs: 100 });
    expect(healthAction({ status: 404 }, 0, 1000, 250).kind).toBe("wait");
  });

  it("fails at the deadline naming the last observation; fails at once on 401/403", () => {
    expect(healthAction({ error: "ECONNREFUSED" }, 1000, 1000, 250)).toEqual({ kind: "fail", timedOut: true, reason: "/health did not answer 200 within 1 s (last: connection refused)" });
    expect(healthAction({ status: 503 }, 2000, 1500, 250)).toMatchObject({ timedOut: true, reason: expect.stringContaining("(last: HTTP 503)") });
    expect(healthAction({ status: 401 }, 0, 1000, 250)).toMatchObject({ kind: "fail", timedOut: false, reason: expect.stringMatching(/must answer without a key/) });
    expect(describeHealth({ error: "UND_ERR_HEADERS_TIMEOUT" })).toBe("UND_ERR_HEADERS_TIMEOUT");
  });
});

describe("probe env and output", () => {
  const base = { RERANKER_ENDPOINT: "http://1.2.3.4:40123/", RERANKER_API_KEY: "k" };
  it("defaults, and the endpoint is reduced to the server root", () => {
    expect(parseProbeEnv(base).config).toEqual({
      endpoint: "http://1.2.3.4:40123", apiKey: "k", model: "BAAI/bge-reranker-base", deadlineMs: 900_000, pollMs: 250,
      requestTimeoutMs: 30_000, expectOpen: false, hardened: undefined,
    });
    const c = parseProbeEnv({ ...base, PROBE_EXPECT_OPEN: "POST /rerank, /metrics", PROBE_HARDENED: "false", PROBE_DEADLINE_SECONDS: "1.5" }).config!;
    expect(c.expectOpen).toEqual(["POST /rerank", "/metrics"]);
    expect(c.hardened).toBe(false);
    expect(c.deadlineMs).toBe(1500);
    expect(parseProbeEnv({ ...base, PROBE_EXPECT_OPEN: "0" }).config!.expectOpen).toBe(false);
    expect(parseProbeEnv({ ...base, PROBE_EXPECT_OPEN: "true" }).config!.expectOpen).toBe(true);
  });

  it("names every bad variable", () => {
    expect(parseProbeEnv({}).error).toBe("RERANKER_ENDPOINT is not set (e.g. http://1.2.3.4:40123); RERANKER_API_KEY is not set");
    expect(parseProbeEnv({ ...base, RERANKER_ENDPOINT: "1.2.3.4:80" }).error).toMatch(/RERANKER_ENDPOINT "1.2.3.4:80" is not an http/);
    expect(parseProbeEnv({ ...base, RERANKER_ENDPOINT: "http://undefined:undefined" }).error).toMatch(/not an http/);
    expect(parseProbeEnv({ ...base, PROBE_POLL_MS: "-1" }).error).toBe('PROBE_POLL_MS must be a positive number (got "-1")');
  });

  it("scrubs secrets, URL-encoded too", () => {
    expect(scrubSecrets("a KEY b KEY", ["KEY"])).toBe("a *** b ***");
    expect(scrubSecrets("q=a%2Fb", ["a/b"])).toBe("q=***");
    expect(scrubSecrets("text", [""])).toBe("text");
  });

  it("reason first, then details; snippets are one bounded line", () => {
    const steps = [{ name: "rerank", ok: false, problems: ["p1", "p2"] }, { name: "score", ok: true, problems: [] }];
    expect(failureReason(steps, undefined)).toBe("readiness failed: rerank: p1");
    expect(failureDetails(steps)).toEqual(["  rerank: p1", "  rerank: p2"]);
    expect(failureReason([{ name: "x", ok: true, problems: [] }], true)).toBeUndefined();
    expect(snippet("a\n  b", 10)).toBe("a b");
    expect(snippet("x".repeat(20), 5)).toBe("xxxxx…");
  });
});
