// Pure judgement of boot *progress*: instead of one flat deadline, what the Vast API tells
// us about the host (inet_down, disk_bw) gives an expected image-pull and model-load time, and an
// attempt that is far behind that expectation is abandoned early. The flat bootTimeoutSeconds stays
// the outer bound. No I/O: boot.ts feeds observations in, these functions say go on or give up.

/** What the host advertises (a Vast offer row carries these; missing ones fall back to the market's median). */
export interface HostSpeed {
  /** Mb/s (vastai CLI help: "inet_down: download bandwidth Mb/s"). */
  inet_down?: number | null;
  /** MB/s, disk write bandwidth. */
  disk_bw?: number | null;
}

/**
 * Sizes the expectation is computed from. imageGb: the vLLM OpenAI-server release images are "many GB"
 * (docs/vllm-api.md reference; ~10 GB compressed is our working figure, see emulator/README.md
 * "Market model"). modelGb: bge-reranker-base's weights, ~1.1 GB (same reference).
 */
export interface Workload {
  imageGb: number;
  modelGb: number;
}

export const DEFAULT_WORKLOAD: Workload = { imageGb: 10, modelGb: 1.1 };

/** Fallbacks when a row lacks a field: the emulator market's medians (docs/benchmarks.md). */
const FALLBACK_INET_DOWN = 500;
const FALLBACK_DISK_BW = 1500;
/**
 * Container create/start overhead before and around the pull, and vLLM's own start-up (weights into
 * memory, profiling, CUDA graph capture), ms. 60 s is on the safe side for a small model on a GPU;
 * the real CPU build in tests/realvllm needs 30–90 s on 2 loaded cores (emulator/README.md), which
 * the 1.25× + 15 s limit still covers, so a slow start is not taken for a host that never serves.
 */
export const CREATE_OVERHEAD_MS = 20_000;
export const ENGINE_START_MS = 60_000;

export interface BootExpectation {
  /** Image pull + extraction (the `loading` phase). */
  pullMs: number;
  /** From `running` to /health 200: weight download + engine start. */
  loadMs: number;
}

const pos = (v: number | null | undefined, fallback: number) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fallback);

export function expectedBoot(host: HostSpeed, w: Workload = DEFAULT_WORKLOAD): BootExpectation {
  const netMBps = pos(host.inet_down, FALLBACK_INET_DOWN) / 8;
  const disk = pos(host.disk_bw, FALLBACK_DISK_BW);
  const pullS = (w.imageGb * 1000) / netMBps + (w.imageGb * 1000) / disk;
  const loadS = (w.modelGb * 1000) / netMBps;
  return { pullMs: Math.round(CREATE_OVERHEAD_MS + pullS * 1000), loadMs: Math.round(ENGINE_START_MS + loadS * 1000) };
}

/** Expected time from rent to a serving endpoint (used to rank offers by speed). */
export function expectedReadyMs(host: HostSpeed, w: Workload = DEFAULT_WORKLOAD): number {
  const e = expectedBoot(host, w);
  return e.pullMs + e.loadMs;
}

export interface StallPolicy {
  /** Give up when a phase takes more than `factor` × its expectation (plus `slackMs`). */
  factor: number;
  slackMs: number;
  /** Give up when the status has not changed for this long in a phase with no expectation (null, created). */
  noChangeMs: number;
}

/**
 * Benchmarked default (docs/benchmarks.md, "Time to a verified endpoint on a market with a tail"):
 * 1.25× the expectation plus 15 s had the lowest p95 and failed-attempt cost of the factors swept
 * (3/60 s, 2/30 s, 1.75/10 s, 1.5/20 s, 1.5/5 s, 1.25/15 s). It relies on honest hosts staying near
 * what they advertise (the emulator model: log-normal σ 0.25); the 5–10× slow hosts and stalls are far past it.
 */
export const DEFAULT_STALL_POLICY: StallPolicy = { factor: 1.25, slackMs: 15_000, noChangeMs: 180_000 };

/** Knobs of the failover around the stall verdict (boot.ts). */
export interface BootTuning {
  /** After a failed attempt, rank the offers left by expected time (offerRanking.ts rankAfterFailure; "balanced" only). */
  rerankAfterFailure: boolean;
  /**
   * Poll Vast when the stall limit is reached (msUntilStall) instead of at the next back-off step (up
   * to 12 s later). Off: the poll's lateness is part of the margin honest hosts get (benchmarked).
   */
  wakeAtStallLimit: boolean;
  /** While running with the port mapped but /health not yet 200, ask the endpoint (not Vast) this often. */
  healthPollMs: number;
}

/**
 * What the market benchmark found best (docs/benchmarks.md, "Time to a verified endpoint on a market
 * with a tail"): re-ranking after a failure and /health between polls shorten the tail and every
 * deploy; polling at the stall limit shortens the tail a little but gives up more honest hosts.
 */
export const DEFAULT_TUNING: BootTuning = { rerankAfterFailure: true, wakeAtStallLimit: false, healthPollMs: 1_000 };

export interface BootObservation {
  /** actual_status, or null before Vast reports one. */
  status: string | null;
  msSinceRent: number;
  /** Since the status last changed. */
  msInPhase: number;
  /** Since `running` was first seen (null: not yet). */
  msSinceRunning: number | null;
  /** `running` and the container port mapped. */
  portMapped: boolean;
  /** Result of the last GET /health (null: not checked). */
  healthy: boolean | null;
}

export type StallVerdict = { kind: "progressing" } | { kind: "stalled"; reason: string };

const s = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Scales every threshold by `timeScale` (1 in production; the benchmark runs the market 200× faster).
 */
export function judgeStall(o: BootObservation, exp: BootExpectation, p: StallPolicy = DEFAULT_STALL_POLICY, timeScale = 1): StallVerdict {
  const pullLimit = (exp.pullMs * p.factor + p.slackMs) * timeScale;
  const loadLimit = (exp.loadMs * p.factor + p.slackMs) * timeScale;
  const noChange = p.noChangeMs * timeScale;
  const shown = (ms: number) => s(ms / timeScale);
  if (o.status !== "running") {
    if ((o.status === null || o.status === "created") && o.msInPhase > noChange) {
      return { kind: "stalled", reason: `no progress: ${o.status ?? "provisioning"} for ${shown(o.msInPhase)} (limit ${shown(noChange)})` };
    }
    if (o.msSinceRent > pullLimit) {
      return { kind: "stalled", reason: `image pull too slow: not running ${shown(o.msSinceRent)} after the rent, expected ~${shown(exp.pullMs * timeScale)} from the host's inet_down/disk_bw (limit ${p.factor}x + ${s(p.slackMs)} = ${shown(pullLimit)})` };
    }
    return { kind: "progressing" };
  }
  const since = o.msSinceRunning ?? 0;
  if (since > loadLimit) {
    const what = !o.portMapped ? "port never mapped" : o.healthy === false ? "/health never answered 200" : null;
    if (what) return { kind: "stalled", reason: `running but not serving: ${what} ${shown(since)} after running, model load expected ~${shown(exp.loadMs * timeScale)} (limit ${shown(loadLimit)})` };
  }
  return { kind: "progressing" };
}

/**
 * Ms from this observation until judgeStall would call it stalled (Infinity: no limit applies), so
 * the status poll can wake at the limit instead of up to one back-off interval (12 s) after it.
 */
export function msUntilStall(o: BootObservation, exp: BootExpectation, p: StallPolicy = DEFAULT_STALL_POLICY, timeScale = 1): number {
  const pullLimit = (exp.pullMs * p.factor + p.slackMs) * timeScale;
  const loadLimit = (exp.loadMs * p.factor + p.slackMs) * timeScale;
  if (o.status !== "running") {
    let left = pullLimit - o.msSinceRent;
    if (o.status === null || o.status === "created") left = Math.min(left, p.noChangeMs * timeScale - o.msInPhase);
    return Math.max(0, left) + 1;
  }
  if (o.portMapped && o.healthy !== false) return Infinity;
  return Math.max(0, loadLimit - (o.msSinceRunning ?? 0)) + 1;
}
