// Minimal Vast.ai REST client (undici), used by the providers (in Pulumi's dynamic-provider host),
// the reaper and tests. No secret lives here: the key is an argument.
import type { CreateInstanceRequest, CreateInstanceResponse, Instance, Offer, OfferQuery, ShowInstanceResponse, VastErrorBody } from "./types.ts";
import { backoffDelay, errorFrom, idempotent, redact, send, sleep, successOrThrow, VastApiError, type RawResponse, type VastClientOptions } from "./http.ts";
import { changingInstances, pacedList, pagedList, sharedAnswerAt, sharedList, sharedListFor } from "./instanceList.ts";

export { backoffDelay, isRetryableStatus, VastApiError, type VastClientOptions } from "./http.ts";
export { LIST_FLOOR_MS } from "./instanceList.ts";

/** Vast's per-key minimum interval for rents (PUT /asks/{id}: 4.5 s, docs/vast-api.md §6) plus a margin. */
export const RENT_FLOOR_MS = 4_600;
const nextRentAt = new Map<string, number>();

/** With paceReplicas: waits for this process's next rent slot for the key and books the one after it. */
async function rentSlot(opts: VastClientOptions): Promise<void> {
  if (!opts.paceReplicas) return;
  const key = `${opts.apiUrl}\n${opts.apiKey}`;
  const now = Date.now();
  const at = Math.max(now, nextRentAt.get(key) ?? 0);
  nextRentAt.set(key, at + RENT_FLOOR_MS);
  if (at > now) await sleep(at - now);
}

/**
 * The floor for GET /api/v0/instances/{id}/: Vast's documented minimum interval for that route is 2 s
 * per caller (docs/vast-api.md §6) and a faster call is answered 429 and wasted. The 100 ms margin
 * absorbs timers that fire a few ms early and network jitter. Every reader of that route waits for
 * it: boot status polls, destroy confirmations, refresh reads (docs/benchmarks.md).
 */
export const INSTANCE_POLL_FLOOR_MS = 2_100;

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
    await rentSlot(opts);
    sharedListFor(opts); // a replica's rent: this key's lists and reads are shared from now on
    try {
      res = await changingInstances(opts, () => send(opts, "PUT", `api/v0/asks/${offerId}/`, body));
    } catch (e) {
      throw new VastApiError(redact(`${what}: ${(e as Error).message}`, opts.apiKey), 0, "network", true);
    }
    if (res.status === 429 && i < (opts.maxAttempts ?? 6)) {
      await sleep(backoffDelay(i, opts.backoffMs ?? 500));
      continue;
    }
    const b = (res.body ?? {}) as CreateInstanceResponse;
    if (res.status < 300 && b.success !== false && typeof b.new_contract === "number") return { kind: "rented", instanceId: b.new_contract };
    if (typeof b.new_contract === "number") {
      // A pending interruptible bid answers exactly this (reference §3): the contract exists and bills storage.
      const why = b.msg ?? b.error ?? "an interruptible bid not accepted (yet): pending, or below the host's minimum";
      return { kind: "refused_with_contract", instanceId: b.new_contract, message: redact(`${what}: success false with contract ${b.new_contract} (${why})`, opts.apiKey) };
    }
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

/** A destroyed instance may come back as a lingering "unloaded" record: that is no instance. */
function existing(inst: Instance): Instance | null {
  if (inst.cur_state === "unloaded" || inst.intended_status === "destroyed" || inst.actual_status === ("destroyed" as never)) return null;
  return inst;
}

/**
 * The instance, or null once it no longer exists. Spaced by INSTANCE_POLL_FLOOR_MS from this process's
 * previous GET /instances/{id}. In a process that boots replicas (instanceList.ts), a read whose per-id
 * slot is further away than the next shared list call takes its row from that call instead; an id the
 * list does not show (read lag, or gone) is asked by id, so null still means what the per-id GET says.
 */
export async function showInstance(opts: VastClientOptions, id: number): Promise<Instance | null> {
  const s = sharedListFor(opts);
  if (s && Math.max(Date.now(), nextShowAt.get(`${opts.apiUrl}\n${opts.apiKey}`) ?? 0) > sharedAnswerAt(s)) {
    const row = (await sharedList(opts, s, false)).find((i) => i.id === id);
    if (row) return existing({ ...row });
  }
  await showSlot(opts);
  // owner=me as Vast's SDK sends it (show_instance): the id is looked up among this key's instances.
  const res = await idempotent(opts, `show instance ${id}`, "GET", `api/v0/instances/${id}/`, undefined, { owner: "me" });
  if (res.status === 404) return null;
  successOrThrow(opts, `show instance ${id}`, res);
  const inst = (res.body as ShowInstanceResponse | undefined)?.instances;
  // A destroyed instance may come back as null, as {} or as a lingering "unloaded" record.
  if (!inst || typeof inst !== "object" || inst.id === undefined) return null;
  return existing(inst);
}

/**
 * All instances carrying exactly this label (v1 list, server-side label filter, all pages). Where lists
 * are shared: rows of a shared call that starts after this request (adoption must see any instance
 * left with its label, whoever made it), filtered here.
 */
export async function findInstancesByLabel(opts: VastClientOptions, label: string): Promise<Instance[]> {
  const s = sharedListFor(opts);
  if (!s) return pagedList(opts, { label: { eq: label } });
  return (await sharedList(opts, s, false)).filter((i) => i.label === label).map((i) => ({ ...i }));
}

/**
 * Every instance matching the v1 list filters, all pages. Where lists are shared, an unfiltered list
 * (the replicas' placement and machine checks) may take a shared call that started up to
 * LIST_FLOOR_MS earlier (instanceList.ts, sharedList): a replica's adoption lookup and its placement
 * list then cost one call, and its first rent does not wait a list threshold for the second.
 */
export async function listInstances(opts: VastClientOptions, selectFilters: Record<string, unknown> = {}): Promise<Instance[]> {
  const s = sharedListFor(opts);
  if (!s) return pagedList(opts, selectFilters);
  if (Object.keys(selectFilters).length) return pacedList(opts, s, selectFilters);
  return (await sharedList(opts, s, true)).map((i) => ({ ...i }));
}

/** Destroys an instance; "already gone" counts as success. */
export async function destroyInstance(opts: VastClientOptions, id: number): Promise<void> {
  const res = await changingInstances(opts, () => idempotent(opts, `destroy instance ${id}`, "DELETE", `api/v0/instances/${id}/`, {}));
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
  const res = await changingInstances(opts, () => idempotent(opts, `label instance ${id}`, "PUT", `api/v0/instances/${id}/`, { label }));
  successOrThrow(opts, `label instance ${id}`, res);
}
