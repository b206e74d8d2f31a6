// The benchmark's arithmetic and table (tools/bench/report.ts): what docs/benchmarks.md reports
// is only as good as these medians, ratios and call counts.
import { describe, expect, it } from "vitest";
import {
  check, childCpuSeconds, formatRoutes, formatTable, lagSeconds, markdownTable, median, meets, probeChecksMs, row, subjectFirst, summarizePairs, targetText, totalCalls, vastRoutes,
} from "../../tools/bench/report.ts";
import { OVERHEAD_TARGET, overheadLine } from "../../tools/loadtest/stats.ts";

describe("bench statistics", () => {
  it("takes medians of odd and even counts, ignoring non-finite values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, NaN, 1, Infinity, 3])).toBe(3);
    expect(median([])).toBeNaN();
    expect(median([NaN])).toBeNaN();
  });

  it("reports the median of per-round ratios, not the ratio of medians", () => {
    // Round 2 was slow for both programs (a busy machine): its ratio is still sane.
    const s = summarizePairs([{ subject: 1200, baseline: 1000 }, { subject: 6000, baseline: 5000 }, { subject: 1500, baseline: 1000 }]);
    expect(s.pairs).toBe(3);
    expect(s.ratios).toEqual([1.2, 1.2, 1.5]);
    expect(s.ratio).toBe(1.2);
    expect(s.subjectMedianMs).toBe(1500);
    expect(s.baselineMedianMs).toBe(1000);
  });

  it("alternates which program goes first", () => {
    expect([0, 1, 2, 3].map(subjectFirst)).toEqual([true, false, true, false]);
  });

  it("measures lag from /health 200 to the pulumi exit, in seconds", () => {
    expect(lagSeconds({ healthyAt: 10_000, upExitedAt: 10_420 })).toBeCloseTo(0.42, 10);
    expect(lagSeconds({ healthyAt: 10_000, upExitedAt: 9_900 })).toBeCloseTo(-0.1, 10);
  });

  it("takes the probe's concurrent checks wall time, or sums the steps of an older report", () => {
    expect(probeChecksMs({ ok: true, latencyMs: { health: 900, rerank: 10, score: 8, cohere: 40, authMatrix: 120, checks: 130 } })).toBe(130);
    expect(probeChecksMs({ ok: true, latencyMs: { health: 900, rerank: 10, score: 8, cohere: 40, authMatrix: 120 } })).toBe(178);
    expect(probeChecksMs({ ok: false })).toBe(0);
  });
});

describe("Vast API call counts", () => {
  const counts = { "GET /api/v0/instances/:id": 7, "GET /_emulator/requests": 2, "PUT /api/v0/asks/:id": 1, "DELETE /api/v0/instances/:id": 1 };

  it("keeps only Vast routes, sorted, and totals them", () => {
    const v = vastRoutes(counts);
    expect(Object.keys(v)).toEqual(["DELETE /api/v0/instances/:id", "GET /api/v0/instances/:id", "PUT /api/v0/asks/:id"]);
    expect(totalCalls(v)).toBe(9);
    expect(totalCalls({})).toBe(0);
  });

  it("formats the per-route breakdown", () => {
    expect(formatRoutes({ "DELETE /api/v0/instances/:id": 1, "GET /api/v0/instances/:id": 1 })).toBe("DELETE /api/v0/instances/:id ×1, GET /api/v0/instances/:id ×1");
    expect(formatRoutes({})).toBe("none");
  });
});

describe("targets and the table", () => {
  it("checks targets in both directions and fails a missing value", () => {
    expect(check(0.5, "<=", 0.5)).toBe(true);
    expect(check(0.51, "<=", 0.5)).toBe(false);
    expect(check(3, ">=", 2)).toBe(true);
    expect(check(NaN, "<=", 1)).toBe(false);
  });

  it("builds rows with units, targets and a verdict; informational rows have none", () => {
    expect(row("lag", 0.4234, " s", 3, { cmp: "<=", limit: 0.5 })).toEqual({ metric: "lag", value: "0.423 s", target: "<= 0.5 s", pass: true, detail: undefined });
    expect(row("ratio", 1.31, "×", 2, { cmp: "<=", limit: 1.25 }, "why")).toMatchObject({ value: "1.31×", target: "<= 1.25×", pass: false, detail: "why" });
    expect(row("calls", 12, "", 0)).toMatchObject({ value: "12", target: "", pass: undefined });
    expect(row("lag", NaN, " s", 3, { cmp: "<=", limit: 0.5 })).toMatchObject({ value: "n/a", pass: false });
  });

  it("a range target fails below its lower end as well as above its upper end", () => {
    const overhead = (v: number) => row("load test overhead", v, "×", 3, OVERHEAD_TARGET);
    expect(overhead(1.004)).toMatchObject({ value: "1.004×", target: ">= 0.95× and <= 1.1×", pass: true });
    expect(overhead(0.95).pass).toBe(true);
    expect(overhead(1.1).pass).toBe(true);
    expect(overhead(0.887).pass).toBe(false);
    expect(overhead(1.18).pass).toBe(false);
    expect(overhead(NaN).pass).toBe(false);
    expect(meets(1.2, { cmp: "<=", limit: 1.25 })).toBe(true);
    expect(targetText({ cmp: "<=", limit: 1.25 }, "×")).toBe("<= 1.25×");
  });

  it("the load test's overhead line states the target and why a ratio below it is not a gain", () => {
    expect(overheadLine(1.005)).toBe("overhead: 1.005× the bare loop (target 0.95× to 1.1×: met)");
    expect(overheadLine(1.18)).toBe("overhead: 1.180× the bare loop (target 0.95× to 1.1×: not met: above 1.1×)");
    expect(overheadLine(0.887)).toMatch(/^overhead: 0\.887× the bare loop \(target 0\.95× to 1\.1×: not met: below 0\.95×, the tool beat a loop that does less: noise/);
  });

  it("prints an aligned table with NO on a missed target and details indented", () => {
    const text = formatTable([
      row("lag (median)", 0.42, " s", 2, { cmp: "<=", limit: 0.5 }, "runs: 0.40, 0.42"),
      row("preview ÷ baseline", 1.4, "×", 2, { cmp: "<=", limit: 1.25 }),
      row("calls", 10, "", 0),
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^metric\s+value\s+target\s+ok$/);
    expect(lines[1]).toMatch(/^-+ {2}-+ {2}-+ {2}-+$/);
    expect(lines[2]).toMatch(/^lag \(median\)\s+0\.42 s\s+<= 0\.5 s\s+yes$/);
    expect(lines[3]).toBe("    runs: 0.40, 0.42");
    expect(lines[4]).toMatch(/^preview ÷ baseline\s+1\.40×\s+<= 1\.25×\s+NO$/);
    expect(lines[5]).toMatch(/^calls\s+10$/);
    // Columns line up: every value starts where the header's "value" does.
    const col = lines[0].indexOf("value");
    for (const i of [2, 4, 5]) expect(lines[i].slice(col, col + 1)).toMatch(/\d/);
  });

  it("renders Markdown with escaped pipes and bold misses", () => {
    const md = markdownTable([row("a|b", 2, "×", 1, { cmp: "<=", limit: 1 }, "x|y"), row("c", 1, "", 0)]);
    expect(md.split("\n")).toEqual([
      "| metric | value | target | ok |",
      "|---|---|---|---|",
      "| a\\|b<br><sub>x\\|y</sub> | 2.0× | <= 1× | **no** |",
      "| c | 1 |  |  |",
    ]);
  });
});

describe("CPU time of a process tree", () => {
  it("reads the children's user + system time from a shell's `times`", () => {
    expect(childCpuSeconds("0m0.001s 0m0.002s\n0m3.250s 0m0.750s\n")).toBeCloseTo(4, 9);
    expect(childCpuSeconds("\n0m0.000s 0m0.001s\n1m2.500s 0m1.000s")).toBeCloseTo(63.5, 9);
    expect(childCpuSeconds("0m0,010s 0m0,000s\n0m1,500s 0m0,250s")).toBeCloseTo(1.75, 9);
    expect(childCpuSeconds("0m0.001s 0m0.002s")).toBeUndefined();
    expect(childCpuSeconds("")).toBeUndefined();
  });
});
