// Helpers of the tests on the real vLLM server (emulator --runtime vllm; they prove launch, guard, routes
// and clients there, not ranking quality: the model is tiny): a route sweep that sends raw
// request lines (no client-side path normalisation), the requests both servers are compared on, and a
// JSON shape function for that comparison.
import { expect } from "vitest";
import { request } from "node:http";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, defaultPython } from "../../emulator/runtime.ts";
import { GUIDE_DOCUMENTS, GUIDE_QUERY, PUBLIC_PATHS } from "../../components/readiness/verdicts.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { createTestProject, type TestProject } from "../helpers/engine.ts";
import { FAST_BOOT, FAST_POLLS, STACK_SOURCES, liveInstances, localStackConfig } from "../helpers/stack.ts";

export const MODEL = "BAAI/bge-reranker-base";
/**
 * Real vLLM on 2 loaded cores: model load plus torch.compile take 40–150 s; the stack gets wide
 * budgets (the boot wait covers /health, so the probe after it is quick), and REAL_BOOT_MS is their
 * sum: hooks add headroom on top, so a slow boot fails with the stack's own timeout error.
 */
const REAL_BUDGET = { bootTimeoutSeconds: 480, probeTimeoutSeconds: 180 };
export const REAL_BOOT_MS = (REAL_BUDGET.bootTimeoutSeconds + REAL_BUDGET.probeTimeoutSeconds) * 1000;

/**
 * vLLM on 2 CPU cores loads a model far slower than a GPU host the stall policy's expectations are
 * made for (components/vast/instance/stallVerdict.ts): its thresholds are stretched (test-only knob).
 */
export const REAL_VLLM_ENV = { ...FAST_POLLS, VAST_TEST_WAIT_SCALE: "10" };

/** The reranker stack, not yet deployed, against a fresh emulator whose instances run real vLLM. */
export async function realVllmStack(stackName: string, config: Record<string, string> = {}): Promise<{ emu: RunningEmulator; p: TestProject }> {
  const emu = await startEmulator({ ...FAST_BOOT, runtime: "vllm" });
  const p = await createTestProject({ sources: STACK_SOURCES, stackName, config: localStackConfig(emu, { bootTimeoutSeconds: String(REAL_BUDGET.bootTimeoutSeconds), probeTimeoutSeconds: String(REAL_BUDGET.probeTimeoutSeconds), ...config }), env: REAL_VLLM_ENV });
  return { emu, p };
}

/** `pulumi destroy`, proof that the stack's emulator has no instance left, then everything is removed. */
export async function destroyAndStop(p: TestProject | undefined, emu: RunningEmulator | undefined, others: Array<RunningEmulator | undefined> = []): Promise<void> {
  try {
    if (p) await p.stack.destroy();
    if (emu) expect(liveInstances(emu)).toHaveLength(0);
  } finally {
    p?.cleanup();
    await Promise.all([emu, ...others].map((e) => e?.stop()));
  }
}

export interface RawResponse {
  status: number;
  body: string;
}

/** One HTTP/1.1 request with the path sent exactly as given (fetch would normalise `..` and `//`). */
export function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers }, timeout: 30_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on("error", reject);
    req.end(body);
  });
}

export interface SweepHit {
  method: string;
  path: string;
  auth: "none" | "wrong";
  host?: string;
  status: number;
}

/** Every (path, method) of an OpenAPI document, with path parameters filled in. */
export function openapiRoutes(doc: { paths: Record<string, Record<string, unknown>> }): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const m of Object.keys(ops)) {
      if (["get", "post", "put", "delete", "patch"].includes(m)) out.push({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "x") });
    }
  }
  return out;
}

/** Spellings of a guarded path that a naive guard might let through. */
export function pathTricks(path: string): string[] {
  const tail = path.slice(1);
  return [
    `/${path}`, `${path}/`, `/./${tail}`, `/health/../${tail}`, `/version/..${path}`, `${path}?/health`, `${path}#/health`,
    `/${encodeURIComponent(tail[0] ?? "")}${tail.slice(1)}`.replace(/^\/(\w)/, (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`),
    path.toUpperCase(), `${path};/health`, `/ping/..${path}`,
  ];
}

/**
 * Sends every route, each of its path spellings and Host headers that bypassed key checks before
 * (CVE-2026-48746), with no key and with a wrong key; returns every answer that was not a refusal.
 */
export async function sweepOpenRoutes(base: string, routes: Array<{ method: string; path: string }>, body: string): Promise<{ sent: number; open: SweepHit[] }> {
  const open: SweepHit[] = [];
  let sent = 0;
  const probe = async (method: string, path: string, auth: "none" | "wrong", host?: string) => {
    const headers: Record<string, string> = {};
    if (auth === "wrong") headers.authorization = "Bearer wrong-key";
    if (host) headers.host = host;
    const r = await raw(base, method, path, headers, method === "GET" ? undefined : body);
    sent++;
    if (r.status !== 401) open.push({ method, path, auth, host, status: r.status });
  };
  for (const { method, path } of routes) {
    if (PUBLIC_PATHS.includes(path)) continue;
    for (const auth of ["none", "wrong"] as const) {
      await probe(method, path, auth);
      for (const trick of pathTricks(path)) await probe(method, trick, auth);
      for (const host of ["localhost", "127.0.0.1", `evil.example${path}`, "localhost:8000/health"]) await probe(method, path, auth, host);
    }
  }
  return { sent, open };
}

/** A structural fingerprint of a JSON value: keys and value types, not values. */
export function shape(v: unknown): unknown {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (typeof v === "object") return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return typeof v;
}

export interface Probe {
  name: string;
  method: string;
  path: string;
  key: "right" | "none" | "wrong";
  body?: unknown;
}

const rerank = { model: MODEL, query: GUIDE_QUERY, documents: GUIDE_DOCUMENTS };
const score = { model: MODEL, text_1: GUIDE_QUERY, text_2: GUIDE_DOCUMENTS };

/** The requests the stand-in and the real server must answer alike (status and JSON shape). */
export const PARITY_PROBES: Probe[] = [
  { name: "health", method: "GET", path: "/health", key: "none" },
  { name: "version", method: "GET", path: "/version", key: "none" },
  { name: "models", method: "GET", path: "/v1/models", key: "right" },
  { name: "models without key", method: "GET", path: "/v1/models", key: "none" },
  { name: "rerank", method: "POST", path: "/rerank", key: "right", body: rerank },
  { name: "v1 rerank", method: "POST", path: "/v1/rerank", key: "right", body: rerank },
  { name: "v2 rerank", method: "POST", path: "/v2/rerank", key: "right", body: rerank },
  { name: "v1 rerank without key", method: "POST", path: "/v1/rerank", key: "none", body: rerank },
  { name: "v1 rerank wrong key", method: "POST", path: "/v1/rerank", key: "wrong", body: rerank },
  { name: "rerank without key (stock: open)", method: "POST", path: "/rerank", key: "none", body: rerank },
  { name: "rerank top_n", method: "POST", path: "/v1/rerank", key: "right", body: { ...rerank, top_n: 2 } },
  { name: "rerank unknown model", method: "POST", path: "/v1/rerank", key: "right", body: { ...rerank, model: "nope/nope" } },
  { name: "rerank no documents field", method: "POST", path: "/v1/rerank", key: "right", body: { model: MODEL, query: "q" } },
  { name: "rerank malformed JSON", method: "POST", path: "/v1/rerank", key: "right", body: "{not json" },
  { name: "score", method: "POST", path: "/score", key: "right", body: score },
  { name: "v1 score", method: "POST", path: "/v1/score", key: "right", body: score },
  { name: "score one pair", method: "POST", path: "/v1/score", key: "right", body: { model: MODEL, text_1: "a", text_2: "b" } },
  { name: "score without key (stock: open)", method: "POST", path: "/score", key: "none", body: score },
  { name: "score missing text_2", method: "POST", path: "/v1/score", key: "right", body: { model: MODEL, text_1: "a" } },
  { name: "tokenize", method: "POST", path: "/tokenize", key: "right", body: { model: MODEL, prompt: "deep learning" } },
  { name: "classify", method: "POST", path: "/classify", key: "right", body: { model: MODEL, input: "deep learning" } },
  { name: "pooling", method: "POST", path: "/pooling", key: "right", body: { model: MODEL, input: "deep learning" } },
  { name: "invocations (rerank body)", method: "POST", path: "/invocations", key: "right", body: rerank },
  { name: "unknown route", method: "GET", path: "/no-such-route", key: "right" },
];

export interface ProbeResult {
  status: number;
  shape: unknown;
}

export async function runProbe(base: string, apiKey: string, p: Probe): Promise<ProbeResult> {
  const headers: Record<string, string> = {};
  if (p.key === "right") headers.authorization = `Bearer ${apiKey}`;
  if (p.key === "wrong") headers.authorization = "Bearer wrong-key";
  const body = p.body === undefined ? undefined : typeof p.body === "string" ? p.body : JSON.stringify(p.body);
  const r = await raw(base, p.method, p.path, headers, body);
  let json: unknown = r.body;
  try {
    json = JSON.parse(r.body);
  } catch {
    /* not JSON: compare as a string */
  }
  return { status: r.status, shape: shape(json) };
}

export interface GuideClientsReport {
  score: { status: number; ranked: Array<[string, number]> };
  cohere: { results: Array<{ index: number; relevance_score: number; text: string }> };
}

/** The guide's Python examples (requests → /score, cohere.ClientV2 → /rerank) against `base`. */
export function runGuidePythonClients(base: string, apiKey: string): GuideClientsReport {
  const out = execFileSync(defaultPython(), [join(REPO_ROOT, "tests", "realvllm", "guide_clients.py"), base], {
    env: { ...process.env, VLLM_API_KEY: apiKey },
    encoding: "utf8",
    timeout: 120_000,
  });
  return JSON.parse(out) as GuideClientsReport;
}
