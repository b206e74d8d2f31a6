// Probe configuration from the environment, and the text it prints. Pure functions.
import { openRoutesHint, type ExpectOpen } from "./verdicts.ts";

export interface ProbeConfig {
  /** Server root, e.g. http://1.2.3.4:40123 (no path). */
  endpoint: string;
  apiKey: string;
  model: string;
  deadlineMs: number;
  pollMs: number;
  requestTimeoutMs: number;
  expectOpen: ExpectOpen;
  /** From PROBE_HARDENED, only to word the failure message. */
  hardened?: boolean;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 3 } as const;

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, errors: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) errors.push(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return n;
}

function flag(raw: string | undefined): boolean | undefined {
  const v = raw?.trim().toLowerCase();
  if (!v) return undefined;
  if (["1", "true", "yes", "all"].includes(v)) return true;
  if (["0", "false", "no", "none"].includes(v)) return false;
  return undefined;
}

export function parseProbeEnv(env: NodeJS.ProcessEnv): { config?: ProbeConfig; error?: string } {
  const errors: string[] = [];
  let endpoint = "";
  const rawEndpoint = env.RERANKER_ENDPOINT?.trim() ?? "";
  if (!rawEndpoint) errors.push("RERANKER_ENDPOINT is not set (e.g. http://1.2.3.4:40123)");
  else {
    try {
      const u = new URL(rawEndpoint);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
      if (!u.hostname || u.hostname === "undefined" || u.hostname === "null") throw new Error("host");
      endpoint = u.origin;
    } catch {
      errors.push(`RERANKER_ENDPOINT ${JSON.stringify(rawEndpoint)} is not an http(s)://host:port URL`);
    }
  }
  const apiKey = env.RERANKER_API_KEY ?? "";
  if (!apiKey.trim()) errors.push("RERANKER_API_KEY is not set");
  const deadline = positive(env, "PROBE_DEADLINE_SECONDS", 900, errors);
  const pollMs = positive(env, "PROBE_POLL_MS", 250, errors);
  const requestTimeoutMs = positive(env, "PROBE_REQUEST_TIMEOUT_MS", 30_000, errors);
  const rawExpect = env.PROBE_EXPECT_OPEN?.trim() ?? "";
  const expectFlag = flag(rawExpect);
  const expectOpen: ExpectOpen = expectFlag ?? (rawExpect ? rawExpect.split(",").map((s) => s.trim()).filter(Boolean) : false);
  if (errors.length) return { error: errors.join("; ") };
  return {
    config: {
      endpoint, apiKey, model: env.RERANKER_MODEL?.trim() || "BAAI/bge-reranker-base",
      deadlineMs: deadline * 1000, pollMs, requestTimeoutMs, expectOpen, hardened: flag(env.PROBE_HARDENED),
    },
  };
}

/** Replaces every occurrence of each secret (and its URL-encoded form) with "***". */
export function scrubSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join("***");
  }
  return out;
}

export interface StepResult {
  name: string;
  ok: boolean;
  problems: string[];
}

/** The one-line reason printed first: open routes win (security), then the first failed step. */
export function failureReason(steps: StepResult[], hardened: boolean | undefined): string | undefined {
  const auth = steps.find((s) => s.name === "auth" && !s.ok);
  const openLine = auth?.problems.find((p) => p.startsWith("routes open without a key"));
  if (openLine) return `readiness failed: ${openLine} — ${openRoutesHint(hardened)}`;
  const first = steps.find((s) => !s.ok);
  return first ? `readiness failed: ${first.name}: ${first.problems[0] ?? "failed"}` : undefined;
}

/** Detail lines after the reason: every problem of every failed step. */
export function failureDetails(steps: StepResult[]): string[] {
  return steps.filter((s) => !s.ok).flatMap((s) => s.problems.map((p) => `  ${s.name}: ${p}`));
}

/** At most `max` characters of a response body, on one line, for error messages. */
export function snippet(body: string | undefined, max = 200): string {
  const one = (body ?? "").replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
