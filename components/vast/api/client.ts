// Minimal Vast.ai REST client (undici), used by the providers (in Pulumi's dynamic-provider host),
// the reaper and tests. No secret lives here: the key is an argument.
import type {
  CreateInstanceRequest,
  CreateInstanceResponse,
  Instance,
  InstanceListResponse,
  Offer,
  OfferQuery,
  ShowInstanceResponse,
  VastErrorBody,
} from "./types.ts";

export interface VastClientOptions {
  apiUrl: string;
  apiKey: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts for idempotent calls (429, 5xx and network errors are retried). */
  maxAttempts?: number;
  /** First backoff delay; doubled each retry with jitter, capped at 30 s. */
  backoffMs?: number;
  /** Minimum interval between two GET /instances/{id} (default INSTANCE_POLL_FLOOR_MS). Tests only: see credentials.ts. */
  pollFloorMs?: number;
  /** Cap of the boot status-poll back-off (default STATUS_POLL_CAP_MS in instance/boot.ts). Tests only. */
  pollCapMs?: number;
  /**
   * Replicas: an identical offer search within this many ms of the previous one (same key, URL and
   * query) shares its answer instead of calling again. Replicas booting together in one provider
   * process would otherwise search at once, and Vast allows ~10 searches a minute per key (429).
   */
  shareSearchMs?: number;
  /**
   * Replicas: space this process's rents (PUT /asks/{id}) and instance lists (GET /v1/instances) by
   * Vast's per-key thresholds (4.5 s, 1 s) instead of colliding and backing off on 429s.
   */
  paceReplicas?: boolean;
}

/** Vast's per-key minimum intervals of the routes replicas call together (docs/vast-api.md §6). */
export const RENT_FLOOR_MS = 4_600;
export const LIST_FLOOR_MS = 1_100;
const nextSlotAt = new Map<string, number>();

async function pace(opts: VastClientOptions, route: string, floorMs: number): Promise<void> {
  if (!opts.paceReplicas) return;
  const key = `${opts.apiUrl}\n${opts.apiKey}\n${route}`;
  const now = Date.now();
  const at = Math.max(now, nextSlotAt.get(key) ?? 0);
  nextSlotAt.set(key, at + floorMs);
  if (at > now) await sleep(at - now);
}

/**
 * The floor for GET /api/v0/instances/{id}/: Vast's documented minimum interval for that route is 2 s
 * per caller (docs/vast-api.md §6) and a faster call is answered 429 and wasted. The 100 ms margin
 * absorbs timers that fire a few ms early and network jitter (at exactly 2 s, 1 poll in 10 was
 * throttled in the benchmark). Every reader of that route waits for it: boot status polls, destroy
 * confirmations, refresh reads (docs/benchmarks.md).
 */
export const INSTANCE_POLL_FLOOR_MS = 2_100;

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

interface RawResponse {
  status: number;
  body: unknown;
  text: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** undici, loaded on the first request: check and diff never need it (it takes ≈ 0.1 s to load). */
function loadUndici(): typeof import("undici") {
  return process.getBuiltinModule("node:module").createRequire(import.meta.url)("undici") as typeof import("undici");
}

function redact(text: string, secret: string): string {
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

async function send(
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

function errorFrom(opts: VastClientOptions, what: string, res: RawResponse): VastApiError {
  const b = (res.body ?? {}) as VastErrorBody;
  const detail = b.msg ?? b.detail ?? b.message ?? (res.text.slice(0, 300) || "(empty body)");
  const ambiguous = res.status >= 500;
  return new VastApiError(redact(`${what}: HTTP ${res.status} ${b.error ?? ""} ${detail}`.replace(/\s+/g, " ").trim(), opts.apiKey), res.status, b.error, ambiguous);
}

/** Idempotent call: retried on 429, 5xx and network errors with exponential backoff. */
async function idempotent(opts: VastClientOptions, what: string, method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<RawResponse> {
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

function successOrThrow(opts: VastClientOptions, what: string, res: RawResponse): void {
  const b = res.body as { success?: boolean } | undefined;
  if (res.status >= 300 || b?.success === false) throw errorFrom(opts, what, res);
}

const sharedSearches = new Map<string, { at: number; result: Promise<Offer[]> }>();

export async function searchOffers(opts: VastClientOptions, query: OfferQuery): Promise<Offer[]> {
  if (!opts.shareSearchMs) return searchOnce(opts, query);
  const key = `${opts.apiUrl}\n${opts.apiKey}\n${JSON.stringify(query)}`;
  const hit = sharedSearches.get(key);
  if (hit && Date.now() - hit.at < opts.shareSearchMs) return (await hit.result).map((o) => ({ ...o }));
  const result = searchOnce(opts, query);
  sharedSearches.set(key, { at: Date.now(), result });
  result.catch(() => sharedSearches.delete(key));
  return (await result).map((o) => ({ ...o }));
}

async function searchOnce(opts: VastClientOptions, query: OfferQuery): Promise<Offer[]> {
  const res = await idempotent(opts, "search offers", "POST", "api/v0/bundles/", query);
  successOrThrow(opts, "search offers", res);
  const offers = (res.body as { offers?: Offer[] } | undefined)?.offers;
  if (!Array.isArray(offers)) throw new VastApiError(`search offers: unexpected answer ${res.text.slice(0, 200)}`, res.status, undefined, false);
  return offers;
}

export type RentOutcome =
  | { kind: "rented"; instanceId: number }
  | { kind: "offer_gone"; message: string }
  /** The server refused the rent but still created a contract (e.g. a low bid): destroy it. */
  | { kind: "refused_with_contract"; instanceId: number; message: string }
  | { kind: "refused"; message: string; status: number };

/**
 * Rents one offer. Never retried blindly: only a 429 (refused before any work) is repeated.
 * A 5xx or network error throws an ambiguous VastApiError; the caller must look the instance up by label.
 */
export async function rentOffer(opts: VastClientOptions, offerId: number, body: CreateInstanceRequest): Promise<RentOutcome> {
  const what = `rent offer ${offerId}`;
  for (let i = 0; ; i++) {
    let res: RawResponse;
    await pace(opts, "rent", RENT_FLOOR_MS);
    try {
      res = await send(opts, "PUT", `api/v0/asks/${offerId}/`, body);
    } catch (e) {
      throw new VastApiError(redact(`${what}: ${(e as Error).message}`, opts.apiKey), 0, "network", true);
    }
    if (res.status === 429 && i < (opts.maxAttempts ?? 6)) {
      await sleep(backoffDelay(i, opts.backoffMs ?? 500));
      continue;
    }
    const b = (res.body ?? {}) as CreateInstanceResponse;
    if (res.status < 300 && b.success !== false && typeof b.new_contract === "number") return { kind: "rented", instanceId: b.new_contract };
    if (typeof b.new_contract === "number") return { kind: "refused_with_contract", instanceId: b.new_contract, message: errorFrom(opts, what, res).message };
    const err = errorFrom(opts, what, res);
    if (res.status >= 500) throw err;
    const gone = res.status === 404 || res.status === 410 || b.error === "no_such_ask" || /no_such_ask|not available|no longer available/i.test(b.msg ?? "");
    return gone ? { kind: "offer_gone", message: err.message } : { kind: "refused", message: err.message, status: res.status };
  }
}

/** When this process may next call GET /instances/{id} per API URL and key (Vast throttles per caller and route). */
const nextShowAt = new Map<string, number>();

/** Waits until INSTANCE_POLL_FLOOR_MS has passed since this process's previous GET /instances/{id} (any id), and books the slot. */
async function showSlot(opts: VastClientOptions): Promise<void> {
  const key = `${opts.apiUrl}\n${opts.apiKey}`;
  const now = Date.now();
  const at = Math.max(now, nextShowAt.get(key) ?? 0);
  nextShowAt.set(key, at + (opts.pollFloorMs ?? INSTANCE_POLL_FLOOR_MS));
  if (at > now) await sleep(at - now);
}

/** The instance, or null once it no longer exists. Spaced by INSTANCE_POLL_FLOOR_MS from this process's previous call. */
export async function showInstance(opts: VastClientOptions, id: number): Promise<Instance | null> {
  await showSlot(opts);
  const res = await idempotent(opts, `show instance ${id}`, "GET", `api/v0/instances/${id}/`);
  if (res.status === 404) return null;
  successOrThrow(opts, `show instance ${id}`, res);
  const inst = (res.body as ShowInstanceResponse | undefined)?.instances;
  // A destroyed instance may come back as null, as {} or as a lingering "unloaded" record.
  if (!inst || typeof inst !== "object" || inst.id === undefined) return null;
  if (inst.cur_state === "unloaded" || inst.intended_status === "destroyed" || inst.actual_status === ("destroyed" as never)) return null;
  return inst;
}

/** All instances carrying exactly this label (v1 list, server-side label filter, all pages). */
export async function findInstancesByLabel(opts: VastClientOptions, label: string): Promise<Instance[]> {
  return listInstances(opts, { label: { eq: label } });
}

export async function listInstances(opts: VastClientOptions, selectFilters: Record<string, unknown> = {}): Promise<Instance[]> {
  const all: Instance[] = [];
  let token: string | null = null;
  for (let page = 0; page < 200; page++) {
    await pace(opts, "list", LIST_FLOOR_MS);
    const query: Record<string, string> = { select_filters: JSON.stringify(selectFilters), limit: "25" };
    if (token) query.after_token = token;
    const res = await idempotent(opts, "list instances", "GET", "api/v1/instances/", undefined, query);
    successOrThrow(opts, "list instances", res);
    const body = res.body as InstanceListResponse;
    all.push(...(body.instances ?? []));
    token = body.next_token;
    if (!token) break;
  }
  return all;
}

/** Destroys an instance; "already gone" counts as success. */
export async function destroyInstance(opts: VastClientOptions, id: number): Promise<void> {
  const res = await idempotent(opts, `destroy instance ${id}`, "DELETE", `api/v0/instances/${id}/`, {});
  const code = (res.body as VastErrorBody | undefined)?.error;
  if (res.status === 404 || code === "no_such_instance" || code === "not_found") return;
  successOrThrow(opts, `destroy instance ${id}`, res);
}

/**
 * Destroys and polls until the API no longer shows the instance. Throws if it cannot confirm.
 * Polls start at the route's floor (INSTANCE_POLL_FLOOR_MS, as boot polls do) and double up to 10 s.
 */
export async function destroyAndConfirm(opts: VastClientOptions, id: number, deadlineMs = 120_000): Promise<void> {
  await destroyInstance(opts, id);
  const until = Date.now() + deadlineMs;
  let wait = opts.pollFloorMs ?? INSTANCE_POLL_FLOOR_MS;
  for (;;) {
    if ((await showInstance(opts, id)) === null) return;
    if (Date.now() > until) throw new VastApiError(`instance ${id} still listed ${Math.round(deadlineMs / 1000)} s after destroy`, 0, "destroy_unconfirmed", true);
    await sleep(wait);
    wait = Math.min(wait * 2, 10_000);
  }
}

export async function setInstanceLabel(opts: VastClientOptions, id: number, label: string): Promise<void> {
  const res = await idempotent(opts, `label instance ${id}`, "PUT", `api/v0/instances/${id}/`, { label });
  successOrThrow(opts, `label instance ${id}`, res);
}
