// Pure helpers of the load test: synthetic workloads, latency percentiles, the report.
import { rng } from "../../emulator/tail.ts";

/** Nearest-rank percentile of sorted-or-not samples (ms). */
export function percentile(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

const WORDS = "deep learning neural network model data training vector search query document relevance ranking retrieval language text token embedding layer weight gradient inference server latency".split(" ");

/** Deterministic pseudo-random generator (mulberry32) so runs are comparable; the emulator's market uses the same. */
export { rng };

export interface Workload {
  query: string;
  documents: string[];
}

export function makeWorkloads(count: number, docsPerRequest: number, wordsPerDoc: number, seed = 42): Workload[] {
  const r = rng(seed);
  const phrase = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ");
  return Array.from({ length: count }, () => ({ query: phrase(6), documents: Array.from({ length: docsPerRequest }, () => phrase(wordsPerDoc)) }));
}

export interface Sample {
  ms: number;
  status: number; // 0 = network error
  pairs: number;
}

export interface LoadReport {
  requests: number;
  ok: number;
  errorsByStatus: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
  pairsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

export function summarize(samples: Sample[], seconds: number): LoadReport {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const errorsByStatus: Record<string, number> = {};
  for (const s of samples) if (!(s.status >= 200 && s.status < 300)) errorsByStatus[s.status === 0 ? "network" : String(s.status)] = (errorsByStatus[s.status === 0 ? "network" : String(s.status)] ?? 0) + 1;
  const lat = ok.map((s) => s.ms);
  return {
    requests: samples.length,
    ok: ok.length,
    errorsByStatus,
    seconds,
    requestsPerSecond: samples.length / seconds,
    pairsPerSecond: ok.reduce((n, s) => n + s.pairs, 0) / seconds,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
  };
}

export function formatReport(r: LoadReport, label = "rerank"): string {
  const errs = Object.entries(r.errorsByStatus).map(([k, v]) => `${k}×${v}`).join(" ") || "none";
  return `${label}: ${r.requests} requests in ${r.seconds.toFixed(2)} s · ${r.requestsPerSecond.toFixed(1)} req/s · ${r.pairsPerSecond.toFixed(0)} pairs/s · p50 ${r.p50.toFixed(1)} ms · p95 ${r.p95.toFixed(1)} ms · p99 ${r.p99.toFixed(1)} ms · errors: ${errs}`;
}

export function progressBar(done: number, total: number, width = 30): string {
  const f = total ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${done}/${total} ${(f * 100).toFixed(0)}%`;
}
