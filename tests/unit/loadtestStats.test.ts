import { describe, expect, it } from "vitest";
import { makeWorkloads, percentile, progressBar, summarize } from "../../tools/loadtest/stats.ts";

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
