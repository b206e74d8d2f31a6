// `npm run loadtest -- --stack <name>` over a 3-replica stack the real engine deployed on the
// emulator: the tool reads the stack's `endpoints` and key, drives every replica, and reports each
// replica's share and latencies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestProject } from "../helpers/engine.ts";
import { replicaStack } from "../helpers/replicas.ts";
import { liveInstances } from "../helpers/stack.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { loadtest, replicaLine, reportLine, type Result } from "./run.ts";

describe("load test --stack over a 3-replica stack", () => {
  let emu: RunningEmulator;
  let p: TestProject;
  let endpoints: string[];
  beforeAll(async () => {
    ({ emu, p } = await replicaStack("local", 3));
    const up = await p.stack.up();
    expect(up.summary.result).toBe("succeeded");
    endpoints = up.outputs.endpoints.value as string[];
    expect(endpoints).toHaveLength(3);
  }, 300_000);
  afterAll(async () => {
    try {
      if (p) await p.stack.destroy();
      if (emu) expect(liveInstances(emu)).toHaveLength(0);
    } finally {
      p?.cleanup();
      await emu?.stop();
    }
  }, 300_000);

  // The tool runs `pulumi stack output` in the project directory with the backend's environment.
  const run = (args: string[]) => loadtest(["--stack", "local", "--requests", "90", "--concurrency", "6", "--docs", "4", "--words", "8", ...args], { ...process.env as Record<string, string>, ...p.env }, p.workDir);

  it("reads every replica from the stack and reports each one's share and p50/p95/p99", async () => {
    const j = await run(["--json"]);
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout) as Result;
    expect(out.endpoints).toEqual(endpoints);
    expect(out.report).toMatchObject({ requests: 90, ok: 90, errorsByStatus: {} });
    expect(out.report.replicas.map((r) => r.endpoint)).toEqual(endpoints);
    for (const r of out.report.replicas) {
      expect(r.ok, r.endpoint).toBe(r.requests);
      expect(r.share, r.endpoint).toBeGreaterThanOrEqual(0.15); // every replica took a real part
      expect(r.p99).toBeGreaterThanOrEqual(r.p50 as number);
    }
    // The key came from the stack's secret output and never reaches the output.
    const key = (await p.stack.outputs()).apiKey.value as string;
    expect(j.stdout + j.stderr).not.toContain(key);

    const h = await run([]);
    expect(h.code, h.stderr).toBe(0);
    const lines = h.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(reportLine("rerank", 90, "none"));
    endpoints.forEach((e, i) => expect(lines[i + 1]).toMatch(replicaLine(i, e)));
  }, 120_000);
});
