// Pure judgements of what the readiness probe observed. No I/O: probe.ts/run.ts do the HTTP.

/** The reference guide's example: query, its 4 documents, and which of them are relevant. */
export const GUIDE_QUERY = "What is Deep Learning?";
export const GUIDE_DOCUMENTS = [
  "Deep learning is a subset of machine learning that uses neural networks with many layers",
  "The weather is nice today",
  "Deep learning enables computers to learn from large amounts of data",
  "I like pizza",
];
/** Indices of the deep-learning documents; they must outrank the other two. */
export const GUIDE_RELEVANT = [0, 2];
/** Routes that answer without a key by design (liveness / version). */
export const PUBLIC_PATHS = ["/health", "/ping", "/version"];

export interface Check {
  ok: boolean;
  problems: string[];
}

export interface RankingCheck extends Check {
  results: number;
  topIndex?: number;
  topScore?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * A rerank response (`/v1/rerank` body, or the Cohere client's result with camelCase keys):
 * one result per document, valid distinct indices, sorted by relevance descending, and the
 * relevant documents ranked above all others.
 */
export function judgeRerank(body: unknown, docCount: number, relevant: readonly number[]): RankingCheck {
  const problems: string[] = [];
  const results = isObj(body) && Array.isArray(body.results) ? body.results : undefined;
  if (!results) return { ok: false, problems: ["response has no results array"], results: 0 };
  const rows: Array<{ index: number; score: number }> = [];
  results.forEach((r: unknown, i) => {
    const index = isObj(r) ? r.index : undefined;
    const score = isObj(r) ? (r.relevance_score ?? r.relevanceScore) : undefined;
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= docCount) problems.push(`results[${i}].index ${JSON.stringify(index)} is not a document index 0..${docCount - 1}`);
    else if (!finite(score)) problems.push(`results[${i}].relevance_score ${JSON.stringify(score)} is not a number`);
    else rows.push({ index: index as number, score });
  });
  if (results.length !== docCount) problems.push(`${results.length} results for ${docCount} documents`);
  if (new Set(rows.map((r) => r.index)).size !== rows.length) problems.push("duplicate document indices");
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].score > rows[i - 1].score) {
      problems.push(`results not sorted by relevance_score descending (results[${i}] ${rows[i].score} > results[${i - 1}] ${rows[i - 1].score})`);
      break;
    }
  }
  const top = rows[0];
  if (top && problems.length === 0) {
    const head = rows.slice(0, relevant.length).map((r) => r.index);
    if (!relevant.includes(top.index) || !head.every((i) => relevant.includes(i))) {
      problems.push(`relevant documents ${JSON.stringify(relevant)} not ranked first: order is ${JSON.stringify(rows.map((r) => r.index))}`);
    }
  }
  return { ok: problems.length === 0, problems, results: results.length, topIndex: top?.index, topScore: top?.score };
}

/** A `/v1/score` response: one score per document, in input order (data[i].index === i). */
export function judgeScore(body: unknown, docCount: number, relevant: readonly number[]): RankingCheck & { scores: number[] } {
  const problems: string[] = [];
  const data = isObj(body) && Array.isArray(body.data) ? body.data : undefined;
  if (!data) return { ok: false, problems: ["response has no data array"], results: 0, scores: [] };
  const scores: number[] = [];
  data.forEach((d: unknown, i) => {
    const raw = isObj(d) ? d.score : undefined;
    const score = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw; // Nov-2024 vLLM sent [score]
    if (isObj(d) && d.index !== undefined && d.index !== i) problems.push(`data[${i}].index is ${JSON.stringify(d.index)}: scores are not in input order`);
    if (!finite(score)) problems.push(`data[${i}].score ${JSON.stringify(raw)} is not a number`);
    else scores.push(score);
  });
  if (data.length !== docCount) problems.push(`${data.length} scores for ${docCount} documents`);
  const topIndex = scores.length ? scores.indexOf(Math.max(...scores)) : undefined;
  if (problems.length === 0 && topIndex !== undefined && !relevant.includes(topIndex)) {
    problems.push(`highest score is document ${topIndex}, not one of the relevant ${JSON.stringify(relevant)}`);
  }
  return { ok: problems.length === 0, problems, results: data.length, scores, topIndex, topScore: topIndex === undefined ? undefined : scores[topIndex] };
}

// ---------------------------------------------------------------------------------------------
// Auth matrix

export type Credential = "none" | "wrong" | "right";

export interface AuthObservation {
  /** How the route is named in messages, e.g. "POST /rerank" or "GET /v1/models [Host: x/y?]". */
  label: string;
  path: string;
  credential: Credential;
  status?: number;
  error?: string;
  /** A path/Host spelling trick of another route (reported apart from the real routes). */
  trick?: boolean;
}

export type Exposure = "open" | "closed" | "unexpected";

/** Without a valid key: 2xx = served to a stranger; 401/403 = refused; 404 = no such route. */
export function classifyUnauthenticated(status: number | undefined): Exposure {
  if (status === undefined) return "unexpected";
  if (status >= 200 && status < 300) return "open";
  if (status === 401 || status === 403 || status === 404) return "closed";
  return "unexpected"; // 400/405/422/5xx/3xx: the request got past any auth layer, or broke
}

/** PROBE_EXPECT_OPEN: true = tolerate every open route; a list = tolerate those ("POST /x" or "/x"). */
export type ExpectOpen = boolean | string[];

export interface AuthVerdict extends Check {
  open: string[];
  unexpected: string[];
  keyRejected: string[];
  /** Path/Host tricks that got past the auth layer without a valid key. */
  tricks: string[];
  tolerated: string[];
  routesChecked: number;
  requests: number;
}

function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.includes(path);
}

function tolerated(label: string, path: string, expect: ExpectOpen): boolean {
  return expect === true || (Array.isArray(expect) && (expect.includes(label) || expect.includes(path)));
}

const outcome = (o: AuthObservation) => (o.status === undefined ? `error: ${o.error ?? "no response"}` : String(o.status));

/** Judges every (route, credential) observation; public paths are exempt from the no-key rule. */
export function judgeAuthMatrix(observations: AuthObservation[], expectOpen: ExpectOpen = false): AuthVerdict {
  const labels = [...new Set(observations.map((o) => o.label))];
  const open: string[] = [];
  const unexpected: string[] = [];
  const keyRejected: string[] = [];
  const tricks: string[] = [];
  const tol: string[] = [];
  for (const label of labels) {
    const obs = observations.filter((o) => o.label === label);
    const path = obs[0].path;
    const right = obs.find((o) => o.credential === "right");
    if (right && (right.status === 401 || right.status === 403 || right.status === undefined)) keyRejected.push(`${label} (${outcome(right)})`);
    if (isPublicPath(path)) continue;
    const strangers = obs.filter((o) => o.credential !== "right");
    const classes = strangers.map((o) => classifyUnauthenticated(o.status));
    let bucket: string[] | undefined;
    let entry = label;
    const passed = strangers.filter((o) => classifyUnauthenticated(o.status) !== "closed");
    if (passed.length && obs[0].trick) {
      bucket = tricks;
      entry = `${label} (${passed.map(outcome).join(", ")})`;
    } else if (classes.includes("open")) bucket = open;
    else if (classes.includes("unexpected")) {
      bucket = unexpected;
      entry = `${label} (${passed.map((o) => `${outcome(o)} with ${o.credential === "none" ? "no" : "a wrong"} key`).join(", ")})`;
    }
    if (!bucket) continue;
    if (tolerated(label, path, expectOpen)) tol.push(label);
    else bucket.push(entry);
  }
  const problems: string[] = [];
  if (open.length) problems.push(`routes open without a key: ${open.join(", ")}`);
  if (unexpected.length) problems.push(`routes answering neither 401 nor 404 without a valid key: ${unexpected.join(", ")}`);
  if (tricks.length) problems.push(`path or Host tricks answered without a key (expected 401 or 404): ${tricks.join(", ")}`);
  if (keyRejected.length) problems.push(`routes refusing the right key: ${keyRejected.join(", ")}`);
  return { ok: problems.length === 0, problems, open, unexpected, keyRejected, tricks, tolerated: tol, routesChecked: labels.length, requests: observations.length };
}

/** The hint appended to an open-routes failure, from PROBE_HARDENED when the caller sets it. */
export function openRoutesHint(hardened: boolean | undefined): string {
  if (hardened === false) return "the deployment is unhardened (hardened=false); put an authenticating gateway in front, or deploy with hardened=true";
  if (hardened === true) return "the API-key guard is not in effect (is the --middleware missing from the launch?)";
  return "every route except /health, /ping and /version must require the key";
}

// ---------------------------------------------------------------------------------------------
// /health wait policy

export interface HealthObservation {
  status?: number;
  /** Error code or message when no HTTP answer came (ECONNREFUSED = vLLM still loading). */
  error?: string;
}

export type HealthAction = { kind: "ready" } | { kind: "wait"; delayMs: number } | { kind: "fail"; reason: string; timedOut: boolean };

export function describeHealth(o: HealthObservation): string {
  if (o.status !== undefined) return `HTTP ${o.status}`;
  if (o.error === "ECONNREFUSED") return "connection refused";
  return o.error ?? "no answer";
}

/**
 * 200 = ready. Connection refused, resets, timeouts and 5xx mean "still starting" (vLLM binds
 * its port only after the engine is built). 401/403 on /health is a misconfiguration that
 * waiting cannot fix, so it fails at once instead of burning the deadline.
 */
export function healthAction(o: HealthObservation, elapsedMs: number, deadlineMs: number, pollMs: number): HealthAction {
  if (o.status === 200) return { kind: "ready" };
  if (o.status === 401 || o.status === 403) {
    return { kind: "fail", timedOut: false, reason: `/health answered HTTP ${o.status}: it must answer without a key (another gateway or guard in front?)` };
  }
  const left = deadlineMs - elapsedMs;
  if (left <= 0) {
    return { kind: "fail", timedOut: true, reason: `/health did not answer 200 within ${Math.round(deadlineMs / 1000)} s (last: ${describeHealth(o)})` };
  }
  return { kind: "wait", delayMs: Math.max(0, Math.min(pollMs, left)) };
}
