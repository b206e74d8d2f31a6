// A market with a tail: per-host boot times derived from the offer's advertised inet_down /
// disk_bw with random variation, and a seeded share of hosts that stall in `loading`, go `running` but
// never serve, or are 5–10× slower than they advertise. Seeded: one seed, one market, one set of fates.
// The numbers and where they come from: emulator/README.md "Market model with a tail".
import type { Offer } from "../components/vast/api/types.ts";

export interface TailModel {
  seed: number;
  /** Real time × this: 1 = real seconds; 1/200 runs a 3-minute pull in 0.9 s. */
  timeScale: number;
  /** Compressed image size pulled on `loading` (vllm/vllm-openai: "many GB"; 10 GB working figure). */
  imageGb: number;
  /** Weights downloaded after `running`, before /health answers (bge-reranker-base ≈ 1.1 GB). */
  modelGb: number;
  /** Shares of hosts (0..1, summing to ≤ 1) that stall in `loading`, never serve, or are slow. */
  stallLoading: number;
  neverServe: number;
  slow: number;
  /** A slow host runs this many times slower than advertised (uniform in the range). */
  slowFactor: [number, number];
  /** Log-normal σ of the honest hosts' variation around their advertised speed. */
  jitter: number;
}

export const DEFAULT_TAIL: TailModel = {
  seed: 1, timeScale: 1, imageGb: 10, modelGb: 1.1, stallLoading: 0.08, neverServe: 0.06, slow: 0.12, slowFactor: [5, 10], jitter: 0.25,
};

export type FateKind = "ok" | "stall_loading" | "never_serve" | "slow";
export interface HostFate { kind: FateKind; factor: number }

export interface BootPlan {
  fate: HostFate;
  /** Phase durations, already × timeScale. */
  createdMs: number;
  loadingMs: number;
  modelLoadMs: number;
  /** The weights' download, the first part of modelLoadMs (the engine start is the rest). */
  modelDownloadMs: number;
}

/** Container create overhead and vLLM engine start (real seconds), besides the transfers. */
const CREATE_S = 15;
const ENGINE_S = 25;

function hash(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h ^= x >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A host's fate is a property of the machine: renting it again in the same run meets the same host. */
export function hostFate(m: TailModel, machineId: number): HostFate {
  const r = rng(hash(m.seed, machineId, 1));
  const u = r();
  if (u < m.stallLoading) return { kind: "stall_loading", factor: 1 };
  if (u < m.stallLoading + m.neverServe) return { kind: "never_serve", factor: 1 };
  if (u < m.stallLoading + m.neverServe + m.slow) return { kind: "slow", factor: m.slowFactor[0] + r() * (m.slowFactor[1] - m.slowFactor[0]) };
  return { kind: "ok", factor: 1 };
}

/** Phase times of one rent (`nth` distinguishes rents of the same machine). */
export function bootPlan(m: TailModel, offer: Pick<Offer, "machine_id" | "inet_down"> & { disk_bw?: number }, nth: number): BootPlan {
  const fate = hostFate(m, offer.machine_id);
  const r = rng(hash(m.seed, offer.machine_id, 2, nth));
  const var_ = () => Math.exp(m.jitter * normal(r));
  const netMBps = Math.max(1, offer.inet_down || 500) / 8;
  const disk = Math.max(1, offer.disk_bw || 1500);
  const pullS = ((m.imageGb * 1000) / netMBps) * var_() * fate.factor + (m.imageGb * 1000) / disk;
  const downloadS = ((m.modelGb * 1000) / netMBps) * var_() * fate.factor;
  const loadS = downloadS + ENGINE_S * var_();
  const ms = (sec: number) => Math.round(sec * 1000 * m.timeScale);
  return { fate, createdMs: ms(CREATE_S * var_()), loadingMs: ms(pullS), modelLoadMs: ms(loadS), modelDownloadMs: ms(downloadS) };
}

export function checkTail(v: unknown): TailModel {
  const t = { ...DEFAULT_TAIL, ...(v as Partial<TailModel>) };
  for (const k of ["seed", "timeScale", "imageGb", "modelGb", "stallLoading", "neverServe", "slow", "jitter"] as const) {
    if (typeof t[k] !== "number" || !Number.isFinite(t[k]) || t[k] < 0) throw new Error(`tail ${k} must be a number >= 0`);
  }
  if (t.stallLoading + t.neverServe + t.slow > 1) throw new Error("tail shares (stallLoading + neverServe + slow) must sum to <= 1");
  if (!Array.isArray(t.slowFactor) || t.slowFactor.length !== 2 || !(t.slowFactor[0] >= 1) || !(t.slowFactor[1] >= t.slowFactor[0])) {
    throw new Error("tail slowFactor must be [lo, hi] with 1 <= lo <= hi");
  }
  return t;
}

/**
 * A seeded market of `n` single-GPU offers on `n` machines: inet_down log-uniform 100–2000 Mb/s,
 * disk_bw 300–4000 MB/s, reliability2 0.90–0.999, price loosely tied to GPU class, not to network
 * speed (as on Vast: a cheap offer is not a fast-pulling one).
 */
export function tailedMarket(base: Offer, seed: number, n = 40): Offer[] {
  const r = rng(hash(seed, 77));
  const gpus: Array<[string, number, number]> = [["RTX 3090", 24576, 0.18], ["RTX 4090", 24576, 0.32], ["RTX A5000", 24576, 0.22], ["RTX 4080", 16376, 0.2]];
  return Array.from({ length: n }, (_, i) => {
    const [gpu_name, gpu_ram, price] = gpus[Math.floor(r() * gpus.length)];
    const dph = Math.round(price * (0.7 + r() * 0.8) * 1000) / 1000;
    return {
      ...base, id: 50_000 + i, ask_contract_id: 50_000 + i, machine_id: 5_000 + i, host_id: 6_000 + i, gpu_name, gpu_ram, num_gpus: 1,
      dph_base: dph, dph_total: dph, min_bid: dph / 2, inet_down: Math.round(100 * 20 ** r()), disk_bw: Math.round(300 + r() * 3700),
      reliability: Math.round((0.9 + r() * 0.099) * 1000) / 1000, reliability2: Math.round((0.9 + r() * 0.099) * 1000) / 1000,
      verified: true, verification: "verified", rentable: true, rented: false, external: false, static_ip: true, direct_port_count: 10,
      cuda_max_good: 12.9, disk_space: 200, compute_cap: 860,
    } as Offer;
  });
}
