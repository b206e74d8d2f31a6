import { describe, expect, it } from "vitest";
import { formatReport, makeWorkloads, percentile, progressBar, summarize } from "../../tools/loadtest/stats.ts";

describe("load test stats", () => {
  it("computes nearest-rank percentiles", () => {
    const s = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100 unsorted
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 95)).toBe(95);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
  it("summarizes throughput and errors by status", () => {
    const r = summarize([{ ms: 10, status: 200, pairs: 20 }, { ms: 30, status: 200, pairs: 20 }, { ms: 5, status: 401, pairs: 20 }, { ms: 1, status: 0, pairs: 20 }], 2);
    expect(r).toMatchObject({ requests: 4, ok: 2, errorsByStatus: { "401": 1, network: 1 }, requestsPerSecond: 2, pairsPerSecond: 20, p50: 10, p99: 30 });
  });
  it("breaks the run down per replica, in the order given, also one that got nothing", () => {
    const a = "http://10.0.0.1:8000";
    const b = "http://10.0.0.2:8000";
    const c = "http://10.0.0.3:8000";
    const samples = [
      { ms: 10, status: 200, pairs: 2, endpoint: b }, { ms: 20, status: 200, pairs: 2, endpoint: b }, { ms: 40, status: 200, pairs: 2, endpoint: b },
      { ms: 5, status: 200, pairs: 2, endpoint: a }, { ms: 1, status: 0, pairs: 2, endpoint: a }, { ms: 3, status: 503, pairs: 2, endpoint: a },
    ];
    const r = summarize(samples, 1, [a, b, c]);
    expect(r.replicas).toEqual([
      { endpoint: a, requests: 3, share: 0.5, ok: 1, errorsByStatus: { network: 1, "503": 1 }, p50: 5, p95: 5, p99: 5 },
      { endpoint: b, requests: 3, share: 0.5, ok: 3, errorsByStatus: {}, p50: 20, p95: 40, p99: 40 },
      { endpoint: c, requests: 0, share: 0, ok: 0, errorsByStatus: {}, p50: NaN, p95: NaN, p99: NaN },
    ]);
    const lines = formatReport(r).split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(`  replica 0 ${a}  3 requests ( 50.0 %) · p50 5.0 ms · p95 5.0 ms · p99 5.0 ms · errors: 503×1 network×1`);
    expect(lines[2]).toBe(`  replica 1 ${b}  3 requests ( 50.0 %) · p50 20.0 ms · p95 40.0 ms · p99 40.0 ms · errors: none`);
    expect(lines[3]).toBe(`  replica 2 ${c}  0 requests (  0.0 %) · p50 NaN ms · p95 NaN ms · p99 NaN ms · errors: none`);
    // One replica: the single report line of before.
    expect(formatReport(summarize(samples.slice(0, 3), 1, [b])).split("\n")).toHaveLength(1);
  });
  it("makes deterministic workloads of the requested shape", () => {
    const a = makeWorkloads(3, 5, 7);
    expect(a).toEqual(makeWorkloads(3, 5, 7));
    expect(a[0].documents).toHaveLength(5);
    expect(a[0].documents[0].split(" ")).toHaveLength(7);
    expect(makeWorkloads(3, 5, 7, 1)).not.toEqual(a);
  });
  it("draws a progress bar", () => {
    expect(progressBar(5, 10, 10)).toBe("[#####.....] 5/10 50%");
  });
});
