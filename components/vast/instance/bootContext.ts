// What one boot carries through its steps (boot.ts: pick → rent → wait → judge → keep or discard),
// and the small helpers every step shares.
import type { Instance, Offer } from "../api/types.ts";
import type * as vast from "../api/client.ts";
import type { VastInstanceInputs } from "./instanceLogic.ts";
import type { BootTuning, StallPolicy } from "./stallVerdict.ts";
import type { Workload } from "./bootExpectation.ts";
import type { LostContender } from "./race.ts";

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
  /** "stall" (default): also give up on an attempt whose logs and status stop moving (stallVerdict.ts). "flat": bootTimeoutSeconds only. */
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
 * Multiplies the boot's judgement windows (quiet limits, log-read intervals, the unclear-rent
 * lookup, the offline confirmation): the benchmark's time scale, else the test-only
 * VAST_TEST_WAIT_SCALE (loopback API URLs only, credentials.ts), else 1.
 */
export function waitScale(ctx: Pick<BootContext, "timeScale" | "opts">): number {
  return ctx.timeScale ?? ctx.opts.waitScale ?? 1;
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Resolves after `ms`, or at once when `signal` aborts (a lane that lost the race stops waiting). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
