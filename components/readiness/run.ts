// The readiness probe program (entry point: probe.ts). Waits for /health, proves rerank, score
// and the Cohere client's request work with the key, and that no route serves a stranger. Prints a
// JSON summary on stdout; on failure a one-line reason first (stderr), then details. Never the key.
// Only Node's own modules: the probe starts after the provider saw /health 200, so its start-up is
// on the path to `pulumi up` done (docs/benchmarks.md "Lag").
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import {
  GUIDE_DOCUMENTS, GUIDE_QUERY, GUIDE_RELEVANT, healthAction, judgeAuthMatrix, judgeRerank, judgeScore,
  type AuthObservation, type Credential, type HealthObservation,
} from "./verdicts.ts";
import { authRoutes, cohereRerankRoute, trickRoutes, type ProbeRoute } from "./routes.ts";
import { EXIT, failureDetails, failureReason, parseProbeEnv, scrubSecrets, snippet, type ProbeConfig, type StepResult } from "./report.ts";

interface Reply {
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

const secrets: string[] = [];
const emit = (stream: NodeJS.WriteStream, text: string) => stream.write(`${scrubSecrets(text, secrets)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (t0: number) => Math.round(performance.now() - t0);

/** One request; `path` goes out verbatim (no `..` resolution: the trick routes need it). Never throws. */
function call(agent: Agent, cfg: ProbeConfig, method: string, path: string, opts: { key?: string; body?: unknown; host?: string; timeoutMs?: number } = {}): Promise<Reply> {
  const timeout = Math.max(1, Math.ceil(opts.timeoutMs ?? cfg.requestTimeoutMs)); // timers take whole ms
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  if (opts.host !== undefined) headers.host = opts.host;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const t0 = performance.now();
  const url = new URL(cfg.endpoint);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<Reply, "ms">) => {
      if (!done) resolve({ ...r, ms: ms(t0) });
      done = true;
    };
    const fail = (e: unknown) => {
      const err = e as { code?: string; message?: string };
      finish({ error: err.code ?? String(err.message) });
    };
    const req = request({ agent, host: url.hostname, port: url.port || 80, method, path, headers, timeout, signal: AbortSignal.timeout(timeout) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => finish({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", fail); // cut off mid-body
      res.on("close", () => { if (!res.complete) fail({ code: "ECONNRESET" }); });
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "timeout" })));
    req.on("error", (e: Error & { code?: string }) => fail(e.name === "AbortError" ? { code: "timeout" } : e));
    req.end(body);
  });
}

async function waitForHealth(agent: Agent, cfg: ProbeConfig) {
  const t0 = performance.now();
  for (let polls = 1; ; polls++) {
    const left = cfg.deadlineMs - (performance.now() - t0);
    const r = await call(agent, cfg, "GET", "/health", { timeoutMs: Math.max(250, Math.min(2_000, left)) });
    const obs: HealthObservation = { status: r.status, error: r.error };
    const action = healthAction(obs, performance.now() - t0, cfg.deadlineMs, cfg.pollMs);
    if (action.kind === "ready") return { ok: true as const, readyAfterMs: ms(t0), polls, lastMs: r.ms };
    if (action.kind === "fail") return { ok: false as const, reason: action.reason, timedOut: action.timedOut, polls };
    await sleep(action.delayMs);
  }
}

function parseJson(r: Reply): unknown {
  try {
    return JSON.parse(r.body ?? "");
  } catch {
    return undefined;
  }
}

function httpProblem(what: string, r: Reply): string | undefined {
  if (r.status === 200) return undefined;
  return r.status === undefined ? `${what} failed: ${r.error}` : `${what} answered HTTP ${r.status}: ${snippet(r.body)}`;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function main(): Promise<number> {
  if (process.env.RERANKER_API_KEY) secrets.push(process.env.RERANKER_API_KEY);
  // A replica whose boot failed on every attempt (tolerated by minReadyReplicas) has no endpoint:
  // the report says so, and the deployment counts it as not ready.
  const skip = process.env.PROBE_SKIP_REASON?.trim();
  if (skip) {
    emit(process.stdout, JSON.stringify({ ok: false, skipped: true, reason: `no instance: ${skip}` }));
    return EXIT.ok;
  }
  const parsed = parseProbeEnv(process.env);
  if (!parsed.config) {
    emit(process.stderr, `readiness failed: ${parsed.error}`);
    return EXIT.usage;
  }
  const cfg = parsed.config;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const summary: Record<string, unknown> = { ok: false, endpoint: cfg.endpoint, model: cfg.model };
  const latencyMs: Record<string, number> = {};
  const steps: StepResult[] = [];
  try {
    const health = await waitForHealth(agent, cfg);
    summary.health = health.ok ? { readyAfterMs: health.readyAfterMs, polls: health.polls } : { polls: health.polls };
    if (!health.ok) {
      emit(process.stderr, `readiness failed: ${health.reason}`);
      emit(process.stdout, JSON.stringify({ ...summary, problems: [health.reason] }));
      return health.timedOut ? EXIT.timeout : EXIT.failed;
    }
    latencyMs.health = health.lastMs;
    const docs = GUIDE_DOCUMENTS;

    // The checks are independent: run them together (the auth matrix 8 requests at a time) so the
    // deploy finishes as soon as possible after /health turned 200. Results are judged in a fixed order.
    const wrongKey = randomBytes(32).toString("hex");
    const host = new URL(cfg.endpoint).host;
    const jobs: Array<{ route: ProbeRoute; credential: Credential }> = [];
    for (const route of authRoutes(cfg.model)) for (const credential of ["none", "wrong", "right"] as const) jobs.push({ route, credential });
    for (const route of trickRoutes(cfg.model, host)) jobs.push({ route, credential: "none" });
    const k0 = performance.now();
    const timed = async <T>(name: string, work: Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await work;
      } finally {
        latencyMs[name] = ms(t0);
      }
    };
    // The Cohere client joins "v2/rerank" onto its base URL, the server root (cohereBaseUrl).
    const cohere = cohereRerankRoute(cfg.model, GUIDE_QUERY, docs);
    const [rr, sr, cr, observations] = await Promise.all([
      call(agent, cfg, "POST", "/v1/rerank", { key: cfg.apiKey, body: { model: cfg.model, query: GUIDE_QUERY, documents: docs } }).then((r) => { latencyMs.rerank = r.ms; return r; }),
      call(agent, cfg, "POST", "/v1/score", { key: cfg.apiKey, body: { model: cfg.model, text_1: GUIDE_QUERY, text_2: docs } }).then((r) => { latencyMs.score = r.ms; return r; }),
      call(agent, cfg, cohere.method, cohere.path, { key: cfg.apiKey, body: cohere.body }).then((r) => { latencyMs.cohere = r.ms; return r; }),
      timed("authMatrix", mapLimit(jobs, 8, async ({ route, credential }): Promise<AuthObservation> => {
        const key = credential === "none" ? undefined : credential === "wrong" ? wrongKey : cfg.apiKey;
        const r = await call(agent, cfg, route.method, route.path, { key, body: route.body, host: route.host });
        return { label: route.label, path: route.path, credential, status: r.status, error: r.error, trick: route.trick };
      })),
    ]);
    latencyMs.checks = ms(k0);

    const rerank = httpProblem("POST /v1/rerank", rr) ?? judgeRerank(parseJson(rr), docs.length, GUIDE_RELEVANT);
    steps.push(typeof rerank === "string" ? { name: "rerank", ok: false, problems: [rerank] } : { name: "rerank", ...rerank });
    if (typeof rerank !== "string") summary.rerank = { results: rerank.results, topIndex: rerank.topIndex, topScore: rerank.topScore };

    const score = httpProblem("POST /v1/score", sr) ?? judgeScore(parseJson(sr), docs.length, GUIDE_RELEVANT);
    steps.push(typeof score === "string" ? { name: "score", ok: false, problems: [score] } : { name: "score", ...score });
    if (typeof score !== "string") summary.score = { scores: score.results, topIndex: score.topIndex };

    const coh = httpProblem("Cohere client's POST /v2/rerank", cr) ?? judgeRerank(parseJson(cr), docs.length, GUIDE_RELEVANT);
    steps.push(typeof coh === "string" ? { name: "cohere", ok: false, problems: [coh] } : { name: "cohere", ...coh });
    if (typeof coh !== "string") summary.cohere = { results: coh.results, topIndex: coh.topIndex };

    const auth = judgeAuthMatrix(observations, cfg.expectOpen);
    steps.push({ name: "auth", ok: auth.ok, problems: auth.problems });
    summary.auth = {
      routesChecked: auth.routesChecked, requests: auth.requests, open: auth.open, unexpected: auth.unexpected,
      tricks: auth.tricks, keyRejected: auth.keyRejected, toleratedOpen: auth.tolerated,
    };

    summary.latencyMs = latencyMs;
    const reason = failureReason(steps, cfg.hardened);
    summary.ok = reason === undefined;
    if (reason) {
      emit(process.stderr, reason);
      for (const line of failureDetails(steps)) emit(process.stderr, line);
      summary.problems = steps.flatMap((s) => s.problems.map((p) => `${s.name}: ${p}`));
    }
    emit(process.stdout, JSON.stringify(summary));
    return reason ? EXIT.failed : EXIT.ok;
  } finally {
    agent.destroy();
  }
}

export function runAsProgram(): void {
  main().then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      emit(process.stderr, `readiness failed: probe crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      process.exitCode = EXIT.failed;
    },
  );
}
