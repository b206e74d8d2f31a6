// Rent-and-wait loop of the VastInstance provider: adoption by label, failover across offers,
// fail-fast boot checks, and cleanup that never leaves an untracked paid instance.
import type { Instance, Offer } from "../api/types.ts";
import { buildOfferQuery } from "../offers/offerQuery.ts";
import { describeOffer, rankOffers } from "../offers/offerRanking.ts";
import { hostPortOf, judgeBoot, nextPollDelayMs } from "./bootVerdict.ts";
import * as vast from "../api/client.ts";
import { createRequest, type VastInstanceInputs } from "./instanceLogic.ts";
import { DEFAULT_STALL_POLICY, DEFAULT_WORKLOAD, expectedBoot, judgeStall, type HostSpeed, type StallPolicy, type Workload } from "./stallVerdict.ts";

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
  /**
   * "stall" (default): besides the flat bootTimeoutSeconds, give up early on an attempt that is far
   * behind what the host's inet_down/disk_bw predict (stallVerdict.ts). "flat": the deadline only.
   */
  failover?: "stall" | "flat";
  stallPolicy?: StallPolicy;
  workload?: Workload;
  /** When given, an attempt is ready only once this says the endpoint serves (GET /health 200). */
  health?: (inst: Instance, ip: string, port: number) => Promise<boolean>;
  /** Benchmark only: every deadline × this (the tailed market runs faster than real time). */
  timeScale?: number;
  /** Called with each rented instance id (benchmark accounting). */
  onRented?: (id: number) => void;
}

export interface BootResult {
  instance: Instance;
  offerId: number;
}

/** An error after which an instance may still exist and bill: Pulumi must keep tracking it. */
export class TrackedInstanceError extends Error {
  readonly trackedId: number;
  constructor(message: string, trackedId: number) {
    super(message);
    this.name = "TrackedInstanceError";
    this.trackedId = trackedId;
  }
}

/**
 * Production status-poll schedule (benchmarked in docs/benchmarks.md). First delay: the route's floor
 * (INSTANCE_POLL_FLOOR_MS, 2.1 s: Vast throttles GET /instances/{id} under 2 s). Then ×1.5 per
 * unchanged answer, back to the floor on every status change, capped at 12 s: a 3-minute image pull
 * costs about 19 status polls (≤ 25 Vast calls per deploy). Noticing `running` up to 12 s late costs
 * nothing in practice: vLLM still loads the model then, while the readiness probe polls the endpoint itself.
 */
export const STATUS_POLL_FIRST_MS = vast.INSTANCE_POLL_FLOOR_MS;
export const STATUS_POLL_CAP_MS = 12_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
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

type WaitOutcome = { ok: true; instance: Instance } | { ok: false; reason: string; machineId?: number };

/** Polls one instance until it runs, fails or times out. `fresh`: just rented, so it cannot be running yet. */
async function waitForBoot(ctx: BootContext, id: number, prefix: string, fresh = false, host?: HostSpeed): Promise<WaitOutcome> {
  const started = Date.now();
  const scale = ctx.timeScale ?? 1;
  // Stall thresholds: the bench's timeScale, else the test-only VAST_STALL_TIME_SCALE (credentials.ts).
  const stallScale = ctx.timeScale ?? (ctx.opts as { stallTimeScale?: number }).stallTimeScale ?? 1;
  const stallAware = (ctx.failover ?? "stall") === "stall";
  let expect = host ? expectedBoot(host, ctx.workload ?? DEFAULT_WORKLOAD) : undefined;
  let phaseSince = started;
  let statusSeen: string | null | undefined;
  let runningSince: number | null = null;
  const firstMs = ctx.opts.pollFloorMs ?? STATUS_POLL_FIRST_MS;
  // No poll right after the rent: it could only say "loading", and it would be the second call on
  // GET /instances/{id} within Vast's 2 s when a destroy (whose confirm polls) came just before.
  if (fresh) await sleep(firstMs);
  const deadline = started + ctx.inputs.bootTimeoutSeconds * 1000 * scale;
  let lastPhase = "";
  let sinceChange = 0;
  let machineId: number | undefined;
  for (;;) {
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
    const elapsed = secs((now - started) / scale);
    let healthy: boolean | null = null;
    const health = ctx.health ?? (checksHealth(ctx.inputs.image) ? httpHealth : undefined);
    if (verdict.kind === "ready" && health) {
      healthy = await health(inst as Instance, verdict.ip, verdict.port).catch(() => false);
      if (!healthy) verdict = { kind: "pending", phase: `running at ${verdict.ip}:${verdict.port}, waiting for /health` };
    }
    if (verdict.kind === "ready") {
      ctx.log(`${prefix} instance ${id} running at ${verdict.ip}:${verdict.port} after ${elapsed}${healthy ? ", /health 200" : ""}`);
      return { ok: true, instance: inst as Instance };
    }
    if (verdict.kind === "failed") return { ok: false, reason: `${verdict.reason} (after ${elapsed})`, machineId };
    if (stallAware && expect) {
      const stall = judgeStall({
        status, msSinceRent: now - started, msInPhase: now - phaseSince, msSinceRunning: runningSince === null ? null : now - runningSince,
        portMapped: status === "running" && inst !== null && hostPortOf(inst, ctx.inputs.containerPort) !== undefined, healthy,
      }, expect, ctx.stallPolicy ?? DEFAULT_STALL_POLICY, stallScale);
      if (stall.kind === "stalled") return { ok: false, reason: `stalled (failing over early): ${stall.reason}`, machineId };
    }
    const phase = `${verdict.phase}${inst?.status_msg ? ` — ${inst.status_msg.trim()}` : ""}`;
    if (phase !== lastPhase) {
      ctx.log(`${prefix} instance ${id}: ${phase} (${elapsed})`);
      lastPhase = phase;
      sinceChange = 0;
    }
    if (Date.now() >= deadline) return { ok: false, reason: `not running after ${ctx.inputs.bootTimeoutSeconds} s (bootTimeoutSeconds), last status: ${phase}`, machineId };
    await sleep(Math.min(nextPollDelayMs(sinceChange++, ctx.opts.pollCapMs ?? STATUS_POLL_CAP_MS, firstMs), Math.max(0, deadline - Date.now())));
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

function priceTooHigh(ctx: BootContext, inst: Instance): boolean {
  const cap = ctx.inputs.selection.maxPricePerHour;
  return cap !== undefined && inst.dph_total > cap * 1.0001;
}

async function acceptOrDiscard(ctx: BootContext, inst: Instance, excluded: number[], prefix: string): Promise<boolean> {
  if (!priceTooHigh(ctx, inst)) return true;
  await discard(ctx, inst.id, `${prefix} live price $${inst.dph_total.toFixed(3)}/h is above maxPricePerHour $${ctx.inputs.selection.maxPricePerHour}/h`);
  excluded.push(inst.machine_id);
  return false;
}

/** Instances already carrying our label: left by an interrupted `pulumi up`. Keeps one, destroys the rest. */
async function adopt(ctx: BootContext): Promise<Instance | undefined> {
  const found = (await vast.findInstancesByLabel(ctx.opts, ctx.label)).filter((i) => i.cur_state !== "unloaded");
  if (!found.length) return undefined;
  found.sort((a, b) => b.id - a.id);
  for (const extra of found.slice(1)) await discard(ctx, extra.id, "duplicate instance with the same label");
  ctx.log(`adopting instance ${found[0].id} (label ${ctx.label}) left by an interrupted run`);
  return found[0];
}

export async function bootInstance(ctx: BootContext): Promise<BootResult> {
  const excluded: number[] = [];
  const reasons: string[] = [];
  const existingId = ctx.resumeId ?? (await adopt(ctx))?.id;
  if (existingId !== undefined) {
    const outcome = await waitForBoot(ctx, existingId, "[resume]");
    if (outcome.ok && (await acceptOrDiscard(ctx, outcome.instance, excluded, "[resume]"))) return { instance: outcome.instance, offerId: 0 };
    if (!outcome.ok) {
      await discard(ctx, existingId, outcome.reason);
      if (outcome.machineId !== undefined) excluded.push(outcome.machineId);
      reasons.push(`instance ${existingId}: ${outcome.reason}`);
    }
    // An update cannot change the resource's id, so a resumed instance that failed is not replaced here.
    if (ctx.resumeId !== undefined) {
      throw new Error(`instance ${existingId} did not become ready (${reasons.join("; ") || "price above cap"}) and was destroyed: run \`pulumi up --refresh\` to drop it from state and rent a new one`);
    }
  }

  const maxAttempts = ctx.inputs.maxAttempts;
  let candidates: Offer[] = [];
  let searches = 0;
  let offersGone = 0;
  let searched = "";
  for (let attempt = 1; attempt <= maxAttempts; ) {
    if (!candidates.length) {
      if (searches >= 3) break;
      searches++;
      const offers = await vast.searchOffers(ctx.opts, buildOfferQuery(ctx.inputs.selection, excluded));
      candidates = rankOffers(offers, ctx.inputs.selection, excluded);
      if (ctx.placeOffers) candidates = await ctx.placeOffers(candidates);
      searched = `the last search returned ${offers.length} offers, ${candidates.length} acceptable`;
      ctx.log(`search ${searches}: ${offers.length} offers, ${candidates.length} acceptable`);
      if (!candidates.length) break;
    }
    const offer = candidates.shift() as Offer;
    if (excluded.includes(offer.machine_id)) continue;
    const prefix = `[attempt ${attempt}/${maxAttempts}]`;
    ctx.log(`${prefix} renting ${describeOffer(offer)}`);
    let rented: vast.RentOutcome;
    try {
      rented = await vast.rentOffer(ctx.opts, offer.id, createRequest(ctx.inputs, offer, ctx.label));
    } catch (e) {
      // The rent may or may not have happened: look for our label rather than renting again.
      ctx.log(`${prefix} rent answer unclear (${(e as Error).message}); checking for an instance labelled ${ctx.label}`);
      const found = await adopt(ctx);
      if (!found) {
        reasons.push(`offer ${offer.id}: ${(e as Error).message}`);
        attempt++;
        continue;
      }
      rented = { kind: "rented", instanceId: found.id };
    }
    if (rented.kind === "offer_gone") {
      ctx.log(`${prefix} offer ${offer.id} was taken: trying the next one`);
      if (++offersGone > 3 * maxAttempts) break;
      continue;
    }
    if (rented.kind === "refused") throw new Error(`Vast refused to rent offer ${offer.id}: ${rented.message}`);
    attempt++;
    if (rented.kind === "refused_with_contract") {
      await discard(ctx, rented.instanceId, rented.message);
      reasons.push(`offer ${offer.id}: ${rented.message}`);
      continue;
    }
    const id = rented.instanceId;
    ctx.log(`${prefix} rented instance ${id} (label ${ctx.label}); waiting for it to run`);
    ctx.onRented?.(id);
    const outcome = await waitForBoot(ctx, id, prefix, true, offer);
    if (outcome.ok) {
      const conflict = await ctx.machineConflict?.(outcome.instance);
      if (conflict) {
        reasons.push(`offer ${offer.id}: ${conflict}`);
        await discard(ctx, id, conflict);
        excluded.push(outcome.instance.machine_id);
        continue;
      }
      if (await acceptOrDiscard(ctx, outcome.instance, excluded, prefix)) return { instance: outcome.instance, offerId: offer.id };
      reasons.push(`offer ${offer.id}: price above cap`);
      continue;
    }
    reasons.push(`offer ${offer.id} (machine ${offer.machine_id}): ${outcome.reason}`);
    await discard(ctx, id, outcome.reason);
    excluded.push(outcome.machineId ?? offer.machine_id);
  }
  const why = reasons.length
    ? reasons.join("; ")
    : `no offer matched the selection: ${searched}; loosen vast-reranker:filter, gpuRamGb, maxPricePerHour, minReliability or minCudaVersion (the image needs cuda_max_good >= ${ctx.inputs.selection.minCudaVersion ?? "its CUDA build"})`;
  throw new Error(`no Vast instance became ready (${why}); every instance rented on the way was destroyed`);
}
