// An instance's logs through Vast's request_logs, shaped as Vast's own SDK sends it (vastai 1.9.1,
// vastai/api/instances.py `logs`): PUT /api/v0/instances/request_logs/{id}/ with
// {"tail": "<n>"} (+ "daemon_logs": "true" for the host agent's log) answers {"result_url": …};
// GET of that URL (S3 on real Vast: no key is sent there) answers 403 until the upload lands, so it
// is retried (the SDK: 30 × 0.3 s). A log is progress information only: every failure is "no log
// this time" (null), never an error of the boot.
import { redact, send, sleep, type VastClientOptions } from "./http.ts";

export type LogKind = "daemon" | "container";

/** The lines asked for: the vastai CLI's default, enough for every layer line of a large image. */
const LOG_TAIL = "1000";
/** Between GETs of a result URL that is not there yet, and how long to keep trying (the SDK's 0.3 s, ~9 s). */
const RESULT_RETRY_MS = 300;
const RESULT_WAIT_MS = 9_000;

/** The request body for one log (one builder, shared by every caller). */
export function logsRequestBody(kind: LogKind, tail = LOG_TAIL): Record<string, string> {
  return kind === "daemon" ? { tail, daemon_logs: "true" } : { tail };
}

function loadUndici(): typeof import("undici") {
  return process.getBuiltinModule("node:module").createRequire(import.meta.url)("undici") as typeof import("undici");
}

/** GET of a result URL without credentials: the text, "wait" (403/404: not uploaded yet) or null. */
async function fetchResult(url: string, timeoutMs: number): Promise<string | "wait" | null> {
  try {
    const res = await loadUndici().request(url, { method: "GET", headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const text = await res.body.text();
    if (res.statusCode === 200) return text;
    return res.statusCode === 403 || res.statusCode === 404 ? "wait" : null;
  } catch {
    return null;
  }
}

export interface LogReadOptions {
  /** Multiplies the result-URL retry delay and wait (the benchmark's faster-than-real time). */
  timeScale?: number;
  /** Stop waiting for the result URL (a boot that ended). */
  signal?: AbortSignal;
}

/**
 * The log's text, or null when Vast gave none this time (an error answer, no result_url, an upload
 * that did not land within RESULT_WAIT_MS). `onError` hears why, without the key.
 */
export async function readInstanceLog(opts: VastClientOptions, id: number, kind: LogKind, o: LogReadOptions = {}, onError?: (why: string) => void): Promise<string | null> {
  const scale = o.timeScale ?? 1;
  let url: string | undefined;
  try {
    const res = await send(opts, "PUT", `api/v0/instances/request_logs/${id}/`, logsRequestBody(kind));
    url = (res.body as { result_url?: unknown } | undefined)?.result_url as string | undefined;
    if (res.status >= 300 || typeof url !== "string" || !/^https?:\/\//.test(url)) {
      onError?.(redact(`request_logs ${kind}: HTTP ${res.status} ${res.text.slice(0, 120)}`, opts.apiKey));
      return null;
    }
  } catch (e) {
    onError?.(redact(`request_logs ${kind}: ${(e as Error).message}`, opts.apiKey));
    return null;
  }
  const until = Date.now() + RESULT_WAIT_MS * scale;
  for (;;) {
    const got = await fetchResult(url, Math.max(1_000, opts.timeoutMs ?? 10_000));
    if (got !== "wait") return got;
    if (Date.now() >= until || o.signal?.aborted) return null;
    await sleep(RESULT_RETRY_MS * scale);
  }
}
