// Instances found by the boot's label that this boot did not rent: left by an interrupted `pulumi
// up` (two after an interrupted race), or rented by a rent whose answer was lost. Finding them is
// how no paid instance goes untracked; Vast's v1 list can lag a create, so after an unclear rent the
// lookup keeps looking for a while before anything is rented again.
import type { Instance } from "../api/types.ts";
import * as vast from "../api/client.ts";
import { sleep, waitScale, type BootContext } from "./bootContext.ts";

const PROGRESS: Record<string, number> = { running: 3, loading: 2, created: 1 };

/**
 * Instances found with our label, the one to keep first: the furthest along (running, loading,
 * created), then the newest. An interrupted race leaves two contenders; keeping the one nearer to
 * serving wastes the least. The others are destroyed as duplicates.
 */
export function adoptionOrder(found: Instance[]): Instance[] {
  const rank = (i: Instance) => PROGRESS[i.actual_status ?? ""] ?? 0;
  return [...found].sort((a, b) => rank(b) - rank(a) || b.id - a.id);
}

/**
 * Keeps one instance with our label that is not in `known` (this boot's own rents), destroys the
 * rest (`discard`); undefined when there is none. `why` ends the log line ("left by an interrupted run").
 */
export async function adopt(ctx: BootContext, discard: (id: number, why: string) => Promise<void>, known: Set<number> = new Set(), why = "left by an interrupted run"): Promise<Instance | undefined> {
  const found = (await vast.findInstancesByLabel(ctx.opts, ctx.label)).filter((i) => i.cur_state !== "unloaded" && !known.has(i.id));
  const [keep, ...extra] = adoptionOrder(found);
  if (!keep) return undefined;
  for (const x of extra) await discard(x.id, `duplicate instance with the same label (keeping ${keep.id}: further along or newer)`);
  ctx.log(`adopting instance ${keep.id} (label ${ctx.label}, ${keep.actual_status ?? "provisioning"}) ${why}`);
  return keep;
}

/**
 * How long the label lookup after an unclear rent (5xx or timeout) keeps looking before the next
 * rent: Vast's read path can lag a create (SkyPilot retries its read after a create; docs/vast-api.md
 * "Assumptions"). 45 s ≥ the 30 s issue 19 asks for; a rent that really failed costs that much time.
 */
export const UNCLEAR_RENT_LOOKUP_MS = 45_000;
/** Between lookups: from Vast's 1 s list threshold (with margin), doubling, at most this. */
const LOOKUP_MAX_GAP_MS = 10_000;

/**
 * After an unclear rent: the instance it may have rented, looked for by label until found or
 * UNCLEAR_RENT_LOOKUP_MS (× the wait scale) passed. `known()`: ids this boot already holds (the
 * other lanes' contenders), read at each lookup.
 */
export async function findUnclearRent(ctx: BootContext, discard: (id: number, why: string) => Promise<void>, known: () => Set<number>, prefix: string, signal?: AbortSignal): Promise<Instance | undefined> {
  const scale = waitScale(ctx);
  const until = Date.now() + UNCLEAR_RENT_LOOKUP_MS * scale;
  for (let gap = vast.LIST_FLOOR_MS, n = 1; ; gap = Math.min(gap * 2, LOOKUP_MAX_GAP_MS), n++) {
    const found = await adopt(ctx, discard, known(), "rented by the unclear answer");
    if (found) return found;
    const left = until - Date.now();
    if (left <= 0 || signal?.aborted) {
      ctx.log(`${prefix} no instance labelled ${ctx.label} after ${n} lookups over ${Math.round(UNCLEAR_RENT_LOOKUP_MS / 1000)} s: the rent did not happen`);
      return undefined;
    }
    if (n === 1) ctx.log(`${prefix} not listed yet; Vast's list can lag a create: looking again for up to ${Math.round(UNCLEAR_RENT_LOOKUP_MS / 1000)} s before renting anything else`);
    await sleep(Math.min(gap * scale, left), signal);
  }
}
