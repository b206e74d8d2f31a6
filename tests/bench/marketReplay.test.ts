// The market benchmark's offline replay (tools/bench/market.ts replayDeploy): the same single-lane
// decisions as boot.ts in computed time, used for the 20 000-seed rows of docs/benchmarks.md.
import { describe, expect, it } from "vitest";
import { POLICIES, SWEEP, replayDeploy, summarize } from "../../tools/bench/market.ts";

const policy = (name: string) => [...POLICIES, ...SWEEP].find((p) => p.name.includes(name))!;
const seeds = Array.from({ length: 300 }, (_, i) => i + 1);

describe("replayDeploy", () => {
  it("is deterministic per seed and policy", () => {
    expect(replayDeploy(7, policy("new default"))).toStrictEqual(replayDeploy(7, policy("new default")));
  });

  it("flat failover never gives up an attempt before bootTimeoutSeconds (900 s)", () => {
    for (const s of seeds) {
      const r = replayDeploy(s, policy("flat + balanced"));
      if (r.attempts > 1 || !r.ok) expect(r.seconds).toBeGreaterThan(900 * (r.ok ? r.attempts - 1 : r.attempts));
    }
  });

  it("stall-aware failover gives up bad hosts early: fewer slow deploys than flat on the same seeds", () => {
    const flat = summarize(policy("flat + balanced"), seeds.map((s) => replayDeploy(s, policy("flat + balanced"))));
    const stall = summarize(policy("new default"), seeds.map((s) => replayDeploy(s, policy("new default"))));
    expect(stall.p95).toBeLessThan(flat.p95 / 2);
    expect(stall.failedDeploys).toBeLessThanOrEqual(seeds.length * 0.05);
  });

  it("fails a deploy only after 3 rents; a tighter stall limit gives up more honest hosts", () => {
    const tightPolicy = { factor: 1, slackMs: 0, noChangeMs: 180_000 };
    const tight = seeds.map((s) => replayDeploy(s, policy("new default"), tightPolicy));
    const normal = seeds.map((s) => replayDeploy(s, policy("new default")));
    for (const r of [...tight, ...normal]) {
      expect(r.honest).toBeLessThanOrEqual(r.attempts - (r.ok ? 1 : 0));
      if (!r.ok) expect(r.attempts).toBe(3);
    }
    const honest = (rs: typeof tight) => rs.reduce((a, r) => a + r.honest, 0);
    expect(honest(tight)).toBeGreaterThan(honest(normal));
  });
});
