// Pure judgement of boot *progress*. An attempt is abandoned as stalled only when nothing moves:
// no status change, no new status_msg and no new line in the log of its phase (the daemon log
// while the image is pulled, the container log while vLLM starts) for a quiet limit. A host
// whose pull or start-up keeps advancing is never abandoned here, however slow: the flat
// bootTimeoutSeconds is its outer bound. The quiet limits and the recorded timings behind them:
// docs/vast-api.md "Boot progress and the stall verdict". No I/O: boot.ts feeds observations in.
import { ENGINE_START_MS, type BootExpectation } from "./bootExpectation.ts";

export interface StallPolicy {
  /** A healthy host may be this many times slower than its advertised inet_down predicts and is never abandoned. */
  slowdown: number;
  /** Added to every quiet limit. */
  slackMs: number;
  /** No quiet limit is shorter: the silences no link speed explains (before the pull, container start, engine start). */
  floorMs: number;
}

/**
 * slowdown 3 (issue 19: real pulls are often slower than inet_down predicts); the floor of 3 min
 * covers the ~20 s of `actual_status` null before a pull and a container's create and start, recorded
 * at 36–73 s for whole small-image boots (reference §4); the slack 1 min absorbs poll and log-read timing.
 */
export const DEFAULT_STALL_POLICY: StallPolicy = { slowdown: 3, slackMs: 60_000, floorMs: 180_000 };

/** Knobs of the failover around the stall verdict (boot.ts). */
export interface BootTuning {
  /** After a failed attempt, rank the offers left by expected time (offerRanking.ts rankAfterFailure; "balanced" only). */
  rerankAfterFailure: boolean;
  /** While running with the port mapped but /health not yet 200, ask the endpoint (not Vast) this often. */
  healthPollMs: number;
}

/**
 * Re-ranking after a failure shortens the tail (docs/benchmarks.md, market section). /health every
 * 100 ms: the endpoint's readiness is what `pulumi up` waits for next, and a refused connection costs
 * one loopback-cheap round trip, no Vast call.
 */
export const DEFAULT_TUNING: BootTuning = { rerankAfterFailure: true, healthPollMs: 100 };

export interface BootObservation {
  /** actual_status, or null before Vast reports one. */
  status: string | null;
  /** Since the last sign of progress: a status change, a new status_msg, a new line in the daemon or container log. */
  msSinceProgress: number;
  /** This phase's log was read (daemon log in the pull, container log in the start-up): its lines count as progress. */
  logRead: boolean;
  /** `running` and the container port mapped. */
  portMapped: boolean;
  /** Result of the last GET /health (null: not checked). */
  healthy: boolean | null;
}

export type BootPhase = "pull" | "startup" | "serving";

/** pull: not running yet; startup: running, not serving yet; serving: nothing left to judge here. */
export function phaseOf(o: Pick<BootObservation, "status" | "portMapped" | "healthy">): BootPhase {
  if (o.status !== "running") return "pull";
  return o.portMapped && o.healthy !== false ? "serving" : "startup";
}

/**
 * How long the phase may go without any progress. The longest silence of a healthy pull is the
 * download of its largest layer (layer lines come when a layer starts and ends); with no readable
 * daemon log only status changes count, so the whole pull. vLLM's start-up is silent while the
 * weights download and while the engine starts. Each × slowdown + slack, at least floor.
 */
export function quietLimitMs(phase: Exclude<BootPhase, "serving">, exp: BootExpectation, logRead: boolean, p: StallPolicy = DEFAULT_STALL_POLICY): number {
  const silence = phase === "pull"
    ? (logRead ? exp.largestLayerMs : exp.pullMs)
    : (logRead ? Math.max(exp.modelDownloadMs, ENGINE_START_MS) : exp.loadMs);
  return Math.max(p.floorMs, p.slowdown * silence + p.slackMs);
}

export type StallVerdict = { kind: "progressing" } | { kind: "stalled"; reason: string };

const s = (ms: number) => `${Math.round(ms / 1000)} s`;

/** Scales every limit by `timeScale` (1 in production; the benchmark and test knob shrink it) and reports unscaled seconds. */
export function judgeStall(o: BootObservation, exp: BootExpectation, p: StallPolicy = DEFAULT_STALL_POLICY, timeScale = 1): StallVerdict {
  const phase = phaseOf(o);
  if (phase === "serving") return { kind: "progressing" };
  const limit = quietLimitMs(phase, exp, o.logRead, p) * timeScale;
  if (o.msSinceProgress <= limit) return { kind: "progressing" };
  const quiet = s(o.msSinceProgress / timeScale);
  const shown = s(limit / timeScale);
  if (phase === "pull") {
    const why = o.logRead
      ? `${p.slowdown}x the expected download of its largest layer at the host's inet_down`
      : `daemon log unreadable: ${p.slowdown}x the whole expected pull`;
    return { kind: "stalled", reason: `no progress in the image pull: no new daemon-log line and no status change for ${quiet} (limit ${shown}: ${why} + ${s(p.slackMs)}, at least ${s(p.floorMs)})` };
  }
  const what = !o.portMapped ? "port not mapped" : "/health not 200";
  return { kind: "stalled", reason: `running but not serving: ${what} and no new container-log line for ${quiet} (limit ${shown})` };
}

/** Ms from this observation until judgeStall would call it stalled, if nothing moves (Infinity: no limit applies). */
export function msUntilStall(o: BootObservation, exp: BootExpectation, p: StallPolicy = DEFAULT_STALL_POLICY, timeScale = 1): number {
  const phase = phaseOf(o);
  if (phase === "serving") return Infinity;
  return Math.max(0, quietLimitMs(phase, exp, o.logRead, p) * timeScale - o.msSinceProgress) + 1;
}
