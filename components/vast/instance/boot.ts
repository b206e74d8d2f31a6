// The VastInstance provider's boot, as one pipeline per attempt:
//   pick (offerPool.ts) → rent (+ the lookup after an unclear answer, adopt.ts) → wait (watchBoot.ts)
//   → judge (price cap, replica machine, race) → keep or discard (destroyed and confirmed gone).
// Before the first pick: an instance left by an interrupted run (or the one being resumed) is
// adopted and waited for like a rent. Lanes run attempts until one is kept; with
// vast-reranker:race 2 two lanes run at once and race.ts coordinates them. Never leaves an
// untracked paid instance: what cannot be confirmed destroyed throws a TrackedInstanceError.
import type { Instance, Offer } from "../api/types.ts";
import * as vast from "../api/client.ts";
import { buildOfferQuery } from "../offers/offerQuery.ts";
import { describeOffer, expectedTimeMs, rankAfterFailure, rankOffers } from "../offers/offerRanking.ts";
import { createRequest, rentRefusal } from "./instanceLogic.ts";
import { DEFAULT_TUNING } from "./stallVerdict.ts";
import { OfferPool, type Pick } from "./offerPool.ts";
import { Race, runRace } from "./race.ts";
import { adopt, findUnclearRent } from "./adopt.ts";
import { waitForBoot, type WaitOutcome } from "./watchBoot.ts";
import { TrackedInstanceError } from "./bootErrors.ts";
import { secs, sleep, type BootContext, type BootResult } from "./bootContext.ts";

export { TrackedInstanceError } from "./bootErrors.ts";
export type { BootContext, BootResult } from "./bootContext.ts";
export { checksHealth, httpHealth, STATUS_POLL_CAP_MS, STATUS_POLL_FIRST_MS } from "./watchBoot.ts";

/** One boot: its context, the shared offers, the race over its lanes, why attempts failed. */
interface Boot {
  ctx: BootContext;
  pool: OfferPool;
  race: Race;
  reasons: string[];
}

/** Destroys a failed instance and confirms it is gone; if that cannot be confirmed, state must keep it. */
async function discard(ctx: BootContext, id: number, why: string): Promise<void> {
  ctx.log(`destroying instance ${id}: ${why}`);
  try {
    await vast.destroyAndConfirm(ctx.opts, id);
  } catch (e) {
    throw new TrackedInstanceError(`instance ${id} failed (${why}) and its destroy could not be confirmed: ${(e as Error).message}`, id);
  }
}

function priceTooHigh(ctx: BootContext, inst: Instance): string | undefined {
  const cap = ctx.inputs.selection.maxPricePerHour;
  return cap !== undefined && inst.dph_total > cap * 1.0001 ? `live price $${inst.dph_total.toFixed(3)}/h is above maxPricePerHour $${cap}/h` : undefined;
}

/** Whether offers are re-ranked for speed once an attempt failed (only the default "balanced" order gives way). */
const reranks = (ctx: BootContext) => ({ ...DEFAULT_TUNING, ...ctx.tuning }).rerankAfterFailure && (ctx.inputs.selection.rankBy ?? "balanced") === "balanced";

export async function bootInstance(ctx: BootContext): Promise<BootResult> {
  const excluded: number[] = [];
  const reasons: string[] = [];
  const existingId = ctx.resumeId ?? (await adopt(ctx, (id, why) => discard(ctx, id, why)))?.id;
  if (existingId !== undefined) {
    const outcome = await waitForBoot(ctx, existingId, { prefix: "[resume]" });
    const bad = outcome.ok ? priceTooHigh(ctx, outcome.instance) : undefined;
    if (outcome.ok && !bad) return { instance: outcome.instance, offerId: 0 };
    await discard(ctx, existingId, outcome.ok ? `[resume] ${bad}` : outcome.reason);
    const machine = outcome.ok ? outcome.instance.machine_id : outcome.machineId;
    if (machine !== undefined) excluded.push(machine);
    if (!outcome.ok) reasons.push(`instance ${existingId}: ${outcome.reason}`);
    // An update cannot change the resource's id, so a resumed instance that failed is not replaced here.
    if (ctx.resumeId !== undefined) {
      throw new Error(`instance ${existingId} did not become ready (${reasons.join("; ") || "price above cap"}) and was destroyed: run \`pulumi up --refresh\` to drop it from state and rent a new one`);
    }
  }
  const lanes = Math.max(1, Math.min(ctx.inputs.race ?? 1, ctx.inputs.maxAttempts));
  // Two lanes rent together: let the client space rents by Vast's per-key threshold (4.5 s), as for
  // replicas. The benchmark runs faster than real time and spaces them itself (Race.rentDelayMs).
  const run = lanes > 1 && ctx.timeScale === undefined ? { ...ctx, opts: { ...ctx.opts, paceReplicas: true } } : ctx;
  const boot: Boot = { ctx: run, pool: offerPool(run, excluded), race: new Race(lanes, run.timeScale ?? 1), reasons };
  if (lanes > 1) run.log(`racing ${lanes} offers on distinct machines (vast-reranker:race ${lanes}): the first verified instance is kept, the others destroyed`);
  const { winner, errors } = await runRace(boot.race, (lane) => runLane(boot, lane), (id, why) => discard(run, id, why), run.label);
  if (winner) {
    if (lanes === 1) return winner;
    const lost = boot.race.lost.map((l) => `instance ${l.id} (${secs(l.seconds * 1000)}, $${l.usd.toFixed(4)})`).join(", ") || "none";
    run.log(`race: kept instance ${winner.instance.id}; destroyed and confirmed gone: ${lost}; race cost $${boot.race.lostCostUsd.toFixed(4)}`);
    return { ...winner, race: { lost: boot.race.lost, lostCostUsd: boot.race.lostCostUsd } };
  }
  if (errors.length) throw errors[0];
  const sel = run.inputs.selection;
  const why = reasons.length ? reasons.join("; ") : `no offer matched the selection: ${boot.pool.searched}; loosen vast-reranker:filter, gpuRamGb, maxPricePerHour, minReliability or minCudaVersion (the image needs cuda_max_good >= ${sel.minCudaVersion ?? "its CUDA build"})`;
  throw new Error(`no Vast instance became ready (${why}); every instance rented on the way was destroyed`);
}

/** The offers every lane picks from: searched (and placed away from replicas' machines), re-ranked for speed once late. */
function offerPool(ctx: BootContext, excluded: number[]): OfferPool {
  const sel = ctx.inputs.selection;
  const rerank = reranks(ctx);
  const place = async (ranked: Offer[]) => (ctx.placeOffers ? ctx.placeOffers(ranked) : ranked);
  return new OfferPool({
    maxAttempts: ctx.inputs.maxAttempts, excluded, log: ctx.log,
    search: async (excl, late) => {
      const offers = await vast.searchOffers(ctx.opts, buildOfferQuery(sel, excl));
      const ranked = rankOffers(offers, sel, excl);
      return { total: offers.length, ranked: await place(late && rerank ? rankAfterFailure(ranked, sel) : ranked) };
    },
    rerank: rerank ? (left) => place(rankAfterFailure(left, sel)) : undefined,
  });
}

/** One lane: attempts until one is kept (or this lane's contender lost the race), or offers run out. */
async function runLane(boot: Boot, lane: number): Promise<void> {
  for (let pick: Pick | undefined; !boot.race.over && (pick = await boot.pool.next()); ) {
    if (await attempt(boot, lane, pick)) return;
  }
}

/** One attempt, the boot's pipeline. True: the lane is done (kept, or lost the race and discarded). */
async function attempt(boot: Boot, lane: number, pick: Pick): Promise<boolean> {
  const { ctx, pool, race } = boot;
  const { offer } = pick;
  const prefix = `${race.tag(lane)}[attempt ${pick.attempt}/${ctx.inputs.maxAttempts}]`;
  // rent
  await sleep(race.rentDelayMs(vast.RENT_FLOOR_MS), race.signal);
  if (race.over) return (pool.giveBack(pick), true);
  const id = await rent(boot, pick, prefix);
  if (id === undefined) return false;
  // wait
  const outcome = await waitForBoot(ctx, id, { prefix, fresh: true, host: offer, signal: race.signal });
  // judge
  const bad = outcome.ok ? await judge(ctx, outcome.instance, id) : undefined;
  // keep or discard
  if (outcome.ok && !bad && race.claim(outcome.instance, offer.id)) return (race.lanes > 1 && ctx.log(`${prefix} instance ${id} verified first: keeping it`), true);
  if (bad && outcome.ok) {
    boot.reasons.push(`offer ${offer.id}: ${bad}`);
    await discard(ctx, id, `${prefix} ${bad}`);
    return (pool.failed(outcome.instance.machine_id, offer.machine_id), false);
  }
  if (outcome.ok || outcome.aborted) return discardContender(boot, id, offer, prefix, outcome);
  boot.reasons.push(`offer ${offer.id} (machine ${offer.machine_id}): ${outcome.reason}`);
  await discard(ctx, id, outcome.reason);
  pool.failed(outcome.machineId ?? offer.machine_id, offer.machine_id);
  return false;
}

/** Rents the pick's offer: the new instance's id, or undefined (offer taken, refused: the lane goes on). */
async function rent(boot: Boot, pick: Pick, prefix: string): Promise<number | undefined> {
  const { ctx, pool, race } = boot;
  const { offer } = pick;
  ctx.log(`${prefix} renting ${describeOffer(offer)} (expected to serve in ~${Math.round(expectedTimeMs(offer) / 1000)} s${pool.late && reranks(ctx) ? ", fastest left" : ""})`);
  let rented: vast.RentOutcome;
  try {
    rented = await vast.rentOffer(ctx.opts, offer.id, createRequest(ctx.inputs, offer, ctx.label));
  } catch (e) {
    // The rent may or may not have happened: look for our label (minus the other lanes' contenders), for a while, rather than renting again.
    ctx.log(`${prefix} rent answer unclear (${(e as Error).message}); checking for an instance labelled ${ctx.label}`);
    const found = await findUnclearRent(ctx, (id, why) => discard(ctx, id, why), () => race.ids(), prefix, race.signal);
    if (!found) return (boot.reasons.push(`offer ${offer.id}: ${(e as Error).message}`), pool.release(offer.machine_id), undefined);
    rented = { kind: "rented", instanceId: found.id };
  }
  if (rented.kind === "offer_gone") return (ctx.log(`${prefix} offer ${offer.id} was taken: trying the next one`), pool.gone(pick), undefined);
  if (rented.kind === "refused") throw new Error(rentRefusal(offer.id, rented.message));
  if (rented.kind === "refused_with_contract") {
    await discard(ctx, rented.instanceId, rented.message);
    return (boot.reasons.push(`offer ${offer.id}: ${rented.message}`), pool.failed(offer.machine_id), undefined);
  }
  race.entered(rented.instanceId, Number(offer.dph_total));
  ctx.log(`${prefix} rented instance ${rented.instanceId} (label ${ctx.label}); waiting for it to run`);
  ctx.onRented?.(rented.instanceId);
  return rented.instanceId;
}

/** Why a serving instance is not kept (a replica's machine taken, the live price above the cap), or undefined. */
async function judge(ctx: BootContext, inst: Instance, id: number): Promise<string | undefined> {
  const conflict = await ctx.machineConflict?.(inst).catch((e: Error) => {
    throw new TrackedInstanceError(`could not check instance ${id}'s machine against the other replicas: ${e.message}`, id);
  });
  return conflict ?? priceTooHigh(ctx, inst);
}

/** Another lane's instance was verified first (or a lane must stay tracked): this contender goes. */
async function discardContender(boot: Boot, id: number, offer: Offer, prefix: string, outcome: WaitOutcome): Promise<true> {
  const { ctx, pool, race } = boot;
  await discard(ctx, id, `${prefix} ${race.stopReason} (this one ${outcome.ok ? "was verified later" : "was still booting"})`);
  pool.release(offer.machine_id);
  if (race.winner) {
    const l = race.loser(id);
    ctx.log(`${prefix} race cost: instance ${id} ran ${secs(l.seconds * 1000)} at $${Number(offer.dph_total).toFixed(3)}/h until confirmed gone, ≤ $${l.usd.toFixed(4)}`);
  }
  return true;
}
