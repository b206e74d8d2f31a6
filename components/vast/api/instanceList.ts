// Instance lists (GET /api/v1/instances/, docs/vast-api.md §4.1) and, in a process that boots
// replicas, one shared list per API URL and key that serves that key's lists and status reads.
//
// Why share: Vast allows one v1 list per second and one GET /instances/{id} per 2 s per key (§6).
// Replicas booting in one provider process otherwise take turns on the per-id route (N booting
// instances: each read every 2.1·N s) and their placement lists collide on the list threshold
// (429, retried with back-off, which delayed the first rent by seconds). A request made while a
// list call waits for its slot takes that call's answer, so N replicas' reads cost one call a second.
import type { Instance, InstanceListResponse } from "./types.ts";
import { idempotent, sleep, successOrThrow, type VastClientOptions } from "./http.ts";

/** Vast's v1 list threshold (1 s per key) plus the 100 ms margin INSTANCE_POLL_FLOOR_MS also has. */
export const LIST_FLOOR_MS = 1_100;
/** The order Vast's SDK asks for (its default; the server adds `id` last anyway). */
const LIST_ORDER = JSON.stringify([{ col: "id", dir: "asc" }]);
/** Vast's largest page (a bigger `limit` is cut to it). */
const LIST_PAGE = 25;

/** Every page of one filtered list, `beforePage` awaited before each page. */
export async function pagedList(opts: VastClientOptions, selectFilters: Record<string, unknown>, beforePage?: () => Promise<void>): Promise<Instance[]> {
  const all: Instance[] = [];
  let token: string | null = null;
  for (let page = 0; page < 200; page++) {
    await beforePage?.();
    // The keys and order of Vast's SDK (show_instances): order_by id ascending, as it always sends.
    const query: Record<string, string> = { select_filters: JSON.stringify(selectFilters), order_by: LIST_ORDER, limit: String(LIST_PAGE) };
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

/** One key's shared list state in this process. */
export interface SharedList {
  /** When this key's next list page may go: every list page of the key books it. */
  nextAt: number;
  /** Bumped when this process starts or finishes a rent, destroy or relabel with this key. */
  epoch: number;
  /** The booked call that a request made now joins (it has not started yet). */
  pending?: { startsAt: number; result: Promise<Instance[]> };
  /** The call that started last: unfiltered reads may share it for LIST_FLOOR_MS (sharedList). */
  last?: { startedAt: number; epoch: number; result: Promise<Instance[]> };
  /** Pages the last call took: the next one likely takes as many. */
  pages: number;
}

const shared = new Map<string, SharedList>();
const keyOf = (opts: VastClientOptions) => `${opts.apiUrl}\n${opts.apiKey}`;

/**
 * The key's shared list, or undefined when this process never booted replicas with it. The first
 * call with `paceReplicas` turns it on for the key, and from then on every list and status read of
 * the key in this process goes through it, also those of callers that do not set the option (the
 * provider's placement lists): they share Vast's per-key threshold all the same.
 */
export function sharedListFor(opts: VastClientOptions): SharedList | undefined {
  const key = keyOf(opts);
  let s = shared.get(key);
  if (!s && opts.paceReplicas) shared.set(key, (s = { nextAt: 0, epoch: 0, pages: 1 }));
  return s;
}

/** Runs a call that changes instances (rent, destroy, relabel); no list started meanwhile is shared past it. */
export async function changingInstances<T>(opts: VastClientOptions, call: () => Promise<T>): Promise<T> {
  const s = shared.get(keyOf(opts));
  if (s) s.epoch++;
  try {
    return await call();
  } finally {
    if (s) s.epoch++;
  }
}

/** Waits for this key's next list slot and books the one after it. */
async function listSlot(s: SharedList): Promise<void> {
  const now = Date.now();
  const at = Math.max(now, s.nextAt);
  s.nextAt = at + LIST_FLOOR_MS;
  if (at > now) await sleep(at - now);
}

/** A filtered list spaced like the shared calls (a filter cannot be served from the unfiltered list). */
export function pacedList(opts: VastClientOptions, s: SharedList, selectFilters: Record<string, unknown>): Promise<Instance[]> {
  return pagedList(opts, selectFilters, () => listSlot(s));
}

/** When a request made now would get its answer from a shared call (estimate, for choosing a route). */
export function sharedAnswerAt(s: SharedList): number {
  const start = s.pending?.startsAt ?? Math.max(Date.now(), s.nextAt);
  return start + (s.pages - 1) * LIST_FLOOR_MS;
}

/**
 * Every instance of the account (all pages, unfiltered) from a call that starts after this request:
 * the booked call if there is one, else a new one at the key's next slot. The answer is shared, so
 * callers must not change it. With `mayReuse` (placement and machine checks of replicas), the answer
 * of a call that started less than LIST_FLOOR_MS ago is taken when this process changed no instance
 * since it started: a new call could not start before that anyway, and the siblings those checks
 * look for are rented and destroyed by this process, whose changes void the reuse. Status reads and
 * adoption lookups never reuse: they may concern instances made elsewhere, so they wait for a call
 * that starts after they asked.
 */
export function sharedList(opts: VastClientOptions, s: SharedList, mayReuse: boolean): Promise<Instance[]> {
  const last = s.last;
  if (mayReuse && last && Date.now() - last.startedAt < LIST_FLOOR_MS && last.epoch === s.epoch) return last.result;
  if (s.pending) return s.pending.result;
  const booked: NonNullable<SharedList["pending"]> = { startsAt: Math.max(Date.now(), s.nextAt), result: Promise.resolve([]) };
  s.pending = booked;
  booked.result = (async () => {
    await listSlot(s);
    if (s.pending === booked) s.pending = undefined;
    let pages = 0;
    const call = { startedAt: Date.now(), epoch: s.epoch, result: pagedList(opts, {}, () => (pages++ ? listSlot(s) : Promise.resolve())) };
    s.last = call;
    try {
      const all = await call.result;
      s.pages = Math.max(1, pages);
      return all;
    } catch (e) {
      if (s.last === call) s.last = undefined;
      throw e;
    }
  })();
  return booked.result;
}
