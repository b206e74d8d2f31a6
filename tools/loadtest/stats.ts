// Pure helpers of the load test: synthetic workloads, latency percentiles, the report.
import { rng } from "../../emulator/tail.ts";

/**
 * Target of `--compare-baseline` (the tool's time ÷ a bare undici loop's, median of interleaved rounds).
 * Above 1.1× the tool costs too much; below 0.95× it "beat" a loop that does less work, so the run
 * measured the machine's noise, not the tool: not met either (run again with more --requests).
 */
export const OVERHEAD_TARGET = { min: 0.95, max: 1.1 } as const;

/** The overhead line of --compare-baseline, with the verdict against OVERHEAD_TARGET. */
export function overheadLine(overhead: number): string {
  const { min, max } = OVERHEAD_TARGET;
  const verdict = overhead > max ? `not met: above ${max}×`
    : overhead < min ? `not met: below ${min}×, the tool beat a loop that does less: noise, run again with more --requests`
      : "met";
  return `overhead: ${overhead.toFixed(3)}× the bare loop (target ${min}× to ${max}×: ${verdict})`;
}

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
  /** The replica the request went to (base URL). */
  endpoint?: string;
}

/** One replica's part of a run. */
export interface ReplicaReport {
  endpoint: string;
  requests: number;
  /** Fraction of all requests sent to this replica. */
  share: number;
  ok: number;
  errorsByStatus: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
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
  /** Per replica, in the order given (also replicas that got no request); with one target, that one. */
  replicas: ReplicaReport[];
}

const isOk = (s: Sample) => s.status >= 200 && s.status < 300;

function errorsOf(samples: Sample[]): Record<string, number> {
  const errorsByStatus: Record<string, number> = {};
  for (const s of samples) {
    if (isOk(s)) continue;
    const k = s.status === 0 ? "network" : String(s.status);
    errorsByStatus[k] = (errorsByStatus[k] ?? 0) + 1;
  }
  return errorsByStatus;
}

/** `endpoints`: every replica driven, so one that got nothing still shows (share 0). */
export function summarize(samples: Sample[], seconds: number, endpoints: string[] = []): LoadReport {
  const ok = samples.filter(isOk);
  const errorsByStatus = errorsOf(samples);
  const lat = ok.map((s) => s.ms);
  const all = [...new Set([...endpoints, ...samples.flatMap((s) => (s.endpoint === undefined ? [] : [s.endpoint]))])];
  const replicas = all.map((endpoint): ReplicaReport => {
    const mine = samples.filter((s) => s.endpoint === endpoint);
    const mineLat = mine.filter(isOk).map((s) => s.ms);
    return {
      endpoint, requests: mine.length, share: samples.length ? mine.length / samples.length : 0, ok: mineLat.length, errorsByStatus: errorsOf(mine),
      p50: percentile(mineLat, 50), p95: percentile(mineLat, 95), p99: percentile(mineLat, 99),
    };
  });
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
    replicas,
  };
}

const errorList = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${k}×${v}`).join(" ") || "none";

/** The report line; with several replicas, one more line per replica: its share and latencies. */
export function formatReport(r: LoadReport, label = "rerank"): string {
  const line = `${label}: ${r.requests} requests in ${r.seconds.toFixed(2)} s · ${r.requestsPerSecond.toFixed(1)} req/s · ${r.pairsPerSecond.toFixed(0)} pairs/s · p50 ${r.p50.toFixed(1)} ms · p95 ${r.p95.toFixed(1)} ms · p99 ${r.p99.toFixed(1)} ms · errors: ${errorList(r.errorsByStatus)}`;
  if (r.replicas.length < 2) return line;
  const width = Math.max(...r.replicas.map((x) => x.endpoint.length));
  return [line, ...r.replicas.map((x, i) =>
    `  replica ${i} ${x.endpoint.padEnd(width)}  ${String(x.requests).padStart(String(r.requests).length)} requests (${(100 * x.share).toFixed(1).padStart(5)} %) · p50 ${x.p50.toFixed(1)} ms · p95 ${x.p95.toFixed(1)} ms · p99 ${x.p99.toFixed(1)} ms · errors: ${errorList(x.errorsByStatus)}`)].join("\n");
}

export function progressBar(done: number, total: number, width = 30): string {
  const f = total ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${done}/${total} ${(f * 100).toFixed(0)}%`;
}
