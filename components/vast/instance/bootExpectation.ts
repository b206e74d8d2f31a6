// What a host's advertised speed (inet_down, disk_bw on its offer row) predicts for a boot: the image
// pull, the largest layer's download (the longest a healthy pull goes without a new daemon-log
// line), the weight download and vLLM's start. Pure; used to rank offers (offerRanking.ts) and to
// size the stall verdict's quiet limits (stallVerdict.ts).

/** What the host advertises (a Vast offer row carries these; missing ones fall back to the market's median). */
export interface HostSpeed {
  /** Mb/s (vastai CLI help: "inet_down: download bandwidth Mb/s"). */
  inet_down?: number | null;
  /** MB/s, disk write bandwidth. */
  disk_bw?: number | null;
}

/**
 * Sizes the expectation is computed from (assumptions, docs/vast-api.md "Boot progress"). imageGb: the
 * vLLM OpenAI-server images are "many GB" (reference), ~10 GB compressed is our working figure.
 * largestLayerShare: a CUDA + PyTorch image keeps torch and vLLM in one Python layer; we take it as at
 * most 60 % of the image. modelGb: bge-reranker-base's weights, ~1.1 GB.
 */
export interface Workload {
  imageGb: number;
  largestLayerShare: number;
  modelGb: number;
}

export const DEFAULT_WORKLOAD: Workload = { imageGb: 10, largestLayerShare: 0.6, modelGb: 1.1 };

/** Fallbacks when a row lacks a field: the emulator market's medians (docs/benchmarks.md). */
const FALLBACK_INET_DOWN = 500;
const FALLBACK_DISK_BW = 1500;
/**
 * Container create/start overhead before and around the pull, and vLLM's own start-up (weights into
 * memory, profiling, CUDA graph capture), ms. The real CPU build in tests/realvllm needs 30–90 s on 2
 * loaded cores; 60 s is on the safe side for a small model on a GPU.
 */
const CREATE_OVERHEAD_MS = 20_000;
export const ENGINE_START_MS = 60_000;

export interface BootExpectation {
  /** Image pull + extraction (the `loading` phase), with the create overhead. */
  pullMs: number;
  /** Download of the largest layer alone at the advertised inet_down. */
  largestLayerMs: number;
  /** From `running` to /health 200: weight download + engine start. */
  loadMs: number;
  /** Download of the weights alone. */
  modelDownloadMs: number;
}

const pos = (v: number | null | undefined, fallback: number) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fallback);

export function expectedBoot(host: HostSpeed, w: Workload = DEFAULT_WORKLOAD): BootExpectation {
  const netMBps = pos(host.inet_down, FALLBACK_INET_DOWN) / 8;
  const disk = pos(host.disk_bw, FALLBACK_DISK_BW);
  const pullS = (w.imageGb * 1000) / netMBps + (w.imageGb * 1000) / disk;
  const modelS = (w.modelGb * 1000) / netMBps;
  return {
    pullMs: Math.round(CREATE_OVERHEAD_MS + pullS * 1000),
    largestLayerMs: Math.round(((w.imageGb * w.largestLayerShare * 1000) / netMBps) * 1000),
    loadMs: Math.round(ENGINE_START_MS + modelS * 1000),
    modelDownloadMs: Math.round(modelS * 1000),
  };
}

/** Expected time from rent to a serving endpoint (used to rank offers by speed). */
export function expectedReadyMs(host: HostSpeed, w: Workload = DEFAULT_WORKLOAD): number {
  const e = expectedBoot(host, w);
  return e.pullMs + e.loadMs;
}
