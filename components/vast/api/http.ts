// The HTTP layer of the Vast client (client.ts): requests over undici, retries of idempotent calls,
// errors that never carry the key. No Vast route knowledge here.
import type { VastErrorBody } from "./types.ts";

export interface VastClientOptions {
  apiUrl: string;
  apiKey: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts for idempotent calls (429, 5xx and network errors are retried). */
  maxAttempts?: number;
  /** First backoff delay; doubled each retry with jitter, capped at 30 s. */
  backoffMs?: number;
  /** Minimum interval between two GET /instances/{id} (default INSTANCE_POLL_FLOOR_MS). Tests only (loopback): VAST_TEST_POLL_FLOOR_MS. */
  pollFloorMs?: number;
  /** Cap of the boot status-poll back-off (default STATUS_POLL_CAP_MS in instance/watchBoot.ts). Tests only: VAST_TEST_POLL_CAP_MS. */
  pollCapMs?: number;
  /** Multiplies the boot's judgement windows (stall limits, log reads, lookups). Tests only: VAST_TEST_WAIT_SCALE. */
  waitScale?: number;
  /**
   * Replicas: an identical offer search within this many ms of the previous one (same key, URL and
   * query) shares its answer instead of calling again. Replicas booting together in one provider
   * process would otherwise search at once, and Vast allows ~10 searches a minute per key (429).
   */
  shareSearchMs?: number;
  /**
   * Replicas: space this process's rents (PUT /asks/{id}) by Vast's per-key threshold (4.5 s) instead
   * of colliding and backing off on 429s, and from then on serve this key's instance lists and status
   * reads from one shared list call at a time, spaced by the list threshold (1 s; instanceList.ts).
   */
  paceReplicas?: boolean;
}

/** An HTTP answer that is not a success. `ambiguous` = the server may have acted on it. */
export class VastApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly ambiguous: boolean;
  constructor(message: string, status: number, code: string | undefined, ambiguous: boolean) {
    super(message);
    this.name = "VastApiError";
    this.status = status;
    this.code = code;
    this.ambiguous = ambiguous;
  }
}

export interface RawResponse {
  status: number;
  body: unknown;
  text: string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** undici, loaded on the first request: check and diff never need it (it takes ≈ 0.1 s to load). */
function loadUndici(): typeof import("undici") {
  return process.getBuiltinModule("node:module").createRequire(import.meta.url)("undici") as typeof import("undici");
}

let userAgent: string | undefined;

/**
 * `vast-reranker/<package.json version>`: Vast's own SDK sends `vastai-sdk/<version>`, so every caller
 * names itself; a request without one may be treated differently behind Vast's front door.
 */
function productUserAgent(): string {
  if (userAgent) return userAgent;
  let version = "unknown";
  try {
    const { readFileSync } = process.getBuiltinModule("node:fs");
    version = String((JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: unknown }).version ?? "unknown");
  } catch {
    // Keep "unknown": a missing package.json must not stop a destroy.
  }
  return (userAgent = `vast-reranker/${version}`);
}

export function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join("***") : text;
}

/** True for answers worth retrying on an idempotent call. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

export function backoffDelay(attempt: number, baseMs: number): number {
  const raw = Math.min(30_000, baseMs * 2 ** attempt);
  return Math.round(raw / 2 + Math.random() * (raw / 2));
}

export async function send(
  opts: VastClientOptions,
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string>,
): Promise<RawResponse> {
  const { request } = loadUndici();
  const url = new URL(path, opts.apiUrl.endsWith("/") ? opts.apiUrl : opts.apiUrl + "/");
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  const res = await request(url, {
    method: method as "GET",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "user-agent": productUserAgent(),
      ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: opts.timeoutMs ?? 30_000,
    bodyTimeout: opts.timeoutMs ?? 30_000,
  });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // 429 bodies are often plain text: keep `parsed` undefined and use `text`.
  }
  return { status: res.statusCode, body: parsed, text };
}

/** A rent answer carries `instance_api_key`, a credential of the instance: never in a message or log. */
function withoutInstanceKeys(text: string): string {
  return text.replace(/("instance_api_key"\s*:\s*")[^"]*(")/g, "$1***$2");
}

export function errorFrom(opts: VastClientOptions, what: string, res: RawResponse): VastApiError {
  const b = (res.body ?? {}) as VastErrorBody;
  const detail = b.msg ?? b.detail ?? b.message ?? (withoutInstanceKeys(res.text).slice(0, 300) || "(empty body)");
  const ambiguous = res.status >= 500;
  return new VastApiError(redact(`${what}: HTTP ${res.status} ${b.error ?? ""} ${detail}`.replace(/\s+/g, " ").trim(), opts.apiKey), res.status, b.error, ambiguous);
}

/** Idempotent call: retried on 429, 5xx and network errors with exponential backoff. */
export async function idempotent(opts: VastClientOptions, what: string, method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<RawResponse> {
  const attempts = opts.maxAttempts ?? 6;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(backoffDelay(i - 1, opts.backoffMs ?? 500));
    try {
      const res = await send(opts, method, path, body, query);
      if (isRetryableStatus(res.status)) {
        last = errorFrom(opts, what, res);
        continue;
      }
      return res;
    } catch (e) {
      last = e; // network error or timeout
    }
  }
  if (last instanceof VastApiError) throw last;
  throw new VastApiError(redact(`${what}: ${(last as Error)?.message ?? String(last)} (after ${attempts} attempts)`, opts.apiKey), 0, "network", true);
}

export function successOrThrow(opts: VastClientOptions, what: string, res: RawResponse): void {
  const b = res.body as { success?: boolean } | undefined;
  if (res.status >= 300 || b?.success === false) throw errorFrom(opts, what, res);
}
