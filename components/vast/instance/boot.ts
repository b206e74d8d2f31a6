// Rent-and-wait logic of the VastInstance provider: adoption by label, failover across offers on
// one lane or, with vast-reranker:race 2, on two racing lanes (race.ts), fail-fast and stall-aware
// boot checks, and cleanup that never leaves an untracked paid instance.
import type { Instance, Offer } from "../api/types.ts";
import { buildOfferQuery } from "../offers/offerQuery.ts";
import { describeOffer, expectedTimeMs, rankAfterFailure, rankOffers } from "../offers/offerRanking.ts";
import { hostPortOf, judgeBoot, nextPollDelayMs } from "./bootVerdict.ts";
import * as vast from "../api/client.ts";
import { createRequest, rentRefusal, type VastInstanceInputs } from "./instanceLogic.ts";
import { DEFAULT_STALL_POLICY, DEFAULT_TUNING, DEFAULT_WORKLOAD, expectedBoot, judgeStall, msUntilStall, type BootTuning, type HostSpeed, type StallPolicy, type Workload } from "./stallVerdict.ts";
import { adoptionOrder, OfferPool, Race, settleLanes, sleep, TrackedInstanceError, type LostContender, type Pick } from "./race.ts";

export { TrackedInstanceError } from "./race.ts";

export interface BootContext {
  opts: vast.VastClientOptions;
  inputs: VastInstanceInputs;
  label: string;
  log: (message: string) => void;
  /** Wait for this already-rented instance instead of renting (resuming an interrupted create). */
  resumeId?: number;
  /** Replicas (placement.ts): reorders ranked offers, away from siblings' machines. */
  placeOffers?: (ranked: Offer[]) => Promise<Offer[]>;
  /** Replicas: why a running instance must yield its machine to a sibling, or undefined. */
  machineConflict?: (inst: Instance) => Promise<string | undefined>;
  /** "stall" (default): also give up early on an attempt far behind what the host's inet_down/disk_bw predict (stallVerdict.ts). "flat": bootTimeoutSeconds only. */
  failover?: "stall" | "flat";
  stallPolicy?: StallPolicy;
  workload?: Workload;
  /** When given, an attempt is ready only once this says the endpoint serves (GET /health 200). */
  health?: (inst: Instance, ip: string, port: number) => Promise<boolean>;
  /** Benchmark only: every deadline × this (the tailed market runs faster than real time). */
  timeScale?: number;
  /** Called with each rented instance id (benchmark accounting). */
  onRented?: (id: number) => void;
  /** Benchmark only: the failover knobs (production uses DEFAULT_TUNING). */
  tuning?: Partial<BootTuning>;
}

export interface BootResult {
  instance: Instance;
  offerId: number;
  /** With race 2: the contenders destroyed because another was verified first, and their cost. */
  race?: { lost: LostContender[]; lostCostUsd: number };
}

/**
 * Production status-poll schedule (benchmarked in docs/benchmarks.md). First delay: the route's floor
 * (INSTANCE_POLL_FLOOR_MS, 2.1 s: Vast throttles GET /instances/{id} under 2 s). Then ×1.5 per
 * unchanged answer, back to the floor on every status change, capped at 12 s: a 3-minute image pull
 * costs about 19 status polls (≤ 25 Vast calls per deploy). /health is asked between polls (no Vast call).
 */
export const STATUS_POLL_FIRST_MS = vast.INSTANCE_POLL_FLOOR_MS;
export const STATUS_POLL_CAP_MS = 12_000;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** GET http://ip:port/health: vLLM answers it without the API key; 200 = the endpoint serves. */
export async function httpHealth(_inst: Instance, ip: string, port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://${ip}:${port}/health`, { signal: AbortSignal.timeout(3_000) });
    await r.body?.cancel();
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * The provider checks /health itself for vLLM images (ready = serving), so a host that runs but never
 * serves is failed over like a stalled pull instead of failing the readiness probe after the deploy.
 * Other images (tests' base image) serve nothing to check: running + port mapped is ready.
 */
export function checksHealth(image: string): boolean {
  return /(^|\/)vllm[-/]|vllm-openai/i.test(image);
}

type WaitOutcome = { ok: true; instance: Instance } | { ok: false; reason: string; machineId?: number; aborted?: boolean };

/** Polls one instance until it runs, fails or times out. `fresh`: just rented, so it cannot be running yet. */
async function waitForBoot(ctx: BootContext, id: number, prefix: string, fresh = false, host?: HostSpeed, signal?: AbortSignal): Promise<WaitOutcome> {
  const started = Date.now();
  const scale = ctx.timeScale ?? 1;
  // Stall thresholds: the bench's timeScale, else the test-only VAST_STALL_TIME_SCALE (credentials.ts).
  const stallScale = ctx.timeScale ?? (ctx.opts as { stallTimeScale?: number }).stallTimeScale ?? 1;
  const stallAware = (ctx.failover ?? "stall") === "stall";
  const tuning = { ...DEFAULT_TUNING, ...ctx.tuning };
  const policy = ctx.stallPolicy ?? DEFAULT_STALL_POLICY;
  let expect = host ? expectedBoot(host, ctx.workload ?? DEFAULT_WORKLOAD) : undefined;
  let phaseSince = started;
  let statusSeen: string | null | undefined;
  let runningSince: number | null = null;
  const firstMs = ctx.opts.pollFloorMs ?? STATUS_POLL_FIRST_MS;
  // No poll right after the rent: it could only say "loading", and it would be the second call on
  // GET /instances/{id} within Vast's 2 s when a destroy (whose confirm polls) came just before.
  if (fresh) await sleep(firstMs, signal);
  const deadline = started + ctx.inputs.bootTimeoutSeconds * 1000 * scale;
  let lastPhase = "";
  let sinceChange = 0;
  let machineId: number | undefined;
  const health = ctx.health ?? (checksHealth(ctx.inputs.image) ? httpHealth : undefined);
  for (;;) {
    if (signal?.aborted) return { ok: false, aborted: true, reason: "stopped", machineId };
    let inst: Instance | null;
    try {
      inst = await vast.showInstance(ctx.opts, id);
    } catch (e) {
      throw new TrackedInstanceError(`lost contact with the Vast API while instance ${id} was booting: ${(e as Error).message}`, id);
    }
    machineId = inst?.machine_id ?? machineId;
    const now = Date.now();
    const status = inst?.actual_status ?? null;
    if (status !== statusSeen) {
      statusSeen = status;
      phaseSince = now;
      if (status === "running" && runningSince === null) runningSince = now;
    }
    expect ??= inst ? expectedBoot(inst as HostSpeed, ctx.workload ?? DEFAULT_WORKLOAD) : undefined;
    let verdict = judgeBoot(inst, ctx.inputs.containerPort, (now - started) / scale);
    const mapped = verdict.kind === "ready" ? verdict : undefined;
    const ready = (how: string): WaitOutcome => {
      ctx.log(`${prefix} instance ${id} running at ${mapped?.ip}:${mapped?.port} after ${secs((Date.now() - started) / scale)}${how}`);
      return { ok: true, instance: inst as Instance };
    };
    let healthy: boolean | null = null;
    if (mapped && health) {
      healthy = await health(inst as Instance, mapped.ip, mapped.port).catch(() => false);
      if (!healthy) verdict = { kind: "pending", phase: `running at ${mapped.ip}:${mapped.port}, waiting for /health` };
    }
    if (verdict.kind === "ready") return ready(healthy ? ", /health 200" : "");
    if (verdict.kind === "failed") return { ok: false, reason: `${verdict.reason} (after ${secs((now - started) / scale)})`, machineId };
    let untilStall = Infinity;
    if (stallAware && expect) {
      const seen = {
        status, msSinceRent: now - started, msInPhase: now - phaseSince, msSinceRunning: runningSince === null ? null : now - runningSince,
        portMapped: status === "running" && inst !== null && hostPortOf(inst, ctx.inputs.containerPort) !== undefined, healthy,
      };
      const stall = judgeStall(seen, expect, policy, stallScale);
      if (stall.kind === "stalled") return { ok: false, reason: `stalled (failing over early): ${stall.reason}`, machineId };
      if (tuning.wakeAtStallLimit) untilStall = msUntilStall(seen, expect, policy, stallScale);
    }
    const phase = `${verdict.phase}${inst?.status_msg ? ` — ${inst.status_msg.trim()}` : ""}`;
    if (phase !== lastPhase) {
      ctx.log(`${prefix} instance ${id}: ${phase} (${secs((now - started) / scale)})`);
      lastPhase = phase;
      sinceChange = 0;
    }
    if (Date.now() >= deadline) return { ok: false, reason: `not running after ${ctx.inputs.bootTimeoutSeconds} s (bootTimeoutSeconds), last status: ${phase}`, machineId };
    const until = Date.now() + Math.min(nextPollDelayMs(sinceChange++, ctx.opts.pollCapMs ?? STATUS_POLL_CAP_MS, firstMs), untilStall, Math.max(0, deadline - Date.now()));
    // Mapped but not serving yet: ask the endpoint itself (no Vast call) between status polls.
    while (mapped && health && healthy === false && !signal?.aborted && until - Date.now() > tuning.healthPollMs * scale) {
      await sleep(tuning.healthPollMs * scale, signal);
      if (!signal?.aborted && (await health(inst as Instance, mapped.ip, mapped.port).catch(() => false))) return ready(", /health 200");
    }
    await sleep(Math.max(0, until - Date.now()), signal);
  }
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

/**
 * Instances carrying our label that this boot did not rent (`known`): left by an interrupted `pulumi up`
 * (two after an interrupted race), or the result of an unclear rent. Keeps one, destroys the rest.
 */
async function adopt(ctx: BootContext, known = new Set<number>()): Promise<Instance | undefined> {
  const found = (await vast.findInstancesByLabel(ctx.opts, ctx.label)).filter((i) => i.cur_state !== "unloaded" && !known.has(i.id));
  const [keep, ...extra] = adoptionOrder(found);
  if (!keep) return undefined;
  for (const x of extra) await discard(ctx, x.id, `duplicate instance with the same label (keeping ${keep.id}: further along or newer)`);
  ctx.log(`adopting instance ${keep.id} (label ${ctx.label}, ${keep.actual_status ?? "provisioning"}) left by an interrupted run`);
  return keep;
}

export async function bootInstance(ctx: BootContext): Promise<BootResult> {
  const excluded: number[] = [];
  const reasons: string[] = [];
  const existingId = ctx.resumeId ?? (await adopt(ctx))?.id;
  if (existingId !== undefined) {
    const outcome = await waitForBoot(ctx, existingId, "[resume]");
    const tooHigh = outcome.ok ? priceTooHigh(ctx, outcome.instance) : undefined;
    if (outcome.ok && !tooHigh) return { instance: outcome.instance, offerId: 0 };
    const why = outcome.ok ? `[resume] ${tooHigh}` : outcome.reason;
    await discard(ctx, existingId, why);
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
  return runLanes(run, lanes, excluded, reasons);
}

/** Whether offers are re-ranked for speed once an attempt failed (only the default "balanced" order gives way). */
const reranks = (ctx: BootContext) => ({ ...DEFAULT_TUNING, ...ctx.tuning }).rerankAfterFailure && (ctx.inputs.selection.rankBy ?? "balanced") === "balanced";

async function runLanes(ctx: BootContext, lanes: number, excluded: number[], reasons: string[]): Promise<BootResult> {
  const sel = ctx.inputs.selection;
  const rerank = reranks(ctx);
  const place = async (ranked: Offer[]) => (ctx.placeOffers ? ctx.placeOffers(ranked) : ranked);
  const pool = new OfferPool({
    maxAttempts: ctx.inputs.maxAttempts, excluded, log: ctx.log,
    search: async (excl, late) => {
      const offers = await vast.searchOffers(ctx.opts, buildOfferQuery(sel, excl));
      const ranked = rankOffers(offers, sel, excl);
      return { total: offers.length, ranked: await place(late && rerank ? rankAfterFailure(ranked, sel) : ranked) };
    },
    rerank: rerank ? (left) => place(rankAfterFailure(left, sel)) : undefined,
  });
  const race = new Race(lanes, ctx.timeScale ?? 1);
  if (lanes > 1) ctx.log(`racing ${lanes} offers on distinct machines (vast-reranker:race ${lanes}): the first verified instance is kept, the others destroyed`);
  const results = await Promise.allSettled(Array.from({ length: lanes }, (_, i) => runLane(ctx, pool, race, i, reasons).catch((e: Error) => {
    // An instance that must stay tracked: the other lanes stop and destroy theirs (state holds one id).
    if (e instanceof TrackedInstanceError) race.stop(`instance ${e.trackedId} could not be confirmed destroyed`);
    throw e;
  })));
  const { winner, errors } = await settleLanes(race, results, (id, why) => discard(ctx, id, why), ctx.label);
  if (winner) {
    if (lanes === 1) return winner;
    const lost = race.lost.map((l) => `instance ${l.id} (${secs(l.seconds * 1000)}, $${l.usd.toFixed(4)})`).join(", ") || "none";
    ctx.log(`race: kept instance ${winner.instance.id}; destroyed and confirmed gone: ${lost}; race cost $${race.lostCostUsd.toFixed(4)}`);
    return { ...winner, race: { lost: race.lost, lostCostUsd: race.lostCostUsd } };
  }
  if (errors.length) throw errors[0];
  const why = reasons.length ? reasons.join("; ") : `no offer matched the selection: ${pool.searched}; loosen vast-reranker:filter, gpuRamGb, maxPricePerHour, minReliability or minCudaVersion (the image needs cuda_max_good >= ${sel.minCudaVersion ?? "its CUDA build"})`;
  throw new Error(`no Vast instance became ready (${why}); every instance rented on the way was destroyed`);
}

/** One lane: rent the pool's next offer, wait, fail over; ends when its instance wins or loses the race. */
async function runLane(ctx: BootContext, pool: OfferPool, race: Race, lane: number, reasons: string[]): Promise<void> {
  for (let pick: Pick | undefined; !race.over && (pick = await pool.next()); ) {
    if (await rentAndWait(ctx, pool, race, pick, race.lanes > 1 ? `[lane ${lane + 1}]` : "", reasons)) return;
  }
}

/** One attempt; true = this lane is done (won, or lost the race and destroyed its contender). */
async function rentAndWait(ctx: BootContext, pool: OfferPool, race: Race, pick: Pick, tag: string, reasons: string[]): Promise<boolean> {
  const { offer } = pick;
  const prefix = `${tag}[attempt ${pick.attempt}/${ctx.inputs.maxAttempts}]`;
  await sleep(race.rentDelayMs(vast.RENT_FLOOR_MS), race.signal);
  if (race.over) return (pool.giveBack(pick), true);
  ctx.log(`${prefix} renting ${describeOffer(offer)} (expected to serve in ~${Math.round(expectedTimeMs(offer) / 1000)} s${pool.late && reranks(ctx) ? ", fastest left" : ""})`);
  let rented: vast.RentOutcome;
  try {
    rented = await vast.rentOffer(ctx.opts, offer.id, createRequest(ctx.inputs, offer, ctx.label));
  } catch (e) {
    // The rent may or may not have happened: look for our label (minus the other lanes' contenders) rather than renting again.
    ctx.log(`${prefix} rent answer unclear (${(e as Error).message}); checking for an instance labelled ${ctx.label}`);
    const found = await adopt(ctx, race.ids());
    if (!found) return (reasons.push(`offer ${offer.id}: ${(e as Error).message}`), pool.release(offer.machine_id), false);
    rented = { kind: "rented", instanceId: found.id };
  }
  if (rented.kind === "offer_gone") return (ctx.log(`${prefix} offer ${offer.id} was taken: trying the next one`), pool.gone(pick), false);
  if (rented.kind === "refused") throw new Error(rentRefusal(offer.id, rented.message));
  if (rented.kind === "refused_with_contract") {
    await discard(ctx, rented.instanceId, rented.message);
    return (reasons.push(`offer ${offer.id}: ${rented.message}`), pool.failed(offer.machine_id), false);
  }
  const id = rented.instanceId;
  race.entered(id, Number(offer.dph_total));
  ctx.log(`${prefix} rented instance ${id} (label ${ctx.label}); waiting for it to run`);
  ctx.onRented?.(id);
  const outcome = await waitForBoot(ctx, id, prefix, true, offer, race.signal);
  if (outcome.ok) {
    const conflict = await ctx.machineConflict?.(outcome.instance).catch((e: Error) => {
      throw new TrackedInstanceError(`could not check instance ${id}'s machine against the other replicas: ${e.message}`, id);
    });
    const bad = conflict ?? priceTooHigh(ctx, outcome.instance);
    if (bad) {
      reasons.push(`offer ${offer.id}: ${bad}`);
      await discard(ctx, id, `${prefix} ${bad}`);
      return (pool.failed(outcome.instance.machine_id, offer.machine_id), false);
    }
    if (race.claim(outcome.instance, offer.id)) return (race.lanes > 1 && ctx.log(`${prefix} instance ${id} verified first: keeping it`), true);
  }
  if (outcome.ok || outcome.aborted) {
    // Another lane's instance was verified first (or a lane must be tracked): this contender goes.
    await discard(ctx, id, `${prefix} ${race.stopReason} (this one ${outcome.ok ? "was verified later" : "was still booting"})`);
    pool.release(offer.machine_id);
    if (race.winner) {
      const l = race.loser(id);
      ctx.log(`${prefix} race cost: instance ${id} ran ${secs(l.seconds * 1000)} at $${Number(offer.dph_total).toFixed(3)}/h until confirmed gone, ≤ $${l.usd.toFixed(4)}`);
    }
    return true;
  }
  reasons.push(`offer ${offer.id} (machine ${offer.machine_id}): ${outcome.reason}`);
  await discard(ctx, id, outcome.reason);
  pool.failed(outcome.machineId ?? offer.machine_id, offer.machine_id);
  return false;
}
